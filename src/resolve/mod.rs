//! Resolution of the loaded files into the effective configuration, in GitLab's order
//! (`Gitlab::Ci::Config#build_config`): includes → extends → !reference; then `default:` and
//! `inherit`, and `parallel`, which the model applies per job.

pub mod extends;
pub mod merge;
pub mod reference;
pub mod value;

use crate::diagnostic::Diagnostic;
use std::collections::HashMap;
use value::{Ctx, REntry};

/// The configuration after includes, `extends` and `!reference`: the top-level entries in
/// order, with an index by key.
pub struct Resolved {
    pub top: Vec<REntry>,
    pub index: HashMap<String, usize>,
    /// Expansion stopped somewhere (`expansion-too-large`): like an include that could not be
    /// read, part of the configuration is unknown, and what only it could supply (a job's
    /// `script`) is not reported missing.
    pub incomplete: bool,
}

impl Resolved {
    pub fn get(&self, key: &str) -> Option<&REntry> {
        self.index.get(key).map(|&i| &self.top[i])
    }
}

/// How many values `extends` and `!reference` may copy while resolving one configuration:
/// copies of copies grow exponentially, and nothing but this bounds them
/// (`expansion-too-large`).
pub struct Budget {
    /// The limit.
    pub limit: u64,
    spent: u64,
    /// Whether running out was reported.
    pub reported: bool,
}

impl Budget {
    /// A hundred thousand values, plus 4 per value written in the file set: real
    /// configurations copy well under one per value written (the largest of the corpus copies
    /// 2 325 values; the generated 20 000-job benchmark, 204 500 of its 28 million).
    pub fn for_set(set: &crate::load::FileSet) -> Budget {
        let written: u64 = set.docs.iter().map(|d| d.node_count() as u64).sum();
        Budget {
            limit: 100_000 + 4 * written,
            spent: 0,
            reported: false,
        }
    }
    /// Spends `n`; false (and nothing spent) when that would pass the limit.
    pub fn charge(&mut self, n: u64) -> bool {
        if self.spent.saturating_add(n) > self.limit {
            return false;
        }
        self.spent += n;
        true
    }
}

/// Resolves a file set's configuration; findings go to `diags`.
pub fn resolve(ctx: &Ctx<'_>, diags: &mut Vec<Diagnostic>) -> Resolved {
    let top = match merge::merge_includes(ctx) {
        Some(v) if ctx.is_map(&v) => ctx.entries(&v),
        _ => Vec::new(),
    };
    let index: HashMap<String, usize> = top
        .iter()
        .enumerate()
        .map(|(i, e)| (ctx.key(e).into_owned(), i))
        .collect();
    let mut budget = Budget::for_set(ctx.set);
    let top = extends::apply_extends(ctx, top, &index, &mut budget, diags);
    let top = reference::resolve_references(ctx, top, &index, &mut budget, diags);
    Resolved {
        top,
        index,
        incomplete: budget.reported,
    }
}
