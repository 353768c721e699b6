//! The worker: owns the analyses of every root configuration, lints what an edit affects,
//! publishes diagnostics per file, and answers the requests that need an analysis.
//!
//! Roots: the `.gitlab-ci.yml` at the top of each workspace folder, and the one at the git top
//! level of each file opened (the project it belongs to). Each analysis records the files its
//! root loads, so an edit re-lints exactly the roots that include the edited file. A file no
//! root includes is linted as a root only when it is named like one (`.gitlab-ci.yml`, or a
//! GitHub Actions workflow under `.github/workflows/`); otherwise it gets no diagnostics.
//! The workflows of each workspace folder are roots too.

use super::convert::{self, Encoding, path_to_uri, uri_to_path};
use super::navigate;
use super::{Docs, Job};
use crate::fs::{Disk, Fs, Kind, Memory};
use crate::{Options, Outcome};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use lsp_server::{Message, Notification, Request, Response};
use lsp_types as lsp;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The root configuration file names linted on their own.
const ROOT_NAMES: &[&str] = &[".gitlab-ci.yml", ".gitlab-ci.yaml"];

pub(crate) struct State {
    sender: Sender<Message>,
    encoding: Encoding,
    pull: bool,
    docs: Docs,
    /// Every root configuration known, with its latest analysis (none when it cannot be read).
    roots: BTreeMap<PathBuf, Option<Outcome>>,
    /// The diagnostics of every file as of the last lint (what a pull returns).
    current: BTreeMap<PathBuf, Vec<lsp::Diagnostic>>,
    /// What was last pushed per file (to push only changes, and to clear).
    pushed: BTreeMap<PathBuf, Vec<lsp::Diagnostic>>,
    /// The client asks for `workspace/diagnostic/refresh`: it re-pulls open documents when
    /// told their diagnostics changed.
    refresh: bool,
    /// The id of the next request the server sends.
    next_request: i32,
    /// Outcomes a re-lint replaced, dropped after publishing: freeing a large analysis takes
    /// a noticeable share of a re-lint, and the editor need not wait for it.
    replaced: Vec<Outcome>,
}

pub(crate) fn run(
    rx: Receiver<Job>,
    sender: Sender<Message>,
    encoding: Encoding,
    (pull, refresh): (bool, bool),
    debounce: Duration,
) {
    let mut s = State {
        sender,
        encoding,
        pull,
        docs: Default::default(),
        roots: BTreeMap::new(),
        current: BTreeMap::new(),
        pushed: BTreeMap::new(),
        refresh,
        next_request: 0,
        replaced: Vec::new(),
    };
    let mut pending: Vec<Job> = Vec::new();
    loop {
        let job = match pending.pop() {
            Some(j) => j,
            None => match rx.recv() {
                Ok(j) => j,
                Err(_) => return,
            },
        };
        match job {
            Job::Stop => return,
            Job::Folders(folders) => {
                let fs = s.fs();
                let mut added = Vec::new();
                for f in folders {
                    let workflows = crate::gha::discover(&fs, &f);
                    for root in ROOT_NAMES.iter().map(|n| f.join(n)).chain(workflows) {
                        if fs.kind(&root) == Some(Kind::File) && !s.roots.contains_key(&root) {
                            s.roots.insert(root.clone(), None);
                            added.push(root);
                        }
                    }
                }
                drop(fs);
                s.lint_roots(added);
                s.publish();
                s.replaced.clear();
            }
            Job::Request(req) => s.request(req),
            Job::Lint { docs, changed } => {
                // Debounce: wait for a pause in the edits, taking the latest documents and
                // every path changed on the way; other jobs wait until after the lint.
                let mut docs = docs;
                let mut changed: BTreeSet<PathBuf> = changed.into_iter().collect();
                let mut later: Vec<Job> = Vec::new();
                let started = Instant::now();
                let mut stop = false;
                while !debounce.is_zero() && started.elapsed() < debounce * 10 {
                    match rx.recv_timeout(debounce) {
                        Ok(Job::Lint {
                            docs: d,
                            changed: c,
                        }) => {
                            docs = d;
                            changed.extend(c);
                        }
                        Ok(Job::Stop) => {
                            stop = true;
                            break;
                        }
                        Ok(other) => later.push(other),
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => {
                            stop = true;
                            break;
                        }
                    }
                }
                s.docs = docs;
                s.lint_changed(&changed);
                s.publish();
                s.replaced.clear();
                if stop {
                    return;
                }
                // Jobs that arrived meanwhile, in their order (`pending` is a stack).
                later.reverse();
                pending.extend(later);
            }
        }
    }
}

