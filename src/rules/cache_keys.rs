//! Rules about `cache:key`: `invalid-cache-key`, `cache-key-unsafe-variable`,
//! `too-many-cache-key-files`.

use super::{Rule, RuleContext, at, written_caches};
use crate::diagnostic::{Diagnostic, Severity};
use crate::model::{CacheKey, Text, Valued};

/// `invalid-cache-key`: GitLab's `KeyValidator` on a literal key or `key:prefix`: after
/// `CGI.unescape` it may not contain `/` nor be `.` or `..`; and a key must be a string or a
/// mapping (`Entry::Key`).
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

/// Why GitLab rejects a literal key or prefix, if it does.
pub fn key_problem(text: &str) -> Option<&'static str> {
    let decoded = cgi_unescape(text);
    if decoded.contains('/') {
        Some("cannot contain the \"/\" character")
    } else if decoded == "." || decoded == ".." {
        Some("cannot be \".\" or \"..\"")
    } else {
        None
    }
}

impl Rule for InvalidCacheKey {
    fn name(&self) -> &'static str {
        "invalid-cache-key"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in written_caches(cx) {
            let (what, value): (&str, Option<&Valued<Text>>) = match &cache.key {
                CacheKey::Literal(k) => ("key", Some(k)),
                CacheKey::Files { prefix, .. } => ("key:prefix", prefix.as_ref()),
                CacheKey::Invalid(o) => {
                    out.push(
                            at(
                                cx,
                                self.name(),
                                Severity::Error,
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
                        self.name(),
                        Severity::Error,
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
                            self.name(),
                            Severity::Error,
                            &value.origin,
                            job,
                            format!(
                                "cache `{what}` `{}` {problem}; GitLab rejects the pipeline",
                                value.value.text
                            ),
                        )
                        .label("invalid key")
                        .help(if problem.contains('/') {
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

/// `cache-key-unsafe-variable`: a key built from a variable whose value can contain `/`.
pub struct CacheKeyUnsafeVariable;

/// Variables whose value can contain `/`, with the safe variant to suggest.
const UNSAFE: &[(&str, &str)] = &[
    ("CI_COMMIT_REF_NAME", "CI_COMMIT_REF_SLUG"),
    ("CI_COMMIT_BRANCH", "CI_COMMIT_REF_SLUG"),
    ("CI_BUILD_REF_NAME", "CI_COMMIT_REF_SLUG"),
    ("CI_COMMIT_TAG", "CI_COMMIT_REF_SLUG"),
    ("CI_DEFAULT_BRANCH", "CI_DEFAULT_BRANCH_SLUG"),
    (
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SLUG",
    ),
    (
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
        "CI_MERGE_REQUEST_TARGET_BRANCH_SLUG",
    ),
    (
        "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
        "CI_COMMIT_REF_SLUG",
    ),
    (
        "CI_EXTERNAL_PULL_REQUEST_TARGET_BRANCH_NAME",
        "CI_COMMIT_REF_SLUG",
    ),
    ("CI_PROJECT_PATH", "CI_PROJECT_PATH_SLUG"),
    ("CI_PROJECT_NAMESPACE", "CI_PROJECT_NAMESPACE_SLUG"),
    ("CI_ENVIRONMENT_NAME", "CI_ENVIRONMENT_SLUG"),
];

/// The unsafe variables a key text refers to (`$X` or `${X}`).
pub fn unsafe_variables(text: &str) -> Vec<(&'static str, &'static str)> {
    UNSAFE
        .iter()
        .filter(|(name, _)| {
            let b = text.as_bytes();
            let mut i = 0;
            while let Some(p) = text[i..].find(name) {
                let at = i + p;
                let end = at + name.len();
                let before_ok = (at >= 1 && b[at - 1] == b'$')
                    || (at >= 2 && b[at - 1] == b'{' && b[at - 2] == b'$');
                let after_ok = b
                    .get(end)
                    .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
                if before_ok && after_ok {
                    return true;
                }
                i = end;
            }
            false
        })
        .copied()
        .collect()
}

impl Rule for CacheKeyUnsafeVariable {
    fn name(&self) -> &'static str {
        "cache-key-unsafe-variable"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in written_caches(cx) {
            let value = match &cache.key {
                CacheKey::Literal(k) => k,
                CacheKey::Files {
                    prefix: Some(p), ..
                } => p,
                _ => continue,
            };
            for (var, safe) in unsafe_variables(&value.value.text) {
                out.push(
                        at(
                            cx,
                            self.name(),
                            Severity::Warning,
                            &value.origin,
                            job,
                            format!(
                                "cache key `{}` uses `${var}`, which contains `/` for names like `feature/login`: the key then becomes nested cache directories (runners before 10.4 dropped such caches), and GitLab's documented cache keys use the slug form",
                                value.value.text
                            ),
                        )
                        .label(format!("`${var}` can contain `/`"))
                        .help(if safe.is_empty() {
                            format!("`${var}` has no slug variable: use a fixed name, or `$CI_COMMIT_REF_SLUG` for the branch the pipeline runs on")
                        } else {
                            format!(
                                "use `${safe}` instead: the same value lowercased, with every character other than a-z and 0-9 replaced by `-`"
                            )
                        })
                        .subject(format!("var:{var}:{}", value.value.text)),
                    );
            }
        }
    }
}

/// `too-many-cache-key-files`: `key:files` and `key:files_commits` take one or two files
/// (`Entry::Files`, "has too many items (maximum is 2)").
pub struct TooManyCacheKeyFiles;

impl Rule for TooManyCacheKeyFiles {
    fn name(&self) -> &'static str {
        "too-many-cache-key-files"
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in written_caches(cx) {
            let CacheKey::Files {
                files,
                commits,
                origin,
                ..
            } = &cache.key
            else {
                continue;
            };
            let kw = if *commits { "files_commits" } else { "files" };
            if files.len() > 2 {
                out.push(
                        at(
                            cx,
                            self.name(),
                            Severity::Error,
                            origin,
                            job,
                            format!(
                                "`key:{kw}` lists {} files; GitLab accepts at most 2 (\"has too many items (maximum is 2)\")",
                                files.len()
                            ),
                        )
                        .label(format!("{} files", files.len()))
                        .help("keep the one or two lock files that decide the cache's content, e.g. `files: [package-lock.json]`")
                        .subject(format!("files:{}", files.len())),
                    );
            } else if files.is_empty() {
                out.push(
                    at(
                        cx,
                        self.name(),
                        Severity::Error,
                        origin,
                        job,
                        format!(
                            "`key:{kw}` needs at least one file (\"requires at least 1 item\")"
                        ),
                    )
                    .label("no files")
                    .help("name the lock file the cache depends on, e.g. `files: [Gemfile.lock]`")
                    .subject("files:0"),
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
        assert!(key_problem("a/b").is_some());
        assert!(key_problem("a%2Fb").is_some());
        assert!(key_problem("a%2fb").is_some());
        assert!(key_problem(".").is_some());
        assert!(key_problem("%2E%2E").is_some());
        assert!(key_problem("$CI_COMMIT_REF_NAME").is_none());
        assert!(key_problem("...").is_none());
        assert!(key_problem("a+b").is_none());
    }

    #[test]
    fn finds_unsafe_variables_by_whole_name() {
        assert_eq!(unsafe_variables("x-$CI_COMMIT_REF_NAME").len(), 1);
        assert_eq!(unsafe_variables("${CI_COMMIT_BRANCH}-deps").len(), 1);
        assert!(unsafe_variables("$CI_COMMIT_REF_SLUG").is_empty());
        assert!(unsafe_variables("$CI_COMMIT_REF_NAMES").is_empty());
        assert!(unsafe_variables("CI_COMMIT_REF_NAME").is_empty());
    }
}
