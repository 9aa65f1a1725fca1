//! PDF → text with `pdf-extract` (pure Rust, on `lopdf`). A PDF carries no reliable structure,
//! so the text keeps the extractor's lines and paragraphs; lines are trimmed and runs of blank
//! lines collapsed. `pdf-extract` can panic on real files: call this only through
//! [`super::extract`], which isolates it.

use pdf_extract::{Document, PlainTextOutput};

use super::DocumentError;

/// Fewer letters or digits than this and the PDF is taken for a scan without a text layer.
const MIN_TEXT_CHARS: usize = 20;

pub fn extract(bytes: &[u8]) -> Result<String, DocumentError> {
    let corrupt = |reason: String| DocumentError::Corrupt {
        format: "PDF",
        reason,
    };
    let mut document = Document::load_mem(bytes).map_err(|e| match e {
        pdf_extract::Error::Decryption(_) => DocumentError::Encrypted,
        other => corrupt(other.to_string()),
    })?;
    // Owner-password-only PDFs (printing or copying restricted) open with the empty password.
    if document.is_encrypted() && document.decrypt("").is_err() {
        return Err(DocumentError::Encrypted);
    }
    if document.get_pages().is_empty() {
        return Err(corrupt("it has no pages".into()));
    }
    let mut raw = String::new();
    pdf_extract::output_doc(&document, &mut PlainTextOutput::new(&mut raw))
        .map_err(|e| corrupt(e.to_string()))?;
    let text = tidy(&raw);
    if text.chars().filter(|c| c.is_alphanumeric()).count() < MIN_TEXT_CHARS {
        return Err(DocumentError::NoTextLayer);
    }
    Ok(text)
}

/// Trims each line, drops form feeds and control characters, and keeps at most one blank line
/// between paragraphs.
fn tidy(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank = true;
    for line in raw.lines() {
        let line: String = line
            .chars()
            .filter(|c| !c.is_control() || *c == '\t')
            .collect();
        let line = line.trim();
        if line.is_empty() {
            if !blank {
                out.push('\n');
            }
            blank = true;
        } else {
            out.push_str(line);
            out.push('\n');
            blank = false;
        }
    }
    out.trim_end().to_owned() + "\n"
}
