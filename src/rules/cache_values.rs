//! Rules about the other cache keywords: `too-many-fallback-keys`, `invalid-cache-policy`,
//! `invalid-cache-when`, `unknown-cache-keyword`, `cache-without-paths`, `invalid-cache-value`.

use super::{Rule, RuleContext, at, first_seen, job_variables, written_caches, written_jobs};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::variables::{Part, expand_go};
use crate::resolve::extends::did_you_mean;

/// `too-many-fallback-keys`: at most 5 (`Entry::Cache`, "has to many entries (maximum 5)").
pub struct TooManyFallbackKeys;

impl Rule for TooManyFallbackKeys {
    fn name(&self) -> &'static str {
        "too-many-fallback-keys"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in written_caches(cx) {
            let n = cache.fallback_keys.len();
            if n <= 5 {
                continue;
            }
            let origin = cache.fallback_keys[5].origin;
            out.push(
                    at(
                        cx,
                        self.name(),
                        Severity::Error,
                        &origin,
                        job,
                        format!("`fallback_keys` lists {n} keys; GitLab accepts at most 5 (\"has to many entries (maximum 5)\")"),
                    )
                    .label("the sixth key")
                    .help("keep the five most useful fallback keys, most specific first")
                    .subject(format!("fallback:{n}")),
                );
        }
    }
}

/// `invalid-cache-policy`: GitLab checks `policy` with an unanchored pattern
/// (`/pull-push|push|pull|\$\w{1,255}*/`), so `pull_push` or `pull-only` pass; the runner
/// expands it and fails the job on anything but `pull`, `push` or `pull-push`
/// (`Cache.CheckPolicy`: "unknown cache policy").
pub struct InvalidCachePolicy;

const POLICIES: &[&str] = &["pull", "push", "pull-push"];

impl Rule for InvalidCachePolicy {
    fn name(&self) -> &'static str {
        "invalid-cache-policy"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (ji, job) in written_jobs(cx) {
            let vars = job_variables(cx, ji);
            for cache in &job.caches {
                let Some(policy) = &cache.policy else {
                    continue;
                };
                let written = &policy.value.text;
                let parts = expand_go(written, vars);
                // A variable the configuration does not define: its value is unknown here.
                if parts.iter().any(|p| matches!(p, Part::Var { .. })) {
                    continue;
                }
                let value = crate::model::variables::display(&parts);
                if policy.value.is_string && POLICIES.contains(&value.as_str()) {
                    continue;
                }
                let accepted_by_gitlab = policy.value.is_string
                    && (written.contains("pull")
                        || written.contains("push")
                        || written.contains('$'));
                let message = if written != &value {
                    format!(
                        "cache policy `{written}` expands to `{value}`, which the runner rejects: the job fails with \"unknown cache policy\""
                    )
                } else if accepted_by_gitlab {
                    format!(
                        "cache policy `{written}` passes GitLab's check but the runner rejects it: the job fails with \"unknown cache policy\""
                    )
                } else {
                    format!(
                        "cache policy `{written}` is not valid; GitLab rejects the pipeline (\"should be a variable or one of: pull-push, push, pull\")"
                    )
                };
                let suggestion = did_you_mean(&value, POLICIES.iter().copied());
                out.push(
                    at(cx, self.name(), Severity::Error, &policy.origin, job, message)
                        .label("invalid policy")
                        .help(match suggestion {
                            Some(s) => format!("did you mean `{s}`? A policy is `pull`, `push` or `pull-push`"),
                            None => "use `pull` (restore only), `push` (save only) or `pull-push` (both, the default)".to_string(),
                        })
                        .subject(format!("policy:{written}")),
                );
            }
        }
    }
}

/// `invalid-cache-when`: `on_success`, `on_failure` or `always` (`Entry::Cache`).
pub struct InvalidCacheWhen;

const WHENS: &[&str] = &["on_success", "on_failure", "always"];

impl Rule for InvalidCacheWhen {
    fn name(&self) -> &'static str {
        "invalid-cache-when"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in written_caches(cx) {
            let Some(when) = &cache.when else { continue };
            if when.value.is_string && WHENS.contains(&when.value.text.as_str()) {
                continue;
            }
            let suggestion = did_you_mean(&when.value.text, WHENS.iter().copied());
            out.push(
                    at(
                        cx,
                        self.name(),
                        Severity::Error,
                        &when.origin,
                        job,
                        format!(
                            "cache `when: {}` is not valid; GitLab rejects the pipeline (\"should be one of: on_success, on_failure, always\")",
                            when.value.text
                        ),
                    )
                    .label("invalid `when`")
                    .help(match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "use `on_success` (the default), `on_failure` or `always`".to_string(),
                    })
                    .subject(format!("when:{}", when.value.text)),
                );
        }
    }
}

