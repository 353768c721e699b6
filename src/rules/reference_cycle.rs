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

/// `!reference [path]` at `at` closes the cycle `chain` (the paths on the way, `path` last).
pub fn cycle(at: Loc, path: &[String], chain: &[&[String]], job: &str) -> Diagnostic {
    let chain: Vec<String> = chain
        .iter()
        .map(|p| format!("[{}]", p.join(", ")))
        .collect();
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
