#!/usr/bin/env python3
"""Generates the seed corpus of the `pipeline` fuzz target into fuzz/corpus/pipeline/
(not committed: `python3 fuzz/make_corpus.py` makes it again).

Seeds, in the input encoding of fuzz/harness.rs (files after the root start with a line
`#@@ PATH`):
- every directory under tests/corpus and tests/fixtures that holds a `.gitlab-ci.yml`, packed
  with up to 7 of the other YAML (and cachelint.toml) files below it at their own paths, so its
  includes resolve;
- every other YAML file under tests/corpus and tests/fixtures, alone as the root;
- the hand-written multi-file seeds in fuzz/seeds/ (includes by glob and by local path,
  `extends` and `!reference` across files, inputs, a cachelint.toml, include cycles and paths
  out of the project).
Each seed is named after the SHA-1 of its content, as libFuzzer names what it finds.
"""
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(HERE, "corpus", "pipeline")
ROOT = ".gitlab-ci.yml"
MAX_FILES = 8  # as in fuzz/harness.rs
SEPARATOR = b"\n#@@"


def is_config(name):
    return name.endswith((".yml", ".yaml")) or name == "cachelint.toml"


def walk(top):
    """Every file below `top`, sorted, as (dir, name)."""
    for d, subdirs, names in sorted(os.walk(top)):
        subdirs.sort()
        for n in sorted(names):
            yield d, n


def encode(files):
    out = b""
    for i, (name, content) in enumerate(files):
        if i > 0:
            if not out.endswith(b"\n"):
                out += b"\n"
            out += b"#@@ " + name.encode() + b"\n"
        out += content
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = []
    packed = set()
    tops = [os.path.join(REPO, "tests", "corpus"), os.path.join(REPO, "tests", "fixtures")]
    projects = sorted(
        d for top in tops for d, n in walk(top) if n == ROOT
    )
    for p in projects:
        others = []
        for d, n in walk(p):
            path = os.path.join(d, n)
            # A nested project is a seed of its own.
            if n == ROOT or not is_config(n) or any(
                q != p and path.startswith(q + os.sep) for q in projects
            ):
                continue
            others.append(path)
        chosen = others[: MAX_FILES - 1]
        files = [(ROOT, open(os.path.join(p, ROOT), "rb").read())]
        files += [(os.path.relpath(f, p), open(f, "rb").read()) for f in chosen]
        packed.update([os.path.join(p, ROOT)] + chosen)
        seeds.append(encode(files))
    for top in tops:
        for d, n in walk(top):
            path = os.path.join(d, n)
            if n.endswith((".yml", ".yaml")) and path not in packed:
                seeds.append(open(path, "rb").read())
    for d, n in walk(os.path.join(HERE, "seeds")):
        seeds.append(open(os.path.join(d, n), "rb").read())
    names = set()
    for s in seeds:
        name = hashlib.sha1(s).hexdigest()
        names.add(name)
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(s)
    print(f"{len(names)} seeds in {os.path.relpath(OUT, REPO)} "
          f"({len(projects)} projects packed, {sum(map(len, seeds))} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
