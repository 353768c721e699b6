//! The workflow model: triggers, jobs (`runs-on`, `strategy.matrix`, `env`, steps with `uses`
//! and `with`), built from the span-preserving YAML. Values that are templated strings keep
//! their [`Component`]s. Whatever is not understood is recorded as unknown, never guessed.

use super::expr::{Component, Part, template};
use crate::source::{FileId, Span};
use crate::yaml::{Doc, KeyIdent, NodeId, Style};

/// A string value with its components and where it is written.
#[derive(Clone, Debug)]
pub struct Template {
    pub text: String,
    /// The value as written (the line to point at).
    pub span: Span,
    pub comps: Vec<Component>,
}

impl Template {
    /// Whether the value has no expression at all.
    pub fn is_literal(&self) -> bool {
        self.comps.iter().all(|c| matches!(c.part, Part::Lit(_)))
    }
}

#[derive(Clone, Debug)]
pub struct Trigger {
    /// The event name (`push`, `pull_request_target`, `release`, ...).
    pub name: String,
    pub span: Span,
    /// `push` with `tags:` and no `branches:`: it runs for tags only.
    pub tags_only: bool,
    /// `push` with `tags:` (and possibly branches).
    pub tags: bool,
}

#[derive(Clone, Debug)]
pub struct Env {
    pub name: String,
    pub value: Template,
}

/// The operating systems a job can run on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Oses {
    pub linux: bool,
    pub macos: bool,
    pub windows: bool,
    /// Some runner could not be classified (self-hosted labels, an expression).
    pub unknown: bool,
}

impl Oses {
    pub fn count(&self) -> usize {
        [self.linux, self.macos, self.windows]
            .iter()
            .filter(|b| **b)
            .count()
    }
}

/// `strategy.matrix`: every value each variable can take (its list and the `include` entries).
#[derive(Clone, Debug, Default)]
pub struct Matrix {
    pub vars: Vec<(String, Vec<String>)>,
    /// The matrix (or some of its lists) comes from an expression: values are unknown.
    pub dynamic: bool,
}

impl Matrix {
    /// The values of matrix variable `name` (lowercase), when known.
    pub fn values(&self, name: &str) -> Option<&[String]> {
        if self.dynamic {
            return None;
        }
        self.vars
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }
}

#[derive(Clone, Debug)]
pub struct Uses {
    /// `owner/repo[/path]`, lowercase, for a published action; the path for a local one.
    pub action: String,
    /// The ref (`v4`, `v4.2.0`, a commit), and the version in a trailing comment when the ref
    /// is a commit (`@8f4b... # v4.2.0`).
    pub version: Option<String>,
    pub local: bool,
    pub span: Span,
}

impl Uses {
    /// The major version, when the ref (or its comment) names one (`v4`, `v4.1.0` → 4).
    pub fn major(&self) -> Option<u32> {
        let v = self.version.as_deref()?;
        let v = v.strip_prefix('v').unwrap_or(v);
        v.split('.').next()?.parse().ok()
    }
}

#[derive(Clone, Debug)]
pub struct Input {
    /// The input's name, lowercase (inputs are case-insensitive).
    pub name: String,
    pub key_span: Span,
    pub value: Template,
}

#[derive(Clone, Debug)]
pub struct Step {
    /// The file the step is written in (a local composite action's file for its steps).
    pub file: FileId,
    pub span: Span,
    pub id: Option<String>,
    pub uses: Option<Uses>,
    pub with: Vec<Input>,
    pub run: Option<String>,
    pub env: Vec<Env>,
    /// Written in a local composite action (its inputs are unknown here).
    pub in_action: bool,
}

impl Step {
    pub fn input(&self, name: &str) -> Option<&Input> {
        self.with.iter().find(|i| i.name == name)
    }
    /// Whether the step uses `action` (`actions/cache`, lowercase) at any version.
    pub fn uses(&self, action: &str) -> bool {
        self.uses
            .as_ref()
            .is_some_and(|u| !u.local && u.action == action)
    }
}

