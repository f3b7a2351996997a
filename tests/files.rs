//! No lost file: one rule for every file a command writes (never a file it reads, never a
//! special file or a link, never another batch's state, always through an unpredictable
//! temporary file), one lock per output folder whatever the shard split, a batch never
//! destroys another's checkpoint, a file size limit gives a clean error, and a run without
//! charts leaves no stale charts. Every refusal is timed (under one second).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::common::{bin, calibrate_args, jinsong, ok, strs, text, toy, toy_patterns, SMALL};

/// The patterns file of the small scenario's calibrations.
const PATTERNS: &str = r#"(patterns: [(name: "war", description: "", rule: OnsetWithin(a: "a", b: "b", from: "1200-01", to: "1209-12"))])"#;

/// The time a refusal may take.
const REFUSAL: Duration = Duration::from_secs(1);

fn write(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

/// Fails in under a second, without panicking, with one line containing every one of
/// `needles`.
fn refused(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let start = Instant::now();
    let out = jinsong(dir, args);
    let took = start.elapsed();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{args:?} should fail");
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: one line: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: `{n}` not in: {err}");
    }
    assert!(took < REFUSAL, "{args:?} took {took:?} to be refused");
    err
}

/// `calibrate` of the small scenario into `cal/`, writing `--write target`.
fn calibrate(target: &str) -> Vec<String> {
    calibrate_args("small.ron", "p.ron", target)
        .map(String::from)
        .to_vec()
}

/// A folder with the small scenario (`small.ron`) and its patterns (`p.ron`).
fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "small.ron", SMALL);
    write(tmp.path(), "p.ron", PATTERNS);
    tmp
}

/// Make a FIFO at `path` (with `mkfifo`); false where it cannot be made.
fn mkfifo(path: &Path) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

/// Start `args` in `dir` holding its output folder's lock `hold_ms` milliseconds after taking it
/// (the test-only hook), and wait until the lock file names it.
fn holder(dir: &Path, args: &[&str], lock: &Path, hold_ms: u64) -> Child {
    let mut child = bin()
        .current_dir(dir)
        .args(args)
        .env("JINSONG_TEST_LOCK_HOLD_MS", hold_ms.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !fs::read_to_string(lock).is_ok_and(|t| t.contains(&child.id().to_string())) {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the holder ended ({status}) before taking {}", lock.display());
        }
        assert!(start.elapsed() < Duration::from_secs(60), "no lock after 60 s");
        sleep(Duration::from_millis(2));
    }
    child
}

fn finished(child: Child) -> Output {
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    out
}

/// Item 1: `calibrate --write` never replaces a file it reads (the patterns, by any alias), its
/// own results, a special file, a link, a batch's state, nor a file in a folder another
/// command holds.
#[test]
fn calibrate_write_never_replaces_an_input_its_results_a_special_file_or_a_batchs_state() {
    let tmp = setup();
    let dir = tmp.path();
    fs::create_dir(dir.join("sub")).unwrap();
    fs::create_dir(dir.join("st")).unwrap();
    std::os::unix::fs::symlink(dir, dir.join("alias")).unwrap();
    fs::hard_link(dir.join("p.ron"), dir.join("p-hard.ron")).unwrap();
    std::os::unix::fs::symlink(dir.join("p.ron"), dir.join("p-link.ron")).unwrap();
    write(dir, "victim.ron", "keep");
    std::os::unix::fs::symlink(dir.join("victim.ron"), dir.join("to-victim.ron")).unwrap();
    let state = r#"{"format":"jinsong-checkpoint/1","command":"run","shard":{"index":1,"count":1}}"#;
    write(dir, "st/checkpoint.json", state);
    write(dir, "st/renamed.json", state);
    let before = fs::read(dir.join("p.ron")).unwrap();

    for (target, needle) in [
        ("p.ron", "which this command reads"),
        ("p-hard.ron", "which this command reads"),
        ("sub/../p.ron", "which this command reads"),
        ("alias/p.ron", "which this command reads"),
        ("p-link.ron", "symbolic link"),
        ("to-victim.ron", "symbolic link"),
        ("cal/calibration.csv", "result file of this command"),
        ("st/checkpoint.json", "checkpoint or part file"),
        ("cal/checkpoint.json", "checkpoint or part file"),
        ("st/renamed.json", "checkpoint or part file"),
    ] {
        refused(dir, &strs(&calibrate(target)), &["--write", needle]);
    }
    assert_eq!(fs::read(dir.join("p.ron")).unwrap(), before);
    assert_eq!(fs::read(dir.join("victim.ron")).unwrap(), b"keep");
    assert_eq!(fs::read_to_string(dir.join("st/checkpoint.json")).unwrap(), state);
    assert!(!dir.join("cal").exists(), "refused before any work");

    // Its own result file, with the folder there from an earlier calibration.
    ok(dir, &strs(&calibrate("v.ron")));
    let results = fs::read(dir.join("cal/calibration.csv")).unwrap();
    refused(
        dir,
        &strs(&calibrate("cal/calibration.csv")),
        &["result file of this command"],
    );
    assert_eq!(fs::read(dir.join("cal/calibration.csv")).unwrap(), results);

    // A device node: /dev/null stays the device it is.
    refused(dir, &strs(&calibrate("/dev/null")), &["not a regular file"]);
    assert!(!fs::metadata("/dev/null").unwrap().is_file());
    // A FIFO (opening it for reading would block: it is never opened).
    if mkfifo(&dir.join("fifo.ron")) {
        refused(dir, &strs(&calibrate("fifo.ron")), &["not a regular file"]);
        assert!(is_fifo(&dir.join("fifo.ron")));
    }
}

