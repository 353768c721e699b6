//! The rules: one file per rule, holding its declaration ([`crate::diagnostic::RuleId`]), the
//! messages and fix hints of its findings, and, for a model rule, its check over the typed
//! model. The stages (yaml, load, resolve, model, suppression) report their findings through
//! the constructors of their rules' files; they never name a rule or choose a severity
//! themselves. [`registry`] lists them all.
//!
//! Two floors live here: the declarations and constructors of the stages' rules depend only on
//! `diagnostic` and `source` (the stages below call them), while the model checks, [`context`]
//! and [`registry`] sit above the model.

pub mod context;
pub mod flow;
pub mod registry;
pub mod tools;

// Model checks.
pub mod cache_artifact_overlap;
pub mod cache_dir_not_cached;
pub mod cache_fallback_key_unmatched;
pub mod cache_key_collision;
pub mod cache_key_per_pipeline;
pub mod cache_key_unsafe_variable;
pub mod cache_path_outside_project;
pub mod cache_pull_without_push;
pub mod cache_pusher_may_not_run;
pub mod cache_shared_across_runtimes;
pub mod cache_tool_not_redirected;
pub mod cache_unprotected;
pub mod cache_without_paths;
pub mod invalid_cache_key;
pub mod invalid_cache_policy;
pub mod invalid_cache_value;
pub mod invalid_cache_when;
pub mod too_many_cache_key_files;
pub mod too_many_caches;
pub mod too_many_fallback_keys;
pub mod unknown_cache_keyword;

// Checks over GitHub Actions workflows (`crate::gha`).
pub mod gha_cache_poisoning;
pub mod gha_double_cache;
pub mod gha_hashfiles_no_match;
pub mod gha_key_missing_runtime;
pub mod gha_key_without_lockfile;
pub mod gha_restore_keys_cross_env;
pub mod gha_same_key_different_path;
pub mod gha_save_always_deprecated;

// Reported by the stages.
pub mod conflicting_default;
pub mod duplicate_key;
pub mod expansion_too_large;
pub mod extends_cycle;
pub mod extends_too_deep;
pub mod interpolation_without_header;
pub mod invalid_config_format;
pub mod invalid_extends;
pub mod invalid_include;
pub mod invalid_input;
pub mod invalid_input_spec;
pub mod invalid_interpolation;
pub mod invalid_reference;
pub mod job_without_script;
pub mod reference_cycle;
pub mod too_many_includes;
pub mod too_many_parallel_jobs;
pub mod unknown_extends;
pub mod unresolved_include;
pub mod unresolved_reference;
pub mod unused_suppression;
pub mod yaml_disallowed_type;
pub mod yaml_ignored_document;
pub mod yaml_syntax;
pub mod yaml_too_deep;
pub mod yaml_too_large;

pub use context::{Rule, RuleContext};

use crate::diagnostic::Diagnostic;

/// Runs every model check. With a `clock`, how long each took goes to `timings`.
pub fn check(
    cx: &RuleContext<'_>,
    clock: Option<crate::util::Clock>,
    timings: &mut Vec<(String, std::time::Duration)>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in registry::MODEL_RULES {
        let start = clock.map(|c| c());
        rule.check(cx, &mut out);
        if let (Some(c), Some(s)) = (clock, start) {
            timings.push((format!("rule {}", rule.id()), c().saturating_sub(s)));
        }
    }
    out
}
