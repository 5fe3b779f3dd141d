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

fn describe(code: &Code) -> String {
    match &code.code {
        Some(c) => format!("{c} ({})", code.label),
        None => format!("'{}'", code.label),
    }
}

/// Expresses `mapping` (a source code's place in the standard) as a code of `to`.
pub fn encode<'a>(to: &'a Scheme, mapping: &Mapping) -> Encoded<'a> {
    let want = meaning(mapping);
    let want_width = width(&want);
    let best = to
        .codes()
        .iter()
        .filter(|c| covers(&meaning(&c.map), &want))
        .min_by_key(|c| {
            (
                width(&meaning(&c.map)),
                c.map.relationship != Relationship::Equivalent,
                c.parent.is_some(),
            )
        });
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
    if mapping.target == Node::Residual(Residual::NotObtained) {
        if let Some(code) = to
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
    }
    Encoded {
        code: None,
        loss: Loss::NoTarget,
        note: format!(
            "no code of {} contains `{}`{}",
            to.id,
            mapping.target,
            if mapping.relationship == Relationship::Broader {
                " and all its candidates"
            } else {
                ""
            }
        ),
    }
}

/// One row of a crosswalk table.
#[derive(Debug, Clone, Serialize)]
pub struct Row<'a> {
    /// The source code.
    pub from: &'a Code,
    /// Its place in the standard.
    pub via: Node,
    /// The target scheme's code, and the loss.
    pub to: Encoded<'a>,
}

/// Every code of `from`, expressed in `to`.
pub fn crosswalk<'a>(from: &'a Scheme, to: &'a Scheme) -> Vec<Row<'a>> {
    from.codes()
        .iter()
        .map(|c| Row {
            from: c,
            via: c.map.target,
            to: encode(to, &c.map),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::builtin;

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
    fn equivalent_codes_cross_without_loss() {
        let dfe = builtin("dfe-cbds").unwrap();
        let nhs = builtin("nhs-ethnic-category").unwrap();
        let e = encode(dfe, &nhs.get("J").unwrap().map);
        assert_eq!(e.code.and_then(|c| c.code.as_deref()), Some("APKN"));
        assert_eq!(e.loss, Loss::None);
    }
}
