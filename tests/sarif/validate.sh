#!/usr/bin/env bash
# Validates cachelint's SARIF output with Microsoft's SARIF multitool (`validate`: the SARIF 2.1.0
# schema and the multitool's rules), over the check fixtures and a few corpus configurations.
#
# Usage: tests/sarif/validate.sh [CACHELINT_BINARY]   (default target/debug/cachelint)
# Needs: node/npm (installs the pinned @microsoft/sarif-multitool into tests/sarif/node_modules).
# Prints one line per report and "N passed, M failed"; exits 1 if any report has an error or a
# warning from the validator.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/cachelint}"
[[ -x "$bin" ]] || { echo "validate.sh: no cachelint binary at $bin (cargo build)" >&2; exit 2; }

if [[ ! -x "$here/node_modules/.bin/sarif-multitool" ]]; then
    npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >&2 || exit 2
fi
# npm 11 does not run install scripts unless approved; the package's only script marks its
# self-contained binary executable.
chmod u+x "$here"/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool 2>/dev/null || true

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0
corpus="${CORPUS:-$root/tests/corpus}"
targets=()
for d in "$root"/tests/fixtures/check/*/; do targets+=("${d%/}"); done
for d in "$corpus"/real/GNOME__glib "$corpus"/real/OpenMW__openmw "$corpus"/real/sikt-no__sds-komponentbibliotek; do
    [[ -f "$d/.gitlab-ci.yml" ]] && targets+=("$d")
done
for d in "${targets[@]}"; do
    name="$(basename "$d")"
    out="$tmp/$name.sarif"
    # A GitHub Actions fixture has workflows and no `.gitlab-ci.yml`: its workflows are the roots.
    roots=("$d/.gitlab-ci.yml")
    if [[ ! -f "$d/.gitlab-ci.yml" ]]; then
        roots=()
        for w in "$d"/.github/workflows/*.yml "$d"/.github/workflows/*.yaml; do
            [[ -f "$w" ]] && roots+=("$w")
        done
    fi
    "$bin" check "${roots[@]}" --project-root "$d" --format sarif --output "$out" >/dev/null 2>&1
    code=$?
    if [[ $code -gt 1 || ! -s "$out" ]]; then
        echo "FAIL  $name: cachelint exited $code without a report"; failed=$((failed + 1)); continue
    fi
    "$here/node_modules/.bin/sarif-multitool" validate "$out" --output "$tmp/$name.validation.sarif" \
        --log ForceOverwrite >"$tmp/$name.log" 2>&1
    problems="$(python3 - "$tmp/$name.validation.sarif" <<'PY'
import json, sys
try:
    runs = json.load(open(sys.argv[1])).get("runs", [])
except Exception as e:
    print(f"no validation output: {e}")
    sys.exit()
for run in runs:
    for r in run.get("results", []):
        if r.get("level", "warning") in ("error", "warning"):
            print(f'{r.get("ruleId")}: {r.get("message", {}).get("text", "")[:200]}')
PY
)"
    if [[ -n "$problems" ]]; then
        echo "FAIL  $name"; echo "$problems" | sed 's/^/        /'; failed=$((failed + 1))
    else
        echo "ok    $name"; passed=$((passed + 1))
    fi
done
echo "SARIF validation: $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
