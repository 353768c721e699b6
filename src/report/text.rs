//! Human output: miette snippets with labels, the rule name and a fix hint.
//!
//! miette reads the source through [`FileSource`], which finds lines with the file's line
//! index instead of scanning from the start of the file for every finding (the text report
//! stays linear in the number of findings). Control characters in the source are shown as `?`
//! and in messages as escapes, so a configuration cannot send escape sequences to the
//! terminal. A finding on a very long line is shown through a window around its labels
//! ([`Windowed`]).

use super::locate;
use crate::Outcome;
use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceFile, Span};
use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// Lines longer than this (in characters) are shown through a window around the labels.
const LONG_LINE: usize = 400;
/// How many characters a window shows before a label.
const LEAD: usize = 60;
/// How many characters a window shows in all.
const WINDOW: usize = 200;

struct Shown<'s> {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: &'s dyn SourceCode,
    labels: Vec<LabeledSpan>,
    related: Vec<Shown<'s>>,
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Shown<'_> {}

impl MietteDiagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn MietteDiagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn MietteDiagnostic),
        ))
    }
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// Control characters of a message as escapes (`\n`, `\u{1b}`): one finding stays one
/// report, and nothing reaches the terminal but text.
pub fn escape_controls(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// C0 and C1 control characters and DEL.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// The text of a file as shown: control characters (other than line breaks and tabs) become
/// `?`, one per byte, so every byte offset stays where it was.
fn shown_text(text: &str) -> Cow<'_, str> {
    let needs = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            for _ in 0..c.len_utf8() {
                out.push('?');
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A file as miette reads it.
struct FileSource<'a> {
    name: Cow<'a, str>,
    file: &'a SourceFile,
    text: Cow<'a, str>,
}

impl<'a> FileSource<'a> {
    fn new(file: &'a SourceFile) -> FileSource<'a> {
        FileSource {
            name: escape_controls(&file.rel_path),
            file,
            text: shown_text(&file.text),
        }
    }
}

/// Reads a span the way miette reads a whole `&str`, but from a slice of whole lines around
/// it: `lines` is the text, `first` the index of its first line in the file, `base` its byte
/// offset. The result is what miette would compute on the whole text.
fn read_lines<'a>(
    name: &str,
    lines: &'a [u8],
    first: usize,
    base: usize,
    span: &SourceSpan,
    before: usize,
    after: usize,
) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
    let offset = span
        .offset()
        .checked_sub(base)
        .ok_or(MietteError::OutOfBounds)?;
    let rel = SourceSpan::new(offset.into(), span.len());
    let c = <[u8] as SourceCode>::read_span(lines, &rel, before, after)?;
    let (data, cspan, line, column, count) =
        (c.data(), *c.span(), c.line(), c.column(), c.line_count());
    Ok(Box::new(MietteSpanContents::new_named(
        name.to_string(),
        data,
        SourceSpan::new((cspan.offset() + base).into(), cspan.len()),
        line + first,
        column,
        count + first,
    )))
}

impl SourceCode for FileSource<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let f = self.file;
        let start = span.offset().min(self.text.len()) as u32;
        let end = (span.offset() + span.len()).min(self.text.len()) as u32;
        let first = f.line_index(start).saturating_sub(before + 1);
        let last = f.line_index(end) + after + 2;
        let from = f.line_start(first as u32 + 1) as usize;
        let to = if last + 1 < f.line_count() {
            f.line_start(last as u32 + 2) as usize
        } else {
            self.text.len()
        };
        read_lines(
            &self.name,
            &self.text.as_bytes()[from..to],
            first,
            from,
            span,
            before,
            after,
        )
    }
}

/// One line of a windowed view: where it is in the view and in the file.
struct ViewLine {
    /// Byte offset of the line in the view.
    view: usize,
    /// Byte offset, in the file, of the first character shown.
    file: usize,
    /// Bytes of the `…` in front (0 or 3).
    lead: usize,
    /// The part of the line shown, in file offsets.
    shown: std::ops::Range<usize>,
}

