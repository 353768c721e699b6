//! The file set: the root configuration file and the local files it includes, as GitLab's
//! `Config::External::Processor` expands them (see docs/semantics.md, "include").

use crate::diagnostic::{Diagnostic, Label, Via};
use crate::fs::{Fs, Kind};
use crate::rules::invalid_include::Problem;
use crate::rules::unresolved_include::{Unread, Why};
use crate::rules::{
    interpolation_without_header, invalid_include, invalid_interpolation, too_many_includes,
    unresolved_include, yaml_syntax, yaml_too_large,
};
use crate::source::{FileId, Loc, SourceFile, Span};
use crate::util::glob;
use crate::util::paths::{normalize, to_slash};
use crate::yaml::interpolate::{self, InputValue, Problem as Block};
use crate::yaml::{self, Doc, Kind as NodeKind, Limits, NodeId, Value};
use include::{Include, classify};
use inputs::Spec;
use project::{Project, Refusal, absolute, git_root};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

mod include;
pub mod inputs;
pub mod project;

/// File ids from here on name an interpolated copy of a file ([`Instance`]).
pub const INSTANCE_BASE: u32 = 1 << 28;

/// A file included with inputs: its configuration document after `$[[ inputs.* ]]`
/// interpolation. It has its own [`FileId`] (from [`INSTANCE_BASE`]) so that the same file
/// included with other inputs gives other values; its text, spans and path are the file's.
#[derive(Debug)]
pub struct Instance {
    /// The file it is a copy of.
    pub of: FileId,
    pub doc: Doc,
    /// The values that took an input's value (by the span of the scalar that held the
    /// block), and where that value was written.
    pub uses: HashMap<Span, Vec<InputOrigin>>,
}

/// Where an interpolated value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputOrigin {
    /// The input's name.
    pub input: String,
    /// The value as written: an entry of the include's `inputs:`, or the spec's `default:`.
    pub at: Loc,
    /// Whether it is the spec's default.
    pub default: bool,
}

/// GitLab's default `ci_max_includes`.
pub const MAX_INCLUDES: usize = too_many_includes::LIMIT;

/// One file's place in the include expansion: the files it includes, in order, each with its own
/// expansion. The same file may appear several times (GitLab allows duplicate includes).
#[derive(Debug, Clone)]
pub struct Expansion {
    pub file: FileId,
    /// Where the including file names this file (`None` for the root).
    pub site: Option<(FileId, Span)>,
    pub includes: Vec<Expansion>,
    /// The include has `rules:` that cachelint cannot decide offline: it was followed as if
    /// they matched. The text names what they depend on.
    pub assumed: Option<String>,
}

/// A root configuration with every local file it includes.
#[derive(Debug)]
pub struct FileSet {
    pub project_root: PathBuf,
    pub files: Vec<SourceFile>,
    /// The loaded configuration document of each file (same index as `files`).
    pub docs: Vec<Doc>,
    pub root: Expansion,
    /// The interpolated copies of files with a `spec:` header (see [`Instance`]).
    pub instances: Vec<Instance>,
    pub diagnostics: Vec<Diagnostic>,
    /// Includes whose content is unknown (remote, project, template, component, a path with
    /// variables, an invalid include, a file that does not load). What they would define is
    /// unknown, so names that only they could define are not reported as errors.
    pub unresolved: Vec<Unread>,
    /// Tools' configuration files at the project root that can move a tool's cache
    /// (`.npmrc`, `.yarnrc.yml`, `.bundle/config`, ...), with their text: the cache flow rules
    /// read them to know whether a tool writes into the project.
    pub tool_files: Vec<(&'static str, String)>,
}

impl FileSet {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[self.canonical(id).0 as usize]
    }
    pub fn doc(&self, id: FileId) -> &Doc {
        match id.0.checked_sub(INSTANCE_BASE) {
            Some(k) => &self.instances[k as usize].doc,
            None => &self.docs[id.0 as usize],
        }
    }
    /// The file an id names: itself, or for an interpolated copy the file it copies.
    pub fn canonical(&self, id: FileId) -> FileId {
        match id.0.checked_sub(INSTANCE_BASE) {
            Some(k) => self.instances[k as usize].of,
            None => id,
        }
    }
    /// The inputs the value written at `loc` took its value from (empty when it was written
    /// as it is).
    pub fn input_origins(&self, loc: Loc) -> &[InputOrigin] {
        match loc.file.0.checked_sub(INSTANCE_BASE) {
            Some(k) => self.instances[k as usize]
                .uses
                .get(&loc.span)
                .map_or(&[], Vec::as_slice),
            None => &[],
        }
    }

