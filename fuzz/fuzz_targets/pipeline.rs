//! Whole-pipeline fuzz target: an input is a small project (see `fuzz/harness.rs` for the
//! encoding), loaded with its includes from memory, resolved, modelled, checked by every rule
//! and rendered by every reporter and `show` view. Any panic, broken invariant, timeout or
//! memory blow-up is a finding.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::run(data);
});
