//! Integration tests of the shared crate, in one binary so it links once.

mod extractive;
mod properties;
mod validators;
