//! What an upload is: its format by content (magic bytes, the Word part inside a ZIP, HTML
//! markers, UTF-8 text), reconciled with what the client declared (a media type, else the file
//! name's extension). Content decides: a declaration the bytes contradict is refused.

use super::DocumentError;

/// A format the factory reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Pdf,
    Docx,
    Html,
    Markdown,
    Text,
}

impl Format {
    pub const ALL: [Self; 5] = [
        Self::Pdf,
        Self::Docx,
        Self::Html,
        Self::Markdown,
        Self::Text,
    ];

    /// The canonical media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Html => "text/html",
            Self::Markdown => "text/markdown",
            Self::Text => "text/plain",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Html => "html",
            Self::Markdown => "md",
            Self::Text => "txt",
        }
    }

    /// A name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Docx => "DOCX",
            Self::Html => "HTML",
            Self::Markdown => "Markdown",
            Self::Text => "plain text",
        }
    }

    /// The format a media type names; `Ok(None)` for one that names no format
    /// (`application/octet-stream`), an error for a format the factory does not read.
    pub fn from_media_type(media_type: &str) -> Result<Option<Self>, DocumentError> {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        Ok(Some(match essence.as_str() {
            "" | "application/octet-stream" => return Ok(None),
            "application/pdf" | "application/x-pdf" => Self::Pdf,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Self::Docx,
            "text/html" | "application/xhtml+xml" => Self::Html,
            "text/markdown" | "text/x-markdown" => Self::Markdown,
            "text/plain" => Self::Text,
            _ => return Err(DocumentError::Unsupported { found: essence }),
        }))
    }

    /// The format a file name's extension names, if it names one.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let (_, extension) = name.rsplit_once('.')?;
        Some(match extension.to_ascii_lowercase().as_str() {
            "pdf" => Self::Pdf,
            "docx" => Self::Docx,
            "html" | "htm" | "xhtml" => Self::Html,
            "md" | "markdown" => Self::Markdown,
            "txt" | "text" => Self::Text,
            _ => return None,
        })
    }
}

/// The format of `bytes` by their content alone. UTF-8 text that is not HTML is [`Format::Text`]
/// (Markdown cannot be told from plain text by content).
pub fn sniff(bytes: &[u8]) -> Result<Format, DocumentError> {
    let unsupported = |found: &str| DocumentError::Unsupported {
        found: found.to_owned(),
    };
    let head = &bytes[..bytes.len().min(1024)];
    if find(head, b"%PDF-").is_some() {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        // A ZIP's local headers store entry names uncompressed.
        return if find(bytes, b"word/document.xml").is_some() {
            Ok(Format::Docx)
        } else {
            Err(unsupported("a ZIP archive that is not a Word document"))
        };
    }
    for (magic, found) in [
        (&b"\x89PNG"[..], "a PNG image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (
            b"\xD0\xCF\x11\xE0",
            "an OLE file (a legacy .doc, or a password-protected Office file)",
        ),
        (b"\x1F\x8B", "a gzip archive"),
        (b"{\\rtf", "an RTF document"),
    ] {
        if bytes.starts_with(magic) {
            return Err(unsupported(found));
        }
    }
    if bytes.contains(&0) || std::str::from_utf8(bytes).is_err() {
        return Err(unsupported("binary data (or text that is not UTF-8)"));
    }
    if looks_like_html(head) {
        return Ok(Format::Html);
    }
    Ok(Format::Text)
}

/// The format to read `bytes` as: what they are, as long as the declaration (a media type, else
/// a file name with a known extension) agrees. Text declared as Markdown or HTML is read as
/// declared (an HTML fragment has no marker to sniff).
pub fn identify(
    bytes: &[u8],
    media_type: Option<&str>,
    name: Option<&str>,
) -> Result<Format, DocumentError> {
    let declared = match media_type
        .map(Format::from_media_type)
        .transpose()?
        .flatten()
    {
        Some(format) => Some(format),
        None => name.and_then(Format::from_file_name),
    };
    let found = sniff(bytes)?;
    match (declared, found) {
        (None, found) => Ok(found),
        (Some(declared), found) if declared == found => Ok(found),
        (
            Some(declared @ (Format::Html | Format::Markdown | Format::Text)),
            Format::Html | Format::Text,
        ) => Ok(declared),
        (Some(declared), found) => Err(DocumentError::Mismatch {
            declared: declared.name().to_owned(),
            found: found.name().to_owned(),
        }),
    }
}

fn looks_like_html(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let start = text.trim_start_matches('\u{feff}').trim_start();
    start.starts_with("<!doctype html")
        || start.starts_with("<html")
        || (start.starts_with("<?xml") || start.starts_with("<!--"))
            && (text.contains("<html") || text.contains("<!doctype html"))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_and_declarations_must_agree() {
        let pdf = b"%PDF-1.4\n...";
        let text = "# Title\n\nSome words.".as_bytes();
        assert_eq!(identify(pdf, None, None), Ok(Format::Pdf));
        assert_eq!(identify(text, None, Some("notes.md")), Ok(Format::Markdown));
        assert_eq!(
            identify(text, Some("text/plain; charset=utf-8"), Some("notes.md")),
            Ok(Format::Text)
        );
        assert_eq!(
            identify(b"<p>a fragment</p>", Some("text/html"), None),
            Ok(Format::Html)
        );
        assert_eq!(
            identify(b"<!DOCTYPE html><html><body>x</body></html>", None, None),
            Ok(Format::Html)
        );
        assert_eq!(
            identify(text, Some("application/pdf"), None),
            Err(DocumentError::Mismatch {
                declared: "PDF".into(),
                found: "plain text".into()
            })
        );
        assert_eq!(
            identify(b"\x89PNG\r\n\x1a\n....", Some("application/pdf"), None),
            Err(DocumentError::Unsupported {
                found: "a PNG image".into()
            })
        );
        assert_eq!(
            identify(text, Some("image/png"), None),
            Err(DocumentError::Unsupported {
                found: "image/png".into()
            })
        );
        assert!(matches!(
            identify(b"PK\x03\x04 not a word file", None, Some("x.docx")),
            Err(DocumentError::Unsupported { .. })
        ));
    }
}
