//! `wm_ethnicity._native`: the crate's convert, validate and aggregate over Arrow, for Python.
//!
//! Arrow crosses by arrow-rs's own C Data Interface bridge (`arrow::pyarrow`, the `PyCapsule`
//! `__arrow_c_stream__` protocol): any object that exports a stream (a pyarrow `Table` or
//! `RecordBatchReader`, a Polars or pandas frame) is read batch by batch without a copy, and
//! the results come back as `pyarrow.Table`s. Only the limited Python API is used (abi3: one
//! wheel for `CPython` 3.9 and later). The Python-facing names, defaults and documentation are in
//! `python/wm_ethnicity/__init__.py` and its `.pyi`; this module does no more than call the
//! crate.

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::ffi_stream::RecordBatchStreamReader;
use arrow::pyarrow::{FromPyArrow, IntoPyArrow, Table as PyTable};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::path::Path;
use wm_ethnicity::{
    AddedColumns, AggregatePlan, Aggregator, Answers, ArrowFindings, ArrowRecords, ArrowRejects,
    By, CharacteristicColumn, Converter, DisclosurePolicy, Error, Level, OutputColumns, PlanError,
    PlanRequest, Policy, Priority, ReadOptions, Registry, ReturnSpec, SchemeFrom, StreamError,
    Synonyms, Table, Validator, aggregate_stream, convert_stream,
};

pyo3::create_exception!(
    _native,
    WmEthnicityError,
    PyException,
    "An error of wm-ethnicity: its message names the file, line and column; so do its \
     attributes `file`, `line`, `column` and `field` (None where not known)."
);

/// The crate's error as a [`WmEthnicityError`] carrying its place.
fn error(py: Python<'_>, e: &Error) -> PyErr {
    let err = WmEthnicityError::new_err(e.to_string());
    let at = e.location();
    let value = err.value(py);
    let set = |name: &str, v: Py<PyAny>| value.setattr(name, v);
    let attrs = [
        ("file", at.file.clone().into_pyobject(py).map(Bound::unbind)),
        ("line", at.line.into_pyobject(py).map(Bound::unbind)),
        ("column", at.column.into_pyobject(py).map(Bound::unbind)),
        (
            "field",
            at.field.clone().into_pyobject(py).map(Bound::unbind),
        ),
    ];
    for (name, v) in attrs {
        if let Ok(v) = v
            && let Err(e) = set(name, v)
        {
            return e;
        }
    }
    err
}

/// A message of ours (a bad argument) as a [`WmEthnicityError`].
fn usage(msg: impl Into<String>) -> PyErr {
    WmEthnicityError::new_err(msg.into())
}

fn stream_error(py: Python<'_>, e: StreamError) -> PyErr {
    match e {
        StreamError::Read(e) => error(py, &e),
        other => usage(other.to_string()),
    }
}

/// Where each record's scheme comes from: (scheme, `scheme_column`, `council_column`,
/// `dataset_column`), one of them given (the last two together).
type Source = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Where each record's scheme comes from; `None` when none is given (a specification's
/// column may say).
fn scheme_from(source: Source) -> PyResult<Option<SchemeFrom>> {
    match source {
        (None, None, None, None) => Ok(None),
        (Some(s), None, None, None) => Ok(Some(SchemeFrom::Fixed(s))),
        (None, Some(c), None, None) => Ok(Some(SchemeFrom::Column(c))),
        (None, None, Some(council), Some(dataset)) => {
            Ok(Some(SchemeFrom::Council { council, dataset }))
        }
        _ => Err(usage(NO_SCHEME)),
    }
}

const NO_SCHEME: &str =
    "give one of scheme=, scheme_column=, or council_column= with dataset_column=";

/// A return specification: (text, true) is YAML text, (path, false) a file.
type SpecArg = (String, bool);

/// The specification `spec` names or holds; its scheme files are read relative to its file (to
/// the working directory for text).
fn return_spec(py: Python<'_>, (spec, text): SpecArg) -> PyResult<(ReturnSpec, String)> {
    let loaded = if text {
        ReturnSpec::from_yaml(&spec, SPEC_TEXT).map(|s| (s, SPEC_TEXT.to_owned()))
    } else {
        ReturnSpec::load(Path::new(&spec)).map(|s| (s, spec))
    };
    loaded.map_err(|e| error(py, &e))
}

