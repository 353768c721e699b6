//! The whole-pipeline fuzz harness, shared by the libFuzzer target
//! (`fuzz/fuzz_targets/pipeline.rs`) and the deterministic slice CI runs (`tests/fuzz_slice.rs`,
//! which includes this file with `#[path]`). It depends on nothing but `cachelint`, `serde_json`
//! and `std`.
//!
//! One input encodes a small project in memory. The bytes before the first separator line are
//! the root `.gitlab-ci.yml`; each separator line `#@@ PATH` starts another file, at PATH
//! (relative to the project root `/p`, or absolute), or, when PATH is empty or unusable, at the
//! next of `ci/a.yml`, `ci/b.yml`, `ci/c.yml`, `templates/d.yaml`. The separator is a YAML
//! comment, so a seed reads as one YAML stream too. A file named `cachelint.toml` is the
//! project's configuration. Bytes are inserted as they are (not necessarily UTF-8).
//!
//! A file under `.github/workflows/` is also a root, checked as a GitHub Actions workflow.
//!
//! [`run`] loads the project with its includes, resolves, models, runs the rules, renders every
//! reporter and the `show` views, and checks cheap invariants; it panics when one fails.

#![allow(dead_code)]

use cachelint::fs::Memory;
use cachelint::report::{Format, render};
use cachelint::{Options, check, show};
use std::path::{Path, PathBuf};

/// The project root of the in-memory file system.
pub const PROJECT: &str = "/p";
/// The root configuration file.
pub const ROOT: &str = ".gitlab-ci.yml";
/// What starts a separator line (after a line break).
pub const SEPARATOR: &[u8] = b"\n#@@";
/// Where files go whose separator names no usable path, in order.
pub const DEFAULT_NAMES: [&str; 4] = ["ci/a.yml", "ci/b.yml", "ci/c.yml", "templates/d.yaml"];
/// At most this many files (the root included); the rest of the input is ignored.
pub const MAX_FILES: usize = 8;

pub const FORMATS: [Format; 6] = [
    Format::Text,
    Format::Json,
    Format::Codequality,
    Format::Sarif,
    Format::Github,
    Format::Concise,
];

/// Splits an input into (path relative to the project root or absolute, content).
pub fn decode(data: &[u8]) -> Vec<(String, &[u8])> {
    let mut cuts = Vec::new();
    let mut i = 0;
    while i + SEPARATOR.len() <= data.len() {
        if &data[i..i + SEPARATOR.len()] == SEPARATOR {
            cuts.push(i);
            i += SEPARATOR.len();
        } else {
            i += 1;
        }
    }
    let mut files = Vec::new();
    // The root keeps the line break before the first separator.
    let root_end = cuts.first().map_or(data.len(), |&c| c + 1);
    files.push((ROOT.to_string(), &data[..root_end]));
    let mut unnamed = 0;
    for (n, &c) in cuts.iter().enumerate() {
        if files.len() >= MAX_FILES {
            break;
        }
        let header_start = c + SEPARATOR.len();
        let rest = &data[header_start..];
        let line_end = rest.iter().position(|&b| b == b'\n');
        let name_bytes = &rest[..line_end.unwrap_or(rest.len())];
        let body_start = header_start + line_end.map_or(rest.len(), |e| e + 1);
        let body_end = cuts.get(n + 1).map_or(data.len(), |&next| next + 1);
        let body = &data[body_start.min(body_end)..body_end];
        let name = match std::str::from_utf8(name_bytes).map(str::trim) {
            Ok(s) if !s.is_empty() && s.len() <= 80 && !s.contains('\0') => s.to_string(),
            _ => {
                let d = DEFAULT_NAMES[unnamed % DEFAULT_NAMES.len()];
                unnamed += 1;
                d.to_string()
            }
        };
        files.push((name, body));
    }
    files
}

/// Encodes files (the first is the root) as one input; the inverse of [`decode`] for names
/// without line breaks and contents that do not contain the separator.
pub fn encode(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (name, content)) in files.iter().enumerate() {
        if i > 0 {
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            out.extend_from_slice(b"#@@ ");
            out.extend_from_slice(name.as_bytes());
            out.push(b'\n');
        }
        out.extend_from_slice(content);
    }
    out
}

/// The message of the finding the YAML layer reports when its parser panicked
/// (`rules::yaml_syntax::internal`).
pub const INTERNAL_ERROR: &str =
    "the YAML parser failed on this document (an internal error; please report it)";

/// What one run produced (for the slice's statistics).
#[derive(Default, Debug)]
pub struct Stats {
    pub files: usize,
    pub diagnostics: usize,
    pub jobs: usize,
}

/// Whether a broken invariant is one already reported and still open (its fixture is in
/// tests/fixtures/fuzz/ and listed in tests/fixtures/fuzz/open.txt). A long fuzzing run may
/// let these pass (`CACHELINT_FUZZ_ALLOW_KNOWN=1`) so that it goes on finding others; panics
/// are never let pass.
pub fn known_span_bug(rule: &str, message: &str) -> bool {
    // The not-UTF-8 finding spans one byte of the original file, but the text it points into
    // has that byte replaced by U+FFFD (three bytes): its end is inside the character.
    rule == "yaml-syntax" && message == "the file is not valid UTF-8"
}