    /// The inputs a value written at `loc` came through, outermost last: an input given as
    /// `$[[ inputs.x ]]` by a file that was itself included with inputs is followed to where
    /// `x` was given (at most 16 steps).
    pub fn input_chain(&self, loc: Loc) -> Vec<(Via, Loc)> {
        let mut out = Vec::new();
        let mut at = vec![loc];
        for _ in 0..16 {
            let mut next = Vec::new();
            for l in at {
                for o in self.input_origins(l) {
                    out.push((
                        Via::Input {
                            name: o.input.clone(),
                            default: o.default,
                        },
                        o.at,
                    ));
                    next.push(o.at);
                }
            }
            if next.is_empty() {
                break;
            }
            at = next;
        }
        out
    }
    /// When the values of `file` (a file or interpolated copy of the expansion) come through
    /// an include whose `rules:` were assumed to match (see [`Expansion::assumed`]): where
    /// that include is written and what its rules depend on.
    pub fn assumed_include(&self, file: FileId) -> Option<(Loc, &str)> {
        fn walk<'a>(
            e: &'a Expansion,
            file: FileId,
            inherited: Option<(Loc, &'a str)>,
        ) -> Option<(Loc, &'a str)> {
            let here = match (&e.assumed, e.site) {
                (Some(why), Some((f, span))) => Some((Loc { file: f, span }, why.as_str())),
                _ => inherited,
            };
            if e.file == file {
                return here;
            }
            e.includes.iter().find_map(|i| walk(i, file, here))
        }
        walk(&self.root, file, None)
    }

    /// Makes a finding name files, not interpolated copies (which share their text).
    pub fn canonicalize(&self, d: &mut Diagnostic) {
        d.file = self.canonical(d.file);
        for l in &mut d.labels {
            l.file = self.canonical(l.file);
        }
    }
}

/// Why a root file (or the configuration file) could not be used at all.
#[derive(Debug)]
pub struct LoadError {
    pub path: PathBuf,
    pub message: String,
}

/// Configuration files of build tools that can say where a tool keeps its cache.
pub const TOOL_FILES: &[&str] = &[
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
    ".bundle/config",
    ".mvn/maven.config",
    ".mvn/jvm.config",
    "uv.toml",
    "pyproject.toml",
    "poetry.toml",
    "composer.json",
    "gradle.properties",
];

/// The most of a tool's configuration file that is read.
const TOOL_FILE_BYTES: u64 = 256 * 1024;

/// The directory include paths of `root_path` are relative to: `project_root` when given,
/// else the git top level of the root file's directory.
pub fn project_root_of(
    fs: &dyn Fs,
    root_path: &Path,
    project_root: Option<&Path>,
) -> Result<PathBuf, LoadError> {
    let error = |message: String| LoadError {
        path: root_path.to_path_buf(),
        message,
    };
    let abs = absolute(fs, root_path).map_err(|e| error(e.to_string()))?;
    let dir = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
    match project_root {
        Some(p) => absolute(fs, p).map_err(|e| error(e.to_string())),
        None => Ok(git_root(fs, &dir)),
    }
}

/// Loads `root_path` and every local file it includes, through `fs`. Include paths are
/// relative to `project_root`, by default the git top level of the root file's directory.
pub fn load(
    fs: &dyn Fs,
    root_path: &Path,
    project_root: Option<&Path>,
    limits: &Limits,
) -> Result<FileSet, LoadError> {
    load_with(fs, root_path, project_root, limits, &HashMap::new())
}

