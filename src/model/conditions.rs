//! When a job runs: its `rules:` (or `only:`/`except:`) and `when:` evaluated in the kinds of
//! pipeline a project runs, with three-valued logic. GitLab decides at pipeline creation
//! (`Gitlab::Ci::Build::Rules`, `Gitlab::Ci::Build::Policy::Refs`), with the pipeline's
//! variables; cachelint knows some of them per kind of pipeline (`CI_PIPELINE_SOURCE`,
//! `CI_COMMIT_BRANCH`, `CI_COMMIT_TAG`, `CI_MERGE_REQUEST_IID`, ...) and the ones the
//! configuration defines, and treats every other value as unknown. An answer is certain only
//! when it holds for every value of the unknowns.
//!
//! Expressions follow `Gitlab::Ci::Pipeline::Expression`: variables (`$NAME`, `${NAME}`),
//! strings in single or double quotes, `/regexp/` with optional flags, `null`, `==`, `!=`,
//! `=~`, `!~`, `&&` (binds tighter), `||` and parentheses. A variable alone is true when it is
//! defined and not empty.

use super::variables::Lookup;
use super::{Job, Origin, RefFilter, RunRule, Text, Valued};

/// The kinds of pipeline cachelint reasons about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A push to the default branch (protected on almost every project).
    DefaultBranch,
    /// A push to another branch (not protected, as a rule).
    Branch,
    /// A merge request pipeline (never protected: `Ci::Pipeline#protected_ref?` of
    /// `refs/merge-requests/...`).
    MergeRequest,
    /// A tag pipeline.
    Tag,
    /// A scheduled pipeline.
    Schedule,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::DefaultBranch,
        Kind::Branch,
        Kind::MergeRequest,
        Kind::Tag,
        Kind::Schedule,
    ];

    /// In words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::DefaultBranch => "pipelines of the default branch",
            Kind::Branch => "branch pipelines",
            Kind::MergeRequest => "merge request pipelines",
            Kind::Tag => "tag pipelines",
            Kind::Schedule => "scheduled pipelines",
        }
    }

    /// Whether caches written in this kind of pipeline get `-protected` (`Some(true)`),
    /// `-non_protected` (`Some(false)`), or it depends on the project's settings (`None`).
    pub fn protected(self) -> Option<bool> {
        match self {
            Kind::DefaultBranch => Some(true),
            Kind::Branch | Kind::MergeRequest => Some(false),
            Kind::Tag | Kind::Schedule => None,
        }
    }
}

/// Whether a job runs in a kind of pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Runs {
    /// It is never created there.
    Never,
    /// It may or may not run there, for this reason.
    Maybe(Why),
    /// It is created there and starts without anyone's action (if earlier stages pass).
    Always,
}

/// Why a job may not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// `when: manual`: someone has to start it.
    Manual(Origin),
    /// `rules:changes` / `only:changes`: only when some files changed.
    Changes(Origin),
    /// `rules:exists`: only when some files exist.
    Exists(Origin),
    /// A condition on values cachelint does not know (`if:`, `only:variables`, a ref name),
    /// or `when: on_failure`.
    Condition(Origin),
}

impl Why {
    pub fn origin(&self) -> Origin {
        match self {
            Why::Manual(o) | Why::Changes(o) | Why::Exists(o) | Why::Condition(o) => *o,
        }
    }

    /// In words, after a job's name: "is `when: manual`".
    pub fn describe(&self) -> &'static str {
        match self {
            Why::Manual(_) => "is `when: manual`",
            Why::Changes(_) => "runs only when some files changed (`changes:`)",
            Why::Exists(_) => "runs only when some files exist (`exists:`)",
            Why::Condition(_) => "runs only under a condition cachelint cannot decide",
        }
    }
}

