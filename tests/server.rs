//! The language server, driven in-process by a test client over an in-memory connection:
//! initialize, open, change, save, close, hover, definition, code actions, symbols, pulled
//! diagnostics, shutdown. The messages are snapshots (paths shown as `/project`).

use cachelint::server::{ServerOptions, run};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

struct Client {
    conn: Connection,
    next_id: i32,
    root: PathBuf,
    /// Notifications received while waiting for something else.
    seen: Vec<Notification>,
    /// Requests the server sent (methods), in order.
    asked: Vec<String>,
    server: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl Client {
    fn start(root: &Path, capabilities: Value) -> Client {
        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || {
            run(
                server_side,
                ServerOptions {
                    debounce: Duration::ZERO,
                },
            )
        });
        let mut c = Client {
            conn: client_side,
            next_id: 0,
            root: root.to_path_buf(),
            seen: Vec::new(),
            asked: Vec::new(),
            server: Some(server),
        };
        let root_uri = c.uri("");
        let init = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": root_uri,
                "capabilities": capabilities,
                "workspaceFolders": [{"uri": root_uri, "name": "project"}],
            }),
        );
        assert!(
            init["capabilities"]["hoverProvider"] == json!(true),
            "{init}"
        );
        c.notify("initialized", json!({}));
        c
    }

    fn uri(&self, rel: &str) -> String {
        let p = self.root.join(rel);
        format!("file://{}", p.display())
            .trim_end_matches('/')
            .to_string()
    }

    fn notify(&self, method: &str, params: Value) {
        let n = Notification::new(method.into(), params);
        self.conn.sender.send(n.into()).expect("send");
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let req = Request::new(id.clone(), method.into(), params);
        self.conn.sender.send(req.into()).expect("send");
        loop {
            match self.recv() {
                Message::Response(r) if r.id == id => {
                    return match r.response_result {
                        Ok(v) => v,
                        Err(e) => json!({"error": e.message}),
                    };
                }
                Message::Notification(n) => self.seen.push(n),
                Message::Request(r) => self.asked.push(r.method),
                _ => {}
            }
        }
    }

    fn recv(&self) -> Message {
        self.conn
            .receiver
            .recv_timeout(Duration::from_secs(20))
            .expect("the server answered within 20 s")
    }

    /// The next diagnostics published for `rel` (waiting for them).
    fn diagnostics(&mut self, rel: &str) -> Value {
        let uri = self.uri(rel);
        loop {
            let found = self.seen.iter().position(|n| {
                n.method == "textDocument/publishDiagnostics" && n.params["uri"] == json!(uri)
            });
            if let Some(i) = found {
                return self.seen.remove(i).params;
            }
            match self.recv() {
                Message::Notification(n) => self.seen.push(n),
                Message::Request(r) => self.asked.push(r.method),
                _ => {}
            }
        }
    }

    fn open(&self, rel: &str, text: &str, version: i32) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": self.uri(rel), "languageId": "yaml", "version": version, "text": text}}),
        );
    }

    fn change(&self, rel: &str, text: &str, version: i32) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": self.uri(rel), "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    fn shutdown(mut self) {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r, Value::Null);
        self.notify("exit", Value::Null);
        let server = self.server.take().expect("server");
        assert_eq!(server.join().expect("server thread"), Ok(()));
    }

    /// A message as a snapshot shows it: this project's directory written as `/project`.
    fn shown(&self, v: &Value) -> String {
        let text = serde_json::to_string_pretty(v).expect("json");
        text.replace(
            &format!("file://{}", self.root.display()),
            "file:///project",
        )
    }
}

fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("server")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

const ROOT: &str = "include: ci/common.yml\n\ntest:\n  extends: .node\n  script: [npm test]\n";
const COMMON: &str =
    ".node:\n  image: node:22\n  cache:\n    key: npm-$CI_COMMIT_REF_NAME\n    paths: [~/.npm]\n";
