//! Language-server re-lint latency: the time from `didChange` to the `publishDiagnostics` it
//! causes, on a configuration, with the server in-process and no debounce (what the debounce
//! adds on top is its own delay, 75 ms by default).
//!
//!     cargo run --release --example lsp_latency -- FILE [RUNS]
//!
//! FILE is copied into a scratch project of its own; each run alternates the file with and
//! without one more job whose cache is outside the project, so that every change changes
//! the diagnostics. Prints the median, the minimum and the maximum in milliseconds.

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(file) = args.next() else {
        eprintln!("usage: lsp_latency FILE [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(50);
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("lsp_latency: {file}: {e}");
            std::process::exit(2);
        }
    };
    let dir = std::env::temp_dir().join(format!("cachelint-lsp-latency-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::create_dir_all(dir.join(".git")).is_err()
        || std::fs::write(dir.join(".gitlab-ci.yml"), &text).is_err()
    {
        eprintln!("lsp_latency: cannot write {}", dir.display());
        std::process::exit(2);
    }
    let uri = format!("file://{}/.gitlab-ci.yml", dir.display());
    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || {
        cachelint::server::run(
            server,
            cachelint::server::ServerOptions {
                debounce: Duration::ZERO,
            },
        )
    });
    let send = |m: Message| {
        let _ = client.sender.send(m);
    };
    send(
        Request::new(
            RequestId::from(1),
            "initialize".into(),
            json!({"processId": null, "capabilities": {}, "rootUri": format!("file://{}", dir.display())}),
        )
        .into(),
    );
    let _ = client.receiver.recv();
    send(Notification::new("initialized".into(), json!({})).into());
    let open =
        json!({"textDocument": {"uri": uri, "languageId": "yaml", "version": 0, "text": text}});
    send(Notification::new("textDocument/didOpen".into(), open).into());
    let extra =
        "\ncachelint-latency-probe:\n  script: [x]\n  cache: {key: probe, paths: [~/.probe]}\n";
    let mut times = Vec::with_capacity(runs);
    for run in 1..=runs as i32 {
        let body = if run % 2 == 1 {
            format!("{text}{extra}")
        } else {
            text.clone()
        };
        let change = json!({"textDocument": {"uri": uri, "version": run}, "contentChanges": [{"text": body}]});
        let started = Instant::now();
        send(Notification::new("textDocument/didChange".into(), change).into());
        loop {
            match client.receiver.recv_timeout(Duration::from_secs(30)) {
                Ok(Message::Notification(n))
                    if n.method == "textDocument/publishDiagnostics"
                        && n.params["uri"] == json!(uri)
                        && n.params["version"] == json!(run) =>
                {
                    break;
                }
                Ok(_) => {}
                Err(_) => {
                    eprintln!("lsp_latency: no diagnostics for version {run}");
                    std::process::exit(1);
                }
            }
        }
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    send(Request::new(RequestId::from(2), "shutdown".into(), json!(null)).into());
    let _ = client.receiver.recv_timeout(Duration::from_secs(5));
    send(Notification::new("exit".into(), json!(null)).into());
    let _ = thread.join();
    let _ = std::fs::remove_dir_all(&dir);
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{file}: {} bytes, {runs} edits: median {median:.2} ms, min {:.2} ms, max {:.2} ms",
        text.len(),
        times[0],
        times[times.len() - 1]
    );
}
