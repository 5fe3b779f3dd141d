//! The standard and the schemes as FHIR R4 resources (`wm-ethnicity fhir`): the standard as a
//! `CodeSystem` (its hierarchy: groups, categories, detailed categories; the residuals beside
//! them), each scheme as a `CodeSystem` unless it has an official one ([`fhir_system`]: UK Core's
//! England and Wales ethnic category systems, SNOMED CT, CTV3), and each scheme's mapping into the
//! standard as a `ConceptMap`, gathered in one `Bundle` of type `collection`.
//!
//! Relationships become R4 `ConceptMap` equivalences, read from the source code's side as FHIR
//! defines them ("the target is wider than the source" is `wider`): equivalent -> `equivalent`;
//! narrower (the code is more specific than its node) -> `wider`; broader (the code is wider than
//! any category) -> its node, the lowest containing all its meanings, as `wider`, and each
//! candidate category as `narrower`, the likeliest said in its comment; residual -> `equivalent`
//! to the residual node. A code named after a nationality, a religion or a language is `inexact`.
//! Every judgement's note is the target's `comment`.

use crate::scheme::{Code, FhirStatus, Records, Relationship, Scheme, fhir_system};
use crate::standard::{Node, STANDARD_VERSION};
use serde_json::{Value, json};

/// The canonical URL of the standard's `CodeSystem`.
pub const STANDARD_SYSTEM: &str =
    "https://wm-ethnicity.example/fhir/CodeSystem/wm-ethnicity-standard";

/// The base of the canonical URLs of the crate's own resources.
const BASE: &str = "https://wm-ethnicity.example/fhir";

/// The `Coding.system` of a scheme's codes: its official code system, or the crate's.
pub fn scheme_system(s: &Scheme) -> String {
    fhir_system(&s.id).map_or_else(
        || format!("{BASE}/CodeSystem/{}", s.id),
        |f| f.url.to_owned(),
    )
}

/// A FHIR `id`: letters, digits, `-` and `.`, at most 64.
fn fhir_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect()
}

fn concept(n: Node) -> Value {
    let children: Vec<Value> = n.children().into_iter().map(concept).collect();
    let mut c = json!({
        "code": n.code(),
        "display": n.label(),
        "property": [{"code": "level", "valueCode": n.level().name()}],
    });
    if !children.is_empty() {
        c["concept"] = Value::Array(children);
    }
    c
}

/// The standard as a `CodeSystem`: every node, nested under its parent.
pub fn standard_code_system() -> Value {
    let top: Vec<Value> = Node::all()
        .filter(|n| n.parent().is_none())
        .map(concept)
        .collect();
    json!({
        "resourceType": "CodeSystem",
        "id": "wm-ethnicity-standard",
        "url": STANDARD_SYSTEM,
        "version": STANDARD_VERSION,
        "name": "WestMidlandsEthnicityStandard",
        "title": "West Midlands ethnicity data standard",
        "status": "draft",
        "experimental": false,
        "description": "The proposed West Midlands ethnicity data standard: 5 groups and the 19 categories of Census 2021 (England and Wales), the 287 detailed categories of the ONS 2021 detailed classification under them, and the residual values (declined, not obtained, not known, not applicable) beside them, which are not ethnic groups.",
        "caseSensitive": true,
        "hierarchyMeaning": "is-a",
        "content": "complete",
        "count": Node::all().count(),
        "property": [{
            "code": "level",
            "description": "group, category, detailed, or residual (not an ethnic group)",
            "type": "code",
        }],
        "concept": top,
    })
}

/// A scheme as a `CodeSystem` of its own (for a scheme without an official one).
pub fn scheme_code_system(s: &Scheme) -> Value {
    let concepts: Vec<Value> = s
        .codes()
        .iter()
        .map(|c| {
            let mut v = json!({"code": c.key(), "display": c.label});
            if let Some(note) = &c.note {
                v["definition"] = json!(note);
            }
            v
        })
        .collect();
    json!({
        "resourceType": "CodeSystem",
        "id": fhir_id(&s.id),
        "url": scheme_system(s),
        "version": s.version,
        "name": fhir_id(&s.id).replace(['-', '.'], ""),
        "title": s.name,
        "status": "active",
        "experimental": false,
        "publisher": s.authority,
        "description": format!("{} Transcribed by wm-ethnicity from {}: {}", s.name, s.source_url, s.source),
        "caseSensitive": s.case_sensitive,
        "content": "complete",
        "count": concepts.len(),
        "concept": concepts,
    })
}

