//! The standard: a tree of groups, categories and detailed categories, plus residual values.
//!
//! The types are generated from `schema/standard.yaml` (see `src/generated/standard.rs`); this
//! module adds the tree: parents, ancestors, children, roll-up and lowest common ancestor.

#[rustfmt::skip]
#[path = "generated/standard.rs"]
mod generated;

pub use generated::{Category, Detailed, Group, Residual, STANDARD_VERSION, Section};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

impl Category {
    /// The group this category belongs to.
    pub const fn group(self) -> Group {
        generated::CATEGORY_GROUP[self as usize]
    }

    /// The ONS TS021 code (1 to 19) of this category.
    pub const fn ts021(self) -> u8 {
        generated::CATEGORY_TS021[self as usize]
    }

    /// The full ONS output label, e.g. `"Asian, Asian British or Asian Welsh: Pakistani"`.
    pub const fn ons_label(self) -> &'static str {
        generated::CATEGORY_ONS_LABELS[self as usize]
    }
}

impl Detailed {
    /// The category this detailed category is placed under.
    pub const fn category(self) -> Category {
        generated::DETAILED_CATEGORY[self as usize]
    }

    /// The TS022 section the person answered in.
    pub const fn section(self) -> Section {
        generated::DETAILED_SECTION[self as usize]
    }

    /// True when the label is the section's tick-box answer; false for a write-in.
    pub const fn is_tick_box(self) -> bool {
        generated::DETAILED_TICK_BOX[self as usize]
    }
}

impl Residual {
    /// Every residual value's label, in lower case, joined by commas ("declined, not obtained,
    /// ..."): for messages that say what counts as residual.
    pub fn all_named() -> String {
        Residual::ALL
            .iter()
            .map(|r| r.label().to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// What the residual value means and when to use it.
    pub const fn definition(self) -> &'static str {
        generated::RESIDUAL_DEFINITIONS[self as usize]
    }
}

/// The level of a node in the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// One of the 5 groups.
    Group,
    /// One of the 19 categories.
    Category,
    /// One of the detailed categories.
    Detailed,
    /// Not an ethnic group: declined, not obtained, not known.
    Residual,
}

impl Level {
    /// Every level, coarse to fine, then residual.
    pub const ALL: [Level; 4] = [
        Level::Group,
        Level::Category,
        Level::Detailed,
        Level::Residual,
    ];

    /// The level's name as used in flags and output (`group`, `category`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Level::Group => "group",
            Level::Category => "category",
            Level::Detailed => "detailed",
            Level::Residual => "residual",
        }
    }

    /// The level named `name`, if any.
    pub fn from_name(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.name() == name)
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Any node of the standard. Serialises as its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A group.
    Group(Group),
    /// A category.
    Category(Category),
    /// A detailed category.
    Detailed(Detailed),
    /// A residual value.
    Residual(Residual),
}

impl Node {
    /// The node with this exact code (`white`, `white.irish`, `white/polish`, `declined`).
    pub fn from_code(code: &str) -> Option<Node> {
        Group::from_code(code)
            .map(Node::Group)
            .or_else(|| Category::from_code(code).map(Node::Category))
            .or_else(|| Detailed::from_code(code).map(Node::Detailed))
            .or_else(|| Residual::from_code(code).map(Node::Residual))
    }

    /// Every node whose label matches `label`, ignoring case and surrounding spaces. Labels are
    /// not unique (the same write-in appears in several TS022 sections), so this returns all.
    /// A category also matches its full ONS label.
    pub fn from_label(label: &str) -> Vec<Node> {
        let want = label.trim();
        Node::all()
            .filter(|n| {
                n.label().eq_ignore_ascii_case(want)
                    || matches!(n, Node::Category(c) if c.ons_label().eq_ignore_ascii_case(want))
            })
            .collect()
    }

    /// Every node: groups, categories, detailed, residuals.
    pub fn all() -> impl Iterator<Item = Node> {
        Group::ALL
            .into_iter()
            .map(Node::Group)
            .chain(Category::ALL.into_iter().map(Node::Category))
            .chain(Detailed::ALL.into_iter().map(Node::Detailed))
            .chain(Residual::ALL.into_iter().map(Node::Residual))
    }

