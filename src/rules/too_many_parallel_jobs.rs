//! `too-many-parallel-jobs`: `parallel` makes at most 200 jobs (`PARALLEL_LIMIT`), and a
//! `parallel` count is from 1 to 200.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "too-many-parallel-jobs",
    severity: Severity::Error,
    category: Category::Parallel,
    summary: "A parallel setting that makes more than 200 jobs, or a parallel count outside 1 to 200.",
    page: include_str!("../../rules/too-many-parallel-jobs.md"),
});

/// GitLab's `PARALLEL_LIMIT`.
pub const LIMIT: u64 = 200;

/// `parallel` (at `at`) of job `job` makes `count` jobs.
pub fn too_many(at: Loc, job: &str, count: u64) -> Diagnostic {
    Diagnostic::at(
        RULE,
        at,
        if count < 1 {
            format!("`parallel` must be a number from 1 to {LIMIT}")
        } else {
            format!("`parallel` generates {count} jobs; GitLab allows at most {LIMIT} (\"generates too many jobs (maximum is 200)\")")
        },
    )
    .label(format!("{count} jobs"))
    .help("split the matrix into several jobs, or drop combinations that are not needed")
    .job(job)
    .subject("parallel")
}
