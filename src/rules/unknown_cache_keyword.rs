//! `unknown-cache-keyword`: a cache entry allows `key untracked paths when policy unprotect
//! fallback_keys` (`Entry::Cache::ALLOWED_KEYS`).

use super::context::{Rule, RuleContext, at, job_caches};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::Origin;
use crate::util::suggest::did_you_mean;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "unknown-cache-keyword",
    severity: Severity::Error,
    category: Category::Cache,
    summary: "A key inside a cache entry that is not a cache keyword, which GitLab refuses.",
    page: include_str!("../../rules/unknown-cache-keyword.md"),
});

/// The keywords of a cache entry.
pub const CACHE_KEYS: &[&str] = &[
    "key",
    "untracked",
    "paths",
    "when",
    "policy",
    "unprotect",
    "fallback_keys",
];

pub struct UnknownCacheKeyword;

impl Rule for UnknownCacheKeyword {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in job_caches(cx) {
            for w in &cache.written {
                let (key, loc) = (&w.name, &w.key);
                if CACHE_KEYS.contains(&key.as_str()) {
                    continue;
                }
                let origin = Origin {
                    loc: *loc,
                    key: Some(*loc),
                    alias: None,
                    chain: cache.origin.chain,
                };
                let suggestion = did_you_mean(key, CACHE_KEYS.iter().copied())
                    .or_else(|| (key == "path").then_some("paths"));
                out.push(
                    at(
                        cx,
                        RULE,
                        &origin,
                        job,
                        format!("`{key}` is not a cache keyword; GitLab rejects the pipeline (\"cache config contains unknown keys: {key}\")"),
                    )
                    .label("unknown keyword")
                    .help(match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("a cache entry takes {}", CACHE_KEYS.join(", ")),
                    })
                    .subject(format!("keyword:{key}")),
                );
            }
        }
    }
}
