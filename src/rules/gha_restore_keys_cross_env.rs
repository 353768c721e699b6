//! `gha-restore-keys-cross-env`: a `restore-keys` entry that drops the runtime version or the OS
//! the key has, so the fallback restores a virtualenv or `node_modules` built for another one.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::gha::cache::{Content, Kind, content};
use crate::gha::runtime::{Cover, cover, has_os, runtime, several_oses};
use crate::gha::{Context, WorkflowRule};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "gha-restore-keys-cross-env",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "A `restore-keys` entry that drops the runtime version or the OS the key has, so a fallback restores a virtualenv or `node_modules` built for another.",
    page: include_str!("../../rules/gha-restore-keys-cross-env.md"),
});

pub struct GhaRestoreKeysCrossEnv;

impl WorkflowRule for GhaRestoreKeysCrossEnv {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for c in cx.own_caches() {
            if matches!(c.kind, Kind::Setup(_)) || !c.restores || c.restore_keys.is_empty() {
                continue;
            }
            let Some(key) = c.key else {
                continue;
            };
            let Some((path, what)) = c.paths.iter().find_map(|p| Some((p, content(p)?))) else {
                continue;
            };
            let job = cx.job(c);
            let parts = cx.key_parts(c, key);
            let rt = runtime(job, what);
            let key_cover = rt.as_ref().map(|rt| cover(cx, c, &parts, rt, what));
            let key_has_runtime = matches!(key_cover, Some(Cover::Exact | Cover::Floating(_)));
            let key_has_os = several_oses(job, c.cross_os) && has_os(job, &parts);
            let runtime_name = match what {
                Content::Venv => "Python",
                Content::NodeModules => "Node.js",
            };
            for rk in &c.restore_keys {
                let rparts = cx.key_parts(c, rk);
                let mut dropped = Vec::new();
                if key_has_runtime
                    && let Some(rt) = &rt
                    && matches!(cover(cx, c, &rparts, rt, what), Cover::Missing(_))
                {
                    dropped.push(format!("the {runtime_name} version"));
                }
                if key_has_os && !has_os(job, &rparts) {
                    dropped.push("the OS".to_string());
                }
                if dropped.is_empty() {
                    continue;
                }
                let dropped = dropped.join(" and ");
                out.push(
                    Diagnostic::new(
                        RULE,
                        c.step_ref.file,
                        rk.span,
                        format!(
                            "this restore key drops {dropped}, which the key of `{path}` has: on a miss it restores a `{path}` built for another one"
                        ),
                    )
                    .label(format!("drops {dropped}"))
                    .with_label(c.step_ref.file, key.span, "the key")
                    .job(job.id.clone())
                    .help(format!("keep {dropped} in every restore key (restore keys are prefixes: keep the key's start up to the part that may differ)")),
                );
            }
        }
    }
}
