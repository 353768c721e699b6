//! The rule engine: every rule has a stable name, a default severity and a documentation page
//! (`rules/<name>.md`, compiled in). Most rules are checks over the typed model
//! ([`crate::model::Pipeline`]); the loading and resolution stages report the others, which are
//! listed here too so that documentation, suppression and configuration treat all alike.

mod cache_artifact_overlap;
mod cache_key_collision;
mod cache_keys;
mod cache_path_outside_project;
mod cache_values;
mod too_many_caches;

use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::model::{Job, Origin, Pipeline};
use crate::resolve::value::Ctx;
use std::collections::HashMap;

/// What a rule sees: the model, the provenance to describe it, and the variable values the
/// user declared (`[variables]` in cachelint.toml).
pub struct RuleContext<'a> {
    pub pipeline: &'a Pipeline,
    pub ctx: Ctx<'a>,
    /// Per job (same index as `pipeline.jobs`): the variables its values expand with.
    pub vars: Vec<HashMap<String, (String, bool)>>,
    /// One job per written job (`parallel` makes identical copies).
    pub written: Vec<usize>,
}

impl<'a> RuleContext<'a> {
    pub fn new(
        pipeline: &'a Pipeline,
        ctx: Ctx<'a>,
        assumed: &'a HashMap<String, String>,
    ) -> RuleContext<'a> {
        let base: HashMap<String, (String, bool)> = assumed
            .iter()
            .map(|(k, v)| (k.clone(), (v.clone(), false)))
            .collect();
        let vars = pipeline
            .jobs
            .iter()
            .map(|job| {
                let mut m = base.clone();
                for v in &job.variables {
                    m.insert(v.name.clone(), (v.value.clone(), v.expand));
                }
                m
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        let written = pipeline
            .jobs
            .iter()
            .enumerate()
            .filter(|(_, j)| seen.insert(j.base.as_str()))
            .map(|(i, _)| i)
            .collect();
        RuleContext {
            pipeline,
            ctx,
            vars,
            written,
        }
    }
}

/// A check over the model.
pub trait Rule {
    fn name(&self) -> &'static str;
    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>);
}

/// The checks over the model, in a stable order.
pub fn model_rules() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(too_many_caches::TooManyCaches),
        Box::new(cache_key_collision::CacheKeyCollision),
        Box::new(cache_path_outside_project::CachePathOutsideProject),
        Box::new(cache_artifact_overlap::CacheArtifactOverlap),
        Box::new(cache_keys::InvalidCacheKey),
        Box::new(cache_keys::CacheKeyUnsafeVariable),
        Box::new(cache_keys::TooManyCacheKeyFiles),
        Box::new(cache_values::TooManyFallbackKeys),
        Box::new(cache_values::InvalidCachePolicy),
        Box::new(cache_values::InvalidCacheWhen),
        Box::new(cache_values::UnknownCacheKeyword),
        Box::new(cache_values::CacheWithoutPaths),
        Box::new(cache_values::InvalidCacheValue),
    ]
}

/// Runs every model rule.
pub fn check(cx: &RuleContext<'_>) -> Vec<Diagnostic> {
    let timings = std::env::var_os("CACHELINT_TIMINGS").is_some();
    let mut out = Vec::new();
    for rule in model_rules() {
        let t = std::time::Instant::now();
        rule.check(cx, &mut out);
        if timings {
            eprintln!(
                "cachelint timings: rule {} {:.1} ms",
                rule.name(),
                t.elapsed().as_secs_f64() * 1e3
            );
        }
    }
    out
}

/// The jobs to check once per written job: `parallel` makes identical copies.
pub fn written_jobs<'c>(cx: &'c RuleContext<'_>) -> impl Iterator<Item = (usize, &'c Job)> {
    cx.written.iter().map(|&i| (i, &cx.pipeline.jobs[i]))
}

/// Whether path `p` is `dir` or lies inside it (`build/x` in `build`), compared as text.
pub fn within(p: &str, dir: &str) -> bool {
    p.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The caches of the written jobs (see [`written_jobs`]), with their job's index.
pub fn written_caches<'c>(
    cx: &'c RuleContext<'_>,
) -> impl Iterator<Item = (usize, &'c Job, &'c crate::model::Cache)> {
    written_jobs(cx).flat_map(|(i, job)| job.caches.iter().map(move |c| (i, job, c)))
}

