//! `cache-key-per-pipeline`: a cache key built from a value that is new in every pipeline or
//! job (`$CI_COMMIT_SHA`, `$CI_PIPELINE_ID`, `$CI_JOB_ID`, ...). No later pipeline computes the
//! same key, so the cache is never restored across pipelines; inside one pipeline, artifacts
//! are the documented way to pass files.

use super::context::{Rule, RuleContext, at, first_seen, jobs};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::CacheKey;
use crate::model::variables::{Part, expand_go};
use std::collections::HashSet;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-key-per-pipeline",
    severity: Severity::Info,
    category: Category::Cache,
    summary: "A cache key built from a value that changes in every pipeline or job, so no later pipeline restores it.",
    page: include_str!("../../rules/cache-key-per-pipeline.md"),
});

pub struct CacheKeyPerPipeline;

/// Predefined variables with a new value in every pipeline (or every job), and what they
/// are new in.
const FRESH: &[(&str, &str)] = &[
    ("CI_COMMIT_SHA", "commit"),
    ("CI_COMMIT_SHORT_SHA", "commit"),
    ("CI_BUILD_REF", "commit"),
    ("CI_PIPELINE_ID", "pipeline"),
    ("CI_PIPELINE_IID", "pipeline"),
    ("CI_PIPELINE_CREATED_AT", "pipeline"),
    ("CI_JOB_ID", "job"),
    ("CI_BUILD_ID", "job"),
    ("CI_JOB_STARTED_AT", "job"),
];

impl Rule for CacheKeyPerPipeline {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = HashSet::new();
        for (ji, job) in jobs(cx) {
            let vars = cx.vars(ji, 0);
            for cache in &job.caches {
                let (text, origin) = match &cache.key {
                    CacheKey::Literal(k) if k.value.is_string => (&k.value.text, k.origin),
                    CacheKey::Files {
                        prefix: Some(p), ..
                    } if p.value.is_string => (&p.value.text, p.origin),
                    _ => continue,
                };
                let parts = expand_go(text, &vars);
                let Some((name, per)) = parts.iter().find_map(|p| match p {
                    Part::Var { name, .. } => FRESH.iter().find(|(n, _)| n == name).copied(),
                    Part::Text(_) => None,
                }) else {
                    continue;
                };
                if !first_seen(&mut seen, &origin) {
                    continue;
                }
                let message = format!(
                    "the cache key `{text}` uses `${name}`, which is new in every {per}: no later pipeline computes this key, so the cache is saved and never restored"
                );
                out.push(
                    at(cx, RULE, &origin, job, message)
                        .label(format!("new in every {per}"))
                        .help("key the cache on what its content depends on (`key: files: [lock file]`, `$CI_COMMIT_REF_SLUG`), or pass files to later jobs of the pipeline with `artifacts:`")
                        .subject(format!("fresh:{text}")),
                );
            }
        }
    }
}
