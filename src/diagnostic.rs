//! The one finding type every stage produces and every reporter consumes, and the identity of
//! the rule behind it.
//!
//! Every rule is declared once, in its own file under `src/rules/`, as a [`RuleId`] constant
//! carrying its name, default severity, category and summary. A finding is made from that
//! identifier ([`Diagnostic::new`] takes the severity from it): no stage writes a rule name or
//! chooses a severity itself.

use crate::source::{FileId, Loc, Span};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    /// The severity named `s` (`error`, `warning`, `info`).
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "error" => Some(Severity::Error),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

/// What part of the configuration a rule is about (the rule pages group by it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Yaml,
    Include,
    Extends,
    Reference,
    Default,
    Job,
    Parallel,
    Cache,
    Suppression,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Yaml => "yaml",
            Category::Include => "include",
            Category::Extends => "extends",
            Category::Reference => "reference",
            Category::Default => "default",
            Category::Job => "job",
            Category::Parallel => "parallel",
            Category::Cache => "cache",
            Category::Suppression => "suppression",
        }
    }
}

/// A rule's declaration: what `cachelint rules`, SARIF, Code Quality, suppression comments and
/// `cachelint.toml` know about it.
#[derive(Debug)]
pub struct RuleDecl {
    /// The stable kebab-case name.
    pub name: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One sentence: what the rule finds.
    pub summary: &'static str,
    /// Its documentation page (`rules/<name>.md`, compiled in).
    pub page: &'static str,
}

/// The identity of a rule: a handle on its declaration. Two ids are equal when they name the
/// same rule.
#[derive(Clone, Copy)]
pub struct RuleId(&'static RuleDecl);

impl RuleId {
    /// Declares a rule (see any file under `src/rules/`).
    pub const fn declare(decl: &'static RuleDecl) -> RuleId {
        RuleId(decl)
    }
    pub fn name(self) -> &'static str {
        self.0.name
    }
    /// The severity of its findings unless `cachelint.toml` says otherwise.
    pub fn severity(self) -> Severity {
        self.0.severity
    }
    pub fn category(self) -> Category {
        self.0.category
    }
    pub fn summary(self) -> &'static str {
        self.0.summary
    }
    /// The documentation page as written (Markdown with front matter).
    pub fn page(self) -> &'static str {
        self.0.page
    }
}

impl PartialEq for RuleId {
    fn eq(&self, other: &RuleId) -> bool {
        self.0.name == other.0.name
    }
}
impl Eq for RuleId {}
impl std::hash::Hash for RuleId {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.name.hash(h)
    }
}
impl PartialOrd for RuleId {
    fn partial_cmp(&self, other: &RuleId) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for RuleId {
    fn cmp(&self, other: &RuleId) -> std::cmp::Ordering {
        self.0.name.cmp(other.0.name)
    }
}
impl std::fmt::Debug for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}
impl std::fmt::Display for RuleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name)
    }
}
impl Serialize for RuleId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name)
    }
}

/// One step that brought a value to where a finding sees it, as data; the reporters put it in
/// words ("merged by `<<: *defaults`", "inherited by `test` from `extends: .base`").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// Used through a YAML alias (`*name`).
    Alias,
    /// Merged into a mapping by `<<:`; `alias` names the merged anchor when it was an alias.
    Merge { alias: Option<String> },
    /// Inherited by `child` from `parent` through `extends:`.
    Extends { child: String, parent: String },
    /// Brought by `!reference [path]` (`path` joined with ", ").
    Reference { path: String },
    /// Taken from `default:` (or the deprecated top-level keyword) for `keyword`.
    Default {
        keyword: &'static str,
        top_level: bool,
    },
    /// Interpolated from the input `name`: the value given in an include's `inputs:`, or the
    /// spec's default (`default`).
    Input { name: String, default: bool },
}

/// A secondary position that explains the finding ("first defined here", "merged from here").
/// Its text is `text` followed by the steps in `via`, each in words, joined by ", ".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub text: String,
    pub via: Vec<Via>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: RuleId,
    pub severity: Severity,
    pub message: String,
    /// Where the user must change something.
    pub file: FileId,
    pub span: Span,
    /// The text under the primary span, as a short label ("duplicate key", "file not found").
    pub label: Option<String>,
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
    /// The job the finding is about, if any (part of the fingerprint).
    pub job: Option<String>,
    /// What the finding is about within the file and job (a key path, an include path...):
    /// part of the fingerprint, so it must not contain line numbers.
    pub subject: String,
    /// A change that certainly fixes it, when there is one (editors offer it as a quick fix).
    pub fix: Option<Fix>,
}

/// A certain fix: text replacements, applied together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What it does, as an editor shows it ("Use `$CI_COMMIT_REF_SLUG`").
    pub title: String,
    pub edits: Vec<Edit>,
}

/// Replace `span` of `file` by `text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub file: FileId,
    pub span: Span,
    pub text: String,
}

impl Diagnostic {
    /// A finding of `rule` at its default severity.
    pub fn new(rule: RuleId, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            rule,
            severity: rule.severity(),
            message: message.into(),
            file,
            span,
            label: None,
            labels: Vec::new(),
            help: None,
            job: None,
            subject: String::new(),
            fix: None,
        }
    }
    /// The same at a position.
    pub fn at(rule: RuleId, loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(rule, loc.file, loc.span, message)
    }
    pub fn label(mut self, text: impl Into<String>) -> Self {
        self.label = Some(text.into());
        self
    }
    pub fn with_label(mut self, file: FileId, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            file,
            span,
            text: text.into(),
            via: Vec::new(),
        });
        self
    }
    pub fn help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(text.into());
        self
    }
    pub fn subject(mut self, text: impl Into<String>) -> Self {
        self.subject = text.into();
        self
    }
    pub fn job(mut self, name: impl Into<String>) -> Self {
        self.job = Some(name.into());
        self
    }
    pub fn fix(mut self, fix: Option<Fix>) -> Self {
        self.fix = fix;
        self
    }
    /// This finding at another severity than its rule's default, for a case the rule itself
    /// knows to be milder (`cachelint.toml` still sets every finding of the rule).
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}