/// How errors name a specification given as text.
const SPEC_TEXT: &str = "<spec>";

/// The characteristic columns, each `COLUMN=READER` as `--characteristic` takes it.
fn characteristics(given: Vec<String>) -> PyResult<Vec<CharacteristicColumn>> {
    given
        .iter()
        .map(|c| CharacteristicColumn::parse(c).map_err(|e| usage(format!("characteristics: {e}"))))
        .collect()
}

fn by(name: &str) -> PyResult<By> {
    By::ALL
        .into_iter()
        .find(|b| b.name() == name)
        .ok_or_else(|| usage(format!("by must be `code` or `label`, not `{name}`")))
}

fn policy(name: &str) -> PyResult<Policy> {
    Policy::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            usage(format!(
                "policy must be `strict` or `most-likely`, not `{name}`"
            ))
        })
}

/// The registry with the local scheme files loaded, and the built-in synonyms.
fn registry(py: Python<'_>, scheme_files: &[String]) -> PyResult<Registry> {
    let mut r = Registry::new();
    for f in scheme_files {
        r.load_file(Path::new(f)).map_err(|e| error(py, &e))?;
    }
    Ok(r)
}

/// The input: a file path (str) or an object exporting an Arrow stream.
enum Input<'py> {
    File(String),
    Arrow(Bound<'py, PyAny>),
}

impl<'py> Input<'py> {
    fn of(data: Bound<'py, PyAny>) -> Input<'py> {
        match data.extract::<String>() {
            Ok(path) => Input::File(path),
            Err(_) => Input::Arrow(data),
        }
    }

    fn open(&self, py: Python<'py>, name: &str) -> PyResult<Table<'static>> {
        match self {
            Input::File(path) => {
                Table::open(Path::new(path), &ReadOptions::default()).map_err(|e| error(py, &e))
            }
            Input::Arrow(data) => {
                let reader = RecordBatchStreamReader::from_pyarrow_bound(data)?;
                Table::from_arrow(name, reader, None).map_err(|e| error(py, &e))
            }
        }
    }
}

fn to_pyarrow(py: Python<'_>, batches: Vec<RecordBatch>, schema: SchemaRef) -> PyResult<Py<PyAny>> {
    let table = PyTable::try_new(batches, schema)
        .map_err(|e| usage(format!("building the Arrow result: {e}")))?;
    Ok(table.into_pyarrow(py)?.unbind())
}

fn json(value: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| usage(e.to_string()))
}

/// Converts `data`: returns (records, rejects, summary as JSON).
#[pyfunction]
#[pyo3(signature = (data, coded, source, *, spec=None, by_=None, policy_="strict", to_scheme=None,
    separator=None, priority=None, characteristics=vec![], added=None, with_position=false,
    scheme_files=vec![], name="<arrow>".to_owned()))]
