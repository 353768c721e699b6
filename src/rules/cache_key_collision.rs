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
use super::flow::{Policy, Use};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::variables::Lookup;
use crate::model::variables::{Part, Scope, expand_go};
use crate::model::{Cache, CacheKey, Job};
use crate::util::paths::within;
use std::collections::{BTreeSet, HashMap, HashSet};

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
#[derive(Clone, Debug, PartialEq, Eq)]
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
        render_parts(parts, (job_index, instance), job, canonical, display)
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

/// Appends a key's expanded parts: text as is, a pipeline-wide variable as itself (the same
/// in every job), a per-job variable as its value in this job instance when the model knows
/// it, and as this job instance's own otherwise.
pub fn render_parts(
    parts: &[Part],
    (job_index, instance): (usize, usize),
    job: &Job,
    canonical: &mut String,
    display: &mut String,
) {
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

/// Whether an archive saved by `s` holds everything `o` expects.
fn provides(s: &Use, o: &Use) -> bool {
    (!o.untracked || s.untracked) && o.paths.iter().all(|p| s.paths.iter().any(|x| within(p, x)))
}

fn pull_only(u: &Use) -> bool {
    u.policy == Policy::Pull
}

impl Rule for CacheKeyCollision {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        let flow = cx.flow();
        let mut seen: HashSet<&str> = HashSet::new();
        for u in &flow.uses {
            if !seen.insert(u.key.canonical.as_str()) {
                continue;
            }
            // The runner skips a cache without paths (cache-without-paths).
            let uses: Vec<&Use> = flow
                .under(&u.key.canonical)
                .filter(|u| !u.paths.is_empty() || u.untracked)
                .collect();
            report_group(cx, &uses, out);
        }
    }
}

/// The caches that store the same files under one key: they cannot collide with each other.
struct Class {
    members: Vec<usize>,
    /// A member that saves (not `policy: pull`), if any.
    saver: Option<usize>,
    /// The distinct jobs of the class, in order.
    jobs: Vec<usize>,
}

/// How many kinds of contents a job that only restores is compared with, at most.
const PULL_CHECKS: usize = 256;

/// How many jobs a message names; the others are counted.
const NAMED: usize = 3;

