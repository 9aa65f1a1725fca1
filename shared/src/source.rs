//! The source text a job starts from: checked and normalized at the edge ([`SourceText`]),
//! then parsed into blocks, sections and sentences with character spans ([`Document`]).
//!
//! The parser understands the Markdown that teachers write (ATX and setext headings, bullet
//! and numbered lists, fenced code, block quotes) and plain prose. It never fails: any UTF-8
//! text parses, and every span it records points back into the normalized text.

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Default bounds on a source, in characters.
pub const MIN_SOURCE_CHARS: usize = 200;
pub const MAX_SOURCE_CHARS: usize = 1_000_000;

/// Why a source was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("the source is empty")]
    Empty,
    #[error(
        "the source looks binary (it contains NUL bytes or is not UTF-8 text); give a .txt or .md file"
    )]
    Binary,
    #[error(
        "the source is too short: {chars} characters, at least {min} are needed to build learning materials"
    )]
    TooShort { chars: usize, min: usize },
    #[error("the source is too long: {chars} characters, at most {max} are accepted")]
    TooLong { chars: usize, max: usize },
}

/// Source text that passed the edge checks, with line endings normalized to `\n`, a leading
/// byte-order mark removed and trailing whitespace trimmed. Spans refer to this text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceText {
    text: String,
    chars: usize,
}

impl SourceText {
    /// Checks raw bytes with the default bounds.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SourceError> {
        Self::from_bytes_within(bytes, MIN_SOURCE_CHARS, MAX_SOURCE_CHARS)
    }

    pub fn from_bytes_within(bytes: &[u8], min: usize, max: usize) -> Result<Self, SourceError> {
        if bytes.contains(&0) {
            return Err(SourceError::Binary);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| SourceError::Binary)?;
        Self::parse_within(text, min, max)
    }

    pub fn parse(text: &str) -> Result<Self, SourceError> {
        Self::parse_within(text, MIN_SOURCE_CHARS, MAX_SOURCE_CHARS)
    }

    pub fn parse_within(text: &str, min: usize, max: usize) -> Result<Self, SourceError> {
        if text.contains('\0') {
            return Err(SourceError::Binary);
        }
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        let text = text.trim_end().to_owned();
        let chars = text.chars().count();
        let meaningful = text.chars().filter(|c| !c.is_whitespace()).count();
        if meaningful == 0 {
            return Err(SourceError::Empty);
        }
        if chars < min {
            return Err(SourceError::TooShort { chars, min });
        }
        if chars > max {
            return Err(SourceError::TooLong { chars, max });
        }
        Ok(Self { text, chars })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn chars(&self) -> usize {
        self.chars
    }

    /// Hex SHA-256 of the normalized text: the source's content address.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.text.as_bytes()))
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

/// What a block of the document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    Heading { level: u8 },
    Paragraph,
    ListItem,
}

/// One block: a heading, a paragraph or a list item. `range` covers the block's text without
/// its Markdown marker (`#`, `-`, `1.`, `>`), in bytes of the normalized text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    pub range: Range<usize>,
}

/// A parsed source: its blocks in order and a byte → character offset map for spans.
#[derive(Debug, Clone)]
pub struct Document {
    text: String,
    pub blocks: Vec<Block>,
    /// Character offset of every byte that starts a character (others are never looked up).
    char_starts: Vec<u32>,
}

