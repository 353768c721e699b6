//! GitLab's limits for one YAML file: its size as written (`max_yaml_size_bytes`), and the
//! depth and memory of the loaded value with aliases expanded (`max_yaml_depth`, the parsed
//! size), which make an alias bomb cost nothing to detect.

use super::builder::{Builder, Child};
use crate::rules::{yaml_too_deep, yaml_too_large};
use crate::source::Span;

/// GitLab's limits for one YAML file (instance settings `max_yaml_size_bytes`, `max_yaml_depth`).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        // GitLab's defaults: 2 MB (raised from 1 MB by UpdateMaxTotalYamlSizeBytesValue) and 100.
        Limits {
            max_bytes: 2 * 1024 * 1024,
            max_depth: 100,
        }
    }
}

pub(super) const DEEP: u32 = 1 << 30;
pub(super) const HUGE: u64 = 1 << 62;

impl Builder<'_> {
    /// Reports GitLab's depth and size limits for the document whose root is `root`; true when
    /// it is over one.
    pub(super) fn check_limits(&mut self, root: Child) -> bool {
        if root.height > self.limits.max_depth {
            let (at, via) = self.too_deep_at.unwrap_or((root.node, None));
            let primary = via.unwrap_or(at);
            let anchor =
                (via.is_some() && at != primary).then(|| self.doc.nodes[at.0 as usize].span);
            self.diags.push(yaml_too_deep::too_deep(
                self.file,
                self.doc.nodes[primary.0 as usize].span,
                self.limits.max_depth,
                via.is_some(),
                anchor,
            ));
            self.doc.root = None;
            return true;
        }
        if root.size > self.limits.max_bytes {
            let bomb = root.size / 8 > self.physical_size.max(1);
            let via = self.biggest_alias.filter(|_| bomb).map(|(a, _)| a);
            self.diags.push(yaml_too_large::parsed(
                self.file,
                match via {
                    Some(a) => self.doc.nodes[a.0 as usize].span,
                    None => Span::empty(self.doc.nodes[root.node.0 as usize].span.start),
                },
                (root.size < HUGE).then_some(root.size),
                self.limits.max_bytes,
                bomb,
                via.is_some(),
            ));
            if bomb {
                self.doc.root = None;
            }
            return true;
        }
        false
    }
}
