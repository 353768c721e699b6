//! Which top-level keys are jobs (`Entry::Root#filter_jobs!`, `Entry::Jobs`): not a reserved
//! keyword, not hidden (a leading dot), and, for `default` and `workflow`, only when they look
//! like a job. A key that is not a job but has no `script`, `run` or `trigger` is reported
//! (`job-without-script`), with the keyword it was probably meant to be.

use super::Builder;
use crate::resolve::value::{REntry, RValue};
use crate::rules::job_without_script;
use crate::util::suggest::did_you_mean;

/// `Entry::Root::ALLOWED_KEYS`: never jobs, except `default` and `workflow`, which are jobs
/// when they look like one.
const ROOT_KEYS: &[&str] = &[
    "default",
    "include",
    "before_script",
    "image",
    "services",
    "after_script",
    "variables",
    "stages",
    "cache",
    "workflow",
    "types",
];
/// Job keywords (`Entry::Job::ALLOWED_KEYS` and `Processable`), for "did you mean".
const JOB_KEYS: &[&str] = &[
    "tags",
    "script",
    "image",
    "services",
    "start_in",
    "artifacts",
    "cache",
    "dependencies",
    "before_script",
    "after_script",
    "hooks",
    "coverage",
    "retry",
    "parallel",
    "timeout",
    "release",
    "id_tokens",
    "publish",
    "pages",
    "manual_confirmation",
    "run",
    "extends",
    "stage",
    "only",
    "except",
    "rules",
    "variables",
    "inherit",
    "allow_failure",
    "when",
    "needs",
    "resource_group",
    "environment",
    "interruptible",
    "trigger",
    "secrets",
];

impl Builder<'_, '_> {
    /// A visible job's value, or `None` for hidden jobs and keys that are not jobs.
    pub(super) fn job_value(&mut self, entry: &REntry, incomplete: bool) -> Option<RValue> {
        let ctx = self.ctx;
        let key = &*self.ctx.key(entry);
        let maybe_job = matches!(key, "default" | "workflow");
        if (ROOT_KEYS.contains(&key) && !maybe_job) || key.starts_with('.') {
            return None;
        }
        let is_job = ctx.is_map(&entry.value)
            && ["script", "run", "trigger"]
                .iter()
                .any(|k| ctx.has(&entry.value, k));
        if maybe_job {
            return is_job.then(|| entry.value.clone());
        }
        if !is_job {
            let keywords = ROOT_KEYS.iter().chain(JOB_KEYS.iter()).copied();
            let suggestion = did_you_mean(key, keywords);
            // A job may get its script from a file that could not be read (overriding a
            // template's job is common): then only a likely misspelt keyword is reported.
            if suggestion.is_none() && (incomplete || !ctx.set.unresolved.is_empty()) {
                return None;
            }
            self.diags.push(job_without_script::no_script(
                self.ctx.key_loc(entry),
                key,
                suggestion,
            ));
            return None;
        }
        Some(entry.value.clone())
    }
}
