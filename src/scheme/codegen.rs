//! Generates `src/generated/schemes.rs` (the table of built-in schemes: each one's id, YAML text
//! and compiled-in data) from `schema/schemes/*.yaml` with the crate's own YAML loader, and fails
//! when the committed file is stale or when a built-in scheme differs in any way from what its
//! YAML loads as. Every file in `schema/schemes/` is a built-in scheme: adding one is the file
//! plus `WM_REGENERATE=1 cargo test codegen`.

use super::{Code, Mapping, RawScheme, Scheme, baked, yaml};
use crate::date::Date;
use crate::standard::Node;
use std::fmt::Write as _;

/// The order the built-in schemes are listed in (`wm-ethnicity schemes`, `Registry::ids`, the
/// other schemes validation names) as it was before the table was generated. A scheme file not
/// named here comes after these, in id order; naming it here only moves it up the list.
const LISTED_FIRST: [&str; 16] = [
    "ons-2001-ew",
    "ons-2011-ew",
    "ons-2021-ew",
    "ons-2021-ew-detailed",
    "nhs-ethnic-category",
    "nhs-ethnic-category-extended",
    "nhs-wales-ethnic-category",
    "nhs-scotland-ethnic-group",
    "dfe-cbds",
    "police-sde",
    "police-ic",
    "hesa",
    "housing-core",
    "housing-core-ethnic-group",
    "scotland-2022",
    "ni-2021",
];

/// Every `schema/schemes/<id>.yaml` as (id, text), in the listed order.
fn scheme_files() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/schemes");
    let mut ids: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .map(|name| match name.strip_suffix(".yaml") {
            Some(id) => id.to_owned(),
            None => panic!("schema/schemes/{name}: every file there is a scheme, named <id>.yaml"),
        })
        .collect();
    for id in LISTED_FIRST {
        assert!(
            ids.iter().any(|i| i == id),
            "LISTED_FIRST names `{id}`, but there is no schema/schemes/{id}.yaml"
        );
    }
    ids.sort_by_key(|id| {
        let listed = LISTED_FIRST.iter().position(|f| f == id);
        (listed.unwrap_or(LISTED_FIRST.len()), id.clone())
    });
    ids.into_iter()
        .map(|id| {
            let text = std::fs::read_to_string(format!("{dir}/{id}.yaml")).unwrap();
            (id, text)
        })
        .collect()
}

