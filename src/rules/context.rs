//! What a model rule sees and the helpers rules share: the [`Rule`] trait, the
//! [`RuleContext`] (the model, its provenance, the variables each job expands with), and
//! [`at`], which makes a finding at a value with the labels that tell how the value reached the
//! job.

use crate::diagnostic::{Diagnostic, Edit, Label, RuleId};
use crate::model::variables::Lookup;
use crate::model::{Cache, Job, Origin, Pipeline, Variable};
use crate::resolve::value::Ctx;
use crate::source::{FileId, Span};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// A check over the model. Each rule file declares its [`RuleId`] and, for a model rule, a
/// unit struct implementing this.
pub trait Rule: Sync {
    fn id(&self) -> RuleId;
    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>);
}

/// What a rule sees: the model, the provenance to describe it, and the variable values the
/// user declared (`[variables]` in cachelint.toml).
pub struct RuleContext<'a> {
    pub pipeline: &'a Pipeline,
    pub ctx: Ctx<'a>,
    /// The values declared in cachelint.toml.
    assumed: &'a HashMap<String, String>,
    /// The cache flow, computed by the first rule that asks.
    flow: std::cell::OnceCell<super::flow::Flow>,
    /// What each job's scripts run, read when a rule first asks.
    scripts: Vec<std::cell::OnceCell<super::tools::Scripts<'a>>>,
}

impl<'a> RuleContext<'a> {
    pub fn new(
        pipeline: &'a Pipeline,
        ctx: Ctx<'a>,
        assumed: &'a HashMap<String, String>,
    ) -> RuleContext<'a> {
        RuleContext {
            pipeline,
            ctx,
            assumed,
            flow: std::cell::OnceCell::new(),
            scripts: pipeline
                .jobs
                .iter()
                .map(|_| std::cell::OnceCell::new())
                .collect(),
        }
    }

    /// The cache flow of the pipeline (computed once).
    pub fn flow(&self) -> &super::flow::Flow {
        self.flow.get_or_init(|| super::flow::compute(self))
    }

    /// What job `job`'s scripts run (read once).
    pub fn scripts(&self, job: usize) -> &super::tools::Scripts<'a> {
        let pipeline: &'a Pipeline = self.pipeline;
        self.scripts[job].get_or_init(|| super::tools::Scripts::of(&pipeline.jobs[job]))
    }

    /// The pipeline-wide variables (top-level ones over the declared ones).
    pub fn top_vars(&self) -> InstanceVars<'_> {
        InstanceVars {
            matrix: &[],
            job: &self.pipeline.variables,
            assumed: self.assumed,
        }
    }

    /// The variables instance `instance` of job `job` expands its values with (its matrix
    /// values, then the job's, then the declared ones). Instance 0 stands for the job as
    /// written.
    pub fn vars(&self, job: usize, instance: usize) -> InstanceVars<'_> {
        let job = &self.pipeline.jobs[job];
        InstanceVars {
            matrix: job
                .instances
                .get(instance)
                .map_or(&[][..], |i| i.matrix.as_slice()),
            job: &job.variables,
            assumed: self.assumed,
        }
    }
}

/// The variables of one job instance (see [`RuleContext::vars`]): a few dozen at most, looked
/// up in place rather than copied into a map per job.
pub struct InstanceVars<'a> {
    matrix: &'a [Rc<Variable>],
    job: &'a [Rc<Variable>],
    assumed: &'a HashMap<String, String>,
}

impl Lookup for InstanceVars<'_> {
    fn var(&self, name: &str) -> Option<(&str, bool)> {
        self.matrix
            .iter()
            .chain(self.job.iter().rev())
            .find(|v| v.name == name)
            .map(|v| (v.value.as_str(), v.expand))
            .or_else(|| self.assumed.get(name).map(|v| (v.as_str(), false)))
    }
}

/// Every job with its index; a rule that needs each job `parallel` makes iterates its
/// [`Job::instances`].
pub fn jobs<'c>(cx: &'c RuleContext<'_>) -> impl Iterator<Item = (usize, &'c Job)> {
    cx.pipeline.jobs.iter().enumerate()
}

/// The caches of every job, with the job's index.
pub fn job_caches<'c>(
    cx: &'c RuleContext<'_>,
) -> impl Iterator<Item = (usize, &'c Job, &'c Cache)> {
    jobs(cx).flat_map(|(i, job)| job.caches.iter().map(move |c| (i, job, c)))
}

/// Whether `o` is met for the first time: a value written once (in `default:` or a template)
/// and inherited by many jobs is reported once.
pub fn first_seen(seen: &mut HashSet<(FileId, Span)>, o: &Origin) -> bool {
    seen.insert((o.loc.file, o.loc.span))
}

/// The location to point at for a value: its key when it has one, else the value.
pub fn primary(o: &Origin) -> (FileId, Span) {
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
            text: "used here through an alias".into(),
            via: Vec::new(),
        });
    }
    for (via, loc) in ctx.hops(o.chain) {
        if loc == o.loc {
            continue;
        }
        out.push(Label {
            file: loc.file,
            span: loc.span,
            text: String::new(),
            via: vec![via],
        });
    }
    // A value interpolated from an input: where the input's value was written (the include's
    // `inputs:` entry, or the spec's default) is what a user changes.
    for (via, loc) in ctx.set.input_chain(o.loc) {
        out.push(Label {
            file: loc.file,
            span: loc.span,
            text: String::new(),
            via: vec![via],
        });
    }
    out
}

/// A finding of `rule` at a value, with its provenance labels and the job it concerns.
pub fn at(
    cx: &RuleContext<'_>,
    rule: RuleId,
    o: &Origin,
    job: &Job,
    message: String,
) -> Diagnostic {
    let (file, span) = primary(o);
    let mut d = Diagnostic::new(rule, file, span, message).job(job.name.clone());
    d.labels = provenance(&cx.ctx, o);
    d
}

/// An edit replacing the text of a scalar value, where `o` says it is written (plain, or
/// inside its quotes), by `new`. A value written once and inherited is changed for every job
/// that inherits it, which is what the fix means.
pub fn replace_scalar(cx: &RuleContext<'_>, o: &Origin, new: &str) -> Option<Edit> {
    let text = &cx.ctx.set.file(o.loc.file).text;
    let written = text.get(o.loc.span.start as usize..o.loc.span.end as usize)?;
    if written.contains(['\n', '|', '>', '&', '*', '!']) {
        return None; // a block scalar, an anchor or a tag: not a simple value to replace
    }
    let quoted = (written.starts_with('"') && written.ends_with('"'))
        || (written.starts_with('\'') && written.ends_with('\''));
    let (start, end) = if quoted && written.len() >= 2 {
        (o.loc.span.start + 1, o.loc.span.end - 1)
    } else {
        (o.loc.span.start, o.loc.span.end)
    };
    Some(Edit {
        file: o.loc.file,
        span: Span::new(start, end),
        text: new.to_string(),
    })
}
