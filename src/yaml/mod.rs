//! Span-preserving YAML, loaded the way GitLab loads it (Ruby's Psych, YAML 1.1).
//!
//! The tree is built from saphyr-parser events. Every node, mapping keys included, keeps its byte
//! span. Anchors and aliases stay nodes: an alias points at its anchor's node and keeps its own
//! span, nothing is cloned, so an alias bomb costs nothing to load. `<<` merge keys and duplicate
//! keys are applied to each mapping's *effective entries* exactly as Psych applies them (see
//! docs/psych-behaviour.md); the raw pairs stay available for positions.

mod builder;
pub mod interpolate;
pub mod json;
mod limits;
mod merge;
mod parse;
pub mod scalar;

pub use limits::Limits;
pub use parse::{ParsedFile, parse_file};
pub use scalar::Value;

use crate::source::{FileId, Span};
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ViaId(pub u32);

/// A string of a [`Doc`]: a slice of the source text (most plain scalars) or of the document's
/// own buffer (text the parser had to unescape or fold).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StrRef {
    /// Start offset; the top bit says the text is in the source.
    start: u32,
    len: u32,
}

const IN_SOURCE: u32 = 1 << 31;

/// Index of a scalar's typed value in [`Doc`]'s value table (most scalars share the first
/// entry, `Value::Str`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueId(pub(crate) u32);

impl ValueId {
    pub const STR: ValueId = ValueId(0);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    None,
    /// GitLab's `!reference`.
    Reference,
    /// Any other tag, resolved to its full form (`tag:yaml.org,2002:str`, `!custom`).
    Other(StrRef),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Scalar {
        text: StrRef,
        style: Style,
        value: ValueId,
    },
    Seq {
        start: u32,
        len: u32,
    },
    Map {
        pairs_start: u32,
        pairs_len: u32,
        eff_start: u32,
        eff_len: u32,
    },
    /// `*name`: refers to the node that carries the anchor.
    Alias {
        target: NodeId,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: Kind,
    /// Index in [`Doc`]'s tag table (0: no tag, 1: `!reference`).
    tag: u32,
    /// Index in [`Doc`]'s anchor table (0: no anchor).
    anchor: u32,
}

/// One entry of a mapping after `<<` merges and duplicate keys are applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The key node as written (possibly in another mapping, when merged).
    pub key: NodeId,
    /// The value node as written (possibly an alias).
    pub value: NodeId,
    /// How the entry got here when it came through a `<<` merge.
    pub via: Option<ViaId>,
}

/// One `<<` merge step: the entry was merged into a mapping through `merge_key`, whose value
/// (an alias, an inline mapping, or a list item) is `source`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Via {
    pub merge_key: NodeId,
    pub source: NodeId,
    /// The step that brought the entry into the merged mapping before this one.
    pub parent: Option<ViaId>,
}

/// The configuration document of one file.
#[derive(Clone, Debug)]
pub struct Doc {
    pub file: FileId,
    pub(crate) source: Arc<str>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) items: Vec<NodeId>,
    pub(crate) pairs: Vec<(NodeId, NodeId)>,
    pub(crate) eff: Vec<Entry>,
    pub(crate) vias: Vec<Via>,
    pub(crate) strings: String,
    pub(crate) values: Vec<Value>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) anchors: Vec<StrRef>,
    /// Per node: a `!reference` is at or below it (empty when the document has none).
    pub(crate) refs: Vec<bool>,
    pub(crate) root: Option<NodeId>,
}

impl Doc {
    /// An empty document of `file` whose text is `source`.
    pub fn empty(file: FileId, source: Arc<str>) -> Doc {
        Doc {
            file,
            source,
            nodes: Vec::new(),
            items: Vec::new(),
            pairs: Vec::new(),
            eff: Vec::new(),
            vias: Vec::new(),
            strings: String::new(),
            values: vec![Value::Str],
            tags: vec![Tag::None, Tag::Reference],
            anchors: vec![StrRef::default()],
            refs: Vec::new(),
            root: None,
        }
    }
}

/// The read-only string storage of a document, for functions that borrow other parts mutably.
#[derive(Clone, Copy)]
pub(crate) struct Strs<'a> {
    pub source: &'a str,
    pub strings: &'a str,
    pub values: &'a [Value],
}

