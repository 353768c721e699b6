//! cachelint in the browser: the entry points the playground's page calls (docs/playground.md).
//!
//! The page gives the files of its tabs as a JSON object `{path: text}`; they become a
//! [`Memory`] file system rooted at [`PROJECT`], so includes, cross-file `extends` and
//! `!reference` go through the same seam and the same project checks as on disk. Nothing here
//! reads a clock, a disk or the network: the page times the calls itself.

use cachelint::fs::Memory;
use cachelint::report::Format;
use cachelint::{Options, check};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use wasm_bindgen::prelude::wasm_bindgen;

/// Where the page's files live in the in-memory file system.
const PROJECT: &str = "/project";
/// The root configuration, as in a GitLab project.
const ROOT: &str = ".gitlab-ci.yml";

/// The page's files, checked: `files` maps a project-relative path to the file's text.
fn memory(files: &str) -> Result<Memory<'static>, String> {
    let parsed: Map<String, Value> = match serde_json::from_str(files) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err("the files must be a JSON object {path: text}".into()),
        Err(e) => return Err(format!("the files are not valid JSON: {e}")),
    };
    let mut fs = Memory::new().with_cwd(PROJECT);
    for (path, text) in parsed {
        let Some(text) = text.as_str() else {
            return Err(format!("{path}: the file's text must be a string"));
        };
        let rel = path.trim_start_matches('/');
        if rel.is_empty() || rel.ends_with('/') {
            return Err(format!("{path:?} is not a file name"));
        }
        fs.insert(Path::new(PROJECT).join(rel), text.as_bytes());
    }
    Ok(fs)
}

/// What `cachelint check` with no path checks: `.gitlab-ci.yml`, and the GitHub Actions
/// workflows under `.github/workflows/` (`.gitlab-ci.yml` alone when there is neither, so that
/// its absence is reported).
fn roots(fs: &Memory<'_>) -> Vec<PathBuf> {
    use cachelint::fs::Fs;
    let root = Path::new(PROJECT).join(ROOT);
    let workflows = cachelint::gha::discover(fs, Path::new(PROJECT));
    let mut out = Vec::new();
    if fs.kind(&root).is_some() || workflows.is_empty() {
        out.push(root);
    }
    out.extend(workflows);
    out
}

fn options(keep_effective: bool) -> Options {
    Options {
        project_root: Some(PathBuf::from(PROJECT)),
        keep_effective,
        ..Options::default()
    }
}

/// Lints the files (the root is `.gitlab-ci.yml`; a `cachelint.toml` among them applies) and
/// returns exactly what `cachelint check --format json` prints (docs/json-format.md). A root
/// that cannot be loaded is an error (thrown in JavaScript), as the CLI's exit code 2.
#[wasm_bindgen]
pub fn lint(files: &str) -> Result<String, String> {
    let fs = memory(files)?;
    let outcome = check(&fs, &roots(&fs), &options(false));
    if let Some(e) = outcome.errors.first() {
        let path = e.path.strip_prefix(PROJECT).unwrap_or(&e.path);
        return Err(format!("{}: {}", path.display(), e.message));
    }
    Ok(cachelint::report::render(Format::Json, &outcome, false))
}

/// The effective configuration (`cachelint show`, YAML) and the origins (`cachelint show
/// --origins`) of `job`, or of every job when `job` is not given or is not a visible job. The
/// answer is a JSON object: `job` (the job shown, or null for all), `effective`, `origins`,
/// `jobs` (every visible job) and `errors` (how many error findings GitLab would reject).
#[wasm_bindgen]
pub fn show(files: &str, job: Option<String>) -> Result<String, String> {
    let fs = memory(files)?;
    let mut diags = Vec::new();
    let analysis = cachelint::analyze(
        &fs,
        &Path::new(PROJECT).join(ROOT),
        &options(true),
        &mut diags,
    )
    .map_err(|e| {
        let path = e.path.strip_prefix(PROJECT).unwrap_or(&e.path);
        format!("{}: {}", path.display(), e.message)
    })?;
    let jobs: Vec<&str> = analysis
        .pipeline
        .effective
        .iter()
        .map(|j| j.name.as_str())
        .collect();
    let job = job.filter(|name| jobs.contains(&name.as_str()));
    let effective =
        cachelint::show::to_yaml(&cachelint::show::effective(&analysis, job.as_deref()));
    let origins = cachelint::show::origins(&analysis, job.as_deref());
    let errors = diags
        .iter()
        .filter(|d| d.severity == cachelint::diagnostic::Severity::Error)
        .count();
    Ok(json!({
        "job": job,
        "effective": effective,
        "origins": origins,
        "jobs": jobs,
        "errors": errors,
    })
    .to_string())
}

