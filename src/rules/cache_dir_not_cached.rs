//! `cache-dir-not-cached`: a job redirects a tool's cache into the project
//! (`PIP_CACHE_DIR: $CI_PROJECT_DIR/.cache/pip`, `npm ci --cache .npm`) and has caches, but
//! none of them includes that directory: the downloads are thrown away after the job.

use super::cache_path_outside_project::{outside, tool_hint};
use super::context::{Rule, RuleContext, at, jobs, primary};
use super::tools::{TOOLS, inside_project, relative_to_cwd};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::Origin;
use crate::model::variables::{display, expand_shell};
use crate::source::{FileId, Span};
use crate::util::paths::within;
use std::collections::HashMap;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-dir-not-cached",
    severity: Severity::Info,
    category: Category::Cache,
    summary: "A tool's cache is redirected into the project, but no cache of the job includes that directory.",
    page: include_str!("../../rules/cache-dir-not-cached.md"),
});

pub struct CacheDirNotCached;

/// A redirect reported, with the jobs it concerns.
struct Found {
    names: Vec<String>,
    tool: &'static str,
    dir: String,
    origin: Origin,
    /// The first job.
    job: usize,
    /// Set by a variable (else by a command).
    is_var: bool,
}

/// Variables that name a cache directory directly (not the `_OPTS` ones, not
/// `XDG_CACHE_HOME`, whose subdirectory depends on the tool).
const DIRECT: &[&str] = &[
    "PIP_CACHE_DIR",
    "npm_config_cache",
    "NPM_CONFIG_CACHE",
    "YARN_CACHE_FOLDER",
    "npm_config_store_dir",
    "NPM_CONFIG_STORE_DIR",
    "GRADLE_USER_HOME",
    "GOPATH",
    "GOMODCACHE",
    "GOCACHE",
    "CARGO_HOME",
    "UV_CACHE_DIR",
    "BUNDLE_PATH",
    "COMPOSER_CACHE_DIR",
    "COMPOSER_HOME",
    "POETRY_CACHE_DIR",
    "PRE_COMMIT_HOME",
];

/// How many jobs a message names; the others are counted.
const NAMED: usize = 3;

impl Rule for CacheDirNotCached {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let mut found: HashMap<(FileId, Span), Found> = HashMap::new();
        let mut order: Vec<(FileId, Span)> = Vec::new();
        for (ji, job) in jobs(cx) {
            if job.caches.is_empty() {
                continue;
            }
            let scripts = cx.scripts(ji);
            if scripts.opaque || !scripts.runs_any() {
                continue;
            }
            let vars = cx.vars(ji, 0);
            // The paths cached, and for each one outside the project whose
            // `cache-path-outside-project` fix names an in-project path, that path: the fix of
            // that finding caches the directory, so it is not a second problem.
            let cached: Vec<String> = job
                .caches
                .iter()
                .flat_map(|c| &c.paths)
                .map(|p| {
                    let parts = expand_shell(&p.value, &vars);
                    let shown = display(&parts);
                    let path = match outside(&parts).and_then(|_| tool_hint(&shown).1) {
                        Some(fixed) => fixed.to_string(),
                        None => shown,
                    };
                    path.trim_start_matches("./")
                        .trim_end_matches('/')
                        .to_string()
                })
                .collect();
            let untracked = job
                .caches
                .iter()
                .any(|c| c.untracked.as_ref().is_some_and(|u| u.value));
            if untracked || cached.iter().any(|c| c.contains(['*', '$'])) {
                continue; // untracked files, a pattern or an unknown path may cover it
            }
            if cached.is_empty() {
                continue; // caches without paths: cache-without-paths
            }
            for tool in TOOLS {
                if scripts.runs(tool).is_none() {
                    continue;
                }
                // The redirect: a variable of the job, else an option or command.
                let by_var = tool
                    .env
                    .iter()
                    .filter(|n| DIRECT.contains(n))
                    .find_map(|n| {
                        let v = job.variables.iter().find(|v| v.name == *n)?;
                        Some((v.value.clone(), v.origin, true))
                    });
                let redirect = by_var.or_else(|| {
                    let r = scripts.redirects(tool)?;
                    Some((r.value?, r.origin, false))
                });
                let Some((value, origin, is_var)) = redirect else {
                    continue;
                };
                let parts = expand_shell(&value, &vars);
                if scripts.changes_dir() && relative_to_cwd(&parts) {
                    continue; // relative to a directory the scripts `cd` into
                }
                let Some(dir) = inside_project(&parts) else {
                    continue;
                };
                if cached.iter().any(|c| within(&dir, c) || within(c, &dir)) {
                    continue;
                }
                let place = primary(&origin);
                let entry = found.entry(place).or_insert_with(|| {
                    order.push(place);
                    Found {
                        names: Vec::new(),
                        tool: tool.name,
                        dir: dir.clone(),
                        origin,
                        job: ji,
                        is_var,
                    }
                });
                if !entry.names.contains(&job.name) {
                    entry.names.push(job.name.clone());
                }
            }
        }
        for place in order {
            let Found {
                names,
                tool,
                dir,
                origin,
                job: ji,
                is_var,
            } = &found[&place];
            let job = &cx.pipeline.jobs[*ji];
            let mut listed: Vec<String> =
                names.iter().take(NAMED).map(|n| format!("`{n}`")).collect();
            if names.len() > NAMED {
                listed.push(format!("{} more", names.len() - NAMED));
            }
            let who = match listed.len() {
                1 => format!("job {}", listed[0]),
                n => format!("jobs {} and {}", listed[..n - 1].join(", "), listed[n - 1]),
            };
            let how = if *is_var {
                "this variable"
            } else {
                "this command"
            };
            let message = format!(
                "{how} keeps {tool}'s cache in `{dir}`, but no cache of {who} includes that directory: what {tool} downloads there is thrown away after the job"
            );
            out.push(
                at(cx, RULE, origin, job, message)
                    .label(format!("{tool}'s cache in `{dir}`"))
                    .help(format!("add `{dir}/` to the job's `cache:paths`"))
                    .subject(format!("dir:{tool}:{dir}")),
            );
        }
    }
}