/// How a run checks.
#[derive(Clone, Copy, Debug)]
pub struct Mode {
    /// Let the known broken invariants ([`known_span_bug`]) pass.
    pub allow_known: bool,
    /// Render the SARIF report too. It embeds every rule's page, which makes it the costliest
    /// reporter by far in a debug build (the CI slice renders it for one input in eight).
    pub sarif: bool,
}

impl Default for Mode {
    fn default() -> Mode {
        Mode {
            allow_known: false,
            sarif: true,
        }
    }
}

/// Runs the whole pipeline and every reporter on one input; panics on a broken invariant.
pub fn run(data: &[u8]) -> Stats {
    run_with(data, Mode::default())
}

/// [`run`], as `mode` says.
pub fn run_with(data: &[u8], mode: Mode) -> Stats {
    let mut fs = Memory::new().with_cwd(PROJECT);
    // Files under `.github/workflows/` are GitHub Actions workflows: roots of their own, in a
    // git repository (so that `hashFiles` is evaluated).
    let mut roots = vec![PathBuf::from(ROOT)];
    for (name, content) in decode(data) {
        if name.starts_with(".github/workflows/") {
            roots.push(PathBuf::from(&name));
            fs.insert(".git/HEAD", "ref: refs/heads/main\n");
        }
        fs.insert(&name, content);
    }
    let options = Options {
        project_root: Some(PROJECT.into()),
        keep_effective: true,
        ..Default::default()
    };
    let outcome = check(&fs, &roots, &options);
    let mut stats = Stats::default();

    // Every finding points into its own file, on character boundaries.
    for (set_idx, d) in &outcome.diagnostics {
        let set = &outcome.analyses[*set_idx].set;
        // The YAML layer catches a panic of the parser and reports it as this finding (exact
        // text: other messages may quote the user's words, "internal error" among them).
        assert!(
            !(d.rule.name() == "yaml-syntax" && d.message == INTERNAL_ERROR),
            "the YAML parser panicked (caught, reported as yaml-syntax)"
        );
        let mut spans = vec![(d.file, d.span, "primary")];
        spans.extend(d.labels.iter().map(|l| (l.file, l.span, "label")));
        for (file, span, what) in spans {
            assert!(
                (file.0 as usize) < set.files.len(),
                "{} {what} span in file #{} of {}",
                d.rule.name(),
                file.0,
                set.files.len()
            );
            let text = &set.file(file).text;
            assert!(
                span.start <= span.end && span.end as usize <= text.len(),
                "{} {what} span {:?} outside {} ({} bytes): {}",
                d.rule.name(),
                span,
                set.file(file).rel_path,
                text.len(),
                d.message
            );
            assert!(
                (mode.allow_known && known_span_bug(d.rule.name(), &d.message))
                    || text.is_char_boundary(span.start as usize)
                        && text.is_char_boundary(span.end as usize),
                "{} {what} span {:?} not on character boundaries: {}",
                d.rule.name(),
                span,
                d.message
            );
        }
    }
    stats.diagnostics = outcome.diagnostics.len();

    // Every reporter; the JSON ones must produce JSON.
    for format in FORMATS {
        if format == Format::Sarif && !mode.sarif {
            continue;
        }
        let out = render(format, &outcome, false);
        if matches!(format, Format::Json | Format::Codequality | Format::Sarif) {
            let parsed: Result<serde_json::Value, _> = serde_json::from_str(&out);
            assert!(parsed.is_ok(), "{format:?} report is not JSON: {parsed:?}");
        }
    }
    let _ = render(Format::Text, &outcome, true);

    // `cachelint show`: the effective configuration (as JSON and YAML) and the origins, for the
    // whole pipeline and for the first job.
    for a in &outcome.analyses {
        stats.files += a.set.files.len();
        stats.jobs += a.pipeline.jobs.len();
        // The YAML layer's own view of each file (what the YAML oracle compares).
        for doc in &a.set.docs {
            let _ = doc.to_canonical_json();
        }
        let effective = show::effective(a, None);
        let _ = show::to_yaml(&effective);
        let _ = show::origins(a, None);
        if let Some(job) = a.pipeline.jobs.first() {
            let one = show::effective(a, Some(&job.name));
            let _ = show::to_yaml(&one);
            let _ = show::origins(a, Some(&job.name));
        }
    }
    stats
}

/// The seed inputs for a directory holding a project (a `.gitlab-ci.yml` and the files beside
/// and below it), or a single YAML file: a project is packed with up to `MAX_FILES - 1` of its
/// other YAML files at their own paths (so its includes resolve), a single file is the root.
pub fn seed_from_project(dir: &Path) -> Option<Vec<u8>> {
    let root = std::fs::read(dir.join(ROOT)).ok()?;
    let mut others = Vec::new();
    collect_yaml(dir, dir, &mut others);
    others.retain(|(rel, _)| rel != ROOT);
    others.sort();
    others.truncate(MAX_FILES - 1);
    let mut files: Vec<(&str, &[u8])> = vec![(ROOT, &root)];
    files.extend(others.iter().map(|(r, c)| (r.as_str(), c.as_slice())));
    Some(encode(&files))
}

fn collect_yaml(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            collect_yaml(base, &p, out);
        } else if p
            .extension()
            .is_some_and(|x| x == "yml" || x == "yaml" || x == "toml")
            && let (Ok(rel), Ok(c)) = (p.strip_prefix(base), std::fs::read(&p))
        {
            out.push((rel.to_string_lossy().replace('\\', "/"), c));
        }
    }
}
