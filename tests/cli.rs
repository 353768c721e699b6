//! The command line as a user runs it: exit codes, `--fail-on`, `--quiet`, the summary line and
//! `--output`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/check")
        .join(name)
}

/// `cachelint check` on a fixture directory's `.gitlab-ci.yml`, with `args` appended.
fn check(name: &str, args: &[&str]) -> Output {
    let dir = fixture(name);
    Command::new(env!("CARGO_BIN_EXE_cachelint"))
        .arg("check")
        .arg("--project-root")
        .arg(&dir)
        .arg(dir.join(".gitlab-ci.yml"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cachelint")
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn exit_codes_follow_fail_on() {
    // readme: two warnings. includes-unresolved: infos only. references-valid: nothing.
    // jobs-classification: errors.
    assert_eq!(code(&check("readme", &[])), 1);
    assert_eq!(code(&check("readme", &["--fail-on", "error"])), 0);
    assert_eq!(code(&check("readme", &["--fail-on", "info"])), 1);
    assert_eq!(code(&check("includes-unresolved", &[])), 0);
    assert_eq!(
        code(&check("includes-unresolved", &["--fail-on", "info"])),
        1
    );
    assert_eq!(code(&check("references-valid", &["--fail-on", "info"])), 0);
    assert_eq!(
        code(&check("jobs-classification", &["--fail-on", "error"])),
        1
    );
}

#[test]
fn usage_and_io_errors_exit_with_2() {
    assert_eq!(code(&check("readme", &["--fail-on", "bogus"])), 2);
    assert_eq!(code(&check("readme", &["--format", "xml"])), 2);
    let missing = Command::new(env!("CARGO_BIN_EXE_cachelint"))
        .args(["check", "/nonexistent/.gitlab-ci.yml"])
        .output()
        .expect("run");
    assert_eq!(code(&missing), 2);
    // A repository of its own (the scratch directory is inside this one's target/).
    let empty = scratch("no-config");
    std::fs::create_dir_all(empty.join(".git")).expect("mkdir");
    let none = Command::new(env!("CARGO_BIN_EXE_cachelint"))
        .arg("check")
        .current_dir(&empty)
        .output()
        .expect("run");
    assert_eq!(code(&none), 2);
    assert!(String::from_utf8_lossy(&none.stderr).contains("no .gitlab-ci.yml"));
    let out = scratch("unwritable").join("missing-dir/report.json");
    let o = check("readme", &["--output", out.to_str().unwrap_or_default()]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write the report"));
}

#[test]
fn text_output_ends_with_a_summary_line() {
    let o = check("readme", &[]);
    let text = stdout(&o);
    let last = text.lines().last().unwrap_or_default();
    let re = regex::Regex::new(r"^2 warnings in 1 file, \d+ ms$").expect("regex");
    assert!(re.is_match(last), "summary line: {last:?}");

    let last = stdout(&check("references-valid", &[]));
    let re = regex::Regex::new(r"^no findings in \d+ files?, \d+ ms\n$").expect("regex");
    assert!(re.is_match(&last), "clean summary: {last:?}");

    let mixed = stdout(&check("jobs-classification", &[]));
    let re =
        regex::Regex::new(r"\n2 errors(, \d+ warnings?)?(, \d+ info)? in \d+ files?, \d+ ms\n$")
            .expect("regex");
    assert!(re.is_match(&mixed), "mixed summary: {mixed:?}");

    // Machine formats carry no summary line.
    let concise = stdout(&check("readme", &["--format", "concise"]));
    assert_eq!(concise.lines().count(), 2);
    assert!(concise.lines().all(|l| l.contains(": warning[")));
}

#[test]
fn quiet_prints_only_what_fails_the_check() {
    // Clean: nothing at all.
    let o = check("references-valid", &["--quiet"]);
    assert_eq!((code(&o), stdout(&o)), (0, String::new()));
    // Infos below the threshold are not printed.
    let o = check("includes-unresolved", &["-q"]);
    assert_eq!((code(&o), stdout(&o)), (0, String::new()));
    // Findings at the threshold are printed, without the summary.
    let o = check("readme", &["--quiet"]);
    let text = stdout(&o);
    assert_eq!(code(&o), 1);
    assert_eq!(text.matches("cache-key-collision\n").count(), 1);
    assert!(!text.contains(" ms\n"), "no summary line: {text}");
}

#[test]
fn output_is_written_whole_and_nothing_else_is_left() {
    let dir = scratch("output");
    let report = dir.join("gl-code-quality-report.json");
    std::fs::write(&report, "stale").expect("seed");
    let o = check(
        "readme",
        &[
            "--format",
            "codequality",
            "--output",
            report.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "", "the report goes to the file, not stdout");
    let written = std::fs::read_to_string(&report).expect("report");
    let json: serde_json::Value = serde_json::from_str(&written).expect("valid JSON");
    assert_eq!(json.as_array().map(Vec::len), Some(2));
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(
        names,
        vec![report.file_name().unwrap_or_default().to_owned()]
    );
}

#[test]
fn output_through_a_symlink_keeps_the_link() {
    let dir = scratch("output-link");
    let real = dir.join("real.json");
    let link = dir.join("report.json");
    std::fs::write(&real, "stale").expect("seed");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let o = check(
        "readme",
        &[
            "--format",
            "json",
            "--output",
            link.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(code(&o), 1);
    let meta = std::fs::symlink_metadata(&link).expect("link");
    assert!(
        meta.file_type().is_symlink(),
        "the link was replaced by a file"
    );
    let written = std::fs::read_to_string(&real).expect("report");
    assert!(written.contains("cache-key-collision"), "{written}");
}

/// `--output` to a named pipe (like `/dev/null` or `/dev/stdout`, not a regular file) writes
/// into it; renaming a file over it would replace the device for everyone.
#[test]
fn output_to_a_special_file_writes_into_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = scratch("output-fifo");
    let fifo = dir.join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    // A reader in another process, bounded in time: if cachelint replaced the pipe instead of
    // writing into it, the reader gives up after 20 s and the test fails rather than hangs.
    let reader = Command::new("timeout")
        .arg("20")
        .arg("cat")
        .arg(&fifo)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("reader");
    let o = check(
        "readme",
        &[
            "--format",
            "concise",
            "--output",
            fifo.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(code(&o), 1, "{}", String::from_utf8_lossy(&o.stderr));
    let received =
        String::from_utf8_lossy(&reader.wait_with_output().expect("reader").stdout).into_owned();
    assert_eq!(received.lines().count(), 2, "{received}");
    let meta = std::fs::symlink_metadata(&fifo).expect("fifo");
    assert!(
        meta.file_type().is_fifo(),
        "the fifo was replaced by a file"
    );
}

/// `cachelint graph` on a fixture of tests/fixtures/graph, with `args` appended.
fn graph(name: &str, args: &[&str]) -> Output {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/graph")
        .join(name);
    Command::new(env!("CARGO_BIN_EXE_cachelint"))
        .arg("graph")
        .arg("--project-root")
        .arg(&dir)
        .arg(&dir)
        .args(args)
        .output()
        .expect("run cachelint")
}

#[test]
fn graph_prints_mermaid_or_dot_and_findings_do_not_change_the_exit_code() {
    // uv-matrix has a warning, which `check` reports with exit code 1; the graph shows it.
    let o = graph("uv-matrix", &[]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    assert!(text.starts_with("flowchart LR\n"), "{text}");
    assert!(text.contains("warning: cache-shared-across-runtimes"));
    let o = graph("uv-matrix", &["--format", "dot"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).starts_with("digraph cache_flow {\n"));
    // Usage errors and unreadable configurations exit with 2.
    assert_eq!(code(&graph("uv-matrix", &["--format", "svg"])), 2);
    let missing = Command::new(env!("CARGO_BIN_EXE_cachelint"))
        .args(["graph", "/nonexistent/.gitlab-ci.yml"])
        .output()
        .expect("run");
    assert_eq!(code(&missing), 2);
    // Help shows an example.
    let help = Command::new(env!("CARGO_BIN_EXE_cachelint"))
        .args(["graph", "--help"])
        .output()
        .expect("run");
    assert_eq!(code(&help), 0);
    assert!(stdout(&help).contains("cachelint graph --format dot --output"));
}

#[test]
fn graph_output_is_written_like_a_report() {
    let dir = scratch("graph-output");
    let file = dir.join("flow.mmd");
    std::fs::write(&file, "stale").expect("seed");
    let o = graph(
        "artifact-over-cache",
        &["--output", file.to_str().unwrap_or_default()],
    );
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o), "");
    let written = std::fs::read_to_string(&file).expect("graph");
    assert!(written.starts_with("flowchart LR\n") && written.contains("artifacts: node_modules/"));
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(names.len(), 1, "a temporary file was left: {names:?}");
    // Never over the configuration it read, nor into a missing directory.
    let config =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph/uv-matrix/.gitlab-ci.yml");
    let before = std::fs::read_to_string(&config).expect("config");
    let o = graph(
        "uv-matrix",
        &["--output", config.to_str().unwrap_or_default()],
    );
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write the graph"));
    assert_eq!(std::fs::read_to_string(&config).expect("config"), before);
    let o = graph(
        "uv-matrix",
        &[
            "--output",
            dir.join("missing/flow.mmd").to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(code(&o), 2);
}

#[test]
fn workflows_are_found_and_taken_as_paths() {
    let dir = scratch("workflows");
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    std::fs::create_dir_all(dir.join(".github/workflows")).expect("mkdir");
    let workflow = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/cache@v4\n        with:\n          path: ~/.cache/pip\n          key: pip-${{ hashFiles('requirements.txt') }}\n          save-always: true # cachelint: ignore[gha-hashfiles-no-match]\n";
    std::fs::write(dir.join(".github/workflows/ci.yaml"), workflow).expect("write");
    std::fs::write(dir.join(".github/workflows/notes.md"), "not a workflow").expect("write");
    std::fs::write(dir.join("requirements.txt"), "pytest\n").expect("write");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cachelint"))
            .args(args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .output()
            .expect("run")
    };
    // No .gitlab-ci.yml: the workflows are checked (info only: exit 0).
    let o = run(&["check", "--format", "concise"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o).starts_with(".github/workflows/ci.yaml:11:11: info[gha-save-always-deprecated]"),
        "{}",
        stdout(&o)
    );
    // Given as a path, from a subdirectory.
    let o = Command::new(env!("CARGO_BIN_EXE_cachelint"))
        .args([
            "check",
            "--format",
            "github",
            "../.github/workflows/ci.yaml",
        ])
        .current_dir(dir.join(".github"))
        .output()
        .expect("run");
    assert!(
        stdout(&o).contains("::notice file=.github/workflows/ci.yaml,line=11"),
        "{}",
        stdout(&o)
    );
    // The suppression comment names a rule that has nothing to suppress here: reported.
    let o = run(&["check", "--format", "concise", "--fail-on", "info"]);
    assert_eq!(code(&o), 1);
    // A workflow outside .github/workflows/ (a copy, an example) is recognised by its keys.
    std::fs::write(dir.join("example.yml"), workflow).expect("write");
    let o = run(&["check", "--format", "concise", "example.yml"]);
    assert!(
        stdout(&o).starts_with("example.yml:11:11: info[gha-save-always-deprecated]"),
        "{}",
        stdout(&o)
    );
    // `show` and `graph` read GitLab configurations only.
    let o = run(&["show", ".github/workflows/ci.yaml"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("a GitHub Actions workflow"));
}
