//! `extends-too-deep`: `Extendable::Entry::MAX_NESTING_LEVELS`: at most 10 ancestors.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "extends-too-deep",
    severity: Severity::Error,
    category: Category::Extends,
    summary: "More than 10 levels of extends above a job or template.",
    page: include_str!("../../rules/extends-too-deep.md"),
});

/// GitLab's `MAX_NESTING_LEVELS`.
pub const LIMIT: u32 = 10;

/// `name`'s `extends` (at `at`) has `height` levels above it.
pub fn too_deep(at: Loc, name: &str, height: u32) -> Diagnostic {
    Diagnostic::at(
        RULE,
        at,
        format!(
            "`{name}` has {height} levels of `extends` above it; GitLab allows at most {LIMIT} (\"nesting too deep in `extends`\")"
        ),
    )
    .label("too many levels")
    .help("flatten the chain: let a template extend several parents in a list instead of each extending the next")
    .job(name)
    .subject("extends-depth")
}
