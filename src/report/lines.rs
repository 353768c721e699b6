//! One-line formats: `concise` for people and editors, `github` for GitHub Actions annotations.

use super::locate;
use super::text::escape_controls;
use crate::Outcome;
use crate::diagnostic::Severity;

/// `path:line:col: severity[rule] message`, one line per finding: line breaks and other
/// control characters in a path or a message are written as escapes.
pub fn concise(outcome: &Outcome) -> String {
    let mut out = String::new();
    for f in locate(outcome) {
        out.push_str(&format!(
            "{}:{}:{}: {}[{}] {}\n",
            escape_controls(f.path),
            f.start.line,
            f.start.col,
            f.diag.severity.as_str(),
            f.diag.rule,
            escape_controls(&f.diag.message)
        ));
    }
    out
}

/// GitHub's workflow command escaping for a message (`%`, CR, LF).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The same for a property value (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=...,line=...,col=...,endLine=...,endColumn=...,title=rule::message`
pub fn github(outcome: &Outcome) -> String {
    let mut out = String::new();
    for f in locate(outcome) {
        let level = match f.diag.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = f.diag.message.clone();
        if let Some(h) = &f.diag.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        out.push_str(&format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
            escape_property(f.path),
            f.start.line,
            f.start.col,
            f.end.line,
            f.end.col,
            escape_property(&format!("cachelint {}", f.diag.rule)),
            escape_data(&message)
        ));
    }
    out
}
