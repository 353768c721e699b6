//! What a job runs, in what, and when (`image`, `tags`, the scripts, `when`, `rules`,
//! `only`/`except`, `trigger`), as written after `default:` and `extends`: what the cache flow
//! rules need to know which jobs run together and what they run.

use super::{Builder, Keyed, flatten};
use crate::model::{Command, RefFilter, Run, RunRule, Section, Trigger, Valued};
use crate::resolve::value::REntry;

impl Builder<'_, '_> {
    pub(super) fn run(&self, keyed: &Keyed<'_, '_>) -> Run {
        let ctx = self.ctx;
        let get = |k: &str| keyed.get(k);
        let image = get("image").and_then(|e| {
            let (v, origin) = if ctx.is_map(&e.value) {
                let n = ctx.get(&e.value, "name")?;
                let o = self.origin(&n);
                (n.value, o)
            } else {
                (e.value.clone(), self.origin(e))
            };
            Some(Valued {
                value: ctx.as_str(&v)?.to_string(),
                origin,
            })
        });
        let tags = get("tags")
            .map(|e| self.strings(&e.value, ctx.key_loc(e)))
            .unwrap_or_default();
        let mut commands = Vec::new();
        for (key, section) in [
            ("before_script", Section::BeforeScript),
            ("script", Section::Script),
            ("after_script", Section::AfterScript),
        ] {
            if let Some(e) = get(key) {
                commands.extend(
                    self.strings(&e.value, ctx.key_loc(e))
                        .into_iter()
                        .map(|text| Command { section, text }),
                );
            }
        }
        let when = get("when").and_then(|e| self.valued_text(e));
        let rules = get("rules").map(|e| self.run_rules(e));
        let trigger = get("trigger").map(|e| {
            let child = ctx.is_map(&e.value) && ctx.has(&e.value, "include");
            if child {
                Trigger::Child
            } else {
                Trigger::Project
            }
        });
        Run {
            image,
            tags,
            commands,
            when,
            rules,
            only: get("only").map(|e| self.ref_filter(e)),
            except: get("except").map(|e| self.ref_filter(e)),
            trigger,
        }
    }

    /// The entries of `rules:` (of a job, or of `workflow:`).
    pub(super) fn run_rules(&self, e: &REntry) -> Vec<RunRule> {
        let ctx = self.ctx;
        flatten(ctx, &e.value)
            .iter()
            .filter(|r| ctx.is_map(r))
            .map(|r| {
                let entries = ctx.entries(r);
                let k = Keyed::new(ctx, &entries);
                let present = |n: &str| k.get(n).is_some_and(|x| !ctx.is_null(&x.value));
                RunRule {
                    condition: k.get("if").and_then(|x| {
                        Some(Valued {
                            value: ctx.as_str(&x.value)?.to_string(),
                            origin: self.origin(x),
                        })
                    }),
                    changes: present("changes"),
                    exists: present("exists"),
                    when: k.get("when").and_then(|x| self.valued_text(x)),
                    origin: self.item_origin(r, ctx.key_loc(e)),
                }
            })
            .collect()
    }

    fn valued_text(&self, e: &REntry) -> Option<Valued<crate::model::Text>> {
        self.text(&e.value).map(|t| Valued {
            value: t,
            origin: self.origin(e),
        })
    }

    /// `only:`/`except:`: a list of refs, or `{refs, variables, changes, kubernetes}`.
    fn ref_filter(&self, e: &REntry) -> RefFilter {
        let ctx = self.ctx;
        let texts = |v: &crate::resolve::value::RValue| -> Vec<String> {
            flatten(ctx, v)
                .iter()
                .filter_map(|x| ctx.scalar_text(x).map(str::to_string))
                .collect()
        };
        let mut f = RefFilter {
            refs: Vec::new(),
            variables: Vec::new(),
            changes: false,
            kubernetes: false,
            origin: self.origin(e),
        };
        if ctx.is_map(&e.value) {
            for x in ctx.entries(&e.value) {
                match &*ctx.key(&x) {
                    "refs" => f.refs = texts(&x.value),
                    "variables" => f.variables = texts(&x.value),
                    "changes" => f.changes = !ctx.is_null(&x.value),
                    "kubernetes" => f.kubernetes = !ctx.is_null(&x.value),
                    _ => {}
                }
            }
        } else {
            f.refs = texts(&e.value);
        }
        f
    }
}
