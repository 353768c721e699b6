//! Inline suppression: `# cachelint: ignore[rule, ...]` on a finding's line or the line above it,
//! and `# cachelint: ignore-file[rule, ...]` anywhere in a file. A suppression that matches no
//! finding is itself reported (`unused-suppression`), so stale ones do not pile up.
//!
//! A comment is a `#` at the start of a line or after white space, outside every scalar: a `#`
//! inside a quoted string or a block scalar (`script: |`) is text, not a comment.

use crate::diagnostic::Diagnostic;
use crate::load::FileSet;
use crate::rules::{registry, unused_suppression};
use crate::source::{FileId, Span};
use crate::util::suggest::did_you_mean;
use crate::yaml::Kind;

#[derive(Debug)]
struct Suppression {
    file: FileId,
    /// The comment's line (1-based).
    line: u32,
    whole_file: bool,
    /// Each rule named, with where its name is written and whether it suppressed something.
    rules: Vec<(String, Span, bool)>,
}

/// The scalar spans of a file, sorted, to tell comments from `#` inside strings.
fn scalar_spans(set: &FileSet, file: FileId) -> Vec<(u32, u32)> {
    let doc = set.doc(file);
    let mut spans: Vec<(u32, u32)> = (0..doc.node_count() as u32)
        .map(crate::yaml::NodeId)
        .filter(|&n| matches!(doc.node(n).kind, Kind::Scalar { .. }))
        .map(|n| {
            let s = doc.span(n);
            (s.start, s.end)
        })
        .collect();
    spans.sort_unstable();
    spans
}

fn inside(spans: &[(u32, u32)], at: u32) -> bool {
    let i = spans.partition_point(|&(s, _)| s <= at);
    i > 0 && spans[i - 1].1 > at
}

/// The suppression comments of one file.
fn parse(set: &FileSet, file: FileId) -> Vec<Suppression> {
    let text = &set.file(file).text;
    if !text.contains("cachelint:") {
        return Vec::new();
    }
    let spans = scalar_spans(set, file);
    let mut out = Vec::new();
    let mut line_start = 0usize;
    for (li, line) in text.split('\n').enumerate() {
        let start = line_start;
        line_start += line.len() + 1;
        let Some(pos) = line.find("cachelint:") else {
            continue;
        };
        // The `#` that opens the comment holding the marker.
        let Some(hash) = line[..pos].rfind('#') else {
            continue;
        };
        let at = (start + hash) as u32;
        let opens_comment = hash == 0 || line[..hash].ends_with([' ', '\t']);
        if !opens_comment || inside(&spans, at) || !line[hash + 1..pos].trim().is_empty() {
            continue;
        }
        let rest = &line[pos + "cachelint:".len()..];
        let trimmed = rest.trim_start();
        let (whole_file, after) = if let Some(a) = trimmed.strip_prefix("ignore-file[") {
            (true, a)
        } else if let Some(a) = trimmed.strip_prefix("ignore[") {
            (false, a)
        } else {
            continue;
        };
        let Some(close) = after.find(']') else {
            continue;
        };
        let list_start = start
            + pos
            + "cachelint:".len()
            + (rest.len() - trimmed.len())
            + if whole_file {
                "ignore-file[".len()
            } else {
                "ignore[".len()
            };
        let mut rules = Vec::new();
        let mut offset = 0;
        for name in after[..close].split(',') {
            let lead = name.len() - name.trim_start().len();
            let n = name.trim();
            if !n.is_empty() {
                let s = (list_start + offset + lead) as u32;
                rules.push((n.to_string(), Span::new(s, s + n.len() as u32), false));
            }
            offset += name.len() + 1;
        }
        out.push(Suppression {
            file,
            line: li as u32 + 1,
            whole_file,
            rules,
        });
    }
    out
}

/// Drops the suppressed findings of one file set and adds an `unused-suppression` finding for
/// every suppression that matched nothing.
pub fn apply(set: &FileSet, diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let mut sups: Vec<Suppression> = (0..set.files.len() as u32)
        .flat_map(|f| parse(set, FileId(f)))
        .collect();
    if sups.is_empty() {
        return diags;
    }
    let mut kept = Vec::with_capacity(diags.len());
    for d in diags {
        let line = set.file(d.file).line_col(d.span.start).line;
        let mut suppressed = false;
        for s in sups.iter_mut().filter(|s| s.file == d.file) {
            if !(s.whole_file || s.line == line || s.line + 1 == line) {
                continue;
            }
            for (name, _, used) in s.rules.iter_mut() {
                if name == d.rule.name() {
                    *used = true;
                    suppressed = true;
                }
            }
        }
        if !suppressed {
            kept.push(d);
        }
    }
    for s in &sups {
        for (name, span, used) in &s.rules {
            if *used {
                continue;
            }
            kept.push(if registry::by_name(name).is_some() {
                unused_suppression::unused(s.file, *span, name, s.whole_file)
            } else {
                unused_suppression::unknown(
                    s.file,
                    *span,
                    name,
                    did_you_mean(name, registry::names()),
                )
            });
        }
    }
    kept
}
