#!/usr/bin/env python3
"""Canonical JSON of a `gitlab-ci-local --preview` document (see docs/oracle-gitlab-ci-local.md).

Usage: tests/oracle/gcl_normalize.py [--own-variables] PREVIEW_YAML|-

Prints one JSON object: visible job name -> {cache, artifacts, script, before_script,
after_script, image, services, stage, variables, needs, tags, retry}, keys sorted, two-space
indent. The YAML is read with the js-yaml that gitlab-ci-local installs (the same parser family
that wrote it), through node, so no YAML 1.1 reinterpretation can creep in.

Normal form (each field is always present):
  stage          string; absent -> "test"
  script, before_script, after_script
                 list, nested lists flattened, a string s -> [s]; absent/null -> []
  image          null, or {"name": str, "entrypoint": list|null}; other image keys are dropped
  services       list of {"name", "alias", "entrypoint", "command", "variables"} (missing -> null,
                 service variable values as strings); a string s -> {"name": s, ...null}; absent -> []
  cache          list of {"key", "paths", "policy", "when", "untracked", "unprotect",
                 "fallback_keys"}; a mapping -> [mapping]; defaults key "default", paths [],
                 policy "pull-push", when "on_success", untracked false, unprotect false,
                 fallback_keys []; a key mapping -> {"files": list, "prefix": str|null} (plus any
                 other key it has); absent/null -> []
  artifacts      null, or {"paths", "exclude", "untracked", "when", "reports", "name",
                 "expire_in", "expose_as", "public", "access"}; defaults [], [], false,
                 "on_success", {}, null x5; each report value that is a string s -> [s]
  variables      object name -> string: the top-level variables the job inherits
                 (inherit:variables true/absent: all, false: none, list: those names) overlaid
                 with the job's own; with --own-variables, the job's own only. Values are
                 stringified the way gitlab-ci-local does (null -> "", {value: v} -> v, numbers
                 with JavaScript's String()).
  needs          null when absent (stage order), else a list of {"job", "artifacts", "optional"}
                 (defaults true, false) plus "project"/"ref"/"pipeline"/"parallel" when present;
                 a string s -> {"job": s, "artifacts": true, "optional": false}
  tags           list of strings, flattened; absent/null -> []
  retry          null, or {"max": int|null, "when": list, "exit_codes": list};
                 an integer n -> {"max": n, "when": ["always"], "exit_codes": []}

Visible jobs: every top-level key that does not start with "." and is not one of
gitlab-ci-local's non-job names (include, local_configuration, image, services, stages,
before_script, default, after_script, variables, cache, workflow, page:deploy), and whose value
is a mapping. `parallel` is NOT expanded: jobs keep their base name.

Exit codes: 0 ok; 1 the document could not be read or is not a mapping; 2 usage;
3 node or the installed js-yaml is missing (npm ci --prefix tests/oracle/gitlab-ci-local).
"""

import json
import math
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
JS_YAML = os.path.join(HERE, "gitlab-ci-local", "node_modules", "js-yaml")

# Job.illegalJobNames in gitlab-ci-local 4.73.0 (src/job.ts).
NON_JOB_KEYS = {
    "include", "local_configuration", "image", "services", "stages", "before_script",
    "default", "after_script", "variables", "cache", "workflow", "page:deploy",
}

# Reads YAML (file or stdin) with js-yaml's default schema, prints JSON. Non-finite numbers
# become the strings JavaScript would print; Dates become ISO strings (Date#toJSON).
NODE_YAML_TO_JSON = r"""
const fs = require("fs");
const yaml = require(process.argv[1]);
const src = process.argv[2] === "-" ? fs.readFileSync(0, "utf8") : fs.readFileSync(process.argv[2], "utf8");
const docs = yaml.loadAll(src);
const doc = docs.length ? docs[0] : null;
process.stdout.write(JSON.stringify(doc, (k, v) =>
  (typeof v === "number" && !Number.isFinite(v)) ? String(v) : v));
"""


def die(code, msg):
    print(f"gcl_normalize: {msg}", file=sys.stderr)
    sys.exit(code)


