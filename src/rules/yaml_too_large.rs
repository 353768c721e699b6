//! `yaml-too-large`: GitLab's `max_yaml_size_bytes`, checked on the file as written and on the
//! memory the loaded value takes once aliases are expanded (an alias bomb).

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "yaml-too-large",
    severity: Severity::Error,
    category: Category::Yaml,
    summary: "A file over GitLab's YAML size limit, as written or once its aliases are expanded.",
    page: include_str!("../../rules/yaml-too-large.md"),
});

/// The file itself is `len` bytes, over `limit`.
pub fn raw(file: FileId, at: u32, len: usize, limit: u64) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        Span::empty(at),
        format!(
            "GitLab refuses this file: it is {len} bytes, over the {limit} byte limit (\"The provided YAML is too big\")"
        ),
    )
    .help("split the configuration into several files joined with `include:`")
    .subject("raw-size")
}

/// The file is `len` bytes, so far over `limit` that it is not read at all.
pub fn unread(file: FileId, len: u64, limit: u64) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        Span::empty(0),
        format!(
            "GitLab refuses this file: it is {len} bytes, over the {limit} byte limit (\"The provided YAML is too big\"); cachelint does not read it either"
        ),
    )
    .help("split the configuration into several files joined with `include:`")
    .subject("raw-size")
}

/// Loaded, the value takes `size` bytes (`None`: unbounded), over `limit`. `bomb`: aliases make
/// it so, and `span` is the alias that expands to the most.
pub fn parsed(
    file: FileId,
    span: Span,
    size: Option<u64>,
    limit: u64,
    bomb: bool,
    at_alias: bool,
) -> Diagnostic {
    let shown = match size {
        None => "an unbounded amount of".to_string(),
        Some(n) => format!("at least {n} bytes of"),
    };
    Diagnostic::new(
        RULE,
        file,
        span,
        format!(
            "GitLab refuses this file: loaded, it takes {shown} memory, over the {limit} byte limit (\"The parsed YAML is too big\")"
        ),
    )
    .label(if at_alias { "aliases expand here" } else { "this file" })
    .help(if bomb {
        "aliases expand to a copy of their anchor each time they are used; do not nest aliases of aliases"
    } else {
        "split the configuration into several files joined with `include:`"
    })
    .subject("parsed-size")
}
