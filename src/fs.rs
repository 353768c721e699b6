//! The file-system seam: every file the pipeline reads goes through [`Fs`]. [`Disk`] is the
//! real disk (the CLI); [`Memory`] holds files in memory (tests, the browser playground) and can
//! lie over another file system (the language server's unsaved buffers over the disk).
//!
//! What may be read is decided above this trait (`load`): nothing outside the project, no link
//! out of it, nothing but regular files. Every implementation gets those guarantees.

use crate::util::paths::normalize;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Component, Path, PathBuf};

/// What is at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    /// A device, a FIFO, a socket: never read.
    Other,
}

/// An entry of a directory, as listed (links not followed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    /// `None` for a symbolic link (which a directory walk does not follow).
    pub kind: Option<Kind>,
}

/// Read-only access to files.
pub trait Fs {
    /// The whole content of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The absolute path with every symbolic link resolved.
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
    /// What is at `path`, links followed; `None` when nothing is.
    fn kind(&self, path: &Path) -> Option<Kind>;
    /// The size in bytes of the file at `path` (links followed).
    fn size(&self, path: &Path) -> Option<u64>;
    /// The entries of a directory, sorted by name.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>>;
    /// The directory relative paths are relative to.
    fn current_dir(&self) -> io::Result<PathBuf>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct Disk;

impl Fs for Disk {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }
    fn kind(&self, path: &Path) -> Option<Kind> {
        let meta = std::fs::metadata(path).ok()?;
        Some(if meta.is_file() {
            Kind::File
        } else if meta.is_dir() {
            Kind::Dir
        } else {
            Kind::Other
        })
    }
    fn size(&self, path: &Path) -> Option<u64> {
        std::fs::metadata(path).ok().map(|m| m.len())
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let mut out: Vec<DirEntry> = std::fs::read_dir(path)?
            .flatten()
            .map(|e| {
                let kind = e.file_type().ok().and_then(|t| {
                    if t.is_symlink() {
                        None
                    } else if t.is_dir() {
                        Some(Kind::Dir)
                    } else if t.is_file() {
                        Some(Kind::File)
                    } else {
                        Some(Kind::Other)
                    }
                });
                DirEntry {
                    name: e.file_name().to_string_lossy().into_owned(),
                    kind,
                }
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
    fn current_dir(&self) -> io::Result<PathBuf> {
        std::env::current_dir()
    }
}

/// Files in memory, by absolute path, optionally over another file system: a path this one
/// holds (or deletes) hides the one below. Directories exist where files are; symbolic links
/// can be declared (to test what a link out of the project does).
#[derive(Default)]
pub struct Memory<'a> {
    files: BTreeMap<PathBuf, Vec<u8>>,
    links: BTreeMap<PathBuf, PathBuf>,
    /// Paths (or directories) created by `dir`, with nothing in them yet.
    dirs: BTreeSet<PathBuf>,
    cwd: PathBuf,
    under: Option<&'a dyn Fs>,
}

impl<'a> Memory<'a> {
    /// An empty file system whose current directory is `/`.
    pub fn new() -> Memory<'a> {
        Memory {
            cwd: PathBuf::from("/"),
            ..Memory::default()
        }
    }
    /// Files in memory over `under`, with `under`'s current directory.
    pub fn over(under: &'a dyn Fs) -> Memory<'a> {
        Memory {
            cwd: under.current_dir().unwrap_or_else(|_| PathBuf::from("/")),
            under: Some(under),
            ..Memory::default()
        }
    }
    /// Sets the current directory.
    pub fn with_cwd(mut self, cwd: impl Into<PathBuf>) -> Self {
        self.cwd = cwd.into();
        self
    }
    /// Adds or replaces a file (relative paths are relative to the current directory).
    pub fn insert(&mut self, path: impl AsRef<Path>, content: impl Into<Vec<u8>>) {
        let p = self.absolute(path.as_ref());
        self.files.insert(p, content.into());
    }
    /// Removes a file added with [`Memory::insert`].
    pub fn remove(&mut self, path: impl AsRef<Path>) {
        let p = self.absolute(path.as_ref());
        self.files.remove(&p);
    }
    /// An empty directory.
    pub fn dir(&mut self, path: impl AsRef<Path>) {
        let p = self.absolute(path.as_ref());
        self.dirs.insert(p);
    }
    /// A symbolic link at `path` pointing to `target`.
    pub fn link(&mut self, path: impl AsRef<Path>, target: impl AsRef<Path>) {
        let p = self.absolute(path.as_ref());
        let t = self.absolute(target.as_ref());
        self.links.insert(p, t);
    }
    /// Whether this layer holds `path` as a file.
    pub fn holds(&self, path: &Path) -> bool {
        self.files.contains_key(&self.absolute(path))
    }

    fn absolute(&self, p: &Path) -> PathBuf {
        normalize(&self.cwd.join(p))
    }

    /// Resolves the links of this layer in `p`, component by component (at most 40 hops, as
    /// a kernel would).
    fn resolve(&self, p: &Path) -> PathBuf {
        let mut path = p.to_path_buf();
        'again: for _ in 0..40 {
            let comps: Vec<Component<'_>> = path.components().collect();
            let mut prefix = PathBuf::new();
            for (i, c) in comps.iter().enumerate() {
                prefix.push(c.as_os_str());
                if let Some(target) = self.links.get(&prefix) {
                    let mut next = target.clone();
                    for rest in &comps[i + 1..] {
                        next.push(rest.as_os_str());
                    }
                    path = normalize(&next);
                    continue 'again;
                }
            }
            return path;
        }
        path
    }

    fn is_dir_here(&self, p: &Path) -> bool {
        self.dirs.iter().any(|d| d.starts_with(p))
            || self.files.keys().any(|f| f.starts_with(p) && f != p)
    }
}

fn not_found(p: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", p.display()),
    )
}

