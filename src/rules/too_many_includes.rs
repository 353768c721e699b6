//! `too-many-includes`: GitLab's `ci_max_includes` (150): the number of files expanded, each
//! repeated include counted again ("Maximum of 150 nested includes are allowed!").

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "too-many-includes",
    severity: Severity::Error,
    category: Category::Include,
    summary: "More than 150 included files in one pipeline, counting every repeated include again.",
    page: include_str!("../../rules/too-many-includes.md"),
});

/// GitLab's default `ci_max_includes`.
pub const LIMIT: usize = 150;

/// The include at `span` is file `LIMIT + 1` of the expansion.
pub fn too_many(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        format!("GitLab rejects the pipeline: more than {LIMIT} files are included (\"Maximum of {LIMIT} nested includes are allowed!\"); duplicates count again"),
    )
    .label(format!("file {} of the expansion", LIMIT + 1))
    .help("include fewer files, or combine small files into larger ones")
    .subject("include-count")
}
