//! `cache-artifact-overlap`: the runner restores caches before it downloads artifacts
//! (`common/build.go`: `restore_cache` then `download_artifacts`), so an artifact from another
//! job that covers a cached path overwrites the restored cache; and a path that is both cached
//! and uploaded as an artifact by the same job reaches every later job as an artifact, over
//! that job's own cache of it.

use super::context::{Rule, RuleContext, at, primary};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::Downloads;
use crate::model::variables::{display, expand_shell};
use crate::util::paths::{project_relative, within};
use std::collections::BTreeMap;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-artifact-overlap",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "A cached path that artifacts also deliver, so the artifacts overwrite the restored cache.",
    page: include_str!("../../rules/cache-artifact-overlap.md"),
});

pub struct CacheArtifactOverlap;

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '[', '{'])
}

/// Whether doublestar pattern `pattern` matches path `path` (`**` any number of directories,
/// `*` and `?` within one, `[...]` classes, `{a,b}` alternatives).
fn glob_match(pattern: &str, path: &str) -> bool {
    // Compiling a regex costs far more than matching it, and the same few patterns are matched
    // against every ancestor of every cached path: compile each pattern once.
    thread_local! {
        static COMPILED: std::cell::RefCell<std::collections::HashMap<String, Option<regex::Regex>>> =
            std::cell::RefCell::default();
    }
    COMPILED.with(|compiled| {
        let mut compiled = compiled.borrow_mut();
        if !compiled.contains_key(pattern) {
            compiled.insert(
                pattern.to_string(),
                crate::util::glob::doublestar(pattern, true),
            );
        }
        compiled
            .get(pattern)
            .and_then(Option::as_ref)
            .is_some_and(|r| r.is_match(path))
    })
}

/// Whether the files under cache path `a` and artifact path `b` can meet: the same path, one
/// inside the other (a directory path takes its whole subtree), or a pattern matching the
/// other path or a directory above it.
pub fn overlap(a: &str, b: &str) -> bool {
    let (a, b) = (project_relative(a), project_relative(b));
    if a.is_empty() || b.is_empty() {
        return a == b;
    }
    let inside = within;
    match (is_glob(&a), is_glob(&b)) {
        (false, false) => inside(&a, &b) || inside(&b, &a),
        (true, true) => a == b,
        (true, false) => ancestors(&b).any(|p| glob_match(&a, p)) || glob_prefix_inside(&a, &b),
        (false, true) => ancestors(&a).any(|p| glob_match(&b, p)) || glob_prefix_inside(&b, &a),
    }
}

/// Whether artifact path `artifact` takes everything under cache path `cached`.
fn covers(artifact: &str, cached: &str) -> bool {
    let (a, c) = (project_relative(artifact), project_relative(cached));
    if is_glob(&a) {
        return ancestors(&c).any(|p| glob_match(&a, p));
    }
    within(&c, &a)
}

/// `dir/x/y` → `dir/x/y`, `dir/x`, `dir`.
fn ancestors(p: &str) -> impl Iterator<Item = &str> {
    let mut cur = Some(p);
    std::iter::from_fn(move || {
        let here = cur?;
        cur = here.rfind('/').map(|i| &here[..i]);
        Some(here)
    })
}

/// A pattern whose fixed leading directories lie inside the literal path (`build/**/*.o` and
/// `build`).
fn glob_prefix_inside(pattern: &str, literal: &str) -> bool {
    let fixed: Vec<&str> = pattern.split('/').take_while(|s| !is_glob(s)).collect();
    !fixed.is_empty() && {
        let f = fixed.join("/");
        within(&f, literal)
    }
}

