//! Fuzz target `html`: bytes uploaded as an HTML page, through the isolated extractor
//! ([`documents::extract`]): readability's article as Markdown. Whatever the bytes, the answer
//! is text without link addresses or permalink signs, or a typed refusal.

use factory_shared::documents::{DocumentError, Format};

use super::extraction;

pub fn run(data: &[u8]) {
    let result = extraction::extract(data, Some("text/html"), "page.html", extraction::limits());
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
