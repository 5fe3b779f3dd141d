//! Crosswalk: any scheme to any other, through the standard, with the loss stated.
//!
//! A code's *meaning* is the set of standard nodes it may stand for: its target, or for a
//! broader code its candidate categories. A code of the target scheme *covers* a meaning when
//! each of its nodes lies inside one of the code's own nodes. [`encode`] picks the covering code
//! with the smallest meaning; anything wider than the source is a stated loss, never a silent one.

use crate::scheme::{Code, Mapping, Relationship, Scheme};
use crate::standard::{Category, Node, Residual};
use serde::Serialize;

/// What is lost going from a source code (or standard node) to a target scheme's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// Same meaning.
    None,
    /// The target code is wider than the source: detail is lost.
    Generalised,
    /// No single code contains the source's meaning, but each of its candidates has a code: the
    /// note lists them; a code is chosen only where the source documents its likeliest candidate.
    Ambiguous,
    /// No code of the target scheme contains the source's meaning.
    NoTarget,
}

/// A standard meaning expressed in another scheme.
#[derive(Debug, Clone, Serialize)]
pub struct Encoded<'a> {
    /// The chosen code, if one covers the meaning.
    pub code: Option<&'a Code>,
    /// What is lost.
    pub loss: Loss,
    /// A sentence a person understands, saying what was lost and why.
    pub note: String,
}

/// The nodes a mapping may stand for.
pub fn meaning(m: &Mapping) -> Vec<Node> {
    if m.relationship == Relationship::Broader {
        m.candidates.iter().map(|&c| Node::Category(c)).collect()
    } else {
        vec![m.target]
    }
}

/// How many finest nodes a meaning spans: a measure of width, to choose the narrowest code.
fn width(nodes: &[Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            Node::Group(g) => Category::ALL
                .into_iter()
                .filter(|c| c.group() == *g)
                .map(|c| Node::Category(c).children().len().max(1))
                .sum(),
            Node::Category(_) => n.children().len().max(1),
            Node::Detailed(_) | Node::Residual(_) => 1,
        })
        .sum()
}

fn covers(outer: &[Node], inner: &[Node]) -> bool {
    inner.iter().all(|i| outer.iter().any(|o| o.contains(*i)))
}

/// True when `to` divides category `node` between codes: a main code of `to` (one with no
/// parent) holds only part of it (`narrower`), as `DfE` `WIRT` (Traveller of Irish heritage) holds
/// part of Gypsy or Irish Traveller. Then a broader code listing the category as a candidate
/// (`DfE` `WROM`, Gypsy/Roma) holds only the rest of it, not all of it.
fn divided(to: &Scheme, node: Node) -> bool {
    matches!(node, Node::Category(_))
        && to.codes().iter().any(|c| {
            c.parent.is_none()
                && c.map.relationship == Relationship::Narrower
                && c.map.target == node
        })
}

/// Whether `code` of `to` holds every node of `want`.
fn code_covers(to: &Scheme, code: &Code, want: &[Node]) -> bool {
    let own = meaning(&code.map);
    // The same meaning is the same code (WROM is WROM), divided or not.
    if own == want {
        return true;
    }
    if code.map.relationship == Relationship::Broader {
        let whole: Vec<Node> = own.into_iter().filter(|n| !divided(to, *n)).collect();
        covers(&whole, want)
    } else {
        covers(&own, want)
    }
}

/// The main codes of `to` that each hold part of `node`, where no one code holds it all (the
/// category is [`divided`]): `DfE` `WIRT` and `WROM` for Gypsy or Irish Traveller.
fn parts(to: &Scheme, node: Node) -> Vec<&Code> {
    to.codes()
        .iter()
        .filter(|c| c.parent.is_none() && c.status == crate::scheme::Status::Active)
        .filter(|c| {
            meaning(&c.map)
                .iter()
                .any(|m| m.contains(node) || node.contains(*m))
        })
        .collect()
}

/// The codes of `to` that may hold `node`: the narrowest one holding all of it, or else the
/// parts of a divided category (two or more).
fn holders(to: &Scheme, node: Node) -> Option<Vec<&Code>> {
    if let Some(c) = narrowest_cover(to, &[node]) {
        return Some(vec![c]);
    }
    let p = parts(to, node);
    (divided(to, node) && p.len() > 1).then_some(p)
}

