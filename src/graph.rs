//! `cachelint graph`: the pipeline's cache flow as a picture. Jobs grouped by stage, each cache
//! key a node, an edge for each way a job uses a key (saves it, restores it, or both), the
//! artifacts that are extracted over a restored cache, and the findings of the cache rules on
//! the nodes and edges they concern.
//!
//! [`build`] computes a [`Graph`] from an analysis and its findings (from the cache flow,
//! [`crate::rules::flow`], and the overlaps `cache-artifact-overlap` finds); [`mermaid`] and
//! [`dot`] render it. No disk and no clock: the playground renders it in the browser.

use crate::Analysis;
use crate::diagnostic::{Category, Diagnostic, RuleId, Severity};
use crate::model::Cache;
use crate::resolve::value::Loc;
use crate::rules::cache_artifact_overlap::{self, Overwriter, overwrites};
use crate::rules::flow::Policy;
use crate::source::{FileId, Span};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// More job nodes than this and each stage is drawn as one node: a graph that size cannot be
/// read.
pub const MAX_JOB_NODES: usize = 500;
/// More keys than this and the others are drawn as one node.
pub const MAX_KEY_NODES: usize = 500;
/// Mermaid, with its default `maxEdges` and `maxTextSize`, refuses a diagram with more edges
/// or text than this ("Edge limit exceeded", "Maximum text size in diagram exceeded"): the
/// graph is grouped, then keys are merged, until it fits.
pub const MAX_EDGES: usize = 500;
pub const MAX_TEXT: usize = 50_000;
/// Keys are merged down to this many at most.
const MIN_KEY_NODES: usize = 8;

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A Mermaid `flowchart LR`, which GitLab renders in a ` ```mermaid ` block of Markdown.
    Mermaid,
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
}

/// Renders the graph in `format`.
pub fn render(g: &Graph, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid(g),
        Format::Dot => dot(g),
    }
}

/// The cache flow of one configuration, ready to draw.
#[derive(Debug, Default)]
pub struct Graph {
    /// The root configuration file, as reports name it.
    pub source: String,
    /// The stages that have a node, in stage order.
    pub stages: Vec<Stage>,
    pub jobs: Vec<JobNode>,
    pub keys: Vec<KeyNode>,
    pub edges: Vec<Edge>,
    /// The cache rules with findings on the graph, each with its highest severity there, by
    /// name.
    pub rules: Vec<(RuleId, Severity)>,
    /// What the reader should know about what is drawn (missing jobs, grouping).
    pub notes: Vec<String>,
}

/// A stage and its job nodes (indices in [`Graph::jobs`]).
#[derive(Debug)]
pub struct Stage {
    pub name: String,
    pub jobs: Vec<usize>,
}

/// A written job, one instance of it (`parallel`, matrix) when instances use different keys,
/// or, in a very large pipeline, every job of a stage.
#[derive(Debug)]
pub struct JobNode {
    pub label: String,
    pub findings: Findings,
}

/// A cache key (compared exactly, by its canonical form), or the keys past
/// [`MAX_KEY_NODES`].
#[derive(Debug)]
pub struct KeyNode {
    pub label: String,
    pub findings: Findings,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    Job(usize),
    Key(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeKind {
    /// Job → key: `policy: push`.
    Push,
    /// Key → job: `policy: pull`.
    Pull,
    /// Job ↔ key: `policy: pull-push` (the default).
    PullPush,
    /// Job ↔ key: a policy cachelint cannot know.
    Unknown,
    /// Job → key: the job's artifacts are extracted over this cache in a job that restores it
    /// and downloads them.
    Artifact,
}

#[derive(Debug)]
pub struct Edge {
    pub from: Node,
    pub to: Node,
    pub kind: EdgeKind,
    pub label: String,
    pub findings: Findings,
}

/// The findings on a node or an edge: each rule once, with its highest severity.
#[derive(Debug, Default)]
pub struct Findings {
    pub rules: Vec<(RuleId, Severity)>,
}

impl Findings {
    fn add(&mut self, rule: RuleId, severity: Severity) {
        match self.rules.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, s)) => *s = (*s).max(severity),
            None => {
                self.rules.push((rule, severity));
                self.rules.sort_by_key(|(r, _)| r.name());
            }
        }
    }
    /// The highest severity, if there is a finding.
    pub fn severity(&self) -> Option<Severity> {
        self.rules.iter().map(|(_, s)| *s).max()
    }
    /// One line per rule: `warning: cache-key-collision`.
    fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.rules
            .iter()
            .map(|(r, s)| format!("{}: {}", s.as_str(), r.name()))
    }
}

/// A finding of a cache rule about a job, and the cache of the job it is written in, if it is.
struct Concern {
    job: usize,
    cache: Option<usize>,
    rule: RuleId,
    severity: Severity,
}

/// Whether a finding at `file`/`span` is written in cache `c`: in the cache entry, at its
/// `cache:` key, or in one of its keywords (a cache merged from a template and a job has
/// keywords written in both).
fn in_cache(c: &Cache, file: FileId, span: Span) -> bool {
    let inside = |l: &Loc| l.file == file && l.span.start <= span.start && span.end <= l.span.end;
    let origin = |o: &crate::model::Origin| inside(&o.loc) || o.key.as_ref().is_some_and(inside);
    origin(&c.origin)
        || c.written
            .iter()
            .any(|w| inside(&w.key) || origin(&w.origin) || w.items.iter().any(|(_, o)| origin(o)))
}

/// The graph of an analysis, with the findings of the cache rules among `diagnostics` marked
/// on what they concern: the job they name, and the key and edges of the cache they are
/// written in. A graph past [`MAX_JOB_NODES`], [`MAX_EDGES`] or [`MAX_TEXT`] is drawn with one
/// node per stage, then with fewer keys, and its notes say so. Linear in the caches of all
/// job instances and the findings (a few layouts at most).
pub fn build<'d>(a: &Analysis, diagnostics: impl IntoIterator<Item = &'d Diagnostic>) -> Graph {
    let cx = a.rule_context();
    let flow = cx.flow();
    let jobs = &a.pipeline.jobs;
    // What every layout shares: the source, the rules found, the notes.
    let mut base = Graph {
        source: a
            .set
            .files
            .first()
            .map(|f| f.rel_path.clone())
            .unwrap_or_default(),
        ..Graph::default()
    };
    if let Some(why) = flow.incomplete {
        base.notes.push(format!(
            "jobs cachelint cannot see may use these caches too: {why}"
        ));
    }

    // Each instance's keys (cache index, canonical key), in order: flow.uses is in job,
    // instance and cache order.
    let mut keys_by_instance: Vec<Vec<Vec<(usize, &str)>>> = jobs
        .iter()
        .map(|j| vec![Vec::new(); j.instances.len()])
        .collect();
    for u in &flow.uses {
        if let Some(list) = keys_by_instance[u.job].get_mut(u.instance) {
            list.push((u.cache, u.key.canonical.as_str()));
        }
    }
    // A job whose instances use different keys gets one node per instance.
    let split: Vec<bool> = keys_by_instance
        .iter()
        .map(|inst| inst.len() > 1 && inst.iter().any(|k| *k != inst[0]))
        .collect();
    let keyed: HashSet<(usize, usize)> = flow.uses.iter().map(|u| (u.job, u.cache)).collect();

    // The findings of the cache rules, by the job they name.
    let by_name: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.name.as_str(), i))
        .collect();
    let mut concerns = Vec::new();
    let mut loose = 0usize;
    for d in diagnostics {
        if d.rule.category() != Category::Cache {
            continue;
        }
        let Some(&job) = d.job.as_deref().and_then(|n| by_name.get(n)) else {
            loose += 1;
            continue;
        };
        let cache = jobs[job]
            .caches
            .iter()
            .position(|c| in_cache(c, d.file, d.span));
        match base.rules.iter_mut().find(|(r, _)| *r == d.rule) {
            Some((_, s)) => *s = (*s).max(d.severity),
            None => base.rules.push((d.rule, d.severity)),
        }
        concerns.push(Concern {
            job,
            cache,
            rule: d.rule,
            severity: d.severity,
        });
    }
    base.rules.sort_by_key(|(r, _)| r.name());
    if loose > 0 {
        base.notes.push(format!(
            "{loose} finding{} of cache rules name{} no job and {} not drawn",
            plural(loose),
            if loose == 1 { "s" } else { "" },
            if loose == 1 { "is" } else { "are" }
        ));
    }

    // Artifacts extracted over a restored cache that has a key.
    let overwritten: Vec<_> = overwrites(&cx)
        .into_iter()
        .filter(|o| {
            matches!(o.by, Overwriter::Downloaded { .. }) && keyed.contains(&(o.job, o.cache))
        })
        .collect();

    // The jobs drawn: those with a cache, those whose artifacts overwrite one, those a finding
    // names.
    let mut drawn = vec![false; jobs.len()];
    for u in &flow.uses {
        drawn[u.job] = true;
    }
    for o in &overwritten {
        if let Overwriter::Downloaded { from, .. } = &o.by {
            for &(k, _) in from {
                drawn[k] = true;
            }
        }
    }
    for c in &concerns {
        drawn[c.job] = true;
    }
    let undrawn = drawn.iter().filter(|d| !**d).count();
    if undrawn > 0 {
        base.notes.push(format!(
            "{undrawn} job{} that use{} no cache {} not drawn",
            plural(undrawn),
            if undrawn == 1 { "s" } else { "" },
            if undrawn == 1 { "is" } else { "are" }
        ));
    }
    let mut order: Vec<usize> = (0..jobs.len()).filter(|&j| drawn[j]).collect();
    order.sort_by_key(|&j| jobs[j].stage_index);
    let nodes: usize = order
        .iter()
        .map(|&j| if split[j] { jobs[j].instances.len() } else { 1 })
        .sum();

    // One layout: one node per job (or instance), or, with `grouped` (the note that says
    // why), one per stage; at most `key_limit` keys, the others as one node.
    let layout = |grouped: Option<&str>, key_limit: usize| -> Graph {
        let mut g = Graph {
            source: base.source.clone(),
            rules: base.rules.clone(),
            notes: base.notes.clone(),
            ..Graph::default()
        };
        if let Some(why) = grouped {
            g.notes.push(why.to_string());
        }
        let grouped = grouped.is_some();

        // The job nodes, stage by stage: node_base[j] is job j's node (its first instance's when
        // it is split).
        let mut node_base: Vec<Option<usize>> = vec![None; jobs.len()];
        let mut last_stage: Option<usize> = None;
        for &j in &order {
            let job = &jobs[j];
            if last_stage != Some(job.stage_index) {
                last_stage = Some(job.stage_index);
                g.stages.push(Stage {
                    name: job.stage.value.clone(),
                    jobs: Vec::new(),
                });
                if grouped {
                    g.jobs.push(JobNode {
                        label: String::new(),
                        findings: Findings::default(),
                    });
                    let n = g.jobs.len() - 1;
                    if let Some(s) = g.stages.last_mut() {
                        s.jobs.push(n);
                    }
                }
            }
            if grouped {
                node_base[j] = Some(g.jobs.len() - 1);
                continue;
            }
            let base = g.jobs.len();
            node_base[j] = Some(base);
            if split[j] {
                for inst in &job.instances {
                    g.jobs.push(JobNode {
                        label: inst.name.clone(),
                        findings: Findings::default(),
                    });
                }
            } else {
                let n = job.instances.len();
                g.jobs.push(JobNode {
                    label: if n > 1 {
                        format!("{} ×{n}", job.name)
                    } else {
                        job.name.clone()
                    },
                    findings: Findings::default(),
                });
            }
            if let Some(s) = g.stages.last_mut() {
                s.jobs.extend(base..g.jobs.len());
            }
        }
        if grouped {
            // Each stage's node says how many jobs it stands for.
            let mut count: HashMap<usize, (usize, usize)> = HashMap::new();
            for &j in &order {
                if let Some(n) = node_base[j] {
                    let c = count.entry(n).or_default();
                    c.0 += 1;
                    c.1 += jobs[j].instances.len();
                }
            }
            for (n, node) in g.jobs.iter_mut().enumerate() {
                let (written, run) = count.get(&n).copied().unwrap_or_default();
                node.label = if run > written {
                    format!("{written} job{} ({run} with parallel)", plural(written))
                } else {
                    format!("{written} job{}", plural(written))
                };
            }
        }
        let node_of = |j: usize, inst: usize| -> Option<usize> {
            let base = node_base[j]?;
            Some(if split[j] && !grouped {
                base + inst
            } else {
                base
            })
        };
        let nodes_of = |j: usize| -> std::ops::Range<usize> {
            match node_base[j] {
                Some(b) if split[j] && !grouped => b..b + jobs[j].instances.len(),
                Some(b) => b..b + 1,
                None => 0..0,
            }
        };

        // The key nodes, in order of first use; keys past the limit share one node.
        let mut key_index: HashMap<&str, usize> = HashMap::new();
        let mut first_use: Vec<usize> = Vec::new();
        let mut overflow: Option<usize> = None;
        let mut overflowed = 0usize;
        for (i, u) in flow.uses.iter().enumerate() {
            if key_index.contains_key(u.key.canonical.as_str()) {
                continue;
            }
            let k = if g.keys.len() < key_limit {
                g.keys.push(KeyNode {
                    label: u.key.display.clone(),
                    findings: Findings::default(),
                });
                first_use.push(i);
                g.keys.len() - 1
            } else {
                overflowed += 1;
                *overflow.get_or_insert_with(|| {
                    g.keys.push(KeyNode {
                        label: String::new(),
                        findings: Findings::default(),
                    });
                    first_use.push(i);
                    g.keys.len() - 1
                })
            };
            key_index.insert(u.key.canonical.as_str(), k);
        }
        if let Some(k) = overflow {
            g.keys[k].label = format!("{overflowed} other keys");
            g.notes.push(format!(
                "{} keys: all but the first {key_limit} (in job order) are drawn as one node",
                key_limit + overflowed
            ));
        }
        // Keys that read the same but differ (`$CI_JOB_NAME` in two jobs) say whose they are.
        let mut shown: HashMap<String, usize> = HashMap::new();
        for k in &g.keys {
            *shown.entry(k.label.clone()).or_default() += 1;
        }
        for (k, node) in g.keys.iter_mut().enumerate() {
            if Some(k) == overflow || shown.get(&node.label).is_none_or(|&n| n < 2) {
                continue;
            }
            let u = &flow.uses[first_use[k]];
            let job = &jobs[u.job];
            let name = job
                .instances
                .get(u.instance)
                .map_or(job.name.as_str(), |i| i.name.as_str());
            node.label = format!("{} (of {name})", node.label);
        }

        // The edges, each (from, to, kind) once.
        let mut edge_index: HashMap<(Node, Node, EdgeKind), usize> = HashMap::new();
        let mut add_edge = |g: &mut Graph, from: Node, to: Node, kind: EdgeKind, label: String| {
            *edge_index.entry((from, to, kind)).or_insert_with(|| {
                g.edges.push(Edge {
                    from,
                    to,
                    kind,
                    label,
                    findings: Findings::default(),
                });
                g.edges.len() - 1
            })
        };
        // Per (job, cache): its key nodes and its edges, for the findings.
        let mut keys_of: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        let mut edges_of: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        for u in &flow.uses {
            let (Some(j), Some(&k)) = (
                node_of(u.job, u.instance),
                key_index.get(u.key.canonical.as_str()),
            ) else {
                continue;
            };
            let (from, to, kind) = match u.policy {
                Policy::Push => (Node::Job(j), Node::Key(k), EdgeKind::Push),
                Policy::Pull => (Node::Key(k), Node::Job(j), EdgeKind::Pull),
                Policy::PullPush => (Node::Job(j), Node::Key(k), EdgeKind::PullPush),
                Policy::Unknown => (Node::Job(j), Node::Key(k), EdgeKind::Unknown),
            };
            let label = match u.policy {
                Policy::Unknown => "policy unknown".to_string(),
                p => p.name().to_string(),
            };
            let e = add_edge(&mut g, from, to, kind, label);
            // The instances of a job come one after the other: comparing with the last entry
            // keeps these lists short without a search (a repeat only marks a finding twice,
            // which `Findings::add` ignores).
            let ks = keys_of.entry((u.job, u.cache)).or_default();
            if ks.last() != Some(&k) {
                ks.push(k);
            }
            let es = edges_of.entry((u.job, u.cache)).or_default();
            if es.last() != Some(&e) {
                es.push(e);
            }
        }
        // Artifacts over caches: from the job that uploads them to the key of the cache they are
        // extracted over.
        let mut artifact_edges_of: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        for o in &overwritten {
            let Overwriter::Downloaded {
                from,
                count,
                inside,
            } = &o.by
            else {
                continue;
            };
            let Some(ks) = keys_of.get(&(o.job, o.cache)).cloned() else {
                continue;
            };
            for (n, &(k, ai)) in from.iter().enumerate() {
                let path = jobs[k]
                    .artifacts
                    .as_ref()
                    .and_then(|a| a.paths.get(ai))
                    .map_or("", |p| p.value.as_str());
                let mut label = if *inside {
                    format!("artifacts inside: {path}")
                } else {
                    format!("artifacts: {path}")
                };
                if n + 1 == from.len() && *count > from.len() {
                    let more = count - from.len();
                    let _ = write!(label, " (and {more} more job{})", plural(more));
                }
                for p in nodes_of(k) {
                    for &kn in &ks {
                        let e = add_edge(
                            &mut g,
                            Node::Job(p),
                            Node::Key(kn),
                            EdgeKind::Artifact,
                            label.clone(),
                        );
                        let es = artifact_edges_of.entry((o.job, o.cache)).or_default();
                        if es.last() != Some(&e) {
                            es.push(e);
                        }
                    }
                }
            }
        }

        // The findings, on what they concern.
        for c in &concerns {
            for n in nodes_of(c.job) {
                g.jobs[n].findings.add(c.rule, c.severity);
            }
            let Some(ci) = c.cache else { continue };
            for &k in keys_of.get(&(c.job, ci)).into_iter().flatten() {
                g.keys[k].findings.add(c.rule, c.severity);
            }
            for &e in edges_of.get(&(c.job, ci)).into_iter().flatten() {
                g.edges[e].findings.add(c.rule, c.severity);
            }
            if c.rule == cache_artifact_overlap::RULE {
                for &e in artifact_edges_of.get(&(c.job, ci)).into_iter().flatten() {
                    g.edges[e].findings.add(c.rule, c.severity);
                }
            }
        }
        if g.jobs.is_empty() {
            g.notes.push("no job uses a cache".to_string());
        }
        g
    };

    // Mermaid draws at most 500 edges and 50 000 characters by default: past that, group the
    // jobs by stage, then halve the keys drawn until the graph fits (or cannot shrink more).
    let fits = |g: &Graph| g.edges.len() <= MAX_EDGES && mermaid(g).len() <= MAX_TEXT;
    let by_stage =
        format!("{nodes} job nodes, more than {MAX_JOB_NODES}: each stage is drawn as one node");
    let mut grouped = (nodes > MAX_JOB_NODES).then_some(by_stage);
    let mut g = layout(grouped.as_deref(), MAX_KEY_NODES);
    if grouped.is_none() && !fits(&g) {
        grouped = Some(format!(
            "one node per job needs {} edges and {} characters of Mermaid, more than Mermaid draws by default ({MAX_EDGES} edges, {MAX_TEXT} characters): each stage is drawn as one node",
            g.edges.len(),
            mermaid(&g).len()
        ));
        g = layout(grouped.as_deref(), MAX_KEY_NODES);
    }
    let mut keys = MAX_KEY_NODES;
    while !fits(&g) && keys > MIN_KEY_NODES {
        keys /= 2;
        g = layout(grouped.as_deref(), keys);
    }
    g
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The legend's lines: what edges and colours mean, the rules found, the notes.
fn legend(g: &Graph) -> Vec<String> {
    let mut lines = vec![
        "push: the job saves the cache under this key".to_string(),
        "pull: the job restores it".to_string(),
        "pull-push (both arrows): it restores and saves it".to_string(),
        "dotted: these artifacts are extracted over the restored cache, in a job that downloads them"
            .to_string(),
        "red, orange, blue: an error, warning or info of the rule named (cachelint rule NAME)"
            .to_string(),
    ];
    for (r, s) in &g.rules {
        lines.push(format!("{} ({}): {}", r.name(), s.as_str(), r.summary()));
    }
    for n in &g.notes {
        lines.push(format!("note: {n}"));
    }
    lines
}

/// Fill and line colours by severity.
fn colours(s: Severity) -> (&'static str, &'static str) {
    match s {
        Severity::Error => ("#ffe3e3", "#c92a2a"),
        Severity::Warning => ("#fff3bf", "#e67700"),
        Severity::Info => ("#e7f5ff", "#1971c2"),
    }
}

/// The colour of artifact edges.
const ARTIFACT: &str = "#7048e8";

fn node_id(n: Node) -> String {
    match n {
        Node::Job(i) => format!("j{i}"),
        Node::Key(i) => format!("k{i}"),
    }
}

/// A text for a quoted Mermaid label: `"`, `#`, `&`, `<`, `>`, `` ` ``, `%` and a `$` next to
/// another as entity codes (quotes would end the label, `<` starts HTML, `#...;` is an
/// entity, a backtick a Markdown string, `%%{` a directive, `$$` KaTeX), control characters
/// as U+FFFD.
pub fn mermaid_text(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '`' => out.push_str("#96;"),
            '%' => out.push_str("#37;"),
            '$' if (i > 0 && chars[i - 1] == '$') || chars.get(i + 1) == Some(&'$') => {
                out.push_str("#36;")
            }
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Lines as one Mermaid label (escaped, joined by `<br/>`).
fn mermaid_lines<I: IntoIterator<Item = String>>(lines: I) -> String {
    lines
        .into_iter()
        .map(|l| mermaid_text(&l))
        .collect::<Vec<_>>()
        .join("<br/>")
}

/// A Mermaid `flowchart LR`: a subgraph per stage, keys as cylinders, findings as classes and
/// link styles, a legend.
pub fn mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    let _ = writeln!(
        out,
        "  %% cachelint graph: the cache flow of {}",
        mermaid_text(&g.source)
    );
    for (s, stage) in g.stages.iter().enumerate() {
        let _ = writeln!(out, "  subgraph s{s}[\"{}\"]", mermaid_text(&stage.name));
        for &j in &stage.jobs {
            let node = &g.jobs[j];
            let label =
                mermaid_lines(std::iter::once(node.label.clone()).chain(node.findings.lines()));
            let _ = writeln!(out, "    j{j}[\"{label}\"]");
        }
        out.push_str("  end\n");
    }
    for (k, key) in g.keys.iter().enumerate() {
        let label = mermaid_lines(std::iter::once(key.label.clone()).chain(key.findings.lines()));
        let _ = writeln!(out, "  k{k}[(\"{label}\")]");
    }
    for e in &g.edges {
        let arrow = match e.kind {
            EdgeKind::Push | EdgeKind::Pull => "-->",
            EdgeKind::PullPush | EdgeKind::Unknown => "<-->",
            EdgeKind::Artifact => "-.->",
        };
        let _ = writeln!(
            out,
            "  {} {arrow}|\"{}\"| {}",
            node_id(e.from),
            mermaid_text(&e.label),
            node_id(e.to)
        );
    }
    out.push_str("  subgraph legend[\"Legend\"]\n");
    let _ = writeln!(out, "    legend_text[\"{}\"]", mermaid_lines(legend(g)));
    out.push_str("  end\n");
    // Styles: one class per severity, one link style per look.
    for s in [Severity::Error, Severity::Warning, Severity::Info] {
        let (fill, line) = colours(s);
        let _ = writeln!(
            out,
            "  classDef {} fill:{fill},stroke:{line},stroke-width:2px",
            s.as_str()
        );
    }
    out.push_str("  classDef legend fill:#f8f9fa,stroke:#adb5bd\n");
    for s in [Severity::Error, Severity::Warning, Severity::Info] {
        let ids: Vec<String> = g
            .jobs
            .iter()
            .enumerate()
            .filter(|(_, n)| n.findings.severity() == Some(s))
            .map(|(i, _)| format!("j{i}"))
            .chain(
                g.keys
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.findings.severity() == Some(s))
                    .map(|(i, _)| format!("k{i}")),
            )
            .collect();
        if !ids.is_empty() {
            let _ = writeln!(out, "  class {} {}", ids.join(","), s.as_str());
        }
    }
    out.push_str("  class legend_text legend\n");
    let mut styles: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, e) in g.edges.iter().enumerate() {
        let style = match (e.findings.severity(), e.kind) {
            (Some(s), EdgeKind::Artifact) => {
                format!(
                    "stroke:{},stroke-width:2px,stroke-dasharray:3 3",
                    colours(s).1
                )
            }
            (Some(s), _) => format!("stroke:{},stroke-width:2px", colours(s).1),
            (None, EdgeKind::Artifact) => format!("stroke:{ARTIFACT},stroke-dasharray:3 3"),
            (None, EdgeKind::Unknown) => "stroke-dasharray:6 3".to_string(),
            (None, _) => continue,
        };
        match styles.iter_mut().find(|(s, _)| *s == style) {
            Some((_, list)) => list.push(i),
            None => styles.push((style, vec![i])),
        }
    }
    for (style, list) in styles {
        let list: Vec<String> = list.iter().map(usize::to_string).collect();
        let _ = writeln!(out, "  linkStyle {} {style}", list.join(","));
    }
    out
}