    /// The stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Node::Group(g) => g.code(),
            Node::Category(c) => c.code(),
            Node::Detailed(d) => d.code(),
            Node::Residual(r) => r.code(),
        }
    }

    /// The label.
    pub const fn label(self) -> &'static str {
        match self {
            Node::Group(g) => g.label(),
            Node::Category(c) => c.label(),
            Node::Detailed(d) => d.label(),
            Node::Residual(r) => r.label(),
        }
    }

    /// The level.
    pub const fn level(self) -> Level {
        match self {
            Node::Group(_) => Level::Group,
            Node::Category(_) => Level::Category,
            Node::Detailed(_) => Level::Detailed,
            Node::Residual(_) => Level::Residual,
        }
    }

    /// True for residual values (not an ethnic group).
    pub const fn is_residual(self) -> bool {
        matches!(self, Node::Residual(_))
    }

    /// The parent node; `None` for groups and residuals (they are roots).
    pub const fn parent(self) -> Option<Node> {
        match self {
            Node::Group(_) | Node::Residual(_) => None,
            Node::Category(c) => Some(Node::Group(c.group())),
            Node::Detailed(d) => Some(Node::Category(d.category())),
        }
    }

    /// The ancestors, nearest first (parent, then grandparent).
    pub fn ancestors(self) -> impl Iterator<Item = Node> {
        std::iter::successors(self.parent(), |n| n.parent())
    }

    /// The direct children, in the standard's order.
    pub fn children(self) -> Vec<Node> {
        match self {
            Node::Group(g) => Category::ALL
                .into_iter()
                .filter(|c| c.group() == g)
                .map(Node::Category)
                .collect(),
            Node::Category(c) => Detailed::ALL
                .into_iter()
                .filter(|d| d.category() == c)
                .map(Node::Detailed)
                .collect(),
            Node::Detailed(_) | Node::Residual(_) => Vec::new(),
        }
    }

    /// The group of an ethnic node; `None` for residuals.
    pub const fn group(self) -> Option<Group> {
        match self {
            Node::Group(g) => Some(g),
            Node::Category(c) => Some(c.group()),
            Node::Detailed(d) => Some(d.category().group()),
            Node::Residual(_) => None,
        }
    }

    /// The category, when the node is a category or finer.
    pub const fn category(self) -> Option<Category> {
        match self {
            Node::Category(c) => Some(c),
            Node::Detailed(d) => Some(d.category()),
            Node::Group(_) | Node::Residual(_) => None,
        }
    }

    /// The detailed category, when the node is one.
    pub const fn detailed(self) -> Option<Detailed> {
        match self {
            Node::Detailed(d) => Some(d),
            _ => None,
        }
    }

    /// This node rolled up to `level`: itself if it is already at or above it (a roll-up never
    /// invents granularity). Residuals stay residuals.
    #[must_use]
    pub fn roll_up(self, level: Level) -> Node {
        match (self, level) {
            (Node::Detailed(d), Level::Category) => Node::Category(d.category()),
            (Node::Detailed(d), Level::Group) => Node::Group(d.category().group()),
            (Node::Category(c), Level::Group) => Node::Group(c.group()),
            _ => self,
        }
    }

    /// True when `self` is `other` or one of its ancestors.
    pub fn contains(self, other: Node) -> bool {
        self == other || other.ancestors().any(|a| a == self)
    }

    /// The lowest node that contains every node given; `None` when the set is empty, mixes
    /// residuals with anything else, or spans several groups (the standard has no root above the
    /// groups).
    pub fn lowest_common_ancestor(nodes: impl IntoIterator<Item = Node>) -> Option<Node> {
        let mut nodes = nodes.into_iter();
        let mut acc = nodes.next()?;
        for n in nodes {
            acc = std::iter::once(acc)
                .chain(acc.ancestors())
                .find(|a| a.contains(n))?;
        }
        Some(acc)
    }
}

impl From<Group> for Node {
    fn from(g: Group) -> Self {
        Node::Group(g)
    }
}
impl From<Category> for Node {
    fn from(c: Category) -> Self {
        Node::Category(c)
    }
}
impl From<Detailed> for Node {
    fn from(d: Detailed) -> Self {
        Node::Detailed(d)
    }
}
impl From<Residual> for Node {
    fn from(r: Residual) -> Self {
        Node::Residual(r)
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Node::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown standard code `{code}`")))
    }
}

macro_rules! serde_as_code {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = String::deserialize(d)?;
                <$t>::from_code(&code).ok_or_else(|| {
                    serde::de::Error::custom(format!("unknown standard code `{code}`"))
                })
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }
    )*};
}
serde_as_code!(Group, Category, Detailed, Residual);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_classifications() {
        assert_eq!(Group::ALL.len(), 5);
        assert_eq!(Category::ALL.len(), 19);
        assert_eq!(Detailed::ALL.len(), 287);
        assert_eq!(Residual::ALL.len(), 5);
    }

    #[test]
    fn ts021_codes_run_one_to_nineteen() {
        let codes: Vec<u8> = Category::ALL.iter().map(|c| c.ts021()).collect();
        assert_eq!(codes, (1..=19).collect::<Vec<u8>>());
    }

    #[test]
    fn lca_of_siblings_is_their_parent() {
        let a = Node::Category(Category::WhiteRoma);
        let b = Node::Category(Category::WhiteOther);
        assert_eq!(
            Node::lowest_common_ancestor([a, b]),
            Some(Node::Group(Group::White))
        );
        let c = Node::Category(Category::AsianIndian);
        assert_eq!(Node::lowest_common_ancestor([a, c]), None);
        assert_eq!(Node::lowest_common_ancestor([a]), Some(a));
    }
}
