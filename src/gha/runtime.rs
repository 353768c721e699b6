//! Whether a cache key names the runtime a cached directory was built with: the Python version
//! for a virtualenv (setup-python), the Node.js version for `node_modules` (setup-node), and
//! the OS when the job runs on several.

use super::cache::{Cache, Content};
use super::expr::{Component, Part};
use super::model::{Input, Job, Step};
use super::{Context, is_opaque};

/// How a key covers the runtime version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cover {
    /// By the exact version (a setup action's `*-version` output, `env.pythonLocation`, a
    /// pinned `x.y.z`, a hashed version file).
    Exact,
    /// By the version as requested, which floats across patch releases (`3.12`).
    Floating(String),
    /// Not at all; `String` says what varies (`matrix.python-version: 3.11, 3.12`).
    Missing(String),
    /// Cannot tell.
    Unknown,
}

/// The setup action a job's runtime-bound content depends on.
pub struct Runtime<'a> {
    pub action: &'static str,
    pub step: &'a Step,
    pub version: Option<&'a Input>,
    /// The output naming the exact version.
    pub output: &'static str,
}

/// The one setup step of a job for `content` (`None` when there is none or several).
pub fn runtime<'a>(job: &'a Job, content: Content) -> Option<Runtime<'a>> {
    let (action, input, output) = match content {
        Content::Venv => ("actions/setup-python", "python-version", "python-version"),
        Content::NodeModules => ("actions/setup-node", "node-version", "node-version"),
    };
    let mut steps = job.steps.iter().filter(|s| s.uses(action));
    let step = steps.next()?;
    if steps.next().is_some() {
        return None;
    }
    Some(Runtime {
        action,
        step,
        version: step.input(input),
        output,
    })
}

/// A version with three numeric parts (`3.12.4`): it does not float.
fn exact(v: &str) -> bool {
    let parts: Vec<&str> = v.trim().split('.').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

const VERSION_FILES: &[&str] = &[
    ".python-version",
    ".nvmrc",
    ".node-version",
    ".tool-versions",
    "runtime.txt",
];

/// How `parts` (a key, resolved) covers the runtime of `rt`.
pub fn cover(
    cx: &Context<'_>,
    c: &Cache<'_>,
    parts: &[Component],
    rt: &Runtime<'_>,
    content: Content,
) -> Cover {
    let job = cx.job(c);
    let has = |path: &str| parts.iter().any(|p| p.is_ctx(path));
    if let Some(id) = &rt.step.id
        && has(&format!(
            "steps.{}.outputs.{}",
            id.to_ascii_lowercase(),
            rt.output
        ))
    {
        return Cover::Exact;
    }
    if content == Content::Venv && has("env.pythonlocation") {
        return Cover::Exact;
    }
    let file_input = rt
        .step
        .input(if content == Content::Venv {
            "python-version-file"
        } else {
            "node-version-file"
        })
        .map(|i| i.value.text.trim().to_string());
    for p in parts {
        match &p.part {
            Part::HashFiles(args) => {
                let hashed_version_file = args.iter().flatten().any(|a| {
                    let name = a.rsplit('/').next().unwrap_or(a);
                    VERSION_FILES.contains(&name) || file_input.as_deref() == Some(a.trim())
                });
                if hashed_version_file {
                    return Cover::Exact;
                }
            }
            Part::Ctx(path) if super::is_version_output(path) => return Cover::Exact,
            _ => {}
        }
    }
    if parts.iter().any(is_opaque) {
        return Cover::Unknown;
    }
    let Some(input) = rt.version else {
        return Cover::Unknown;
    };
    // The version input, with `env.X` replaced by its value.
    let mut comps = input.value.comps.clone();
    if let [one] = comps.as_slice()
        && let Some([env, name]) = one.ctx()
        && env == "env"
        && let Some(v) = cx.env(c.workflow, job, rt.step, name)
    {
        comps = v.comps.clone();
    }
    match comps.as_slice() {
        [
            Component {
                part: Part::Lit(v), ..
            },
        ] => {
            let v = v.trim();
            let lits: String = parts
                .iter()
                .filter_map(|p| match &p.part {
                    Part::Lit(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            if content == Content::NodeModules {
                // One Node.js version: nothing varies between jobs.
                return Cover::Unknown;
            }
            if !lits.contains(v) {
                // Even a pinned version: a new one changes the workflow, not the key.
                Cover::Missing(format!("{} `{v}`", rt.action))
            } else if exact(v) {
                Cover::Exact
            } else {
                Cover::Floating(format!("`{v}`"))
            }
        }
        [one] if one.ctx().is_some_and(|p| p.len() == 2 && p[0] == "matrix") => {
            let var = one.ctx().map(|p| p[1].clone()).unwrap_or_default();
            let in_key = has(&format!("matrix.{var}"));
            let Some(values) = job.matrix.values(&var) else {
                return if in_key {
                    Cover::Unknown
                } else {
                    Cover::Missing(format!("`matrix.{var}`"))
                };
            };
            let shown = values.join(", ");
            if in_key {
                if content == Content::NodeModules || values.iter().all(|v| exact(v)) {
                    Cover::Exact
                } else {
                    Cover::Floating(format!("`matrix.{var}` ({shown})"))
                }
            } else if content == Content::NodeModules && values.len() < 2 {
                Cover::Unknown
            } else {
                Cover::Missing(format!("`matrix.{var}` ({shown})"))
            }
        }
        _ => Cover::Unknown,
    }
}

/// Whether the job may run on several OSes whose caches can be restored by one another
/// (Linux and macOS share cache versions; Windows only with `enableCrossOsArchive`).
pub fn several_oses(job: &Job, cross_os: bool) -> bool {
    if job.container {
        return false;
    }
    let o = &job.oses;
    (o.linux && o.macos) || (cross_os && o.windows && (o.linux || o.macos))
}

/// Whether `parts` name the OS: `runner.os`, or a matrix variable `runs-on` is made of.
pub fn has_os(job: &Job, parts: &[Component]) -> bool {
    parts.iter().any(|p| {
        p.is_ctx("runner.os")
            || p.ctx().is_some_and(|x| {
                x.len() == 2 && x[0] == "matrix" && job.os_vars.iter().any(|v| *v == x[1])
            })
    })
}