/// Whether `job` runs in pipelines of `kind` when `workflow` lets the pipeline exist.
/// `vars` are the job's variables (with the declared ones).
pub fn runs(job: &Job, kind: Kind, vars: &dyn Lookup) -> Runs {
    let run = &job.run;
    let job_when = run.when.as_ref();
    if let Some(rules) = &run.rules {
        return by_rules(rules, job_when, kind, vars);
    }
    // `only`/`except`: the default is `only: [branches, tags]`; neither works in merge
    // request pipelines unless `merge_requests` is named.
    let only = match &run.only {
        Some(f) => filter(f, kind, vars),
        None => match kind {
            Kind::MergeRequest => Tri::False,
            _ => Tri::True,
        },
    };
    let except = match &run.except {
        Some(f) => filter(f, kind, vars),
        None => Tri::False,
    };
    let origin_of = |f: &Option<RefFilter>| f.as_ref().map(|f| f.origin);
    let allowed = only.and(except.not());
    match allowed {
        Tri::False => Runs::Never,
        Tri::Unknown => {
            let o = origin_of(&run.only)
                .or(origin_of(&run.except))
                .unwrap_or(job.key_origin());
            let changes = run.only.as_ref().is_some_and(|f| f.changes)
                || run.except.as_ref().is_some_and(|f| f.changes);
            Runs::Maybe(if changes {
                Why::Changes(o)
            } else {
                Why::Condition(o)
            })
        }
        Tri::True => by_when(job_when, job.key_origin()),
    }
}

/// Whether a pipeline of `kind` is created at all under `workflow:rules` (in which `when:`
/// is `always` or `never`, and no match means no pipeline).
pub fn pipeline_runs(workflow: Option<&[RunRule]>, kind: Kind, vars: &dyn Lookup) -> Runs {
    match workflow {
        None => Runs::Always,
        Some(rules) => by_rules(rules, None, kind, vars),
    }
}

fn by_when(when: Option<&Valued<Text>>, fallback: Origin) -> Runs {
    match when.map(|w| w.value.text.as_str()) {
        Some("never") => Runs::Never,
        Some("manual") => Runs::Maybe(Why::Manual(when.map_or(fallback, |w| w.origin))),
        Some("on_failure") => Runs::Maybe(Why::Condition(when.map_or(fallback, |w| w.origin))),
        _ => Runs::Always,
    }
}

fn by_rules(
    rules: &[RunRule],
    job_when: Option<&Valued<Text>>,
    kind: Kind,
    vars: &dyn Lookup,
) -> Runs {
    // The first reason the job may or may not be created, once a rule was uncertain.
    let mut uncertain: Option<Why> = None;
    // Whether an uncertain rule would create the job.
    let mut may_run = false;
    for rule in rules {
        let matched = match &rule.condition {
            Some(c) => evaluate(&c.value, kind, vars),
            None => Tri::True,
        };
        if matched == Tri::False {
            continue;
        }
        let when = rule.when.as_ref().or(job_when);
        let outcome = by_when(when, rule.origin);
        let why = if rule.changes {
            Some(Why::Changes(rule.origin))
        } else if rule.exists {
            Some(Why::Exists(rule.origin))
        } else if matched == Tri::Unknown {
            Some(Why::Condition(
                rule.condition.as_ref().map_or(rule.origin, |c| c.origin),
            ))
        } else {
            None
        };
        match why {
            None => {
                // This rule certainly matches: it decides, unless an earlier one may have.
                return match (uncertain, outcome) {
                    (None, o) => o,
                    (Some(_), Runs::Never) if !may_run => Runs::Never,
                    (Some(w), _) => Runs::Maybe(w),
                };
            }
            Some(w) => {
                if outcome != Runs::Never {
                    may_run = true;
                }
                uncertain.get_or_insert(w);
            }
        }
    }
    match uncertain {
        Some(w) if may_run => Runs::Maybe(w),
        _ => Runs::Never,
    }
}

/// `only:`/`except:` in a kind of pipeline: true when it matches.
fn filter(f: &RefFilter, kind: Kind, vars: &dyn Lookup) -> Tri {
    let mut result = if f.refs.is_empty() {
        Tri::True
    } else {
        f.refs
            .iter()
            .map(|r| ref_matches(r, kind))
            .fold(Tri::False, Tri::or)
    };
    if !f.variables.is_empty() {
        let any = f
            .variables
            .iter()
            .map(|e| evaluate(e, kind, vars))
            .fold(Tri::False, Tri::or);
        result = result.and(any);
    }
    if f.changes || f.kubernetes {
        result = result.and(Tri::Unknown);
    }
    result
}

