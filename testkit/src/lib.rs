//! Test doubles and helpers shared by the workspace's tests and benchmarks. Only ever a
//! dev-dependency, so nothing here reaches a deployed binary (`scripts/test` checks a release
//! binary for it).
//!
//! - [`model_server`]: a local server speaking the OpenAI, Gemini API and Vertex AI
//!   protocols, answering valid content or injected faults.
//! - [`dispatch`]: the `Dispatcher` contract suite every dispatch adapter runs.
//! - [`reliability`]: the checker every fault-injection scenario's run must pass.
//! - [`serve`]: the workspace's binaries as processes: `factory`, a running `factory serve`.
//! - [`tts_server`]: a local server speaking Cloud Text-to-Speech, with fault playback.

pub mod dispatch;
pub mod model_server;
pub mod reliability;
pub mod serve;
pub mod tts_server;
