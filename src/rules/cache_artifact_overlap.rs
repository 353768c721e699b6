//! `cache-artifact-overlap`: the runner restores caches before it downloads artifacts
//! (`common/build.go`: `restore_cache` then `download_artifacts`), so an artifact from another
//! job that covers a cached path overwrites the restored cache; and a path that is both cached
//! and uploaded as an artifact by the same job reaches every later job as an artifact, over
//! that job's own cache of it.
//!
//! A downloaded artifact strictly inside the cached directory (`node_modules/.bin/tool` over a
//! cache of `node_modules/`) replaces only its own files and leaves the rest of the restored
//! cache in use; it is often deliberate, so it is reported as `info`.

use super::context::{Rule, RuleContext, at, primary};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::Downloads;
use crate::model::variables::{display, expand_shell};
use crate::util::paths::{project_relative, within};
use std::collections::{BTreeMap, HashMap};

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

/// Doublestar patterns compiled once per check (`**` any number of directories, `*` and `?`
/// within one, `[...]` classes, `{a,b}` alternatives): the same few patterns are matched
/// against every ancestor of every cached path.
#[derive(Default)]
pub struct Globs(HashMap<String, Option<regex::Regex>>);

impl Globs {
    fn matches(&mut self, pattern: &str, path: &str) -> bool {
        if !self.0.contains_key(pattern) {
            self.0.insert(
                pattern.to_string(),
                crate::util::glob::doublestar(pattern, true),
            );
        }
        self.0
            .get(pattern)
            .and_then(Option::as_ref)
            .is_some_and(|r| r.is_match(path))
    }
}

/// Whether the files under cache path `a` and artifact path `b` can meet: the same path, one
/// inside the other (a directory path takes its whole subtree), or a pattern matching the
/// other path or a directory above it.
pub fn overlap(globs: &mut Globs, a: &str, b: &str) -> bool {
    let (a, b) = (project_relative(a), project_relative(b));
    if a.is_empty() || b.is_empty() {
        return a == b;
    }
    let inside = within;
    match (is_glob(&a), is_glob(&b)) {
        (false, false) => inside(&a, &b) || inside(&b, &a),
        (true, true) => a == b,
        (true, false) => ancestors(&b).any(|p| globs.matches(&a, p)) || glob_prefix_inside(&a, &b),
        (false, true) => ancestors(&a).any(|p| globs.matches(&b, p)) || glob_prefix_inside(&b, &a),
    }
}