impl<'a> Strs<'a> {
    pub fn str(&self, r: StrRef) -> &'a str {
        if r.start & IN_SOURCE != 0 {
            let s = (r.start & !IN_SOURCE) as usize;
            &self.source[s..s + r.len as usize]
        } else {
            &self.strings[r.start as usize..(r.start + r.len) as usize]
        }
    }
}

impl StrRef {
    /// A slice `[start, start + len)` of the source text.
    pub(crate) fn in_source(start: u32, len: u32) -> StrRef {
        StrRef {
            start: start | IN_SOURCE,
            len,
        }
    }
    pub(crate) fn in_buffer(start: u32, len: u32) -> StrRef {
        StrRef { start, len }
    }
}

/// The identity of a mapping key, as Ruby's `Hash` compares keys: a string key is its text;
/// other scalars carry their type (so `1` and `"1"` are different keys).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyIdent<'a> {
    Str(&'a str),
    Other(Cow<'a, str>),
}

impl KeyIdent<'_> {
    /// The key as text, with a type prefix for non-strings (`!!int 1`), as the oracle prints it.
    pub fn display(&self) -> Cow<'_, str> {
        match self {
            KeyIdent::Str(s) => Cow::Borrowed(s),
            KeyIdent::Other(s) => Cow::Borrowed(s.as_ref()),
        }
    }
}

impl Doc {
    pub fn root(&self) -> Option<NodeId> {
        self.root
    }
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
    pub fn span(&self, id: NodeId) -> Span {
        self.node(id).span
    }
    pub fn str(&self, r: StrRef) -> &str {
        self.strs().str(r)
    }
    pub(crate) fn strs(&self) -> Strs<'_> {
        Strs {
            source: &self.source,
            strings: &self.strings,
            values: &self.values,
        }
    }
    /// Whether a `!reference` tag is at or below `id` (following aliases).
    pub fn contains_reference(&self, id: NodeId) -> bool {
        self.refs.get(id.0 as usize).copied().unwrap_or(false)
    }
    /// The typed value stored at `id`.
    pub fn value(&self, id: ValueId) -> &Value {
        &self.values[id.0 as usize]
    }
    /// Follows an alias to the node it refers to.
    pub fn deref(&self, id: NodeId) -> NodeId {
        deref_in(&self.nodes, id)
    }
    pub fn is_alias(&self, id: NodeId) -> bool {
        matches!(self.node(id).kind, Kind::Alias { .. })
    }
    /// The effective entries of a mapping (after `<<` and duplicate keys); empty for non-maps.
    pub fn entries(&self, id: NodeId) -> &[Entry] {
        match self.node(self.deref(id)).kind {
            Kind::Map {
                eff_start, eff_len, ..
            } => &self.eff[eff_start as usize..(eff_start + eff_len) as usize],
            _ => &[],
        }
    }
    /// The key/value pairs as written, duplicates and `<<` included.
    pub fn raw_pairs(&self, id: NodeId) -> &[(NodeId, NodeId)] {
        match self.node(self.deref(id)).kind {
            Kind::Map {
                pairs_start,
                pairs_len,
                ..
            } => &self.pairs[pairs_start as usize..(pairs_start + pairs_len) as usize],
            _ => &[],
        }
    }
    /// The items of a sequence (empty for non-sequences).
    pub fn items(&self, id: NodeId) -> &[NodeId] {
        match self.node(self.deref(id)).kind {
            Kind::Seq { start, len } => &self.items[start as usize..(start + len) as usize],
            _ => &[],
        }
    }
    pub fn via(&self, id: ViaId) -> &Via {
        &self.vias[id.0 as usize]
    }
    /// The text of a scalar (after following aliases), whatever its type.
    pub fn scalar_text(&self, id: NodeId) -> Option<&str> {
        match &self.node(self.deref(id)).kind {
            Kind::Scalar { text, .. } => Some(self.str(*text)),
            _ => None,
        }
    }
    /// The typed value of a scalar (after following aliases).
    pub fn scalar_value(&self, id: NodeId) -> Option<&Value> {
        match &self.node(self.deref(id)).kind {
            Kind::Scalar { value, .. } => Some(self.value(*value)),
            _ => None,
        }
    }
    /// The scalar as a string when Psych loads it as a String.
    pub fn as_str(&self, id: NodeId) -> Option<&str> {
        match &self.node(self.deref(id)).kind {
            Kind::Scalar { text, value, .. } if *self.value(*value) == Value::Str => {
                Some(self.str(*text))
            }
            _ => None,
        }
    }
    pub fn is_map(&self, id: NodeId) -> bool {
        matches!(self.node(self.deref(id)).kind, Kind::Map { .. })
    }
    pub fn is_seq(&self, id: NodeId) -> bool {
        matches!(self.node(self.deref(id)).kind, Kind::Seq { .. })
    }
    pub fn is_null(&self, id: NodeId) -> bool {
        matches!(self.scalar_value(id), Some(Value::Null))
    }
    /// The tag of a node (after following aliases).
    pub fn tag(&self, id: NodeId) -> Tag {
        self.tags[self.node(self.deref(id)).tag as usize]
    }
    /// The full text of a tag other than `!reference` (`tag:yaml.org,2002:str`, `!custom`).
    pub fn tag_text(&self, tag: Tag) -> Option<&str> {
        match tag {
            Tag::Other(t) => Some(self.str(t)),
            _ => None,
        }
    }
    pub fn anchor_name(&self, id: NodeId) -> Option<&str> {
        match self.node(id).anchor {
            0 => None,
            a => Some(self.str(self.anchors[a as usize])),
        }
    }
    /// The alias's own name (`*name` without the star).
    pub fn alias_name<'a>(&self, id: NodeId, text: &'a str) -> Option<&'a str> {
        match self.node(id).kind {
            Kind::Alias { .. } => {
                let s = self.span(id);
                text.get(s.start as usize + 1..s.end as usize)
            }
            _ => None,
        }
    }
    /// The identity Ruby's Hash would give this node as a key. A mapping or list used as a key
    /// is named by its canonical JSON; past [`COMPLEX_KEY_TEXT`] bytes, by a hash of it, so that
    /// keys nested in keys (`? ? ? x: 1`) do not grow with every level of escaping.
    pub fn key_ident(&self, id: NodeId) -> KeyIdent<'_> {
        let d = self.deref(id);
        match self.node(d).kind {
            Kind::Seq { .. } | Kind::Map { .. } => {
                let json = self.node_json(d, 0).to_string();
                KeyIdent::Other(Cow::Owned(if json.len() <= COMPLEX_KEY_TEXT {
                    format!("!!complex {json}")
                } else {
                    format!("!!complex #{:016x}", fnv64(&json))
                }))
            }
            _ => key_ident(&self.nodes, self.strs(), id),
        }
    }
    /// The value of `key` in a mapping's effective entries.
    pub fn get(&self, map: NodeId, key: &str) -> Option<&Entry> {
        self.entries(map)
            .iter()
            .find(|e| self.key_ident(e.key) == KeyIdent::Str(key))
    }
}

