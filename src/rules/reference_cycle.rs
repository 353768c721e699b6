//! `reference-cycle`: `!reference` tags that lead back to the value they started from.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "reference-cycle",
    severity: Severity::Error,
    category: Category::Reference,
    summary: "A chain of !reference tags that leads back to the value it started from.",
    page: include_str!("../../rules/reference-cycle.md"),
});

/// `!reference [path]` at `at` closes the cycle `chain` (each path as `[a, b]`).
pub fn cycle(at: Loc, path: &[String], chain: &[String], job: &str) -> Diagnostic {
    Diagnostic::at(
        RULE,
        at,
        format!(
            "`!reference [{}]` is part of a circular chain: {}",
            path.join(", "),
            chain.join(" → ")
        ),
    )
    .label("refers back to itself")
    .help("break the cycle: a value cannot include itself through `!reference`")
    .job(job)
    .subject(format!("cycle:{}", path.join(",")))
}
