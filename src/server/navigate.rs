//! Hover, go to definition, document symbols and code actions, from an analysis and the YAML
//! as written.

use super::convert::{self, Encoding, path_to_uri};
use crate::Analysis;
use crate::source::{FileId, Span};
use crate::yaml::{Doc, Kind, NodeId, Tag};
use lsp_types as lsp;

/// The nodes from the document's root down to the innermost one containing `offset`: keys
/// and values of mappings, items of lists (aliases are not followed).
fn path_to(doc: &Doc, offset: u32) -> Vec<NodeId> {
    let mut out = Vec::new();
    let Some(mut cur) = doc.root() else {
        return out;
    };
    let contains = |n: NodeId| {
        let s = doc.span(n);
        s.start <= offset && offset <= s.end.max(s.start + 1)
    };
    if !contains(cur) {
        return out;
    }
    loop {
        out.push(cur);
        let next = match &doc.node(cur).kind {
            Kind::Map { .. } => doc.raw_pairs(cur).iter().find_map(|&(k, v)| {
                if contains(k) {
                    Some(k)
                } else if contains(v) {
                    Some(v)
                } else {
                    None
                }
            }),
            Kind::Seq { .. } => doc.items(cur).iter().copied().find(|&i| contains(i)),
            _ => None,
        };
        match next {
            Some(n) if out.len() < 200 => cur = n,
            _ => return out,
        }
    }
}

/// The top-level key of a path, and whether the path ends on it.
fn top_key(doc: &Doc, path: &[NodeId]) -> Option<(String, bool)> {
    let key = *path.get(1)?;
    let root = *path.first()?;
    let is_key = doc.raw_pairs(root).iter().any(|&(k, _)| k == key);
    let (name, on_key) = if is_key {
        (doc.scalar_text(key)?.to_string(), path.len() == 2)
    } else {
        let k = doc.raw_pairs(root).iter().find(|&&(_, v)| v == key)?.0;
        (doc.scalar_text(k)?.to_string(), false)
    };
    Some((name, on_key))
}

/// The key under which `child` stands in mapping `map`, as text.
fn key_of(doc: &Doc, map: NodeId, child: NodeId) -> Option<&str> {
    let k = doc.raw_pairs(map).iter().find(|&&(_, v)| v == child)?.0;
    doc.scalar_text(k)
}

/// What the cursor is on.
enum Spot {
    /// A visible job's key, or anywhere in its own `cache:`.
    Job(String),
    /// A name in `extends:`.
    Extends(String),
    /// An alias `*name`, with the node it refers to.
    Alias(NodeId),
    /// A `!reference [...]` and its key path.
    Reference(Vec<String>),
    /// A local include's path.
    Include(String),
}

fn spot(a: &Analysis, file: FileId, offset: u32) -> Option<Spot> {
    let doc = a.set.doc(file);
    let path = path_to(doc, offset);
    let leaf = *path.last()?;
    if let Kind::Alias { target } = doc.node(leaf).kind {
        return Some(Spot::Alias(target));
    }
    // A `!reference` list, or an item of one.
    for &n in path.iter().rev().take(2) {
        if doc.tag(n) == Tag::Reference && doc.is_seq(n) {
            let keys: Option<Vec<String>> = doc
                .items(n)
                .iter()
                .map(|&i| doc.as_str(i).map(str::to_string))
                .collect();
            return keys.map(Spot::Reference);
        }
    }
    let (top, on_key) = top_key(doc, &path)?;
    if top == "include" {
        let text = doc.as_str(leaf)?;
        let parent = path.get(path.len().checked_sub(2)?).copied()?;
        let under = key_of(doc, parent, leaf);
        // `include: path`, an item of `include: [...]`, or `local: path`.
        if under.is_none_or(|k| k == "local" || k == "include") {
            return Some(Spot::Include(text.to_string()));
        }
        return None;
    }
    // `extends: name` or `extends: [a, b]` anywhere under the entry.
    for w in path.windows(2).rev() {
        let (parent, child) = (w[0], w[1]);
        if doc.is_map(parent) && key_of(doc, parent, child) == Some("extends") {
            return doc.as_str(leaf).map(|s| Spot::Extends(s.to_string()));
        }
        if doc.is_seq(parent)
            && let Some(pp) = path.iter().position(|&n| n == parent)
            && pp > 0
            && key_of(doc, path[pp - 1], parent) == Some("extends")
        {
            return doc.as_str(leaf).map(|s| Spot::Extends(s.to_string()));
        }
    }
    let is_job = a.pipeline.jobs.iter().any(|j| j.name == top);
    if !is_job {
        return None;
    }
    if on_key {
        return Some(Spot::Job(top));
    }
    // Anywhere in the job's own `cache:`.
    let in_cache = path
        .windows(2)
        .any(|w| doc.is_map(w[0]) && key_of(doc, w[0], w[1]) == Some("cache"));
    in_cache.then_some(Spot::Job(top))
}

