//! `yaml-syntax`: a file GitLab cannot load at all: not UTF-8, not valid YAML, or a value
//! Psych refuses to build (an alias to a `!reference` list, `<<` of a `!reference`, a number
//! Ruby cannot convert).

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "yaml-syntax",
    severity: Severity::Error,
    category: Category::Yaml,
    summary: "The file is not valid YAML, or not UTF-8, so GitLab cannot load it at all.",
    page: include_str!("../../rules/yaml-syntax.md"),
});

/// The file is not UTF-8; `at` is the first invalid byte.
/// The invalid byte at `at` is U+FFFD (three bytes) in the text the span points into.
pub fn not_utf8(file: FileId, at: u32) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        Span::new(at, at + '\u{FFFD}'.len_utf8() as u32),
        "the file is not valid UTF-8",
    )
    .label("invalid byte")
    .help("save the file as UTF-8")
    .subject("utf-8")
}

/// A character libyaml's reader refuses (`c`, at `at`).
pub fn control_character(file: FileId, at: u32, c: char) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        Span::new(at, at + c.len_utf8() as u32),
        format!(
            "GitLab cannot load this file: it contains the control character U+{:04X}, and YAML allows none but tab and line breaks (Psych: \"control characters are not allowed\")",
            c as u32
        ),
    )
    .label("control character")
    .help("remove the character (most editors do not show it), or write it as an escape (`\\x01`) inside a double-quoted string")
    .subject(format!("control:{:04x}", c as u32))
}

/// The parser's own error (`info`) at `at`.
pub fn invalid(file: FileId, at: u32, info: &str) -> Diagnostic {
    Diagnostic::new(RULE, file, Span::empty(at), format!("invalid YAML: {info}"))
        .help("fix the YAML syntax here; GitLab rejects the whole file otherwise")
        .subject("syntax")
}

/// The parser failed in a way it should not (a bug of ours, kept from becoming a crash).
pub fn internal(file: FileId, at: u32) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        Span::empty(at),
        "the YAML parser failed on this document (an internal error; please report it)",
    )
}

/// An alias to an anchored `!reference` list: Psych never registers it ("Unknown alias").
pub fn alias_to_reference(file: FileId, alias: Span) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        alias,
        "GitLab cannot load this alias: an anchored `!reference` list cannot be reused through an alias (Psych: \"Unknown alias\")",
    )
    .label("alias to a `!reference`")
    .help("write the `!reference [...]` again instead of the alias")
    .subject("reference-alias")
}

/// `<<: !reference [...]`: Psych calls `reverse_each` on the Reference and fails.
pub fn merge_of_reference(file: FileId, value: Span) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        value,
        "GitLab cannot load this: `<<` cannot merge a `!reference` (Ruby raises NoMethodError)",
    )
    .label("`!reference` after `<<`")
    .help("use `extends:` to reuse a job's keys, or a YAML alias (`<<: *anchor`)")
    .subject("merge-reference")
}

/// A plain scalar that looks like a number Ruby cannot convert (`reason`).
pub fn bad_number(file: FileId, span: Span, text: &str, reason: &str) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        format!(
            "GitLab cannot load `{text}`: it looks like a number but is not one (Ruby: {reason})"
        ),
    )
    .label("not a valid number")
    .help(format!("quote the value if it is text: \"{text}\""))
    .subject(format!("number:{text}"))
}
