//! The runtime `GODEBUG` of a service, read from the file that starts it.
//!
//! Recognised, by content:
//! - JSON: a Kubernetes object (`kubectl get -o json`: `{"name": "GODEBUG",
//!   "value": ...}` in `env`), an OCI/Docker image config or `docker
//!   inspect` output (`"Env": ["GODEBUG=..."]`), or a map with a `GODEBUG` key.
//! - systemd units: `Environment=` assignments (quoted or not, several per
//!   line, later ones win, an empty `Environment=` resets),
//!   `UnsetEnvironment=GODEBUG`. `EnvironmentFile=` is not followed (point
//!   pqready at that file: it is read as an environment file, and systemd
//!   lets it override `Environment=`).
//! - YAML (Kubernetes manifests, Helm output, Compose files, ConfigMaps):
//!   list items with `name: GODEBUG` and `value: ...` in either order or in
//!   flow style, `- GODEBUG=...` items and `GODEBUG: ...` keys. A small
//!   line-based reader; no anchors, no block scalars.
//! - Environment files and Dockerfiles: `GODEBUG=...`, `export GODEBUG=...`,
//!   `ENV GODEBUG=...` / `ENV GODEBUG ...`.
//!
//! A file that sets several different values (two containers, say) is an
//! error: pqready cannot tell which one applies to the binary.

use serde_json::Value;
use std::path::{Path, PathBuf};

const NAME: &str = "GODEBUG";
/// Files larger than this are not service definitions.
const MAX_LEN: u64 = 8 << 20;

/// Why a text's GODEBUG setting cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GodebugError {
    /// A Kubernetes env entry whose value comes from elsewhere.
    #[error("GODEBUG comes from a ConfigMap or Secret (valueFrom); point pqready at that ConfigMap, or give the value directly")]
    ValueFrom,
    /// A YAML block scalar (`|` or `>`), which the line reader does not read.
    #[error("GODEBUG is a YAML block scalar; write it on one line")]
    BlockScalar,
    /// Several different values, each once, in the order found.
    #[error(
        "sets GODEBUG to different values ({}); point pqready at the one that starts this binary",
        .0.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")
    )]
    Different(Vec<String>),
}

/// Why a file's GODEBUG setting cannot be read; each message starts with
/// the path.
#[derive(Debug, thiserror::Error)]
pub enum GodebugFileError {
    /// The file cannot be read.
    #[error("{}: {why}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        why: std::io::Error,
    },
    /// A directory, device, FIFO or socket.
    #[error("{}: not a regular file", path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
    },
    /// Larger than any service definition.
    #[error("{}: {len} bytes is too large for a unit, manifest or environment file", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        len: u64,
    },
    /// Read, but its setting cannot be told.
    #[error("{}: {why}", path.display())]
    Content {
        /// The file.
        path: PathBuf,
        /// What is wrong with its setting.
        why: GodebugError,
    },
}

/// A runtime GODEBUG value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeGodebug {
    /// The value (`tlsmlkem=0,x509sha1=1`).
    pub value: String,
    /// Where it was read (a path, or "command line").
    pub source: String,
}

impl RuntimeGodebug {
    /// Reads the GODEBUG set by the unit, manifest or environment file at
    /// `path`; `Ok(None)` when it sets none.
    pub fn from_file(path: &Path) -> Result<Option<RuntimeGodebug>, GodebugFileError> {
        Ok(godebug_from_file(path)?.map(|value| RuntimeGodebug {
            value,
            source: path.display().to_string(),
        }))
    }
}

