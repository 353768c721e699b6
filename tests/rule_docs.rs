//! The registry, the rule files and the rule pages agree, and the pages' examples run.
//!
//! - Every rule is declared once, in `src/rules/<name>.rs`, and listed in the registry; every
//!   file under `src/rules/` but the engine's own declares exactly one rule; no stage makes a
//!   finding from a string.
//! - Every rule has a page (rules/<name>.md) whose front matter matches the declaration (name,
//!   severity, category, summary), and whose examples run: the failing example yields that rule
//!   and nothing else, the fix yields nothing (`page::NAME`, one test per rule).
//! - docs/rules.md, the index, is generated from the declarations and kept in sync here
//!   (`UPDATE_RULES_INDEX=1 cargo test --test rule_docs` rewrites it).

use cachelint::diagnostic::RuleId;
use cachelint::fs::Memory;
use cachelint::rules::registry::{ALL, MODEL_RULES, WORKFLOW_RULES};
use cachelint::{Options, check};
use std::path::{Path, PathBuf};

/// The fenced blocks of a page with info string `yaml <kind> [file=<path>]` (or another
/// language than `yaml` for a file of the example's repository, `text failing file=uv.lock`).
fn examples(doc: &str, kind: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or("");
        if lang.is_empty() || words.clone().next() != Some(kind) {
            continue;
        }
        if lang != "yaml" && !info.contains("file=") {
            continue;
        }
        if words.next() != Some(kind) {
            continue;
        }
        let path = words
            .find_map(|w| w.strip_prefix("file="))
            .unwrap_or(".gitlab-ci.yml")
            .to_string();
        let mut body = String::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        out.push((path, body));
    }
    out
}

/// Checks the example's files in memory, as a project of their own: its GitHub Actions
/// workflows when it has some (then it is a git repository, so `hashFiles` sees its files),
/// else its `.gitlab-ci.yml`.
fn run(name: &str, kind: &str, files: &[(String, String)]) -> Vec<String> {
    let mut fs = Memory::new().with_cwd("/project");
    for (path, body) in files {
        fs.insert(path, body.as_str());
    }
    let workflows: Vec<PathBuf> = files
        .iter()
        .filter(|(p, _)| p.starts_with(".github/workflows/"))
        .map(|(p, _)| PathBuf::from(p))
        .collect();
    let roots = if workflows.is_empty() {
        vec![PathBuf::from(".gitlab-ci.yml")]
    } else {
        fs.insert(".git/HEAD", "ref: refs/heads/main\n");
        workflows
    };
    let outcome = check(
        &fs,
        &roots,
        &Options {
            project_root: Some(PathBuf::from("/project")),
            ..Options::default()
        },
    );
    assert!(
        outcome.errors.is_empty(),
        "{name} {kind}: {:?}",
        outcome.errors
    );
    outcome
        .diagnostics
        .iter()
        .map(|(_, d)| format!("{} ({})", d.rule, d.message))
        .collect()
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let mut trials: Vec<libtest_mimic::Trial> = ALL
        .iter()
        .map(|&r| {
            libtest_mimic::Trial::test(format!("page::{}", r.name()), move || {
                let problems = page_problems(r);
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(problems.join("\n").into())
                }
            })
        })
        .collect();
    let tests: [(&str, fn()); 4] = [
        (
            "docs_rules_md_is_the_generated_index",
            docs_rules_md_is_the_generated_index,
        ),
        (
            "every_rule_has_one_file_and_one_page",
            every_rule_has_one_file_and_one_page,
        ),
        ("every_model_rule_runs_once", every_model_rule_runs_once),
        (
            "no_finding_is_made_from_a_string",
            no_finding_is_made_from_a_string,
        ),
    ];
    for (name, f) in tests {
        trials.push(libtest_mimic::Trial::test(name, move || {
            f();
            Ok(())
        }));
    }
    libtest_mimic::run(&args, trials).exit();
}

/// The value of `key` in a page's front matter.
fn front<'a>(page: &'a str, key: &str) -> Option<&'a str> {
    let body = page.strip_prefix("---\n")?;
    let end = body.find("\n---")?;
    body[..end].lines().find_map(|l| {
        let v = l.strip_prefix(key)?.strip_prefix(':')?.trim();
        Some(
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v),
        )
    })
}

