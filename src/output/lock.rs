//! One lock per output folder, whatever the shard split.
//!
//! The lock is an operating-system lock ([`std::fs::File::try_lock`], `flock` on Unix) on the
//! file `.NAME.lock` beside the folder `NAME`:
//!
//! - every command that writes the folder's results (a plain batch, `merge`, `plot`, `trace`,
//!   and `calibrate --write` into a folder that has a lock file) holds it **exclusively**;
//! - the shards of a batch (`--shard K/N`, which the README runs as a Slurm array writing into
//!   one `parts/` folder) hold it **shared**, so that they run together, and each also holds its
//!   own slot `.NAME.lock-K-of-N` exclusively, so that two copies of one shard exclude each
//!   other. A plain batch and a `--shard 1/1` batch therefore exclude each other.
//!
//! A lock is taken without waiting: a second command is refused at once. The lock dies with its
//! process (killed or not), so there is no staleness test; the file's content (the holder's pid
//! and command line, escaped and clipped, written after the lock is held) is only for messages,
//! and an empty or unreadable file never means "free". Lock files are removed when released by
//! a holder that holds them exclusively; since a file may be removed between another command's
//! opening and its locking, every command checks after locking that the path still names the
//! file it locked, and starts again if not.
//!
//! Test hook (for the test suite only): when the environment variable
//! `JINSONG_TEST_LOCK_HOLD_MS` is a number, a command that has taken an output folder's lock
//! waits that many milliseconds before going on, so that tests can start two commands that
//! surely overlap.

use std::fs;
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

/// Why an output folder could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another command holds it.
    #[error(
        "{dir} is in use by another jinsong command ({holder}); wait for it to end or use another --out"
    )]
    Held {
        /// The output folder.
        dir: String,
        /// Who holds it, as far as its lock file tells.
        holder: String,
    },
    /// The lock file could not be opened or locked.
    #[error("cannot claim {}", lock.display())]
    Io {
        /// The lock file.
        lock: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// How a folder is claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Alone: every command that writes the folder's results.
    Exclusive,
    /// Together with the other shards of a batch: shard `index` of `count`.
    Shard {
        /// The shard's number, from 1.
        index: u64,
        /// The number of shards.
        count: u64,
    },
}

/// One locked file.
#[derive(Debug)]
struct Held {
    path: PathBuf,
    file: fs::File,
    exclusive: bool,
}

/// A claim on an output folder for the duration of a command; dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    // Held for their `Drop`; the slot first: it is released before the folder's lock.
    _slot: Option<Held>,
    _main: Held,
}

/// The longest command line recorded in a lock file, in characters.
const MAX_HOLDER_CHARS: usize = 200;

/// The holder information written into a lock file: the pid and the command line, control
/// characters escaped and the line clipped.
fn holder_text(command: &str) -> String {
    let escaped = crate::text::escape_controls(command);
    let clipped: String = escaped.chars().take(MAX_HOLDER_CHARS).collect();
    let more = if clipped.len() < escaped.len() { "…" } else { "" };
    format!("{}\n{clipped}{more}\n", std::process::id())
}

/// What a lock file says of its holder, for a message.
fn holder_of(path: &Path) -> String {
    let mut text = String::new();
    let _ = fs::File::open(path).and_then(|f| f.take(4096).read_to_string(&mut text));
    let mut lines = text.lines();
    match (
        lines.next().and_then(|l| l.trim().parse::<u32>().ok()),
        lines.next(),
    ) {
        (Some(pid), Some(cmd)) => format!("pid {pid}: {}", crate::text::clip_to(cmd, MAX_HOLDER_CHARS)),
        _ => "the shards of a batch, or a command just starting".to_string(),
    }
}

