//! The `cachelint` command line.

use cachelint::diagnostic::Severity;
use cachelint::report::{self, Format};
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cachelint",
    version,
    about = "A static linter and cache analyzer for GitLab CI configuration"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check GitLab CI configuration files and the local files they include.
    Check {
        /// Root configuration files [default: .gitlab-ci.yml in the current directory].
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Write the report to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// The repository root that `include:local` paths are relative to
        /// [default: the git top level of the configuration's directory].
        #[arg(long, value_name = "DIR")]
        project_root: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
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
    match cli.command {
        Command::Check {
            paths,
            format,
            output,
            project_root,
        } => run_check(
            paths,
            format,
            output,
            cachelint::Options {
                project_root,
                ..Default::default()
            },
        ),
    }
}

fn run_check(
    paths: Vec<PathBuf>,
    format: Format,
    output: Option<PathBuf>,
    options: cachelint::Options,
) -> ExitCode {
    let paths = if paths.is_empty() {
        let default = PathBuf::from(".gitlab-ci.yml");
        if !default.exists() {
            eprintln!(
                "cachelint: no .gitlab-ci.yml in the current directory; give the configuration's path: cachelint check PATH"
            );
            return ExitCode::from(2);
        }
        vec![default]
    } else {
        paths
    };
    let outcome = cachelint::check(&paths, &options);
    let color = output.is_none()
        && format == Format::Text
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let rendered = report::render(format, &outcome, color);
    let written = match &output {
        Some(path) => std::fs::write(path, rendered.as_bytes()),
        None => std::io::stdout().write_all(rendered.as_bytes()),
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
            eprintln!("cachelint: cannot read {}: {}", e.path.display(), e.message);
        }
        return ExitCode::from(2);
    }
    match outcome.max_severity() {
        Some(s) if s >= Severity::Warning => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}
