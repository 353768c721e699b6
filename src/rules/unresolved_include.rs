//! `unresolved-include`: an include that cannot be read offline (remote, project, template,
//! component, artifact, or a path with variables). The other files are still checked; what it
//! would define is unknown, so names only it could define are not reported as errors.

use super::invalid_include::Problem;
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Loc, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "unresolved-include",
    severity: Severity::Info,
    category: Category::Include,
    summary: "An include that cannot be read offline, so the jobs it brings are not checked.",
    page: include_str!("../../rules/unresolved-include.md"),
});

/// An include whose content is unknown, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unread {
    /// Where the include is written.
    pub at: Loc,
    pub why: Why,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// A `kind` of include that needs the network or variables (`remote`, `project`, ...),
    /// naming `target`.
    Offline { kind: &'static str, target: String },
    /// An include GitLab rejects.
    Invalid(Problem),
    /// A file that GitLab cannot load (a syntax error, say).
    DoesNotLoad { raw: String },
}

impl Unread {
    /// What was not read, in a few words (`remote: https://...`).
    pub fn describe(&self) -> String {
        match &self.why {
            Why::Offline { kind, target } => format!("{kind}: {target}"),
            Why::Invalid(p) => p.message(),
            Why::DoesNotLoad { raw } => format!("{raw} (it does not load)"),
        }
    }
}

/// The component `address` of this project names files that are not in the checked-out
/// project (`candidates`): another version may have them.
pub fn own_component_missing(
    file: FileId,
    span: Span,
    address: &str,
    candidates: &[String],
) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        format!(
            "the component `{address}` is this project's, but neither {} exists here: the jobs it would bring are not checked",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" nor ")
        ),
    )
    .label("not found in this project")
    .help("GitLab reads the component at the version after `@`; at the commit being tested it must be one of these files")
    .subject(format!("component:{address}"))
}

/// The `kind` include of `target` at `span` cannot be read offline.
pub fn offline(file: FileId, span: Span, kind: &str, target: &str) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        format!(
            "the {kind} include `{target}` cannot be read offline: the jobs it would bring are not checked"
        ),
    )
    .label("not checked")
    .help("the other files are still checked; jobs that extend or reference its content may be reported as unknown")
    .subject(format!("{kind}:{target}"))
}
