//! Test doubles and helpers shared by the workspace's tests and benchmarks. Only ever a
//! dev-dependency, so nothing here reaches a deployed binary (`scripts/test` checks a release
//! binary for it).
//!
//! - [`model_server`]: a local server speaking the OpenAI, Gemini API and Vertex AI
//!   protocols, answering valid content or injected faults.
//! - [`dialects`]: stand-ins for the Chat Completions dialects of llama-cpp-python,
//!   llama-server, Ollama, vLLM, LM Studio and OpenAI, each refusing what the real one refuses.
//! - [`dispatch`]: the `Dispatcher` contract suite every dispatch adapter runs.
//! - [`documents`]: PDFs and DOCX files made in code (with text, scanned, encrypted, a zip
//!   bomb) for the upload tests and fuzz seeds.
//! - [`reliability`]: the checker every fault-injection scenario's run must pass.
//! - [`serve`]: the workspace's binaries as processes: `factory`, a running `factory serve`.
//! - [`tts_server`]: a local server speaking Cloud Text-to-Speech, with fault playback.

pub mod dialects;
pub mod dispatch;
pub mod documents;
pub mod model_server;
pub mod reliability;
pub mod serve;
pub mod tts_server;
