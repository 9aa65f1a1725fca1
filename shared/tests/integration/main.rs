//! Integration tests of the shared crate, in one binary so it links once.

mod api;
mod audio;
mod dialects;
mod dispatch_contract;
mod documents;
mod extractive;
mod firestore_documents;
mod fuzz_replay;
mod grounding;
mod internal_auth;
mod kinds;
mod languages;
mod maintenance;
mod modules;
mod objects_contract;
mod pipeline;
mod properties;
mod providers;
mod schemas;
mod store_contract;
mod support;
mod validators;
