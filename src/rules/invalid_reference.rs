//! `invalid-reference`: a `!reference` GitLab cannot resolve by its shape: not a list, empty, or
//! with an element that is not a string.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-reference",
    severity: Severity::Error,
    category: Category::Reference,
    summary: "A !reference that is empty, not a list, or has a path element that is not a string.",
    page: include_str!("../../rules/invalid-reference.md"),
});

/// What is wrong with the shape of a `!reference`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// On a scalar or a mapping.
    NotAList,
    Empty,
    /// An element that is not a string.
    NotStrings,
}

/// The `!reference` at `at`, in the top-level entry `job`, has the wrong shape.
pub fn invalid(at: Loc, shape: Shape, job: &str) -> Diagnostic {
    let message = match shape {
        Shape::NotAList => "`!reference` must be written as a list: `!reference [job, key]`",
        Shape::Empty => {
            "`!reference []` is empty: it needs the key path to copy, e.g. `!reference [.setup, script]`"
        }
        Shape::NotStrings => {
            "every element of a `!reference` must be a string (a key); list items cannot be addressed by index"
        }
    };
    Diagnostic::at(RULE, at, message)
        .label("invalid `!reference`")
        .help("write the key path as strings: `!reference [.template, script]`")
        .job(job)
        .subject("invalid-reference")
}
