//! `interpolation-without-header`: `$[[ inputs.NAME ]]` in a file that has no `spec:` header.
//! GitLab interpolates only files with a header (`Yaml::Interpolator#interpolate!` returns the
//! content as it is otherwise), so the text stays as written: a job named
//! `$[[ inputs.name ]]`, an image that does not exist.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "interpolation-without-header",
    severity: Severity::Warning,
    category: Category::Include,
    summary: "`$[[ inputs.NAME ]]` in a file without a `spec:` header, which GitLab leaves as written.",
    page: include_str!("../../rules/interpolation-without-header.md"),
});

/// The block `block` at `span` is in a file without a header; `more` other places too.
pub fn no_header(file: FileId, span: Span, block: &str, more: usize) -> Diagnostic {
    let others = match more {
        0 => String::new(),
        1 => " (and 1 other place)".to_string(),
        n => format!(" (and {n} other places)"),
    };
    Diagnostic::new(
        RULE,
        file,
        span,
        format!("`{block}` is in a file without a `spec:` header: GitLab leaves it as written{others}"),
    )
    .label("not interpolated")
    .help("declare the inputs in a header at the top of the file: `spec:`, `  inputs:`, `    NAME:`, then a line `---`")
    .subject("no-header")
}
