//! The integration tests: one binary, one module per concern.

mod cli;
mod codegen;
mod data;
mod laws;
mod validate;