/// Whether `o` is met for the first time: a value written once (in `default:` or a template)
/// and inherited by many jobs is reported once.
pub fn first_seen(
    seen: &mut std::collections::HashSet<(crate::source::FileId, crate::source::Span)>,
    o: &Origin,
) -> bool {
    seen.insert((o.loc.file, o.loc.span))
}

/// The location to point at for a value: its key when it has one, else the value.
pub fn primary(o: &Origin) -> (crate::source::FileId, crate::source::Span) {
    let l = o.key.unwrap_or(o.loc);
    (l.file, l.span)
}

/// Secondary labels telling how a value reached the job: through an alias, a `<<:` merge,
/// `extends`, `!reference`, `default:`.
pub fn provenance(ctx: &Ctx<'_>, o: &Origin) -> Vec<Label> {
    let mut out = Vec::new();
    if let Some(a) = o.alias {
        out.push(Label {
            file: a.file,
            span: a.span,
            message: "used here through an alias".into(),
        });
    }
    for (what, loc) in ctx.describe(o.chain) {
        if loc.file == o.loc.file && loc.span == o.loc.span {
            continue;
        }
        out.push(Label {
            file: loc.file,
            span: loc.span,
            message: what,
        });
    }
    out
}

/// A diagnostic at a value, with its provenance labels and the job it concerns.
pub fn at(
    cx: &RuleContext<'_>,
    rule: &'static str,
    severity: Severity,
    o: &Origin,
    job: &Job,
    message: String,
) -> Diagnostic {
    let (file, span) = primary(o);
    let mut d = Diagnostic::new(rule, severity, file, span, message).job(job.base.clone());
    d.labels = provenance(&cx.ctx, o);
    d
}

/// The variables job `index`'s values are expanded with: its effective variables and the
/// values declared in the configuration file (for variables defined outside the YAML).
pub fn job_variables<'c>(
    cx: &'c RuleContext<'_>,
    index: usize,
) -> &'c HashMap<String, (String, bool)> {
    &cx.vars[index]
}

/// Metadata of every rule: name, default severity, category, one-line summary and the
/// documentation page.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    pub name: &'static str,
    pub doc: &'static str,
}

impl RuleInfo {
    fn front(&self, key: &str) -> Option<&'static str> {
        let body = self.doc.strip_prefix("---\n")?;
        let end = body.find("\n---")?;
        body[..end].lines().find_map(|l| {
            let v = l.strip_prefix(key)?.strip_prefix(':')?.trim();
            Some(
                v.strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v),
            )
        })
    }
    pub fn severity(&self) -> Severity {
        match self.front("severity") {
            Some("error") => Severity::Error,
            Some("info") => Severity::Info,
            _ => Severity::Warning,
        }
    }
    pub fn summary(&self) -> &'static str {
        self.front("summary").unwrap_or("")
    }
    pub fn category(&self) -> &'static str {
        self.front("category").unwrap_or("")
    }
}

macro_rules! rules {
    ($($name:literal),* $(,)?) => {
        &[$(RuleInfo { name: $name, doc: include_str!(concat!("../../rules/", $name, ".md")) }),*]
    };
}

/// Every rule, in the order `cachelint rules` lists them.
pub static RULES: &[RuleInfo] = rules![
    "cache-key-collision",
    "too-many-caches",
    "cache-path-outside-project",
    "cache-artifact-overlap",
    "invalid-cache-key",
    "cache-key-unsafe-variable",
    "too-many-cache-key-files",
    "too-many-fallback-keys",
    "invalid-cache-policy",
    "invalid-cache-when",
    "unknown-cache-keyword",
    "cache-without-paths",
    "invalid-cache-value",
    "yaml-syntax",
    "yaml-disallowed-type",
    "yaml-too-large",
    "yaml-too-deep",
    "yaml-ignored-document",
    "invalid-config-format",
    "duplicate-key",
    "invalid-include",
    "unresolved-include",
    "too-many-includes",
    "unknown-extends",
    "extends-cycle",
    "extends-too-deep",
    "invalid-extends",
    "unresolved-reference",
    "reference-cycle",
    "invalid-reference",
    "conflicting-default",
    "job-without-script",
    "too-many-parallel-jobs",
    "unused-suppression",
];

pub fn info(name: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.name == name)
}
