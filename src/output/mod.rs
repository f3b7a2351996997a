//! Writing result folders and files without ever losing one.
//!
//! Every file a command writes goes through this module, under one rule ([`guard`]): never a
//! file the same command reads (by identity: links, hard links, `..` and bind mounts are all
//! caught), never a special file (FIFO, device node, socket) nor a symbolic link at the
//! destination, never a checkpoint or part file of a batch where the user names the
//! destination, never a folder locked by another command ([`lock`]), and always by a temporary
//! file created exclusively under an unpredictable name in the destination's folder, flushed,
//! then renamed.
//!
//! Result folders are first written into a hidden staging folder beside the target
//! (`.NAME.partial-XXXXXXXXXXXXXXXX`, a random suffix); [`Staging::commit`] then renames the
//! staging folder into place (when the target does not exist yet) or renames each file into the
//! existing target (one atomic rename per file). On any error the staging folder is removed, and
//! earlier results in the target are left as they were. A command that holds a folder
//! exclusively removes the staging folders and temporary files that killed commands left for it
//! ([`guard::remove_leftovers`]).
//!
//! What this guarantees, honestly: every result file is whole (old or new, never a part), a
//! failure while writing (full disk, file size limit, unwritable or impossible folder) happens
//! in the staging folder and leaves the target untouched, and before the first rename into an
//! existing target every destination is checked to be replaceable. A rename on the same file
//! system needs no space, so a full disk cannot strike during the commit; an error in the middle
//! of the per-file renames (which only a concurrent change of the folder could cause) may leave
//! some files new and some old, each whole.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

pub mod guard;
pub mod lock;

pub use guard::{check_destination, check_user_destination, open_input, read_input, read_text};
pub use lock::{Lock, LockError, LockMode};

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

