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
        ".github/workflows/ci.yml",
        ".github/workflows/release.yaml",
        ".github/actions/setup/action.yml",
    ] {
        assert!(re.is_match(path), "{path} should trigger the hook");
    }
    for path in [
        "src/main.rs",
        "docs/ci.md",
        "config.yml",
        ".github/dependabot.yml",
    ] {
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
    let re = regex::Regex::new(r"^2 warnings in 1 file, \d+ ms\n$").expect("regex");
    assert!(re.is_match(summary), "summary line {summary:?}");
}

/// The user-facing Markdown files: README.md and docs/ (not the rule index, which is
/// generated, nor the developers' notes on the oracles, whose fragments show failures on
/// purpose).
fn user_docs() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![root.join("README.md")];
    let mut stack = vec![root.join("docs")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("docs").flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with("reference") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "md")
                && ![
                    "rules.md",
                    "oracle-gitlab-ci-local.md",
                    "psych-behaviour.md",
                ]
                .iter()
                .any(|n| p.ends_with(n))
            {
                paths.push(p);
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("doc");
            (p.display().to_string(), text)
        })
        .collect()
}

#[test]
fn every_yaml_example_of_the_docs_loads_and_every_suppression_suppresses() {
    let mut checked = 0;
    for (path, doc) in user_docs() {
        for block in blocks(&doc, "yaml") {
            if block.starts_with("repos:") {
                // A .pre-commit-config.yaml: it must be YAML, nothing more.
                let parsed = cachelint::yaml::parse_file(
                    cachelint::source::FileId(0),
                    block,
                    &cachelint::yaml::Limits::default(),
                );
                assert!(!parsed.failed, "{path}: {block}");
                continue;
            }
            let mut fs = cachelint::fs::Memory::new().with_cwd("/p");
            fs.insert(".gitlab-ci.yml", block);
            let outcome = check(
                &fs,
                &[std::path::PathBuf::from(".gitlab-ci.yml")],
                &Options {
                    project_root: Some("/p".into()),
                    ..Options::default()
                },
            );
            let found: Vec<String> = outcome
                .diagnostics
                .iter()
                .map(|(_, d)| format!("{}: {}", d.rule, d.message))
                .collect();
            assert!(
                !found.iter().any(|f| f.starts_with("yaml-")),
                "{path}: an example does not load:\n{block}\n{found:?}"
            );
            // An example with a suppression comment silences exactly what it names.
            if block.contains("cachelint: ignore") {
                assert!(
                    found.is_empty(),
                    "{path}: the suppression example leaves {found:?}:\n{block}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} examples found");
}

#[test]
fn every_documented_cachelint_command_runs() {
    // In a repository of its own (with a subdirectory, to run from there too), holding the
    // getting-started configuration.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("documented-commands");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    let doc = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/getting-started.md"),
    )
    .expect("doc");
    let config = blocks(&doc, "yaml")
        .into_iter()
        .find(|b| b.starts_with("default:"))
        .expect("a configuration");
    std::fs::write(dir.join(".gitlab-ci.yml"), config).expect("write");
    let mut commands = Vec::new();
    for (path, doc) in user_docs() {
        for block in blocks(&doc, "console") {
            for line in block.lines() {
                let Some(cmd) = line.strip_prefix("$ cachelint ") else {
                    continue;
                };
                let cmd = cmd.split(" #").next().unwrap_or(cmd).trim();
                commands.push((path.clone(), cmd.to_string()));
            }
        }
    }
    assert!(commands.len() >= 3, "{commands:?}");
    for (path, cmd) in commands {
        for cwd in [dir.clone(), dir.join("sub")] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_cachelint"))
                .args(cmd.split_whitespace())
                .current_dir(&cwd)
                .output()
                .expect("run cachelint");
            let code = out.status.code().unwrap_or(-1);
            assert!(
                code == 0 || code == 1,
                "{path}: `cachelint {cmd}` in {} exited {code}: {}",
                cwd.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn the_worked_example_of_the_architecture_page_is_the_real_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/architecture.md")).expect("doc");
    let file = std::fs::read_to_string(root.join("src/rules/too_many_fallback_keys.rs"))
        .expect("rule file");
    assert!(
        blocks(&doc, "rust").contains(&file.as_str()),
        "docs/architecture.md must show src/rules/too_many_fallback_keys.rs as it is"
    );
}

#[test]
fn the_documented_github_workflow_is_clean() {
    use cachelint::fs::Memory;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc =
        std::fs::read_to_string(root.join("docs/integrations/github-actions.md")).expect("doc");
    let workflow = blocks(&doc, "yaml")[0];
    let mut fs = Memory::new().with_cwd("/project");
    fs.insert(".github/workflows/cachelint.yml", workflow);
    fs.insert(".git/HEAD", "ref: refs/heads/main\n");
    let outcome = check(
        &fs,
        &[std::path::PathBuf::from(".github/workflows/cachelint.yml")],
        &Options {
            project_root: Some("/project".into()),
            ..Options::default()
        },
    );
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert!(outcome.analyses.iter().all(|a| a.is_workflow()));
    assert_eq!(outcome.diagnostics.len(), 0, "{:?}", outcome.diagnostics);
}
