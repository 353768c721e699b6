//! GitHub Actions workflows: finding them, loading a workflow with the local composite actions
//! and reusable workflows it uses, the workflow model ([`model`]), the `${{ }}` expressions of
//! cache keys ([`expr`]), the caches ([`cache`]), `hashFiles` ([`hashfiles`]), and the context
//! the `gha-*` rules read ([`Context`], [`WorkflowRule`]).
//!
//! A workflow is loaded into a [`FileSet`] like a GitLab configuration (so every reporter,
//! suppression comments and the language server work unchanged); its analysis has an empty
//! GitLab pipeline and runs only the rules of [`crate::rules::registry::WORKFLOW_RULES`].

pub mod cache;
pub mod expr;
pub mod gitindex;
pub mod hashfiles;
pub mod model;
pub mod runtime;

use crate::diagnostic::{Diagnostic, RuleId};
use crate::fs::{Fs, Kind};
use crate::load::project::{Project, git_root};
use crate::load::{Expansion, FileSet, LoadError};
use crate::source::{FileId, SourceFile, Span};
use crate::util::paths::{normalize, to_slash};
use crate::yaml::{self, Doc, Limits};
use expr::{Component, Part};
use model::{Job, Step, Template, Workflow};
use std::path::{Path, PathBuf};

/// Whether `path` names a workflow file: `.github/workflows/*.yml` or `*.yaml`.
pub fn is_workflow_path(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str());
    let parent = path.parent();
    let dir = parent.and_then(|p| p.file_name()).and_then(|n| n.to_str());
    let github = parent
        .and_then(|p| p.parent())
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str());
    matches!(ext, Some("yml" | "yaml")) && dir == Some("workflows") && github == Some(".github")
}