/// Whether artifact path `artifact` takes everything under cache path `cached`.
fn covers(globs: &mut Globs, artifact: &str, cached: &str) -> bool {
    let (a, c) = (project_relative(artifact), project_relative(cached));
    if is_glob(&a) {
        return ancestors(&c).any(|p| globs.matches(&a, p));
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

/// Whether every file of artifact path `artifact` lies strictly inside cache path `cached`
/// (`node_modules/.bin/tool` or `node_modules/.bin/*` in `node_modules`): the artifact replaces
/// only part of the cache. A pattern counts by its fixed leading directories, so
/// `node_modules/*` (everything in it) is not strictly inside; a cached pattern never has
/// anything strictly inside.
fn strictly_inside(artifact: &str, cached: &str) -> bool {
    let (a, c) = (project_relative(artifact), project_relative(cached));
    if c.is_empty() || is_glob(&c) {
        return false;
    }
    let fixed = if is_glob(&a) {
        a.split('/')
            .take_while(|s| !is_glob(s))
            .collect::<Vec<_>>()
            .join("/")
    } else {
        a
    };
    fixed != c && within(&fixed, &c)
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

/// An artifact path as some jobs upload it (expanded and normalised), with those jobs.
struct ArtifactPath {
    path: String,
    /// (job, index of the path in the job's `artifacts:paths`), one per job.
    jobs: Vec<(usize, usize)>,
}

/// The jobs whose artifacts overlap one cached path, indexed for every question a job asks.
struct Overlapping {
    /// (stage index, job, artifact path index), sorted: a prefix is every job of the earlier
    /// stages.
    by_stage: Vec<(usize, usize, usize)>,
    /// Job → (artifact path index, stage index, whether all its overlapping artifact paths are
    /// strictly inside the cached path).
    by_job: HashMap<usize, (usize, usize, bool)>,
    /// The earliest stage of a job with an overlapping artifact path that is not strictly
    /// inside the cached path.
    first_loose_stage: Option<usize>,
    /// Per stage index `t`: the first three jobs (in configuration order) of the stages up
    /// to `t`, to name in a message.
    first: Vec<Vec<usize>>,
}

impl Overlapping {
    /// `list`: (stage index, job, artifact path index, strictly inside), one per overlapping
    /// artifact path of each job.
    fn new(mut list: Vec<(usize, usize, usize, bool)>, stages: usize) -> Overlapping {
        let mut strict: HashMap<usize, bool> = HashMap::new();
        for &(_, k, _, inside) in &list {
            *strict.entry(k).or_insert(true) &= inside;
        }
        list.sort_unstable();
        list.dedup_by_key(|x| x.1);
        let list: Vec<(usize, usize, usize)> =
            list.into_iter().map(|(s, k, ai, _)| (s, k, ai)).collect();
        let by_job: HashMap<usize, (usize, usize, bool)> = list
            .iter()
            .map(|&(s, k, ai)| (k, (ai, s, strict.get(&k).copied().unwrap_or(false))))
            .collect();
        let first_loose_stage = list
            .iter()
            .filter(|&&(_, k, _)| !by_job.get(&k).is_some_and(|x| x.2))
            .map(|&(s, _, _)| s)
            .min();
        let mut first: Vec<Vec<usize>> = vec![Vec::new(); stages + 1];
        let mut acc: Vec<usize> = Vec::new();
        let mut i = 0;
        for (t, slot) in first.iter_mut().enumerate() {
            while i < list.len() && list[i].0 <= t {
                acc.push(list[i].1);
                i += 1;
            }
            acc.sort_unstable();
            acc.truncate(3);
            slot.clone_from(&acc);
        }
        Overlapping {
            by_stage: list,
            by_job,
            first_loose_stage,
            first,
        }
    }

    /// The jobs job `ji` (of stage `stage`) downloads artifacts from that overlap the path:
    /// the first three, how many in all, and whether every one of them lies strictly inside
    /// the cached path.
    fn downloaded(
        &self,
        ji: usize,
        stage: usize,
        downloads: &Downloads,
    ) -> (Vec<usize>, usize, bool) {
        let listed = |list: &[usize]| {
            let mut hits: Vec<usize> = list
                .iter()
                .copied()
                .filter(|k| *k != ji && self.by_job.contains_key(k))
                .collect();
            hits.sort_unstable();
            hits.dedup();
            let n = hits.len();
            let inside = hits.iter().all(|k| self.by_job.get(k).is_some_and(|x| x.2));
            hits.truncate(3);
            (hits, n, inside)
        };
        match downloads {
            Downloads::Jobs(list) => listed(list),
            Downloads::EarlierStages { only: Some(list) } => {
                let earlier: Vec<usize> = list
                    .iter()
                    .copied()
                    .filter(|k| self.by_job.get(k).is_some_and(|&(_, s, _)| s < stage))
                    .collect();
                listed(&earlier)
            }
            Downloads::EarlierStages { only: None } => {
                let n = self.by_stage.partition_point(|&(s, _, _)| s < stage);
                let first = match stage.checked_sub(1) {
                    Some(t) => self.first.get(t).cloned().unwrap_or_default(),
                    None => Vec::new(),
                };
                let inside = self.first_loose_stage.is_none_or(|s| s >= stage);
                (first, n, inside)
            }
        }
    }
}

/// A cached path that artifacts overwrite in its own job: what the rule reports, and what
/// `cachelint graph` draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overwrite {
    pub job: usize,
    /// The cache's index in the job.
    pub cache: usize,
    /// The path's index in the cache's `paths`.
    pub path: usize,
    pub by: Overwriter,
}

/// What overwrites a cached path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overwriter {
    /// Artifacts the job downloads, extracted after the cache is restored: the first three
    /// jobs that upload them (in configuration order), each with the index of its overlapping
    /// path in `artifacts:paths`; how many jobs in all; and whether every one of their paths
    /// lies strictly inside the cached path (they replace only part of the cache).
    Downloaded {
        from: Vec<(usize, usize)>,
        count: usize,
        inside: bool,
    },
    /// The job's own artifact path (its index in `artifacts:paths`) takes the whole cached
    /// path.
    Own { artifact: usize },
}

/// Every cached path that artifacts overwrite, in job, cache and path order. Linear in the
/// cache paths and artifact paths, apart from the doublestar patterns (each matched against
/// the ancestors of each distinct cached path).
pub fn overwrites(cx: &RuleContext<'_>) -> Vec<Overwrite> {
    let jobs = &cx.pipeline.jobs;
    let mut found = Vec::new();
    let mut globs = Globs::default();
    let stages = jobs.iter().map(|j| j.stage_index).max().unwrap_or(0);
    // Every artifact path, expanded once per job instance, as distinct strings indexed by
    // their first directory (patterns that start with a wildcard go to a list checked
    // every time).
    let mut arts: Vec<ArtifactPath> = Vec::new();
    let mut art_index: HashMap<String, usize> = HashMap::new();
    let mut by_head: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut wild: Vec<usize> = Vec::new();
    for (k, j) in jobs.iter().enumerate() {
        let Some(art) = &j.artifacts else { continue };
        for inst in 0..j.instances.len() {
            let vars = cx.vars(k, inst);
            for (ai, a) in art.paths.iter().enumerate() {
                let expanded = project_relative(&display(&expand_shell(&a.value, &vars)));
                let id = match art_index.get(&expanded) {
                    Some(&id) => id,
                    None => {
                        let id = arts.len();
                        let head = expanded.split('/').next().unwrap_or("").to_string();
                        if is_glob(&head) || head.is_empty() {
                            wild.push(id);
                        } else {
                            by_head.entry(head).or_default().push(id);
                        }
                        art_index.insert(expanded.clone(), id);
                        arts.push(ArtifactPath {
                            path: expanded,
                            jobs: Vec::new(),
                        });
                        id
                    }
                };
                let list = &mut arts[id].jobs;
                if list.last().map(|x| x.0) != Some(k) {
                    list.push((k, ai));
                }
            }
        }
    }
    // Per cached path (as written, expanded), the jobs whose artifacts overlap it.
    let mut memo: HashMap<String, Overlapping> = HashMap::new();
    for (ji, job) in jobs.iter().enumerate() {
        if job.caches.is_empty() {
            continue;
        }
        let vars = cx.vars(ji, 0);
        for (ci, cache) in job.caches.iter().enumerate() {
            // A cache that only saves (`policy: push`) restores nothing for artifacts to
            // overwrite, and uploads nothing left by earlier pipelines.
            if cache
                .policy
                .as_ref()
                .is_some_and(|p| p.value.is_string && p.value.text == "push")
            {
                continue;
            }
            for (pi, path) in cache.paths.iter().enumerate() {
                let cached = project_relative(&display(&expand_shell(&path.value, &vars)));
                if !memo.contains_key(&cached) {
                    let head = cached.split('/').next().unwrap_or("");
                    let candidates: Vec<usize> = if is_glob(head) {
                        by_head
                            .values()
                            .flatten()
                            .chain(wild.iter())
                            .copied()
                            .collect()
                    } else {
                        by_head
                            .get(head)
                            .into_iter()
                            .flatten()
                            .chain(wild.iter())
                            .copied()
                            .collect()
                    };
                    let mut list = Vec::new();
                    for id in candidates {
                        if overlap(&mut globs, &cached, &arts[id].path) {
                            let inside = strictly_inside(&arts[id].path, &cached);
                            list.extend(
                                arts[id]
                                    .jobs
                                    .iter()
                                    .map(|&(k, ai)| (jobs[k].stage_index, k, ai, inside)),
                            );
                        }
                    }
                    memo.insert(cached.clone(), Overlapping::new(list, stages));
                }
                let Some(over) = memo.get(&cached) else {
                    continue;
                };
                // Artifacts of jobs this one downloads: extracted after the cache.
                let (hits, count, inside) = over.downloaded(ji, job.stage_index, &job.downloads);
                if count > 0 {
                    let from = hits
                        .iter()
                        .map(|&k| (k, over.by_job.get(&k).map_or(0, |&(ai, _, _)| ai)))
                        .collect();
                    found.push(Overwrite {
                        job: ji,
                        cache: ci,
                        path: pi,
                        by: Overwriter::Downloaded {
                            from,
                            count,
                            inside,
                        },
                    });
                    continue;
                }
                // The job's own artifacts, when they take the whole cached directory: files
                // restored from the cache (left by earlier pipelines) leave as artifacts too.
                let own = job.artifacts.as_ref().and_then(|art| {
                    art.paths.iter().position(|a| {
                        let artifact = display(&expand_shell(&a.value, &vars));
                        overlap(&mut globs, &cached, &artifact)
                            && covers(&mut globs, &artifact, &cached)
                    })
                });
                if let Some(artifact) = own {
                    found.push(Overwrite {
                        job: ji,
                        cache: ci,
                        path: pi,
                        by: Overwriter::Own { artifact },
                    });
                }
            }
        }
    }
    found
}

impl Rule for CacheArtifactOverlap {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let jobs = &cx.pipeline.jobs;
        for o in overwrites(cx) {
            let job = &jobs[o.job];
            let Some(path) = job.caches.get(o.cache).and_then(|c| c.paths.get(o.path)) else {
                continue;
            };
            match &o.by {
                Overwriter::Downloaded {
                    from,
                    count,
                    inside,
                } => {
                    let count = *count;
                    let mut names: Vec<String> = from
                        .iter()
                        .map(|&(k, _)| format!("`{}`", jobs[k].name))
                        .collect();
                    if count > names.len() {
                        names.push(format!("{} more", count - names.len()));
                    }
                    let listed = match names.split_last() {
                        Some((last, rest)) if !rest.is_empty() && count > from.len() => {
                            format!("{} and {last}", rest.join(", "))
                        }
                        _ => names.join(", "),
                    };
                    let mut d = if *inside {
                        at(
                            cx,
                            RULE,
                            &path.origin,
                            job,
                            format!(
                                "cache path `{}` of job `{}` has the artifacts it downloads from {listed} extracted inside it, over the restored cache: they replace only the files under their own paths and the rest of the cache is used, which is often deliberate (fresh build output laid over a dependency cache), so this is only info",
                                path.value,
                                job.name,
                            ),
                        )
                        .label("cached here")
                        .help("if the artifact is meant to replace these files, keep it; otherwise stop downloading it (`needs: [{job: ..., artifacts: false}]` or `dependencies: []`) or move it out of the cached directory")
                        .severity(Severity::Info)
                    } else {
                        at(
                            cx,
                            RULE,
                            &path.origin,
                            job,
                            format!(
                                "cache path `{}` of job `{}` is overwritten by the artifacts it downloads from {listed}: the runner restores the cache first and extracts artifacts over it",
                                path.value,
                                job.name,
                            ),
                        )
                        .label("cached here")
                        .help("cache a different directory than the one passed as an artifact, or stop downloading it (`needs: [{job: ..., artifacts: false}]` or `dependencies: []`)")
                    }
                    .subject(format!("overlap:{}", path.value));
                    for &(k, ai) in from.iter().take(3) {
                        if let Some(a) = jobs[k].artifacts.as_ref().and_then(|a| a.paths.get(ai)) {
                            let (f, s) = primary(&a.origin);
                            d = d.with_label(f, s, format!("artifact of `{}`", jobs[k].name));
                        }
                    }
                    out.push(d);
                }
                Overwriter::Own { artifact } => {
                    let Some(a) = job.artifacts.as_ref().and_then(|a| a.paths.get(*artifact))
                    else {
                        continue;
                    };
                    let (f, s) = primary(&a.origin);
                    let d = at(
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
                    .subject(format!("own-overlap:{}", path.value))
                    .with_label(f, s, "also an artifact here");
                    out.push(d);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Globs, overlap, strictly_inside};

    fn overlap_(a: &str, b: &str) -> bool {
        overlap(&mut Globs::default(), a, b)
    }

    #[test]
    fn paths_overlap_when_one_contains_the_other() {
        assert!(overlap_("node_modules/", "node_modules"));
        assert!(overlap_("./build", "build/out.txt"));
        assert!(overlap_("vendor/bundle", "vendor"));
        assert!(!overlap_("node_modules", "node_modules2"));
        assert!(!overlap_(".cache/pip", "dist"));
    }

    #[test]
    fn strictly_inside_takes_part_of_the_cached_directory() {
        assert!(strictly_inside("node_modules/.bin/tool", "node_modules/"));
        assert!(strictly_inside("./vendor/build/", "vendor"));
        assert!(strictly_inside("node_modules/.bin/*", "node_modules"));
        assert!(!strictly_inside("node_modules/", "node_modules"));
        assert!(!strictly_inside("node_modules/*", "node_modules"));
        assert!(!strictly_inside("build/**/*.o", "build"));
        assert!(!strictly_inside("vendor", "vendor/bundle"));
        assert!(!strictly_inside("vendor/build", "vendor/*"));
        assert!(!strictly_inside("**/x", "vendor"));
    }

    #[test]
    fn patterns_overlap_what_they_match() {
        assert!(overlap_("build/**/*.o", "build"));
        assert!(overlap_("target/*/deps", "target/release/deps"));
        assert!(!overlap_("dist", "*/index.html"));
        assert!(overlap_("public/", "public/**"));
        assert!(!overlap_("*.log", "coverage/"));
    }
}
