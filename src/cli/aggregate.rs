//! `aggregate`: tables of counts by code or label, re-counted per node of the standard.

use super::files::{Destination, check_outputs, stream_error};
use super::{args, registry, synonyms};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use wm_ethnicity::By;
use wm_ethnicity::Level;
use wm_ethnicity::StreamError;
use wm_ethnicity::Table;
use wm_ethnicity::{AggregatePlan, Aggregator, CountTable, Placement, aggregate_stream};
use wm_ethnicity::{Category, Group, Node, Residual};
use wm_ethnicity::{CensusArea, RateKind, census_2021, census_denominator, rates};
use wm_ethnicity::{DimensionRole, EvidenceInfo, EvidenceTable};
use wm_ethnicity::{DisclosurePolicy, PUBLISHED_COLUMNS, PublishedTable};
use wm_ethnicity::{EncodingWriter, OutputEncoding, thousands};
use wm_ethnicity::{PersonCount, Priority, RejectSink, persons_stream, write_persons_csv};
use wm_ethnicity::{RateTable, StandardPopulation, age_standardised};
use wm_ethnicity::{RejectWriter, TableFormat, TextRejects};
use wm_ethnicity::{published_age_standardised, published_rates};

/// Flags of `aggregate`.
#[derive(Args, Debug)]
#[command(
    after_help = "Totals are preserved exactly: input total = output total + rejected \
total. A count that cannot be placed as finely as asked stays at the level it has \
(placement `coarser`); residual values are kept apart (placement `residual`).\n\
With --disclosure the table is published under a policy (none, suppress:N, round:N, \
nhs-secondary-care, ons-ckm:PTABLE) with its subtotals, totals and margins; a table whose \
suppression audit fails is not written.\n\
Exit status: 0 every row placed, 1 some rows rejected, 2 could not aggregate (or publish).\n\
See docs/convert.md."
)]
#[command(mut_arg("column", |a| a.alias("code-column")))]
#[command(mut_arg("separator", |a| a.conflicts_with("count_column")))]
pub struct AggregateArgs {
    /// The tables (CSV, JSON Lines or Excel), all with the same columns; counts are summed.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The column to count by and its scheme (`--scheme standard` for the `wm_code` column of
    /// `convert` output).
    #[command(flatten)]
    coded: args::CodedArgs,
    #[command(flatten)]
    by: args::ByArgs,
    /// The old spelling of `--column NAME --by label`, hidden, kept for one release.
    #[arg(long = "label-column", hide = true, conflicts_with_all = ["column", "by"])]
    label_column: Option<String>,
    /// The header of the column holding counts; without it every row counts 1.
    #[arg(long = "count-column")]
    count_column: Option<String>,
    /// The column of each record's record key (a whole number, random per record), for
    /// `--disclosure ons-ckm:PTABLE`; records only (not with --count-column).
    #[arg(long = "record-key-column", value_name = "COLUMN")]
    record_key_column: Option<String>,
    /// Publish the table under a disclosure policy: none, suppress:N, round:N,
    /// nhs-secondary-care, ons-ckm:PTABLE or ons-ckm:THRESHOLD:PTABLE (see docs/convert.md).
    #[arg(long, value_name = "POLICY", value_parser = parse_policy)]
    disclosure: Option<DisclosurePolicy>,
    /// The level to count at.
    #[arg(long, value_parser = args::count_level())]
    to: Level,
    /// A column to keep as a dimension (council, year, sex, an outcome...): one table per
    /// combination of the values of every --group-by column (may be given more than once).
    #[arg(long = "group-by", value_name = "COLUMN")]
    group_by: Vec<String>,
    /// Characteristics read through their classifications: `--group-by wm_sex` (`wm_age_band`,
    /// `wm_religion`, ...) then groups by each row's standard value.
    #[command(flatten)]
    characteristics: args::CharacteristicArgs,
    #[command(flatten)]
    policy: args::PolicyArgs,
    /// Each row's scheme from the file.
    #[command(flatten)]
    rows: args::RowSchemeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: TableFormat,
    /// Rates and ratios instead of counts.
    #[command(flatten)]
    rates: RateArgs,
    /// Several ethnicities per person (a --separator, or more than one --column): every row
    /// is one person, and the output is the three person counts (total response, prioritised,
    /// sole/combination) as CSV (docs/convert.md).
    #[command(flatten)]
    separator: args::SeparatorArgs,
    /// With several ethnicities per person: the order of prioritised output.
    #[command(flatten)]
    priority: args::PriorityArgs,
    /// With several ethnicities per person: combinations held by fewer persons pool into
    /// `two-or-more` [default: 10].
    #[arg(long)]
    combination_threshold: Option<u64>,
    /// Merge small strata up the ethnicity tree before anything else: within each combination,
    /// a count from 1 to N-1 below group level moves to its parent (detailed to category to
    /// group), in a row placed `merged` with its n; then --disclosure withholds what is still
    /// small. Not with rates (the numerators and denominators would merge apart).
    #[arg(long = "merge-below", value_name = "N", value_parser = clap::value_parser!(u64).range(2..), conflicts_with = "separator")]
    merge_below: Option<u64>,
    /// Write the table in the publication shape: the download columns of Ethnicity facts and
    /// figures (measure, ethnicity, time, geography, sex, age, value, numerator, denominator,
    /// lower, upper...), its order of ethnic groups, parent rows, and the metadata (in the JSON
    /// document; with the summary for CSV). `--format text` is always in this shape.
    #[arg(long)]
    publication: bool,
    /// In the publication shape, the --group-by column that fills a role column: time,
    /// geography, sex or age (e.g. `--role time=year --role geography=council`; `wm_sex` and
    /// `wm_age_band` fill sex and age unless given).
    #[arg(long = "role", value_name = "ROLE=COLUMN", value_parser = parse_role)]
    roles: Vec<(DimensionRole, String)>,
    #[command(flatten)]
    output: args::OutputArgs,
    #[command(flatten)]
    rejects: args::RejectsArgs,
    #[command(flatten)]
    schemes: args::SchemeFileArgs,
    #[command(flatten)]
    synonyms: args::SynonymArgs,
    /// How to read the input.
    #[command(flatten)]
    input: args::InputArgs,
}