/// Whether the text of a YAML file reads as a GitHub Actions workflow: top-level `on:` and
/// `jobs:` keys (a GitLab configuration has neither as keywords; a job named `on` is unheard
/// of). For a workflow given as a path outside `.github/workflows/`.
pub fn looks_like_workflow(text: &str) -> bool {
    let top = |key: &str| {
        text.lines().any(|l| {
            [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .any(|k| {
                    l.strip_prefix(k.as_str())
                        .is_some_and(|r| r.trim_start().starts_with(':'))
                })
        })
    };
    top("on") && top("jobs")
}

/// Whether the root file at `path` is a workflow: under `.github/workflows/`, or another YAML
/// file (not `.gitlab-ci.yml`) that reads as one ([`looks_like_workflow`]).
pub fn is_workflow_root(fs: &dyn Fs, path: &Path) -> bool {
    if is_workflow_path(path) {
        return true;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with(".gitlab-ci") || !(name.ends_with(".yml") || name.ends_with(".yaml")) {
        return false;
    }
    if fs.kind(path) != Some(Kind::File) || fs.size(path).is_none_or(|n| n > LOCAL_BYTES) {
        return false;
    }
    fs.read(path)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|t| looks_like_workflow(&t))
}

/// The workflow files of the repository at `root` (sorted).
pub fn discover(fs: &dyn Fs, root: &Path) -> Vec<PathBuf> {
    let dir = root.join(".github").join("workflows");
    let Ok(entries) = fs.read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .into_iter()
        .map(|e| dir.join(&e.name))
        .filter(|p| is_workflow_path(p) && fs.kind(p) == Some(Kind::File))
        .collect();
    out.sort();
    out
}

/// The largest local action or called workflow read.
const LOCAL_BYTES: u64 = 1024 * 1024;
/// How deep local actions are followed.
const MAX_DEPTH: usize = 8;
/// The most workflows a check reads through calls (the root included).
const MAX_CALLED: usize = 64;

/// A loaded workflow: its files and the models of the workflows among them.
pub struct Loaded {
    pub set: FileSet,
    pub workflows: Vec<Workflow>,
    /// Files from this index on were read only for the repository's other workflows (they and
    /// the local actions only they use): their own checks report on them.
    pub others_from: usize,
}

/// Loads the workflow at `root` and the local actions and workflows it uses.
pub fn load(
    fs: &dyn Fs,
    root: &Path,
    project_root: Option<&Path>,
    limits: &Limits,
) -> Result<Loaded, LoadError> {
    // The root is read like any configuration (a workflow has no `include:`).
    let mut set = crate::load::load(fs, root, project_root, limits)?;
    let project = Project::new(fs, set.project_root.clone());
    let mut workflows = Vec::new();
    let root_file = set.root.file;
    let text = set.file(root_file).text.clone();
    if let Some(w) = model::workflow(set.doc(root_file), &text) {
        workflows.push(w);
    }
    let mut loader = Follow {
        project: &project,
        limits,
        includes: Vec::new(),
    };
    let mut next = 0;
    while next < workflows.len() {
        for j in 0..workflows[next].jobs.len() {
            // Composite actions: their steps replace the `uses: ./path` step's place.
            let steps = std::mem::take(&mut workflows[next].jobs[j].steps);
            let mut expanded = Vec::new();
            loader.expand_steps(&mut set, steps, &mut expanded, 0);
            workflows[next].jobs[j].steps = expanded;
            let Some((called, span)) = workflows[next].jobs[j].calls.clone() else {
                continue;
            };
            if !called.starts_with("./") {
                continue;
            }
            let file = workflows[next].jobs[j].file;
            let Some(id) = loader.open(&mut set, &called, file, span) else {
                continue;
            };
            // A workflow called from several places (or in a cycle) is modelled once, with
            // every caller.
            if let Some(w) = workflows.iter_mut().find(|w| w.file == id) {
                if !w.called_by.contains(&next) {
                    w.called_by.push(next);
                }
                continue;
            }
            if workflows.len() >= MAX_CALLED {
                continue;
            }
            let text = set.file(id).text.clone();
            if let Some(mut w) = model::workflow(set.doc(id), &text) {
                w.called_by.push(next);
                workflows.push(w);
            }
        }
        next += 1;
    }
    // The repository's other workflows share its cache: loaded to compare keys with.
    let others_from = set.files.len();
    let others: Vec<PathBuf> = discover(fs, &set.project_root);
    for path in others.iter().take(MAX_OTHERS) {
        let Some(rel) = project.relative(path) else {
            continue;
        };
        if set.files.iter().any(|f| f.rel_path == rel) {
            continue;
        }
        let Some(id) = loader.open_other(&mut set, &rel) else {
            continue;
        };
        let text = set.file(id).text.clone();
        let Some(mut w) = model::workflow(set.doc(id), &text) else {
            continue;
        };
        w.own = false;
        for job in &mut w.jobs {
            let steps = std::mem::take(&mut job.steps);
            let mut expanded = Vec::new();
            loader.expand_steps(&mut set, steps, &mut expanded, 0);
            job.steps = expanded;
        }
        workflows.push(w);
    }
    set.root.includes.extend(loader.includes);
    Ok(Loaded {
        set,
        workflows,
        others_from,
    })
}

/// The most other workflows of the repository loaded beside the one checked.
const MAX_OTHERS: usize = 64;

struct Follow<'p, 'f> {
    project: &'p Project<'f>,
    limits: &'p Limits,
    includes: Vec<Expansion>,
}

impl Follow<'_, '_> {
    /// Opens a local file named in `from` at `span` (relative to the repository root), adding it
    /// to the set once.
    fn open(&mut self, set: &mut FileSet, rel: &str, from: FileId, span: Span) -> Option<FileId> {
        let (path, rel) = self.project.locate(rel.trim_start_matches("./")).ok()?;
        if let Some(i) = set.files.iter().position(|f| f.rel_path == rel) {
            return Some(FileId(i as u32));
        }
        let bytes = self.project.read(&path, LOCAL_BYTES).ok()?;
        let text: std::sync::Arc<str> = String::from_utf8(bytes).ok()?.into();
        let id = FileId(set.files.len() as u32);
        let parsed = yaml::parse_file(id, text.clone(), self.limits);
        set.diagnostics.extend(parsed.diagnostics);
        set.files.push(SourceFile::new(path, rel, text));
        set.docs.push(parsed.doc);
        self.includes.push(Expansion {
            file: id,
            site: Some((from, span)),
            includes: Vec::new(),
            assumed: None,
        });
        Some(id)
    }

    /// Another workflow of the repository (not included by the one checked).
    fn open_other(&mut self, set: &mut FileSet, rel: &str) -> Option<FileId> {
        let (path, rel) = self.project.locate(rel).ok()?;
        let bytes = self.project.read(&path, LOCAL_BYTES).ok()?;
        let text: std::sync::Arc<str> = String::from_utf8(bytes).ok()?.into();
        let id = FileId(set.files.len() as u32);
        // Its own check reports its YAML problems.
        let parsed = yaml::parse_file(id, text.clone(), self.limits);
        set.files.push(SourceFile::new(path, rel, text));
        set.docs.push(parsed.doc);
        self.includes.push(Expansion {
            file: id,
            site: None,
            includes: Vec::new(),
            assumed: None,
        });
        Some(id)
    }

    /// `steps` with each local composite action's steps after the step that uses it.
    fn expand_steps(
        &mut self,
        set: &mut FileSet,
        steps: Vec<Step>,
        out: &mut Vec<Step>,
        depth: usize,
    ) {
        for step in steps {
            let local = step
                .uses
                .as_ref()
                .filter(|u| u.local && depth < MAX_DEPTH)
                .map(|u| (u.action.clone(), u.span));
            let file = step.file;
            out.push(step);
            let Some((dir, span)) = local else {
                continue;
            };
            let dir = dir.trim_end_matches('/');
            let id = self
                .open(set, &format!("{dir}/action.yml"), file, span)
                .or_else(|| self.open(set, &format!("{dir}/action.yaml"), file, span));
            let Some(id) = id else {
                continue;
            };
            let inner = composite_steps(set.doc(id), &set.file(id).text.clone(), id);
            self.expand_steps(set, inner, out, depth + 1);
        }
    }
}

/// The steps of a composite action (`runs.using: composite`).
fn composite_steps(doc: &Doc, text: &str, file: FileId) -> Vec<Step> {
    let Some(root) = doc.root() else {
        return Vec::new();
    };
    let Some((_, runs)) = model::get(doc, root, "runs") else {
        return Vec::new();
    };
    let composite = model::get(doc, runs, "using")
        .and_then(|(_, u)| doc.scalar_text(u))
        .is_some_and(|u| u == "composite");
    match model::get(doc, runs, "steps") {
        Some((_, s)) if composite => model::steps_of(doc, text, file, s, true),
        _ => Vec::new(),
    }
}

/// The largest git index read.
const INDEX_BYTES: u64 = 256 * 1024 * 1024;

/// The repository's files, for `hashFiles`: only when the project is a git repository (a
/// `.git` at its root), else `None` and `hashFiles` results are unknown. The files git
/// tracks, staged ones included (`.git/index`), which is what a run checks out; when the index
/// cannot be read (a worktree whose `.git` is a file, an unknown format), every file of the
/// working tree.
pub fn repository_files(fs: &dyn Fs, root: &Path) -> Option<Vec<String>> {
    if git_root(fs, root) != root || fs.kind(&root.join(".git")).is_none() {
        return None;
    }
    let project = Project::new(fs, root.to_path_buf());
    if let Ok(index) = project.read(&root.join(".git").join("index"), INDEX_BYTES) {
        let sha256 = project
            .read(&root.join(".git").join("config"), 1024 * 1024)
            .is_ok_and(|c| {
                String::from_utf8_lossy(&c)
                    .to_ascii_lowercase()
                    .replace([' ', '\t'], "")
                    .contains("objectformat=sha256")
            });
        if let Some(paths) = gitindex::paths(&index, if sha256 { 32 } else { 20 }) {
            return Some(paths);
        }
    }
    Some(project.files().to_vec())
}

/// A rule over workflows.
pub trait WorkflowRule: Sync {
    fn id(&self) -> RuleId;
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>);
}

