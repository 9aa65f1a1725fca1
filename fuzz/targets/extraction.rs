//! What the document targets (`pdf`, `docx`, `html`) share: the isolated extractor run to its
//! end on one current-thread runtime, with a time bound generous enough for a loaded machine.

use std::sync::OnceLock;
use std::time::Duration;

use factory_shared::documents::{self, DocumentError, Extracted, Limits};

/// The default limits with a 10 s time bound.
pub fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(10),
        ..Limits::default()
    }
}

/// [`documents::extract`] of `data`, as the API runs it.
pub fn extract(
    data: &[u8],
    declared: Option<&str>,
    name: &str,
    limits: Limits,
) -> Result<Extracted, DocumentError> {
    runtime().block_on(documents::extract(
        data.to_vec().into(),
        declared,
        Some(name),
        limits,
    ))
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime")
    })
}