/// Item 1: `--write` into a folder where a batch is running is refused (the folder's lock), as
/// is its checkpoint by name.
#[test]
fn calibrate_write_into_a_running_batchs_folder_is_refused() {
    let tmp = setup();
    let dir = tmp.path();
    fs::create_dir(dir.join("busy")).unwrap();
    let lock = dir.join(".busy.lock");
    let child = holder(dir, &strs(&small_run("busy", &[])), &lock, 3000);
    refused(
        dir,
        &strs(&calibrate("busy/variant.ron")),
        &["busy is in use by another jinsong command", "jinsong run"],
    );
    refused(
        dir,
        &strs(&calibrate("busy/checkpoint.json")),
        &["checkpoint or part file"],
    );
    finished(child);
    assert!(!dir.join("busy/variant.ron").exists());
    assert!(!lock.exists(), "the lock file is removed by its last holder");
}

/// Item 5: `--write` through a bind mount of the scenario's folder onto the base of the variant
/// it reads (where `mount --bind` works: as root with the privilege; skipped otherwise).
#[test]
fn calibrate_write_through_a_bind_mount_of_the_scenarios_folder_is_refused() {
    let tmp = setup();
    let dir = tmp.path();
    fs::create_dir(dir.join("real")).unwrap();
    fs::create_dir(dir.join("mnt")).unwrap();
    write(dir, "real/small.ron", SMALL);
    write(
        dir,
        "real/v.ron",
        r#"(base: "small.ron", name: "v", set: ["polities.a.fear_gain=0.2"])"#,
    );
    let mounted = Command::new("mount")
        .args(["--bind", "real", "mnt"])
        .current_dir(dir)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: mount --bind is not permitted here");
        return;
    }
    let mut args = calibrate("mnt/small.ron");
    args[1] = "real/v.ron".into();
    let result = std::panic::catch_unwind(|| {
        refused(dir, &strs(&args), &["--write", "which this command reads"]);
    });
    let _ = Command::new("umount").arg(dir.join("mnt")).status();
    result.unwrap();
    assert_eq!(fs::read_to_string(dir.join("real/small.ron")).unwrap(), SMALL);
}

fn evidence(reading: &str, out: &str, posterior: Option<&str>) -> Vec<String> {
    let mut args: Vec<String> = [
        "evidence",
        reading,
        "--patterns",
        &toy_patterns(),
        "--runs",
        "1000",
        "--seed",
        "2",
        "--out",
        out,
        "--no-charts",
        "--quiet",
    ]
    .map(String::from)
    .to_vec();
    if let Some(p) = posterior {
        args.extend(["--posterior".to_string(), p.to_string()]);
    }
    args
}