/// The definitions of top-level key `name` in every file of the set.
fn top_level(a: &Analysis, name: &str) -> Vec<(FileId, NodeId, NodeId)> {
    (0..a.set.files.len() as u32)
        .map(FileId)
        .filter_map(|f| {
            let doc = a.set.doc(f);
            let root = doc.root()?;
            let e = doc.get(root, name)?;
            Some((f, e.key, e.value))
        })
        .collect()
}

fn location(a: &Analysis, file: FileId, span: Span, enc: Encoding) -> Option<lsp::Location> {
    let f = a.set.file(file);
    Some(lsp::Location {
        uri: path_to_uri(&f.path)?,
        range: convert::range(f, span, enc),
    })
}

/// The text a node is written as (at most 40 lines).
fn written(a: &Analysis, file: FileId, span: Span) -> String {
    let f = a.set.file(file);
    let start = f.line_start(f.line_col(span.start).line) as usize;
    let text = f.text.get(start..span.end as usize).unwrap_or("");
    let mut lines: Vec<&str> = text.lines().take(40).collect();
    if text.lines().count() > 40 {
        lines.push("…");
    }
    lines.join("\n")
}

fn at(a: &Analysis, file: FileId, span: Span) -> String {
    let f = a.set.file(file);
    format!("{}:{}", f.rel_path, f.line_col(span.start).line)
}

fn markdown(value: String) -> lsp::Hover {
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value,
        }),
        range: None,
    }
}

pub(crate) fn hover(
    a: &Analysis,
    file: FileId,
    pos: lsp::Position,
    enc: Encoding,
) -> Option<lsp::Hover> {
    let offset = convert::offset(a.set.file(file), pos, enc);
    match spot(a, file, offset)? {
        Spot::Job(name) => {
            let origins = crate::show::origins(a, Some(&name));
            Some(markdown(format!(
                "**job `{name}`**: its caches and artifacts, and where each value comes from\n\n```text\n{origins}```"
            )))
        }
        Spot::Extends(name) => {
            let defs = top_level(a, &name);
            let mut s = format!("**`extends: {name}`**");
            if defs.is_empty() {
                s.push_str("\n\nnot defined in the files checked");
            }
            for (f, k, v) in defs {
                let span = Span::new(a.set.doc(f).span(k).start, a.set.doc(f).span(v).end);
                s.push_str(&format!(
                    "\n\n{}\n```yaml\n{}\n```",
                    at(a, f, span),
                    written(a, f, span)
                ));
            }
            Some(markdown(s))
        }
        Spot::Alias(target) => {
            let doc = a.set.doc(file);
            let span = doc.span(target);
            Some(markdown(format!(
                "**alias of `&{}`** ({})\n```yaml\n{}\n```",
                doc.anchor_name(target).unwrap_or("?"),
                at(a, file, span),
                written(a, file, span)
            )))
        }
        Spot::Reference(keys) => {
            let targets = reference_targets(a, &keys);
            let mut s = format!("**`!reference [{}]`**", keys.join(", "));
            if targets.is_empty() {
                s.push_str("\n\nnot found in the files checked");
            }
            for (f, k, v) in targets {
                let doc = a.set.doc(f);
                let span = Span::new(doc.span(k).start, doc.span(v).end);
                s.push_str(&format!(
                    "\n\n{}\n```yaml\n{}\n```",
                    at(a, f, span),
                    written(a, f, span)
                ));
            }
            Some(markdown(s))
        }
        Spot::Include(path) => {
            let found = include_target(a, &path);
            Some(markdown(match found {
                Some(f) => format!("**include** `{}`", a.set.file(f).rel_path),
                None => format!("**include** `{path}`: not loaded"),
            }))
        }
    }
}

