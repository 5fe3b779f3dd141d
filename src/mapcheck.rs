//! Someone else's map from one scheme to another, checked row by row against the standard
//! (`wm-ethnicity mapping check`): the crosswalk says what the standard supports, and each row
//! of the map agrees with it, is coarser or finer, contradicts it, names a target that is not a
//! code of the target scheme, or splits one meaning across targets by a criterion the standard
//! does not have (a research map that sends Czech Roma to one NHS letter and Romanian Roma to
//! another).

use crate::crosswalk::{self, Loss, meaning};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::io::Table;
use crate::scheme::{Code, Scheme};
use crate::standard::Node;
use crate::text::{fold_label, printable};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// How a row of a map compares with the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum MapVerdict {
    /// The target means what the source means.
    Agrees,
    /// The target is wider than the source: the map drops detail the standard keeps.
    Coarser,
    /// The target is narrower than the source: the map claims detail the source does not have.
    Finer,
    /// The target means something else (partly or wholly outside the source's meaning).
    Contradicts,
    /// The target is not a code of the target scheme (an invented letter).
    TargetUnknown,
    /// The source is not a code of the source scheme.
    SourceUnknown,
    /// The row has no source or no target code.
    Incomplete,
}

impl MapVerdict {
    /// The name used in output.
    pub const fn name(self) -> &'static str {
        match self {
            MapVerdict::Agrees => "agrees",
            MapVerdict::Coarser => "coarser",
            MapVerdict::Finer => "finer",
            MapVerdict::Contradicts => "contradicts",
            MapVerdict::TargetUnknown => "target-unknown",
            MapVerdict::SourceUnknown => "source-unknown",
            MapVerdict::Incomplete => "incomplete",
        }
    }
}

/// One row of the map, checked.
#[derive(Debug, Clone, Serialize)]
pub struct MapRow {
    /// The file's line the row is on.
    pub line: u64,
    /// The source code, as written.
    pub source: String,
    /// The target code, as written.
    pub target: String,
    /// The label the map gives the target, if it has a label column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// How the row compares with the standard.
    pub verdict: MapVerdict,
    /// The source's place in the standard (its node, or its candidates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_meaning: Vec<&'static str>,
    /// The target's place in the standard.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub target_meaning: Vec<&'static str>,
    /// The target code the standard's crosswalk gives for the source, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_answer: Option<String>,
    /// The crosswalk's loss for that answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub standard_loss: Option<Loss>,
    /// True when sources of this row's meaning go to more than one target: the map splits by a
    /// criterion the standard does not have.
    pub split: bool,
    /// The targets of the split, when `split`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub split_targets: Vec<String>,
    /// What a person needs to know, in a sentence.
    pub message: String,
}

/// A checked map: every row, and the count of each verdict (they add up to the rows).
#[derive(Debug, Clone, Serialize)]
pub struct MapCheck {
    /// The file.
    pub file: String,
    /// The source scheme.
    pub from: String,
    /// The target scheme.
    pub to: String,
    /// Rows read (every row after the header that holds something).
    pub rows: u64,
    /// Rows by verdict.
    pub verdicts: BTreeMap<&'static str, u64>,
    /// Rows flagged as part of a split.
    pub split_rows: u64,
    /// Every row, in the file's order.
    pub results: Vec<MapRow>,
}

/// The most rows a map may have: a map lists codes, not records.
pub const MAX_MAP_ROWS: u64 = 100_000;

/// Which columns of a map hold what (0-based indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapColumns {
    /// The source code.
    pub source: usize,
    /// The target code.
    pub target: usize,
    /// The label the map gives the row (of its source or its target), if any.
    pub label: Option<usize>,
}

