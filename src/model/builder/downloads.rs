//! Whose artifacts each job downloads (`Ci::BuildDependencies#local`): none for
//! `dependencies: []`; with `needs`, the needed jobs that keep `artifacts: true`; otherwise
//! every job of an earlier stage; restricted to `dependencies` when it names jobs. A name in
//! `needs` or `dependencies` may be a job's written name or the name of one of the jobs
//! `parallel` makes of it; either way it stands for the written job.

use crate::model::{Downloads, Job};
use std::collections::HashMap;

/// What a job says about whose artifacts it takes.
pub(super) struct Links {
    /// `needs:`: each job named, and whether its artifacts are downloaded (absent when not
    /// written; empty for `needs: []`).
    pub needs: Option<Vec<(String, bool)>>,
    /// `dependencies:` (absent when not written).
    pub dependencies: Option<Vec<String>>,
}

/// Fills in each job's [`Downloads`]; `links[i]` is what job `i` says.
pub(super) fn wire(jobs: &mut [Job], links: &[Links]) {
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, j) in jobs.iter().enumerate() {
        by_name.entry(j.name.as_str()).or_insert(i);
        for inst in &j.instances {
            by_name.entry(inst.name.as_str()).or_insert(i);
        }
    }
    let lists: Vec<Downloads> = links
        .iter()
        .map(|l| {
            if l.dependencies.as_ref().is_some_and(|d| d.is_empty()) {
                return Downloads::Jobs(Vec::new());
            }
            let only: Option<Vec<usize>> = l.dependencies.as_ref().map(|deps| {
                let mut list: Vec<usize> = deps
                    .iter()
                    .filter_map(|d| by_name.get(d.as_str()).copied())
                    .collect();
                list.sort_unstable();
                list.dedup();
                list
            });
            match &l.needs {
                Some(needs) => {
                    let mut from: Vec<usize> = needs
                        .iter()
                        .filter(|(_, artifacts)| *artifacts)
                        .filter_map(|(n, _)| by_name.get(n.as_str()).copied())
                        .filter(|i| only.as_ref().is_none_or(|l| l.contains(i)))
                        .collect();
                    from.sort_unstable();
                    from.dedup();
                    Downloads::Jobs(from)
                }
                None => Downloads::EarlierStages { only },
            }
        })
        .collect();
    for (j, list) in jobs.iter_mut().zip(lists) {
        j.downloads = list;
    }
}