#[derive(Clone, Debug)]
pub struct Job {
    pub id: String,
    pub file: FileId,
    pub span: Span,
    pub oses: Oses,
    /// The matrix variables `runs-on` is made of (`matrix.os`), lowercase.
    pub os_vars: Vec<String>,
    pub matrix: Matrix,
    pub env: Vec<Env>,
    pub steps: Vec<Step>,
    /// `uses:` of a job that calls a reusable workflow.
    pub calls: Option<(String, Span)>,
    /// The job runs in a container (`container:`): the OS is the image's.
    pub container: bool,
}

#[derive(Clone, Debug)]
pub struct Workflow {
    pub file: FileId,
    pub triggers: Vec<Trigger>,
    pub env: Vec<Env>,
    pub jobs: Vec<Job>,
    /// The workflows (indices) that call this one: their triggers apply.
    pub called_by: Vec<usize>,
    /// The workflow checked (the root, or one it calls); `false` for the repository's other
    /// workflows, loaded to compare with (their findings belong to their own check).
    pub own: bool,
}

impl Workflow {
    pub fn triggered_by(&self, name: &str) -> Option<&Trigger> {
        self.triggers.iter().find(|t| t.name == name)
    }
}

/// The value of `name` in a mapping (GitHub reads `on` as a string; YAML 1.1 as `true`).
pub fn get(doc: &Doc, map: NodeId, name: &str) -> Option<(NodeId, NodeId)> {
    doc.entries(map)
        .iter()
        .find(|e| key_is(doc, e.key, name))
        .map(|e| (e.key, e.value))
}

fn key_is(doc: &Doc, key: NodeId, name: &str) -> bool {
    match doc.key_ident(key) {
        KeyIdent::Str(s) => s == name,
        KeyIdent::Other(_) => doc.scalar_text(key) == Some(name),
    }
}

/// A mapping's entries as (name, key node, value node).
pub fn entries(doc: &Doc, map: NodeId) -> Vec<(String, NodeId, NodeId)> {
    doc.entries(map)
        .iter()
        .filter_map(|e| Some((doc.scalar_text(e.key)?.to_string(), e.key, e.value)))
        .collect()
}

/// A scalar's text as GitHub reads it (any scalar type; `None` for collections).
pub fn text(doc: &Doc, node: NodeId) -> Option<&str> {
    doc.scalar_text(node)
}

/// A scalar value as a [`Template`], its components placed in the file when the scalar is
/// written as a plain or single-line quoted string whose text is the file's text.
pub fn template_of(doc: &Doc, source: &str, node: NodeId) -> Option<Template> {
    let id = doc.deref(node);
    let value = doc.scalar_text(id)?.to_string();
    let span = doc.span(id);
    let written = source
        .get(span.start as usize..span.end as usize)
        .unwrap_or("");
    let style = match doc.node(id).kind {
        crate::yaml::Kind::Scalar { style, .. } => style,
        _ => Style::Plain,
    };
    // Where the value's text starts in the file, when its bytes are the file's bytes.
    let base = match style {
        Style::Plain if written == value => Some(span.start as usize),
        Style::SingleQuoted | Style::DoubleQuoted
            if written.len() >= 2 && written.get(1..written.len() - 1) == Some(value.as_str()) =>
        {
            Some(span.start as usize + 1)
        }
        _ => None,
    };
    let locate = |a: usize, b: usize| match base {
        Some(base) => Span::new((base + a) as u32, (base + b) as u32),
        None => {
            // Find the same text in the value as written (block scalars keep lines as is).
            match value
                .get(a..b)
                .and_then(|piece| written.find(piece).map(|at| (at, piece.len())))
            {
                Some((at, len)) if b > a => {
                    Span::new(span.start + at as u32, span.start + (at + len) as u32)
                }
                _ => span,
            }
        }
    };
    let comps = template(&value, &locate);
    Some(Template {
        text: value,
        span,
        comps,
    })
}

fn env_of(doc: &Doc, source: &str, map: Option<NodeId>) -> Vec<Env> {
    let Some(map) = map else {
        return Vec::new();
    };
    entries(doc, map)
        .into_iter()
        .filter_map(|(name, _, v)| {
            Some(Env {
                name,
                value: template_of(doc, source, v)?,
            })
        })
        .collect()
}