/// Where `!reference [a, b, ...]` points: key `b`... of top-level `a`, in each file that
/// defines it.
fn reference_targets(a: &Analysis, keys: &[String]) -> Vec<(FileId, NodeId, NodeId)> {
    let Some((first, rest)) = keys.split_first() else {
        return Vec::new();
    };
    top_level(a, first)
        .into_iter()
        .filter_map(|(f, mut k, mut v)| {
            let doc = a.set.doc(f);
            for key in rest {
                let e = doc.get(v, key)?;
                k = e.key;
                v = e.value;
            }
            Some((f, k, v))
        })
        .collect()
}

/// The loaded file a local include path names.
fn include_target(a: &Analysis, raw: &str) -> Option<FileId> {
    let rel = crate::util::paths::normalize(std::path::Path::new(raw.trim_start_matches('/')));
    let rel = crate::util::paths::to_slash(&rel);
    a.set
        .files
        .iter()
        .position(|f| f.rel_path == rel)
        .map(|i| FileId(i as u32))
}

pub(crate) fn definition(
    a: &Analysis,
    file: FileId,
    pos: lsp::Position,
    enc: Encoding,
) -> Vec<lsp::Location> {
    let offset = convert::offset(a.set.file(file), pos, enc);
    let Some(spot) = spot(a, file, offset) else {
        return Vec::new();
    };
    match spot {
        Spot::Extends(name) => top_level(a, &name)
            .into_iter()
            .filter_map(|(f, k, _)| location(a, f, a.set.doc(f).span(k), enc))
            .collect(),
        Spot::Alias(target) => location(a, file, a.set.doc(file).span(target), enc)
            .into_iter()
            .collect(),
        Spot::Reference(keys) => reference_targets(a, &keys)
            .into_iter()
            .filter_map(|(f, k, _)| location(a, f, a.set.doc(f).span(k), enc))
            .collect(),
        Spot::Include(path) => include_target(a, &path)
            .and_then(|f| location(a, f, Span::empty(0), enc))
            .into_iter()
            .collect(),
        Spot::Job(_) => Vec::new(),
    }
}

/// The top-level entries of a file: jobs, hidden templates, `default`, `include` (with its
/// entries) and the other keywords.
pub(crate) fn symbols(a: &Analysis, file: FileId, enc: Encoding) -> Vec<lsp::DocumentSymbol> {
    let doc = a.set.doc(file);
    let f = a.set.file(file);
    let Some(root) = doc.root() else {
        return Vec::new();
    };
    const KEYWORDS: &[&str] = &[
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "types",
        "spec",
    ];
    doc.raw_pairs(root)
        .iter()
        .filter_map(|&(k, v)| {
            let name = doc.scalar_text(k)?.to_string();
            let span = Span::new(doc.span(k).start, doc.span(v).end.max(doc.span(k).end));
            let (kind, detail) = if name == "include" {
                (lsp::SymbolKind::NAMESPACE, "includes")
            } else if name == "default" {
                (lsp::SymbolKind::MODULE, "defaults")
            } else if name.starts_with('.') {
                (lsp::SymbolKind::CLASS, "template")
            } else if KEYWORDS.contains(&name.as_str()) {
                (lsp::SymbolKind::PROPERTY, "keyword")
            } else {
                (lsp::SymbolKind::FUNCTION, "job")
            };
            let children = (name == "include").then(|| {
                let items: Vec<NodeId> = if doc.is_seq(v) {
                    doc.items(v).to_vec()
                } else {
                    vec![v]
                };
                items
                    .into_iter()
                    .filter_map(|i| {
                        let text = doc.as_str(i).map(str::to_string).or_else(|| {
                            doc.entries(i)
                                .iter()
                                .find_map(|e| doc.as_str(e.value).map(str::to_string))
                        })?;
                        #[allow(deprecated)]
                        Some(lsp::DocumentSymbol {
                            name: text,
                            detail: None,
                            kind: lsp::SymbolKind::FILE,
                            tags: None,
                            deprecated: None,
                            range: convert::range(f, doc.span(i), enc),
                            selection_range: convert::range(f, doc.span(i), enc),
                            children: None,
                        })
                    })
                    .collect()
            });
            #[allow(deprecated)]
            Some(lsp::DocumentSymbol {
                name,
                detail: Some(detail.into()),
                kind,
                tags: None,
                deprecated: None,
                range: convert::range(f, span, enc),
                selection_range: convert::range(f, doc.span(k), enc),
                children,
            })
        })
        .collect()
}