/// What a workflow rule sees.
pub struct Context<'a> {
    pub set: &'a FileSet,
    pub workflows: &'a [Workflow],
    /// The repository's files, when known ([`repository_files`]).
    pub files: Option<&'a [String]>,
    pub caches: Vec<cache::Cache<'a>>,
}

impl<'a> Context<'a> {
    pub fn new(set: &'a FileSet, workflows: &'a [Workflow], files: Option<&'a [String]>) -> Self {
        let caches = workflows
            .iter()
            .enumerate()
            .flat_map(|(w, wf)| {
                wf.jobs
                    .iter()
                    .enumerate()
                    .flat_map(move |(j, job)| cache::of_job(w, j, job))
            })
            .collect();
        Context {
            set,
            workflows,
            files,
            caches,
        }
    }

    /// The caches of the workflows checked (not of the repository's other workflows).
    pub fn own_caches(&self) -> impl Iterator<Item = &cache::Cache<'a>> {
        self.caches
            .iter()
            .filter(|c| self.workflows[c.workflow].own)
    }

    pub fn job(&self, c: &cache::Cache<'_>) -> &'a Job {
        &self.workflows[c.workflow].jobs[c.job]
    }

    /// The triggers of a workflow, its callers' (and theirs) included.
    pub fn triggers(&self, w: usize) -> Vec<&'a model::Trigger> {
        let mut out: Vec<&model::Trigger> = Vec::new();
        let mut seen = vec![w];
        let mut todo = vec![w];
        while let Some(i) = todo.pop() {
            let Some(wf) = self.workflows.get(i) else {
                continue;
            };
            out.extend(wf.triggers.iter());
            for &c in &wf.called_by {
                if !seen.contains(&c) {
                    seen.push(c);
                    todo.push(c);
                }
            }
        }
        out
    }

    /// The value of `env.NAME` for a step of a job (step, then job, then workflow `env:`).
    pub fn env(&self, w: usize, job: &'a Job, step: &'a Step, name: &str) -> Option<&'a Template> {
        let find = |env: &'a [model::Env]| {
            env.iter()
                .find(|e| e.name.eq_ignore_ascii_case(name))
                .map(|e| &e.value)
        };
        find(&step.env)
            .or_else(|| find(&job.env))
            .or_else(|| find(&self.workflows[w].env))
    }

    /// A cache's key components with `env.X` replaced by its value where the workflow sets it
    /// (one level) and `steps.X.outputs.cache-primary-key` by that restore step's key.
    pub fn key_parts(&self, c: &cache::Cache<'a>, t: &'a Template) -> Vec<Component> {
        let job = self.job(c);
        let mut out = Vec::new();
        for comp in &t.comps {
            let p = comp.ctx();
            match p {
                Some([env, name]) if env == "env" => {
                    match self.env(c.workflow, job, c.step_ref, name) {
                        Some(v) if !v.comps.iter().any(|x| x.is_ctx(&format!("env.{name}"))) => out
                            .extend(v.comps.iter().map(|x| Component {
                                part: x.part.clone(),
                                span: comp.span,
                            })),
                        _ => out.push(comp.clone()),
                    }
                }
                Some([steps, id, outputs, what])
                    if steps == "steps" && outputs == "outputs" && what == "cache-primary-key" =>
                {
                    let key = job
                        .steps
                        .iter()
                        .find(|s| s.id.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(id)))
                        .filter(|s| s.uses("actions/cache/restore") || s.uses("actions/cache"))
                        .and_then(|s| s.input("key"));
                    match key {
                        Some(k) => out.extend(k.value.comps.iter().map(|x| Component {
                            part: x.part.clone(),
                            span: comp.span,
                        })),
                        None => out.push(comp.clone()),
                    }
                }
                _ => out.push(comp.clone()),
            }
        }
        out
    }

    /// The step of a job with id `id`.
    pub fn step_by_id(job: &'a Job, id: &str) -> Option<&'a Step> {
        job.steps
            .iter()
            .find(|s| s.id.as_deref().is_some_and(|i| i.eq_ignore_ascii_case(id)))
    }
}