fn convert(
    py: Python<'_>,
    data: Bound<'_, PyAny>,
    coded: Vec<String>,
    source: Source,
    spec: Option<SpecArg>,
    by_: Option<&str>,
    policy_: &str,
    to_scheme: Option<String>,
    separator: Option<String>,
    priority: Option<String>,
    characteristics: Vec<String>,
    added: Option<String>,
    with_position: bool,
    scheme_files: Vec<String>,
    name: String,
) -> PyResult<(Py<PyAny>, Py<PyAny>, String)> {
    let spec = spec.map(|s| return_spec(py, s)).transpose()?;
    let request = PlanRequest {
        spec: spec.as_ref().map(|(s, file)| (s, file.as_str())),
        columns: coded,
        scheme: scheme_from(source)?,
        by: by_.map(by).transpose()?,
        policy: Some(policy(policy_)?),
        to_scheme,
        characteristics: self::characteristics(characteristics)?,
        separator,
        priority: priority
            .map(|p| Priority::named(&p).map_err(|e| error(py, &e)))
            .transpose()?,
    };
    let plan = request.plan().map_err(|e| match e {
        PlanError::NoColumn => usage("give column= (the column to convert), or spec="),
        PlanError::NoScheme => usage(NO_SCHEME),
        PlanError::PriorityWithoutSeveral => usage(
            "priority= orders several ethnicities per person: give separator=, or more than \
             one column",
        ),
        PlanError::Spec(e) => error(py, &e),
        other => usage(other.to_string()),
    })?;
    let chosen = match added {
        Some(c) => OutputColumns::parse(&c).map_err(usage)?,
        None => OutputColumns::default(),
    };
    let mut files = spec
        .map(|(s, _)| s.scheme_files)
        .unwrap_or_default()
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>();
    files.extend(scheme_files);
    let registry = registry(py, &files)?;
    let input = Input::of(data);
    let table = input.open(py, &name)?;
    let table_name = table.name().to_owned();
    let converter = Converter::new(
        &registry,
        Synonyms::builtin(),
        &plan,
        table.header(),
        &table_name,
    )
    .map_err(|e| error(py, &table.explain_missing(e)))?;
    let added = AddedColumns {
        position: with_position,
        columns: chosen,
        ..AddedColumns::of(&converter)
    };
    let mut records = ArrowRecords::new(table.header(), added, Vec::new())
        .map_err(|e| usage(format!("{table_name}: {e}")))?;
    let record_schema = records.schema();
    let mut rejects = ArrowRejects::default();
    let reject_schema = rejects.schema();
    let summary = convert_stream(table, &converter, &mut records, &mut rejects, &mut |_| {})
        .map_err(|e| stream_error(py, e))?;
    let batches = records
        .finish()
        .map_err(|e| usage(format!("building the Arrow result: {e}")))?;
    let rejects = rejects
        .finish()
        .map_err(|e| usage(format!("building the Arrow result: {e}")))?;
    Ok((
        to_pyarrow(py, batches, record_schema)?,
        to_pyarrow(py, rejects, reject_schema)?,
        json(&summary)?,
    ))
}

/// Validates `data`: returns (findings, report as JSON).
#[pyfunction]
#[pyo3(signature = (data, coded, source, *, by_=None, spec=None, separator=None,
    characteristics=vec![], id_column=None, date_column=None, scheme_files=vec![],
    name="<arrow>".to_owned()))]
fn validate(
    py: Python<'_>,
    data: Bound<'_, PyAny>,
    coded: Vec<String>,
    source: Source,
    by_: Option<&str>,
    spec: Option<SpecArg>,
    separator: Option<String>,
    characteristics: Vec<String>,
    id_column: Option<String>,
    date_column: Option<String>,
    scheme_files: Vec<String>,
    name: String,
) -> PyResult<(Py<PyAny>, String)> {
    let mut coded = coded.into_iter();
    let mut spec = match (spec, coded.next(), scheme_from(source)?) {
        (Some(s), None, None) => return_spec(py, s)?.0,
        (None, Some(column), Some(from)) => {
            ReturnSpec::coded_from(column, from, by_.map(by).transpose()?.unwrap_or(By::Code))
                .with_answers(Answers {
                    more_columns: coded.collect(),
                    separator,
                })
        }
        (None, Some(_), None) => return Err(usage(NO_SCHEME)),
        _ => return Err(usage("give column= (with its scheme) or spec=, not both")),
    };
    for c in self::characteristics(characteristics)? {
        spec = spec.with_characteristic(&c).map_err(|e| error(py, &e))?;
    }
    if let Some(c) = id_column {
        spec = spec.with_id_column(c);
    }
    if let Some(c) = date_column {
        spec = spec.with_date_column(c);
    }
    let mut files = spec
        .scheme_files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>();
    files.extend(scheme_files);
    let registry = registry(py, &files)?;
    let validator = Validator::new(&spec, &registry)
        .map_err(|e| error(py, &e))?
        .with_synonyms(Synonyms::builtin());
    let table = Input::of(data).open(py, &name)?;
    let mut findings = ArrowFindings::default();
    let finding_schema = findings.schema();
    let report = validator
        .validate(table, &mut findings)
        .map_err(|e| error(py, &e))?;
    let batches = findings
        .finish()
        .map_err(|e| usage(format!("building the Arrow result: {e}")))?;
    Ok((to_pyarrow(py, batches, finding_schema)?, json(&report)?))
}

