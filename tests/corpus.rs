//! Runs cachelint over every configuration of tests/corpus: it must never crash or fail to
//! read a file there, and the complete list of findings is a snapshot, so that every change in
//! what is reported on real configurations is reviewed (triage: docs/corpus-report.md).

use cachelint::fs::Disk;
use cachelint::report::locate;
use cachelint::{Options, check};
use std::path::{Path, PathBuf};

/// The root configurations: each project's `.gitlab-ci.yml`, and every template and schema test.
fn roots(corpus: &Path) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for group in ["real", "offline"] {
        let Ok(entries) = std::fs::read_dir(corpus.join(group)) else {
            continue;
        };
        for e in entries.flatten() {
            let root = e.path().join(".gitlab-ci.yml");
            if root.is_file() {
                roots.push(root);
            }
        }
    }
    for group in ["templates", "schema-tests"] {
        collect_yaml(&corpus.join(group), &mut roots);
    }
    roots.sort();
    roots
}

fn collect_yaml(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_yaml(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            out.push(p);
        }
    }
}

#[test]
fn corpus_findings() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let roots = roots(&corpus);
    assert!(
        roots.len() > 150,
        "corpus not found at {}",
        corpus.display()
    );
    let mut lines = Vec::new();
    for root in &roots {
        // Each project directory is its own repository root.
        let project = match root
            .strip_prefix(&corpus)
            .ok()
            .and_then(|r| r.iter().next())
        {
            Some(g) if g == "real" || g == "offline" => root.parent().map(Path::to_path_buf),
            _ => root.parent().map(Path::to_path_buf),
        };
        let outcome = check(
            &Disk,
            std::slice::from_ref(root),
            &Options {
                project_root: project,
                ..Options::default()
            },
        );
        assert!(
            outcome.errors.is_empty(),
            "{}: {:?}",
            root.display(),
            outcome.errors
        );
        let name = root
            .strip_prefix(&corpus)
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        for f in locate(&outcome) {
            lines.push(format!(
                "{name} | {}:{}:{} {} {}",
                f.path, f.start.line, f.start.col, f.diag.rule, f.diag.message
            ));
        }
    }
    insta::assert_snapshot!("corpus-findings", lines.join("\n"));
}

/// The GitHub Actions part of the corpus: tests/corpus/gha/OWNER__REPO holds a repository's
/// workflows and local actions, byte for byte, and `FILES`, the list of the files of its
/// commit (`git ls-tree -r --name-only`). Each repository is checked in memory, as a git
/// repository with those files (empty), so `hashFiles` sees the real file list.
#[test]
fn gha_corpus_findings() {
    use cachelint::fs::Memory;
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/gha");
    let mut repos: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    repos.sort();
    assert!(repos.len() >= 10, "GitHub Actions corpus not found");
    let mut lines = Vec::new();
    let mut workflows = 0;
    for repo in &repos {
        let name = repo.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let root = PathBuf::from("/corpus").join(name);
        let mut fs = Memory::new().with_cwd(&root);
        let listed = std::fs::read_to_string(repo.join("FILES")).unwrap_or_default();
        for f in listed.lines().filter(|l| !l.is_empty()) {
            fs.insert(root.join(f), "");
        }
        fs.insert(root.join(".git/HEAD"), "ref: refs/heads/main\n");
        let mut stack = vec![repo.join(".github")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let (Ok(rel), Ok(bytes)) = (p.strip_prefix(repo), std::fs::read(&p)) {
                    fs.insert(root.join(rel), bytes);
                }
            }
        }
        let roots = cachelint::gha::discover(&fs, &root);
        workflows += roots.len();
        let outcome = check(
            &fs,
            &roots,
            &Options {
                project_root: Some(root.clone()),
                ..Options::default()
            },
        );
        assert!(outcome.errors.is_empty(), "{name}: {:?}", outcome.errors);
        for f in locate(&outcome) {
            lines.push(format!(
                "{name} | {}:{}:{} {} {}",
                f.path, f.start.line, f.start.col, f.diag.rule, f.diag.message
            ));
        }
    }
    assert!(workflows >= 40, "only {workflows} workflows");
    insta::assert_snapshot!("gha-corpus-findings", lines.join("\n"));
}
