//! The caches of a workflow: `actions/cache` (and its `restore`/`save` halves) with their
//! inputs, and the caches the setup actions keep when the input that turns them on is set
//! (docs/semantics.md, "GitHub Actions").

use super::model::{Input, Job, Step, Template};
use crate::source::Span;

/// What kind of step keeps the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `actions/cache`: restores, and saves in its post step on a miss.
    Cache,
    /// `actions/cache/restore`.
    Restore,
    /// `actions/cache/save`.
    Save,
    /// A setup action's built-in cache (the action's name).
    Setup(&'static str),
}

#[derive(Clone, Debug)]
pub struct Cache<'a> {
    /// Index of the workflow and job in [`super::Workflows`].
    pub workflow: usize,
    pub job: usize,
    pub step: usize,
    pub kind: Kind,
    pub step_ref: &'a Step,
    /// `path:` lines (`actions/cache`), or the directories the setup action caches.
    pub paths: Vec<String>,
    pub path_input: Option<&'a Input>,
    pub key: Option<&'a Template>,
    pub restore_keys: Vec<Template>,
    pub cross_os: bool,
    pub lookup_only: bool,
    /// The input that turns a setup action's cache on (`cache: pip`), or the `uses:` line.
    pub on_span: Span,
    /// Whether the step restores and whether it may save.
    pub restores: bool,
    pub saves: bool,
}

/// Whether an input's value is literally `true` (inputs are strings; YAML may type it).
fn is_true(i: Option<&Input>) -> Option<bool> {
    let i = i?;
    if !i.value.is_literal() {
        return None;
    }
    Some(i.value.text.trim().eq_ignore_ascii_case("true"))
}

