//! `cachelint server`: the language server. It speaks LSP over stdio (or any
//! [`lsp_server::Connection`]) and runs the same pipeline as `cachelint check`, on the
//! editor's unsaved buffers (a [`crate::fs::Memory`] over the disk), across includes.
//!
//! Two threads: this one reads the client's messages and keeps the open documents; the
//! [`worker`] owns the analyses, lints (after a short debounce, only the latest state of each
//! burst of edits: superseded work is dropped), publishes diagnostics per file and answers
//! requests that need an analysis (hover, definition, code actions, symbols, pulled
//! diagnostics), in the order they came, so an answer always reflects the edits before it.
//! Synchronous, with `lsp-server` + `lsp-types`, as rust-analyzer and ruff do.

pub mod convert;
mod navigate;
mod worker;

use convert::{Encoding, uri_to_path};
use crossbeam_channel::Sender;
use lsp_server::{Connection, Message, Notification, Request};
use lsp_types as lsp;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How the server behaves (tests lint at once; editors wait for a pause in typing).
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// How long to wait after an edit for more edits before linting.
    pub debounce: Duration,
}

impl Default for ServerOptions {
    fn default() -> ServerOptions {
        ServerOptions {
            debounce: Duration::from_millis(75),
        }
    }
}

/// The open documents: path → (text, version).
pub(crate) type Docs = Arc<BTreeMap<PathBuf, (Arc<str>, i32)>>;

/// What the message loop asks of the worker.
pub(crate) enum Job {
    /// The documents changed (these paths): lint what they affect.
    Lint {
        docs: Docs,
        changed: Vec<PathBuf>,
    },
    /// The workspace folders (at start, and when they change): find their roots and lint them.
    Folders(Vec<PathBuf>),
    /// A request to answer from the analyses.
    Request(Request),
    Stop,
}

/// Runs the server on `connection` until the client shuts it down.
pub fn run(connection: Connection, options: ServerOptions) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let init: lsp::InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("invalid initialize params: {e}"))?;
    let caps = &init.capabilities;
    let encoding = if caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref())
        .is_some_and(|e| e.contains(&lsp::PositionEncodingKind::UTF8))
    {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    };
    let pull = caps
        .text_document
        .as_ref()
        .and_then(|t| t.diagnostic.as_ref())
        .is_some();
    let refresh = caps
        .workspace
        .as_ref()
        .and_then(|w| w.diagnostic.as_ref())
        .and_then(|d| d.refresh_support)
        .unwrap_or(false);
    let watch = caps
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|d| d.dynamic_registration)
        .unwrap_or(false);
    let capabilities = lsp::ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => lsp::PositionEncodingKind::UTF8,
            Encoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        diagnostic_provider: pull.then(|| {
            lsp::DiagnosticServerCapabilities::Options(lsp::DiagnosticOptions {
                identifier: Some("cachelint".into()),
                inter_file_dependencies: true,
                workspace_diagnostics: false,
                ..Default::default()
            })
        }),
        workspace: Some(lsp::WorkspaceServerCapabilities {
            workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(lsp::OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..Default::default()
    };
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": { "name": "cachelint", "version": env!("CARGO_PKG_VERSION") },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| e.to_string())?;
    if watch {
        register_watchers(&connection.sender);
    }
    let folders = folders_of(&init);

    let (jobs, job_rx) = crossbeam_channel::unbounded::<Job>();
    let sender = connection.sender.clone();
    let debounce = options.debounce;
    // A generous stack: deep YAML is bounded, but the worker should never be the weak spot.
    let worker = std::thread::Builder::new()
        .name("cachelint-lint".into())
        .stack_size(64 * 1024 * 1024)
        .spawn(move || worker::run(job_rx, sender, encoding, (pull, refresh), debounce))
        .map_err(|e| e.to_string())?;
    let _ = jobs.send(Job::Folders(folders));

    let mut docs: BTreeMap<PathBuf, (Arc<str>, i32)> = BTreeMap::new();
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection
                    .handle_shutdown(&req)
                    .map_err(|e| e.to_string())?
                {
                    break;
                }
                let _ = jobs.send(Job::Request(req));
            }
            Message::Response(_) => {}
            Message::Notification(n) => {
                if let Some(job) = notification(&mut docs, n) {
                    let _ = jobs.send(job);
                }
            }
        }
    }
    let _ = jobs.send(Job::Stop);
    let _ = worker.join();
    Ok(())
}