/// Whether a component's value is unknown here: any expression other than a literal, a
/// `runner.*`/`matrix.*` reference, `hashFiles` of literal patterns, or a version output of a
/// setup action.
pub fn is_opaque(c: &Component) -> bool {
    match &c.part {
        Part::Lit(_) => false,
        Part::HashFiles(args) => args.iter().any(Option::is_none),
        Part::Other(_) => true,
        Part::Ctx(p) => {
            !matches!(p.first().map(String::as_str), Some("runner" | "matrix"))
                && !is_version_output(p)
        }
    }
}

/// `steps.X.outputs.python-version` and the like, and `env.pythonLocation`.
pub fn is_version_output(p: &[String]) -> bool {
    match p {
        [s, _, o, what] if s == "steps" && o == "outputs" => {
            what.ends_with("-version") || what == "version"
        }
        [e, n] if e == "env" => n == "pythonlocation",
        _ => false,
    }
}

/// A key as comparable text: literal text, references and `hashFiles` patterns.
pub fn key_text(parts: &[Component]) -> String {
    parts
        .iter()
        .map(|c| match &c.part {
            Part::Lit(s) => s.trim().to_string(),
            Part::Ctx(p) => format!("${{{{{}}}}}", p.join(".")),
            Part::HashFiles(a) => format!(
                "${{{{hashfiles({})}}}}",
                a.iter()
                    .map(|x| x.clone().unwrap_or_default())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Part::Other(s) => format!("${{{{{s}}}}}"),
        })
        .collect()
}

/// The text of a path as GitHub's runner sees it for comparison: `$HOME`, `${{ env.HOME }}`
/// and `~` the same, `${{ github.workspace }}/` and `./` dropped, no trailing `/`.
pub fn normalize_path(p: &str) -> String {
    let mut s = p.trim().to_string();
    for home in ["${{ env.HOME }}", "${HOME}", "$HOME"] {
        if let Some(r) = s.strip_prefix(home) {
            s = format!("~{r}");
        }
    }
    for ws in [
        "${{ github.workspace }}/",
        "$GITHUB_WORKSPACE/",
        "${GITHUB_WORKSPACE}/",
        "./",
    ] {
        if let Some(r) = s.strip_prefix(ws) {
            s = r.to_string();
        }
    }
    let s = to_slash(&normalize(Path::new(&s)));
    s.trim_end_matches('/').to_string()
}

/// Runs the workflow rules over a loaded workflow.
pub fn check(loaded: &Loaded, files: Option<&[String]>) -> Vec<Diagnostic> {
    let cx = Context::new(&loaded.set, &loaded.workflows, files);
    let mut out = Vec::new();
    for rule in crate::rules::registry::WORKFLOW_RULES {
        rule.check(&cx, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflows_by_path_and_by_content() {
        assert!(is_workflow_path(Path::new(".github/workflows/ci.yml")));
        assert!(is_workflow_path(Path::new("/r/.github/workflows/x.yaml")));
        assert!(!is_workflow_path(Path::new(".github/workflows/sub/ci.yml")));
        assert!(!is_workflow_path(Path::new(".github/ci.yml")));
        assert!(looks_like_workflow(
            "name: x\non:\n  push:\njobs:\n  a: {}\n"
        ));
        assert!(looks_like_workflow("\"on\": push\njobs: {}\n"));
        assert!(!looks_like_workflow(
            "stages: [test]\njobs:\n  script: [x]\n"
        ));
        assert!(!looks_like_workflow("on_push:\n  x: 1\njobs: {}\n"));
    }
}
