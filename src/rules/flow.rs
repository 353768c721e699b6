//! Cache flow: every cache every job instance uses, with its key as the runner computes it
//! (symbolically: see [`symbolic_key`]), what it stores and whether it restores, saves or
//! both. Computed once per check ([`super::context::RuleContext::flow`]) for the rules that
//! reason about how cache content moves between jobs, and for `cachelint graph`.

use super::cache_key_collision::{SymbolicKey, render_parts, symbolic_key};
use super::context::RuleContext;
use crate::model::variables::{Lookup, Part, display, expand_go, expand_shell};
use crate::model::{Cache, CacheKey, Trigger};
use std::collections::{BTreeSet, HashMap};

/// What a cache does in its job (`cache:policy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Pull,
    Push,
    PullPush,
    /// A value cachelint cannot know (a variable defined outside the configuration) or an
    /// invalid one (`invalid-cache-policy`).
    Unknown,
}

impl Policy {
    /// Whether the job may save the cache.
    pub fn may_push(self) -> bool {
        !matches!(self, Policy::Pull)
    }
    /// Whether the job may restore the cache.
    pub fn may_pull(self) -> bool {
        !matches!(self, Policy::Push)
    }
    pub fn name(self) -> &'static str {
        match self {
            Policy::Pull => "pull",
            Policy::Push => "push",
            Policy::PullPush => "pull-push",
            Policy::Unknown => "unknown",
        }
    }
}

/// One cache of one job instance.
#[derive(Debug)]
pub struct Use {
    pub job: usize,
    pub instance: usize,
    /// The cache's index in the job.
    pub cache: usize,
    pub key: SymbolicKey,
    /// The key uses a variable defined outside the configuration (project or group settings):
    /// its value, and so which keys it equals, is unknown.
    pub key_unknown: bool,
    /// Paths inside the project, expanded and normalised (no `./`, no trailing `/`); paths
    /// outside the project are left out: the runner archives nothing there.
    pub paths: BTreeSet<String>,
    /// Some written paths are outside the project (reported by `cache-path-outside-project`).
    pub outside: bool,
    pub untracked: bool,
    pub policy: Policy,
    /// The `fallback_keys`, expanded as the runner does (no `key:files` hashing).
    pub fallbacks: Vec<SymbolicKey>,
    /// A fallback key uses a variable defined outside the configuration.
    pub fallbacks_unknown: bool,
}

impl Use {
    /// Whether the cache saves anything: a policy that pushes and something to archive.
    pub fn pushes(&self) -> bool {
        self.policy.may_push() && (!self.paths.is_empty() || self.untracked)
    }
    /// Whether the job means to save the cache: a policy that pushes and paths written (some
    /// may be outside the project: that is `cache-path-outside-project`'s finding, not a
    /// missing saver).
    pub fn means_to_push(&self) -> bool {
        self.policy.may_push() && (!self.paths.is_empty() || self.untracked || self.outside)
    }
    /// Whether the cache restores anything (the runner skips a cache without paths).
    pub fn pulls(&self) -> bool {
        self.policy.may_pull() && (!self.paths.is_empty() || self.untracked)
    }
}

/// The cache flow of a pipeline.
#[derive(Debug, Default)]
pub struct Flow {
    pub uses: Vec<Use>,
    /// Canonical key → the uses under it, in job order.
    pub by_key: HashMap<String, Vec<usize>>,
    /// Why the pipeline's jobs may not be all the jobs that share its caches (an include
    /// cachelint cannot read, a child pipeline of this project), if they may not.
    pub incomplete: Option<&'static str>,
}

impl Flow {
    /// Every use whose key equals `canonical`.
    pub fn under(&self, canonical: &str) -> impl Iterator<Item = &Use> {
        self.by_key
            .get(canonical)
            .into_iter()
            .flatten()
            .map(|&i| &self.uses[i])
    }
}

