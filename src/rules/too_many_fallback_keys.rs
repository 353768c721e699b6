//! `too-many-fallback-keys`: at most 5 `fallback_keys` (`Entry::Cache`, "has to many entries
//! (maximum 5)").

use super::context::{Rule, RuleContext, at, job_caches};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "too-many-fallback-keys",
    severity: Severity::Error,
    category: Category::Cache,
    summary: "A cache with more than 5 `fallback_keys`, which GitLab refuses.",
    page: include_str!("../../rules/too-many-fallback-keys.md"),
});

/// GitLab's limit.
const LIMIT: usize = 5;

pub struct TooManyFallbackKeys;

impl Rule for TooManyFallbackKeys {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in job_caches(cx) {
            let n = cache.fallback_keys.len();
            if n <= LIMIT {
                continue;
            }
            let origin = cache.fallback_keys[LIMIT].origin;
            out.push(
                at(
                    cx,
                    RULE,
                    &origin,
                    job,
                    format!("`fallback_keys` lists {n} keys; GitLab accepts at most {LIMIT} (\"has to many entries (maximum 5)\")"),
                )
                .label("the sixth key")
                .help("keep the five most useful fallback keys, most specific first")
                .subject(format!("fallback:{n}")),
            );
        }
    }
}
