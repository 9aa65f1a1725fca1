//! Fuzz target `docx`: bytes uploaded as a DOCX, through the isolated extractor
//! ([`documents::extract`]) with a small expansion limit. Whatever the bytes, the answer is
//! Markdown whose blocks are headings, list items or paragraphs, or a typed refusal; an archive
//! never expands past the limit unnoticed.

use factory_shared::documents::{self, DocumentError, Format, Limits};

use super::extraction;

/// Small, so the seed zip bomb trips it.
const MAX_EXPANDED: u64 = 1024 * 1024;

pub fn run(data: &[u8]) {
    let declared = [
        None,
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ][data.len() % 2];
    let limits = Limits {
        max_expanded_bytes: MAX_EXPANDED,
        ..extraction::limits()
    };
    let result = extraction::extract(data, declared, "upload.docx", limits);
    match result {
        Ok(extracted) => {
            assert_eq!(documents::sniff(data).ok(), Some(extracted.format));
            if extracted.format == Format::Docx {
                assert!(
                    extracted.text.len() as u64 <= MAX_EXPANDED,
                    "{} bytes of text from an archive limited to {MAX_EXPANDED}",
                    extracted.text.len()
                );
                for line in extracted.text.lines() {
                    assert_eq!(line, line.trim_end(), "trailing whitespace: {line:?}");
                }
            }
        }
        Err(DocumentError::TooSlow { .. }) => {
            panic!("a DOCX of {} bytes took too long", data.len())
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
}
