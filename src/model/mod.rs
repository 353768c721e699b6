//! The typed, effective configuration: what every job runs with after includes, `extends`,
//! `!reference`, `default:`/`inherit` and `parallel`, each value with its [`Origin`]. Rules read
//! only this.

mod builder;
pub mod conditions;
pub mod variables;

pub use builder::{build, flatten};

use crate::resolve::value::{Chain, Loc, RValue};
use std::rc::Rc;

/// Where a value was written and how it got to the job.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The value as written (for an alias, the anchor's node).
    pub loc: Loc,
    /// The key it was written under, when there is one (the line to point at).
    pub key: Option<Loc>,
    /// Where it was used through an alias (`*name`), if it was.
    pub alias: Option<Loc>,
    /// The resolution steps that brought it (see [`crate::resolve::value::Ctx::hops`]).
    pub chain: Chain,
}

/// A value with its origin.
#[derive(Clone, Debug, PartialEq)]
pub struct Valued<T> {
    pub value: T,
    pub origin: Origin,
}

/// A scalar as GitLab would see it: its text, and whether it is a string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    pub text: String,
    /// `false` for numbers, booleans, null: GitLab's string-only keywords reject these.
    pub is_string: bool,
}

#[derive(Debug, Default)]
pub struct Pipeline {
    /// Top-level `variables:` (shared with the jobs that inherit them).
    pub variables: Vec<Rc<Variable>>,
    /// Visible jobs as written, in configuration order; each lists the jobs GitLab makes of it
    /// ([`Job::instances`]).
    pub jobs: Vec<Job>,
    /// Visible jobs with their effective configuration (what `cachelint show` prints), when
    /// kept.
    pub effective: Vec<EffectiveJob>,
    /// The resolved top-level `stages` and `variables` entries, as written (for `show`).
    pub top: Vec<crate::resolve::value::REntry>,
    /// `workflow:rules`, when written: which pipelines are created at all.
    pub workflow: Option<Vec<RunRule>>,
    /// Expansion stopped at its budget (`expansion-too-large`): some jobs may be missing.
    pub incomplete: bool,
}

impl Pipeline {
    /// Indices (in [`Pipeline::jobs`]) of the jobs whose artifacts job `j` downloads.
    pub fn downloads(&self, j: usize) -> Vec<usize> {
        match &self.jobs[j].downloads {
            Downloads::Jobs(list) => list.clone(),
            Downloads::EarlierStages { only } => {
                let stage = self.jobs[j].stage_index;
                self.jobs
                    .iter()
                    .enumerate()
                    .filter(|(i, o)| {
                        o.stage_index < stage && only.as_ref().is_none_or(|l| l.contains(i))
                    })
                    .map(|(i, _)| i)
                    .collect()
            }
        }
    }
}

/// Whose artifacts a job downloads (`Ci::BuildDependencies#local`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Downloads {
    /// These jobs (from `needs`, or `dependencies: []` for none).
    Jobs(Vec<usize>),
    /// Every job of an earlier stage (no `needs`), restricted to `only` when `dependencies`
    /// names jobs. Kept symbolic: in a large pipeline the list would be quadratic.
    EarlierStages { only: Option<Vec<usize>> },
}

/// A visible job's configuration after resolution and `default:`, before `parallel`.
#[derive(Clone, Debug)]
pub struct EffectiveJob {
    pub name: String,
    pub key: Loc,
    pub value: RValue,
}

/// A visible job as written, with what it runs with after includes, `extends`, `!reference`
/// and `default:`.
#[derive(Clone, Debug)]
pub struct Job {
    /// The name written in the configuration.
    pub name: String,
    /// Where the job's key is written.
    pub key: Loc,
    pub stage: Valued<String>,
    /// The stage's position in the pipeline's stages (`.pre` first).
    pub stage_index: usize,
    /// Effective variables: inherited top-level ones, then the job's.
    pub variables: Vec<Rc<Variable>>,
    pub caches: Vec<Cache>,
    /// Where `cache:` itself comes from (absent when the job has none).
    pub cache_origin: Option<Origin>,
    pub artifacts: Option<Artifacts>,
    /// Whose artifacts this job downloads (see [`Pipeline::downloads`]).
    pub downloads: Downloads,
    /// The jobs GitLab creates from this one: the job itself, or one per `parallel` instance
    /// or matrix combination. Never empty.
    pub instances: Vec<Instance>,
    /// What the job runs in and on: its image, runner tags, commands, and when it runs.
    pub run: Run,
}

/// What a job runs, in what, and when: the keywords cache flow depends on.
#[derive(Clone, Debug, Default)]
pub struct Run {
    /// `image:` or `image:name`, as written (variables unexpanded).
    pub image: Option<Valued<String>>,
    /// `tags:` (the runners it may run on).
    pub tags: Vec<Valued<String>>,
    /// `before_script`, `script` and `after_script` lines, in the order the runner runs
    /// them (each list flattened, as GitLab does).
    pub commands: Vec<Command>,
    /// The job's own `when:` (`on_success` when not written).
    pub when: Option<Valued<Text>>,
    /// `rules:`, when written (they replace `only`/`except`).
    pub rules: Option<Vec<RunRule>>,
    /// `only:` and `except:`, when written.
    pub only: Option<RefFilter>,
    pub except: Option<RefFilter>,
    /// A `trigger:` job: it starts another pipeline and runs no script of its own.
    pub trigger: Option<Trigger>,
}

/// One command line of a job's scripts.
#[derive(Clone, Debug)]
pub struct Command {
    pub section: Section,
    pub text: Valued<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    BeforeScript,
    Script,
    AfterScript,
}

