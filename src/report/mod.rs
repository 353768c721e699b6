//! Reporters: human text (miette), concise lines, JSON, GitLab Code Quality, SARIF 2.1.0 and
//! GitHub workflow annotations.

mod codequality;
mod json;
mod lines;
pub mod page;
pub mod provenance;
mod sarif;
mod text;

use crate::Outcome;
use crate::diagnostic::Diagnostic;
use crate::load::FileSet;
use crate::source::LineCol;

pub use text::render_text;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Snippets with labels and a fix hint, for people.
    Text,
    /// Every finding with full positions (docs/json-format.md).
    Json,
    /// GitLab Code Quality report (`artifacts:reports:codequality`).
    Codequality,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow annotations (`::warning file=...::message`).
    Github,
    /// One line per finding: `path:line:col: severity[rule] message`.
    Concise,
}

/// Renders the outcome in `format`.
pub fn render(format: Format, outcome: &Outcome, color: bool) -> String {
    match format {
        Format::Text => render_text(outcome, color),
        Format::Json => json::render(outcome),
        Format::Codequality => codequality::render(outcome),
        Format::Sarif => sarif::render(outcome),
        Format::Github => lines::github(outcome),
        Format::Concise => lines::concise(outcome),
    }
}

/// The URL of a rule's documentation page.
pub fn rule_url(rule: &str) -> String {
    format!(
        "{}/-/blob/main/rules/{rule}.md",
        env!("CARGO_PKG_REPOSITORY").trim_end_matches('/')
    )
}

/// A finding with its file set, resolved positions and fingerprint.
pub struct Located<'a> {
    pub set: &'a FileSet,
    pub diag: &'a Diagnostic,
    pub path: &'a str,
    pub start: LineCol,
    pub end: LineCol,
    pub fingerprint: String,
}

/// Resolves positions and computes fingerprints: a hash of rule, file, job and subject (never a
/// line number, so a fingerprint survives unrelated edits), made unique by an occurrence count.
pub fn locate(outcome: &Outcome) -> Vec<Located<'_>> {
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    outcome
        .diagnostics
        .iter()
        .map(|(set_idx, d)| {
            let set = &outcome.analyses[*set_idx].set;
            let file = set.file(d.file);
            let base = format!(
                "{}\u{0}{}\u{0}{}\u{0}{}",
                d.rule,
                file.rel_path,
                d.job.as_deref().unwrap_or(""),
                if d.subject.is_empty() {
                    &d.message
                } else {
                    &d.subject
                }
            );
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            let key = if *n == 1 {
                base
            } else {
                format!("{base}\u{0}{n}")
            };
            Located {
                set,
                diag: d,
                path: &file.rel_path,
                start: file.line_col(d.span.start),
                end: file.line_col(d.span.end),
                fingerprint: fingerprint(&key),
            }
        })
        .collect()
}

/// 128-bit FNV-1a, hex: stable across runs, platforms and versions.
fn fingerprint(s: &str) -> String {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in s.bytes() {
        h ^= b as u128;
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    format!("{h:032x}")
}
