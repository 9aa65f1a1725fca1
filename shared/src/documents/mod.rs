//! Uploaded documents → source text: what an upload really is ([`identify`], by its bytes,
//! checked against the media type or file name it was declared with), and its text as Markdown
//! (headings, lists and paragraphs kept) from one extractor per format: [`pdf`], [`docx`],
//! [`html`], and UTF-8 text or Markdown as is.
//!
//! Uploads are hostile until read. [`extract`] runs the parser on a blocking thread under
//! `catch_unwind` and a time bound, so a file that panics a parser or never ends fails its own
//! request and never the process. [`extract_blocking`] is the same work without the isolation,
//! for fuzzing. Not here: the checks every source gets (length, normalization): the caller
//! hands the text to [`crate::source::SourceText`] as it would a typed one.

pub mod docx;
pub mod html;
pub mod pdf;
mod sniff;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use bytes::Bytes;

pub use sniff::{Format, identify, sniff};

/// How much work one upload may cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the file as uploaded.
    pub max_file_bytes: usize,
    /// Bytes an archive (a DOCX) may expand to, counted while decompressing.
    pub max_expanded_bytes: u64,
    /// Entries an archive may list.
    pub max_entries: usize,
    /// How long one extraction may run.
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 20 * 1024 * 1024,
            max_expanded_bytes: 64 * 1024 * 1024,
            max_entries: 5_000,
            timeout: Duration::from_secs(20),
        }
    }
}

/// Why an upload gave no text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error(
        "{found} is not a format the factory reads; send a PDF, DOCX, HTML, Markdown or plain-text file"
    )]
    Unsupported { found: String },
    #[error("the file was declared as {declared} but its content is {found}")]
    Mismatch { declared: String, found: String },
    #[error(
        "the PDF is encrypted with a password; remove the password (print to PDF, or qpdf --decrypt) and send it again"
    )]
    Encrypted,
    #[error(
        "the PDF has no text layer (a scan or images only); run OCR on it first, or send its text"
    )]
    NoTextLayer,
    #[error("the file is damaged or not a valid {format}: {reason}")]
    Corrupt {
        format: &'static str,
        reason: String,
    },
    #[error("the file is {bytes} bytes; at most {limit} are accepted")]
    TooLarge { bytes: usize, limit: usize },
    #[error("the archive expands past the limit ({limit}); it is refused as a possible zip bomb")]
    ExpandsTooFar { limit: String },
    #[error("reading the file took longer than {seconds} s; it is refused as too complex")]
    TooSlow { seconds: u64 },
}

/// A document's text, and what the upload turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub format: Format,
    /// Markdown (or plain text for a `.txt` upload).
    pub text: String,
}

/// Identifies `bytes` and extracts their text, isolated: a parser's panic or a file that takes
/// longer than `limits.timeout` becomes an error of this upload only. A timed-out parser
/// thread cannot be stopped; it finishes in the background and its result is dropped.
pub async fn extract(
    bytes: Bytes,
    declared: Option<&str>,
    name: Option<&str>,
    limits: Limits,
) -> Result<Extracted, DocumentError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(DocumentError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_file_bytes,
        });
    }
    let format = identify(&bytes, declared, name)?;
    let work = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(AssertUnwindSafe(|| {
            extract_blocking(format, &bytes, limits)
        }))
    });
    match tokio::time::timeout(limits.timeout, work).await {
        Err(_) => Err(DocumentError::TooSlow {
            seconds: limits.timeout.as_secs(),
        }),
        Ok(Err(join)) => Err(parser_failed(format, &join.to_string())),
        Ok(Ok(Err(panic))) => {
            let reason = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown");
            tracing::warn!(format = format.name(), reason, "a document parser panicked");
            Err(parser_failed(format, reason))
        }
        Ok(Ok(Ok(text))) => Ok(Extracted {
            format,
            text: text?,
        }),
    }
}

fn parser_failed(format: Format, reason: &str) -> DocumentError {
    DocumentError::Corrupt {
        format: format.name(),
        reason: format!("the parser gave up ({reason})"),
    }
}

/// The text of a file already identified as `format`, on the calling thread (no isolation).
pub fn extract_blocking(
    format: Format,
    bytes: &[u8],
    limits: Limits,
) -> Result<String, DocumentError> {
    match format {
        Format::Pdf => pdf::extract(bytes),
        Format::Docx => docx::extract(bytes, limits),
        Format::Html => html::extract(&utf8(format, bytes)?),
        Format::Markdown | Format::Text => Ok(utf8(format, bytes)?),
    }
}

/// Text formats must be UTF-8 (a byte-order mark is fine).
fn utf8(format: Format, bytes: &[u8]) -> Result<String, DocumentError> {
    String::from_utf8(bytes.to_vec()).map_err(|e| DocumentError::Corrupt {
        format: format.name(),
        reason: format!("not UTF-8 text ({e})"),
    })
}

/// Joins Markdown blocks with blank lines, dropping empty ones.
fn join_blocks(blocks: impl IntoIterator<Item = String>) -> String {
    let mut out = String::new();
    for block in blocks {
        let block = block.trim();
        if block.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(block);
    }
    out.push('\n');
    out
}