/// The version of cachelint compiled in.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> String {
        let m: Map<String, Value> = pairs
            .iter()
            .map(|(p, t)| (p.to_string(), Value::String(t.to_string())))
            .collect();
        Value::Object(m).to_string()
    }

    #[test]
    fn lint_reports_what_the_cli_reports_across_files() {
        let out = lint(&files(&[
            (
                ".gitlab-ci.yml",
                "include: ci/common.yml\nbuild:\n  extends: .base\n",
            ),
            (
                "ci/common.yml",
                ".base:\n  script: [make]\n  cache:\n    paths: [~/.npm]\n",
            ),
        ]))
        .unwrap();
        let doc: Value = serde_json::from_str(&out).unwrap();
        let findings = doc["findings"].as_array().unwrap();
        let rules: Vec<&str> = findings
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert!(rules.contains(&"cache-path-outside-project"), "{out}");
        let f = &findings[0];
        assert_eq!(f["path"], "ci/common.yml");
        assert_eq!(f["line"], 4);
        assert_eq!(
            doc["summary"]["files"],
            json!([".gitlab-ci.yml", "ci/common.yml"])
        );
    }

    #[test]
    fn lint_checks_workflows_as_the_cli_does() {
        let workflow = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/cache@v4\n        with:\n          path: ~/.cache/pip\n          key: pip-${{ hashFiles('requirements.txt') }}\n          save-always: true\n      - run: pip install -r requirements.txt\n";
        let out = lint(&files(&[
            (".github/workflows/ci.yml", workflow),
            ("requirements.txt", "pytest\n"),
        ]))
        .unwrap();
        let doc: Value = serde_json::from_str(&out).unwrap();
        let findings = doc["findings"].as_array().unwrap();
        assert!(
            findings
                .iter()
                .any(|f| f["rule"] == "gha-save-always-deprecated"
                    && f["path"] == ".github/workflows/ci.yml"
                    && f["line"] == 10),
            "{out}"
        );
        // With a `.gitlab-ci.yml` beside it, both are checked.
        let out = lint(&files(&[
            (".github/workflows/ci.yml", workflow),
            ("requirements.txt", "pytest\n"),
            (
                ".gitlab-ci.yml",
                "job:\n  script: [make]\n  cache:\n    paths: [~/.npm]\n",
            ),
        ]))
        .unwrap();
        assert!(out.contains("gha-save-always-deprecated"), "{out}");
        assert!(out.contains("cache-path-outside-project"), "{out}");
    }

    /// The files of a fixture directory as the page would give them, or `None` when one of
    /// them cannot be (a link, text that is not UTF-8).
    fn fixture(dir: &Path) -> Option<String> {
        fn walk(root: &Path, dir: &Path, out: &mut Map<String, Value>) -> Option<()> {
            for entry in std::fs::read_dir(dir).ok()? {
                let path = entry.ok()?.path();
                let kind = std::fs::symlink_metadata(&path).ok()?.file_type();
                if kind.is_dir() {
                    walk(root, &path, out)?;
                } else if kind.is_file() {
                    let text = String::from_utf8(std::fs::read(&path).ok()?).ok()?;
                    let rel = path.strip_prefix(root).ok()?.to_str()?.to_string();
                    out.insert(rel, Value::String(text));
                } else {
                    return None;
                }
            }
            Some(())
        }
        let mut out = Map::new();
        walk(dir, dir, &mut out)?;
        Some(Value::Object(out).to_string())
    }

    #[test]
    fn lint_is_byte_for_byte_the_clis_json_on_the_fixtures() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/check");
        let mut compared = 0;
        for entry in std::fs::read_dir(&fixtures).unwrap() {
            let dir = entry.unwrap().path();
            if !dir.join(ROOT).is_file() {
                continue;
            }
            let Some(files) = fixture(&dir) else {
                continue;
            };
            let on_disk = check(
                &cachelint::fs::Disk,
                &[dir.join(ROOT)],
                &Options {
                    project_root: Some(dir.clone()),
                    ..Options::default()
                },
            );
            let want = cachelint::report::render(Format::Json, &on_disk, false);
            assert_eq!(lint(&files).unwrap(), want, "{}", dir.display());
            compared += 1;
        }
        assert!(compared >= 20, "only {compared} fixtures compared");
    }

    #[test]
    fn a_cachelint_toml_among_the_files_applies() {
        let config = ".gitlab-ci.yml";
        let text = "build:\n  script: [make]\n  cache:\n    paths: [~/.npm]\n";
        let count = |out: String| {
            let doc: Value = serde_json::from_str(&out).unwrap();
            doc["findings"].as_array().unwrap().len()
        };
        assert_eq!(count(lint(&files(&[(config, text)])).unwrap()), 1);
        let ignored = files(&[
            (config, text),
            (
                "cachelint.toml",
                "[rules]\nignore = [\"cache-path-outside-project\"]\n",
            ),
        ]);
        assert_eq!(count(lint(&ignored).unwrap()), 0);
    }

    #[test]
    fn a_missing_root_or_bad_input_is_an_error() {
        assert!(lint(&files(&[("ci/common.yml", "a: 1\n")])).is_err());
        assert!(lint("[]").is_err());
        assert!(lint("{\"a.yml\": 1}").is_err());
        assert!(lint("not json").is_err());
    }

    #[test]
    fn show_gives_the_effective_configuration_and_origins_of_a_job() {
        let fs = files(&[(
            ".gitlab-ci.yml",
            ".base:\n  cache:\n    key: k\n    paths: [vendor/]\nbuild:\n  extends: .base\n  script: [make]\ntest:\n  script: [t]\n",
        )]);
        let out: Value = serde_json::from_str(&show(&fs, Some("build".into())).unwrap()).unwrap();
        assert_eq!(out["job"], "build");
        assert_eq!(out["jobs"], json!(["build", "test"]));
        let effective = out["effective"].as_str().unwrap();
        assert!(effective.contains("vendor/"), "{effective}");
        assert!(!effective.contains("test:"), "{effective}");
        assert!(out["origins"].as_str().unwrap().starts_with("build ("));
        // Not a visible job: everything.
        let all: Value = serde_json::from_str(&show(&fs, Some(".base".into())).unwrap()).unwrap();
        assert_eq!(all["job"], Value::Null);
        assert!(all["effective"].as_str().unwrap().contains("test:"));
    }
}