/// Extracts the GODEBUG value a systemd unit, Kubernetes manifest, image
/// config, Dockerfile or environment file sets; `Ok(None)` when it sets none.
pub fn godebug_from_file(path: &Path) -> Result<Option<String>, GodebugFileError> {
    let read = |why| GodebugFileError::Read {
        path: path.to_path_buf(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(read)?;
    if !meta.is_file() {
        return Err(GodebugFileError::NotRegular {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > MAX_LEN {
        return Err(GodebugFileError::TooLarge {
            path: path.to_path_buf(),
            len: meta.len(),
        });
    }
    let bytes = std::fs::read(path).map_err(read)?;
    let text = String::from_utf8_lossy(&bytes);
    godebug_from_text(&text).map_err(|why| GodebugFileError::Content {
        path: path.to_path_buf(),
        why,
    })
}

/// [`godebug_from_file`] on text already read.
pub fn godebug_from_text(text: &str) -> Result<Option<String>, GodebugError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
            let mut found = Vec::new();
            json_values(&value, &mut found)?;
            return single(found);
        }
    }
    if is_systemd_unit(text) {
        return Ok(systemd(text));
    }
    let mut found = yaml_values(text)?;
    found.extend(env_file_values(text));
    single(found)
}

/// One value, or an error when the file sets different ones.
fn single(mut found: Vec<String>) -> Result<Option<String>, GodebugError> {
    found.dedup();
    let first = found.first().cloned();
    if found.iter().any(|v| Some(v) != first.as_ref()) {
        let mut distinct: Vec<String> = Vec::new();
        for v in found {
            if !distinct.contains(&v) {
                distinct.push(v);
            }
        }
        return Err(GodebugError::Different(distinct));
    }
    Ok(first)
}

fn json_values(value: &Value, found: &mut Vec<String>) -> Result<(), GodebugError> {
    match value {
        Value::Object(map) => {
            if map.get("name").and_then(Value::as_str) == Some(NAME) {
                match (map.get("value"), map.get("valueFrom")) {
                    (Some(Value::String(v)), _) => found.push(v.clone()),
                    (None, Some(_)) => return Err(GodebugError::ValueFrom),
                    (None, None) => found.push(String::new()),
                    _ => {}
                }
            }
            if let Some(Value::String(v)) = map.get(NAME) {
                found.push(v.clone());
            }
            for v in map.values() {
                json_values(v, found)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::String(s) => {
                        if let Some(v) = s.strip_prefix("GODEBUG=") {
                            found.push(v.to_string());
                        }
                    }
                    other => json_values(other, found)?,
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn is_systemd_unit(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim();
        matches!(
            l,
            "[Unit]" | "[Service]" | "[Install]" | "[Socket]" | "[Timer]" | "[Mount]"
        ) || l.starts_with("Environment=")
            || l.starts_with("ExecStart=")
    })
}

/// The GODEBUG a systemd unit sets (its last assignment wins).
fn systemd(text: &str) -> Option<String> {
    let mut value: Option<String> = None;
    let mut logical = String::new();
    for raw in text.lines() {
        // A backslash at the end of a line continues it.
        if let Some(head) = raw.strip_suffix('\\') {
            logical.push_str(head);
            logical.push(' ');
            continue;
        }
        logical.push_str(raw);
        let line = std::mem::take(&mut logical);
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((key, rest)) = line.split_once('=') else {
            continue;
        };
        match key.trim() {
            "Environment" => {
                let words = systemd_words(rest);
                if words.is_empty() {
                    value = None;
                }
                for word in words {
                    if let Some(v) = word.strip_prefix("GODEBUG=") {
                        value = Some(v.to_string());
                    }
                }
            }
            "UnsetEnvironment"
                if systemd_words(rest)
                    .iter()
                    .any(|w| w == NAME || w.starts_with("GODEBUG=")) =>
            {
                value = None;
            }
            _ => {}
        }
    }
    value
}

/// Splits a systemd assignment into words: whitespace separates, double or
/// single quotes group, a backslash escapes the next character.
fn systemd_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                if let Some(next) = chars.next() {
                    word.push(match next {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                    in_word = true;
                }
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// One YAML line: indentation and content without a trailing comment.
struct Line<'a> {
    indent: usize,
    text: &'a str,
}

fn yaml_lines(text: &str) -> Vec<Line<'_>> {
    text.lines()
        .filter_map(|l| {
            let content = l.trim_start();
            if content.is_empty() || content.starts_with('#') {
                return None;
            }
            Some(Line {
                indent: l.len() - content.len(),
                text: strip_comment(content).trim_end(),
            })
        })
        .collect()
}

/// Removes a ` # comment` that is not inside quotes.
fn strip_comment(text: &str) -> &str {
    let mut quote: Option<u8> = None;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'#' && i > 0 && bytes[i - 1].is_ascii_whitespace() => return &text[..i],
            None => {}
        }
    }
    text
}

/// A YAML scalar: plain, 'single-quoted' or "double-quoted".
fn scalar(text: &str) -> String {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return inner.replace("''", "'");
    }
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        return super::buildinfo::unquote(t).unwrap_or_else(|| t[1..t.len() - 1].to_string());
    }
    t.to_string()
}