fn parse_role(text: &str) -> Result<(DimensionRole, String), String> {
    let (role, column) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: give ROLE=COLUMN, e.g. time=year"))?;
    let role = DimensionRole::from_name(role.trim())
        .ok_or_else(|| format!("`{role}`: not a role (time, geography, sex, age)"))?;
    Ok((role, column.trim().to_owned()))
}

fn parse_policy(text: &str) -> Result<DisclosurePolicy, String> {
    DisclosurePolicy::parse(text).map_err(|e| e.to_string())
}

/// The plan from the flags.
fn plan(args: &AggregateArgs) -> anyhow::Result<AggregatePlan> {
    if args.merge_below.is_some() && args.rates.wanted() {
        anyhow::bail!(
            "--merge-below is not for rates: the numerators and the denominators would merge \
             apart; merge the count tables, or compare at a coarser level (--to)"
        );
    }
    let (column, by) = match (args.coded.first(), &args.label_column) {
        (Some(c), _) => (c.clone(), args.by.or(By::Code)),
        (None, Some(c)) => (c.clone(), By::Label),
        (None, None) => anyhow::bail!("give --column (the header of the column to count by)"),
    };
    let Some(scheme) = args.rows.scheme_from(args.coded.scheme.as_deref()) else {
        anyhow::bail!("give --scheme, --scheme-column, or --council-column with --dataset-column");
    };
    Ok(AggregatePlan {
        column,
        scheme,
        by,
        policy: args.policy.policy,
        count_column: args.count_column.clone(),
        characteristics: args.characteristics.characteristics.clone(),
        record_key_column: args.record_key_column.clone(),
        answers: args.coded.answers(&args.separator),
    })
}