/// Whether `file` (locked) is still what `path` names.
fn still_named(file: &fs::File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (file.metadata(), fs::symlink_metadata(path)) {
            (Ok(a), Ok(b)) => b.file_type().is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// Lock the file at `path` (created if needed), exclusively or shared, without waiting.
fn lock_file(path: &Path, exclusive: bool, dir: &Path) -> Result<Held, LockError> {
    let io = |source| LockError::Io {
        lock: path.to_path_buf(),
        source,
    };
    for _ in 0..64 {
        if fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
            return Err(io(io::Error::other(
                "it is not a regular file (a link, a folder, a FIFO…); remove it",
            )));
        }
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        let locked = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match locked {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(LockError::Held {
                    dir: dir.display().to_string(),
                    holder: holder_of(path),
                })
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        if still_named(&file, path) {
            return Ok(Held {
                path: path.to_path_buf(),
                file,
                exclusive,
            });
        }
        // Removed (or replaced) between our opening and our locking: start again.
    }
    Err(io(io::Error::other("another command keeps replacing it")))
}

impl Held {
    /// Record the holder (after the lock is held; only for messages).
    fn record(&mut self, command: &str) {
        let text = holder_text(command);
        let _ = self
            .file
            .set_len(0)
            .and_then(|()| self.file.rewind())
            .and_then(|()| self.file.write_all(text.as_bytes()));
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        // Only a holder that holds the file alone removes it (and only while it is still the
        // file at that name); a shard upgrades its shared lock to find whether it is the last.
        let alone = self.exclusive || self.file.try_lock().is_ok();
        if alone && still_named(&self.file, &self.path) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// The path of the lock file of folder `target`, with `suffix` (empty, or `-K-of-N`).
pub fn lock_path(target: &Path, suffix: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    super::parent_of(target).join(format!(".{name}.lock{suffix}"))
}

impl Lock {
    /// Claim `target` as `mode` says for the command line `command`. A command that holds the
    /// folder exclusively also removes what killed commands left there
    /// ([`super::guard::remove_leftovers`]).
    pub fn acquire(target: &Path, mode: LockMode, command: &str) -> Result<Lock, LockError> {
        let main_path = lock_path(target, "");
        fs::create_dir_all(super::parent_of(target)).map_err(|source| LockError::Io {
            lock: main_path.clone(),
            source,
        })?;
        let lock = match mode {
            LockMode::Exclusive => {
                let mut main = lock_file(&main_path, true, target)?;
                main.record(command);
                super::guard::remove_leftovers(target);
                Lock {
                    _slot: None,
                    _main: main,
                }
            }
            LockMode::Shard { index, count } => {
                let main = lock_file(&main_path, false, target)?;
                let slot_path = lock_path(target, &format!("-{index}-of-{count}"));
                let mut slot = lock_file(&slot_path, true, target)?;
                slot.record(command);
                Lock {
                    _slot: Some(slot),
                    _main: main,
                }
            }
        };
        hold_for_tests();
        Ok(lock)
    }

    /// Claim `target` exclusively only when a lock file is already beside it (a command
    /// holds it, or is starting): used for a folder a command writes one file into (`calibrate
    /// --write`), where creating a lock file beside it may not be possible.
    pub fn if_claimed(target: &Path, command: &str) -> Result<Option<Lock>, LockError> {
        if fs::symlink_metadata(lock_path(target, "")).is_err() {
            return Ok(None);
        }
        let mut main = lock_file(&lock_path(target, ""), true, target)?;
        main.record(command);
        Ok(Some(Lock {
            _slot: None,
            _main: main,
        }))
    }
}

/// The test-only hook `JINSONG_TEST_LOCK_HOLD_MS` (see the module docs).
fn hold_for_tests() {
    if let Some(ms) = std::env::var("JINSONG_TEST_LOCK_HOLD_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(60_000)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("jinsong-lock-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn held(r: Result<Lock, LockError>) -> bool {
        matches!(r, Err(LockError::Held { .. }))
    }

    /// Exclusive against everything, shards together but one copy of a shard at a time, an
    /// emptied lock file still held, and every lock file removed by its last holder.
    #[test]
    fn one_lock_per_folder_whatever_the_shard_split() {
        let dir = scratch("modes");
        let out = dir.join("out");
        let shard = |index| LockMode::Shard { index, count: 2 };
        let alone = Lock::acquire(&out, LockMode::Exclusive, "first").unwrap();
        // Its holder information gone: the lock is what holds, not the file's content.
        fs::write(lock_path(&out, ""), "").unwrap();
        assert!(held(Lock::acquire(&out, LockMode::Exclusive, "second")));
        assert!(held(Lock::acquire(&out, shard(1), "shard")));
        drop(alone);
        assert!(!lock_path(&out, "").exists());

        let one = Lock::acquire(&out, shard(1), "one").unwrap();
        let two = Lock::acquire(&out, shard(2), "two").unwrap();
        match Lock::acquire(&out, shard(1), "again") {
            Err(LockError::Held { holder, .. }) => assert!(holder.contains("one"), "{holder}"),
            other => panic!("{other:?}"),
        }
        assert!(held(Lock::acquire(&out, LockMode::Exclusive, "plain")));
        drop(one);
        assert!(lock_path(&out, "").exists(), "shard 2 still holds it");
        drop(two);
        let names: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert!(names.is_empty(), "{names:?}");
        let _ = fs::remove_dir_all(&dir);
    }

    /// The holder's command line is escaped and clipped.
    #[test]
    fn holder_information_is_escaped_and_clipped() {
        let text = holder_text(&format!("run \u{1b}[31m{}", "x".repeat(1000)));
        assert!(!text.contains('\u{1b}'));
        assert!(text.lines().nth(1).unwrap().chars().count() <= MAX_HOLDER_CHARS + 1);
    }
}
