//! `cachelint graph`: every directory under tests/fixtures/graph is drawn in both formats and
//! compared with its snapshots (`graph::NAME::mermaid`, `graph::NAME::dot`); the Mermaid is
//! checked for the structure GitLab's renderer needs (`mermaid::NAME`), and the DOT is given
//! to Graphviz, which must accept it (`graphviz_accepts_every_graph`).
//!
//! The Graphviz test needs `dot` (Debian's `graphviz`). Without it the test fails when `CI` is
//! set and is skipped (loudly) otherwise.

use cachelint::fs::Disk;
use cachelint::graph::{Format, build, render};
use cachelint::{Options, check};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(".gitlab-ci.yml").is_file())
        .collect();
    cases.sort();
    cases
}

fn name(case: &Path) -> String {
    case.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("?")
        .to_string()
}

/// The graph of a fixture, as `cachelint graph --format FORMAT` prints it.
fn draw(case: &Path, format: Format) -> String {
    let outcome = check(
        &Disk,
        &[case.join(".gitlab-ci.yml")],
        &Options {
            project_root: Some(case.to_path_buf()),
            ..Options::default()
        },
    );
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    let g = build(
        &outcome.analyses[0],
        outcome.diagnostics.iter().map(|(_, d)| d),
    );
    render(&g, format)
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let cases = cases();
    assert!(cases.len() >= 4, "graph fixtures missing");
    let mut trials = Vec::new();
    for case in &cases {
        let n = name(case);
        for (suffix, format) in [("mermaid", Format::Mermaid), ("dot", Format::Dot)] {
            let (case, n) = (case.clone(), n.clone());
            trials.push(libtest_mimic::Trial::test(
                format!("graph::{n}::{suffix}"),
                move || {
                    insta::assert_snapshot!(format!("{n}.{suffix}"), draw(&case, format));
                    Ok(())
                },
            ));
        }
        let case = case.clone();
        trials.push(libtest_mimic::Trial::test(
            format!("mermaid::{n}"),
            move || mermaid_structure(&draw(&case, Format::Mermaid)).map_err(Into::into),
        ));
    }
    let tests: [(&str, fn()); 4] = [
        (
            "a_graph_past_what_mermaid_draws_is_grouped",
            a_graph_past_what_mermaid_draws_is_grouped,
        ),
        (
            "the_docs_show_the_real_graphs",
            the_docs_show_the_real_graphs,
        ),
        (
            "the_uv_fix_gives_each_runtime_its_key",
            the_uv_fix_gives_each_runtime_its_key,
        ),
        (
            "the_structure_check_rejects_broken_mermaid",
            the_structure_check_rejects_broken_mermaid,
        ),
    ];
    for (name, f) in tests {
        trials.push(libtest_mimic::Trial::test(name, move || {
            f();
            Ok(())
        }));
    }
    // Without Graphviz the DOT cannot be checked: skipped, and said so where it is seen (this
    // harness prints before the test output), except in CI, where it fails instead.
    let has_dot = Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    let cases_for_dot = cases.clone();
    let trial = libtest_mimic::Trial::test("graphviz_accepts_every_graph", move || {
        graphviz_accepts_every_graph(&cases_for_dot);
        Ok(())
    });
    trials.push(if has_dot || std::env::var_os("CI").is_some() {
        trial
    } else {
        eprintln!(
            "\n*** SKIPPED: graphviz_accepts_every_graph needs Graphviz's `dot` (apt-get install graphviz), which is not installed.\n*** Under CI (`CI` set) it fails instead.\n"
        );
        trial.with_ignored_flag(true)
    });
    libtest_mimic::run(&args, trials).exit();
}

/// `dot -Tsvg` on every fixture's DOT: it must exit 0 and print no error or warning.
fn graphviz_accepts_every_graph(cases: &[PathBuf]) {
    for case in cases {
        let text = draw(case, Format::Dot);
        let mut child = Command::new("dot")
            .arg("-Tsvg")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run dot (is Graphviz installed?)");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all(text.as_bytes()).expect("write to dot");
        }
        let out = child.wait_with_output().expect("dot");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.trim().is_empty(),
            "{}: dot -Tsvg exited {:?}: {stderr}\n{text}",
            name(case),
            out.status.code()
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("<svg"),
            "{}: no SVG",
            name(case)
        );
    }
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