/// `key: value` → (key, value); `None` for lines that are not a mapping entry.
fn key_value(text: &str) -> Option<(String, &str)> {
    let (key, value) = match text.split_once(": ") {
        Some(kv) => kv,
        None => (text.strip_suffix(':')?, ""),
    };
    Some((scalar(key), value.trim()))
}

fn yaml_values(text: &str) -> Result<Vec<String>, GodebugError> {
    let lines = yaml_lines(text);
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        // `GODEBUG: value` (Compose `environment:` maps, ConfigMap data).
        if let Some((key, value)) = key_value(line.text.trim_start_matches("- ")) {
            if key == NAME && !value.is_empty() {
                found.push(block_scalar_guard(value)?);
            }
        }
        let Some(item) = line.text.strip_prefix('-') else {
            continue;
        };
        if !(item.is_empty() || item.starts_with(' ')) {
            continue;
        }
        let item = item.trim_start();
        // `- GODEBUG=value` (Compose `environment:` lists).
        if let Some(v) = scalar(item).strip_prefix("GODEBUG=") {
            found.push(v.to_string());
            continue;
        }
        // `- {name: GODEBUG, value: x}`
        if let Some(flow) = item.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let mut name = None;
            let mut value = None;
            for part in flow.split(',') {
                if let Some((k, v)) = part.split_once(':') {
                    match scalar(k).as_str() {
                        "name" => name = Some(scalar(v)),
                        "value" => value = Some(scalar(v)),
                        "valueFrom" => value = None,
                        _ => {}
                    }
                }
            }
            if name.as_deref() == Some(NAME) {
                found.push(value.unwrap_or_default());
            }
            continue;
        }
        // A block list item: its keys sit at this column, on this line and
        // on the following lines that are indented past the dash.
        let key_col = line.indent + (line.text.len() - item.len());
        let mut name = None;
        let mut value = None;
        let mut value_from = false;
        let siblings = std::iter::once((key_col, item)).chain(
            lines[i + 1..]
                .iter()
                .take_while(|l| l.indent > line.indent)
                .map(|l| (l.indent, l.text)),
        );
        for (col, text) in siblings {
            if col != key_col {
                continue;
            }
            match key_value(text) {
                Some((k, v)) if k == "name" => name = Some(scalar(v)),
                Some((k, v)) if k == "value" => value = Some(block_scalar_guard(v)?),
                Some((k, _)) if k == "valueFrom" => value_from = true,
                _ => {}
            }
        }
        if name.as_deref() == Some(NAME) {
            match value {
                Some(v) => found.push(v),
                None if value_from => return Err(GodebugError::ValueFrom),
                None => found.push(String::new()),
            }
        }
    }
    Ok(found)
}

fn block_scalar_guard(value: &str) -> Result<String, GodebugError> {
    if value.starts_with('|') || value.starts_with('>') {
        return Err(GodebugError::BlockScalar);
    }
    Ok(scalar(value))
}

fn env_file_values(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        if let Some(v) = line.strip_prefix("GODEBUG=") {
            found.push(shell_value(v));
        } else if let Some(rest) = line.strip_prefix("ENV ") {
            // Dockerfile: `ENV K=V K2=V2` or `ENV K V`.
            let rest = rest.trim();
            let first = rest.split_whitespace().next().unwrap_or("");
            if first.contains('=') {
                for word in systemd_words(rest) {
                    if let Some(v) = word.strip_prefix("GODEBUG=") {
                        found.push(v.to_string());
                    }
                }
            } else if let Some(v) = rest.strip_prefix("GODEBUG ") {
                found.push(shell_value(v));
            }
        }
    }
    found
}

