//! `--output FILE`: where the report goes, and the only thing cachelint ever writes.
//!
//! - A regular file (or a new one) is replaced atomically: the report is written to a new,
//!   exclusively created temporary file with an unpredictable name in the same directory
//!   (`tempfile`), which is then renamed over it. A replaced file keeps its permissions; a new
//!   one gets the usual ones (0666 less the umask).
//! - A symbolic link stays a link: the file it points to is written as above, created if the
//!   link dangles (as a shell's `>` does).
//! - A device, a FIFO or a socket is written in place (`-o /dev/null`, `-o /dev/stdout`): renaming
//!   over it would replace it for every other program. A FIFO that no process reads is an error,
//!   not a wait.
//! - A file that is one of the configuration files checked is refused.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the report cannot be written.
pub struct Refused(pub String);

impl From<std::io::Error> for Refused {
    fn from(e: std::io::Error) -> Refused {
        Refused(e.to_string())
    }
}

/// Where writing `path` actually writes: the path itself, or the end of its chain of
/// symbolic links (at most 40), resolved against each link's directory.
fn target(path: &Path) -> PathBuf {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::read_link(&p) {
            Ok(to) => {
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            Err(_) => break,
        }
    }
    p
}

/// Writes `bytes` to `path`, unless `path` is one of `inputs` (canonical paths).
pub fn write(path: &Path, bytes: &[u8], inputs: &[PathBuf]) -> Result<(), Refused> {
    let target = target(path);
    if let Ok(canonical) = std::fs::canonicalize(&target)
        && inputs.contains(&canonical)
    {
        return Err(Refused(
            "it is one of the configuration files checked; give another file".into(),
        ));
    }
    match std::fs::metadata(&target) {
        Ok(meta) if !meta.is_file() => write_in_place(&target, bytes, &meta),
        existing => replace(&target, bytes, existing.ok().map(|m| m.permissions())),
    }
}

/// A device, FIFO or socket, written where it is.
fn write_in_place(path: &Path, bytes: &[u8], meta: &std::fs::Metadata) -> Result<(), Refused> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        if meta.file_type().is_fifo() {
            // Opening a FIFO to write waits for a reader forever: ask without waiting instead,
            // giving a reader that is starting at the same time two seconds to appear.
            let open = || {
                std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(libc::O_NONBLOCK)
                    .open(path)
            };
            let mut tries = 0;
            let file = loop {
                match open() {
                    Ok(f) => break f,
                    Err(e) if e.raw_os_error() == Some(libc::ENXIO) && tries < 200 => {
                        tries += 1;
                        std::thread::sleep(std::time::Duration::from_millis(10));
                    }
                    Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
                        return Err(Refused("it is a named pipe that no process reads".into()));
                    }
                    Err(e) => return Err(e.into()),
                }
            };
            blocking(&file)?;
            return write_all(file, bytes);
        }
    }
    let _ = meta;
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    write_all(file, bytes)
}

/// Turns a file opened without waiting back to an ordinary, waiting one.
#[cfg(unix)]
fn blocking(file: &std::fs::File) -> Result<(), Refused> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: `fd` is an open descriptor owned by `file` for the duration of these calls, and
    // F_GETFL/F_SETFL only read and set its status flags.
    let ok = unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags >= 0 && libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) >= 0
    };
    if ok {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().into())
    }
}

fn write_all(mut file: std::fs::File, bytes: &[u8]) -> Result<(), Refused> {
    file.write_all(bytes)?;
    file.flush()?;
    Ok(())
}

/// A regular file (or none yet) replaced by a temporary file renamed over it.
fn replace(
    path: &Path,
    bytes: &[u8],
    permissions: Option<std::fs::Permissions>,
) -> Result<(), Refused> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".cachelint-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all().ok();
    // The temporary file is private (0600): give the report the mode of the file it replaces,
    // or of a new file.
    if let Some(p) = permissions.or_else(new_file_permissions) {
        std::fs::set_permissions(tmp.path(), p)?;
    }
    tmp.persist(path)
        .map_err(|e| Refused(e.error.to_string()))?;
    Ok(())
}

/// What a newly created file gets: 0666 less the process's umask.
#[cfg(unix)]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask only reads and sets the process's file mode mask; it is set back at once,
    // and nothing else in this single-threaded moment creates files.
    let mask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    };
    Some(std::fs::Permissions::from_mode(0o666 & !(mask as u32)))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    None
}
