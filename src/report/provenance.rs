//! Provenance in words: how a value reached a job ("merged by `<<: *defaults`", "inherited by
//! `test` from `extends: .base`"). The stages record the steps as data ([`Via`]); this is the
//! one place they become English, for every reporter and for `cachelint show --origins`.

use crate::diagnostic::{Label, Via};

/// One step in words.
pub fn describe(via: &Via) -> String {
    match via {
        Via::Alias => "used here through an alias".to_string(),
        Via::Merge { alias: Some(a) } => format!("merged by `<<: *{a}`"),
        Via::Merge { alias: None } => "merged by `<<:`".to_string(),
        Via::Extends { child, parent } => {
            format!("inherited by `{child}` from `extends: {parent}`")
        }
        Via::Reference { path } => format!("brought by `!reference [{path}]`"),
        Via::Default {
            keyword,
            top_level: true,
        } => format!("inherited from the top-level `{keyword}:`"),
        Via::Default {
            keyword,
            top_level: false,
        } => format!("inherited from `default:{keyword}`"),
        Via::Input {
            name,
            default: false,
        } => format!("interpolated from input `{name}`"),
        Via::Input {
            name,
            default: true,
        } => format!("interpolated from the default of input `{name}`"),
    }
}

/// A label's text: its own words, then each step in words, joined by ", ".
pub fn label_text(l: &Label) -> String {
    let mut parts: Vec<String> = Vec::new();
    if !l.text.is_empty() {
        parts.push(l.text.clone());
    }
    parts.extend(l.via.iter().map(describe));
    parts.join(", ")
}