/// A text for a quoted DOT string: `\` and `"` escaped (a backslash would start `\n`, `\N`,
/// `\G`...), `&` as `&amp;` (Graphviz reads entities in labels), a backtick as `&#96;` (so
/// the text can sit in a Markdown code block), control characters as U+FFFD.
pub fn dot_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '&' => out.push_str("&amp;"),
            '`' => out.push_str("&#96;"),
            c if c.is_control() || c == '\u{2028}' || c == '\u{2029}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Lines as one DOT label, each ending with `end` (`\n` centred, `\l` left-aligned).
fn dot_lines<I: IntoIterator<Item = String>>(lines: I, end: &str) -> String {
    let v: Vec<String> = lines.into_iter().map(|l| dot_text(&l)).collect();
    match end {
        "\\l" => v.iter().map(|l| format!("{l}\\l")).collect(),
        _ => v.join(end),
    }
}

/// Graphviz DOT: `rankdir=LR`, a cluster per stage, keys as cylinders, findings as colours,
/// a legend.
pub fn dot(g: &Graph) -> String {
    let mut out = String::from("digraph cache_flow {\n");
    // The legend is the graph's label, under the drawing: as a node it would widen a rank.
    let mut label = vec![format!("cache flow of {}", g.source), String::new()];
    label.extend(legend(g));
    let _ = writeln!(
        out,
        "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11, labelloc=b, labeljust=l, label=\"{}\"];",
        dot_lines(label, "\\l")
    );
    out.push_str("  node [fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    let style = |f: &Findings, shape: &str, fill: &str| -> String {
        match f.severity() {
            Some(s) => {
                let (fill, line) = colours(s);
                format!(
                    "shape={shape}, style=\"{},filled\", fillcolor=\"{fill}\", color=\"{line}\", penwidth=2",
                    if shape == "box" { "rounded" } else { "solid" }
                )
            }
            None => format!(
                "shape={shape}, style=\"{},filled\", fillcolor=\"{fill}\"",
                if shape == "box" { "rounded" } else { "solid" }
            ),
        }
    };
    for (s, stage) in g.stages.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_s{s} {{");
        let _ = writeln!(
            out,
            "    label=\"{}\";\n    labelloc=t;\n    labeljust=c;",
            dot_text(&stage.name)
        );
        out.push_str("    style=\"rounded,dashed\";\n    color=\"#868e96\";\n");
        for &j in &stage.jobs {
            let node = &g.jobs[j];
            let label = dot_lines(
                std::iter::once(node.label.clone()).chain(node.findings.lines()),
                "\\n",
            );
            let _ = writeln!(
                out,
                "    j{j} [label=\"{label}\", {}];",
                style(&node.findings, "box", "#ffffff")
            );
        }
        out.push_str("  }\n");
    }
    for (k, key) in g.keys.iter().enumerate() {
        let label = dot_lines(
            std::iter::once(key.label.clone()).chain(key.findings.lines()),
            "\\n",
        );
        let _ = writeln!(
            out,
            "  k{k} [label=\"{label}\", {}];",
            style(&key.findings, "cylinder", "#f1f3f5")
        );
    }
    for e in &g.edges {
        let mut attrs = vec![format!("label=\"{}\"", dot_text(&e.label))];
        match e.kind {
            EdgeKind::PullPush => attrs.push("dir=both".into()),
            EdgeKind::Unknown => {
                attrs.push("dir=both".into());
                attrs.push("style=dashed".into());
            }
            EdgeKind::Artifact => attrs.push("style=dotted".into()),
            EdgeKind::Push | EdgeKind::Pull => {}
        }
        let colour = match (e.findings.severity(), e.kind) {
            (Some(s), _) => Some(colours(s).1),
            (None, EdgeKind::Artifact) => Some(ARTIFACT),
            (None, _) => None,
        };
        if let Some(c) = colour {
            attrs.push(format!("color=\"{c}\", fontcolor=\"{c}\""));
        }
        if e.findings.severity().is_some() {
            attrs.push("penwidth=2".into());
        }
        let _ = writeln!(
            out,
            "  {} -> {} [{}];",
            node_id(e.from),
            node_id(e.to),
            attrs.join(", ")
        );
    }
    // Stages left to right in stage order, whatever the edges say.
    for pair in g.stages.windows(2) {
        if let (Some(a), Some(b)) = (pair[0].jobs.first(), pair[1].jobs.first()) {
            let _ = writeln!(out, "  j{a} -> j{b} [style=invis];");
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::{dot_text, mermaid_text};

    #[test]
    fn mermaid_labels_cannot_break_out() {
        assert_eq!(
            mermaid_text("0_go-<hash of go.mod>"),
            "0_go-#lt;hash of go.mod#gt;"
        );
        assert_eq!(mermaid_text("a\"]-->x"), "a#quot;]--#gt;x");
        assert_eq!(
            mermaid_text("npm-$CI_COMMIT_REF_SLUG"),
            "npm-$CI_COMMIT_REF_SLUG"
        );
        assert_eq!(mermaid_text("$$x$$"), "#36;#36;x#36;#36;");
        assert_eq!(mermaid_text("%%{init}%%"), "#37;#37;{init}#37;#37;");
        assert_eq!(mermaid_text("#lt;&`\n"), "#35;lt;#amp;#96;\u{FFFD}");
    }

    #[test]
    fn dot_labels_cannot_break_out() {
        assert_eq!(dot_text("a\"b\\N\n"), "a\\\"b\\\\N\u{FFFD}");
        assert_eq!(dot_text("<hash of {x}>"), "<hash of {x}>");
        assert_eq!(dot_text("&amp; ```"), "&amp;amp; &#96;&#96;&#96;");
    }
}
