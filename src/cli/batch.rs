//! One driver for every study: prepare the batch (identity, output folder, threads), count it
//! through [`crate::batch::driver::drive`] with a progress bar, then write a part file (with
//! `--shard`) or finish: the study's files, its charts, the calibrated variant, the table.
//! `jinsong merge` adds the parts' counts and finishes through the same code.

use std::path::PathBuf;

use anyhow::{Context, Result};

use super::args::BatchArgs;
use super::{charts_note, emit, progress_bar, write_charts};
use crate::batch::checkpoint::Identity;
use crate::batch::driver::{drive, part_done, remove_checkpoint, write_part};
use crate::batch::merge::PartFile;
use crate::batch::shard::Shard;
use crate::charts::{draw_study, ChartOptions, MemoryFiles};
use crate::output::{check_destination, Lock, LockMode, Staging};
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
    let mode = match batch.shard {
        Some(s) => LockMode::Shard {
            index: s.index,
            count: s.count,
        },
        None => LockMode::Exclusive,
    };
    let _lock = Lock::acquire(&plan.out, mode, &command_line())?;
    match batch.shard {
        Some(s) => check_destination(&plan.out.join(crate::batch::part::part_file_name(s)))?,
        None => check_destinations(&plan.out, S::KIND.result_files())?,
    }
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

/// This command's line, for the holder information of a lock.
pub(crate) fn command_line() -> String {
    std::env::args().collect::<Vec<_>>().join(" ")
}

/// Check, before any work, that the result files `names` of the folder `out` may be written
/// (no link, special file or input of this command at their names).
pub(crate) fn check_destinations(out: &std::path::Path, names: &[&str]) -> Result<()> {
    for name in names {
        check_destination(&out.join(name))?;
    }
    Ok(())
}

/// Mark the charts `files` of an earlier run as stale in `staging` (those the new results do
/// not replace are removed with the commit), and say which will go.
pub(crate) fn drop_stale_charts(
    staging: &mut Staging,
    files: Vec<String>,
    written: &[String],
) -> Vec<String> {
    for f in files {
        staging.remove_stale(&f);
    }
    staging
        .stale()
        .into_iter()
        .filter(|f| !written.contains(f))
        .collect()
}

/// Write a finished study's files and charts into `plan.out` (all or nothing), the calibrated
/// variant where `--write` says, and print the table.
fn finish(kind: crate::study::StudyKind, finished: Finished, plan: &Plan) -> Result<()> {
    let mut staging = Staging::prepare(&plan.out)?;
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
    let stale = drop_stale_charts(&mut staging, crate::charts::chart_files(kind), &charts);
    if let Some(w) = &plan.write {
        check_own_result(w, &plan.out, &finished.files)?;
    }
    let dir = staging.commit()?;
    if !stale.is_empty() {
        eprintln!(
            "note: removed the charts of an earlier run from {}: {}",
            crate::text::path(&dir),
            stale.join(", ")
        );
    }
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

/// Refuse a `--write` target that is one of the result files (or charts) of the command's own
/// output folder `out`.
pub(crate) fn check_own_result(
    write: &std::path::Path,
    out: &std::path::Path,
    files: &[(String, Vec<u8>)],
) -> Result<()> {
    let folder = crate::output::parent_of(write);
    let same = match (std::fs::canonicalize(&folder), std::fs::canonicalize(out)) {
        (Ok(a), Ok(b)) => a == b,
        _ => crate::output::resolve(&folder).ok().as_deref() == Some(out),
    };
    let name = write
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if same && files.iter().any(|(f, _)| *f == name) {
        anyhow::bail!(
            "--write: {} is a result file of this command's --out; write the calibrated variant elsewhere",
            write.display()
        );
    }
    Ok(())
}

/// `jinsong merge` of parts written by study `S` (already checked to belong together, in shard
/// order): decode the settings, check the scenarios and every part's counts, add them up and
/// finish as the single-machine command would.
pub fn merge_parts<S: Study>(parts: &[PartFile], plan: Plan) -> Result<()> {
    let (study, counts) = crate::study::read_parts::<S>(parts)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .build()
        .context("cannot start the worker threads")?;
    let _lock = Lock::acquire(&plan.out, LockMode::Exclusive, &command_line())?;
    check_destinations(&plan.out, S::KIND.result_files())?;
    let finished = pool.install(|| study.finish(counts))?;
    finish(S::KIND, finished, &plan)
}
