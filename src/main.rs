//! The `jinsong` command line: see `jinsong --help`.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    jinsong::cli::main()
}
