#!/usr/bin/env bash
# Whole-process benchmark of `cachelint check` on generated configurations of growing size and on
# the largest real configuration of the corpus, against a bare saphyr-parser event scan
# (examples/scan.rs) of the same file. See docs/performance.md.
#
#     bash scripts/bench.sh
#
# Environment:
#   SIZES="1000 2500 5000 10000 20000"   job counts to generate (scripts/gen-config.py)
#   CORPUS=tests/corpus                 where to look for the largest real .gitlab-ci.yml
#   WARMUP=3 RUNS=10                    hyperfine --warmup / --min-runs
#   RSS_RUNS=3                          runs of /usr/bin/time -v per file (the largest peak is kept)
#   KEEP=1                              keep the temp dir (configs, hyperfine JSON) and print its path
#
# Prints a Markdown table. Needs cargo, python3, hyperfine and GNU time (installed with apt-get when
# missing). Takes about one minute on 2 cores once the release builds are done.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=${SIZES:-"1000 2500 5000 10000 20000"}
CORPUS=${CORPUS:-$ROOT/tests/corpus}
WARMUP=${WARMUP:-3}
RUNS=${RUNS:-10}
RSS_RUNS=${RSS_RUNS:-3}

log() { printf '%s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------
need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]} with apt-get"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >&2
fi
command -v python3 >/dev/null 2>&1 || { log "bench.sh: python3 is needed"; exit 2; }

# --- build -----------------------------------------------------------------------------------
log "building (release)"
cargo build --release --quiet >&2
cargo build --release --quiet --example scan >&2
# Copy the binaries so that a rebuild by someone else during the run does not change them.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/cachelint-bench.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    log "keeping $TMP"
else
    trap 'rm -rf "$TMP"' EXIT
fi
cp target/release/cachelint "$TMP/cachelint"
cp target/release/examples/scan "$TMP/scan"
CACHELINT=$TMP/cachelint
SCAN=$TMP/scan

# --- inputs ----------------------------------------------------------------------------------
files=()
labels=()
for n in $SIZES; do
    f=$TMP/jobs-$n.gitlab-ci.yml
    python3 scripts/gen-config.py "$n" --out "$f"
    files+=("$f")
    labels+=("$n")
done
if [ -d "$CORPUS" ]; then
    big=$(find "$CORPUS" -type f -name .gitlab-ci.yml -printf '%s\t%p\n' | sort -n | tail -n 1 | cut -f2-)
    if [ -n "$big" ]; then
        files+=("$big")
        labels+=("corpus: ${big#"$CORPUS"/}")
    fi
else
    log "no corpus at $CORPUS; skipping the real configuration"
fi

# --- measure ---------------------------------------------------------------------------------
results=$TMP/results.tsv
: >"$results"
for i in "${!files[@]}"; do
    f=${files[$i]}
    label=${labels[$i]}
    log "== $label ($(stat -c %s "$f") bytes)"
    # Sanity: the scan must parse the file, and cachelint must not find a YAML syntax error.
    "$SCAN" "$f" >"$TMP/scan.out"
    set +e
    "$CACHELINT" check "$f" --format json -o "$TMP/report.json"
    rc=$?
    set -e
    if [ "$rc" -gt 1 ]; then
        log "bench.sh: cachelint check exited $rc on $f"
        exit 1
    fi
    rules=$(python3 -c 'import json,sys,collections; d=json.load(open(sys.argv[1])); c=collections.Counter(x["rule"] for x in d["findings"]); print(",".join(f"{k}x{v}" for k,v in sorted(c.items())) or "none")' "$TMP/report.json")
    case ",$rules" in *,yaml-syntax*) log "bench.sh: cachelint reports yaml-syntax on $f"; exit 1 ;; esac

    hyperfine --shell=none --ignore-failure --warmup "$WARMUP" --min-runs "$RUNS" \
        --style basic --export-json "$TMP/hf-$i.json" \
        -n cachelint "'$CACHELINT' check '$f' --format json -o /dev/null" \
        -n scan "'$SCAN' '$f'" >&2

    peak() {
        local max=0 k
        for _ in $(seq "$RSS_RUNS"); do
            /usr/bin/time -v -o "$TMP/time.txt" "$@" >/dev/null 2>&1 || true
            k=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.txt")
            [ "$k" -gt "$max" ] && max=$k
        done
        echo "$max"
    }
    rss=$(peak "$CACHELINT" check "$f" --format json -o /dev/null)
    rss_scan=$(peak "$SCAN" "$f")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$(stat -c %s "$f")" "$TMP/hf-$i.json" \
        "$rss" "$rss_scan" "$(awk '{print $1}' "$TMP/scan.out")" "$rules" >>"$results"
done

# --- report ----------------------------------------------------------------------------------
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null | head -c1)
echo "Machine: $(nproc) CPUs, ${cpu:-unknown CPU}; $(rustc --version); $(hyperfine --version)."
echo "cachelint at commit $commit${dirty:+ (src/ has uncommitted changes)}, measured $(date -u +%Y-%m-%d)."
echo
python3 - "$results" <<'EOF'
import json, sys

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
print("| jobs | bytes | cachelint ms mean ± sd | cachelint ms median | scan ms mean ± sd "
      "| cachelint / scan | peak RSS MB | scan RSS MB | RSS / input | cachelint ms per MB "
      "| scan ms per MB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
notes = []
for label, size, hf, rss_kib, rss_scan_kib, events, rules in rows:
    size = int(size)
    res = {r["command"]: r for r in json.load(open(hf))["results"]}
    c, s = res["cachelint"], res["scan"]
    cm, csd = c["mean"] * 1e3, c["stddev"] * 1e3
    sm, ssd = s["mean"] * 1e3, s["stddev"] * 1e3
    rss = int(rss_kib) * 1024 / 1e6
    rss_scan = int(rss_scan_kib) * 1024 / 1e6
    mb = size / 1e6
    print(f"| {label} | {size:,} | {cm:.1f} ± {csd:.1f} | {c['median'] * 1e3:.1f} "
          f"| {sm:.1f} ± {ssd:.1f} | {cm / sm:.2f} "
          f"| {rss:.1f} | {rss_scan:.1f} | {rss / mb:.1f}× | {cm / mb:.1f} | {sm / mb:.1f} |")
    notes.append(f"- {label}: {events} parser events; cachelint findings: {rules}")
print()
print("MB = 10^6 bytes; RSS from /usr/bin/time -v (largest of the runs); times are hyperfine means")
print("of whole processes (start-up included); cachelint / scan and ms per MB use the means.")
print(f"Load average at the end of the run: {open('/proc/loadavg').read().split()[:3]}")
print()
print("\n".join(notes))
EOF
