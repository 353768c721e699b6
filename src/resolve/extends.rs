//! `extends` (GitLab's `Config::Extendable`): every top-level mapping that has `extends` gets its
//! parents, in list order, deep-merged under its own content: a later parent wins over an earlier
//! one and the job wins last. Parents are extended first, so chains work, across included files.
//! Errors (each aborts the pipeline in GitLab) are reported and the offending parent skipped.

use super::Budget;
use super::value::{Ctx, REntry, RValue, Step};
use crate::diagnostic::Diagnostic;
use crate::rules::expansion_too_large::{self, Through};
use crate::rules::{extends_cycle, extends_too_deep, invalid_extends, unknown_extends};
use crate::source::Loc;
use crate::util::suggest::Suggester;
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
    budget: &'c mut Budget,
    state: Vec<State>,
    cycles: HashSet<Vec<usize>>,
    /// Parents that may come from an unreadable include: reported once each, at first use.
    unverifiable: HashMap<String, Vec<(String, Loc)>>,
    diags: Vec<Diagnostic>,
    /// "Did you mean" over the top-level keys, made when first needed.
    suggester: Option<Suggester>,
}

/// The top level with `extends` applied to every entry that has it.
pub fn apply_extends(
    ctx: &Ctx<'_>,
    top: Vec<REntry>,
    index: &HashMap<String, usize>,
    budget: &mut Budget,
    diags: &mut Vec<Diagnostic>,
) -> Vec<REntry> {
    let mut ex = Extender {
        ctx,
        top: &top,
        index,
        budget,
        state: top.iter().map(|_| State::Todo).collect(),
        cycles: HashSet::new(),
        suggester: None,
        unverifiable: HashMap::new(),
        diags: Vec::new(),
    };
    for i in 0..top.len() {
        ex.resolve(i);
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

/// An entry whose parents are being merged: the walk keeps these on its own stack instead of
/// recursing, so a chain of any length costs no call stack.
struct Frame {
    entry: usize,
    name: String,
    /// Where `extends:` is written.
    ext_at: Option<Loc>,
    parents: Vec<(String, Loc)>,
    next: usize,
    acc: Option<RValue>,
    height: u32,
}

impl Extender<'_, '_> {
    /// Starts an entry: `None` when it has no `extends` (it is done at once).
    fn open(&mut self, i: usize) -> Option<Frame> {
        let ctx = self.ctx;
        let entry = &self.top[i];
        let own = &entry.value;
        let ext = ctx.is_map(own).then(|| ctx.get(own, "extends")).flatten();
        let Some(ext) = ext else {
            self.state[i] = State::Done(own.clone(), 0);
            return None;
        };
        let name = ctx.key(entry).into_owned();
        let (parents, invalid) = parent_names(ctx, &ext.value);
        for l in invalid {
            self.diags.push(invalid_extends::not_a_name(l, &name));
        }
        self.state[i] = State::InProgress;
        Some(Frame {
            entry: i,
            name,
            ext_at: ctx.loc(&ext.value),
            parents,
            next: 0,
            acc: None,
            height: 0,
        })
    }

    /// Resolves entry `i` and every ancestor it needs, depth first, without recursion.
    fn resolve(&mut self, i: usize) {
        if !matches!(self.state[i], State::Todo) {
            return;
        }
        let Some(first) = self.open(i) else {
            return;
        };
        let mut frames = vec![first];
        while let Some(top) = frames.last_mut() {
            if top.next >= top.parents.len() {
                let Some(f) = frames.pop() else { break };
                self.close(f);
                continue;
            }
            let (parent, site) = top.parents[top.next].clone();
            let Some(&j) = self.index.get(&parent) else {
                top.next += 1;
                let child = top.entry;
                self.unknown(child, &parent, site);
                continue;
            };
            match &self.state[j] {
                State::InProgress => {
                    top.next += 1;
                    let pos = frames.iter().position(|f| f.entry == j).unwrap_or(0);
                    let members: Vec<usize> = frames[pos..].iter().map(|f| f.entry).collect();
                    self.cycle(&members, site);
                }
                State::Done(..) => {
                    top.next += 1;
                    let State::Done(pv, ph) = &self.state[j] else {
                        continue;
                    };
                    let (pv, ph) = (pv.clone(), *ph);
                    let Some(top) = frames.last_mut() else { break };
                    self.absorb(top, &parent, site, pv, ph);
                }
                State::Todo => {
                    // The parent first; this frame takes it when it is done (next is not
                    // advanced, so the same parent is read again, then done).
                    if let Some(f) = self.open(j) {
                        frames.push(f);
                    }
                }
            }
        }
    }

    /// Merges a done parent `pv` (with `ph` levels above it) into the frame's accumulator.
    fn absorb(&mut self, f: &mut Frame, parent: &str, site: Loc, pv: RValue, ph: u32) {
        let ctx = self.ctx;
        if !ctx.is_map(&pv) {
            self.diags.push(invalid_extends::parent_not_a_mapping(
                site,
                &f.name,
                parent,
                ctx.loc(&pv),
            ));
            return;
        }
        f.height = f.height.max(ph + 1);
        // Copying the parent into this entry costs its size: bounded by the budget.
        if !self.budget.charge(ctx.weight(&pv)) {
            if !self.budget.reported {
                self.budget.reported = true;
                self.diags.push(expansion_too_large::too_large(
                    site,
                    Through::Extends,
                    self.budget.limit,
                    &f.name,
                ));
            }
            return;
        }
        let step = Step::Extends {
            child: ctx.name(&f.name),
            parent: ctx.name(parent),
            site,
        };
        let pv = ctx.with_step(pv, &step);
        f.acc = Some(match f.acc.take() {
            None => pv,
            Some(a) => ctx.deep_merge(a, pv),
        });
    }

    /// Finishes an entry: its own content over its merged parents. Too many levels above it
    /// are reported once per chain, at the entry where the chain crosses the limit.
    fn close(&mut self, f: Frame) {
        let ctx = self.ctx;
        if f.height == MAX_NESTING + 1
            && let Some(l) = f.ext_at
        {
            self.diags
                .push(extends_too_deep::too_deep(l, &f.name, f.height));
        }
        let own = self.top[f.entry].value.clone();
        let result = match f.acc {
            None => own,
            Some(a) => ctx.deep_merge(a, own),
        };
        self.state[f.entry] = State::Done(result, f.height);
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
        let (ctx, top) = (self.ctx, self.top);
        let suggester = self.suggester.get_or_insert_with(|| {
            Suggester::new(top.iter().map(|e| ctx.key(e).into_owned()).collect())
        });
        let suggestion = suggester.suggest(parent);
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
