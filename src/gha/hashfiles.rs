//! `hashFiles(...)` evaluated against the repository's files, with the runner's semantics
//! (docs/semantics.md, "GitHub Actions"): the patterns go to `@actions/glob` (minimatch with
//! `dot`, no braces, no extglob; a leading `!` excludes; a pattern that matches a directory
//! matches every file below it), relative to `GITHUB_WORKSPACE`; files outside the workspace
//! are ignored, directories are not hashed; no file → `''`.

use regex::Regex;

/// Where a pattern points.
#[derive(Debug, PartialEq, Eq)]
pub enum Outside {
    /// An absolute path (`/etc/x`, `C:\x`).
    Absolute,
    /// It climbs out of the workspace with `..`.
    Parent,
    /// `~` is not expanded: it names a directory `~` in the workspace.
    Tilde,
}

/// Why a pattern cannot match a workspace file, when it cannot.
pub fn outside(pattern: &str) -> Option<Outside> {
    let p = pattern.trim().trim_start_matches('!');
    if p.starts_with('/')
        || p.starts_with('\\')
        || p.get(1..3) == Some(":\\")
        || p.get(1..3) == Some(":/")
    {
        return Some(Outside::Absolute);
    }
    if p == "~" || p.starts_with("~/") {
        return Some(Outside::Tilde);
    }
    let mut depth: i32 = 0;
    for seg in p.split('/') {
        match seg {
            ".." => {
                depth -= 1;
                if depth < 0 {
                    return Some(Outside::Parent);
                }
            }
            "." | "" => {}
            _ => depth += 1,
        }
    }
    None
}

/// The regex for one minimatch pattern (relative, `/`-separated) matched against a whole path;
/// `nocase` as on Windows runners.
fn regex(pattern: &str, nocase: bool) -> Option<Regex> {
    let p = pattern.trim();
    let p = p.strip_prefix("./").unwrap_or(p);
    let segs: Vec<&str> = p
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if segs.is_empty() {
        return None;
    }
    let mut re = String::from("^");
    let n = segs.len();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == n;
        if *seg == "**" {
            // Zero or more directories (any names, dot-files included).
            re.push_str(if last { ".*" } else { "(?:[^/]+/)*" });
            continue;
        }
        let mut chars = seg.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '*' => {
                    while chars.peek() == Some(&'*') {
                        chars.next();
                    }
                    re.push_str("[^/]*");
                }
                '?' => re.push_str("[^/]"),
                '[' => {
                    // A class up to its `]`; a lone `[` is literal.
                    let rest: String = chars.clone().collect();
                    match rest.find(']') {
                        Some(end) if end > 0 => {
                            let class = &rest[..end];
                            let (neg, body) = match class.strip_prefix(['!', '^']) {
                                Some(b) => (true, b),
                                None => (false, class),
                            };
                            re.push('[');
                            if neg {
                                re.push('^');
                            }
                            for ch in body.chars() {
                                if ch == '\\' || ch == '[' || ch == ']' || ch == '^' {
                                    re.push('\\');
                                }
                                re.push(ch);
                            }
                            re.push(']');
                            for _ in 0..=class.chars().count() {
                                chars.next();
                            }
                        }
                        _ => re.push_str(&regex::escape("[")),
                    }
                }
                '\\' => {
                    if let Some(n) = chars.next() {
                        re.push_str(&regex::escape(&n.to_string()));
                    }
                }
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        if !last {
            re.push('/');
        }
    }
    // Implicit descendants: a matched directory matches every file below it.
    re.push_str("(?:/.*)?$");
    regex::RegexBuilder::new(&re)
        .case_insensitive(nocase)
        .build()
        .ok()
}

/// The files (of `files`, repository paths) that `hashFiles(patterns...)` hashes. `None` when
/// a pattern cannot be read (then the result is unknown). `nocase`: Windows runners match
/// without case (`@actions/glob`: `nocase: IS_WINDOWS`).
pub fn matches<'f>(patterns: &[String], files: &'f [String], nocase: bool) -> Option<Vec<&'f str>> {
    let mut include = Vec::new();
    let mut exclude = Vec::new();
    for arg in patterns {
        // One argument may hold several patterns, one per line.
        for line in arg
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            if outside(line).is_some() {
                continue;
            }
            match line.strip_prefix('!') {
                Some(p) => exclude.push(regex(p, nocase)?),
                None => include.push(regex(line, nocase)?),
            }
        }
    }
    Some(
        files
            .iter()
            .map(String::as_str)
            .filter(|f| {
                include.iter().any(|r| r.is_match(f)) && !exclude.iter().any(|r| r.is_match(f))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &[&str], files: &[&str]) -> Vec<String> {
        let files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        let p: Vec<String> = p.iter().map(|s| s.to_string()).collect();
        matches(&p, &files, false)
            .unwrap_or_default()
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn globs() {
        let files = [
            "a/b/package-lock.json",
            "package-lock.json",
            ".x/y.lock",
            "src/main.rs",
        ];
        assert_eq!(m(&["**/package-lock.json"], &files).len(), 2);
        assert_eq!(m(&["package-lock.json"], &files), vec!["package-lock.json"]);
        assert_eq!(m(&["**/*.lock"], &files), vec![".x/y.lock"]);
        assert_eq!(m(&["src"], &files), vec!["src/main.rs"]);
        assert_eq!(
            m(&["**/package-lock.json", "!a/**"], &files),
            vec!["package-lock.json"]
        );
        assert!(m(&["{a,b}/x"], &files).is_empty());
        assert_eq!(m(&["./src/*.rs"], &files), vec!["src/main.rs"]);
        assert_eq!(m(&["src/[mn]ain.rs"], &files), vec!["src/main.rs"]);
        assert!(m(&["SRC/main.rs"], &files).is_empty());
        let owned: Vec<String> = files.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            matches(&["SRC/main.rs".to_string()], &owned, true).map(|v| v.len()),
            Some(1)
        );
        assert_eq!(outside("../x"), Some(Outside::Parent));
        assert_eq!(outside("a/../../x"), Some(Outside::Parent));
        assert_eq!(outside("a/../x"), None);
        assert_eq!(outside("~/.cache"), Some(Outside::Tilde));
        assert_eq!(outside("/tmp/x"), Some(Outside::Absolute));
    }
}