/// The triggers of `on:` (a name, a list of names, or a mapping).
fn triggers(doc: &Doc, root: NodeId) -> Vec<Trigger> {
    let Some((_, on)) = get(doc, root, "on") else {
        return Vec::new();
    };
    let simple = |name: &str, span| Trigger {
        name: name.to_string(),
        span,
        tags_only: false,
        tags: false,
    };
    if let Some(t) = doc.scalar_text(on) {
        return vec![simple(t, doc.span(on))];
    }
    if doc.is_seq(on) {
        return doc
            .items(on)
            .iter()
            .filter_map(|&i| Some(simple(doc.scalar_text(i)?, doc.span(i))))
            .collect();
    }
    entries(doc, on)
        .into_iter()
        .map(|(name, k, v)| {
            let has = |n: &str| doc.is_map(v) && get(doc, v, n).is_some();
            let tags = name == "push" && (has("tags") || has("tags-ignore"));
            Trigger {
                tags_only: tags && has("tags") && !has("branches") && !has("branches-ignore"),
                tags,
                name,
                span: doc.span(k),
            }
        })
        .collect()
}

/// The OS family of a runner label.
fn os_of_label(label: &str, oses: &mut Oses) {
    let l = label.to_ascii_lowercase();
    if l.starts_with("ubuntu") || l.contains("linux") {
        oses.linux = true;
    } else if l.starts_with("macos") || l.contains("mac") {
        oses.macos = true;
    } else if l.starts_with("windows") {
        oses.windows = true;
    } else if l != "self-hosted" && l != "x64" && l != "arm64" && l != "x86" {
        oses.unknown = true;
    }
}

/// `runs-on`, with matrix variables replaced by each of their values.
fn runs_on(doc: &Doc, source: &str, node: NodeId, matrix: &Matrix) -> (Oses, Vec<String>) {
    let mut oses = Oses::default();
    let mut vars = Vec::new();
    let mut labels: Vec<NodeId> = Vec::new();
    if doc.is_seq(node) {
        labels.extend(doc.items(node));
    } else if doc.is_map(node) {
        match get(doc, node, "labels") {
            Some((_, l)) if doc.is_seq(l) => labels.extend(doc.items(l)),
            Some((_, l)) => labels.push(l),
            None => oses.unknown = true,
        }
    } else {
        labels.push(node);
    }
    for l in labels {
        let Some(t) = template_of(doc, source, l) else {
            oses.unknown = true;
            continue;
        };
        if t.is_literal() {
            os_of_label(&t.text, &mut oses);
            continue;
        }
        // `${{ matrix.os }}` alone: each value of the variable.
        match t.comps.as_slice() {
            [c] if c.ctx().is_some_and(|p| p.len() == 2 && p[0] == "matrix") => {
                let name = &c.ctx().map(|p| p[1].clone()).unwrap_or_default();
                vars.push(name.clone());
                match matrix.values(name) {
                    Some(values) if !values.is_empty() => {
                        for v in values {
                            os_of_label(v, &mut oses);
                        }
                    }
                    _ => oses.unknown = true,
                }
            }
            _ => oses.unknown = true,
        }
    }
    (oses, vars)
}

fn matrix_of(doc: &Doc, node: Option<NodeId>) -> Matrix {
    let mut m = Matrix::default();
    let Some(node) = node else {
        return m;
    };
    if !doc.is_map(node) {
        m.dynamic = true;
        return m;
    }
    let add = |m: &mut Matrix, name: &str, value: String| {
        let name = name.to_ascii_lowercase();
        match m.vars.iter_mut().find(|(n, _)| *n == name) {
            Some((_, vs)) => {
                if !vs.contains(&value) {
                    vs.push(value)
                }
            }
            None => m.vars.push((name, vec![value])),
        }
    };
    for (name, _, v) in entries(doc, node) {
        match name.as_str() {
            "exclude" => {}
            "include" => {
                if !doc.is_seq(v) {
                    m.dynamic = true;
                    continue;
                }
                for &item in doc.items(v) {
                    for (k, _, val) in entries(doc, item) {
                        match doc.scalar_text(val) {
                            Some(t) if !t.contains("${{") => add(&mut m, &k, t.to_string()),
                            _ => m.dynamic = true,
                        }
                    }
                }
            }
            _ => {
                if !doc.is_seq(v) {
                    m.dynamic = true;
                    continue;
                }
                for &item in doc.items(v) {
                    match doc.scalar_text(item) {
                        Some(t) if !t.contains("${{") => add(&mut m, &name, t.to_string()),
                        // A list item that is a mapping: a value, but not a scalar one.
                        Some(_) => m.dynamic = true,
                        None => add(&mut m, &name, String::new()),
                    }
                }
            }
        }
    }
    m
}