/// Some lines of a file, each long one cut to a window around its labels, with the labels
/// moved into it. miette shows it with the file's line numbers and columns.
struct Windowed<'a> {
    name: Cow<'a, str>,
    /// The index of the view's first line in the file.
    first: usize,
    text: String,
    lines: Vec<ViewLine>,
}

impl Windowed<'_> {
    /// The view offset of file offset `at`, clamped into the shown part of its line.
    fn map(&self, file: &SourceFile, at: usize) -> usize {
        let li = file.line_index(at as u32).saturating_sub(self.first);
        let Some(l) = self.lines.get(li.min(self.lines.len().saturating_sub(1))) else {
            return 0;
        };
        let at = at.clamp(l.shown.start, l.shown.end);
        l.view + l.lead + (at - l.shown.start)
    }
}

impl SourceCode for Windowed<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let c = read_lines(
            &self.name,
            self.text.as_bytes(),
            self.first,
            0,
            span,
            before,
            after,
        )?;
        if before > 0 {
            return Ok(c);
        }
        // The column of the header `[file:line:col]`: where the span starts in the file.
        let li = self
            .lines
            .partition_point(|l| l.view <= span.offset())
            .saturating_sub(1);
        let column = self.lines.get(li).map_or(c.column(), |l| {
            let in_view = span.offset().saturating_sub(l.view + l.lead);
            l.shown.start - l.file + in_view
        });
        let (data, cspan, line, count) = (c.data(), *c.span(), c.line(), c.line_count());
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            data,
            cspan,
            line,
            column,
            count,
        )))
    }
}

/// The characters of `text` from char `from`, at most `n` of them, as a byte range.
fn char_range(text: &str, from: usize, n: usize) -> std::ops::Range<usize> {
    let mut it = text.char_indices().skip(from);
    let start = it.next().map_or(text.len(), |(b, _)| b);
    let end = text[start..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(b, _)| start + b);
    start..end
}

/// A view of lines `first..=last` of `file` in which every line longer than [`LONG_LINE`]
/// shows a window around the first label on it (`spans`: the labels, in file offsets).
fn windowed<'a>(
    file: &'a SourceFile,
    text: &str,
    first: usize,
    last: usize,
    spans: &[Span],
) -> Windowed<'a> {
    let mut view = String::new();
    let mut lines = Vec::new();
    for li in first..=last {
        let start = file.line_start(li as u32 + 1) as usize;
        let line = file.line_text(li as u32 + 1);
        let break_len = if li + 1 < file.line_count() {
            file.line_start(li as u32 + 2) as usize - start - line.len()
        } else {
            0
        };
        let line_text = &text[start..start + line.len()];
        let chars = line_text.chars().count();
        let (shown, lead, tail) = if chars <= LONG_LINE {
            (start..start + line.len(), false, false)
        } else {
            // The window starts a little before the first label on this line.
            let label = spans
                .iter()
                .filter(|s| (s.start as usize) >= start && (s.start as usize) <= start + line.len())
                .map(|s| s.start as usize - start)
                .min()
                .unwrap_or(0);
            let label_char = line_text[..label.min(line_text.len())].chars().count();
            let from = label_char.saturating_sub(LEAD);
            let r = char_range(line_text, from, WINDOW);
            let (a, b) = (start + r.start, start + r.end);
            (a..b, from > 0, b < start + line.len())
        };
        let lead_text = if lead { "…" } else { "" };
        lines.push(ViewLine {
            view: view.len(),
            file: start,
            lead: lead_text.len(),
            shown: shown.clone(),
        });
        view.push_str(lead_text);
        view.push_str(&text[shown]);
        if tail {
            view.push('…');
        }
        if break_len > 0 {
            view.push('\n');
        }
    }
    Windowed {
        name: escape_controls(&file.rel_path),
        first,
        text: view,
        lines,
    }
}

