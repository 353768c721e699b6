//! `cache-shared-across-runtimes`: jobs that save the same key and the same paths while running
//! different runtimes (a different language version of the same image, musl and glibc, another
//! OS by their runner tags), for content built for the runtime: virtualenvs, `node_modules`,
//! `vendor/bundle`, build output. The last job to save wins and every other runtime restores
//! files built for another one.
//!
//! Download caches (pip, uv, npm, Yarn, pnpm, Maven, Gradle's `caches/modules-2`, Go's module
//! and build caches, Cargo's registry) hold content that every runtime can use or that is keyed
//! by runtime inside the cache, and are not reported.

use super::context::{Rule, RuleContext, at, primary};
use super::flow::Use;
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::variables::{Part, display, expand_go};
use std::collections::{BTreeSet, HashMap, HashSet};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-shared-across-runtimes",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "Jobs on different runtimes (language versions, libc, OS) save runtime-bound files under one cache key.",
    page: include_str!("../../rules/cache-shared-across-runtimes.md"),
});

pub struct CacheSharedAcrossRuntimes;

/// Directories whose content is built for the runtime that made it.
const BOUND: &[&str] = &[
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pypackages__",
    "node_modules",
    "_build",
    ".stack-work",
    "target",
    "build",
    ".build",
];

/// Whether a cached path holds runtime-bound content: one of [`BOUND`] as a path segment, or
/// Bundler's installed gems, or a browser download.
fn bound(path: &str) -> Option<&str> {
    if let Some(seg) = path.split('/').find(|s| BOUND.contains(s)) {
        return Some(seg);
    }
    [
        "vendor/bundle",
        "vendor/ruby",
        ".cache/Cypress",
        ".cache/ms-playwright",
    ]
    .into_iter()
    .find(|p| path == *p || path.starts_with(&format!("{p}/")) || path.ends_with(&format!("/{p}")))
}

/// What a job runs on, as far as it tells.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Runtime {
    /// The image without registry prefix and tag (`python`, `node`).
    repo: String,
    /// The tag's leading version (`3.12`, `20`), if it has one.
    version: Option<String>,
    musl: bool,
    /// The operating system the runner tags name (`windows`, `macos`), if they name one.
    os: Option<&'static str>,
    /// The image as written and expanded, for messages.
    shown: String,
}

impl Runtime {
    /// Whether two runtimes certainly differ.
    fn differs(&self, o: &Runtime) -> bool {
        if let (Some(a), Some(b)) = (self.os, o.os)
            && a != b
        {
            return true;
        }
        if self.repo != o.repo {
            return false; // different images may or may not differ: not reported
        }
        if self.musl != o.musl {
            return true;
        }
        match (&self.version, &o.version) {
            (Some(a), Some(b)) => {
                let (am, an) = a
                    .split_once('.')
                    .map_or((a.as_str(), None), |(m, n)| (m, Some(n)));
                let (bm, bn) = b
                    .split_once('.')
                    .map_or((b.as_str(), None), |(m, n)| (m, Some(n)));
                am != bm || matches!((an, bn), (Some(x), Some(y)) if x != y)
            }
            _ => false,
        }
    }
}

fn runtime(cx: &RuleContext<'_>, u: &Use) -> Option<Runtime> {
    let job = &cx.pipeline.jobs[u.job];
    let image = job.run.image.as_ref()?;
    let vars = cx.vars(u.job, u.instance);
    let parts = expand_go(&image.value, &vars);
    if parts.iter().any(|p| matches!(p, Part::Var { .. })) {
        return None;
    }
    let shown = display(&parts);
    let name = shown.split('@').next().unwrap_or(&shown);
    let (path, tag) = match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => (&name[..i], &name[i + 1..]),
        _ => (name, "latest"),
    };
    let repo = path
        .trim_start_matches("docker.io/")
        .trim_start_matches("index.docker.io/")
        .trim_start_matches("library/")
        .to_string();
    let version: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let version = version.trim_end_matches('.');
    let version = (!version.is_empty()).then(|| {
        // major.minor at most: patch releases share a runtime.
        version.split('.').take(2).collect::<Vec<_>>().join(".")
    });
    let os = job.run.tags.iter().find_map(|t| {
        let t = t.value.to_ascii_lowercase();
        if t.contains("windows") {
            Some("windows")
        } else if t.contains("macos") || t.contains("osx") || t.contains("darwin") {
            Some("macos")
        } else if t.contains("linux") {
            Some("linux")
        } else {
            None
        }
    });
    Some(Runtime {
        repo,
        version,
        musl: tag.contains("alpine"),
        os,
        shown,
    })
}

/// How many distinct runtimes of one key are compared, at most.
const RUNTIMES: usize = 64;

