//! Snapshot tests: every directory under tests/fixtures/check is a small project whose
//! `.gitlab-ci.yml` is checked; the text report, the Code Quality report and the merged
//! configuration (after includes) are compared with the snapshots in tests/snapshots.
//!
//! Each fixture directory is its own test (`fixture::NAME`), so one failing fixture does not
//! hide the others: `cargo test --test check_fixtures fixture::readme` runs one.

use cachelint::fs::Disk;
use cachelint::model::{CacheKey, Downloads};
use cachelint::report::{Format, render};
use cachelint::{Analysis, Options, check};
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(".gitlab-ci.yml").is_file() || p.join(".github/workflows").is_dir())
        .collect();
    cases.sort();
    cases
}

fn run(case: &Path) -> cachelint::Outcome {
    check(
        &Disk,
        &[case.join(".gitlab-ci.yml")],
        &Options {
            project_root: Some(case.to_path_buf()),
            keep_effective: true,
            ..Options::default()
        },
    )
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let cases = cases();
    assert!(cases.len() >= 10, "fixtures missing");
    let mut trials: Vec<libtest_mimic::Trial> = cases
        .into_iter()
        .map(|case| {
            let name = case
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("?")
                .to_string();
            libtest_mimic::Trial::test(format!("fixture::{name}"), move || {
                fixture_matches_its_snapshots(&name, &case);
                Ok(())
            })
        })
        .collect();
    let tests: [(&str, fn()); 4] = [
        (
            "json_report_has_full_positions",
            json_report_has_full_positions,
        ),
        (
            "fingerprints_are_unique_and_do_not_depend_on_line_numbers",
            fingerprints_are_unique_and_do_not_depend_on_line_numbers,
        ),
        ("one_line_formats", one_line_formats),
        (
            "sarif_lists_every_rule_and_every_finding",
            sarif_lists_every_rule_and_every_finding,
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

/// A fixture of GitHub Actions workflows: its workflows checked as a git repository (a
/// `.git` cannot be committed inside this repository, so it is added in memory).
fn run_workflows(case: &Path) -> cachelint::Outcome {
    let mut fs = cachelint::fs::Memory::over(&Disk);
    fs.insert(case.join(".git/HEAD"), "ref: refs/heads/main\n");
    let roots = cachelint::gha::discover(&fs, case);
    check(
        &fs,
        &roots,
        &Options {
            project_root: Some(case.to_path_buf()),
            ..Options::default()
        },
    )
}

/// What the workflow rules read: every cache with its job, OSes, key components and paths.
fn caches_summary(case: &Path) -> String {
    let mut out = String::new();
    for root in cachelint::gha::discover(&Disk, case) {
        let Ok(loaded) = cachelint::gha::load(&Disk, &root, Some(case), &Default::default()) else {
            continue;
        };
        let cx = cachelint::gha::Context::new(&loaded.set, &loaded.workflows, None);
        for c in &cx.caches {
            let job = cx.job(c);
            let file = &loaded.set.file(c.step_ref.file).rel_path;
            out.push_str(&format!(
                "{file} job {} oses {:?} os_vars {:?}: {:?} paths {:?} restores {} saves {}\n",
                job.id, job.oses, job.os_vars, c.kind, c.paths, c.restores, c.saves
            ));
            if let Some(k) = c.key {
                let parts: Vec<String> = cx
                    .key_parts(c, k)
                    .iter()
                    .map(|p| format!("{:?}", p.part))
                    .collect();
                out.push_str(&format!("  key {}\n", parts.join(" + ")));
            }
            for r in &c.restore_keys {
                let parts: Vec<String> = r.comps.iter().map(|p| format!("{:?}", p.part)).collect();
                out.push_str(&format!("  restore {}\n", parts.join(" + ")));
            }
        }
    }
    out
}

fn fixture_matches_its_snapshots(name: &str, case: &Path) {
    if !case.join(".gitlab-ci.yml").is_file() {
        let outcome = run_workflows(case);
        assert!(outcome.errors.is_empty(), "{name}: {:?}", outcome.errors);
        insta::assert_snapshot!(
            format!("{name}.text"),
            render(Format::Text, &outcome, false)
        );
        insta::assert_snapshot!(
            format!("{name}.codequality"),
            render(Format::Codequality, &outcome, false)
        );
        insta::assert_snapshot!(format!("{name}.caches"), caches_summary(case));
        return;
    }
    let outcome = run(case);
    assert!(outcome.errors.is_empty(), "{name}: {:?}", outcome.errors);
    insta::assert_snapshot!(
        format!("{name}.text"),
        render(Format::Text, &outcome, false)
    );
    insta::assert_snapshot!(
        format!("{name}.codequality"),
        render(Format::Codequality, &outcome, false)
    );
    let a = &outcome.analyses[0];
    let effective = cachelint::show::effective(a, None);
    insta::assert_snapshot!(format!("{name}.show"), cachelint::show::to_yaml(&effective));
    insta::assert_snapshot!(format!("{name}.origins"), cachelint::show::origins(a, None));
    insta::assert_snapshot!(format!("{name}.model"), model_summary(a));
}

/// The typed model, one job GitLab runs a paragraph: what the rules will read.
fn model_summary(a: &Analysis) -> String {
    let p = &a.pipeline;
    let mut out = String::new();
    for (i, j) in p.jobs.iter().enumerate() {
        // Whose artifacts it downloads, by the names of the jobs GitLab runs.
        let from: Vec<&str> = p
            .downloads(i)
            .iter()
            .flat_map(|&k| p.jobs[k].instances.iter().map(|x| x.name.as_str()))
            .collect();
        let how = match j.downloads {
            Downloads::Jobs(_) => "listed",
            Downloads::EarlierStages { .. } => "earlier stages",
        };
        for (n, inst) in j.instances.iter().enumerate() {
            out.push_str(&format!(
                "\n{} (stage {} #{})\n",
                inst.name, j.stage.value, j.stage_index
            ));
            for v in j.instance_variables(n) {
                out.push_str(&format!(
                    "  variable {}={} ({:?})\n",
                    v.name, v.value, v.source
                ));
            }
            for c in &j.caches {
                let key = match &c.key {
                    CacheKey::Default => "default".to_string(),
                    CacheKey::Literal(k) => k.value.text.clone(),
                    CacheKey::Files { files, prefix, .. } => format!(
                        "files {:?} prefix {:?}",
                        files
                            .iter()
                            .map(|f| f.value.text.as_str())
                            .collect::<Vec<_>>(),
                        prefix.as_ref().map(|p| p.value.text.as_str())
                    ),
                    CacheKey::Invalid(_) => "invalid".to_string(),
                };
                let paths: Vec<&str> = c.paths.iter().map(|p| p.value.as_str()).collect();
                out.push_str(&format!(
                    "  cache[{}] key={key} paths={paths:?} policy={:?} when={:?}\n",
                    c.index,
                    c.policy.as_ref().map(|p| p.value.text.as_str()),
                    c.when.as_ref().map(|w| w.value.text.as_str())
                ));
            }
            if let Some(art) = &j.artifacts {
                let paths: Vec<&str> = art.paths.iter().map(|p| p.value.as_str()).collect();
                out.push_str(&format!("  artifacts paths={paths:?}\n"));
            }
            out.push_str(&format!("  downloads ({how}) {from:?}\n"));
        }
    }
    out
}

fn json_report_has_full_positions() {
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/multibyte-positions");
    let outcome = run(&case);
    insta::assert_snapshot!(
        "multibyte-positions.json",
        render(Format::Json, &outcome, false)
    );
    // Findings with a certain fix carry it: the edits, at full positions.
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/check/cache-path-outside-project");
    let json = render(Format::Json, &run(&case), false);
    assert!(json.contains("\"fix\": {"), "no fix in {json}");
    insta::assert_snapshot!("cache-path-outside-project.json", json);
}

fn fingerprints_are_unique_and_do_not_depend_on_line_numbers() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/includes-invalid");
    let fps = |outcome: &cachelint::Outcome| -> Vec<String> {
        cachelint::report::locate(outcome)
            .into_iter()
            .map(|l| l.fingerprint)
            .collect()
    };
    let before = fps(&run(&case));
    let mut unique = before.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "fingerprints must be unique");

    // The same configuration with unrelated lines inserted above keeps its fingerprints.
    let tmp = std::env::temp_dir().join(format!("cachelint-fp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("ci")).expect("tmp dir");
    let original = std::fs::read_to_string(case.join(".gitlab-ci.yml")).expect("fixture");
    std::fs::write(
        tmp.join(".gitlab-ci.yml"),
        format!("# a comment\nvariables:\n  UNRELATED: x\n\n{original}"),
    )
    .expect("write");
    for f in ["good.yml", "README", "empty.yml"] {
        std::fs::copy(case.join("ci").join(f), tmp.join("ci").join(f)).expect("copy");
    }
    let moved = check(
        &Disk,
        &[tmp.join(".gitlab-ci.yml")],
        &Options {
            project_root: Some(tmp.clone()),
            ..Options::default()
        },
    );
    let after = fps(&moved);
    let _ = std::fs::remove_dir_all(&tmp);
    // The symlink escape is not reproduced in the copy; compare the findings both have.
    let common: Vec<&String> = after.iter().filter(|f| before.contains(f)).collect();
    assert!(common.len() + 1 >= after.len(), "{before:?}\n{after:?}");
    assert!(common.len() >= 8);
}

fn one_line_formats() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/cache-values");
    let outcome = run(&case);
    insta::assert_snapshot!(
        "cache-values.concise",
        render(Format::Concise, &outcome, false)
    );
    insta::assert_snapshot!(
        "cache-values.github",
        render(Format::Github, &outcome, false)
    );
}

fn sarif_lists_every_rule_and_every_finding() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/cache-values");
    let outcome = run(&case);
    let sarif: serde_json::Value =
        serde_json::from_str(&render(Format::Sarif, &outcome, false)).expect("JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), cachelint::rules::registry::ALL.len());
    for r in rules {
        assert!(
            r["helpUri"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
        );
        assert!(
            !r["shortDescription"]["text"]
                .as_str()
                .unwrap_or("")
                .is_empty()
        );
    }
    let results = run["results"].as_array().expect("results");
    assert_eq!(results.len(), outcome.diagnostics.len());
    for r in results {
        let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"]);
        assert!(r["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64() > Some(0));
    }
}
