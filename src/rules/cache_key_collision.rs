//! `cache-key-collision`: jobs that can use the same cache key but cache different paths. Each
//! job uploads its own archive under the key (`<cache dir>/<key>/cache.zip`), so they overwrite
//! each other's cache, and a job restores a cache made of another job's files.
//!
//! Keys are compared symbolically, as GitLab and the runner compute them: a literal key with its
//! variables expanded (Go `os.Expand`); GitLab's implicit key `default`; `key:files` by its files
//! and its prefix (`<index>_<file names>` when there is none, `Build::Cache#cache_prefix`). A
//! pipeline-wide variable (or one defined nowhere in the configuration) has the same value in
//! every job; per-job variables (`CI_JOB_NAME`, ...) and job or matrix variables with different
//! values differ. Caches are indexed by key: no pairwise comparison.

use super::context::{Rule, RuleContext, at, primary};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::variables::Lookup;
use crate::model::variables::{Part, Scope, expand_go, expand_shell};
use crate::model::{Cache, CacheKey, Job};
use crate::util::paths::within;
use std::collections::{BTreeSet, HashMap};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-key-collision",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "Jobs that use the same cache key for different paths, so they overwrite each other's cache.",
    page: include_str!("../../rules/cache-key-collision.md"),
});

pub struct CacheKeyCollision;

/// A cache key as far as it can be known statically: the text to compare (equal keys are
/// equal in every pipeline) and the text to show.
pub struct SymbolicKey {
    pub canonical: String,
    pub display: String,
}

/// The key of cache `cache` of instance `instance` of job `job_index`, or `None` when it is
/// invalid.
pub fn symbolic_key(
    (job_index, instance): (usize, usize),
    job: &Job,
    cache: &Cache,
    vars: &dyn Lookup,
) -> Option<SymbolicKey> {
    let render = |parts: &[Part], canonical: &mut String, display: &mut String| {
        for p in parts {
            match p {
                Part::Text(t) => {
                    canonical.push_str(t);
                    display.push_str(t);
                }
                Part::Var { name, scope } => {
                    display.push_str(&format!("${name}"));
                    match (scope, per_job_value(name, job, instance)) {
                        (Some(Scope::Job), Some(v)) => canonical.push_str(&v),
                        (Some(Scope::Job), None) => {
                            canonical.push_str(&format!("\u{0}job{job_index}.{instance}\u{0}"))
                        }
                        _ => canonical.push_str(&format!("\u{0}${name}\u{0}")),
                    }
                }
            }
        }
    };
    let mut canonical = String::new();
    let mut display = String::new();
    match &cache.key {
        CacheKey::Default => {
            canonical.push_str("default");
            display.push_str("default");
        }
        CacheKey::Literal(k) if k.value.is_string => {
            render(
                &expand_go(&k.value.text, vars),
                &mut canonical,
                &mut display,
            );
        }
        CacheKey::Files { files, prefix, .. } => {
            match prefix {
                Some(p) => render(
                    &expand_go(&p.value.text, vars),
                    &mut canonical,
                    &mut display,
                ),
                None => {
                    let names: Vec<&str> = files
                        .iter()
                        .map(|f| {
                            let base = f.value.text.rsplit('/').next().unwrap_or("");
                            base.split('.').next().unwrap_or("")
                        })
                        .collect();
                    let p = format!("{}_{}", cache.index, names.join("_"));
                    canonical.push_str(&p);
                    display.push_str(&p);
                }
            }
            let set: BTreeSet<&str> = files.iter().map(|f| f.value.text.as_str()).collect();
            let list: Vec<&str> = set.into_iter().collect();
            canonical.push_str(&format!("\u{0}files:{}", list.join("\u{0}")));
            display.push_str(&format!("-<hash of {}>", list.join(", ")));
        }
        _ => return None,
    }
    Some(SymbolicKey { canonical, display })
}

/// The value of a per-job predefined variable in instance `instance` of `job`, when the
/// model knows it.
fn per_job_value(name: &str, job: &Job, instance: usize) -> Option<String> {
    let inst = job.instances.get(instance)?;
    match name {
        "CI_JOB_NAME" | "CI_BUILD_NAME" => Some(inst.name.clone()),
        "CI_JOB_NAME_SLUG" => Some(slug(&inst.name)),
        "CI_JOB_STAGE" | "CI_BUILD_STAGE" => Some(job.stage.value.clone()),
        "CI_NODE_INDEX" => Some(inst.node.map_or(String::new(), |(i, _)| i.to_string())),
        "CI_NODE_TOTAL" => Some(inst.node.map_or("1".into(), |(_, n)| n.to_string())),
        _ => None,
    }
}

