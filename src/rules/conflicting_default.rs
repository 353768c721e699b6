//! `conflicting-default`: a keyword set both at the top level (the deprecated form) and in
//! `default:` ("X is defined in top-level and `default:` entry").

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "conflicting-default",
    severity: Severity::Error,
    category: Category::Default,
    summary: "A keyword set both at the top level (the deprecated form) and in default.",
    page: include_str!("../../rules/conflicting-default.md"),
});

/// `keyword` is set at the top level at `top` and in `default:` at `default`.
pub fn conflict(top: Loc, default: Loc, keyword: &str) -> Diagnostic {
    Diagnostic::at(
        RULE,
        top,
        format!("`{keyword}` is set both at the top level and in `default:`; GitLab rejects this (\"{keyword} is defined in top-level and `default:` entry\")"),
    )
    .label("top-level keyword")
    .with_label(default.file, default.span, "also set here")
    .help(format!("keep only `default:{keyword}` (the top-level form is deprecated)"))
    .subject(format!("default:{keyword}"))
}
