//! Helpers several stages share: the lowest floor beside `source.rs`, never a stage's private
//! file.

pub mod glob;
pub mod paths;
pub mod suggest;

/// A monotonic clock given by the caller (the CLI uses `std::time::Instant`; the library has no
/// clock of its own, so it builds for targets without one). Time since an arbitrary start.
pub type Clock = fn() -> std::time::Duration;