fn describe(code: &Code) -> String {
    match &code.code {
        Some(c) => format!("{c} ({})", code.label),
        None => format!("'{}'", code.label),
    }
}

/// Expresses `mapping` (a source code's place in the standard) as a code of `to`, the source being
/// self-defined ethnicity (what the person said: every scheme but police IC, and the standard).
/// Into an officer-observed scheme this is refused ([`Loss::NoTarget`], the note says why): an
/// observation records appearance, not identity, and no code of it means what the person said.
pub fn encode<'a>(to: &'a Scheme, mapping: &Mapping) -> Encoded<'a> {
    if to.observed {
        return Encoded {
            code: None,
            loss: Loss::NoTarget,
            note: format!(
                "{} records what an officer observed (appearance), not a person's own ethnicity: \
                 a self-defined value is not carried into it",
                to.id
            ),
        };
    }
    encode_observed(to, mapping)
}

/// [`encode`] for a source that is itself officer-observed (police IC): carried into any scheme
/// with the loss stated, the record saying it was observed (`Converted::observed`).
pub fn encode_observed<'a>(to: &'a Scheme, mapping: &Mapping) -> Encoded<'a> {
    let want = meaning(mapping);
    let want_width = width(&want);
    let best = narrowest_cover(to, &want);
    if let Some(code) = best {
        let w = width(&meaning(&code.map));
        if w == want_width && mapping.relationship != Relationship::Narrower {
            return Encoded {
                code: Some(code),
                loss: Loss::None,
                note: String::new(),
            };
        }
        let note = if w == want_width {
            format!(
                "the source code is more specific than the standard's `{}`; {} {} keeps only that",
                mapping.target,
                to.id,
                describe(code)
            )
        } else {
            format!(
                "{} has no code for `{}`; falls to {}, which is wider",
                to.id,
                mapping.target,
                describe(code)
            )
        };
        return Encoded {
            code: Some(code),
            loss: Loss::Generalised,
            note,
        };
    }
    // Residuals: "not obtained" may be carried as "not known" where a scheme has no such code.
    if mapping.target == Node::Residual(Residual::NotObtained)
        && let Some(code) = to
            .codes()
            .iter()
            .find(|c| c.map.target == Node::Residual(Residual::NotKnown))
    {
        return Encoded {
            code: Some(code),
            loss: Loss::Generalised,
            note: format!(
                "{} has no 'not obtained' code; carried as {}",
                to.id,
                describe(code)
            ),
        };
    }
    if let Some(e) = ambiguous(to, mapping) {
        return e;
    }
    Encoded {
        code: None,
        loss: Loss::NoTarget,
        note: format!("no code of {} contains `{}`", to.id, mapping.target),
    }
}

/// No single code of `to` covers the meaning, but each candidate (for a broader source) or each
/// part of a category `to` divides (any source) has codes: [`Loss::Ambiguous`], listing them, with
/// the code of the documented likeliest candidate where it has a single one.
fn ambiguous<'a>(to: &'a Scheme, mapping: &Mapping) -> Option<Encoded<'a>> {
    // No single code covers it, but each candidate (for a broader source) or each part of a
    // category the target scheme divides (any source) has codes.
    let per_candidate: Option<Vec<(Option<Category>, Vec<&Code>)>> =
        if mapping.relationship == Relationship::Broader {
            mapping
                .candidates
                .iter()
                .map(|&cat| holders(to, Node::Category(cat)).map(|c| (Some(cat), c)))
                .collect()
        } else {
            holders(to, mapping.target)
                .filter(|p| p.len() > 1)
                .map(|p| vec![(None, p)])
        };
    let choices = per_candidate?;
    let mut listed: Vec<String> = Vec::new();
    for c in choices.iter().flat_map(|(_, codes)| codes) {
        let d = describe(c);
        if !listed.contains(&d) {
            listed.push(d);
        }
    }
    let chosen = mapping.most_likely.and_then(|m| {
        choices
            .iter()
            .find(|(cat, _)| *cat == Some(m))
            .and_then(|(_, codes)| (codes.len() == 1).then(|| codes[0]))
    });
    let note = match chosen {
        Some(c) => format!(
            "no single {} code holds `{}`: it could be {}; {} is the documented likeliest",
            to.id,
            mapping.target,
            listed.join(" or "),
            describe(c)
        ),
        None => format!(
            "no single {} code holds `{}`: it could be {}; no likeliest is documented",
            to.id,
            mapping.target,
            listed.join(" or ")
        ),
    };
    Some(Encoded {
        code: chosen,
        loss: Loss::Ambiguous,
        note,
    })
}