impl Document {
    pub fn parse(text: &str) -> Self {
        let blocks = parse_blocks(text);
        let mut char_starts = vec![0u32; text.len() + 1];
        let mut n = 0u32;
        for (i, _) in text.char_indices() {
            char_starts[i] = n;
            n += 1;
        }
        char_starts[text.len()] = n;
        Self {
            text: text.to_owned(),
            blocks,
            char_starts,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn slice(&self, range: &Range<usize>) -> &str {
        &self.text[range.clone()]
    }

    /// The character offset of a byte offset that lies on a character boundary.
    pub fn char_offset(&self, byte: usize) -> usize {
        self.char_starts[byte] as usize
    }
}

/// Splits text into blocks in one pass over its lines.
fn parse_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut paragraph: Option<Range<usize>> = None;
    let mut paragraph_lines = 0;
    let mut in_fence: Option<&str> = None;
    let mut offset = 0;

    let flush = |blocks: &mut Vec<Block>, paragraph: &mut Option<Range<usize>>| {
        if let Some(range) = paragraph.take() {
            blocks.push(Block {
                kind: BlockKind::Paragraph,
                range,
            });
        }
    };

    for line in text.split('\n') {
        let start = offset;
        offset += line.len() + 1;
        let trimmed = line.trim();

        if let Some(fence) = in_fence {
            if trimmed.starts_with(fence) {
                in_fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            flush(&mut blocks, &mut paragraph);
            in_fence = Some(&trimmed[..3]);
            continue;
        }
        if trimmed.is_empty() || is_rule(trimmed) && paragraph.is_none() || is_table_row(trimmed) {
            flush(&mut blocks, &mut paragraph);
            continue;
        }
        if let Some(level) = setext_level(trimmed)
            && paragraph_lines == 1
            && let Some(range) = paragraph.take()
        {
            blocks.push(Block {
                kind: BlockKind::Heading { level },
                range,
            });
            continue;
        }

        let indent = line.len() - line.trim_start().len();
        let content_start = start + indent;
        if let Some((level, skip)) = atx_heading(trimmed) {
            flush(&mut blocks, &mut paragraph);
            let body = &line[indent + skip..];
            let body_trimmed = body.trim_end().trim_end_matches('#').trim();
            let body_start = content_start + skip + (body.len() - body.trim_start().len());
            if !body_trimmed.is_empty() {
                blocks.push(Block {
                    kind: BlockKind::Heading { level },
                    range: body_start..body_start + body_trimmed.len(),
                });
            }
            continue;
        }
        let (marker, is_item) = block_marker(&line[indent..]);
        let body_start = content_start + marker;
        let body_end = start + line.trim_end().len();
        if body_start >= body_end {
            continue;
        }
        if is_item {
            flush(&mut blocks, &mut paragraph);
            blocks.push(Block {
                kind: BlockKind::ListItem,
                range: body_start..body_end,
            });
            paragraph_lines = 0;
        } else if let Some(last) = blocks.last_mut().filter(|b| {
            paragraph.is_none()
                && b.kind == BlockKind::ListItem
                && indent >= 2
                && b.range.end + 1 >= start
        }) {
            // An indented continuation line of a list item.
            last.range.end = body_end;
        } else if let Some(range) = paragraph.as_mut() {
            range.end = body_end;
            paragraph_lines += 1;
        } else {
            paragraph = Some(body_start..body_end);
            paragraph_lines = 1;
        }
    }
    flush(&mut blocks, &mut paragraph);
    blocks
}

/// `# Title` → (1, bytes up to the title).
fn atx_heading(line: &str) -> Option<(u8, usize)> {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    match line.as_bytes().get(hashes) {
        None => Some((hashes as u8, hashes)),
        Some(b' ' | b'\t') => Some((hashes as u8, hashes + 1)),
        Some(_) => None,
    }
}

fn setext_level(line: &str) -> Option<u8> {
    if line.len() >= 2 && line.bytes().all(|b| b == b'=') {
        Some(1)
    } else if line.len() >= 2 && line.bytes().all(|b| b == b'-') {
        Some(2)
    } else {
        None
    }
}

fn is_rule(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.len() >= 3
        && (compact.bytes().all(|b| b == b'-')
            || compact.bytes().all(|b| b == b'*')
            || compact.bytes().all(|b| b == b'_'))
}

fn is_table_row(line: &str) -> bool {
    line.starts_with('|') && line.ends_with('|')
}

/// The length of a leading block-quote or list marker, and whether it starts a list item.
fn block_marker(line: &str) -> (usize, bool) {
    let bytes = line.as_bytes();
    let mut i = 0;
    while bytes.get(i) == Some(&b'>') {
        i += 1;
        while bytes.get(i) == Some(&b' ') {
            i += 1;
        }
    }
    match bytes.get(i) {
        Some(b'-' | b'*' | b'+') if matches!(bytes.get(i + 1), Some(b' ' | b'\t')) => (i + 2, true),
        Some(b'0'..=b'9') => {
            let digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            let after = i + digits;
            if digits <= 3
                && matches!(bytes.get(after), Some(b'.' | b')'))
                && matches!(bytes.get(after + 1), Some(b' ' | b'\t'))
            {
                (after + 2, true)
            } else {
                (i, false)
            }
        }
        _ => (i, false),
    }
}

/// Where a fact came from: the outline section it belongs to and, for text sources, the
/// character span of the source sentence that states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// The outline section number (1-based).
    pub section: u32,
    /// Character offsets (Unicode scalar values, end exclusive) into the source text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub span: Option<Span>,
}

/// A half-open range of character offsets (Unicode scalar values) in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(BlockKind, String)> {
        let doc = Document::parse(text);
        doc.blocks
            .iter()
            .map(|b| (b.kind, doc.slice(&b.range).to_owned()))
            .collect()
    }

    #[test]
    fn markdown_blocks_are_recognized() {
        let blocks = kinds(
            "# Title\n\nIntro line one\ncontinues here.\n\n## Part\n- first item\n  wraps on.\n2. second item\n\n```\ncode\n```\n> quoted text\n",
        );
        assert_eq!(
            blocks,
            [
                (BlockKind::Heading { level: 1 }, "Title".into()),
                (
                    BlockKind::Paragraph,
                    "Intro line one\ncontinues here.".into()
                ),
                (BlockKind::Heading { level: 2 }, "Part".into()),
                (BlockKind::ListItem, "first item\n  wraps on.".into()),
                (BlockKind::ListItem, "second item".into()),
                (BlockKind::Paragraph, "quoted text".into()),
            ]
        );
    }

    #[test]
    fn setext_headings_are_recognized() {
        let blocks = kinds("Big Title\n=========\n\nText here.\n");
        assert_eq!(
            blocks[0],
            (BlockKind::Heading { level: 1 }, "Big Title".into())
        );
    }

    #[test]
    fn source_edges_are_checked() {
        assert_eq!(SourceText::parse("   \n "), Err(SourceError::Empty));
        assert_eq!(
            SourceText::from_bytes(b"abc\0def"),
            Err(SourceError::Binary)
        );
        assert_eq!(
            SourceText::from_bytes(&[0xff, 0xfe, 0x41]),
            Err(SourceError::Binary)
        );
        assert!(matches!(
            SourceText::parse("short text"),
            Err(SourceError::TooShort { .. })
        ));
        assert!(matches!(
            SourceText::parse_within(&"word ".repeat(100), 10, 50),
            Err(SourceError::TooLong { .. })
        ));
        let ok = SourceText::parse_within("\u{feff}line one\r\nline two  \r\n", 5, 100).unwrap();
        assert_eq!(ok.as_str(), "line one\nline two");
    }

    #[test]
    fn char_offsets_count_characters_not_bytes() {
        let doc = Document::parse("héllo wörld");
        assert_eq!(doc.char_offset(7), 6); // 'w' starts at byte 7, character 6
    }
}
