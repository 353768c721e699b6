//! The `cachelint` command line: parses the arguments, runs the library over the disk, picks
//! a reporter, and sets the exit code (0 clean, 1 findings at or above `--fail-on`, 2 usage or
//! I/O error).

use cachelint::diagnostic::Severity;
use cachelint::fs::{Disk, Fs};
use cachelint::report::{self, Format};
use cachelint::rules::registry;
use cachelint::util::suggest::did_you_mean;
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod cli {
    pub mod output;
}

#[derive(Parser)]
#[command(
    name = "cachelint",
    version,
    about = "A static linter and cache analyzer for GitLab CI configuration",
    after_help = concat!(
        "Examples:\n",
        "  cachelint check                      check .gitlab-ci.yml at the top of this repository\n",
        "  cachelint show --job test --origins  where each cache value of `test` comes from\n",
        "  cachelint graph --output flow.mmd    the cache flow as a Mermaid diagram\n",
        "  cachelint rule cache-key-collision   why a rule matters and how to fix what it finds\n",
        "\n",
        "Exit codes:\n",
        "  0  nothing found at the --fail-on level or above\n",
        "  1  something was found at the --fail-on level or above\n",
        "  2  a usage error, or a file that cannot be read (the configuration, cachelint.toml, --output)",
    )
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check GitLab CI configuration files and the local files they include.
    #[command(after_help = concat!(
        "Example:\n",
        "  cachelint check --format codequality --output gl-code-quality-report.json\n",
        "\n",
        "Exit codes:\n",
        "  0  nothing found at the --fail-on level or above\n",
        "  1  something was found at the --fail-on level or above\n",
        "  2  a usage error, or a file that cannot be read (the configuration, cachelint.toml, --output)",
    ))]
    Check {
        /// Root configuration files, or directories holding a .gitlab-ci.yml [default: the
        /// .gitlab-ci.yml at the top level of the git repository of the current directory].
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Write the report to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The repository root that `include:local` paths are relative to
        /// [default: the git top level of the configuration's directory].
        #[arg(long, value_name = "DIR")]
        project_root: Option<PathBuf>,
        /// The cachelint configuration file [default: cachelint.toml at the project root].
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// Exit with 1 when a finding is at this level or above.
        #[arg(long, value_enum, default_value_t = FailOn::Warning)]
        fail_on: FailOn,
        /// Print only the findings at the --fail-on level or above, and no summary line.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print the effective configuration: includes, `extends`, `!reference` and `default:`
    /// applied, as GitLab's "View merged YAML" shows it.
    #[command(after_help = concat!(
        "Example:\n",
        "  cachelint show --job test --origins\n",
        "\n",
        "Exit codes: 0 printed; 2 a usage error, a file that cannot be read, or no such job.",
    ))]
    Show {
        /// The root configuration file, or a directory holding a .gitlab-ci.yml [default: the
        /// .gitlab-ci.yml at the top level of the git repository of the current directory].
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
        /// Only this job.
        #[arg(long, value_name = "NAME")]
        job: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ShowFormat::Yaml)]
        format: ShowFormat,
        /// Instead of the configuration, show where each cache and artifacts value of every
        /// job was written and how it reached the job.
        #[arg(long)]
        origins: bool,
        /// The repository root that `include:local` paths are relative to.
        #[arg(long, value_name = "DIR")]
        project_root: Option<PathBuf>,
        /// The cachelint configuration file [default: cachelint.toml at the project root].
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Print the pipeline's cache flow as a graph: jobs by stage, cache keys, which jobs save
    /// and restore each key, artifacts extracted over a cache, and the findings of the cache
    /// rules on what they concern.
    #[command(after_help = concat!(
        "Examples:\n",
        "  cachelint graph > flow.mmd                         Mermaid, for a ```mermaid block in an issue or merge request\n",
        "  cachelint graph --format dot --output flow.dot     Graphviz: dot -Tsvg flow.dot -o flow.svg\n",
        "\n",
        "Findings do not change the exit code (`cachelint check` does that).\n",
        "Exit codes: 0 printed; 2 a usage error, or a file that cannot be read or written.\n",
        "More: docs/graph.md.",
    ))]
    Graph {
        /// The root configuration file, or a directory holding a .gitlab-ci.yml [default: the
        /// .gitlab-ci.yml at the top level of the git repository of the current directory].
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Write the graph to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The repository root that `include:local` paths are relative to.
        #[arg(long, value_name = "DIR")]
        project_root: Option<PathBuf>,
        /// The cachelint configuration file [default: cachelint.toml at the project root].
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Print a rule's documentation: why it matters, an example and its fix.
    #[command(
        after_help = "Example:\n  cachelint rule cache-path-outside-project\n\nExit codes: 0 printed; 2 no such rule."
    )]
    Rule {
        /// The rule's name (see `cachelint rules`).
        #[arg(value_name = "NAME")]
        name: String,
    },
    /// List every rule with its default severity and a one-line summary.
    #[command(after_help = "Example:\n  cachelint rules | grep cache\n\nExit codes: 0.")]
    Rules,
    /// Run the language server (LSP over standard input and output), for editors: diagnostics
    /// as you type, across included files, with hover, go to definition and quick fixes.
    #[command(
        after_help = "Example (Neovim 0.11):\n  vim.lsp.config('cachelint', { cmd = { 'cachelint', 'server' }, filetypes = { 'yaml' } })\n  vim.lsp.enable('cachelint')\n\nSetup for each editor: docs/integrations/editors.md.\nExit codes: 0 after the client's shutdown and exit; 2 on a protocol error."
    )]
    Server,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum FailOn {
    Error,
    Warning,
    Info,
}

