//! `yaml-ignored-document`: GitLab reads a second YAML document only when the first is a
//! `spec:` header; anything after a second `---` is silently dropped.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "yaml-ignored-document",
    severity: Severity::Warning,
    category: Category::Yaml,
    summary: "A second YAML document (after a `---` line) that GitLab silently never reads.",
    page: include_str!("../../rules/yaml-ignored-document.md"),
});

/// The `---` at `at` starts a document GitLab never loads.
pub fn ignored(file: FileId, at: u32) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        Span::new(at, at + 3),
        "GitLab ignores everything after this line: a second YAML document is read only when the first is a `spec:` header",
    )
    .label("the document after this is never loaded")
    .help("remove this `---` line so that both parts form one document")
    .subject("second-document")
}
