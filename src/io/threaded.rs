//! Parsing on a second thread: batches of records go through a bounded channel while the
//! first thread checks or converts; order, line numbers and errors are as on one thread.

use super::csv::CsvSource;
use super::csv::csv_error;
use super::{Fields, FieldsView, ReadSummary, Record, RowOf, deliver};
use crate::error::Result;
use std::ops::ControlFlow;

/// Records a batch holds at most before it is handed over, and the bytes of fields after which
/// it is handed over early: small enough that memory stays flat, large enough that handing over
/// costs nothing per record.
pub(super) const BATCH_RECORDS: usize = 4096;
pub(super) const BATCH_BYTES: usize = 1 << 20;
/// Batches parsed ahead of the records being checked.
pub(super) const BATCHES_AHEAD: usize = 2;

/// CSV records parsed on the reading thread, packed: every record's bytes one after the other in
/// `data`, their field ends (relative to the record) in `ends`, and per record where those end
/// and where in the file the record was.
#[derive(Debug, Default)]
pub(super) struct Batch {
    data: Vec<u8>,
    /// `data` once it is checked to be valid UTF-8 as a whole (see [`Batch::seal`]): the
    /// records' fields are then text without a check each.
    text: Option<String>,
    ends: Vec<usize>,
    records: Vec<BatchRecord>,
    /// What stopped the reading after these records: the error and the line it was on.
    error: Option<(std::io::Error, u64)>,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct BatchRecord {
    data_end: usize,
    ends_end: usize,
    joined: Option<u8>,
    line: u64,
    blank: u64,
    progress: u64,
}

impl Batch {
    fn clear(&mut self) {
        if let Some(text) = self.text.take() {
            self.data = text.into_bytes();
        }
        self.data.clear();
        self.ends.clear();
        self.records.clear();
        self.error = None;
    }

    /// Checks once, on the reading thread, that the batch's bytes are valid UTF-8 (in most
    /// files every batch is), so that the thread that takes the records checks none of them
    /// again.
    fn seal(&mut self) {
        match String::from_utf8(std::mem::take(&mut self.data)) {
            Ok(text) => self.text = Some(text),
            Err(e) => self.data = e.into_bytes(),
        }
    }

    fn push(&mut self, rec: &Fields, line: u64, blank: u64, progress: u64) {
        let view = rec.view();
        self.data.extend_from_slice(view.data);
        self.ends.extend_from_slice(view.ends);
        self.records.push(BatchRecord {
            data_end: self.data.len(),
            ends_end: self.ends.len(),
            joined: view.joined,
            line,
            blank,
            progress,
        });
    }

    fn is_full(&self) -> bool {
        self.records.len() >= BATCH_RECORDS || self.data.len() >= BATCH_BYTES
    }

    /// Each record's fields and place, in order.
    fn iter(&self) -> impl Iterator<Item = (FieldsView<'_>, (u64, u64, u64))> {
        let mut from = (0, 0);
        let data = self.text.as_ref().map_or(&self.data[..], String::as_bytes);
        self.records.iter().map(move |r| {
            let view = FieldsView {
                data: &data[from.0..r.data_end],
                ends: &self.ends[from.1..r.ends_end],
                joined: r.joined,
                // Records end on character boundaries: each is a whole number of characters.
                text: self.text.as_ref().and_then(|t| t.get(from.0..r.data_end)),
            };
            from = (r.data_end, r.ends_end);
            (view, (r.line, r.blank, r.progress))
        })
    }
}

/// Parses the CSV on a second thread while `f` runs on this one. The reading thread (file
/// reads, decoding, splitting fields, counting lines) fills batches of records and sends them
/// in order through a bounded channel; this thread hands each record to `f` and sends the
/// emptied batch back to be refilled, so memory stays at a few batches whatever the file's
/// size. When `f` stops early, the channel closes and the reading thread stops at its next
/// batch.
pub(super) fn read_csv_two_threads<F>(
    name: &str,
    mut src: CsvSource<'_>,
    (expected, rows): (usize, RowOf),
    mut f: F,
) -> Result<ReadSummary>
where
    F: FnMut(&Record<'_>) -> ControlFlow<()>,
{
    let mut summary = ReadSummary::default();
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut rec = Fields::default();
            loop {
                let mut batch = empty_rx.try_recv().unwrap_or_default();
                batch.clear();
                let mut end = false;
                while !batch.is_full() {
                    let at = src.lines.line;
                    match src.next(&mut rec) {
                        Ok(Some((line, blank))) => batch.push(&rec, line, blank, src.byte),
                        Ok(None) => {
                            end = true;
                            break;
                        }
                        Err(e) => {
                            batch.error = Some((e, at));
                            end = true;
                            break;
                        }
                    }
                }
                batch.seal();
                // A closed channel: the records are no longer wanted.
                if full_tx.send(batch).is_err() || end {
                    return;
                }
            }
        });
        // The receiver is moved in here, so it is dropped when this closure returns, however
        // it returns: a reading thread blocked on a full channel then wakes, and the scope can
        // join it.
        let full_rx = full_rx;
        for mut batch in &full_rx {
            for (fields, place) in batch.iter() {
                if deliver(&mut summary, expected, rows, fields, place, &mut f).is_break() {
                    return Ok(());
                }
            }
            if let Some((e, at)) = batch.error.take() {
                return Err(csv_error(name, e, at));
            }
            // The reading thread may have ended; then the batch is simply dropped.
            let _ = empty_tx.send(batch);
        }
        Ok(())
    })?;
    Ok(summary)
}
