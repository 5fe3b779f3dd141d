//! The integration tests: one binary, one module per concern.

mod aggregate;
mod agreement;
mod architecture;
mod cli;
mod codegen;
mod convert;
mod data;
mod detect;
mod disclosure;
mod files;
mod hardening;
mod laws;
mod messages;
mod reading;
mod readme;
mod rows;
mod validate;
