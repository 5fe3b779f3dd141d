//! The wm-ethnicity core for the browser page (`web/`): the same validation, conversion and
//! detection as the command line, on a file the page's worker reads slice by slice.
//!
//! A request is one JSON object ([`Request`]); the answer is one JSON object with `"ok": true`
//! and the job's result, or `"ok": false` and the error (which names the file, line and column
//! as the command line's does). Findings, converted records and rejects are not in the answer:
//! they stream to the page as CSV (output streams [`FINDINGS`], [`RECORDS`], [`REJECTS`]),
//! written by the same writers as `validate --format csv`, `convert --output` and
//! `--rejects`. The interface is in [`abi`].

pub mod abi;
mod file;

use serde::Deserialize;
use serde_json::{Value, json};
use wm_ethnicity::{
    AddedColumns, By, CensusComparison, CharacteristicColumn, Classifications, ColumnValues,
    Converter, EncodingWriter, Finding, FindingsContext, FindingsFormat, FindingsWriter,
    OutputEncoding, PlanError, PlanRequest, Policy, ReadOptions, RecordFormat, RecordWriter,
    Registry, RejectWriter, ReturnSpec, Rule, SchemeFrom, Sink, Synonyms, Table, Threads,
    Validator, census_2021, convert_stream, detect,
};

/// Output stream of the findings (as `validate --format csv`).
pub const FINDINGS: u32 = 1;
/// Output stream of the converted records (as `convert --output FILE.csv`).
pub const RECORDS: u32 = 2;
/// Output stream of the rejects (as `convert --rejects FILE.csv`).
pub const REJECTS: u32 = 3;

/// How many findings of each rule the answer lists for the page to show (the findings stream
/// has every one).
pub const SHOWN_PER_RULE: usize = 200;

/// A file the page has, by name: a return specification or a local scheme (YAML).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedText {
    /// The file's name, as errors name it.
    pub name: String,
    /// Its text.
    pub text: String,
}

/// What the page asks for. The fields are the command line's flags of the same names.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Request {
    /// `info` (councils and schemes), `header` (the file's columns), `detect`, `validate` or
    /// `convert`.
    pub job: String,
    /// The file's name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// `--scheme`.
    pub scheme: Option<String>,
    /// `--column`.
    pub column: Option<String>,
    /// `--by` (`code` or `label`).
    pub by: Option<String>,
    /// `--scheme-column`.
    pub scheme_column: Option<String>,
    /// `--council-column`.
    pub council_column: Option<String>,
    /// `--dataset-column`.
    pub dataset_column: Option<String>,
    /// `--id-column`.
    pub id_column: Option<String>,
    /// `--date-column`.
    pub date_column: Option<String>,
    /// `--council`.
    pub council: Option<String>,
    /// `--dataset` (validate): which of the council's returns the file is.
    pub dataset: Option<String>,
    /// `--policy` (convert).
    pub policy: Option<String>,
    /// `--to-scheme` (convert).
    pub to_scheme: Option<String>,
    /// `--characteristic`, each: `COLUMN=SCHEME` or `COLUMN=SCHEME@DATE`.
    pub characteristics: Vec<String>,
    /// `--spec`.
    pub spec: Option<NamedText>,
    /// `--scheme-file`, each.
    pub scheme_files: Vec<NamedText>,
    /// `--sheet`.
    pub sheet: Option<String>,
    /// `--header-row`.
    pub header_row: Option<u64>,
}

/// The answer to a request (JSON), for [`abi::wm_run`].
pub fn answer(request: &[u8]) -> Vec<u8> {
    let result = serde_json::from_slice::<Request>(request)
        .map_err(|e| format!("the page sent a request the core does not understand: {e}"))
        .and_then(|r| run(&r));
    let value = match result {
        Ok(mut v) => {
            v["ok"] = json!(true);
            v
        }
        Err(e) => json!({ "ok": false, "error": e }),
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

/// Runs one request.
pub fn run(r: &Request) -> Result<Value, String> {
    match r.job.as_str() {
        "info" => info(r),
        "header" => header(r),
        "detect" => detect_column(r),
        "validate" => validate(r),
        "convert" => convert(r),
        other => Err(format!("no job `{other}`")),
    }
}

fn text<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The councils (with the scheme of each return), the schemes (built in, and those of the
/// request's scheme files) and the choices of `by` and `policy`, for the page's menus.
fn info(r: &Request) -> Result<Value, String> {
    let registry = registry(r)?;
    let schemes: Vec<Value> = registry
        .ids()
        .filter_map(|id| registry.get(id))
        .map(|s| json!({ "id": s.id, "name": s.name }))
        .collect();
    let councils: Vec<Value> = wm_ethnicity::councils()
        .iter()
        .map(|c| {
            let returns: Vec<Value> = c
                .returns
                .iter()
                .map(|r| json!({ "dataset": r.dataset, "scheme": r.scheme }))
                .collect();
            json!({ "code": c.code, "short": c.short, "name": c.name, "returns": returns })
        })
        .collect();
    Ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "standard_version": wm_ethnicity::STANDARD_VERSION,
        "councils": councils,
        "schemes": schemes,
        "by": By::ALL.iter().map(|b| b.name()).collect::<Vec<_>>(),
        "policies": Policy::ALL
            .iter()
            .map(|p| json!({ "name": p.name(), "help": p.help() }))
            .collect::<Vec<_>>(),
        "classifications": Classifications::builtin()
            .all()
            .iter()
            .map(|c| json!({ "id": c.id, "characteristic": c.characteristic.name(), "title": c.title }))
            .collect::<Vec<_>>(),
    }))
}

