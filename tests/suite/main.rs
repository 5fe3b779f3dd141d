//! The integration tests: one binary, one module per concern.

mod aggregate;
mod agreement;
mod architecture;
mod characteristics;
mod cli;
mod codegen;
mod columnar;
mod convert;
mod data;
mod detect;
mod disclosure;
mod evidence;
mod fhir;
mod files;
mod hardening;
mod health;
mod laws;
mod messages;
mod multiple;
mod positions;
mod published;
mod reading;
mod readme;
mod rows;
mod validate;
mod xlsx;
