//! A file loaded the way GitLab's `Config::Yaml::Loader` loads it: the document split on
//! `---` lines, each document built ([`super::builder`]), a `spec:` header recognised, blank
//! documents dropped, a non-mapping top level and an ignored second document reported.

use super::Doc;
use super::builder::Builder;
use super::limits::Limits;
use super::scalar::Value;
use super::{KeyIdent, Kind};
use crate::diagnostic::Diagnostic;
use crate::rules::{invalid_config_format, yaml_ignored_document, yaml_syntax, yaml_too_large};
use crate::source::FileId;
use std::sync::Arc;

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

/// Loads `text` (a whole file) the way GitLab's `Config::Yaml::Loader` does.
pub fn parse_file(file: FileId, text: impl Into<Arc<str>>, limits: &Limits) -> ParsedFile {
    let source: Arc<str> = text.into();
    let text: &str = &source;
    let mut diagnostics = Vec::new();
    let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
    if text.len() as u64 > limits.max_bytes {
        diagnostics.push(yaml_too_large::raw(
            file,
            bom as u32,
            text.len(),
            limits.max_bytes,
        ));
    }
    // libyaml's reader refuses control characters before parsing anything.
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| !allowed_in_yaml(c)) {
        diagnostics.push(yaml_syntax::control_character(file, at as u32, c));
        return ParsedFile {
            doc: Doc::empty(file, source.clone()),
            header: None,
            failed: true,
            diagnostics,
        };
    }
    let mut docs = Vec::new();
    let mut failed = false;
    // GitLab refuses a file over the byte limit before it parses it: the size it takes loaded
    // is not a second problem.
    let raw = text.len() as u64 > limits.max_bytes;
    let mut over_limits = raw;
    for (start, end, divider) in split_documents(text, bom) {
        let chunk = &text[start..end];
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Builder::new(file, &source, chunk, start as u32, limits).run()
        }));
        match built {
            Ok((doc, diags, ok, over_limit)) => {
                failed |= !ok;
                over_limits |= over_limit;
                diagnostics.extend(
                    diags
                        .into_iter()
                        .filter(|d| !(raw && d.rule == yaml_too_large::RULE)),
                );
                docs.push((divider, doc));
            }
            Err(_) => {
                failed = true;
                diagnostics.push(yaml_syntax::internal(file, start as u32));
            }
        }
    }
    if failed {
        return ParsedFile {
            doc: Doc::empty(file, source.clone()),
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
            diagnostics.push(invalid_config_format::not_a_mapping(file, d.span(root)));
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
            diagnostics.push(yaml_ignored_document::ignored(file, *start as u32));
        }
        docs.into_iter().next().map(|(_, d)| d)
    };
    let doc = doc.unwrap_or_else(|| Doc::empty(file, source.clone()));
    ParsedFile {
        doc,
        header,
        failed: over_limits,
        diagnostics,
    }
}

/// The characters libyaml's reader accepts (`yaml_parser_update_buffer`): tab, line feed,
/// carriage return, printable ASCII, NEL, and the rest of Unicode but the C1 controls and
/// U+FFFE/U+FFFF.
fn allowed_in_yaml(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}')
        || ('\u{a0}'..='\u{d7ff}').contains(&c)
        || ('\u{e000}'..='\u{fffd}').contains(&c)
        || c >= '\u{10000}'
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
        Kind::Scalar { text, value, .. } => match d.value(*value) {
            Value::Null | Value::Bool(false) => true,
            Value::Str => d.str(*text).trim().is_empty(),
            _ => false,
        },
        Kind::Seq { len, .. } => *len == 0,
        Kind::Map { eff_len, .. } => *eff_len == 0,
        Kind::Alias { .. } => false,
    }
}
