//! Files the commands write: refused when they would replace an input or an existing file
//! without `--force`, written under a temporary name and renamed into place when complete.

use anyhow::Context as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use wm_ethnicity::StreamError;

/// A file written under a temporary name in its directory, renamed into place only when
/// complete: a failed run never leaves half a file, and never replaces a good one.
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Refuses an existing `path` unless `force`; creates the temporary file next to it.
    pub fn create(path: &Path, force: bool) -> anyhow::Result<AtomicFile> {
        let name = path.display();
        if path.is_dir() {
            anyhow::bail!("{name}: is a directory, not a file to write");
        }
        if path.exists() && !force {
            anyhow::bail!("{name}: already exists; give --force to replace it");
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = path
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .with_context(|| format!("{name}: cannot create a file in {}", dir.display()))?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            file: Some(BufWriter::with_capacity(256 * 1024, file)),
        })
    }

    /// Flushes, syncs and renames the file into place.
    pub fn persist(mut self) -> anyhow::Result<()> {
        let name = self.path.display().to_string();
        let file = self.file.take().expect("persisted once");
        let file = file
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)
            .with_context(|| format!("{name}: cannot write"))?;
        file.sync_all()
            .with_context(|| format!("{name}: cannot write"))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path)
            .with_context(|| format!("{name}: cannot replace"))?;
        Ok(())
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
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Standard output, or a file renamed into place when complete.
pub enum Destination {
    /// Standard output, buffered.
    Stdout(BufWriter<std::io::StdoutLock<'static>>),
    /// A file (see [`AtomicFile`]).
    File(AtomicFile),
}

impl Destination {
    /// `path` as an [`AtomicFile`], or standard output when `None`.
    pub fn open(path: Option<&Path>, force: bool) -> anyhow::Result<Destination> {
        Ok(match path {
            Some(p) => Destination::File(AtomicFile::create(p, force)?),
            None => Destination::Stdout(BufWriter::with_capacity(
                256 * 1024,
                std::io::stdout().lock(),
            )),
        })
    }

    /// Flushes standard output, or renames the finished file into place.
    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Destination::Stdout(mut w) => Ok(w.flush()?),
            Destination::File(f) => f.persist(),
        }
    }
}

impl Write for Destination {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Destination::Stdout(w) => w.write(buf),
            Destination::File(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Destination::Stdout(w) => w.flush(),
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
    let given: Vec<(&str, &Path)> = outputs.iter().filter_map(|&(f, p)| Some((f, p?))).collect();
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
