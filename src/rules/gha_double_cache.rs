//! `gha-double-cache`: a setup action's built-in cache and an `actions/cache` step over the same
//! directory in one job: the directory is stored twice, under two keys, and restored twice.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::gha::cache::Kind;
use crate::gha::{Context, WorkflowRule, normalize_path};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "gha-double-cache",
    severity: Severity::Info,
    category: Category::Cache,
    summary: "A setup action's built-in cache and an `actions/cache` step over the same directory in one job.",
    page: include_str!("../../rules/gha-double-cache.md"),
});

pub struct GhaDoubleCache;

/// Whether `a` and `b` are the same directory or one contains the other.
fn overlap(a: &str, b: &str) -> bool {
    a == b || a.starts_with(&format!("{b}/")) || b.starts_with(&format!("{a}/"))
}

impl WorkflowRule for GhaDoubleCache {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for setup in cx.own_caches() {
            let Kind::Setup(action) = setup.kind else {
                continue;
            };
            let job = cx.job(setup);
            // The directories are those of Linux runners.
            if !job.oses.linux {
                continue;
            }
            for c in &cx.caches {
                if (c.workflow, c.job) != (setup.workflow, setup.job)
                    || !matches!(c.kind, Kind::Cache | Kind::Restore)
                {
                    continue;
                }
                let both: Vec<(&String, &String)> = c
                    .paths
                    .iter()
                    .flat_map(|p| setup.paths.iter().map(move |d| (p, d)))
                    .filter(|(p, d)| overlap(&normalize_path(p), &normalize_path(d)))
                    .collect();
                let Some((path, dir)) = both.first() else {
                    continue;
                };
                let Some(input) = c.path_input else {
                    continue;
                };
                out.push(
                    Diagnostic::new(
                        RULE,
                        c.step_ref.file,
                        input.key_span,
                        format!(
                            "`{path}` is also cached by {action}'s built-in cache (`{dir}`): the job restores and saves it twice, under two keys"
                        ),
                    )
                    .label("cached here")
                    .with_label(setup.step_ref.file, setup.on_span, format!("and by {action} here"))
                    .job(job.id.clone())
                    .help(format!(
                        "keep one: drop `{path}` from this step, or turn {action}'s cache off"
                    )),
                );
            }
        }
    }
}
