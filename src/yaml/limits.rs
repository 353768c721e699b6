//! GitLab's limits for one YAML file: its size as written (`max_yaml_size_bytes`), and the
//! depth and memory of the loaded value with aliases expanded (`max_yaml_depth`, the parsed
//! size), which make an alias bomb cost nothing to detect.

use super::{Doc, NodeId};
use crate::diagnostic::Diagnostic;
use crate::rules::{yaml_too_deep, yaml_too_large};
use crate::source::{FileId, Span};

/// GitLab's limits for one YAML file (instance settings `max_yaml_size_bytes`, `max_yaml_depth`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_depth: u32,
    /// Files larger than this are not read at all (only reported): GitLab refuses anything
    /// over `max_bytes`, and cachelint still checks what it can of files up to this size.
    pub read_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        // GitLab's defaults: 2 MB (raised from 1 MB by UpdateMaxTotalYamlSizeBytesValue) and 100.
        Limits {
            max_bytes: 2 * 1024 * 1024,
            max_depth: 100,
            read_bytes: 16 * 1024 * 1024,
        }
    }
}

pub(super) const DEEP: u32 = 1 << 30;
pub(super) const HUGE: u64 = 1 << 62;

/// What the builder learns about the cost of a document while it reads it.
#[derive(Default)]
pub(super) struct Cost {
    /// What the text costs without alias expansion.
    pub physical_size: u64,
    /// The first node found deeper than the limit, and the alias that made it so.
    pub too_deep_at: Option<(NodeId, Option<NodeId>)>,
    /// The alias that expands to the most memory.
    pub biggest_alias: Option<(NodeId, u64)>,
}

/// Reports GitLab's depth and size limits for the document of `file` whose root is `root`,
/// with alias-expanded `height` and `size`; true when it is over one. A document GitLab would
/// not even build (too deep, or an alias bomb) loses its root.
pub(super) fn check(
    doc: &mut Doc,
    file: FileId,
    limits: &Limits,
    cost: &Cost,
    (root, height, size): (NodeId, u32, u64),
    diags: &mut Vec<Diagnostic>,
) -> bool {
    if height > limits.max_depth {
        let (at, via) = cost.too_deep_at.unwrap_or((root, None));
        let primary = via.unwrap_or(at);
        let anchor = (via.is_some() && at != primary).then(|| doc.nodes[at.0 as usize].span);
        diags.push(yaml_too_deep::too_deep(
            file,
            doc.nodes[primary.0 as usize].span,
            limits.max_depth,
            via.is_some(),
            anchor,
        ));
        doc.root = None;
        return true;
    }
    if size > limits.max_bytes {
        let bomb = size / 8 > cost.physical_size.max(1);
        let via = cost.biggest_alias.filter(|_| bomb).map(|(a, _)| a);
        diags.push(yaml_too_large::parsed(
            file,
            match via {
                Some(a) => doc.nodes[a.0 as usize].span,
                None => Span::empty(doc.nodes[root.0 as usize].span.start),
            },
            (size < HUGE).then_some(size),
            limits.max_bytes,
            bomb,
            via.is_some(),
        ));
        if bomb {
            doc.root = None;
        }
        return true;
    }
    false
}