/// Computes the flow (linear in the caches of all job instances).
pub fn compute(cx: &RuleContext<'_>) -> Flow {
    let mut flow = Flow {
        incomplete: incomplete(cx),
        ..Flow::default()
    };
    for (ji, job) in cx.pipeline.jobs.iter().enumerate() {
        for inst in 0..job.instances.len() {
            let vars = cx.vars(ji, inst);
            for (ci, cache) in job.caches.iter().enumerate() {
                let Some(key) = symbolic_key((ji, inst), job, cache, &vars) else {
                    continue;
                };
                let (paths, untracked) = contents(cache, &vars);
                let outside = paths.len() < cache.paths.len();
                let fallbacks = cache
                    .fallback_keys
                    .iter()
                    .filter(|f| f.value.is_string)
                    .map(|f| {
                        let parts = expand_go(&f.value.text, &vars);
                        let mut key = SymbolicKey {
                            canonical: String::new(),
                            display: String::new(),
                        };
                        render_parts(
                            &parts,
                            (ji, inst),
                            job,
                            &mut key.canonical,
                            &mut key.display,
                        );
                        key
                    })
                    .collect();
                let fallbacks_unknown = cache.fallback_keys.iter().any(|f| {
                    expand_go(&f.value.text, &vars)
                        .iter()
                        .any(|p| matches!(p, Part::Var { scope: None, .. }))
                });
                let u = Use {
                    fallbacks_unknown,
                    job: ji,
                    instance: inst,
                    cache: ci,
                    key_unknown: key_unknown(cache, &vars),
                    key,
                    paths,
                    outside,
                    untracked,
                    policy: policy(cache, &vars),
                    fallbacks,
                };
                flow.by_key
                    .entry(u.key.canonical.clone())
                    .or_default()
                    .push(flow.uses.len());
                flow.uses.push(u);
            }
        }
    }
    flow
}

/// Why the jobs cachelint sees may not be all that use the project's caches.
fn incomplete(cx: &RuleContext<'_>) -> Option<&'static str> {
    if !cx.ctx.set.unresolved.is_empty() {
        return Some("an include cachelint cannot read may define other jobs");
    }
    if cx.pipeline.incomplete {
        return Some("the configuration was not expanded whole");
    }
    if cx
        .pipeline
        .jobs
        .iter()
        .any(|j| j.run.trigger == Some(Trigger::Child))
    {
        return Some("a child pipeline of this project shares its caches");
    }
    None
}

/// Whether the key's value depends on a variable defined outside the configuration.
fn key_unknown(cache: &Cache, vars: &dyn Lookup) -> bool {
    let text = match &cache.key {
        CacheKey::Literal(k) => &k.value.text,
        CacheKey::Files {
            prefix: Some(p), ..
        } => &p.value.text,
        _ => return false,
    };
    expand_go(text, vars)
        .iter()
        .any(|p| matches!(p, Part::Var { scope: None, .. }))
}

/// `cache:policy`, expanded (GitLab allows variables in it).
fn policy(cache: &Cache, vars: &dyn Lookup) -> Policy {
    let Some(p) = &cache.policy else {
        return Policy::PullPush;
    };
    if !p.value.is_string {
        return Policy::Unknown;
    }
    let parts = expand_go(&p.value.text, vars);
    match parts.as_slice() {
        [Part::Text(t)] => match t.as_str() {
            "pull" => Policy::Pull,
            "push" => Policy::Push,
            "pull-push" => Policy::PullPush,
            _ => Policy::Unknown,
        },
        [] => Policy::PullPush,
        _ => Policy::Unknown,
    }
}

/// What a cache stores: its paths inside the project (expanded, normalised) and whether it
/// stores untracked files. Paths outside the project are left out: the runner never archives
/// them (`cache-path-outside-project`), so a cache of only such paths saves nothing.
pub fn contents(cache: &Cache, vars: &dyn Lookup) -> (BTreeSet<String>, bool) {
    let paths = cache
        .paths
        .iter()
        .filter_map(|p| {
            let parts = expand_shell(&p.value, vars);
            if super::cache_path_outside_project::outside(&parts).is_some() {
                return None;
            }
            let expanded = display(&parts);
            let p = expanded.trim_start_matches("./").trim_end_matches('/');
            Some(if p.is_empty() {
                ".".to_string()
            } else {
                p.to_string()
            })
        })
        .collect();
    let untracked = cache.untracked.as_ref().is_some_and(|u| u.value);
    (paths, untracked)
}

/// One piece of a key for [`can_equal`]: a character, a variable (any text, since a variable
/// can have another value in the pipeline that saved the cache), or something that only
/// equals itself (a hash of `key:files`, a per-job value cachelint does not know).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece<'a> {
    Char(char),
    Any,
    Exact(&'a str),
}

fn pieces(canonical: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = canonical;
    while let Some(i) = rest.find('\u{0}') {
        out.extend(rest[..i].chars().map(Piece::Char));
        let special = &rest[i + 1..];
        if special.starts_with("files:") {
            out.push(Piece::Exact(special));
            return out;
        }
        let end = special.find('\u{0}').unwrap_or(special.len());
        let token = &special[..end];
        out.push(if token.starts_with('$') {
            Piece::Any
        } else {
            Piece::Exact(token)
        });
        rest = special.get(end + 1..).unwrap_or("");
    }
    out.extend(rest.chars().map(Piece::Char));
    out
}

/// Whether two keys (canonical forms) can be the same string in some pipelines: equal text,
/// each variable standing for any text. Quadratic in the lengths of the two keys.
pub fn can_equal(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    // Cheap test first: the text before the first variable (and after the last) must agree.
    let head = |s: &str| s.split('\u{0}').next().unwrap_or("").to_string();
    let tail = |s: &str| {
        if s.contains('\u{0}') {
            s.rsplit('\u{0}').next().unwrap_or("").to_string()
        } else {
            s.to_string()
        }
    };
    let (ha, hb) = (head(a), head(b));
    let n = ha.len().min(hb.len());
    if ha.as_bytes()[..n] != hb.as_bytes()[..n] {
        return false;
    }
    if !a.contains("\u{0}files:") && !b.contains("\u{0}files:") {
        let (ta, tb) = (tail(a), tail(b));
        let n = ta.len().min(tb.len());
        if ta.as_bytes()[ta.len() - n..] != tb.as_bytes()[tb.len() - n..] {
            return false;
        }
    }
    let (a, b) = (pieces(a), pieces(b));
    // reach[j]: the first i pieces of `a` and the first j of `b` can denote the same text.
    let mut reach = vec![false; b.len() + 1];
    reach[0] = true;
    for j in 1..=b.len() {
        reach[j] = reach[j - 1] && b[j - 1] == Piece::Any;
    }
    for i in 1..=a.len() {
        let mut next = vec![false; b.len() + 1];
        next[0] = reach[0] && a[i - 1] == Piece::Any;
        for j in 1..=b.len() {
            next[j] = match (&a[i - 1], &b[j - 1]) {
                (Piece::Any, Piece::Any) => reach[j] || next[j - 1] || reach[j - 1],
                (Piece::Any, Piece::Char(_)) => reach[j] || next[j - 1] || reach[j - 1],
                (Piece::Char(_), Piece::Any) => next[j - 1] || reach[j] || reach[j - 1],
                (Piece::Any, Piece::Exact(_)) | (Piece::Exact(_), Piece::Any) => false,
                (x, y) => reach[j - 1] && x == y,
            };
        }
        reach = next;
    }
    reach[b.len()]
}

/// Keys saved in the pipeline, for asking whether a key restored can find an archive.
pub struct Saved<'f> {
    flow: &'f Flow,
    /// The distinct canonical keys that are saved.
    keys: Vec<&'f str>,
    /// Comparisons left before giving up (see [`Saved::can_find`]).
    budget: std::cell::Cell<usize>,
}

