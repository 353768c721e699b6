//! cachelint: a static linter and cache analyzer for GitLab CI configuration.
//!
//! The pipeline (see docs/architecture.md): files → yaml → load → resolve → model → rules →
//! report. [`check`] runs it for a list of root configuration files.

pub mod diagnostic;
pub mod load;
pub mod model;
pub mod report;
pub mod resolve;
pub mod source;
pub mod yaml;

use diagnostic::{Diagnostic, Severity};
use load::{FileSet, LoadError};
use std::path::PathBuf;

/// What `cachelint check` found.
#[derive(Debug)]
pub struct Outcome {
    /// One file set per root configuration.
    pub sets: Vec<FileSet>,
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
}

/// Loads and checks each root configuration file.
pub fn check(roots: &[PathBuf], options: &Options) -> Outcome {
    let mut sets = Vec::new();
    let mut errors = Vec::new();
    let mut diagnostics = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for root in roots {
        match load::load(root, options.project_root.as_deref(), &options.limits) {
            Ok(mut set) => {
                let idx = sets.len();
                let mut diags = std::mem::take(&mut set.diagnostics);
                let ctx = resolve::value::Ctx::new(&set);
                let resolved = resolve::resolve(&ctx, &mut diags);
                let _pipeline = model::build(&ctx, &resolved, &mut diags);
                for d in diags {
                    // A file included by several roots is reported once.
                    let file = &set.file(d.file).path;
                    if seen.insert((file.clone(), d.span, d.rule, d.message.clone())) {
                        diagnostics.push((idx, d));
                    }
                }
                sets.push(set);
            }
            Err(e) => errors.push(e),
        }
    }
    diagnostics.sort_by(|(a, x), (b, y)| {
        let fa = &sets[*a].file(x.file).rel_path;
        let fb = &sets[*b].file(y.file).rel_path;
        (a, fa, x.span.start, x.rule).cmp(&(b, fb, y.span.start, y.rule))
    });
    Outcome {
        sets,
        diagnostics,
        errors,
    }
}
