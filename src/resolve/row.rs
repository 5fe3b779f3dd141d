//! A record's scheme: where it comes from ([`SchemeFrom`]), bound to a header as a [`RowScheme`],
//! and the rejections of a record's fields. Conversion, validation and aggregation read every
//! record's scheme through here, so that the same file gets the same answer from each.

use super::{Rejection, STANDARD_ID, Source};
use crate::council;
use crate::error::{Error, ErrorKind, Location, Result};
use crate::io;
use crate::privacy::shown;
use crate::rules::Rule;
use crate::scheme::{FhirStatus, FhirSystem, Registry, fhir_system_by_url};
use crate::spec::SchemeFrom;
use crate::text::nearest;
use serde::Serialize;

/// A record's fields by position (a CSV record, a row of strings, a record being read).
pub trait RecordFields {
    /// The field at `index`, if the record has it (and it is text).
    fn field(&self, index: usize) -> Option<&str>;
}

impl RecordFields for csv::StringRecord {
    fn field(&self, index: usize) -> Option<&str> {
        self.get(index)
    }
}

impl<S: AsRef<str>> RecordFields for [S] {
    fn field(&self, index: usize) -> Option<&str> {
        self.get(index).map(AsRef::as_ref)
    }
}

impl<S: AsRef<str>> RecordFields for Vec<S> {
    fn field(&self, index: usize) -> Option<&str> {
        self.get(index).map(AsRef::as_ref)
    }
}

impl RecordFields for io::Record<'_> {
    fn field(&self, index: usize) -> Option<&str> {
        match self.get(index)? {
            io::Field::Text(s) => Some(s),
            io::Field::Invalid(_) => None,
        }
    }
}

/// A record that could not be converted: which column, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordRejection {
    /// The column at fault (0-based index into the header); `None` for the whole record.
    pub index: Option<usize>,
    /// Why.
    #[serde(flatten)]
    pub rejection: Box<Rejection>,
}

impl RecordRejection {
    /// A rejection of the whole record.
    pub fn record(rejection: Rejection) -> Self {
        RecordRejection {
            index: None,
            rejection: Box::new(rejection),
        }
    }

    /// A rejection of the value in column `index`.
    pub fn column(index: usize, rejection: Rejection) -> Self {
        RecordRejection {
            index: Some(index),
            rejection: Box::new(rejection),
        }
    }

    /// The name of the column at fault, from the `header` the record was read with.
    pub fn column_name<'h, S: AsRef<str>>(&self, header: &'h [S]) -> Option<&'h str> {
        header.get(self.index?).map(AsRef::as_ref)
    }
}

/// The index of column `name` in `header`: an exact match, else the only match ignoring case and
/// surrounding spaces (as [`io::Table::column`]). The error ([`ErrorKind::MissingColumn`]) names
/// `file` and the nearest headers; [`io::Table::explain_missing`] adds where the column is.
pub fn column_index<S: AsRef<str>>(header: &[S], name: &str, file: &str) -> Result<usize> {
    if let Some(i) = header.iter().position(|h| h.as_ref() == name) {
        io::Table::check_unique(header, i, file, 1)?;
        return Ok(i);
    }
    let want = name.trim();
    let mut found = header
        .iter()
        .enumerate()
        .filter(|(_, h)| h.as_ref().trim().eq_ignore_ascii_case(want))
        .map(|(i, _)| i);
    if let (Some(i), None) = (found.next(), found.next()) {
        return Ok(i);
    }
    let near = nearest(name, header.iter().map(AsRef::as_ref), 3);
    Err(Error::new(
        ErrorKind::MissingColumn {
            column: name.to_owned(),
            message: format!(
                "no column `{name}` in the header{}",
                if near.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", near.join(", "))
                }
            ),
        },
        Location::file(file).at(1, 1),
    ))
}

/// Where each record's scheme comes from, bound to a header and a registry.
#[derive(Debug, Clone, Copy)]
pub struct RowScheme<'a> {
    registry: &'a Registry,
    from: ResolvedFrom<'a>,
}

#[derive(Debug, Clone, Copy)]
enum ResolvedFrom<'a> {
    Fixed(Source<'a>),
    Column(usize),
    Council { council: usize, dataset: usize },
}

