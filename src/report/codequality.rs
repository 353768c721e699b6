//! GitLab Code Quality JSON: an array of Code Climate issues (docs/semantics.md, "Code Quality").

use super::locate;
use crate::Outcome;
use crate::diagnostic::Severity;
use serde_json::json;

pub fn render(outcome: &Outcome) -> String {
    let issues: Vec<_> = locate(outcome)
        .into_iter()
        .map(|f| {
            let severity = match f.diag.severity {
                Severity::Error => "critical",
                Severity::Warning => "major",
                Severity::Info => "info",
            };
            let description = f.diag.message.clone();
            json!({
                "type": "issue",
                "check_name": f.diag.rule,
                "description": description,
                "severity": severity,
                "fingerprint": f.fingerprint,
                "location": {
                    "path": f.path,
                    "lines": { "begin": f.start.line, "end": f.end.line.max(f.start.line) },
                },
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}
