//! Fuzz target: bytes → command-line arguments (split at NUL) → clap's parser of `jinsong`, and
//! the same text to the library's parsers of `--set`, `--vary`, `--free`, `--prior-odds`,
//! `--dyad`, `--by`, `--mechanisms`, `--format`, `--size`, `--shard`, `--checkpoint-every`,
//! `--sample` and of a prior.
//!
//! Every parser must answer Ok or Err for any text, never panic; every error message, once
//! through `jinsong::text`, holds no control character but newline.
#![no_main]

use std::sync::OnceLock;

use clap::Parser;
use jinsong::cli::args::Cli;
use jinsong::model::Model;
use jinsong::scenario::LoadedScenario;
use libfuzzer_sys::fuzz_target;

fn baseline() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::compile(&LoadedScenario::baseline().expect("the baseline parses").scenario))
}

fn quiet(message: String) {
    let shown = jinsong::text::quiet_message(&message);
    assert!(!shown.chars().any(|c| c.is_control() && c != '\n'), "{shown:?}");
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut argv = vec!["jinsong".to_string()];
    argv.extend(text.split('\0').map(String::from));
    if let Err(e) = Cli::try_parse_from(&argv) {
        quiet(jinsong::text::quiet_library_message(&e.render().to_string()));
    }
    let s = text.as_ref();
    let errors: Vec<Option<String>> = vec![
        s.parse::<jinsong::scenario::Override>().err().map(|e| e.to_string()),
        s.parse::<jinsong::study::sweep::Vary>().err().map(|e| e.to_string()),
        s.parse::<jinsong::study::calibrate::FreeParameter>().err(),
        jinsong::cli::commands::parse_prior_odds(s, 2).err().map(|e| e.to_string()),
        jinsong::study::dyad::resolve_dyad(baseline(), s).err().map(|e| e.to_string()),
        s.parse::<jinsong::calendar::Month>().err().map(|e| e.to_string()),
        jinsong::study::attribute::check_mechanisms(&s.split(',').collect::<Vec<_>>())
            .err()
            .map(|e| e.to_string()),
        jinsong::charts::parse_formats(s).err().map(|e| e.to_string()),
        jinsong::charts::parse_size(s).err().map(|e| e.to_string()),
        s.parse::<jinsong::batch::shard::Shard>().err(),
        jinsong::batch::checkpoint::parse_every(s).err(),
        s.parse::<jinsong::study::sweep::Sample>().err().map(|e| e.to_string()),
        jinsong::scenario::prior::Distribution::parse(s).and_then(Result::err),
    ];
    errors.into_iter().flatten().for_each(quiet);
});
