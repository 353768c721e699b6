#!/usr/bin/env bash
# Run the gitlab-ci-local --preview oracle over the corpus and the check fixtures.
#
# Usage: tests/oracle/gcl_corpus.sh [OUT_DIR] [CONFIG_DIR...]
#
#   OUT_DIR      default: target/oracle-gcl (under the repository root; target/ is git-ignored)
#   CONFIG_DIR   default: $CORPUS/real/*/ $CORPUS/offline/*/ tests/fixtures/check/*/ (those with
#                a .gitlab-ci.yml); CORPUS defaults to tests/corpus
#
# Writes, per configuration NAME (path with / replaced by __):
#   OUT_DIR/NAME.preview.yml   the preview (only on success)
#   OUT_DIR/NAME.json          gcl_normalize.py of it (only on success)
#   OUT_DIR/NAME.stderr        gitlab-ci-local's stderr
# and OUT_DIR/results.tsv: config, status (ok|fail|timeout|normalize-fail), exit code, seconds,
# number of visible jobs, the error (last meaningful stderr line, for failures).
# Prints a summary at the end. Exit status: 0 when every configuration was processed (whatever
# the oracle said about it), 2 on usage errors.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out_dir="${1:-$root/target/oracle-gcl}"
shift || true

CORPUS="${CORPUS:-$root/tests/corpus}"

configs=()
if [[ $# -gt 0 ]]; then
    configs=("$@")
else
    for d in "${CORPUS:-/nonexistent}"/real/*/ "${CORPUS:-/nonexistent}"/offline/*/ "$root"/tests/fixtures/check/*/; do
        [[ -f "$d/.gitlab-ci.yml" ]] && configs+=("${d%/}")
    done
fi
[[ ${#configs[@]} -gt 0 ]] || { echo "gcl_corpus: no configurations found (set CORPUS)" >&2; exit 2; }

mkdir -p "$out_dir"
results="$out_dir/results.tsv"
printf 'config\tstatus\texit\tseconds\tjobs\terror\n' >"$results"

label() {
    local d="$1"
    d="${d#"${CORPUS:-}/"}"
    d="${d#"$root/"}"
    printf '%s' "${d//\//__}"
}

total_start=$(date +%s.%N)
n_ok=0; n_fail=0; n_timeout=0; n_norm=0
for d in "${configs[@]}"; do
    name="$(label "$d")"
    shown="${d#"${CORPUS:-}/"}"; shown="${shown#"$root/"}"
    pre="$out_dir/$name.preview.yml"
    rm -f -- "$pre" "$out_dir/$name.json"
    t0=$(date +%s.%N)
    "$here/gcl_preview.sh" "$d" "$pre" 2>"$out_dir/$name.stderr"
    rc=$?
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    jobs=""
    err=""
    if [[ $rc -eq 0 ]]; then
        if "$here/gcl_normalize.py" "$pre" >"$out_dir/$name.json" 2>>"$out_dir/$name.stderr"; then
            status=ok; n_ok=$((n_ok + 1))
            jobs=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$out_dir/$name.json")
        else
            status=normalize-fail; n_norm=$((n_norm + 1))
            err="$(tail -n 1 "$out_dir/$name.stderr")"
        fi
    else
        if [[ $rc -eq 124 || $rc -eq 137 ]]; then
            status=timeout; n_timeout=$((n_timeout + 1))
        else
            status=fail; n_fail=$((n_fail + 1))
        fi
        # The error: the first line that is not one of gitlab-ci-local's routine git warnings.
        err="$(grep -v -E '^(Using fallback git|  Command failed with exit code 2: git remote get-url|error: No such remote|parsing and downloads finished| WARN  duplicated mapping key|Unable to retrieve default remote branch|  Command failed with exit code 128: git symbolic-ref|fatal: ref refs/remotes/origin/HEAD)' "$out_dir/$name.stderr" | sed -e 's/\x1b\[[0-9;]*m//g' -e 's/\t/ /g' | grep -v '^[[:space:]]*$' | head -n 1)"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$shown" "$status" "$rc" "$secs" "$jobs" "${err:0:300}" >>"$results"
    printf '%-70s %-8s %6ss %s\n' "$shown" "$status" "$secs" "${err:0:100}"
done
total_end=$(date +%s.%N)
total=$(awk -v a="$total_start" -v b="$total_end" 'BEGIN { printf "%.1f", b - a }')
echo "configs: ${#configs[@]}  ok: $n_ok  fail: $n_fail  timeout: $n_timeout  normalize-fail: $n_norm  total: ${total}s"
echo "results: $results"