/// Item 2: `evidence --posterior D --out D` would overwrite the posterior it reads: refused
/// before any work, through every alias of the folder or the file.
#[test]
fn evidence_never_overwrites_the_posterior_it_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let body = format!(
        "(base: \"{}\", name: \"low\", set: [\"polities.a.greed=Uniform(0.001, 0.05)\"])",
        toy()
    );
    write(dir, "low.ron", &body);
    ok(dir, &strs(&evidence("low.ron", "ev", None)));
    let sample = fs::read(dir.join("ev/posterior_sample.csv")).unwrap();
    std::os::unix::fs::symlink(dir.join("ev"), dir.join("ev-link")).unwrap();
    fs::create_dir(dir.join("other")).unwrap();
    fs::hard_link(
        dir.join("ev/posterior_sample.csv"),
        dir.join("other/posterior_sample.csv"),
    )
    .unwrap();
    for (out, posterior) in [
        ("ev", "ev"),
        ("ev-link", "ev"),
        ("ev", "ev-link"),
        ("other/../ev", "ev"),
        ("other", "ev"),
    ] {
        refused(
            dir,
            &strs(&evidence("low.ron", out, Some(posterior))),
            &["posterior_sample.csv", "which this command reads"],
        );
    }
    assert_eq!(fs::read(dir.join("ev/posterior_sample.csv")).unwrap(), sample);
    assert_eq!(fs::read(dir.join("other/posterior_sample.csv")).unwrap(), sample);
    // Into another folder it is fine.
    ok(dir, &strs(&evidence("low.ron", "ev2", Some("ev"))));
}

fn small_run(out: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "run",
        "small.ron",
        "--runs",
        "100",
        "--no-charts",
        "--quiet",
        "--out",
        out,
    ]
    .map(String::from)
    .to_vec();
    let mut extra = extra.iter().map(|s| s.to_string());
    while let Some(flag) = extra.next() {
        match flag.as_str() {
            // `--runs` replaces the default.
            "--runs" => args[3] = extra.next().unwrap_or_default(),
            _ => args.push(flag),
        }
    }
    args
}

/// Item 3: a `--shard 1/1` batch and a plain batch on one folder exclude each other (one lock
/// per folder, whatever the shard split), while the shards of one batch run together and two
/// copies of one shard exclude each other.
#[test]
fn one_lock_per_output_folder_whatever_the_shard_split() {
    let tmp = setup();
    let dir = tmp.path();
    let lock = dir.join(".o.lock");
    let slot = dir.join(".o.lock-1-of-1");
    let shard = small_run("o", &["--shard", "1/1"]);
    let child = holder(dir, &strs(&shard), &slot, 1500);
    refused(
        dir,
        &strs(&small_run("o", &[])),
        &["o is in use by another jinsong command"],
    );
    finished(child);
    let plain = small_run("o", &[]);
    let child = holder(dir, &strs(&plain), &lock, 1500);
    refused(dir, &strs(&shard), &["o is in use by another jinsong command"]);
    refused(dir, &["plot", "o"], &["o is in use by another jinsong command"]);
    finished(child);

    // Shards 1/2 and 2/2 together; two copies of shard 1/2 exclude each other.
    let first = small_run("parts", &["--shard", "1/2"]);
    let child = holder(dir, &strs(&first), &dir.join(".parts.lock-1-of-2"), 1500);
    refused(dir, &strs(&first), &["parts is in use", "--shard 1/2"]);
    refused(dir, &strs(&small_run("parts", &[])), &["parts is in use"]);
    ok(dir, &strs(&small_run("parts", &["--shard", "2/2"])));
    finished(child);
    for f in [
        ".parts.lock",
        ".parts.lock-1-of-2",
        ".parts.lock-2-of-2",
        ".o.lock",
    ] {
        assert!(!dir.join(f).exists(), "{f} is removed by its last holder");
    }
}

/// The run of `out` at one thread with a checkpoint after each wave (8,192 runs): two.
fn checkpointing(out: &str) -> Vec<String> {
    let mut args = small_run(out, &["--checkpoint-every", "0", "--threads", "1"]);
    args[3] = "20000".into();
    args
}

/// Wait until `path` exists.
fn wait_for(path: &Path, child: &mut Child) {
    let start = Instant::now();
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before writing {}", path.display());
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no file after 120 s");
        sleep(Duration::from_millis(2));
    }
}