/// Rates instead of counts: a numerator and a denominator per node (and combination), the rate
/// with its 95% interval, and the ratio to a reference node (docs/convert.md, "Rates").
#[derive(Args, Debug)]
#[allow(
    clippy::struct_field_names,
    reason = "each field is named as its flag: --rate-outcome, --rate-value, --rate-census..."
)]
struct RateArgs {
    /// Rates of an outcome among the rows: the column whose values mark the numerator (e.g.
    /// FSM); every row is in the denominator. A proportion, with a Wilson interval.
    #[arg(long = "rate-outcome", value_name = "COLUMN", requires = "rate_value")]
    rate_outcome: Option<String>,
    /// A value of --rate-outcome that counts in the numerator (may be given more than once).
    #[arg(long = "rate-value", value_name = "VALUE", requires = "rate_outcome")]
    rate_value: Vec<String>,
    /// Rates of the counted events per population of a Census 2021 area (a council, England or
    /// Wales): the shipped TS021 usual residents, with a Byar interval.
    #[arg(long = "rate-census", value_name = "AREA", conflicts_with_all = ["rate_outcome", "rate_census_column"])]
    rate_census: Option<String>,
    /// As --rate-census, each row's area the value of this --group-by column.
    #[arg(
        long = "rate-census-column",
        value_name = "COLUMN",
        conflicts_with = "rate_outcome"
    )]
    rate_census_column: Option<String>,
    /// Rates per population are per this many people.
    #[arg(long, default_value_t = 1000.0)]
    per: f64,
    /// The node the ratios compare with [default: white.british at category, white at group].
    #[arg(long)]
    reference: Option<String>,
    /// The measure's name, in the output's `measure` column [default: rate, or count for a
    /// count table in the publication shape].
    #[arg(long)]
    measure: Option<String>,
    /// Directly age-standardised rates: the --group-by dimension holding age bands (e.g.
    /// `wm_age_band` from `--characteristic AGE=census-2021-age-18`), summed over with the
    /// weights of --standard-population.
    #[arg(long = "age-standardise", value_name = "DIMENSION")]
    age_standardise: Option<String>,
    /// The standard population of --age-standardise: `esp2013` (the 2013 European Standard
    /// Population in Census 2021's 18 age bands).
    #[arg(
        long = "standard-population",
        default_value = "esp2013",
        requires = "age_standardise"
    )]
    standard_population: String,
}

/// The parts of a rate table: the two count tables, the kind of rate, the reference node, and
/// where the denominators come from (for the metadata).
struct RateParts {
    numerator: CountTable,
    denominator: CountTable,
    kind: RateKind,
    reference: Node,
    source: String,
    /// True when the denominators are published figures (the census): no policy applies to them.
    public_denominator: bool,
}

impl RateArgs {
    /// The age dimension and the standard population of `--age-standardise`, when asked.
    fn standard(&self) -> anyhow::Result<Option<(&str, StandardPopulation)>> {
        let Some(age) = &self.age_standardise else {
            return Ok(None);
        };
        let Some(sp) = StandardPopulation::builtin(&self.standard_population) else {
            anyhow::bail!(
                "--standard-population {}: not a standard population of the crate (esp2013)",
                self.standard_population
            );
        };
        Ok(Some((age, sp)))
    }

    /// Age-standardises `t` when asked.
    fn standardised(&self, t: RateTable) -> anyhow::Result<RateTable> {
        Ok(match self.standard()? {
            Some((age, sp)) => age_standardised(&t, age, &sp)?,
            None => t,
        })
    }

    fn wanted(&self) -> bool {
        self.rate_outcome.is_some()
            || self.rate_census.is_some()
            || self.rate_census_column.is_some()
    }

