//! The entries of `include:`, classified as GitLab's `Mapper::Normalizer` and `Matcher` do: a
//! local file (which the loader reads), an include that cannot be read offline (remote,
//! project, template, component, artifact, a path with variables), or an invalid entry.

use crate::rules::invalid_include::Problem;
use crate::source::Span;
use crate::yaml::{Doc, NodeId};

/// One include entry, classified.
pub(super) enum Include {
    Local {
        /// The path, or for a component of this project its candidate files, in the order
        /// GitLab tries them (the first that exists is used).
        paths: Vec<String>,
        span: Span,
        /// The entry's `inputs:` value.
        inputs: Option<NodeId>,
        /// The entry's `rules:` value.
        rules: Option<NodeId>,
        /// For a component: its address as written.
        component: Option<String>,
    },
    Unresolvable {
        kind: &'static str,
        what: String,
        span: Span,
    },
    Invalid {
        problem: Problem,
        span: Span,
    },
}

/// Classifies one entry of `include:` (GitLab's Normalizer and Matcher).
pub(super) fn classify(doc: &Doc, item: NodeId) -> Include {
    let span = doc.span(item);
    if let Some(s) = doc.as_str(item) {
        return classify_string(s, span, None, None);
    }
    if !doc.is_map(item) {
        return Include::Invalid {
            problem: Problem::NotAnEntry,
            span,
        };
    }
    const KINDS: [&str; 6] = [
        "local",
        "project",
        "remote",
        "template",
        "component",
        "artifact",
    ];
    let present: Vec<_> = doc
        .entries(item)
        .iter()
        .filter(|e| doc.as_str(e.key).is_some_and(|k| KINDS.contains(&k)))
        .collect();
    match present.as_slice() {
        [] => Include::Invalid {
            problem: Problem::NoFile,
            span,
        },
        [e] => {
            let kind = doc.as_str(e.key).unwrap_or("local");
            let vspan = doc.span(e.value);
            let Some(value) = doc.as_str(e.value) else {
                return Include::Invalid {
                    problem: Problem::NotString { kind: kind.into() },
                    span: vspan,
                };
            };
            let inputs = doc.get(item, "inputs").map(|e| e.value);
            let rules = doc.get(item, "rules").map(|e| e.value);
            match kind {
                "local" => classify_string(value, vspan, inputs, rules),
                "project" => {
                    let file = doc
                        .get(item, "file")
                        .map(|f| {
                            if doc.is_seq(f.value) {
                                doc.items(f.value)
                                    .iter()
                                    .filter_map(|&i| doc.as_str(i))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            } else {
                                doc.as_str(f.value).unwrap_or("").to_string()
                            }
                        })
                        .unwrap_or_default();
                    Include::Unresolvable {
                        kind: "project",
                        what: format!("{value}: {file}"),
                        span: vspan,
                    }
                }
                "remote" => Include::Unresolvable {
                    kind: "remote",
                    what: value.into(),
                    span: vspan,
                },
                "template" => Include::Unresolvable {
                    kind: "template",
                    what: value.into(),
                    span: vspan,
                },
                "component" => match own_component(value) {
                    Some(name) => Include::Local {
                        paths: vec![
                            format!("templates/{name}.yml"),
                            format!("templates/{name}/template.yml"),
                        ],
                        span: vspan,
                        inputs,
                        rules,
                        component: Some(value.to_string()),
                    },
                    None => Include::Unresolvable {
                        kind: "component",
                        what: value.into(),
                        span: vspan,
                    },
                },
                _ => Include::Unresolvable {
                    kind: "artifact",
                    what: value.into(),
                    span: vspan,
                },
            }
        }
        many => Include::Invalid {
            problem: Problem::SeveralKinds(
                many.iter()
                    .filter_map(|e| doc.as_str(e.key).map(str::to_string))
                    .collect(),
            ),
            span,
        },
    }
}

/// The name of a component of the checked-out project itself:
/// `$CI_SERVER_FQDN/$CI_PROJECT_PATH/NAME@VERSION` (braces allowed), as component projects
/// include their own components to test them. `Ci::Catalog::ComponentsProject#fetch_component`
/// refuses a name with `/`.
fn own_component(address: &str) -> Option<&str> {
    let (path, _version) = address.split_once('@')?;
    let rest = ["$CI_SERVER_FQDN/", "${CI_SERVER_FQDN}/"]
        .iter()
        .find_map(|p| path.strip_prefix(p))?;
    let name = ["$CI_PROJECT_PATH/", "${CI_PROJECT_PATH}/"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))?;
    (!name.is_empty() && !name.contains('/') && !name.contains('$')).then_some(name)
}

/// A string include: a URL is remote, anything else local; variables cannot be expanded here.
fn classify_string(s: &str, span: Span, inputs: Option<NodeId>, rules: Option<NodeId>) -> Include {
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Include::Unresolvable {
            kind: "remote",
            what: s.into(),
            span,
        };
    }
    if s.contains('$') {
        return Include::Unresolvable {
            kind: "local",
            what: s.into(),
            span,
        };
    }
    if s.trim().is_empty() {
        return Include::Invalid {
            problem: Problem::EmptyPath,
            span,
        };
    }
    Include::Local {
        paths: vec![s.to_string()],
        span,
        inputs,
        rules,
        component: None,
    }
}
