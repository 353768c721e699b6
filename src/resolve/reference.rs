//! `!reference [key, key, ...]` (GitLab's `Config::Yaml::Tags::Resolver`): after `extends`, every
//! reference anywhere in the configuration is replaced by the value at that key path of the
//! whole (extended) configuration, itself resolved first (references nest). A missing target, a
//! `null` or `false` one, a path through a non-mapping, or a cycle fails the pipeline in GitLab;
//! cachelint reports it and leaves the reference in place.

use super::value::{Chain, Ctx, Loc, REntry, RKind, RValue, Step};
use crate::diagnostic::{Diagnostic, Severity};
use crate::yaml::Value;
use std::collections::HashMap;

struct Resolver<'c, 'a> {
    ctx: &'c Ctx<'a>,
    top: &'c [REntry],
    index: &'c HashMap<String, usize>,
    /// Resolved targets by path, so a template referenced by many jobs is resolved once.
    memo: HashMap<Vec<String>, Option<RValue>>,
    /// The references being resolved (cycle detection).
    stack: Vec<Vec<String>>,
    diags: Vec<Diagnostic>,
    /// The top-level entry being resolved (for messages).
    current: String,
}

/// The top level with every `!reference` resolved.
pub fn resolve_references(
    ctx: &Ctx<'_>,
    top: Vec<REntry>,
    index: &HashMap<String, usize>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<REntry> {
    if !top.iter().any(|e| ctx.contains_reference(&e.value)) {
        return top;
    }
    let mut r = Resolver {
        ctx,
        top: &top,
        index,
        memo: HashMap::new(),
        stack: Vec::new(),
        diags: Vec::new(),
        current: String::new(),
    };
    let values: Vec<RValue> = top
        .iter()
        .map(|e| {
            r.current = ctx.key(e).into_owned();
            r.value(e.value.clone())
        })
        .collect();
    diags.extend(r.diags);
    top.into_iter()
        .zip(values)
        .map(|(e, value)| REntry { value, ..e })
        .collect()
}

impl Resolver<'_, '_> {
    fn value(&mut self, v: RValue) -> RValue {
        let ctx = self.ctx;
        if !ctx.contains_reference(&v) {
            return v;
        }
        if ctx.is_reference(&v) {
            return self.reference(v);
        }
        let chain = v.chain;
        let kind = if ctx.is_map(&v) {
            RKind::Map(
                ctx.entries(&v)
                    .into_iter()
                    .map(|e| REntry {
                        value: self.value(e.value),
                        ..e
                    })
                    .collect(),
            )
        } else if ctx.is_seq(&v) {
            RKind::Seq(ctx.items(&v).into_iter().map(|i| self.value(i)).collect())
        } else {
            // A `!reference` on a scalar or a mapping: GitLab's Reference needs a list.
            if let Some(l) = ctx.loc(&v) {
                self.invalid(
                    l,
                    "`!reference` must be written as a list: `!reference [job, key]`",
                );
            }
            return v;
        };
        RValue { kind, chain }
    }

    fn reference(&mut self, v: RValue) -> RValue {
        let ctx = self.ctx;
        let Some(site) = ctx.loc(&v) else { return v };
        let items = ctx.items_raw(&v);
        let path: Option<Vec<String>> = items
            .iter()
            .map(|i| ctx.as_str(i).map(str::to_string))
            .collect();
        let path = match path {
            Some(p) if !p.is_empty() => p,
            Some(_) => {
                self.invalid(site, "`!reference []` is empty: it needs the key path to copy, e.g. `!reference [.setup, script]`");
                return v;
            }
            None => {
                self.invalid(site, "every element of a `!reference` must be a string (a key); list items cannot be addressed by index");
                return v;
            }
        };
        if let Some(pos) = self.stack.iter().position(|p| *p == path) {
            let chain: Vec<String> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&path))
                .map(|p| format!("[{}]", p.join(", ")))
                .collect();
            self.diags.push(
                Diagnostic::new(
                    "reference-cycle",
                    Severity::Error,
                    site.file,
                    site.span,
                    format!(
                        "`!reference [{}]` is part of a circular chain: {}",
                        path.join(", "),
                        chain.join(" → ")
                    ),
                )
                .label("refers back to itself")
                .help("break the cycle: a value cannot include itself through `!reference`")
                .job(self.current.clone())
                .subject(format!("cycle:{}", path.join(","))),
            );
            return v;
        }
        let resolved = match self.memo.get(&path) {
            Some(r) => r.clone(),
            None => {
                let target = self.dig(&path);
                let r = match target {
                    Some(t) => {
                        self.stack.push(path.clone());
                        let r = self.value(t);
                        self.stack.pop();
                        Some(r)
                    }
                    None => None,
                };
                self.memo.insert(path.clone(), r.clone());
                r
            }
        };
        match resolved {
            // The target moved by the reference, then by whatever moved the reference itself.
            Some(r) => {
                let path = ctx.name(&path.join(", "));
                let moved = ctx.with_step(r, &Step::Reference { path, site });
                if v.chain == Chain::NONE {
                    moved
                } else {
                    ctx.with_outer(moved, v.chain)
                }
            }
            None => {
                self.unresolved(&path, site);
                v
            }
        }
    }

    /// `config.dig(*path)`: `None` when a key is missing, the path crosses a non-mapping, or
    /// the value is `null` or `false`.
    fn dig(&self, path: &[String]) -> Option<RValue> {
        let ctx = self.ctx;
        let first = self.index.get(&path[0])?;
        let mut cur = self.top[*first].value.clone();
        for key in &path[1..] {
            if !ctx.is_map(&cur) {
                return None;
            }
            cur = ctx.get(&cur, key)?.value;
        }
        match ctx.scalar(&cur) {
            Some(Value::Null) | Some(Value::Bool(false)) => None,
            _ => Some(cur),
        }
    }

    fn invalid(&mut self, at: Loc, message: &str) {
        self.diags.push(
            Diagnostic::new(
                "invalid-reference",
                Severity::Error,
                at.file,
                at.span,
                message.to_string(),
            )
            .label("invalid `!reference`")
            .help("write the key path as strings: `!reference [.template, script]`")
            .job(self.current.clone())
            .subject("invalid-reference"),
        );
    }

    fn unresolved(&mut self, path: &[String], at: Loc) {
        let unverifiable =
            !self.ctx.set.unresolved.is_empty() && !self.index.contains_key(&path[0]);
        // Which part of the path is missing, for the message.
        let mut known = 0;
        if let Some(&i) = self.index.get(&path[0]) {
            known = 1;
            let mut cur = self.top[i].value.clone();
            for key in &path[1..] {
                match self
                    .ctx
                    .is_map(&cur)
                    .then(|| self.ctx.get(&cur, key))
                    .flatten()
                {
                    Some(e) => {
                        cur = e.value;
                        known += 1;
                    }
                    None => break,
                }
            }
        }
        let shown = format!("!reference [{}]", path.join(", "));
        let message = if unverifiable {
            format!(
                "`{shown}`: `{}` is not defined in the checked files; it may come from an include that cannot be read offline",
                path[0]
            )
        } else if known == path.len() {
            format!("`{shown}` could not be found: the value there is null or false")
        } else if known == 0 {
            format!(
                "`{shown}` could not be found: there is no top-level key `{}`",
                path[0]
            )
        } else {
            format!(
                "`{shown}` could not be found: `{}` has no key `{}`",
                path[..known].join("."),
                path[known]
            )
        };
        let mut d = Diagnostic::new(
            "unresolved-reference",
            if unverifiable {
                Severity::Info
            } else {
                Severity::Error
            },
            at.file,
            at.span,
            message,
        )
        .label("not found")
        .job(self.current.clone())
        .subject(format!("reference:{}", path.join(",")));
        let suggestion = if known == 0 {
            {
                let names: Vec<String> = self
                    .top
                    .iter()
                    .map(|e| self.ctx.key(e).into_owned())
                    .collect();
                super::extends::did_you_mean(&path[0], names.iter().map(String::as_str))
                    .map(str::to_string)
            }
        } else {
            None
        };
        d = match suggestion {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(
                "point the `!reference` at an existing key path, such as `[.template, script]`",
            ),
        };
        self.diags.push(d);
    }
}
