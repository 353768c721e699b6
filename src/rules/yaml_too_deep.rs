//! `yaml-too-deep`: GitLab's `max_yaml_depth` (100 by default), counted with aliases expanded.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "yaml-too-deep",
    severity: Severity::Error,
    category: Category::Yaml,
    summary: "Mappings and lists nested deeper than GitLab's limit of 100 levels.",
    page: include_str!("../../rules/yaml-too-deep.md"),
});

/// The parser itself gave up: the nesting exceeds its recursion limit.
pub fn parser_limit(file: FileId, at: u32) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        Span::empty(at),
        "GitLab refuses this file: the YAML is nested too deeply",
    )
    .help("flatten the structure; GitLab allows at most 100 levels of nesting")
    .subject("syntax")
}

/// Nesting deeper than `limit` at `span`; `alias`: an alias makes it so (and `anchor` is the
/// anchor it repeats, when that is elsewhere).
pub fn too_deep(
    file: FileId,
    span: Span,
    limit: u32,
    alias: bool,
    anchor: Option<Span>,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        RULE,
        file,
        span,
        format!(
            "GitLab refuses this file: it nests deeper than {limit} levels (\"The parsed YAML is too big\")"
        ),
    )
    .label(if alias {
        "this alias makes it too deep".to_string()
    } else {
        format!("level {}", limit + 1)
    })
    .help("flatten the structure; every mapping and list on the way counts as a level")
    .subject("depth");
    if let Some(a) = anchor {
        d = d.with_label(file, a, "the anchor it repeats");
    }
    d
}
