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
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

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
        // Whether each kind of pipeline can exist at all, decided once.
        let top = cx.top_vars();
        let possible: Vec<bool> = Kind::ALL
            .iter()
            .map(|&k| pipeline_runs(workflow, k, &top) != Runs::Never)
            .collect();
        let exists = |k: Kind| {
            Kind::ALL
                .iter()
                .position(|&x| x == k)
                .and_then(|i| possible.get(i).copied())
                .unwrap_or(false)
        };
        // Each job's status per kind, computed when first asked (most jobs never are).
        let statuses: RefCell<HashMap<usize, Rc<Vec<Runs>>>> = RefCell::new(HashMap::new());
        let status_of = |j: usize| -> Rc<Vec<Runs>> {
            if let Some(s) = statuses.borrow().get(&j) {
                return s.clone();
            }
            let vars = cx.vars(j, 0);
            let s: Rc<Vec<Runs>> = Rc::new(
                Kind::ALL
                    .iter()
                    .map(|&k| runs(&jobs[j], k, &vars))
                    .collect(),
            );
            statuses.borrow_mut().insert(j, s.clone());
            s
        };
        let idx = |k: Kind| Kind::ALL.iter().position(|&x| x == k).unwrap_or(0);
        // Per saved key and class of pipelines: whether a saver surely runs there, whether
        // one runs under a condition cachelint cannot decide, and why each may not run.
        let mut verdicts: HashMap<&str, Rc<Vec<Verdict>>> = HashMap::new();
        let mut verdict_of = |canonical: &'_ str| -> Rc<Vec<Verdict>> {
            if let Some(v) = verdicts.get(canonical) {
                return v.clone();
            }
            let mut savers: Vec<usize> = flow
                .under(canonical)
                .filter(|v| v.means_to_push())
                .map(|v| v.job)
                .collect();
            savers.dedup();
            let v: Rc<Vec<Verdict>> = Rc::new(
                CLASSES
                    .iter()
                    .map(|(_, kinds)| {
                        let mut verdict = Verdict::default();
                        for &j in &savers {
                            let p = status_of(j);
                            let here = || {
                                kinds
                                    .iter()
                                    .filter(|&&k| exists(k))
                                    .map(|&k| p.get(idx(k)).unwrap_or(&Runs::Never))
                            };
                            if here().any(|r| *r == Runs::Always) {
                                verdict.definite = true;
                            }
                            if here().any(|r| matches!(r, Runs::Maybe(Why::Condition(_)))) {
                                verdict.unknown = true;
                            }
                            if verdict.definite || verdict.unknown {
                                // The class is covered: no reason will be shown for it.
                                continue;
                            }
                            let why = here().find_map(|r| match r {
                                Runs::Maybe(w) => Some(w.clone()),
                                _ => None,
                            });
                            verdict.reasons.push((j, why));
                        }
                        verdict.any = !savers.is_empty();
                        verdict
                    })
                    .collect(),
            );
            if let Some(key) = flow
                .by_key
                .get_key_value(canonical)
                .map(|(k, _)| k.as_str())
            {
                verdicts.insert(key, v.clone());
            }
            v
        };
        let mut reported: HashSet<(FileId, Span)> = HashSet::new();
        for u in &flow.uses {
            if u.policy != Policy::Pull || !u.pulls() {
                continue;
            }
            let keys: Vec<Rc<Vec<Verdict>>> = std::iter::once(u.key.canonical.as_str())
                .chain(u.fallbacks.iter().map(|f| f.canonical.as_str()))
                .map(&mut verdict_of)
                .collect();
            if !keys.iter().any(|k| k.first().is_some_and(|v| v.any)) {
                continue; // nothing saves it: cache-pull-without-push
            }
            let q = status_of(u.job);
            for (ci, (class, kinds)) in CLASSES.iter().enumerate() {
                let pulls_in: Vec<Kind> = kinds
                    .iter()
                    .copied()
                    .filter(|&k| exists(k) && q.get(idx(k)).is_some_and(|r| *r != Runs::Never))
                    .collect();
                if pulls_in.is_empty() {
                    continue;
                }
                let here = keys.iter().filter_map(|k| k.get(ci));
                let (mut definite, mut unknown) = (false, false);
                let mut reasons: Vec<(usize, Option<Why>)> = Vec::new();
                for v in here {
                    definite |= v.definite;
                    unknown |= v.unknown;
                    for r in &v.reasons {
                        if r.0 != u.job && !reasons.iter().any(|x| x.0 == r.0) {
                            reasons.push(r.clone());
                        }
                    }
                }
                if definite || unknown || reasons.is_empty() {
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

/// What the savers of one key do in one class of pipelines.
#[derive(Clone, Debug, Default)]
struct Verdict {
    /// Some job saves the key at all.
    any: bool,
    /// A saver surely runs there.
    definite: bool,
    /// A saver runs there under a condition cachelint cannot decide.
    unknown: bool,
    /// Each saver, and why it may not run there (`None`: it does not run there).
    reasons: Vec<(usize, Option<Why>)>,
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
