//! Tables in the publication shape (issue 13, item 5): the download columns of Ethnicity facts
//! and figures, its order of ethnic groups, parent rows, the metadata block, and rates worked out
//! from counts published under a disclosure policy.

use crate::cli::{assert_matches_schema, run, stderr, stdout};
use std::collections::HashMap;
use std::path::Path;
use wm_ethnicity::{Node, order_key};

type Row = HashMap<String, String>;

fn rows(csv_text: &str) -> (Vec<String>, Vec<Row>) {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    (header, r.deserialize().map(Result::unwrap).collect())
}

const REGIONAL: &str = "fixtures/regional/returns.csv";

/// `aggregate` of the shipped regional sample at category level by council, with `extra`.
pub fn regional(extra: &[&str]) -> std::process::Output {
    let base = [
        "aggregate",
        REGIONAL,
        "--council-column",
        "council",
        "--dataset-column",
        "dataset",
        "--column",
        "ethnicity",
        "--to",
        "category",
        "--group-by",
        "council",
    ];
    run(&[&base[..], extra].concat())
}

/// The rows of each council in the shipped sample, counted here from the file itself.
fn rows_per_council() -> HashMap<String, u64> {
    let mut r = csv::Reader::from_path(REGIONAL).unwrap();
    let at = r
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "council")
        .unwrap();
    let mut n: HashMap<String, u64> = HashMap::new();
    for rec in r.records() {
        *n.entry(rec.unwrap()[at].to_owned()).or_default() += 1;
    }
    n
}