impl Fs for Memory<'_> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let p = self.resolve(&self.absolute(path));
        match self.files.get(&p) {
            Some(b) => Ok(b.clone()),
            None => match self.under {
                Some(u) => u.read(&p),
                None => Err(not_found(path)),
            },
        }
    }
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let p = self.resolve(&self.absolute(path));
        if self.files.contains_key(&p) || self.is_dir_here(&p) {
            return Ok(p);
        }
        match self.under {
            Some(u) => u.canonicalize(&p),
            None => Err(not_found(path)),
        }
    }
    fn kind(&self, path: &Path) -> Option<Kind> {
        let p = self.resolve(&self.absolute(path));
        if self.files.contains_key(&p) {
            Some(Kind::File)
        } else if self.is_dir_here(&p) {
            Some(Kind::Dir)
        } else {
            self.under.and_then(|u| u.kind(&p))
        }
    }
    fn size(&self, path: &Path) -> Option<u64> {
        let p = self.resolve(&self.absolute(path));
        match self.files.get(&p) {
            Some(b) => Some(b.len() as u64),
            None => self.under.and_then(|u| u.size(&p)),
        }
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<DirEntry>> {
        let p = self.resolve(&self.absolute(path));
        let mut entries: BTreeMap<String, Option<Kind>> = BTreeMap::new();
        if let Some(u) = self.under
            && let Ok(list) = u.read_dir(&p)
        {
            for e in list {
                entries.insert(e.name, e.kind);
            }
        }
        let here = self
            .files
            .keys()
            .chain(self.dirs.iter())
            .chain(self.links.keys());
        let mut found = false;
        for f in here {
            let Ok(rest) = f.strip_prefix(&p) else {
                continue;
            };
            let mut comps = rest.components();
            let Some(first) = comps.next() else { continue };
            found = true;
            let name = first.as_os_str().to_string_lossy().into_owned();
            let kind = if comps.next().is_some() {
                Some(Kind::Dir)
            } else if self.links.contains_key(f) {
                None
            } else if self.files.contains_key(f) {
                Some(Kind::File)
            } else {
                Some(Kind::Dir)
            };
            entries.insert(name, kind);
        }
        if entries.is_empty() && !found && self.under.is_none() && !self.is_dir_here(&p) {
            return Err(not_found(path));
        }
        Ok(entries
            .into_iter()
            .map(|(name, kind)| DirEntry { name, kind })
            .collect())
    }
    fn current_dir(&self) -> io::Result<PathBuf> {
        Ok(self.cwd.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_files_directories_and_links() {
        let mut m = Memory::new().with_cwd("/p");
        m.insert(".gitlab-ci.yml", "a: 1\n");
        m.insert("ci/b.yml", "b: 2\n");
        m.insert("/outside/secret.yml", "s: 1\n");
        m.link("ci/link.yml", "/outside/secret.yml");
        assert_eq!(m.read(Path::new("ci/b.yml")).ok(), Some(b"b: 2\n".to_vec()));
        assert_eq!(m.kind(Path::new("/p/ci")), Some(Kind::Dir));
        assert_eq!(m.kind(Path::new("ci/b.yml")), Some(Kind::File));
        assert_eq!(m.kind(Path::new("nope.yml")), None);
        assert_eq!(
            m.canonicalize(Path::new("ci/link.yml")).ok(),
            Some(PathBuf::from("/outside/secret.yml"))
        );
        let names: Vec<(String, Option<Kind>)> = m
            .read_dir(Path::new("/p/ci"))
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.name, e.kind))
            .collect();
        assert_eq!(
            names,
            [
                ("b.yml".to_string(), Some(Kind::File)),
                ("link.yml".to_string(), None)
            ]
        );
    }

    #[test]
    fn memory_over_another_file_system() {
        let mut below = Memory::new().with_cwd("/p");
        below.insert("a.yml", "on disk");
        below.insert("b.yml", "on disk");
        let mut top = Memory::over(&below);
        top.insert("a.yml", "unsaved");
        assert_eq!(top.read(Path::new("a.yml")).ok(), Some(b"unsaved".to_vec()));
        assert_eq!(top.read(Path::new("b.yml")).ok(), Some(b"on disk".to_vec()));
        let names: Vec<String> = top
            .read_dir(Path::new("/p"))
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["a.yml", "b.yml"]);
    }
}
