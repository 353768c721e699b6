//! `cache-tool-not-redirected`: a job caches a tool's cache directory inside the project
//! (`.cache/pip`, `.npm`, `.m2/repository`, `vendor/bundle`, ...) and runs the tool, but
//! nothing in effect for the job points the tool there, so it keeps writing under `$HOME` and
//! the cached directory stays empty. Also: a redirect written as one runner's build directory
//! (`/builds/group/project/...`) instead of `$CI_PROJECT_DIR`.

use super::context::{Rule, RuleContext, at, jobs, primary};
use super::tools::{TOOLS, Tool, configured, tool_for_dir};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::variables::{Lookup, display, expand_shell};
use crate::source::{FileId, Span};
use std::collections::HashMap;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-tool-not-redirected",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "A job caches a tool's cache directory in the project, but nothing points the tool there, so the cache stays empty.",
    page: include_str!("../../rules/cache-tool-not-redirected.md"),
});

pub struct CacheToolNotRedirected;

/// A cached directory reported, with the jobs it concerns.
struct Found {
    names: Vec<String>,
    tool: &'static Tool,
    /// The path as expanded.
    path: String,
    /// The first job.
    job: usize,
    /// Where that job runs the tool.
    ran: crate::model::Origin,
}

/// How many jobs a message names; the others are counted.
const NAMED: usize = 3;

/// Whether a variable in effect moves the tool's cache (the `_OPTS` variables only when they
/// set the location).
fn variable_redirects(tool: &Tool, vars: &dyn Lookup) -> bool {
    tool.env.iter().any(|name| match vars.var(name) {
        None => false,
        Some((value, _)) => match *name {
            "MAVEN_OPTS" | "MAVEN_ARGS" => {
                value.contains("maven.repo.local")
                    || value.contains("-s ")
                    || value.contains("--settings")
            }
            "GRADLE_OPTS" => value.contains("gradle.user.home"),
            _ => true,
        },
    })
}

impl Rule for CacheToolNotRedirected {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let files = &cx.ctx.set.tool_files;
        type Place = (FileId, Span);
        let mut found: HashMap<Place, Found> = HashMap::new();
        let mut order: Vec<Place> = Vec::new();
        let mut hard_coded: Vec<Place> = Vec::new();
        for (ji, job) in jobs(cx) {
            if job.caches.is_empty() {
                continue;
            }
            let scripts = cx.scripts(ji);
            if scripts.opaque || !scripts.runs_any() {
                continue;
            }
            let vars = cx.vars(ji, 0);
            // A redirect written as one runner's build directory.
            for tool in TOOLS {
                if scripts.runs(tool).is_none() {
                    continue;
                }
                for name in tool.env {
                    let Some(v) = job.variables.iter().find(|v| v.name == *name) else {
                        continue;
                    };
                    let place = primary(&v.origin);
                    if v.value.starts_with("/builds/") && !hard_coded.contains(&place) {
                        hard_coded.push(place);
                        let rest = v.value.splitn(4, '/').nth(3).unwrap_or("");
                        let rest = rest.split_once('/').map_or("", |(_, r)| r);
                        out.push(
                            at(
                                cx,
                                RULE,
                                &v.origin,
                                job,
                                format!(
                                    "`{name}` points at `{}`, the build directory of one runner: where a runner clones elsewhere (another executor, a custom `builds_dir`, a concurrent job's directory), {} writes outside the project and the cache stays empty",
                                    v.value, tool.name
                                ),
                            )
                            .label("a path of one runner")
                            .help(format!(
                                "write it relative to the project: `{name}: $CI_PROJECT_DIR/{rest}`"
                            ))
                            .subject(format!("builds:{name}")),
                        );
                    }
                }
            }
            for cache in &job.caches {
                for p in &cache.paths {
                    let parts = expand_shell(&p.value, &vars);
                    let text = display(&parts);
                    let path = text.trim_start_matches("./").trim_end_matches('/');
                    let Some(tool) = tool_for_dir(path) else {
                        continue;
                    };
                    let Some(ran) = scripts.runs(tool) else {
                        continue;
                    };
                    if variable_redirects(tool, &vars)
                        || scripts.redirects(tool).is_some()
                        || configured(tool, files).is_some()
                    {
                        continue;
                    }
                    let place = primary(&p.origin);
                    let entry = found.entry(place).or_insert_with(|| {
                        order.push(place);
                        Found {
                            names: Vec::new(),
                            tool,
                            path: path.to_string(),
                            job: ji,
                            ran,
                        }
                    });
                    if !entry.names.contains(&job.name) {
                        entry.names.push(job.name.clone());
                    }
                }
            }
        }
        for place in order {
            let Found {
                names,
                tool,
                path,
                job: ji,
                ran,
            } = &found[&place];
            let job = &cx.pipeline.jobs[*ji];
            let Some(p) = job
                .caches
                .iter()
                .flat_map(|c| &c.paths)
                .find(|p| primary(&p.origin) == place)
            else {
                continue;
            };
            let mut listed: Vec<String> =
                names.iter().take(NAMED).map(|n| format!("`{n}`")).collect();
            if names.len() > NAMED {
                listed.push(format!("{} more", names.len() - NAMED));
            }
            let who = match listed.len() {
                1 => format!("job {}", listed[0]),
                n => format!("jobs {} and {}", listed[..n - 1].join(", "), listed[n - 1]),
            };
            let (cache_verb, run_verb) = if names.len() == 1 {
                ("caches", "runs")
            } else {
                ("cache", "run")
            };
            let message = format!(
                "{who} {cache_verb} `{path}` for {} and {run_verb} it, but nothing points {} there: it keeps its cache in `{}`, so the cached directory stays empty",
                tool.name, tool.name, tool.default
            );
            let (rf, rs) = primary(ran);
            out.push(
                at(cx, RULE, &p.origin, job, message)
                    .label("stays empty")
                    .with_label(rf, rs, format!("runs {} (cache in `{}`)", tool.name, tool.default))
                    .help(format!("{}, or declare in cachelint.toml the variable that does it if it is set in the project's settings", tool.hint))
                    .subject(format!("tool:{}:{path}", tool.name)),
            );
        }
    }
}