/// The folder a path is in (`.` for a bare name).
pub(crate) fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A staging folder for one output folder.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
    remove: Vec<String>,
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
        let parent = parent_of(target);
        fs::create_dir_all(&parent).map_err(err)?;
        let mut tries = 0;
        let staging = loop {
            let staging = parent.join(format!(".{name}.partial-{}", guard::temporary_name()));
            match fs::create_dir(&staging) {
                Ok(()) => break staging,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && tries < 16 => tries += 1,
                Err(e) => return Err(err(e)),
            }
        };
        Ok(Staging {
            target: target.to_path_buf(),
            staging,
            committed: false,
            remove: Vec::new(),
        })
    }

    fn error(&self, source: io::Error) -> OutputError {
        OutputError {
            dir: crate::text::path(&self.target),
            source,
        }
    }

    /// Write one file (by plain name) into the staging folder (created exclusively: never
    /// through anything planted there).
    pub fn write(&self, file: &str, contents: &[u8]) -> Result<(), OutputError> {
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.staging.join(file))
            .and_then(|mut f| f.write_all(contents))
            .map_err(|e| self.error(e))
    }

    /// Remove `file` (by plain name) from the target at the commit, if it is there and this
    /// commit does not replace it: a file of an earlier run the new results would leave stale
    /// (its charts after a run without charts).
    pub fn remove_stale(&mut self, file: &str) {
        self.remove.push(file.to_string());
    }

    /// The files [`Staging::remove_stale`] will remove (those in the target now).
    pub fn stale(&self) -> Vec<String> {
        self.remove
            .iter()
            .filter(|f| fs::symlink_metadata(self.target.join(f)).is_ok_and(|m| m.is_file()))
            .cloned()
            .collect()
    }

    /// Move the staged files into the target folder.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        // A folder made by another command meanwhile (the shards of one batch share it) is
        // filled file by file like any existing folder.
        let moved = match self.target.exists() {
            true => false,
            false => match fs::rename(&self.staging, &self.target) {
                Ok(()) => true,
                Err(_) if self.target.is_dir() => false,
                Err(e) => return Err(self.error(e)),
            },
        };
        if !moved {
            let mut names = Vec::new();
            for entry in fs::read_dir(&self.staging).map_err(|e| self.error(e))? {
                names.push(entry.map_err(|e| self.error(e))?.file_name());
            }
            names.sort();
            // Check every destination before replacing any, so that a bad one leaves all intact.
            for name in &names {
                let to = self.target.join(name);
                if let Some(problem) = guard::destination_problem(&to) {
                    return Err(
                        self.error(io::Error::other(format!("{}: {problem}", crate::text::path(&to))))
                    );
                }
            }
            for name in &names {
                fs::rename(self.staging.join(name), self.target.join(name)).map_err(|e| self.error(e))?;
            }
            fs::remove_dir(&self.staging).map_err(|e| self.error(e))?;
            for stale in self.stale() {
                if !names.iter().any(|n| *n == *stale) {
                    let _ = fs::remove_file(self.target.join(stale));
                }
            }
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

/// Write one file atomically under the rule of [`guard`]: `path` is checked (no link, no
/// special file, no input of this command), the bytes go to a temporary file created
/// exclusively beside it (`.NAME.tmp-XXXXXXXXXXXXXXXX`), which is flushed to disk, `path` is
/// checked again, and the temporary file is renamed over it. A reader (or a process killed at
/// any moment) sees either the old file or the new one, never a part. On error the temporary
/// file is removed and `path` is left as it was.
pub fn write_atomic(path: &Path, contents: &[u8]) -> Result<(), OutputError> {
    let err = |source| OutputError {
        dir: crate::text::path(path),
        source,
    };
    let name = path
        .file_name()
        .ok_or_else(|| err(io::Error::other("the path has no file name")))?
        .to_string_lossy()
        .into_owned();
    check_destination(path)?;
    let (tmp, mut file) = guard::create_temporary(&parent_of(path), &name).map_err(err)?;
    let result = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(err)
        .and_then(|()| check_destination(path))
        .and_then(|()| fs::rename(&tmp, path).map_err(err));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
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

    /// A special file or a link at the destination is refused, untouched, no temporary file
    /// left; a file this process read as input is refused too.
    #[test]
    #[cfg(unix)]
    fn write_atomic_refuses_links_special_files_and_inputs() {
        let s = Scratch::new("special");
        if dev_full() {
            let e = write_atomic(Path::new("/dev/full"), b"x").unwrap_err();
            assert!(
                e.source.to_string().contains("not a regular file"),
                "{e}: {}",
                e.source
            );
        }
        let f = s.0.join("a.json");
        fs::write(&f, b"old").unwrap();
        let link = s.0.join("link.json");
        std::os::unix::fs::symlink(&f, &link).unwrap();
        let e = write_atomic(&link, b"new").unwrap_err();
        assert!(e.source.to_string().contains("symbolic link"), "{}", e.source);
        let hard = s.0.join("hard.json");
        fs::hard_link(&f, &hard).unwrap();
        read_input(&f, 100).unwrap();
        let e = write_atomic(&hard, b"new").unwrap_err();
        assert!(
            e.source.to_string().contains("which this command reads"),
            "{}",
            e.source
        );
        assert_eq!(fs::read(&f).unwrap(), b"old");
        assert_eq!(names(&s.0), ["a.json", "hard.json", "link.json"]);
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

    /// An error while results are staged (here a link planted in the staging folder, which
    /// the exclusive creation refuses to follow): the earlier results of the folder are intact
    /// and the staging folder is gone.
    #[test]
    #[cfg(unix)]
    fn a_failure_while_staging_keeps_earlier_results() {
        let s = Scratch::new("stage-fail");
        let out = s.0.join("out");
        let st = Staging::prepare(&out).unwrap();
        st.write("summary.json", b"first").unwrap();
        st.write("onset_curve.csv", b"first").unwrap();
        st.commit().unwrap();
        fs::write(s.0.join("victim"), b"keep").unwrap();

        let st = Staging::prepare(&out).unwrap();
        st.write("summary.json", b"second").unwrap();
        std::os::unix::fs::symlink(s.0.join("victim"), st.staging.join("onset_curve.csv")).unwrap();
        assert!(st.write("onset_curve.csv", b"second").is_err());
        drop(st);
        assert_eq!(fs::read(out.join("summary.json")).unwrap(), b"first");
        assert_eq!(fs::read(out.join("onset_curve.csv")).unwrap(), b"first");
        assert_eq!(fs::read(s.0.join("victim")).unwrap(), b"keep");
        assert_eq!(names(&s.0), ["out", "victim"]);
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