/// docs/graph.md shows the uv fixtures (the configuration before and after the fix) and their
/// graphs exactly as cachelint draws them, and the SVGs it shows exist.
fn the_docs_show_the_real_graphs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/graph.md")).expect("docs/graph.md");
    let fixtures = root.join("tests/fixtures/graph");
    let yaml = blocks(&doc, "yaml");
    let mermaid = blocks(&doc, "mermaid");
    for (i, case) in ["uv-matrix", "uv-matrix-fixed"].iter().enumerate() {
        let dir = fixtures.join(case);
        let config = std::fs::read_to_string(dir.join(".gitlab-ci.yml")).expect("fixture");
        assert_eq!(yaml.get(i), Some(&config.as_str()), "docs/graph.md: {case}");
        assert_eq!(
            mermaid.get(i).copied(),
            Some(draw(&dir, Format::Mermaid).as_str()),
            "docs/graph.md shows another graph for {case}"
        );
        let svg = root.join(format!("docs/img/graph-{case}.svg"));
        let text = std::fs::read_to_string(&svg).expect("the rendered SVG");
        assert!(text.contains("<svg") && doc.contains(&format!("img/graph-{case}.svg")));
    }
}

fn the_uv_fix_gives_each_runtime_its_key() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/graph");
    let before = draw(&fixtures.join("uv-matrix"), Format::Mermaid);
    assert!(before.contains("test ×3"), "{before}");
    assert!(before.contains("warning: cache-shared-across-runtimes"));
    assert_eq!(before.matches("[(\"").count(), 1, "one key:\n{before}");
    let after = draw(&fixtures.join("uv-matrix-fixed"), Format::Mermaid);
    assert!(!after.contains("cache-shared-across-runtimes"), "{after}");
    for v in ["3.11", "3.12", "3.13"] {
        assert!(
            after.contains(&format!("py{v}-#lt;hash of uv.lock#gt;")),
            "{after}"
        );
    }
    assert_eq!(
        after.matches("[(\"").count(),
        3,
        "a key per runtime:\n{after}"
    );
}

/// 300 jobs with two caches each: 600 edges, more than Mermaid draws by default, so the jobs
/// of each stage become one node and the graph says so.
fn a_graph_past_what_mermaid_draws_is_grouped() {
    let mut config = String::from("stages: [build, test]\n");
    for i in 0..300 {
        let stage = if i < 100 { "build" } else { "test" };
        config.push_str(&format!(
            "job{i}:\n  stage: {stage}\n  script: [make]\n  cache:\n    - {{key: a{i}, paths: [a/]}}\n    - {{key: b{}, paths: [b/], policy: pull}}\n",
            i % 10
        ));
    }
    let mut fs = cachelint::fs::Memory::new().with_cwd("/p");
    fs.insert(".gitlab-ci.yml", config);
    let outcome = check(
        &fs,
        &[PathBuf::from(".gitlab-ci.yml")],
        &Options {
            project_root: Some("/p".into()),
            ..Options::default()
        },
    );
    let g = build(
        &outcome.analyses[0],
        outcome.diagnostics.iter().map(|(_, d)| d),
    );
    assert_eq!(g.jobs.len(), 2, "one node per stage");
    assert!(g.edges.len() <= cachelint::graph::MAX_EDGES);
    let text = render(&g, Format::Mermaid);
    assert!(text.len() <= cachelint::graph::MAX_TEXT);
    assert!(text.contains("one node per job needs 600 edges"), "{text}");
    assert!(
        text.contains("100 jobs") && text.contains("200 jobs"),
        "{text}"
    );
    mermaid_structure(&text).expect("well formed");
}

fn the_structure_check_rejects_broken_mermaid() {
    let ok =
        "flowchart LR\n  a[\"x\"]\n  b[(\"y\")]\n  a -->|\"push\"| b\n  linkStyle 0 stroke:#000\n";
    assert_eq!(mermaid_structure(ok), Ok(()));
    for bad in [
        "graph TD\n",
        "flowchart LR\n  a[\"x\"y\"]\n",
        "flowchart LR\n  a[\"<b>\"]\n",
        "flowchart LR\n  a[\"$$x$$\"]\n",
        "flowchart LR\n  end[\"x\"]\n",
        "flowchart LR\n  a[\"x\"]\n  a -->|\"p\"| b\n",
        "flowchart LR\n  subgraph s[\"x\"]\n",
        "flowchart LR\n  a[\"x\"]\n  linkStyle 0 stroke:#000\n",
        "flowchart LR\n  a[\"x\"]\n  class a nope\n",
        "flowchart LR\n  a[\"```\"]\n",
    ] {
        assert!(mermaid_structure(bad).is_err(), "accepted:\n{bad}");
    }
}

/// Words Mermaid's flowchart grammar reserves, which cannot be node or subgraph ids.
const RESERVED: &[&str] = &[
    "end",
    "graph",
    "flowchart",
    "subgraph",
    "style",
    "class",
    "classDef",
    "linkStyle",
    "click",
    "call",
    "default",
    "direction",
    "interpolate",
];

