//! `invalid-extends`: an `extends` value that is not a name or a list of names, or a parent that
//! is not a mapping of keywords.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-extends",
    severity: Severity::Error,
    category: Category::Extends,
    summary: "An extends of a key that is not a mapping, or an extends value that is not a list of names.",
    page: include_str!("../../rules/invalid-extends.md"),
});

/// `name`'s `extends` has a value at `at` that is not a job name.
pub fn not_a_name(at: Loc, name: &str) -> Diagnostic {
    Diagnostic::at(
        RULE,
        at,
        format!("`{name}`: `extends` must be a job name or a list of job names"),
    )
    .label("not a job name")
    .help("write `extends: .template` or `extends: [.a, .b]`")
    .job(name)
    .subject("extends-value")
}

/// `name` extends `parent` at `site`, and `parent` (defined at `defined`) is not a mapping.
pub fn parent_not_a_mapping(
    site: Loc,
    name: &str,
    parent: &str,
    defined: Option<Loc>,
) -> Diagnostic {
    let mut d = Diagnostic::at(
        RULE,
        site,
        format!("`{name}` cannot extend `{parent}`: `{parent}` is not a mapping of keywords"),
    )
    .label("not a mapping")
    .help("extend a job or a hidden template (`.name:` followed by keywords)")
    .job(name)
    .subject(format!("extends:{parent}"));
    if let Some(l) = defined {
        d = d.with_label(l.file, l.span, format!("`{parent}` is defined here"));
    }
    d
}