/// GitLab's slug: lowercased, anything but a-z and 0-9 becomes `-`, at most 63 characters, no
/// `-` at either end.
pub fn slug(s: &str) -> String {
    let lower: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cut: String = lower.chars().take(63).collect();
    cut.trim_matches('-').to_string()
}

/// What a cache stores, for comparing caches that share a key.
fn contents(cache: &Cache, vars: &dyn Lookup) -> (BTreeSet<String>, bool) {
    let paths = cache
        .paths
        .iter()
        .map(|p| {
            let expanded = crate::model::variables::display(&expand_shell(&p.value, vars));
            expanded
                .trim_start_matches("./")
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    let untracked = cache.untracked.as_ref().is_some_and(|u| u.value);
    (paths, untracked)
}

struct Use {
    job: usize,
    cache: usize,
    paths: BTreeSet<String>,
    untracked: bool,
    display: String,
    /// `policy: pull`: restores, never saves.
    pull_only: bool,
}

impl Use {
    /// Whether an archive saved by `self` holds everything `o` expects.
    fn provides(&self, o: &Use) -> bool {
        (!o.untracked || self.untracked)
            && o.paths
                .iter()
                .all(|p| self.paths.iter().any(|s| within(p, s)))
    }
}

impl Rule for CacheKeyCollision {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let jobs = &cx.pipeline.jobs;
        let mut by_key: HashMap<String, Vec<Use>> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for (ji, job) in jobs.iter().enumerate() {
            for inst in 0..job.instances.len() {
                let vars = cx.vars(ji, inst);
                for (ci, cache) in job.caches.iter().enumerate() {
                    let (paths, untracked) = contents(cache, &vars);
                    if paths.is_empty() && !untracked {
                        continue; // the runner skips it (cache-without-paths)
                    }
                    let Some(key) = symbolic_key((ji, inst), job, cache, &vars) else {
                        continue;
                    };
                    let uses = by_key.entry(key.canonical.clone()).or_insert_with(|| {
                        order.push(key.canonical.clone());
                        Vec::new()
                    });
                    let pull_only = cache
                        .policy
                        .as_ref()
                        .is_some_and(|p| p.value.is_string && p.value.text == "pull");
                    uses.push(Use {
                        job: ji,
                        cache: ci,
                        paths,
                        untracked,
                        display: key.display,
                        pull_only,
                    });
                }
            }
        }
        for canonical in order {
            let uses = &by_key[&canonical];
            report_group(cx, uses, out);
        }
    }
}

/// The caches that store the same files under one key: they cannot collide with each other.
struct Class {
    members: Vec<usize>,
    /// A member that saves (not `policy: pull`), if any.
    saver: Option<usize>,
    /// The distinct jobs of the class, in order: all of them, and those that save.
    jobs: Vec<usize>,
    saving_jobs: Vec<usize>,
}

/// How many kinds of contents a job that only restores is compared with, at most.
const PULL_CHECKS: usize = 256;

/// Reports the collisions among the caches that use one key: each cache whose contents differ
/// from what another job saves under that key, once per job and cache. Linear in the uses:
/// the jobs named in a message are the first few, and how many more there are is counted, not
/// listed.
fn report_group(cx: &RuleContext<'_>, uses: &[Use], out: &mut Vec<Diagnostic>) {
    let jobs = &cx.pipeline.jobs;
    let mut class_of: HashMap<(&BTreeSet<String>, bool), usize> = HashMap::new();
    let mut classes: Vec<Class> = Vec::new();
    let mut use_class = Vec::with_capacity(uses.len());
    for (i, u) in uses.iter().enumerate() {
        let c = *class_of.entry((&u.paths, u.untracked)).or_insert_with(|| {
            classes.push(Class {
                members: Vec::new(),
                saver: None,
                jobs: Vec::new(),
                saving_jobs: Vec::new(),
            });
            classes.len() - 1
        });
        let class = &mut classes[c];
        class.members.push(i);
        // The uses of one job come one after the other (its instances in turn).
        if class.jobs.last() != Some(&u.job) {
            class.jobs.push(u.job);
        }
        if !u.pull_only {
            class.saver.get_or_insert(i);
            if class.saving_jobs.last() != Some(&u.job) {
                class.saving_jobs.push(u.job);
            }
        }
        use_class.push(c);
    }
    if classes.len() < 2 {
        return;
    }
    let all_jobs: usize = classes.iter().map(|c| c.jobs.len()).sum();
    let saver_jobs: usize = classes
        .iter()
        .filter(|c| c.saver.is_some())
        .map(|c| c.jobs.len())
        .sum();
    let describe = |x: &Use| {
        let mut parts: Vec<String> = x.paths.iter().map(|p| format!("`{p}`")).collect();
        if x.untracked {
            parts.push("untracked files".into());
        }
        parts.join(", ")
    };
    let mut reported = std::collections::HashSet::new();
    for (ui, u) in uses.iter().enumerate() {
        let own = use_class[ui];
        let job = &jobs[u.job];
        let cache = &job.caches[u.cache];
        let implicit = matches!(cache.key, CacheKey::Default);
        // The other classes this cache collides with (each with its representative), and how
        // many jobs they hold.
        let (others, count): (Vec<(usize, usize)>, usize) = if implicit {
            // Nobody chose to share GitLab's implicit `default` key: any job caching other
            // files under it is a collision.
            let others = classes
                .iter()
                .enumerate()
                .filter(|(c, _)| *c != own)
                .take(4)
                .map(|(c, k)| (c, k.members[0]))
                .collect();
            (others, all_jobs - classes[own].jobs.len())
        } else if u.pull_only {
            let mut others = Vec::new();
            let mut count = 0;
            for (c, k) in classes.iter().enumerate().take(PULL_CHECKS) {
                if let Some(s) = k.saver
                    && c != own
                    && !uses[s].provides(u)
                {
                    others.push((c, s));
                    count += k.saving_jobs.len();
                }
            }
            (others, count)
        } else {
            let others = classes
                .iter()
                .enumerate()
                .filter(|(c, _)| *c != own)
                .filter_map(|(c, k)| Some((c, k.saver?)))
                .take(4)
                .collect();
            let own_savers = if classes[own].saver.is_some() {
                classes[own].jobs.len()
            } else {
                0
            };
            (others, saver_jobs - own_savers)
        };
        if others.is_empty() || !reported.insert((job.name.clone(), u.cache)) {
            continue;
        }
        // The first three jobs of the other classes, with what they cache.
        let pull_case = u.pull_only && !implicit;
        let mut names: Vec<String> = Vec::new();
        'names: for &(c, _) in &others {
            let k = &classes[c];
            let list = if pull_case { &k.saving_jobs } else { &k.jobs };
            for &j in list.iter().take(3) {
                let member = k.members.iter().map(|&m| &uses[m]).find(|m| m.job == j);
                if let Some(m) = member {
                    names.push(format!("`{}` ({})", jobs[j].name, describe(m)));
                }
                if names.len() == 3 {
                    break 'names;
                }
            }
        }
        let count = count.max(names.len());
        let more = count - names.len();
        // "`a` (x), `b` (y) and 2 more" and the verb ending that agrees with it.
        let listed = format!(
            "{}{}",
            names.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
        let s = if count == 1 { "s" } else { "" };
        let message = if implicit {
            format!(
                "job `{}` caches {} without a `key:`, so under GitLab's implicit key `default`, which {listed} also use{s} for different files: the jobs save and restore each other's archives",
                job.name,
                describe(u),
            )
        } else if u.pull_only {
            format!(
                "job `{}` restores {} from the cache key `{}`, but {listed} save{s} other files under that key: the job gets their archive, without what it expects",
                job.name,
                describe(u),
                u.display,
            )
        } else {
            format!(
                "job `{}` caches {} under the key `{}`, which {listed} also use{s} for different files: each job uploads its own archive under that key and overwrites the other's",
                job.name,
                describe(u),
                u.display,
            )
        };
        let key_origin = cache.key_origin();
        let (file, span) = primary(&key_origin);
        let mut d = at(cx, RULE, &key_origin, job, message)
            .label(if implicit {
                "no `key:`, so GitLab uses `default`".to_string()
            } else {
                "shared key".to_string()
            })
            .help("give each job's cache a key of its own (e.g. `key: $CI_JOB_NAME-...` or a distinct `prefix:` for `key:files`), or cache the same paths in every job that shares the key")
            .subject(format!("key:{}:{}", u.display, u.cache));
        let mut labelled = std::collections::HashSet::new();
        for &(_, rep) in others.iter().take(3) {
            let o = &uses[rep];
            let oj = &jobs[o.job];
            if !labelled.insert(oj.name.clone()) {
                continue;
            }
            let (f, s) = primary(&oj.caches[o.cache].key_origin());
            if (f, s) == (file, span) {
                continue; // the same written key, inherited by both jobs
            }
            d = d.with_label(
                f,
                s,
                format!("`{}` uses the same key for {}", oj.name, describe(o)),
            );
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs_like_gitlab() {
        assert_eq!(slug("Build: [linux, AMD64]"), "build---linux--amd64");
        assert_eq!(slug("feature/Cache_Key"), "feature-cache-key");
    }
}
