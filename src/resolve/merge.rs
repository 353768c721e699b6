//! The include merge (GitLab's `External::Processor#perform`): starting from an empty mapping,
//! each included file's fully expanded content is deep-merged in order (the later wins), then the
//! including file's own content is merged on top, and `include` is dropped. Deep merge is
//! ActiveSupport's `deep_merge!`: mapping + mapping merge key by key, anything else is replaced
//! by the later value, and a replaced key keeps its first position.
//!
//! The result keeps provenance: an unmerged subtree is a reference to the node as written.

use crate::load::{Expansion, FileSet};
use crate::source::FileId;
use crate::yaml::NodeId;
use serde_json::Value as Json;

/// A value of the merged configuration.
#[derive(Clone, Debug)]
pub enum MValue {
    /// A value exactly as written at `node` in `file` (possibly a mapping nothing merged into).
    Node { file: FileId, node: NodeId },
    /// A mapping assembled from mappings of several files.
    Map(MMap),
}

#[derive(Clone, Debug, Default)]
pub struct MMap {
    pub entries: Vec<MEntry>,
}

#[derive(Clone, Debug)]
pub struct MEntry {
    /// The key as Ruby's Hash identifies it (see [`crate::yaml::KeyIdent::display`]).
    pub key: String,
    /// Where the winning key was written.
    pub key_file: FileId,
    pub key_node: NodeId,
    pub value: MValue,
}

/// The configuration of a file set after includes are merged, or `None` when no file has content.
pub fn merge_includes(set: &FileSet) -> Option<MValue> {
    let mut v = expansion_value(set, &set.root)?;
    if let MValue::Map(m) = &mut v {
        m.entries.retain(|e| e.key != "include");
    } else if let MValue::Node { file, node } = v {
        let doc = set.doc(file);
        if doc.get(node, "include").is_some() {
            v = MValue::Map(to_map(set, file, node));
            if let MValue::Map(m) = &mut v {
                m.entries.retain(|e| e.key != "include");
            }
        }
    }
    Some(v)
}

fn expansion_value(set: &FileSet, exp: &Expansion) -> Option<MValue> {
    let own = set.doc(exp.file).root().map(|node| MValue::Node {
        file: exp.file,
        node,
    });
    let mut acc: Option<MValue> = None;
    for inc in &exp.includes {
        if let Some(v) = expansion_value(set, inc) {
            acc = Some(match acc {
                None => v,
                Some(a) => deep_merge(set, a, v),
            });
        }
    }
    match (acc, own) {
        (None, own) => own,
        (Some(a), None) => Some(a),
        (Some(a), Some(o)) => Some(deep_merge(set, a, o)),
    }
}

fn is_hash(set: &FileSet, v: &MValue) -> bool {
    match v {
        MValue::Map(_) => true,
        MValue::Node { file, node } => set.doc(*file).is_map(*node),
    }
}

/// The entries of a written mapping as a merged mapping.
fn to_map(set: &FileSet, file: FileId, node: NodeId) -> MMap {
    let doc = set.doc(file);
    MMap {
        entries: doc
            .entries(node)
            .iter()
            .map(|e| MEntry {
                key: doc.key_ident(e.key).display().into_owned(),
                key_file: file,
                key_node: e.key,
                value: MValue::Node {
                    file,
                    node: e.value,
                },
            })
            .collect(),
    }
}

/// `a.deep_merge!(b)`: `b` wins.
pub fn deep_merge(set: &FileSet, a: MValue, b: MValue) -> MValue {
    if !(is_hash(set, &a) && is_hash(set, &b)) {
        return b;
    }
    let mut base = match a {
        MValue::Map(m) => m,
        MValue::Node { file, node } => to_map(set, file, node),
    };
    let other = match b {
        MValue::Map(m) => m,
        MValue::Node { file, node } => to_map(set, file, node),
    };
    let mut index: std::collections::HashMap<String, usize> = base
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.key.clone(), i))
        .collect();
    for e in other.entries {
        match index.get(&e.key) {
            Some(&i) => {
                let old =
                    std::mem::replace(&mut base.entries[i].value, MValue::Map(MMap::default()));
                let merged = deep_merge(set, old, e.value);
                let slot = &mut base.entries[i];
                slot.value = merged;
                slot.key_file = e.key_file;
                slot.key_node = e.key_node;
            }
            None => {
                index.insert(e.key.clone(), base.entries.len());
                base.entries.push(e);
            }
        }
    }
    MValue::Map(base)
}

impl MValue {
    /// The canonical JSON of the merged value (the YAML oracle's encoding).
    pub fn to_json(&self, set: &FileSet) -> Json {
        match self {
            MValue::Node { file, node } => set.doc(*file).node_json(*node, 0),
            MValue::Map(m) => Json::Object(
                m.entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json(set)))
                    .collect(),
            ),
        }
    }
}
