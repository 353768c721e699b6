//! `too-many-caches`: GitLab accepts at most 4 caches per job (`Entry::Caches`,
//! `MULTIPLE_CACHE_LIMIT = 4`), counted after includes, `extends`, `!reference` and `default:`.

use super::context::{Rule, RuleContext, at, jobs, primary};
use crate::diagnostic::{Category, Diagnostic, Label, RuleDecl, RuleId, Severity};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "too-many-caches",
    severity: Severity::Error,
    category: Category::Cache,
    summary: "A job with more than 4 caches, which GitLab refuses.",
    page: include_str!("../../rules/too-many-caches.md"),
});

pub struct TooManyCaches;

const LIMIT: usize = 4;

impl Rule for TooManyCaches {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job) in jobs(cx) {
            let (Some(origin), n) = (&job.cache_origin, job.caches.len()) else {
                continue;
            };
            if n <= LIMIT {
                continue;
            }
            let mut d = at(
 cx,
 RULE,
 origin,
                job,
                format!(
                    "job `{}` has {n} caches; GitLab allows at most {LIMIT} and rejects the pipeline (\"no more than 4 caches can be created\")",
                    job.name
                ),
            )
            .label(format!("{n} caches"))
            .help("merge caches that share a key, or move some to another job; list each tool's cache directory under one cache's `paths`")
            .subject(format!("caches:{n}"));
            for c in &job.caches {
                let (file, span) = primary(&c.origin);
                d.labels.push(Label {
                    file,
                    span,
                    text: format!("cache {}", c.index + 1),
                    via: cx
                        .ctx
                        .hops(c.origin.chain)
                        .into_iter()
                        .map(|(v, _)| v)
                        .collect(),
                });
            }
            out.push(d);
        }
    }
}
