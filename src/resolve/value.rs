//! Values of the configuration as it is being resolved, with provenance.
//!
//! A value is either a reference to a YAML node exactly as written ([`RKind::Node`]: a scalar,
//! or a whole subtree nothing was merged into), or a mapping or list that resolution assembled
//! ([`RKind::Map`], [`RKind::Seq`]). Every value carries a [`Chain`]: the steps that brought it
//! from where it was written to where it is now (a `<<:` merge, `extends`, `!reference`,
//! `default:`). Chains are linked lists in a shared arena, so adding a step is O(1) and shares
//! the rest.

use crate::diagnostic::Via;
use crate::load::FileSet;
use crate::source::FileId;
use crate::yaml::{Doc, NodeId, Tag, Value, ViaId};
use std::borrow::Cow;
use std::cell::RefCell;

pub use crate::source::Loc;

/// A list of steps in the [`Steps`] arena; `Chain::NONE` is the empty list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Chain(u32);

impl Chain {
    pub const NONE: Chain = Chain(0);
}

/// An interned name in [`Steps`] (a job name, a `!reference` path).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Name(u32);

/// One step that moved a value. Small and `Copy`: a chain arena holds one per moved value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Merged into a mapping by `<<:` (the YAML merge recorded in `file`'s document).
    Merge { file: FileId, via: ViaId },
    /// Inherited by `child` from `parent` through `extends:` written at `site`.
    Extends {
        child: Name,
        parent: Name,
        site: Loc,
    },
    /// Brought by `!reference [path]` written at `site` (`path` joined with ", ").
    Reference { path: Name, site: Loc },
    /// Taken from `default:` (or the deprecated top-level keyword) because the job does not set
    /// `keyword`; `site` is where the default was written.
    Default {
        keyword: &'static str,
        site: Loc,
        top_level: bool,
    },
}

/// The arena of chains: entry `i` is (step, rest of the chain), plus the interned names.
#[derive(Debug, Default)]
pub struct Steps {
    list: Vec<(Step, Chain)>,
    names: Vec<String>,
    name_index: std::collections::HashMap<String, Name>,
}

impl Steps {
    /// How many steps the arena holds.
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn name(&mut self, s: &str) -> Name {
        if let Some(&n) = self.name_index.get(s) {
            return n;
        }
        let n = Name(self.names.len() as u32);
        self.names.push(s.to_string());
        self.name_index.insert(s.to_string(), n);
        n
    }
    pub fn name_str(&self, n: Name) -> &str {
        &self.names[n.0 as usize]
    }
    pub fn push(&mut self, step: Step, rest: Chain) -> Chain {
        self.list.push((step, rest));
        Chain(self.list.len() as u32)
    }
    /// The steps of a chain, the most recent first.
    pub fn iter(&self, chain: Chain) -> impl Iterator<Item = &Step> {
        let mut at = chain;
        std::iter::from_fn(move || {
            if at.0 == 0 {
                return None;
            }
            let (step, rest) = &self.list[at.0 as usize - 1];
            at = *rest;
            Some(step)
        })
    }
}

/// A value being resolved.
#[derive(Clone, Debug)]
pub struct RValue {
    pub kind: RKind,
    pub chain: Chain,
}

#[derive(Clone, Debug)]
pub enum RKind {
    /// The node as written (possibly an alias, followed when read).
    Node(FileId, NodeId),
    Map(Vec<REntry>),
    Seq(Vec<RValue>),
}

#[derive(Clone, Debug)]
pub struct REntry {
    /// The winning key, as written (read it with [`Ctx::key`]).
    pub key: Key,
    pub value: RValue,
}

/// A mapping key as written: a node of a file's document. Entries hold this instead of the
/// key's text, so materializing a mapping allocates nothing per key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub file: FileId,
    pub node: NodeId,
}

impl RValue {
    pub fn node(file: FileId, node: NodeId, chain: Chain) -> RValue {
        RValue {
            kind: RKind::Node(file, node),
            chain,
        }
    }
    pub fn map(entries: Vec<REntry>) -> RValue {
        RValue {
            kind: RKind::Map(entries),
            chain: Chain::NONE,
        }
    }
}

/// What the resolution stages share: the file set and the chain arena (owned by the caller,
/// so chains outlive the resolution; see [`crate::Analysis`]).
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub set: &'a FileSet,
    pub steps: &'a RefCell<Steps>,
}

