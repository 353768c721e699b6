//! `!reference [key, key, ...]` (GitLab's `Config::Yaml::Tags::Resolver`): after `extends`, every
//! reference anywhere in the configuration is replaced by the value at that key path of the
//! whole (extended) configuration, itself resolved first (references nest). A missing target, a
//! `null` or `false` one, a path through a non-mapping, or a cycle fails the pipeline in GitLab;
//! cachelint reports it and leaves the reference in place.

use super::Budget;
use super::value::{Chain, Ctx, REntry, RKind, RValue, Step};
use crate::diagnostic::Diagnostic;
use crate::rules::expansion_too_large::{self, MAX_DEPTH, Through};
use crate::rules::invalid_reference::{self, Shape};
use crate::rules::reference_cycle;
use crate::rules::unresolved_reference::{self, Missing};
use crate::source::Loc;
use crate::util::suggest::Suggester;
use crate::yaml::Value;
use std::collections::HashMap;

struct Resolver<'c, 'a> {
    ctx: &'c Ctx<'a>,
    top: &'c [REntry],
    index: &'c HashMap<String, usize>,
    budget: &'c mut Budget,
    /// Resolved targets by path, with what copying them costs, so a template referenced by
    /// many jobs is resolved once.
    memo: HashMap<Vec<String>, Option<(RValue, u64)>>,
    /// The references being resolved (cycle detection).
    stack: Vec<Vec<String>>,
    diags: Vec<Diagnostic>,
    /// The top-level entry being resolved (for messages).
    current: String,
    /// "Did you mean" over the top-level keys, made when first needed.
    suggester: Option<Suggester>,
}

/// The top level with every `!reference` resolved.
pub fn resolve_references(
    ctx: &Ctx<'_>,
    top: Vec<REntry>,
    index: &HashMap<String, usize>,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Vec<REntry> {
    if !top.iter().any(|e| ctx.contains_reference(&e.value)) {
        return top;
    }
    let mut r = Resolver {
        ctx,
        top: &top,
        index,
        budget,
        memo: HashMap::new(),
        stack: Vec::new(),
        diags: Vec::new(),
        current: String::new(),
        suggester: None,
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
                self.invalid(l, Shape::NotAList);
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
                self.invalid(site, Shape::Empty);
                return v;
            }
            None => {
                self.invalid(site, Shape::NotStrings);
                return v;
            }
        };
        if let Some(pos) = self.stack.iter().position(|p| *p == path) {
            let chain: Vec<&[String]> = self.stack[pos..]
                .iter()
                .chain(std::iter::once(&path))
                .map(Vec::as_slice)
                .collect();
            self.diags
                .push(reference_cycle::cycle(site, &path, &chain, &self.current));
            return v;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.too_large(site, Through::Depth);
            return v;
        }
        if !self.memo.contains_key(&path) {
            let target = self.dig(&path);
            let r = match target {
                Some(t) => {
                    self.stack.push(path.clone());
                    let r = self.value(t);
                    self.stack.pop();
                    let w = ctx.weight(&r);
                    Some((r, w))
                }
                None => None,
            };
            self.memo.insert(path.clone(), r);
        }
        // Each use copies the target: what it costs is spent from the budget first.
        let resolved = match self.memo.get(&path) {
            Some(Some((r, w))) => {
                let w = *w;
                if !self.budget.charge(w) {
                    self.too_large(site, Through::Reference);
                    return v;
                }
                Some(r.clone())
            }
            _ => None,
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

    /// Expansion stops here; reported once for the whole configuration.
    fn too_large(&mut self, at: Loc, through: Through) {
        if !self.budget.reported {
            self.budget.reported = true;
            self.diags.push(expansion_too_large::too_large(
                at,
                through,
                self.budget.limit,
                &self.current,
            ));
        }
    }

    fn invalid(&mut self, at: Loc, shape: Shape) {
        self.diags
            .push(invalid_reference::invalid(at, shape, &self.current));
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
        let missing = if unverifiable {
            Missing::Unverifiable
        } else if known == path.len() {
            Missing::NullOrFalse
        } else {
            Missing::Key { known }
        };
        let suggestion = if known == 0 {
            let (ctx, top) = (self.ctx, self.top);
            self.suggester
                .get_or_insert_with(|| {
                    Suggester::new(top.iter().map(|e| ctx.key(e).into_owned()).collect())
                })
                .suggest(&path[0])
        } else {
            None
        };
        self.diags.push(unresolved_reference::unresolved(
            at,
            path,
            missing,
            &self.current,
            suggestion,
        ));
    }
}
