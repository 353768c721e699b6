//! `cache-path-outside-project`: the runner archives only paths inside the project directory
//! (`file_archiver.go :: findRelativePathInProject`): anything else is skipped with a warning
//! in the job log, so the cache stays empty. Paths are shell-expanded first (`shell.Expand`),
//! which does not expand `~`.

use super::context::{Rule, RuleContext, at, jobs, replace_scalar};
use crate::diagnostic::{Category, Diagnostic, Fix, RuleDecl, RuleId, Severity};
use crate::model::variables::{Part, display, expand_shell};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "cache-path-outside-project",
    severity: Severity::Warning,
    category: Category::Cache,
    summary: "A cache path outside the project directory, which the runner skips, so nothing is cached.",
    page: include_str!("../../rules/cache-path-outside-project.md"),
});

pub struct CachePathOutsideProject;

/// Why an expanded path is outside the project, if it is.
pub fn outside(parts: &[Part]) -> Option<&'static str> {
    let starts_with_var =
        |n: &str| matches!(parts.first(), Some(Part::Var { name, .. }) if name == n);
    if starts_with_var("CI_PROJECT_DIR") || starts_with_var("CI_BUILDS_DIR") {
        return None;
    }
    if starts_with_var("HOME") {
        return Some("home");
    }
    let text = match parts.first() {
        Some(Part::Text(t)) => t.as_str(),
        _ => return None,
    };
    if text == "~" || text.starts_with("~/") {
        return Some("tilde");
    }
    if text.starts_with('/') {
        return Some("absolute");
    }
    escapes(&display(parts)).then_some("parent")
}

/// Whether a relative path climbs above its start with `..`.
fn escapes(path: &str) -> bool {
    let mut depth: i32 = 0;
    for seg in path.split('/') {
        match seg {
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return true;
                }
            }
            "" | "." => {}
            s if s.starts_with('$') => return false,
            _ => depth += 1,
        }
    }
    false
}

/// How to move a known tool's cache into the project, and the path to cache then, when the
/// hint names one.
pub fn tool_hint(path: &str) -> (&'static str, Option<&'static str>) {
    let p = path.to_ascii_lowercase();
    if p.contains(".npm") {
        (
            "run npm with a cache inside the project (`npm ci --cache .npm --prefer-offline`) and cache `.npm/`",
            Some(".npm/"),
        )
    } else if p.contains("pip") {
        (
            "set `PIP_CACHE_DIR: $CI_PROJECT_DIR/.cache/pip` in `variables:` and cache `.cache/pip/`",
            Some(".cache/pip/"),
        )
    } else if p.contains(".gradle") {
        (
            "set `GRADLE_USER_HOME: $CI_PROJECT_DIR/.gradle` in `variables:` and cache `.gradle/`",
            Some(".gradle/"),
        )
    } else if p.contains(".m2") {
        (
            "set `MAVEN_OPTS: -Dmaven.repo.local=$CI_PROJECT_DIR/.m2/repository` and cache `.m2/repository/`",
            Some(".m2/repository/"),
        )
    } else if p.contains("go/pkg") || p.contains("gopath") || p.contains("go-build") {
        (
            "set `GOPATH: $CI_PROJECT_DIR/.go` (and `GOCACHE: $CI_PROJECT_DIR/.go-build`) and cache those directories",
            None,
        )
    } else if p.contains(".cargo") {
        (
            "set `CARGO_HOME: $CI_PROJECT_DIR/.cargo` in `variables:` and cache `.cargo/`",
            Some(".cargo/"),
        )
    } else if p.contains("yarn") {
        (
            "set `YARN_CACHE_FOLDER: $CI_PROJECT_DIR/.yarn-cache` in `variables:` and cache `.yarn-cache/`",
            Some(".yarn-cache/"),
        )
    } else if p.contains("composer") {
        (
            "set `COMPOSER_CACHE_DIR: $CI_PROJECT_DIR/.composer-cache` and cache `.composer-cache/`",
            Some(".composer-cache/"),
        )
    } else if p.contains("pre-commit") {
        (
            "set `PRE_COMMIT_HOME: $CI_PROJECT_DIR/.cache/pre-commit` and cache `.cache/pre-commit/`",
            Some(".cache/pre-commit/"),
        )
    } else if p.contains("ccache") {
        (
            "set `CCACHE_DIR: $CI_PROJECT_DIR/.ccache` and cache `.ccache/`",
            Some(".ccache/"),
        )
    } else if p.contains("bundle") || p.contains("gem") {
        (
            "set `BUNDLE_PATH: vendor/bundle` and cache `vendor/bundle/`",
            Some("vendor/bundle/"),
        )
    } else if p.contains(".sbt") || p.contains(".ivy2") || p.contains("coursier") {
        (
            "point sbt's caches into the project (`-Dsbt.global.base=$CI_PROJECT_DIR/.sbt -Dsbt.ivy.home=$CI_PROJECT_DIR/.ivy2`) and cache those directories",
            None,
        )
    } else {
        (
            "make the tool keep its cache inside the project (most tools have a variable or option for the cache directory, e.g. `$CI_PROJECT_DIR/.cache/...`) and cache that path",
            None,
        )
    }
}

impl Rule for CachePathOutsideProject {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (ji, job) in jobs(cx) {
            let vars = cx.vars(ji, 0);
            for cache in &job.caches {
                for path in &cache.paths {
                    let parts = expand_shell(&path.value, &vars);
                    let Some(why) = outside(&parts) else { continue };
                    let shown = display(&parts);
                    let expanded = if shown != path.value {
                        format!(" (`{}` expands to `{shown}`)", path.value)
                    } else {
                        String::new()
                    };
                    let message = match why {
                        "tilde" => format!(
                            "cache path `{}` uses `~`, which GitLab does not expand in cache paths: it looks for a directory named `~` inside the project, so nothing is cached",
                            path.value
                        ),
                        "home" => format!(
                            "cache path `{}`{expanded} is in the home directory, outside the project: the runner only caches paths inside `$CI_PROJECT_DIR` and skips this one",
                            path.value
                        ),
                        "absolute" => format!(
                            "cache path `{}`{expanded} is an absolute path outside the project: the runner only caches paths inside `$CI_PROJECT_DIR` and skips this one",
                            path.value
                        ),
                        _ => format!(
                            "cache path `{}`{expanded} climbs out of the project with `..`: the runner only caches paths inside `$CI_PROJECT_DIR` and skips this one",
                            path.value
                        ),
                    };
                    let (hint, inside) = tool_hint(&shown);
                    let fix = inside.and_then(|new| {
                        Some(Fix {
                            title: format!("Cache `{new}` instead"),
                            edits: vec![replace_scalar(cx, &path.origin, new)?],
                        })
                    });
                    out.push(
                        at(cx, RULE, &path.origin, job, message)
                            .label("outside the project")
                            .help(hint)
                            .subject(format!("path:{}", path.value))
                            .fix(fix),
                    );
                }
            }
        }
    }
}
