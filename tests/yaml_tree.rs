//! The span-preserving YAML tree: spans, aliases, merges with provenance, limits.

use cachelint::source::{FileId, SourceFile};
use cachelint::yaml::{Kind, Limits, ParsedFile, Tag, parse_file};

fn load(text: &str) -> ParsedFile {
    parse_file(FileId(0), text, &Limits::default())
}

fn slice(text: &str, span: cachelint::source::Span) -> &str {
    &text[span.start as usize..span.end as usize]
}

#[test]
fn every_node_has_its_span_keys_included_and_flow_collections_end_at_their_bracket() {
    let text = "job:\n  tags: [a, {b: c}]\n  \"quoted\": 'x'\n";
    let p = load(text);
    let doc = &p.doc;
    let root = doc.root().expect("root");
    let job = doc.get(root, "job").expect("job");
    assert_eq!(slice(text, doc.span(job.key)), "job");
    let tags = doc.get(job.value, "tags").expect("tags");
    assert_eq!(slice(text, doc.span(tags.key)), "tags");
    assert_eq!(slice(text, doc.span(tags.value)), "[a, {b: c}]");
    let inner = doc.items(tags.value)[1];
    assert_eq!(slice(text, doc.span(inner)), "{b: c}");
    let quoted = doc.get(job.value, "quoted").expect("quoted key");
    assert_eq!(slice(text, doc.span(quoted.key)), "\"quoted\"");
    assert_eq!(slice(text, doc.span(quoted.value)), "'x'");
    // A block mapping spans from its first key to the end of its last value.
    assert_eq!(
        slice(text, doc.span(job.value)),
        "tags: [a, {b: c}]\n  \"quoted\": 'x'"
    );
}

#[test]
fn spans_are_byte_offsets_and_positions_count_characters_and_utf16_units() {
    let text = "vars: {GRÜSSE: \"héllo 😀\", after: x}\n";
    let p = load(text);
    let doc = &p.doc;
    let vars = doc
        .get(doc.root().expect("root"), "vars")
        .expect("vars")
        .value;
    let after = doc.get(vars, "after").expect("after");
    assert_eq!(slice(text, doc.span(after.key)), "after");
    let file = SourceFile::new("f".into(), "f".into(), text);
    let pos = file.line_col(doc.span(after.key).start);
    // `after` is the 27th character; 😀 takes two UTF-16 units.
    assert_eq!((pos.line, pos.col), (1, 27));
    assert_eq!(pos.col_utf16, 28);
}

#[test]
fn aliases_stay_nodes_with_their_own_span() {
    let text = "a: &anchor {x: 1}\nb: *anchor\n";
    let p = load(text);
    let doc = &p.doc;
    let root = doc.root().expect("root");
    let a = doc.get(root, "a").expect("a").value;
    let b = doc.get(root, "b").expect("b").value;
    assert_eq!(doc.anchor_name(a), Some("anchor"));
    assert!(matches!(doc.node(b).kind, Kind::Alias { target } if target == a));
    assert_eq!(slice(text, doc.span(b)), "*anchor");
    assert_eq!(doc.alias_name(b, text), Some("anchor"));
    assert_eq!(doc.deref(b), a);
}

#[test]
fn merge_keys_follow_psych_and_record_the_alias_they_came_through() {
    let text = "\
.base: &base
  image: ruby
  stage: test
.extra: &extra
  stage: build
  tags: [x]
job:
  stage: early
  <<: [*base, *extra]
  image: python
";
    let p = load(text);
    let doc = &p.doc;
    let root = doc.root().expect("root");
    let job = doc.get(root, "job").expect("job").value;
    let keys: Vec<String> = doc
        .entries(job)
        .iter()
        .map(|e| doc.key_ident(e.key).display().into_owned())
        .collect();
    // Psych builds the list's merge from the last item back (`stage`, `tags`, then `image`),
    // and `Hash#merge!` keeps `stage` at its first position and appends the others.
    assert_eq!(keys, ["stage", "tags", "image"]);
    let stage = doc.get(job, "stage").expect("stage");
    // Written before `<<`, so the merged value wins, and the earlier list item (*base) wins.
    assert_eq!(doc.as_str(stage.value), Some("test"));
    let via = doc.via(stage.via.expect("merged"));
    assert_eq!(slice(text, doc.span(via.source)), "*base");
    assert_eq!(slice(text, doc.span(via.merge_key)), "<<");
    let image = doc.get(job, "image").expect("image");
    assert_eq!(doc.as_str(image.value), Some("python"));
    assert!(image.via.is_none());
    let tags = doc.get(job, "tags").expect("tags");
    assert_eq!(
        slice(text, doc.span(doc.via(tags.via.expect("merged")).source)),
        "*extra"
    );
    // Merging is not a duplicate key.
    assert!(p.diagnostics.is_empty(), "{:?}", p.diagnostics);
}

