//! `invalid-cache-key`: GitLab's `KeyValidator` on a literal key or `key:prefix`: after
//! `CGI.unescape` it may not contain `/` nor be `.` or `..`; and a key must be a string or a
//! mapping (`Entry::Key`).

use super::context::{Rule, RuleContext, at, job_caches};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::{CacheKey, Text, Valued};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "invalid-cache-key",
    severity: Severity::Error,
    category: Category::Cache,
    summary: "A cache key or key prefix that GitLab refuses, such as one containing `/` or not a string.",
    page: include_str!("../../rules/invalid-cache-key.md"),
});

pub struct InvalidCacheKey;

/// `CGI.unescape`: `%XX` decoded, `+` is a space.
fn cgi_unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why GitLab rejects a literal key or prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyProblem {
    /// It contains `/` (also as `%2F`).
    Slash,
    /// It is `.` or `..`.
    Dots,
}

impl KeyProblem {
    fn text(self) -> &'static str {
        match self {
            KeyProblem::Slash => "cannot contain the \"/\" character",
            KeyProblem::Dots => "cannot be \".\" or \"..\"",
        }
    }
}

/// Why GitLab rejects a literal key or prefix, if it does.
pub fn key_problem(text: &str) -> Option<KeyProblem> {
    let decoded = cgi_unescape(text);
    if decoded.contains('/') {
        Some(KeyProblem::Slash)
    } else if decoded == "." || decoded == ".." {
        Some(KeyProblem::Dots)
    } else {
        None
    }
}

impl Rule for InvalidCacheKey {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in job_caches(cx) {
            let (what, value): (&str, Option<&Valued<Text>>) = match &cache.key {
                CacheKey::Literal(k) => ("key", Some(k)),
                CacheKey::Files { prefix, .. } => ("key:prefix", prefix.as_ref()),
                CacheKey::Invalid(o) => {
                    out.push(
                            at(
 cx,
 RULE,
 o,
                                job,
                                "a cache `key` must be a string or a mapping with `files` (\"should be a hash, a string or a symbol\")".to_string(),
                            )
                            .label("not a string")
                            .help("quote the key (`key: \"1\"`), or use `key: {files: [...]}`")
                            .subject("key-type"),
                        );
                    continue;
                }
                CacheKey::Default => continue,
            };
            let Some(value) = value else { continue };
            if !value.value.is_string {
                out.push(
                    at(
                        cx,
                        RULE,
                        &value.origin,
                        job,
                        format!(
                            "cache `{what}` `{}` is not a string; GitLab rejects it",
                            value.value.text
                        ),
                    )
                    .label("not a string")
                    .help(format!("quote it: `\"{}\"`", value.value.text))
                    .subject(format!("key-type:{}", value.value.text)),
                );
                continue;
            }
            if let Some(problem) = key_problem(&value.value.text) {
                out.push(
                        at(
 cx,
 RULE,
 &value.origin,
                            job,
                            format!(
                                "cache `{what}` `{}` {}; GitLab rejects the pipeline",
                                value.value.text,
                                problem.text()
                            ),
                        )
                        .label("invalid key")
                        .help(if problem == KeyProblem::Slash {
                            "use `-` instead of `/` in cache keys (for a branch name, `$CI_COMMIT_REF_SLUG`)"
                        } else {
                            "give the cache a real name, e.g. `key: deps`"
                        })
                        .subject(format!("key:{}", value.value.text)),
                    );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_validator_like_gitlab() {
        assert_eq!(key_problem("a/b"), Some(KeyProblem::Slash));
        assert_eq!(key_problem("a%2Fb"), Some(KeyProblem::Slash));
        assert_eq!(key_problem("a%2fb"), Some(KeyProblem::Slash));
        assert_eq!(key_problem("."), Some(KeyProblem::Dots));
        assert_eq!(key_problem("%2E%2E"), Some(KeyProblem::Dots));
        assert!(key_problem("$CI_COMMIT_REF_NAME").is_none());
        assert!(key_problem("...").is_none());
        assert!(key_problem("a+b").is_none());
    }
}
