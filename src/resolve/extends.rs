//! `extends` (GitLab's `Config::Extendable`): every top-level mapping that has `extends` gets its
//! parents, in list order, deep-merged under its own content: a later parent wins over an earlier
//! one and the job wins last. Parents are extended first, so chains work, across included files.
//! Errors (each aborts the pipeline in GitLab) are reported and the offending parent skipped.

use super::value::{Ctx, REntry, RValue, Step};
use crate::diagnostic::Diagnostic;
use crate::rules::{extends_cycle, extends_too_deep, invalid_extends, unknown_extends};
use crate::source::Loc;
use crate::util::suggest::did_you_mean;
use std::collections::{HashMap, HashSet};

/// GitLab's `Extendable::Entry::MAX_NESTING_LEVELS`: at most 10 ancestors.
pub const MAX_NESTING: u32 = extends_too_deep::LIMIT;

enum State {
    Todo,
    InProgress,
    Done(RValue, u32),
}

struct Extender<'c, 'a> {
    ctx: &'c Ctx<'a>,
    top: &'c [REntry],
    index: &'c HashMap<String, usize>,
    state: Vec<State>,
    cycles: HashSet<Vec<usize>>,
    /// Parents that may come from an unreadable include: reported once each, at first use.
    unverifiable: HashMap<String, Vec<(String, Loc)>>,
    diags: Vec<Diagnostic>,
}

/// The top level with `extends` applied to every entry that has it.
pub fn apply_extends(
    ctx: &Ctx<'_>,
    top: Vec<REntry>,
    index: &HashMap<String, usize>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<REntry> {
    let mut ex = Extender {
        ctx,
        top: &top,
        index,
        state: top.iter().map(|_| State::Todo).collect(),
        cycles: HashSet::new(),
        unverifiable: HashMap::new(),
        diags: Vec::new(),
    };
    let mut stack = Vec::new();
    for i in 0..top.len() {
        ex.resolve(i, &mut stack);
    }
    ex.report_unverifiable();
    let values: Vec<RValue> = ex
        .state
        .into_iter()
        .zip(&top)
        .map(|(s, e)| match s {
            State::Done(v, _) => v,
            _ => e.value.clone(),
        })
        .collect();
    diags.extend(ex.diags);
    top.into_iter()
        .zip(values)
        .map(|(e, value)| REntry { value, ..e })
        .collect()
}

/// The parents named by `extends:` (a string or a list of strings), each with where it is
/// written.
pub fn parent_names(ctx: &Ctx<'_>, ext: &RValue) -> (Vec<(String, Loc)>, Vec<Loc>) {
    let mut names = Vec::new();
    let mut invalid = Vec::new();
    let here = |v: &RValue| ctx.loc(v);
    if let Some(s) = ctx.as_str(ext) {
        if let Some(l) = here(ext) {
            names.push((s.to_string(), l));
        }
    } else if ctx.is_seq(ext) {
        for item in ctx.items(ext) {
            match (ctx.as_str(&item), here(&item)) {
                (Some(s), Some(l)) => names.push((s.to_string(), l)),
                (_, Some(l)) => invalid.push(l),
                _ => {}
            }
        }
    } else if !ctx.is_null(ext)
        && let Some(l) = here(ext)
    {
        invalid.push(l);
    }
    (names, invalid)
}

impl Extender<'_, '_> {
    fn resolve(&mut self, i: usize, stack: &mut Vec<usize>) -> Option<(RValue, u32)> {
        match &self.state[i] {
            State::Done(v, h) => return Some((v.clone(), *h)),
            State::InProgress => return None,
            State::Todo => {}
        }
        let ctx = self.ctx;
        let entry = &self.top[i];
        let name = ctx.key(entry).into_owned();
        let own = entry.value.clone();
        let ext = ctx.is_map(&own).then(|| ctx.get(&own, "extends")).flatten();
        let Some(ext) = ext else {
            self.state[i] = State::Done(own.clone(), 0);
            return Some((own, 0));
        };
        let (parents, invalid) = parent_names(ctx, &ext.value);
        for l in invalid {
            self.diags.push(invalid_extends::not_a_name(l, &name));
        }
        self.state[i] = State::InProgress;
        stack.push(i);
        let mut acc: Option<RValue> = None;
        let mut height = 0;
        for (parent, site) in parents {
            let Some(&j) = self.index.get(&parent) else {
                self.unknown(i, &parent, site);
                continue;
            };
            if let Some(pos) = stack.iter().position(|&k| k == j) {
                self.cycle(&stack[pos..], site);
                continue;
            }
            let Some((pv, ph)) = self.resolve(j, stack) else {
                continue;
            };
            if !ctx.is_map(&pv) {
                self.diags.push(invalid_extends::parent_not_a_mapping(
                    site,
                    &name,
                    &parent,
                    ctx.loc(&pv),
                ));
                continue;
            }
            height = height.max(ph + 1);
            let step = Step::Extends {
                child: ctx.name(&name),
                parent: ctx.name(&parent),
                site,
            };
            let pv = ctx.with_step(pv, &step);
            acc = Some(match acc {
                None => pv,
                Some(a) => ctx.deep_merge(a, pv),
            });
        }
        stack.pop();
        if height > MAX_NESTING
            && let Some(l) = ctx.loc(&ext.value)
        {
            self.diags
                .push(extends_too_deep::too_deep(l, &name, height));
        }
        let result = match acc {
            None => own,
            Some(a) => ctx.deep_merge(a, own),
        };
        self.state[i] = State::Done(result.clone(), height);
        Some((result, height))
    }

    fn unknown(&mut self, i: usize, parent: &str, site: Loc) {
        let child = &self.ctx.key(&self.top[i]).into_owned();
        let unverifiable = !self.ctx.set.unresolved.is_empty();
        if unverifiable {
            self.unverifiable
                .entry(parent.to_string())
                .or_default()
                .push((child.clone(), site));
            return;
        }
        let names: Vec<String> = self
            .top
            .iter()
            .map(|e| self.ctx.key(e).into_owned())
            .collect();
        let suggestion = did_you_mean(parent, names.iter().map(String::as_str));
        self.diags
            .push(unknown_extends::unknown(site, child, parent, suggestion));
    }

    /// One info finding per parent that only an unreadable include could define.
    fn report_unverifiable(&mut self) {
        let mut parents: Vec<(String, Vec<(String, Loc)>)> = self.unverifiable.drain().collect();
        parents.sort_by_key(|(_, uses)| (uses[0].1.file, uses[0].1.span.start));
        for (parent, uses) in parents {
            let (child, site) = &uses[0];
            self.diags.push(unknown_extends::unverifiable(
                *site,
                child,
                &parent,
                uses.len() - 1,
                self.ctx.set.unresolved.first(),
            ));
        }
    }

    fn cycle(&mut self, members: &[usize], site: Loc) {
        let mut key: Vec<usize> = members.to_vec();
        key.sort_unstable();
        if !self.cycles.insert(key) {
            return;
        }
        let names: Vec<String> = members
            .iter()
            .chain(members.first())
            .map(|&k| self.ctx.key(&self.top[k]).into_owned())
            .collect();
        let last = members
            .last()
            .map(|&k| self.ctx.key(&self.top[k]).into_owned())
            .unwrap_or_default();
        self.diags.push(extends_cycle::cycle(site, &names, &last));
    }
}
