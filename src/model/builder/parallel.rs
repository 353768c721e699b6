//! `parallel` (`Config::Normalizer`): `parallel: N` makes N jobs named `job i/N`;
//! `parallel: matrix` makes one job per combination, named `job: [v1, v2]`, each item of the
//! matrix the cartesian product of its lists in key order, summed over the items. More than
//! [`LIMIT`] jobs, or a count outside 1 to 200, is reported and the job kept as written.

use super::{Builder, ruby_to_s};
use crate::model::{Instance, Origin, Variable, VariableSource};
use crate::resolve::value::{REntry, RValue};
use crate::rules::too_many_parallel_jobs::{self, LIMIT};
use crate::yaml::Value;
use std::rc::Rc;

impl Builder<'_, '_> {
    /// The jobs GitLab makes of job `name` (written at `entry`) with `parallel` `parallel`.
    pub(super) fn instances(
        &mut self,
        entry: &REntry,
        name: &str,
        parallel: Option<&REntry>,
    ) -> Vec<Instance> {
        let ctx = self.ctx;
        let single = || {
            vec![Instance {
                name: name.to_string(),
                node: None,
                matrix: Vec::new(),
            }]
        };
        let Some(parallel) = parallel else {
            return single();
        };
        if let Some(Value::Int(n)) = ctx.scalar(&parallel.value) {
            let n = *n;
            if n < 1 || n as u64 > LIMIT {
                self.too_many(entry, parallel, n.max(0) as u64);
                return single();
            }
            return (1..=n as u32)
                .map(|i| Instance {
                    name: format!("{name} {i}/{n}"),
                    node: Some((i, n as u32)),
                    matrix: Vec::new(),
                })
                .collect();
        }
        let Some(matrix) = ctx.get(&parallel.value, "matrix") else {
            return single();
        };
        let mut combos: Vec<Vec<(String, String, Origin)>> = Vec::new();
        let mut total: u64 = 0;
        for item in ctx.items(&matrix.value) {
            let dims: Vec<(String, Vec<(String, Origin)>)> = ctx
                .entries(&item)
                .into_iter()
                .map(|e| {
                    let values: Vec<RValue> = if ctx.is_seq(&e.value) {
                        ctx.items(&e.value)
                    } else {
                        vec![e.value.clone()]
                    };
                    let values = values
                        .iter()
                        .map(|v| (ruby_to_s(ctx, v), self.item_origin(v, ctx.key_loc(&e))))
                        .collect();
                    (ctx.key(&e).into_owned(), values)
                })
                .collect();
            let count: u64 = dims.iter().map(|(_, v)| v.len() as u64).product();
            total = total.saturating_add(count);
            if total > LIMIT {
                continue;
            }
            let mut acc: Vec<Vec<(String, String, Origin)>> = vec![Vec::new()];
            for (var, values) in &dims {
                acc = acc
                    .into_iter()
                    .flat_map(|prefix| {
                        values.iter().map(move |(v, o)| {
                            let mut next = prefix.clone();
                            next.push((var.clone(), v.clone(), *o));
                            next
                        })
                    })
                    .collect();
            }
            combos.extend(acc.into_iter().filter(|c| !c.is_empty()));
        }
        if total > LIMIT {
            self.too_many(entry, parallel, total);
            return single();
        }
        if combos.is_empty() {
            return single();
        }
        combos
            .into_iter()
            .map(|combo| {
                let values: Vec<&str> = combo.iter().map(|(_, v, _)| v.as_str()).collect();
                Instance {
                    name: format!("{name}: [{}]", values.join(", ")),
                    node: None,
                    matrix: combo
                        .into_iter()
                        .map(|(var, value, origin)| {
                            Rc::new(Variable {
                                name: var,
                                value,
                                expand: true,
                                origin,
                                source: VariableSource::Matrix,
                            })
                        })
                        .collect(),
                }
            })
            .collect()
    }

    fn too_many(&mut self, entry: &REntry, parallel: &REntry, count: u64) {
        self.diags.push(too_many_parallel_jobs::too_many(
            self.ctx.key_loc(parallel),
            &self.ctx.key(entry),
            count,
        ));
    }
}