impl Rule for CacheSharedAcrossRuntimes {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let flow = cx.flow();
        let mut seen_keys: HashSet<&str> = HashSet::new();
        let mut reported = HashSet::new();
        for u in &flow.uses {
            if !seen_keys.insert(u.key.canonical.as_str()) || u.key_unknown {
                continue;
            }
            // The savers of this key, by what they save.
            let mut by_contents: HashMap<(&BTreeSet<String>, bool), Vec<&Use>> = HashMap::new();
            for v in flow.under(&u.key.canonical) {
                if v.pushes() {
                    by_contents
                        .entry((&v.paths, v.untracked))
                        .or_default()
                        .push(v);
                }
            }
            let mut groups: Vec<_> = by_contents.into_values().collect();
            groups.sort_by_key(|g| (g[0].job, g[0].instance));
            for group in groups {
                let Some(what) = group[0].paths.iter().find_map(|p| bound(p)) else {
                    continue;
                };
                let mut distinct: Vec<(Runtime, &Use)> = Vec::new();
                for v in &group {
                    let Some(r) = runtime(cx, v) else { continue };
                    if distinct.len() < RUNTIMES && !distinct.iter().any(|(x, _)| *x == r) {
                        distinct.push((r, v));
                    }
                }
                let pair = distinct.iter().enumerate().find_map(|(i, (a, ua))| {
                    distinct[i + 1..]
                        .iter()
                        .find(|(b, _)| a.differs(b))
                        .map(|(b, ub)| ((a, *ua), (b, *ub)))
                });
                let Some(((ra, ua), (rb, ub))) = pair else {
                    continue;
                };
                let job = &cx.pipeline.jobs[ua.job];
                let key_origin = job.caches[ua.cache].key_origin();
                if !reported.insert(primary(&key_origin)) {
                    continue;
                }
                let name = |v: &Use| {
                    let j = &cx.pipeline.jobs[v.job];
                    j.instances
                        .get(v.instance)
                        .map_or(j.name.clone(), |i| i.name.clone())
                };
                let others = distinct.len().saturating_sub(2);
                let more = if others > 0 {
                    format!(
                        " and {others} more runtime{}",
                        if others == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                };
                let message = format!(
                    "`{}` (`{}`) and `{}` (`{}`){more} save the cache key `{}` with `{what}`, which is built for the runtime that made it: the last job to save overwrites the others' archive, and every other runtime restores files built for another",
                    name(ua),
                    describe(ra),
                    name(ub),
                    describe(rb),
                    ua.key.display
                );
                let hint = match varying_variable(cx, ua, ub) {
                    Some(v) => format!(
                        "put the runtime in the key: `${v}` in `key:` (or `prefix: ${v}` for `key: files:`), so each runtime has its own cache"
                    ),
                    None => "put the runtime in the key (its version, e.g. in `prefix:` for `key: files:`), so each runtime has its own cache".to_string(),
                };
                let mut d = at(cx, RULE, &key_origin, job, message)
                    .label("one key for several runtimes")
                    .help(hint)
                    .subject(format!("runtimes:{}", ua.key.display));
                for v in [ua, ub] {
                    let j = &cx.pipeline.jobs[v.job];
                    if let Some(img) = &j.run.image {
                        let (f, s) = primary(&img.origin);
                        if !d.labels.iter().any(|l| (l.file, l.span) == (f, s)) {
                            d = d.with_label(f, s, format!("`{}` runs here", name(v)));
                        }
                    }
                }
                out.push(d);
            }
        }
    }
}

fn describe(r: &Runtime) -> String {
    match r.os {
        Some(os) => format!("{} on {os}", r.shown),
        None => r.shown.clone(),
    }
}

/// A variable written in both images whose value differs between the two jobs
/// (`python:$PYTHON_VERSION` with a matrix).
fn varying_variable(cx: &RuleContext<'_>, a: &Use, b: &Use) -> Option<String> {
    let ja = &cx.pipeline.jobs[a.job];
    let jb = &cx.pipeline.jobs[b.job];
    let ia = ja.run.image.as_ref()?;
    let ib = jb.run.image.as_ref()?;
    let names = |s: &str| -> Vec<String> {
        let none = std::collections::HashMap::<String, (String, bool)>::new();
        expand_go(s, &none)
            .into_iter()
            .filter_map(|p| match p {
                Part::Var { name, .. } => Some(name),
                Part::Text(_) => None,
            })
            .collect()
    };
    let (va, vb) = (cx.vars(a.job, a.instance), cx.vars(b.job, b.instance));
    use crate::model::variables::Lookup;
    names(&ia.value)
        .into_iter()
        .filter(|n| names(&ib.value).contains(n))
        .find(|n| va.var(n).map(|x| x.0) != vb.var(n).map(|x| x.0))
}
