#!/usr/bin/env python3
"""Unpacks a fuzz input (fuzz/harness.rs's encoding) into a directory, to reproduce a finding
with the command-line tool:

    python3 fuzz/unpack.py tests/fixtures/fuzz/NAME.fuzz /tmp/case
    cachelint check --project-root /tmp/case /tmp/case/.gitlab-ci.yml

The root is .gitlab-ci.yml; each separator line `#@@ PATH` starts a file at PATH (default
names ci/a.yml, ci/b.yml, ci/c.yml, templates/d.yaml); at most 8 files. An absolute PATH is put
under DIR/_abs/ (the harness puts it outside the project root /p) and listed on stderr.
"""
import os
import sys

SEPARATOR = b"\n#@@"
DEFAULT_NAMES = ["ci/a.yml", "ci/b.yml", "ci/c.yml", "templates/d.yaml"]
MAX_FILES = 8


def decode(data):
    cuts = []
    i = data.find(SEPARATOR)
    while i != -1:
        cuts.append(i)
        i = data.find(SEPARATOR, i + len(SEPARATOR))
    root_end = cuts[0] + 1 if cuts else len(data)
    files = [(".gitlab-ci.yml", data[:root_end])]
    unnamed = 0
    for n, c in enumerate(cuts):
        if len(files) >= MAX_FILES:
            break
        header = c + len(SEPARATOR)
        nl = data.find(b"\n", header)
        name_bytes = data[header:] if nl == -1 else data[header:nl]
        body_start = len(data) if nl == -1 else nl + 1
        body_end = cuts[n + 1] + 1 if n + 1 < len(cuts) else len(data)
        body = data[min(body_start, body_end):body_end]
        try:
            name = name_bytes.decode("utf-8").strip()
        except UnicodeDecodeError:
            name = ""
        if not name or len(name.encode()) > 80 or "\0" in name:
            name = DEFAULT_NAMES[unnamed % len(DEFAULT_NAMES)]
            unnamed += 1
        files.append((name, body))
    return files


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = open(sys.argv[1], "rb").read()
    out = sys.argv[2]
    for name, body in decode(data):
        if name.startswith("/"):
            path = os.path.join(out, "_abs", name.lstrip("/"))
            print(f"{name}: absolute, written to {path}", file=sys.stderr)
        else:
            path = os.path.normpath(os.path.join(out, name))
        if not os.path.abspath(path).startswith(os.path.abspath(out) + os.sep):
            print(f"{name}: outside the directory, skipped", file=sys.stderr)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(body)
        print(path)


if __name__ == "__main__":
    main()
