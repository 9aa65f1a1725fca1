//! AI Content Factory: turns a source text into a bundle of learning materials.
//!
//! Every piece of logic lives in this crate; the binaries under `functions/` only pick
//! adapters from the environment and serve. A tour:
//!
//! - [`content`]: the eight kinds, their schemas, validators and Markdown renderings.
//! - [`source`]: the source text at the edge, and its Markdown/prose parser.
//! - [`extractive`]: the built-in engine that builds every kind from the source itself.
//! - [`engine`]: the generation port the pipeline calls.
//! - [`jobs`]: jobs, steps and their state transitions.
//! - [`store`], [`objects`], [`dispatch`]: the storage and dispatch ports and adapters.
//! - [`pipeline`]: submitting jobs and running steps; [`postprocess`]: renderings and manifests.
//! - [`render`]: Markdown to sanitized HTML.
//! - [`config`], [`runtime`]: typed configuration and the wiring it selects.
//! - [`http`]: the minimal HTTP surface every function serves.

pub mod clock;
pub mod config;
pub mod content;
pub mod dispatch;
pub mod engine;
pub mod extractive;
pub mod gcp;
pub mod http;
pub mod jobs;
pub mod model;
pub mod objects;
pub mod pipeline;
pub mod postprocess;
pub mod render;
pub mod runtime;
pub mod source;
pub mod store;
pub mod telemetry;