impl<'a> Ctx<'a> {
    pub fn new(set: &'a FileSet, steps: &'a RefCell<Steps>) -> Ctx<'a> {
        Ctx { set, steps }
    }

    pub fn doc(&self, file: FileId) -> &'a Doc {
        self.set.doc(file)
    }

    pub fn push(&self, step: Step, rest: Chain) -> Chain {
        self.steps.borrow_mut().push(step, rest)
    }

    /// Interns a name for a [`Step`].
    pub fn name(&self, s: &str) -> Name {
        self.steps.borrow_mut().name(s)
    }

    /// The node a `Node` value stands for, aliases followed.
    pub fn target(&self, v: &RValue) -> Option<(FileId, NodeId)> {
        match v.kind {
            RKind::Node(f, n) => Some((f, self.doc(f).deref(n))),
            _ => None,
        }
    }

    /// A mapping, as Ruby sees it (a `!reference` mapping is not a Hash).
    pub fn is_map(&self, v: &RValue) -> bool {
        match &v.kind {
            RKind::Map(_) => true,
            RKind::Seq(_) => false,
            RKind::Node(f, n) => {
                let d = self.doc(*f);
                d.is_map(*n) && d.tag(*n) != Tag::Reference
            }
        }
    }

    pub fn is_seq(&self, v: &RValue) -> bool {
        match &v.kind {
            RKind::Seq(_) => true,
            RKind::Map(_) => false,
            RKind::Node(f, n) => {
                let d = self.doc(*f);
                d.is_seq(*n) && d.tag(*n) != Tag::Reference
            }
        }
    }

    /// An unresolved `!reference [...]` list.
    pub fn is_reference(&self, v: &RValue) -> bool {
        match v.kind {
            RKind::Node(f, n) => {
                let d = self.doc(f);
                d.is_seq(n) && d.tag(n) == Tag::Reference
            }
            _ => false,
        }
    }

    pub fn is_null(&self, v: &RValue) -> bool {
        match v.kind {
            RKind::Node(f, n) => self.doc(f).is_null(n),
            _ => false,
        }
    }

    /// The typed scalar value.
    pub fn scalar(&self, v: &RValue) -> Option<&'a Value> {
        match v.kind {
            RKind::Node(f, n) => self.doc(f).scalar_value(n),
            _ => None,
        }
    }

    /// The scalar's text, whatever its type (`1` → "1", `true` → "true").
    pub fn scalar_text(&self, v: &RValue) -> Option<&'a str> {
        match v.kind {
            RKind::Node(f, n) => self.doc(f).scalar_text(n),
            _ => None,
        }
    }

    /// The value when Psych loads it as a String.
    pub fn as_str(&self, v: &RValue) -> Option<&'a str> {
        match v.kind {
            RKind::Node(f, n) => self.doc(f).as_str(n),
            _ => None,
        }
    }

    /// Where the value was written (for an alias: its anchor's node), if it is one node.
    pub fn loc(&self, v: &RValue) -> Option<Loc> {
        match v.kind {
            RKind::Node(f, n) => {
                let d = self.doc(f);
                Some(Loc {
                    file: f,
                    span: d.span(d.deref(n)),
                })
            }
            _ => None,
        }
    }

    /// Where the value was used through an alias (`*name`), if it was.
    pub fn alias_site(&self, v: &RValue) -> Option<Loc> {
        match v.kind {
            RKind::Node(f, n) if self.doc(f).is_alias(n) => Some(Loc {
                file: f,
                span: self.doc(f).span(n),
            }),
            _ => None,
        }
    }

    /// An entry's key as Ruby's Hash identifies it (see [`crate::yaml::KeyIdent::display`]).
    pub fn key(&self, e: &REntry) -> Cow<'a, str> {
        match self.doc(e.key.file).key_ident(e.key.node) {
            crate::yaml::KeyIdent::Str(s) => Cow::Borrowed(s),
            other => Cow::Owned(other.display().into_owned()),
        }
    }

    /// Whether an entry's key is the string `key`.
    pub fn key_is(&self, e: &REntry, key: &str) -> bool {
        self.doc(e.key.file).key_ident(e.key.node) == crate::yaml::KeyIdent::Str(key)
    }

    /// Where an entry's key is written.
    pub fn key_loc(&self, e: &REntry) -> Loc {
        Loc {
            file: e.key.file,
            span: self.doc(e.key.file).span(e.key.node),
        }
    }

    /// The chain of a mapping entry found by descending into a value whose chain is `outer`:
    /// a `<<:` merge inside the value happened before every step that moved the value, so it
    /// goes innermost.
    fn merged(&self, file: FileId, via: Option<ViaId>, outer: Chain) -> Chain {
        match via {
            None => outer,
            Some(via) => {
                let inner = self.push(Step::Merge { file, via }, Chain::NONE);
                self.append(inner, outer)
            }
        }
    }

    /// `outer`'s steps applied after `base`'s: the chain of a value that went through `base`,
    /// then through everything `outer` records.
    pub fn append(&self, base: Chain, outer: Chain) -> Chain {
        let steps: Vec<Step> = self.steps.borrow().iter(outer).copied().collect();
        steps
            .into_iter()
            .rev()
            .fold(base, |chain, step| self.push(step, chain))
    }

    /// The entries of a mapping (empty for anything else), each with its full chain.
    pub fn entries(&self, v: &RValue) -> Vec<REntry> {
        match &v.kind {
            RKind::Map(entries) => entries.clone(),
            RKind::Seq(_) => Vec::new(),
            RKind::Node(f, n) => {
                if !self.is_map(v) {
                    return Vec::new();
                }
                let doc = self.doc(*f);
                doc.entries(*n)
                    .iter()
                    .map(|e| REntry {
                        key: Key {
                            file: *f,
                            node: e.key,
                        },
                        value: RValue::node(*f, e.value, self.merged(*f, e.via, v.chain)),
                    })
                    .collect()
            }
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, v: &RValue, key: &str) -> Option<REntry> {
        match &v.kind {
            RKind::Map(entries) => entries.iter().find(|e| self.key_is(e, key)).cloned(),
            RKind::Seq(_) => None,
            RKind::Node(f, n) => {
                if !self.is_map(v) {
                    return None;
                }
                let doc = self.doc(*f);
                let e = doc.get(*n, key)?;
                Some(REntry {
                    key: Key {
                        file: *f,
                        node: e.key,
                    },
                    value: RValue::node(*f, e.value, self.merged(*f, e.via, v.chain)),
                })
            }
        }
    }

    /// Whether a mapping has `key` (without copying its value).
    pub fn has(&self, v: &RValue, key: &str) -> bool {
        match &v.kind {
            RKind::Map(entries) => entries.iter().any(|e| self.key_is(e, key)),
            RKind::Seq(_) => false,
            RKind::Node(f, n) => self.is_map(v) && self.doc(*f).get(*n, key).is_some(),
        }
    }

    /// The items of a list (empty for anything else).
    pub fn items(&self, v: &RValue) -> Vec<RValue> {
        match &v.kind {
            RKind::Seq(items) => items.clone(),
            RKind::Map(_) => Vec::new(),
            RKind::Node(f, n) => {
                if !self.is_seq(v) {
                    return Vec::new();
                }
                self.doc(*f)
                    .items(*n)
                    .iter()
                    .map(|&i| RValue::node(*f, i, v.chain))
                    .collect()
            }
        }
    }

    /// The items of a list node even when it is tagged (a `!reference`'s key path).
    pub fn items_raw(&self, v: &RValue) -> Vec<RValue> {
        match &v.kind {
            RKind::Node(f, n) => self
                .doc(*f)
                .items(*n)
                .iter()
                .map(|&i| RValue::node(*f, i, v.chain))
                .collect(),
            _ => self.items(v),
        }
    }

    /// The value moved by one more step: every part of it gets `step` on its chain.
    pub fn with_step(&self, v: RValue, step: &Step) -> RValue {
        let chain = self.push(*step, v.chain);
        let kind = match v.kind {
            RKind::Node(..) => v.kind,
            RKind::Map(entries) => RKind::Map(
                entries
                    .into_iter()
                    .map(|e| REntry {
                        value: self.with_step(e.value, step),
                        ..e
                    })
                    .collect(),
            ),
            RKind::Seq(items) => {
                RKind::Seq(items.into_iter().map(|i| self.with_step(i, step)).collect())
            }
        };
        RValue { kind, chain }
    }

    /// The value with `outer`'s steps applied after its own (recursively, like [`Self::with_step`]).
    pub fn with_outer(&self, v: RValue, outer: Chain) -> RValue {
        let chain = self.append(v.chain, outer);
        let kind = match v.kind {
            RKind::Node(..) => v.kind,
            RKind::Map(entries) => RKind::Map(
                entries
                    .into_iter()
                    .map(|e| REntry {
                        value: self.with_outer(e.value, outer),
                        ..e
                    })
                    .collect(),
            ),
            RKind::Seq(items) => RKind::Seq(
                items
                    .into_iter()
                    .map(|i| self.with_outer(i, outer))
                    .collect(),
            ),
        };
        RValue { kind, chain }
    }

    /// ActiveSupport's `a.deep_merge(b)`: mappings merge key by key (recursively), anything else
    /// is replaced by `b`; a replaced key keeps its first position.
    pub fn deep_merge(&self, a: RValue, b: RValue) -> RValue {
        if !(self.is_map(&a) && self.is_map(&b)) {
            return b;
        }
        let mut base = self.entries(&a);
        let other = self.entries(&b);
        // Job-sized mappings are small: a linear search beats hashing there.
        let mut index: Option<std::collections::HashMap<Cow<'a, str>, usize>> = (base.len() > 32)
            .then(|| {
                base.iter()
                    .enumerate()
                    .map(|(i, e)| (self.key(e), i))
                    .collect()
            });
        for e in other {
            let k = self.key(&e);
            let found = match &index {
                Some(ix) => ix.get(&k).copied(),
                None => base.iter().position(|x| self.key(x) == k),
            };
            match found {
                Some(i) => {
                    let old = std::mem::replace(&mut base[i].value, RValue::map(Vec::new()));
                    base[i].value = self.deep_merge(old, e.value);
                    base[i].key = e.key;
                }
                None => {
                    if let Some(ix) = &mut index {
                        ix.insert(k, base.len());
                    }
                    base.push(e);
                }
            }
        }
        RValue {
            kind: RKind::Map(base),
            chain: b.chain,
        }
    }

    /// How many values copying `v` copies: the entries and items resolution assembled (a node
    /// as written is shared, and counts one).
    pub fn weight(&self, v: &RValue) -> u64 {
        match &v.kind {
            RKind::Node(..) => 1,
            RKind::Map(entries) => 1 + entries.iter().map(|e| self.weight(&e.value)).sum::<u64>(),
            RKind::Seq(items) => 1 + items.iter().map(|i| self.weight(i)).sum::<u64>(),
        }
    }

    /// Whether resolving references could change this value.
    pub fn contains_reference(&self, v: &RValue) -> bool {
        match &v.kind {
            RKind::Node(f, n) => self.doc(*f).contains_reference(*n),
            RKind::Map(entries) => entries.iter().any(|e| self.contains_reference(&e.value)),
            RKind::Seq(items) => items.iter().any(|i| self.contains_reference(i)),
        }
    }

    /// The value as canonical JSON (the YAML oracle's encoding), aliases expanded.
    pub fn to_json(&self, v: &RValue) -> serde_json::Value {
        match &v.kind {
            RKind::Node(f, n) => self.doc(*f).node_json(*n, 0),
            RKind::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (self.key(e).into_owned(), self.to_json(&e.value)))
                    .collect(),
            ),
            RKind::Seq(items) => {
                serde_json::Value::Array(items.iter().map(|i| self.to_json(i)).collect())
            }
        }
    }

    /// The steps of a chain as data, innermost first, each with where it happened: what the
    /// reporters put in words ("merged by `<<: *defaults`", "inherited by `test` from
    /// `extends: .base`").
    pub fn hops(&self, chain: Chain) -> Vec<(Via, Loc)> {
        let steps = self.steps.borrow();
        let mut out: Vec<(Via, Loc)> = steps
            .iter(chain)
            .flat_map(|s| match s {
                Step::Merge { file, via } => {
                    // A merge of a merge: the YAML records each step, outermost first.
                    let doc = self.doc(*file);
                    let text = &self.set.file(*file).text;
                    let mut parts = Vec::new();
                    let mut at = Some(*via);
                    while let Some(id) = at {
                        let v = doc.via(id);
                        parts.push((
                            Via::Merge {
                                alias: doc.alias_name(v.source, text).map(str::to_string),
                            },
                            Loc {
                                file: *file,
                                span: doc.span(v.source),
                            },
                        ));
                        at = v.parent;
                    }
                    parts
                }
                Step::Extends {
                    child,
                    parent,
                    site,
                } => vec![(
                    Via::Extends {
                        child: steps.name_str(*child).to_string(),
                        parent: steps.name_str(*parent).to_string(),
                    },
                    *site,
                )],
                Step::Reference { path, site } => vec![(
                    Via::Reference {
                        path: steps.name_str(*path).to_string(),
                    },
                    *site,
                )],
                Step::Default {
                    keyword,
                    site,
                    top_level,
                } => vec![(
                    Via::Default {
                        keyword,
                        top_level: *top_level,
                    },
                    *site,
                )],
            })
            .collect();
        out.reverse();
        out
    }
}
