#!/usr/bin/env bash
# Extract gitlab-ci-local's TypeScript sources (src/*.ts and the bundled node_modules) from the
# source map shipped in the npm package (dist/index.js.map, sourcesContent), so that the
# "Known differences" in docs/oracle-gitlab-ci-local.md can be checked against the real code.
#
# Usage: tests/oracle/gcl_sources.sh OUT_DIR     (then read OUT_DIR/src/data-expander.ts, ...)
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: $0 OUT_DIR" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
map="$here/gitlab-ci-local/node_modules/gitlab-ci-local/dist/index.js.map"
[[ -f "$map" ]] || { echo "not installed: npm ci --prefix tests/oracle/gitlab-ci-local" >&2; exit 3; }
mkdir -p "$1"
node -e '
const fs = require("fs"), path = require("path");
const [map, out] = process.argv.slice(1);
const m = JSON.parse(fs.readFileSync(map, "utf8"));
let n = 0;
m.sources.forEach((s, i) => {
  const rel = s.replace(/^(\.\.\/)+/, "");
  if (rel.includes("..") || path.isAbsolute(rel)) return;
  const file = path.join(out, rel);
  fs.mkdirSync(path.dirname(file), {recursive: true});
  fs.writeFileSync(file, (m.sourcesContent || [])[i] || "");
  n++;
});
console.log(`${n} files written under ${out}`);
' "$map" "$1"
