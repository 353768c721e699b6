//! GitLab's caching guide (tests/fixtures/caching-guide, every example verbatim) against the
//! cache flow rules: GitLab's own advice must come out clean, except the one example that
//! cannot work as written.

use cachelint::fs::Memory;
use cachelint::{Options, check};
use std::path::{Path, PathBuf};

/// The cache flow rules, which reason about how cache content moves between jobs.
const FLOW_RULES: &[&str] = &[
    "cache-pull-without-push",
    "cache-pusher-may-not-run",
    "cache-shared-across-runtimes",
    "cache-tool-not-redirected",
    "cache-dir-not-cached",
    "cache-unprotected",
    "cache-fallback-key-unmatched",
    "cache-key-per-pipeline",
];

/// The findings of the flow rules on one example.
fn flow_findings(text: &str) -> Vec<String> {
    let mut fs = Memory::new().with_cwd("/project");
    fs.insert(".gitlab-ci.yml", text);
    let outcome = check(
        &fs,
        &[PathBuf::from(".gitlab-ci.yml")],
        &Options {
            project_root: Some(PathBuf::from("/project")),
            ..Options::default()
        },
    );
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    outcome
        .diagnostics
        .iter()
        .filter(|(_, d)| FLOW_RULES.contains(&d.rule.name()))
        .map(|(_, d)| format!("{} {}", d.rule, d.message))
        .collect()
}

#[test]
fn the_caching_guide_is_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/caching-guide");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the guide's examples are missing");
    let mut problems = Vec::new();
    for path in files {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("example");
        let found = flow_findings(&text);
        let expected: &[&str] = match name.as_str() {
            "global-fallback-key" => &["cache-fallback-key-unmatched"],
            _ => &[],
        };
        let rules: Vec<&str> = found
            .iter()
            .map(|f| f.split(' ').next().unwrap_or(""))
            .collect();
        if rules != expected {
            problems.push(format!("{name}: expected {expected:?}, got {found:#?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