impl Rule for CacheArtifactOverlap {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let jobs = &cx.pipeline.jobs;
        // Every artifact path, expanded once, indexed by its first directory (patterns that
        // start with a wildcard go to a list checked every time). Ordered, so that a cached
        // pattern that visits every directory lists the jobs in the same order on every run.
        let mut by_head: BTreeMap<String, Vec<(usize, usize, String)>> = BTreeMap::new();
        let mut wild: Vec<(usize, usize, String)> = Vec::new();
        for (k, j) in jobs.iter().enumerate() {
            let Some(art) = &j.artifacts else { continue };
            if art.paths.is_empty() {
                continue;
            }
            // Each job `parallel` makes may expand its paths differently (matrix values).
            let mut seen = std::collections::HashSet::new();
            for inst in 0..j.instances.len() {
                let vars = cx.vars(k, inst);
                for (ai, a) in art.paths.iter().enumerate() {
                    let expanded = project_relative(&display(&expand_shell(&a.value, &vars)));
                    if !seen.insert((ai, expanded.clone())) {
                        continue;
                    }
                    let head = expanded.split('/').next().unwrap_or("").to_string();
                    if is_glob(&head) || head.is_empty() {
                        wild.push((k, ai, expanded));
                    } else {
                        by_head.entry(head).or_default().push((k, ai, expanded));
                    }
                }
            }
        }
        for (ji, job) in jobs.iter().enumerate() {
            if job.caches.is_empty() {
                continue;
            }
            let vars = cx.vars(ji, 0);
            let downloads = &job.downloads;
            let downloads_from = |k: usize| match downloads {
                Downloads::Jobs(list) => list.contains(&k),
                Downloads::EarlierStages { only } => {
                    jobs[k].stage_index < job.stage_index
                        && only.as_ref().is_none_or(|l| l.contains(&k))
                }
            };
            for cache in &job.caches {
                for path in &cache.paths {
                    let cached = project_relative(&display(&expand_shell(&path.value, &vars)));
                    let head = cached.split('/').next().unwrap_or("");
                    let candidates: Vec<&(usize, usize, String)> = if is_glob(head) {
                        by_head.values().flatten().chain(wild.iter()).collect()
                    } else {
                        by_head
                            .get(head)
                            .into_iter()
                            .flatten()
                            .chain(wild.iter())
                            .collect()
                    };
                    // Artifacts of jobs this one downloads: extracted after the cache.
                    let mut hits: Vec<(usize, &crate::model::Valued<String>)> = Vec::new();
                    for (k, ai, artifact) in candidates {
                        let k = *k;
                        if k == ji || !downloads_from(k) {
                            continue;
                        }
                        if overlap(&cached, artifact)
                            && !hits.iter().any(|(h, _)| *h == k)
                            && let Some(art) = &jobs[k].artifacts
                        {
                            hits.push((k, &art.paths[*ai]));
                        }
                    }
                    if !hits.is_empty() {
                        let names: Vec<String> = hits
                            .iter()
                            .map(|(k, _)| format!("`{}`", jobs[*k].name))
                            .collect();
                        let mut d = at(
 cx,
 RULE,
 &path.origin,
                            job,
                            format!(
                                "cache path `{}` of job `{}` is overwritten by the artifacts it downloads from {}: the runner restores the cache first and extracts artifacts over it",
                                path.value,
                                job.name,
                                names.join(", ")
                            ),
                        )
                        .label("cached here")
                        .help("cache a different directory than the one passed as an artifact, or stop downloading it (`needs: [{job: ..., artifacts: false}]` or `dependencies: []`)")
                        .subject(format!("overlap:{}", path.value));
                        for (k, a) in hits.iter().take(3) {
                            let (f, s) = primary(&a.origin);
                            d = d.with_label(f, s, format!("artifact of `{}`", jobs[*k].name));
                        }
                        out.push(d);
                        continue;
                    }
                    // The job's own artifacts, when they take the whole cached directory: files
                    // restored from the cache (left by earlier pipelines) leave as artifacts too.
                    let own = job.artifacts.as_ref().and_then(|art| {
                        art.paths.iter().find(|a| {
                            let artifact = display(&expand_shell(&a.value, &vars));
                            overlap(&cached, &artifact) && covers(&artifact, &cached)
                        })
                    });
                    if let Some(a) = own {
                        let (f, s) = primary(&a.origin);
                        let mut d = at(
 cx,
 RULE,
 &path.origin,
                            job,
                            format!(
                                "cache path `{}` of job `{}` is also uploaded as its artifact `{}`: files restored from the cache, left by earlier pipelines, are uploaded with the new ones, and jobs that download the artifact get them over their own cache",
                                path.value, job.name, a.value
                            ),
                        )
                        .label("cached here")
                        .help("keep build outputs in artifacts and tool caches in the cache, in different directories")
                        .subject(format!("own-overlap:{}", path.value));
                        d = d.with_label(f, s, "also an artifact here");
                        out.push(d);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::overlap;

    #[test]
    fn paths_overlap_when_one_contains_the_other() {
        assert!(overlap("node_modules/", "node_modules"));
        assert!(overlap("./build", "build/out.txt"));
        assert!(overlap("vendor/bundle", "vendor"));
        assert!(!overlap("node_modules", "node_modules2"));
        assert!(!overlap(".cache/pip", "dist"));
    }

    #[test]
    fn patterns_overlap_what_they_match() {
        assert!(overlap("build/**/*.o", "build"));
        assert!(overlap("target/*/deps", "target/release/deps"));
        assert!(!overlap("dist", "*/index.html"));
        assert!(overlap("public/", "public/**"));
        assert!(!overlap("*.log", "coverage/"));
    }
}
