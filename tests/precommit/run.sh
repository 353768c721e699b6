#!/usr/bin/env bash
# Proves the pre-commit hook works: installs pre-commit from PyPI into a temporary virtualenv,
# makes a temporary git repository whose .pre-commit-config.yaml uses this checkout (at its
# HEAD commit) as the hook's repository, and shows the hook failing on a bad configuration and
# passing once it is fixed. The hook builds cachelint with cargo (pre-commit's `rust` language),
# so the first run takes a minute or two.
#
# Usage: tests/precommit/run.sh   (from a git checkout whose HEAD contains .pre-commit-hooks.yaml)
# Prints "N passed, M failed"; exits 1 on a failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rev="$(git -C "$root" rev-parse HEAD)" || { echo "run.sh: $root is not a git checkout" >&2; exit 2; }
git -C "$root" cat-file -e "$rev:.pre-commit-hooks.yaml" 2>/dev/null \
    || { echo "run.sh: HEAD has no .pre-commit-hooks.yaml (commit it first)" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv" || exit 2
"$tmp/venv/bin/pip" install --quiet --disable-pip-version-check pre-commit || exit 2
export PRE_COMMIT_HOME="$tmp/cache"

repo="$tmp/project"
mkdir -p "$repo/ci"
git -C "$repo" init -q -b main
git -C "$repo" config user.email "ci@example.invalid"
git -C "$repo" config user.name "cachelint CI"
cat >"$repo/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $root
    rev: $rev
    hooks:
      - id: cachelint
YAML
# A bad configuration: the included file caches outside the project, and a key is duplicated.
cat >"$repo/.gitlab-ci.yml" <<'YAML'
include:
  - local: ci/node.yml

test:
  extends: .node
  script: [npm test]
  stage: test
  stage: build
YAML
cat >"$repo/ci/node.yml" <<'YAML'
.node:
  image: node:20
  cache:
    key: npm
    paths: [~/.npm]
YAML
git -C "$repo" add -A && git -C "$repo" commit -q -m "bad configuration"

passed=0; failed=0
check() { # name, expected exit status, output must contain
    local name="$1" want="$2" needle="$3" out code
    out="$(cd "$repo" && "$tmp/venv/bin/pre-commit" run --all-files --color never 2>&1)"; code=$?
    if [[ "$code" == "$want" && "$out" == *"$needle"* ]]; then
        echo "ok    $name (exit $code)"; passed=$((passed + 1))
    else
        echo "FAIL  $name: exit $code, want $want, output must contain \"$needle\""
        echo "$out" | tail -40 | sed 's/^/        /'
        failed=$((failed + 1))
    fi
}
check "the hook fails on a bad configuration" 1 "cache-path-outside-project"
check "the hook names every problem" 1 "duplicate-key"

# Fixed: the cache inside the project, one stage.
cat >"$repo/ci/node.yml" <<'YAML'
.node:
  image: node:20
  cache:
    key: npm
    paths: [.npm/]
YAML
cat >"$repo/.gitlab-ci.yml" <<'YAML'
include:
  - local: ci/node.yml

test:
  extends: .node
  script: [npm ci --cache .npm, npm test]
  stage: test
YAML
git -C "$repo" add -A && git -C "$repo" commit -q -m "fixed configuration"
check "the hook passes once it is fixed" 0 "Passed"

echo "pre-commit hook: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
