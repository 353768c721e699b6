//! `extends` (GitLab's `Config::Extendable`): every top-level mapping that has `extends` gets its
//! parents, in list order, deep-merged under its own content: a later parent wins over an earlier
//! one and the job wins last. Parents are extended first, so chains work, across included files.
//! Errors (each aborts the pipeline in GitLab) are reported and the offending parent skipped.

use super::value::{Ctx, Loc, REntry, RValue, Step};
use crate::diagnostic::{Diagnostic, Severity};
use std::collections::{HashMap, HashSet};

/// GitLab's `Extendable::Entry::MAX_NESTING_LEVELS`: at most 10 ancestors.
pub const MAX_NESTING: u32 = 10;

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
            self.diags.push(
                Diagnostic::new(
                    "invalid-extends",
                    Severity::Error,
                    l.file,
                    l.span,
                    format!(
                        "`{}`: `extends` must be a job name or a list of job names",
                        name
                    ),
                )
                .label("not a job name")
                .help("write `extends: .template` or `extends: [.a, .b]`")
                .job(name.clone())
                .subject("extends-value"),
            );
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
                let mut d = Diagnostic::new(
                    "invalid-extends",
                    Severity::Error,
                    site.file,
                    site.span,
                    format!(
                        "`{}` cannot extend `{parent}`: `{parent}` is not a mapping of keywords",
                        name
                    ),
                )
                .label("not a mapping")
                .help("extend a job or a hidden template (`.name:` followed by keywords)")
                .job(name.clone())
                .subject(format!("extends:{parent}"));
                if let Some(l) = ctx.loc(&pv) {
                    d = d.with_label(l.file, l.span, format!("`{parent}` is defined here"));
                }
                self.diags.push(d);
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
            self.diags.push(
                Diagnostic::new(
                    "extends-too-deep",
                    Severity::Error,
                    l.file,
                    l.span,
                    format!(
                        "`{}` has {height} levels of `extends` above it; GitLab allows at most {MAX_NESTING} (\"nesting too deep in `extends`\")",
                        name
                    ),
                )
                .label("too many levels")
                .help("flatten the chain: let a template extend several parents in a list instead of each extending the next")
                .job(name.clone())
                .subject("extends-depth"),
            );
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
        let mut d = Diagnostic::new(
            "unknown-extends",
            Severity::Error,
            site.file,
            site.span,
            format!(
                "`{child}` extends `{parent}`, which is not defined (\"unknown keys in `extends`\")"
            ),
        )
        .label("not defined")
        .job(child.clone())
        .subject(format!("extends:{parent}"));
        d = match suggestion {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.help(format!(
                "define `{parent}:` (a hidden job, starting with a dot, is the usual template) or remove it from `extends`"
            )),
        };
        self.diags.push(d);
    }

    /// One info finding per parent that only an unreadable include could define.
    fn report_unverifiable(&mut self) {
        let mut parents: Vec<(String, Vec<(String, Loc)>)> = self.unverifiable.drain().collect();
        parents.sort_by_key(|(_, uses)| (uses[0].1.file, uses[0].1.span.start));
        for (parent, uses) in parents {
            let (child, site) = &uses[0];
            let others = uses.len() - 1;
            let mut d = Diagnostic::new(
                "unknown-extends",
                Severity::Info,
                site.file,
                site.span,
                format!(
                    "`{parent}` is not defined in the checked files{}; it may come from an include that cannot be read offline, so the jobs extending it are checked without it",
                    if others > 0 {
                        format!(" (extended by `{child}` and {others} more)")
                    } else {
                        format!(" (extended by `{child}`)")
                    }
                ),
            )
            .label("not defined here")
            .help("if it should be defined in this repository, define it or fix the name")
            .job(child.clone())
            .subject(format!("extends:{parent}"));
            if let Some((f, s, what)) = self.ctx.set.unresolved.first() {
                d = d.with_label(*f, *s, format!("not read: {what}"));
            }
            self.diags.push(d);
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
        self.diags.push(
            Diagnostic::new(
                "extends-cycle",
                Severity::Error,
                site.file,
                site.span,
                format!(
                    "circular `extends`: {} (\"circular dependency detected in `extends`\")",
                    names.join(" → ")
                ),
            )
            .label("closes the cycle")
            .help("remove one of these `extends` so that the chain ends")
            .job(last)
            .subject(format!("cycle:{}", names.join(">"))),
        );
    }
}

/// The closest name, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(wrong: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).clamp(1, 3);
    candidates
        .filter(|c| *c != wrong)
        .map(|c| (edit_distance(wrong, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
