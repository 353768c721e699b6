//! cachelint: a static linter and cache analyzer for GitLab CI configuration.
//!
//! The pipeline (see docs/architecture.md): files → yaml → load → resolve → model → rules →
//! report. [`check`] runs it for a list of root configuration files, reading them through a
//! file system ([`fs::Fs`]): the disk, or files in memory.

pub mod config;
pub mod diagnostic;
pub mod fs;
pub mod gha;
pub mod graph;
pub mod load;
pub mod model;
pub mod report;
pub mod resolve;
pub mod rules;
#[cfg(not(target_family = "wasm"))]
pub mod server;
pub mod show;
pub mod source;
pub mod suppress;
pub mod util;
pub mod yaml;

use diagnostic::{Diagnostic, Severity};
use fs::Fs;
use load::project::{Project, Refusal};
use load::{FileSet, LoadError};
use model::Pipeline;
use resolve::value::{Ctx, Steps};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use util::Clock;

/// The file a run checks when it is given none: `.gitlab-ci.yml` at the top level of the git
/// repository that contains the current directory (the current directory outside one).
pub fn default_root(fs: &dyn Fs) -> std::io::Result<PathBuf> {
    let cwd = fs.current_dir()?;
    Ok(load::project::git_root(fs, &cwd).join(".gitlab-ci.yml"))
}

/// The files a run checks when it is given none: the repository's `.gitlab-ci.yml` (see
/// [`default_root`]) when it exists, and its GitHub Actions workflows
/// (`.github/workflows/*.yml|yaml`). Empty when there is neither.
pub fn default_roots(fs: &dyn Fs) -> std::io::Result<Vec<PathBuf>> {
    let gitlab = default_root(fs)?;
    let top = gitlab.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut out = Vec::new();
    if fs.kind(&gitlab).is_some() {
        out.push(gitlab);
    }
    out.extend(gha::discover(fs, &top));
    Ok(out)
}

/// What a run is given as a root: a directory stands for its `.gitlab-ci.yml`.
pub fn root_file(fs: &dyn Fs, path: &Path) -> PathBuf {
    match fs.kind(path) {
        Some(fs::Kind::Dir) => path.join(".gitlab-ci.yml"),
        _ => path.to_path_buf(),
    }
}

/// How long each stage took, when a clock was given ([`Options::clock`]).
#[derive(Debug, Default)]
pub struct Timings {
    clock: Option<Clock>,
    pub stages: Vec<(String, Duration)>,
}

impl Timings {
    fn new(clock: Option<Clock>) -> Timings {
        Timings {
            clock,
            stages: Vec::new(),
        }
    }
    /// Runs `f`, recording how long it took under `what`.
    fn time<T>(&mut self, what: impl FnOnce() -> String, f: impl FnOnce() -> T) -> T {
        let Some(clock) = self.clock else {
            return f();
        };
        let start = clock();
        let out = f();
        self.stages.push((what(), clock().saturating_sub(start)));
        out
    }
}

/// One root configuration, loaded, resolved and modelled.
#[derive(Debug)]
pub struct Analysis {
    pub set: FileSet,
    /// The provenance chains the pipeline's origins refer to.
    pub steps: RefCell<Steps>,
    pub pipeline: Pipeline,
    /// The values declared for variables defined outside the YAML (`[variables]` in
    /// cachelint.toml), which the rules expand with.
    pub assumed: HashMap<String, String>,
    /// For a GitHub Actions workflow: files from this index on belong to the repository's other
    /// workflows, read only to compare with; nothing is reported on them here.
    pub others_from: Option<usize>,
}

impl Analysis {
    /// Resolves and models a loaded file set, and runs the rules; findings go to `diags`.
    /// `keep_effective` keeps each job's effective configuration (for `cachelint show`).
    fn new(
        mut set: FileSet,
        keep_effective: bool,
        assumed: &HashMap<String, String>,
        diags: &mut Vec<Diagnostic>,
        timings: &mut Timings,
    ) -> Analysis {
        diags.append(&mut set.diagnostics);
        let steps = RefCell::new(Steps::default());
        let pipeline = {
            let ctx = Ctx::new(&set, &steps);
            let resolved = timings.time(|| "resolve".into(), || resolve::resolve(&ctx, diags));
            let pipeline = timings.time(
                || "model".into(),
                || model::build(&ctx, resolved, keep_effective, diags),
            );
            let cx = timings.time(
                || "rule context".into(),
                || rules::RuleContext::new(&pipeline, ctx, assumed),
            );
            let clock = timings.clock;
            diags.extend(rules::check(&cx, clock, &mut timings.stages));
            pipeline
        };
        // Findings inside an interpolated copy of a file are findings in the file.
        for d in diags.iter_mut() {
            set.canonicalize(d);
        }
        Analysis {
            set,
            steps,
            pipeline,
            assumed: assumed.clone(),
            others_from: None,
        }
    }