/// The workspace folders the client gave (or its root), as paths.
fn folders_of(init: &lsp::InitializeParams) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = init
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| uri_to_path(&f.uri))
        .collect();
    #[allow(deprecated)]
    if out.is_empty()
        && let Some(root) = init.root_uri.as_ref().and_then(uri_to_path)
    {
        out.push(root);
    }
    out
}

/// Asks the client to tell us when CI files or `cachelint.toml` change on disk.
fn register_watchers(sender: &Sender<Message>) {
    let watchers: Vec<lsp::FileSystemWatcher> = ["**/cachelint.toml", "**/*.yml", "**/*.yaml"]
        .iter()
        .map(|g| lsp::FileSystemWatcher {
            glob_pattern: lsp::GlobPattern::String(g.to_string()),
            kind: None,
        })
        .collect();
    let params = lsp::RegistrationParams {
        registrations: vec![lsp::Registration {
            id: "cachelint-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(lsp::DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        }],
    };
    let req = Request::new(
        lsp_server::RequestId::from("cachelint-watch".to_string()),
        "client/registerCapability".into(),
        params,
    );
    let _ = sender.send(req.into());
}

/// Applies a notification to the open documents; the job it calls for, if any.
fn notification(docs: &mut BTreeMap<PathBuf, (Arc<str>, i32)>, n: Notification) -> Option<Job> {
    use lsp::notification::Notification as _;
    let snapshot = |docs: &BTreeMap<PathBuf, (Arc<str>, i32)>| Arc::new(docs.clone());
    match n.method.as_str() {
        lsp::notification::DidOpenTextDocument::METHOD => {
            let p: lsp::DidOpenTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let path = uri_to_path(&p.text_document.uri)?;
            docs.insert(
                path.clone(),
                (p.text_document.text.into(), p.text_document.version),
            );
            Some(Job::Lint {
                docs: snapshot(docs),
                changed: vec![path],
            })
        }
        lsp::notification::DidChangeTextDocument::METHOD => {
            let p: lsp::DidChangeTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let path = uri_to_path(&p.text_document.uri)?;
            // Full synchronization: the last change holds the whole text.
            let text = p.content_changes.into_iter().last()?.text;
            docs.insert(path.clone(), (text.into(), p.text_document.version));
            Some(Job::Lint {
                docs: snapshot(docs),
                changed: vec![path],
            })
        }
        lsp::notification::DidSaveTextDocument::METHOD => {
            let p: lsp::DidSaveTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let path = uri_to_path(&p.text_document.uri)?;
            if let Some(text) = p.text
                && let Some(entry) = docs.get_mut(&path)
            {
                entry.0 = text.into();
            }
            Some(Job::Lint {
                docs: snapshot(docs),
                changed: vec![path],
            })
        }
        lsp::notification::DidCloseTextDocument::METHOD => {
            let p: lsp::DidCloseTextDocumentParams = serde_json::from_value(n.params).ok()?;
            let path = uri_to_path(&p.text_document.uri)?;
            // Back to what is on disk.
            docs.remove(&path);
            Some(Job::Lint {
                docs: snapshot(docs),
                changed: vec![path],
            })
        }
        lsp::notification::DidChangeWatchedFiles::METHOD => {
            let p: lsp::DidChangeWatchedFilesParams = serde_json::from_value(n.params).ok()?;
            let changed: Vec<PathBuf> = p
                .changes
                .iter()
                .filter_map(|c| uri_to_path(&c.uri))
                .collect();
            (!changed.is_empty()).then(|| Job::Lint {
                docs: snapshot(docs),
                changed,
            })
        }
        lsp::notification::DidChangeWorkspaceFolders::METHOD => {
            let p: lsp::DidChangeWorkspaceFoldersParams = serde_json::from_value(n.params).ok()?;
            let added: Vec<PathBuf> = p
                .event
                .added
                .iter()
                .filter_map(|f| uri_to_path(&f.uri))
                .collect();
            Some(Job::Folders(added))
        }
        _ => None,
    }
}
