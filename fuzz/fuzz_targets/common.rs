//! What the fuzz targets share (a module of each target that uses it, not a target itself).

use std::sync::OnceLock;

/// One temporary folder for all the inputs of a fuzzing process, made on first use.
pub fn folder() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::TempDir::new().expect("a temporary folder"))
}
