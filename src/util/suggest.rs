//! "Did you mean": the closest of a list of names to a misspelt one.

/// The closest name, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(wrong: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 3).clamp(1, 3);
    candidates
        .filter(|c| *c != wrong)
        .map(|c| (edit_distance(wrong, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, c.len()))
        .map(|(_, c)| c)
}

/// "Did you mean" over one list of names for many misspelt ones (unknown `extends:` parents,
/// `!reference` targets: one list, the top-level keys, and possibly thousands of questions).
/// Names are compared only when their lengths could be close enough, and the work is capped:
/// past [`Suggester::BUDGET`] comparisons, no more suggestions are made, so a configuration
/// with thousands of unknown names stays linear.
pub struct Suggester {
    names: Vec<String>,
    budget: std::cell::Cell<usize>,
}

impl Suggester {
    /// How many name comparisons one suggester makes at most.
    pub const BUDGET: usize = 200_000;

    pub fn new(names: Vec<String>) -> Suggester {
        Suggester {
            names,
            budget: std::cell::Cell::new(Self::BUDGET),
        }
    }

    pub fn suggest(&self, wrong: &str) -> Option<&str> {
        let len = wrong.chars().count();
        let limit = (len / 3).clamp(1, 3);
        let left = self.budget.get();
        if left < self.names.len() {
            return None;
        }
        self.budget.set(left - self.names.len());
        self.names
            .iter()
            .filter(|c| c.len().abs_diff(wrong.len()) <= 4 * limit)
            .filter(|c| c.chars().count().abs_diff(len) <= limit && c.as_str() != wrong)
            .map(|c| (edit_distance(wrong, c), c.as_str()))
            .filter(|(d, _)| *d <= limit)
            .min_by_key(|(d, c)| (*d, c.len()))
            .map(|(_, c)| c)
    }
}

/// Levenshtein distance in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["cache", "script", "artifacts"];
        assert_eq!(did_you_mean("cach", names.iter().copied()), Some("cache"));
        assert_eq!(
            did_you_mean("scripts", names.iter().copied()),
            Some("script")
        );
        assert_eq!(did_you_mean("deploy", names.iter().copied()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
