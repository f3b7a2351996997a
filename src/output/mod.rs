//! Writing result folders without ever leaving them half-written.
//!
//! Files are first written into a hidden staging folder beside the target
//! (`.NAME.partial-PID`); [`Staging::commit`] then renames the staging folder into place (when
//! the target does not exist yet) or renames each file into the existing target (one atomic
//! rename per file). On any error the staging folder is removed, and earlier results in the
//! target are left as they were.
//!
//! What this guarantees, honestly: every result file is whole (old or new, never a part), a
//! failure while writing (full disk, unwritable or impossible folder) happens in the staging
//! folder and leaves the target untouched, and before the first rename into an existing target
//! every destination is checked to be replaceable (not a folder). A rename on the same file
//! system needs no space, so a full disk cannot strike during the commit; an error in the middle
//! of the per-file renames (which only a concurrent change of the folder could cause) may leave
//! some files new and some old, each whole.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Why results could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write results to {dir}")]
pub struct OutputError {
    /// The output folder.
    pub dir: String,
    /// The cause.
    #[source]
    pub source: io::Error,
}

/// A staging folder for one output folder.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Staging {
    /// Prepare to write into `target`: checks that it can be created, before any work is done.
    pub fn prepare(target: &Path) -> Result<Staging, OutputError> {
        let err = |source| OutputError {
            dir: crate::text::path(target),
            source,
        };
        if target.exists() && !target.is_dir() {
            return Err(err(io::Error::other("it exists and is not a folder")));
        }
        let name = target
            .file_name()
            .ok_or_else(|| err(io::Error::other("the path has no folder name")))?
            .to_string_lossy()
            .into_owned();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(err)?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(err)?;
        }
        fs::create_dir(&staging).map_err(err)?;
        Ok(Staging {
            target: target.to_path_buf(),
            staging,
            committed: false,
        })
    }

    fn error(&self, source: io::Error) -> OutputError {
        OutputError {
            dir: crate::text::path(&self.target),
            source,
        }
    }

    /// Write one file (by plain name) into the staging folder.
    pub fn write(&self, file: &str, contents: &[u8]) -> Result<(), OutputError> {
        fs::write(self.staging.join(file), contents).map_err(|e| self.error(e))
    }

    /// Move the staged files into the target folder.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        if !self.target.exists() {
            fs::rename(&self.staging, &self.target).map_err(|e| self.error(e))?;
        } else {
            let mut names = Vec::new();
            for entry in fs::read_dir(&self.staging).map_err(|e| self.error(e))? {
                names.push(entry.map_err(|e| self.error(e))?.file_name());
            }
            names.sort();
            // Check every destination before replacing any, so that a bad one leaves all intact.
            for name in &names {
                let to = self.target.join(name);
                if to.is_dir() {
                    return Err(self.error(io::Error::other(format!(
                        "{} is a folder, where a result file goes",
                        crate::text::path(to)
                    ))));
                }
            }
            for name in &names {
                fs::rename(self.staging.join(name), self.target.join(name)).map_err(|e| self.error(e))?;
            }
            fs::remove_dir(&self.staging).map_err(|e| self.error(e))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// Write one file atomically: the bytes go to a temporary file beside `path` (`.NAME.tmp-PID`),
/// which is flushed to disk and then renamed over `path`. A reader (or a process killed at any
/// moment) sees either the old file or the new one, never a part. On error the temporary file
/// is removed and `path` is left as it was.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), OutputError> {
    use std::io::Write as _;
    let err = |source| OutputError {
        dir: crate::text::path(path),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| err(io::Error::other("the path has no file name")))?
        .to_string_lossy()
        .into_owned();
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = fs::File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(contents)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(err)
}

/// The output folder that `--out PATH` names, as it will be written and reported.
///
/// Policy: a path with a control character (a newline, an escape) is refused, since it would be
/// printed to the terminal and recorded in files; a path that is a symbolic link (or passes
/// through one) is resolved, and the real folder is what is written and what every message
/// names, so that results never land somewhere the user does not see.
pub fn resolve(out: &Path) -> Result<PathBuf, OutputError> {
    let err = |message: String| OutputError {
        dir: crate::text::path(out),
        source: io::Error::other(message),
    };
    if out.to_string_lossy().chars().any(char::is_control) {
        return Err(err(
            "the path holds a control character (a newline, a tab, an escape…)".into(),
        ));
    }
    // `out/` and `out` are one folder (and messages must not say `out//summary.json`).
    let out: PathBuf = out.components().collect();
    let out = out.as_path();
    if !is_link_below(out) {
        return Ok(out.to_path_buf());
    }
    // The longest part of the path that exists, resolved, and the rest as given.
    let mut existing = out.to_path_buf();
    let mut rest = Vec::new();
    while fs::symlink_metadata(&existing).is_err() {
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return Ok(out.to_path_buf()),
        }
    }
    let mut real = fs::canonicalize(&existing).map_err(|e| err(format!("cannot resolve it: {e}")))?;
    real.extend(rest.iter().rev());
    Ok(real)
}

