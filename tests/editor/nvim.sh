#!/usr/bin/env bash
# Proves the language server works in a real editor: a headless Neovim (0.7 or later, with no
# user configuration or plugins) starts `cachelint server` the way docs/integrations/editors.md
# says, on a scratch project whose .gitlab-ci.yml includes ci/common.yml, which caches `~/.npm`.
# tests/editor/check.lua then checks, in Neovim's own state: the cache-path-outside-project
# diagnostic on ci/common.yml line 5 (the included file, where the problem is), the quick fixes
# offered for it, hover on the job, go to definition on `extends:`, the diagnostics cleared once
# the included file is fixed in its buffer and written, and the server exiting with code 0 on
# shutdown. Neovim runs under `timeout 60`, so a server that never answers fails the test.
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

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
project="$tmp/project"
mkdir -p "$project/.git" "$project/ci"
cat >"$project/.gitlab-ci.yml" <<'YAML'
include: ci/common.yml

test:
  extends: .node
  script: [npm ci --cache .npm, npm test]
YAML
cat >"$project/ci/common.yml" <<'YAML'
.node:
  image: node:22
  cache:
    key: npm
    paths: [~/.npm]
YAML

# Neovim's own files (the LSP log, shada, swap) go to the scratch directory, not $HOME.
export XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_STATE_HOME="$tmp/state" \
    XDG_CACHE_HOME="$tmp/cache"
export CACHELINT_BIN="$bin" CACHELINT_PROJECT="$project" CACHELINT_RESULT="$tmp/result"
: >"$CACHELINT_RESULT"
version="$(nvim --version | head -1)"
code=0
(cd "$project" && timeout 60 nvim --headless --clean -u NONE "$project/.gitlab-ci.yml" \
    -c "luafile $root/tests/editor/check.lua" </dev/null >"$tmp/nvim.out" 2>&1) || code=$?

cat "$CACHELINT_RESULT"
passed="$(grep -c '^ok ' "$CACHELINT_RESULT" || true)"
failed="$(grep -c '^FAIL ' "$CACHELINT_RESULT" || true)"
if [[ $code -ne 0 || "$(tail -1 "$CACHELINT_RESULT")" != done ]]; then
    if [[ $failed -eq 0 ]]; then
        if [[ $code -eq 124 ]]; then
            echo "FAIL  nvim did not finish within 60 s"
        else
            echo "FAIL  nvim exited with code $code before check.lua reported success"
        fi
        failed=1
    fi
    echo "      $version; what nvim printed:"
    tail -30 "$tmp/nvim.out" | awk '{ print "        " $0 }'
    for log in "$tmp"/cache/nvim/lsp.log "$tmp"/state/nvim/lsp.log; do
        [[ -s "$log" ]] && { echo "      $log:"; tail -30 "$log" | awk '{ print "        " $0 }'; }
    done
fi
echo "Neovim ($version): $passed passed, $failed failed"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
