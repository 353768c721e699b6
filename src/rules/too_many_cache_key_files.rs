//! `too-many-cache-key-files`: `key:files` and `key:files_commits` take one or two files
//! (`Entry::Files`, "has too many items (maximum is 2)").

use super::context::{Rule, RuleContext, at, job_caches};
use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::model::CacheKey;

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "too-many-cache-key-files",
    severity: Severity::Error,
    category: Category::Cache,
    summary: "A `cache:key:files` or `key:files_commits` list with more than 2 files, or with none.",
    page: include_str!("../../rules/too-many-cache-key-files.md"),
});

pub struct TooManyCacheKeyFiles;

impl Rule for TooManyCacheKeyFiles {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &RuleContext<'_>, out: &mut Vec<Diagnostic>) {
        for (_, job, cache) in job_caches(cx) {
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
 RULE,
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
                        RULE,
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
