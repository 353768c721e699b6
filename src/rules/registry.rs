//! Every rule, in the order `cachelint rules` lists them, and the model checks in the order
//! they run. A new rule is one file under `src/rules/` (see docs/architecture.md), one page in
//! `rules/`, and one line in each list here that applies; `tests/rule_docs.rs` proves that the
//! lists, the files and the pages agree.

use super::*;
use crate::diagnostic::RuleId;

/// Every rule the tool can report: the model checks first, then the rules the stages report.
pub static ALL: &[RuleId] = &[
    cache_key_collision::RULE,
    too_many_caches::RULE,
    cache_path_outside_project::RULE,
    cache_artifact_overlap::RULE,
    invalid_cache_key::RULE,
    cache_key_unsafe_variable::RULE,
    too_many_cache_key_files::RULE,
    too_many_fallback_keys::RULE,
    invalid_cache_policy::RULE,
    invalid_cache_when::RULE,
    unknown_cache_keyword::RULE,
    cache_without_paths::RULE,
    invalid_cache_value::RULE,
    cache_pull_without_push::RULE,
    cache_pusher_may_not_run::RULE,
    cache_shared_across_runtimes::RULE,
    cache_key_per_pipeline::RULE,
    cache_unprotected::RULE,
    cache_fallback_key_unmatched::RULE,
    cache_tool_not_redirected::RULE,
    cache_dir_not_cached::RULE,
    gha_hashfiles_no_match::RULE,
    gha_key_missing_runtime::RULE,
    gha_restore_keys_cross_env::RULE,
    gha_key_without_lockfile::RULE,
    gha_same_key_different_path::RULE,
    gha_double_cache::RULE,
    gha_cache_poisoning::RULE,
    gha_save_always_deprecated::RULE,
    yaml_syntax::RULE,
    yaml_disallowed_type::RULE,
    yaml_too_large::RULE,
    yaml_too_deep::RULE,
    yaml_ignored_document::RULE,
    invalid_config_format::RULE,
    duplicate_key::RULE,
    invalid_include::RULE,
    unresolved_include::RULE,
    too_many_includes::RULE,
    invalid_input::RULE,
    invalid_input_spec::RULE,
    invalid_interpolation::RULE,
    interpolation_without_header::RULE,
    unknown_extends::RULE,
    extends_cycle::RULE,
    extends_too_deep::RULE,
    invalid_extends::RULE,
    unresolved_reference::RULE,
    reference_cycle::RULE,
    invalid_reference::RULE,
    expansion_too_large::RULE,
    conflicting_default::RULE,
    job_without_script::RULE,
    too_many_parallel_jobs::RULE,
    unused_suppression::RULE,
];

/// The checks over the model, in the order they run.
pub static MODEL_RULES: &[&dyn Rule] = &[
    &too_many_caches::TooManyCaches,
    &cache_key_collision::CacheKeyCollision,
    &cache_path_outside_project::CachePathOutsideProject,
    &cache_artifact_overlap::CacheArtifactOverlap,
    &invalid_cache_key::InvalidCacheKey,
    &cache_key_unsafe_variable::CacheKeyUnsafeVariable,
    &too_many_cache_key_files::TooManyCacheKeyFiles,
    &too_many_fallback_keys::TooManyFallbackKeys,
    &invalid_cache_policy::InvalidCachePolicy,
    &invalid_cache_when::InvalidCacheWhen,
    &unknown_cache_keyword::UnknownCacheKeyword,
    &cache_without_paths::CacheWithoutPaths,
    &invalid_cache_value::InvalidCacheValue,
    &cache_pull_without_push::CachePullWithoutPush,
    &cache_pusher_may_not_run::CachePusherMayNotRun,
    &cache_shared_across_runtimes::CacheSharedAcrossRuntimes,
    &cache_key_per_pipeline::CacheKeyPerPipeline,
    &cache_unprotected::CacheUnprotected,
    &cache_fallback_key_unmatched::CacheFallbackKeyUnmatched,
    &cache_tool_not_redirected::CacheToolNotRedirected,
    &cache_dir_not_cached::CacheDirNotCached,
];

/// The checks over GitHub Actions workflows, in the order they run.
pub static WORKFLOW_RULES: &[&dyn crate::gha::WorkflowRule] = &[
    &gha_hashfiles_no_match::GhaHashfilesNoMatch,
    &gha_key_missing_runtime::GhaKeyMissingRuntime,
    &gha_restore_keys_cross_env::GhaRestoreKeysCrossEnv,
    &gha_key_without_lockfile::GhaKeyWithoutLockfile,
    &gha_same_key_different_path::GhaSameKeyDifferentPath,
    &gha_double_cache::GhaDoubleCache,
    &gha_cache_poisoning::GhaCachePoisoning,
    &gha_save_always_deprecated::GhaSaveAlwaysDeprecated,
];

/// The rule named `name`.
pub fn by_name(name: &str) -> Option<RuleId> {
    ALL.iter().copied().find(|r| r.name() == name)
}

/// Every rule name, for "did you mean".
pub fn names() -> impl Iterator<Item = &'static str> {
    ALL.iter().map(|r| r.name())
}
