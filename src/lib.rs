//! cachelint: a static linter and cache analyzer for GitLab CI configuration.
//!
//! The pipeline (see docs/architecture.md): files → yaml → load → resolve → model → rules →
//! report. [`check`] runs it for a list of root configuration files.

pub mod config;
pub mod diagnostic;
pub mod load;
pub mod model;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod show;
pub mod source;
pub mod suppress;
pub mod util;
pub mod yaml;

use diagnostic::{Diagnostic, Severity};
use load::{FileSet, LoadError};
use model::Pipeline;
use resolve::value::{Ctx, Steps};
use std::cell::RefCell;
use std::path::PathBuf;

/// One root configuration, loaded, resolved and modelled.
#[derive(Debug)]
pub struct Analysis {
    pub set: FileSet,
    /// The provenance chains the pipeline's origins refer to.
    pub steps: RefCell<Steps>,
    pub pipeline: Pipeline,
}

impl Analysis {
    /// Loads and resolves one root configuration; findings go to `diags`. `keep_effective`
    /// keeps each job's effective configuration in the pipeline (for `cachelint show`).
    pub fn new(
        mut set: FileSet,
        keep_effective: bool,
        assumed: &std::collections::HashMap<String, String>,
        diags: &mut Vec<Diagnostic>,
    ) -> Analysis {
        diags.append(&mut set.diagnostics);
        let steps = RefCell::new(Steps::default());
        let pipeline = {
            let ctx = Ctx::new(&set, &steps);
            let t = std::time::Instant::now();
            let resolved = resolve::resolve(&ctx, diags);
            let t_resolve = t.elapsed();
            let pipeline = model::build(&ctx, resolved, keep_effective, diags);
            if std::env::var_os("CACHELINT_TIMINGS").is_some() {
                eprintln!(
                    "cachelint timings: resolve {:.1} ms, model {:.1} ms, {} jobs, {} provenance steps",
                    t_resolve.as_secs_f64() * 1e3,
                    (t.elapsed() - t_resolve).as_secs_f64() * 1e3,
                    pipeline.jobs.len(),
                    steps.borrow().len()
                );
            }
            let t = std::time::Instant::now();
            let cx = rules::RuleContext::new(&pipeline, ctx, assumed);
            if std::env::var_os("CACHELINT_TIMINGS").is_some() {
                eprintln!(
                    "cachelint timings: rule context {:.1} ms",
                    t.elapsed().as_secs_f64() * 1e3
                );
            }
            diags.extend(rules::check(&cx, None, &mut Vec::new()));
            pipeline
        };
        Analysis {
            set,
            steps,
            pipeline,
        }
    }

    /// The resolution context, to read values and describe provenance.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx::new(&self.set, &self.steps)
    }
}

/// What `cachelint check` found.
#[derive(Debug)]
pub struct Outcome {
    /// One analysis per root configuration.
    pub analyses: Vec<Analysis>,
    /// Findings, each with the index of its file set, sorted by file and position.
    pub diagnostics: Vec<(usize, Diagnostic)>,
    /// Root files that could not be read.
    pub errors: Vec<LoadError>,
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
}

/// Loads and analyses one root configuration (for `cachelint show`); findings go to `diags`.
pub fn analyze(
    root: &std::path::Path,
    options: &Options,
    diags: &mut Vec<Diagnostic>,
) -> Result<Analysis, LoadError> {
    let set = load::load(root, options.project_root.as_deref(), &options.limits)?;
    let config = load_config(options.config.as_deref(), &set.project_root)?;
    Ok(Analysis::new(set, true, &config.variables, diags))
}

/// Loads and checks each root configuration file.
pub fn check(roots: &[PathBuf], options: &Options) -> Outcome {
    let mut analyses: Vec<Analysis> = Vec::new();
    let mut errors = Vec::new();
    let mut diagnostics = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for root in roots {
        let t = std::time::Instant::now();
        let loaded = load::load(root, options.project_root.as_deref(), &options.limits);
        if std::env::var_os("CACHELINT_TIMINGS").is_some() {
            eprintln!(
                "cachelint timings: load {:.1} ms ({})",
                t.elapsed().as_secs_f64() * 1e3,
                root.display()
            );
        }
        match loaded {
            Ok(set) => {
                let idx = analyses.len();
                let config = match load_config(options.config.as_deref(), &set.project_root) {
                    Ok(c) => c,
                    Err(e) => {
                        errors.push(e);
                        continue;
                    }
                };
                let mut diags = Vec::new();
                let analysis =
                    Analysis::new(set, options.keep_effective, &config.variables, &mut diags);
                let diags = suppress::apply(&analysis.set, diags);
                let diags = config.filter(diags, |d| analysis.set.file(d.file).rel_path.clone());
                for d in diags {
                    // A file included by several roots is reported once.
                    let file = &analysis.set.file(d.file).path;
                    if seen.insert((file.clone(), d.span, d.rule, d.message.clone())) {
                        diagnostics.push((idx, d));
                    }
                }
                analyses.push(analysis);
            }
            Err(e) => errors.push(e),
        }
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
    }
}

/// The configuration file given, or `cachelint.toml` at the project root when there is one.
fn load_config(
    given: Option<&std::path::Path>,
    project_root: &std::path::Path,
) -> Result<config::Config, LoadError> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => {
            let candidate = project_root.join(config::FILE_NAME);
            if !candidate.is_file() {
                return Ok(config::Config::default());
            }
            candidate
        }
    };
    let text = std::fs::read_to_string(&path).map_err(|e| LoadError {
        path: path.clone(),
        message: format!("invalid configuration: cannot read it: {e}"),
    })?;
    let names: Vec<&str> = rules::registry::names().collect();
    config::Config::parse(&text, &path, &names).map_err(|e| {
        let at = match e.line {
            Some((l, c)) => format!("{}:{l}:{c}", e.path.display()),
            None => e.path.display().to_string(),
        };
        LoadError {
            path: std::path::PathBuf::from(at),
            message: format!("invalid configuration: {}", e.message),
        }
    })
}
