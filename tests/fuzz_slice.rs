//! The short, deterministic slice of the whole-pipeline fuzzer that CI runs (the fuzzer itself:
//! `fuzz/`, docs/reliability.md "Fuzzing"). No external tool: the same harness
//! (`fuzz/harness.rs`: an in-memory project with includes, loaded, resolved, modelled, checked by
//! every rule, rendered by every reporter and `show` view, with its invariants) runs on
//!
//! - every input the fuzzer found a problem with (`tests/fixtures/fuzz/*.fuzz`), and
//! - deterministic mutations of the seed corpus: every project and YAML file of tests/corpus
//!   and tests/fixtures, and the hand-written multi-file seeds of fuzz/seeds/.
//!
//! It extends tests/robustness.rs (which stays: it mutates every file 12 times through the YAML
//! layer alone, which is cheap) to the whole pipeline: the same kind of mutations (its pieces,
//! and GitLab keywords and file separators besides), with the YAML layer's invariants among the
//! harness's (no caught panic, every span inside its file and on character boundaries, the
//! canonical JSON of every file built).
//!
//! `CACHELINT_FUZZ_ITERATIONS=N` mutates each single-file seed N times and each multi-file seed
//! 3N times (default 6).

#[path = "../fuzz/harness.rs"]
mod harness;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// What a mutation inserts: YAML's special characters and constructs, GitLab keywords and the
/// harness's file separator (so mutations move text between files).
const PIECES: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ":",
    ": ",
    "- ",
    "\n",
    "\n  ",
    "\t",
    "&a ",
    "*a",
    "<<: ",
    "<<: *a\n",
    "!reference ",
    "!reference [.a, script]",
    "!!str ",
    "!foo ",
    "\"",
    "'",
    "|\n",
    ">-\n",
    "#",
    "---\n",
    "...\n",
    "%YAML 1.1\n",
    "?",
    ",",
    "é",
    "😀",
    "\u{feff}",
    "\r\n",
    "~",
    "0x1F",
    "2024-01-02",
    ":sym",
    "&b [*b]",
    "&c {<<: *c}",
    "extends: ",
    "extends: [.a, .b]",
    "include: ",
    "include: ci/*.yml\n",
    "include:\n  - local: ci/a.yml\n",
    "cache: ",
    "key: ",
    "paths: ",
    "files: [a, b]",
    "policy: push",
    "parallel: ",
    "matrix:\n  - A: [1, 2]\n",
    "spec:\n  inputs:\n    x:\n      default: 1\n---\n",
    "$[[ inputs.x ]]",
    "$[[ inputs.x | posix_escape | truncate(1, 2) ]]",
    "$[[ inputs.y | split(',') ]]",
    "spec:\n  inputs:\n    y:\n      type: array\n      default: [a, b]\n    z:\n      options: [a]\n      regex: ^a\n---\n",
    "include:\n  - local: ci/a.yml\n    inputs:\n      x: 2\n    rules:\n      - exists: [ci/*.yml]\n",
    "include:\n  - component: $CI_SERVER_FQDN/$CI_PROJECT_PATH/a@1\n",
    "$CI_COMMIT_REF_NAME",
    "../",
    "\n#@@\n",
    "\n#@@ ci/a.yml\n",
    "\n#@@ ci/b.yml\n",
    "\n#@@ cachelint.toml\n[rules]\nignore = [\"job-without-script\"]\n",
    "# cachelint: ignore[duplicate-key]",
    "${{ hashFiles('**/x') }}",
    "${{ format('{0}', runner.os) }}",
    "uses: actions/cache@v4\n",
    "uses: ./.github/actions/a\n",
    "\n#@@ .github/actions/a/action.yml\nruns:\n  using: composite\n  steps: []\n",
];

/// Deletes ranges and inserts pieces, on character boundaries (the input stays UTF-8, as the
/// YAML-layer robustness test always had it; the fixtures cover other bytes).
fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut s = text.to_string();
    for _ in 0..1 + rng.below(6) {
        let mut at = rng.below(s.len() + 1);
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        match rng.below(3) {
            0 => {
                let mut end = (at + rng.below(20)).min(s.len());
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                s.replace_range(at..end, "");
            }
            _ => s.insert_str(at, PIECES[rng.below(PIECES.len())]),
        }
    }
    s
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
}

/// The seeds, in a fixed order, each with its weight (how many times it is mutated, in units of
/// `CACHELINT_FUZZ_ITERATIONS`): every file alone (its first 4 KB), then every project packed
/// with its other files (each cut to 2 KB) and the hand-written multi-file seeds, which exercise
/// includes and so count thrice.
fn seeds() -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    yaml_files(&repo().join("tests/corpus"), &mut files);
    yaml_files(&repo().join("tests/fixtures"), &mut files);
    for f in &files {
        if let Ok(t) = std::fs::read_to_string(f) {
            // A GitHub Actions workflow is checked as one (beside an empty `.gitlab-ci.yml`).
            let text = if f.parent().is_some_and(|d| d.ends_with(".github/workflows")) {
                String::from_utf8_lossy(&harness::encode(&[
                    (harness::ROOT, b"".as_slice()),
                    (".github/workflows/ci.yml", cut(&t, 4096).as_bytes()),
                ]))
                .into_owned()
            } else {
                cut(&t, 4096).to_string()
            };
            out.push((f.display().to_string(), text, 1));
        }
    }
    for f in files.iter().filter(|f| f.ends_with(harness::ROOT)) {
        let dir = f.parent().unwrap_or(Path::new("."));
        let mut others = Vec::new();
        yaml_files(dir, &mut others);
        others.retain(|o| o != f);
        if others.is_empty() {
            continue;
        }
        others.truncate(harness::MAX_FILES - 1);
        let mut texts = vec![(harness::ROOT.to_string(), read_cut(f))];
        for o in &others {
            let rel = o.strip_prefix(dir).unwrap_or(o).display().to_string();
            texts.push((rel, read_cut(o)));
        }
        let parts: Vec<(&str, &[u8])> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_bytes()))
            .collect();
        let packed = String::from_utf8_lossy(&harness::encode(&parts)).into_owned();
        out.push((format!("project {}", dir.display()), packed, 3));
    }
    let mut hand = Vec::new();
    yaml_files(&repo().join("fuzz/seeds"), &mut hand);
    for f in hand {
        if let Ok(t) = std::fs::read_to_string(&f) {
            out.push((f.display().to_string(), t, 3));
        }
    }
    out
}