/// For each cachelint diagnostic in the request: its certain fix, if it has one, and a
/// comment that suppresses it on its line.
// `WorkspaceEdit::changes` is keyed by `Uri`, which clippy counts as interiorly mutable (its
// parsed form is cached); the keys are never changed here.
#[allow(clippy::mutable_key_type)]
pub(crate) fn code_actions(
    a: &Analysis,
    file: FileId,
    params: &lsp::CodeActionParams,
) -> Vec<lsp::CodeActionOrCommand> {
    let f = a.set.file(file);
    let uri = params.text_document.uri.clone();
    let mut out = Vec::new();
    for d in &params.context.diagnostics {
        if d.source.as_deref() != Some("cachelint") {
            continue;
        }
        let Some(rule) = d
            .data
            .as_ref()
            .and_then(|x| x.get("rule"))
            .and_then(|r| r.as_str())
        else {
            continue;
        };
        if let Some(fix) = d
            .data
            .as_ref()
            .and_then(|x| x.get("fix"))
            .filter(|f| !f.is_null())
        {
            let mut changes: std::collections::HashMap<lsp::Uri, Vec<lsp::TextEdit>> =
                Default::default();
            for e in fix
                .get("edits")
                .and_then(|e| e.as_array())
                .into_iter()
                .flatten()
            {
                let (Some(u), Some(range), Some(text)) = (
                    e.get("uri")
                        .and_then(|u| u.as_str())
                        .and_then(|u| u.parse::<lsp::Uri>().ok()),
                    e.get("range")
                        .and_then(|r| serde_json::from_value::<lsp::Range>(r.clone()).ok()),
                    e.get("text").and_then(|t| t.as_str()),
                ) else {
                    continue;
                };
                changes.entry(u).or_default().push(lsp::TextEdit {
                    range,
                    new_text: text.to_string(),
                });
            }
            if !changes.is_empty() {
                out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: fix
                        .get("title")
                        .and_then(|t| t.as_str())
                        .unwrap_or("Fix")
                        .to_string(),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![d.clone()]),
                    edit: Some(lsp::WorkspaceEdit {
                        changes: Some(changes),
                        ..Default::default()
                    }),
                    is_preferred: Some(true),
                    ..Default::default()
                }));
            }
        }
        // `# cachelint: ignore[rule]` on a line of its own above, indented like the finding's
        // line.
        let line = d.range.start.line;
        let text = f.line_text(line + 1);
        let indent: String = text.chars().take_while(|c| c.is_whitespace()).collect();
        let insert = lsp::Position { line, character: 0 };
        let mut changes = std::collections::HashMap::new();
        changes.insert(
            uri.clone(),
            vec![lsp::TextEdit {
                range: lsp::Range {
                    start: insert,
                    end: insert,
                },
                new_text: format!("{indent}# cachelint: ignore[{rule}]\n"),
            }],
        );
        out.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: format!("Suppress `{rule}` on this line"),
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![d.clone()]),
            edit: Some(lsp::WorkspaceEdit {
                changes: Some(changes),
                ..Default::default()
            }),
            ..Default::default()
        }));
    }
    out
}
