#!/usr/bin/env bash
# Builds the playground (docs/playground.md) into OUT: a static folder (index.html, app.js,
# style.css, cachelint.wasm) that any static server, or GitLab Pages, can serve as it is.
#
#   scripts/build-playground.sh OUT
#
# Needs rustup, cargo, Node.js and npm; installs the wasm32 target and wasm-bindgen-cli (at
# exactly the version of the wasm-bindgen crate in Cargo.lock, from crates.io) when missing.
# Prints the size of each file and the total transfer, gzipped.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: scripts/build-playground.sh OUT" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$1"
out="$(cd "$1" && pwd)"
cd "$root"

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown

# The CLI must match the crate's version exactly (wasm-bindgen refuses otherwise).
version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[[ -n "$version" ]] || { echo "build-playground: no wasm-bindgen in Cargo.lock" >&2; exit 2; }
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $version" ]]; then
    cargo install wasm-bindgen-cli --version "$version" --locked
fi

cargo build --locked -p cachelint-playground --profile playground --target wasm32-unknown-unknown
target="${CARGO_TARGET_DIR:-$root/target}"
pkg="$(mktemp -d)"
trap 'rm -rf "$pkg"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$pkg" \
    "$target/wasm32-unknown-unknown/playground/cachelint_playground.wasm"

npm ci --prefix playground/web --no-audit --no-fund --loglevel=error
node playground/web/build.mjs "$out" "$pkg"

total=0
for f in "$out"/*; do
    n="$(gzip -9 -c "$f" | wc -c)"
    total=$((total + n))
    printf '%-16s %8d bytes, %7d gzipped\n' "$(basename "$f")" "$(wc -c <"$f")" "$n"
done
printf 'total transfer: %d bytes gzipped (limit 1048576)\n' "$total"
if ((total > 1048576)); then
    echo "build-playground: over the 1 MB budget of docs/playground.md" >&2
    exit 1
fi
