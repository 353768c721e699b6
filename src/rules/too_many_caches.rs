//! `too-many-caches`: GitLab accepts at most 4 caches per job (`Entry::Caches`,
//! `MULTIPLE_CACHE_LIMIT = 4`), counted after includes, `extends`, `!reference` and `default:`.

use super::{Rule, RuleContext, at, primary, written_jobs};
use crate::diagnostic::{Diagnostic, Label, Severity};

pub struct TooManyCaches;

const LIMIT: usize = 4;

impl Rule for TooManyCaches {
    fn name(&self) -> &'static str {
        "too-many-caches"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job) in written_jobs(cx) {
            let (Some(origin), n) = (&job.cache_origin, job.caches.len()) else {
                continue;
            };
            if n <= LIMIT {
                continue;
            }
            let mut d = at(
                cx,
                self.name(),
                Severity::Error,
                origin,
                job,
                format!(
                    "job `{}` has {n} caches; GitLab allows at most {LIMIT} and rejects the pipeline (\"no more than 4 caches can be created\")",
                    job.base
                ),
            )
            .label(format!("{n} caches"))
            .help("merge caches that share a key, or move some to another job; list each tool's cache directory under one cache's `paths`")
            .subject(format!("caches:{n}"));
            for c in &job.caches {
                let (file, span) = primary(&c.origin);
                let how: Vec<String> = cx
                    .ctx
                    .describe(c.origin.chain)
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect();
                d.labels.push(Label {
                    file,
                    span,
                    message: if how.is_empty() {
                        format!("cache {}", c.index + 1)
                    } else {
                        format!("cache {}, {}", c.index + 1, how.join(", "))
                    },
                });
            }
            out.push(d);
        }
    }
}