/// How many key comparisons a check may make: beyond, a key counts as found (silence rather
/// than quadratic time on pipelines with thousands of distinct keys).
const COMPARISONS: usize = 20_000;

impl<'f> Saved<'f> {
    pub fn new(flow: &'f Flow) -> Saved<'f> {
        let mut keys: Vec<&str> = flow
            .uses
            .iter()
            .filter(|u| u.means_to_push())
            .map(|u| u.key.canonical.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        Saved {
            flow,
            keys,
            budget: std::cell::Cell::new(COMPARISONS),
        }
    }

    /// Whether some job saves under exactly this key.
    pub fn exactly(&self, canonical: &str) -> bool {
        self.flow.under(canonical).any(Use::means_to_push)
    }

    /// Whether some job may save under a key that can equal this one (or cachelint gave up
    /// comparing).
    pub fn can_find(&self, canonical: &str) -> bool {
        if self.exactly(canonical) {
            return true;
        }
        let left = self.budget.get();
        if left < self.keys.len() {
            return true;
        }
        self.budget.set(left - self.keys.len());
        self.keys.iter().any(|k| can_equal(canonical, k))
    }
}

#[cfg(test)]
mod tests {
    use super::can_equal;

    #[test]
    fn keys_that_can_be_equal() {
        let v = |n: &str| format!("\u{0}${n}\u{0}");
        assert!(can_equal(
            "deps-main",
            &format!("deps-{}", v("CI_COMMIT_REF_SLUG"))
        ));
        assert!(!can_equal(
            "deps-main",
            &format!("npm-{}", v("CI_COMMIT_REF_SLUG"))
        ));
        assert!(can_equal(
            &format!("a-{}", v("X")),
            &format!("{}-b", v("Y"))
        ));
        assert!(!can_equal("default", "0_go\u{0}files:go.mod\u{0}go.sum"));
        assert!(!can_equal(&v("X"), "0_go\u{0}files:go.mod"));
        assert!(can_equal("0_go\u{0}files:go.mod", "0_go\u{0}files:go.mod"));
        assert!(!can_equal("a\u{0}job1.0\u{0}", "a\u{0}job2.0\u{0}"));
        assert!(can_equal("", &v("X")));
        assert!(!can_equal("x", ""));
    }
}