/// What is wrong with a rule's page: front matter that disagrees with the declaration,
/// missing sections, and examples that do not yield exactly the rule (failing) or nothing
/// (fixed).
fn page_problems(r: RuleId) -> Vec<String> {
    let mut problems = Vec::new();
    let name = r.name();
    let doc = r.page();
    for (key, declared) in [
        ("name", name),
        ("severity", r.severity().as_str()),
        ("category", r.category().as_str()),
        ("summary", r.summary()),
    ] {
        if front(doc, key) != Some(declared) {
            problems.push(format!(
                "{name}: front matter `{key}` is {:?}, the declaration says {declared:?}",
                front(doc, key)
            ));
        }
    }
    let summary = r.summary();
    if summary.is_empty() || summary.contains("TODO") || summary.contains("PLACEHOLDER") {
        problems.push(format!("{name}: no summary"));
    }
    for section in [
        format!("# {name}"),
        "## Why it matters".to_string(),
        "## Example".to_string(),
        "## Fix".to_string(),
    ] {
        if !doc.lines().any(|l| l == section) {
            problems.push(format!("{name}: missing `{section}`"));
        }
    }
    let failing = examples(doc, "failing");
    let fixed = examples(doc, "fixed");
    if failing.is_empty() || fixed.is_empty() {
        problems.push(format!("{name}: needs a failing and a fixed example"));
        return problems;
    }
    let found = run(name, "failing", &failing);
    if found.is_empty() || found.iter().any(|f| !f.starts_with(&format!("{name} ("))) {
        problems.push(format!(
            "{name}: the failing example should yield exactly this rule, got {found:?}"
        ));
    }
    let found = run(name, "fixed", &fixed);
    if !found.is_empty() {
        problems.push(format!(
            "{name}: the fixed example should yield nothing, got {found:?}"
        ));
    }
    problems
}

/// The files of a directory with extension `ext`, by name without it.
fn files(dir: &Path, ext: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("directory")
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let stem = p.file_stem()?.to_str()?.to_string();
            (p.extension()? == ext).then(|| (stem, std::fs::read_to_string(&p).unwrap_or_default()))
        })
        .collect();
    out.sort();
    out
}

fn every_rule_has_one_file_and_one_page() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<&str> = ALL.iter().map(|r| r.name()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "a rule name is declared twice");
    // src/rules/<name>.rs declares the rule `<name>` and nothing else.
    let engine = ["mod", "context", "flow", "registry", "tools"];
    let mut declared = Vec::new();
    for (stem, text) in files(&root.join("src/rules"), "rs") {
        if engine.contains(&stem.as_str()) {
            assert!(
                !text.contains("RuleId::declare"),
                "{stem}.rs declares a rule"
            );
            continue;
        }
        let name = stem.replace('_', "-");
        assert_eq!(
            text.matches("RuleId::declare(").count(),
            1,
            "src/rules/{stem}.rs must declare exactly one rule"
        );
        assert!(
            text.contains(&format!("name: \"{name}\",")),
            "src/rules/{stem}.rs must declare the rule `{name}`"
        );
        declared.push(name);
    }
    declared.sort();
    assert_eq!(
        declared, names,
        "the rule files and the registry (rules::registry::ALL) disagree"
    );
    // rules/<name>.md for every rule, and no page without a rule.
    let pages: Vec<String> = files(&root.join("rules"), "md")
        .into_iter()
        .map(|(stem, _)| stem)
        .collect();
    assert_eq!(
        pages, names,
        "the pages in rules/ and the registry disagree"
    );
}

fn every_model_rule_runs_once() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ids: Vec<&str> = MODEL_RULES.iter().map(|r| r.id().name()).collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(n, ids.len(), "a model rule is listed twice");
    for (stem, text) in files(&root.join("src/rules"), "rs") {
        let name = stem.replace('_', "-");
        let implements = text.contains("impl Rule for");
        if text.contains("impl WorkflowRule for") {
            assert!(
                WORKFLOW_RULES.iter().any(|r| r.id().name() == name),
                "src/rules/{stem}.rs: a workflow check must be in WORKFLOW_RULES"
            );
        }
        assert_eq!(
            implements,
            ids.contains(&name.as_str()),
            "src/rules/{stem}.rs: a file with a model check must be in MODEL_RULES, and only those"
        );
    }
}

fn no_finding_is_made_from_a_string() {
    // Every finding comes from a rule's identifier: no `Diagnostic::new("name", ...)`.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut bad = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("src").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                for (i, _) in text.match_indices("Diagnostic::new(") {
                    if text[i + 16..].trim_start().starts_with('"') {
                        bad.push(p.display().to_string());
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "findings made from a string in {bad:?}");
}

/// The index of rules, generated from the pages.
fn index() -> String {
    let mut s = String::from(
        "# Rules\n\n\
Every finding names its rule; the names are stable and are used in suppression comments,\n\
`cachelint.toml`, the Code Quality `check_name` and the JSON report. Severities: **error** —\n\
GitLab rejects the configuration or the runner fails; **warning** — something silently does not\n\
do what it says; **info** — advice. `cachelint rule NAME` prints a rule's page.\n\n\
This index is generated from `rules/*.md` (`UPDATE_RULES_INDEX=1 cargo test --test rule_docs`).\n\n\
| rule | severity | category | finds |\n|---|---|---|---|\n",
    );
    for r in ALL {
        s.push_str(&format!(
            "| [`{}`](../rules/{}.md) | {} | {} | {} |\n",
            r.name(),
            r.name(),
            r.severity().as_str(),
            r.category().as_str(),
            r.summary()
        ));
    }
    s
}

fn docs_rules_md_is_the_generated_index() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let want = index();
    if std::env::var_os("UPDATE_RULES_INDEX").is_some() {
        std::fs::write(&path, &want).expect("write docs/rules.md");
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is out of date: run UPDATE_RULES_INDEX=1 cargo test --test rule_docs"
    );
}