    /// The parts of the rate table of `counts` (aggregated with the outcome column as its last
    /// dimension, when there is one).
    fn parts(&self, counts: &CountTable) -> anyhow::Result<RateParts> {
        let reference = match (&self.reference, counts.to) {
            (Some(code), _) => Node::from_code(code.trim()).ok_or_else(|| {
                anyhow::anyhow!(
                    "--reference {code}: not a code of the standard (see `wm-ethnicity standard`)"
                )
            })?,
            (None, Level::Group) => Node::Group(Group::White),
            (None, Level::Category) => Node::Category(Category::WhiteBritish),
            (None, _) => anyhow::bail!("give --reference: a detailed node to compare with"),
        };
        if let Some(outcome) = &self.rate_outcome {
            let values: Vec<&str> = self.rate_value.iter().map(String::as_str).collect();
            return Ok(RateParts {
                numerator: counts.summed_over(outcome, Some(&values))?,
                denominator: counts.summed_over(outcome, None)?,
                kind: RateKind::Proportion,
                reference,
                source: format!(
                    "every row counted; the numerator, the rows whose `{outcome}` is {}",
                    values.join(" or ")
                ),
                public_denominator: false,
            });
        }
        let (area, source) = match (&self.rate_census, &self.rate_census_column) {
            (Some(a), _) => {
                let p = census_2021(a).ok_or_else(|| {
                    anyhow::anyhow!(
                        "--rate-census {a}: not an area of the Census 2021 baseline (the seven councils, England or Wales)"
                    )
                })?;
                (
                    CensusArea::Fixed(p),
                    format!("{}, {} ({})", CENSUS_SOURCE, p.area_name, p.area_code),
                )
            }
            (None, Some(c)) => (
                CensusArea::Dimension(c),
                format!("{CENSUS_SOURCE}, of each row's area (the `{c}` dimension)"),
            ),
            (None, None) => {
                anyhow::bail!("give --rate-outcome, --rate-census or --rate-census-column")
            }
        };
        Ok(RateParts {
            numerator: counts.clone(),
            denominator: census_denominator(counts, area)?,
            kind: RateKind::PerPopulation { per: self.per },
            reference,
            source,
            public_denominator: true,
        })
    }
}

/// The census denominators' source, for the metadata (schema/published/SOURCES.md).
const CENSUS_SOURCE: &str = "Census 2021 TS021 Ethnic group, usual residents (ONS, Nomis bulk \
download issued 2022-11-29, Open Government Licence v3.0; schema/published/SOURCES.md)";

/// The --group-by columns, each once, none named as an output column.
fn dimensions(group_by: &[String]) -> anyhow::Result<Vec<String>> {
    for (i, d) in group_by.iter().enumerate() {
        if PUBLISHED_COLUMNS.contains(&d.as_str()) {
            anyhow::bail!(
                "--group-by {d}: the output has a column `{d}` of its own ({}); rename the input \
                 column first",
                PUBLISHED_COLUMNS.join(", ")
            );
        }
        if group_by[..i].contains(d) {
            anyhow::bail!("--group-by {d} is given twice");
        }
    }
    Ok(group_by.to_vec())
}