const COMMON_FIXED: &str =
    ".node:\n  image: node:22\n  cache:\n    key: npm-$CI_COMMIT_REF_SLUG\n    paths: [.npm/]\n";

#[test]
fn diagnostics_follow_includes_and_edits() {
    let dir = project(
        "edits",
        &[(".gitlab-ci.yml", ROOT), ("ci/common.yml", COMMON)],
    );
    let mut c = Client::start(&dir, json!({}));
    // The workspace's root is linted at once: the finding is in the included file.
    let d = c.diagnostics("ci/common.yml");
    insta::assert_snapshot!("server-included-file", c.shown(&d));
    // Edited in the editor (not saved), the include is fixed: its diagnostics are cleared.
    c.open("ci/common.yml", COMMON, 1);
    c.change("ci/common.yml", COMMON_FIXED, 2);
    let mut d = c.diagnostics("ci/common.yml");
    while d["diagnostics"] != json!([]) {
        d = c.diagnostics("ci/common.yml");
    }
    assert_eq!(d["version"], json!(2));
    // Closed without saving: back to what is on disk.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": c.uri("ci/common.yml")}}),
    );
    let d = c.diagnostics("ci/common.yml");
    assert_eq!(d["diagnostics"].as_array().map(Vec::len), Some(2));
    c.shutdown();
}

#[test]
fn hover_definition_symbols_and_code_actions() {
    let dir = project(
        "navigate",
        &[(".gitlab-ci.yml", ROOT), ("ci/common.yml", COMMON)],
    );
    let mut c = Client::start(&dir, json!({}));
    let diags = c.diagnostics("ci/common.yml");
    c.open(".gitlab-ci.yml", ROOT, 1);
    let root_uri = c.uri(".gitlab-ci.yml");
    let common_uri = c.uri("ci/common.yml");
    // Hover on the job: its caches and where each value comes from.
    let hover = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": root_uri}, "position": {"line": 2, "character": 1}}),
    );
    insta::assert_snapshot!("server-hover-job", c.shown(&hover));
    // Go to the template an `extends` names, in the included file.
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": root_uri}, "position": {"line": 3, "character": 12}}),
    );
    insta::assert_snapshot!("server-definition-extends", c.shown(&def));
    // The include path goes to the file.
    let def = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": root_uri}, "position": {"line": 0, "character": 12}}),
    );
    assert_eq!(def[0]["uri"], json!(common_uri));
    let symbols = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": root_uri}}),
    );
    insta::assert_snapshot!("server-symbols", c.shown(&symbols));
    // Code actions for the findings of the included file: the certain fixes, and suppression.
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": common_uri},
            "range": {"start": {"line": 3, "character": 0}, "end": {"line": 4, "character": 0}},
            "context": {"diagnostics": diags["diagnostics"]},
        }),
    );
    insta::assert_snapshot!("server-code-actions", c.shown(&actions));
    c.shutdown();
}

#[test]
fn positions_in_utf8_when_the_client_asks_and_pulled_diagnostics() {
    let root = "test:\n  script: [\"echo é😀\"]\n  cache: {key: k, paths: [~/.npm]}\n";
    let dir = project("utf8", &[(".gitlab-ci.yml", root)]);
    let caps = json!({
        "general": {"positionEncodings": ["utf-8", "utf-16"]},
        "textDocument": {"diagnostic": {}},
    });
    let mut c = Client::start(&dir, caps);
    let d = c.diagnostics(".gitlab-ci.yml");
    assert_eq!(
        d["diagnostics"][0]["range"]["start"],
        json!({"line": 2, "character": 26})
    );
    let pulled = c.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": c.uri(".gitlab-ci.yml")}}),
    );
    assert_eq!(pulled["kind"], json!("full"));
    assert_eq!(pulled["items"], d["diagnostics"]);
    c.shutdown();
}