impl FailOn {
    fn severity(self) -> Severity {
        match self {
            FailOn::Error => Severity::Error,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

/// `--format` of `check`: the library's report formats, named for the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum CheckFormat {
    /// Snippets with labels and a fix hint, for people.
    Text,
    /// One line per finding: `path:line:col: severity[rule] message`.
    Concise,
    /// Every finding with full positions (docs/json-format.md).
    Json,
    /// GitLab Code Quality report (`artifacts:reports:codequality`).
    Codequality,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow annotations (`::warning file=...::message`).
    Github,
}

impl CheckFormat {
    fn format(self) -> Format {
        match self {
            CheckFormat::Text => Format::Text,
            CheckFormat::Concise => Format::Concise,
            CheckFormat::Json => Format::Json,
            CheckFormat::Codequality => Format::Codequality,
            CheckFormat::Sarif => Format::Sarif,
            CheckFormat::Github => Format::Github,
        }
    }
}

/// `--format` of `graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (GitLab renders ```mermaid blocks in Markdown).
    Mermaid,
    /// Graphviz DOT.
    Dot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ShowFormat {
    Yaml,
    Json,
}

/// The process's clock, for `CACHELINT_TIMINGS`: time since the first call.
fn clock() -> Duration {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

fn main() -> ExitCode {
    let started = clock();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let timings = std::env::var_os("CACHELINT_TIMINGS").is_some();
    let options = |project_root, config| cachelint::Options {
        project_root,
        config,
        clock: timings.then_some(clock as cachelint::util::Clock),
        ..Default::default()
    };
    match cli.command {
        Command::Check {
            paths,
            format,
            output,
            project_root,
            config,
            fail_on,
            quiet,
        } => run_check(
            paths,
            format.format(),
            output,
            fail_on.severity(),
            quiet,
            options(project_root, config),
            started,
        ),
        Command::Rule { name } => match registry::by_name(&name) {
            Some(r) => print_out(&report::page::render(r.page())),
            None => {
                let hint = did_you_mean(&name, registry::names())
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                eprintln!("cachelint: no rule named `{name}`{hint} (`cachelint rules` lists them)");
                ExitCode::from(2)
            }
        },
        Command::Rules => {
            let width = registry::names().map(str::len).max().unwrap_or(0);
            let text: String = registry::ALL
                .iter()
                .map(|r| {
                    format!(
                        "{:<width$}  {:<7}  {}\n",
                        r.name(),
                        r.severity().as_str(),
                        r.summary()
                    )
                })
                .collect();
            print_out(&text)
        }
        Command::Show {
            path,
            job,
            format,
            origins,
            project_root,
            config,
        } => run_show(path, job, format, origins, options(project_root, config)),
        Command::Graph {
            path,
            format,
            output,
            project_root,
            config,
        } => run_graph(path, format, output, options(project_root, config)),
        Command::Server => {
            let (connection, io) = lsp_server::Connection::stdio();
            let result = cachelint::server::run(connection, Default::default());
            let joined = io.join();
            match (result, joined) {
                (Ok(()), Ok(())) => ExitCode::SUCCESS,
                (Err(e), _) => {
                    eprintln!("cachelint server: {e}");
                    ExitCode::from(2)
                }
                (_, Err(e)) => {
                    eprintln!("cachelint server: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// Writes to standard output; a closed pipe (`cachelint rules | head`) is not an error.
fn print_out(text: &str) -> ExitCode {
    match std::io::stdout().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cachelint: cannot write: {e}");
            ExitCode::from(2)
        }
    }
}

/// `show` and `graph` read GitLab CI configurations only.
fn refuse_workflow(root: &Path, command: &str) -> Option<ExitCode> {
    cachelint::gha::is_workflow_root(&Disk, root).then(|| {
        eprintln!(
            "cachelint: {}: a GitHub Actions workflow; `cachelint {command}` reads GitLab CI configurations (check it with `cachelint check {}`)",
            root.display(),
            root.display()
        );
        ExitCode::from(2)
    })
}

/// The root files a command names: each path (a directory for its `.gitlab-ci.yml`), or the
/// repository's `.gitlab-ci.yml` when none is given (for `check`, and its GitHub Actions
/// workflows).
fn roots(fs: &dyn Fs, paths: Vec<PathBuf>, command: &str) -> Result<Vec<PathBuf>, String> {
    if !paths.is_empty() {
        return Ok(paths.iter().map(|p| cachelint::root_file(fs, p)).collect());
    }
    let default = cachelint::default_root(fs).map_err(|e| e.to_string())?;
    if command == "check" {
        // `check` also takes the repository's GitHub Actions workflows.
        let all = cachelint::default_roots(fs).map_err(|e| e.to_string())?;
        if !all.is_empty() {
            return Ok(all);
        }
    }
    if fs.kind(&default).is_none() {
        return Err(format!(
            "no {} here; give the configuration's path: cachelint {command} PATH",
            std::env::current_dir()
                .ok()
                .and_then(|cwd| default.strip_prefix(&cwd).ok().map(|p| p.to_path_buf()))
                .unwrap_or_else(|| default.clone())
                .display()
        ));
    }
    Ok(vec![default])
}

fn run_show(
    path: Option<PathBuf>,
    job: Option<String>,
    format: ShowFormat,
    origins: bool,
    options: cachelint::Options,
) -> ExitCode {
    let root = match roots(&Disk, path.into_iter().collect(), "show") {
        Ok(mut r) => r.remove(0),
        Err(e) => {
            eprintln!("cachelint: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(code) = refuse_workflow(&root, "show") {
        return code;
    }
    let mut diags = Vec::new();
    let analysis = match cachelint::analyze(&Disk, &root, &options, &mut diags) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cachelint: {}: {}", e.path.display(), e.message);
            return ExitCode::from(2);
        }
    };
    if let Some(name) = &job
        && !analysis.pipeline.effective.iter().any(|j| &j.name == name)
    {
        eprintln!("cachelint: no visible job named `{name}`");
        return ExitCode::from(2);
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if errors > 0 {
        eprintln!(
            "cachelint: {errors} error(s) in this configuration; GitLab would reject it (run `cachelint check` for details)"
        );
    }
    let text = if origins {
        cachelint::show::origins(&analysis, job.as_deref())
    } else {
        let value = cachelint::show::effective(&analysis, job.as_deref());
        match format {
            ShowFormat::Yaml => cachelint::show::to_yaml(&value),
            ShowFormat::Json => {
                let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
                s.push('\n');
                s
            }
        }
    };
    print_out(&text)
}

fn run_graph(
    path: Option<PathBuf>,
    format: GraphFormat,
    output: Option<PathBuf>,
    options: cachelint::Options,
) -> ExitCode {
    let root = match roots(&Disk, path.into_iter().collect(), "graph") {
        Ok(mut r) => r.remove(0),
        Err(e) => {
            eprintln!("cachelint: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(code) = refuse_workflow(&root, "graph") {
        return code;
    }
    // The whole check, so that the findings are the ones `check` reports (suppressions and
    // cachelint.toml applied).
    let outcome = cachelint::check(&Disk, std::slice::from_ref(&root), &options);
    if !outcome.errors.is_empty() {
        for e in &outcome.errors {
            eprintln!("cachelint: {}: {}", e.path.display(), e.message);
        }
        return ExitCode::from(2);
    }
    let Some(analysis) = outcome.analyses.first() else {
        eprintln!("cachelint: {}: nothing to draw", root.display());
        return ExitCode::from(2);
    };
    let errors = outcome.count(Severity::Error);
    if errors > 0 {
        eprintln!(
            "cachelint: {errors} error(s) in this configuration; GitLab would reject it (run `cachelint check` for details)"
        );
    }
    let graph = cachelint::graph::build(
        analysis,
        outcome
            .diagnostics
            .iter()
            .filter(|(i, _)| *i == 0)
            .map(|(_, d)| d),
    );
    let text = cachelint::graph::render(
        &graph,
        match format {
            GraphFormat::Mermaid => cachelint::graph::Format::Mermaid,
            GraphFormat::Dot => cachelint::graph::Format::Dot,
        },
    );
    match &output {
        Some(path) => {
            // Never over a configuration file that was just read.
            let inputs: Vec<PathBuf> = analysis
                .set
                .files
                .iter()
                .filter_map(|f| std::fs::canonicalize(&f.path).ok())
                .collect();
            match cli::output::write(path, text.as_bytes(), &inputs) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!(
                        "cachelint: cannot write the graph to {}: {}",
                        path.display(),
                        e.0
                    );
                    ExitCode::from(2)
                }
            }
        }
        None => print_out(&text),
    }
}

fn run_check(
    paths: Vec<PathBuf>,
    format: Format,
    output: Option<PathBuf>,
    fail_on: Severity,
    quiet: bool,
    options: cachelint::Options,
    started: Duration,
) -> ExitCode {
    let paths = match roots(&Disk, paths, "check") {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cachelint: {e}");
            return ExitCode::from(2);
        }
    };
    let mut outcome = cachelint::check(&Disk, &paths, &options);
    if quiet {
        outcome.diagnostics.retain(|(_, d)| d.severity >= fail_on);
    }
    // The process ends right after: freeing every value one by one would only cost time.
    let outcome = std::mem::ManuallyDrop::new(outcome);
    let color = output.is_none()
        && format == Format::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let before_report = clock();
    let mut rendered = report::render(format, &outcome, color);
    if options.clock.is_some() {
        for (stage, took) in &outcome.timings {
            eprintln!(
                "cachelint timings: {stage} {:.1} ms",
                took.as_secs_f64() * 1e3
            );
        }
        eprintln!(
            "cachelint timings: report {:.1} ms, total {:.1} ms",
            (clock() - before_report).as_secs_f64() * 1e3,
            (clock() - started).as_secs_f64() * 1e3
        );
    }
    // A run that checked nothing (every root failed to load) has no summary to give.
    if format == Format::Text && !quiet && !outcome.analyses.is_empty() {
        rendered.push_str(&summary(&outcome, clock() - started));
    }
    let written = match &output {
        Some(path) => {
            // Never over a configuration file that was just read.
            let inputs: Vec<PathBuf> = outcome
                .analyses
                .iter()
                .flat_map(|a| a.set.files.iter())
                .filter_map(|f| std::fs::canonicalize(&f.path).ok())
                .collect();
            cli::output::write(path, rendered.as_bytes(), &inputs).map_err(|e| e.0)
        }
        None => match std::io::stdout().write_all(rendered.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.to_string()),
            _ => Ok(()),
        },
    };
    if let Err(e) = written {
        eprintln!(
            "cachelint: cannot write the report{}: {e}",
            output
                .as_ref()
                .map(|p| format!(" to {}", p.display()))
                .unwrap_or_default()
        );
        return ExitCode::from(2);
    }
    if !outcome.errors.is_empty() {
        for e in &outcome.errors {
            eprintln!("cachelint: {}: {}", e.path.display(), e.message);
        }
        return ExitCode::from(2);
    }
    match outcome.max_severity() {
        Some(s) if s >= fail_on => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}

/// "2 errors, 1 warning in 3 files, 12 ms"
fn summary(outcome: &cachelint::Outcome, elapsed: std::time::Duration) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let files = outcome.files();
    let (e, w, i) = (
        outcome.count(Severity::Error),
        outcome.count(Severity::Warning),
        outcome.count(Severity::Info),
    );
    let mut parts = Vec::new();
    if e + w + i == 0 {
        parts.push("no findings".to_string());
    }
    if e > 0 {
        parts.push(plural(e, "error"));
    }
    if w > 0 {
        parts.push(plural(w, "warning"));
    }
    if i > 0 {
        parts.push(format!("{i} info"));
    }
    format!(
        "{} in {}, {} ms\n",
        parts.join(", "),
        plural(files, "file"),
        elapsed.as_millis()
    )
}