/// A file offset clamped into the text and onto a character boundary.
fn clamp(file: &SourceFile, at: u32) -> usize {
    let mut at = (at as usize).min(file.text.len());
    while !file.text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn span_of(start: usize, end: usize) -> SourceSpan {
    (start, end.saturating_sub(start)).into()
}

/// Whether a line miette would show for a label from `lo` to `hi` (its lines, one around) is
/// long.
fn has_long_line(file: &SourceFile, lo: usize, hi: usize) -> bool {
    let first = file.line_index(lo as u32).saturating_sub(1);
    let last = (file.line_index(hi as u32) + 1).min(file.line_count().saturating_sub(1));
    if last - first > 16 {
        // A label over many lines: its first and last lines are the ones that matter.
        return has_long_line(file, lo, lo) || has_long_line(file, hi, hi);
    }
    (first..=last).any(|li| {
        let t = file.line_text(li as u32 + 1);
        t.len() > LONG_LINE && t.chars().count() > LONG_LINE
    })
}

pub fn render_text(outcome: &Outcome, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Lines wrap at spaces only: the Unicode line-breaking algorithm costs more than the rest
    // of a finding and finds no other place to break in these messages.
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_word_separator(textwrap::WordSeparator::AsciiSpace);
    let mut out = String::new();
    // One source per file, made once: sanitizing is linear in the file.
    let mut sources: HashMap<(usize, u32), FileSource<'_>> = HashMap::new();
    let located = locate(outcome);
    for f in &located {
        let set_index = outcome
            .analyses
            .iter()
            .position(|a| std::ptr::eq(&a.set, f.set))
            .unwrap_or(0);
        for fid in std::iter::once(f.diag.file).chain(f.diag.labels.iter().map(|l| l.file)) {
            sources
                .entry((set_index, fid.0))
                .or_insert_with(|| FileSource::new(f.set.file(fid)));
        }
    }
    // What a thread needs of each finding (the analyses themselves are not `Sync`).
    let items: Vec<(usize, &crate::load::FileSet, &Diagnostic)> = located
        .iter()
        .map(|f| {
            let set_index = outcome
                .analyses
                .iter()
                .position(|a| std::ptr::eq(&a.set, f.set))
                .unwrap_or(0);
            (set_index, f.set, f.diag)
        })
        .collect();
    let render = |part: &[(usize, &crate::load::FileSet, &Diagnostic)], out: &mut String| {
        for (set_index, set, diag) in part {
            let source = |fid: crate::source::FileId| sources.get(&(*set_index, fid.0));
            render_one(&handler, set, diag, &source, out);
            out.push('\n');
        }
    };
    // Findings render independently, and a graphical snippet costs far more than finding it
    // (tens of microseconds each): many findings are rendered in parallel, in order.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || items.len() < PARALLEL_FROM {
        render(&items, &mut out);
        return out;
    }
    let chunk = items.len().div_ceil(threads);
    let parts: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut s = String::new();
                    render(part, &mut s);
                    s
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    for p in parts {
        out.push_str(&p);
    }
    out
}

/// How many findings it takes to render them on several threads.
const PARALLEL_FROM: usize = 256;