/// A client that pulls gets open documents by pull only (pushed as well, editors such as
/// Neovim 0.11 show every finding twice) and a refresh when they change; files it has not
/// opened are still pushed.
#[test]
fn a_client_that_pulls_gets_open_documents_by_pull_only() {
    let dir = project(
        "pull",
        &[(".gitlab-ci.yml", ROOT), ("ci/common.yml", COMMON)],
    );
    let caps = json!({
        "textDocument": {"diagnostic": {}},
        "workspace": {"diagnostic": {"refreshSupport": true}},
    });
    let mut c = Client::start(&dir, caps);
    // Not open: pushed.
    let d = c.diagnostics("ci/common.yml");
    assert_eq!(d["diagnostics"].as_array().map(Vec::len), Some(2));
    // Opened: the push is withdrawn and a pull answers.
    c.open("ci/common.yml", COMMON, 1);
    let d = c.diagnostics("ci/common.yml");
    assert_eq!(d["diagnostics"], json!([]));
    let pull = |c: &mut Client| {
        let uri = c.uri("ci/common.yml");
        c.request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": uri}}),
        )["items"]
            .clone()
    };
    assert_eq!(pull(&mut c).as_array().map(Vec::len), Some(2));
    // Edited: the client is asked to pull again, and the pull has the new state.
    let before = c.asked.len();
    c.change("ci/common.yml", COMMON_FIXED, 2);
    assert_eq!(pull(&mut c), json!([]));
    while !c.asked[before..]
        .iter()
        .any(|m| m == "workspace/diagnostic/refresh")
    {
        if let Message::Request(r) = c.recv() {
            c.asked.push(r.method);
        }
    }
    // Nothing was pushed for the open document meanwhile.
    let uri = c.uri("ci/common.yml");
    assert!(
        !c.seen
            .iter()
            .any(|n| n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == json!(uri)
                && n.params["diagnostics"] != json!([])),
        "an open document's diagnostics were pushed to a client that pulls"
    );
    c.shutdown();
}

#[test]
fn no_configuration_and_unrelated_files_publish_nothing() {
    let dir = project("empty", &[("notes/other.yml", "a: [1\n")]);
    let mut c = Client::start(&dir, json!({}));
    c.open("notes/other.yml", "a: [1\n", 1);
    // A request answered means every earlier message was handled.
    let r = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": c.uri("notes/other.yml")}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(r, Value::Null);
    assert!(
        !c.seen
            .iter()
            .any(|n| n.method == "textDocument/publishDiagnostics"),
        "{:?}",
        c.seen
    );
    // A file named like a root, outside any root, is linted on its own.
    c.open(
        "sub/.gitlab-ci.yml",
        "job: {script: [x], cache: {paths: [~/.x]}}\n",
        1,
    );
    let d = c.diagnostics("sub/.gitlab-ci.yml");
    assert_eq!(
        d["diagnostics"][0]["code"],
        json!("cache-path-outside-project")
    );
    c.shutdown();
}

const WORKFLOW: &str = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/cache@v4\n        with:\n          path: ~/.cache/pip\n          key: pip-${{ hashFiles('requirements.txt') }}\n          save-always: true\n";

#[test]
fn workflows_are_linted_and_edits_republish() {
    let dir = project(
        "workflow",
        &[
            (".github/workflows/ci.yml", WORKFLOW),
            ("requirements.txt", "pytest\n"),
        ],
    );
    let mut c = Client::start(&dir, json!({}));
    // The workspace's workflows are roots: linted at once.
    let d = c.diagnostics(".github/workflows/ci.yml");
    let text = c.shown(&d);
    assert!(text.contains("gha-save-always-deprecated"), "{text}");
    // Fixed in the editor: cleared.
    c.open(".github/workflows/ci.yml", WORKFLOW, 1);
    c.change(
        ".github/workflows/ci.yml",
        &WORKFLOW.replace("          save-always: true\n", ""),
        2,
    );
    let mut d = c.diagnostics(".github/workflows/ci.yml");
    while d["diagnostics"] != json!([]) {
        d = c.diagnostics(".github/workflows/ci.yml");
    }
    c.shutdown();
}
