//! `expansion-too-large`: `!reference` and `extends` copy values, and copies of copies grow
//! exponentially (a few hundred bytes of `!reference` can stand for millions of script lines).
//! GitLab bounds each file's YAML before expansion but not the expanded configuration: such a
//! pipeline takes GitLab as long as its size says, or times out. cachelint stops expanding at a
//! budget and checks the rest without the expansion.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "expansion-too-large",
    severity: Severity::Error,
    category: Category::Reference,
    summary: "`!reference` or `extends` that expand the configuration to more values than any real pipeline has.",
    page: include_str!("../../rules/expansion-too-large.md"),
});

/// How deep references may nest (a reference whose target holds a reference...): deeper than
/// any real configuration, shallow enough that resolving cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// What was being expanded when the budget ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Through {
    Reference,
    Extends,
    /// References nested deeper than cachelint follows.
    Depth,
}

/// Expanding at `at` (in the top-level entry `job`) would pass `budget` values.
pub fn too_large(at: Loc, through: Through, budget: u64, job: &str) -> Diagnostic {
    let message = match through {
        Through::Depth => format!(
            "this `!reference` is nested more than {} references deep: its target holds a reference whose target holds a reference... cachelint stops following it",
            MAX_DEPTH
        ),
        Through::Reference | Through::Extends => format!(
            "expanding this {} makes the configuration larger than {budget} values: copies of copies grow without bound; GitLab limits each file's YAML but not its expansion, so creating the pipeline takes as long as its size says or times out",
            if through == Through::Reference {
                "`!reference`"
            } else {
                "`extends`"
            }
        ),
    };
    Diagnostic::at(RULE, at, message)
    .label("expands too far")
    .help("reuse a template through `extends` or one `!reference` per job instead of references to lists that are themselves built from references; cachelint checks the rest without this expansion")
    .job(job)
    .subject("expansion")
}
