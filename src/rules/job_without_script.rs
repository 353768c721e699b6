//! `job-without-script`: a visible job without `script`, `run` or `trigger` ("config should
//! implement the script:, run:, or trigger: keyword"); often a misspelt keyword read as a job.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::Loc;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "job-without-script",
    severity: Severity::Error,
    category: Category::Job,
    summary: "A visible job without script, run or trigger, often a misspelt keyword read as a job.",
    page: include_str!("../../rules/job-without-script.md"),
});

/// The top-level key `name` at `at` is read as a job; `keyword` is a keyword it looks like.
pub fn no_script(at: Loc, name: &str, keyword: Option<&str>) -> Diagnostic {
    let d = Diagnostic::at(
        RULE,
        at,
        format!("`{name}` is read as a job, but it has no `script`, `run` or `trigger` (\"config should implement the script:, run:, or trigger: keyword\")"),
    )
    .label("read as a job")
    .job(name)
    .subject("job");
    match keyword {
        _ if name == "spec" => {
            d.help("a `spec:` header must be its own YAML document: put a line `---` after it")
        }
        Some(k) => d.help(format!(
            "did you mean the keyword `{k}:`? An unknown top-level key is taken for a job"
        )),
        None => d.help(
            "add a `script:`, or start the name with a dot (`.name:`) to make it a hidden template",
        ),
    }
}
