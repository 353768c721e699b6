#!/usr/bin/env bash
# Differential oracle: the merged/effective configuration of a GitLab CI
# configuration as computed by `gitlab-ci-local --preview` (pinned 4.73.0).
#
# Usage: tests/oracle/gcl_preview.sh CONFIG_DIR [OUT_FILE]
#
#   CONFIG_DIR  a directory holding .gitlab-ci.yml and every local file it
#               includes, at their repository paths (read only: it is copied).
#   OUT_FILE    where the preview YAML goes (default: stdout). Written only on
#               success; on failure it is removed if it existed.
#
# gitlab-ci-local's diagnostics (warnings, errors) go to stderr unchanged, and so do the
# warnings it prints on stdout before the preview (see the end of this script).
#
# What it does, so that the run is hermetic and offline:
#   * copies CONFIG_DIR to a fresh temp dir (never touches CONFIG_DIR);
#   * deletes gitlab-ci-local's own per-project inputs from the copy
#     (.gitlab-ci-local.yml, .gitlab-ci-local-variables.yml, .gitlab-ci-local-env,
#     .gitlab-ci-local-inputs.yml, .gitlab-ci-local/): GitLab ignores them, so
#     the oracle must too;
#   * makes the copy a throwaway git repository on branch `main` with one commit
#     holding every file (`git add -A -f`: include:local only sees files
#     listed by `git ls-files`), and points refs/remotes/origin/HEAD at it;
#     there is no remote, so gitlab-ci-local uses its fallback remote
#     (gitlab.com, fallback.group/fallback.project);
#   * runs gitlab-ci-local from that dir with a clean environment
#     (env -i: no GCL_* option variables, no user ~/.gitlab-ci-local, no
#     ~/.gitconfig), --home pointing at an empty dir, and every network path
#     closed: GIT_ALLOW_PROTOCOL=file (project/component includes and
#     `git ls-remote` fail at once), GIT_SSH_COMMAND=false, and
#     HTTP(S)_PROXY=http://127.0.0.1:9 (remote/template includes fetched with
#     axios fail at once with ECONNREFUSED on the loopback discard port);
#   * --no-json-schema-validation: the oracle is about merging, not the schema;
#   * kills it after ${GCL_ORACLE_TIMEOUT:-120} s;
#   * ORACLE_GCL_ARGS (optional): extra gitlab-ci-local arguments, split on blanks, e.g.
#     ORACLE_GCL_ARGS="--variable SKIP_JOB_REGEX=/^never$/" for a rules:if that its expression
#     evaluator cannot handle when a variable is undefined (see the doc). Not needed by default.
#
# Exit codes:
#   0    preview written
#   1    gitlab-ci-local failed (invalid config, include that cannot be
#        fetched offline, ...): its message is on stderr; also: it exited 0
#        without printing a preview document
#   2    usage error (bad arguments, CONFIG_DIR without .gitlab-ci.yml)
#   3    oracle not installed (run: npm ci --prefix tests/oracle/gitlab-ci-local)
#        or node/git missing
#   124  timed out (timeout(1) convention; 137 if it had to be killed)
#   134  node aborted, typically out of memory (an alias bomb)
#   other: exit status of gitlab-ci-local / node as is
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
gcl_js="$here/gitlab-ci-local/node_modules/gitlab-ci-local/dist/index.js"
expected_version="4.73.0"

