//! The documentation against the code:
//!
//! 1. docs/reference/findings.md and docs/reference/cli.md are exactly what
//!    `pqready::report::reference` generates from the vocabulary and the clap
//!    definitions (refresh them with `PQREADY_WRITE_DOCS=1 cargo test --test
//!    docs`; never edit them by hand);
//! 2. every relative link in README.md and docs/ points at a file that exists,
//!    and every `#anchor` at a heading of that file;
//! 3. the README stays a five-minute read.

use clap::CommandFactory;
use pqready::report::reference;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Set to 1 to (re)write the generated reference pages.
const WRITE: &str = "PQREADY_WRITE_DOCS";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compares (or, with `PQREADY_WRITE_DOCS=1`, writes) one generated page.
fn check_generated(file: &str, generated: &str) {
    let path = root().join(file);
    if std::env::var(WRITE).as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "{file} is missing or differs from what the code generates (first difference at \
             line {}):\n  committed: {:?}\n  generated: {:?}\nrefresh it with \
             `{WRITE}=1 cargo test --test it docs::` and commit the result",
            line + 1,
            committed.lines().nth(line).unwrap_or("<end>"),
            generated.lines().nth(line).unwrap_or("<end>"),
        );
    }
}

#[test]
fn findings_reference_matches_the_vocabulary() {
    let page = reference::findings_markdown();
    for kind in pqready::vocab::FindingKind::ALL {
        assert!(page.contains(&format!("## `{}`", kind.name())), "{kind}");
    }
    check_generated(reference::FINDINGS_FILE, &page);
}

#[test]
fn cli_reference_matches_the_clap_definitions() {
    let command = pqready::cli::Cli::command();
    let page = reference::cli_markdown(command.clone());
    for sub in command.get_subcommands() {
        assert!(
            page.contains(&format!("## pqready {}\n", sub.get_name())),
            "{}",
            sub.get_name()
        );
    }
    for flag in ["--fail-on", "--targets-file", "--dir", "--in-cluster"] {
        assert!(page.contains(&format!("`{flag}")), "{flag}");
    }
    check_generated(reference::CLI_FILE, &page);
}

/// The Markdown files a reader follows links through.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut files = vec![root().join("README.md")];
    walk(&root().join("docs"), &mut files);
    files.sort();
    files
}

/// GitHub's anchor for a heading: lower case, punctuation other than `-`
/// and `_` dropped, spaces to `-`; repeats get `-1`, `-2`.
fn anchors(markdown: &str) -> BTreeSet<String> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut seen = BTreeSet::new();
    let mut heading: Option<String> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let text = heading.take().unwrap_or_default();
                let slug: String = text
                    .trim()
                    .to_lowercase()
                    .chars()
                    .filter_map(|c| match c {
                        ' ' => Some('-'),
                        c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                        _ => None,
                    })
                    .collect();
                let mut unique = slug.clone();
                let mut n = 0;
                while seen.contains(&unique) {
                    n += 1;
                    unique = format!("{slug}-{n}");
                }
                seen.insert(unique);
            }
            _ => {}
        }
    }
    seen
}

fn links(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(markdown)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. })
            | Event::Start(Tag::Image { dest_url, .. }) => Some(dest_url.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn relative_links_in_the_docs_resolve() {
    let mut broken = Vec::new();
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file.strip_prefix(root()).unwrap().display().to_string();
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match link.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (link.as_str(), None),
            };
            let target = if path.is_empty() {
                file.clone()
            } else {
                file.parent().unwrap().join(path)
            };
            if !target.exists() {
                broken.push(format!("{shown}: {link} (no such file)"));
                continue;
            }
            if let Some(anchor) = anchor {
                let is_markdown = target.extension().is_some_and(|e| e == "md");
                if is_markdown
                    && !anchors(&std::fs::read_to_string(&target).unwrap()).contains(anchor)
                {
                    broken.push(format!("{shown}: {link} (no such heading)"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn readme_is_a_short_read_with_a_map_of_the_docs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines; move detail into docs/guides"
    );
    let linked: BTreeSet<String> = links(&readme).into_iter().collect();
    for file in markdown_files() {
        let relative = file
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if relative == "README.md" {
            continue;
        }
        assert!(
            linked
                .iter()
                .any(|l| l.split('#').next() == Some(relative.as_str())),
            "README.md's map of the docs does not link {relative}"
        );
    }
}

#[test]
fn anchors_follow_github() {
    let a = anchors("# `pqready cluster`: audit\n## CBOM (CycloneDX)\n## Tests\n## Tests\n");
    let expected: BTreeSet<String> = [
        "pqready-cluster-audit",
        "cbom-cyclonedx",
        "tests",
        "tests-1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(a, expected);
}