/// Runs `aggregate`.
pub fn run(args: &AggregateArgs) -> anyhow::Result<ExitCode> {
    let plan = plan(args)?;
    let output = args.output.path();
    let rejects = args.rejects.rejects.as_deref();
    let force = args.output.force;
    let registry = registry(&args.schemes.scheme_files)?;
    let synonyms = synonyms(&args.synonyms.synonym_files, &registry)?;
    check_outputs(&[("--output", output), ("--rejects", rejects)], &args.files)?;
    let opts = args.input.read_options();
    // Open every input first: a missing file stops the run before anything is written.
    let tables = args
        .files
        .iter()
        .map(|f| Table::open(f, &opts))
        .collect::<Result<Vec<_>, _>>()?;
    let out_encoding = args.output.encoding(
        output.is_none(),
        args.format == TableFormat::Csv,
        tables.iter().map(Table::encoding),
    );
    let rejects_encoding = args
        .output
        .encoding(false, true, tables.iter().map(Table::encoding));
    let mut out = EncodingWriter::new(Destination::open(output, force)?, out_encoding);
    let mut rejects_file = match rejects {
        Some(p) => {
            let w = EncodingWriter::new(Destination::open(Some(p), force)?, rejects_encoding);
            // Rejects of several inputs name the file of each (a first column, `file`).
            let w = if tables.len() > 1 {
                RejectWriter::with_file_column(w)
            } else {
                RejectWriter::new(w)
            };
            Some(w.map_err(|e| stream_error(StreamError::Rejects(e), None, rejects))?)
        }
        None => None,
    };
    let mut dims = args.group_by.clone();
    dims.extend(args.rates.rate_outcome.iter().cloned());
    let mut agg = aggregator(args, &dims)?;
    let priority = args.priority.order(plan.answers.several())?;
    let mut persons = person_count(args, &plan, &priority)?;
    let mut names = Vec::with_capacity(tables.len());
    for table in tables {
        let name = table.name().to_owned();
        let bar = super::progress_bar(table.progress_total(), table.format(), "aggregating");
        let mut stderr_rejects = TextRejects::new(std::io::stderr(), &name);
        let rw: &mut dyn RejectSink = match &mut rejects_file {
            Some(rw) => {
                rw.set_file(&name);
                rw
            }
            None => &mut stderr_rejects,
        };
        let result = match &mut persons {
            Some(pc) => persons_stream(pc, &registry, &synonyms, table, &plan, rw),
            None => aggregate_stream(&mut agg, &registry, &synonyms, table, &plan, rw),
        };
        bar.finish_and_clear();
        result.map_err(|e| stream_error(e, output, rejects))?;
        names.push(name);
    }
    if let Some(pc) = persons {
        return finish_persons(pc, &priority, out, rejects_file, (output, rejects));
    }
    let table = match args.merge_below {
        Some(below) => agg.finish().merged_up(below),
        None => agg.finish(),
    };
    let published = write_table(args, &mut out, &names, &table).map_err(|e| match e
        .downcast::<std::io::Error>()
    {
        Ok(io) => stream_error(StreamError::Write(io), output, None),
        Err(e) => e,
    })?;
    finish_files(out, rejects_file, output, rejects)?;
    let encodings = (out_encoding, rejects_encoding);
    // The summary goes beside the table: to standard output when the table went to a file.
    let mut to: Box<dyn Write> = if output.is_some() {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(std::io::stderr().lock())
    };
    summary(
        &mut to,
        &names,
        (&table, published.as_ref()),
        args,
        encodings,
    )?;
    Ok(if table.rejected_rows == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The person counts of several ethnicities per person, when asked.
fn person_count<'p>(
    args: &AggregateArgs,
    plan: &AggregatePlan,
    priority: &'p Priority,
) -> anyhow::Result<Option<PersonCount<'p>>> {
    if !plan.answers.several() {
        if args.combination_threshold.is_some() {
            anyhow::bail!(
                "--combination-threshold is for several ethnicities per person: give \
                 --separator, or more than one --column"
            );
        }
        return Ok(None);
    }
    if args.count_column.is_some() || args.merge_below.is_some() {
        anyhow::bail!(
            "several ethnicities per person are counted as persons, one row each: not with \
             --count-column or --merge-below"
        );
    }
    if let Some(flag) = not_for_persons(args) {
        anyhow::bail!(
            "{flag} is not for several ethnicities per person yet: the three person counts \
             are written as CSV, not published under a policy nor made into rates; aggregate \
             the prioritised ethnicity (a convert output's wm_prioritised column) for that"
        );
    }
    let order = (priority, args.combination_threshold.unwrap_or(10));
    Ok(Some(PersonCount::new(
        order,
        args.to,
        args.group_by.clone(),
    )))
}

/// The first flag given that the person counts of several ethnicities per person do not take
/// (they are plain counts as CSV): refused rather than ignored.
fn not_for_persons(args: &AggregateArgs) -> Option<&'static str> {
    let r = &args.rates;
    [
        (args.disclosure.is_some(), "--disclosure"),
        (args.record_key_column.is_some(), "--record-key-column"),
        (args.format != TableFormat::Csv, "--format json or text"),
        (args.publication, "--publication"),
        (!args.roles.is_empty(), "--role"),
        (r.rate_outcome.is_some(), "--rate-outcome"),
        (r.rate_census.is_some(), "--rate-census"),
        (r.rate_census_column.is_some(), "--rate-census-column"),
        (r.age_standardise.is_some(), "--age-standardise"),
        (r.reference.is_some(), "--reference"),
        (r.measure.is_some(), "--measure"),
    ]
    .into_iter()
    .find_map(|(given, flag)| given.then_some(flag))
}

