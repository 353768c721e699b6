//! `invalid-include`: a local include GitLab cannot use (`Config::External::File::Local`,
//! `Mapper::Normalizer`, `Mapper::Matcher`): it rejects the whole pipeline.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::source::{FileId, Span};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-include",
    severity: Severity::Error,
    category: Category::Include,
    summary: "A local include that GitLab cannot use, such as a missing, empty or non-YAML file.",
    page: include_str!("../../rules/invalid-include.md"),
});

/// Why an include entry brings nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The entry is neither a string nor a mapping.
    NotAnEntry,
    /// A mapping with none of `local`, `project`, `remote`, `template`, `component`.
    NoFile,
    /// `kind:` with a value that is not a string.
    NotString {
        kind: String,
    },
    /// A mapping naming several kinds of file.
    SeveralKinds(Vec<String>),
    /// An empty path.
    EmptyPath,
    /// The chain of files (relative paths) that leads back to the first.
    Cycle(Vec<String>),
    /// A wildcard that matches no file.
    NoMatch {
        raw: String,
    },
    NotYaml {
        raw: String,
    },
    Outside {
        raw: String,
    },
    Missing {
        raw: String,
    },
    LinkOutside {
        raw: String,
    },
    NotAFile {
        raw: String,
    },
    Empty {
        raw: String,
    },
    Unreadable {
        raw: String,
        error: String,
    },
}

impl Problem {
    /// What is wrong, in a sentence.
    pub fn message(&self) -> String {
        match self {
            Problem::NotAnEntry => "each include must be a mapping (`local: path`) or a string".into(),
            Problem::NoFile => "this include has no file to include: use one of `local`, `project`, `remote`, `template`, `component`".into(),
            Problem::NotString { kind } => format!("`{kind}:` must be a string"),
            Problem::SeveralKinds(kinds) => format!(
                "an include may use only one of `local`, `project`, `remote`, `template`, `artifact`, `component` (this one has {})",
                kinds.join(", ")
            ),
            Problem::EmptyPath => "the include path is empty".into(),
            Problem::Cycle(chain) => format!(
                "include cycle: {}. GitLab expands it again and again until the {}-file limit and rejects the pipeline",
                chain.join(" → "),
                super::too_many_includes::LIMIT
            ),
            Problem::NoMatch { raw } => format!(
                "the wildcard include `{raw}` matches no file (`*` stays within one directory, `**` crosses directories)"
            ),
            Problem::NotYaml { raw } => {
                format!("included file `{raw}` does not have a .yml or .yaml extension")
            }
            Problem::Outside { raw } => format!("included file `{raw}` is outside the project"),
            Problem::Missing { raw } => format!("included file `{raw}` does not exist"),
            Problem::LinkOutside { raw } => {
                format!("included file `{raw}` is a link to a file outside the project")
            }
            Problem::NotAFile { raw } => format!("included file `{raw}` is not a file"),
            Problem::Empty { raw } => format!("included file `{raw}` is empty"),
            Problem::Unreadable { raw, error } => {
                format!("included file `{raw}` cannot be read: {error}")
            }
        }
    }

    /// The path or pattern the include names, as written, when the problem is about what it
    /// names (a missing file, a pattern matching nothing...); `None` for a malformed entry or
    /// a cycle.
    pub fn target(&self) -> Option<&str> {
        match self {
            Problem::NoMatch { raw }
            | Problem::NotYaml { raw }
            | Problem::Outside { raw }
            | Problem::Missing { raw }
            | Problem::LinkOutside { raw }
            | Problem::NotAFile { raw }
            | Problem::Empty { raw }
            | Problem::Unreadable { raw, .. } => Some(raw),
            Problem::NotAnEntry
            | Problem::NoFile
            | Problem::NotString { .. }
            | Problem::SeveralKinds(_)
            | Problem::EmptyPath
            | Problem::Cycle(_) => None,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Problem::NotAnEntry
            | Problem::NoFile
            | Problem::NotString { .. }
            | Problem::SeveralKinds(_)
            | Problem::EmptyPath => "invalid include entry",
            Problem::Cycle(_) => "includes a file that includes this one",
            Problem::NoMatch { .. } => "matches nothing",
            Problem::NotYaml { .. } => "not a YAML file name",
            Problem::Outside { .. } | Problem::LinkOutside { .. } => "leaves the project directory",
            Problem::Missing { .. } => "file not found",
            Problem::NotAFile { .. } => "not a file",
            Problem::Empty { .. } => "empty file",
            Problem::Unreadable { .. } => "unreadable",
        }
    }
}

/// The include at `span` brings nothing, because of `problem`.
pub fn invalid(file: FileId, span: Span, problem: &Problem) -> Diagnostic {
    let message = problem.message();
    Diagnostic::new(RULE, file, span, message.clone())
        .label(problem.label())
        .help("fix the path or remove the include; GitLab rejects the whole pipeline otherwise")
        .subject(format!("include:{message}"))
}
