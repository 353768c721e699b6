//! `default:`, the deprecated top-level keywords and `inherit` (gitlab-semantics §6): a job
//! takes each keyword of [`INHERITABLE`] it does not set (or sets to `null`) from `default:`
//! unless `inherit:default` says otherwise, and the top-level `variables` unless
//! `inherit:variables` says otherwise.

use super::Builder;
use crate::model::Variable;
use crate::resolve::Resolved;
use crate::resolve::value::{REntry, RValue, Step};
use crate::rules::conflicting_default;
use crate::yaml::Value;
use std::collections::HashMap;
use std::rc::Rc;

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

impl Builder<'_, '_> {
    /// The default keywords: `default:` entries and the deprecated top-level keywords, which
    /// may not both set the same keyword.
    pub(super) fn defaults(&mut self, r: &Resolved) -> HashMap<String, (REntry, bool)> {
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

    /// Whether `inherit:<what>` (`default` or `variables`) lets the job take `name`: `true`
    /// or absent takes everything, `false` nothing, a list the names it lists.
    fn inherits(&self, inherit: Option<&RValue>, what: &str, name: &str) -> bool {
        let ctx = self.ctx;
        let Some(i) = inherit.and_then(|v| ctx.get(v, what)) else {
            return true;
        };
        match ctx.scalar(&i.value) {
            Some(Value::Bool(b)) => *b,
            _ => ctx
                .items(&i.value)
                .iter()
                .any(|x| ctx.as_str(x) == Some(name)),
        }
    }

    /// The job's entries with the default keywords it does not set (and `inherit` allows).
    pub(super) fn effective(
        &self,
        value: &RValue,
        defaults: &HashMap<String, (REntry, bool)>,
    ) -> Vec<REntry> {
        let ctx = self.ctx;
        let mut entries = ctx.entries(value);
        let inherit = ctx.get(value, "inherit").map(|e| e.value);
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
            if !self.inherits(inherit.as_ref(), "default", key) {
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

    /// The top-level variables the job inherits (`inherit:variables`).
    pub(super) fn inherited_variables(
        &self,
        inherit: Option<&REntry>,
        top: &[Rc<Variable>],
    ) -> Vec<Rc<Variable>> {
        let inherit = inherit.map(|e| &e.value);
        top.iter()
            .filter(|v| self.inherits(inherit, "variables", &v.name))
            .cloned()
            .collect()
    }
}
