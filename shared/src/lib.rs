//! AI Content Factory: turns a source text into a bundle of learning materials.
//!
//! Every piece of logic lives in this crate; the binaries under `functions/` only pick
//! adapters from the environment and serve. Modules depend downwards in this list, never
//! back up:
//!
//! - [`clock`], [`source`]: time, and the source text at the edge with its Markdown parser.
//! - [`documents`]: uploaded PDF, DOCX and HTML files (and text) read as source text.
//! - [`analysis`]: sentences, sections, key phrases and definitions of a source.
//! - [`content`]: the kinds, each defined once (schema, rules, prompt, rendering, builder).
//! - [`outcome`]: typed step errors and model usage.
//! - [`generation`]: the port that builds a kind; [`extractive`] and [`model`] implement it.
//! - [`jobs`]: jobs, steps and their state transitions.
//! - [`store`], [`objects`], [`dispatch`], [`gcp`]: the storage and dispatch ports and adapters;
//!   [`layout`] says where each object lives.
//! - [`speech`]: the text-to-speech port and its adapters (espeak-ng, Cloud Text-to-Speech).
//! - [`render`]: Markdown to sanitized HTML.
//! - [`pipeline`]: submitting, planning, running steps, post-processing, maintenance.
//! - [`config`], [`runtime`]: typed configuration and the wiring it selects.
//! - [`http`], [`telemetry`]: the HTTP surface every function serves, logs and errors.

pub mod analysis;
pub mod clock;
pub mod config;
pub mod content;
pub mod dispatch;
pub mod documents;
pub mod extractive;
pub mod gcp;
pub mod generation;
pub mod http;
pub mod jobs;
pub mod layout;
pub mod model;
pub mod objects;
pub mod outcome;
pub mod pipeline;
pub mod render;
pub mod runtime;
pub mod source;
pub mod speech;
pub mod store;
pub mod telemetry;