/// Items 3 and 5: a batch started without `--resume` where a checkpoint is (of a killed batch
/// of the same or another command) never replaces nor deletes it; the killed batch resumes.
#[test]
fn a_new_batch_never_replaces_a_killed_batchs_checkpoint() {
    let tmp = setup();
    let dir = tmp.path();
    let killed = checkpointing("k");
    let mut child = bin()
        .current_dir(dir)
        .args(&killed)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let checkpoint = dir.join("k/checkpoint.json");
    wait_for(&checkpoint, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    let saved = fs::read(&checkpoint).unwrap();
    // The same batch, another batch, another command: all refused, the checkpoint kept.
    let sweep: Vec<String> = [
        "sweep",
        "small.ron",
        "--vary",
        "polities.a.war_threshold=0.2..0.8:2",
        "--runs",
        "10",
        "--no-charts",
        "--quiet",
        "--out",
        "k",
    ]
    .map(String::from)
    .to_vec();
    for args in [killed.clone(), small_run("k", &["--seed", "5"]), sweep] {
        refused(
            dir,
            &strs(&args),
            &[
                "k/checkpoint.json holds the checkpoint of an unfinished batch",
                "--resume",
            ],
        );
        assert_eq!(fs::read(&checkpoint).unwrap(), saved);
    }
    let mut resume = killed.clone();
    resume.push("--resume".into());
    ok(dir, &strs(&resume));
    assert!(dir.join("k/summary.json").exists());
    assert!(!checkpoint.exists());
}

/// Item 5: a symbolic link planted at the name the checkpoint's temporary file had
/// (`.checkpoint.json.tmp-PID`, the pid being in the lock file) is never written through.
#[test]
fn a_link_planted_at_a_temporary_name_is_never_followed() {
    let tmp = setup();
    let dir = tmp.path();
    write(dir, "victim", "keep");
    fs::create_dir(dir.join("t")).unwrap();
    let lock = dir.join(".t.lock");
    let mut child = holder(dir, &strs(&checkpointing("t")), &lock, 300);
    let pid = child.id();
    for name in [
        format!(".checkpoint.json.tmp-{pid}"),
        format!(".summary.json.tmp-{pid}"),
    ] {
        std::os::unix::fs::symlink(dir.join("victim"), dir.join("t").join(name)).unwrap();
    }
    let staging = dir.join(format!(".t.partial-{pid}"));
    std::os::unix::fs::symlink(dir.join("victim"), &staging).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success());
    assert_eq!(fs::read(dir.join("victim")).unwrap(), b"keep");
    assert!(dir.join("t/summary.json").exists());
}

/// Item 4: past the file size limit (`ulimit -f`), a clean one-line error (not a silent death by
/// SIGXFSZ), no staging folder left, earlier results kept; and leftovers of killed commands are
/// removed by the next command that holds the folder.
#[test]
fn a_file_size_limit_gives_a_clean_error_and_keeps_earlier_results() {
    let tmp = setup();
    let dir = tmp.path();
    ok(dir, &strs(&small_run("r", &[])));
    let summary = fs::read(dir.join("r/summary.json")).unwrap();
    let mut args = small_run("r", &["--seed", "9"]);
    args[3] = "400".into();
    let start = Instant::now();
    let out = Command::new("bash")
        .current_dir(dir)
        .arg("-c")
        .arg(format!("ulimit -f 4; exec \"$0\" {}", args.join(" ")))
        .arg(env!("CARGO_BIN_EXE_jinsong"))
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{:?}: {err}", out.status);
    assert!(err.contains("File too large"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
    assert_eq!(fs::read(dir.join("r/summary.json")).unwrap(), summary);
    let hidden: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".r."))
        .collect();
    assert!(hidden.is_empty(), "left: {hidden:?}");

    // What a killed command left (a staging folder, a temporary file) goes with the next one.
    fs::create_dir(dir.join(".r.partial-12345")).unwrap();
    fs::create_dir(dir.join(".r.partial-0123456789abcdef")).unwrap();
    write(dir, "r/.summary.json.tmp-12345", "partial");
    write(dir, "r/.checkpoint.json.tmp-fedcba9876543210", "partial");
    write(dir, "r/.mine.tmp-notours", "mine");
    ok(dir, &strs(&small_run("r", &[])));
    for left in [
        ".r.partial-12345",
        ".r.partial-0123456789abcdef",
        "r/.summary.json.tmp-12345",
        "r/.checkpoint.json.tmp-fedcba9876543210",
    ] {
        assert!(!dir.join(left).exists(), "{left} is left");
    }
    assert!(
        dir.join("r/.mine.tmp-notours").exists(),
        "a file that is not jinsong's stays"
    );
}

