//! Reference pages generated from the code: every finding kind
//! (docs/reference/findings.md) and every subcommand and flag
//! (docs/reference/cli.md). The committed pages are checked against these
//! functions by tests/it/docs.rs, so the documentation cannot drift from the
//! vocabulary or the clap definitions.
//!
//! Owns: the Markdown of those two pages. Must not: decide severities or
//! invent text: every word about a finding comes from [`FindingKind`], every
//! word about a flag from the clap definitions the caller passes in (this
//! layer does not import `cli`).

use crate::vocab::{FindingKind, Severity};
use std::fmt::Write;

/// The file each page is committed as, relative to the repository root.
pub const FINDINGS_FILE: &str = "docs/reference/findings.md";
/// See [`FINDINGS_FILE`].
pub const CLI_FILE: &str = "docs/reference/cli.md";

/// How a committed page is refreshed; printed in the page and by the test.
const REFRESH: &str = "PQREADY_WRITE_DOCS=1 cargo test --test it docs::";

/// The findings reference: every [`FindingKind::ALL`] with its id, default
/// severity, severity on sensitive endpoints (when it differs), title,
/// description and standing remediation.
pub fn findings_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Findings reference\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from src/vocab.rs by pqready::report::reference::findings_markdown(); \
         do not edit. Refresh with `{REFRESH}`. -->\n"
    );
    out.push_str(
        "Every finding pqready reports has a fixed id (the `id` of a finding in `-o json`, the \
         SARIF rule id, the `kind` label of `pqready_findings`), a default severity, a title, a \
         meaning and standing advice; a finding's own detail may make the advice more specific \
         (naming the client to upgrade). `--fail-on SEVERITY` counts every finding at or above \
         the threshold.\n\n",
    );
    out.push_str(
        "**Sensitive endpoints.** Some kinds are more severe on endpoints that carry secrets or \
         credentials: in `pqready cluster` the API server, etcd, admission and conversion \
         webhooks and aggregated APIs; anywhere, a target or category listed under a policy's \
         `sensitive` key. The column *sensitive* gives that severity when it differs from the \
         default. A policy may also set the severity of any finding id (see \
         [CI gates and policies](../guides/ci-gates-and-policies.md)).\n\n",
    );
    let _ = writeln!(out, "{} finding kinds:\n", FindingKind::ALL.len());
    out.push_str("| id | severity | sensitive | title |\n| --- | --- | --- | --- |\n");
    for kind in FindingKind::ALL {
        let _ = writeln!(
            out,
            "| [`{id}`](#{id}) | {severity} | {sensitive} | {title} |",
            id = kind.name(),
            severity = kind.severity(),
            sensitive = kind.sensitive_severity().map_or("", Severity::name),
            title = table_cell(kind.title()),
        );
    }
    for kind in FindingKind::ALL {
        let _ = write!(
            out,
            "\n## `{id}`\n\n**{title}.** Severity **{severity}**",
            id = kind.name(),
            title = kind.title().trim_end_matches('.'),
            severity = kind.severity(),
        );
        if let Some(sensitive) = kind.sensitive_severity() {
            let _ = write!(out, "; **{sensitive}** on sensitive endpoints");
        }
        out.push_str(".\n\n");
        let _ = writeln!(
            out,
            "{}\n\nFix: {}",
            prose(kind.description()),
            prose(kind.remediation())
        );
    }
    out
}

/// The CLI reference of `command` (pass `pqready::cli::Cli::command()`):
/// each subcommand with its description, usage, arguments and flags, every
/// flag with its help, value names, possible values and default, as `--help`
/// shows them.
pub fn cli_markdown(command: clap::Command) -> String {
    let mut command = command.disable_help_subcommand(true);
    command.build();
    let mut out = String::new();
    out.push_str("# Command-line reference\n\n");
    let _ = writeln!(
        out,
        "<!-- Generated from src/cli.rs by pqready::report::reference::cli_markdown(); \
         do not edit. Refresh with `{REFRESH}`. -->\n"
    );
    out.push_str(
        "Every subcommand and flag, with the help text of `pqready help SUBCOMMAND` (and \
         `pqready SUBCOMMAND --help`). Exit status: 0 done, 1 a gate (`--fail-on`, \
         `--policy`, `--fail-on-change`) failed, 2 bad input or something could not be probed \
         or read.\n\n",
    );
    out.push_str("| command | what it does |\n| --- | --- |\n");
    let name = command.get_name().to_string();
    for sub in visible_subcommands(&command) {
        let _ = writeln!(
            out,
            "| [`{name} {sub}`](#{name}-{sub}) | {about} |",
            sub = sub.get_name(),
            about = table_cell(&first_paragraph(sub)),
        );
    }
    out.push('\n');
    command_section(&mut out, &command, &name);
    for sub in visible_subcommands(&command) {
        let full = format!("{name} {}", sub.get_name());
        command_section(&mut out, sub, &full);
    }
    out
}

fn visible_subcommands(command: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    command.get_subcommands().filter(|s| !s.is_hide_set())
}