/// Aggregates `data` into a count table (as JSON), published under `disclosure` when given.
#[pyfunction]
#[pyo3(signature = (data, column, source, *, by_="code", policy_="strict", to="category",
    group_by=vec![], count_column=None, disclosure=None, scheme_files=vec![],
    name="<arrow>".to_owned()))]
fn aggregate(
    py: Python<'_>,
    data: Bound<'_, PyAny>,
    column: String,
    source: Source,
    by_: &str,
    policy_: &str,
    to: &str,
    group_by: Vec<String>,
    count_column: Option<String>,
    disclosure: Option<String>,
    scheme_files: Vec<String>,
    name: String,
) -> PyResult<(String, Py<PyAny>)> {
    let level = Level::from_name(to).ok_or_else(|| {
        usage(format!(
            "to must be group, category or detailed, not `{to}`"
        ))
    })?;
    let plan = AggregatePlan {
        column,
        scheme: scheme_from(source)?.ok_or_else(|| usage(NO_SCHEME))?,
        by: by(by_)?,
        policy: policy(policy_)?,
        count_column,
        record_key_column: None,
        characteristics: Vec::new(),
        answers: Answers::default(),
    };
    let disclosure = disclosure
        .map(|d| DisclosurePolicy::parse(&d).map_err(|e| error(py, &e)))
        .transpose()?;
    let registry = registry(py, &scheme_files)?;
    let table = Input::of(data).open(py, &name)?;
    let mut agg = Aggregator::by(level, group_by).map_err(|e| error(py, &e))?;
    let mut rejects = ArrowRejects::default();
    let reject_schema = rejects.schema();
    aggregate_stream(
        &mut agg,
        &registry,
        Synonyms::builtin(),
        table,
        &plan,
        &mut rejects,
    )
    .map_err(|e| stream_error(py, e))?;
    let counts = agg.finish();
    let text = match disclosure {
        None => json(&counts)?,
        Some(p) => json(&p.apply(&counts).map_err(|e| error(py, &e))?)?,
    };
    let rejects = rejects
        .finish()
        .map_err(|e| usage(format!("building the Arrow result: {e}")))?;
    Ok((text, to_pyarrow(py, rejects, reject_schema)?))
}

/// The standard's nodes as JSON (code, label, level, parent), at `level` when given.
#[pyfunction]
#[pyo3(signature = (level=None))]
fn standard(level: Option<&str>) -> PyResult<String> {
    let level = level
        .map(|l| Level::from_name(l).ok_or_else(|| usage(format!("no level `{l}`"))))
        .transpose()?;
    let nodes: Vec<serde_json::Value> = wm_ethnicity::Node::all()
        .filter(|n| level.is_none_or(|l| n.level() == l))
        .map(|n| {
            serde_json::json!({
                "code": n.code(),
                "label": n.label(),
                "level": n.level().name(),
                "parent": n.parent().map(wm_ethnicity::Node::code),
            })
        })
        .collect();
    json(&nodes)
}

/// The built-in schemes as JSON (id, name, authority, version, codes, `source_url`).
#[pyfunction]
fn schemes() -> PyResult<String> {
    let registry = Registry::new();
    let rows: Vec<serde_json::Value> = registry
        .ids()
        .filter_map(|id| registry.get(id))
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "name": s.name,
                "authority": s.authority,
                "version": s.version,
                "codes": s.codes().len(),
                "source_url": s.source_url,
            })
        })
        .collect();
    json(&rows)
}

/// The compiled module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("STANDARD_VERSION", wm_ethnicity::STANDARD_VERSION)?;
    m.add("WmEthnicityError", m.py().get_type::<WmEthnicityError>())?;
    m.add_function(wrap_pyfunction!(convert, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(aggregate, m)?)?;
    m.add_function(wrap_pyfunction!(standard, m)?)?;
    m.add_function(wrap_pyfunction!(schemes, m)?)?;
    Ok(())
}
