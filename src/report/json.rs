//! The JSON report (shape documented in docs/json-format.md). Written through serde's derive
//! over borrowed fields, straight into the output: no intermediate `serde_json::Value` tree.

use super::locate;
use crate::Outcome;
use crate::diagnostic::Severity;
use serde::Serialize;

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    findings: Vec<Finding<'a>>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct Finding<'a> {
    rule: &'a str,
    severity: Severity,
    message: &'a str,
    help: Option<&'a str>,
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    job: Option<&'a str>,
    labels: Vec<Label<'a>>,
    fix: Option<Fix<'a>>,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct Label<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: String,
}

#[derive(Serialize)]
struct Fix<'a> {
    title: &'a str,
    edits: Vec<Edit<'a>>,
}

#[derive(Serialize)]
struct Edit<'a> {
    path: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    text: &'a str,
}

#[derive(Serialize)]
struct Summary<'a> {
    errors: usize,
    warnings: usize,
    infos: usize,
    files: Vec<&'a str>,
}

pub fn render(outcome: &Outcome) -> String {
    let located = locate(outcome);
    let findings: Vec<Finding<'_>> = located
        .iter()
        .map(|f| {
            let at = |file: crate::source::FileId, span: crate::source::Span| {
                let file = f.set.file(file);
                (
                    file.rel_path.as_str(),
                    file.line_col(span.start),
                    file.line_col(span.end),
                )
            };
            let labels = f
                .diag
                .labels
                .iter()
                .map(|l| {
                    let (path, s, e) = at(l.file, l.span);
                    Label {
                        path,
                        line: s.line,
                        column: s.col,
                        end_line: e.line,
                        end_column: e.col,
                        message: super::provenance::label_text(l),
                    }
                })
                .collect();
            let fix = f.diag.fix.as_ref().map(|fix| Fix {
                title: &fix.title,
                edits: fix
                    .edits
                    .iter()
                    .map(|e| {
                        let (path, s, end) = at(e.file, e.span);
                        Edit {
                            path,
                            line: s.line,
                            column: s.col,
                            end_line: end.line,
                            end_column: end.col,
                            text: &e.text,
                        }
                    })
                    .collect(),
            });
            Finding {
                rule: f.diag.rule.name(),
                severity: f.diag.severity,
                message: &f.diag.message,
                help: f.diag.help.as_deref(),
                path: f.path,
                line: f.start.line,
                column: f.start.col,
                end_line: f.end.line,
                end_column: f.end.col,
                job: f.diag.job.as_deref(),
                labels,
                fix,
                fingerprint: &f.fingerprint,
            }
        })
        .collect();
    let count = |s: Severity| located.iter().filter(|f| f.diag.severity == s).count();
    let doc = Doc {
        version: 1,
        findings,
        summary: Summary {
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
            files: outcome
                .analyses
                .iter()
                .flat_map(|a| a.set.files.iter().map(|f| f.rel_path.as_str()))
                .collect(),
        },
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
