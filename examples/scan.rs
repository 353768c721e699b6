//! Benchmark baseline: a bare saphyr-parser event scan of one file.
//!
//!     cargo build --release --example scan
//!     target/release/examples/scan FILE
//!
//! Reads FILE into a String and pulls every event out of `saphyr_parser::Parser` without
//! building anything, then prints the number of events (so the work cannot be optimised away).
//! `scripts/bench.sh` compares `cachelint check` against this: it is the floor for any loader
//! built on the same parser.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: scan FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("scan: {}: {e}", path.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    let mut events: u64 = 0;
    for event in saphyr_parser::Parser::new_from_str(&text) {
        match event {
            Ok(_) => events += 1,
            Err(e) => {
                eprintln!("scan: {}: {e}", path.to_string_lossy());
                println!("{events} events (stopped at an error)");
                return ExitCode::from(1);
            }
        }
    }
    println!("{events} events");
    ExitCode::SUCCESS
}
