//! SARIF 2.1.0: one run, the tool with every rule (description, help text and link), and a
//! result per finding with its rule, level, physical location and related locations.

use super::{locate, rule_url};
use crate::Outcome;
use crate::diagnostic::Severity;
use serde_json::{Value, json};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn render(outcome: &Outcome) -> String {
    let all = crate::rules::registry::ALL;
    let rules: Vec<Value> = all
        .iter()
        .map(|r| {
            json!({
                "id": r.name(),
                "shortDescription": { "text": r.summary() },
                "fullDescription": { "text": r.summary() },
                "help": { "text": r.page(), "markdown": r.page() },
                "helpUri": rule_url(r.name()),
                "defaultConfiguration": { "level": level(r.severity()) },
                "properties": { "category": r.category().as_str() },
            })
        })
        .collect();
    let index = |rule: crate::diagnostic::RuleId| all.iter().position(|r| *r == rule);
    let region = |start: crate::source::LineCol, end: crate::source::LineCol| {
        // SARIF columns are 1-based and counted in UTF-16 code units by default.
        json!({
            "startLine": start.line,
            "startColumn": start.col_utf16,
            "endLine": end.line,
            "endColumn": end.col_utf16,
        })
    };
    let results: Vec<Value> = locate(outcome)
        .into_iter()
        .map(|f| {
            let related: Vec<Value> = f
                .diag
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let file = f.set.file(l.file);
                    json!({
                        "id": i,
                        "message": { "text": super::provenance::label_text(l) },
                        "physicalLocation": {
                            "artifactLocation": { "uri": file.rel_path, "uriBaseId": "PROJECTROOT" },
                            "region": region(file.line_col(l.span.start), file.line_col(l.span.end)),
                        },
                    })
                })
                .collect();
            let mut text = f.diag.message.clone();
            if let Some(h) = &f.diag.help {
                text.push_str(&format!("\nhelp: {h}"));
            }
            let mut r = json!({
                "ruleId": f.diag.rule,
                "level": level(f.diag.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path, "uriBaseId": "PROJECTROOT" },
                        "region": region(f.start, f.end),
                    },
                }],
                "partialFingerprints": { "cachelint/v1": f.fingerprint },
            });
            if let Some(i) = index(f.diag.rule) {
                r["ruleIndex"] = json!(i);
            }
            if !related.is_empty() {
                r["relatedLocations"] = Value::Array(related);
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cachelint",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": env!("CARGO_PKG_REPOSITORY"),
                    "rules": rules,
                },
            },
            "columnKind": "utf16CodeUnits",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
