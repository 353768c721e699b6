//! The project a configuration belongs to, and what may be read of it: files inside the project
//! directory only, no symbolic link that leads out of it, nothing but regular files. Every read
//! of the loading stage (the root file, includes, wildcard listings, `cachelint.toml`) goes
//! through here, over any [`Fs`].

use crate::fs::{Fs, Kind};
use crate::util::paths::{normalize, to_slash};
use std::cell::OnceCell;
use std::path::{Path, PathBuf};

/// Why a file of the project is not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The path leads out of the project directory.
    Outside,
    /// Nothing is there.
    Missing,
    /// A symbolic link (or a directory on the way) leads out of the project.
    LinkOutside,
    /// A directory, a device, a FIFO: not a regular file.
    NotAFile,
    /// Reading failed.
    Unreadable(String),
    /// Larger than what is read at all (its size).
    TooLarge(u64),
}

/// The project root and the file system it is read through.
pub struct Project<'f> {
    pub fs: &'f dyn Fs,
    /// Absolute, `.` and `..` resolved.
    pub root: PathBuf,
    canonical_root: PathBuf,
    files: OnceCell<Vec<String>>,
}

/// The git top level containing `dir` (the nearest directory with a `.git`), else `dir`.
pub fn git_root(fs: &dyn Fs, dir: &Path) -> PathBuf {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if fs.kind(&d.join(".git")).is_some() {
            return d.to_path_buf();
        }
        cur = d.parent();
    }
    dir.to_path_buf()
}

/// `p` made absolute against the file system's current directory, `.` and `..` resolved.
pub fn absolute(fs: &dyn Fs, p: &Path) -> std::io::Result<PathBuf> {
    Ok(normalize(&if p.is_absolute() {
        p.to_path_buf()
    } else {
        fs.current_dir()?.join(p)
    }))
}

impl<'f> Project<'f> {
    /// The project at `root` (absolute).
    pub fn new(fs: &'f dyn Fs, root: PathBuf) -> Project<'f> {
        let canonical_root = fs.canonicalize(&root).unwrap_or_else(|_| root.clone());
        Project {
            fs,
            root,
            canonical_root,
            files: OnceCell::new(),
        }
    }

    /// A path given relative to the project root, joined and normalized, with its relative
    /// form (`/`-separated); `Outside` when it climbs out.
    pub fn locate(&self, rel: &str) -> Result<(PathBuf, String), Refusal> {
        let joined = normalize(&self.root.join(rel));
        match joined.strip_prefix(&self.root) {
            Ok(r) => Ok((joined.clone(), to_slash(r))),
            Err(_) => Err(Refusal::Outside),
        }
    }

    /// The path of an absolute `path` relative to the project root, when it is inside.
    pub fn relative(&self, path: &Path) -> Option<String> {
        path.strip_prefix(&self.root).ok().map(to_slash)
    }

    /// Reads the file at `path` (absolute, inside the project) if it may be read and is at
    /// most `max` bytes.
    pub fn read(&self, path: &Path, max: u64) -> Result<Vec<u8>, Refusal> {
        if !path.starts_with(&self.root) {
            return Err(Refusal::Outside);
        }
        let canonical = self.fs.canonicalize(path).map_err(|_| Refusal::Missing)?;
        if !canonical.starts_with(&self.canonical_root) {
            return Err(Refusal::LinkOutside);
        }
        // Asked before opening: opening a FIFO would wait for a writer forever.
        if self.fs.kind(&canonical) != Some(Kind::File) {
            return Err(Refusal::NotAFile);
        }
        if let Some(size) = self.fs.size(&canonical)
            && size > max
        {
            return Err(Refusal::TooLarge(size));
        }
        self.fs
            .read(&canonical)
            .map_err(|e| Refusal::Unreadable(e.to_string()))
    }

    /// Every file of the project, relative and sorted (for wildcard includes); `.git` and
    /// links to directories are skipped.
    pub fn files(&self) -> &[String] {
        self.files.get_or_init(|| {
            let mut out = Vec::new();
            self.walk(&self.root, &mut out, 0);
            out.sort();
            out
        })
    }

    fn walk(&self, dir: &Path, out: &mut Vec<String>, depth: u32) {
        if depth > 64 {
            return;
        }
        let Ok(entries) = self.fs.read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = dir.join(&e.name);
            match e.kind {
                Some(Kind::Dir) if e.name != ".git" => self.walk(&path, out, depth + 1),
                Some(Kind::Dir) => {}
                // A link is listed when it points at a file (GitLab lists the repository's
                // files); a link to a directory is not followed.
                _ if e.kind.is_some() || self.fs.kind(&path) == Some(Kind::File) => {
                    if let Some(rel) = self.relative(&path) {
                        out.push(rel);
                    }
                }
                _ => {}
            }
        }
    }
}