#[test]
fn the_publication_shape_has_the_download_columns_in_order_with_parent_rows() {
    let o = regional(&["--publication", "--role", "geography=council"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (header, rows) = rows(&stdout(&o));
    // The download columns of Ethnicity facts and figures, in their order.
    let wanted = [
        "measure",
        "ethnicity",
        "time",
        "geography",
        "sex",
        "age",
        "value",
        "numerator",
        "denominator",
        "lower",
        "upper",
    ];
    let at: Vec<usize> = wanted
        .iter()
        .map(|w| {
            header
                .iter()
                .position(|h| h == w)
                .unwrap_or_else(|| panic!("{w}: {header:?}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{header:?}");
    // The council fills the geography column: no column of its own.
    assert!(!header.contains(&"council".to_owned()), "{header:?}");

    let mut blocks: Vec<(String, Vec<&Row>)> = Vec::new();
    for r in &rows {
        match blocks.last_mut() {
            Some((g, b)) if *g == r["geography"] => b.push(r),
            _ => blocks.push((r["geography"].clone(), vec![r])),
        }
    }
    let per_council = rows_per_council();
    let mut councils_seen = 0;
    for (geography, block) in &blocks {
        // The total first, then the rows in the order of their keys (parents before children).
        assert_eq!(block[0]["placement"], "total", "{geography}");
        let keys: Vec<_> = block
            .iter()
            .map(|r| order_key(Node::from_code(&r["ethnicity_code"]), &r["placement"]))
            .collect();
        assert!(
            keys.windows(2).all(|w| w[0] <= w[1]),
            "{geography}: not in order"
        );
        // Each group's subtotal is its categories and the counts kept at it.
        let count = |r: &Row| r["value"].parse::<u64>().unwrap();
        for g in block.iter().filter(|r| r["placement"] == "subtotal") {
            let parts: u64 = block
                .iter()
                .filter(|r| {
                    r["parent"] == g["ethnicity_code"]
                        || (r["placement"] == "coarser"
                            && r["ethnicity_code"] == g["ethnicity_code"])
                })
                .map(|r| count(r))
                .sum();
            assert_eq!(parts, count(g), "{geography} {}", g["ethnicity"]);
        }
        // The total is every row the council has in the file.
        if geography != "Total" {
            assert_eq!(count(block[0]), per_council[geography], "{geography}");
            councils_seen += 1;
        }
        // Residual values come last, after every group.
        let first_residual = block
            .iter()
            .position(|r| r["placement"] == "residual")
            .unwrap();
        assert!(
            block[first_residual..]
                .iter()
                .all(|r| r["placement"] == "residual")
        );
        assert!(
            block
                .iter()
                .all(|r| r["measure"] == "count" && r["value_type"] == "count")
        );
    }
    assert_eq!(councils_seen, per_council.len());
}

#[test]
#[allow(clippy::cast_precision_loss, reason = "counts of a small sample")]
fn the_json_document_carries_the_metadata_block_and_matches_its_schema() {
    let o = regional(&[
        "--publication",
        "--format",
        "json",
        "--disclosure",
        "suppress:3",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = assert_matches_schema(&stdout(&o), "output/evidence.schema.json");
    let m = &v["metadata"];
    assert_eq!(m["standard_version"], wm_ethnicity::STANDARD_VERSION);
    assert_eq!(m["level"], "category");
    assert_eq!(m["policy"], "suppress:3");
    let rows = v["rows"].as_array().unwrap();
    // A withheld count is its GSS symbol, and the residual share is not given when a residual
    // or counted cell of the table's own combinations is withheld.
    let own = |r: &&serde_json::Value| r["by"]["council"] != "Total";
    let withheld = rows
        .iter()
        .filter(own)
        .filter(|r| {
            matches!(
                r["placement"].as_str(),
                Some("as-asked" | "coarser" | "residual")
            )
        })
        .any(|r| r["value"] == "c");
    assert!(rows.iter().any(|r| r["value"] == "c"));
    assert_eq!(m["residual_share"].is_null(), withheld);

    // Without a policy the share is the residual rows over every counted row.
    let o = regional(&["--publication", "--format", "json"]);
    let v = assert_matches_schema(&stdout(&o), "output/evidence.schema.json");
    let rows: Vec<&serde_json::Value> = v["rows"].as_array().unwrap().iter().filter(own).collect();
    let sum = |p: &[&str]| -> u64 {
        rows.iter()
            .filter(|r| p.contains(&r["placement"].as_str().unwrap()))
            .map(|r| r["value"].as_u64().unwrap())
            .sum()
    };
    let share = sum(&["residual"]) as f64 / sum(&["as-asked", "coarser", "residual"]) as f64;
    let got = v["metadata"]["residual_share"].as_f64().unwrap();
    assert!((got - share).abs() < 1e-12, "{got} {share}");
    assert!(
        v["metadata"]["policy_description"]
            .as_str()
            .unwrap()
            .contains("not for publication")
    );
}

#[test]
fn text_is_the_publication_shape_for_people() {
    let o = regional(&["--format", "text"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    for line in [
        "classification: West Midlands ethnicity standard",
        "residual share:",
        "disclosure:",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    // A category is indented under its group; a count the source gave only as a group says so.
    let asian = text
        .lines()
        .position(|l| l.starts_with("  Asian, Asian British"))
        .unwrap();
    assert!(
        text.lines().nth(asian + 1).unwrap().starts_with("    "),
        "{text}"
    );
    assert!(text.contains("(not known more finely)"), "{text}");
}

/// `aggregate` of a pupils table (`ethnicity` in the codes of `dfe-cbds`, `pupils` counts) at category level.
fn dfe_pupils(file: &str) -> [&str; 10] {
    [
        "aggregate",
        file,
        "--scheme",
        "dfe-cbds",
        "--column",
        "ethnicity",
        "--count-column",
        "pupils",
        "--to",
        "category",
    ]
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

/// Rates under a policy: each from the published counts, withheld where a count is.
#[test]
fn rates_under_a_policy_are_worked_out_from_published_counts_and_withheld_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "fsm.csv",
        "council,fsm,ethnicity,pupils\nBirmingham,1,WBRI,200\nBirmingham,0,WBRI,800\n\
         Birmingham,1,APKN,300\nBirmingham,0,APKN,450\nBirmingham,1,BCRB,3\nBirmingham,0,BCRB,40\n",
    );
    let args = |extra: &[&str]| {
        let rate = [
            "--rate-outcome",
            "fsm",
            "--rate-value",
            "1",
            "--publication",
        ];
        run(&[&dfe_pupils(&f)[..], &rate, extra].concat())
    };
    let exact = args(&[]);
    assert_eq!(exact.status.code(), Some(0), "{}", stderr(&exact));
    let published = args(&["--disclosure", "suppress:10"]);
    assert_eq!(published.status.code(), Some(0), "{}", stderr(&published));
    let (_, exact) = rows(&stdout(&exact));
    let (_, published) = rows(&stdout(&published));
    assert_eq!(exact.len(), published.len());
    let get = |t: &[Row], code: &str| {
        t.iter()
            .find(|r| r["ethnicity_code"] == code)
            .unwrap()
            .clone()
    };
    // 3 pupils: withheld, with every figure that would give it away.
    let c = get(&published, "black.caribbean");
    for col in [
        "value",
        "numerator",
        "denominator",
        "lower",
        "upper",
        "relative_rate",
    ] {
        assert_eq!(c[col], "c", "{col}: {c:?}");
    }
    // A rate is withheld with all its figures, or is the exact rate (suppression keeps the
    // counts it publishes exact); secondary suppression may withhold more than the small cell.
    let mut kept = 0;
    for (a, b) in exact.iter().zip(&published) {
        assert_eq!(a["ethnicity_code"], b["ethnicity_code"]);
        if b["numerator"] == "c" {
            assert_eq!(
                (&b["value"][..], &b["denominator"][..]),
                ("c", "c"),
                "{b:?}"
            );
            continue;
        }
        kept += 1;
        for col in ["value", "numerator", "denominator", "lower", "upper"] {
            assert_eq!(a[col], b[col], "{col}: {b:?}");
        }
        // A relative rate is withheld when the reference's counts are.
        assert!(
            b["relative_rate"] == a["relative_rate"] || b["relative_rate"] == "c",
            "{b:?}"
        );
    }
    assert!(kept > 0);
    let p = get(&exact, "asian.pakistani");
    assert_eq!(p["value_type"], "percentage");
    assert_eq!(p["value"], "40.000000");
    assert_eq!(p["relative_rate"], "2.000000");
    // Rounded counts give the rates of the rounded counts.
    let rounded = args(&["--disclosure", "round:5"]);
    assert_eq!(rounded.status.code(), Some(0), "{}", stderr(&rounded));
    let (_, rounded) = rows(&stdout(&rounded));
    let c = get(&rounded, "black.caribbean");
    // 3 of 43 pupils, published as 5 of 45.
    assert_eq!((&c["numerator"][..], &c["denominator"][..]), ("5", "45"));
    assert_eq!(c["value"], format!("{:.6}", 500.0 / 45.0));
    assert_eq!(c["status"], "from-published-counts");
}

#[test]
fn a_role_must_name_a_dimension_once() {
    let o = regional(&["--publication", "--role", "time=year"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a dimension of the table"),
        "{}",
        stderr(&o)
    );
    let o = regional(&["--publication", "--role", "era=council"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a role"), "{}", stderr(&o));
}

/// A file of pupils by age, one age per Census 2021 band: in band i, White British pupils 1 of
/// 4 FSM, Pakistani i+1 of 20.
fn pupils_by_age(dir: &Path) -> String {
    use std::fmt::Write as _;
    let esp = wm_ethnicity::StandardPopulation::esp2013();
    let mut text = "age,ethnicity,fsm,pupils\n".to_owned();
    for (i, (band, _)) in esp.weights.iter().enumerate() {
        let age: u64 = band
            .trim_end_matches('+')
            .split('-')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        writeln!(text, "{age},WBRI,1,1\n{age},WBRI,0,3").unwrap();
        writeln!(
            text,
            "{age},APKN,1,{}\n{age},APKN,0,{}",
            i + 1,
            20 - (i + 1)
        )
        .unwrap();
    }
    write(dir, "by-age.csv", &text)
}

/// The FSM rates of [`pupils_by_age`] age-standardised over the bands, as JSON (with `extra`
/// flags), checked against `schema`.
fn standardised(file: &str, extra: &[&str], schema: &str) -> serde_json::Value {
    let o = run(&[
        &dfe_pupils(file)[..],
        &[
            "--characteristic",
            "age=census-2021-age-18",
            "--group-by",
            "wm_age_band",
            "--rate-outcome",
            "fsm",
            "--rate-value",
            "1",
            "--age-standardise",
            "wm_age_band",
            "--format",
            "json",
        ],
        extra,
    ]
    .concat());
    assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
    assert_matches_schema(&stdout(&o), schema)
}

/// The row of `code` in a JSON document's rows.
fn row_of(v: &serde_json::Value, code: &str) -> serde_json::Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap()
        .clone()
}

/// The 2013 European Standard Population's weighted mean of `per_band(i)` over its bands.
#[allow(clippy::cast_precision_loss, reason = "18 bands")]
fn esp_mean(per_band: impl Fn(f64) -> f64) -> f64 {
    let esp = wm_ethnicity::StandardPopulation::esp2013();
    let total: f64 = esp.weights.iter().map(|(_, w)| w).sum();
    esp.weights
        .iter()
        .enumerate()
        .map(|(i, (_, w))| w * per_band(i as f64))
        .sum::<f64>()
        / total
}

/// Age-standardised rates on the command line (issue 13, item 2): ages read into Census 2021's
/// bands, rates of an outcome per band, then the 2013 European Standard Population's weighted
/// mean per ethnic category.
#[test]
fn age_standardised_rates_are_the_standard_s_weighted_mean_of_the_band_rates() {
    let dir = tempfile::tempdir().unwrap();
    let f = pupils_by_age(dir.path());
    let v = standardised(&f, &[], "output/rates.schema.json");
    assert!(
        v["standard_population"]
            .as_str()
            .unwrap()
            .contains("European Standard Population")
    );
    assert!(v.get("dimensions").is_none(), "{v}");
    let want = esp_mean(|i| (i + 1.0) / 20.0);
    let p = row_of(&v, "asian.pakistani");
    assert!(
        (p["value"].as_f64().unwrap() - want).abs() < 1e-12,
        "{p} {want}"
    );
    let w = row_of(&v, "white.british");
    assert!((w["value"].as_f64().unwrap() - 0.25).abs() < 1e-12, "{w}");
    assert!((p["ratio"].as_f64().unwrap() - want / 0.25).abs() < 1e-9);
}

/// Age-standardised rates under a disclosure policy: the band rates from the published counts,
/// then standardised; withheld when any band's count is.
#[test]
fn age_standardised_rates_under_a_policy_come_from_published_counts_and_are_withheld_with_a_band() {
    let dir = tempfile::tempdir().unwrap();
    let f = pupils_by_age(dir.path());
    let schema = "output/evidence.schema.json";
    // round:5: Pakistani band i's i+1 eligible of 20 published to the nearest 5, so the
    // standardised rate is the weighted mean of those rounded counts over 20, never the exact one.
    let v = standardised(&f, &["--disclosure", "round:5"], schema);
    assert!(
        v["metadata"]["standard_population"]
            .as_str()
            .is_some_and(|s| s.contains("European Standard Population")),
        "{}",
        v["metadata"]
    );
    let want = esp_mean(|i| ((i + 1.0) / 5.0).round() * 5.0 / 20.0);
    let exact = esp_mean(|i| (i + 1.0) / 20.0);
    let p = row_of(&v, "asian.pakistani");
    let value = p["value"].as_f64().unwrap();
    assert!((value - 100.0 * want).abs() < 1e-6, "{p} {want}");
    assert!((value - 100.0 * exact).abs() > 0.1, "{p} {exact}");
    assert_eq!(p["status"], "from-published-counts", "{p}");
    // suppress:3: White British's band counts of 1 are withheld, and with them its standardised
    // rate (the weights and the other bands would give a withheld count back); Pakistani's bands
    // of 1 and 2 eligible too.
    let v = standardised(&f, &["--disclosure", "suppress:3"], schema);
    for code in ["white.british", "asian.pakistani"] {
        let r = row_of(&v, code);
        assert_eq!(
            (r["value"].as_str(), r["status"].as_str()),
            (Some("c"), Some("withheld")),
            "{r}"
        );
    }
}
