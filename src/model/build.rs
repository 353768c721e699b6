//! Builds the [`Pipeline`] from the resolved configuration: job classification
//! (`Entry::Root#filter_jobs!`), `default:` and the deprecated top-level keywords with `inherit`
//! (`Entry::Processable#overwrite_entry`), `parallel` expansion (`Config::Normalizer`), and the
//! artifact downloads of each job (`Ci::BuildDependencies`).

use super::{
    Artifacts, Cache, CacheKey, Downloads, EffectiveJob, Job, JobRule, Need, Origin, Pipeline,
    Shape, Text, Valued, Variable, VariableSource, Written,
};
use crate::diagnostic::Diagnostic;
use crate::resolve::Resolved;
use crate::resolve::value::{Chain, Ctx, Loc, REntry, RValue, Step};
use crate::rules::{conflicting_default, job_without_script, too_many_parallel_jobs};
use crate::util::suggest::did_you_mean;
use crate::yaml::Value;
use std::collections::HashMap;
use std::rc::Rc;

/// Top-level keys that can never be jobs (`Entry::Root` reserved entries).
const RESERVED: &[&str] = &[
    "include",
    "before_script",
    "image",
    "services",
    "after_script",
    "variables",
    "stages",
    "cache",
    "types",
];
/// `Entry::Root::ALLOWED_KEYS`: `default` and `workflow` are jobs only when they look like one.
const ROOT_KEYS: &[&str] = &[
    "default",
    "include",
    "before_script",
    "image",
    "services",
    "after_script",
    "variables",
    "stages",
    "cache",
    "workflow",
    "types",
];
/// What a job inherits from `default:` when it does not set it (`Default::ALLOWED_KEYS`).
pub const INHERITABLE: &[&str] = &[
    "before_script",
    "after_script",
    "hooks",
    "cache",
    "image",
    "services",
    "interruptible",
    "timeout",
    "retry",
    "tags",
    "artifacts",
    "id_tokens",
];
/// The deprecated top-level keywords that act as `default:`.
const TOP_LEVEL_DEFAULTS: &[&str] = &[
    "before_script",
    "image",
    "services",
    "after_script",
    "cache",
];
/// Job keywords (`Entry::Job::ALLOWED_KEYS` and `Processable`), for "did you mean".
const JOB_KEYS: &[&str] = &[
    "tags",
    "script",
    "image",
    "services",
    "start_in",
    "artifacts",
    "cache",
    "dependencies",
    "before_script",
    "after_script",
    "hooks",
    "coverage",
    "retry",
    "parallel",
    "timeout",
    "release",
    "id_tokens",
    "publish",
    "pages",
    "manual_confirmation",
    "run",
    "extends",
    "stage",
    "only",
    "except",
    "rules",
    "variables",
    "inherit",
    "allow_failure",
    "when",
    "needs",
    "resource_group",
    "environment",
    "interruptible",
    "trigger",
    "secrets",
];
/// GitLab's `PARALLEL_LIMIT`.
pub const PARALLEL_LIMIT: u64 = too_many_parallel_jobs::LIMIT;

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
    let mut p = Pipeline {
        stages: b.stages(resolved),
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
    let defaults = b.defaults(resolved);
    for entry in &resolved.top {
        let Some(value) = b.job_value(entry) else {
            continue;
        };
        let effective = b.effective(&value, &defaults);
        let jobs = b.jobs(entry, &effective, &p.variables, &p.stages);
        p.jobs.extend(jobs);
        if keep_effective {
            p.effective.push(EffectiveJob {
                name: ctx.key(entry).into_owned(),
                key: ctx.key_loc(entry),
                value: RValue::map(effective),
            });
        }
    }
    downloads(&mut p.jobs);
    p.top = owned
        .top
        .into_iter()
        .filter(|e| ctx.key_is(e, "stages") || ctx.key_is(e, "variables"))
        .collect();
    p
}

impl Builder<'_, '_> {
    fn origin(&self, e: &REntry) -> Origin {
        Origin {
            loc: self.ctx.loc(&e.value).unwrap_or(self.ctx.key_loc(e)),
            key: Some(self.ctx.key_loc(e)),
            alias: self.ctx.alias_site(&e.value),
            chain: e.value.chain,
        }
    }

