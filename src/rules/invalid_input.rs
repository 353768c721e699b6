//! `invalid-input`: the `inputs:` of an include do not fit the included file's `spec:inputs`
//! (`Interpolation::Inputs`, `Inputs::*Input`): an argument the spec does not declare, inputs
//! given to a file without a header, a required input not given, a value of the wrong type, not
//! among `options`, or not matching `regex`. GitLab refuses the include, so the pipeline.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Loc, Span};
use crate::util::suggest::did_you_mean;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-input",
    severity: Severity::Error,
    category: Category::Include,
    summary: "An include's `inputs:` that the included file's `spec:inputs` refuses: unknown, missing, wrong type, not an option, or not matching the regex.",
    page: include_str!("../../rules/invalid-input.md"),
});

/// `inputs:` gives `name`, which the spec at `spec` does not declare.
pub fn unknown(
    file: FileId,
    span: Span,
    name: &str,
    declared: &[String],
    target: &str,
) -> Diagnostic {
    let mut d = Diagnostic::new(
        RULE,
        file,
        span,
        format!(
            "`{target}` declares no input `{name}` (GitLab: \"unknown input arguments: {name}\")"
        ),
    )
    .label("unknown input")
    .subject(format!("unknown:{name}"));
    d = match did_you_mean(name, declared.iter().map(String::as_str)) {
        Some(s) => d.help(format!("did you mean `{s}`?")),
        None if declared.is_empty() => d.help("the file declares no inputs"),
        None => d.help(format!("the file declares: {}", declared.join(", "))),
    };
    d
}

/// Inputs given to `target`, which has no `spec:` header.
pub fn no_header(file: FileId, span: Span, target: &str) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        format!("`{target}` has no `spec:` header, so it takes no inputs (GitLab: \"unknown input arguments\")"),
    )
    .label("inputs for a file without a header")
    .help("declare the inputs in a header (`spec: inputs: ...` then `---`) or remove `inputs:`")
    .subject("no-header")
}

/// `inputs:` is not a mapping.
pub fn not_a_mapping(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        "`inputs` must be a mapping of input names to values",
    )
    .label("not a mapping")
    .subject("not-a-mapping")
}

/// The required input `name` (declared at `spec`) is not given by the include at `span`.
pub fn missing(file: FileId, span: Span, name: &str, spec: Loc, target: &str) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        format!("`{target}` requires the input `{name}`, which this include does not give (GitLab: \"`{name}` input: required value has not been provided\")"),
    )
    .label("input missing")
    .with_label(spec.file, spec.span, "declared here without a default")
    .help(format!("add `{name}:` under this include's `inputs:`, or give the input a `default:` in the spec"))
    .subject(format!("missing:{name}"))
}

/// The value at `span` of input `name` is a `got` where the spec says `expected`.
pub fn wrong_type(
    file: FileId,
    span: Span,
    name: &str,
    expected: &str,
    got: &str,
    default: bool,
) -> Diagnostic {
    let which = if default { "default" } else { "provided" };
    let article = if expected == "array" { "an" } else { "a" };
    Diagnostic::new(
        RULE,
        file,
        span,
        format!("the {which} value of input `{name}` is a {got}, not {article} {expected} (GitLab: \"`{name}` input: {which} value is not {article} {expected}\")"),
    )
    .label(format!("not {article} {expected}"))
    .help(if expected == "string" {
        "quote the value to make it a string".to_string()
    } else {
        format!("give {article} {expected}, or change the input's `type:`")
    })
    .subject(format!("type:{name}"))
}

/// The value `value` of input `name` is not among its `options`.
pub fn not_an_option(
    file: FileId,
    span: Span,
    name: &str,
    value: &str,
    options: &[String],
) -> Diagnostic {
    let mut d = Diagnostic::new(
        RULE,
        file,
        span,
        format!("`{value}` is not one of the options of input `{name}` (GitLab: \"`{name}` input: `{value}` cannot be used because it is not in the list of allowed options\")"),
    )
    .label("not an option")
    .subject(format!("options:{name}"));
    d = match did_you_mean(value, options.iter().map(String::as_str)) {
        Some(s) => d.help(format!(
            "did you mean `{s}`? the options are: {}",
            options.join(", ")
        )),
        None => d.help(format!("the options are: {}", options.join(", "))),
    };
    d
}

/// The value of input `name` does not match its `regex`.
pub fn no_match(file: FileId, span: Span, name: &str, regex: &str, default: bool) -> Diagnostic {
    let which = if default { "default" } else { "provided" };
    Diagnostic::new(
        RULE,
        file,
        span,
        format!("the {which} value of input `{name}` does not match `{regex}` (GitLab: \"`{name}` input: {which} value does not match required RegEx pattern\")"),
    )
    .label("does not match")
    .help("change the value, or the input's `regex:`")
    .subject(format!("regex:{name}"))
}
