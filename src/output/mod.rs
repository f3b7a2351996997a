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
            dir: target.display().to_string(),
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
            dir: self.target.display().to_string(),
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
                        to.display()
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
        dir: path.display().to_string(),
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
