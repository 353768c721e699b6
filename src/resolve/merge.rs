//! The include merge (GitLab's `External::Processor#perform`): starting from an empty mapping,
//! each included file's fully expanded content is deep-merged in order (the later wins), then the
//! including file's own content is merged on top, and `include` is dropped. Deep merge is
//! ActiveSupport's `deep_merge!` ([`Ctx::deep_merge`]).

use super::value::{Chain, Ctx, RKind, RValue};
use crate::load::Expansion;

/// The configuration after includes are merged: the entries of the top-level mapping, or
/// `None` when no file has content.
pub fn merge_includes(ctx: &Ctx<'_>) -> Option<RValue> {
    let v = expansion_value(ctx, &ctx.set.root)?;
    if !ctx.is_map(&v) {
        return Some(v);
    }
    let mut entries = ctx.entries(&v);
    entries.retain(|e| !ctx.key_is(e, "include"));
    Some(RValue {
        kind: RKind::Map(entries),
        chain: Chain::NONE,
    })
}

fn expansion_value(ctx: &Ctx<'_>, exp: &Expansion) -> Option<RValue> {
    let own = ctx
        .doc(exp.file)
        .root()
        .map(|node| RValue::node(exp.file, node, Chain::NONE));
    let mut acc: Option<RValue> = None;
    for inc in &exp.includes {
        if let Some(v) = expansion_value(ctx, inc) {
            acc = Some(match acc {
                None => v,
                Some(a) => ctx.deep_merge(a, v),
            });
        }
    }
    match (acc, own) {
        (None, own) => own,
        (Some(a), None) => Some(a),
        (Some(a), Some(o)) => Some(ctx.deep_merge(a, o)),
    }
}
