//! Caches and artifacts as the job runs them: `cache:` flattened to a list (a single cache is
//! a list of one, nested lists from `!reference` are flattened, `Entry::Caches`), each with its
//! key, paths, policy and the keywords as written; `artifacts:paths`.

use super::{Builder, Keyed, flatten};
use crate::model::{Artifacts, Cache, CacheKey, Text, Valued, Written};
use crate::resolve::value::{REntry, RValue};
use crate::source::Loc;
use crate::yaml::Value;

impl Builder<'_, '_> {
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

    pub(super) fn caches(&self, e: &REntry) -> Vec<Cache> {
        // `Caches` flattens nested lists (from `!reference`); a single cache is a list of one.
        let fallback = self.ctx.key_loc(e);
        flatten(self.ctx, &e.value)
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
            flatten(ctx, &e.value)
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

    pub(super) fn artifacts(&self, e: &REntry) -> Option<Artifacts> {
        let ctx = self.ctx;
        if !ctx.is_map(&e.value) {
            return None;
        }
        let entries = ctx.entries(&e.value);
        let keyed = Keyed::new(ctx, &entries);
        let list = |k: &str| {
            keyed
                .get(k)
                .map_or_else(Vec::new, |x| self.strings(&x.value, ctx.key_loc(x)))
        };
        let reports = keyed
            .get("reports")
            .map(|r| {
                ctx.entries(&r.value)
                    .into_iter()
                    .map(|x| {
                        (
                            ctx.key(&x).into_owned(),
                            self.strings(&x.value, ctx.key_loc(&x)),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Artifacts {
            paths: list("paths"),
            exclude: list("exclude"),
            reports,
            origin: self.origin(e),
        })
    }
}
