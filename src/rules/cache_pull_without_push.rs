//! `cache-pull-without-push`: a job restores a cache (`policy: pull`) under a key no job of
//! the pipeline saves, nor under any of its fallback keys. The runner looks the archive up,
//! finds nothing and goes on without a cache (`shells/abstract.go :: addExtractCacheCommand`,
//! "Failed to extract cache"), in every pipeline. Keys are compared as `cache-key-collision`
//! compares them (see [`super::flow`]), except that a variable stands for any text: the
//! pipeline that saved the cache may have had another branch, and a variable defined outside
//! the configuration may have any value. The rule stays silent when jobs it cannot see may
//! share the project's caches (an unread include, a child pipeline).

use super::context::{Rule, RuleContext, at, primary};
use super::flow::{Policy, Saved, Use};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};
use crate::util::paths::within;
use std::collections::HashMap;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-pull-without-push",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "A job restores a cache under a key that no job of the pipeline saves, so it never finds one.",
    page: include_str!("../../rules/cache-pull-without-push.md"),
});

pub struct CachePullWithoutPush;

/// How many jobs a message names; the others are counted.
const NAMED: usize = 3;

impl Rule for CachePullWithoutPush {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let flow = cx.flow();
        if flow.incomplete.is_some() {
            return;
        }
        let pushers: Vec<&Use> = flow.uses.iter().filter(|u| u.means_to_push()).collect();
        let saved = Saved::new(flow);
        // The pullers that find nothing, grouped by where their key is written.
        let mut groups: HashMap<(FileId, Span), Vec<&Use>> = HashMap::new();
        let mut order: Vec<(FileId, Span)> = Vec::new();
        for u in &flow.uses {
            if u.policy != Policy::Pull || !u.pulls() {
                continue;
            }
            if saved.can_find(&u.key.canonical)
                || u.fallbacks.iter().any(|f| saved.can_find(&f.canonical))
            {
                continue;
            }
            let job = &cx.pipeline.jobs[u.job];
            let at_key = primary(&job.caches[u.cache].key_origin());
            let group = groups.entry(at_key).or_insert_with(|| {
                order.push(at_key);
                Vec::new()
            });
            // One entry per job (its instances share the written key).
            if group.last().is_none_or(|l| l.job != u.job) {
                group.push(u);
            }
        }
        for place in order {
            let group = &groups[&place];
            report(cx, group, &pushers, out);
        }
    }
}

fn report(cx: &RuleContext<'_>, group: &[&Use], pushers: &[&Use], out: &mut Vec<Diagnostic>) {
    let jobs = &cx.pipeline.jobs;
    let first = group[0];
    let job = &jobs[first.job];
    let cache = &job.caches[first.cache];
    let mut names: Vec<String> = group
        .iter()
        .take(NAMED)
        .map(|u| format!("`{}`", jobs[u.job].name))
        .collect();
    if group.len() > NAMED {
        names.push(format!("{} more", group.len() - NAMED));
    }
    let who = match names.len() {
        1 => format!("job {}", names[0]),
        n => format!("jobs {} and {}", names[..n - 1].join(", "), names[n - 1]),
    };
    let fallbacks = if first.fallbacks.is_empty() {
        ""
    } else {
        " nor under its fallback keys"
    };
    let verb = if group.len() == 1 {
        "restores"
    } else {
        "restore"
    };
    let message = format!(
        "{who} {verb} the cache key `{}` (`policy: pull`), but no job of the pipeline saves under that key{fallbacks}: the restore never finds an archive",
        first.key.display
    );
    // The job that saves what this one expects, under another key: the likely intent.
    let filler = pushers.iter().copied().find(|p| {
        (!first.untracked || p.untracked)
            && first
                .paths
                .iter()
                .all(|x| p.paths.iter().any(|s| within(x, s)))
    });
    let key_origin = cache.key_origin();
    let mut d = at(cx, RULE, &key_origin, job, message).label(format!(
        "`{}`: nothing is saved under it",
        first.key.display
    ));
    if let Some(p) = &cache.policy {
        let (f, s) = primary(&p.origin);
        if (f, s) != primary(&key_origin) {
            d = d.with_label(f, s, "restores only");
        }
    }
    let help = match filler {
        Some(p) => {
            let pj = &jobs[p.job];
            let (f, s) = primary(&pj.caches[p.cache].key_origin());
            let paths: Vec<String> = p.paths.iter().map(|x| format!("`{x}`")).collect();
            d = d.with_label(
                f,
                s,
                format!(
                    "`{}` saves {} under `{}`",
                    pj.name,
                    paths.join(", "),
                    p.key.display
                ),
            );
            format!(
                "restore the key the job that fills this cache saves (`{}` saves it under `{}`), or let this job save it too (`policy: pull-push`)",
                pj.name, p.key.display
            )
        }
        None => "let a job save this key (a cache with these paths and `policy: pull-push` or `push`), or remove the cache from this job".to_string(),
    };
    out.push(d.help(help).subject(format!("pull:{}", first.key.display)));
}