/// The lines of a multi-line input (`path`, `restore-keys`), trimmed, empty ones dropped.
pub fn lines(t: &str) -> Vec<String> {
    t.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// `restore-keys`, one template per line (spans point into the value).
fn restore_keys(i: Option<&Input>) -> Vec<Template> {
    let Some(i) = i else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // Split the components on newlines inside literal parts.
    let mut cur: Vec<super::expr::Component> = Vec::new();
    let mut text = String::new();
    let flush =
        |cur: &mut Vec<super::expr::Component>, text: &mut String, out: &mut Vec<Template>| {
            let t = text.trim().to_string();
            if !t.is_empty() {
                // Trim whitespace of the first and last literal parts.
                let mut comps = std::mem::take(cur);
                if let Some(super::expr::Component {
                    part: super::expr::Part::Lit(s),
                    ..
                }) = comps.first_mut()
                {
                    *s = s.trim_start().to_string();
                }
                if let Some(super::expr::Component {
                    part: super::expr::Part::Lit(s),
                    ..
                }) = comps.last_mut()
                {
                    *s = s.trim_end().to_string();
                }
                comps.retain(|c| !matches!(&c.part, super::expr::Part::Lit(s) if s.is_empty()));
                let span = match (comps.first(), comps.last()) {
                    (Some(a), Some(b)) => Span::new(a.span.start, b.span.end),
                    _ => i.value.span,
                };
                out.push(Template {
                    text: t,
                    span,
                    comps,
                });
            }
            cur.clear();
            text.clear();
        };
    for c in &i.value.comps {
        match &c.part {
            super::expr::Part::Lit(s) => {
                // Each line's own bytes when the literal is written as is in the file.
                let exact = c.span.len() as usize == s.len();
                let mut off = 0;
                let mut pieces = s.split('\n').peekable();
                while let Some(p) = pieces.next() {
                    let (lead, body) = (p.len() - p.trim_start().len(), p.trim());
                    if !body.is_empty() {
                        text.push_str(p);
                        let span = if exact {
                            let start = c.span.start + (off + lead) as u32;
                            Span::new(start, start + body.len() as u32)
                        } else {
                            c.span
                        };
                        cur.push(super::expr::Component {
                            part: super::expr::Part::Lit(p.to_string()),
                            span,
                        });
                    }
                    off += p.len() + 1;
                    if pieces.peek().is_some() {
                        flush(&mut cur, &mut text, &mut out);
                    }
                }
            }
            _ => {
                text.push_str("${{}}");
                cur.push(c.clone());
            }
        }
    }
    flush(&mut cur, &mut text, &mut out);
    out
}

/// Each setup action with a cache: the input that turns it on, whether it is on by default
/// (from the major version given), and the directories it caches for an input value.
pub fn setup_cache(step: &Step) -> Option<(&'static str, Option<&Input>, Vec<&'static str>)> {
    let uses = step.uses.as_ref().filter(|u| !u.local)?;
    let input = |n: &str| step.input(n);
    let literal = |n: &str| {
        input(n)
            .filter(|i| i.value.is_literal())
            .map(|i| i.value.text.trim().to_ascii_lowercase())
    };
    match uses.action.as_str() {
        "actions/setup-python" => {
            let dirs = match literal("cache")?.as_str() {
                "pip" => vec!["~/.cache/pip"],
                "pipenv" => vec!["~/.local/share/virtualenvs"],
                "poetry" => vec!["~/.cache/pypoetry"],
                _ => return None,
            };
            Some(("actions/setup-python", input("cache"), dirs))
        }
        "actions/setup-node" => {
            let dirs = match literal("cache")?.as_str() {
                "npm" => vec!["~/.npm"],
                "yarn" => vec!["~/.cache/yarn"],
                "pnpm" => vec![],
                _ => return None,
            };
            Some(("actions/setup-node", input("cache"), dirs))
        }
        "actions/setup-go" => {
            // On by default since v4 (`cache: true`); an expression is unknown.
            let on = match input("cache") {
                Some(i) => is_true(Some(i))?,
                None => uses.major()? >= 4,
            };
            on.then(|| {
                (
                    "actions/setup-go",
                    input("cache"),
                    vec!["~/go/pkg/mod", "~/.cache/go-build"],
                )
            })
        }
        "actions/setup-java" => {
            let dirs = match literal("cache")?.as_str() {
                "maven" => vec!["~/.m2/repository"],
                "gradle" => vec!["~/.gradle/caches", "~/.gradle/wrapper"],
                "sbt" => vec!["~/.ivy2/cache", "~/.sbt", "~/.cache/coursier"],
                _ => return None,
            };
            Some(("actions/setup-java", input("cache"), dirs))
        }
        "actions/setup-dotnet" => is_true(input("cache"))?.then(|| {
            (
                "actions/setup-dotnet",
                input("cache"),
                vec!["~/.nuget/packages"],
            )
        }),
        "astral-sh/setup-uv" => is_true(input("enable-cache"))?
            .then(|| ("astral-sh/setup-uv", input("enable-cache"), vec![])),
        "ruby/setup-ruby" => is_true(input("bundler-cache"))?.then(|| {
            (
                "ruby/setup-ruby",
                input("bundler-cache"),
                vec!["vendor/bundle"],
            )
        }),
        "gradle/actions/setup-gradle" | "gradle/gradle-build-action" => {
            let disabled = match input("cache-disabled") {
                Some(i) => is_true(Some(i))?,
                None => false,
            };
            (!disabled).then(|| {
                (
                    "gradle/actions/setup-gradle",
                    None,
                    vec!["~/.gradle/caches", "~/.gradle/wrapper"],
                )
            })
        }
        "swatinem/rust-cache" => Some((
            "Swatinem/rust-cache",
            None,
            vec!["~/.cargo/registry", "~/.cargo/git", "target"],
        )),
        _ => None,
    }
}

/// Every cache of a job's steps.
pub fn of_job<'a>(workflow: usize, job_index: usize, job: &'a Job) -> Vec<Cache<'a>> {
    let mut out = Vec::new();
    for (i, step) in job.steps.iter().enumerate() {
        let Some(uses) = step.uses.as_ref().filter(|u| !u.local) else {
            continue;
        };
        let kind = match uses.action.as_str() {
            "actions/cache" => Some(Kind::Cache),
            "actions/cache/restore" => Some(Kind::Restore),
            "actions/cache/save" => Some(Kind::Save),
            _ => None,
        };
        if let Some(kind) = kind {
            let lookup_only = is_true(step.input("lookup-only")).unwrap_or(false);
            out.push(Cache {
                workflow,
                job: job_index,
                step: i,
                kind,
                step_ref: step,
                paths: step
                    .input("path")
                    .map(|p| lines(&p.value.text))
                    .unwrap_or_default(),
                path_input: step.input("path"),
                key: step.input("key").map(|k| &k.value),
                restore_keys: restore_keys(step.input("restore-keys")),
                cross_os: is_true(step.input("enablecrossosarchive")).unwrap_or(false),
                lookup_only,
                on_span: uses.span,
                restores: kind != Kind::Save && !lookup_only,
                saves: kind != Kind::Restore,
            });
            continue;
        }
        if let Some((name, on, dirs)) = setup_cache(step) {
            let saves = match name {
                "Swatinem/rust-cache" => is_true(step.input("save-if")).unwrap_or(true),
                "gradle/actions/setup-gradle" => {
                    !is_true(step.input("cache-read-only")).unwrap_or(false)
                }
                _ => true,
            };
            out.push(Cache {
                workflow,
                job: job_index,
                step: i,
                kind: Kind::Setup(name),
                step_ref: step,
                paths: dirs.iter().map(|d| d.to_string()).collect(),
                path_input: None,
                key: None,
                restore_keys: Vec::new(),
                cross_os: false,
                lookup_only: false,
                on_span: on.map_or(uses.span, |i| i.key_span),
                restores: true,
                saves,
            });
        }
    }
    out
}

/// What a cached directory holds, as far as the rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// A Python virtual environment: its interpreter links point into one Python patch
    /// release's directory.
    Venv,
    /// `node_modules`: native addons are built for one Node.js ABI.
    NodeModules,
}

/// The runtime-bound content of a cached path (normalized with [`super::normalize_path`]).
pub fn content(path: &str) -> Option<Content> {
    let p = super::normalize_path(path);
    let last = p.rsplit('/').next().unwrap_or(&p);
    match last {
        ".venv" | "venv" | ".tox" | ".nox" | "virtualenvs" => Some(Content::Venv),
        "node_modules" => Some(Content::NodeModules),
        _ => None,
    }
}

/// Whether a cached path is a package manager's download cache or installed dependencies,
/// whose key should follow a lockfile.
pub fn is_dependencies(path: &str) -> bool {
    let p = super::normalize_path(path);
    const DIRS: &[&str] = &[
        "~/.npm",
        "~/.cache/pip",
        "~/.cache/pypoetry",
        "~/.cache/uv",
        "~/.cache/yarn",
        "~/.pnpm-store",
        "~/.local/share/pnpm/store",
        "~/.cargo/registry",
        "~/.cargo/git",
        "~/go/pkg/mod",
        "~/.m2/repository",
        "~/.m2",
        "~/.gradle/caches",
        "~/.nuget/packages",
        "~/.composer/cache",
        "vendor/bundle",
        ".yarn/cache",
    ];
    DIRS.contains(&p.as_str()) || content(path).is_some()
}