impl State {
    /// The open documents over the disk.
    fn fs(&self) -> Memory<'static> {
        static DISK: Disk = Disk;
        let mut fs = Memory::over(&DISK);
        for (path, (text, _)) in self.docs.iter() {
            fs.insert(path, text.as_bytes());
        }
        fs
    }

    /// The roots that load `path`.
    fn roots_of(&self, path: &Path) -> Vec<PathBuf> {
        self.roots
            .iter()
            .filter(|(_, o)| {
                o.as_ref().is_some_and(|o| {
                    o.analyses
                        .iter()
                        .any(|a| a.set.files.iter().any(|f| f.path == path))
                })
            })
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Lints the roots affected by changes to `changed`.
    fn lint_changed(&mut self, changed: &BTreeSet<PathBuf>) {
        let fs = self.fs();
        let mut todo: BTreeSet<PathBuf> = BTreeSet::new();
        for p in changed {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name == crate::config::FILE_NAME {
                // The configuration of a project: every root of that project.
                let dir = p.parent().unwrap_or(Path::new("/"));
                todo.extend(self.roots.keys().filter(|r| r.starts_with(dir)).cloned());
                continue;
            }
            let including = self.roots_of(p);
            if ROOT_NAMES.contains(&name) || crate::gha::is_workflow_path(p) {
                self.roots.entry(p.clone()).or_insert(None);
                todo.insert(p.clone());
            } else if including.is_empty() {
                // The project it belongs to may include it: its root, linted, will tell.
                let dir = p.parent().unwrap_or(Path::new("/"));
                let top = crate::load::project::git_root(&fs, dir);
                for n in ROOT_NAMES {
                    let root = top.join(n);
                    if fs.kind(&root) == Some(Kind::File) {
                        self.roots.entry(root.clone()).or_insert(None);
                        todo.insert(root);
                    }
                }
            }
            todo.extend(including);
        }
        drop(fs);
        self.lint_roots(todo);
    }

    fn lint_roots(&mut self, roots: impl IntoIterator<Item = PathBuf>) {
        let fs = self.fs();
        for root in roots {
            if fs.kind(&root) != Some(Kind::File) {
                self.roots.remove(&root);
                continue;
            }
            let outcome = crate::check(
                &fs,
                std::slice::from_ref(&root),
                &Options {
                    keep_effective: true,
                    ..Options::default()
                },
            );
            if let Some(e) = outcome.errors.first() {
                self.log(&format!("{}: {}", e.path.display(), e.message));
            }
            if let Some(Some(old)) = self.roots.insert(root, Some(outcome)) {
                self.replaced.push(old);
            }
        }
    }

    /// Diagnostics per file, over every root (a file several roots include gets each finding
    /// once).
    fn diagnostics(&self) -> BTreeMap<PathBuf, Vec<lsp::Diagnostic>> {
        let mut out: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> = BTreeMap::new();
        for outcome in self.roots.values().flatten() {
            for (i, d) in &outcome.diagnostics {
                let set = &outcome.analyses[*i].set;
                let path = set.file(d.file).path.clone();
                let diag = convert::diagnostic(set, d, self.encoding);
                let list = out.entry(path).or_default();
                if !list.contains(&diag) {
                    list.push(diag);
                }
            }
        }
        out
    }

    /// Publishes what changed. A client that only takes pushed diagnostics gets every file
    /// whose diagnostics changed (an empty list for one that has none left). A client that
    /// pulls gets the open documents by pull only (pushing them too would show each finding
    /// twice) and, when theirs changed, a `workspace/diagnostic/refresh` if it supports one;
    /// files it has not opened (an included file the edit affects) are still pushed.
    fn publish(&mut self) {
        let now = self.diagnostics();
        let open_changed = self.pull && self.docs.keys().any(|p| self.current.get(p) != now.get(p));
        let paths: BTreeSet<PathBuf> = self.pushed.keys().chain(now.keys()).cloned().collect();
        for path in paths {
            let want = if self.pull && self.docs.contains_key(&path) {
                None
            } else {
                now.get(&path)
            };
            let had = self.pushed.get(&path);
            if had.is_none_or(|v| v.is_empty()) && want.is_none_or(|v| v.is_empty()) {
                self.pushed.remove(&path);
                continue;
            }
            if had == want {
                continue;
            }
            let diags = want.cloned().unwrap_or_default();
            self.send_diagnostics(&path, diags.clone());
            self.pushed.insert(path, diags);
        }
        self.current = now;
        if open_changed && self.refresh {
            self.next_request += 1;
            let req = lsp_server::Request::new(
                lsp_server::RequestId::from(format!("cachelint-refresh-{}", self.next_request)),
                "workspace/diagnostic/refresh".into(),
                serde_json::Value::Null,
            );
            let _ = self.sender.send(req.into());
        }
    }

    fn send_diagnostics(&self, path: &Path, diagnostics: Vec<lsp::Diagnostic>) {
        let Some(uri) = path_to_uri(path) else { return };
        let version = self.docs.get(path).map(|(_, v)| *v);
        let params = lsp::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        let _ = self
            .sender
            .send(Notification::new("textDocument/publishDiagnostics".into(), params).into());
    }

    fn log(&self, message: &str) {
        let params = lsp::LogMessageParams {
            typ: lsp::MessageType::WARNING,
            message: format!("cachelint: {message}"),
        };
        let _ = self
            .sender
            .send(Notification::new("window/logMessage".into(), params).into());
    }

    fn respond(&self, id: lsp_server::RequestId, result: impl serde::Serialize) {
        let _ = self.sender.send(Response::new_ok(id, result).into());
    }

    /// The analysis that loads `path` (the first root that does), with the file's id in it.
    fn analysis_of(&self, path: &Path) -> Option<(&crate::Analysis, crate::source::FileId)> {
        self.roots.values().flatten().find_map(|o| {
            o.analyses.iter().find_map(|a| {
                a.set
                    .files
                    .iter()
                    .position(|f| f.path == path)
                    .map(|i| (a, crate::source::FileId(i as u32)))
            })
        })
    }

    fn request(&mut self, req: Request) {
        use lsp::request::Request as _;
        let id = req.id.clone();
        match req.method.as_str() {
            lsp::request::HoverRequest::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::HoverParams>(req.params) else {
                    return self.respond(id, serde_json::Value::Null);
                };
                let pos = p.text_document_position_params;
                let hover = uri_to_path(&pos.text_document.uri)
                    .and_then(|path| self.analysis_of(&path))
                    .and_then(|(a, file)| navigate::hover(a, file, pos.position, self.encoding));
                self.respond(id, hover)
            }
            lsp::request::GotoDefinition::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::GotoDefinitionParams>(req.params) else {
                    return self.respond(id, serde_json::Value::Null);
                };
                let pos = p.text_document_position_params;
                let found = uri_to_path(&pos.text_document.uri)
                    .and_then(|path| self.analysis_of(&path))
                    .map(|(a, file)| navigate::definition(a, file, pos.position, self.encoding))
                    .unwrap_or_default();
                if found.is_empty() {
                    self.respond(id, serde_json::Value::Null)
                } else {
                    self.respond(id, lsp::GotoDefinitionResponse::Array(found))
                }
            }
            lsp::request::DocumentSymbolRequest::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::DocumentSymbolParams>(req.params) else {
                    return self.respond(id, serde_json::Value::Null);
                };
                let symbols = uri_to_path(&p.text_document.uri)
                    .and_then(|path| self.analysis_of(&path))
                    .map(|(a, file)| navigate::symbols(a, file, self.encoding))
                    .unwrap_or_default();
                self.respond(id, lsp::DocumentSymbolResponse::Nested(symbols))
            }
            lsp::request::CodeActionRequest::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp::CodeActionParams>(req.params) else {
                    return self.respond(id, serde_json::Value::Null);
                };
                let actions = uri_to_path(&p.text_document.uri)
                    .and_then(|path| self.analysis_of(&path))
                    .map(|(a, file)| navigate::code_actions(a, file, &p))
                    .unwrap_or_default();
                self.respond(id, actions)
            }
            lsp::request::DocumentDiagnosticRequest::METHOD if self.pull => {
                let Ok(p) = serde_json::from_value::<lsp::DocumentDiagnosticParams>(req.params)
                else {
                    return self.respond(id, serde_json::Value::Null);
                };
                let items = uri_to_path(&p.text_document.uri)
                    .and_then(|path| self.current.get(&path).cloned())
                    .unwrap_or_default();
                let report = lsp::DocumentDiagnosticReportResult::Report(
                    lsp::DocumentDiagnosticReport::Full(lsp::RelatedFullDocumentDiagnosticReport {
                        related_documents: None,
                        full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport {
                            result_id: None,
                            items,
                        },
                    }),
                );
                self.respond(id, report)
            }
            _ => {
                let _ = self.sender.send(
                    Response::new_err(
                        id,
                        lsp_server::ErrorCode::MethodNotFound as i32,
                        format!("cachelint does not handle {}", req.method),
                    )
                    .into(),
                );
            }
        }
    }
}
