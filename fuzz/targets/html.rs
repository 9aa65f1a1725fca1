//! Fuzz target `html`: bytes uploaded as an HTML page, through the isolated extractor
//! ([`documents::extract`]): readability's article as Markdown. Whatever the bytes, the answer
//! is text without link addresses or permalink signs, or a typed refusal.

use std::sync::OnceLock;
use std::time::Duration;

use factory_shared::documents::{self, DocumentError, Format, Limits};

pub fn run(data: &[u8]) {
    let result = runtime().block_on(documents::extract(
        data.to_vec().into(),
        Some("text/html"),
        Some("page.html"),
        limits(),
    ));
    match result {
        Ok(extracted) => {
            assert_eq!(extracted.format, Format::Html);
            assert!(!extracted.text.contains('¶'), "a permalink sign kept");
        }
        Err(DocumentError::TooSlow { .. }) => {
            panic!("a page of {} bytes took too long", data.len())
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}

fn limits() -> Limits {
    Limits {
        timeout: Duration::from_secs(10),
        ..Limits::default()
    }
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
