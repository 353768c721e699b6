//! `invalid-input-spec`: a `spec:` header GitLab refuses (`Header::Root`, `Header::Spec`,
//! `Header::Input`): an unknown key, an input type that does not exist, `options` that are not a
//! list or more than 50 of them, a `regex` that is not a string or not a valid pattern, or
//! `options`/`regex` on a type that cannot have them. Every include of the file fails.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-input-spec",
    severity: Severity::Error,
    category: Category::Include,
    summary: "A `spec:` header that GitLab refuses: an unknown key, an unknown input type, bad `options` or `regex`.",
    page: include_str!("../../rules/invalid-input-spec.md"),
});

/// The header at `span` is refused for `message` (GitLab's words); `help` says what to do.
pub fn invalid(file: FileId, span: Span, message: String, help: &str, subject: &str) -> Diagnostic {
    Diagnostic::new(RULE, file, span, message)
        .label("refused by GitLab")
        .help(help.to_string())
        .subject(subject.to_string())
}
