//! Builds the [`Pipeline`] from the resolved configuration, one concern a file:
//! [`classify`] (which top-level keys are jobs, `Entry::Root#filter_jobs!`), [`inherit`]
//! (`default:`, the deprecated top-level keywords and `inherit`,
//! `Entry::Processable#overwrite_entry`), [`job`] (a job's keywords), [`cache`] (caches and
//! artifacts), [`parallel`] (`parallel` and `parallel: matrix`, `Config::Normalizer`) and
//! [`downloads`] (whose artifacts each job gets, `Ci::BuildDependencies`).
//!
//! The builder records what is written, typed and with its [`Origin`]; it does not judge it.
//! Whether a value is valid is the rules' business.

mod cache;
mod classify;
mod downloads;
mod inherit;
mod job;
mod parallel;
mod run;

use super::{EffectiveJob, Origin, Pipeline, Shape, Text, VariableSource};
use crate::diagnostic::Diagnostic;
use crate::resolve::Resolved;
use crate::resolve::value::{Ctx, REntry, RValue};
use crate::source::Loc;
use crate::yaml::Value;
use std::rc::Rc;

/// How deep nested lists are flattened (`script`, `cache`, `needs`...): GitLab flattens
/// `!reference` results one level at a time, up to its `ComposableArray` depth.
pub const FLATTEN_DEPTH: u32 = 10;

struct Builder<'c, 'a> {
    ctx: &'c Ctx<'a>,
    diags: &'c mut Vec<Diagnostic>,
}

/// Builds the pipeline; findings of this stage go to `diags`. `keep_effective` keeps each
/// job's effective configuration (for `cachelint show`); checking does not need it.
pub fn build(
    ctx: &Ctx<'_>,
    owned: Resolved,
    keep_effective: bool,
    diags: &mut Vec<Diagnostic>,
) -> Pipeline {
    let resolved = &owned;
    let mut b = Builder { ctx, diags };
    let stages = b.stages(resolved);
    let mut p = Pipeline {
        variables: resolved
            .get("variables")
            .map(|e| {
                b.variables(&e.value, VariableSource::TopLevel)
                    .into_iter()
                    .map(Rc::new)
                    .collect()
            })
            .unwrap_or_default(),
        ..Pipeline::default()
    };
    p.incomplete = resolved.incomplete;
    p.workflow = resolved
        .get("workflow")
        .and_then(|w| ctx.get(&w.value, "rules"))
        .map(|r| b.run_rules(&r));
    let defaults = b.defaults(resolved);
    let mut wiring = Vec::new();
    for entry in &resolved.top {
        let Some(value) = b.job_value(entry, resolved.incomplete) else {
            continue;
        };
        let effective = b.effective(&value, &defaults);
        let (job, links) = b.job(entry, &effective, &p.variables, &stages);
        p.jobs.push(job);
        wiring.push(links);
        if keep_effective {
            p.effective.push(EffectiveJob {
                name: ctx.key(entry).into_owned(),
                key: ctx.key_loc(entry),
                value: RValue::map(effective),
            });
        }
    }
    downloads::wire(&mut p.jobs, &wiring);
    p.top = owned
        .top
        .into_iter()
        .filter(|e| ctx.key_is(e, "stages") || ctx.key_is(e, "variables"))
        .collect();
    p
}

impl Builder<'_, '_> {
    /// Where an entry's value was written, under its key.
    fn origin(&self, e: &REntry) -> Origin {
        Origin {
            loc: self.ctx.loc(&e.value).unwrap_or(self.ctx.key_loc(e)),
            key: Some(self.ctx.key_loc(e)),
            alias: self.ctx.alias_site(&e.value),
            chain: e.value.chain,
        }
    }

    /// Where a list item was written (`fallback` when it was assembled by resolution).
    fn item_origin(&self, v: &RValue, fallback: Loc) -> Origin {
        Origin {
            loc: self.ctx.loc(v).unwrap_or(fallback),
            key: None,
            alias: self.ctx.alias_site(v),
            chain: v.chain,
        }
    }

    /// A scalar as text, with whether it is a string; `None` for null and non-scalars.
    fn text(&self, v: &RValue) -> Option<Text> {
        let ctx = self.ctx;
        match ctx.scalar(v)? {
            Value::Str => Some(Text {
                text: ctx.as_str(v)?.to_string(),
                is_string: true,
            }),
            Value::Null => None,
            _ => Some(Text {
                text: ruby_to_s(ctx, v),
                is_string: false,
            }),
        }
    }

    /// The kind of value written, as GitLab's validators tell them apart.
    fn shape(&self, v: &RValue) -> Shape {
        let ctx = self.ctx;
        if ctx.is_seq(v) {
            Shape::List
        } else if ctx.is_map(v) {
            Shape::Mapping
        } else {
            match ctx.scalar(v) {
                Some(Value::Str) => Shape::Str,
                Some(Value::Symbol(_)) => Shape::Symbol,
                Some(Value::Bool(_)) => Shape::Bool,
                Some(Value::Int(_) | Value::BigInt(_) | Value::Float(_)) => Shape::Number,
                Some(Value::Null) => Shape::Null,
                _ => Shape::Other,
            }
        }
    }
}

/// A mapping's entries with their keys read once, for repeated lookups.
struct Keyed<'e, 'a> {
    entries: &'e [REntry],
    keys: Vec<std::borrow::Cow<'a, str>>,
}

impl<'e, 'a> Keyed<'e, 'a> {
    fn new(ctx: &Ctx<'a>, entries: &'e [REntry]) -> Keyed<'e, 'a> {
        Keyed {
            entries,
            keys: entries.iter().map(|e| ctx.key(e)).collect(),
        }
    }
    fn get(&self, key: &str) -> Option<&'e REntry> {
        self.keys
            .iter()
            .position(|k| k == key)
            .map(|i| &self.entries[i])
    }
}

/// The items of a list with nested lists flattened (at most [`FLATTEN_DEPTH`] levels), or the
/// value itself when it is not a list; nothing for null.
pub fn flatten(ctx: &Ctx<'_>, v: &RValue) -> Vec<RValue> {
    let mut out = Vec::new();
    if ctx.is_seq(v) {
        flatten_into(ctx, v, FLATTEN_DEPTH, &mut out);
    } else if !ctx.is_null(v) {
        out.push(v.clone());
    }
    out
}

fn flatten_into(ctx: &Ctx<'_>, v: &RValue, depth: u32, out: &mut Vec<RValue>) {
    for item in ctx.items(v) {
        if ctx.is_seq(&item) && depth > 0 {
            flatten_into(ctx, &item, depth - 1, out);
        } else {
            out.push(item);
        }
    }
}

/// Ruby's `to_s` of a loaded scalar (what GitLab does to variable and matrix values).
pub fn ruby_to_s(ctx: &Ctx<'_>, v: &RValue) -> String {
    match ctx.scalar(v) {
        Some(Value::Null) => String::new(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Int(i)) => i.to_string(),
        Some(Value::BigInt(s)) => s.to_string(),
        Some(Value::Float(f)) => ruby_float(*f),
        Some(Value::Symbol(s)) => s.to_string(),
        Some(_) => ctx.scalar_text(v).unwrap_or("").to_string(),
        None => String::new(),
    }
}

/// Ruby's `Float#to_s`.
fn ruby_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else if f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}