/// The file the page's worker holds, opened as the command line opens a file.
fn open(r: &Request) -> Result<Table<'static>, String> {
    let opts = ReadOptions {
        sheet: r.sheet.clone(),
        header_row: r.header_row,
        threads: Threads::One,
        ..ReadOptions::default()
    };
    Table::from_seekable(&r.name, file::JsFile::new(r.size), r.size, &opts).map_err(text)
}

fn header(r: &Request) -> Result<Value, String> {
    let t = open(r)?;
    Ok(json!({
        "header": t.header(),
        "format": t.format(),
        "encoding": t.encoding(),
        "delimiter": t.delimiter().map(|d| char::from(d).to_string()),
        "sheet": t.sheet(),
        "sheets": t.sheets(),
    }))
}

fn registry(r: &Request) -> Result<Registry, String> {
    let mut registry = Registry::new();
    for f in &r.scheme_files {
        registry.add_yaml(&f.text, &f.name).map_err(text)?;
    }
    Ok(registry)
}

fn by(r: &Request) -> Result<Option<By>, String> {
    r.by.as_deref()
        .map(|name| {
            By::ALL
                .iter()
                .copied()
                .find(|b| b.name() == name)
                .ok_or_else(|| format!("`{name}` is not a way to match (code or label)"))
        })
        .transpose()
}

fn scheme_from(r: &Request) -> Option<SchemeFrom> {
    SchemeFrom::from_flags(
        r.scheme.as_deref(),
        r.scheme_column.as_deref(),
        r.council_column.as_deref(),
        r.dataset_column.as_deref(),
    )
}

fn column(r: &Request) -> Result<&str, String> {
    r.column
        .as_deref()
        .ok_or_else(|| "choose the column that holds ethnicity".to_owned())
}

fn detect_column(r: &Request) -> Result<Value, String> {
    let registry = registry(r)?;
    let column = column(r)?;
    let values = ColumnValues::read(open(r)?, column).map_err(text)?;
    Ok(json!({ "column": column, "detection": detect(&registry, &values) }))
}

fn spec(r: &Request) -> Result<ReturnSpec, String> {
    let mut spec = match (&r.spec, scheme_from(r), &r.column) {
        (Some(s), _, _) => ReturnSpec::from_yaml(&s.text, &s.name).map_err(text)?,
        (None, Some(from), Some(column)) => {
            ReturnSpec::coded_from(column, from, by(r)?.unwrap_or(By::Code))
        }
        _ => return Err("choose the column and its scheme, or a specification file".into()),
    };
    if r.council.is_some() {
        spec.council.clone_from(&r.council);
    }
    if r.dataset.is_some() {
        spec.dataset.clone_from(&r.dataset);
    }
    if let Some(c) = &r.id_column {
        spec = spec.with_id_column(c);
    }
    if let Some(c) = &r.date_column {
        spec = spec.with_date_column(c);
    }
    for c in characteristics(r)? {
        spec = spec.with_characteristic(&c).map_err(text)?;
    }
    Ok(spec)
}

/// The `--characteristic` columns, read as the command line reads the flag.
fn characteristics(r: &Request) -> Result<Vec<CharacteristicColumn>, String> {
    r.characteristics
        .iter()
        .map(|c| CharacteristicColumn::parse(c).map_err(|e| format!("--characteristic {e}")))
        .collect()
}

/// The findings CSV writer (which wants every finding), also keeping the first
/// [`SHOWN_PER_RULE`] findings of each rule for the page, and telling it how far the reading is.
struct Shown<'w> {
    writer: &'w mut dyn FindingsWriter,
    kept: Vec<Finding>,
    per_rule: Vec<(Rule, usize)>,
    total: u64,
}

impl Sink for Shown<'_> {
    fn finding(&mut self, finding: Finding) -> std::io::Result<()> {
        if !self.per_rule.iter().any(|(r, _)| *r == finding.rule) {
            self.per_rule.push((finding.rule, 0));
        }
        if let Some((_, n)) = self.per_rule.iter_mut().find(|(r, _)| *r == finding.rule)
            && *n < SHOWN_PER_RULE
        {
            *n += 1;
            self.kept.push(finding.clone());
        }
        self.writer.finding(finding)
    }
    fn progress(&mut self, _records: u64, done: u64) {
        abi::progress(done, self.total);
    }
}