/// One entry of `rules:`.
#[derive(Clone, Debug)]
pub struct RunRule {
    /// `if:`, as written.
    pub condition: Option<Valued<String>>,
    /// `changes:` is written: the rule matches only when some files changed.
    pub changes: bool,
    /// `exists:` is written: the rule matches only when some files exist.
    pub exists: bool,
    /// `when:` of the rule (the job's `when:` when not written).
    pub when: Option<Valued<Text>>,
    /// The rule entry.
    pub origin: Origin,
}

/// `only:` or `except:`: refs (`branches`, `tags`, `merge_requests`, `main`, `/^release/`...),
/// variable expressions, and whether `changes:`/`kubernetes:` conditions are written.
#[derive(Clone, Debug)]
pub struct RefFilter {
    pub refs: Vec<String>,
    pub variables: Vec<String>,
    pub changes: bool,
    pub kubernetes: bool,
    pub origin: Origin,
}

/// A `trigger:` job's downstream pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A child pipeline of this project (`trigger: include:`): its jobs share the project's
    /// cache, and cachelint does not see them.
    Child,
    /// A pipeline of another project (`trigger: group/project`).
    Project,
}

/// One job GitLab creates from a written job.
#[derive(Clone, Debug)]
pub struct Instance {
    /// `build`, `build 1/3`, `build: [linux, amd64]`.
    pub name: String,
    /// For `parallel: N`: this instance's number (1-based) and N.
    pub node: Option<(u32, u32)>,
    /// For `parallel: matrix`: its variables, which override the job's.
    pub matrix: Vec<Rc<Variable>>,
}

impl Job {
    /// The job's name as an origin (for findings about the job as a whole).
    pub fn key_origin(&self) -> Origin {
        Origin {
            loc: self.key,
            key: Some(self.key),
            alias: None,
            chain: crate::resolve::value::Chain::NONE,
        }
    }

    /// The variables instance `i` runs with: the job's, with its matrix values in their place.
    pub fn instance_variables(&self, i: usize) -> impl Iterator<Item = &Rc<Variable>> {
        let matrix = self
            .instances
            .get(i)
            .map_or(&[][..], |x| x.matrix.as_slice());
        self.variables
            .iter()
            .filter(move |v| !matrix.iter().any(|m| m.name == v.name))
            .chain(matrix.iter())
    }
}

#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub value: String,
    /// `expand: false` makes the runner take the value literally.
    pub expand: bool,
    pub origin: Origin,
    pub source: VariableSource,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VariableSource {
    TopLevel,
    Job,
    Matrix,
}

#[derive(Clone, Debug)]
pub struct Cache {
    /// Position in the job's list of caches.
    pub index: usize,
    pub key: CacheKey,
    pub paths: Vec<Valued<String>>,
    pub untracked: Option<Valued<bool>>,
    pub unprotect: Option<Valued<bool>>,
    /// As written (default `pull-push`).
    pub policy: Option<Valued<Text>>,
    /// As written (default `on_success`).
    pub when: Option<Valued<Text>>,
    pub fallback_keys: Vec<Valued<Text>>,
    /// Every keyword written in the cache entry as written: for the rules that check names and
    /// value types, which the typed fields above cannot show.
    pub written: Vec<Written>,
    /// The cache entry itself.
    pub origin: Origin,
    /// The entry is not a mapping (GitLab rejects it).
    pub malformed: bool,
}

impl Cache {
    /// Where the key is written: the `key:` value, or the cache entry when there is no key
    /// (GitLab's implicit `default`) or it is invalid.
    pub fn key_origin(&self) -> Origin {
        match &self.key {
            CacheKey::Literal(k) => k.origin,
            CacheKey::Files { origin, .. } => *origin,
            CacheKey::Invalid(o) => *o,
            // The first keyword of the entry (a line, not the whole mapping), with the way
            // the entry reached the job.
            CacheKey::Default => self.written.first().map_or(self.origin, |w| Origin {
                loc: w.key,
                key: Some(w.key),
                ..self.origin
            }),
        }
    }
}

/// The kind of YAML value written for a keyword, as GitLab's validators tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Str,
    /// A Ruby symbol (`!ruby/symbol x`, `:x` written as such).
    Symbol,
    Bool,
    Number,
    Null,
    List,
    Mapping,
    Other,
}

/// A keyword as written in a mapping: its name, where, and the shape of its value.
#[derive(Clone, Debug)]
pub struct Written {
    pub name: String,
    /// Where the keyword is written.
    pub key: Loc,
    pub shape: Shape,
    pub origin: Origin,
    /// For a list: the shape of each item, with where it is.
    pub items: Vec<(Shape, Origin)>,
}

#[derive(Clone, Debug)]
pub enum CacheKey {
    /// No `key:`: GitLab uses `default`.
    Default,
    /// A literal key (variables are expanded by the runner).
    Literal(Valued<Text>),
    /// `key: {files: [...], prefix: ...}` (or `files_commits`).
    Files {
        files: Vec<Valued<Text>>,
        prefix: Option<Valued<Text>>,
        commits: bool,
        origin: Origin,
    },
    /// A key of another type (GitLab rejects it).
    Invalid(Origin),
}

#[derive(Clone, Debug)]
pub struct Artifacts {
    pub paths: Vec<Valued<String>>,
    pub exclude: Vec<Valued<String>>,
    /// `reports:` type → its paths.
    pub reports: Vec<(String, Vec<Valued<String>>)>,
    pub origin: Origin,
}
