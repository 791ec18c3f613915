//! The database's files on disk: a private directory and private files, because they hold password and token
//! hashes; and consistent copies of a running database (`ferrodesk backup`).
//!
//! New files are created before SQLite opens them, with mode 0600: SQLite gives the `-wal` and `-shm` files
//! it creates beside a database the database file's own permissions, so they are private too. A directory
//! this module creates is 0700. An existing database readable by group or others is left as the operator
//! made it, with a warning at every start.
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;
use store::{Result, StoreError};

/// Creates the database's directory (0700) and an empty database file (0600) if they do not exist, and
/// warns when an existing database file or its companions can be read by group or others.
pub fn prepare(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        private_dir(dir)
            .map_err(|e| StoreError::unavailable_from(format!("cannot create directory {}", dir.display()), e))?;
    }
    match create_private_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            warn_if_exposed(path);
            Ok(())
        }
        Err(e) => Err(StoreError::unavailable_from(
            format!("cannot create {}", path.display()),
            e,
        )),
    }
}

/// The database file and the companions SQLite keeps beside it in WAL mode.
pub fn database_files(path: &Path) -> [PathBuf; 3] {
    let with_suffix = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), with_suffix("-wal"), with_suffix("-shm")]
}

/// Logs a warning for each of the database's files that group or others may read or write.
fn warn_if_exposed(path: &Path) {
    for file in database_files(path) {
        if let Some(mode) = exposed_mode(&file) {
            tracing::warn!(
                file = %file.display(),
                mode = format_args!("{mode:o}"),
                "the database file is readable by other users of this machine, and it holds password and token hashes; restrict it with chmod 600"
            );
        }
    }
}

/// The permission bits of `file` when group or others have any access to it.
#[cfg(unix)]
fn exposed_mode(file: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(not(unix))]
fn exposed_mode(_file: &Path) -> Option<u32> {
    None
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

#[cfg(not(unix))]
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates `path` empty, readable and writable by its owner only; fails if it exists.
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

/// How long a backup waits for a lock on the source (only a schema change or a checkpoint that truncates
/// the WAL holds one against a reader, for moments).
const BACKUP_BUSY_WAIT: Duration = Duration::from_secs(30);

/// What a backup copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupCopy {
    /// Size of the copy in bytes.
    pub bytes: u64,
}

/// Copies the database at `source` into the new file `dest` (0600; an existing file is never overwritten)
/// with SQLite's online backup API, while other processes keep reading and writing the source.
///
/// The copy is made in one backup step, inside one read transaction of the source: it is the database as of
/// one moment, and in WAL mode that transaction does not hold up the server's writer. (A step-wise copy
/// would restart whenever the server commits, and might never finish under steady writes.)
///
/// Errors are I/O errors: `AlreadyExists` when `dest` exists, `NotFound` when `source` does not.
pub fn backup(source: &Path, dest: &Path) -> std::io::Result<BackupCopy> {
    if !source.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("there is no SQLite database at {}", source.display()),
        ));
    }
    create_private_file(dest)?;
    let copied = copy_into(source, dest);
    if copied.is_err() {
        // Nothing half-written is left behind to be mistaken for a backup.
        for file in database_files(dest) {
            let _ = std::fs::remove_file(file);
        }
    }
    copied
}

fn copy_into(source: &Path, dest: &Path) -> std::io::Result<BackupCopy> {
    let failed = |what: &str, e: rusqlite::Error| std::io::Error::other(format!("{what}: {e}"));
    // Read-write without create: a reader of a WAL database may need to create its `-shm` file.
    let src = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| failed("cannot open the database", e))?;
    src.busy_timeout(Duration::from_secs(10))
        .map_err(|e| failed("cannot set a busy timeout", e))?;
    let mut dst = Connection::open(dest).map_err(|e| failed("cannot open the copy", e))?;
    {
        let backup = rusqlite::backup::Backup::new(&src, &mut dst).map_err(|e| failed("cannot start the backup", e))?;
        // All pages in one step (rusqlite's `run_to_completion` only takes positive step sizes).
        let deadline = std::time::Instant::now() + BACKUP_BUSY_WAIT;
        loop {
            match backup.step(-1).map_err(|e| failed("cannot copy the database", e))? {
                rusqlite::backup::StepResult::Done => break,
                _ if std::time::Instant::now() > deadline => {
                    return Err(std::io::Error::other("the database stayed locked; try again"));
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }
    // The copy is one self-contained file: no WAL beside it, whatever the source's journal mode was.
    dst.execute_batch("PRAGMA journal_mode = DELETE")
        .map_err(|e| failed("cannot finish the copy", e))?;
    dst.close().map_err(|(_, e)| failed("cannot close the copy", e))?;
    Ok(BackupCopy {
        bytes: std::fs::metadata(dest)?.len(),
    })
}