/// One command: heading, description, usage, arguments and options.
fn command_section(out: &mut String, command: &clap::Command, full_name: &str) {
    let _ = writeln!(out, "## {full_name}\n");
    let about = command
        .get_long_about()
        .or(command.get_about())
        .map(|s| s.to_string())
        .unwrap_or_default();
    if !about.is_empty() {
        let _ = writeln!(out, "{}\n", prose(&about));
    }
    let mut usage_command = command.clone();
    let usage = usage_command.render_usage().to_string();
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    let _ = writeln!(out, "```text\n{usage}\n```\n");
    let args: Vec<&clap::Arg> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set())
        .collect();
    let positionals: Vec<&clap::Arg> = args.iter().copied().filter(|a| a.is_positional()).collect();
    let options: Vec<&clap::Arg> = args
        .iter()
        .copied()
        .filter(|a| !a.is_positional())
        .collect();
    if !positionals.is_empty() {
        out.push_str("Arguments:\n\n");
        for arg in positionals {
            arg_item(out, arg);
        }
        out.push('\n');
    }
    if !options.is_empty() {
        out.push_str("Options:\n\n");
        for arg in options {
            arg_item(out, arg);
        }
        out.push('\n');
    }
}

/// One argument as a list item: its spelling, then its help, possible
/// values and default.
fn arg_item(out: &mut String, arg: &clap::Arg) {
    let _ = write!(out, "- `{}`", spelling(arg));
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|s| s.to_string())
        .unwrap_or_default();
    if !help.is_empty() {
        // A help of several paragraphs stays one list item.
        let help = prose(&help).replace("\n\n", "\n\n  ");
        let stop = if help.ends_with('.') { "" } else { "." };
        let _ = write!(out, ": {help}{stop}");
    }
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| match v.get_help() {
            Some(help) => format!("`{}` ({})", v.get_name(), prose(&help.to_string())),
            None => format!("`{}`", v.get_name()),
        })
        .collect();
    let takes_values = arg.get_action().takes_values();
    if !values.is_empty() && takes_values {
        let _ = write!(out, " Possible values: {}.", values.join(", "));
    }
    // A switch's implied `false` or a counter's `0` says nothing.
    if !takes_values {
        out.push('\n');
        return;
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    if !defaults.is_empty() {
        let _ = write!(out, " Default: {}.", defaults.join(", "));
    }
    out.push('\n');
}

/// `-o, --output <FORMAT>`, `<PATH>...`, `-v, --verbose...`.
fn spelling(arg: &clap::Arg) -> String {
    let mut names = Vec::new();
    if let Some(short) = arg.get_short() {
        names.push(format!("-{short}"));
    }
    if let Some(long) = arg.get_long() {
        names.push(format!("--{long}"));
    }
    let takes = arg.get_action().takes_values();
    let value_names: Vec<String> = if takes {
        match arg.get_value_names() {
            Some(names) => names.iter().map(|n| format!("<{n}>")).collect(),
            None => vec![format!("<{}>", arg.get_id().as_str().to_uppercase())],
        }
    } else {
        Vec::new()
    };
    let repeats = matches!(
        arg.get_action(),
        clap::ArgAction::Append | clap::ArgAction::Count
    ) || arg.get_num_args().is_some_and(|n| n.max_values() > 1);
    let mut text = names.join(", ");
    if !value_names.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&value_names.join(" "));
    }
    if repeats {
        text.push_str("...");
    }
    text
}

/// The first paragraph of a command's description, for the summary table.
fn first_paragraph(command: &clap::Command) -> String {
    command
        .get_about()
        .map(|s| s.to_string())
        .unwrap_or_default()
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Help text as Markdown prose: `<`, `>` and `*` outside code spans are
/// escaped so that `<PATH>` or `*.domain` read as written.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.trim().split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        for c in part.chars() {
            match c {
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '*' => out.push_str("\\*"),
                _ => out.push(c),
            }
        }
    }
    out
}

/// Text for one table cell: prose on one line, `|` escaped.
fn table_cell(text: &str) -> String {
    prose(text).replace('\n', " ").replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_kind_has_a_row_and_a_section() {
        let page = findings_markdown();
        for kind in FindingKind::ALL {
            assert!(page.contains(&format!("| [`{0}`](#{0}) |", kind.name())));
            assert!(page.contains(&format!("\n## `{}`\n", kind.name())));
            assert!(page.contains(&prose(kind.remediation())));
        }
    }

    #[test]
    fn a_sensitive_severity_is_stated_only_where_it_differs() {
        let page = findings_markdown();
        let raised = FindingKind::ClassicalKeyExchange;
        assert_eq!(raised.sensitive_severity(), Some(Severity::High));
        assert!(page.contains(&format!("| [`{0}`](#{0}) | medium | high |", raised.name())));
        assert!(page.contains("Severity **medium**; **high** on sensitive endpoints."));
        let plain = FindingKind::QuantumVulnerableKey;
        assert_eq!(plain.sensitive_severity(), None);
        assert!(page.contains(&format!("| [`{0}`](#{0}) | low |  |", plain.name())));
    }

    #[test]
    fn prose_escapes_angle_brackets_outside_code_only() {
        assert_eq!(
            prose("one <PATH> and `a <b>` and *.x"),
            "one &lt;PATH&gt; and `a <b>` and \\*.x"
        );
    }
}
