//! `cache-without-paths`: the runner skips a cache with neither `paths` nor `untracked: true`
//! ("Skip restoring cache if no cache is defined", `shells/abstract.go`).

use super::context::{Rule, RuleContext, at, first_seen, job_caches};
use super::unknown_cache_keyword::CACHE_KEYS;
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-without-paths",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "A cache with neither `paths` nor `untracked: true`, which the runner skips.",
    page: include_str!("../../rules/cache-without-paths.md"),
});

pub struct CacheWithoutPaths;

impl Rule for CacheWithoutPaths {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        // A cache written once (in `default:` or a template) is reported once.
        let mut seen = std::collections::HashSet::new();
        for (_, job, cache) in job_caches(cx) {
            if !first_seen(&mut seen, &cache.origin) {
                continue;
            }
            let untracked = cache.untracked.as_ref().is_some_and(|u| u.value);
            // `cache: {}` is the documented way to turn off an inherited cache; and a
            // misspelt keyword (`path:`) is reported by unknown-cache-keyword instead.
            let misspelt = cache
                .written
                .iter()
                .any(|w| !CACHE_KEYS.contains(&w.name.as_str()));
            if !cache.paths.is_empty()
                || untracked
                || cache.malformed
                || cache.written.is_empty()
                || misspelt
            {
                continue;
            }
            out.push(
                at(
                    cx,
                    RULE,
                    &cache.origin,
                    job,
                    "this cache has no `paths` and no `untracked: true`: the runner skips it, so nothing is saved or restored".to_string(),
                )
                .label("no paths")
                .help("list the directories to cache under `paths:`, or remove the cache (`cache: []` also turns off an inherited default cache)")
                .subject(format!("no-paths:{}", cache.index)),
            );
        }
    }
}
