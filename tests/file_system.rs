//! Loading through the file-system seam: the same checks over files in memory as over the
//! disk, and the path-safety guarantees (nothing outside the project, no link out of it, only
//! regular files) whatever the file system.

use cachelint::fs::Memory;
use cachelint::{Options, check};
use std::path::PathBuf;

fn findings(fs: &Memory<'_>, root: &str) -> (Vec<String>, Vec<String>) {
    let outcome = check(
        fs,
        &[PathBuf::from(root)],
        &Options {
            project_root: Some(PathBuf::from("/p")),
            ..Options::default()
        },
    );
    (
        outcome
            .diagnostics
            .iter()
            .map(|(_, d)| format!("{}: {}", d.rule, d.message))
            .collect(),
        outcome.errors.iter().map(|e| e.message.clone()).collect(),
    )
}

#[test]
fn includes_and_wildcards_work_in_memory() {
    let mut fs = Memory::new().with_cwd("/p");
    fs.insert(
        ".gitlab-ci.yml",
        "include: [ci/*.yml]\ntest:\n  extends: .base\n  script: [make]\n",
    );
    fs.insert(
        "ci/base.yml",
        ".base:\n  cache: {key: k, paths: [~/.npm]}\n",
    );
    let (found, errors) = findings(&fs, ".gitlab-ci.yml");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("cache-path-outside-project"),
        "{found:?}"
    );
}

#[test]
fn nothing_outside_the_project_is_read() {
    let mut fs = Memory::new().with_cwd("/p");
    fs.insert(
        ".gitlab-ci.yml",
        "include:\n  - local: ../secret.yml\n  - local: ci/link.yml\n  - local: ci/dir.yml\njob: {script: [x]}\n",
    );
    fs.insert("/secret.yml", "leak: {script: [x]}\n");
    fs.insert("/elsewhere/other.yml", "leak2: {script: [x]}\n");
    fs.link("ci/link.yml", "/elsewhere/other.yml");
    fs.dir("ci/dir.yml");
    let (found, _) = findings(&fs, ".gitlab-ci.yml");
    let joined = found.join("\n");
    assert!(
        joined.contains("`../secret.yml` is outside the project"),
        "{joined}"
    );
    assert!(
        joined.contains("`ci/link.yml` is a link to a file outside the project"),
        "{joined}"
    );
    assert!(joined.contains("`ci/dir.yml` is not a file"), "{joined}");
    assert!(!joined.contains("leak"), "{joined}");
}

#[test]
fn the_configuration_file_is_not_read_through_a_link_out() {
    let mut fs = Memory::new().with_cwd("/p");
    fs.insert(".gitlab-ci.yml", "job: {script: [x]}\n");
    fs.insert("/etc/shadow", "db_password = \"hunter2\"\n");
    fs.link("cachelint.toml", "/etc/shadow");
    let (_, errors) = findings(&fs, ".gitlab-ci.yml");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("link to a file outside the project"),
        "{errors:?}"
    );
    assert!(!errors[0].contains("db_password"), "{errors:?}");
}

#[test]
fn a_directory_given_as_the_root_is_refused_clearly() {
    let mut fs = Memory::new().with_cwd("/p");
    fs.insert("sub/.gitlab-ci.yml", "job: {script: [x]}\n");
    let (_, errors) = findings(&fs, "sub");
    assert_eq!(errors, ["cannot read it: it is a directory"]);
}
