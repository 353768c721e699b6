//! `unresolved-reference`: a `!reference` whose key path is missing, crosses a non-mapping, or
//! ends at `null` or `false` ("could not be found"). When some include could not be read and the
//! first key is defined nowhere, it may come from that include: the finding is then info.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "unresolved-reference",
    severity: Severity::Error,
    category: Category::Reference,
    summary: "A !reference whose key path is missing, crosses a non-mapping, or ends at null or false.",
    page: include_str!("../../rules/unresolved-reference.md"),
});

/// Where a `!reference` path stops resolving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// The first key may be defined by an include that could not be read.
    Unverifiable,
    /// The whole path exists, but its value is `null` or `false`.
    NullOrFalse,
    /// The first `known` keys resolve, the next one does not.
    Key { known: usize },
}

/// `!reference [path]` at `at` (in the top-level entry `job`) does not resolve; `suggestion`
/// is a top-level name close to the first key.
pub fn unresolved(
    at: Loc,
    path: &[String],
    missing: Missing,
    job: &str,
    suggestion: Option<&str>,
) -> Diagnostic {
    let shown = format!("!reference [{}]", path.join(", "));
    let first = path.first().map(String::as_str).unwrap_or("");
    let message = match missing {
        Missing::Unverifiable => format!(
            "`{shown}`: `{first}` is not defined in the checked files; it may come from an include that cannot be read offline"
        ),
        Missing::NullOrFalse => {
            format!("`{shown}` could not be found: the value there is null or false")
        }
        Missing::Key { known: 0 } => {
            format!("`{shown}` could not be found: there is no top-level key `{first}`")
        }
        Missing::Key { known } => format!(
            "`{shown}` could not be found: `{}` has no key `{}`",
            path[..known].join("."),
            path.get(known).map(String::as_str).unwrap_or("")
        ),
    };
    let mut d = Diagnostic::at(RULE, at, message)
        .label("not found")
        .job(job)
        .subject(format!("reference:{}", path.join(",")));
    if missing == Missing::Unverifiable {
        // Not provably wrong: the target may be in what could not be read.
        d.severity = Severity::Info;
    }
    match suggestion {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None => {
            d.help("point the `!reference` at an existing key path, such as `[.template, script]`")
        }
    }
}