/// How long the text naming a mapping or list used as a key may be before a hash stands for it.
pub const COMPLEX_KEY_TEXT: usize = 256;

/// 64-bit FNV-1a.
fn fnv64(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    })
}

/// The node an alias refers to (any other node is itself).
pub(crate) fn deref_in(nodes: &[Node], id: NodeId) -> NodeId {
    match nodes[id.0 as usize].kind {
        Kind::Alias { target } => target,
        _ => id,
    }
}

pub(crate) fn key_ident<'a>(nodes: &[Node], strs: Strs<'a>, id: NodeId) -> KeyIdent<'a> {
    let id = deref_in(nodes, id);
    let s = |r: &StrRef| strs.str(*r);
    match &nodes[id.0 as usize].kind {
        Kind::Scalar { text, value, .. } => match &strs.values[value.0 as usize] {
            Value::Str => KeyIdent::Str(s(text)),
            Value::Null => KeyIdent::Other(Cow::Borrowed("!!null")),
            Value::Bool(true) => KeyIdent::Other(Cow::Borrowed("!!bool true")),
            Value::Bool(false) => KeyIdent::Other(Cow::Borrowed("!!bool false")),
            Value::Int(i) => KeyIdent::Other(Cow::Owned(format!("!!int {i}"))),
            Value::BigInt(b) => KeyIdent::Other(Cow::Owned(format!("!!int {b}"))),
            Value::Float(f) => {
                KeyIdent::Other(Cow::Owned(format!("!!float {}", json::float_text(*f))))
            }
            Value::Symbol(name) => KeyIdent::Other(Cow::Owned(format!("!!symbol {name}"))),
            Value::Disallowed(c) | Value::Invalid(c) => {
                KeyIdent::Other(Cow::Owned(format!("!!{c} {}", s(text))))
            }
        },
        _ => KeyIdent::Other(Cow::Owned(format!("!!complex #{}", id.0))),
    }
}
