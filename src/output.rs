//! Writing result folders without ever leaving them half-written.
//!
//! Files are first written into a hidden staging folder beside the target
//! (`.NAME.partial-PID`); [`Staging::commit`] then renames the staging folder into place (when
//! the target does not exist yet) or renames each file into the existing target (one atomic
//! rename per file). On any error the staging folder is removed, and earlier results in the
//! target are left as they were.

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
            let entries = fs::read_dir(&self.staging).map_err(|e| self.error(e))?;
            for entry in entries {
                let entry = entry.map_err(|e| self.error(e))?;
                fs::rename(entry.path(), self.target.join(entry.file_name())).map_err(|e| self.error(e))?;
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
