//! Persons with several ethnicities: the three outputs of [`MultipleCounts`] as one CSV.

use crate::multiple::{MultipleCounts, Priority, TWO_OR_MORE};
use crate::standard::Node;
use std::io::Write;

/// The columns of [`write_persons_csv`].
pub const PERSON_COLUMNS: [&str; 5] = ["output", "code", "label", "count", "persons"];

/// A code's label: the order's own, else the standard's; a combination's labels joined by
/// " and ".
fn label(code: &str, priority: &Priority) -> String {
    if code == TWO_OR_MORE {
        return "Two or more groups (combinations held by fewer persons than the threshold)"
            .to_owned();
    }
    code.split('+')
        .map(|c| match priority.labels.get(c) {
            Some(l) => l.clone(),
            None => Node::from_code(c).map_or_else(|| c.to_owned(), |n| n.label().to_owned()),
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

/// Writes the three outputs of each combination of `dimensions` (their columns first, as a
/// count table's), one row per code (or combination of codes) and output: `total-response` (its
/// counts add up to at least `persons`), `prioritised` and `combination` (each adds up to
/// `persons`); `persons` is on every row, so each output of each combination reconciles on its
/// own.
pub fn write_persons_csv<W: Write>(
    w: W,
    dimensions: &[String],
    tables: &[(Vec<(String, String)>, MultipleCounts)],
    priority: &Priority,
) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(dimensions.iter().map(String::as_str).chain(PERSON_COLUMNS))?;
    for (by, counts) in tables {
        write_counts(&mut out, by, counts, priority)?;
    }
    out.flush()
}

fn write_counts<W: Write>(
    out: &mut csv::Writer<W>,
    by: &[(String, String)],
    counts: &MultipleCounts,
    priority: &Priority,
) -> std::io::Result<()> {
    let persons = counts.persons.to_string();
    for (name, table) in [
        ("total-response", &counts.total_response),
        ("prioritised", &counts.prioritised),
        ("combination", &counts.combination),
    ] {
        for (code, n) in table {
            let n = n.to_string();
            let label = label(code, priority);
            out.write_record(by.iter().map(|(_, v)| v.as_str()).chain([
                name,
                code.as_str(),
                label.as_str(),
                n.as_str(),
                persons.as_str(),
            ]))?;
        }
    }
    Ok(())
}