/// What the YAML loader makes of a built-in scheme's file.
fn load(id: &str, text: &str) -> Scheme {
    let file = format!("schema/schemes/{id}.yaml");
    let raw: RawScheme = yaml::parse(text, &file).unwrap_or_else(|e| panic!("{e}"));
    raw.build(&file, &|_| None)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn opt_str(s: Option<&str>) -> String {
    s.map_or_else(|| "None".to_owned(), |s| format!("Some({s:?})"))
}

fn date(d: Option<Date>) -> String {
    let Some(d) = d else {
        return "None".to_owned();
    };
    let text = d.to_string();
    let mut parts = text.split('-').map(|p| p.parse::<u16>().unwrap());
    let (y, m, day) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    format!("Some(({y}, {m}, {day}))")
}

/// `Category(WhiteIrish)` -> `Node::Category(Category::WhiteIrish)`.
fn node(n: Node) -> String {
    let debug = format!("{n:?}");
    let (kind, rest) = debug.split_once('(').unwrap();
    format!("Node::{kind}({kind}::{rest}")
}

/// A mapping as a `BakedMap` literal, indented for a field of a `BakedCode`.
fn mapping(m: &Mapping) -> String {
    let candidates: Vec<String> = m
        .candidates
        .iter()
        .map(|c| format!("Category::{c:?}"))
        .collect();
    let most_likely = m
        .most_likely
        .map_or_else(|| "None".to_owned(), |c| format!("Some(Category::{c:?})"));
    let records = m
        .records
        .map_or_else(|| "None".to_owned(), |r| format!("Some(Records::{r:?})"));
    format!(
        "BakedMap {{\n                    rel: Relationship::{:?},\n                    to: {},\n                    candidates: &[{}],\n                    most_likely: {most_likely},\n                    note: {},\n                    records: {records},\n                }}",
        m.relationship,
        node(m.target),
        candidates.join(", "),
        opt_str(m.note.as_deref())
    )
}

fn code(out: &mut String, c: &Code) {
    let _ = writeln!(out, "            BakedCode {{");
    let _ = writeln!(out, "                code: {},", opt_str(c.code.as_deref()));
    let _ = writeln!(out, "                label: {:?},", c.label);
    let _ = writeln!(
        out,
        "                parent: {},",
        opt_str(c.parent.as_deref())
    );
    let _ = writeln!(out, "                valid_from: {},", date(c.valid_from));
    let _ = writeln!(out, "                valid_to: {},", date(c.valid_to));
    let _ = writeln!(out, "                status: Status::{:?},", c.status);
    let _ = writeln!(out, "                note: {},", opt_str(c.note.as_deref()));
    let _ = writeln!(out, "                map: {},", mapping(&c.map));
    let _ = writeln!(
        out,
        "                local: {},",
        c.local
            .as_ref()
            .map_or_else(|| "None".to_owned(), |m| format!("Some({})", mapping(m)))
    );
    let _ = writeln!(out, "            }},");
}

/// A scheme's publications and published labels as `BakedPublication` and `BakedPublished`
/// literals.
fn publications(out: &mut String, s: &Scheme) {
    let _ = writeln!(out, "        publications: &[");
    for p in &s.publications {
        let _ = writeln!(
            out,
            "            BakedPublication {{\n                id: {:?},\n                name: {:?},\n                url: {:?},\n                date: {:?},\n                source: {:?},\n                heading_prefix: {},\n                code_labels: {},\n            }},",
            p.id,
            p.name,
            p.url,
            p.date,
            p.source,
            opt_str(p.heading_prefix.as_deref()),
            p.code_labels
        );
    }
    let _ = writeln!(out, "        ],");
    let _ = writeln!(out, "        published: &[");
    for p in &s.published {
        let ids: Vec<String> = p.publications.iter().map(|i| format!("{i:?}")).collect();
        let _ = writeln!(
            out,
            "            BakedPublished {{\n                label: {:?},\n                publications: &[{}],\n                code: {},\n                map: {},\n                note: {},\n            }},",
            p.label,
            ids.join(", "),
            opt_str(p.code.as_deref()),
            mapping(&p.map),
            opt_str(p.note.as_deref())
        );
    }
    let _ = writeln!(out, "        ],");
}

fn generate() -> String {
    let mut out = String::from(
        "// @generated from schema/schemes/*.yaml by src/scheme/codegen.rs. Do not edit by hand:\n\
         // change the YAML and run `WM_REGENERATE=1 cargo test codegen`.\n\
         //\n\
         // The table of built-in schemes, one entry per file: its id, its YAML text as shipped and\n\
         // its data compiled in (so using a scheme costs no YAML parsing). Everything that lists\n\
         // the built-in schemes reads this table.\n\n\
         #![cfg_attr(rustfmt, rustfmt::skip)]\n\
         #![allow(clippy::pedantic, unused_imports)]\n\n\
         use super::{BakedCode, BakedMap, BakedPublication, BakedPublished, BakedScheme, KeyedBy, Records, Relationship, Status};\n\
         use crate::standard::{Category, Detailed, Group, Node, Residual};\n\n",
    );
    let files = scheme_files();
    let _ = writeln!(
        out,
        "/// Every built-in scheme, in the order they are listed.\n\
         pub(super) static SCHEMES: [BakedScheme; {}] = [",
        files.len()
    );
    for (id, text) in &files {
        let s = load(id, text);
        assert_eq!(
            &s.id, id,
            "schema/schemes/{id}.yaml: a built-in scheme's file is named after its id"
        );
        assert!(s.extends.is_none(), "a built-in scheme extends nothing");
        let _ = writeln!(out, "    BakedScheme {{");
        let _ = writeln!(out, "        id: {:?},", s.id);
        let _ = writeln!(
            out,
            "        yaml: include_str!(\"../../schema/schemes/{id}.yaml\"),"
        );
        let _ = writeln!(out, "        name: {:?},", s.name);
        let _ = writeln!(out, "        authority: {:?},", s.authority);
        let _ = writeln!(out, "        version: {:?},", s.version);
        let _ = writeln!(out, "        valid_from: {},", date(s.valid_from));
        let _ = writeln!(out, "        valid_to: {},", date(s.valid_to));
        let _ = writeln!(out, "        source_url: {:?},", s.source_url);
        let _ = writeln!(out, "        source: {:?},", s.source);
        let _ = writeln!(out, "        keyed_by: KeyedBy::{:?},", s.keyed_by);
        let _ = writeln!(out, "        observed: {},", s.observed);
        let _ = writeln!(
            out,
            "        local_second_character: {},",
            s.local_second_character
        );
        let _ = writeln!(out, "        case_sensitive: {},", s.case_sensitive);
        let _ = writeln!(out, "        codes: &[");
        for c in &s.codes {
            code(&mut out, c);
        }
        let _ = writeln!(out, "        ],");
        publications(&mut out, &s);
        let _ = writeln!(out, "    }},");
    }
    out.push_str("];\n");
    out
}

#[test]
fn codegen_generated_schemes_are_fresh() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/generated/schemes.rs");
    let generated = generate();
    if std::env::var_os("WM_REGENERATE").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "src/generated/schemes.rs is stale against schema/schemes/*.yaml: run \
         `WM_REGENERATE=1 cargo test codegen` and commit"
    );
}

#[test]
fn builtin_schemes_are_what_their_yaml_loads_as() {
    for baked in &baked::SCHEMES {
        let id = baked.id;
        let want = load(id, baked.yaml);
        let got = baked.build();
        assert_eq!(
            serde_json::to_value(&got).unwrap(),
            serde_json::to_value(&want).unwrap(),
            "{id}"
        );
        for (g, w) in got.codes.iter().zip(&want.codes) {
            assert_eq!(g.map, w.map, "{id} {}", w.key());
            assert_eq!(
                (g.valid_from, g.valid_to, g.status),
                (w.valid_from, w.valid_to, w.status)
            );
        }
        assert_eq!(got.by_key, want.by_key, "{id}");
        assert_eq!(got.by_label, want.by_label, "{id}");
        assert_eq!(got.by_published, want.by_published, "{id}");
        assert_eq!(
            (&got.publications, &got.published),
            (&want.publications, &want.published),
            "{id}"
        );
        assert_eq!(got.by_listed, want.by_listed, "{id}");
        assert_eq!(got.by_short, want.by_short, "{id}");
        assert_eq!(got.listed_normal, want.listed_normal, "{id}");
    }
}
