//! Files the commands write: refused when they would replace an input or an existing file
//! without `--force`, written under a temporary name and put in place when complete.
//!
//! - The temporary file (`.NAME.PID.tmp` beside the output) is readable by its owner only
//!   (mode 0600 on Unix): it holds every column of the input. The finished output keeps that
//!   mode, or the mode of the file it replaces.
//! - SIGINT (Ctrl-C) and SIGTERM remove every temporary file, say so on standard error, and
//!   exit 130 or 143.
//! - The next run to the same output removes the temporary files of a dead run (and says how
//!   many), and reports one whose process still runs.
//! - `-` is standard output; a device or a FIFO is written to as it is; a symbolic link is
//!   followed (its target is replaced in the target's directory), never replaced itself.
//! - Without `--force` the file is put in place with a rename that cannot replace (a hard
//!   link): an output created by another run in the meantime is never overwritten.

use anyhow::Context as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, Once};
use wm_ethnicity::StreamError;

/// The temporary files this process has open. A signal removes them holding the lock, and
/// exits without giving it back: no file is created or put in place after that.
static TEMPS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temps() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Removes the temporary files on SIGINT and SIGTERM (once per process; Unix only).
fn remove_temps_on_signals() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGINT, SIGTERM};
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
                return;
            };
            std::thread::spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    let name = if signal == SIGINT {
                        "SIGINT (Ctrl-C)"
                    } else {
                        "SIGTERM"
                    };
                    interrupted(name, &mut temps());
                    std::process::exit(128 + signal);
                }
            });
        }
    });
}

/// Removes `temps` and says so: the process is about to exit on a signal.
#[cfg(unix)]
#[allow(clippy::print_stderr)]
fn interrupted(signal: &str, temps: &mut Vec<PathBuf>) {
    let removed: Vec<String> = temps
        .drain(..)
        .filter(|t| std::fs::remove_file(t).is_ok())
        .map(|t| t.display().to_string())
        .collect();
    match removed.as_slice() {
        [] => eprintln!("wm-ethnicity: interrupted by {signal}; no file was written"),
        [one] => eprintln!(
            "wm-ethnicity: interrupted by {signal}; removed the temporary file {one}, no output was put in place"
        ),
        many => eprintln!(
            "wm-ethnicity: interrupted by {signal}; removed {} temporary files ({}), no output was put in place",
            many.len(),
            many.join(", ")
        ),
    }
}

/// The temporary files `.NAME.PID.tmp` beside `path` left by other runs: those of a dead
/// process are removed (one line says how many), one of a process still running is reported.
#[allow(clippy::print_stderr)]
fn clean_stale(path: &Path, dir: &Path, file_name: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{file_name}.");
    let mut removed = 0u32;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.strip_suffix(".tmp"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let path = entry.path();
        if process_alive(pid) == Some(false) {
            if std::fs::remove_file(&path).is_ok() {
                removed += 1;
            }
            continue;
        }
        let age = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .map_or_else(String::new, |d| format!(", last written {} ago", age(d)));
        let whose = match process_alive(pid) {
            Some(_) => format!("of process {pid}, still running"),
            None => format!("of process {pid}, perhaps an interrupted run"),
        };
        eprintln!(
            "wm-ethnicity: note: {} is a temporary file {whose}{age}, older than this run; \
             not removed (another run may be writing the same output)",
            path.display()
        );
    }
    if removed > 0 {
        let n = if removed == 1 {
            "1 temporary file".to_owned()
        } else {
            format!("{removed} temporary files")
        };
        eprintln!(
            "wm-ethnicity: removed {n} (.{file_name}.PID.tmp) beside {}, left by an interrupted run",
            path.display()
        );
    }
}

/// Whether process `pid` runs: known on Linux (`/proc`), else `None`.
fn process_alive(pid: u32) -> Option<bool> {
    let proc = Path::new("/proc");
    if cfg!(target_os = "linux") && proc.join("self").exists() {
        Some(proc.join(pid.to_string()).exists())
    } else {
        None
    }
}

fn age(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

/// A file written under a temporary name in its directory, put in place only when complete:
/// a failed or interrupted run never leaves half a file, and never replaces a good one.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
    force: bool,
    /// The permissions of the file it replaces (`--force`), kept.
    replaces: Option<std::fs::Permissions>,
}

