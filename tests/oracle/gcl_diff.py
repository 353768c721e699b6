#!/usr/bin/env python3
"""Differential suite: cachelint's effective configuration against gitlab-ci-local --preview.

Usage: tests/oracle/gcl_diff.py [--cachelint BIN] [--update-expected] [CONFIG_DIR...]

For every configuration directory (default: each corpus project under real/ and offline/ and
each tests/fixtures/check/ case with a .gitlab-ci.yml) that gitlab-ci-local 4.73.0 can expand
offline, both effective configurations are put in the same normal form
(tests/oracle/gcl_normalize.py, docs/oracle-gitlab-ci-local.md) and compared job by job, field by
field: cache, artifacts, script, before_script, after_script, image, services, stage, variables,
needs, tags, retry.

Two adjustments are made to both sides before comparing, for fields gitlab-ci-local does not
model (docs/oracle-gitlab-ci-local.md, "Known differences", item e): caches without `paths` are
dropped (gitlab-ci-local drops them; GitLab keeps them and the runner skips them), and cache
`untracked`, `unprotect` and `fallback_keys` are not compared (gitlab-ci-local drops them).

Every other difference must be listed in tests/oracle/gcl_expected.tsv (config, job, field,
reason) after it has been checked by hand against GitLab's source; docs/semantics.md explains
each kind. A listed difference that no longer occurs fails too, so the list stays true.

Prints one line per configuration and ends with "N passed, M failed" (a configuration passes
when it matches, up to its expected differences, or when gitlab-ci-local cannot expand it
offline, which is reported as skipped). Exit 1 if any failed, 3 if the oracle is not installed.
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXPECTED = os.path.join(HERE, "gcl_expected.tsv")
FIELDS = ["cache", "artifacts", "script", "before_script", "after_script", "image", "services",
          "stage", "variables", "needs", "tags", "retry"]
# Fixtures the oracle cannot run or that test something else (an alias bomb exhausts node).
SKIP = {"alias-bomb", "yaml-limits", "too-many-includes"}


def corpus_dir():
    for c in (os.environ.get("CORPUS"), os.path.join(ROOT, "tests", "corpus")):
        if c and os.path.isdir(c):
            return os.path.abspath(c)
    return None


def configs(args):
    if args:
        return [os.path.abspath(a) for a in args]
    out = []
    c = corpus_dir()
    if c:
        for group in ("real", "offline"):
            base = os.path.join(c, group)
            for name in sorted(os.listdir(base)):
                d = os.path.join(base, name)
                if os.path.isfile(os.path.join(d, ".gitlab-ci.yml")):
                    out.append(d)
    fx = os.path.join(ROOT, "tests", "fixtures", "check")
    for name in sorted(os.listdir(fx)):
        d = os.path.join(fx, name)
        if name not in SKIP and os.path.isfile(os.path.join(d, ".gitlab-ci.yml")):
            out.append(d)
    return out


def label(d):
    c = corpus_dir()
    if c and d.startswith(c + os.sep):
        return os.path.relpath(d, c)
    return os.path.relpath(d, ROOT)


def normalize(path):
    res = subprocess.run([sys.executable, os.path.join(HERE, "gcl_normalize.py"), path],
                         capture_output=True, text=True, timeout=180)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip())
    return json.loads(res.stdout)


def theirs(d, tmp):
    out = os.path.join(tmp, "preview.yml")
    res = subprocess.run([os.path.join(HERE, "gcl_preview.sh"), d, out],
                         capture_output=True, text=True, timeout=300)
    if res.returncode == 3:
        print(res.stderr.rstrip(), file=sys.stderr)
        print(f"gcl_diff: the oracle could not run on {d} (is it installed? "
              "npm ci --prefix tests/oracle/gitlab-ci-local)", file=sys.stderr)
        sys.exit(3)
    if res.returncode != 0:
        lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
        return None, (lines[-1] if lines else f"exit {res.returncode}")
    return normalize(out), None


def ours(d, tmp, binary):
    res = subprocess.run([binary, "show", "--format", "json", "--project-root", d,
                          os.path.join(d, ".gitlab-ci.yml")],
                         capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError(f"cachelint show failed: {res.stderr.strip()}")
    out = os.path.join(tmp, "ours.json")
    with open(out, "w") as f:
        f.write(res.stdout)
    return normalize(out)


def adjust(job):
    """The adjustments for what gitlab-ci-local does not model (see the module docstring)."""
    caches = []
    for c in job.get("cache") or []:
        if isinstance(c, dict):
            if not c.get("paths"):
                continue
            c = {k: v for k, v in c.items() if k not in ("untracked", "unprotect", "fallback_keys")}
        caches.append(c)
    job["cache"] = caches
    return job


def load_expected():
    out = {}
    if not os.path.exists(EXPECTED):
        return out
    with open(EXPECTED) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 4:
                raise SystemExit(f"{EXPECTED}:{n}: want 4 tab-separated columns")
            out[(parts[0], parts[1], parts[2])] = parts[3]
    return out


def main():
    argv = sys.argv[1:]
    binary = os.path.join(ROOT, "target", "debug", "cachelint")
    if "--cachelint" in argv:
        i = argv.index("--cachelint")
        binary = argv[i + 1]
        del argv[i:i + 2]
    update = "--update-expected" in argv
    argv = [a for a in argv if a != "--update-expected"]
    expected = load_expected()
    seen = set()
    passed = failed = skipped = 0
    new_rows = []
    for d in configs(argv):
        name = label(d)
        with tempfile.TemporaryDirectory(prefix="gcl-diff-") as tmp:
            try:
                want, why = theirs(d, tmp)
            except subprocess.TimeoutExpired:
                want, why = None, "gitlab-ci-local timed out"
            if want is None:
                skipped += 1
                passed += 1
                print(f"skip  {name}: gitlab-ci-local cannot expand it offline ({why[:120]})")
                continue
            try:
                got = ours(d, tmp, binary)
            except Exception as e:  # noqa: BLE001 - reported as a failure
                failed += 1
                print(f"FAIL  {name}: {e}")
                continue
        problems = []
        for job in sorted(set(want) | set(got)):
            if job not in got or job not in want:
                key = (name, job, "(job)")
                seen.add(key)
                if key not in expected:
                    side = "cachelint" if job not in got else "gitlab-ci-local"
                    problems.append(f"job `{job}` is missing from {side}")
                    new_rows.append((name, job, "(job)", f"missing from {side}"))
                continue
            a, b = adjust(dict(got[job])), adjust(dict(want[job]))
            for field in FIELDS:
                if a.get(field) == b.get(field):
                    continue
                key = (name, job, field)
                seen.add(key)
                if key in expected:
                    continue
                problems.append(f"`{job}`.{field}: cachelint {json.dumps(a.get(field))[:300]}"
                                f" != gitlab-ci-local {json.dumps(b.get(field))[:300]}")
                new_rows.append((name, job, field, "TODO: check by hand"))
        stale = [k for k in expected if k[0] == name and k not in seen]
        for k in stale:
            problems.append(f"expected difference no longer occurs: {k[1]}.{k[2]} ({expected[k]})")
        if problems:
            failed += 1
            print(f"FAIL  {name}")
            for p in problems:
                print(f"        {p}")
        else:
            passed += 1
            extra = sum(1 for k in expected if k[0] == name)
            note = f" ({extra} known gitlab-ci-local difference{'s' if extra != 1 else ''})" if extra else ""
            print(f"ok    {name}: {len(want)} jobs{note}")
    if update and new_rows:
        with open(EXPECTED, "a") as f:
            for row in new_rows:
                f.write("\t".join(row) + "\n")
        print(f"gcl_diff: appended {len(new_rows)} rows to {EXPECTED}; check each by hand")
    print(f"gitlab-ci-local oracle: {passed - skipped} configurations compared, {skipped} skipped")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
