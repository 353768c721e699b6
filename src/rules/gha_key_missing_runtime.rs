//! `gha-key-missing-runtime`: a cache of runtime-bound content (a virtualenv, `node_modules`)
//! whose key lacks the runtime version, or lacks the OS while the job runs on several.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::gha::cache::{Content, Kind, content};
use crate::gha::runtime::{Cover, cover, has_os, runtime, several_oses};
use crate::gha::{Context, WorkflowRule, is_opaque};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "gha-key-missing-runtime",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "A cache of a virtualenv or `node_modules` whose key lacks the exact runtime version, or lacks `runner.os` while the job runs on several OSes.",
    page: include_str!("../../rules/gha-key-missing-runtime.md"),
});

pub struct GhaKeyMissingRuntime;

impl WorkflowRule for GhaKeyMissingRuntime {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for c in cx.own_caches() {
            if matches!(c.kind, Kind::Setup(_)) || !c.saves {
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
            let (runtime_name, holds) = match what {
                Content::Venv => (
                    "Python",
                    "a virtualenv, whose interpreter links point into one Python release's directory",
                ),
                Content::NodeModules => (
                    "Node.js",
                    "`node_modules`, whose native addons are built for one Node.js ABI",
                ),
            };
            if let Some(rt) = runtime(job, what) {
                let problem = match cover(cx, c, &parts, &rt, what) {
                    Cover::Missing(varies) => Some(format!(
                        "the key of `{path}` ({holds}) does not contain the {runtime_name} version ({varies}): a job with another version restores it"
                    )),
                    Cover::Floating(v) if what == Content::Venv => Some(format!(
                        "the key of `{path}` ({holds}) contains the requested Python version {v}, which setup-python resolves to the newest patch release: after a patch release the key is the same and the restored virtualenv points at an interpreter that no longer exists"
                    )),
                    _ => None,
                };
                if let Some(message) = problem {
                    let id = rt.step.id.clone().unwrap_or_else(|| "<id>".into());
                    let mut d = Diagnostic::new(RULE, c.step_ref.file, key.span, message)
                        .label("this key")
                        .job(job.id.clone())
                        .help(format!(
                            "give the {} step an `id` and put its exact version in the key: `${{{{ steps.{id}.outputs.{} }}}}`",
                            rt.action, rt.output
                        ));
                    if let Some(v) = rt.version {
                        d = d.with_label(
                            rt.step.file,
                            v.value.span,
                            format!("the {runtime_name} version"),
                        );
                    }
                    out.push(d);
                    continue;
                }
            }
            if several_oses(job, c.cross_os) && !has_os(job, &parts) && !parts.iter().any(is_opaque)
            {
                out.push(
                    Diagnostic::new(
                        RULE,
                        c.step_ref.file,
                        key.span,
                        format!(
                            "the job runs on Linux and macOS but the key of `{path}` ({holds}) does not contain the OS: the OSes share cache versions, so one restores the other's"
                        ),
                    )
                    .label("no `runner.os`")
                    .job(job.id.clone())
                    .help("start the key with `${{ runner.os }}-`"),
                );
            }
        }
    }
}