#[test]
fn nested_merges_keep_the_whole_chain() {
    let text = "a: &a {k: 1}\nb: &b {<<: *a}\nc: {<<: *b}\n";
    let p = load(text);
    let doc = &p.doc;
    let c = doc.get(doc.root().expect("root"), "c").expect("c").value;
    let k = doc.get(c, "k").expect("k");
    let outer = doc.via(k.via.expect("via"));
    assert_eq!(slice(text, doc.span(outer.source)), "*b");
    let inner = doc.via(outer.parent.expect("parent"));
    assert_eq!(slice(text, doc.span(inner.source)), "*a");
}

#[test]
fn merge_with_a_non_mapping_is_a_plain_key() {
    let p = load("a: &s hello\nb:\n  <<: *s\n");
    let doc = &p.doc;
    let b = doc.get(doc.root().expect("root"), "b").expect("b").value;
    assert_eq!(
        doc.get(b, "<<").and_then(|e| doc.as_str(e.value)),
        Some("hello")
    );
}

#[test]
fn reference_tags_are_kept() {
    let text = "job:\n  script: !reference [.setup, script]\n";
    let p = load(text);
    let doc = &p.doc;
    let job = doc
        .get(doc.root().expect("root"), "job")
        .expect("job")
        .value;
    let script = doc.get(job, "script").expect("script").value;
    assert_eq!(doc.tag(script), Tag::Reference);
    assert_eq!(slice(text, doc.span(script)), "!reference [.setup, script]");
    let items: Vec<_> = doc
        .items(script)
        .iter()
        .filter_map(|&i| doc.as_str(i))
        .collect();
    assert_eq!(items, [".setup", "script"]);
}

#[test]
fn duplicate_keys_last_wins_with_a_warning_at_the_later_key() {
    let text = "a: 1\nb: 2\na: 3\n";
    let p = load(text);
    let doc = &p.doc;
    let root = doc.root().expect("root");
    let keys: Vec<_> = doc
        .entries(root)
        .iter()
        .filter_map(|e| doc.as_str(e.key))
        .collect();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(
        doc.scalar_text(doc.get(root, "a").expect("a").value),
        Some("3")
    );
    assert_eq!(p.diagnostics.len(), 1);
    let d = &p.diagnostics[0];
    assert_eq!(d.rule.name(), "duplicate-key");
    assert_eq!(d.span.start, 10);
    assert_eq!(d.labels[0].span.start, 0);
}

#[test]
fn an_alias_bomb_loads_instantly_and_is_refused() {
    let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i", "j"];
    let mut prev = "a";
    for n in names {
        text.push_str(&format!(
            "{n}: &{n} [{}]\n",
            vec![format!("*{prev}"); 9].join(", ")
        ));
        prev = n;
    }
    let start = std::time::Instant::now();
    let p = load(&text);
    // Not a timing assertion: a clone-based loader would not finish at all.
    let _ = start.elapsed();
    assert!(p.failed);
    assert!(p.doc.root().is_none());
    assert_eq!(p.diagnostics[0].rule.name(), "yaml-too-large");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let p = load(&"[".repeat(100_000));
    assert!(p.failed);
    assert_eq!(p.diagnostics[0].rule.name(), "yaml-too-deep");
    let mut block = String::new();
    for i in 0..2000 {
        block.push_str(&" ".repeat(i));
        block.push_str("k:\n");
    }
    let p = load(&block);
    assert!(p.failed);
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.rule.name() == "yaml-too-deep")
    );
}

#[test]
fn the_raw_size_limit_is_reported_but_the_content_still_loads() {
    let mut text = String::from("job:\n  script:\n");
    while text.len() < 2_200_000 {
        text.push_str("    - echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    }
    let p = load(&text);
    assert!(p.failed);
    assert!(p.doc.root().is_some());
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.rule.name() == "yaml-too-large")
    );
}

#[test]
fn a_spec_header_selects_the_last_document() {
    let p = load("spec:\n  inputs: {}\n---\njob:\n  script: [x]\n");
    let doc = &p.doc;
    assert!(p.header.is_some());
    assert!(doc.get(doc.root().expect("root"), "job").is_some());
    assert!(p.diagnostics.is_empty());
}

#[test]
fn syntax_errors_point_at_the_problem() {
    let text = "a:\n  b: 1\n c: 2\n";
    let p = load(text);
    assert!(p.failed);
    let d = &p.diagnostics[0];
    assert_eq!(d.rule.name(), "yaml-syntax");
    let file = SourceFile::new("f".into(), "f".into(), text);
    assert_eq!(file.line_col(d.span.start).line, 3);
}