/// `owner/repo[/path]@ref # comment`.
fn uses_of(doc: &Doc, source: &str, node: NodeId) -> Option<Uses> {
    let raw = doc.scalar_text(node)?.trim();
    let span = doc.span(node);
    if raw.starts_with("./") || raw.starts_with("../") {
        return Some(Uses {
            action: raw.to_string(),
            version: None,
            local: true,
            span,
        });
    }
    if raw.starts_with("docker://") {
        return None;
    }
    let (action, git_ref) = raw.split_once('@')?;
    let mut version = Some(git_ref.to_string());
    // A commit: the version is in a trailing comment, when there is one.
    if git_ref.len() == 40 && git_ref.bytes().all(|b| b.is_ascii_hexdigit()) {
        let after = source.get(span.end as usize..).unwrap_or("");
        let rest = after.split('\n').next().unwrap_or("");
        version = rest
            .split_once('#')
            .and_then(|(_, c)| c.split_whitespace().find(|w| w.starts_with('v')))
            .map(|w| w.trim_start_matches("tag=").to_string());
    }
    Some(Uses {
        action: action.to_ascii_lowercase(),
        version,
        local: false,
        span,
    })
}

/// The steps of a `steps:` list.
pub fn steps_of(doc: &Doc, source: &str, file: FileId, node: NodeId, in_action: bool) -> Vec<Step> {
    doc.items(node)
        .iter()
        .filter(|&&s| doc.is_map(s))
        .map(|&s| {
            let with = match get(doc, s, "with") {
                Some((_, w)) => entries(doc, w)
                    .into_iter()
                    .filter_map(|(name, k, v)| {
                        Some(Input {
                            name: name.to_ascii_lowercase(),
                            key_span: doc.span(k),
                            value: template_of(doc, source, v)?,
                        })
                    })
                    .collect(),
                None => Vec::new(),
            };
            Step {
                file,
                span: doc.span(s),
                id: get(doc, s, "id").and_then(|(_, v)| text(doc, v).map(str::to_string)),
                uses: get(doc, s, "uses").and_then(|(_, v)| uses_of(doc, source, v)),
                with,
                run: get(doc, s, "run").and_then(|(_, v)| text(doc, v).map(str::to_string)),
                env: env_of(doc, source, get(doc, s, "env").map(|e| e.1)),
                in_action,
            }
        })
        .collect()
}

/// Builds the model of one workflow file (jobs' local actions are not expanded here).
pub fn workflow(doc: &Doc, source: &str) -> Option<Workflow> {
    let root = doc.root()?;
    if !doc.is_map(root) {
        return None;
    }
    let file = doc.file;
    let mut jobs = Vec::new();
    if let Some((_, js)) = get(doc, root, "jobs") {
        for (id, k, j) in entries(doc, js) {
            if !doc.is_map(j) {
                continue;
            }
            let matrix = matrix_of(
                doc,
                get(doc, j, "strategy").and_then(|(_, s)| get(doc, s, "matrix").map(|m| m.1)),
            );
            let (oses, os_vars) = match get(doc, j, "runs-on") {
                Some((_, r)) => runs_on(doc, source, r, &matrix),
                None => (
                    Oses {
                        unknown: true,
                        ..Oses::default()
                    },
                    Vec::new(),
                ),
            };
            let steps = match get(doc, j, "steps") {
                Some((_, s)) => steps_of(doc, source, file, s, false),
                None => Vec::new(),
            };
            jobs.push(Job {
                id,
                file,
                span: doc.span(k),
                oses,
                os_vars,
                matrix,
                env: env_of(doc, source, get(doc, j, "env").map(|e| e.1)),
                steps,
                calls: get(doc, j, "uses")
                    .and_then(|(_, v)| Some((text(doc, v)?.trim().to_string(), doc.span(v)))),
                container: get(doc, j, "container").is_some(),
            });
        }
    }
    Some(Workflow {
        file,
        triggers: triggers(doc, root),
        env: env_of(doc, source, get(doc, root, "env").map(|e| e.1)),
        jobs,
        called_by: Vec::new(),
        own: true,
    })
}
