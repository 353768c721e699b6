#!/usr/bin/env bash
# Proves the language server works in a real editor: a headless Neovim (0.7 or later, with no
# user configuration or plugins) runs `cachelint server` on a scratch project, the example of
# docs/integrations/editors.md: .gitlab-ci.yml includes ci/common.yml, whose cache key uses
# $CI_COMMIT_REF_NAME and which caches `~/.npm`. tests/editor/check.lua then checks, in Neovim's
# own state: the diagnostics on ci/common.yml (the included file, where the problems are),
# each shown once, the quick fixes offered, hover on the job, go to definition on `extends:`,
# the diagnostics cleared once the included file is fixed in its buffer and written, and the
# server stopping on shutdown.
#
# Neovim runs once with the server started by check.lua itself (vim.lsp.start_client, with no
# configuration: `-u NONE`), then once for each Neovim setup of docs/integrations/editors.md
# that applies to this Neovim's version (each ```lua block after a
# "<!-- tests/editor/nvim.sh runs this block on Neovim X.Y -->" line, or "... X.Y and later -->",
# or "... X.Y to X.Z -->"), copied from the page into the init file (`-u`), with `cachelint` on PATH. Each run is
# under `timeout 60`, so a server that never answers fails the test.
#
# Usage: tests/editor/nvim.sh [CACHELINT]   (default: target/release/cachelint; it builds
#        nothing, so run `cargo build --release` first; needs `nvim`: apt-get install neovim)
# Prints an "ok"/"FAIL" line per check and "N passed, M failed"; exits 1 on a failure.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${1:-$root/target/release/cachelint}"
[[ -f "$bin" && -x "$bin" ]] || { echo "nvim.sh: $bin is not an executable (run cargo build --release first)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
command -v nvim >/dev/null 2>&1 || { echo "nvim.sh: nvim not found (apt-get install neovim)" >&2; exit 2; }
doc="$root/docs/integrations/editors.md"
version="$(nvim --version | head -1)" # NVIM v0.7.2
[[ "$version" =~ v([0-9]+)\.([0-9]+) ]] || { echo "nvim.sh: cannot read the version of nvim: $version" >&2; exit 2; }
minor=$((BASH_REMATCH[1] * 1000 + BASH_REMATCH[2]))

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# `cachelint` on PATH for the documented setups, which run the command `cachelint`.
mkdir -p "$tmp/bin"
ln -s "$bin" "$tmp/bin/cachelint"

passed=0; failed=0
# Runs Neovim on a new scratch project: $1 a title, $2 the init file (NONE: check.lua starts
# the server itself).
run() {
    local title="$1" init="$2" dir code=0 mode=client
    dir="$(mktemp -d "$tmp/run.XXXXXX")"
    mkdir -p "$dir/project/.git" "$dir/project/ci"
    cat >"$dir/project/.gitlab-ci.yml" <<'YAML'
include: ci/common.yml

test:
  extends: .node
  script: [npm ci --cache .npm, npm test]
YAML
    cat >"$dir/project/ci/common.yml" <<'YAML'
.node:
  image: node:22
  cache:
    key: npm-$CI_COMMIT_REF_NAME
    paths: [~/.npm]
YAML
    [[ "$init" == NONE ]] || mode=documented
    : >"$dir/result"
    echo "-- $title"
    # Neovim's own files (the LSP log, shada, swap) go to the scratch directory, not $HOME.
    (cd "$dir/project" && PATH="$tmp/bin:$PATH" \
        XDG_CONFIG_HOME="$dir/config" XDG_DATA_HOME="$dir/data" XDG_STATE_HOME="$dir/state" \
        XDG_CACHE_HOME="$dir/cache" CACHELINT_BIN="$bin" CACHELINT_PROJECT="$dir/project" \
        CACHELINT_RESULT="$dir/result" CACHELINT_MODE="$mode" \
        timeout 60 nvim --headless --clean -u "$init" "$dir/project/.gitlab-ci.yml" \
        -c "luafile $root/tests/editor/check.lua" </dev/null >"$dir/nvim.out" 2>&1) || code=$?

    cat "$dir/result"
    local ok fail
    ok="$(grep -c '^ok ' "$dir/result" || true)"
    fail="$(grep -c '^FAIL ' "$dir/result" || true)"
    if [[ $code -ne 0 || "$(tail -1 "$dir/result")" != done ]]; then
        if [[ $fail -eq 0 ]]; then
            if [[ $code -eq 124 ]]; then
                echo "FAIL  nvim did not finish within 60 s"
            else
                echo "FAIL  nvim exited with code $code before check.lua reported success"
            fi
            fail=1
        fi
        echo "      $version; what nvim printed:"
        tail -30 "$dir/nvim.out" | awk '{ print "        " $0 }'
        for log in "$dir"/cache/nvim/lsp.log "$dir"/state/nvim/lsp.log; do
            [[ -s "$log" ]] && { echo "      $log:"; tail -30 "$log" | awk '{ print "        " $0 }'; }
        done
    fi
    passed=$((passed + ok)); failed=$((failed + fail))
}

run "the server started by vim.lsp.start_client, no configuration" NONE

# The documented setups: each ```lua block after a marker line, with the versions it names.
found=0
while IFS= read -r line; do
    [[ "$line" =~ runs\ this\ block\ on\ Neovim\ ([0-9]+)\.([0-9]+)(\ and\ later|\ to\ ([0-9]+)\.([0-9]+))?\ --\> ]] || continue
    from=$((BASH_REMATCH[1] * 1000 + BASH_REMATCH[2]))
    to=$from
    [[ "${BASH_REMATCH[3]}" == " and later" ]] && to=999999
    [[ -n "${BASH_REMATCH[4]}" ]] && to=$((BASH_REMATCH[4] * 1000 + BASH_REMATCH[5]))
    found=$((found + 1))
    init="$tmp/init-$found.lua"
    awk -v marker="$line" '$0 == marker { on = 1; next } on && /^```lua$/ { inside = 1; next }
        inside && /^```$/ { exit } inside' "$doc" >"$init"
    name="$(echo "$line" | sed -E 's/.*on (Neovim [^-]*[^ -]) *-->.*/\1/')"
    if [[ ! -s "$init" ]]; then
        echo "FAIL  no \`\`\`lua block after \"$line\" in docs/integrations/editors.md"; failed=$((failed + 1))
    elif (( minor >= from && minor <= to )); then
        run "the setup of docs/integrations/editors.md for $name" "$init"
    else
        echo "-- (the setup for $name does not apply to $version)"
    fi
done < <(grep -E '^<!-- tests/editor/nvim.sh runs this block on Neovim ' "$doc")
if [[ $found -eq 0 ]]; then
    echo "FAIL  no Neovim setups marked for this test in docs/integrations/editors.md"; failed=$((failed + 1))
fi

echo "Neovim ($version): $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