impl MapColumns {
    /// The columns named `source`, `target` and `label` in `table`'s header; a name left out is
    /// its position (source first, target second, label third when there is one). An error
    /// names a missing column.
    pub fn find(
        table: &Table<'_>,
        source: Option<&str>,
        target: Option<&str>,
        label: Option<&str>,
    ) -> Result<MapColumns> {
        let file = table.name();
        let at = Location::file(file).at(table.header_line(), 1);
        let named = |name: Option<&str>, default: Option<usize>| match name {
            None => Ok(default.filter(|&i| i < table.header().len())),
            Some(n) => table.column(n).map(Some).ok_or_else(|| {
                Error::new(
                    ErrorKind::Input(format!("the map has no column `{n}`")),
                    at.clone(),
                )
            }),
        };
        let (Some(source), Some(target)) = (named(source, Some(0))?, named(target, Some(1))?)
        else {
            return Err(Error::new(
                ErrorKind::Input(
                    "a map has at least two columns: source code, target code (then, optionally, a label)"
                        .to_owned(),
                ),
                at,
            ));
        };
        let label = named(label, Some(2))?.filter(|l| *l != source && *l != target);
        Ok(MapColumns {
            source,
            target,
            label,
        })
    }
}

/// Reads a map from `table` (its columns as `cols` says) and checks each row from `from` into
/// `to`.
pub fn check_map(
    table: Table<'_>,
    cols: MapColumns,
    from: &Scheme,
    to: &Scheme,
) -> Result<MapCheck> {
    let file = table.name().to_owned();
    let mut results = Vec::new();
    let mut too_many = None;
    table.for_each(|rec| {
        if results.len() as u64 >= MAX_MAP_ROWS {
            too_many = Some(rec.line());
            return std::ops::ControlFlow::Break(());
        }
        let cell = |i| rec.text(i).map(|t| printable(t.trim()).into_owned());
        results.push(check_row(
            rec.line(),
            cell(cols.source).unwrap_or_default(),
            cell(cols.target).unwrap_or_default(),
            cols.label.and_then(cell).filter(|l| !l.is_empty()),
            from,
            to,
        ));
        std::ops::ControlFlow::Continue(())
    })?;
    if let Some(line) = too_many {
        return Err(Error::new(
            ErrorKind::Input(format!(
                "more than {MAX_MAP_ROWS} rows: a map lists codes, not records"
            )),
            Location::file(&file).at(line, 1),
        ));
    }
    mark_splits(&mut results);
    let mut verdicts = BTreeMap::new();
    for r in &results {
        *verdicts.entry(r.verdict.name()).or_insert(0) += 1;
    }
    Ok(MapCheck {
        file,
        from: from.id.clone(),
        to: to.id.clone(),
        rows: results.len() as u64,
        split_rows: results.iter().filter(|r| r.split).count() as u64,
        verdicts,
        results,
    })
}

fn codes(nodes: &[Node]) -> Vec<&'static str> {
    nodes.iter().map(|n| n.code()).collect()
}

fn shown(c: &Code) -> String {
    format!("{} ({})", c.key(), c.label)
}

/// Checks one row.
fn check_row(
    line: u64,
    source: String,
    target: String,
    label: Option<String>,
    from: &Scheme,
    to: &Scheme,
) -> MapRow {
    let mut row = MapRow {
        line,
        source,
        target,
        label,
        verdict: MapVerdict::Incomplete,
        source_meaning: Vec::new(),
        target_meaning: Vec::new(),
        standard_answer: None,
        standard_loss: None,
        split: false,
        split_targets: Vec::new(),
        message: String::new(),
    };
    if row.source.is_empty() || row.target.is_empty() {
        "the row has no source code or no target code".clone_into(&mut row.message);
        return row;
    }
    let Some(src) = from.lookup(&row.source).map(|m| m.code) else {
        row.verdict = MapVerdict::SourceUnknown;
        row.message = format!("`{}` is not a code of {}", row.source, from.id);
        return row;
    };
    let want = meaning(&src.map);
    row.source_meaning = codes(&want);
    let answer = crosswalk::encode(to, &src.map);
    row.standard_answer = answer.code.map(|c| c.key().to_owned());
    row.standard_loss = Some(answer.loss);
    let said = match answer.code {
        Some(c) => format!("the standard's answer is {}", shown(c)),
        None => format!(
            "the standard has no single code of {} for it: {}",
            to.id, answer.note
        ),
    };
    let Some(tgt) = to.lookup(&row.target).map(|m| m.code) else {
        row.verdict = MapVerdict::TargetUnknown;
        row.message = format!(
            "`{}` is not a code of {}{}; {said}",
            row.target,
            to.id,
            row.label
                .as_deref()
                .map(|l| format!(" (the map calls it `{l}`)"))
                .unwrap_or_default()
        );
        return row;
    };
    let have = meaning(&tgt.map);
    row.target_meaning = codes(&have);
    let inside =
        |outer: &[Node], inner: &[Node]| inner.iter().all(|i| outer.iter().any(|o| o.contains(*i)));
    let (wider, narrower) = (inside(&have, &want), inside(&want, &have));
    row.verdict = match (wider, narrower) {
        // The crosswalk's own answer: the best the target scheme can do, its loss stated.
        _ if answer.code.is_some_and(|c| c.key() == tgt.key()) => MapVerdict::Agrees,
        (true, true) => MapVerdict::Agrees,
        (true, false) => MapVerdict::Coarser,
        (false, true) => MapVerdict::Finer,
        (false, false) => MapVerdict::Contradicts,
    };
    row.message = compared(row.verdict, src, tgt, &answer, &said);
    if let Some(l) = &row.label
        && !names(l, src)
        && !names(l, tgt)
    {
        row.message
            .push_str("; the map's label is neither the source's nor the target's label");
    }
    row
}

