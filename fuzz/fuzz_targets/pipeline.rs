//! Whole-pipeline fuzz target: an input is a small project (see `fuzz/harness.rs` for the
//! encoding), loaded with its includes from memory, resolved, modelled, checked by every rule
//! and rendered by every reporter and `show` view. Any panic, broken invariant, timeout or
//! memory blow-up is a finding. `CACHELINT_FUZZ_ALLOW_KNOWN=1` lets the broken invariants that
//! are already reported pass (never a panic), so that a long run goes on finding others.
#![no_main]

#[path = "../harness.rs"]
mod harness;

use std::sync::OnceLock;

static ALLOW_KNOWN: OnceLock<bool> = OnceLock::new();

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let allow = *ALLOW_KNOWN.get_or_init(|| {
        std::env::var_os("CACHELINT_FUZZ_ALLOW_KNOWN").is_some_and(|v| v != "0" && !v.is_empty())
    });
    harness::run_with(
        data,
        harness::Mode {
            allow_known: allow,
            sarif: true,
        },
    );
});
