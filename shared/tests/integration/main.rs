//! Integration tests of the shared crate, in one binary so it links once.

mod api;
mod extractive;
mod objects_contract;
mod pipeline;
mod properties;
mod schemas;
mod store_contract;
mod support;
mod validators;