fn cut(t: &str, max: usize) -> &str {
    let mut end = t.len().min(max);
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    &t[..end]
}

fn read_cut(p: &Path) -> String {
    cut(&std::fs::read_to_string(p).unwrap_or_default(), 2048).to_string()
}

/// Runs the harness, turning a panic into its message.
fn run(data: &[u8], mode: harness::Mode) -> Result<harness::Stats, String> {
    catch_unwind(AssertUnwindSafe(|| harness::run_with(data, mode))).map_err(|e| {
        e.downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "a panic".into())
    })
}

/// Saves a failing input where the failure message says, so that it can become a fixture.
fn save(data: &[u8], what: &str) -> String {
    let dir = std::env::temp_dir().join("cachelint-fuzz-slice");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{what}.fuzz"));
    let _ = std::fs::write(&path, data);
    path.display().to_string()
}

#[test]
fn mutated_seeds_never_break_the_pipeline() {
    let iterations: usize = std::env::var("CACHELINT_FUZZ_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let seeds = seeds();
    assert!(seeds.len() > 300, "seed corpus missing: {}", seeds.len());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut runs, mut multi, mut diagnostics, mut jobs) = (0, 0, 0, 0);
    let started = Instant::now();
    for (i, (name, text, weight)) in seeds.iter().enumerate() {
        for n in 0..iterations * weight {
            let input = mutate(&mut rng, text);
            // Known broken invariants (tests/fixtures/fuzz/open.txt) pass here; a panic never
            // does. SARIF, slow in a debug build, for one input in eight.
            let mode = harness::Mode {
                allow_known: true,
                sarif: runs % 8 == 0,
            };
            match run(input.as_bytes(), mode) {
                Ok(stats) => {
                    multi += usize::from(stats.files > 1);
                    diagnostics += stats.diagnostics;
                    jobs += stats.jobs;
                }
                Err(message) => panic!(
                    "mutation {n} of seed {i} ({name}) broke the pipeline: {message}\n\
                     input saved as {}",
                    save(input.as_bytes(), &format!("seed{i}-mutation{n}"))
                ),
            }
            runs += 1;
        }
    }
    eprintln!(
        "{runs} mutated inputs ({multi} with several files) through the whole pipeline in \
         {:.1?}: {diagnostics} findings, {jobs} jobs",
        started.elapsed()
    );
    assert!(runs > 1000);
    assert!(multi > 100, "too few inputs exercised includes: {multi}");
}

/// What tests/fixtures/fuzz/open.txt says about a fixture whose bug is not fixed yet.
#[derive(Debug, PartialEq)]
enum Open {
    /// It panics or breaks an invariant: replayed, and must still fail until it is fixed.
    Crash,
    /// It runs too long or takes too much memory: not replayed until it is fixed.
    Slow,
}

fn open_fixtures(dir: &Path) -> Vec<(String, Open)> {
    let text = std::fs::read_to_string(dir.join("open.txt")).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut words = l.split_whitespace();
            let name = words.next().unwrap_or("").to_string();
            let kind = match words.next() {
                Some("crash") | Some("invariant") => Open::Crash,
                Some("timeout") | Some("oom") => Open::Slow,
                other => panic!("open.txt: {name}: unknown kind {other:?}"),
            };
            (name, kind)
        })
        .collect()
}

#[test]
fn fuzz_fixtures_replay() {
    let dir = repo().join("tests/fixtures/fuzz");
    let open = open_fixtures(&dir);
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/fuzz")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "fuzz"))
        .collect();
    fixtures.sort();
    assert!(!fixtures.is_empty());
    for (name, _) in &open {
        assert!(
            fixtures
                .iter()
                .any(|f| f.file_name().is_some_and(|n| n == name.as_str())),
            "open.txt names {name}, which is not in tests/fixtures/fuzz"
        );
    }
    let mut problems = Vec::new();
    for f in &fixtures {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let data = std::fs::read(f).expect("fixture");
        match open.iter().find(|(n, _)| n == name).map(|(_, k)| k) {
            Some(Open::Slow) => {
                eprintln!("OPEN (not replayed: too slow or too big until fixed): {name}");
            }
            Some(Open::Crash) => match run(&data, harness::Mode::default()) {
                Err(message) => eprintln!("OPEN (still fails, as expected): {name}: {message}"),
                Ok(_) => problems.push(format!(
                    "{name} no longer fails: remove it from tests/fixtures/fuzz/open.txt"
                )),
            },
            None => {
                let started = Instant::now();
                if let Err(message) = run(&data, harness::Mode::default()) {
                    problems.push(format!("{name}: {message}"));
                }
                // Generous for a debug build: the fuzzer's limit is 2 s in release.
                if started.elapsed() > Duration::from_secs(20) {
                    problems.push(format!("{name} took {:.1?}", started.elapsed()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