fn validate(r: &Request) -> Result<Value, String> {
    let spec = spec(r)?;
    let council = match r.council.as_deref().or(spec.council.as_deref()) {
        None => None,
        Some(key) => {
            Some(wm_ethnicity::council(key).ok_or_else(|| format!("unknown council `{key}`"))?)
        }
    };
    let registry = registry(r)?;
    let validator = Validator::new(&spec, &registry)
        .map_err(text)?
        .with_synonyms(Synonyms::builtin());
    let table = open(r)?;
    let total = table.progress_total();
    let encoding = OutputEncoding::like_input(table.encoding());
    let mut out = EncodingWriter::new(file::JsOut::new(FINDINGS), encoding);
    let context = FindingsContext::new(&spec);
    let mut writer = FindingsFormat::Csv
        .writer(&mut out, context)
        .map_err(text)?;
    let mut shown = Shown {
        writer: &mut *writer,
        kept: Vec::new(),
        per_rule: Vec::new(),
        total,
    };
    let report = validator.validate(table, &mut shown).map_err(text)?;
    let kept = std::mem::take(&mut shown.kept);
    writer.finish(&report).map_err(text)?;
    drop(writer);
    out.into_inner().map_err(text)?.finish().map_err(text)?;
    // Each coded column beside the council's Census 2021 population, as the HTML report
    // compares them (`ColumnProfile::beside`).
    let population = council.and_then(|c| census_2021(&c.code));
    let census: Vec<Value> = report
        .columns
        .iter()
        .filter_map(|p| Some((p, p.beside(population?)?)))
        .map(|(p, b)| {
            let gaps: Vec<_> = b
                .largest_gaps()
                .take(CensusComparison::CALLED_OUT)
                .collect();
            json!({ "column": p.column, "comparison": b, "largest_gaps": gaps })
        })
        .collect();
    Ok(json!({
        "report": report,
        "findings": kept,
        "shown_per_rule": SHOWN_PER_RULE,
        "council": council.map(|c| json!({ "code": c.code, "name": c.name })),
        "census": census,
    }))
}

/// The plan as `convert` makes it from its flags ([`PlanRequest`]: a specification's, or the
/// column and its scheme; then `--by`, `--policy`, `--to-scheme` and `--characteristic`).
fn convert(r: &Request) -> Result<Value, String> {
    let spec = r
        .spec
        .as_ref()
        .map(|s| ReturnSpec::from_yaml(&s.text, &s.name).map(|spec| (spec, s.name.as_str())))
        .transpose()
        .map_err(text)?;
    let policy = r
        .policy
        .as_deref()
        .map(|name| {
            Policy::ALL
                .iter()
                .copied()
                .find(|p| p.name() == name)
                .ok_or_else(|| format!("`{name}` is not a policy"))
        })
        .transpose()?;
    let request = PlanRequest {
        spec: spec.as_ref().map(|(s, name)| (s, *name)),
        columns: r.column.iter().cloned().collect(),
        scheme: scheme_from(r),
        by: by(r)?,
        policy,
        to_scheme: r.to_scheme.clone(),
        characteristics: characteristics(r)?,
        ..PlanRequest::default()
    };
    let plan = request.plan().map_err(|e| match e {
        PlanError::NoColumn => "choose the column that holds ethnicity".to_owned(),
        PlanError::NoScheme => "choose the scheme (or the columns that give it)".to_owned(),
        other => other.to_string(),
    })?;
    let registry = registry(r)?;
    let table = open(r)?;
    let converter = Converter::new(
        &registry,
        Synonyms::builtin(),
        &plan,
        table.header(),
        table.name(),
    )
    .map_err(|e| text(table.explain_missing(e)))?;
    let encoding = OutputEncoding::like_input(table.encoding());
    let added = AddedColumns::of(&converter);
    let records = EncodingWriter::new(file::JsOut::new(RECORDS), encoding);
    let mut records =
        RecordWriter::new(records, RecordFormat::Csv, table.header(), added).map_err(text)?;
    let columns = records.columns().len();
    let rejects = EncodingWriter::new(file::JsOut::new(REJECTS), encoding);
    let mut rejects = RejectWriter::new(rejects).map_err(text)?;
    let total = table.progress_total();
    let mut last = 0;
    let summary = convert_stream(table, &converter, &mut records, &mut rejects, &mut |done| {
        if done >= last + (1 << 20) || done == total {
            last = done;
            abi::progress(done, total);
        }
    })
    .map_err(text)?;
    for w in [records.finish(), rejects.finish()] {
        w.and_then(EncodingWriter::into_inner)
            .and_then(file::JsOut::finish)
            .map_err(text)?;
    }
    Ok(json!({ "summary": summary, "columns": columns }))
}