usage() { echo "usage: $0 CONFIG_DIR [OUT_FILE]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
config_dir="$1"
out_file="${2:-}"
[[ -d "$config_dir" ]] || { echo "gcl_preview: not a directory: $config_dir" >&2; exit 2; }
[[ -f "$config_dir/.gitlab-ci.yml" ]] || { echo "gcl_preview: no .gitlab-ci.yml in $config_dir" >&2; exit 2; }

node_bin="$(command -v node || true)"
git_bin="$(command -v git || true)"
[[ -n "$node_bin" && -n "$git_bin" ]] || { echo "gcl_preview: node and git are required" >&2; exit 3; }
if [[ ! -f "$gcl_js" ]]; then
    echo "gcl_preview: gitlab-ci-local is not installed; run: npm ci --prefix tests/oracle/gitlab-ci-local" >&2
    exit 3
fi
installed_version="$("$node_bin" -p "require('$here/gitlab-ci-local/node_modules/gitlab-ci-local/package.json').version")"
if [[ "$installed_version" != "$expected_version" ]]; then
    echo "gcl_preview: gitlab-ci-local $installed_version installed, $expected_version expected" >&2
    exit 3
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/gcl-oracle.XXXXXX")"
cleanup() { rm -rf -- "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

repo="$tmp/repo"
home="$tmp/home"
mkdir -p "$repo" "$home"
# -L: the corpus holds regular files; follow links so the copy is self-contained.
cp -RL -- "$config_dir/." "$repo/"
chmod -R u+w "$repo"
rm -rf -- "$repo/.git" "$repo/.gitlab-ci-local" "$repo/.gitlab-ci-local.yml" \
    "$repo/.gitlab-ci-local-variables.yml" "$repo/.gitlab-ci-local-env" "$repo/.gitlab-ci-local-inputs.yml"

# A clean, offline environment for git and node.
clean_env=(
    env -i
    "PATH=$(dirname "$node_bin"):/usr/local/bin:/usr/bin:/bin"
    "HOME=$home"
    "LANG=C.UTF-8"
    "TZ=UTC"
    "NO_COLOR=1"
    "FORCE_COLOR=0"
    "GIT_CONFIG_NOSYSTEM=1"
    "GIT_CONFIG_GLOBAL=/dev/null"
    "GIT_TERMINAL_PROMPT=0"
    "GIT_ALLOW_PROTOCOL=file"
    "GIT_SSH_COMMAND=false"
    "HTTP_PROXY=http://127.0.0.1:9"
    "HTTPS_PROXY=http://127.0.0.1:9"
    "http_proxy=http://127.0.0.1:9"
    "https_proxy=http://127.0.0.1:9"
    "NO_PROXY="
    "no_proxy="
)

(
    cd "$repo"
    g() { "${clean_env[@]}" "$git_bin" "$@"; }
    g init -q -b main
    g config user.name "gcl-oracle"
    g config user.email "gcl-oracle@localhost"
    g config commit.gpgsign false
    g add -A -f
    g commit -q --no-verify --allow-empty -m "oracle snapshot"
    g update-ref refs/remotes/origin/main HEAD
    g symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
) >/dev/null 2>"$tmp/git.err" || { cat "$tmp/git.err" >&2; echo "gcl_preview: could not prepare the git snapshot" >&2; exit 3; }

rc=0
(
    cd "$repo"
    exec timeout -k 10 "${GCL_ORACLE_TIMEOUT:-120}" "${clean_env[@]}" "$node_bin" "$gcl_js" \
        --preview --no-json-schema-validation --no-color --home "$home" --maximum-includes 150 \
        ${ORACLE_GCL_ARGS:-}
) >"$tmp/preview.yml" </dev/null || rc=$?

if [[ $rc -ne 0 ]]; then
    [[ -n "$out_file" ]] && rm -f -- "$out_file"
    [[ $rc -eq 124 || $rc -eq 137 ]] && echo "gcl_preview: timed out after ${GCL_ORACLE_TIMEOUT:-120} s" >&2
    exit "$rc"
fi

# gitlab-ci-local also prints some warnings on stdout (writeStreams.memoStdout: "The job ... will
# be no-op. Multi-project pipeline is not supported", "Avoid overriding predefined variables",
# ...), always before the preview, which is written last and starts with a line "---". js-yaml's
# dump never writes such a line inside a document, so the preview starts at the last "---" line;
# whatever comes before it goes to stderr.
start="$(awk '$0 == "---" { n = NR } END { print n + 0 }' "$tmp/preview.yml")"
if [[ "$start" -eq 0 ]]; then
    cat -- "$tmp/preview.yml" >&2
    echo "gcl_preview: gitlab-ci-local exited 0 but printed no preview document" >&2
    [[ -n "$out_file" ]] && rm -f -- "$out_file"
    exit 1
fi
if [[ "$start" -gt 1 ]]; then
    head -n "$((start - 1))" -- "$tmp/preview.yml" >&2
fi
if [[ -n "$out_file" ]]; then
    tail -n "+$start" -- "$tmp/preview.yml" >"$out_file"
else
    tail -n "+$start" -- "$tmp/preview.yml"
fi
exit 0
