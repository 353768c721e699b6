//! Builds a [`Doc`] from saphyr-parser events, applying GitLab's document split, Psych's merge
//! and duplicate-key rules, and GitLab's size and depth limits.

use super::scalar::{Value, resolve_plain};
use super::{Doc, Entry, KeyIdent, Kind, Node, NodeId, StrRef, Style, Tag, Via, ViaId, key_ident};
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{FileId, Span};
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

/// GitLab's limits for one YAML file (instance settings `max_yaml_size_bytes`, `max_yaml_depth`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        // GitLab's defaults: 2 MB (raised from 1 MB by UpdateMaxTotalYamlSizeBytesValue) and 100.
        Limits {
            max_bytes: 2 * 1024 * 1024,
            max_depth: 100,
        }
    }
}

/// One file loaded as GitLab loads it.
#[derive(Debug)]
pub struct ParsedFile {
    /// The configuration document (the last one when a `spec:` header precedes it). Its root is
    /// `None` when the file is empty or GitLab would refuse to load it; it may be a non-mapping
    /// (reported as `invalid-config-format`).
    pub doc: Doc,
    /// The `spec:` header document, when there is one.
    pub header: Option<Doc>,
    /// GitLab rejects the whole file: a syntax error, a refused value, or a size or depth
    /// limit. After a syntax error `doc` is empty; after a limit it keeps what could be loaded
    /// (nothing for an alias bomb or excessive depth).
    pub failed: bool,
    pub diagnostics: Vec<Diagnostic>,
}

const UNFINISHED: u32 = u32::MAX;
const DEEP: u32 = 1 << 30;
const HUGE: u64 = 1 << 62;

/// Loads `text` (a whole file) the way GitLab's `Config::Yaml::Loader` does.
pub fn parse_file(file: FileId, text: &str, limits: &Limits) -> ParsedFile {
    let mut diagnostics = Vec::new();
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if text.len() as u64 > limits.max_bytes {
        diagnostics.push(
            Diagnostic::new(
                "yaml-too-large",
                Severity::Error,
                file,
                Span::empty(bom as u32),
                format!(
                    "GitLab refuses this file: it is {} bytes, over the {} byte limit (\"The provided YAML is too big\")",
                    text.len(),
                    limits.max_bytes
                ),
            )
            .help("split the configuration into several files joined with `include:`")
            .subject("raw-size"),
        );
    }
    let mut docs = Vec::new();
    let mut failed = false;
    let mut over_limits = text.len() as u64 > limits.max_bytes;
    for (start, end, divider) in split_documents(text, bom) {
        let chunk = &text[start..end];
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Builder::new(file, chunk, start as u32, limits).run()
        }));
        match built {
            Ok((doc, diags, ok, over_limit)) => {
                failed |= !ok;
                over_limits |= over_limit;
                diagnostics.extend(diags);
                docs.push((divider, doc));
            }
            Err(_) => {
                failed = true;
                diagnostics.push(Diagnostic::new(
                    "yaml-syntax",
                    Severity::Error,
                    file,
                    Span::empty(start as u32),
                    "the YAML parser failed on this document (an internal error; please report it)",
                ));
            }
        }
    }
    if failed {
        return ParsedFile {
            doc: Doc {
                file,
                ..Doc::default()
            },
            header: None,
            failed,
            diagnostics,
        };
    }
    // MultiDocYaml: drop a blank first document, and (reject_empty) every blank document.
    docs.retain(|(_, d)| !is_blank(d));
    for (_, d) in &docs {
        if let Some(root) = d.root
            && !d.is_map(root)
        {
            diagnostics.push(
                Diagnostic::new(
                    "invalid-config-format",
                    Severity::Error,
                    file,
                    d.span(root),
                    "the top level of a GitLab CI file must be a mapping of keys to values (\"Invalid configuration format\")",
                )
                .label("not a mapping")
                .help("write the configuration as `key: value` pairs, e.g. `job: {script: [make]}`")
                .subject("top-level"),
            );
        }
    }
    // `key?(:spec)` after `deep_symbolize_keys`: the string `spec` or the symbol `:spec`.
    let has_header = docs.len() > 1
        && docs[0].1.root.is_some_and(|r| {
            let d = &docs[0].1;
            d.entries(r).iter().any(|e| {
                matches!(d.key_ident(e.key), KeyIdent::Str("spec"))
                    || d.key_ident(e.key) == KeyIdent::Other("!!symbol spec".into())
            })
        });
    let mut header = None;
    let doc = if has_header {
        let last = docs.pop().map(|(_, d)| d);
        header = Some(docs.swap_remove(0).1);
        last
    } else {
        if let Some((start, _)) = docs.get(1) {
            diagnostics.push(
                Diagnostic::new(
                    "yaml-ignored-document",
                    Severity::Warning,
                    file,
                    Span::new(*start as u32, *start as u32 + 3),
                    "GitLab ignores everything after this line: a second YAML document is read only when the first is a `spec:` header",
                )
                .label("the document after this is never loaded")
                .help("remove this `---` line so that both parts form one document")
                .subject("second-document"),
            );
        }
        docs.into_iter().next().map(|(_, d)| d)
    };
    let doc = doc.unwrap_or(Doc {
        file,
        ..Doc::default()
    });
    ParsedFile {
        doc,
        header,
        failed: over_limits,
        diagnostics,
    }
}

