//! `duplicate-key`: a key written twice in one mapping. Psych keeps the later value at the first
//! key's position, silently (docs/psych-behaviour.md).

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "duplicate-key",
    severity: Severity::Warning,
    category: Category::Yaml,
    summary: "A key written twice in one mapping; the later value silently replaces the earlier one.",
    page: include_str!("../../rules/duplicate-key.md"),
});

/// `name` is written again at `key`; it was first written at `first`.
pub fn duplicate(file: FileId, key: Span, first: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        key,
        format!("duplicate key `{name}`: this value replaces the earlier one"),
    )
    .label("duplicate key")
    .with_label(file, first, "first defined here")
    .help(format!(
        "remove one of the two `{name}` keys, or merge their contents"
    ))
    .subject(format!("key:{name}"))
}
