#!/usr/bin/env bash
# Proves the GitLab CI integration by running the jobs, not only reading them. There is no GitLab
# here, so the jobs run under gitlab-ci-local (the version pinned in tests/oracle/gitlab-ci-local,
# `npm ci --prefix tests/oracle/gitlab-ci-local` first) with its shell executor:
#
# 1. the ready-to-paste job of docs/integrations/gitlab-ci.md, in a scratch repository whose
#    .gitlab-ci.yml is that job plus a bad job: the job must fail and its Code Quality report must
#    name the problem; once the bad job is fixed, it must pass with an empty report. The job runs
#    as written, `cargo install` into `$CARGO_HOME` and the `PATH` line included; only the
#    repository URL is this checkout's (`file://`), as the project is not published yet (the
#    checkout's committed HEAD is what gets installed);
# 2. the `cachelint` job of this project's own .gitlab-ci.yml, in a clone of this checkout: it
#    builds cachelint and checks the file it is defined in, which must be clean.
#
# Usage: tests/gitlab-ci/run.sh   (after `cargo build --release`; from a git checkout)
# Prints "N passed, M failed"; exits 1 on a failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
gcl="$root/tests/oracle/gitlab-ci-local/node_modules/.bin/gitlab-ci-local"
[[ -x "$gcl" ]] || { echo "run.sh: run npm ci --prefix tests/oracle/gitlab-ci-local first" >&2; exit 2; }
[[ -x "$root/target/release/cachelint" ]] || { echo "run.sh: run cargo build --release first" >&2; exit 2; }
if ! command -v rsync >/dev/null 2>&1; then # gitlab-ci-local copies the project with rsync
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync >/dev/null || exit 2
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
ok() { echo "ok    $1"; passed=$((passed + 1)); }
fail() { echo "FAIL  $1"; echo "$2" | tail -30 | sed 's/^/      /'; failed=$((failed + 1)); }

commit() { git -C "$1" add -A && git -C "$1" commit -q -m "$2"; }
# gitlab-ci-local needs a git repository with a remote it can parse.
new_repo() {
    git -C "$1" init -q -b main
    git -C "$1" config user.email "ci@example.invalid"
    git -C "$1" config user.name "cachelint CI"
    git -C "$1" remote add origin https://gitlab.example.com/group/project.git
    # The default branch as the remote had it before this change: `rules: changes` compares
    # against it, so the CI files committed next count as changed.
    echo "a project" >"$1/README.md"
    commit "$1" "initial commit"
    git -C "$1" update-ref refs/remotes/origin/main HEAD
    git -C "$1" symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
}

# --- 1. the documented job ----------------------------------------------------------------------
repo="$tmp/project"
mkdir -p "$repo"
new_repo "$repo"
printf '.cargo/\n' >"$repo/.gitignore" # what the job's `cargo install` leaves, not the project's
job="$(awk '/^```yaml$/ { on = 1; next } on && /^```$/ { exit } on' "$root/docs/integrations/gitlab-ci.md")"
published="https://gitlab.com/cachelint/cachelint"
[[ "$job" == *"$published"* ]] || { echo "run.sh: the documented job no longer installs from $published" >&2; exit 2; }
job="${job//$published/file://$root}"
write_config() { # the documented job followed by a build job with the given cache path
    printf '%s\n\nbuild:\n  stage: build\n  script: [npm ci --cache .npm, npm run build]\n  cache:\n    key: npm\n    paths: [%s]\n' \
        "$job" "$1" >"$repo/.gitlab-ci.yml"
    printf 'stages: [build, test]\n' >>"$repo/.gitlab-ci.yml"
}
report="$repo/gl-code-quality-report.json"

# Runs the `cachelint` job of the repository in $2 (with $3, if given, first on PATH) and checks
# that it ended $4 (PASS or FAIL) and left a Code Quality report $5 for which the Python
# expression $6 holds (`r` is the parsed report).
run_job() {
    local name="$1" dir="$2" bin="$3" want="$4" report="$5" assertion="$6" out code
    out="$(cd "$dir" && PATH="${bin:+$bin:}$PATH" "$gcl" --force-shell-executor cachelint 2>&1)"; code=$?
    if [[ ( $want == PASS && $code -eq 0 ) || ( $want == FAIL && $code -ne 0 ) ]] \
        && [[ "$out" == *"$want  cachelint"* ]] \
        && python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert $assertion, r" "$report" 2>/dev/null; then
        ok "$name"
    else
        fail "$name" "$out"
    fi
}

write_config '~/.npm'
commit "$repo" "bad cache path"
run_job "the documented job installs cachelint, fails on a bad configuration and reports it in Code Quality JSON" \
    "$repo" "" FAIL "$report" \
    '[i["check_name"] for i in r] == ["cache-path-outside-project"] and r[0]["location"]["path"] == ".gitlab-ci.yml"'

rm -f "$report"
write_config '.npm/'
commit "$repo" "cache inside the project"
run_job "the documented job passes once it is fixed, with an empty report" \
    "$repo" "" PASS "$report" 'r == []'

# --- 2. this project's own job --------------------------------------------------------------------
clone="$tmp/cachelint"
git clone -q "$root" "$clone"
git -C "$clone" remote set-url origin https://gitlab.com/cachelint/cachelint.git
run_job "the project's own cachelint job builds cachelint and finds its .gitlab-ci.yml clean" \
    "$clone" "" PASS "$clone/gl-code-quality-report.json" 'r == []'

echo "GitLab CI jobs: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
