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
}

impl Resolved {
    pub fn get(&self, key: &str) -> Option<&REntry> {
        self.index.get(key).map(|&i| &self.top[i])
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
    let top = extends::apply_extends(ctx, top, &index, diags);
    let top = reference::resolve_references(ctx, top, &index, diags);
    Resolved { top, index }
}
