//! What the documentation shows is real: cachelint's own .gitlab-ci.yml and the ready-to-paste
//! job of docs/integrations/gitlab-ci.md are clean, the pre-commit hook's `files` pattern matches
//! CI files, and the output printed in docs/getting-started.md and the README is the output.

use cachelint::fs::Disk;
use cachelint::{Options, check};
use std::path::Path;

fn findings(dir: &Path) -> Vec<String> {
    let outcome = check(
        &Disk,
        &[dir.join(".gitlab-ci.yml")],
        &Options {
            project_root: Some(dir.to_path_buf()),
            ..Options::default()
        },
    );
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    outcome
        .diagnostics
        .iter()
        .map(|(_, d)| format!("{}: {}", d.rule, d.message))
        .collect()
}

#[test]
fn the_projects_own_gitlab_ci_is_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(findings(root), Vec::<String>::new());
}

#[test]
fn the_documented_gitlab_ci_job_is_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/integrations/gitlab-ci.md")).expect("doc");
    let start = doc.find("```yaml\n").expect("a yaml block") + 8;
    let end = start + doc[start..].find("```").expect("closed");
    let dir = std::env::temp_dir().join(format!("cachelint-doc-job-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    std::fs::write(dir.join(".gitlab-ci.yml"), &doc[start..end]).expect("write");
    let found = findings(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn the_pre_commit_hook_runs_on_ci_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let hooks = std::fs::read_to_string(root.join(".pre-commit-hooks.yaml")).expect("hooks");
    let pattern = hooks
        .lines()
        .find_map(|l| l.trim().strip_prefix("files: "))
        .expect("files pattern")
        .trim_matches('\'');
    let re = regex::Regex::new(pattern).expect("valid regex");
    for path in [
        ".gitlab-ci.yml",
        ".gitlab/ci/build.yml",
        "ci/jobs.yaml",
        "sub/.gitlab-ci.yml",
    ] {
        assert!(re.is_match(path), "{path} should trigger the hook");
    }
    for path in ["src/main.rs", "docs/ci.md", "config.yml"] {
        assert!(!re.is_match(path), "{path} should not trigger the hook");
    }
    assert!(hooks.contains("pass_filenames: false"));
    assert!(hooks.contains("language: rust"));
}

/// The fenced blocks of a Markdown file whose info string is `lang`, in order.
fn blocks<'a>(doc: &'a str, lang: &str) -> Vec<&'a str> {
    let fence = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find(&fence) {
        let body = &rest[i + fence.len()..];
        let end = body.find("```").expect("closed block");
        out.push(&body[..end]);
        rest = &body[end..];
    }
    out
}

/// Runs `cachelint check` on `config` as a project's only file; returns the rendered report.
fn render_config(config: &str, format: cachelint::report::Format) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("doc-{}", config.len()));
    std::fs::create_dir_all(&dir).expect("tmp");
    std::fs::write(dir.join(".gitlab-ci.yml"), config).expect("write");
    let outcome = check(
        &Disk,
        &[dir.join(".gitlab-ci.yml")],
        &Options {
            project_root: Some(dir.clone()),
            ..Options::default()
        },
    );
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    cachelint::report::render(format, &outcome, false)
}

#[test]
fn the_getting_started_walkthrough_is_real() {
    use cachelint::report::Format;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/getting-started.md")).expect("doc");
    let configs: Vec<_> = blocks(&doc, "yaml")
        .into_iter()
        .filter(|b| b.starts_with("default:"))
        .collect();
    let [bad, fixed] = configs[..] else {
        panic!(
            "expected the configuration and its fix, found {}",
            configs.len()
        );
    };
    let consoles = blocks(&doc, "console");
    let concise = consoles
        .iter()
        .find(|b| b.contains("--format concise"))
        .expect("the concise run");
    let shown: String = concise.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert_eq!(shown, render_config(bad, Format::Concise));
    // The text excerpt is one finding of the real text output, character for character.
    let text = blocks(&doc, "text")[0];
    assert!(
        render_config(bad, Format::Text).contains(text),
        "the text excerpt differs from the output"
    );
    assert_eq!(render_config(fixed, Format::Concise), "");
    // And the README's quick start is the `readme` fixture with its real output.
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let fixture = std::fs::read_to_string(root.join("tests/fixtures/check/readme/.gitlab-ci.yml"))
        .expect("fixture");
    assert_eq!(blocks(&readme, "yaml")[0], fixture);
    let shown = blocks(&readme, "text")[0];
    let rendered = render_config(&fixture, Format::Text);
    let summary = shown
        .strip_prefix(rendered.as_str())
        .expect("the README shows the output");
    let re = regex::Regex::new(r"^3 warnings in 1 file, \d+ ms\n$").expect("regex");
    assert!(re.is_match(summary), "summary line {summary:?}");
}