    fn item_origin(&self, v: &RValue, fallback: Loc) -> Origin {
        Origin {
            loc: self.ctx.loc(v).unwrap_or(fallback),
            key: None,
            alias: self.ctx.alias_site(v),
            chain: v.chain,
        }
    }

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

    /// `stages:` (flattened), or GitLab's default list; `.pre` first and `.post` last.
    fn stages(&self, r: &Resolved) -> Vec<String> {
        let written = r.get("stages").or_else(|| r.get("types"));
        let mut list: Vec<String> = match written {
            Some(e) => flatten(self.ctx, &e.value, 10)
                .iter()
                .filter_map(|v| self.ctx.scalar_text(v).map(str::to_string))
                .collect(),
            None => Vec::new(),
        };
        if list.is_empty() {
            list = vec!["build".into(), "test".into(), "deploy".into()];
        }
        list.retain(|s| s != ".pre" && s != ".post");
        list.insert(0, ".pre".into());
        list.push(".post".into());
        list
    }

    fn variables(&self, v: &RValue, source: VariableSource) -> Vec<Variable> {
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

    /// The default keywords: `default:` entries and the deprecated top-level keywords, which
    /// may not both set the same keyword.
    fn defaults(&mut self, r: &Resolved) -> HashMap<String, (REntry, bool)> {
        let ctx = self.ctx;
        let mut out: HashMap<String, (REntry, bool)> = HashMap::new();
        if let Some(d) = r.get("default")
            && ctx.is_map(&d.value)
        {
            for e in ctx.entries(&d.value) {
                if INHERITABLE.contains(&&*self.ctx.key(&e)) {
                    out.insert(self.ctx.key(&e).into_owned(), (e, false));
                }
            }
        }
        for key in TOP_LEVEL_DEFAULTS {
            let Some(top) = r.get(key) else { continue };
            if let Some((d, _)) = out.get(*key) {
                self.diags.push(conflicting_default::conflict(
                    self.ctx.key_loc(top),
                    self.ctx.key_loc(d),
                    key,
                ));
                continue;
            }
            out.insert(key.to_string(), (top.clone(), true));
        }
        out
    }

    /// A visible job's value, or `None` for hidden jobs and keys that are not jobs.
    fn job_value(&mut self, entry: &REntry) -> Option<RValue> {
        let ctx = self.ctx;
        let key = &*self.ctx.key(entry);
        if RESERVED.contains(&key) || key.starts_with('.') {
            return None;
        }
        let is_job = ctx.is_map(&entry.value)
            && ["script", "run", "trigger"]
                .iter()
                .any(|k| ctx.get(&entry.value, k).is_some());
        if ROOT_KEYS.contains(&key) {
            return is_job.then(|| entry.value.clone());
        }
        if !is_job {
            let keywords = ROOT_KEYS.iter().chain(JOB_KEYS.iter()).copied();
            let suggestion = did_you_mean(key, keywords);
            // A job may get its script from a file that could not be read (overriding a
            // template's job is common): then only a likely misspelt keyword is reported.
            if suggestion.is_none() && !ctx.set.unresolved.is_empty() {
                return None;
            }
            self.diags.push(job_without_script::no_script(
                self.ctx.key_loc(entry),
                key,
                suggestion,
            ));
            return None;
        }
        Some(entry.value.clone())
    }

    /// The job's entries with the default keywords it does not set (and `inherit` allows).
    fn effective(&self, value: &RValue, defaults: &HashMap<String, (REntry, bool)>) -> Vec<REntry> {
        let ctx = self.ctx;
        let mut entries = ctx.entries(value);
        let inherit = ctx
            .get(value, "inherit")
            .and_then(|e| ctx.get(&e.value, "default"));
        let allowed = |k: &str| match &inherit {
            None => true,
            Some(i) => match ctx.scalar(&i.value) {
                Some(Value::Bool(b)) => *b,
                _ => ctx.items(&i.value).iter().any(|x| ctx.as_str(x) == Some(k)),
            },
        };
        let written: Vec<std::borrow::Cow<'_, str>> = entries.iter().map(|e| ctx.key(e)).collect();
        let mut unset = vec![false; entries.len()];
        let mut added = Vec::new();
        for key in INHERITABLE {
            // A keyword set to null counts as not set.
            if let Some(pos) = written.iter().position(|k| k == key) {
                if !ctx.is_null(&entries[pos].value) {
                    continue;
                }
                unset[pos] = true;
            }
            if !allowed(key) {
                continue;
            }
            if let Some((d, top_level)) = defaults.get(*key) {
                let step = Step::Default {
                    keyword: key,
                    site: self.ctx.key_loc(d),
                    top_level: *top_level,
                };
                added.push(REntry {
                    key: d.key,
                    value: ctx.with_step(d.value.clone(), &step),
                });
            }
        }
        if unset.iter().any(|u| *u) {
            entries = entries
                .into_iter()
                .zip(unset)
                .filter(|(_, u)| !u)
                .map(|(e, _)| e)
                .collect();
        }
        entries.extend(added);
        entries
    }

    /// The jobs one entry runs as: one, or one per `parallel` instance or matrix combination.
    fn jobs(
        &mut self,
        entry: &REntry,
        effective: &[REntry],
        top_vars: &[Rc<Variable>],
        stages: &[String],
    ) -> Vec<Job> {
        let ctx = self.ctx;
        let keyed = Keyed::new(ctx, effective);
        let get = |k: &str| keyed.get(k);
        let base = self.job(entry, &keyed, top_vars, stages);
        let Some(parallel) = get("parallel") else {
            return vec![base];
        };
        if let Some(Value::Int(n)) = ctx.scalar(&parallel.value) {
            let n = *n;
            if n < 1 || n as u64 > PARALLEL_LIMIT {
                self.too_many(entry, parallel, n.max(0) as u64);
                return vec![base];
            }
            return (1..=n as u32)
                .map(|i| Job {
                    name: format!("{} {i}/{n}", base.name),
                    parallel: Some((i, n as u32)),
                    ..base.clone()
                })
                .collect();
        }
        let Some(matrix) = ctx.get(&parallel.value, "matrix") else {
            return vec![base];
        };
        // Each item: a mapping of variable → value or list of values; the jobs are the
        // cartesian product of each item's lists (in key order), summed over the items.
        let mut combos: Vec<Vec<(String, String, Origin)>> = Vec::new();
        let mut total: u64 = 0;
        for item in ctx.items(&matrix.value) {
            let dims: Vec<(String, Vec<(String, Origin)>)> = ctx
                .entries(&item)
                .into_iter()
                .map(|e| {
                    let values: Vec<RValue> = if ctx.is_seq(&e.value) {
                        ctx.items(&e.value)
                    } else {
                        vec![e.value.clone()]
                    };
                    let values = values
                        .iter()
                        .map(|v| (ruby_to_s(ctx, v), self.item_origin(v, self.ctx.key_loc(&e))))
                        .collect();
                    (self.ctx.key(&e).into_owned(), values)
                })
                .collect();
            let count: u64 = dims.iter().map(|(_, v)| v.len() as u64).product();
            total = total.saturating_add(count);
            if total > PARALLEL_LIMIT {
                continue;
            }
            let mut acc: Vec<Vec<(String, String, Origin)>> = vec![Vec::new()];
            for (name, values) in &dims {
                acc = acc
                    .into_iter()
                    .flat_map(|prefix| {
                        values.iter().map(move |(v, o)| {
                            let mut next = prefix.clone();
                            next.push((name.clone(), v.clone(), *o));
                            next
                        })
                    })
                    .collect();
            }
            combos.extend(acc.into_iter().filter(|c| !c.is_empty()));
        }
        if total > PARALLEL_LIMIT {
            self.too_many(entry, parallel, total);
            return vec![base];
        }
        combos
            .into_iter()
            .map(|combo| {
                let values: Vec<&str> = combo.iter().map(|(_, v, _)| v.as_str()).collect();
                let mut job = base.clone();
                job.name = format!("{}: [{}]", job.base, values.join(", "));
                for (name, value, origin) in &combo {
                    job.variables.retain(|v| &v.name != name);
                    job.variables.push(Rc::new(Variable {
                        name: name.clone(),
                        value: value.clone(),
                        expand: true,
                        origin: *origin,
                        source: VariableSource::Matrix,
                    }));
                }
                job.matrix = combo.into_iter().map(|(n, v, _)| (n, v)).collect();
                job
            })
            .collect()
    }

    fn too_many(&mut self, entry: &REntry, parallel: &REntry, count: u64) {
        self.diags.push(too_many_parallel_jobs::too_many(
            self.ctx.key_loc(parallel),
            &self.ctx.key(entry),
            count,
        ));
    }

    /// One job from its effective entries (before `parallel` expansion).
    fn job(
        &mut self,
        entry: &REntry,
        effective: &Keyed<'_, '_>,
        top_vars: &[Rc<Variable>],
        stages: &[String],
    ) -> Job {
        let ctx = self.ctx;
        let get = |k: &str| effective.get(k);
        let stage = match get("stage") {
            Some(e) => Valued {
                value: ruby_to_s(ctx, &e.value),
                origin: self.origin(e),
            },
            None => Valued {
                value: "test".into(),
                origin: Origin {
                    loc: self.ctx.key_loc(entry),
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
        let mut variables = self.inherited_variables(effective.get("inherit"), top_vars);
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
        Job {
            name: self.ctx.key(entry).into_owned(),
            base: self.ctx.key(entry).into_owned(),
            key: self.ctx.key_loc(entry),
            stage,
            stage_index,
            image: get("image").and_then(|e| self.image(e)),
            variables,
            caches,
            cache_origin,
            artifacts: get("artifacts").and_then(|e| self.artifacts(e)),
            needs: get("needs").map(|e| self.needs(e)),
            dependencies: get("dependencies").map(|e| self.strings(&e.value, self.ctx.key_loc(e))),
            script_lines: ["before_script", "script", "after_script"]
                .iter()
                .filter_map(|k| get(k))
                .map(|e| flatten(ctx, &e.value, 10).len())
                .sum(),
            services: get("services")
                .map_or_else(Vec::new, |e| self.names(&e.value, self.ctx.key_loc(e))),
            tags: get("tags")
                .map_or_else(Vec::new, |e| self.strings(&e.value, self.ctx.key_loc(e))),
            parallel: None,
            matrix: Vec::new(),
            downloads: Downloads::Jobs(Vec::new()),
            trigger: get("trigger").is_some(),
            rules: get("rules").map(|e| self.rules(e)),
        }
    }

    fn rules(&self, e: &REntry) -> Vec<JobRule> {
        let ctx = self.ctx;
        flatten(ctx, &e.value, 10)
            .iter()
            .filter(|r| ctx.is_map(r))
            .map(|r| {
                let text = |k: &str| {
                    ctx.get(r, k)
                        .and_then(|x| ctx.scalar_text(&x.value).map(str::to_string))
                };
                JobRule {
                    condition: text("if"),
                    changes: ctx.get(r, "changes").is_some(),
                    exists: ctx.get(r, "exists").is_some(),
                    when: text("when"),
                    origin: self.item_origin(r, ctx.key_loc(e)),
                }
            })
            .collect()
    }

    /// The top-level variables the job inherits (`inherit: variables`).
    fn inherited_variables(
        &self,
        inherit: Option<&REntry>,
        top: &[Rc<Variable>],
    ) -> Vec<Rc<Variable>> {
        let ctx = self.ctx;
        let inherit = inherit.and_then(|e| ctx.get(&e.value, "variables"));
        match inherit {
            None => top.to_vec(),
            Some(i) => match ctx.scalar(&i.value) {
                Some(Value::Bool(true)) => top.to_vec(),
                Some(Value::Bool(false)) => Vec::new(),
                _ => {
                    let names: Vec<String> = ctx
                        .items(&i.value)
                        .iter()
                        .filter_map(|x| ctx.as_str(x).map(str::to_string))
                        .collect();
                    top.iter()
                        .filter(|v| names.contains(&v.name))
                        .cloned()
                        .collect()
                }
            },
        }
    }

    /// A list of strings (nested lists flattened, as for `script`), or one string.
    fn strings(&self, v: &RValue, fallback: Loc) -> Vec<Valued<String>> {
        flatten(self.ctx, v, 10)
            .iter()
            .filter_map(|item| {
                Some(Valued {
                    value: self.text(item)?.text,
                    origin: self.item_origin(item, fallback),
                })
            })
            .collect()
    }

    /// A list of names given as strings or as mappings with `name:` (`services`).
    fn names(&self, v: &RValue, fallback: Loc) -> Vec<Valued<String>> {
        let ctx = self.ctx;
        flatten(ctx, v, 10)
            .iter()
            .filter_map(|item| {
                let named = if ctx.is_map(item) {
                    ctx.get(item, "name")?.value
                } else {
                    item.clone()
                };
                Some(Valued {
                    value: self.text(&named)?.text,
                    origin: self.item_origin(&named, fallback),
                })
            })
            .collect()
    }

    fn image(&self, e: &REntry) -> Option<Valued<String>> {
        let ctx = self.ctx;
        let named = if ctx.is_map(&e.value) {
            ctx.get(&e.value, "name")?
        } else {
            e.clone()
        };
        Some(Valued {
            value: self.text(&named.value)?.text,
            origin: self.origin(&named),
        })
    }

    /// The value of `e` when it is a boolean, with where it was written.
    fn valued_bool(&self, e: &REntry) -> Option<Valued<bool>> {
        match self.ctx.scalar(&e.value) {
            Some(Value::Bool(b)) => Some(Valued {
                value: *b,
                origin: self.origin(e),
            }),
            _ => None,
        }
    }

    fn caches(&self, e: &REntry) -> Vec<Cache> {
        // `Caches` flattens nested lists (from `!reference`); a single cache is a list of one.
        let fallback = self.ctx.key_loc(e);
        flatten(self.ctx, &e.value, 10)
            .iter()
            .enumerate()
            .map(|(index, item)| self.cache(index, item, fallback))
            .collect()
    }

    fn cache(&self, index: usize, item: &RValue, fallback: Loc) -> Cache {
        let ctx = self.ctx;
        let origin = self.item_origin(item, fallback);
        let entries = ctx.entries(item);
        let keyed = Keyed::new(ctx, &entries);
        let get = |k: &str| keyed.get(k);
        let valued_text = |e: &REntry| {
            self.text(&e.value).map(|t| Valued {
                value: t,
                origin: self.origin(e),
            })
        };
        let texts = |e: &REntry| -> Vec<Valued<Text>> {
            flatten(ctx, &e.value, 10)
                .iter()
                .filter_map(|v| {
                    Some(Valued {
                        value: self.text(v)?,
                        origin: self.item_origin(v, self.ctx.key_loc(e)),
                    })
                })
                .collect()
        };
        let key = match get("key") {
            None => CacheKey::Default,
            Some(k) if ctx.is_map(&k.value) => {
                let kentries = ctx.entries(&k.value);
                let kget = |n: &str| kentries.iter().find(|e| self.ctx.key_is(e, n));
                let (files, commits) = match (kget("files"), kget("files_commits")) {
                    (Some(f), _) => (texts(f), false),
                    (None, Some(f)) => (texts(f), true),
                    (None, None) => (Vec::new(), false),
                };
                CacheKey::Files {
                    files,
                    prefix: kget("prefix").and_then(valued_text),
                    commits,
                    origin: self.origin(k),
                }
            }
            Some(k) if ctx.is_null(&k.value) => CacheKey::Default,
            Some(k) => match valued_text(k) {
                Some(t) => CacheKey::Literal(t),
                None => CacheKey::Invalid(self.origin(k)),
            },
        };
        Cache {
            index,
            key,
            paths: get("paths")
                .map_or_else(Vec::new, |e| self.strings(&e.value, self.ctx.key_loc(e))),
            untracked: get("untracked").and_then(|e| self.valued_bool(e)),
            unprotect: get("unprotect").and_then(|e| self.valued_bool(e)),
            policy: get("policy").and_then(valued_text),
            when: get("when").and_then(valued_text),
            fallback_keys: get("fallback_keys").map_or_else(Vec::new, texts),
            written: entries.iter().map(|e| self.written(e)).collect(),
            origin,
            malformed: !ctx.is_map(item),
        }
    }

    /// A keyword as written, with the shape of its value (and of its items, for a list).
    fn written(&self, e: &REntry) -> Written {
        let ctx = self.ctx;
        let items = if ctx.is_seq(&e.value) {
            ctx.items(&e.value)
                .iter()
                .map(|i| (self.shape(i), self.item_origin(i, ctx.key_loc(e))))
                .collect()
        } else {
            Vec::new()
        };
        Written {
            name: ctx.key(e).into_owned(),
            key: ctx.key_loc(e),
            shape: self.shape(&e.value),
            origin: self.origin(e),
            items,
        }
    }

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

    fn artifacts(&self, e: &REntry) -> Option<Artifacts> {
        let ctx = self.ctx;
        if !ctx.is_map(&e.value) {
            return None;
        }
        let entries = ctx.entries(&e.value);
        let keyed = Keyed::new(ctx, &entries);
        let get = |k: &str| keyed.get(k);
        let reports = get("reports")
            .map(|r| {
                ctx.entries(&r.value)
                    .into_iter()
                    .map(|x| {
                        (
                            self.ctx.key(&x).into_owned(),
                            self.strings(&x.value, self.ctx.key_loc(&x)),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Artifacts {
            paths: get("paths")
                .map_or_else(Vec::new, |x| self.strings(&x.value, self.ctx.key_loc(x))),
            exclude: get("exclude")
                .map_or_else(Vec::new, |x| self.strings(&x.value, self.ctx.key_loc(x))),
            untracked: get("untracked").and_then(|e| self.valued_bool(e)),
            when: get("when").and_then(|x| {
                Some(Valued {
                    value: ctx.as_str(&x.value)?.to_string(),
                    origin: self.origin(x),
                })
            }),
            reports,
            origin: self.origin(e),
        })
    }

    fn needs(&self, e: &REntry) -> Vec<Need> {
        let ctx = self.ctx;
        flatten(ctx, &e.value, 10)
            .iter()
            .filter_map(|item| {
                let origin = self.item_origin(item, self.ctx.key_loc(e));
                if let Some(name) = ctx.as_str(item) {
                    return Some(Need {
                        job: name.to_string(),
                        artifacts: true,
                        optional: false,
                        external: false,
                        origin,
                    });
                }
                let job = ctx.get(item, "job")?;
                let flag = |k: &str, default: bool| match ctx
                    .get(item, k)
                    .and_then(|x| ctx.scalar(&x.value).cloned())
                {
                    Some(Value::Bool(b)) => b,
                    _ => default,
                };
                Some(Need {
                    job: ruby_to_s(ctx, &job.value),
                    artifacts: flag("artifacts", true),
                    optional: flag("optional", false),
                    external: ctx.get(item, "pipeline").is_some()
                        || ctx.get(item, "project").is_some(),
                    origin,
                })
            })
            .collect()
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

/// The items of a list with nested lists flattened (at most `depth` levels), or the value
/// itself when it is not a list.
pub fn flatten(ctx: &Ctx<'_>, v: &RValue, depth: u32) -> Vec<RValue> {
    if !ctx.is_seq(v) {
        return if ctx.is_null(v) {
            Vec::new()
        } else {
            vec![v.clone()]
        };
    }
    let mut out = Vec::new();
    for item in ctx.items(v) {
        if ctx.is_seq(&item) && depth > 0 {
            out.extend(flatten(ctx, &item, depth - 1));
        } else {
            out.push(item);
        }
    }
    out
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

/// Fills in each job's artifact downloads (`Ci::BuildDependencies#local`): none for
/// `dependencies: []`; with `needs`, the needed jobs that keep `artifacts: true`; otherwise every
/// job of an earlier stage; restricted to `dependencies` when it names jobs. A name written in
/// `needs` or `dependencies` stands for all the jobs `parallel` makes of it.
fn downloads(jobs: &mut [Job]) {
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, j) in jobs.iter().enumerate() {
        by_name.entry(j.name.as_str()).or_default().push(i);
        if j.base != j.name {
            by_name.entry(j.base.as_str()).or_default().push(i);
        }
    }
    let lists: Vec<Downloads> = jobs
        .iter()
        .map(|j| {
            if j.dependencies.as_ref().is_some_and(|d| d.is_empty()) {
                return Downloads::Jobs(Vec::new());
            }
            let only: Option<Vec<usize>> = j.dependencies.as_ref().map(|deps| {
                let mut l: Vec<usize> = deps
                    .iter()
                    .flat_map(|d| by_name.get(d.value.as_str()).cloned().unwrap_or_default())
                    .collect();
                l.sort_unstable();
                l.dedup();
                l
            });
            match &j.needs {
                Some(needs) => {
                    let mut from: Vec<usize> = needs
                        .iter()
                        .filter(|n| n.artifacts && !n.external)
                        .flat_map(|n| by_name.get(n.job.as_str()).cloned().unwrap_or_default())
                        .filter(|i| only.as_ref().is_none_or(|l| l.contains(i)))
                        .collect();
                    from.sort_unstable();
                    from.dedup();
                    Downloads::Jobs(from)
                }
                None => Downloads::EarlierStages { only },
            }
        })
        .collect();
    for (j, list) in jobs.iter_mut().zip(lists) {
        j.downloads = list;
    }
}
