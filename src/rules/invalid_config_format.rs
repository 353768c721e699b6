//! `invalid-config-format`: the top level of a CI file must be a mapping ("Invalid
//! configuration format").

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-config-format",
    severity: Severity::Error,
    category: Category::Yaml,
    summary: "A CI file whose top level is not a mapping of keys to values.",
    page: include_str!("../../rules/invalid-config-format.md"),
});

/// The document at `span` is not a mapping.
pub fn not_a_mapping(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        "the top level of a GitLab CI file must be a mapping of keys to values (\"Invalid configuration format\")",
    )
    .label("not a mapping")
    .help("write the configuration as `key: value` pairs, e.g. `job: {script: [make]}`")
    .subject("top-level")
}
