//! Writing what the user asked for: report files written atomically, appends (GitHub's step
//! summary), and standard output where a closed pipe (`| head`) is not an error.

use std::io::{self, Write};
use std::path::Path;

use crate::error::Error;

/// Writes `data` to `path` the way a user means it:
/// - a regular file (or none yet) is replaced through a temporary file in the same folder and a
///   rename, so a reader never sees half a report and a failed write never destroys the previous
///   one; a new file gets the mode the umask gives (0644 under 022), an existing one keeps its;
/// - a symlink is followed: its target is what is written (the link stays a link);
/// - a device, FIFO or socket (`/dev/stdout`, `/dev/null`, a pipe) is written through, never
///   replaced.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), Error> {
    let target = resolve_links(path)?;
    match std::fs::metadata(&target) {
        Ok(m) if !m.is_file() => {
            if m.is_dir() {
                return Err(Error::Usage(format!(
                    "{} is a folder: give a file name to write the report to",
                    path.display()
                )));
            }
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(|e| Error::io(path, e))?;
            f.write_all(data)
                .and_then(|_| f.flush())
                .map_err(|e| Error::io(path, e))
        }
        existing => replace(&target, data, existing.ok().map(|m| m.permissions())),
    }
}

/// Follows a chain of symlinks to the path it ends at (which need not exist yet).
fn resolve_links(path: &Path) -> Result<std::path::PathBuf, Error> {
    let mut cur = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                let next = std::fs::read_link(&cur).map_err(|e| Error::io(&cur, e))?;
                cur = match cur.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                };
            }
            _ => return Ok(cur),
        }
    }
    Err(Error::Usage(format!(
        "{}: too many levels of symbolic links",
        path.display()
    )))
}

fn replace(path: &Path, data: &[u8], keep: Option<std::fs::Permissions>) -> Result<(), Error> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".shipgate-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Created with 0666 minus the umask, as any new file; an existing file's mode is kept.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(parent)
        .map_err(|e| Error::io(parent, e))?;
    tmp.write_all(data).map_err(|e| Error::io(path, e))?;
    if let Some(p) = keep {
        std::fs::set_permissions(tmp.path(), p).map_err(|e| Error::io(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

/// Appends to a file (GitHub's step summary is shared by the steps of a job).
pub fn append(path: &Path, data: &[u8]) -> Result<(), Error> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.write_all(data).map_err(|e| Error::io(path, e))
}

/// The result of writing to standard output: a closed pipe is fine (the reader has what it wanted).
pub fn stdout_result(r: io::Result<()>) -> Result<(), Error> {
    stdout_open()?;
    match r {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", e)),
        _ => Ok(()),
    }
}

/// Whether the process started with its standard output closed. Rust's runtime reopens a closed
/// standard output on `/dev/null` before `main`, so this is looked at earlier, from the
/// executable's initialisers (Linux).
static STDOUT_CLOSED_AT_START: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static CHECK_STDOUT_AT_START: extern "C" fn() = {
    extern "C" fn check() {
        // SAFETY: F_GETFD only reads the descriptor's flags.
        let closed = unsafe { libc::fcntl(1, libc::F_GETFD) } == -1;
        STDOUT_CLOSED_AT_START.store(closed, std::sync::atomic::Ordering::Relaxed);
    }
    check
};

/// Standard output is open. Writes to a closed standard output would "succeed" (into
/// `/dev/null`, or ignored), so a report meant for it would be lost without a word.
#[cfg(unix)]
pub fn stdout_open() -> Result<(), Error> {
    let closed_now = unsafe { libc::fcntl(1, libc::F_GETFD) } == -1;
    if closed_now || STDOUT_CLOSED_AT_START.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Error::Usage(
            "standard output is closed: the report would be lost. Write it to a file with -o FILE"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn stdout_open() -> Result<(), Error> {
    Ok(())
}

/// Writes `data` to standard output and flushes it.
pub fn stdout(data: &[u8]) -> Result<(), Error> {
    let mut out = io::stdout().lock();
    stdout_result(out.write_all(data).and_then(|_| out.flush()))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn new_files_get_the_umask_mode_and_existing_files_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.json");
        write_atomic(&p, b"1").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode & 0o044,
            0o044,
            "readable by group and others under a 022 umask: {mode:o}"
        );
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, b"2").unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(std::fs::read(&p).unwrap(), b"2");
    }

    #[test]
    fn symlinks_are_written_through_and_stay_links() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("sub/target.json");
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("sub/target.json", &link).unwrap();
        write_atomic(&link, b"through").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"through");
        // A dangling link: its target is created.
        std::fs::remove_file(&target).unwrap();
        write_atomic(&link, b"again").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"again");
    }

    #[test]
    fn fifos_are_written_through_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        write_atomic(&fifo, b"streamed").unwrap();
        assert_eq!(reader.join().unwrap(), b"streamed");
        let ft = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        use std::os::unix::fs::FileTypeExt;
        assert!(ft.is_fifo(), "still a FIFO");
    }
}
