//! The configurations the documentation gives are themselves clean: cachelint's own
//! .gitlab-ci.yml and the ready-to-paste job of docs/integrations/gitlab-ci.md.

use cachelint::{Options, check};
use std::path::Path;

fn findings(dir: &Path) -> Vec<String> {
    let outcome = check(
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
