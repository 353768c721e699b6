//! The JSON report (shape documented in docs/json-format.md).

use super::locate;
use crate::Outcome;
use serde_json::json;

pub fn render(outcome: &Outcome) -> String {
    let located = locate(outcome);
    let findings: Vec<_> = located
        .iter()
        .map(|f| {
            let labels: Vec<_> = f
                .diag
                .labels
                .iter()
                .map(|l| {
                    let file = f.set.file(l.file);
                    let s = file.line_col(l.span.start);
                    let e = file.line_col(l.span.end);
                    json!({
                        "path": file.rel_path,
                        "line": s.line, "column": s.col,
                        "end_line": e.line, "end_column": e.col,
                        "message": super::provenance::label_text(l),
                    })
                })
                .collect();
            let fix = f.diag.fix.as_ref().map(|fix| {
                let edits: Vec<_> = fix
                    .edits
                    .iter()
                    .map(|e| {
                        let file = f.set.file(e.file);
                        let s = file.line_col(e.span.start);
                        let end = file.line_col(e.span.end);
                        json!({
                            "path": file.rel_path,
                            "line": s.line, "column": s.col,
                            "end_line": end.line, "end_column": end.col,
                            "text": e.text,
                        })
                    })
                    .collect();
                json!({ "title": fix.title, "edits": edits })
            });
            json!({
                "rule": f.diag.rule,
                "severity": f.diag.severity,
                "message": f.diag.message,
                "help": f.diag.help,
                "path": f.path,
                "line": f.start.line,
                "column": f.start.col,
                "end_line": f.end.line,
                "end_column": f.end.col,
                "job": f.diag.job,
                "labels": labels,
                "fix": fix,
                "fingerprint": f.fingerprint,
            })
        })
        .collect();
    let count =
        |s: crate::diagnostic::Severity| located.iter().filter(|f| f.diag.severity == s).count();
    let files: Vec<&str> = outcome
        .analyses
        .iter()
        .flat_map(|a| a.set.files.iter().map(|f| f.rel_path.as_str()))
        .collect();
    let doc = json!({
        "version": 1,
        "findings": findings,
        "summary": {
            "errors": count(crate::diagnostic::Severity::Error),
            "warnings": count(crate::diagnostic::Severity::Warning),
            "infos": count(crate::diagnostic::Severity::Info),
            "files": files,
        },
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
