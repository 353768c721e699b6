//! `gha-hashfiles-no-match`: a `hashFiles(...)` in a cache key or restore key that matches no
//! file of the repository, so it evaluates to `''` and the key never changes; and patterns
//! that point outside the workspace, which `hashFiles` ignores.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::gha::cache::Kind;
use crate::gha::expr::Part;
use crate::gha::hashfiles::{self, Outside};
use crate::gha::{Context, WorkflowRule};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "gha-hashfiles-no-match",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "A `hashFiles(...)` in a cache key that matches no file of the repository (it evaluates to `''`, so the key never changes), or a pattern outside the workspace.",
    page: include_str!("../../rules/gha-hashfiles-no-match.md"),
});

pub struct GhaHashfilesNoMatch;

impl WorkflowRule for GhaHashfilesNoMatch {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let mut seen = std::collections::HashSet::new();
        for c in cx.own_caches() {
            if matches!(c.kind, Kind::Setup(_)) {
                continue;
            }
            let job = cx.job(c);
            let templates = c.key.into_iter().chain(c.restore_keys.iter());
            for t in templates {
                for comp in &t.comps {
                    let Part::HashFiles(args) = &comp.part else {
                        continue;
                    };
                    if !seen.insert((c.step_ref.file, comp.span)) {
                        continue;
                    }
                    let Some(patterns) = args.iter().cloned().collect::<Option<Vec<String>>>()
                    else {
                        continue;
                    };
                    // Patterns that cannot match a workspace file: known without the files.
                    let mut outside_all = !patterns.is_empty();
                    for p in patterns.iter().flat_map(|a| a.lines()).map(str::trim) {
                        if p.is_empty() {
                            continue;
                        }
                        match hashfiles::outside(p) {
                            Some(why) => {
                                let what = match why {
                                    Outside::Absolute => "is an absolute path",
                                    Outside::Parent => "climbs out of the workspace with `..`",
                                    Outside::Tilde => {
                                        "starts with `~`, which `hashFiles` does not expand (it names a directory `~` in the workspace)"
                                    }
                                };
                                out.push(
                                    Diagnostic::new(
                                        RULE,
                                        c.step_ref.file,
                                        comp.span,
                                        format!(
                                            "the `hashFiles` pattern `{p}` {what}: `hashFiles` only hashes files under `GITHUB_WORKSPACE` and ignores the others"
                                        ),
                                    )
                                    .label("outside the workspace")
                                    .job(job.id.clone())
                                    .help("name the files relative to the repository root (`**/requirements.txt`)"),
                                );
                            }
                            None => outside_all = false,
                        }
                    }
                    if outside_all {
                        continue;
                    }
                    let Some(files) = cx.files else {
                        continue;
                    };
                    if !checked_out(job, c.step) || generated(job, c.step, &patterns) {
                        continue;
                    }
                    // On a Windows runner the match ignores case: judged by the most lenient.
                    let nocase = job.oses.windows || job.oses.unknown;
                    let Some(matched) = hashfiles::matches(&patterns, files, nocase) else {
                        continue;
                    };
                    if !matched.is_empty() {
                        continue;
                    }
                    let shown = patterns
                        .iter()
                        .map(|p| format!("'{p}'"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    out.push(
                        Diagnostic::new(
                            RULE,
                            c.step_ref.file,
                            comp.span,
                            format!(
                                "`hashFiles({shown})` matches no file of the repository: it evaluates to `''`, so this part of the key never changes and the saved cache is never refreshed"
                            ),
                        )
                        .label("matches nothing")
                        .job(job.id.clone())
                        .help("hash the file that pins the cached content (the lockfile), with a path that exists, e.g. `hashFiles('**/package-lock.json')`"),
                    );
                }
            }
        }
    }
}

/// Whether the job checks out this repository, as is, into the workspace before step `step`
/// (otherwise the workspace's files are not the repository's). With `submodules:`, the
/// submodules' files are in the workspace but not in the repository's file list.
fn checked_out(job: &crate::gha::model::Job, step: usize) -> bool {
    let mut plain = false;
    for s in job.steps.iter().take(step) {
        if s.uses("actions/checkout") {
            let submodules = s
                .input("submodules")
                .is_some_and(|i| !i.value.text.trim().eq_ignore_ascii_case("false"));
            if s.input("path").is_some() || s.input("repository").is_some() || submodules {
                return false;
            }
            plain = true;
        }
    }
    plain
}

/// Whether a step before `step` may create a file a pattern names (its file name appears in a
/// `run:` script or a step's inputs), e.g. `cargo generate-lockfile` before
/// `hashFiles('Cargo.lock')`.
fn generated(job: &crate::gha::model::Job, step: usize, patterns: &[String]) -> bool {
    let names: Vec<&str> = patterns
        .iter()
        .flat_map(|p| p.lines())
        .filter_map(|p| p.trim().rsplit('/').next())
        .map(|n| n.trim_start_matches('!'))
        .filter(|n| !n.is_empty())
        .collect();
    job.steps.iter().take(step).any(|s| {
        if s.uses.is_some() && s.run.is_none() && !s.in_action {
            // An action that is not a checkout may write files (a generator, a download).
            // Checking out, setting up a runtime and restoring caches write no repository file.
            let harmless = s.uses.as_ref().is_some_and(|u| {
                u.action == "actions/checkout"
                    || u.action.starts_with("actions/setup-")
                    || u.action.starts_with("actions/cache")
            });
            return !harmless;
        }
        let text = s.run.as_deref().unwrap_or("");
        names.iter().any(|n| {
            let stem = n.split(['*', '?', '[']).find(|x| x.len() > 2).unwrap_or("");
            !stem.is_empty() && text.contains(stem)
        }) || text.contains("lock")
    })
}
