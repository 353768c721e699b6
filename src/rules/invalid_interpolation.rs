//! `invalid-interpolation`: a `$[[ ... ]]` block GitLab cannot evaluate
//! (`Interpolation::Block`, `Access`, `FunctionsStack`, `Template`): an input the spec does not
//! declare, an access that is not `inputs.NAME`, a function that does not exist or does not take
//! the value, more than three functions, too many blocks. The file is refused.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};
use crate::util::suggest::did_you_mean;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-interpolation",
    severity: Severity::Error,
    category: Category::Include,
    summary: "A `$[[ ... ]]` block that GitLab cannot evaluate: an undeclared input, an unknown function, a function given the wrong type.",
    page: include_str!("../../rules/invalid-interpolation.md"),
});

/// The functions GitLab has (`FunctionsStack::FUNCTIONS`).
const FUNCTIONS: &[&str] = &["expand_vars", "posix_escape", "split", "truncate"];

/// The block `block` in the scalar at `span` fails with GitLab's `message`. `unknown_input`
/// and `unknown_function` name what was not found, for a suggestion among `declared` inputs.
pub fn invalid(
    file: FileId,
    span: Span,
    block: &str,
    message: &str,
    unknown_input: Option<&str>,
    unknown_function: Option<&str>,
    declared: &[String],
) -> Diagnostic {
    let mut d = Diagnostic::new(
        RULE,
        file,
        span,
        format!("`{block}` cannot be interpolated (GitLab: \"{message}\")"),
    )
    .label("cannot be interpolated")
    .subject(block.to_string());
    if let Some(name) = unknown_input {
        d = match did_you_mean(name, declared.iter().map(String::as_str)) {
            Some(s) => d.help(format!("did you mean `inputs.{s}`?")),
            None if declared.is_empty() => {
                d.help("the header declares no inputs: add this one under `spec: inputs:`")
            }
            None => d.help(format!(
                "declare it under `spec: inputs:`; the header declares: {}",
                declared.join(", ")
            )),
        };
    } else if let Some(f) = unknown_function {
        let name = f.split('(').next().unwrap_or(f).trim();
        d = match did_you_mean(name, FUNCTIONS.iter().copied()) {
            Some(s) if s != name => d.help(format!("did you mean `{s}`?")),
            _ => d.help(
                "GitLab's functions are `expand_vars`, `posix_escape`, `split('sep')` and `truncate(offset, length)`",
            ),
        };
    } else {
        d = d.help("write `$[[ inputs.NAME ]]`, optionally followed by up to three functions: `$[[ inputs.NAME | truncate(0, 8) ]]`");
    }
    d
}

/// Interpolating `block` at `span` would add more than `limit` values or bytes: cachelint's
/// own bound (GitLab bounds the blocks, 10 000, and the nodes, 500 000, but not what values
/// they copy). The rest of the file is left as written.
pub fn too_large(file: FileId, span: Span, block: &str, limit: u64) -> Diagnostic {
    Diagnostic::new(
        RULE,
        file,
        span,
        format!(
            "interpolating `{block}` makes the configuration larger than {limit} values or bytes: cachelint stops interpolating this file here"
        ),
    )
    .label("expands too far")
    .help("an input that is a long list or text, placed many times, multiplies its size; GitLab bounds each file's YAML but not what interpolation copies")
    .subject("too-large")
}
