//! A job's own keywords: its stage, its variables, and what it says about artifacts
//! (`needs`, `dependencies`), from its effective entries.

use super::downloads::Links;
use super::{Builder, Keyed, flatten, ruby_to_s};
use crate::model::{Downloads, Job, Origin, Valued, Variable, VariableSource};
use crate::resolve::Resolved;
use crate::resolve::value::{Chain, REntry, RValue};
use crate::source::Loc;
use crate::yaml::Value;
use std::rc::Rc;

/// GitLab's stages when `stages:` is not written.
const DEFAULT_STAGES: [&str; 3] = ["build", "test", "deploy"];

impl Builder<'_, '_> {
    /// `stages:` (flattened), or GitLab's default list; `.pre` first and `.post` last.
    pub(super) fn stages(&self, r: &Resolved) -> Vec<String> {
        let written = r.get("stages").or_else(|| r.get("types"));
        let mut list: Vec<String> = match written {
            Some(e) => flatten(self.ctx, &e.value)
                .iter()
                .filter_map(|v| self.ctx.scalar_text(v).map(str::to_string))
                .collect(),
            None => Vec::new(),
        };
        if list.is_empty() {
            list = DEFAULT_STAGES.iter().map(|s| s.to_string()).collect();
        }
        list.retain(|s| s != ".pre" && s != ".post");
        list.insert(0, ".pre".into());
        list.push(".post".into());
        list
    }

    /// The entries of a `variables:` mapping (a value, or `{value:, expand:}`).
    pub(super) fn variables(&self, v: &RValue, source: VariableSource) -> Vec<Variable> {
        let ctx = self.ctx;
        ctx.entries(v)
            .into_iter()
            .map(|e| {
                let origin = self.origin(&e);
                let (value, expand) = if ctx.is_map(&e.value) {
                    let value = ctx
                        .get(&e.value, "value")
                        .map(|x| ruby_to_s(ctx, &x.value))
                        .unwrap_or_default();
                    let expand = !matches!(
                        ctx.get(&e.value, "expand")
                            .and_then(|x| ctx.scalar(&x.value).cloned()),
                        Some(Value::Bool(false))
                    );
                    (value, expand)
                } else {
                    (ruby_to_s(ctx, &e.value), true)
                };
                Variable {
                    name: self.ctx.key(&e).into_owned(),
                    value,
                    expand,
                    origin,
                    source,
                }
            })
            .collect()
    }

    /// One job from its effective entries, and what it says about whose artifacts it takes.
    pub(super) fn job(
        &mut self,
        entry: &REntry,
        effective: &[REntry],
        top_vars: &[Rc<Variable>],
        stages: &[String],
    ) -> (Job, Links) {
        let ctx = self.ctx;
        let keyed = Keyed::new(ctx, effective);
        let get = |k: &str| keyed.get(k);
        let name = ctx.key(entry).into_owned();
        let stage = match get("stage") {
            Some(e) => Valued {
                value: ruby_to_s(ctx, &e.value),
                origin: self.origin(e),
            },
            None => Valued {
                value: "test".into(),
                origin: Origin {
                    loc: ctx.key_loc(entry),
                    key: None,
                    alias: None,
                    chain: Chain::NONE,
                },
            },
        };
        let stage_index = stages
            .iter()
            .position(|s| *s == stage.value)
            .unwrap_or(stages.len());
        let mut variables = self.inherited_variables(get("inherit"), top_vars);
        if let Some(e) = get("variables") {
            for v in self.variables(&e.value, VariableSource::Job) {
                variables.retain(|x| x.name != v.name);
                variables.push(Rc::new(v));
            }
        }
        let (caches, cache_origin) = match get("cache") {
            Some(e) => (self.caches(e), Some(self.origin(e))),
            None => (Vec::new(), None),
        };
        let links = Links {
            needs: get("needs").map(|e| self.needs(e)),
            dependencies: get("dependencies").map(|e| {
                self.strings(&e.value, ctx.key_loc(e))
                    .into_iter()
                    .map(|v| v.value)
                    .collect()
            }),
        };
        let instances = self.instances(entry, &name, get("parallel"));
        let job = Job {
            name,
            key: ctx.key_loc(entry),
            stage,
            stage_index,
            variables,
            caches,
            cache_origin,
            artifacts: get("artifacts").and_then(|e| self.artifacts(e)),
            downloads: Downloads::Jobs(Vec::new()),
            instances,
            run: self.run(&keyed),
        };
        (job, links)
    }

    /// A list of strings (nested lists flattened, as for `script`), or one string.
    pub(super) fn strings(&self, v: &RValue, fallback: Loc) -> Vec<Valued<String>> {
        flatten(self.ctx, v)
            .iter()
            .filter_map(|item| {
                Some(Valued {
                    value: self.text(item)?.text,
                    origin: self.item_origin(item, fallback),
                })
            })
            .collect()
    }

    /// `needs:`: the jobs named, and whether each one's artifacts are downloaded.
    fn needs(&self, e: &REntry) -> Vec<(String, bool)> {
        let ctx = self.ctx;
        flatten(ctx, &e.value)
            .iter()
            .filter_map(|item| {
                if let Some(name) = ctx.as_str(item) {
                    return Some((name.to_string(), true));
                }
                let job = ctx.get(item, "job")?;
                // A need of another pipeline or project downloads nothing of this one.
                if ctx.has(item, "pipeline") || ctx.has(item, "project") {
                    return None;
                }
                let artifacts = !matches!(
                    ctx.get(item, "artifacts")
                        .and_then(|x| ctx.scalar(&x.value).cloned()),
                    Some(Value::Bool(false))
                );
                Some((ruby_to_s(ctx, &job.value), artifacts))
            })
            .collect()
    }
}
