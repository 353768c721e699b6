//! `yaml-disallowed-type`: a plain scalar Psych reads as a `Date` or `Time`, or a tag of a Ruby
//! class: `safe_load` raises "Tried to load unspecified class" and GitLab rejects the file.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "yaml-disallowed-type",
    severity: Severity::Error,
    category: Category::Yaml,
    summary: "An unquoted date or time, or a Ruby class tag, which GitLab's YAML loader refuses to load.",
    page: include_str!("../../rules/yaml-disallowed-type.md"),
});

/// `text` at `span` loads as an instance of `class`.
pub fn disallowed(file: FileId, span: Span, class: &str, text: &str) -> Diagnostic {
    let quote_help = matches!(class, "Date" | "Time");
    Diagnostic::new(
        RULE,
        file,
        span,
        format!(
            "GitLab refuses this file: `{text}` is read as a {class}, a type GitLab's YAML loader does not allow (\"Tried to load unspecified class: {class}\")"
        ),
    )
    .label(format!("read as a {class}"))
    .help(if quote_help {
        format!("quote the value: \"{text}\"")
    } else {
        "remove the tag; GitLab accepts only plain YAML values and `!reference`".to_string()
    })
    .subject(format!("{class}:{text}"))
}
