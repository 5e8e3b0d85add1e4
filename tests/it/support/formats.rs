//! Validators for the exchange formats, from the official schemas kept as
//! test data (tests/data/README.md and tests/data/cyclonedx/README.md say
//! where each comes from): SARIF 2.1.0 and CycloneDX 1.7 / 1.6 / 1.5. Offline: the
//! CycloneDX schemas' `$ref`s are served from the local copies.
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};

const SARIF_SCHEMA: &str = include_str!("../../data/sarif-schema-2.1.0.json");

fn cyclonedx_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cyclonedx")
}

/// Serves the `$ref`d schemas (spdx, jsf, cryptography-defs) from the
/// offline copies: no network.
struct LocalSchemas;

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let name = uri.path().as_str().rsplit('/').next().unwrap_or_default();
        let text = std::fs::read_to_string(cyclonedx_dir().join(name))
            .map_err(|e| format!("{uri}: no offline copy ({e})"))?;
        Ok(serde_json::from_str(&text)?)
    }
}

/// Why `doc` is not valid SARIF 2.1.0, one line per error.
pub fn sarif_violations(doc: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(SARIF_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect()
}

/// Why `doc` is not a valid CycloneDX `version` document, one line per error.
pub fn cyclonedx_violations(version: &str, doc: &Value) -> Vec<String> {
    let file = cyclonedx_dir().join(format!("bom-{version}.SNAPSHOT.schema.json"));
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_retriever(LocalSchemas)
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    validator
        .iter_errors(doc)
        .map(|e| format!("at {}: {e}", e.instance_path()))
        .collect()
}
