//! `unknown-extends`: a job extends a name defined nowhere ("unknown keys in `extends`"). When
//! some include could not be read, the name may come from it: the finding is then info, once
//! per name.

use super::unresolved_include::Unread;
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "unknown-extends",
    severity: Severity::Error,
    category: Category::Extends,
    summary: "A job extends a name that is not defined anywhere in the configuration.",
    page: include_str!("../../rules/unknown-extends.md"),
});

/// `child` extends `parent` at `site`, and nothing defines `parent`; `suggestion` is a defined
/// name close to it.
pub fn unknown(site: Loc, child: &str, parent: &str, suggestion: Option<&str>) -> Diagnostic {
    let d = Diagnostic::at(
        RULE,
        site,
        format!(
            "`{child}` extends `{parent}`, which is not defined (\"unknown keys in `extends`\")"
        ),
    )
    .label("not defined")
    .job(child)
    .subject(format!("extends:{parent}"));
    match suggestion {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => d.help(format!(
            "define `{parent}:` (a hidden job, starting with a dot, is the usual template) or remove it from `extends`"
        )),
    }
}

/// `parent`, extended first by `child` at `site` (and by `others` more), is defined in no
/// checked file, and `unread` (the first include that could not be read) might define it.
pub fn unverifiable(
    site: Loc,
    child: &str,
    parent: &str,
    others: usize,
    unread: Option<&Unread>,
) -> Diagnostic {
    let mut d = Diagnostic::at(
        RULE,
        site,
        format!(
            "`{parent}` is not defined in the checked files{}; it may come from an include that cannot be read offline, so the jobs extending it are checked without it",
            if others > 0 {
                format!(" (extended by `{child}` and {others} more)")
            } else {
                format!(" (extended by `{child}`)")
            }
        ),
    )
    .label("not defined here")
    .help("if it should be defined in this repository, define it or fix the name")
    .job(child)
    .subject(format!("extends:{parent}"));
    // Not provably wrong: the definition may be in what could not be read.
    d.severity = Severity::Info;
    if let Some(u) = unread {
        d = d.with_label(u.at.file, u.at.span, format!("not read: {}", u.describe()));
    }
    d
}
