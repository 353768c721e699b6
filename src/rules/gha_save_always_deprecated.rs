//! `gha-save-always-deprecated`: `actions/cache` with `save-always`, which the action deprecates
//! because it does not work as intended (its `action.yml`, `deprecationMessage`).

use crate::diagnostic::{Category, Diagnostic, RuleDecl, RuleId, Severity};
use crate::gha::cache::Kind;
use crate::gha::{Context, WorkflowRule};

pub const RULE: RuleId = RuleId::declare(&RuleDecl {
    name: "gha-save-always-deprecated",
    severity: Severity::Info,
    category: Category::Cache,
    summary: "`actions/cache` with `save-always`, which is deprecated because it does not work as intended.",
    page: include_str!("../../rules/gha-save-always-deprecated.md"),
});

pub struct GhaSaveAlwaysDeprecated;

impl WorkflowRule for GhaSaveAlwaysDeprecated {
    fn id(&self) -> RuleId {
        RULE
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for c in cx.own_caches().filter(|c| c.kind == Kind::Cache) {
            let Some(input) = c.step_ref.input("save-always") else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    RULE,
                    c.step_ref.file,
                    input.key_span,
                    "`save-always` is deprecated: actions/cache says it does not work as intended \
                     and will be removed; use `actions/cache/restore` and `actions/cache/save`",
                )
                .label("deprecated input")
                .job(cx.job(c).id.clone())
                .help(
                    "split the step: `actions/cache/restore` (with an `id`) before the work, and \
                     `actions/cache/save` with `if: always()` and `key: ${{ steps.<id>.outputs.cache-primary-key }}` after it",
                ),
            );
        }
    }
}