/// One `only:`/`except:` ref (`Gitlab::Ci::Build::Policy::Refs`).
fn ref_matches(r: &str, kind: Kind) -> Tri {
    let branch = matches!(kind, Kind::DefaultBranch | Kind::Branch | Kind::Schedule);
    let tri = Tri::from;
    match r {
        "branches" => tri(branch),
        "tags" => tri(kind == Kind::Tag),
        "merge_requests" => tri(kind == Kind::MergeRequest),
        "pushes" => tri(matches!(
            kind,
            Kind::DefaultBranch | Kind::Branch | Kind::Tag
        )),
        "schedules" => tri(kind == Kind::Schedule),
        "api"
        | "external"
        | "pipelines"
        | "triggers"
        | "web"
        | "chat"
        | "chats"
        | "external_pull_requests" => Tri::False,
        // A ref name or a pattern: it may name the branch or tag of the pipeline.
        _ => {
            if kind == Kind::MergeRequest {
                Tri::False
            } else {
                Tri::Unknown
            }
        }
    }
}

/// Three-valued truth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tri {
    False,
    Unknown,
    True,
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b { Tri::True } else { Tri::False }
    }
}

impl Tri {
    fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, Tri::True) => Tri::True,
            _ => Tri::Unknown,
        }
    }
    fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, Tri::False) => Tri::False,
            _ => Tri::Unknown,
        }
    }
    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Unknown => Tri::Unknown,
        }
    }
}

/// A value in an expression.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Str(String),
    Null,
    /// The default branch's name (unknown, but equal to itself).
    DefaultBranch,
    /// Some branch other than the default one.
    OtherBranch,
    /// A non-empty string cachelint does not know.
    Set,
    /// Anything, null included.
    Unknown,
    Regex(String, String),
}

impl Val {
    fn truthy(&self) -> Tri {
        match self {
            Val::Str(s) => Tri::from(!s.is_empty()),
            Val::Null => Tri::False,
            Val::DefaultBranch | Val::OtherBranch | Val::Set | Val::Regex(..) => Tri::True,
            Val::Unknown => Tri::Unknown,
        }
    }

    fn equals(&self, o: &Val) -> Tri {
        use Val::*;
        match (self, o) {
            (Unknown, _) | (_, Unknown) => Tri::Unknown,
            (Str(a), Str(b)) => Tri::from(a == b),
            (Null, Null) => Tri::True,
            (Null, _) | (_, Null) => Tri::False,
            (DefaultBranch, DefaultBranch) => Tri::True,
            (DefaultBranch, OtherBranch) | (OtherBranch, DefaultBranch) => Tri::False,
            (Str(s), Set | DefaultBranch | OtherBranch)
            | (Set | DefaultBranch | OtherBranch, Str(s))
                if s.is_empty() =>
            {
                Tri::False
            }
            _ => Tri::Unknown,
        }
    }

    fn matches(&self, o: &Val) -> Tri {
        let Val::Regex(pattern, flags) = o else {
            return Tri::Unknown;
        };
        match self {
            Val::Null => Tri::False,
            Val::Str(s) => {
                let re = if flags.contains('i') {
                    format!("(?i){pattern}")
                } else {
                    pattern.clone()
                };
                match compiled(&re) {
                    Some(r) => Tri::from(r.is_match(s)),
                    None => Tri::Unknown,
                }
            }
            _ => Tri::Unknown,
        }
    }
}

/// A regular expression of the configuration, compiled once per check thread (the same
/// `rules:` are evaluated for every job and kind of pipeline).
fn compiled(pattern: &str) -> Option<regex::Regex> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Option<regex::Regex>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 4096 {
            c.clear();
        }
        c.entry(pattern.to_string())
            .or_insert_with(|| {
                regex::RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                    .ok()
            })
            .clone()
    })
}

