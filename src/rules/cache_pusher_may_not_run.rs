//! `cache-pusher-may-not-run`: a job restores a cache (`policy: pull`) that only jobs which may
//! not run save: every saver of the key is `when: manual`, runs only on `changes:`/`exists:`,
//! or runs only in pipelines whose caches are kept apart from the restoring job's (a saver on
//! the default branch, `-protected`, and a puller in merge request pipelines,
//! `-non_protected`). When the restoring job runs, the cache may not be there (gitlab#585130).
//!
//! Pipelines are reasoned about per kind ([`crate::model::conditions::Kind`]): the default
//! branch (protected), other branches and merge requests (unprotected). Tags and schedules
//! depend on settings cachelint cannot see and are left out. A saver whose run depends on a
//! value cachelint does not know (a variable of the project's settings, a branch name) makes
//! the rule silent.

use super::context::{Rule, RuleContext, at, primary};
use super::flow::{Policy, Use};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::conditions::{Kind, Runs, Why, pipeline_runs, runs};
use crate::source::{FileId, Span};
use std::collections::{HashMap, HashSet};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-pusher-may-not-run",
    severity: Severity::Info,
    category: Category::Cache,
    summary: "A job restores a cache that only manual, conditional or other-branch jobs save, so it may be missing when the job runs.",
    page: include_str!("../../rules/cache-pusher-may-not-run.md"),
});

pub struct CachePusherMayNotRun;

/// The kinds of pipeline that share caches: same protection suffix.
const CLASSES: [(&str, &[Kind]); 2] = [
    ("unprotected", &[Kind::Branch, Kind::MergeRequest]),
    ("protected", &[Kind::DefaultBranch]),
];

/// How many saving jobs a message names.
const NAMED: usize = 3;

impl Rule for CachePusherMayNotRun {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let flow = cx.flow();
        if flow.incomplete.is_some() {
            return;
        }
        let jobs = &cx.pipeline.jobs;
        let workflow = cx.pipeline.workflow.as_deref();
        let exists = |k: Kind| pipeline_runs(workflow, k, cx.top_vars()) != Runs::Never;
        // Each job's status per kind, computed once.
        let mut status: HashMap<usize, Vec<Runs>> = HashMap::new();
        let mut status_of = |j: usize| -> Vec<Runs> {
            status
                .entry(j)
                .or_insert_with(|| {
                    let vars = cx.vars(j, 0);
                    Kind::ALL
                        .iter()
                        .map(|&k| runs(&jobs[j], k, &vars))
                        .collect()
                })
                .clone()
        };
        let idx = |k: Kind| Kind::ALL.iter().position(|&x| x == k).unwrap_or(0);
        let mut reported: HashSet<(FileId, Span)> = HashSet::new();
        for u in &flow.uses {
            if u.policy != Policy::Pull || !u.pulls() {
                continue;
            }
            // The savers of the key or a fallback key, exactly (other savers whose keys may
            // be equal in some pipelines are not known to run anywhere in particular).
            let mut savers: Vec<&Use> = flow
                .under(&u.key.canonical)
                .chain(u.fallbacks.iter().flat_map(|f| flow.under(&f.canonical)))
                .filter(|v| v.means_to_push() && v.job != u.job)
                .collect();
            savers.dedup_by_key(|v| v.job);
            if savers.is_empty() {
                continue;
            }
            let q = status_of(u.job);
            for (class, kinds) in CLASSES {
                let pulls_in: Vec<Kind> = kinds
                    .iter()
                    .copied()
                    .filter(|&k| exists(k) && q[idx(k)] != Runs::Never)
                    .collect();
                if pulls_in.is_empty() {
                    continue;
                }
                let mut definite = false;
                let mut unknown = false;
                let mut reasons: Vec<(usize, Option<Why>)> = Vec::new();
                for v in &savers {
                    let p = status_of(v.job);
                    let here: Vec<&Runs> = kinds
                        .iter()
                        .filter(|&&k| exists(k))
                        .map(|&k| &p[idx(k)])
                        .collect();
                    if here.iter().any(|r| **r == Runs::Always) {
                        definite = true;
                        break;
                    }
                    if here
                        .iter()
                        .any(|r| matches!(r, Runs::Maybe(Why::Condition(_))))
                    {
                        unknown = true;
                    }
                    let why = here.iter().find_map(|r| match r {
                        Runs::Maybe(w) => Some(w.clone()),
                        _ => None,
                    });
                    reasons.push((v.job, why));
                }
                if definite || unknown {
                    continue;
                }
                let job = &jobs[u.job];
                let cache = &job.caches[u.cache];
                let anchor = cache
                    .policy
                    .as_ref()
                    .map_or(cache.key_origin(), |p| p.origin);
                if !reported.insert(primary(&anchor)) {
                    break;
                }
                out.push(report(cx, u, &pulls_in, class, &reasons, &anchor));
                break;
            }
        }
    }
}

fn report(
    cx: &RuleContext<'_>,
    u: &Use,
    pulls_in: &[Kind],
    class: &str,
    reasons: &[(usize, Option<Why>)],
    anchor: &crate::model::Origin,
) -> Diagnostic {
    let jobs = &cx.pipeline.jobs;
    let job = &jobs[u.job];
    let kinds: Vec<&str> = pulls_in.iter().map(|k| k.describe()).collect();
    let where_ = kinds.join(" and ");
    let predicate = |why: &Option<Why>| match why {
        Some(w) => w.describe().to_string(),
        None => format!(
            "does not run there (it saves only in pipelines of {} refs, whose caches these do not share)",
            if class == "protected" {
                "unprotected"
            } else {
                "protected"
            }
        ),
    };
    let message = if let [(j, why)] = reasons {
        format!(
            "job `{}` restores the cache key `{}` in {where_}, but the only job that saves it, `{}`, {}: the cache may be missing when `{}` runs",
            job.name,
            u.key.display,
            jobs[*j].name,
            predicate(why),
            job.name
        )
    } else {
        let mut list: Vec<String> = reasons
            .iter()
            .take(NAMED)
            .map(|(j, why)| format!("`{}` {}", jobs[*j].name, predicate(why)))
            .collect();
        if reasons.len() > NAMED {
            list.push(format!("and {} more", reasons.len() - NAMED));
        }
        format!(
            "job `{}` restores the cache key `{}` in {where_}, but none of the jobs that save it surely runs there ({}): the cache may be missing when `{}` runs",
            job.name,
            u.key.display,
            list.join("; "),
            job.name
        )
    };
    let mut d = at(cx, RULE, anchor, job, message).label("restores only");
    for (j, why) in reasons.iter().take(NAMED) {
        let (f, sp) = match why {
            Some(w) => primary(&w.origin()),
            None => {
                let run = &jobs[*j].run;
                let o = run
                    .rules
                    .as_ref()
                    .and_then(|r| r.first().map(|x| x.origin))
                    .or(run.only.as_ref().map(|o| o.origin))
                    .unwrap_or(jobs[*j].key_origin());
                primary(&o)
            }
        };
        d = d.with_label(f, sp, format!("`{}` saves it", jobs[*j].name));
    }
    d.help("let a job that always runs in these pipelines save the cache (`policy: pull-push`), or let this job save it too")
        .subject(format!("may-not-run:{}", u.key.display))
}
