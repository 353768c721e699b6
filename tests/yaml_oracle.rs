//! Fidelity oracle for the YAML layer: every YAML file of tests/corpus and tests/fixtures is
//! loaded by cachelint and by Ruby's Psych the way GitLab loads it (tests/oracle/psych_dump.rb);
//! the canonical JSON of both must be identical, key order included.
//!
//! Needs `ruby`. Without it the test fails when `CI` is set and is skipped (loudly) otherwise.

use cachelint::source::FileId;
use cachelint::yaml::{Limits, parse_file};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
}

/// What cachelint loads, in the oracle's line format.
fn ours(path: &Path) -> Value {
    let bytes = std::fs::read(path).expect("read fixture");
    let Ok(text) = String::from_utf8(bytes) else {
        return serde_json::json!({"error": "invalid UTF-8"});
    };
    let parsed = parse_file(FileId(0), text.as_str(), &Limits::default());
    if parsed.failed {
        let rules: Vec<_> = parsed.diagnostics.iter().map(|d| d.rule).collect();
        return serde_json::json!({ "error": format!("{rules:?}") });
    }
    serde_json::json!({ "ok": parsed.doc.to_canonical_json() })
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let name = "psych_agrees_with_our_loader_on_every_corpus_and_fixture_file";
    let trial = libtest_mimic::Trial::test(name, || {
        psych_agrees_with_our_loader_on_every_corpus_and_fixture_file();
        Ok(())
    });
    // Without Ruby the oracle cannot run: skipped, and said so where it is seen (this harness
    // prints before the test output), except in CI, where it fails instead.
    let ruby = Command::new("ruby").arg("--version").output();
    let has_ruby = ruby.is_ok_and(|o| o.status.success());
    let trial = if has_ruby || std::env::var_os("CI").is_some() {
        trial
    } else {
        eprintln!(
            "\n*** SKIPPED: the YAML oracle needs `ruby` (apt-get install ruby), which is not installed.\n*** Under CI (`CI` set) it fails instead.\n"
        );
        trial.with_ignored_flag(true)
    };
    libtest_mimic::run(&args, vec![trial]).exit();
}

fn psych_agrees_with_our_loader_on_every_corpus_and_fixture_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&root.join("tests/corpus"), &mut files);
    yaml_files(&root.join("tests/fixtures"), &mut files);
    assert!(!files.is_empty(), "no YAML files found");

    let ruby = Command::new("ruby")
        .arg(root.join("tests/oracle/psych_dump.rb"))
        .args(&files)
        .output();
    let output = match ruby {
        Ok(o) if o.status.success() => o,
        other => panic!("the Psych oracle could not run (is `ruby` installed?): {other:?}"),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), files.len(), "one oracle line per file");

    let mut mismatches = Vec::new();
    let mut both_error = 0;
    for (path, line) in files.iter().zip(&lines) {
        let theirs: Value = serde_json::from_str(line).expect("oracle prints JSON");
        let ours = ours(path);
        let agree = match (theirs.get("error"), ours.get("error")) {
            (Some(_), Some(_)) => {
                both_error += 1;
                true
            }
            (None, None) => {
                theirs.get("ok").map(Value::to_string) == ours.get("ok").map(Value::to_string)
            }
            _ => false,
        };
        if !agree {
            mismatches.push(format!(
                "{}\n  psych:     {}\n  cachelint: {}",
                path.display(),
                truncate(&theirs.to_string()),
                truncate(&ours.to_string())
            ));
        }
    }
    eprintln!(
        "yaml oracle: {} files, {} agree ({} rejected by both), {} differ",
        files.len(),
        files.len() - mismatches.len(),
        both_error,
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {} files load differently:\n{}",
        mismatches.len(),
        files.len(),
        mismatches.join("\n")
    );
}

fn truncate(s: &str) -> String {
    if s.len() > 600 {
        let mut end = 600;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s.to_string()
    }
}