def load_preview(path):
    node = shutil.which("node")
    if node is None:
        die(3, "node is required")
    if not os.path.isfile(os.path.join(JS_YAML, "package.json")):
        die(3, f"js-yaml not found at {JS_YAML}; run: npm ci --prefix tests/oracle/gitlab-ci-local")
    try:
        res = subprocess.run([node, "-e", NODE_YAML_TO_JSON, JS_YAML, path],
                             capture_output=True, text=True, timeout=120,
                             stdin=sys.stdin if path == "-" else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        die(1, "timed out reading the preview")
    if res.returncode != 0:
        die(1, f"could not read {path}:\n{res.stderr.strip()}")
    return json.loads(res.stdout)


def js_string(v):
    """String(v) as JavaScript prints it, for the scalars gitlab-ci-local stringifies."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v.is_integer() and abs(v) < 1e21:
            return str(int(v))
        return repr(v)
    if isinstance(v, str):
        return v
    return json.dumps(v, sort_keys=True)


def variable_value(v):
    # Utils.normalizeVariables: null -> "", {value: v, expand: false} -> v with $ doubled, {value: v} -> v.
    if isinstance(v, dict):
        s = js_string(v.get("value"))
        return s.replace("$", "$$") if v.get("expand") is False else s
    return js_string(v)


def flatten(v):
    out = []
    for item in v:
        if isinstance(item, list):
            out.extend(flatten(item))
        else:
            out.append(item)
    return out


def as_list(v):
    if v is None:
        return []
    if isinstance(v, list):
        return flatten(v)
    return [v]


def norm_script(v):
    return as_list(v)


def norm_image(v):
    if v is None:
        return None
    if isinstance(v, str):
        return {"name": v, "entrypoint": None}
    if isinstance(v, dict):
        return {"name": v.get("name"), "entrypoint": v.get("entrypoint")}
    return {"name": v, "entrypoint": None}


def norm_service(s):
    if isinstance(s, dict):
        variables = s.get("variables")
        if isinstance(variables, dict):
            variables = {k: js_string(x) for k, x in variables.items()}
        return {
            "name": s.get("name"),
            "alias": s.get("alias"),
            "entrypoint": s.get("entrypoint"),
            "command": s.get("command"),
            "variables": variables,
        }
    return {"name": s, "alias": None, "entrypoint": None, "command": None, "variables": None}


def norm_cache_key(k):
    if k is None:
        return "default"
    if isinstance(k, dict):
        out = dict(k)
        out["files"] = as_list(k.get("files"))
        out["prefix"] = k.get("prefix")
        return out
    return k


def norm_cache_entry(c):
    if not isinstance(c, dict):
        return c
    return {
        "key": norm_cache_key(c.get("key")),
        "paths": as_list(c.get("paths")),
        "policy": c.get("policy") if c.get("policy") is not None else "pull-push",
        "when": c.get("when") if c.get("when") is not None else "on_success",
        "untracked": c.get("untracked") if c.get("untracked") is not None else False,
        "unprotect": c.get("unprotect") if c.get("unprotect") is not None else False,
        "fallback_keys": as_list(c.get("fallback_keys")),
    }


def norm_cache(v):
    return [norm_cache_entry(c) for c in as_list(v)]


def norm_artifacts(v):
    if v is None:
        return None
    if not isinstance(v, dict):
        return v
    reports = v.get("reports") or {}
    if isinstance(reports, dict):
        reports = {k: (as_list(x) if isinstance(x, (str, list)) else x) for k, x in reports.items()}

    def get(k, default=None):
        x = v.get(k)
        return default if x is None else x

    return {
        "paths": as_list(v.get("paths")),
        "exclude": as_list(v.get("exclude")),
        "untracked": get("untracked", False),
        "when": get("when", "on_success"),
        "reports": reports,
        "name": get("name"),
        "expire_in": get("expire_in"),
        "expose_as": get("expose_as"),
        "public": get("public"),
        "access": get("access"),
    }


def norm_variables(job, top, own_only):
    own = job.get("variables")
    own = own if isinstance(own, dict) else {}
    result = {}
    if not own_only and isinstance(top, dict):
        inherit = job.get("inherit")
        inherit_vars = inherit.get("variables", True) if isinstance(inherit, dict) else True
        if inherit_vars is False:
            pass
        elif isinstance(inherit_vars, list):
            result.update({k: variable_value(x) for k, x in top.items() if k in inherit_vars})
        else:
            result.update({k: variable_value(x) for k, x in top.items()})
    result.update({k: variable_value(x) for k, x in own.items()})
    return result


def norm_need(n):
    if isinstance(n, dict):
        out = {
            "job": n.get("job"),
            "artifacts": n.get("artifacts") if n.get("artifacts") is not None else True,
            "optional": n.get("optional") if n.get("optional") is not None else False,
        }
        for k in ("project", "ref", "pipeline", "parallel"):
            if n.get(k) is not None:
                out[k] = n[k]
        return out
    return {"job": n, "artifacts": True, "optional": False}


def norm_needs(v):
    if v is None:
        return None
    return [norm_need(n) for n in as_list(v)]


def norm_retry(v):
    if v is None:
        return None
    if isinstance(v, dict):
        return {
            "max": v.get("max"),
            "when": as_list(v.get("when")) if v.get("when") is not None else ["always"],
            "exit_codes": as_list(v.get("exit_codes")),
        }
    return {"max": v, "when": ["always"], "exit_codes": []}


def normalize(doc, own_only=False):
    if not isinstance(doc, dict):
        die(1, "the preview is not a mapping")
    top_vars = doc.get("variables")
    jobs = {}
    for name, job in doc.items():
        if name in NON_JOB_KEYS or name.startswith(".") or not isinstance(job, dict):
            continue
        stage = job.get("stage")
        jobs[name] = {
            "stage": stage if stage else "test",
            "script": norm_script(job.get("script")),
            "before_script": norm_script(job.get("before_script")),
            "after_script": norm_script(job.get("after_script")),
            "image": norm_image(job.get("image")),
            "services": [norm_service(s) for s in as_list(job.get("services"))],
            "cache": norm_cache(job.get("cache")),
            "artifacts": norm_artifacts(job.get("artifacts")),
            "variables": norm_variables(job, top_vars, own_only),
            "needs": norm_needs(job.get("needs")),
            "tags": as_list(job.get("tags")),
            "retry": norm_retry(job.get("retry")),
        }
    return jobs


def main(argv):
    args = [a for a in argv if a != "--own-variables"]
    own_only = len(args) != len(argv)
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    path = args[0]
    if path != "-" and not os.path.isfile(path):
        die(2, f"no such file: {path}")
    out = normalize(load_preview(path), own_only)
    text = json.dumps(out, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
