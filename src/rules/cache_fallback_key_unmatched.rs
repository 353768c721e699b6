//! `cache-fallback-key-unmatched`: a fallback key that can never find an archive.
//!
//! - A `fallback_keys` entry under which no job of the pipeline saves (compared as
//!   `cache-pull-without-push` compares keys: a variable stands for any text). GitLab appends
//!   the job's cache index and protection suffix to fallback keys as to keys
//!   (`Ci::Build#cache`), so they meet the keys jobs save.
//! - `CACHE_FALLBACK_KEY`: the runner uses it as written, without the `-protected` or
//!   `-non_protected` suffix GitLab gives every saved key while the project keeps protected
//!   caches apart (the default), and refuses one that ends in `-protected`
//!   (`shells/abstract.go`, "CACHE_FALLBACK_KEY %q not allowed to end in %q").

use super::context::{Rule, RuleContext, at, first_seen, jobs};
use super::flow::{Policy, Saved};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::Shape;
use crate::model::variables::{Part, display, expand_go};
use std::collections::HashSet;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-fallback-key-unmatched",
    severity: Severity::Info,
    category: Category::Cache,
    summary: "A fallback key (`fallback_keys` or `CACHE_FALLBACK_KEY`) that no cache of the pipeline can ever be saved under.",
    page: include_str!("../../rules/cache-fallback-key-unmatched.md"),
});

pub struct CacheFallbackKeyUnmatched;

impl Rule for CacheFallbackKeyUnmatched {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::new();
        global_fallback(cx, &mut seen, out);
        let flow = cx.flow();
        if flow.incomplete.is_some() {
            return;
        }
        let saved = Saved::new(flow);
        for u in &flow.uses {
            // More than five is refused by GitLab (too-many-fallback-keys).
            if !u.pulls() || u.fallbacks.is_empty() || u.fallbacks.len() > 5 {
                continue;
            }
            // A job that restores only and finds nothing under any key is reported once, by
            // cache-pull-without-push.
            if u.policy == Policy::Pull
                && !saved.can_find(&u.key.canonical)
                && !u.fallbacks.iter().any(|f| saved.can_find(&f.canonical))
            {
                continue;
            }
            let job = &cx.pipeline.jobs[u.job];
            let cache = &job.caches[u.cache];
            // A list GitLab refuses (invalid-cache-value) is not worth matching.
            let valid = cache
                .written
                .iter()
                .filter(|w| w.name == "fallback_keys")
                .all(|w| w.shape == Shape::List && w.items.iter().all(|(s, _)| *s == Shape::Str));
            if !valid {
                continue;
            }
            for (f, written) in u.fallbacks.iter().zip(&cache.fallback_keys) {
                if saved.can_find(&f.canonical) || !first_seen(&mut seen, &written.origin) {
                    continue;
                }
                out.push(
                    at(
                        cx,
                        RULE,
                        &written.origin,
                        job,
                        format!(
                            "no job of the pipeline saves a cache under `{}`, so this fallback key never finds an archive",
                            f.display
                        ),
                    )
                    .label("never saved")
                    .help("name a key some job saves (most often the default branch's: the key with the branch variable replaced by its name)")
                    .subject(format!("fallback:{}", f.display)),
                );
            }
        }
    }
}

/// `CACHE_FALLBACK_KEY` set in the configuration.
fn global_fallback(
    cx: &RuleContext<'_>,
    seen: &mut HashSet<(crate::source::FileId, crate::source::Span)>,
    out: &mut Vec<Diagnostic>,
) {
    for (ji, job) in jobs(cx) {
        if job.caches.is_empty() {
            continue;
        }
        let Some(var) = job
            .variables
            .iter()
            .find(|v| v.name == "CACHE_FALLBACK_KEY")
        else {
            continue;
        };
        if !first_seen(seen, &var.origin) {
            continue;
        }
        let vars = cx.vars(ji, 0);
        let parts = if var.expand {
            expand_go(&var.value, &vars)
        } else {
            vec![Part::Text(var.value.clone())]
        };
        // The end of the value decides; an unknown variable there may end it either way.
        let tail = match parts.last() {
            Some(Part::Text(t)) => t.trim_end_matches(['.', ' ']),
            _ => continue,
        };
        let value = display(&parts);
        let (message, label) = if tail.ends_with("-non_protected") {
            continue;
        } else if tail.ends_with("-protected") {
            (
                format!(
                    "the runner refuses `CACHE_FALLBACK_KEY` `{value}` because it ends in `-protected` (\"not allowed to end in\"): it would let unprotected pipelines read protected caches"
                ),
                "refused by the runner",
            )
        } else {
            (
                format!(
                    "`CACHE_FALLBACK_KEY` `{value}` is used as written, but GitLab saves every cache under a key ending in `-protected` or `-non_protected` (separate caches for protected branches, the default): this fallback never finds an archive"
                ),
                "no `-protected` or `-non_protected` suffix",
            )
        };
        out.push(
            at(cx, RULE, &var.origin, job, message)
                .label(label)
                .help("use `cache:fallback_keys` instead: GitLab gives them the same index and protection suffix as the job's key")
                .subject("CACHE_FALLBACK_KEY"),
        );
    }
}