/// The value of a variable in a kind of pipeline.
fn variable(name: &str, kind: Kind, vars: &dyn Lookup) -> Val {
    let mr = kind == Kind::MergeRequest;
    let known = match name {
        "CI_PIPELINE_SOURCE" => Some(Val::Str(
            match kind {
                Kind::MergeRequest => "merge_request_event",
                Kind::Schedule => "schedule",
                _ => "push",
            }
            .into(),
        )),
        "CI_DEFAULT_BRANCH" => Some(Val::DefaultBranch),
        "CI_COMMIT_BRANCH" => Some(match kind {
            Kind::DefaultBranch => Val::DefaultBranch,
            Kind::Branch => Val::OtherBranch,
            Kind::Schedule => Val::Set,
            Kind::MergeRequest | Kind::Tag => Val::Null,
        }),
        "CI_COMMIT_REF_NAME" | "CI_COMMIT_REF_SLUG" => Some(match kind {
            Kind::DefaultBranch if name == "CI_COMMIT_REF_NAME" => Val::DefaultBranch,
            Kind::Branch if name == "CI_COMMIT_REF_NAME" => Val::OtherBranch,
            _ => Val::Set,
        }),
        "CI_COMMIT_TAG" | "CI_COMMIT_TAG_MESSAGE" => Some(if kind == Kind::Tag {
            if name == "CI_COMMIT_TAG" {
                Val::Set
            } else {
                Val::Unknown
            }
        } else {
            Val::Null
        }),
        "CI_OPEN_MERGE_REQUESTS" if mr => Some(Val::Set),
        _ if name.starts_with("CI_MERGE_REQUEST_") => Some(if mr {
            match name {
                "CI_MERGE_REQUEST_IID"
                | "CI_MERGE_REQUEST_ID"
                | "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"
                | "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"
                | "CI_MERGE_REQUEST_PROJECT_PATH" => Val::Set,
                _ => Val::Unknown,
            }
        } else {
            Val::Null
        }),
        _ => None,
    };
    if let Some(v) = known {
        return v;
    }
    match vars.var(name) {
        // A value the configuration writes, when it does not depend on other variables.
        Some((value, expand)) if !expand || !value.contains('$') => Val::Str(value.to_string()),
        _ => Val::Unknown,
    }
}

/// Evaluates an `if:` expression; unknown when it cannot be parsed.
pub fn evaluate(expr: &str, kind: Kind, vars: &dyn Lookup) -> Tri {
    let Some(tokens) = lex(expr) else {
        return Tri::Unknown;
    };
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        kind,
        vars,
        depth: 0,
    };
    match p.or() {
        Some(t) if p.pos == tokens.len() => t,
        _ => Tri::Unknown,
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Var(String),
    Str(String),
    Regex(String, String),
    Null,
    Eq,
    Ne,
    Match,
    NoMatch,
    And,
    Or,
    Open,
    Close,
}

fn lex(s: &str) -> Option<Vec<Token>> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let two = s.get(i..i + 2).unwrap_or("");
        match (c, two) {
            (_, "==") => {
                out.push(Token::Eq);
                i += 2;
            }
            (_, "!=") => {
                out.push(Token::Ne);
                i += 2;
            }
            (_, "=~") => {
                out.push(Token::Match);
                i += 2;
            }
            (_, "!~") => {
                out.push(Token::NoMatch);
                i += 2;
            }
            (_, "&&") => {
                out.push(Token::And);
                i += 2;
            }
            (_, "||") => {
                out.push(Token::Or);
                i += 2;
            }
            (b'(', _) => {
                out.push(Token::Open);
                i += 1;
            }
            (b')', _) => {
                out.push(Token::Close);
                i += 1;
            }
            (b'$', _) => {
                let braced = b.get(i + 1) == Some(&b'{');
                let start = i + 1 + usize::from(braced);
                let mut j = start;
                while j < b.len() && word(b[j]) {
                    j += 1;
                }
                if j == start {
                    return None;
                }
                out.push(Token::Var(s[start..j].to_string()));
                if braced {
                    if b.get(j) != Some(&b'}') {
                        return None;
                    }
                    j += 1;
                }
                i = j;
            }
            (b'"' | b'\'', _) => {
                let end = s[i + 1..].find(c as char)? + i + 1;
                out.push(Token::Str(s[i + 1..end].to_string()));
                i = end + 1;
            }
            (b'/', _) => {
                // Up to the next unescaped `/`, then flags.
                let mut j = i + 1;
                let mut escaped = false;
                while j < b.len() && (escaped || b[j] != b'/') {
                    escaped = !escaped && b[j] == b'\\';
                    j += 1;
                }
                if j >= b.len() {
                    return None;
                }
                let pattern = s[i + 1..j].to_string();
                let mut k = j + 1;
                while k < b.len() && b[k].is_ascii_alphabetic() {
                    k += 1;
                }
                out.push(Token::Regex(pattern, s[j + 1..k].to_string()));
                i = k;
            }
            _ if s[i..].starts_with("null") && !b.get(i + 4).is_some_and(|&c| word(c)) => {
                out.push(Token::Null);
                i += 4;
            }
            _ => return None,
        }
    }
    Some(out)
}

