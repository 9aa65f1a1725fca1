//! The API's routes, one module per function family.

pub mod create;
pub mod internal;
pub mod jobs;
pub mod operator_keys;