    /// A GitHub Actions workflow: its files, no GitLab pipeline; the workflow rules' findings
    /// go to `diags`.
    fn workflow(
        fs: &dyn Fs,
        loaded: gha::Loaded,
        repo_files: &mut HashMap<PathBuf, Option<Vec<String>>>,
        assumed: &HashMap<String, String>,
        diags: &mut Vec<Diagnostic>,
        timings: &mut Timings,
    ) -> Analysis {
        let mut loaded = loaded;
        diags.append(&mut loaded.set.diagnostics);
        let files = repo_files
            .entry(loaded.set.project_root.clone())
            .or_insert_with(|| gha::repository_files(fs, &loaded.set.project_root));
        diags.extend(timings.time(
            || "workflow rules".into(),
            || gha::check(&loaded, files.as_deref()),
        ));
        Analysis {
            set: loaded.set,
            steps: RefCell::new(Steps::default()),
            pipeline: Pipeline::default(),
            assumed: assumed.clone(),
            others_from: Some(loaded.others_from),
        }
    }

    /// Whether this analysis is of a GitHub Actions workflow.
    pub fn is_workflow(&self) -> bool {
        let root = self.set.file(self.set.root.file);
        gha::is_workflow_path(Path::new(&root.rel_path))
            || (!root.rel_path.starts_with(".gitlab-ci") && gha::looks_like_workflow(&root.text))
    }

    /// The resolution context, to read values and describe provenance.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx::new(&self.set, &self.steps)
    }

    /// What the rules saw: the model with the declared variables (for the cache flow,
    /// [`rules::RuleContext::flow`]).
    pub fn rule_context(&self) -> rules::RuleContext<'_> {
        rules::RuleContext::new(&self.pipeline, self.ctx(), &self.assumed)
    }
}

/// What `cachelint check` found.
#[derive(Debug)]
pub struct Outcome {
    /// One analysis per root configuration.
    pub analyses: Vec<Analysis>,
    /// Findings, each with the index of its file set, sorted by file and position.
    pub diagnostics: Vec<(usize, Diagnostic)>,
    /// Root files (or configuration files) that could not be used.
    pub errors: Vec<LoadError>,
    /// How long each stage took, when [`Options::clock`] was given.
    pub timings: Vec<(String, Duration)>,
}

impl Outcome {
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|(_, d)| d.severity == severity)
            .count()
    }
    /// The highest severity found, if anything was.
    pub fn max_severity(&self) -> Option<Severity> {
        self.diagnostics.iter().map(|(_, d)| d.severity).max()
    }
    /// How many files were checked (a file several roots read counts once).
    pub fn files(&self) -> usize {
        let paths: std::collections::HashSet<&Path> = self
            .analyses
            .iter()
            .flat_map(|a| a.set.files.iter().map(|f| f.path.as_path()))
            .collect();
        paths.len()
    }
}

/// Options of a check run.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub limits: yaml::Limits,
    /// The directory include paths are relative to (default: the git top level).
    pub project_root: Option<PathBuf>,
    /// Keep each job's effective configuration ([`model::Pipeline::effective`]).
    pub keep_effective: bool,
    /// The configuration file to use instead of `cachelint.toml` at the project root.
    pub config: Option<PathBuf>,
    /// A clock, to time each stage ([`Outcome::timings`]); the library has none of its own.
    pub clock: Option<Clock>,
}

/// Loads and analyses one root configuration (for `cachelint show`); findings go to `diags`.
pub fn analyze(
    fs: &dyn Fs,
    root: &Path,
    options: &Options,
    diags: &mut Vec<Diagnostic>,
) -> Result<Analysis, LoadError> {
    let project_root = load::project_root_of(fs, root, options.project_root.as_deref())?;
    let config = load_config(fs, options.config.as_deref(), &project_root)?;
    let set = load::load_with(
        fs,
        root,
        options.project_root.as_deref(),
        &options.limits,
        &config.variables,
    )?;
    let mut timings = Timings::new(None);
    Ok(Analysis::new(
        set,
        true,
        &config.variables,
        diags,
        &mut timings,
    ))
}