/// Whether any component of `path` (as given) is a symbolic link.
fn is_link_below(path: &Path) -> bool {
    let mut at = PathBuf::new();
    for c in path.components() {
        at.push(c);
        if fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return true;
        }
    }
    false
}

/// Why an output folder could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another command holds it.
    #[error(
        "{dir} is in use by another jinsong command (pid {pid}: {command}); wait for it to end or \
         use another --out (if no such process runs, remove {})",
        crate::text::path(lock)
    )]
    Held {
        /// The output folder.
        dir: String,
        /// The lock file.
        lock: PathBuf,
        /// The holder's process id.
        pid: u32,
        /// The holder's command line.
        command: String,
    },
    /// The lock file could not be written.
    #[error("cannot claim {}: {source}", crate::text::path(lock))]
    Io {
        /// The lock file.
        lock: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// An exclusive claim on an output folder for the duration of a command: a lock file beside
/// the folder (`.NAME.lock`, or `.NAME.lock-K-of-N` for shard K/N, so shards sharing a folder
/// do not exclude each other) holding the holder's pid and command line. A second command on
/// the same folder (and shard) is refused with both named; a lock whose process is gone (killed,
/// or ended without cleaning up) is stale and taken over. Dropping the claim removes the file.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Claim `target` (for the shard named by `tag`: empty, or `-K-of-N`) for the command line
    /// `command`.
    pub fn acquire(target: &Path, tag: &str, command: &str) -> Result<Lock, LockError> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let path = parent.join(format!(".{name}.lock{tag}"));
        let io = |source| LockError::Io {
            lock: path.clone(),
            source,
        };
        fs::create_dir_all(&parent).map_err(io)?;
        let body = format!("{}\n{}\n", std::process::id(), command.replace('\n', " "));
        for _ in 0..2 {
            match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut f) => {
                    use std::io::Write as _;
                    f.write_all(body.as_bytes()).map_err(io)?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let held = fs::read_to_string(&path).unwrap_or_default();
                    let mut lines = held.lines();
                    let pid: Option<u32> = lines.next().and_then(|l| l.trim().parse().ok());
                    match pid {
                        Some(pid) if process_alive(pid) => {
                            return Err(LockError::Held {
                                dir: crate::text::path(target),
                                lock: path.clone(),
                                pid,
                                command: crate::text::clip(lines.next().unwrap_or("")),
                            })
                        }
                        // Stale (its process is gone) or unreadable: take it over.
                        _ => fs::remove_file(&path)
                            .or_else(|e| match e.kind() {
                                io::ErrorKind::NotFound => Ok(()),
                                _ => Err(e),
                            })
                            .map_err(io)?,
                    }
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(io(io::Error::other("another command keeps claiming it")))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Whether process `pid` is running (not gone, not a zombie). Where this cannot be told (no
/// `/proc`), a process is assumed to run, so a lock is never taken from a live command.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return true;
    }
    match fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        // The state follows the command name in parentheses: Z (zombie) and X (dead) are gone.
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next()),
            Some('Z' | 'X')
        ),
        Err(_) => false,
    }
}