/// True when a map's label `l` is `c`'s label, allowing the semantic tag a SNOMED CT term
/// carries when exported ("(finding)").
fn names(l: &str, c: &Code) -> bool {
    let l = fold_label(l);
    let bare = l.rsplit_once(" (").map_or(l.as_str(), |(b, _)| b);
    [l.as_str(), bare].contains(&fold_label(&c.label).as_str())
}

/// The message of a row whose source and target are both codes.
fn compared(
    verdict: MapVerdict,
    src: &Code,
    tgt: &Code,
    answer: &crosswalk::Encoded<'_>,
    said: &str,
) -> String {
    let of = |c: &Code| codes(&meaning(&c.map)).join(", ");
    let (t, s) = (shown(tgt), shown(src));
    match verdict {
        MapVerdict::Agrees if answer.loss == Loss::None || of(tgt) == of(src) => {
            format!("{t} means {} as {s} does", of(tgt))
        }
        MapVerdict::Agrees => format!(
            "{t} is the standard's answer for {s}, with a loss: {}",
            answer.note
        ),
        MapVerdict::Coarser => format!(
            "{t} ({}) is wider than {s} ({}): coarser than the standard supports; {said}",
            of(tgt),
            of(src)
        ),
        MapVerdict::Finer => format!(
            "{t} ({}) is narrower than {s} ({}): finer than the standard supports, the source does not say so much; {said}",
            of(tgt),
            of(src)
        ),
        _ => format!("{t} ({}) contradicts {s} ({}); {said}", of(tgt), of(src)),
    }
}

/// Flags the rows whose source meaning (one meaning in the standard) goes to more than one
/// target: the map tells apart what the standard does not (Roma by country). A row that
/// contradicts the standard is its own finding, not part of a split.
fn mark_splits(rows: &mut [MapRow]) {
    let in_split =
        |r: &MapRow| !r.source_meaning.is_empty() && r.verdict != MapVerdict::Contradicts;
    let mut targets: BTreeMap<Vec<&'static str>, Vec<String>> = BTreeMap::new();
    for r in rows.iter().filter(|r| in_split(r)) {
        let t = targets.entry(r.source_meaning.clone()).or_default();
        if !t.contains(&r.target) {
            t.push(r.target.clone());
        }
    }
    for r in rows.iter_mut().filter(|r| in_split(r)) {
        let Some(t) = targets.get(&r.source_meaning).filter(|t| t.len() > 1) else {
            continue;
        };
        r.split = true;
        r.split_targets.clone_from(t);
        let _ = write!(
            r.message,
            "; split: sources meaning {} go to {} different targets ({}), by a criterion the standard does not have",
            r.source_meaning.join(", "),
            t.len(),
            t.join(", ")
        );
    }
}
