//! `unused-suppression`: a `# cachelint: ignore[...]` comment that suppresses nothing, so stale
//! suppressions do not pile up.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "unused-suppression",
    severity: Severity::Info,
    category: Category::Suppression,
    summary: "A `# cachelint: ignore[...]` comment that suppresses no finding, or names no rule.",
    page: include_str!("../../rules/unused-suppression.md"),
});

/// `name` (written at `span`) is a rule that nothing matched; `whole_file` for `ignore-file`.
pub fn unused(file: FileId, span: Span, name: &str, whole_file: bool) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        format!(
            "`{name}` is suppressed here, but no `{name}` finding is {}",
            if whole_file {
                "in this file"
            } else {
                "on this line or the next"
            }
        ),
    )
    .label("suppresses nothing")
    .help("remove it from the comment (`cachelint rules` lists the rule names)")
    .subject(format!("suppression:{name}"))
}

/// `name` (written at `span`) is no rule; `suggestion` is a rule name close to it.
pub fn unknown(file: FileId, span: Span, name: &str, suggestion: Option<&str>) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        format!("`{name}` is not a cachelint rule, so this suppresses nothing"),
    )
    .label("unknown rule")
    .help(match suggestion {
        Some(r) => format!("did you mean `{r}`?"),
        None => "remove it from the comment (`cachelint rules` lists the rule names)".to_string(),
    })
    .subject(format!("suppression:{name}"))
}
