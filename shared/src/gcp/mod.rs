//! Google Cloud plumbing shared by the production adapters: one auth stack
//! (`google-cloud-auth`: ADC locally, the metadata server on Cloud Run) and the emulator
//! switches. Nothing here knows about jobs or content.

pub mod auth;