/// Every variant of a result file's name in an `--out` folder that may not be replaced: a FIFO,
/// a link, a hard link of an input; refused before any work, each left as it was.
#[test]
fn result_names_that_are_fifos_links_or_inputs_are_refused_before_any_work() {
    let tmp = setup();
    let dir = tmp.path();
    fs::create_dir_all(dir.join("f")).unwrap();
    if mkfifo(&dir.join("f/summary.json")) {
        let start = Instant::now();
        refused(
            dir,
            &strs(&small_run("f", &["--runs", "200000"])),
            &["not a regular file"],
        );
        assert!(start.elapsed() < REFUSAL);
        assert!(is_fifo(&dir.join("f/summary.json")));
    }
    fs::create_dir_all(dir.join("l")).unwrap();
    write(dir, "victim", "keep");
    std::os::unix::fs::symlink(dir.join("victim"), dir.join("l/onset_curve.csv")).unwrap();
    refused(dir, &strs(&small_run("l", &[])), &["symbolic link"]);
    fs::create_dir_all(dir.join("h")).unwrap();
    fs::hard_link(dir.join("small.ron"), dir.join("h/events_by_year.csv")).unwrap();
    refused(dir, &strs(&small_run("h", &[])), &["which this command reads"]);
    assert_eq!(fs::read(dir.join("victim")).unwrap(), b"keep");
    assert_eq!(fs::read_to_string(dir.join("small.ron")).unwrap(), SMALL);
    // plot and trace go by the same rule.
    ok(
        dir,
        &["run", "small.ron", "--runs", "100", "--quiet", "--out", "p"],
    );
    fs::remove_file(dir.join("p/timeline.svg")).unwrap();
    std::os::unix::fs::symlink(dir.join("victim"), dir.join("p/timeline.svg")).unwrap();
    refused(dir, &["plot", "p"], &["symbolic link"]);
    fs::create_dir_all(dir.join("tr")).unwrap();
    std::os::unix::fs::symlink(dir.join("victim"), dir.join("tr/trace.csv")).unwrap();
    refused(
        dir,
        &["trace", "small.ron", "--no-charts", "--quiet", "--out", "tr"],
        &["symbolic link"],
    );
    assert_eq!(fs::read(dir.join("victim")).unwrap(), b"keep");
}

/// Item 12: two commands started together on one folder, 200 times: exactly one wins each
/// time, the other is refused with the lock's message. Eight folders at a time, 25 tries each.
#[test]
fn two_commands_started_together_on_one_folder_exactly_one_wins() {
    let tmp = setup();
    let dir = tmp.path().to_path_buf();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let dir = dir.clone();
            std::thread::spawn(move || {
                let out = format!("c{t}");
                for k in 0..25 {
                    let args = small_run(&out, &["--runs", "1"]);
                    let start = || {
                        bin()
                            .current_dir(&dir)
                            .args(&args)
                            .env("JINSONG_TEST_LOCK_HOLD_MS", "300")
                            .stdout(Stdio::null())
                            .stderr(Stdio::piped())
                            .spawn()
                            .unwrap()
                    };
                    let (a, b) = (start(), start());
                    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
                    let wins = [&a, &b].iter().filter(|o| o.status.success()).count();
                    assert_eq!(
                        wins,
                        1,
                        "try {k} in {out}: {} and {}",
                        text(&a.stderr),
                        text(&b.stderr)
                    );
                    let loser = if a.status.success() { &b } else { &a };
                    assert!(
                        text(&loser.stderr).contains(&format!("{out} is in use by another jinsong command")),
                        "{}",
                        text(&loser.stderr)
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

/// Item 16's last part: a run without charts (or with fewer formats) into a folder that holds
/// charts of an earlier run removes those charts, and says so.
#[test]
fn a_run_without_charts_removes_the_charts_of_an_earlier_run() {
    let tmp = setup();
    let dir = tmp.path();
    ok(
        dir,
        &["run", "small.ron", "--runs", "100", "--quiet", "--out", "c"],
    );
    assert!(dir.join("c/onset_curves.svg").exists());
    write(dir, "c/notes.svg", "mine");
    let out = ok(dir, &strs(&small_run("c", &["--seed", "4"])));
    let err = text(&out.stderr);
    assert!(err.contains("removed the charts of an earlier run"), "{err}");
    for f in fs::read_dir(dir.join("c")).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            name == "notes.svg" || !(name.ends_with(".svg") || name.ends_with(".png")),
            "{name} is left"
        );
    }
    // With one format, the other's charts of the earlier run go too.
    ok(
        dir,
        &["run", "small.ron", "--runs", "100", "--quiet", "--out", "c"],
    );
    ok(
        dir,
        &[
            "run",
            "small.ron",
            "--runs",
            "100",
            "--seed",
            "4",
            "--quiet",
            "--format",
            "svg",
            "--out",
            "c",
        ],
    );
    assert!(dir.join("c/onset_curves.svg").exists());
    assert!(!dir.join("c/onset_curves.png").exists());
    // trace alike.
    ok(dir, &["trace", "small.ron", "--quiet", "--out", "tc"]);
    assert!(dir.join("tc/trace.svg").exists());
    ok(
        dir,
        &["trace", "small.ron", "--quiet", "--no-charts", "--out", "tc"],
    );
    assert!(!dir.join("tc/trace.svg").exists());
}
