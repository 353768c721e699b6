//! `extends-cycle`: a chain of `extends` that leads back to where it started ("circular
//! dependency detected in `extends`").

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "extends-cycle",
    severity: Severity::Error,
    category: Category::Extends,
    summary: "A chain of extends that leads back to where it started.",
    page: include_str!("../../rules/extends-cycle.md"),
});

/// The cycle `names` (the first repeated at the end) closes at `site`, in `job`.
pub fn cycle(site: Loc, names: &[String], job: &str) -> Diagnostic {
    Diagnostic::at(
        RULE,
        site,
        format!(
            "circular `extends`: {} (\"circular dependency detected in `extends`\")",
            names.join(" → ")
        ),
    )
    .label("closes the cycle")
    .help("remove one of these `extends` so that the chain ends")
    .job(job)
    .subject(format!("cycle:{}", names.join(">")))
}
