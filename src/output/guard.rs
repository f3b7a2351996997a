//! The one rule for every file a command writes, and the registry of the files it reads.
//!
//! Every input a command reads (scenario files and the bases they name, pattern files,
//! `--posterior` samples, merge parts, the result files `plot` reads, checkpoints) is opened
//! through [`open_input`] or [`read_input`], which note its identity (device and inode) in a
//! process-wide registry. Every destination is checked by [`check_destination`] before it is
//! written and again just before the rename that puts it in place:
//!
//! - a destination that is a file the same command reads (by identity, so a symbolic link, a
//!   hard link, a `..` path or a bind mount of it are all caught) is refused;
//! - a destination that is not a regular file (a FIFO, a device node, a socket, a folder) or is a
//!   symbolic link is refused;
//! - new contents always go to a temporary file in the destination's folder, created exclusively
//!   (`create_new`, which never follows a link planted at its name) under an unpredictable name
//!   ([`temporary_name`]), flushed, then renamed over the destination.
//!
//! [`check_user_destination`] adds, for a file the user names (`calibrate --write`), the refusal
//! of jinsong's own batch state (checkpoints and part files, by name and by format tag).

use std::fs;
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::OutputError;

/// Identity of a file: (device, inode).
type FileId = (u64, u64);

/// The files this process has read as input: their identity and the path they were read by.
static INPUTS: Mutex<Vec<(FileId, PathBuf)>> = Mutex::new(Vec::new());

#[cfg(unix)]
fn id_of(meta: &fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt as _;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn id_of(_meta: &fs::Metadata) -> Option<FileId> {
    None
}

/// Note `file` (opened from `path`) as an input of this command.
fn register(file: &fs::File, path: &Path) {
    if let Some(id) = file.metadata().ok().as_ref().and_then(id_of) {
        let mut inputs = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
        if !inputs.iter().any(|(known, _)| *known == id) {
            inputs.push((id, path.to_path_buf()));
        }
    }
}

/// The path an input with identity `id` was read by, if it is one (and that path still names
/// it: an input removed since, whose inode the file system gave to a new file, is not).
fn input_named(id: FileId) -> Option<PathBuf> {
    let inputs = INPUTS.lock().unwrap_or_else(|e| e.into_inner());
    inputs
        .iter()
        .find(|(known, p)| *known == id && fs::metadata(p).ok().as_ref().and_then(id_of) == Some(id))
        .map(|(_, p)| p.clone())
}

/// Open an input file for reading and note it as read by this command (so that no output of
/// the command may replace it).
pub fn open_input(path: &Path) -> io::Result<fs::File> {
    let file = fs::File::open(path)?;
    register(&file, path);
    Ok(file)
}

/// Read an input file whole, as text, noting it as read ([`open_input`]); at most `limit`
/// bytes (a larger file is an error of kind `FileTooLarge`).
pub fn read_input(path: &Path, limit: u64) -> io::Result<String> {
    let mut bytes = Vec::new();
    open_input(path)?.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("it is larger than {limit} bytes"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Read an input file whole as text, noting it as read ([`open_input`]).
pub fn read_text(path: &Path) -> io::Result<String> {
    let mut text = String::new();
    open_input(path)?.read_to_string(&mut text)?;
    Ok(text)
}

/// Why `path` may not be written, if it may not: a symbolic link, anything but a regular file,
/// or a file this command reads. A path that does not exist may be written.
pub fn destination_problem(path: &Path) -> Option<String> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => return Some(format!("cannot examine it: {e}")),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Some("it is a symbolic link; jinsong writes no file through a link".into());
    }
    if kind.is_dir() {
        return Some("it is a folder, where a file goes".into());
    }
    if !kind.is_file() {
        return Some(
            "it is not a regular file (a FIFO, a device or a socket); jinsong does not replace it".into(),
        );
    }
    if let Some(read) = id_of(&meta).and_then(input_named) {
        return Some(format!(
            "it is {}, which this command reads; write elsewhere",
            read.display()
        ));
    }
    None
}

/// [`destination_problem`] as an error naming `path`.
pub fn check_destination(path: &Path) -> Result<(), OutputError> {
    match destination_problem(path) {
        None => Ok(()),
        Some(problem) => Err(OutputError {
            dir: path.display().to_string(),
            source: io::Error::other(problem),
        }),
    }
}

/// The format tags that mark jinsong's batch state (checkpoints and part files).
const STATE_TAGS: [&str; 2] = ["\"jinsong-checkpoint/", "\"jinsong-part/"];

/// Whether `name` is the name of a checkpoint or a part file (`checkpoint.json`,
/// `checkpoint-K-of-N.json`, `part-K-of-N.json`).
pub fn is_state_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".json") else {
        return false;
    };
    stem == "checkpoint" || stem.starts_with("checkpoint-") || stem.starts_with("part-")
}