fn render_one<'s>(
    handler: &GraphicalReportHandler,
    set: &crate::load::FileSet,
    d: &Diagnostic,
    source: &dyn Fn(crate::source::FileId) -> Option<&'s FileSource<'s>>,
    out: &mut String,
) {
    let file = set.file(d.file);
    let Some(src) = source(d.file) else { return };
    let primary = (clamp(file, d.span.start), clamp(file, d.span.end));
    // Labels in the same file go in the snippet; the others are related reports.
    let mut same: Vec<(Option<String>, usize, usize)> = Vec::new();
    let mut related = Vec::new();
    let mut windows: Vec<Windowed<'_>> = Vec::new();
    for l in &d.labels {
        let text = escape_controls(&super::provenance::label_text(l)).into_owned();
        let lf = set.file(l.file);
        let (s, e) = (clamp(lf, l.span.start), clamp(lf, l.span.end));
        if l.file == d.file {
            same.push((Some(text), s, e));
        } else if let Some(other) = source(l.file) {
            related.push((text, l.file, s, e, other));
        }
    }
    // A finding on a long line: its lines through a window (labels far from the finding go
    // to related reports, so the view stays small).
    let long = has_long_line(file, primary.0, primary.1)
        || same.iter().any(|x| has_long_line(file, x.1, x.2));
    if long {
        let near = |s: usize| {
            file.line_index(s as u32)
                .abs_diff(file.line_index(primary.0 as u32))
                <= 8
        };
        let (keep, far): (Vec<_>, Vec<_>) = same.into_iter().partition(|x| near(x.1));
        same = keep;
        for (text, s, e) in far {
            related.push((text.unwrap_or_default(), d.file, s, e, src));
        }
    }
    let primary_label = d.label.as_deref().map(|l| escape_controls(l).into_owned());
    let message = escape_controls(&d.message).into_owned();
    let help = d.help.as_deref().map(|h| escape_controls(h).into_owned());
    let code = Some(d.rule.to_string());
    // Related reports for labels in other files (or far away on long lines).
    let mut related_windows: Vec<(String, Windowed<'_>, usize, usize)> = Vec::new();
    let mut related_plain = Vec::new();
    for (text, fid, s, e, other) in related {
        let rf = set.file(fid);
        if has_long_line(rf, s, e) {
            let first = rf.line_index(s as u32).saturating_sub(1);
            let last = (rf.line_index(e as u32) + 1).min(rf.line_count().saturating_sub(1));
            let w = windowed(
                rf,
                &other.text,
                first,
                last,
                &[Span::new(s as u32, e as u32)],
            );
            let (a, b) = (w.map(rf, s), w.map(rf, e));
            related_windows.push((text, w, a, b));
        } else {
            related_plain.push((text, s, e, other));
        }
    }
    let mut related_shown: Vec<Shown<'_>> = Vec::new();
    for (text, s, e, other) in &related_plain {
        related_shown.push(Shown {
            message: text.clone(),
            code: None,
            severity: miette::Severity::Advice,
            help: None,
            source: *other,
            labels: vec![LabeledSpan::new_primary_with_span(None, span_of(*s, *e))],
            related: Vec::new(),
        });
    }
    for (text, w, a, b) in &related_windows {
        related_shown.push(Shown {
            message: text.clone(),
            code: None,
            severity: miette::Severity::Advice,
            help: None,
            source: w,
            labels: vec![LabeledSpan::new_primary_with_span(None, span_of(*a, *b))],
            related: Vec::new(),
        });
    }
    if long {
        let first = file
            .line_index(
                same.iter()
                    .map(|x| x.1)
                    .chain([primary.0])
                    .min()
                    .unwrap_or(0) as u32,
            )
            .saturating_sub(1);
        let last_at = same
            .iter()
            .map(|x| x.2)
            .chain([primary.1])
            .max()
            .unwrap_or(0);
        let last = (file.line_index(last_at as u32) + 1).min(file.line_count().saturating_sub(1));
        let mut spans: Vec<Span> = vec![Span::new(primary.0 as u32, primary.1 as u32)];
        spans.extend(same.iter().map(|x| Span::new(x.1 as u32, x.2 as u32)));
        windows.push(windowed(file, &src.text, first, last, &spans));
    }
    let (snippet_source, labels): (&dyn SourceCode, Vec<LabeledSpan>) = match windows.first() {
        Some(w) => {
            let mut labels = vec![LabeledSpan::new_primary_with_span(
                primary_label,
                span_of(w.map(file, primary.0), w.map(file, primary.1)),
            )];
            for (text, s, e) in &same {
                labels.push(LabeledSpan::new_with_span(
                    text.clone(),
                    span_of(w.map(file, *s), w.map(file, *e)),
                ));
            }
            (w, labels)
        }
        None => {
            let mut labels = vec![LabeledSpan::new_primary_with_span(
                primary_label,
                span_of(primary.0, primary.1),
            )];
            for (text, s, e) in &same {
                labels.push(LabeledSpan::new_with_span(text.clone(), span_of(*s, *e)));
            }
            (src, labels)
        }
    };
    let shown = Shown {
        message,
        code,
        severity: severity(d.severity),
        help,
        source: snippet_source,
        labels,
        related: related_shown,
    };
    let _ = handler.render_report(out, &shown);
}
