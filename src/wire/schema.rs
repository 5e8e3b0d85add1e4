//! JSON Schemas of the codepoint types that reach JSON output.
//!
//! Owns: the hand-written [`JsonSchema`] impls matching the hand-written
//! `Serialize` impls in [`super::registry`]: a codepoint serialises as its
//! registry name, or as lower-case hex (`0x11ef`) when pqready has no name
//! for it. The schema says exactly that: one of the names, or that pattern.
//!
//! Must not: name or parse codepoints itself (the tables in `registry` do).

use super::registry::{
    CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme, CIPHER_SUITES, GROUPS,
    PROTOCOL_VERSIONS, SIGNATURE_SCHEMES,
};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use std::borrow::Cow;

/// A string that is one of `names`, or `0x` and `hex_digits` lower-case hex digits.
fn name_or_hex(description: &str, names: Vec<&'static str>, hex_digits: usize) -> Schema {
    json_schema!({
        "description": format!(
            "{description}: the registry name, or lower-case hex (0x and {hex_digits} digits) \
             for a value pqready has no name for"
        ),
        "type": "string",
        "anyOf": [
            { "enum": names },
            { "pattern": format!("^0x[0-9a-f]{{{hex_digits}}}$") }
        ]
    })
}

macro_rules! codepoint_schema {
    ($ty:ident, $description:literal, $names:expr, $hex_digits:literal) => {
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                stringify!($ty).into()
            }

            fn schema_id() -> Cow<'static, str> {
                concat!(module_path!(), "::", stringify!($ty)).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                name_or_hex($description, $names, $hex_digits)
            }
        }
    };
}

codepoint_schema!(
    NamedGroup,
    "A TLS named group (key exchange)",
    GROUPS.iter().map(|g| g.name).collect(),
    4
);
codepoint_schema!(
    ProtocolVersion,
    "A TLS protocol version",
    PROTOCOL_VERSIONS.iter().map(|(_, n)| *n).collect(),
    4
);
codepoint_schema!(
    CipherSuite,
    "A TLS cipher suite",
    CIPHER_SUITES.iter().map(|(_, n)| *n).collect(),
    4
);
codepoint_schema!(
    SignatureScheme,
    "A TLS signature scheme",
    SIGNATURE_SCHEMES.iter().map(|(_, n)| *n).collect(),
    4
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name and the hex spelling the serialiser produces match the schema's shape.
    #[test]
    fn schema_lists_every_serialised_name() {
        let schema = schemars::schema_for!(NamedGroup);
        let names = schema.get("anyOf").unwrap()[0]["enum"].as_array().unwrap();
        for g in GROUPS {
            let json = serde_json::to_value(g.group).unwrap();
            assert!(names.contains(&json), "{json}");
        }
        assert_eq!(serde_json::to_value(NamedGroup(0xfe01)).unwrap(), "0xfe01");
    }
}