/// The narrowest code of `to` whose meaning covers `want`. A `narrower` code holds only part of
/// its target, so it never covers anything: choosing it would claim detail the source lacks.
fn narrowest_cover<'a>(to: &'a Scheme, want: &[Node]) -> Option<&'a Code> {
    to.codes()
        .iter()
        .filter(|c| c.map.relationship != Relationship::Narrower && code_covers(to, c, want))
        .min_by_key(|c| {
            (
                width(&meaning(&c.map)),
                c.map.relationship != Relationship::Equivalent,
                c.parent.is_some(),
            )
        })
}

/// One row of a crosswalk table.
#[derive(Debug, Clone, Serialize)]
pub struct CrosswalkRow<'a> {
    /// The source code.
    pub from: &'a Code,
    /// Its place in the standard.
    pub via: Node,
    /// The target scheme's code, and the loss.
    pub to: Encoded<'a>,
}

/// Every code of `from`, expressed in `to` ([`encode`], or [`encode_observed`] when `from` is
/// officer-observed).
pub fn crosswalk<'a>(from: &'a Scheme, to: &'a Scheme) -> Vec<CrosswalkRow<'a>> {
    let into = if from.observed {
        encode_observed
    } else {
        encode
    };
    from.codes()
        .iter()
        .map(|c| CrosswalkRow {
            from: c,
            via: c.map.target,
            to: into(to, &c.map),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::{BUILTIN_IDS, builtin_scheme as builtin};

    #[test]
    fn dfe_wirt_falls_to_nhs_c_with_the_loss_stated() {
        let dfe = builtin("dfe-cbds").unwrap();
        let nhs = builtin("nhs-ethnic-category").unwrap();
        let e = encode(nhs, &dfe.get("WIRT").unwrap().map);
        assert_eq!(e.code.and_then(|c| c.code.as_deref()), Some("C"));
        assert_eq!(e.loss, Loss::Generalised);
        assert!(e.note.contains("wider"), "{}", e.note);
    }

    #[test]
    fn a_broader_code_lists_its_choices_and_takes_only_a_documented_likeliest() {
        let nhs = builtin("nhs-ethnic-category").unwrap();
        let dfe = builtin("dfe-cbds").unwrap();
        let e = encode(dfe, &nhs.get("C").unwrap().map);
        assert_eq!(e.loss, Loss::Ambiguous);
        assert_eq!(e.code.and_then(|c| c.code.as_deref()), Some("WOTH"));
        // C's candidate Gypsy or Irish Traveller is divided in DfE between WIRT (Irish
        // Travellers) and WROM (Gypsies, with Roma): both are listed.
        for code in ["WIRT", "WROM", "WROR", "WOTH"] {
            assert!(e.note.contains(code), "{code}: {}", e.note);
        }
        let ic = builtin("police-ic").unwrap();
        let e = encode(nhs, &ic.get("IC1").unwrap().map);
        assert_eq!(e.loss, Loss::Ambiguous);
        assert!(e.code.is_none());
        assert!(e.note.contains("no likeliest"), "{}", e.note);
    }

    fn all_crosswalks() -> impl Iterator<Item = (&'static Scheme, CrosswalkRow<'static>)> {
        BUILTIN_IDS.into_iter().flat_map(|a| {
            BUILTIN_IDS.into_iter().flat_map(move |b| {
                let (from, to) = (builtin(a).unwrap(), builtin(b).unwrap());
                crosswalk(from, to).into_iter().map(move |r| (from, r))
            })
        })
    }

    #[test]
    fn not_known_refused_or_not_obtained_is_never_does_not_apply() {
        // ONS -8 is outside the table's population, not an unknown ethnic group; ONS 2021 has no
        // code for the unknown (census answers are imputed), so these have no target there.
        let ons = builtin("ons-2021-ew").unwrap();
        for (id, code) in [
            ("nhs-ethnic-category", "99"),
            ("nhs-ethnic-category", "Z"),
            ("hesa", "997"),
            ("hesa", "998"),
            ("hesa", "999"),
            ("police-ic", "IC9"),
            ("police-sde", "NS"),
            ("dfe-cbds", "NOBT"),
            ("dfe-cbds", "REFU"),
        ] {
            let e = encode(ons, &builtin(id).unwrap().get(code).unwrap().map);
            assert_eq!(
                (e.code.map(Code::key), e.loss),
                (None, Loss::NoTarget),
                "{id} {code}"
            );
        }
    }

    #[test]
    fn a_residual_crosses_only_to_the_same_residual() {
        // Declined, not obtained, not known and does not apply are different facts: a residual
        // source gets the same residual, or (stated) not known for not obtained, or nothing.
        for (from, r) in all_crosswalks() {
            let Node::Residual(want) = r.via else {
                continue;
            };
            let Some(code) = r.to.code else { continue };
            let ok = match (want, code.map.target) {
                (a, Node::Residual(b)) if a == b => r.to.loss == Loss::None,
                (Residual::NotObtained, Node::Residual(Residual::NotKnown)) => {
                    r.to.loss == Loss::Generalised
                }
                _ => false,
            };
            assert!(
                ok,
                "{} {} -> {} ({:?})",
                from.id,
                r.from.key(),
                code.key(),
                r.to.loss
            );
        }
    }

    #[test]
    fn gypsy_or_irish_traveller_is_wirt_or_wrom_not_wrom() {
        // DfE divides the category: WIRT holds Irish Travellers, WROM Gypsies (with Roma). A
        // source that does not say which is ambiguous between them, not Gypsy/Roma.
        let dfe = builtin("dfe-cbds").unwrap();
        for (id, code) in [("police-sde", "W3"), ("hesa", "163"), ("ons-2021-ew", "15")] {
            let e = encode(dfe, &builtin(id).unwrap().get(code).unwrap().map);
            assert_eq!(
                (e.loss, e.code.map(Code::key)),
                (Loss::Ambiguous, None),
                "{id} {code}"
            );
            assert!(
                e.note.contains("WIRT") && e.note.contains("WROM"),
                "{id} {code}: {}",
                e.note
            );
        }
        // WROM itself still crosses to DfE as WROM. WIRT (narrower: part of the category, the
        // standard keeps no finer node) was WROM, a disjoint group; now it is ambiguous too.
        let e = encode(dfe, &dfe.get("WROM").unwrap().map);
        assert_eq!((e.code.map(Code::key), e.loss), (Some("WROM"), Loss::None));
        let e = encode(dfe, &dfe.get("WIRT").unwrap().map);
        assert_eq!((e.code.map(Code::key), e.loss), (None, Loss::Ambiguous));
    }

    #[test]
    fn self_defined_never_becomes_officer_observed() {
        let ic = builtin("police-ic").unwrap();
        for id in BUILTIN_IDS.into_iter().filter(|id| *id != "police-ic") {
            for r in crosswalk(builtin(id).unwrap(), ic) {
                assert_eq!(r.to.loss, Loss::NoTarget, "{id} {}", r.from.key());
                assert!(r.to.code.is_none(), "{id} {}", r.from.key());
                assert!(r.to.note.contains("observed"), "{}", r.to.note);
            }
        }
        // Police W1 (self-defined White British) in particular: not IC1.
        let sde = builtin("police-sde").unwrap();
        assert!(encode(ic, &sde.get("W1").unwrap().map).code.is_none());
        // An observed code still crosses to itself, and into self-defined schemes.
        for r in crosswalk(ic, ic) {
            assert_eq!(r.to.loss, Loss::None, "{}", r.from.key());
        }
        let e = encode_observed(sde, &ic.get("IC3").unwrap().map);
        assert_eq!(e.loss, Loss::Ambiguous);
    }

    #[test]
    fn equivalent_codes_cross_without_loss() {
        let dfe = builtin("dfe-cbds").unwrap();
        let nhs = builtin("nhs-ethnic-category").unwrap();
        let e = encode(dfe, &nhs.get("J").unwrap().map);
        assert_eq!(e.code.and_then(|c| c.code.as_deref()), Some("APKN"));
        assert_eq!(e.loss, Loss::None);
    }
}