/// The path of `target` relative to the folder `from` (both as given or relative to the
/// working directory), with `/` separators: the `base` of a variant written into `from`.
pub fn relative_to(target: &Path, from: &Path) -> Result<String, OutputError> {
    let resolve = |p: &Path| {
        fs::canonicalize(p).map_err(|source| OutputError {
            dir: crate::text::path(p),
            source,
        })
    };
    let (target, from) = (resolve(target)?, resolve(from)?);
    let t: Vec<_> = target.components().collect();
    let f: Vec<_> = from.components().collect();
    let common = t.iter().zip(&f).take_while(|(x, y)| x == y).count();
    let mut rel = PathBuf::new();
    for _ in common..f.len() {
        rel.push("..");
    }
    for c in &t[common..] {
        rel.push(c);
    }
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary folder, removed at the end of the test.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(tag: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("jinsong-output-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Whether `/dev/full` is there to stand in for a full disk (Linux).
    fn dev_full() -> bool {
        Path::new("/dev/full").exists()
    }

    #[test]
    fn write_atomic_replaces_a_file() {
        let s = Scratch::new("replace");
        let f = s.0.join("a.json");
        write_atomic(&f, b"old").unwrap();
        write_atomic(&f, b"new").unwrap();
        assert_eq!(fs::read(&f).unwrap(), b"new");
        assert_eq!(names(&s.0), ["a.json"]);
    }

    /// A full disk while the temporary file is written (its name is made a link to `/dev/full`,
    /// so the real write fails with ENOSPC): a clear error, the old file intact, no temporary
    /// file left.
    #[test]
    #[cfg(unix)]
    fn write_atomic_on_a_full_disk_keeps_the_old_file() {
        if !dev_full() {
            return;
        }
        let s = Scratch::new("full");
        let f = s.0.join("a.json");
        fs::write(&f, b"old").unwrap();
        let tmp = s.0.join(format!(".a.json.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink("/dev/full", &tmp).unwrap();
        let e = write_atomic(&f, b"new contents").unwrap_err();
        assert_eq!(e.source.raw_os_error(), Some(28), "{e}: {:?}", e.source);
        assert!(e.to_string().contains("a.json"), "{e}");
        assert_eq!(fs::read(&f).unwrap(), b"old");
        assert_eq!(names(&s.0), ["a.json"]);
    }

    /// A target whose folder cannot exist (its parent is a regular file): an error, nothing
    /// written, the file in the way untouched.
    #[test]
    fn impossible_folders_are_refused() {
        let s = Scratch::new("impossible");
        let file = s.0.join("plain");
        fs::write(&file, b"keep").unwrap();
        assert!(write_atomic(&file.join("a.json"), b"x").is_err());
        assert!(Staging::prepare(&file.join("out")).is_err());
        assert!(Staging::prepare(&file).is_err());
        assert_eq!(fs::read(&file).unwrap(), b"keep");
        assert_eq!(names(&s.0), ["plain"]);
    }

    /// A full disk while results are staged: the earlier results of the folder are intact and
    /// the staging folder is gone.
    #[test]
    #[cfg(unix)]
    fn staging_on_a_full_disk_keeps_earlier_results() {
        if !dev_full() {
            return;
        }
        let s = Scratch::new("stage-full");
        let out = s.0.join("out");
        let st = Staging::prepare(&out).unwrap();
        st.write("summary.json", b"first").unwrap();
        st.write("onset_curve.csv", b"first").unwrap();
        st.commit().unwrap();

        let st = Staging::prepare(&out).unwrap();
        st.write("summary.json", b"second").unwrap();
        std::os::unix::fs::symlink("/dev/full", st.staging.join("onset_curve.csv")).unwrap();
        let e = st.write("onset_curve.csv", b"second").unwrap_err();
        assert_eq!(e.source.raw_os_error(), Some(28), "{e}: {:?}", e.source);
        drop(st);
        assert_eq!(fs::read(out.join("summary.json")).unwrap(), b"first");
        assert_eq!(fs::read(out.join("onset_curve.csv")).unwrap(), b"first");
        assert_eq!(names(&s.0), ["out"]);
    }

    /// A destination that is a folder is found before any file is replaced.
    #[test]
    fn commit_checks_every_destination_first() {
        let s = Scratch::new("stage-dir");
        let out = s.0.join("out");
        fs::create_dir_all(out.join("b.csv").join("inside")).unwrap();
        fs::write(out.join("a.json"), b"old").unwrap();
        let st = Staging::prepare(&out).unwrap();
        st.write("a.json", b"new").unwrap();
        st.write("b.csv", b"new").unwrap();
        let e = st.commit().unwrap_err();
        assert!(format!("{e}: {}", e.source).contains("is a folder"), "{e}");
        assert_eq!(fs::read(out.join("a.json")).unwrap(), b"old");
        assert_eq!(names(&s.0), ["out"]);
        assert_eq!(names(&out), ["a.json", "b.csv"]);
    }
}
