//! Fuzz target `pdf`: bytes uploaded as a PDF, through the isolated extractor
//! ([`documents::extract`]) as the API runs it. Whatever the bytes, the answer is text that
//! passes for a source or a typed refusal, and a panic inside `pdf-extract` stays inside the
//! upload (under libFuzzer's `panic=abort` such a panic is reported as a crash instead, which
//! is how a parser bug worth reporting upstream is found).

use factory_shared::documents::{self, Format};

use super::extraction;

pub fn run(data: &[u8]) {
    let declared = [None, Some("application/pdf")][data.len() % 2];
    let result = extraction::extract(data, declared, "upload.pdf", extraction::limits());
    match result {
        Ok(extracted) => {
            assert_eq!(documents::sniff(data).ok(), Some(extracted.format));
            if extracted.format == Format::Pdf {
                assert!(
                    extracted.text.chars().any(char::is_alphanumeric),
                    "a PDF read as no text: {:?}",
                    extracted.text
                );
                assert!(!extracted.text.contains('\0'), "a NUL in the text");
            }
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}
