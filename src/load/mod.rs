//! The file set: the root configuration file and the local files it includes, as GitLab's
//! `Config::External::Processor` expands them (see docs/semantics.md, "include").

use crate::diagnostic::{Diagnostic, Label};
use crate::fs::{Fs, Kind};
use crate::rules::invalid_include::Problem;
use crate::rules::unresolved_include::{Unread, Why};
use crate::rules::{
    invalid_include, too_many_includes, unresolved_include, yaml_syntax, yaml_too_large,
};
use crate::source::{FileId, Loc, SourceFile, Span};
use crate::util::glob;
use crate::util::paths::{normalize, to_slash};
use crate::yaml::{self, Doc, Limits, NodeId};
use include::{Include, classify};
use project::{Project, Refusal, absolute, git_root};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

mod include;
pub mod project;

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
}

/// A root configuration with every local file it includes.
#[derive(Debug)]
pub struct FileSet {
    pub project_root: PathBuf,
    pub files: Vec<SourceFile>,
    /// The loaded configuration document of each file (same index as `files`).
    pub docs: Vec<Doc>,
    pub root: Expansion,
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
        &self.files[id.0 as usize]
    }
    pub fn doc(&self, id: FileId) -> &Doc {
        &self.docs[id.0 as usize]
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

/// Loads `root_path` and every local file it includes, through `fs`. Include paths are
/// relative to `project_root`, by default the git top level of the root file's directory.
pub fn load(
    fs: &dyn Fs,
    root_path: &Path,
    project_root: Option<&Path>,
    limits: &Limits,
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
    };
    let root = if size > limits.read_bytes {
        loader.add_unread(abs, rel, size)
    } else {
        loader.add_file(abs, rel, bytes)
    };
    let mut stack = vec![root];
    let includes = loader.expand(root, &mut stack);
    let tool_files = TOOL_FILES
        .iter()
        .filter_map(|name| {
            let (path, _) = loader.project.locate(name).ok()?;
            let bytes = loader.project.read(&path, TOOL_FILE_BYTES).ok()?;
            Some((*name, String::from_utf8_lossy(&bytes).into_owned()))
        })
        .collect();
    Ok(FileSet {
        tool_files,
        project_root: loader.project.root,
        files: loader.files,
        docs: loader.docs,
        root: Expansion {
            file: root,
            site: None,
            includes,
        },
        diagnostics: loader.diagnostics,
        unresolved: loader.unresolved,
    })
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
}

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
        let doc = match utf8_error {
            Some(at) => {
                self.diagnostics.push(yaml_syntax::not_utf8(id, at as u32));
                Doc::empty(id, text.clone())
            }
            None => {
                let parsed = yaml::parse_file(id, text.clone(), &self.limits);
                self.diagnostics.extend(parsed.diagnostics);
                if parsed.failed && parsed.doc.root().is_none() {
                    self.broken.push(id);
                }
                parsed.doc
            }
        };
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
                Include::Local { path, span } => {
                    for (raw, rel) in self.local_targets(file, &path, span) {
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
                        stack.push(target);
                        let includes = self.expand(target, stack);
                        stack.pop();
                        out.push(Expansion {
                            file: target,
                            site: Some((file, span)),
                            includes,
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
        let doc = &self.docs[file.0 as usize];
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
            let including = self.files[from.0 as usize].rel_path.clone();
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
