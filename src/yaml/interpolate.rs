//! `$[[ inputs.NAME | function ]]` interpolation of a loaded document, as GitLab's
//! `Ci::Config::Interpolation::Template` does it after the YAML is loaded and before anything is
//! merged (docs/semantics.md, "Inputs and components").
//!
//! Every string scalar and every mapping key is looked at (`Interpolation::Config#replace!`
//! walks keys and values). A string that is exactly one block takes the block's value with its
//! type (an array input stays a list, a boolean a boolean); any other string has each block
//! replaced by the value's text (`gsub`, Ruby's `to_s`). The document keeps its spans, so a
//! finding inside an interpolated template points at the template's text.

use super::{Doc, Entry, Kind, Node, NodeId, StrRef, Tag, Value, ValueId, json::float_text};
use crate::source::{FileId, Loc, Span};
use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

/// An input's value, owned: read from the includer's `inputs:` or from the spec's `default:`.
#[derive(Clone, Debug, PartialEq)]
pub enum IVal {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A list; `true` when it is tagged `!reference`.
    Seq(Vec<IVal>, bool),
    Map(Vec<(String, IVal)>),
    /// A scalar of another class (a symbol, a big integer), as its text: no input type takes it.
    Other(String),
}

impl IVal {
    /// The value as the text `to_s` gives in Ruby (what a block inside a string becomes).
    pub fn to_ruby_s(&self) -> String {
        match self {
            IVal::Null => String::new(),
            IVal::Str(s) | IVal::Other(s) => s.clone(),
            _ => self.inspect(),
        }
    }

