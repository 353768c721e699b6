//! `cache-unprotected`: `cache:unprotect: true` makes the cache read and write the
//! `-non_protected` archive on protected refs too (`Ci::Build#cache`: the suffix is
//! `protected` only when `!entry[:unprotect] && pipeline.protected_ref?`), so any branch or
//! merge request pipeline can plant what protected jobs restore.

use super::context::{Rule, RuleContext, at, first_seen, job_caches};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use std::collections::HashSet;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-unprotected",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "`unprotect: true` shares a cache between protected and unprotected refs, so any branch can plant files that protected jobs restore.",
    page: include_str!("../../rules/cache-unprotected.md"),
});

pub struct CacheUnprotected;

impl Rule for CacheUnprotected {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::new();
        for (_, job, cache) in job_caches(cx) {
            let Some(u) = &cache.unprotect else { continue };
            if !u.value || !first_seen(&mut seen, &u.origin) {
                continue;
            }
            out.push(
                at(
                    cx,
                    RULE,
                    &u.origin,
                    job,
                    "`unprotect: true`: protected and unprotected refs share this cache, so a pipeline of any branch or merge request can save files that jobs on protected branches and tags (deploys, releases) then restore".to_string(),
                )
                .label("shares the cache with unprotected refs")
                .help("remove `unprotect: true`; to start a branch from the default branch's cache, use `fallback_keys` (they keep the protection suffix)")
                .subject("unprotect"),
            );
        }
    }
}
