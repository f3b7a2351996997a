//! The layers of `src/` (see the crate docs in `src/lib.rs`): no module uses one from a layer
//! above its own. Doc comments may mention any layer; `use` lines and paths in code may not.

use std::fs;
use std::path::Path;

/// The layers from the bottom up; a layer may use those before it.
const LAYERS: &[&str] = &[
    "text", "output", "stats", "calendar", "rng", "scenario", "model", "engine", "patterns", "batch",
    "study", "charts", "cli",
];

fn rust_files(at: &Path, out: &mut Vec<std::path::PathBuf>) {
    if at.is_dir() {
        for entry in fs::read_dir(at).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if at.is_file() && at.extension().is_some_and(|e| e == "rs") {
        out.push(at.to_path_buf());
    }
}

#[test]
fn no_layer_uses_one_above_it() {
    let src = crate::common::root().join("src");
    let mut found = Vec::new();
    for (rank, layer) in LAYERS.iter().enumerate() {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        rust_files(&src.join(format!("{layer}.rs")), &mut files);
        assert!(!files.is_empty(), "no source for layer `{layer}`");
        for file in files {
            let text = fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                for above in &LAYERS[rank + 1..] {
                    if code.contains(&format!("crate::{above}::"))
                        || code.contains(&format!("crate::{above};"))
                    {
                        found.push(format!(
                            "{}:{}: {layer} uses {above}: {code}",
                            file.display(),
                            n + 1
                        ));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "a layer uses one above it:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_folder_of_src_is_a_layer() {
    let src = crate::common::root().join("src");
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "lib" || name == "main" {
            continue;
        }
        assert!(
            LAYERS.contains(&name.as_str()),
            "src/{name} is not in the list of layers"
        );
    }
}