    /// Ruby's `inspect` (arrays and hashes inside strings print their items this way).
    fn inspect(&self) -> String {
        match self {
            IVal::Null => "nil".into(),
            IVal::Bool(b) => b.to_string(),
            IVal::Int(i) => i.to_string(),
            IVal::Float(f) => ruby_float(*f),
            IVal::Str(s) => format!("{s:?}"),
            IVal::Other(s) => s.clone(),
            IVal::Seq(items, _) => format!(
                "[{}]",
                items
                    .iter()
                    .map(IVal::inspect)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            IVal::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.inspect()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The type name GitLab's input classes check (`is_a?(String)`, `Numeric`, `true`/`false`,
    /// `Array`).
    pub fn type_name(&self) -> &'static str {
        match self {
            IVal::Null => "null",
            IVal::Bool(_) => "boolean",
            IVal::Int(_) | IVal::Float(_) => "number",
            IVal::Str(_) => "string",
            IVal::Seq(..) => "array",
            IVal::Map(_) => "mapping",
            IVal::Other(_) => "other",
        }
    }

    /// How many values it holds (what inserting it costs).
    pub fn weight(&self) -> u64 {
        match self {
            IVal::Seq(items, _) => 1 + items.iter().map(IVal::weight).sum::<u64>(),
            IVal::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + v.weight()).sum::<u64>(),
            IVal::Str(s) | IVal::Other(s) => 1 + s.len() as u64 / 64,
            _ => 1,
        }
    }
}

/// Ruby's `Float#to_s`: `1.0`, `1.5`, `1.0e+20`, `1.0e-05`.
fn ruby_float(f: f64) -> String {
    if !f.is_finite() {
        return match float_text(f).as_str() {
            "nan" => "NaN".into(),
            "inf" => "Infinity".into(),
            _ => "-Infinity".into(),
        };
    }
    let a = f.abs();
    if a != 0.0 && !(1e-4..1e16).contains(&a) {
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = if m.contains('.') {
            m.to_string()
        } else {
            format!("{m}.0")
        };
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let s = format!("{f}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

impl Doc {
    /// The value of a node as an owned [`IVal`]; at most `budget` values are read (the rest
    /// become `null`), so an input built from aliases cannot grow without bound.
    pub fn to_ival(&self, id: NodeId, budget: &mut u64) -> IVal {
        self.to_ival_at(id, budget, 0)
    }

    fn to_ival_at(&self, id: NodeId, budget: &mut u64, depth: u32) -> IVal {
        if *budget == 0 || depth > 100 {
            return IVal::Null;
        }
        *budget -= 1;
        let id = self.deref(id);
        match &self.node(id).kind {
            Kind::Scalar { text, value, .. } => match self.value(*value) {
                Value::Null => IVal::Null,
                Value::Bool(b) => IVal::Bool(*b),
                Value::Int(i) => IVal::Int(*i),
                Value::Float(f) => IVal::Float(*f),
                Value::Str => IVal::Str(self.str(*text).to_string()),
                Value::BigInt(s) => IVal::Other(s.to_string()),
                Value::Symbol(s) => IVal::Other(s.to_string()),
                Value::Disallowed(_) | Value::Invalid(_) => IVal::Other(self.str(*text).into()),
            },
            Kind::Seq { .. } => IVal::Seq(
                self.items(id)
                    .iter()
                    .map(|&i| self.to_ival_at(i, budget, depth + 1))
                    .collect(),
                self.tag(id) == Tag::Reference,
            ),
            Kind::Map { .. } => IVal::Map(
                self.entries(id)
                    .iter()
                    .map(|e| {
                        (
                            self.key_ident(e.key).display().into_owned(),
                            self.to_ival_at(e.value, budget, depth + 1),
                        )
                    })
                    .collect(),
            ),
            Kind::Alias { .. } => IVal::Null,
        }
    }
}

/// One input available to the interpolation: its value and where the value was written (the
/// `inputs:` entry of the include, or the `default:` of the spec).
#[derive(Clone, Debug)]
pub struct InputValue {
    pub value: IVal,
    pub at: Loc,
    pub default: bool,
    /// A pipeline input of the root file without a default: its value is given when the
    /// pipeline is run, so its blocks are left as written.
    pub unknown: bool,
}

/// What went wrong in one block (GitLab's message, without the file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// `$[[ inputs ]]`, `$[[ x ]]`: not `inputs.NAME`.
    AccessPattern,
    /// The access expression is longer than 1 024 bytes.
    AccessTooLong,
    /// `inputs.NAME` where the spec has no `NAME` (or `foo.x` for an unknown context `foo`).
    UnknownKey(String),
    /// More than three functions.
    TooManyFunctions,
    /// A function GitLab does not have, or with the wrong arguments.
    UnknownFunction(String),
    /// A function given a value it does not take (`truncate` of a number, `split('')`).
    Function { name: &'static str, message: String },
    /// More than 10 000 distinct blocks in one file.
    TooManyBlocks,
    /// A string over 1 MiB (`config node too large`).
    NodeTooLarge,
    /// More than 500 000 values (`config too large`).
    TooManyNodes,
    /// cachelint's own bound on what interpolation may produce.
    Budget(u64),
}

impl Problem {
    /// GitLab's message for it (`Interpolation::Block`, `Access`, `FunctionsStack`, `Template`).
    pub fn gitlab_message(&self) -> String {
        match self {
            Problem::AccessPattern => "invalid interpolation access pattern".into(),
            Problem::AccessTooLong => "maximum interpolation expression size exceeded".into(),
            Problem::UnknownKey(k) => format!("unknown interpolation key: `{k}`"),
            Problem::TooManyFunctions => "too many functions in interpolation block".into(),
            Problem::UnknownFunction(f) => format!(
                "no function matching `{f}`: check that the function name, arguments, and types are correct"
            ),
            Problem::Function { name, message } => format!("error in `{name}` function: {message}"),
            Problem::TooManyBlocks => "too many interpolation blocks".into(),
            Problem::NodeTooLarge => "config node too large".into(),
            Problem::TooManyNodes => "config too large".into(),
            Problem::Budget(n) => format!(
                "interpolation would produce more than {n} values or bytes (cachelint's bound)"
            ),
        }
    }
}

/// A block's problem, at the scalar that holds it.
#[derive(Clone, Debug)]
pub struct BlockError {
    pub span: Span,
    /// The block as written (`$[[ inputs.x | foo ]]`).
    pub block: String,
    pub problem: Problem,
}

/// Where an interpolated value came from: the scalar at `node` of the new document took
/// `input`'s value.
#[derive(Clone, Debug)]
pub struct Use {
    pub node: NodeId,
    pub input: String,
}

/// The interpolated document, its errors, and which scalars took which input.
#[derive(Debug)]
pub struct Interpolated {
    pub doc: Doc,
    pub errors: Vec<BlockError>,
    pub uses: Vec<Use>,
}

/// GitLab's `Template::MAX_BLOCKS`.
const MAX_BLOCKS: usize = 10_000;
/// `Interpolation::Config::MAX_NODES`, `MAX_NODE_SIZE`.
const MAX_NODES: usize = 500_000;
const MAX_NODE_SIZE: usize = 1024 * 1024;
/// cachelint's bound on what one file set's interpolation may add, in values plus bytes (the
/// loader's `INTERPOLATION_BUDGET`), as messages name it.
pub const MAX_ADDED: u64 = 2_000_000;
/// `Interpolation::Block::MAX_FUNCTIONS`, `Access::MAX_ACCESS_BYTESIZE`, `MAX_ACCESS_OBJECTS`.
const MAX_FUNCTIONS: usize = 3;
const MAX_ACCESS_BYTES: usize = 1024;
const MAX_ACCESS_OBJECTS: usize = 5;

/// `Template::BLOCK_REGEXP` (RE2: `\s` is ASCII white space, `.` stops at a line feed).
static BLOCK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\$\[\[[\t\n\x0C\r ]*(?<data>[^\t\n\x0C\r ].*?[^\t\n\x0C\r ])[\t\n\x0C\r ]*\]\]")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});
static TRUNCATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^truncate\([\t\n\x0B\x0C\r ]*(\d+)[\t\n\x0B\x0C\r ]*,[\t\n\x0B\x0C\r ]*(\d+)[\t\n\x0B\x0C\r ]*\)?$")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});
static SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^split\('([^']*)'\)$").unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// Whether a text holds something GitLab would take as a block.
pub fn has_block(text: &str) -> bool {
    text.contains("$[[") && BLOCK.is_match(text)
}

/// The blocks of a text, as written, with their data.
pub fn blocks(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    if !text.contains("$[[") {
        return Vec::new();
    }
    BLOCK
        .captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let data = c.name("data")?;
            Some((whole.range(), data.as_str().to_string()))
        })
        .collect()
}

/// The span of the block at `range` of a scalar's text `text` written at `span`: the block
/// itself when the scalar is written as its text (plain, or quoted without escapes), else the
/// whole scalar.
pub fn block_span(doc: &Doc, span: Span, text: &str, range: std::ops::Range<usize>) -> Span {
    let src = doc
        .source
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    let offset = if src == text {
        Some(0)
    } else if src.len() >= 2 && src.get(1..src.len() - 1) == Some(text) {
        Some(1)
    } else {
        None
    };
    match offset {
        Some(o) => Span {
            start: span.start + o + range.start as u32,
            end: span.start + o + range.end as u32,
        },
        None => span,
    }
}

/// Ruby's `String#split(sep)`: trailing empty fields are dropped.
fn ruby_split<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    let mut parts: Vec<&str> = s.split(sep).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// Ruby's `strip`: leading and trailing ASCII white space and NUL.
fn ruby_strip(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r' | '\0'))
}

/// `Shellwords.shellescape`.
pub fn shellescape(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if c == '\n' {
            out.push_str("'\n'");
        } else if c.is_ascii_alphanumeric() || "_-.,:+/@".contains(c) {
            out.push(c);
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

/// Evaluates one block's data (`inputs.x | truncate(0, 3)`) against the inputs.
/// `Ok(None)` leaves the block as written (`matrix.*`, skipped by GitLab).
fn evaluate(
    data: &str,
    inputs: &HashMap<String, InputValue>,
) -> Result<Option<(IVal, String)>, Problem> {
    let parts: Vec<&str> = ruby_split(data, "|").into_iter().map(ruby_strip).collect();
    let access = parts.first().copied().unwrap_or("");
    let functions = parts.get(1..).unwrap_or(&[]);
    // `Block::SKIP_INTERPOLATION_CONTEXTS`.
    if access.split('.').next() == Some("matrix") {
        return Ok(None);
    }
    let objects: Vec<&str> = access.splitn(MAX_ACCESS_OBJECTS, '.').collect();
    if objects.len() <= 1 {
        return Err(Problem::AccessPattern);
    }
    if access.len() > MAX_ACCESS_BYTES {
        return Err(Problem::AccessTooLong);
    }
    if objects[0] != "inputs" {
        return Err(Problem::UnknownKey(objects[0].to_string()));
    }
    let Some(input) = inputs.get(objects[1]) else {
        return Err(Problem::UnknownKey(objects[1].to_string()));
    };
    if input.unknown {
        return Ok(None);
    }
    let mut value = input.value.clone();
    for key in &objects[2..] {
        // `memo.key?(key)`: only a mapping has keys; GitLab's input types hold none.
        value = match value {
            IVal::Map(entries) => match entries.into_iter().find(|(k, _)| k == key) {
                Some((_, v)) => v,
                None => return Err(Problem::UnknownKey(key.to_string())),
            },
            _ => return Err(Problem::UnknownKey(key.to_string())),
        };
    }
    if functions.len() > MAX_FUNCTIONS {
        return Err(Problem::TooManyFunctions);
    }
    // The stack is built (every function recognised) before any runs.
    for f in functions {
        if !(TRUNCATE.is_match(f)
            || SPLIT.is_match(f)
            || *f == "expand_vars"
            || *f == "posix_escape")
        {
            return Err(Problem::UnknownFunction(f.to_string()));
        }
    }
    for f in functions {
        let string_only = |name: &'static str, v: &IVal| match v {
            IVal::Str(s) => Ok(s.clone()),
            _ => Err(Problem::Function {
                name,
                message: format!("invalid input type: {name} can only be used with string inputs"),
            }),
        };
        value = if let Some(c) = TRUNCATE.captures(f) {
            let s = string_only("truncate", &value)?;
            let offset: usize = c
                .get(1)
                .and_then(|m| m.as_str().parse().ok())
                .unwrap_or(usize::MAX);
            let length: usize = c
                .get(2)
                .and_then(|m| m.as_str().parse().ok())
                .unwrap_or(usize::MAX);
            // `input[offset, length].to_s`, by characters.
            IVal::Str(s.chars().skip(offset).take(length).collect())
        } else if let Some(c) = SPLIT.captures(f) {
            let s = string_only("split", &value)?;
            let sep = c.get(1).map_or("", |m| m.as_str());
            if sep.is_empty() {
                return Err(Problem::Function {
                    name: "split",
                    message: "invalid argument: separator cannot be empty".into(),
                });
            }
            IVal::Seq(
                ruby_split(&s, sep)
                    .into_iter()
                    .map(ruby_strip)
                    .filter(|p| !p.is_empty())
                    .map(|p| IVal::Str(p.to_string()))
                    .collect(),
                false,
            )
        } else if *f == "posix_escape" {
            IVal::Str(shellescape(&string_only("posix_escape", &value)?))
        } else {
            // `expand_vars`: `ExpandVariables.expand_existing` with the pipeline's variables,
            // which are not known offline; the text is kept (the runner expands most places).
            IVal::Str(string_only("expand_vars", &value)?)
        };
    }
    Ok(Some((value, input_name(objects[1]))))
}

fn input_name(s: &str) -> String {
    s.to_string()
}

/// Ruby's `String#gsub(string, replacement)`: the pattern is literal, but the replacement's
/// back-references are still read (`\0`, `\&`, `` \` ``, `\'`, `\\`, `\1`..`\9`).
fn ruby_gsub(text: &str, pattern: &str, replacement: &str, budget: &mut u64) -> Option<String> {
    if pattern.is_empty() {
        return Some(text.to_string());
    }
    let mut out = String::new();
    let mut last = 0;
    for (at, _) in text.match_indices(pattern) {
        out.push_str(&text[last..at]);
        let pre = &text[..at];
        let post = &text[at + pattern.len()..];
        let mut chars = replacement.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.peek().copied() {
                Some('0') | Some('&') => {
                    chars.next();
                    out.push_str(pattern);
                }
                Some('`') => {
                    chars.next();
                    out.push_str(pre);
                }
                Some('\'') => {
                    chars.next();
                    out.push_str(post);
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                }
                _ => out.push('\\'),
            }
            if out.len() as u64 > *budget {
                return None;
            }
        }
        if out.len() as u64 > *budget {
            return None;
        }
        last = at + pattern.len();
    }
    out.push_str(&text[last..]);
    *budget = budget.saturating_sub(out.len() as u64);
    Some(out)
}

/// Interpolates `doc` into a new document of `file` (same text, same spans). `budget` bounds
/// the values and bytes interpolation may add; it is spent. With `open` (the spec includes
/// other files' inputs), a block naming an input not in `inputs` is left as written.
pub fn interpolate(
    doc: &Doc,
    file: FileId,
    inputs: &HashMap<String, InputValue>,
    open: bool,
    budget: &mut u64,
) -> Interpolated {
    let mut out = doc.clone();
    out.file = file;
    let mut errors = Vec::new();
    let mut uses = Vec::new();
    let mut seen: HashMap<String, Result<Option<(IVal, String)>, Problem>> = HashMap::new();
    let mut added_ref = false;
    let mut renamed_maps = Vec::new();
    let original = doc.nodes.len();
    if original > MAX_NODES {
        errors.push(BlockError {
            span: doc.root.map(|r| doc.span(r)).unwrap_or_default(),
            block: String::new(),
            problem: Problem::TooManyNodes,
        });
        return Interpolated {
            doc: out,
            errors,
            uses,
        };
    }
    let keys: std::collections::HashSet<NodeId> = doc.eff.iter().map(|e| e.key).collect();
    for i in 0..original {
        let id = NodeId(i as u32);
        let Kind::Scalar { text, value, .. } = doc.nodes[i].kind else {
            continue;
        };
        if *doc.value(value) != Value::Str {
            continue;
        }
        let s = doc.str(text);
        if !s.contains("$[[") {
            continue;
        }
        let span = doc.nodes[i].span;
        if s.len() > MAX_NODE_SIZE {
            errors.push(BlockError {
                span,
                block: String::new(),
                problem: Problem::NodeTooLarge,
            });
            continue;
        }
        let found = blocks(s);
        if found.is_empty() {
            continue;
        }
        let mut values = Vec::new();
        let mut failed = false;
        for (range, data) in &found {
            let block = &s[range.clone()];
            let span = block_span(doc, span, s, range.clone());
            if !seen.contains_key(block) && seen.len() >= MAX_BLOCKS {
                errors.push(BlockError {
                    span,
                    block: block.to_string(),
                    problem: Problem::TooManyBlocks,
                });
                return Interpolated {
                    doc: out,
                    errors,
                    uses,
                };
            }
            let result = seen
                .entry(block.to_string())
                .or_insert_with(|| evaluate(data, inputs))
                .clone();
            match result {
                Ok(v) => values.push((block.to_string(), v)),
                Err(Problem::UnknownKey(_)) if open => values.push((block.to_string(), None)),
                Err(problem) => {
                    errors.push(BlockError {
                        span,
                        block: block.to_string(),
                        problem,
                    });
                    failed = true;
                }
            }
        }
        if failed {
            continue;
        }
        let whole = found.len() == 1 && found[0].0.len() == s.len();
        for (_, v) in &values {
            if let Some((_, name)) = v {
                uses.push(Use {
                    node: id,
                    input: name.clone(),
                });
            }
        }
        let is_key = keys.contains(&id);
        if whole && let Some((_, Some((v, _)))) = values.first() {
            if is_key && !matches!(v, IVal::Str(_)) {
                // A key stays a scalar; its text is the value's.
                set_text(&mut out, id, &v.to_ruby_s());
                renamed_maps.push(id);
                continue;
            }
            if v.weight() > *budget {
                // Out of budget: one finding, and the rest of the file stays as written.
                errors.push(BlockError {
                    span,
                    block: values[0].0.clone(),
                    problem: Problem::Budget(MAX_ADDED),
                });
                break;
            }
            *budget -= v.weight();
            added_ref |= place(&mut out, id, v, span);
            if is_key {
                renamed_maps.push(id);
            }
            continue;
        }
        let mut text = s.to_string();
        let mut over = false;
        for (block, v) in &values {
            let replacement = match v {
                Some((v, _)) => v.to_ruby_s(),
                None => block.clone(),
            };
            match ruby_gsub(&text, block, &replacement, budget) {
                Some(t) => text = t,
                None => {
                    over = true;
                    break;
                }
            }
        }
        if over {
            errors.push(BlockError {
                span,
                block: values.first().map(|v| v.0.clone()).unwrap_or_default(),
                problem: Problem::Budget(MAX_ADDED),
            });
            break;
        }
        set_text(&mut out, id, &text);
        if is_key {
            renamed_maps.push(id);
        }
    }
    if added_ref {
        out.refs = vec![true; out.nodes.len()];
    } else if !out.refs.is_empty() {
        out.refs.resize(out.nodes.len(), false);
    }
    if !renamed_maps.is_empty() {
        rededupe(&mut out);
    }
    Interpolated {
        doc: out,
        errors,
        uses,
    }
}

/// Gives scalar `id` the string `text`.
fn set_text(doc: &mut Doc, id: NodeId, text: &str) {
    let r = push_str(doc, text);
    if let Kind::Scalar {
        text: t, value: v, ..
    } = &mut doc.nodes[id.0 as usize].kind
    {
        *t = r;
        *v = ValueId::STR;
    }
}

fn push_str(doc: &mut Doc, text: &str) -> StrRef {
    let start = doc.strings.len() as u32;
    doc.strings.push_str(text);
    StrRef::in_buffer(start, text.len() as u32)
}

fn push_value(doc: &mut Doc, v: Value) -> ValueId {
    doc.values.push(v);
    ValueId(doc.values.len() as u32 - 1)
}

/// Replaces node `id` by `v` (a scalar in place, or a list or mapping whose items are new
/// nodes at `span`). Returns whether a `!reference` was added.
fn place(doc: &mut Doc, id: NodeId, v: &IVal, span: Span) -> bool {
    let (kind, tag, has_ref) = build(doc, v, span);
    let node = &mut doc.nodes[id.0 as usize];
    node.kind = kind;
    node.tag = tag;
    has_ref
}

/// A node kind for `v`, its children appended to the document.
fn build(doc: &mut Doc, v: &IVal, span: Span) -> (Kind, u32, bool) {
    let scalar = |doc: &mut Doc, text: &str, value: Value| {
        let text = push_str(doc, text);
        let value = if value == Value::Str {
            ValueId::STR
        } else {
            push_value(doc, value)
        };
        Kind::Scalar {
            text,
            style: super::Style::Plain,
            value,
        }
    };
    match v {
        IVal::Null => (scalar(doc, "", Value::Null), 0, false),
        IVal::Bool(b) => (scalar(doc, &b.to_string(), Value::Bool(*b)), 0, false),
        IVal::Int(i) => (scalar(doc, &i.to_string(), Value::Int(*i)), 0, false),
        IVal::Float(f) => (scalar(doc, &ruby_float(*f), Value::Float(*f)), 0, false),
        IVal::Str(s) => (scalar(doc, s, Value::Str), 0, false),
        IVal::Other(s) => (scalar(doc, s, Value::Str), 0, false),
        IVal::Seq(items, reference) => {
            let mut ids = Vec::with_capacity(items.len());
            let mut has_ref = *reference;
            for item in items {
                let (kind, tag, r) = build(doc, item, span);
                has_ref |= r;
                ids.push(push_node(doc, kind, tag, span));
            }
            let start = doc.items.len() as u32;
            doc.items.extend(ids);
            (
                Kind::Seq {
                    start,
                    len: items.len() as u32,
                },
                if *reference { 1 } else { 0 },
                has_ref,
            )
        }
        IVal::Map(entries) => {
            let mut pairs = Vec::with_capacity(entries.len());
            let mut has_ref = false;
            for (k, item) in entries {
                let key_kind = scalar(doc, k, Value::Str);
                let key = push_node(doc, key_kind, 0, span);
                let (kind, tag, r) = build(doc, item, span);
                has_ref |= r;
                let value = push_node(doc, kind, tag, span);
                pairs.push((key, value));
            }
            let pairs_start = doc.pairs.len() as u32;
            let eff_start = doc.eff.len() as u32;
            for &(key, value) in &pairs {
                doc.pairs.push((key, value));
                doc.eff.push(Entry {
                    key,
                    value,
                    via: None,
                });
            }
            (
                Kind::Map {
                    pairs_start,
                    pairs_len: pairs.len() as u32,
                    eff_start,
                    eff_len: pairs.len() as u32,
                },
                0,
                has_ref,
            )
        }
    }
}

fn push_node(doc: &mut Doc, kind: Kind, tag: u32, span: Span) -> NodeId {
    doc.nodes.push(Node {
        span,
        kind,
        tag,
        anchor: 0,
    });
    NodeId(doc.nodes.len() as u32 - 1)
}

/// After keys were interpolated, two entries of a mapping may have the same key: Ruby's hash
/// keeps the first position and the last value. Rewrites the effective entries of every
/// mapping that has such a pair.
fn rededupe(doc: &mut Doc) {
    for i in 0..doc.nodes.len() {
        let Kind::Map {
            eff_start, eff_len, ..
        } = doc.nodes[i].kind
        else {
            continue;
        };
        let range = eff_start as usize..(eff_start + eff_len) as usize;
        let entries: Vec<Entry> = doc.eff[range.clone()].to_vec();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut kept: Vec<Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            let k = doc.key_ident(e.key).display().into_owned();
            match index.get(&k) {
                Some(&at) => kept[at].value = e.value,
                None => {
                    index.insert(k, kept.len());
                    kept.push(e);
                }
            }
        }
        if kept.len() == range.len() {
            continue;
        }
        let len = kept.len() as u32;
        for (slot, e) in doc.eff[range.clone()].iter_mut().zip(kept) {
            *slot = e;
        }
        if let Kind::Map { eff_len, .. } = &mut doc.nodes[i].kind {
            *eff_len = len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shellescape_like_ruby() {
        assert_eq!(shellescape(""), "''");
        assert_eq!(shellescape("a b'c"), "a\\ b\\'c");
        assert_eq!(shellescape("x\ny"), "x'\n'y");
    }

    #[test]
    fn gsub_reads_back_references() {
        let mut b = 1000;
        assert_eq!(
            ruby_gsub("a-X-b", "X", "<\\0>", &mut b).as_deref(),
            Some("a-<X>-b")
        );
        assert_eq!(
            ruby_gsub("X", "X", "C:\\\\dir", &mut b).as_deref(),
            Some("C:\\dir")
        );
    }

    #[test]
    fn floats_like_ruby() {
        assert_eq!(ruby_float(1.0), "1.0");
        assert_eq!(ruby_float(1.5), "1.5");
        assert_eq!(ruby_float(1e20), "1.0e+20");
        assert_eq!(ruby_float(0.00001), "1.0e-05");
    }

    fn input(v: IVal) -> InputValue {
        InputValue {
            value: v,
            at: Loc {
                file: FileId(0),
                span: Span::default(),
            },
            default: false,
            unknown: false,
        }
    }

    #[test]
    fn keys_values_typed_and_inside_strings() {
        let text = "$[[ inputs.k ]]:\n  a: $[[ inputs.l ]]\n  b: x-$[[ inputs.l ]]-$[[ inputs.n | truncate(1,2) ]]\n  c: $[[ inputs.b ]]\n  d: $[[ inputs.n | posix_escape ]]\n  e: $[[ matrix.X ]]\n";
        let parsed = super::super::parse_file(FileId(0), text, &super::super::Limits::default());
        let mut inputs = HashMap::new();
        inputs.insert("k".to_string(), input(IVal::Str("job".into())));
        inputs.insert(
            "l".to_string(),
            input(IVal::Seq(vec![IVal::Str("a".into()), IVal::Int(1)], false)),
        );
        inputs.insert("n".to_string(), input(IVal::Str("he llo".into())));
        inputs.insert("b".to_string(), input(IVal::Bool(true)));
        let mut budget = 1_000;
        let done = interpolate(&parsed.doc, FileId(1), &inputs, false, &mut budget);
        assert!(done.errors.is_empty(), "{:?}", done.errors);
        assert_eq!(
            done.doc.to_canonical_json().to_string(),
            r#"{"job":{"a":["a",{"int":"1"}],"b":"x-[\"a\", 1]-e ","c":true,"d":"he\\ llo","e":"$[[ matrix.X ]]"}}"#
        );
    }

    #[test]
    fn errors_name_the_block() {
        let text = "a: $[[ inputs.x | upcase ]]\nb: $[[ inputs ]]\nc: $[[ inputs.y ]]\n";
        let parsed = super::super::parse_file(FileId(0), text, &super::super::Limits::default());
        let mut inputs = HashMap::new();
        inputs.insert("x".to_string(), input(IVal::Str("v".into())));
        let mut budget = 1_000;
        let done = interpolate(&parsed.doc, FileId(1), &inputs, false, &mut budget);
        let problems: Vec<Problem> = done.errors.into_iter().map(|e| e.problem).collect();
        assert_eq!(
            problems,
            vec![
                Problem::UnknownFunction("upcase".into()),
                Problem::AccessPattern,
                Problem::UnknownKey("y".into()),
            ]
        );
    }

    #[test]
    fn blocks_need_two_characters() {
        assert!(blocks("$[[ x ]]").is_empty());
        assert_eq!(blocks("a $[[ inputs.a ]] b $[[inputs.b]]").len(), 2);
    }
}
