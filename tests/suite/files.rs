//! Output files as the command line writes them (issue 11): temporary files that no one else
//! can read and that an interrupted run does not leave behind, special files never replaced,
//! and a second run never overwriting the first's output.

use crate::cli::stderr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const BIN: &str = env!("CARGO_BIN_EXE_wm-ethnicity");

fn temp_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.') && p.extension().is_some_and(|e| e == "tmp"))
        })
        .collect()
}

fn write_rows(path: &Path, rows: usize) {
    let mut text = String::with_capacity(rows * 12 + 16);
    text.push_str("id,ethnicity\n");
    for i in 0..rows {
        text.push_str(&i.to_string());
        text.push_str(",J\n");
    }
    std::fs::write(path, text).unwrap();
}

fn convert(dir: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir).args([
        "convert",
        "in.csv",
        "--scheme",
        "nhs-ethnic-category",
        "--column",
        "ethnicity",
    ]);
    c.args(extra);
    c
}

#[test]
#[cfg(unix)]
fn sigterm_during_convert_removes_the_temporary_file_and_says_so() {
    interrupt("convert", &[]);
    interrupt("validate", &["--format", "csv"]);
    interrupt("aggregate", &["--to", "group"]);
}

/// Runs `command` on a generated input to `out.csv`, sends SIGTERM once its temporary file
/// exists, and checks what is left and said.
#[cfg(unix)]
fn interrupt(command: &str, extra: &[&str]) {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    // Start small; if the run ends before the signal lands, try again with more rows.
    let mut rows = 100_000;
    for _ in 0..5 {
        write_rows(&dir.path().join("in.csv"), rows);
        let child = Command::new(BIN)
            .current_dir(dir.path())
            .args([command, "in.csv", "--scheme", "nhs-ethnic-category"])
            .args(["--column", "ethnicity", "--output", "out.csv"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let tmp = loop {
            if let Some(t) = temp_files(dir.path()).pop() {
                break Some(t);
            }
            if started.elapsed() > Duration::from_secs(10) {
                break None;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        if let Some(tmp) = &tmp {
            if let Ok(m) = std::fs::metadata(tmp) {
                assert_eq!(m.permissions().mode() & 0o777, 0o600, "{}", tmp.display());
            }
            let killed = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(killed.success());
        }
        let out = child.wait_with_output().unwrap();
        let stderr = stderr(&out);
        if out.status.code() == Some(0) {
            // The run finished before the signal: nothing may be left either way.
            assert!(temp_files(dir.path()).is_empty());
            std::fs::remove_file(dir.path().join("out.csv")).unwrap();
            rows *= 4;
            continue;
        }
        assert_eq!(out.status.code(), Some(143), "{command}: {stderr}");
        assert!(
            stderr.contains("interrupted by SIGTERM; removed the temporary file"),
            "{stderr}"
        );
        assert!(temp_files(dir.path()).is_empty(), "{stderr}");
        assert!(!dir.path().join("out.csv").exists());
        return;
    }
    panic!("every {command} finished before the signal, up to {rows} rows");
}

#[test]
fn the_next_run_removes_a_dead_runs_temporary_file_and_reports_a_live_one() {
    let dir = tempfile::tempdir().unwrap();
    write_rows(&dir.path().join("in.csv"), 3);
    // No process has an id above 2^22 on Linux: this one is dead.
    let dead = dir.path().join(".out.csv.4194999.tmp");
    std::fs::write(&dead, "id,ethnicity\n1,J\n").unwrap();
    // The test's own process is alive: its file is reported, not removed.
    let live = dir
        .path()
        .join(format!(".out.csv.{}.tmp", std::process::id()));
    let f = std::fs::File::create(&live).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    drop(f);
    let out = convert(dir.path(), &["--output", "out.csv"])
        .output()
        .unwrap();
    let stderr = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!dead.exists());
    assert!(
        stderr.contains(
            "removed 1 temporary file (.out.csv.PID.tmp) beside out.csv, left by an interrupted run"
        ),
        "{stderr}"
    );
    if cfg!(target_os = "linux") {
        assert!(live.exists());
        assert!(
            stderr.contains(&format!(
                "{} is a temporary file of process {}, still running, last written 60 min ago",
                live.file_name().unwrap().to_string_lossy(),
                std::process::id()
            )),
            "{stderr}"
        );
    }
    assert_eq!(stderr.lines().count(), 2, "{stderr}");
}

#[test]
fn dash_is_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    write_rows(&dir.path().join("in.csv"), 2);
    let out = convert(dir.path(), &["-o", "-"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("id,ethnicity,wm_code"));
    assert!(!dir.path().join("-").exists());
    // The summary goes to standard error, as without --output.
    assert!(stderr(&out).contains("output:     standard output"));
}

#[test]
#[cfg(unix)]
fn a_device_is_written_to_never_replaced() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().unwrap();
    write_rows(&dir.path().join("in.csv"), 2);
    for extra in [
        &["-o", "/dev/null", "--force"][..],
        &["-o", "/dev/null"],
        &["--rejects", "/dev/null", "-o", "/dev/null", "--force"],
    ] {
        let out = convert(dir.path(), extra).output().unwrap();
        let stderr = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {stderr}");
        let m = std::fs::symlink_metadata("/dev/null").unwrap();
        assert!(m.file_type().is_char_device(), "{extra:?}");
    }
}

#[test]
#[cfg(unix)]
fn a_symbolic_link_is_followed_and_stays_a_link() {
    let dir = tempfile::tempdir().unwrap();
    write_rows(&dir.path().join("in.csv"), 2);
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::write(dir.path().join("real/out.csv"), "old\n").unwrap();
    std::os::unix::fs::symlink("real/out.csv", dir.path().join("out.csv")).unwrap();
    let out = convert(dir.path(), &["-o", "out.csv"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "without --force the target is kept"
    );
    let out = convert(dir.path(), &["-o", "out.csv", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let link = std::fs::symlink_metadata(dir.path().join("out.csv")).unwrap();
    assert!(link.file_type().is_symlink());
    let target = std::fs::read_to_string(dir.path().join("real/out.csv")).unwrap();
    assert!(target.starts_with("id,ethnicity,wm_code"), "{target}");
    assert!(temp_files(dir.path()).is_empty());
    assert!(temp_files(&dir.path().join("real")).is_empty());
    // A link to nothing is refused, not replaced by a file.
    std::os::unix::fs::symlink("missing.csv", dir.path().join("dangling.csv")).unwrap();
    let out = convert(dir.path(), &["-o", "dangling.csv", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("symbolic link to a missing file"));
    let link = std::fs::symlink_metadata(dir.path().join("dangling.csv")).unwrap();
    assert!(link.file_type().is_symlink());
}

#[test]
#[cfg(unix)]
fn a_fifo_is_streamed_to() {
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().unwrap();
    write_rows(&dir.path().join("in.csv"), 2);
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        return; // no mkfifo here
    }
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let out = convert(dir.path(), &["-o", "pipe", "--force"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(reader.join().unwrap().starts_with("id,ethnicity,wm_code"));
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
}

fn fixture(name: &str) -> String {
    format!("{}/fixtures/returns/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn output_after_a_windows_1252_input_has_a_bom_by_default_and_the_summary_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        let o = Command::new(BIN)
            .current_dir(dir.path())
            .arg("convert")
            .arg(fixture("housing-windows-1252.csv"))
            .args(["--scheme", "ons-2011-ew", "--by", "label"])
            .args(["--column", "EthnicGroup", "-o", "out.csv", "--force"])
            .args(["--rejects", "rejects.csv"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let summary = String::from_utf8_lossy(&o.stdout).into_owned();
        let out = std::fs::read(dir.path().join("out.csv")).unwrap();
        let rejects = std::fs::read(dir.path().join("rejects.csv")).unwrap();
        std::fs::remove_file(dir.path().join("rejects.csv")).unwrap();
        (summary, out, rejects)
    };
    let (summary, out, rejects) = run(&[]);
    assert!(out.starts_with(b"\xef\xbb\xbfTenantRef,"));
    assert!(rejects.starts_with(b"\xef\xbb\xbfline,"));
    assert!(
        summary.contains("output:     out.csv (CSV, UTF-8 with BOM, "),
        "{summary}"
    );
    assert!(
        summary.contains("rejects:    rejects.csv (UTF-8 with BOM)"),
        "{summary}"
    );
    assert!(
        String::from_utf8(out[3..].to_vec())
            .unwrap()
            .contains("Café")
    );

    let (summary, out, _) = run(&["--output-encoding", "utf-8"]);
    assert!(out.starts_with(b"TenantRef,"));
    assert!(summary.contains("(CSV, UTF-8, "), "{summary}");

    // Back to what Excel wrote: the input's own bytes.
    let (summary, out, _) = run(&["--output-encoding", "windows-1252"]);
    assert!(summary.contains("(CSV, Windows-1252, "), "{summary}");
    assert!(out.windows(4).any(|w| w == b"Caf\xe9"));
    assert!(std::str::from_utf8(&out).is_err());
}

#[test]
fn a_character_windows_1252_lacks_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.csv"),
        "id,ethnicity,name\n1,A,Zoë\n2,J,Łukasz\n",
    )
    .unwrap();
    let o = convert(
        dir.path(),
        &["-o", "out.csv", "--output-encoding", "windows-1252"],
    )
    .output()
    .unwrap();
    let stderr = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "out.csv: cannot write: line 3 of the output: `Ł` (U+0141) has no Windows-1252 byte"
        ),
        "{stderr}"
    );
    assert!(!dir.path().join("out.csv").exists());
    assert!(temp_files(dir.path()).is_empty());
}

#[test]
fn aggregate_and_validate_write_the_encoding_asked() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .current_dir(dir.path())
        .arg("aggregate")
        .arg(fixture("housing-bom-crlf.csv"))
        .args(["--scheme", "housing-core", "--column", "Ethnicity"])
        .args(["--to", "group", "-o", "table.csv"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    let table = std::fs::read(dir.path().join("table.csv")).unwrap();
    assert!(
        table.starts_with(b"\xef\xbb\xbfcode,"),
        "an input with a BOM gives one"
    );
    assert!(
        stdout.contains("output:        table.csv (UTF-8 with BOM)"),
        "{stdout}"
    );
    let o = Command::new(BIN)
        .current_dir(dir.path())
        .arg("validate")
        .arg(fixture("dfe-census-bad.csv"))
        .args([
            "--scheme",
            "dfe-cbds",
            "--column",
            "Ethnicity",
            "--format",
            "csv",
        ])
        .args(["-o", "findings.csv", "--output-encoding", "utf-8-bom"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let findings = std::fs::read(dir.path().join("findings.csv")).unwrap();
    assert!(findings.starts_with(b"\xef\xbb\xbfrule,"));
}
