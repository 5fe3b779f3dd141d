//! Generates `src/generated/standard.rs` from `schema/standard.yaml` and fails when the committed
//! file is stale. Regenerate with `WM_REGENERATE=1 cargo test codegen`.

use serde::Deserialize;
use std::fmt::Write as _;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StandardFile {
    version: String,
    groups: Vec<GroupRow>,
    categories: Vec<CategoryRow>,
    detailed: Vec<DetailedRow>,
    residuals: Vec<ResidualRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupRow {
    code: String,
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryRow {
    code: String,
    label: String,
    ons_label: String,
    group: String,
    ts021: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailedRow {
    code: String,
    label: String,
    section: String,
    category: String,
    placement: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResidualRow {
    code: String,
    label: String,
    definition: String,
}

/// `white.gypsy-irish-traveller` -> `WhiteGypsyIrishTraveller`.
fn variant(code: &str) -> String {
    code.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            let first = c.next().map(|f| f.to_ascii_uppercase()).unwrap_or_default();
            std::iter::once(first).chain(c).collect::<String>()
        })
        .collect()
}

fn index_of(codes: &[&str], code: &str, what: &str) -> usize {
    codes
        .iter()
        .position(|c| *c == code)
        .unwrap_or_else(|| panic!("{what} {code} is not defined in schema/standard.yaml"))
}

/// Emits one enum with its doc comments, `ALL`, `code()`, `label()` and `from_code()`.
fn emit_enum(out: &mut String, name: &str, doc: &str, rows: &[(&str, &str, String)]) {
    let n = rows.len();
    let _ = writeln!(out, "{doc}");
    let _ = writeln!(
        out,
        "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]"
    );
    let _ = writeln!(out, "pub enum {name} {{");
    for (code, _label, vdoc) in rows {
        let _ = writeln!(out, "    /// {vdoc}");
        let _ = writeln!(out, "    {},", variant(code));
    }
    let _ = writeln!(out, "}}\n");
    let _ = writeln!(out, "impl {name} {{");
    let _ = writeln!(out, "    /// Every value, in the standard's order.");
    let _ = writeln!(out, "    pub const ALL: [{name}; {n}] = [");
    for (code, _, _) in rows {
        let _ = writeln!(out, "        {name}::{},", variant(code));
    }
    let _ = writeln!(out, "    ];\n");
    let _ = writeln!(out, "    /// The standard's stable code.");
    let _ = writeln!(
        out,
        "    pub const fn code(self) -> &'static str {{\n        {}_CODES[self as usize]\n    }}\n",
        name.to_uppercase()
    );
    let _ = writeln!(out, "    /// The label.");
    let _ = writeln!(
        out,
        "    pub const fn label(self) -> &'static str {{\n        {}_LABELS[self as usize]\n    }}\n",
        name.to_uppercase()
    );
    let _ = writeln!(
        out,
        "    /// The value with this exact code, if any.\n    pub fn from_code(code: &str) -> Option<Self> {{\n        match code {{"
    );
    for (code, _, _) in rows {
        let _ = writeln!(
            out,
            "            {code:?} => Some({name}::{}),",
            variant(code)
        );
    }
    let _ = writeln!(out, "            _ => None,\n        }}\n    }}\n}}\n");
    emit_table(
        out,
        &format!("{}_CODES", name.to_uppercase()),
        "&str",
        rows.iter().map(|r| format!("{:?}", r.0)),
    );
    emit_table(
        out,
        &format!("{}_LABELS", name.to_uppercase()),
        "&str",
        rows.iter().map(|r| format!("{:?}", r.1)),
    );
}

fn emit_table(
    out: &mut String,
    name: &str,
    ty: &str,
    items: impl ExactSizeIterator<Item = String>,
) {
    let _ = writeln!(out, "pub(crate) const {name}: [{ty}; {}] = [", items.len());
    for item in items {
        let _ = writeln!(out, "    {item},");
    }
    let _ = writeln!(out, "];\n");
}

#[allow(clippy::too_many_lines)] // one straight sequence of emits, easier to read whole
pub(crate) fn generate(yaml: &str) -> String {
    let s: StandardFile = serde_saphyr::from_str(yaml).expect("schema/standard.yaml parses");
    let group_codes: Vec<&str> = s.groups.iter().map(|g| g.code.as_str()).collect();
    let category_codes: Vec<&str> = s.categories.iter().map(|c| c.code.as_str()).collect();
    let mut sections: Vec<&str> = Vec::new();
    for d in &s.detailed {
        if !sections.contains(&d.section.as_str()) {
            sections.push(&d.section);
        }
    }
    let mut out = String::new();
    out.push_str(
        "// @generated from schema/standard.yaml by tests/suite/codegen.rs. Do not edit by hand:\n\
         // change the YAML and run `WM_REGENERATE=1 cargo test codegen`.\n\n\
         #![cfg_attr(rustfmt, rustfmt::skip)]\n\
         #![allow(clippy::pedantic)]\n\n",
    );
    let _ = writeln!(
        out,
        "/// The version of the standard compiled into this crate; every output record carries it.\npub const STANDARD_VERSION: &str = {:?};\n",
        s.version
    );
    let rows: Vec<_> = s
        .groups
        .iter()
        .map(|g| (g.code.as_str(), g.label.as_str(), g.label.clone()))
        .collect();
    emit_enum(
        &mut out,
        "Group",
        "/// The five high-level ethnic groups (ONS Census 2021).",
        &rows,
    );
    let rows: Vec<_> = s
        .categories
        .iter()
        .map(|c| {
            (
                c.code.as_str(),
                c.label.as_str(),
                format!("{} (ONS TS021 code {})", c.ons_label, c.ts021),
            )
        })
        .collect();
    emit_enum(
        &mut out,
        "Category",
        "/// The 19 Census 2021 England and Wales tick-box categories (ONS TS021).",
        &rows,
    );
    emit_table(
        &mut out,
        "CATEGORY_ONS_LABELS",
        "&str",
        s.categories.iter().map(|c| format!("{:?}", c.ons_label)),
    );
    emit_table(
        &mut out,
        "CATEGORY_TS021",
        "u8",
        s.categories.iter().map(|c| c.ts021.to_string()),
    );
    emit_table(
        &mut out,
        "CATEGORY_GROUP",
        "Group",
        s.categories.iter().map(|c| {
            format!(
                "Group::{}",
                variant(group_codes[index_of(&group_codes, &c.group, "group")])
            )
        }),
    );
    let rows: Vec<_> = sections
        .iter()
        .map(|s| (*s, *s, format!("TS022 section `{s}`")))
        .collect();
    emit_enum(
        &mut out,
        "Section",
        "/// The six sections of the Census 2021 detailed classification (TS022): the part of the\n/// question a person answered in. Not the same as the five groups: Black is split in two.",
        &rows,
    );
    let rows: Vec<_> = s
        .detailed
        .iter()
        .map(|d| {
            (
                d.code.as_str(),
                d.label.as_str(),
                format!("{} (section {}, {})", d.label, d.section, d.placement),
            )
        })
        .collect();
    emit_enum(
        &mut out,
        "Detailed",
        "/// The 287 categories of the Census 2021 detailed classification (ONS TS022), each placed\n/// under one of the 19 categories (see the placement rule in schema/standard.yaml).",
        &rows,
    );
    emit_table(
        &mut out,
        "DETAILED_CATEGORY",
        "Category",
        s.detailed.iter().map(|d| {
            format!(
                "Category::{}",
                variant(category_codes[index_of(&category_codes, &d.category, "category")])
            )
        }),
    );
    emit_table(
        &mut out,
        "DETAILED_SECTION",
        "Section",
        s.detailed
            .iter()
            .map(|d| format!("Section::{}", variant(&d.section))),
    );
    emit_table(
        &mut out,
        "DETAILED_TICK_BOX",
        "bool",
        s.detailed.iter().map(|d| match d.placement.as_str() {
            "tick-box" => "true".to_owned(),
            "write-in" | "recoded" => "false".to_owned(),
            other => panic!("unknown placement {other} for {}", d.code),
        }),
    );
    let rows: Vec<_> = s
        .residuals
        .iter()
        .map(|r| (r.code.as_str(), r.label.as_str(), r.definition.clone()))
        .collect();
    emit_enum(
        &mut out,
        "Residual",
        "/// Values that are not ethnic groups: kept apart from them, never mixed up with each other.",
        &rows,
    );
    emit_table(
        &mut out,
        "RESIDUAL_DEFINITIONS",
        "&str",
        s.residuals.iter().map(|r| format!("{:?}", r.definition)),
    );
    out
}

#[test]
fn codegen_generated_standard_is_fresh() {
    let root = env!("CARGO_MANIFEST_DIR");
    let yaml = std::fs::read_to_string(format!("{root}/schema/standard.yaml")).unwrap();
    let generated = generate(&yaml);
    let path = format!("{root}/src/generated/standard.rs");
    if std::env::var_os("WM_REGENERATE").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "src/generated/standard.rs is stale against schema/standard.yaml: run `WM_REGENERATE=1 cargo test codegen` and commit"
    );
}
