//! GitLab's wildcard matching for `include:local` (`Repository#search_files_by_wildcard_path`):
//! the pattern is escaped, `**` becomes `.*?`, `*` becomes `[^/]*?`, and the result must match
//! a whole repository path. No other character is special.
//!
//! Also the doublestar patterns used elsewhere (`files.exclude` in cachelint.toml, artifact
//! paths compared by `cache-artifact-overlap`): [`doublestar`].

use regex::Regex;

/// The regular expression GitLab builds from a wildcard path.
pub fn pattern(path: &str) -> Option<Regex> {
    let mut re = String::from("^");
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("**") {
            re.push_str(".*?");
            rest = r;
        } else if let Some(r) = rest.strip_prefix('*') {
            re.push_str("[^/]*?");
            rest = r;
        } else {
            let c = rest.chars().next().unwrap_or('*');
            re.push_str(&regex::escape(&c.to_string()));
            rest = &rest[c.len_utf8()..];
        }
    }
    re.push('$');
    Regex::new(&re).ok()
}

/// The repository paths (sorted) that `path` matches.
pub fn matches(path: &str, files: &[String]) -> Vec<String> {
    let Some(re) = pattern(path) else {
        return Vec::new();
    };
    files.iter().filter(|f| re.is_match(f)).cloned().collect()
}

/// The regex for a doublestar pattern matched against a whole path: `**/` any number of
/// directories, `**` anything, `*` and `?` within one directory. With `classes_and_braces`,
/// `[...]` is a character class and `{a,b}` a choice (the runner's doublestar syntax);
/// without, they are literal. `None` when the result is not a valid regex.
pub fn doublestar(pattern: &str, classes_and_braces: bool) -> Option<Regex> {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    let mut braces = 0;
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '[' | ']' if classes_and_braces => re.push(c),
            '{' if classes_and_braces => {
                braces += 1;
                re.push_str("(?:");
            }
            '}' if braces > 0 => {
                braces -= 1;
                re.push(')');
            }
            ',' if braces > 0 => re.push('|'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    Regex::new(&re).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str) -> Vec<String> {
        let files: Vec<String> = [
            "configs/a.yml",
            "configs/sub/b.yml",
            "configs/sub/deeper/c.yml",
            "configs/x.yaml",
            "other/a.yml",
            "configs.yml",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        matches(p, &files)
    }

    #[test]
    fn single_star_stays_within_a_directory() {
        assert_eq!(m("configs/*.yml"), ["configs/a.yml"]);
    }

    #[test]
    fn double_star_crosses_directories() {
        assert_eq!(
            m("configs/**.yml"),
            [
                "configs/a.yml",
                "configs/sub/b.yml",
                "configs/sub/deeper/c.yml"
            ]
        );
    }

    #[test]
    fn double_star_slash_needs_a_subdirectory() {
        assert_eq!(
            m("configs/**/*.yml"),
            ["configs/sub/b.yml", "configs/sub/deeper/c.yml"]
        );
    }

    #[test]
    fn other_glob_characters_are_literal() {
        assert!(m("configs/?.yml").is_empty());
        assert!(m("configs/[a].yml").is_empty());
        assert!(m("configs/{a,x}.yml").is_empty());
    }
}
