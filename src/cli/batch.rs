//! One driver for every study: prepare the batch (identity, output folder, threads), count it
//! through [`crate::batch::driver::drive`] with a progress bar, then write a part file (with
//! `--shard`) or finish: the study's files, its charts, the calibrated variant, the table.
//! `jinsong merge` adds the parts' counts and finishes through the same code.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::args::BatchArgs;
use super::{charts_note, emit, progress_bar, write_charts};
use crate::batch::checkpoint::Identity;
use crate::batch::driver::{
    add_parts, drive, part_done, part_scenarios, remove_checkpoint, settings_of, write_part,
};
use crate::batch::merge::{MergeError, PartFile};
use crate::batch::shard::Shard;
use crate::batch::Counts;
use crate::charts::{draw_study, ChartOptions, MemoryFiles};
use crate::output::{Lock, Staging};
use crate::study::{Finished, Study};

/// Where a finished study goes: its output folder, its charts, `calibrate --write`, and
/// whether to print.
pub struct Plan {
    /// The output folder.
    pub out: PathBuf,
    /// Charts to draw, if any.
    pub charts: Option<ChartOptions>,
    /// `calibrate --write`.
    pub write: Option<PathBuf>,
    /// No progress bar and no table.
    pub quiet: bool,
}

/// Run `study` with the batch options `batch`: count its shard's work items, then write its
/// part file or finish as `plan` says.
pub fn run_study<S: Study>(study: &S, batch: &BatchArgs, plan: Plan) -> Result<()> {
    super::check_threads(batch.threads)?;
    let shard = batch.shard.unwrap_or(Shard::WHOLE);
    let identity = Identity::of(S::KIND, shard, &study.scenarios(), study.seed(), study.settings())
        .context("cannot encode the settings")?;
    // Checked before any work is done; the results are staged again when they are written.
    drop(Staging::prepare(&plan.out)?);
    let tag = match batch.shard {
        Some(s) => format!("-{}-of-{}", s.index, s.count),
        None => String::new(),
    };
    let _lock = Lock::acquire(&plan.out, &tag, &std::env::args().collect::<Vec<_>>().join(" "))?;
    if batch.shard.is_some() && part_done(&identity, &plan.out)? {
        let file = crate::batch::part::part_file_name(shard);
        super::say(&format!(
            "note: {}/{file}: shard {shard} of this batch is already done",
            crate::text::path(&plan.out)
        ));
        return Ok(());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(batch.threads.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let range = shard.range(study.items(batch.shard.is_some()));
    let items = range.end - range.start;
    let per_item = study.runs_per_item();
    let bar = progress_bar(items.saturating_mul(per_item), batch.quiet);
    let counts = drive(
        &identity,
        batch.drive(),
        &plan.out,
        items,
        study.wave(pool.current_num_threads()),
        study.empty(),
        &|c: &S::Counts, done| study.fits(c, range.start..range.start + done),
        &mut |wave, counts: &mut S::Counts| {
            if bar.position() == 0 {
                bar.set_position(wave.start * per_item);
            }
            let these = range.start + wave.start..range.start + wave.end;
            Ok(pool.install(|| study.count(these, counts, &|n| bar.inc(n)))?)
        },
    )?;
    bar.finish_and_clear();
    if batch.shard.is_some() {
        let dir = write_part(&identity, &plan.out, counts)?;
        if !batch.quiet {
            emit(&format!(
                "wrote {}/{} (shard {shard}); merge all {n} parts with: jinsong merge {}/part-*-of-{n}.json --out DIR\n",
                crate::text::path(&dir),
                crate::batch::part::part_file_name(shard),
                crate::text::path(&dir),
                n = shard.count
            ))?;
        }
        return Ok(());
    }
    let finished = pool.install(|| study.finish(counts))?;
    finish(S::KIND, finished, &plan)?;
    remove_checkpoint(&plan.out, &identity);
    Ok(())
}

/// Write a finished study's files and charts into `plan.out` (all or nothing), the calibrated
/// variant where `--write` says, and print the table.
fn finish(kind: crate::study::StudyKind, finished: Finished, plan: &Plan) -> Result<()> {
    let staging = Staging::prepare(&plan.out)?;
    for (name, bytes) in &finished.files {
        staging.write(name, bytes)?;
    }
    let mut charts = Vec::new();
    if let Some(opts) = &plan.charts {
        match draw_study(kind, &MemoryFiles(&finished.files), opts) {
            Ok(rendered) => charts = write_charts(&staging, rendered),
            Err(e) => super::warn(&format!("no charts: {e}")),
        }
    }
    let dir = staging.commit()?;
    let mut wrote = format!("{}/{}", crate::text::path(&dir), finished.wrote);
    if let Some(variant) = &finished.variant {
        let target = plan
            .write
            .clone()
            .unwrap_or_else(|| dir.join(&variant.default_name));
        // The folder of `--write` was checked to exist before the search; none is created.
        let folder = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base = crate::output::relative_to(&variant.base, &folder)?;
        crate::output::write_atomic(&target, variant.text(&base).as_bytes())?;
        wrote = format!("{} and {wrote}", crate::text::path(&target));
    }
    if !plan.quiet {
        emit(&format!(
            "{}wrote {wrote}{}\n",
            finished.head,
            charts_note(&charts)
        ))?;
    }
    Ok(())
}

/// `jinsong merge` of parts written by study `S` (already checked to belong together, in shard
/// order): decode the settings, check the scenarios and every part's counts, add them up and
/// finish as the single-machine command would.
pub fn merge_parts<S: Study>(parts: &[PartFile], plan: Plan) -> Result<()> {
    let first = &parts[0];
    let settings: S::Settings = settings_of(first)?;
    let study = S::new(settings, first.part.seed).map_err(|e| MergeError::Corrupt {
        path: first.path.clone(),
        reason: format!("settings: {e}"),
    })?;
    part_scenarios(first, &study.scenarios())?;
    let total = study.items(true);
    let counts = add_parts(
        parts,
        study.empty(),
        &|c: &S::Counts, shard| study.fits(c, shard.range(total)),
        &|sum, c| sum.merge(&c),
    )?;
    let pool = rayon::ThreadPoolBuilder::new()
        .build()
        .context("cannot start the worker threads")?;
    let _lock = Lock::acquire(&plan.out, "", &std::env::args().collect::<Vec<_>>().join(" "))?;
    let finished = pool.install(|| study.finish(counts))?;
    finish(S::KIND, finished, &plan)
}
