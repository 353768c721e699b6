//! `cache-key-unsafe-variable`: a key built from a variable whose value can contain `/`.
//!
//! Current runners accept such a key and store the cache under nested directories
//! (`cache/cachekey/cachekey.go :: Sanitize` keeps `/`), so this is a convention, not a failure:
//! the finding is `info`. Only the runner releases 18.0.4, 18.1.2 and 18.2.0 refused to restore
//! it (docs/semantics.md, "Cache keys at run time").

use super::context::{Rule, RuleContext, at, job_caches};
use crate::diagnostic::{Category, Diagnostic, Edit, Fix, RuleDecl, RuleId, Severity};
use crate::model::CacheKey;
use crate::source::Span;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-key-unsafe-variable",
    severity: Severity::Info,
    category: Category::Cache,
    summary: "A cache key built from a variable whose value can contain `/`, such as `$CI_COMMIT_REF_NAME`.",
    page: include_str!("../../rules/cache-key-unsafe-variable.md"),
});

pub struct CacheKeyUnsafeVariable;

/// Variables whose value can contain `/`, with the slug variable that has the same value in
/// the pipelines where it is set ("" when there is none: GitLab's documentation lists no slug
/// of the merge request branch names; in a merge request pipeline `CI_COMMIT_REF_SLUG` is the
/// source branch's slug).
const UNSAFE: &[(&str, &str)] = &[
    ("CI_COMMIT_REF_NAME", "CI_COMMIT_REF_SLUG"),
    ("CI_COMMIT_BRANCH", "CI_COMMIT_REF_SLUG"),
    ("CI_BUILD_REF_NAME", "CI_COMMIT_REF_SLUG"),
    ("CI_COMMIT_TAG", "CI_COMMIT_REF_SLUG"),
    ("CI_DEFAULT_BRANCH", "CI_DEFAULT_BRANCH_SLUG"),
    ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_SLUG"),
    ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", ""),
    (
        "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
        "CI_COMMIT_REF_SLUG",
    ),
    ("CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME", ""),
    ("CI_PROJECT_PATH", "CI_PROJECT_PATH_SLUG"),
    ("CI_PROJECT_NAMESPACE", "CI_PROJECT_NAMESPACE_SLUG"),
    ("CI_ENVIRONMENT_NAME", "CI_ENVIRONMENT_SLUG"),
];

/// When `var` contains `/`, for the message.
fn when_slashed(var: &str) -> &'static str {
    match var {
        "CI_PROJECT_PATH" => "every project (`group/project`)",
        "CI_PROJECT_NAMESPACE" => "a subgroup (`group/subgroup`)",
        "CI_ENVIRONMENT_NAME" => "names like `review/login`",
        "CI_COMMIT_TAG" => "names like `release/1.0`",
        _ => "names like `feature/login`",
    }
}

/// The unsafe variables a key text refers to (`$X` or `${X}`), in the order written: one pass
/// over the text.
pub fn unsafe_variables(text: &str) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&'static str, &'static str)> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(p) = text[i..].find('$') {
        let mut s = i + p + 1;
        if b.get(s) == Some(&b'{') {
            s += 1;
        }
        let e = s + b[s..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let name = &text[s..e];
        if let Some(&u) = UNSAFE.iter().find(|(n, _)| *n == name)
            && !out.contains(&u)
        {
            out.push(u);
        }
        i = e.max(i + p + 1);
    }
    out
}

impl Rule for CacheKeyUnsafeVariable {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in job_caches(cx) {
            let value = match &cache.key {
                CacheKey::Literal(k) => k,
                CacheKey::Files {
                    prefix: Some(p), ..
                } => p,
                _ => continue,
            };
            for (var, safe) in unsafe_variables(&value.value.text) {
                let flat = if safe.is_empty() {
                    "a slug variable gives a flat key".to_string()
                } else {
                    format!("`${safe}` gives a flat key")
                };
                let message = format!(
                    "cache key `{}` uses `${var}`, which contains `/` for {}: the runner keeps the `/` and stores that cache in nested directories, which works on current runners (18.0.4, 18.1.2 and 18.2.0 did not restore it); {flat}",
                    value.value.text,
                    when_slashed(var)
                );
                let help = if safe.is_empty() {
                    format!(
                        "`${var}` has no slug variable: use a fixed name, or `$CI_COMMIT_REF_SLUG` for the branch the pipeline runs on"
                    )
                } else {
                    format!(
                        "use `${safe}` instead: the same value lowercased, with every character other than a-z and 0-9 replaced by `-`"
                    )
                };
                out.push(
                    at(cx, RULE, &value.origin, job, message)
                        .label(format!("`${var}` can contain `/`"))
                        .help(help)
                        .subject(format!("var:{var}:{}", value.value.text))
                        .fix(rename_variable(cx, &value.origin, var, safe)),
                );
            }
        }
    }
}

/// Every `$var`/`${var}` of the key as written, renamed to `safe`.
fn rename_variable(
    cx: &RuleContext<'_>,
    o: &crate::model::Origin,
    var: &str,
    safe: &str,
) -> Option<Fix> {
    let text = &cx.ctx.set.file(o.loc.file).text;
    let start = o.loc.span.start as usize;
    let written = text.get(start..o.loc.span.end as usize)?;
    if written.contains(['\n', '&', '*', '!']) {
        return None;
    }
    let b = written.as_bytes();
    let mut edits = Vec::new();
    let mut i = 0;
    while let Some(p) = written[i..].find(var) {
        let at = i + p;
        let end = at + var.len();
        let before = (at >= 1 && b[at - 1] == b'$') || (at >= 2 && &b[at - 2..at] == b"${");
        let after = b
            .get(end)
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
        if before && after {
            edits.push(Edit {
                file: o.loc.file,
                span: Span::new((start + at) as u32, (start + end) as u32),
                text: safe.to_string(),
            });
        }
        i = end;
    }
    (!edits.is_empty() && !safe.is_empty()).then(|| Fix {
        title: format!("Use `${safe}` instead of `${var}`"),
        edits,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_unsafe_variables_by_whole_name() {
        assert_eq!(unsafe_variables("x-$CI_COMMIT_REF_NAME").len(), 1);
        assert_eq!(unsafe_variables("${CI_COMMIT_BRANCH}-deps").len(), 1);
        assert!(unsafe_variables("$CI_COMMIT_REF_SLUG").is_empty());
        assert!(unsafe_variables("$CI_COMMIT_REF_NAMES").is_empty());
        assert!(unsafe_variables("CI_COMMIT_REF_NAME").is_empty());
    }
}
