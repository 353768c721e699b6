//! Builds a [`Doc`] from saphyr-parser events: every node with its byte span, anchors and
//! aliases as nodes, tags, Psych's scalar typing; each closed mapping gets its effective
//! entries ([`super::merge`]) and each collection its alias-expanded height and size
//! ([`super::limits`]).

use super::limits::{self, Cost, DEEP, HUGE, Limits};
use super::merge::{is_merge_key, merge_entries};
use super::scalar::{Value, resolve_plain};
use super::{Doc, Kind, Node, NodeId, StrRef, Style, Tag, ValueId};
use crate::diagnostic::Diagnostic;
use crate::rules::{yaml_disallowed_type, yaml_syntax, yaml_too_deep};
use crate::source::{FileId, Span};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;
use std::sync::Arc;

/// Converts saphyr's character indices to byte offsets.
struct CharToByte {
    /// (char index, byte offset) after each non-ASCII character; empty for ASCII text.
    checkpoints: Vec<(u32, u32)>,
    /// The text's length in bytes: an index past the end (saphyr's marker after an error can
    /// be) maps to the end, never beyond.
    len: u32,
}

impl CharToByte {
    fn new(text: &str) -> CharToByte {
        let mut checkpoints = Vec::new();
        if !text.is_ascii() {
            for (ci, (bi, c)) in text.char_indices().enumerate() {
                if !c.is_ascii() {
                    checkpoints.push((ci as u32 + 1, (bi + c.len_utf8()) as u32));
                }
            }
        }
        CharToByte {
            checkpoints,
            len: text.len() as u32,
        }
    }
    fn byte(&self, char_index: usize) -> u32 {
        let c = char_index.min(u32::MAX as usize) as u32;
        let b = match self.checkpoints.partition_point(|&(ci, _)| ci <= c) {
            0 => c,
            i => {
                let (ci, bi) = self.checkpoints[i - 1];
                bi.saturating_add(c - ci)
            }
        };
        b.min(self.len)
    }
}

/// A child of an open collection, with what it costs once aliases are expanded: its nesting
/// height and a lower bound of the memory Ruby allocates for it.
#[derive(Clone, Copy)]
struct Child {
    node: NodeId,
    height: u32,
    size: u64,
    /// A `!reference` is at or below this node (aliases followed).
    has_ref: bool,
}

struct Frame {
    node: NodeId,
    is_map: bool,
    tmp_start: usize,
}

pub(super) struct Builder<'t> {
    file: FileId,
    /// The chunk being parsed, which starts at byte `base` of `source`.
    text: &'t str,
    source: &'t str,
    base: u32,
    limits: Limits,
    c2b: CharToByte,
    doc: Doc,
    stack: Vec<Frame>,
    tmp: Vec<Child>,
    /// saphyr's anchor ids → the node carrying the anchor.
    anchors: Vec<Option<NodeId>>,
    /// Height, size and `!reference` presence of anchored nodes (what an alias to them
    /// brings); absent while open.
    anchored: HashMap<NodeId, (u32, u64, bool)>,
    /// What the document costs, for GitLab's limits.
    cost: Cost,
    diags: Vec<Diagnostic>,
    /// A value of a class GitLab's loader refuses was found: the file fails to load.
    refused: bool,
}

