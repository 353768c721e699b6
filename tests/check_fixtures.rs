//! Snapshot tests: every directory under tests/fixtures/check is a small project whose
//! `.gitlab-ci.yml` is checked; the text report, the Code Quality report and the merged
//! configuration (after includes) are compared with the snapshots in tests/snapshots.

use cachelint::report::{Format, render};
use cachelint::resolve::merge::merge_includes;
use cachelint::{Options, check};
use std::path::{Path, PathBuf};

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixtures directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join(".gitlab-ci.yml").is_file())
        .collect();
    cases.sort();
    cases
}

fn run(case: &Path) -> cachelint::Outcome {
    check(
        &[case.join(".gitlab-ci.yml")],
        &Options {
            project_root: Some(case.to_path_buf()),
            ..Options::default()
        },
    )
}

#[test]
fn every_fixture_matches_its_snapshots() {
    let cases = cases();
    assert!(cases.len() >= 10, "fixtures missing");
    for case in cases {
        let name = case.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let outcome = run(&case);
        assert!(outcome.errors.is_empty(), "{name}: {:?}", outcome.errors);
        insta::assert_snapshot!(
            format!("{name}.text"),
            render(Format::Text, &outcome, false)
        );
        insta::assert_snapshot!(
            format!("{name}.codequality"),
            render(Format::Codequality, &outcome, false)
        );
        let ctx = cachelint::resolve::value::Ctx::new(&outcome.sets[0]);
        let merged = merge_includes(&ctx).map(|m| ctx.to_json(&m));
        insta::assert_snapshot!(
            format!("{name}.merged"),
            serde_json::to_string_pretty(&merged).unwrap_or_default()
        );
    }
}

#[test]
fn json_report_has_full_positions() {
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check/multibyte-positions");
    let outcome = run(&case);
    insta::assert_snapshot!(
        "multibyte-positions.json",
        render(Format::Json, &outcome, false)
    );
}

#[test]
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