fn target(n: Node, equivalence: &str, comment: Option<String>) -> Value {
    let mut t = json!({"code": n.code(), "display": n.label(), "equivalence": equivalence});
    if let Some(c) = comment {
        t["comment"] = json!(c);
    }
    t
}

/// The `ConceptMap` targets of one code.
fn targets(c: &Code) -> Vec<Value> {
    let m = &c.map;
    let note = m.note.clone();
    if let Some(r) = m.records {
        let what = match r {
            Records::Nationality => "a nationality",
            Records::Religion => "a religion",
            Records::Language => "a language",
        };
        let why = format!(
            "Named after {what}, not an ethnic group{}",
            note.map(|n| format!(": {n}")).unwrap_or_default()
        );
        return vec![target(m.target, "inexact", Some(why))];
    }
    match m.relationship {
        Relationship::Broader => {
            let mut out = vec![target(
                m.target,
                "wider",
                Some(format!(
                    "The lowest node of the standard that holds every meaning of the code{}",
                    note.map(|n| format!(": {n}")).unwrap_or_default()
                )),
            )];
            out.extend(m.candidates.iter().map(|&cat| {
                let likeliest = if m.most_likely == Some(cat) {
                    "; the documented likeliest"
                } else {
                    ""
                };
                target(
                    Node::Category(cat),
                    "narrower",
                    Some(format!(
                        "One of the categories the code may mean{likeliest}"
                    )),
                )
            }));
            out
        }
        Relationship::Narrower => {
            let why = note.unwrap_or_else(|| {
                "The code is more specific than this node, the finest that holds it".to_owned()
            });
            vec![target(m.target, "wider", Some(why))]
        }
        _ => vec![target(m.target, "equivalent", note)],
    }
}

/// A scheme's mapping into the standard as a `ConceptMap`.
pub fn scheme_concept_map(s: &Scheme) -> Value {
    let elements: Vec<Value> = s
        .codes()
        .iter()
        .map(|c| json!({"code": c.key(), "display": c.label, "target": targets(c)}))
        .collect();
    let official = fhir_system(&s.id);
    let retired = official.is_some_and(|f| f.status == FhirStatus::Retired);
    json!({
        "resourceType": "ConceptMap",
        "id": fhir_id(&format!("{}-to-standard", s.id)),
        "url": format!("{BASE}/ConceptMap/{}-to-standard", s.id),
        "version": STANDARD_VERSION,
        "name": format!("{}ToStandard", fhir_id(&s.id).replace(['-', '.'], "")),
        "title": format!("{} into the West Midlands ethnicity standard", s.name),
        "status": "draft",
        "experimental": false,
        "description": format!(
            "Each code of {} ({}) mapped into the West Midlands ethnicity standard {STANDARD_VERSION}, with the relationship and the reason for every judgement.{}",
            s.id,
            s.version,
            if retired { " The source code system is retired by its publisher: read old records with it, do not record new ones." } else { "" }
        ),
        "sourceUri": scheme_system(s),
        "targetUri": STANDARD_SYSTEM,
        "group": [{
            "source": scheme_system(s),
            "sourceVersion": official.map_or(s.version.as_str(), |f| f.version),
            "target": STANDARD_SYSTEM,
            "targetVersion": STANDARD_VERSION,
            "element": elements,
        }],
    })
}

/// Every resource for `schemes` (the standard's `CodeSystem`, a `CodeSystem` for each scheme
/// without an official one, a `ConceptMap` for each), as a `Bundle` of type `collection`.
pub fn fhir_bundle(schemes: &[&Scheme]) -> Value {
    let mut resources = vec![standard_code_system()];
    for s in schemes {
        if fhir_system(&s.id).is_none() {
            resources.push(scheme_code_system(s));
        }
        resources.push(scheme_concept_map(s));
    }
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let url = r["url"].clone();
            json!({"fullUrl": url, "resource": r})
        })
        .collect();
    json!({
        "resourceType": "Bundle",
        "id": "wm-ethnicity",
        "type": "collection",
        "entry": entries,
    })
}
