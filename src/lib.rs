//! # wm-ethnicity
//!
//! The proposed West Midlands ethnicity data standard, made executable: the standard as typed
//! categories, the coding schemes councils use mapped into it, validation of the returns councils
//! submit, and conversion of legacy codes into consistent, granular records.
//!
//! ## Quick start
//!
//! ```
//! use wm_ethnicity::{Category, MatchKind, Node, builtin_scheme};
//!
//! // NHS `J`, DfE `APKN` and police `A2` all mean Pakistani.
//! for (id, code) in [("nhs-ethnic-category", "J"), ("dfe-cbds", "APKN"), ("police-sde", "A2")] {
//!     let m = builtin_scheme(id).unwrap().lookup(code).unwrap();
//!     assert_eq!(m.code.map.target, Node::Category(Category::AsianPakistani));
//! }
//!
//! // Lowercase or padded input is found, and flagged as normalised.
//! let m = builtin_scheme("dfe-cbds").unwrap().lookup(" wirt ").unwrap();
//! assert_eq!(m.kind, MatchKind::Normalised);
//! assert_eq!(m.code.map.target.category(), Some(Category::WhiteGypsyIrishTraveller));
//! ```

#![deny(missing_docs)]

// The modules are private: everything a user needs is re-exported below, flat, so that moving
// code between modules is never a breaking change. The order, and what each module owns, is in
// docs/architecture.md.
mod aggregate;
mod census;
mod characteristic;
mod convert;
mod council;
mod crosswalk;
mod date;
mod detect;
mod disclosure;
mod error;
mod evidence;
mod io;
mod mapcheck;
mod multiple;
mod output;
mod privacy;
mod rates;
mod resolve;
mod rules;
mod scheme;
mod spec;
mod standard;
mod text;
mod validate;
mod yaml;