impl AtomicFile {
    /// Refuses an existing `path` unless `force`; creates the temporary file next to it
    /// (readable by its owner only), after removing those of dead runs. `path` is a regular
    /// file or none: [`Destination::open`] follows links and streams to devices.
    pub fn create(path: &Path, force: bool) -> anyhow::Result<AtomicFile> {
        let name = path.display();
        if path.is_dir() {
            anyhow::bail!("{name}: is a directory, not a file to write");
        }
        let existing = std::fs::metadata(path).ok();
        if existing.is_some() && !force {
            anyhow::bail!("{name}: already exists; give --force to replace it");
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = path
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        clean_stale(path, &dir, &file_name);
        remove_temps_on_signals();
        let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let mut options = File::options();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut temps = temps();
        let file = options
            .open(&tmp)
            .with_context(|| format!("{name}: cannot create a file in {}", dir.display()))?;
        temps.push(tmp.clone());
        drop(temps);
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
            force,
            replaces: existing.map(|m| m.permissions()),
        })
    }

    /// The temporary file being written.
    #[cfg(test)]
    pub fn temporary(&self) -> &Path {
        &self.tmp
    }

    /// Flushes, syncs and puts the file in place: with `force` by a rename (replacing the file
    /// there), else by a hard link that fails when the file appeared meanwhile.
    pub fn persist(mut self) -> anyhow::Result<()> {
        let name = self.path.display().to_string();
        let file = self.file.take().expect("persisted once");
        let file = file
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)
            .with_context(|| format!("{name}: cannot write"))?;
        file.sync_all()
            .with_context(|| format!("{name}: cannot write"))?;
        if let Some(p) = self.replaces.take() {
            let _ = file.set_permissions(p);
        }
        drop(file);
        let mut temps = temps();
        temps.retain(|t| *t != self.tmp);
        let result = self.put_in_place();
        if result.is_err() {
            let _ = std::fs::remove_file(&self.tmp);
        }
        drop(temps);
        result.with_context(|| format!("{name}: cannot put the output in place"))
    }

    fn put_in_place(&self) -> anyhow::Result<()> {
        if self.force {
            return Ok(std::fs::rename(&self.tmp, &self.path)?);
        }
        let appeared = || {
            anyhow::anyhow!(
                "it was created by something else while this run was writing; it is left as \
                 it was and this run's output is not written; give --force to replace it"
            )
        };
        match std::fs::hard_link(&self.tmp, &self.path) {
            Ok(()) => {
                std::fs::remove_file(&self.tmp)?;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(appeared()),
            // No hard links on this file system: check, then rename (a small window).
            Err(_) if self.path.exists() => Err(appeared()),
            Err(_) => Ok(std::fs::rename(&self.tmp, &self.path)?),
        }
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.file {
            Some(f) => f.write(buf),
            None => Err(std::io::Error::other("file already persisted")),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.flush(),
            None => Ok(()),
        }
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let mut temps = temps();
            let _ = std::fs::remove_file(&self.tmp);
            temps.retain(|t| *t != self.tmp);
        }
    }
}

/// Standard output, a device or FIFO written as it is, or a file put in place when complete.
pub enum Destination {
    /// Standard output, buffered.
    Stdout(BufWriter<std::io::Stdout>),
    /// A device, FIFO or socket (`/dev/null`, a named pipe): streamed to, never replaced.
    Stream(BufWriter<File>),
    /// A regular file (see [`AtomicFile`]).
    File(AtomicFile),
}

/// True for the path `-`, standard output.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

impl Destination {
    /// Standard output when `path` is `None` or `-`; a device or FIFO opened as it is; a
    /// symbolic link's target; otherwise `path` as an [`AtomicFile`].
    pub fn open(path: Option<&Path>, force: bool) -> anyhow::Result<Destination> {
        let Some(path) = path.filter(|p| !is_stdout(p)) else {
            return Ok(Destination::Stdout(BufWriter::with_capacity(
                256 * 1024,
                std::io::stdout(),
            )));
        };
        let name = path.display();
        let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        let target = match std::fs::metadata(path) {
            Ok(m) if is_special(m.file_type()) => {
                let file = File::options()
                    .write(true)
                    .open(path)
                    .with_context(|| format!("{name}: cannot open for writing"))?;
                return Ok(Destination::Stream(BufWriter::with_capacity(
                    256 * 1024,
                    file,
                )));
            }
            Ok(_) if link => std::fs::canonicalize(path)
                .with_context(|| format!("{name}: cannot follow the symbolic link"))?,
            Err(_) if link => anyhow::bail!(
                "{name}: is a symbolic link to a missing file; give the path of the file to write"
            ),
            _ => path.to_path_buf(),
        };
        Ok(Destination::File(AtomicFile::create(&target, force)?))
    }