impl<'a> RowScheme<'a> {
    /// Binds `from` to a file's `header`. Fails (naming `file`) when a column is missing or a
    /// fixed scheme does not exist.
    pub fn new<S: AsRef<str>>(
        registry: &'a Registry,
        from: &SchemeFrom,
        header: &[S],
        file: &str,
    ) -> Result<RowScheme<'a>> {
        let from = match from {
            SchemeFrom::Fixed(id) => {
                ResolvedFrom::Fixed(Source::require(registry, id).map_err(|e| e.in_file(file))?)
            }
            SchemeFrom::Column(c) => ResolvedFrom::Column(column_index(header, c, file)?),
            SchemeFrom::Council { council, dataset } => ResolvedFrom::Council {
                council: column_index(header, council, file)?,
                dataset: column_index(header, dataset, file)?,
            },
        };
        Ok(RowScheme { registry, from })
    }

    /// The indexes of the columns the scheme is read from (none for a fixed scheme).
    pub fn columns(&self) -> impl Iterator<Item = usize> + use<> {
        match self.from {
            ResolvedFrom::Fixed(_) => [None, None],
            ResolvedFrom::Column(i) => [Some(i), None],
            ResolvedFrom::Council { council, dataset } => [Some(council), Some(dataset)],
        }
        .into_iter()
        .flatten()
    }

    /// The council return a record's scheme comes from (`--council-column` with
    /// `--dataset-column`), when it does and both are known.
    pub fn return_of<R: RecordFields + ?Sized>(
        &self,
        record: &R,
    ) -> Option<&'static council::Return> {
        match self.from {
            ResolvedFrom::Council { council, dataset } => council_return(record, council, dataset)
                .ok()
                .map(|(_, r)| r),
            _ => None,
        }
    }

    /// The retired FHIR code system a record's scheme cell names (UK Core's 2-character
    /// `UKCore-EthnicCategory`, its Scotland system), if it names one: read, and flagged (WM025).
    pub fn retired_system<R: RecordFields + ?Sized>(
        &self,
        record: &R,
    ) -> Option<&'static FhirSystem> {
        match self.from {
            ResolvedFrom::Column(i) => {
                fhir_system_by_url(record.field(i)?).filter(|f| f.status == FhirStatus::Retired)
            }
            _ => None,
        }
    }

    /// The source of one record's value.
    pub fn source_of<R: RecordFields + ?Sized>(
        &self,
        record: &R,
    ) -> std::result::Result<Source<'a>, RecordRejection> {
        match self.from {
            ResolvedFrom::Fixed(s) => Ok(s),
            ResolvedFrom::Column(i) => {
                let id = field(record, i)?.trim();
                // A scheme id, or a FHIR `Coding.system` naming a built-in scheme's code system.
                let by_url =
                    || fhir_system_by_url(id).and_then(|f| Source::get(self.registry, f.scheme));
                Source::get(self.registry, id)
                    .or_else(by_url)
                    .ok_or_else(|| {
                        RecordRejection::column(
                            i,
                            Rejection::new(
                                Rule::UnknownScheme,
                                if id.is_empty() {
                                    "the scheme cell is empty".to_owned()
                                } else {
                                    format!(
                                        "{} is not a scheme id nor a FHIR code system of one",
                                        shown(id)
                                    )
                                },
                            )
                            // An empty cell is near nothing (a FHIR Patient without the
                            // extension has no system).
                            .with_nearest(if id.is_empty() {
                                Vec::new()
                            } else {
                                nearest(id, self.registry.ids().chain([STANDARD_ID]), 3)
                            }),
                        )
                    })
            }
            ResolvedFrom::Council { council, dataset } => {
                let (c, r) = council_return(record, council, dataset)?;
                let (id, ds) = (r.scheme.as_str(), r.dataset.as_str());
                Source::get(self.registry, id).ok_or_else(|| {
                    RecordRejection::column(
                        dataset,
                        Rejection::new(
                            Rule::UnknownScheme,
                            format!(
                                "{}'s {ds} return names scheme `{id}`, which is not loaded",
                                c.name
                            ),
                        )
                        .with_suggestion("Give the council's scheme file with --scheme-file."),
                    )
                })
            }
        }
    }
}

/// The council named in column `council` and its return named in column `dataset`, or the
/// rejection saying which is unknown.
fn council_return<R: RecordFields + ?Sized>(
    record: &R,
    council: usize,
    dataset: usize,
) -> std::result::Result<(&'static council::Council, &'static council::Return), RecordRejection> {
    let key = field(record, council)?.trim();
    let Some(c) = council::council(key) else {
        return Err(RecordRejection::column(
            council,
            Rejection::new(
                Rule::UnknownCouncil,
                if key.is_empty() {
                    "the council cell is empty".to_owned()
                } else {
                    format!(
                        "{} is not one of the councils (ONS code, short id or name)",
                        shown(key)
                    )
                },
            )
            .with_nearest(nearest(
                key,
                council::councils().iter().map(|c| c.short.as_str()),
                3,
            )),
        ));
    };
    let ds = field(record, dataset)?.trim();
    let Some(r) = c.returns.iter().find(|r| r.dataset == ds) else {
        return Err(RecordRejection::column(
            dataset,
            Rejection::new(
                Rule::UnknownDataset,
                format!("{} has no return {} in its profile", c.name, shown(ds)),
            )
            .with_nearest(nearest(ds, c.returns.iter().map(|r| r.dataset.as_str()), 3))
            .with_suggestion(format!(
                "{}'s returns are: {}.",
                c.name,
                c.returns
                    .iter()
                    .map(|r| r.dataset.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ));
    };
    Ok((c, r))
}

/// Field `index` of `record`, or the rejection of a record too short to have it.
pub fn field<R: RecordFields + ?Sized>(
    record: &R,
    index: usize,
) -> std::result::Result<&str, RecordRejection> {
    record.field(index).ok_or_else(|| {
        RecordRejection::column(
            index,
            Rejection::new(
                Rule::WrongFieldCount,
                "the record has fewer fields than the header, so this column is missing",
            ),
        )
    })
}
