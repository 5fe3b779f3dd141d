//! The integration tests: one binary, one module per concern.

mod aggregate;
mod architecture;
mod cli;
mod codegen;
mod convert;
mod data;
mod files;
mod hardening;
mod laws;
mod messages;
mod published;
mod reading;
mod readme;
mod validate;