/// Reports the collision among the caches that use one key, once for the key: at the first
/// cache that uses it, with the other contents saved under it as labels, and the jobs named
/// up to three and counted past that. Linear in the uses.
fn report_group(cx: &RuleContext<'_>, uses: &[&Use], out: &mut Vec<Diagnostic>) {
    let jobs = &cx.pipeline.jobs;
    let mut class_of: HashMap<(&BTreeSet<String>, bool), usize> = HashMap::new();
    let mut classes: Vec<Class> = Vec::new();
    for (i, u) in uses.iter().enumerate() {
        let c = *class_of.entry((&u.paths, u.untracked)).or_insert_with(|| {
            classes.push(Class {
                members: Vec::new(),
                saver: None,
                jobs: Vec::new(),
            });
            classes.len() - 1
        });
        let class = &mut classes[c];
        class.members.push(i);
        // The uses of one job come one after the other (its instances in turn).
        if class.jobs.last() != Some(&u.job) {
            class.jobs.push(u.job);
        }
        if !pull_only(u) {
            class.saver.get_or_insert(i);
        }
    }
    if classes.len() < 2 {
        return;
    }
    let first = &uses[0];
    let implicit = matches!(jobs[first.job].caches[first.cache].key, CacheKey::Default);
    let savers: Vec<usize> = (0..classes.len())
        .filter(|&c| classes[c].saver.is_some())
        .collect();
    // The classes the finding is about, the first being where it is reported.
    let (involved, overwrite): (Vec<usize>, bool) =
        if savers.len() >= 2 || (implicit && !savers.is_empty()) {
            // Different contents are saved under the key: they overwrite each other. (Nobody
            // chose to share GitLab's implicit `default` key: a job that only restores it is in
            // the collision too.)
            let all: Vec<usize> = if implicit {
                (0..classes.len()).collect()
            } else {
                savers.clone()
            };
            (all, true)
        } else if let [s] = savers[..] {
            // One content is saved; jobs that only restore the key and expect other files.
            let saver = uses[classes[s].saver.unwrap_or(classes[s].members[0])];
            let short: Vec<usize> = (0..classes.len())
                .take(PULL_CHECKS)
                .filter(|&c| c != s && !provides(saver, uses[classes[c].members[0]]))
                .collect();
            if short.is_empty() {
                return;
            }
            (short.into_iter().chain([s]).collect(), false)
        } else {
            return; // nothing saves under the key
        };
    let describe = |x: &Use| {
        let mut parts: Vec<String> = x.paths.iter().map(|p| format!("`{p}`")).collect();
        if x.untracked {
            parts.push("untracked files".into());
        }
        parts.join(", ")
    };
    // "`a` (x), `b` (y) and 2 more": the first job of each class in turn, then the rest.
    let named_list = |classes_in: &[usize]| -> (String, usize) {
        let mut names: Vec<String> = Vec::new();
        let mut total = 0;
        for &c in classes_in {
            total += classes[c].jobs.len();
        }
        'outer: for round in 0..NAMED {
            for &c in classes_in {
                let k = &classes[c];
                if let Some(&j) = k.jobs.get(round) {
                    let m = k.members.iter().map(|&m| uses[m]).find(|m| m.job == j);
                    if let Some(m) = m {
                        names.push(format!("`{}` ({})", jobs[j].name, describe(m)));
                    }
                    if names.len() == NAMED {
                        break 'outer;
                    }
                }
            }
        }
        let more = total.saturating_sub(names.len());
        let mut text = names.join(", ");
        if more > 0 {
            text.push_str(&format!(" and {more} more"));
        }
        (text, total)
    };
    let at_use = uses[classes[involved[0]].members[0]];
    let job = &jobs[at_use.job];
    let cache = &job.caches[at_use.cache];
    let message = if overwrite {
        let (listed, total) = named_list(&involved);
        if implicit {
            format!(
                "{total} jobs cache different files without a `key:`, so under GitLab's implicit key `default`: {listed}; the jobs save and restore each other's archives"
            )
        } else {
            format!(
                "{total} jobs use the cache key `{}` for different files: {listed}; each job uploads its own archive under that key and overwrites the others'",
                at_use.key.display
            )
        }
    } else {
        let (pullers, np) = named_list(&involved[..involved.len() - 1]);
        let (saver, ns) = named_list(&involved[involved.len() - 1..]);
        let verb =
            |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        format!(
            "{pullers} {} the cache key `{}`, but {saver} {} other files under it: {} that archive, without what {} expect{}",
            verb(np, "restores", "restore"),
            at_use.key.display,
            verb(ns, "saves", "save"),
            verb(np, "the job gets", "the jobs get"),
            verb(np, "it", "they"),
            verb(np, "s", ""),
        )
    };
    let key_origin = cache.key_origin();
    let (file, span) = primary(&key_origin);
    // Whether the key is written once for several of the contents (`default:`, a template).
    let written_once = involved.iter().skip(1).any(|&c| {
        let o = uses[classes[c].members[0]];
        primary(&jobs[o.job].caches[o.cache].key_origin()) == (file, span)
    });
    let mut d = at(cx, RULE, &key_origin, job, message)
        .label(match (implicit, written_once) {
            (true, true) => "no `key:`, so GitLab uses `default`".to_string(),
            (true, false) => format!("no `key:`, so GitLab uses `default` ({})", describe(at_use)),
            (false, true) => "the shared key".to_string(),
            (false, false) => format!("`{}` uses this key for {}", job.name, describe(at_use)),
        })
        .help("give each job's cache a key of its own (e.g. `key: $CI_JOB_NAME-...` or a distinct `prefix:` for `key:files`), or cache the same paths in every job that shares the key")
        .subject(format!("key:{}", at_use.key.display));
    // The other contents where their key is written (a key inherited from one place is
    // shown once).
    let mut labelled = std::collections::HashSet::from([(file, span)]);
    labelled.extend(d.labels.iter().map(|l| (l.file, l.span)));
    for &c in involved.iter().skip(1).take(NAMED) {
        let k = &classes[c];
        let o = uses[k.saver.unwrap_or(k.members[0])];
        let oj = &jobs[o.job];
        let origin = oj.caches[o.cache].key_origin();
        let (f, s) = primary(&origin);
        if !labelled.insert((f, s)) {
            // The same written key: show how it reached this job (an `extends`, a `<<:`).
            for l in super::context::provenance(&cx.ctx, &origin) {
                if labelled.insert((l.file, l.span)) {
                    d.labels.push(l);
                }
            }
            continue;
        }
        let others = k.jobs.len() - 1;
        let also = if others > 0 {
            format!(
                " (and {others} more job{})",
                if others == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        d = d.with_label(
            f,
            s,
            format!(
                "`{}`{also} {} the same key for {}",
                oj.name,
                if pull_only(o) { "restores" } else { "uses" },
                describe(o)
            ),
        );
    }
    out.push(d);
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