/// [`check_destination`], and for a file the user names as a destination: never a checkpoint
/// or part file of a batch (recognised by its name, or by its format tag in the first bytes).
pub fn check_user_destination(path: &Path) -> Result<(), OutputError> {
    check_destination(path)?;
    let refuse = |why: &str| OutputError {
        dir: path.display().to_string(),
        source: io::Error::other(format!("{why}; write elsewhere")),
    };
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    if is_state_name(&name) {
        return Err(refuse("its name is that of a batch's checkpoint or part file"));
    }
    if let Ok(file) = fs::File::open(path) {
        let mut head = Vec::new();
        let _ = file.take(256).read_to_end(&mut head);
        let head = String::from_utf8_lossy(&head);
        if STATE_TAGS.iter().any(|t| head.contains(t)) {
            return Err(refuse("it is a batch's checkpoint or part file"));
        }
    }
    Ok(())
}

/// An unpredictable 16-hex-digit suffix for temporary names (a planted file cannot be placed
/// at a name no one can predict; [`create_new`](fs::OpenOptions::create_new) catches the rest).
pub fn temporary_name() -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.write_u128(now);
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

/// Whether `suffix` is one [`temporary_name`] gives (or a process id, as earlier versions used).
fn is_temporary_suffix(suffix: &str) -> bool {
    (1..=20).contains(&suffix.len()) && suffix.chars().all(|c| c.is_ascii_hexdigit())
}

/// Create a new file in `folder` named `.{name}.tmp-{random}` exclusively (never through a
/// planted link; another name is tried on a collision), for the contents of `name`.
pub fn create_temporary(folder: &Path, name: &str) -> io::Result<(PathBuf, fs::File)> {
    let mut last = None;
    for _ in 0..16 {
        let tmp = folder.join(format!(".{name}.tmp-{}", temporary_name()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

/// Remove what killed commands left for the output folder `target`: hidden staging folders
/// beside it (`.NAME.partial-…`) and temporary files in it (`.FILE.tmp-…`). Only a command that
/// holds the folder exclusively may call this (no other command is writing there). Returns
/// the paths removed.
pub fn remove_leftovers(target: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return removed;
    };
    let parent = super::parent_of(target);
    let staging = format!(".{name}.partial-");
    if let Ok(entries) = fs::read_dir(&parent) {
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            let ours = file.strip_prefix(&staging).is_some_and(is_temporary_suffix);
            if ours && e.file_type().is_ok_and(|t| t.is_dir()) && fs::remove_dir_all(e.path()).is_ok() {
                removed.push(e.path());
            }
        }
    }
    if let Ok(entries) = fs::read_dir(target) {
        for e in entries.flatten() {
            let file = e.file_name().to_string_lossy().into_owned();
            let ours = file.starts_with('.')
                && file
                    .rsplit_once(".tmp-")
                    .is_some_and(|(_, suffix)| is_temporary_suffix(suffix));
            if ours && !e.file_type().is_ok_and(|t| t.is_dir()) && fs::remove_file(e.path()).is_ok() {
                removed.push(e.path());
            }
        }
    }
    removed
}
