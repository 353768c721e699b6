//! `invalid-cache-policy`: GitLab checks `policy` with an unanchored pattern
//! (`/pull-push|push|pull|\$\w{1,255}*/`), so `pull_push` or `pull-only` pass; the runner
//! expands it and fails the job on anything but `pull`, `push` or `pull-push`
//! (`Cache.CheckPolicy`: "unknown cache policy").

use super::context::{Rule, RuleContext, at, jobs};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::variables::{Part, display, expand_go};
use crate::util::suggest::did_you_mean;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-cache-policy",
    severity: Severity::Error,
    category: Category::Cache,
    summary: "A cache `policy` other than `pull`, `push` or `pull-push`, refused by GitLab or by the runner.",
    page: include_str!("../../rules/invalid-cache-policy.md"),
});

const POLICIES: &[&str] = &["pull", "push", "pull-push"];

pub struct InvalidCachePolicy;

impl Rule for InvalidCachePolicy {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (ji, job) in jobs(cx) {
            let vars = cx.vars(ji, 0);
            for cache in &job.caches {
                let Some(policy) = &cache.policy else {
                    continue;
                };
                let written = &policy.value.text;
                let parts = expand_go(written, &vars);
                // A variable the configuration does not define: its value is unknown here.
                if parts.iter().any(|p| matches!(p, Part::Var { .. })) {
                    continue;
                }
                let value = display(&parts);
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
                    at(cx, RULE, &policy.origin, job, message)
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
