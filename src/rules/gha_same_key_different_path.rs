//! `gha-same-key-different-path`: caches with the same key and a different `path` list (or
//! `enableCrossOsArchive` on Windows). The cache version is a hash of the paths as written, in
//! order, with the compression method and, on Windows without `enableCrossOsArchive`,
//! `windows-only` (`@actions/cache` `getCacheVersion`): a restore only finds an entry saved
//! with the same version, so the restore silently misses.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::gha::cache::{Cache, Kind};
use crate::gha::{Context, WorkflowRule, is_opaque, key_text};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "gha-same-key-different-path",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "Cache steps with the same key and a different `path` (or `enableCrossOsArchive`): the cache version differs, so the restore silently misses.",
    page: include_str!("../../rules/gha-same-key-different-path.md"),
});

pub struct GhaSameKeyDifferentPath;

impl WorkflowRule for GhaSameKeyDifferentPath {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let caches: Vec<(&Cache<'_>, String, bool)> = cx
            .caches
            .iter()
            .filter(|c| !matches!(c.kind, Kind::Setup(_)) && !c.paths.is_empty())
            .filter_map(|c| {
                let parts = cx.key_parts(c, c.key?);
                // Keys whose value depends on the job (matrix, step outputs) compare only within
                // one job.
                let local = parts.iter().any(|p| {
                    is_opaque(p)
                        || p.ctx()
                            .is_some_and(|x| x.first().is_some_and(|f| f == "matrix"))
                });
                Some((c, key_text(&parts), local))
            })
            .collect();
        let mut reported = std::collections::HashSet::new();
        for (i, (a, ka, local_a)) in caches.iter().enumerate() {
            for (b, kb, local_b) in caches.iter().skip(i + 1) {
                if ka != kb || ka.is_empty() {
                    continue;
                }
                let same_job = (a.workflow, a.job) == (b.workflow, b.job);
                if (*local_a || *local_b) && !same_job {
                    continue;
                }
                // Only a pair where one side restores what the other saves.
                if !((a.saves && b.restores) || (b.saves && a.restores)) {
                    continue;
                }
                let paths_differ = a.paths != b.paths;
                let windows = cx.job(a).oses.windows || cx.job(b).oses.windows;
                let cross_differs = windows && a.cross_os != b.cross_os;
                if !paths_differ && !cross_differs {
                    continue;
                }
                // Reported once, at the later step of the pair (by file and position); when it
                // is in another workflow of the repository, that workflow's check reports it.
                let pos = |c: &Cache<'_>| {
                    (
                        cx.set.file(c.step_ref.file).rel_path.clone(),
                        c.step_ref.span.start,
                    )
                };
                let (a, b): (&Cache<'_>, &Cache<'_>) =
                    if pos(a) <= pos(b) { (a, b) } else { (b, a) };
                if !cx.workflows[b.workflow].own {
                    continue;
                }
                if !reported.insert((b.workflow, b.job, b.step)) {
                    continue;
                }
                let why = if paths_differ {
                    let same_set = {
                        let mut x = a.paths.clone();
                        let mut y = b.paths.clone();
                        x.sort();
                        y.sort();
                        x == y
                    };
                    if same_set {
                        "the same paths in another order".to_string()
                    } else {
                        format!(
                            "`path` {} here and {} there",
                            b.paths
                                .iter()
                                .map(|p| format!("`{p}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            a.paths
                                .iter()
                                .map(|p| format!("`{p}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                } else {
                    "a different `enableCrossOsArchive` on a Windows runner".to_string()
                };
                let (Some(pa), Some(pb)) = (a.path_input, b.path_input) else {
                    continue;
                };
                let ja = cx.job(a);
                let jb = cx.job(b);
                out.push(
                    Diagnostic::new(
                        RULE,
                        b.step_ref.file,
                        pb.key_span,
                        format!(
                            "this cache has the same key as the one in `{}` but {why}: the cache version (a hash of the paths as written, in order) differs, so neither restores what the other saves",
                            ja.id
                        ),
                    )
                    .label("these paths")
                    .with_label(a.step_ref.file, pa.key_span, "the other cache's paths")
                    .job(jb.id.clone())
                    .help("write the same `path` lines, in the same order, in every step that shares the key (or give each its own key)"),
                );
            }
        }
    }
}
