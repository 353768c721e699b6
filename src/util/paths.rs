//! Paths as text: project-relative paths with `/`, `.` and `..` resolved without touching a
//! file system.

use std::path::{Component, Path, PathBuf};

/// Resolves `.` and `..` without touching the file system. `..` at the root stays at the root
/// (as the kernel has it); a relative path keeps the `..` it cannot resolve.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                let at_root = out.has_root() && out.parent().is_none();
                let above = out.as_os_str().is_empty()
                    || out.components().next_back() == Some(Component::ParentDir);
                if above {
                    out.push("..");
                } else if !at_root {
                    out.pop();
                }
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A path's components joined with `/` (what reports show, on every platform).
pub fn to_slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Whether path `p` is `dir` or lies inside it (`build/x` in `build`), compared as text.
pub fn within(p: &str, dir: &str) -> bool {
    p.strip_prefix(dir)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A path as the runner matches cache and artifact paths: relative to the project (a leading
/// `$CI_PROJECT_DIR/` dropped), no `./`, no trailing `/`, `..` applied.
pub fn project_relative(p: &str) -> String {
    let p = p.trim();
    let p = p.strip_prefix("$CI_PROJECT_DIR/").unwrap_or(p);
    let p = p.strip_prefix("${CI_PROJECT_DIR}/").unwrap_or(p);
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_as_text() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("a/../../x")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(project_relative("./build//out/"), "build/out");
        assert_eq!(project_relative("$CI_PROJECT_DIR/.cache/pip"), ".cache/pip");
        assert!(within("build/x", "build") && within("build", "build"));
        assert!(!within("build2", "build"));
    }
}