fn shell_value(text: &str) -> String {
    systemd_words(text).into_iter().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(text: &str) -> Option<String> {
        godebug_from_text(text).unwrap()
    }

    #[test]
    fn reads_systemd_units() {
        let unit = "[Unit]\nDescription=etcd\n\n[Service]\n\
            Environment=ETCD_NAME=a GODEBUG=tlsmlkem=1\n\
            Environment=\"GODEBUG=tlsmlkem=0,x509sha1=1\" \"OTHER=x y\"\n\
            ExecStart=/usr/bin/etcd\n";
        assert_eq!(get(unit).as_deref(), Some("tlsmlkem=0,x509sha1=1"));
        let reset = "[Service]\nEnvironment=GODEBUG=tlsmlkem=0\nEnvironment=\n";
        assert_eq!(get(reset), None);
        let unset = "[Service]\nEnvironment=GODEBUG=a=1\nUnsetEnvironment=GODEBUG\n";
        assert_eq!(get(unset), None);
        let continued =
            "[Service]\nEnvironment=A=1 \\\n  GODEBUG=tlsmlkem=1\n# Environment=GODEBUG=x=0\n";
        assert_eq!(get(continued).as_deref(), Some("tlsmlkem=1"));
        assert_eq!(get("[Service]\nExecStart=/bin/true\n"), None);
    }

    #[test]
    fn reads_kubernetes_manifests() {
        let pod = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: app\n    image: x\n    env:\n    - name: OTHER\n      value: \"1\"\n    - name: GODEBUG\n      value: \"tlsmlkem=1\"  # keep\n";
        assert_eq!(get(pod).as_deref(), Some("tlsmlkem=1"));
        let reversed = "env:\n  - value: 'tlsmlkem=0'\n    name: GODEBUG\n";
        assert_eq!(get(reversed).as_deref(), Some("tlsmlkem=0"));
        let flow = "env:\n- {name: GODEBUG, value: tlskyber=0}\n";
        assert_eq!(get(flow).as_deref(), Some("tlskyber=0"));
        let from = "env:\n- name: GODEBUG\n  valueFrom:\n    configMapKeyRef: {name: x, key: y}\n";
        assert_eq!(godebug_from_text(from), Err(GodebugError::ValueFrom));
        assert!(godebug_from_text(from)
            .unwrap_err()
            .to_string()
            .contains("valueFrom"));
        let two = "env:\n- name: GODEBUG\n  value: a=1\n---\nenv:\n- name: GODEBUG\n  value: a=0\n";
        assert_eq!(
            godebug_from_text(two),
            Err(GodebugError::Different(vec!["a=1".into(), "a=0".into()]))
        );
        assert_eq!(
            godebug_from_text(two).unwrap_err().to_string(),
            "sets GODEBUG to different values (\"a=1\", \"a=0\"); point pqready at the one that starts this binary"
        );
        let same = "env:\n- name: GODEBUG\n  value: a=1\n- name: X\n  value: a=0\n";
        assert_eq!(get(same).as_deref(), Some("a=1"));
        let compose = "services:\n  app:\n    environment:\n      - GODEBUG=tlsmlkem=0\n";
        assert_eq!(get(compose).as_deref(), Some("tlsmlkem=0"));
        let configmap = "kind: ConfigMap\ndata:\n  GODEBUG: \"tlsmlkem=1\"\n";
        assert_eq!(get(configmap).as_deref(), Some("tlsmlkem=1"));
        // A container named GODEBUG-ish is not an env var.
        assert_eq!(get("containers:\n- name: godebug\n  image: x\n"), None);
    }

    #[test]
    fn reads_json_env_files_and_dockerfiles() {
        let pod = r#"{"spec":{"containers":[{"env":[{"name":"GODEBUG","value":"tlsmlkem=0"}]}]}}"#;
        assert_eq!(get(pod).as_deref(), Some("tlsmlkem=0"));
        let image = r#"{"config":{"Env":["PATH=/bin","GODEBUG=tlsmlkem=1"]}}"#;
        assert_eq!(get(image).as_deref(), Some("tlsmlkem=1"));
        assert_eq!(
            get("# defaults\nexport GODEBUG=\"tlsmlkem=0\"\n").as_deref(),
            Some("tlsmlkem=0")
        );
        assert_eq!(
            get("FROM scratch\nENV A=1 GODEBUG=tlskyber=0\n").as_deref(),
            Some("tlskyber=0")
        );
        assert_eq!(
            get("FROM scratch\nENV GODEBUG tlsmlkem=1\n").as_deref(),
            Some("tlsmlkem=1")
        );
        assert_eq!(get("nothing here\n"), None);
    }
}
