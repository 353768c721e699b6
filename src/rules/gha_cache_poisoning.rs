//! `gha-cache-poisoning`: a job that publishes (release or tag triggers, a known publishing
//! action) and restores a cache, which any run on the default branch can have written; and a
//! `pull_request_target` job that runs the pull request's code and saves a cache in the base
//! branch's scope. After zizmor's `cache-poisoning` audit (docs/semantics.md).

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::gha::cache::{Cache, Kind};
use crate::gha::model::Job;
use crate::gha::{Context, WorkflowRule, key_text};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "gha-cache-poisoning",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "A cache restored in a job that publishes (release or tag triggers, a publishing action), or saved by a `pull_request_target` job that runs the pull request's code.",
    page: include_str!("../../rules/gha-cache-poisoning.md"),
});

pub struct GhaCachePoisoning;

/// Actions that publish what the job built (zizmor's list).
const PUBLISHERS: &[&str] = &[
    "pypa/gh-action-pypi-publish",
    "rubygems/release-gem",
    "jreleaser/release-action",
    "goreleaser/goreleaser-action",
    "softprops/action-gh-release",
    "release-drafter/release-drafter",
    "googleapis/release-please-action",
];

/// Why a job publishes: a publishing action (with its span) or a release trigger.
fn publishes(
    cx: &Context<'_>,
    w: usize,
    job: &Job,
) -> Option<(crate::source::FileId, crate::source::Span, String)> {
    if let Some(s) = job
        .steps
        .iter()
        .find(|s| PUBLISHERS.iter().any(|p| s.uses(p)))
    {
        let u = s.uses.as_ref()?;
        return Some((s.file, u.span, format!("it publishes with `{}`", u.action)));
    }
    // A release workflow: it runs only for releases and tags (or by hand). A workflow that also
    // runs for branches and pull requests publishes only from the jobs that do.
    // The workflow's own triggers: a reusable workflow called by a release workflow runs in
    // the caller's tag run, but its jobs are not the caller's publishing jobs.
    let file = cx.workflows[w].file;
    let triggers: Vec<&crate::gha::model::Trigger> = cx.workflows[w].triggers.iter().collect();
    let release_only = triggers.iter().all(|t| {
        t.name == "release"
            || (t.name == "push" && t.tags_only)
            || t.name == "workflow_dispatch"
            || t.name == "workflow_call"
    });
    if !release_only {
        return None;
    }
    if let Some(t) = triggers.iter().find(|t| t.name == "release") {
        return Some((file, t.span, "the workflow runs on `release`".into()));
    }
    if let Some(t) = triggers.iter().find(|t| t.tags_only) {
        return Some((file, t.span, "the workflow runs on tag pushes".into()));
    }
    None
}

/// Whether a job checks out the pull request's head.
fn checks_out_head(job: &Job) -> bool {
    job.steps.iter().any(|s| {
        s.uses("actions/checkout")
            && s.input("ref").is_some_and(|r| {
                let t = r.value.text.to_ascii_lowercase();
                t.contains("pull_request.head")
                    || t.contains("head_ref")
                    || t.contains("refs/pull/")
            })
    })
}

/// A cache saved by a `pull_request_target` job that checks out the pull request's head, whose
/// key the publishing cache `c` restores: the same setup action's cache (its key is made of the
/// same inputs), the same key, or a key that starts with one of `c`'s restore keys.
fn writers<'c>(cx: &'c Context<'_>, c: &Cache<'_>) -> Option<&'c Cache<'c>> {
    let text = |x: &Cache<'_>, t| key_text(&cx.key_parts(x, t));
    let key = c.key.map(|k| text(c, k));
    let prefixes: Vec<String> = c.restore_keys.iter().map(|r| text(c, r)).collect();
    cx.caches.iter().find(|w| {
        if !w.saves
            || !cx
                .triggers(w.workflow)
                .iter()
                .any(|t| t.name == "pull_request_target")
            || !checks_out_head(cx.job(w))
        {
            return false;
        }
        match (c.kind, w.kind) {
            (Kind::Setup(a), Kind::Setup(b)) => a == b,
            (Kind::Setup(_), _) | (_, Kind::Setup(_)) => false,
            _ => w.key.is_some_and(|wk| {
                let wk = text(w, wk);
                key.as_deref() == Some(wk.as_str())
                    || prefixes
                        .iter()
                        .any(|p| !p.is_empty() && !p.contains("${{") && wk.starts_with(p.as_str()))
            }),
        }
    })
}

impl WorkflowRule for GhaCachePoisoning {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for c in cx.own_caches() {
            let job = cx.job(c);
            let what = match c.kind {
                Kind::Setup(a) => format!("{a}'s cache"),
                _ => "this cache".to_string(),
            };
            if c.restores
                && let Some((file, span, why)) = publishes(cx, c.workflow, job)
            {
                let mut d = Diagnostic::new(
                        RULE,
                        c.step_ref.file,
                        c.on_span,
                        format!(
                            "{what} is restored in a job that publishes ({why}): a run on the default branch, or any code that ran in one, can have saved the entry it restores, and what it contains ends up in the release"
                        ),
                    )
                    .label("restores a cache")
                    .with_label(file, span, "publishes")
                    .job(job.id.clone())
                    .help("do not restore caches in jobs that publish: turn the cache off here (or use `lookup-only`) and build the release from a clean state");
                // Beyond the trigger: a job that pull requests control saves what this restores.
                if let Some(w) = writers(cx, c) {
                    d = d.with_label(
                        w.step_ref.file,
                        w.on_span,
                        "a `pull_request_target` job that runs the pull request's code saves the same key here",
                    );
                }
                out.push(d);
                continue;
            }
            let prt = cx
                .triggers(c.workflow)
                .into_iter()
                .find(|t| t.name == "pull_request_target");
            if c.saves
                && let Some(t) = prt
                && checks_out_head(job)
            {
                out.push(
                    Diagnostic::new(
                        RULE,
                        c.step_ref.file,
                        c.on_span,
                        format!(
                            "{what} is saved by a `pull_request_target` job that checks out the pull request's code: the entry is saved in the base branch's scope, where pushes to it and releases restore it"
                        ),
                    )
                    .label("saves a cache")
                    .with_label(cx.workflows[c.workflow].file, t.span, "runs for pull requests in the base branch's context")
                    .job(job.id.clone())
                    .help("do not save caches in `pull_request_target` jobs (use `actions/cache/restore`, or run the pull request's code in a `pull_request` workflow)"),
                );
            }
        }
    }
}