/// Writes the three person counts of several ethnicities per person, and says how they
/// reconcile.
fn finish_persons(
    pc: PersonCount<'_>,
    priority: &Priority,
    mut out: EncodingWriter<Destination>,
    rejects_file: Option<RejectWriter<EncodingWriter<Destination>>>,
    (output, rejects): (Option<&std::path::Path>, Option<&std::path::Path>),
) -> anyhow::Result<ExitCode> {
    let (rows, rejected, dimensions) = (pc.rows, pc.rejected, pc.dimensions.clone());
    let tables = pc.finish();
    write_persons_csv(&mut out, &dimensions, &tables, priority)
        .map_err(|e| stream_error(StreamError::Write(e), output, None))?;
    let persons: u64 = tables.iter().map(|(_, c)| c.persons).sum();
    let reduced: u64 = tables.iter().map(|(_, c)| c.reduced).sum();
    finish_files(out, rejects_file, output, rejects)?;
    writeln!(
        std::io::stderr().lock(),
        "wm-ethnicity aggregate: {} rows = {} persons + {} rejected; {} persons with repeated \
         answers or a residual beside an ethnicity counted once; total response counts each \
         person in every group given (it adds up to more than the persons), prioritised ({}) \
         and combination each add up to the persons{}",
        rows,
        persons,
        rejected,
        reduced,
        priority.id,
        if dimensions.is_empty() {
            String::new()
        } else {
            format!(
                " of each of the {} combinations of {}",
                tables.len(),
                dimensions.join(" × ")
            )
        }
    )?;
    Ok(if rejected == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Puts the rejects in place, then the output.
fn finish_files(
    out: EncodingWriter<Destination>,
    rejects_file: Option<RejectWriter<EncodingWriter<Destination>>>,
    output: Option<&std::path::Path>,
    rejects: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    if let Some(rw) = rejects_file {
        rw.finish()
            .and_then(EncodingWriter::into_inner)
            .map_err(|e| stream_error(StreamError::Rejects(e), None, rejects))?
            .finish()?;
    }
    out.into_inner()
        .map_err(|e| stream_error(StreamError::Write(e), output, None))?
        .finish()?;
    Ok(())
}

/// The aggregator the flags ask for: its dimensions, and record keys for `ons-ckm`.
fn aggregator(args: &AggregateArgs, dims: &[String]) -> anyhow::Result<Aggregator> {
    let agg = Aggregator::by(args.to, dimensions(dims)?)?;
    if args.record_key_column.is_none() {
        return Ok(agg);
    }
    if !matches!(args.disclosure, Some(DisclosurePolicy::OnsCkm(_))) {
        anyhow::bail!("--record-key-column is for --disclosure ons-ckm:PTABLE");
    }
    Ok(agg.with_record_keys())
}

/// Writes the table (counts, counts published under --disclosure, rates, or rates worked out
/// from counts published under --disclosure) to `out`, in the publication shape when asked
/// (`--publication`, `--format text`, and always for rates under a policy); hands back the
/// published counts for the summary. An audit that fails stops the run before any byte.
fn write_table(
    args: &AggregateArgs,
    out: &mut EncodingWriter<Destination>,
    names: &[String],
    table: &CountTable,
) -> anyhow::Result<Option<PublishedTable>> {
    let shaped = args.publication || args.format == TableFormat::Text;
    let mut info = EvidenceInfo {
        files: names.to_vec(),
        measure: args.rates.measure.clone().unwrap_or_default(),
        roles: args.roles.clone(),
        denominators: None,
        policy: args.disclosure.as_ref().map(|p| {
            let d = p.description();
            (p.name(), d, String::new())
        }),
    };
    if args.rates.wanted() {
        let parts = args.rates.parts(table)?;
        info.denominators = Some(parts.source.clone());
        if info.measure.is_empty() {
            "rate".clone_into(&mut info.measure);
        }
        let Some(policy) = &args.disclosure else {
            let t = args.rates.standardised(rates(
                &parts.numerator,
                &parts.denominator,
                parts.kind,
                parts.reference,
            )?)?;
            if shaped {
                args.format
                    .write_evidence(&mut *out, &EvidenceTable::of_rates(&t, &info)?)?;
            } else {
                args.format
                    .write_rates(&mut *out, names, &info.measure, &t)?;
            }
            return Ok(None);
        };
        let numerator = apply(policy, &parts.numerator)?;
        let denominator = if parts.public_denominator {
            DisclosurePolicy::None.apply(&parts.denominator)?
        } else {
            apply(policy, &parts.denominator)?
        };
        info.policy = Some(policy_of(&numerator));
        let mut dimensions = table.dimensions[..parts.numerator.dimensions.len()].to_vec();
        let standard = args.rates.standard()?;
        let published = match &standard {
            None => published_rates(&numerator, &denominator, parts.kind, parts.reference)?,
            Some((age, sp)) => {
                dimensions.retain(|d| d != age);
                let rates = (parts.kind, parts.reference);
                published_age_standardised(&numerator, &denominator, rates, age, sp)?
            }
        };
        let mut t = EvidenceTable::of_published_rates(
            &published,
            (parts.kind, table.to, parts.reference),
            &dimensions,
            &info,
        )?;
        if let Some((_, sp)) = &standard {
            t = t.age_standardised(sp.title);
        }
        args.format.write_evidence(&mut *out, &t)?;
        return Ok(Some(numerator));
    }
    let published = args
        .disclosure
        .as_ref()
        .map(|p| apply(p, table))
        .transpose()?;
    if shaped {
        if let Some(p) = &published {
            info.policy = Some(policy_of(p));
        }
        let exact;
        let counts = if let Some(p) = &published {
            p
        } else {
            exact = DisclosurePolicy::None.apply(table)?;
            &exact
        };
        args.format
            .write_evidence(&mut *out, &EvidenceTable::of_counts(counts, &info)?)?;
    } else {
        match &published {
            Some(p) => args.format.write_published(&mut *out, names, p)?,
            None => args.format.write(&mut *out, names, table)?,
        }
    }
    Ok(published)
}

/// The summary's line of counts not placed as finely as asked: one entry per node, summed over
/// the combinations (the rows give each combination's).
fn coarser_summary(out: &mut dyn Write, t: &CountTable) -> std::io::Result<()> {
    let k = thousands;
    let mut nodes: Vec<(Node, Level, u64)> = Vec::new();
    for r in t.coarser() {
        match nodes.iter_mut().find(|(code, _, _)| *code == r.code) {
            Some(n) => n.2 += r.count,
            None => nodes.push((r.code, r.level, r.count)),
        }
    }
    let rows: Vec<String> = nodes
        .iter()
        .map(|(code, level, n)| format!("{code} {} ({level})", k(*n)))
        .collect();
    let over = if t.dimensions.is_empty() {
        ""
    } else {
        " (summed over the combinations)"
    };
    writeln!(
        out,
        "  not as fine as asked: {} at a coarser level: {}{over}",
        k(t.coarser_total),
        rows.join(", ")
    )
}

/// The policy of a published table as the metadata states it.
fn policy_of(t: &PublishedTable) -> (String, String, String) {
    let d = &t.disclosure;
    (
        d.policy.clone(),
        d.description.clone(),
        d.totals_note.to_owned(),
    )
}

/// `table` published under `policy`: an audit that fails stops the run before anything is
/// written.
fn apply(policy: &DisclosurePolicy, table: &CountTable) -> anyhow::Result<PublishedTable> {
    policy
        .apply(table)
        .map_err(|e| anyhow::anyhow!("the table is not written: {e}"))
}

fn summary(
    out: &mut dyn Write,
    names: &[String],
    (t, published): (&CountTable, Option<&PublishedTable>),
    args: &AggregateArgs,
    encodings: (OutputEncoding, OutputEncoding),
) -> std::io::Result<()> {
    let k = thousands;
    writeln!(out, "wm-ethnicity aggregate: {}", names.join(", "))?;
    writeln!(
        out,
        "  rows in:       {} = placed {} + rejected {}",
        k(t.input_rows),
        k(t.input_rows - t.rejected_rows),
        k(t.rejected_rows)
    )?;
    writeln!(
        out,
        "  totals:        input {} = output {} + rejected {}",
        k(t.input_total),
        k(t.output_total),
        k(t.rejected_total)
    )?;
    if !t.dimensions.is_empty() {
        let mut combinations: Vec<&[(String, String)]> = t.rows.iter().map(|r| &r.by[..]).collect();
        combinations.dedup();
        writeln!(
            out,
            "  by:            {} ({} combinations, each with its own rows)",
            t.dimensions.join(" × "),
            k(combinations.len() as u64)
        )?;
    }
    let merged: u64 = t
        .rows
        .iter()
        .filter(|r| r.placement == Placement::Merged)
        .map(|r| r.count)
        .sum();
    let as_asked = t.output_total - t.coarser_total - t.residual_total - merged;
    writeln!(out, "  {:<15}{}", format!("at {}:", t.to), k(as_asked))?;
    if let Some(below) = args.merge_below {
        writeln!(
            out,
            "  merged:        {} from strata of fewer than {below} merged up the tree (rows \
             `merged`, each with its n)",
            k(merged)
        )?;
    }
    if t.coarser_total > 0 {
        coarser_summary(out, t)?;
    }
    writeln!(
        out,
        "  residual:      {} ({})",
        k(t.residual_total),
        Residual::all_named()
    )?;
    if t.most_likely_total > 0 {
        writeln!(
            out,
            "  most likely:   {} placed by a documented most-likely choice",
            k(t.most_likely_total)
        )?;
    }
    if t.observed_total > 0 {
        writeln!(
            out,
            "  observed:      {} from officer-observed codes: not self-defined ethnicity",
            k(t.observed_total)
        )?;
    }
    if let Some(p) = published {
        disclosure_summary(out, p)?;
    }
    if let Some(p) = args.output.path() {
        writeln!(
            out,
            "  output:        {} ({})",
            p.display(),
            encodings.0.title()
        )?;
    }
    if let Some(p) = &args.rejects.rejects {
        writeln!(
            out,
            "  rejects:       {} ({})",
            p.display(),
            encodings.1.title()
        )?;
    }
    Ok(())
}

/// The summary's lines about the disclosure policy and its audit (the figures above them are
/// the exact ones, for the person running the tool, not for publication).
fn disclosure_summary(out: &mut dyn Write, table: &PublishedTable) -> std::io::Result<()> {
    let d = &table.disclosure;
    let k = thousands;
    writeln!(out, "  disclosure:    {}: {}", d.policy, d.description)?;
    writeln!(
        out,
        "  published:     {} cells with subtotals, totals and margins; withheld {} primary + {} \
         secondary (c); totals {}",
        k(table.rows.len() as u64),
        k(d.primary),
        k(d.secondary),
        d.totals_note
    )?;
    if let Some(a) = &d.audit {
        let narrowest = match a.narrowest() {
            Some((cell, width)) => {
                let row = &table.rows[cell.row];
                let by: Vec<String> = row
                    .by
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                format!(
                    "; narrowest interval an attacker gets: width {width} ({} {}{})",
                    row.code.map_or("total", |n| n.code()),
                    row.kind.name(),
                    if by.is_empty() {
                        String::new()
                    } else {
                        format!(", {}", by.join(", "))
                    }
                )
            }
            None if a.cells.is_empty() => String::new(),
            None => "; every interval is unbounded".to_owned(),
        };
        writeln!(
            out,
            "  audit:         passed: none of {} withheld cells can be worked out exactly{narrowest}",
            k(a.cells.len() as u64)
        )?;
    }
    Ok(())
}