/// `unknown-cache-keyword`: a cache entry allows `key untracked paths when policy unprotect
/// fallback_keys` (`Entry::Cache::ALLOWED_KEYS`).
pub struct UnknownCacheKeyword;

const CACHE_KEYS: &[&str] = &[
    "key",
    "untracked",
    "paths",
    "when",
    "policy",
    "unprotect",
    "fallback_keys",
];

impl Rule for UnknownCacheKeyword {
    fn name(&self) -> &'static str {
        "unknown-cache-keyword"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in written_caches(cx) {
            for (key, loc) in &cache.keys {
                if CACHE_KEYS.contains(&key.as_str()) {
                    continue;
                }
                let origin = crate::model::Origin {
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
                            self.name(),
                            Severity::Error,
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

/// `cache-without-paths`: the runner skips a cache with neither `paths` nor `untracked: true`
/// ("Skip restoring cache if no cache is defined", `shells/abstract.go`).
pub struct CacheWithoutPaths;

impl Rule for CacheWithoutPaths {
    fn name(&self) -> &'static str {
        "cache-without-paths"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        // A cache written once (in `default:` or a template) is reported once.
        let mut seen = std::collections::HashSet::new();
        for (_, job, cache) in written_caches(cx) {
            if !first_seen(&mut seen, &cache.origin) {
                continue;
            }
            let untracked = cache.untracked.as_ref().is_some_and(|u| u.value);
            // `cache: {}` is the documented way to turn off an inherited cache; and a
            // misspelt keyword (`path:`) is reported by unknown-cache-keyword instead.
            let misspelt = cache
                .keys
                .iter()
                .any(|(k, _)| !CACHE_KEYS.contains(&k.as_str()));
            if !cache.paths.is_empty()
                || untracked
                || cache.malformed
                || cache.keys.is_empty()
                || misspelt
            {
                continue;
            }
            out.push(
                    at(
                        cx,
                        self.name(),
                        Severity::Warning,
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

/// `invalid-cache-value`: a cache keyword whose value has the wrong type (`Entry::Cache`:
/// `paths` and `fallback_keys` arrays of strings, `untracked` and `unprotect` booleans,
/// `policy` and `when` strings). GitLab rejects the pipeline.
pub struct InvalidCacheValue;

impl Rule for InvalidCacheValue {
    fn name(&self) -> &'static str {
        "invalid-cache-value"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        // A value written once (in `default:` or a template) is reported once.
        let mut seen = std::collections::HashSet::new();
        for (_, job, cache) in written_caches(cx) {
            if cache.malformed && first_seen(&mut seen, &cache.origin) {
                out.push(
                        at(
                            cx,
                            self.name(),
                            Severity::Error,
                            &cache.origin,
                            job,
                            "this cache is not a mapping of cache keywords: GitLab expects `cache:` to be a mapping (`key:`, `paths:`, ...) or a list of mappings, and rejects the pipeline".to_string(),
                        )
                        .label("not a mapping")
                        .help("write the cache as a mapping, e.g. `cache: {key: deps, paths: [vendor/]}`, or remove it")
                        .subject(format!("type:cache:{}", cache.index)),
                    );
            }
            for w in &cache.wrong_types {
                if !first_seen(&mut seen, &w.origin) {
                    continue;
                }
                let keyword = w.keyword;
                let what = if w.item {
                    format!("an item of `cache:{keyword}` is {}", w.found)
                } else {
                    format!("`cache:{keyword}` is {}", w.found)
                };
                let quoted = match w.expected {
                    "an array of strings" => " (\"should be an array of strings\")",
                    "a boolean value" => " (\"should be a boolean value\")",
                    _ => "",
                };
                let message = format!(
                    "{what}, but GitLab expects {}: it rejects the pipeline{quoted}",
                    w.expected
                );
                let help = match (keyword, w.found, w.item) {
                    ("paths" | "fallback_keys", "a string", false) => format!(
                        "write it as a list, even for one entry: `{keyword}: [...]` or one `- ` line per entry"
                    ),
                    ("paths" | "fallback_keys", _, true) => format!(
                        "every item of `{keyword}` must be a plain string: quote numbers, and do not nest lists or mappings"
                    ),
                    ("untracked" | "unprotect", "a string", _) => {
                        format!("write `{keyword}: true` or `{keyword}: false`, without quotes")
                    }
                    ("policy", _, _) => {
                        "give one policy: `pull`, `push` or `pull-push`".to_string()
                    }
                    ("when", _, _) => {
                        "give one value: `on_success`, `on_failure` or `always`".to_string()
                    }
                    _ => format!("give `{keyword}` {}", w.expected),
                };
                out.push(
                    at(cx, self.name(), Severity::Error, &w.origin, job, message)
                        .label(format!("not {}", w.expected))
                        .help(help)
                        .subject(format!("type:{keyword}")),
                );
            }
        }
    }
}
