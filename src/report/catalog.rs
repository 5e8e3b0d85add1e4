//! Rendering of the static catalog: `pqready profiles` and `pqready matrix`.
//! Pure formatting of what `catalog` computed.

use super::style::{Style, Tone};
use crate::catalog::profile::{share_len, ClientProfile};
use crate::catalog::server::{MatrixCell, ServerModel};
use crate::wire::NamedGroup;
use serde::Serialize;
use std::fmt::Write;

/// The profile list as a table.
pub fn profiles_table(profiles: &[&ClientProfile]) -> String {
    let width = profiles.iter().map(|p| p.id.len()).max().unwrap_or(2);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:<44}  SUPPORTED GROUPS (in order)",
        "PROFILE", "KEY SHARES (bytes)"
    );
    for p in profiles {
        let groups: Vec<String> = p.groups.iter().map(|g| g.to_string()).collect();
        let shares: Vec<String> = p
            .key_shares
            .iter()
            .map(|g| format!("{g}({})", share_len(*g)))
            .collect();
        let _ = writeln!(
            out,
            "{:<width$}  {:<44}  {}",
            p.id,
            shares.join(","),
            groups.join(",")
        );
    }
    let _ = writeln!(out);
    for p in profiles {
        let based = p
            .based_on
            .as_ref()
            .map(|b| format!(" = {b}"))
            .unwrap_or_default();
        let _ = writeln!(out, "{:<width$}  {}{based}", p.id, p.description);
    }
    out
}

/// A short label for a group, to keep matrix cells narrow.
fn short(g: NamedGroup) -> String {
    match g {
        NamedGroup::X25519MLKEM768 => "MLKEM".into(),
        NamedGroup::SECP256R1MLKEM768 => "P256+ML".into(),
        NamedGroup::SECP384R1MLKEM1024 => "P384+ML".into(),
        NamedGroup::X25519KYBER768DRAFT00 => "kyber".into(),
        NamedGroup::SECP256R1 => "P-256".into(),
        NamedGroup::SECP384R1 => "P-384".into(),
        NamedGroup::SECP521R1 => "P-521".into(),
        other => other.to_string(),
    }
}

/// The client × server grid as a table: rows are clients, columns servers.
pub fn matrix_table(
    clients: &[&ClientProfile],
    servers: &[&ServerModel],
    cells: &[MatrixCell],
    style: Style,
) -> String {
    let corner = "client \\ server";
    let row_w = clients
        .iter()
        .map(|c| c.id.len())
        .max()
        .unwrap_or(0)
        .max(corner.len());
    let col_w = servers.iter().map(|s| s.id.len()).max().unwrap_or(6).max(7);
    let mut out = String::new();
    let mut header = format!("{corner:<row_w$}");
    for s in servers {
        header.push_str(&format!("  {:<col_w$}", s.id));
    }
    let _ = writeln!(out, "{}", style.paint(Tone::Heading, header.trim_end()));
    for (i, c) in clients.iter().enumerate() {
        let mut line = format!("{:<row_w$}", c.id);
        for cell in &cells[i * servers.len()..(i + 1) * servers.len()] {
            let label = match (cell.failed, cell.negotiated_group) {
                (true, _) | (_, None) => "FAIL".to_string(),
                (false, Some(g)) => {
                    format!("{}{}", short(g), if cell.hello_retry { "*" } else { "" })
                }
            };
            let tone = super::style::handshake(cell.failed, true, cell.negotiated_group);
            line.push_str("  ");
            line.push_str(&style.paint(tone, &format!("{label:<col_w$}")));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(
        out,
        "\nMLKEM = X25519MLKEM768, kyber = X25519Kyber768Draft00 (obsolete draft), * = after a HelloRetryRequest, FAIL = no group in common.\n\
         Predicted offline from each side's defaults; `pqready probe --clients` measures a live server."
    );
    out
}

/// A catalog entry as the matrix document names it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Entry<'a> {
    /// Its id.
    pub id: &'a str,
    /// What it is.
    pub description: &'a str,
}

/// The `pqready matrix` JSON document.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct MatrixDocument<'a> {
    /// Always `pqready/v1`.
    #[schemars(with = "String", extend("const" = crate::report::SCHEMA))]
    pub schema: crate::report::Schema,
    /// Always `matrix`.
    #[schemars(with = "String", extend("const" = "matrix"))]
    pub kind: crate::vocab::DocumentKind,
    /// Rows.
    pub clients: Vec<Entry<'a>>,
    /// Columns.
    pub servers: Vec<Entry<'a>>,
    /// Every cell, row by row.
    pub cells: &'a [MatrixCell],
}

impl<'a> MatrixDocument<'a> {
    /// The document for this grid.
    pub fn new(
        clients: &'a [&'a ClientProfile],
        servers: &'a [&'a ServerModel],
        cells: &'a [MatrixCell],
    ) -> Self {
        MatrixDocument {
            schema: crate::report::Schema,
            kind: crate::vocab::DocumentKind::Matrix,
            clients: clients
                .iter()
                .map(|c| Entry {
                    id: &c.id,
                    description: &c.description,
                })
                .collect(),
            servers: servers
                .iter()
                .map(|s| Entry {
                    id: &s.id,
                    description: &s.description,
                })
                .collect(),
            cells,
        }
    }
}
