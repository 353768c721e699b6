//! Human output: miette snippets with labels, the rule name and a fix hint.

use super::locate;
use crate::Outcome;
use crate::diagnostic::Severity;
use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    NamedSource, SourceCode,
};
use std::fmt;
use std::sync::Arc;

struct Shown {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: NamedSource<Arc<str>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Shown>,
}

impl fmt::Debug for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for Shown {}

impl MietteDiagnostic for Shown {
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
        Some(&self.source)
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

fn span(start: u32, end: u32) -> miette::SourceSpan {
    (start as usize, (end - start) as usize).into()
}

pub fn render_text(outcome: &Outcome, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for f in locate(outcome) {
        let d = f.diag;
        let file = f.set.file(d.file);
        let named = |fl: &crate::source::SourceFile| {
            NamedSource::new(&fl.rel_path, fl.text.clone()).with_language("yaml")
        };
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            d.label.clone(),
            span(d.span.start, d.span.end),
        )];
        let mut related = Vec::new();
        for l in &d.labels {
            if l.file == d.file {
                labels.push(LabeledSpan::new_with_span(
                    Some(super::provenance::label_text(l)),
                    span(l.span.start, l.span.end),
                ));
            } else {
                let other = f.set.file(l.file);
                related.push(Shown {
                    message: super::provenance::label_text(l),
                    code: None,
                    severity: miette::Severity::Advice,
                    help: None,
                    source: named(other),
                    labels: vec![LabeledSpan::new_primary_with_span(
                        None,
                        span(l.span.start, l.span.end),
                    )],
                    related: Vec::new(),
                });
            }
        }
        let shown = Shown {
            message: d.message.clone(),
            code: Some(d.rule.to_string()),
            severity: severity(d.severity),
            help: d.help.clone(),
            source: named(file),
            labels,
            related,
        };
        let _ = handler.render_report(&mut out, &shown);
        out.push('\n');
    }
    out
}
