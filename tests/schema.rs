//! The JSON Schemas of pqready's output (src/report/schema.rs), checked
//! three ways:
//!
//! 1. the committed files under docs/schema/ are exactly what the types
//!    generate (refresh them with `PQREADY_WRITE_SCHEMAS=1 cargo test --test
//!    schema`; never edit them by hand);
//! 2. real output of every command — `demo`, `probe` (a refused port and a
//!    live server), `profiles`, `matrix`, `binaries` (real Go binaries, and a
//!    directory with unreadable files) and `inspect` (its JSON Lines log and
//!    its summary, with a real client) — validates against its schema;
//! 3. the schemas are strict: a renamed field, a missing field or an unknown
//!    label is rejected.

use pqready::report::schema;
use std::path::{Path, PathBuf};

mod support;

/// Set to 1 to (re)write docs/schema/*.schema.json from the types.
const WRITE: &str = "PQREADY_WRITE_SCHEMAS";

fn schema_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(schema::DIRECTORY)
        .join(format!("{name}.schema.json"))
}

#[test]
fn committed_schemas_match_the_types() {
    let write = std::env::var(WRITE).as_deref() == Ok("1");
    let mut stale = Vec::new();
    let documents = schema::documents();
    for (name, generated) in &documents {
        let text = schema::to_file_text(generated);
        let file = schema_file(name);
        if write {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(&file, &text).unwrap();
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
            stale.push(file.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "these schema files are missing or differ from what the types generate: {}\n\
         refresh them with `{WRITE}=1 cargo test --test schema` and commit the result",
        stale.join(", ")
    );
    // No stray files: every committed schema is a document pqready emits.
    let dir = schema_file("x").parent().unwrap().to_path_buf();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let name = file.strip_suffix(".schema.json").unwrap_or(&file);
        assert!(
            documents.iter().any(|(n, _)| *n == name),
            "{}: not a document pqready emits (src/report/schema.rs)",
            dir.join(&file).display()
        );
    }
}