    /// Flushes standard output or the device, or puts the finished file in place.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Destination::Stdout(mut w) => Ok(w.flush()?),
            Destination::Stream(mut w) => Ok(w.flush()?),
            Destination::File(f) => f.persist(),
        }
    }
}

/// A device, FIFO or socket: not a file to replace.
fn is_special(t: std::fs::FileType) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        t.is_char_device() || t.is_block_device() || t.is_fifo() || t.is_socket()
    }
    #[cfg(not(unix))]
    {
        !t.is_file() && !t.is_dir() && !t.is_symlink()
    }
}

impl Write for Destination {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Destination::Stdout(w) => w.write(buf),
            Destination::Stream(w) => w.write(buf),
            Destination::File(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Destination::Stdout(w) => w.flush(),
            Destination::Stream(w) => w.flush(),
            Destination::File(f) => f.flush(),
        }
    }
}

/// True when `a` and `b` name the same existing file.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

/// Refuses outputs that would replace an input, or one file given for two outputs. `outputs`
/// are the files with the flag naming each (`--output`).
pub fn check_outputs(outputs: &[(&str, Option<&Path>)], inputs: &[PathBuf]) -> anyhow::Result<()> {
    let to_stdout: Vec<&str> = outputs
        .iter()
        .filter(|&&(f, p)| p.map_or(f == "--output", is_stdout))
        .map(|&(f, _)| f)
        .collect();
    if let [first, second, ..] = to_stdout.as_slice() {
        anyhow::bail!("{first} and {second} both go to standard output; give one of them a file");
    }
    let special = |p: &Path| std::fs::metadata(p).is_ok_and(|m| is_special(m.file_type()));
    let given: Vec<(&str, &Path)> = outputs
        .iter()
        .filter_map(|&(f, p)| Some((f, p?)))
        .filter(|&(_, p)| !is_stdout(p) && !special(p))
        .collect();
    let which = if inputs.len() == 1 { "the" } else { "an" };
    for (_, p) in &given {
        if inputs.iter().any(|i| same_file(p, i)) {
            anyhow::bail!(
                "{}: is {which} input file; write the output somewhere else",
                p.display()
            );
        }
    }
    for (i, (flag, p)) in given.iter().enumerate() {
        if let Some((other, _)) = given[i + 1..]
            .iter()
            .find(|(_, q)| p == q || same_file(p, q))
        {
            anyhow::bail!(
                "{}: given as both {flag} and {other}; use two files",
                p.display()
            );
        }
    }
    Ok(())
}

/// Turns a stream error into one line naming the file at fault. A closed standard output
/// stays an `io::Error`, so `main` treats it as the reader's choice.
pub fn stream_error(
    e: StreamError,
    output: Option<&Path>,
    rejects: Option<&Path>,
) -> anyhow::Error {
    match e {
        StreamError::Read(e) => e.into(),
        StreamError::Write(e) => match output {
            Some(p) => anyhow::anyhow!("{}: cannot write: {e}", p.display()),
            None => e.into(),
        },
        StreamError::Rejects(e) => match rejects {
            Some(p) => anyhow::anyhow!("{}: cannot write: {e}", p.display()),
            None => e.into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_created_while_the_run_writes_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let mut file = AtomicFile::create(&path, false).unwrap();
        file.write_all(b"this run\n").unwrap();
        // Another run puts its output in place first.
        std::fs::write(&path, "the other run\n").unwrap();
        let tmp = file.temporary().to_path_buf();
        let err = file.persist().unwrap_err();
        assert!(
            format!("{err:#}").contains("created by something else while this run was writing"),
            "{err:#}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "the other run\n");
        assert!(!tmp.exists());

        // With --force the later run replaces it, keeping the replaced file's permissions.
        let mut file = AtomicFile::create(&path, true).unwrap();
        file.write_all(b"this run\n").unwrap();
        file.persist().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "this run\n");
    }

    #[test]
    #[cfg(unix)]
    fn the_temporary_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let file = AtomicFile::create(&dir.path().join("out.csv"), false).unwrap();
        let mode = std::fs::metadata(file.temporary())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