struct Parser<'t, 'v> {
    tokens: &'t [Token],
    pos: usize,
    kind: Kind,
    vars: &'v dyn Lookup,
    depth: u32,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn or(&mut self) -> Option<Tri> {
        let mut t = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            t = t.or(self.and()?);
        }
        Some(t)
    }

    fn and(&mut self) -> Option<Tri> {
        let mut t = self.comparison()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            t = t.and(self.comparison()?);
        }
        Some(t)
    }

    fn comparison(&mut self) -> Option<Tri> {
        if self.peek() == Some(&Token::Open) {
            self.depth += 1;
            if self.depth > 64 {
                return None;
            }
            self.pos += 1;
            let t = self.or()?;
            if self.peek() != Some(&Token::Close) {
                return None;
            }
            self.pos += 1;
            self.depth -= 1;
            return Some(t);
        }
        let left = self.value()?;
        let op = match self.peek() {
            Some(t @ (Token::Eq | Token::Ne | Token::Match | Token::NoMatch)) => t.clone(),
            _ => return Some(left.truthy()),
        };
        self.pos += 1;
        let right = self.value()?;
        Some(match op {
            Token::Eq => left.equals(&right),
            Token::Ne => left.equals(&right).not(),
            Token::Match => left.matches(&right),
            _ => left.matches(&right).not(),
        })
    }

    fn value(&mut self) -> Option<Val> {
        let t = self.peek()?.clone();
        self.pos += 1;
        Some(match t {
            Token::Var(name) => variable(&name, self.kind, self.vars),
            Token::Str(s) => Val::Str(s),
            Token::Regex(p, f) => Val::Regex(p, f),
            Token::Null => Val::Null,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoVars;
    impl Lookup for NoVars {
        fn var(&self, _: &str) -> Option<(&str, bool)> {
            None
        }
    }

    fn eval(e: &str, kind: Kind) -> Tri {
        evaluate(e, kind, &NoVars)
    }

    #[test]
    fn common_conditions() {
        use Kind::*;
        let mr = r#"$CI_PIPELINE_SOURCE == "merge_request_event""#;
        assert_eq!(eval(mr, MergeRequest), Tri::True);
        assert_eq!(eval(mr, Branch), Tri::False);
        let default = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH";
        assert_eq!(eval(default, DefaultBranch), Tri::True);
        assert_eq!(eval(default, Branch), Tri::False);
        assert_eq!(eval(default, MergeRequest), Tri::False);
        assert_eq!(eval(default, Schedule), Tri::Unknown);
        assert_eq!(eval("$CI_COMMIT_TAG", Tag), Tri::True);
        assert_eq!(eval("$CI_COMMIT_TAG", DefaultBranch), Tri::False);
        assert_eq!(eval("$CI_MERGE_REQUEST_IID", MergeRequest), Tri::True);
        assert_eq!(
            eval("$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", Branch),
            Tri::Unknown
        );
        assert_eq!(
            eval(r#"$CI_COMMIT_BRANCH == "main" || $CI_COMMIT_TAG"#, Tag),
            Tri::True
        );
        assert_eq!(eval(r#"$CI_COMMIT_BRANCH == "main""#, Branch), Tri::Unknown);
        assert_eq!(
            eval(r#"$CI_PIPELINE_SOURCE =~ /^(push|web)$/"#, Branch),
            Tri::True
        );
        assert_eq!(eval(r#"$CI_COMMIT_TAG =~ /^v\d+/"#, Branch), Tri::False);
        assert_eq!(
            eval("($CI_COMMIT_TAG || $CI_MERGE_REQUEST_IID)", Branch),
            Tri::False
        );
        assert_eq!(eval("$UNKNOWN == 'x'", Branch), Tri::Unknown);
        assert_eq!(eval("$CI_COMMIT_TAG == null", Branch), Tri::True);
        assert_eq!(eval("this is not an expression", Branch), Tri::Unknown);
        assert_eq!(eval(&"(".repeat(1000), Branch), Tri::Unknown);
    }
}
