//! Between cachelint and the protocol: file URIs and paths, byte offsets and LSP positions (in
//! UTF-16 code units by default, UTF-8 when the client prefers it), findings and LSP
//! diagnostics.

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::FileSet;
use crate::source::{SourceFile, Span};
use lsp_types as lsp;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// How the client counts characters in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The path of a `file:` URI.
pub fn uri_to_path(uri: &lsp::Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://")?;
    // `file:///p` (no host) or `file://localhost/p`.
    let path = match rest.strip_prefix("localhost") {
        Some(p) if p.starts_with('/') => p,
        _ => rest,
    };
    if !path.starts_with('/') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    let decoded = String::from_utf8(out).ok()?;
    Some(crate::util::paths::normalize(Path::new(&decoded)))
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// The `file:` URI of an absolute path (every byte that needs it percent-encoded).
pub fn path_to_uri(path: &Path) -> Option<lsp::Uri> {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    lsp::Uri::from_str(&s).ok()
}

/// The LSP position of byte `offset` of `file`.
pub fn position(file: &SourceFile, offset: u32, enc: Encoding) -> lsp::Position {
    let lc = file.line_col(offset);
    let line = lc.line - 1;
    let character = match enc {
        Encoding::Utf16 => lc.col_utf16 - 1,
        Encoding::Utf8 => {
            let start = file.line_start(lc.line);
            let mut at = (offset as usize).min(file.text.len());
            while !file.text.is_char_boundary(at) {
                at -= 1;
            }
            at as u32 - start
        }
    };
    lsp::Position { line, character }
}

pub fn range(file: &SourceFile, span: Span, enc: Encoding) -> lsp::Range {
    lsp::Range {
        start: position(file, span.start, enc),
        end: position(file, span.end, enc),
    }
}

/// The byte offset of an LSP position (clamped to its line and the text).
pub fn offset(file: &SourceFile, pos: lsp::Position, enc: Encoding) -> u32 {
    let line = pos.line + 1;
    if line as usize > file.line_count() {
        return file.text.len() as u32;
    }
    let start = file.line_start(line);
    let text = file.line_text(line);
    let mut units = 0u32;
    for (i, c) in text.char_indices() {
        if units >= pos.character {
            return start + i as u32;
        }
        units += match enc {
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf8 => c.len_utf8() as u32,
        };
    }
    start + text.len() as u32
}

/// A finding as an LSP diagnostic: the rule as `code` with a link to its page, the fix hint
/// after the message, the secondary labels as related information, and in `data` the rule and
/// the certain fix (for code actions).
pub fn diagnostic(set: &FileSet, d: &Diagnostic, enc: Encoding) -> lsp::Diagnostic {
    let file = set.file(d.file);
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter_map(|l| {
            let lf = set.file(l.file);
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri: path_to_uri(&lf.path)?,
                    range: range(lf, l.span, enc),
                },
                message: crate::report::provenance::label_text(l),
            })
        })
        .collect();
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    let href = lsp::Uri::from_str(&crate::report::rule_url(d.rule.name())).ok();
    let fix = d.fix.as_ref().map(|f| {
        serde_json::json!({
            "title": f.title,
            "edits": f.edits.iter().map(|e| {
                let ef = set.file(e.file);
                serde_json::json!({
                    "uri": path_to_uri(&ef.path).map(|u| u.as_str().to_string()),
                    "range": range(ef, e.span, enc),
                    "text": e.text,
                })
            }).collect::<Vec<_>>(),
        })
    });
    lsp::Diagnostic {
        range: range(file, d.span, enc),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(d.rule.name().to_string())),
        code_description: href.map(|href| lsp::CodeDescription { href }),
        source: Some("cachelint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: Some(serde_json::json!({ "rule": d.rule.name(), "fix": fix })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_paths_round_trip() {
        let p = PathBuf::from("/tmp/a b/ci/é.yml");
        let uri = path_to_uri(&p);
        assert_eq!(
            uri.as_ref().map(|u| u.as_str()),
            Some("file:///tmp/a%20b/ci/%C3%A9.yml")
        );
        assert_eq!(uri.as_ref().and_then(uri_to_path), Some(p));
        let other = lsp::Uri::from_str("https://example.com/x").ok();
        assert_eq!(other.and_then(|u| uri_to_path(&u)), None);
    }

    #[test]
    fn positions_count_utf16_or_utf8_units() {
        let f = SourceFile::new("x".into(), "x".into(), "a: 1\n😀é: x\n");
        let x = f.text.rfind('x').unwrap_or(0) as u32;
        assert_eq!(
            position(&f, x, Encoding::Utf16),
            lsp::Position {
                line: 1,
                character: 5
            }
        );
        assert_eq!(
            position(&f, x, Encoding::Utf8),
            lsp::Position {
                line: 1,
                character: 8
            }
        );
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            assert_eq!(offset(&f, position(&f, x, enc), enc), x);
        }
    }
}
