//! Every rule has a documentation page (rules/<name>.md) whose front matter matches the rule,
//! and whose examples run: the failing example yields that rule and nothing else, the fix
//! yields nothing. docs/rules.md, the index, is generated from the pages and kept in sync here
//! (`UPDATE_RULES_INDEX=1 cargo test --test rule_docs` rewrites it).

use cachelint::rules::RULES;
use cachelint::{Options, check};
use std::path::Path;

/// The fenced blocks of a page with info string `yaml <kind> [file=<path>]`.
fn examples(doc: &str, kind: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```yaml ") else {
            continue;
        };
        let mut words = info.split_whitespace();
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

fn run(name: &str, kind: &str, files: &[(String, String)]) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "cachelint-doc-{}-{name}-{kind}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, body) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, body).expect("write example");
    }
    let outcome = check(
        &[dir.join(".gitlab-ci.yml")],
        &Options {
            project_root: Some(dir.clone()),
            ..Options::default()
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
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
    let mut trials: Vec<libtest_mimic::Trial> = RULES
        .iter()
        .map(|r| {
            libtest_mimic::Trial::test(format!("page::{}", r.name), move || {
                let problems = page_problems(r);
                if problems.is_empty() {
                    Ok(())
                } else {
                    Err(problems.join("\n").into())
                }
            })
        })
        .collect();
    let tests: [(&str, fn()); 2] = [
        (
            "docs_rules_md_is_the_generated_index",
            docs_rules_md_is_the_generated_index,
        ),
        (
            "every_rule_a_stage_reports_is_registered",
            every_rule_a_stage_reports_is_registered,
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

/// What is wrong with a rule's page: front matter, sections, and examples that do not yield
/// exactly the rule (failing) or nothing (fixed).
fn page_problems(r: &cachelint::rules::RuleInfo) -> Vec<String> {
    let mut problems = Vec::new();
    let doc = r.doc;
    let front = |k: &str| doc.lines().find_map(|l| l.strip_prefix(&format!("{k}: ")));
    if front("name") != Some(r.name) {
        problems.push(format!("{}: front matter name", r.name));
    }
    let summary = r.summary();
    if summary.is_empty() || summary.contains("TODO") || summary.contains("PLACEHOLDER") {
        problems.push(format!("{}: no summary", r.name));
    }
    for section in [
        format!("# {}", r.name),
        "## Why it matters".to_string(),
        "## Example".to_string(),
        "## Fix".to_string(),
    ] {
        if !doc.lines().any(|l| l == section) {
            problems.push(format!("{}: missing `{section}`", r.name));
        }
    }
    let failing = examples(doc, "failing");
    let fixed = examples(doc, "fixed");
    if failing.is_empty() || fixed.is_empty() {
        problems.push(format!("{}: needs a failing and a fixed example", r.name));
        return problems;
    }
    let found = run(r.name, "failing", &failing);
    if found.is_empty()
        || found
            .iter()
            .any(|f| !f.starts_with(&format!("{} (", r.name)))
    {
        problems.push(format!(
            "{}: the failing example should yield exactly this rule, got {found:?}",
            r.name
        ));
    }
    let found = run(r.name, "fixed", &fixed);
    if !found.is_empty() {
        problems.push(format!(
            "{}: the fixed example should yield nothing, got {found:?}",
            r.name
        ));
    }
    problems
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
    for r in RULES {
        s.push_str(&format!(
            "| [`{}`](../rules/{}.md) | {} | {} | {} |\n",
            r.name,
            r.name,
            r.severity().as_str(),
            r.category(),
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

fn every_rule_a_stage_reports_is_registered() {
    // The names used in the source must all have a page.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names = Vec::new();
    let mut stack = vec![src];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("src").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                for (i, _) in text.match_indices("Diagnostic::new(") {
                    let rest = text[i + 16..].trim_start();
                    if let Some(r) = rest.strip_prefix('"')
                        && let Some(end) = r.find('"')
                    {
                        names.push(r[..end].to_string());
                    }
                }
            }
        }
    }
    assert!(names.len() > 15);
    for n in names {
        assert!(
            cachelint::rules::info(&n).is_some(),
            "rule `{n}` has no page"
        );
    }
}