impl<'t> Builder<'t> {
    pub(super) fn new(
        file: FileId,
        source: &'t Arc<str>,
        text: &'t str,
        base: u32,
        limits: &Limits,
    ) -> Builder<'t> {
        let mut doc = Doc::empty(file, source.clone());
        // Large configurations have about one node per 10 bytes of YAML. Reserving generously
        // costs nothing until used (untouched pages are not resident); growing would copy.
        doc.nodes.reserve(text.len() / 6);
        Builder {
            file,
            text,
            source,
            base,
            limits: *limits,
            c2b: CharToByte::new(text),
            doc,
            stack: Vec::new(),
            tmp: Vec::new(),
            anchors: vec![None],
            anchored: HashMap::new(),
            cost: Cost::default(),
            diags: Vec::new(),
            refused: false,
        }
    }

    fn span(&self, s: &saphyr_parser::Span) -> Span {
        Span::new(
            self.base + self.c2b.byte(s.start.index()),
            self.base + self.c2b.byte(s.end.index()),
        )
    }

    fn intern(&mut self, s: &str) -> StrRef {
        let start = self.doc.strings.len() as u32;
        self.doc.strings.push_str(s);
        StrRef::in_buffer(start, s.len() as u32)
    }

    /// A scalar's text: a slice of the source when it is written there as is (most plain
    /// scalars), else a copy.
    fn text_ref(&mut self, value: &str, span: Span) -> StrRef {
        let written = self.source.get(span.start as usize..span.end as usize);
        if written == Some(value) {
            StrRef::in_source(span.start, span.len())
        } else if let Some(at) = written
            .and_then(|w| w.find(value))
            .filter(|_| !value.is_empty())
        {
            // A plain scalar's span may start at its anchor or tag (`&a value`).
            StrRef::in_source(span.start + at as u32, value.len() as u32)
        } else {
            self.intern(value)
        }
    }

    fn value_id(&mut self, v: Value) -> ValueId {
        match v {
            Value::Str => ValueId::STR,
            other => {
                self.doc.values.push(other);
                ValueId(self.doc.values.len() as u32 - 1)
            }
        }
    }

    /// Runs the parser over the first document; returns the doc, the findings, whether it
    /// loaded, and whether it is over GitLab's size or depth limits.
    pub(super) fn run(mut self) -> (Doc, Vec<Diagnostic>, bool, bool) {
        let mut parser = Parser::new_from_str(self.text);
        let mut ok = true;
        let mut root: Option<Child> = None;
        while let Some(next) = parser.next_event() {
            let (ev, sp) = match next {
                Ok(x) => x,
                Err(e) => {
                    let at = self.base + self.c2b.byte(e.marker().index());
                    self.syntax_error(at, e.info());
                    ok = false;
                    break;
                }
            };
            let span = self.span(&sp);
            let sp_is_map = matches!(ev, Event::MappingStart(..));
            let done: Option<Child> = match ev {
                Event::DocumentEnd | Event::StreamEnd => break,
                Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => None,
                Event::Alias(id) => {
                    let target = self.anchors.get(id).copied().flatten();
                    let Some(target) = target else {
                        self.syntax_error(span.start, "unknown anchor");
                        ok = false;
                        break;
                    };
                    // Psych never registers a `!reference` list as an anchor target, so an alias
                    // to one fails with "Unknown alias".
                    let t = &self.doc.nodes[target.0 as usize];
                    if self.doc.tags[t.tag as usize] == Tag::Reference
                        && matches!(t.kind, Kind::Seq { .. })
                    {
                        self.diags
                            .push(yaml_syntax::alias_to_reference(self.file, span));
                        ok = false;
                        break;
                    }
                    // An alias to a node still open is recursive: infinitely deep for GitLab.
                    let (height, size, has_ref) = self
                        .anchored
                        .get(&target)
                        .copied()
                        .unwrap_or((DEEP, HUGE, false));
                    let depth = self.stack.len() as u32;
                    if depth.saturating_add(height) > self.limits.max_depth
                        && self.cost.too_deep_at.is_none()
                    {
                        // The alias is the node about to be added.
                        let id = NodeId(self.doc.nodes.len() as u32);
                        self.cost.too_deep_at = Some((target, Some(id)));
                    }
                    let id = self.add_node(span, Kind::Alias { target }, 0, 0);
                    if self.cost.biggest_alias.is_none_or(|(_, s)| size > s) {
                        self.cost.biggest_alias = Some((id, size));
                    }
                    self.mark_ref(id, has_ref);
                    Some(Child {
                        node: id,
                        height,
                        size,
                        has_ref,
                    })
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let tag = self.tag(tag.as_deref());
                    let style = match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted => Style::SingleQuoted,
                        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                        ScalarStyle::Literal => Style::Literal,
                        ScalarStyle::Folded => Style::Folded,
                    };
                    let (typed, decoded) =
                        self.scalar_value(&value, style, self.doc.tags[tag as usize]);
                    match &typed {
                        Value::Disallowed(class) => self.refuse(span, class, &value),
                        Value::Invalid(reason) => self.unloadable(span, &value, reason),
                        _ => {}
                    }
                    let size = match typed {
                        Value::Str => (value.len() as u64 + 25).max(40),
                        _ => 0,
                    };
                    let text = match decoded {
                        Some(d) => self.intern(&d),
                        None => self.text_ref(&value, span),
                    };
                    let value = self.value_id(typed);
                    let kind = Kind::Scalar { text, style, value };
                    let id = self.add_node(span, kind, tag, anchor);
                    self.cost.physical_size += size;
                    let has_ref = tag == 1;
                    self.mark_ref(id, has_ref);
                    if anchor > 0 {
                        self.anchored.insert(id, (0, size, has_ref));
                    }
                    Some(Child {
                        node: id,
                        height: 0,
                        size,
                        has_ref,
                    })
                }
                Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                    let is_map = sp_is_map;
                    let tag = self.tag(tag.as_deref());
                    if let Tag::Other(t) = self.doc.tags[tag as usize]
                        && let Some(class) = super::scalar::disallowed_class(self.doc.str(t))
                    {
                        let shown = self.doc.str(t).to_string();
                        self.refuse(span, &class, &shown);
                    }
                    let kind = if is_map {
                        Kind::Map {
                            pairs_start: 0,
                            pairs_len: 0,
                            eff_start: 0,
                            eff_len: 0,
                        }
                    } else {
                        Kind::Seq { start: 0, len: 0 }
                    };
                    let id = self.add_node(span, kind, tag, anchor);
                    self.stack.push(Frame {
                        node: id,
                        is_map,
                        tmp_start: self.tmp.len(),
                    });
                    if self.stack.len() as u32 > self.limits.max_depth
                        && self.cost.too_deep_at.is_none()
                    {
                        self.cost.too_deep_at = Some((id, None));
                    }
                    None
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else {
                        break;
                    };
                    let child = self.finish(frame, span);
                    if self.doc.nodes[child.node.0 as usize].anchor > 0 {
                        self.anchored
                            .insert(child.node, (child.height, child.size, child.has_ref));
                    }
                    Some(child)
                }
            };
            if let Some(child) = done {
                if self.stack.is_empty() {
                    root.get_or_insert(child);
                } else {
                    self.tmp.push(child);
                }
            }
        }
        let over_limit = ok
            && !self.refused
            && root.is_some_and(|r| {
                limits::check(
                    &mut self.doc,
                    self.file,
                    &self.limits,
                    &self.cost,
                    (r.node, r.height, r.size),
                    &mut self.diags,
                )
            });
        let ok = ok && !self.refused;
        (self.doc, self.diags, ok, over_limit)
    }

    fn syntax_error(&mut self, at: u32, info: &str) {
        // saphyr's own message is the only sign that its recursion limit stopped it.
        self.diags.push(if info.contains("recursion limit") {
            yaml_too_deep::parser_limit(self.file, at)
        } else {
            yaml_syntax::invalid(self.file, at, info)
        });
    }

    /// A plain scalar Psych reads as a `Date` or `Time`, or a tag of a Ruby class: `safe_load`
    /// raises `Tried to load unspecified class` and GitLab rejects the file.
    fn refuse(&mut self, span: Span, class: &str, text: &str) {
        self.refused = true;
        self.diags.push(yaml_disallowed_type::disallowed(
            self.file, span, class, text,
        ));
    }

    /// The tag table index of a tag: 0 none, 1 `!reference` (also `!<!reference>`).
    fn tag(&mut self, tag: Option<&saphyr_parser::Tag>) -> u32 {
        let Some(t) = tag else { return 0 };
        let full = format!("{}{}", t.handle, t.suffix);
        if full == "!reference" {
            return 1;
        }
        let r = self.intern(&full);
        self.doc.tags.push(Tag::Other(r));
        self.doc.tags.len() as u32 - 1
    }

    /// Psych's `ToRuby#deserialize` for scalars: the value and, for `!!binary`, the decoded
    /// text.
    fn scalar_value(&self, value: &str, style: Style, tag: Tag) -> (Value, Option<String>) {
        match tag {
            Tag::None if style == Style::Plain => (resolve_plain(value), None),
            Tag::None | Tag::Reference => (Value::Str, None),
            Tag::Other(t) => super::scalar::resolve_tagged(self.doc.str(t), value),
        }
    }

    /// A scalar Ruby cannot convert: the load fails.
    fn unloadable(&mut self, span: Span, text: &str, reason: &str) {
        self.refused = true;
        self.diags
            .push(yaml_syntax::bad_number(self.file, span, text, reason));
    }

    fn add_node(&mut self, span: Span, kind: Kind, tag: u32, anchor: usize) -> NodeId {
        let id = NodeId(self.doc.nodes.len() as u32);
        let anchor_index = if anchor > 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some(id);
            match self.anchor_name(span.start) {
                Some(name) => {
                    self.doc.anchors.push(name);
                    self.doc.anchors.len() as u32 - 1
                }
                None => 0,
            }
        } else {
            0
        };
        self.doc.nodes.push(Node {
            span,
            kind,
            tag,
            anchor: anchor_index,
        });
        if self.stack.is_empty() && self.doc.root.is_none() {
            self.doc.root = Some(id);
        }
        id
    }

    /// Reads `&name` from the node's text (which starts at its properties: tag and anchor).
    fn anchor_name(&mut self, at: u32) -> Option<StrRef> {
        let mut rest = self.text.get((at - self.base) as usize..)?;
        let mut offset = at;
        for _ in 0..2 {
            let trimmed = rest.trim_start();
            offset += (rest.len() - trimmed.len()) as u32;
            rest = trimmed;
            let end = rest
                .find(|c: char| c.is_whitespace() || ",[]{}".contains(c))
                .unwrap_or(rest.len());
            if rest.starts_with('&') {
                return Some(StrRef::in_source(offset + 1, end as u32 - 1));
            }
            rest = &rest[end..];
            offset += end as u32;
        }
        None
    }

    fn is_omap(&self, id: NodeId) -> bool {
        match self.doc.tags[self.doc.nodes[id.0 as usize].tag as usize] {
            Tag::Other(t) => matches!(self.doc.str(t), "tag:yaml.org,2002:omap" | "!omap"),
            _ => false,
        }
    }

    /// The pairs of an omap's items, when every item is a mapping.
    fn omap_pairs(&self, items: &[Child]) -> Option<Vec<(NodeId, NodeId)>> {
        let mut pairs = Vec::new();
        for c in items {
            if !self.doc.is_map(c.node) {
                return None;
            }
            pairs.extend_from_slice(self.doc.raw_pairs(c.node));
        }
        Some(pairs)
    }

    /// Closes a collection: stores its children, computes a mapping's effective entries, and
    /// returns its alias-expanded height and size.
    fn finish(&mut self, frame: Frame, end_span: Span) -> Child {
        let children: Vec<Child> = self.tmp.drain(frame.tmp_start..).collect();
        let idx = frame.node.0 as usize;
        let last_end = children
            .last()
            .map(|c| self.doc.nodes[c.node.0 as usize].span.end);
        let node_span = self.doc.nodes[idx].span;
        let end = if !end_span.is_empty() {
            end_span.end
        } else {
            last_end.unwrap_or(node_span.end).max(node_span.start)
        };
        self.doc.nodes[idx].span = Span::new(node_span.start, end);
        // `!!omap [{a: 1}, {b: 2}]`: Psych builds a Hash from the items' pairs.
        let omap_pairs = (!frame.is_map && self.is_omap(frame.node))
            .then(|| self.omap_pairs(&children))
            .flatten();
        let mut height = 0;
        let mut size: u64 = 0;
        let own;
        if frame.is_map || omap_pairs.is_some() {
            let pairs: Vec<(NodeId, NodeId)> = match omap_pairs {
                Some(p) => p,
                None => children
                    .chunks_exact(2)
                    .map(|p| (p[0].node, p[1].node))
                    .collect(),
            };
            for pair in children.chunks_exact(2) {
                let (k, v) = (pair[0], pair[1]);
                // A merged mapping's own level and header are not part of the result.
                let merged = is_merge_key(&self.doc.nodes, self.doc.strs(), &self.doc.tags, k.node)
                    && (self.doc.is_map(v.node) || self.doc.is_seq(v.node));
                let lift = if !merged {
                    0
                } else if self.doc.is_map(v.node) {
                    1
                } else {
                    2
                };
                height = height.max(k.height).max(v.height.saturating_sub(lift));
                size = size.saturating_add(k.size).saturating_add(v.size);
            }
            let pairs_start = self.doc.pairs.len() as u32;
            self.doc.pairs.extend_from_slice(&pairs);
            let (eff, refused) = merge_entries(&mut self.doc, self.file, &pairs, &mut self.diags);
            self.refused |= refused;
            own = 40 + 16 * eff.len() as u64;
            let eff_start = self.doc.eff.len() as u32;
            let eff_len = eff.len() as u32;
            self.doc.eff.extend(eff);
            self.doc.nodes[idx].kind = Kind::Map {
                pairs_start,
                pairs_len: pairs.len() as u32,
                eff_start,
                eff_len,
            };
        } else {
            let start = self.doc.items.len() as u32;
            own = (16 + 8 * children.len() as u64).max(40);
            for c in &children {
                height = height.max(c.height);
                size = size.saturating_add(c.size);
            }
            self.doc.items.extend(children.iter().map(|c| c.node));
            self.doc.nodes[idx].kind = Kind::Seq {
                start,
                len: children.len() as u32,
            };
        }
        self.cost.physical_size += own;
        let has_ref = self.doc.tags[self.doc.nodes[idx].tag as usize] == Tag::Reference
            || children.iter().any(|c| c.has_ref);
        self.mark_ref(frame.node, has_ref);
        Child {
            node: frame.node,
            height: height.saturating_add(1).min(DEEP),
            size: size.saturating_add(own).min(HUGE),
            has_ref,
        }
    }

    /// Records that a `!reference` is at or below `id` (the table stays empty without any).
    fn mark_ref(&mut self, id: NodeId, has_ref: bool) {
        if has_ref {
            let refs = &mut self.doc.refs;
            if refs.len() <= id.0 as usize {
                refs.resize(self.doc.nodes.len().max(id.0 as usize + 1), false);
            }
            refs[id.0 as usize] = true;
        }
    }
}