/// `text.split(/^---\s+/, 3)` in Ruby: at most two dividers, each `---` at a line start followed
/// by whitespace (which the divider swallows, newlines included). Returns each chunk's range and
/// the position of the `---` before it.
fn split_documents(text: &str, start: usize) -> Vec<(usize, usize, usize)> {
    let b = text.as_bytes();
    let mut chunks = Vec::new();
    let mut chunk_start = start;
    let mut divider = start;
    let mut pos = start;
    while chunks.len() < 2 && pos < b.len() {
        let at_line_start = pos == start || b[pos - 1] == b'\n';
        if at_line_start
            && b[pos..].starts_with(b"---")
            && b.get(pos + 3).is_some_and(|c| is_ruby_space(*c))
        {
            let mut end = pos + 3;
            while end < b.len() && is_ruby_space(b[end]) {
                end += 1;
            }
            chunks.push((chunk_start, pos, divider));
            chunk_start = end;
            divider = pos;
            pos = end;
            continue;
        }
        match memchr_newline(&b[pos..]) {
            Some(i) => pos += i + 1,
            None => break,
        }
    }
    chunks.push((chunk_start, b.len(), divider));
    chunks
}

fn memchr_newline(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

fn is_ruby_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// ActiveSupport's `blank?` on the loaded value: nil, false, an empty or all-space string, an
/// empty hash or array.
fn is_blank(d: &Doc) -> bool {
    let Some(root) = d.root else { return true };
    match &d.node(d.deref(root)).kind {
        Kind::Scalar { text, value, .. } => match value {
            Value::Null | Value::Bool(false) => true,
            Value::Str => d.str(*text).trim().is_empty(),
            _ => false,
        },
        Kind::Seq { len, .. } => *len == 0,
        Kind::Map { eff_len, .. } => *eff_len == 0,
        Kind::Alias { .. } => false,
    }
}

/// Converts saphyr's character indices to byte offsets.
struct CharToByte {
    /// (char index, byte offset) after each non-ASCII character; empty for ASCII text.
    checkpoints: Vec<(u32, u32)>,
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
        CharToByte { checkpoints }
    }
    fn byte(&self, char_index: usize) -> u32 {
        let c = char_index as u32;
        match self.checkpoints.partition_point(|&(ci, _)| ci <= c) {
            0 => c,
            i => {
                let (ci, bi) = self.checkpoints[i - 1];
                bi + (c - ci)
            }
        }
    }
}

struct Frame {
    node: NodeId,
    is_map: bool,
    tmp_start: usize,
}

struct Builder<'t> {
    file: FileId,
    text: &'t str,
    base: u32,
    limits: Limits,
    c2b: CharToByte,
    doc: Doc,
    stack: Vec<Frame>,
    tmp: Vec<NodeId>,
    anchors: Vec<Option<NodeId>>,
    /// Per node: nesting height once finished (`UNFINISHED` while open), alias-expanded.
    heights: Vec<u32>,
    /// Per node: a lower bound of the memory Ruby needs for it, alias-expanded.
    sizes: Vec<u64>,
    /// The same without alias expansion (what the text itself costs).
    physical_size: u64,
    diags: Vec<Diagnostic>,
    /// A value of a class GitLab's loader refuses was found: the file fails to load.
    refused: bool,
}

