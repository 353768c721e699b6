//! Resolution of the loaded files into the effective configuration, in GitLab's order:
//! includes → extends → !reference → default/inherit → parallel. This stage so far performs the
//! include merge ([`merge`]).

pub mod merge;

use crate::diagnostic::Diagnostic;
use crate::load::FileSet;

/// Findings of the resolution stage.
pub fn check(_set: &FileSet) -> Vec<Diagnostic> {
    Vec::new()
}