/// Loads and checks each root configuration file through `fs`.
pub fn check(fs: &dyn Fs, roots: &[PathBuf], options: &Options) -> Outcome {
    let mut analyses: Vec<Analysis> = Vec::new();
    let mut errors = Vec::new();
    let mut diagnostics = Vec::new();
    let mut timings = Timings::new(options.clock);
    let mut seen = std::collections::HashSet::new();
    // The repository's files, listed once per project for `hashFiles`.
    let mut repo_files = HashMap::new();
    for root in roots {
        // The configuration first: `include:rules:if` is decided with its variables.
        let config = match load::project_root_of(fs, root, options.project_root.as_deref())
            .and_then(|p| load_config(fs, options.config.as_deref(), &p))
        {
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let workflow = gha::is_workflow_root(fs, root);
        let loaded = timings.time(
            || format!("load {}", root.display()),
            || {
                if workflow {
                    gha::load(fs, root, options.project_root.as_deref(), &options.limits).map(Err)
                } else {
                    load::load_with(
                        fs,
                        root,
                        options.project_root.as_deref(),
                        &options.limits,
                        &config.variables,
                    )
                    .map(Ok)
                }
            },
        );
        let loaded = match loaded {
            Ok(set) => set,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let set = match loaded {
            Ok(set) => set,
            Err(workflow) => {
                let idx = analyses.len();
                let mut diags = Vec::new();
                let analysis = Analysis::workflow(
                    fs,
                    workflow,
                    &mut repo_files,
                    &config.variables,
                    &mut diags,
                    &mut timings,
                );
                push_findings(&analysis, &config, diags, idx, &mut seen, &mut diagnostics);
                analyses.push(analysis);
                continue;
            }
        };
        let idx = analyses.len();
        let mut diags = Vec::new();
        let analysis = Analysis::new(
            set,
            options.keep_effective,
            &config.variables,
            &mut diags,
            &mut timings,
        );
        push_findings(&analysis, &config, diags, idx, &mut seen, &mut diagnostics);
        analyses.push(analysis);
    }
    diagnostics.sort_by(|(a, x), (b, y)| {
        let fa = &analyses[*a].set.file(x.file).rel_path;
        let fb = &analyses[*b].set.file(y.file).rel_path;
        (a, fa, x.span.start, x.rule).cmp(&(b, fb, y.span.start, y.rule))
    });
    Outcome {
        analyses,
        diagnostics,
        errors,
        timings: timings.stages,
    }
}

/// The findings of one analysis after suppression comments and `cachelint.toml`; a file
/// checked for several roots is reported once.
fn push_findings(
    analysis: &Analysis,
    config: &config::Config,
    diags: Vec<Diagnostic>,
    idx: usize,
    seen: &mut std::collections::HashSet<(PathBuf, source::Span, diagnostic::RuleId, String)>,
    diagnostics: &mut Vec<(usize, Diagnostic)>,
) {
    let diags = suppress::apply(&analysis.set, diags);
    let diags = config.filter(diags, |d| analysis.set.file(d.file).rel_path.clone());
    let others_from = analysis.others_from.unwrap_or(usize::MAX);
    for d in diags
        .into_iter()
        .filter(|d| (d.file.0 as usize) < others_from)
    {
        let file = &analysis.set.file(d.file).path;
        if seen.insert((file.clone(), d.span, d.rule, d.message.clone())) {
            diagnostics.push((idx, d));
        }
    }
}

/// The largest `cachelint.toml` read.
const CONFIG_BYTES: u64 = 1024 * 1024;

/// The configuration file given, or `cachelint.toml` at the project root when there is one;
/// read like any file of the project (never through a link out of it).
fn load_config(
    fs: &dyn Fs,
    given: Option<&Path>,
    project_root: &Path,
) -> Result<config::Config, LoadError> {
    let project = Project::new(fs, project_root.to_path_buf());
    let (path, shown) = match given {
        Some(p) => {
            let abs = load::project::absolute(fs, p).map_err(|e| LoadError {
                path: p.to_path_buf(),
                message: format!("invalid configuration: {e}"),
            })?;
            (abs, p.to_path_buf())
        }
        None => {
            let candidate = project_root.join(config::FILE_NAME);
            if fs.kind(&candidate).is_none() {
                return Ok(config::Config::default());
            }
            (candidate.clone(), candidate)
        }
    };
    let bytes = project.read(&path, CONFIG_BYTES).map_err(|r| LoadError {
        path: shown.clone(),
        message: format!(
            "invalid configuration: cannot read it: {}",
            match r {
                Refusal::Outside => "it is outside the project".to_string(),
                Refusal::LinkOutside => "it is a link to a file outside the project".to_string(),
                Refusal::Missing => "No such file or directory".to_string(),
                Refusal::NotAFile => "it is not a regular file".to_string(),
                Refusal::Unreadable(e) => e,
                Refusal::TooLarge(n) => format!(
                    "it is {n} bytes, over the {CONFIG_BYTES} a configuration file may have"
                ),
            }
        ),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| LoadError {
        path: shown.clone(),
        message: "invalid configuration: the file is not valid UTF-8".into(),
    })?;
    let names: Vec<&str> = rules::registry::names().collect();
    config::Config::parse(&text, &shown, &names).map_err(|e| {
        let at = match e.line {
            Some((l, c)) => format!("{}:{l}:{c}", e.path.display()),
            None => e.path.display().to_string(),
        };
        LoadError {
            path: PathBuf::from(at),
            message: format!("invalid configuration: {}", e.message),
        }
    })
}
