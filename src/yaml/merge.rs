//! Psych's `revive_hash` for one mapping: `<<` merges applied where they stand (an alias or
//! inline mapping, or a list of them, earlier items winning), duplicate keys last-wins at the
//! first key's position, each merged entry recording the `<<` it came through ([`Via`]).

use super::{
    Doc, Entry, KeyIdent, Kind, Node, NodeId, Strs, Tag, ValueId, Via, ViaId, deref_in, key_ident,
};
use crate::diagnostic::Diagnostic;
use crate::rules::{duplicate_key, yaml_syntax};
use crate::source::FileId;
use std::collections::HashMap;

/// Psych's `revive_hash` for the mapping of `file` whose pairs are `pairs`: `<<` merges applied
/// where they stand, duplicate keys last-wins at the first key's position. Returns the
/// effective entries, and whether the merge makes the file fail to load.
pub(super) fn merge_entries(
    doc: &mut Doc,
    file: FileId,
    pairs: &[(NodeId, NodeId)],
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Entry>, bool) {
    let mut refused = false;
    let Doc {
        source,
        nodes,
        strings,
        values,
        tags,
        eff,
        vias,
        items,
        ..
    } = doc;
    let strs = Strs {
        source,
        strings,
        values,
    };
    let mut out = OrderedEntries::default();
    for &(k, v) in pairs {
        if is_merge_key(nodes, strs, tags, k) {
            let vd = deref_in(nodes, v);
            let reference = tags[nodes[vd.0 as usize].tag as usize] == Tag::Reference;
            match &nodes[vd.0 as usize].kind {
                // `<<: !reference [...]`: Psych calls `reverse_each` on the Reference object
                // and the load fails with NoMethodError.
                Kind::Seq { .. } if reference && vd == v => {
                    refused = true;
                    diags.push(yaml_syntax::merge_of_reference(
                        file,
                        nodes[v.0 as usize].span,
                    ));
                }
                // `<<: *alias` or `<<: {inline}`: Hash#merge! (a Reference is not a Hash).
                Kind::Map { .. } if !reference => {
                    let src = map_entries(nodes, eff, vd);
                    let mut cache = ViaCache::new(k, v);
                    for e in src {
                        let via = cache.get(vias, e.via);
                        out.set(
                            key_ident(nodes, strs, e.key),
                            Entry {
                                key: e.key,
                                value: e.value,
                                via: Some(via),
                            },
                            false,
                        );
                    }
                    continue;
                }
                // `<<: [*a, *b]` written as a sequence (not an alias to one): every item
                // must be a mapping; earlier items win.
                Kind::Seq { start, len } if vd == v => {
                    let list = &items[*start as usize..(*start + *len) as usize];
                    let is_hash = |i: NodeId| {
                        let d = deref_in(nodes, i);
                        matches!(nodes[d.0 as usize].kind, Kind::Map { .. })
                            && tags[nodes[d.0 as usize].tag as usize] != Tag::Reference
                    };
                    if list.iter().all(|&i| is_hash(i)) {
                        let mut h = OrderedEntries::default();
                        for &item in list.iter().rev() {
                            let mut cache = ViaCache::new(k, item);
                            for e in map_entries(nodes, eff, deref_in(nodes, item)) {
                                let via = cache.get(vias, e.via);
                                h.set(
                                    key_ident(nodes, strs, e.key),
                                    Entry {
                                        key: e.key,
                                        value: e.value,
                                        via: Some(via),
                                    },
                                    false,
                                );
                            }
                        }
                        for (ident, e) in h.idents.into_iter().zip(h.entries) {
                            out.set(ident, e, false);
                        }
                        continue;
                    }
                }
                _ => {}
            }
        }
        let ident = key_ident(nodes, strs, k);
        if let Some(prev) = out.set(
            ident,
            Entry {
                key: k,
                value: v,
                via: None,
            },
            true,
        ) {
            let name = key_ident(nodes, strs, k).display().into_owned();
            diags.push(duplicate_key::duplicate(
                file,
                nodes[k.0 as usize].span,
                nodes[prev.0 as usize].span,
                &name,
            ));
        }
    }
    (out.entries, refused)
}

fn map_entries(nodes: &[Node], eff: &[Entry], id: NodeId) -> Vec<Entry> {
    match nodes[id.0 as usize].kind {
        Kind::Map {
            eff_start, eff_len, ..
        } => eff[eff_start as usize..(eff_start + eff_len) as usize].to_vec(),
        _ => Vec::new(),
    }
}

/// Psych merges on a key that loads as the string `<<` (quoted or not, whatever its tag) unless
/// the key is explicitly tagged `!!str`.
pub(super) fn is_merge_key(nodes: &[Node], strs: Strs<'_>, tags: &[Tag], k: NodeId) -> bool {
    let node = &nodes[deref_in(nodes, k).0 as usize];
    let Kind::Scalar { text, value, .. } = &node.kind else {
        return false;
    };
    if *value != ValueId::STR || strs.str(*text) != "<<" {
        return false;
    }
    match tags[node.tag as usize] {
        Tag::None => true,
        Tag::Reference => false,
        Tag::Other(t) => !matches!(strs.str(t), "tag:yaml.org,2002:str" | "!str"),
    }
}

/// One `Via` per (merge site, previous step), created on first use.
struct ViaCache {
    merge_key: NodeId,
    source: NodeId,
    made: Vec<(Option<ViaId>, ViaId)>,
}

impl ViaCache {
    fn new(merge_key: NodeId, source: NodeId) -> ViaCache {
        ViaCache {
            merge_key,
            source,
            made: Vec::new(),
        }
    }
    fn get(&mut self, vias: &mut Vec<Via>, parent: Option<ViaId>) -> ViaId {
        if let Some(&(_, id)) = self.made.iter().find(|(p, _)| *p == parent) {
            return id;
        }
        let id = ViaId(vias.len() as u32);
        vias.push(Via {
            merge_key: self.merge_key,
            source: self.source,
            parent,
        });
        self.made.push((parent, id));
        id
    }
}

/// An insertion-ordered map with Ruby `Hash#[]=` semantics: replacing keeps the first position.
#[derive(Default)]
struct OrderedEntries<'a> {
    idents: Vec<KeyIdent<'a>>,
    entries: Vec<Entry>,
    index: Option<HashMap<KeyIdent<'a>, usize>>,
}

impl<'a> OrderedEntries<'a> {
    /// Sets `ident` to `entry`; when `written` and the replaced entry was written in the same
    /// mapping (not merged), returns the replaced key node (a duplicate key).
    fn set(&mut self, ident: KeyIdent<'a>, entry: Entry, written: bool) -> Option<NodeId> {
        let found = match &self.index {
            Some(index) => index.get(&ident).copied(),
            None => self.idents.iter().position(|i| *i == ident),
        };
        if let Some(i) = found {
            let prev = self.entries[i];
            self.entries[i] = entry;
            return (written && prev.via.is_none()).then_some(prev.key);
        }
        if self.index.is_none() && self.idents.len() >= 16 {
            self.index = Some(
                self.idents
                    .iter()
                    .cloned()
                    .enumerate()
                    .map(|(i, k)| (k, i))
                    .collect(),
            );
        }
        if let Some(index) = &mut self.index {
            index.insert(ident.clone(), self.entries.len());
        }
        self.idents.push(ident);
        self.entries.push(entry);
        None
    }
}
