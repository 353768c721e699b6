//! Inputs that once crashed, hung or exhausted cachelint, each run through the real binary.
//!
//! Every run is guarded: the binary gets 2 GB of address space (`ulimit -v`) and is killed
//! after 60 seconds, so a regression fails the test instead of taking the machine with it.
//! These are guards against panics, hangs and runaway memory, not measurements: how fast the
//! same inputs run is measured by `scripts/bench.sh` (docs/reliability.md lists the numbers).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A fresh, empty project directory (a repository of its own) for one test.
fn project(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("hardening")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    dir
}

/// Runs `cachelint ARGS` in `dir` under the guards; `None` when it had to be killed.
fn run_in(dir: &Path, args: &[&str]) -> Option<Output> {
    let bin = env!("CARGO_BIN_EXE_cachelint");
    let mut script = String::from("ulimit -v 2000000; exec \"$0\"");
    for i in 1..=args.len() {
        script.push_str(&format!(" \"${i}\""));
    }
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .arg(bin)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cachelint");
    // Drain the pipes while waiting, so a large report cannot block the child.
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut b).ok();
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut b).ok();
        b
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Some(Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    })
}

/// `cachelint check` of `config` as a project's `.gitlab-ci.yml`, with `args` appended.
fn check(name: &str, config: &[u8], args: &[&str]) -> Output {
    let dir = project(name);
    std::fs::write(dir.join(".gitlab-ci.yml"), config).expect("write");
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    run_in(&dir, &all).unwrap_or_else(|| panic!("{name}: cachelint had to be killed"))
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Exits 0, 1 or 2 (no panic, no signal), for every report format.
fn survives(name: &str, config: &[u8]) -> Vec<Output> {
    ["text", "concise", "json", "codequality", "sarif", "github"]
        .iter()
        .map(|format| {
            let o = check(name, config, &["--format", format]);
            assert!(
                matches!(code(&o), 0..=2),
                "{name} --format {format}: exit {:?}\n{}",
                o.status,
                String::from_utf8_lossy(&o.stderr)
            );
            o
        })
        .collect()
}

#[test]
fn a_directive_with_a_multibyte_character_is_a_syntax_error() {
    for (name, text) in [
        ("directive-1", b"%\xc3\xa9".as_slice()),
        ("directive-2", b"%YAM\xc3\xa9L".as_slice()),
    ] {
        let runs = survives(name, text);
        assert!(stdout(&runs[1]).contains("error[yaml-syntax]"), "{name}");
    }
}

#[test]
fn findings_on_very_long_lines_render() {
    let key = "a".repeat(65_536);
    survives("long-key", format!("{key}: 1\n").as_bytes());
    let script = "x".repeat(70_000);
    let config = format!(
        "job: {{script: [\"{script}\"], cache: {{key: a, paths: [../x]}}}}\nother: {{script: [y], cache: {{key: a, paths: [b]}}}}\n"
    );
    let runs = survives("long-script", config.as_bytes());
    let text = stdout(&runs[0]);
    assert!(text.contains("cache-path-outside-project"), "{text}");
    // Shown through a window: no line of the report is as long as the one in the file.
    assert!(text.lines().all(|l| l.chars().count() < 1000));
}

/// `.r0` holds one script line; each `.rN` ten references to `.r(N-1)`.
fn reference_bomb(levels: usize) -> String {
    let mut s = String::from(".r0: {script: [echo]}\n");
    for n in 1..=levels {
        let refs = vec![format!("!reference [.r{}, script]", n - 1); 10].join(", ");
        s.push_str(&format!(".r{n}: {{script: [{refs}]}}\n"));
    }
    s.push_str(&format!(
        "job: {{script: [!reference [.r{levels}, script]]}}\n"
    ));
    s
}

#[test]
fn reference_bombs_stop_at_the_budget() {
    for levels in [6, 7] {
        let o = check(
            &format!("refbomb-{levels}"),
            reference_bomb(levels).as_bytes(),
            &["--format", "concise"],
        );
        assert_eq!(code(&o), 1);
        assert_eq!(
            stdout(&o).matches("[expansion-too-large]").count(),
            1,
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn long_chains_of_references_and_extends_are_bounded() {
    let mut refs = String::from(".c0: {script: [echo]}\n");
    let mut ext = String::from(".t0: {script: [echo]}\n");
    for n in 1..10_000 {
        refs.push_str(&format!(
            ".c{n}: {{script: [!reference [.c{}, script]]}}\n",
            n - 1
        ));
        ext.push_str(&format!(
            ".t{n}: {{extends: .t{}, variables: {{V{n}: x}}}}\n",
            n - 1
        ));
    }
    refs.push_str("job: {script: [!reference [.c9999, script]]}\n");
    ext.push_str("job: {extends: .t9999}\n");
    survives("reference-chain", refs.as_bytes());
    let runs = survives("extends-chain", ext.as_bytes());
    // One root cause, one finding: the chain crosses GitLab's limit once.
    assert_eq!(stdout(&runs[1]).matches("[extends-too-deep]").count(), 1);
}

#[test]
fn nested_complex_keys_stay_small() {
    survives(
        "complex-keys",
        format!("{}x: 1\n", "? ".repeat(22)).as_bytes(),
    );
    survives(
        "flow-keys",
        format!("{}a: 1{}\n", "{".repeat(22), "}: 1".repeat(22)).as_bytes(),
    );
}

#[test]
fn many_jobs_sharing_a_key_or_a_directory_report_a_few_names_each() {
    let mut shared = String::new();
    for i in 0..20_000 {
        shared.push_str(&format!(
            "job{i}:\n  script: [make]\n  cache:\n    key: shared\n    paths: [dir{i}/]\n"
        ));
    }
    let o = check("shared-key", shared.as_bytes(), &[]);
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    assert!(
        text.contains("20000 jobs use the cache key `shared`") && text.contains("and 19997 more"),
        "the count is exact"
    );
    assert_eq!(
        text.matches("cache-key-collision\n").count(),
        1,
        "one finding for the key"
    );
    let mut overlap = String::new();
    for i in 0..4_000 {
        let stage = if i % 2 == 0 { "build" } else { "test" };
        overlap.push_str(&format!(
            "job{i}:\n  stage: {stage}\n  script: [make]\n  cache: {{key: k{i}, paths: [build/]}}\n  artifacts: {{paths: [build/]}}\n"
        ));
    }
    let o = check("shared-build", overlap.as_bytes(), &["--format", "concise"]);
    assert_eq!(code(&o), 1);
    // Every line names at most three jobs and counts the rest.
    let longest = stdout(&o).lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 600, "a finding lists every job ({longest} bytes)");
}

#[test]
fn files_far_over_the_size_limit_are_not_read() {
    let dir = project("huge");
    let mut f = std::fs::File::create(dir.join(".gitlab-ci.yml")).expect("create");
    let line = "a".repeat(1023) + "\n";
    for _ in 0..(50 * 1024) {
        f.write_all(line.as_bytes()).expect("write");
    }
    drop(f);
    let o = run_in(&dir, &["check", "--format", "concise"]).expect("not killed");
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("cachelint does not read it either"));
}

#[test]
fn a_wildcard_over_thousands_of_files_stops_at_the_include_limit() {
    let dir = project("wildcard");
    std::fs::create_dir_all(dir.join("ci")).expect("mkdir");
    std::fs::write(dir.join(".gitlab-ci.yml"), "include: ci/*.yml\n").expect("write");
    for i in 0..5_000 {
        std::fs::write(
            dir.join(format!("ci/f{i}.yml")),
            format!("j{i}: {{script: [x]}}\n"),
        )
        .expect("write");
    }
    let o = run_in(&dir, &["check", "--format", "concise"]).expect("not killed");
    assert!(stdout(&o).contains("[too-many-includes]"));
    // 150 files, the root and nothing more were read.
    let summary = run_in(&dir, &["check"]).expect("not killed");
    assert!(
        stdout(&summary).contains("in 151 files"),
        "{}",
        stdout(&summary)
    );
}

#[test]
fn control_characters_are_syntax_errors_and_never_reach_the_terminal() {
    let o = check("control", b"a: \"b\x1b[31mc\"\njob: {script: [x]}\n", &[]);
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    assert!(text.contains("control character U+001B"), "{text}");
    assert!(
        !text.contains('\x1b'),
        "an escape sequence reached the output"
    );
}

#[test]
fn values_cannot_forge_report_lines() {
    let config = b"job:\n  script: [x]\n  cache:\n    key: k\n    paths: [\"../a\\n::error file=x::X\\u001b[2J\"]\n";
    for (format, lines) in [("concise", 1), ("text", 0)] {
        let o = check(&format!("inject-{format}"), config, &["--format", format]);
        let out = stdout(&o);
        assert!(!out.contains('\x1b'), "{format}: {out}");
        if lines > 0 {
            assert_eq!(out.lines().count(), lines, "{format}: {out}");
        }
        assert!(
            !out.lines().any(|l| l.starts_with("::error")),
            "{format}: {out}"
        );
    }
}

#[test]
fn the_configuration_file_is_not_read_through_a_link_out_of_the_project() {
    let dir = project("config-link");
    let secret = dir.parent().expect("parent").join("secret.toml");
    std::fs::write(&secret, "db_password = \"hunter2\"\n").expect("write");
    std::fs::write(dir.join(".gitlab-ci.yml"), "job: {script: [x]}\n").expect("write");
    std::os::unix::fs::symlink(&secret, dir.join("cachelint.toml")).expect("symlink");
    let o = run_in(&dir, &["check"]).expect("not killed");
    assert_eq!(code(&o), 2);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("outside the project"), "{err}");
    assert!(!err.contains("db_password"), "{err}");
}

#[test]
fn a_fifo_given_as_the_configuration_is_refused_at_once() {
    let dir = project("fifo-root");
    let made = Command::new("mkfifo")
        .arg(dir.join(".gitlab-ci.yml"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let o = run_in(&dir, &["check"]).expect("cachelint waited on the FIFO");
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a regular file"));
}

#[test]
fn output_keeps_modes_follows_links_and_never_replaces_an_input() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project("output");
    std::fs::write(dir.join(".gitlab-ci.yml"), "job: {script: [x]}\n").expect("write");
    // A report replacing a private file stays private.
    let report = dir.join("report.json");
    std::fs::write(&report, "old").expect("write");
    std::fs::set_permissions(&report, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let o = run_in(&dir, &["check", "--format", "json", "-o", "report.json"]).expect("run");
    assert_eq!(code(&o), 0);
    let mode = std::fs::metadata(&report)
        .expect("report")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    // A dangling link: the file it names is created and the link stays.
    std::os::unix::fs::symlink("out/made.json", dir.join("link.json")).expect("symlink");
    std::fs::create_dir_all(dir.join("out")).expect("mkdir");
    let o = run_in(&dir, &["check", "--format", "json", "-o", "link.json"]).expect("run");
    assert_eq!(code(&o), 0);
    assert!(
        std::fs::symlink_metadata(dir.join("link.json"))
            .expect("link")
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(dir.join("out/made.json"))
            .expect("made")
            .contains("findings")
    );
    // The configuration itself is never overwritten.
    let o = run_in(&dir, &["check", "--format", "json", "-o", ".gitlab-ci.yml"]).expect("run");
    assert_eq!(code(&o), 2);
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitlab-ci.yml")).expect("config"),
        "job: {script: [x]}\n"
    );
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(left.is_empty());
    // A FIFO nobody reads is an error, not a wait.
    let fifo = dir.join("nobody.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let o = run_in(&dir, &["check", "-o", "nobody.fifo"]).expect("cachelint waited on the FIFO");
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("no process reads"));
}

#[test]
fn the_graph_of_a_huge_pipeline_is_grouped_and_bounded() {
    // 20 000 jobs, each with its own key, every other one downloading the artifacts of the
    // earlier stage over its cache.
    let mut text = String::from("stages: [build, test]\n");
    for i in 0..20_000 {
        let stage = if i % 2 == 0 { "build" } else { "test" };
        text.push_str(&format!(
            "job{i}:\n  stage: {stage}\n  script: [make]\n  cache: {{key: k{i}, paths: [build/]}}\n  artifacts: {{paths: [build/]}}\n"
        ));
    }
    let dir = project("huge-graph");
    std::fs::write(dir.join(".gitlab-ci.yml"), &text).expect("write");
    for format in ["mermaid", "dot"] {
        let o = run_in(&dir, &["graph", "--format", format])
            .unwrap_or_else(|| panic!("graph --format {format} had to be killed"));
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        let out = stdout(&o);
        assert!(
            out.contains("each stage is drawn as one node")
                && out.contains("10000 jobs")
                && out.contains(" other keys"),
            "grouped: {}",
            &out[..out.len().min(2000)]
        );
        // Within what Mermaid draws by default (50 000 characters, 500 edges); the DOT of the
        // same graph is longer.
        let limit = if format == "mermaid" { 50_000 } else { 150_000 };
        assert!(out.len() < limit, "{format}: {} bytes", out.len());
        assert!(out.matches(" -> ").count() + out.matches("-->").count() <= 520);
    }
}

/// Many findings are rendered on several threads: the text report still shows every one, in
/// the order of the file, each once.
#[test]
fn many_findings_in_text_come_in_order() {
    let mut config = String::new();
    for i in 0..1_000 {
        config.push_str(&format!(
            "job{i}:\n  script: [make]\n  cache:\n    key: k{i}\n    paths: [../out{i}]\n"
        ));
    }
    let o = check("many-findings", config.as_bytes(), &[]);
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    let lines: Vec<u32> = text
        .lines()
        .filter_map(|l| {
            let at = l.split_once("─[.gitlab-ci.yml:")?.1;
            at.split(':').next()?.parse().ok()
        })
        .collect();
    let want: Vec<u32> = (0..1_000).map(|i| 5 * i + 5).collect();
    assert_eq!(lines, want, "one finding per job, in file order");
    for i in [0, 499, 500, 999] {
        assert_eq!(
            text.matches(&format!("`../out{i}`")).count(),
            1,
            "job{i}'s finding once"
        );
    }
}

/// A file over the byte limit is refused before GitLab parses it: one finding, not a second
/// one for the memory it would take loaded.
#[test]
fn a_file_over_the_byte_limit_is_one_finding() {
    let config = format!(
        "job:\n  script: [make]\n  variables:\n    BIG: \"{}\"\n",
        "x".repeat(2_200_000)
    );
    let o = check(
        "over-byte-limit",
        config.as_bytes(),
        &["--format", "concise"],
    );
    assert_eq!(code(&o), 1);
    let text = stdout(&o);
    assert_eq!(text.matches("yaml-too-large").count(), 1, "{text}");
    assert!(text.contains("The provided YAML is too big"), "{text}");
}

#[test]
fn input_bombs_stop_at_the_budget() {
    // A list input of 2 000 items placed whole 5 000 times: ten million values.
    let mut list = String::from("spec:\n  inputs:\n    a:\n      type: array\n      default: [");
    for i in 0..2_000 {
        list.push_str(&format!("x{i},"));
    }
    list.push_str("x]\n---\njob:\n  script: [echo]\n  variables:\n");
    for i in 0..5_000 {
        list.push_str(&format!("    k{i}: $[[ inputs.a ]]\n"));
    }
    let runs = survives("input-list-bomb", list.as_bytes());
    assert!(
        stdout(&runs[1]).contains("[invalid-interpolation]"),
        "{}",
        stdout(&runs[1])
    );
    // A 100 KB string input inside 2 000 strings: 200 MB of text.
    let long = "y".repeat(100_000);
    let mut text =
        format!("spec:\n  inputs:\n    s:\n      default: {long}\n---\njob:\n  script:\n");
    for _ in 0..2_000 {
        text.push_str("    - echo $[[ inputs.s ]] $[[ inputs.s ]]\n");
    }
    let runs = survives("input-string-bomb", text.as_bytes());
    assert!(
        stdout(&runs[1]).contains("[invalid-interpolation]"),
        "{}",
        stdout(&runs[1])
    );
}
