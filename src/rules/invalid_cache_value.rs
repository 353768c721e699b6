//! `invalid-cache-value`: a cache keyword whose value has the wrong type (`Entry::Cache`:
//! `paths` and `fallback_keys` arrays of strings, `untracked` and `unprotect` booleans, `policy`
//! and `when` strings; gitlab-semantics §7.5–7.8), or a cache that is not a mapping. GitLab
//! rejects the pipeline. A `null` value counts as unset.

use super::context::{Rule, RuleContext, at, first_seen, job_caches};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::{Origin, Shape, Written};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-cache-value",
    severity: Severity::Error,
    category: Category::Cache,
    summary: "A cache keyword whose value has the wrong type (`paths: build/`, `untracked: \"yes\"`), which GitLab refuses.",
    page: include_str!("../../rules/invalid-cache-value.md"),
});

/// What GitLab expects of a cache keyword's value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expected {
    Strings,
    Boolean,
    String,
}

impl Expected {
    fn of(keyword: &str) -> Option<Expected> {
        match keyword {
            "paths" | "fallback_keys" => Some(Expected::Strings),
            "untracked" | "unprotect" => Some(Expected::Boolean),
            "policy" | "when" => Some(Expected::String),
            _ => None,
        }
    }
    fn text(self) -> &'static str {
        match self {
            Expected::Strings => "an array of strings",
            Expected::Boolean => "a boolean value",
            Expected::String => "a string",
        }
    }
    /// GitLab's own words, quoted in the message.
    fn quoted(self) -> &'static str {
        match self {
            Expected::Strings => " (\"should be an array of strings\")",
            Expected::Boolean => " (\"should be a boolean value\")",
            Expected::String => "",
        }
    }
}

fn found(shape: Shape) -> &'static str {
    match shape {
        Shape::List => "a list",
        Shape::Mapping => "a mapping",
        Shape::Str => "a string",
        Shape::Bool => "a boolean",
        Shape::Number => "a number",
        Shape::Symbol | Shape::Null | Shape::Other => "another type",
    }
}

/// The wrong value of a keyword, if it has one: its shape, whether it is an item of the list
/// rather than the whole value, and where it is.
fn wrong(w: &Written, expected: Expected) -> Option<(Shape, bool, Origin)> {
    if w.shape == Shape::Null {
        return None;
    }
    match expected {
        Expected::Strings if w.shape == Shape::List => w
            .items
            .iter()
            .find(|(s, _)| !matches!(s, Shape::Str | Shape::Symbol))
            .map(|(s, o)| (*s, true, *o)),
        Expected::Strings => Some((w.shape, false, w.origin)),
        Expected::Boolean => (w.shape != Shape::Bool).then_some((w.shape, false, w.origin)),
        // Scalars of other types are reported by `invalid-cache-policy`/`-when`.
        Expected::String => {
            matches!(w.shape, Shape::List | Shape::Mapping).then_some((w.shape, false, w.origin))
        }
    }
}

pub struct InvalidCacheValue;

impl Rule for InvalidCacheValue {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        // A value written once (in `default:` or a template) is reported once.
        let mut seen = std::collections::HashSet::new();
        for (_, job, cache) in job_caches(cx) {
            if cache.malformed && first_seen(&mut seen, &cache.origin) {
                out.push(
                    at(
                        cx,
                        RULE,
                        &cache.origin,
                        job,
                        "this cache is not a mapping of cache keywords: GitLab expects `cache:` to be a mapping (`key:`, `paths:`, ...) or a list of mappings, and rejects the pipeline".to_string(),
                    )
                    .label("not a mapping")
                    .help("write the cache as a mapping, e.g. `cache: {key: deps, paths: [vendor/]}`, or remove it")
                    .subject(format!("type:cache:{}", cache.index)),
                );
            }
            for w in &cache.written {
                let Some(expected) = Expected::of(&w.name) else {
                    continue;
                };
                let Some((shape, item, origin)) = wrong(w, expected) else {
                    continue;
                };
                if !first_seen(&mut seen, &origin) {
                    continue;
                }
                let keyword = w.name.as_str();
                let what = if item {
                    format!("an item of `cache:{keyword}` is {}", found(shape))
                } else {
                    format!("`cache:{keyword}` is {}", found(shape))
                };
                let message = format!(
                    "{what}, but GitLab expects {}: it rejects the pipeline{}",
                    expected.text(),
                    expected.quoted()
                );
                let help = match (expected, shape, item) {
                    (Expected::Strings, Shape::Str, false) => format!(
                        "write it as a list, even for one entry: `{keyword}: [...]` or one `- ` line per entry"
                    ),
                    (Expected::Strings, _, true) => format!(
                        "every item of `{keyword}` must be a plain string: quote numbers, and do not nest lists or mappings"
                    ),
                    (Expected::Boolean, Shape::Str, _) => {
                        format!("write `{keyword}: true` or `{keyword}: false`, without quotes")
                    }
                    (Expected::String, _, _) if keyword == "policy" => {
                        "give one policy: `pull`, `push` or `pull-push`".to_string()
                    }
                    (Expected::String, _, _) => {
                        "give one value: `on_success`, `on_failure` or `always`".to_string()
                    }
                    _ => format!("give `{keyword}` {}", expected.text()),
                };
                out.push(
                    at(cx, RULE, &origin, job, message)
                        .label(format!("not {}", expected.text()))
                        .help(help)
                        .subject(format!("type:{keyword}")),
                );
            }
        }
    }
}
