//! `gha-key-without-lockfile`: a dependency cache whose key hashes no lockfile. A saved entry
//! is never overwritten (a hit on the key skips the save), so a key that only changes with a
//! manifest, or never, keeps the first dependencies it saved.

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::gha::cache::{Kind, is_dependencies};
use crate::gha::expr::Part;
use crate::gha::{Context, WorkflowRule, is_opaque};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "gha-key-without-lockfile",
    severity: Severity::Info,
    category: Category::Cache,
    summary: "A dependency cache whose key hashes no lockfile (nothing, or only a manifest such as `pyproject.toml`): a saved key is never overwritten, so the cache keeps the first dependencies it saved.",
    page: include_str!("../../rules/gha-key-without-lockfile.md"),
});

pub struct GhaKeyWithoutLockfile;

/// Manifests: they change with a dependency's range, not with what the resolver picks.
const MANIFESTS: &[&str] = &[
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "package.json",
    "Cargo.toml",
    "Gemfile",
    "composer.json",
    "Pipfile",
    "go.mod",
];

impl WorkflowRule for GhaKeyWithoutLockfile {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for c in cx.own_caches() {
            if !matches!(c.kind, Kind::Cache | Kind::Save) {
                continue;
            }
            let Some(key) = c.key else {
                continue;
            };
            let Some(path) = c.paths.iter().find(|p| is_dependencies(p)) else {
                continue;
            };
            let parts = cx.key_parts(c, key);
            if parts.iter().any(is_opaque) {
                continue;
            }
            let patterns: Vec<&str> = parts
                .iter()
                .filter_map(|p| match &p.part {
                    Part::HashFiles(a) => {
                        Some(a.iter().flatten().map(String::as_str).collect::<Vec<_>>())
                    }
                    _ => None,
                })
                .flatten()
                .flat_map(str::lines)
                .map(str::trim)
                .filter(|p| !p.is_empty() && !p.starts_with('!'))
                .collect();
            let manifest_only = !patterns.is_empty()
                && patterns.iter().all(|p| {
                    let name = p.rsplit('/').next().unwrap_or(p);
                    MANIFESTS.contains(&name)
                });
            let message = if patterns.is_empty() {
                format!(
                    "the key of `{path}` hashes no file: it is the same in every run, and a saved key is never overwritten, so the cache keeps the dependencies of the first run forever"
                )
            } else if manifest_only {
                format!(
                    "the key of `{path}` hashes only {} (a manifest), not a lockfile: new releases within the same ranges never change it, and a saved key is never overwritten",
                    patterns
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            } else {
                continue;
            };
            out.push(
                Diagnostic::new(RULE, c.step_ref.file, key.span, message)
                    .label("no lockfile in this key")
                    .job(cx.job(c).id.clone())
                    .help("add the lockfile's hash to the key: `${{ hashFiles('**/package-lock.json') }}`, `uv.lock`, `poetry.lock`, `requirements*.txt`, `Cargo.lock`, `go.sum`, ..."),
            );
        }
    }
}