/// A structural check of the Mermaid `cachelint graph` writes (no Mermaid at hand offline):
/// the header, safe ids defined once, quoted labels that cannot end early or carry HTML,
/// Markdown, directives, KaTeX or control characters, edges between defined nodes, balanced
/// subgraphs, classes that are defined, link styles that exist, and no line that would close
/// the Markdown fence around it.
fn mermaid_structure(text: &str) -> Result<(), String> {
    let id_ok = |s: &str| {
        let mut c = s.chars();
        c.next().is_some_and(|f| f.is_ascii_alphabetic())
            && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            && !RESERVED.contains(&s)
    };
    let entity = regex::Regex::new(r"^#(\w+|\d+);").expect("regex");
    let label_ok = |l: &str| -> Result<(), String> {
        let mut rest = l;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("<br/>") {
                rest = &rest[5..];
                continue;
            }
            if c == '#' {
                let m = entity
                    .find(rest)
                    .ok_or_else(|| format!("a bare `#` in {l:?}"))?;
                rest = &rest[m.end()..];
                continue;
            }
            if matches!(c, '"' | '<' | '>' | '`' | '%') || c.is_control() {
                return Err(format!("{c:?} in label {l:?}"));
            }
            if rest.starts_with("$$") {
                return Err(format!("`$$` in label {l:?}"));
            }
            rest = &rest[c.len_utf8()..];
        }
        Ok(())
    };
    let node = regex::Regex::new(r#"^([^\s\[\]"]+)(\["(.*)"\]|\[\("(.*)"\)\])$"#).expect("regex");
    let edge = regex::Regex::new(r#"^(\S+) (-->|<-->|-\.->)\|"(.*)"\| (\S+)$"#).expect("regex");
    let subgraph = regex::Regex::new(r#"^subgraph ([^\s\[]+)\["(.*)"\]$"#).expect("regex");
    let mut lines = text.lines();
    if lines.next() != Some("flowchart LR") {
        return Err("the first line is not `flowchart LR`".into());
    }
    let mut ids: HashSet<String> = HashSet::new();
    let mut depth = 0usize;
    let mut edges: Vec<(String, String)> = Vec::new();
    let mut classes: HashSet<String> = HashSet::new();
    let mut classed: Vec<(String, String)> = Vec::new();
    let mut styled: Vec<usize> = Vec::new();
    for raw in lines {
        if raw.contains("```") {
            return Err(format!("a line would close the Markdown fence: {raw}"));
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with("%%") {
            if line.contains('\n') {
                return Err("a comment spans lines".into());
            }
            continue;
        }
        if line == "end" {
            depth = depth.checked_sub(1).ok_or("`end` without `subgraph`")?;
            continue;
        }
        if let Some(c) = subgraph.captures(line) {
            let id = &c[1];
            if !id_ok(id) || !ids.insert(id.to_string()) {
                return Err(format!("bad or repeated subgraph id {id}"));
            }
            label_ok(&c[2])?;
            depth += 1;
            continue;
        }
        if let Some(c) = edge.captures(line) {
            label_ok(&c[3])?;
            edges.push((c[1].to_string(), c[4].to_string()));
            continue;
        }
        if let Some(rest) = line.strip_prefix("classDef ") {
            let (name, style) = rest.split_once(' ').ok_or("classDef without style")?;
            if !id_ok(name) || style.contains(';') {
                return Err(format!("bad classDef {line}"));
            }
            classes.insert(name.to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("class ") {
            let (list, name) = rest.rsplit_once(' ').ok_or("class without a name")?;
            for id in list.split(',') {
                classed.push((id.to_string(), name.to_string()));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("linkStyle ") {
            let (list, style) = rest.split_once(' ').ok_or("linkStyle without style")?;
            if style.contains(';') {
                return Err(format!("bad linkStyle {line}"));
            }
            for n in list.split(',') {
                styled.push(n.parse().map_err(|_| format!("bad linkStyle index {n}"))?);
            }
            continue;
        }
        if let Some(c) = node.captures(line) {
            let id = &c[1];
            if !id_ok(id) || !ids.insert(id.to_string()) {
                return Err(format!("bad or repeated node id {id}"));
            }
            label_ok(c.get(3).or(c.get(4)).map_or("", |m| m.as_str()))?;
            continue;
        }
        return Err(format!("not a statement cachelint writes: {line}"));
    }
    if depth != 0 {
        return Err("a subgraph is not closed".into());
    }
    for (a, b) in &edges {
        if !ids.contains(a) || !ids.contains(b) {
            return Err(format!("an edge between undefined nodes: {a} {b}"));
        }
    }
    for (id, class) in &classed {
        if !ids.contains(id) || !classes.contains(class) {
            return Err(format!("class {class} on {id}: undefined"));
        }
    }
    if let Some(n) = styled.iter().find(|&&n| n >= edges.len()) {
        return Err(format!("linkStyle {n}: there are {} edges", edges.len()));
    }
    Ok(())
}