// The standard.
pub use standard::{Category, Detailed, Group, Level, Node, Residual, STANDARD_VERSION, Section};
// Characteristics other than ethnicity.
pub use characteristic::{
    BUILTIN as BUILTIN_CLASSIFICATIONS, Characteristic, CharacteristicColumn, CharacteristicSet,
    ClassCode, Classification, Classifications, MAX_AGE, Reader as CharacteristicReader, Unread,
    Value as CharacteristicValue,
};
// Several ethnicities per person.
pub use multiple::{
    Answer, BUILTIN_PRIORITIES, DEFAULT_PRIORITY, MAX_ETHNICITIES, MultipleCounter, MultipleCounts,
    Priority, TWO_OR_MORE,
};
// Coding schemes and the councils' profiles.
pub use council::{Codes, Council, Return, builtin_council_yaml, council, councils};
// The Census 2021 baseline.
pub use census::{
    CENSUS_2021_SOURCE, CENSUS_2021_TS021_CSV, Population, census_2021, census_2021_areas,
};
pub use scheme::{
    BUILTIN_IDS, Code, FHIR_SYSTEMS, FhirStatus, FhirSystem, KeyedBy, LabelMatch, Mapping, Match,
    MatchKind, Publication, PublishedLabel, Records, Registry, Relationship, Scheme, Status,
    builtin_scheme, builtin_scheme_yaml, fhir_system, fhir_system_by_url,
};
// Any scheme into any other.
pub use crosswalk::{CrosswalkRow, Encoded, Loss, crosswalk, encode, encode_observed, meaning};
// Errors, rules and return specifications.
pub use error::{Error, ErrorKind, Location, Result};
pub use rules::{Rule, Severity};
pub use spec::{
    Answers, By, ColumnSpec, DEFAULT_MAX_RESIDUAL_SHARE, EmptyCell, ReturnSpec, Role, SchemeFrom,
};
// Reading returns.
pub use date::Date;
pub use io::{
    ETHNIC_CATEGORY_EXTENSION, Encoding, EncodingInfo, EncodingSource, FHIR_HEADER, Field,
    HINT_ROWS, InputFormat, MAX_RECORD_BYTES, MAX_RECORD_FIELDS, ReadOptions, ReadSummary, Record,
    Shape, Table, Threads,
};
#[cfg(feature = "excel")]
pub use io::{MAX_ODS_BYTES, MAX_SHARED_STRINGS_BYTES, MAX_WORKBOOK_BYTES};
#[cfg(feature = "arrow")]
pub use output::{ArrowFindings, ArrowRecords, ArrowRejects, BATCH_ROWS, BatchSink, Rows};
#[cfg(feature = "parquet")]
pub use output::{BatchFile, ParquetFile};
#[cfg(feature = "xlsx")]
pub use output::{MAX_SHEET_ROWS, MAX_XLSX_FINDINGS, XlsxFindings, XlsxRecords, XlsxRejects};
// What may be shown of a record, and how values are matched.
pub use privacy::{Hidden, MAX_SHOWN_CHARS, may_show, shown};
pub use resolve::labels::{
    BUILTIN_YAML as BUILTIN_SYNONYMS_YAML, Synonym, Synonyms, Target, find_label,
};
pub use resolve::row::{RecordFields, RecordRejection, RowScheme, column_index};
pub use resolve::unknown::Explainer;
pub use resolve::{Found, Matched, Meaning, Rejection, STANDARD_ID, Source, find_code, find_value};
pub use text::{fold_label, nearest, normalise_code};
// Conversion, validation and aggregation.
pub use aggregate::{
    AggregatePlan, Aggregator, CountRow, CountTable, PersonCount, Placement, aggregate_stream,
    parse_count, persons_stream,
};
pub use convert::{
    ANSWER_COLUMNS, ANSWERS_JOINED_BY, Converted, Converter, NOTES_JOINED_BY, OUTPUT_COLUMNS, Plan,
    PlanError, PlanRequest, Policy, RECODE_COLUMNS, Recoded, RecordSink, RejectSink, Rejected,
    StreamError, Summary, check_record, convert_code, convert_record, convert_stream,
    convert_value, loss_name, send_reject,
};
pub use detect::{
    Candidate, CategoryRef, ColumnValues, Detection, MAX_DISTINCT_VALUES, ValueCount, Verdict,
    detect,
};
pub use evidence::{
    DimensionRole, EVIDENCE_HEAD, EVIDENCE_TAIL, EvidenceInfo, EvidenceMetadata, EvidenceRow,
    EvidenceTable, Figure, LevelReached, TOTAL, order_key,
};
pub use mapcheck::{MAX_MAP_ROWS, MapCheck, MapColumns, MapRow, MapVerdict, check_map};
pub use rates::{
    CensusArea, RateKind, RateRow, RateTable, StandardPopulation, age_standardised,
    census_denominator, rates,
};
// Disclosure control.
pub use disclosure::{
    Audit, CKM_DEFAULT_THRESHOLD, CellBounds, CellStatus, Disclosure, DisclosurePolicy, Ptable,
    PublishedRate, PublishedRow, PublishedTable, RowKind, Symbol, Totals, audit,
    published_age_standardised, published_rates,
};
pub use validate::{
    CategoryShare, CensusComparison, CharacteristicCount, CharacteristicProfile, ColumnProfile,
    Finding, NodeCount, Outcomes, Report, RuleCount, Sink, Validator,
};
// Writers.
pub use output::{
    AddedColumns, CsvFindings, EncodingWriter, FINDING_COLUMNS, FindingsContext, FindingsFormat,
    FindingsWriter, HtmlFindings, JsonFindings, JsonlFindings, OutputColumns, OutputEncoding,
    PERSON_COLUMNS, POSITION_COLUMNS, PUBLISHED_COLUMNS, RATE_COLUMNS, REJECT_COLUMNS,
    REJECT_REASON_COLUMNS, RecordFormat, RecordOutput, RecordWriter, RejectWriter, RunReport,
    TABLE_COLUMNS, TableFormat, TextFindings, TextRejects, check_position_columns, read_as,
    thousands, write_persons_csv,
};
// FHIR R4 resources of the standard and the schemes.
pub use output::{
    STANDARD_SYSTEM, fhir_bundle, scheme_code_system, scheme_concept_map, scheme_system,
    standard_code_system,
};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
