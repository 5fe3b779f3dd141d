//! # wm-ethnicity
//!
//! The proposed West Midlands ethnicity data standard, made executable: the standard as typed
//! categories, the coding schemes councils use mapped into it, validation of the returns councils
//! submit, and conversion of legacy codes into consistent, granular records.
//!
//! ## Quick start
//!
//! ```
//! use wm_ethnicity::{scheme, standard::{Category, Node}};
//!
//! // NHS `J`, DfE `APKN` and police `A2` all mean Pakistani.
//! for (id, code) in [("nhs-ethnic-category", "J"), ("dfe-cbds", "APKN"), ("police-sde", "A2")] {
//!     let m = scheme::builtin(id).unwrap().lookup(code).unwrap();
//!     assert_eq!(m.code.map.target, Node::Category(Category::AsianPakistani));
//! }
//!
//! // Lowercase or padded input is found, and flagged as normalised.
//! let m = scheme::builtin("dfe-cbds").unwrap().lookup(" wirt ").unwrap();
//! assert_eq!(m.kind, scheme::MatchKind::Normalised);
//! assert_eq!(m.code.map.target.category(), Some(Category::WhiteGypsyIrishTraveller));
//! ```

#![deny(missing_docs)]

pub mod aggregate;
pub mod convert;
pub mod council;
pub mod crosswalk;
pub mod date;
pub mod error;
pub mod io;
pub mod output;
pub mod privacy;
pub mod resolve;
pub mod rules;
pub mod scheme;
pub mod spec;
pub mod standard;
pub mod text;
pub mod validate;
mod yaml;

pub use error::{Error, ErrorKind, Location, Result};
pub use scheme::{Registry, Scheme};
pub use standard::{Category, Detailed, Group, Level, Node, Residual, STANDARD_VERSION};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
