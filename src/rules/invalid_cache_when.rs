//! `invalid-cache-when`: `on_success`, `on_failure` or `always` (`Entry::Cache`).

use super::context::{Rule, RuleContext, at, job_caches};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::util::suggest::did_you_mean;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-cache-when",
    severity: Severity::Error,
    category: Category::Cache,
    summary: "A cache `when` other than `on_success`, `on_failure` or `always`, which GitLab refuses.",
    page: include_str!("../../rules/invalid-cache-when.md"),
});

const WHENS: &[&str] = &["on_success", "on_failure", "always"];

pub struct InvalidCacheWhen;

impl Rule for InvalidCacheWhen {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in job_caches(cx) {
            let Some(when) = &cache.when else { continue };
            if when.value.is_string && WHENS.contains(&when.value.text.as_str()) {
                continue;
            }
            let suggestion = did_you_mean(&when.value.text, WHENS.iter().copied());
            out.push(
                at(
                    cx,
                    RULE,
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