impl<'t> Builder<'t> {
    fn new(file: FileId, text: &'t str, base: u32, limits: &Limits) -> Builder<'t> {
        let guess = text.len() / 8;
        Builder {
            file,
            text,
            base,
            limits: *limits,
            c2b: CharToByte::new(text),
            doc: Doc {
                file,
                nodes: Vec::with_capacity(guess),
                strings: String::with_capacity(text.len() / 2),
                ..Doc::default()
            },
            stack: Vec::new(),
            tmp: Vec::new(),
            anchors: vec![None],
            heights: Vec::with_capacity(guess),
            sizes: Vec::with_capacity(guess),
            physical_size: 0,
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
        StrRef {
            start,
            len: s.len() as u32,
        }
    }

    /// Runs the parser over the first document; returns the doc, the findings, whether it
    /// loaded, and whether it is over GitLab's size or depth limits.
    fn run(mut self) -> (Doc, Vec<Diagnostic>, bool, bool) {
        let mut parser = Parser::new_from_str(self.text);
        let mut ok = true;
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
            match ev {
                Event::DocumentEnd | Event::StreamEnd => break,
                Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => {}
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
                    if t.tag == Tag::Reference && matches!(t.kind, Kind::Seq { .. }) {
                        self.diags.push(
                            Diagnostic::new(
                                "yaml-syntax",
                                Severity::Error,
                                self.file,
                                span,
                                "GitLab cannot load this alias: an anchored `!reference` list cannot be reused through an alias (Psych: \"Unknown alias\")",
                            )
                            .label("alias to a `!reference`")
                            .help("write the `!reference [...]` again instead of the alias")
                            .subject("reference-alias"),
                        );
                        ok = false;
                        break;
                    }
                    let h = self.heights[target.0 as usize];
                    let height = if h == UNFINISHED { DEEP } else { h };
                    let size = if h == UNFINISHED {
                        HUGE
                    } else {
                        self.sizes[target.0 as usize]
                    };
                    self.add_node(span, Kind::Alias { target }, Tag::None, 0, height, size, 0);
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
                    let (typed, decoded) = self.scalar_value(&value, style, tag);
                    match &typed {
                        Value::Disallowed(class) => self.refuse(span, class, &value),
                        Value::Invalid(reason) => self.unloadable(span, &value, reason),
                        _ => {}
                    }
                    let value = decoded.map_or(value, std::borrow::Cow::Owned);
                    let size = match typed {
                        Value::Str => (value.len() as u64 + 25).max(40),
                        _ => 0,
                    };
                    let text = self.intern(&value);
                    let kind = Kind::Scalar {
                        text,
                        style,
                        value: typed,
                    };
                    self.add_node(span, kind, tag, anchor, 0, size, size);
                }
                Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                    let is_map = sp_is_map;
                    let tag = self.tag(tag.as_deref());
                    if let Tag::Other(t) = tag
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
                    let id = self.add_node(span, kind, tag, anchor, UNFINISHED, 0, 0);
                    self.stack.push(Frame {
                        node: id,
                        is_map,
                        tmp_start: self.tmp.len(),
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    let Some(frame) = self.stack.pop() else {
                        break;
                    };
                    self.finish(frame, span);
                }
            }
        }
        let over_limit = ok && !self.refused && self.check_limits();
        let ok = ok && !self.refused;
        (self.doc, self.diags, ok, over_limit)
    }

    fn syntax_error(&mut self, at: u32, info: &str) {
        let (rule, message, help) = if info.contains("recursion limit") {
            (
                "yaml-too-deep",
                "GitLab refuses this file: the YAML is nested too deeply".to_string(),
                "flatten the structure; GitLab allows at most 100 levels of nesting",
            )
        } else {
            (
                "yaml-syntax",
                format!("invalid YAML: {info}"),
                "fix the YAML syntax here; GitLab rejects the whole file otherwise",
            )
        };
        self.diags.push(
            Diagnostic::new(rule, Severity::Error, self.file, Span::empty(at), message)
                .help(help)
                .subject("syntax"),
        );
    }

    /// A plain scalar Psych reads as a `Date` or `Time`: `safe_load` raises
    /// `Tried to load unspecified class: Date` and GitLab rejects the file.
    fn refuse(&mut self, span: Span, class: &str, text: &str) {
        let quote_help = matches!(class, "Date" | "Time");
        self.refused = true;
        self.diags.push(
            Diagnostic::new(
                "yaml-disallowed-type",
                Severity::Error,
                self.file,
                span,
                format!(
                    "GitLab refuses this file: `{text}` is read as a {class}, a type GitLab's YAML loader does not allow (\"Tried to load unspecified class: {class}\")"
                ),
            )
            .label(format!("read as a {class}"))
            .help(if quote_help {
                format!("quote the value: \"{text}\"")
            } else {
                "remove the tag; GitLab accepts only plain YAML values and `!reference`".to_string()
            })
            .subject(format!("{class}:{text}")),
        );
    }

    fn tag(&mut self, tag: Option<&saphyr_parser::Tag>) -> Tag {
        match tag {
            None => Tag::None,
            Some(t) => {
                // `!reference` and its verbatim form `!<!reference>` (empty handle).
                let full = format!("{}{}", t.handle, t.suffix);
                if full == "!reference" {
                    Tag::Reference
                } else {
                    Tag::Other(self.intern(&full))
                }
            }
        }
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
        self.diags.push(
            Diagnostic::new(
                "yaml-syntax",
                Severity::Error,
                self.file,
                span,
                format!("GitLab cannot load `{text}`: it looks like a number but is not one (Ruby: {reason})"),
            )
            .label("not a valid number")
            .help(format!("quote the value if it is text: \"{text}\""))
            .subject(format!("number:{text}")),
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn add_node(
        &mut self,
        span: Span,
        kind: Kind,
        tag: Tag,
        anchor: usize,
        height: u32,
        size: u64,
        own_size: u64,
    ) -> NodeId {
        let id = NodeId(self.doc.nodes.len() as u32);
        let anchor_name = if anchor > 0 {
            if self.anchors.len() <= anchor {
                self.anchors.resize(anchor + 1, None);
            }
            self.anchors[anchor] = Some(id);
            self.anchor_name(span.start)
        } else {
            None
        };
        self.doc.nodes.push(Node {
            span,
            kind,
            tag,
            anchor: anchor_name,
        });
        self.heights.push(height);
        self.sizes.push(size);
        self.physical_size += own_size;
        if !self.stack.is_empty() {
            self.tmp.push(id);
        } else if self.doc.root.is_none() {
            self.doc.root = Some(id);
        }
        id
    }

    /// Reads `&name` from the node's text (which starts at its properties: tag and anchor).
    fn anchor_name(&mut self, at: u32) -> Option<StrRef> {
        let mut rest = self.text.get((at - self.base) as usize..)?;
        for _ in 0..2 {
            rest = rest.trim_start();
            let end = rest
                .find(|c: char| c.is_whitespace() || ",[]{}".contains(c))
                .unwrap_or(rest.len());
            if let Some(name) = rest[..end].strip_prefix('&') {
                let name = name.to_string();
                return Some(self.intern(&name));
            }
            rest = &rest[end..];
        }
        None
    }

    fn is_omap(&self, id: NodeId) -> bool {
        match self.doc.nodes[id.0 as usize].tag {
            Tag::Other(t) => matches!(self.doc.str(t), "tag:yaml.org,2002:omap" | "!omap"),
            _ => false,
        }
    }

    /// The pairs of an omap's items, when every item is a mapping.
    fn omap_pairs(&self, items: &[NodeId]) -> Option<Vec<(NodeId, NodeId)>> {
        let mut pairs = Vec::new();
        for &i in items {
            if !self.doc.is_map(i) {
                return None;
            }
            pairs.extend_from_slice(self.doc.raw_pairs(i));
        }
        Some(pairs)
    }

    fn finish(&mut self, frame: Frame, end_span: Span) {
        let children: Vec<NodeId> = self.tmp.drain(frame.tmp_start..).collect();
        let idx = frame.node.0 as usize;
        let last_end = children
            .last()
            .map(|c| self.doc.nodes[c.0 as usize].span.end);
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
        let (height, size, own) = if frame.is_map || omap_pairs.is_some() {
            let pairs_start = self.doc.pairs.len() as u32;
            let pairs: Vec<(NodeId, NodeId)> = match omap_pairs {
                Some(p) => p,
                None => children.chunks_exact(2).map(|p| (p[0], p[1])).collect(),
            };
            self.doc.pairs.extend_from_slice(&pairs);
            let eff = self.merge_entries(&pairs);
            let mut height = 0;
            let mut size = 40 + 16 * eff.len() as u64;
            for e in &eff {
                for n in [e.key, e.value] {
                    height = height.max(self.heights[n.0 as usize]);
                    size = size.saturating_add(self.sizes[n.0 as usize]);
                }
            }
            let eff_start = self.doc.eff.len() as u32;
            let eff_len = eff.len() as u32;
            self.doc.eff.extend(eff);
            self.doc.nodes[idx].kind = Kind::Map {
                pairs_start,
                pairs_len: pairs.len() as u32,
                eff_start,
                eff_len,
            };
            (height, size, 40 + 16 * pairs.len() as u64)
        } else {
            let start = self.doc.items.len() as u32;
            let mut height = 0;
            let own = (16 + 8 * children.len() as u64).max(40);
            let mut size = own;
            for c in &children {
                height = height.max(self.heights[c.0 as usize]);
                size = size.saturating_add(self.sizes[c.0 as usize]);
            }
            self.doc.items.extend_from_slice(&children);
            self.doc.nodes[idx].kind = Kind::Seq {
                start,
                len: children.len() as u32,
            };
            (height, size, own)
        };
        self.heights[idx] = height.saturating_add(1).min(DEEP);
        self.sizes[idx] = size.min(HUGE);
        self.physical_size += own;
    }

    /// Psych's `revive_hash`: `<<` merges applied where they stand, duplicate keys last-wins at
    /// the first key's position.
    fn merge_entries(&mut self, pairs: &[(NodeId, NodeId)]) -> Vec<Entry> {
        let Doc {
            nodes,
            strings,
            eff,
            vias,
            items,
            ..
        } = &mut self.doc;
        let mut out = OrderedEntries::default();
        for &(k, v) in pairs {
            if is_merge_key(nodes, strings, k) {
                let vd = deref(nodes, v);
                let reference = nodes[vd.0 as usize].tag == Tag::Reference;
                match &nodes[vd.0 as usize].kind {
                    // `<<: !reference [...]`: Psych calls `reverse_each` on the Reference object
                    // and the load fails with NoMethodError.
                    Kind::Seq { .. } if reference && vd == v => {
                        self.refused = true;
                        self.diags.push(
                            Diagnostic::new(
                                "yaml-syntax",
                                Severity::Error,
                                self.file,
                                nodes[v.0 as usize].span,
                                "GitLab cannot load this: `<<` cannot merge a `!reference` (Ruby raises NoMethodError)",
                            )
                            .label("`!reference` after `<<`")
                            .help("use `extends:` to reuse a job's keys, or a YAML alias (`<<: *anchor`)")
                            .subject("merge-reference"),
                        );
                    }
                    // `<<: *alias` or `<<: {inline}`: Hash#merge! (a Reference is not a Hash).
                    Kind::Map { .. } if !reference => {
                        let src = map_entries(nodes, eff, vd);
                        let mut cache = ViaCache::new(k, v);
                        for e in src {
                            let via = cache.get(vias, e.via);
                            out.set(
                                key_ident(nodes, strings, e.key),
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
                        if list.iter().all(|&i| {
                            matches!(nodes[deref(nodes, i).0 as usize].kind, Kind::Map { .. })
                        }) {
                            let mut h = OrderedEntries::default();
                            for &item in list.iter().rev() {
                                let mut cache = ViaCache::new(k, item);
                                for e in map_entries(nodes, eff, deref(nodes, item)) {
                                    let via = cache.get(vias, e.via);
                                    h.set(
                                        key_ident(nodes, strings, e.key),
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
            let ident = key_ident(nodes, strings, k);
            if let Some(prev) = out.set(
                ident,
                Entry {
                    key: k,
                    value: v,
                    via: None,
                },
                true,
            ) {
                let name = key_ident(nodes, strings, k).display().into_owned();
                self.diags.push(
                    Diagnostic::new(
                        "duplicate-key",
                        Severity::Warning,
                        self.file,
                        nodes[k.0 as usize].span,
                        format!("duplicate key `{name}`: this value replaces the earlier one"),
                    )
                    .label("duplicate key")
                    .with_label(self.file, nodes[prev.0 as usize].span, "first defined here")
                    .help(format!(
                        "remove one of the two `{name}` keys, or merge their contents"
                    ))
                    .subject(format!("key:{name}")),
                );
            }
        }
        out.entries
    }

    /// Reports GitLab's depth and size limits; true when the document is over one.
    fn check_limits(&mut self) -> bool {
        let Some(root) = self.doc.root else {
            return false;
        };
        let height = self.heights[root.0 as usize];
        if height > self.limits.max_depth {
            let (at, via) = self.walk_down(
                root,
                |b, n| b.heights[n.0 as usize] as u64,
                self.limits.max_depth,
            );
            let mut d = Diagnostic::new(
                "yaml-too-deep",
                Severity::Error,
                self.file,
                self.doc.nodes[at.0 as usize].span,
                format!(
                    "GitLab refuses this file: it nests deeper than {} levels (\"The parsed YAML is too big\")",
                    self.limits.max_depth
                ),
            )
            .label(format!("level {}", self.limits.max_depth + 1))
            .help("flatten the structure; every mapping and list on the way counts as a level")
            .subject("depth");
            if let Some(a) = via {
                d = d.with_label(
                    self.file,
                    self.doc.nodes[a.0 as usize].span,
                    "this alias repeats the nesting",
                );
            }
            self.diags.push(d);
            self.doc.root = None;
            return true;
        }
        let size = self.sizes[root.0 as usize];
        if size > self.limits.max_bytes {
            let bomb = size / 8 > self.physical_size.max(1);
            let (at, via) = self.walk_down(root, |b, n| b.sizes[n.0 as usize], u32::MAX);
            let primary = via.unwrap_or(at);
            let shown = if size >= HUGE {
                "an unbounded amount of".to_string()
            } else {
                format!("at least {size} bytes of")
            };
            self.diags.push(
                Diagnostic::new(
                    "yaml-too-large",
                    Severity::Error,
                    self.file,
                    if via.is_some() { self.doc.nodes[primary.0 as usize].span } else { Span::empty(self.doc.nodes[root.0 as usize].span.start) },
                    format!(
                        "GitLab refuses this file: loaded, it takes {shown} memory, over the {} byte limit (\"The parsed YAML is too big\")",
                        self.limits.max_bytes
                    ),
                )
                .label(if via.is_some() { "aliases expand here" } else { "this file" })
                .help(if bomb {
                    "aliases expand to a copy of their anchor each time they are used; do not nest aliases of aliases"
                } else {
                    "split the configuration into several files joined with `include:`"
                })
                .subject("parsed-size"),
            );
            if bomb {
                self.doc.root = None;
            }
            return true;
        }
        false
    }

    /// Walks from `root` along the child with the largest `metric` for `steps` levels; returns
    /// the node reached and the first alias passed on the way.
    fn walk_down(
        &self,
        root: NodeId,
        metric: impl Fn(&Self, NodeId) -> u64,
        steps: u32,
    ) -> (NodeId, Option<NodeId>) {
        let mut at = root;
        let mut via = None;
        for _ in 0..steps.min(10_000) {
            let node = &self.doc.nodes[at.0 as usize];
            let next = match node.kind {
                Kind::Alias { target } => {
                    via.get_or_insert(at);
                    Some(target)
                }
                Kind::Seq { .. } => self
                    .doc
                    .items(at)
                    .iter()
                    .copied()
                    .max_by_key(|&c| metric(self, c)),
                Kind::Map { .. } => self
                    .doc
                    .entries(at)
                    .iter()
                    .map(|e| e.value)
                    .max_by_key(|&c| metric(self, c)),
                Kind::Scalar { .. } => None,
            };
            match next {
                Some(n)
                    if !matches!(self.doc.nodes[at.0 as usize].kind, Kind::Alias { .. })
                        || n != at =>
                {
                    at = n
                }
                _ => break,
            }
            if via.is_some() && steps == u32::MAX {
                break;
            }
        }
        (at, via)
    }
}

fn deref(nodes: &[Node], id: NodeId) -> NodeId {
    match nodes[id.0 as usize].kind {
        Kind::Alias { target } => target,
        _ => id,
    }
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
fn is_merge_key(nodes: &[Node], strings: &str, k: NodeId) -> bool {
    let node = &nodes[deref(nodes, k).0 as usize];
    let text_of = |t: &StrRef| &strings[t.start as usize..(t.start + t.len) as usize];
    match (&node.kind, node.tag) {
        (
            Kind::Scalar {
                text,
                value: Value::Str,
                ..
            },
            Tag::None,
        ) => text_of(text) == "<<",
        (
            Kind::Scalar {
                text,
                value: Value::Str,
                ..
            },
            Tag::Other(t),
        ) => text_of(text) == "<<" && !matches!(text_of(&t), "tag:yaml.org,2002:str" | "!str"),
        _ => false,
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