/// [`load`], with the values `cachelint.toml` fixes for variables the configuration does not
/// define: `include:rules:if` is decided with them.
pub fn load_with(
    fs: &dyn Fs,
    root_path: &Path,
    project_root: Option<&Path>,
    limits: &Limits,
    variables: &HashMap<String, String>,
) -> Result<FileSet, LoadError> {
    let error = |message: String| LoadError {
        path: root_path.to_path_buf(),
        message,
    };
    let abs = absolute(fs, root_path).map_err(|e| error(e.to_string()))?;
    let dir = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
    let project_root = match project_root {
        Some(p) => absolute(fs, p).map_err(|e| error(e.to_string()))?,
        None => git_root(fs, &dir),
    };
    // Asked before opening: opening a FIFO would wait for a writer forever.
    match fs.kind(&abs) {
        Some(Kind::File) => {}
        Some(Kind::Dir) => return Err(error("cannot read it: it is a directory".into())),
        Some(Kind::Other) => return Err(error("cannot read it: it is not a regular file".into())),
        None => return Err(error("cannot read it: No such file or directory".into())),
    }
    let size = fs.size(&abs).unwrap_or(0);
    let bytes = if size > limits.read_bytes {
        Vec::new()
    } else {
        fs.read(&abs)
            .map_err(|e| error(format!("cannot read it: {e}")))?
    };
    let project = Project::new(fs, project_root);
    let rel = project
        .relative(&abs)
        .unwrap_or_else(|| root_path.display().to_string());
    let mut loader = Loader {
        project,
        limits: *limits,
        files: Vec::new(),
        docs: Vec::new(),
        by_path: HashMap::new(),
        diagnostics: Vec::new(),
        expanded: 0,
        limit_reported: false,
        unresolved: Vec::new(),
        broken: Vec::new(),
        empty: HashSet::new(),
        reported: HashMap::new(),
        headers: Vec::new(),
        specs: HashMap::new(),
        instances: Vec::new(),
        instance_keys: HashMap::new(),
        input_diags: HashSet::new(),
        no_header_checked: HashSet::new(),
        interpolation_budget: INTERPOLATION_BUDGET,
        fixed: variables
            .iter()
            .map(|(k, v)| (k.clone(), (v.clone(), false)))
            .collect(),
    };
    let root = if size > limits.read_bytes {
        loader.add_unread(abs, rel, size)
    } else {
        loader.add_file(abs, rel, bytes)
    };
    let root_copy = loader.instantiate(root, None, None);
    let mut stack = vec![root];
    let includes = loader.expand(root_copy, &mut stack);
    let tool_files = TOOL_FILES
        .iter()
        .filter_map(|name| {
            let (path, _) = loader.project.locate(name).ok()?;
            let bytes = loader.project.read(&path, TOOL_FILE_BYTES).ok()?;
            Some((*name, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    let mut set = FileSet {
        tool_files,
        project_root: loader.project.root,
        files: loader.files,
        docs: loader.docs,
        root: Expansion {
            file: root_copy,
            site: None,
            includes,
            assumed: None,
        },
        instances: loader.instances,
        diagnostics: Vec::new(),
        unresolved: loader.unresolved,
    };
    let mut diagnostics = loader.diagnostics;
    for d in &mut diagnostics {
        set.canonicalize(d);
    }
    let mut unresolved = std::mem::take(&mut set.unresolved);
    for u in &mut unresolved {
        u.at.file = set.canonical(u.at.file);
    }
    set.unresolved = unresolved;
    set.diagnostics = diagnostics;
    Ok(set)
}

struct Loader<'f> {
    project: Project<'f>,
    limits: Limits,
    files: Vec<SourceFile>,
    docs: Vec<Doc>,
    by_path: HashMap<String, FileId>,
    diagnostics: Vec<Diagnostic>,
    /// Files expanded so far, duplicates counted again (GitLab's `expandset`).
    expanded: usize,
    limit_reported: bool,
    unresolved: Vec<Unread>,
    /// Files that GitLab cannot load (syntax errors and the like).
    broken: Vec<FileId>,
    /// Files that are empty (an include of one is invalid, every time).
    empty: HashSet<FileId>,
    /// The finding (index in `diagnostics`) already made for an include that brings nothing,
    /// by what it names and why: the same path written again, in the same file or another,
    /// becomes a label of that finding.
    reported: HashMap<Once, usize>,
    /// The `spec:` header of each file read (same index as `files`).
    headers: Vec<Option<Doc>>,
    /// Each header, read once.
    specs: HashMap<FileId, Spec>,
    instances: Vec<Instance>,
    /// The copy made for a file and a set of input values, to share it between includes that
    /// give the same values.
    instance_keys: HashMap<(FileId, String), FileId>,
    /// Input and interpolation findings made so far: a file included twice is checked twice,
    /// reported once.
    input_diags: HashSet<(FileId, Span, String)>,
    /// Files without a header already searched for `$[[ inputs.* ]]`.
    no_header_checked: HashSet<FileId>,
    /// What interpolation may still add, in values and bytes (see [`INTERPOLATION_BUDGET`]).
    interpolation_budget: u64,
    /// The variables `cachelint.toml` fixes, for `include:rules:if`.
    fixed: HashMap<String, (String, bool)>,
}

/// What interpolation may add to one file set, in values plus bytes of text (each copy of a
/// file costs its values): far above any real configuration (the largest of the corpus uses a
/// few thousand), far below what would exhaust memory.
pub const INTERPOLATION_BUDGET: u64 = interpolate::MAX_ADDED;

/// What makes two includes the same unreadable include: the same target (normalised) for the
/// same reason.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Once {
    /// An `invalid-include` problem about the target (`detail`: the read error, if any).
    Invalid {
        problem: std::mem::Discriminant<Problem>,
        target: String,
        detail: String,
    },
    /// An include that cannot be read offline (`unresolved-include`).
    Offline { kind: &'static str, target: String },
}

/// A local path or pattern as a key: no leading `/`, `.` and `..` resolved.
fn path_key(raw: &str) -> String {
    to_slash(&normalize(Path::new(raw.trim().trim_start_matches('/'))))
}

impl Loader<'_> {
    fn add_file(&mut self, path: PathBuf, rel: String, bytes: Vec<u8>) -> FileId {
        let id = FileId(self.files.len() as u32);
        let (text, utf8_error) = match String::from_utf8(bytes) {
            Ok(t) => (t, None),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
            }
        };
        let text: std::sync::Arc<str> = text.into();
        let (doc, header) = match utf8_error {
            Some(at) => {
                self.diagnostics.push(yaml_syntax::not_utf8(id, at as u32));
                (Doc::empty(id, text.clone()), None)
            }
            None => {
                let parsed = yaml::parse_file(id, text.clone(), &self.limits);
                self.diagnostics.extend(parsed.diagnostics);
                if parsed.failed && parsed.doc.root().is_none() {
                    self.broken.push(id);
                }
                (parsed.doc, parsed.header)
            }
        };
        self.headers.push(header);
        self.by_path.insert(rel.clone(), id);
        self.files.push(SourceFile::new(path, rel, text));
        self.docs.push(doc);
        id
    }

    /// A file too large to be read: it is reported, and it defines nothing.
    fn add_unread(&mut self, path: PathBuf, rel: String, size: u64) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.diagnostics
            .push(yaml_too_large::unread(id, size, self.limits.max_bytes));
        let text: std::sync::Arc<str> = "".into();
        self.by_path.insert(rel.clone(), id);
        self.files.push(SourceFile::new(path, rel, text.clone()));
        self.docs.push(Doc::empty(id, text));
        self.headers.push(None);
        self.broken.push(id);
        id
    }

    /// The expansions of the files `file` includes, in order.
    fn expand(&mut self, file: FileId, stack: &mut Vec<FileId>) -> Vec<Expansion> {
        let entries = self.include_entries(file);
        let mut out = Vec::new();
        for entry in entries {
            match entry {
                Include::Invalid { problem, span } => {
                    self.report_invalid(file, span, problem);
                }
                Include::Unresolvable { kind, what, span } => {
                    let once = Once::Offline {
                        kind,
                        target: what.clone(),
                    };
                    self.report_once(once, file, span, |f, s| {
                        unresolved_include::offline(f, s, kind, &what)
                    });
                    self.unresolved.push(Unread {
                        at: Loc { file, span },
                        why: Why::Offline { kind, target: what },
                    });
                }
                Include::Local {
                    paths,
                    span,
                    inputs,
                    rules,
                    component,
                } => {
                    let assumed = match rules {
                        None => None,
                        Some(r) => match self.include_rules(file, r) {
                            Decision::Take => None,
                            Decision::Skip => continue,
                            Decision::Assumed(why) => Some(why),
                        },
                    };
                    let targets = match &component {
                        Some(address) => match self.component_target(&paths) {
                            Some(p) => vec![(p.clone(), p)],
                            None => {
                                let once = Once::Offline {
                                    kind: "component",
                                    target: address.clone(),
                                };
                                let what = address.clone();
                                let candidates = paths.clone();
                                self.report_once(once, file, span, |f, s| {
                                    unresolved_include::own_component_missing(
                                        f,
                                        s,
                                        &what,
                                        &candidates,
                                    )
                                });
                                self.unresolved.push(Unread {
                                    at: Loc { file, span },
                                    why: Why::Offline {
                                        kind: "component",
                                        target: address.clone(),
                                    },
                                });
                                Vec::new()
                            }
                        },
                        None => match paths.first() {
                            Some(path) => self.local_targets(file, path, span),
                            None => Vec::new(),
                        },
                    };
                    for (raw, rel) in targets {
                        // The limit first: a wildcard matching thousands of files opens none
                        // past it.
                        if self.expanded >= MAX_INCLUDES {
                            if !self.limit_reported {
                                self.limit_reported = true;
                                self.diagnostics
                                    .push(too_many_includes::too_many(file, span));
                            }
                            return out;
                        }
                        let Some(target) = self.open_local(file, &raw, &rel, span) else {
                            continue;
                        };
                        if let Some(pos) = stack.iter().position(|&f| f == target) {
                            let chain: Vec<String> = stack[pos..]
                                .iter()
                                .chain(std::iter::once(&target))
                                .map(|f| self.files[f.0 as usize].rel_path.clone())
                                .collect();
                            self.report_invalid(file, span, Problem::Cycle(chain));
                            continue;
                        }
                        self.expanded += 1;
                        let copy = self.instantiate(target, Some(file), Some((span, inputs)));
                        stack.push(target);
                        let includes = self.expand(copy, stack);
                        stack.pop();
                        out.push(Expansion {
                            file: copy,
                            site: Some((file, span)),
                            includes,
                            assumed: assumed.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Reports an include that brings nothing; what it should have brought is unknown, so it
    /// also counts as unresolved (except for a cycle, whose files are read anyway).
    /// The same target written again for the same reason is a label of the first finding.
    fn report_invalid(&mut self, file: FileId, span: Span, problem: Problem) {
        match problem.target() {
            Some(target) => {
                let once = Once::Invalid {
                    problem: std::mem::discriminant(&problem),
                    target: path_key(target),
                    detail: match &problem {
                        Problem::Unreadable { error, .. } => error.clone(),
                        _ => String::new(),
                    },
                };
                self.report_once(once, file, span, |f, s| {
                    invalid_include::invalid(f, s, &problem)
                });
            }
            None => self
                .diagnostics
                .push(invalid_include::invalid(file, span, &problem)),
        }
        if !matches!(problem, Problem::Cycle(_)) {
            self.unresolved.push(Unread {
                at: Loc { file, span },
                why: Why::Invalid(problem),
            });
        }
    }

    /// Reports the finding `make` builds at `file`/`span`, or, when `once` was reported
    /// before, adds this place to that finding as "also included here" (once per place).
    fn report_once(
        &mut self,
        once: Once,
        file: FileId,
        span: Span,
        make: impl FnOnce(FileId, Span) -> Diagnostic,
    ) {
        match self.reported.get(&once) {
            Some(&i) => {
                if let Some(d) = self.diagnostics.get_mut(i) {
                    let known = (d.file == file && d.span == span)
                        || d.labels.iter().any(|l| l.file == file && l.span == span);
                    if !known {
                        d.labels.push(Label {
                            file,
                            span,
                            text: "also included here".into(),
                            via: Vec::new(),
                        });
                    }
                }
            }
            None => {
                self.reported.insert(once, self.diagnostics.len());
                self.diagnostics.push(make(file, span));
            }
        }
    }

    /// Reads the `include:` entries of a file's top level.
    fn include_entries(&self, file: FileId) -> Vec<Include> {
        let doc = self.doc_of(file);
        let Some(root) = doc.root() else {
            return Vec::new();
        };
        let Some(entry) = doc.get(root, "include") else {
            return Vec::new();
        };
        let value = entry.value;
        if doc.is_null(value) {
            return Vec::new();
        }
        let items: Vec<NodeId> = if doc.is_seq(value) {
            doc.items(value).to_vec()
        } else {
            vec![value]
        };
        items.into_iter().map(|item| classify(doc, item)).collect()
    }

    /// The files a local include names (several for a wildcard), as written and relative to
    /// the project root; nothing is opened yet.
    fn local_targets(&mut self, from: FileId, raw: &str, span: Span) -> Vec<(String, String)> {
        let path = raw.trim_start_matches('/');
        if path.contains('*') {
            let including = self.files[self.canonical(from).0 as usize].rel_path.clone();
            let matches: Vec<(String, String)> = glob::matches(path, self.project.files())
                .into_iter()
                .filter(|p| *p != including)
                .map(|m| (m.clone(), m))
                .collect();
            if matches.is_empty() {
                self.report_invalid(from, span, Problem::NoMatch { raw: raw.into() });
            }
            return matches;
        }
        vec![(raw.to_string(), path.to_string())]
    }

    /// Checks and loads one local file given relative to the project root.
    fn open_local(&mut self, from: FileId, raw: &str, rel: &str, span: Span) -> Option<FileId> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let lower = name.to_ascii_lowercase();
        let has_ext = (lower.ends_with(".yml") && lower.len() > 4)
            || (lower.ends_with(".yaml") && lower.len() > 5);
        if !has_ext {
            self.report_invalid(from, span, Problem::NotYaml { raw: raw.into() });
            return None;
        }
        let (joined, rel_norm) = match self.project.locate(rel) {
            Ok(x) => x,
            Err(_) => {
                self.report_invalid(from, span, Problem::Outside { raw: raw.into() });
                return None;
            }
        };
        if let Some(&id) = self.by_path.get(&rel_norm) {
            if self.empty.contains(&id) {
                self.report_invalid(from, span, Problem::Empty { raw: raw.into() });
                return None;
            }
            return Some(id);
        }
        match self.project.read(&joined, self.limits.read_bytes) {
            Ok(bytes) => {
                let blank = bytes.iter().all(|b| b.is_ascii_whitespace());
                let id = self.add_file(joined, rel_norm, bytes);
                // What a file GitLab cannot load would define is unknown too.
                if self.broken.contains(&id) {
                    self.unresolved.push(Unread {
                        at: Loc { file: from, span },
                        why: Why::DoesNotLoad { raw: raw.into() },
                    });
                }
                if blank {
                    self.empty.insert(id);
                    self.report_invalid(from, span, Problem::Empty { raw: raw.into() });
                    return None;
                }
                Some(id)
            }
            Err(refusal) => {
                let raw = raw.to_string();
                let problem = match refusal {
                    Refusal::Outside => Problem::Outside { raw },
                    Refusal::Missing => Problem::Missing { raw },
                    Refusal::LinkOutside => Problem::LinkOutside { raw },
                    Refusal::NotAFile => Problem::NotAFile { raw },
                    Refusal::Unreadable(error) => Problem::Unreadable { raw, error },
                    Refusal::TooLarge(size) => {
                        // Reported on the file itself, which GitLab refuses unread too.
                        let id = self.add_unread(joined, rel_norm, size);
                        self.unresolved.push(Unread {
                            at: Loc { file: from, span },
                            why: Why::DoesNotLoad { raw },
                        });
                        return Some(id);
                    }
                };
                self.report_invalid(from, span, problem);
                None
            }
        }
    }
}

impl Loader<'_> {
    fn canonical(&self, id: FileId) -> FileId {
        match id.0.checked_sub(INSTANCE_BASE) {
            Some(k) => self.instances[k as usize].of,
            None => id,
        }
    }

    fn doc_of(&self, id: FileId) -> &Doc {
        match id.0.checked_sub(INSTANCE_BASE) {
            Some(k) => &self.instances[k as usize].doc,
            None => &self.docs[id.0 as usize],
        }
    }

    /// The file of a component of this project: the first candidate that exists.
    fn component_target(&self, candidates: &[String]) -> Option<String> {
        let files = self.project.files();
        candidates
            .iter()
            .find(|c| files.iter().any(|f| f == *c))
            .cloned()
    }

    /// Adds input and interpolation findings, each once.
    fn report_inputs(&mut self, diags: Vec<Diagnostic>) {
        for mut d in diags {
            d.file = self.canonical(d.file);
            for l in &mut d.labels {
                l.file = self.canonical(l.file);
            }
            if self.input_diags.insert((d.file, d.span, d.message.clone())) {
                self.diagnostics.push(d);
            }
        }
    }

    /// The document `target` contributes when included from `from` (`None`: the root file)
    /// at `site` with the `inputs:` value there: the file itself, or an interpolated copy of
    /// it when it has a `spec:` header and `$[[ ... ]]` blocks (`Yaml::Loader#load`: the
    /// header is split off, the inputs checked against it, the content interpolated, before
    /// the file's own includes are read).
    fn instantiate(
        &mut self,
        target: FileId,
        from: Option<FileId>,
        site: Option<(Span, Option<NodeId>)>,
    ) -> FileId {
        let target_name = self.files[target.0 as usize].rel_path.clone();
        let inputs_node = site.and_then(|(_, n)| n);
        let site_loc = match (from, site) {
            (Some(file), Some((span, _))) => Some(Loc { file, span }),
            _ => None,
        };
        let mut diags = Vec::new();
        if self.headers[target.0 as usize].is_none() {
            if let (Some(from), Some(node)) = (from, inputs_node) {
                let doc = self.doc_of(from);
                // `args.any? && !config.has_header?`: `inputs: {}` is no argument.
                let empty = doc.is_map(node) && doc.entries(node).is_empty();
                if !doc.is_null(node) && !empty {
                    diags.push(crate::rules::invalid_input::no_header(
                        from,
                        doc.span(node),
                        &target_name,
                    ));
                }
            }
            if self.no_header_checked.insert(target) {
                let doc = &self.docs[target.0 as usize];
                let found: Vec<(Span, String)> = scalar_blocks(doc)
                    .into_iter()
                    .filter(|(_, b)| b.contains("inputs."))
                    .collect();
                if let Some((span, block)) = found.first() {
                    diags.push(interpolation_without_header::no_header(
                        target,
                        *span,
                        block,
                        found.len() - 1,
                    ));
                }
            }
            self.report_inputs(diags);
            return target;
        }
        if !self.specs.contains_key(&target) {
            let spec = match &self.headers[target.0 as usize] {
                Some(h) => inputs::read_spec(h, target, &mut diags),
                None => Spec::default(),
            };
            self.specs.insert(target, spec);
        }
        let spec = self.specs.get(&target).cloned().unwrap_or_default();
        let args = match (from, inputs_node) {
            (Some(file), Some(node)) => Some(inputs::Args {
                doc: self.doc_of(file),
                file,
                node,
            }),
            _ => None,
        };
        let values = inputs::values(&spec, args, site_loc, &target_name, &mut diags);
        let doc = &self.docs[target.0 as usize];
        if scalar_blocks(doc).is_empty() {
            self.report_inputs(diags);
            return target;
        }
        let mut sorted: Vec<(&String, &InputValue)> = values.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let key = format!(
            "{:?}",
            sorted
                .iter()
                .map(|(k, v)| (k, &v.value, v.unknown))
                .collect::<Vec<_>>()
        );
        if let Some(&copy) = self.instance_keys.get(&(target, key.clone())) {
            self.report_inputs(diags);
            return copy;
        }
        let cost = doc.node_count() as u64;
        let declared = spec.names();
        if cost > self.interpolation_budget {
            let span = doc.root().map(|r| doc.span(r)).unwrap_or_default();
            diags.push(invalid_interpolation::too_large(
                target,
                span,
                "$[[ ... ]]",
                INTERPOLATION_BUDGET,
            ));
            self.report_inputs(diags);
            return target;
        }
        self.interpolation_budget -= cost;
        let id = FileId(INSTANCE_BASE + self.instances.len() as u32);
        let done =
            interpolate::interpolate(doc, id, &values, spec.open, &mut self.interpolation_budget);
        for e in &done.errors {
            if spec.open && matches!(e.problem, Block::UnknownKey(_)) {
                // Possibly an input of a file of `spec:include`: left as written.
                continue;
            }
            if let Block::Budget(limit) = e.problem {
                diags.push(invalid_interpolation::too_large(
                    target, e.span, &e.block, limit,
                ));
                continue;
            }
            let (input, function) = match &e.problem {
                Block::UnknownKey(k) => (Some(k.as_str()), None),
                Block::UnknownFunction(f) => (None, Some(f.as_str())),
                _ => (None, None),
            };
            diags.push(invalid_interpolation::invalid(
                target,
                e.span,
                if e.block.is_empty() {
                    "$[[ ... ]]"
                } else {
                    &e.block
                },
                &e.problem.gitlab_message(),
                input,
                function,
                &declared,
            ));
        }
        let mut uses: HashMap<Span, Vec<InputOrigin>> = HashMap::new();
        for u in done.uses {
            if let Some(v) = values.get(&u.input) {
                uses.entry(doc.span(u.node)).or_default().push(InputOrigin {
                    input: u.input,
                    at: v.at,
                    default: v.default,
                });
            }
        }
        self.instances.push(Instance {
            of: target,
            doc: done.doc,
            uses,
        });
        self.instance_keys.insert((target, key), id);
        self.report_inputs(diags);
        id
    }
}

/// The `$[[ ... ]]` blocks of a document's string scalars (keys included), with the scalar's
/// span.
fn scalar_blocks(doc: &Doc) -> Vec<(Span, String)> {
    let mut out = Vec::new();
    for i in 0..doc.node_count() as u32 {
        let id = NodeId(i);
        let node = doc.node(id);
        let NodeKind::Scalar { text, value, .. } = &node.kind else {
            continue;
        };
        if *doc.value(*value) != Value::Str {
            continue;
        }
        let s = doc.str(*text);
        for (range, _) in interpolate::blocks(s) {
            let span = interpolate::block_span(doc, node.span, s, range.clone());
            out.push((span, s[range].to_string()));
        }
    }
    out
}

/// What an include's `rules:` decide for every kind of pipeline.
enum Decision {
    Take,
    Skip,
    /// Taken, though it depends on what the text says.
    Assumed(String),
}

impl Loader<'_> {
    /// Evaluates an include's `rules:` (`External::Rules`: the first rule whose clauses all
    /// match decides with its `when:`, `never` excluding the file; no match excludes it).
    /// `if:` is evaluated in each kind of pipeline with the predefined variables cachelint
    /// knows: GitLab evaluates it with the project's, group's and pipeline's variables, never
    /// with those of the YAML, so any other variable is unknown. `exists:` is matched against
    /// the project's files; `changes:` depends on the commit.
    fn include_rules(&self, file: FileId, rules: NodeId) -> Decision {
        use crate::model::conditions::{Kind as Pipeline, Tri, evaluate};
        let doc = self.doc_of(file);
        if !doc.is_seq(rules) {
            return Decision::Assumed("`rules:` that are not a list".into());
        }
        let files = self.project.files();
        let mut predefined = false;
        let mut reasons: Vec<String> = Vec::new();
        let mut outcomes = Vec::new();
        for kind in Pipeline::ALL {
            // `Some(true)`: included, `Some(false)`: not, `None`: cannot say.
            let mut outcome = Some(false);
            for &rule in doc.items(rules) {
                let mut m = Tri::True;
                if let Some(e) = doc.get(rule, "if") {
                    let t = match doc.as_str(e.value) {
                        Some(expr) => {
                            predefined |= ["$CI_", "${CI_", "$GITLAB_", "${GITLAB_"]
                                .iter()
                                .any(|p| expr.contains(p));
                            evaluate(expr, kind, &self.fixed)
                        }
                        None => Tri::Unknown,
                    };
                    if t == Tri::Unknown {
                        let text = doc.scalar_text(e.value).unwrap_or("?");
                        let r = format!("`if: {text}`");
                        if !reasons.contains(&r) {
                            reasons.push(r);
                        }
                    }
                    m = and(m, t);
                }
                if let Some(e) = doc.get(rule, "exists") {
                    let patterns: Vec<&str> = if doc.is_seq(e.value) {
                        doc.items(e.value)
                            .iter()
                            .filter_map(|&i| doc.as_str(i))
                            .collect()
                    } else {
                        doc.as_str(e.value).into_iter().collect()
                    };
                    let t = if doc.is_map(e.value) || patterns.iter().any(|p| p.contains('$')) {
                        let r = "`exists:` with variables or another project".to_string();
                        if !reasons.contains(&r) {
                            reasons.push(r);
                        }
                        Tri::Unknown
                    } else {
                        let found = patterns.iter().any(|p| {
                            glob::doublestar(p.trim_start_matches('/'), true)
                                .is_some_and(|re| files.iter().any(|f| re.is_match(f)))
                        });
                        if found { Tri::True } else { Tri::False }
                    };
                    m = and(m, t);
                }
                if doc.get(rule, "changes").is_some() {
                    let r = "`changes:`".to_string();
                    if !reasons.contains(&r) {
                        reasons.push(r);
                    }
                    m = and(m, Tri::Unknown);
                }
                let include = doc
                    .get(rule, "when")
                    .and_then(|e| doc.as_str(e.value))
                    .is_none_or(|w| w != "never");
                match m {
                    Tri::True => {
                        outcome = match outcome {
                            Some(false) => Some(include),
                            _ => None,
                        };
                        break;
                    }
                    Tri::Unknown => {
                        // This rule or a later one decides: unknown unless both would agree.
                        outcome = None;
                    }
                    Tri::False => {}
                }
            }
            outcomes.push(outcome);
        }
        if outcomes.iter().all(|o| *o == Some(true)) {
            Decision::Take
        } else if outcomes.iter().all(|o| *o == Some(false)) {
            if !predefined {
                return Decision::Skip;
            }
            // False in the pipelines cachelint models, but a web, API or trigger pipeline
            // has other predefined values.
            Decision::Assumed(format!(
                "{} (false in push, merge request, tag and scheduled pipelines)",
                doc.items(rules)
                    .iter()
                    .filter_map(|&r| doc.get(r, "if"))
                    .filter_map(|e| doc.scalar_text(e.value))
                    .map(|t| format!("`if: {t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        } else if reasons.is_empty() {
            let ifs: Vec<String> = doc
                .items(rules)
                .iter()
                .filter_map(|&r| doc.get(r, "if"))
                .filter_map(|e| doc.scalar_text(e.value))
                .map(|t| format!("`if: {t}`"))
                .collect();
            Decision::Assumed(if ifs.is_empty() {
                "the kind of pipeline".into()
            } else {
                format!("{}, true in some kinds of pipeline only", ifs.join(", "))
            })
        } else {
            Decision::Assumed(reasons.join(", "))
        }
    }
}

fn and(
    a: crate::model::conditions::Tri,
    b: crate::model::conditions::Tri,
) -> crate::model::conditions::Tri {
    use crate::model::conditions::Tri;
    match (a, b) {
        (Tri::False, _) | (_, Tri::False) => Tri::False,
        (Tri::True, Tri::True) => Tri::True,
        _ => Tri::Unknown,
    }
}
