//! Fuzz target `source`: a source file from its raw bytes to the extractive engine's output.
//!
//! The bytes go through the edge check ([`SourceText`]) with the default bounds and with a
//! minimum of one character, so short inputs reach the rest too; the Markdown/prose parser
//! ([`Document`]) runs on the raw text and on the normalized one, and every block it records
//! is checked to slice the text on character boundaries, in order, with the right character
//! offsets. A normalized source is then analysed, and a source the API would accept is built
//! into every kind by the extractive engine, which must either build it or call the source
//! too thin.

use std::sync::Arc;

use factory_shared::content::{Content, Kind, Length, Options, ValidationContext};
use factory_shared::extractive::{ExtractiveEngine, analyse};
use factory_shared::generation::GenerationRequest;
use factory_shared::outcome::ErrorCode;
use factory_shared::source::{BlockKind, Document, MAX_SOURCE_CHARS, MIN_SOURCE_CHARS, SourceText};

pub fn run(data: &[u8]) {
    let edge = SourceText::from_bytes(data);
    if let Ok(text) = std::str::from_utf8(data) {
        assert_eq!(
            edge,
            SourceText::parse(text),
            "bytes and text checked apart"
        );
        document(text);
    }
    let Ok(source) = SourceText::from_bytes_within(data, 1, MAX_SOURCE_CHARS) else {
        return;
    };
    normalized(&source);
    assert_eq!(
        edge.as_ref().ok(),
        (source.chars() >= MIN_SOURCE_CHARS).then_some(&source),
        "the default bounds are not applied exactly"
    );
    document(source.as_str());
    let length = [Length::Short, Length::Standard, Length::Long][data.len() % 3];
    analysis(source.as_str(), length);
    if edge.is_ok() {
        extractive(&source, length);
    }
}

/// What [`SourceText`] promises of the text it hands on.
fn normalized(source: &SourceText) {
    let text = source.as_str();
    assert!(!text.contains('\r'), "a carriage return survived: {text:?}");
    assert!(!text.contains('\0'), "a NUL survived: {text:?}");
    assert_eq!(text, text.trim_end(), "trailing whitespace survived");
    assert!(text.chars().any(|c| !c.is_whitespace()), "an empty source");
    assert_eq!(source.chars(), text.chars().count());
}

/// Every block lies inside the text, on character boundaries, non-empty, after the one
/// before; every character boundary maps to its character offset.
fn document(text: &str) {
    let doc = Document::parse(text);
    assert_eq!(doc.text(), text);
    let mut previous_end = 0;
    for block in &doc.blocks {
        let range = &block.range;
        assert!(
            range.start < range.end && range.end <= text.len(),
            "block {range:?} in {} bytes",
            text.len()
        );
        assert!(
            text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
            "block {range:?} splits a character"
        );
        assert!(
            range.start >= previous_end,
            "block {range:?} overlaps the one ending at {previous_end}"
        );
        previous_end = range.end;
        assert_eq!(doc.slice(range), &text[range.clone()]);
        if let BlockKind::Heading { level } = block.kind {
            assert!((1..=6).contains(&level), "heading level {level}");
        }
    }
    let mut chars = 0;
    for (byte, _) in text.char_indices() {
        assert_eq!(doc.char_offset(byte), chars, "at byte {byte}");
        chars += 1;
    }
    assert_eq!(doc.char_offset(text.len()), chars, "at the end");
}

/// Sentences keep spans inside the source and sections within the budget.
fn analysis(text: &str, length: Length) {
    let analysis = analyse(text, String::new(), length);
    let chars = text.chars().count();
    for (i, sentence) in analysis.sentences.iter().enumerate() {
        let span = analysis.span(i);
        assert!(
            span.start < span.end && span.end <= chars,
            "sentence {i} has span {span:?} in {chars} characters"
        );
        if let Some(section) = sentence.section {
            assert!(
                section < analysis.sections.len(),
                "sentence {i} in section {section}"
            );
        }
    }
    let budget = match length {
        Length::Short => 5,
        Length::Standard => 8,
        Length::Long => 12,
    };
    assert!(
        analysis.sections.len() <= budget,
        "{} sections",
        analysis.sections.len()
    );
}

/// The outline, then every derivative of it; each kind is built or refused as too thin (or,
/// for a mutation that reads as another language, as written in a language the engine does
/// not write).
fn extractive(source: &SourceText, length: Length) {
    let options = Arc::new(Options {
        length,
        ..Options::default()
    });
    let engine = ExtractiveEngine::new();
    let request = |kind, outline| GenerationRequest {
        kind,
        source: Arc::from(source.as_str()),
        source_sha256: source.sha256(),
        outline,
        options: Arc::clone(&options),
    };
    let outline = match engine.build(&request(Kind::Outline, None)) {
        Ok(Content::Outline(outline)) => Arc::new(outline),
        Ok(other) => panic!("asked for an outline, got a {}", other.kind()),
        Err(e) => {
            assert!(
                matches!(
                    e.code,
                    ErrorCode::SourceTooThin | ErrorCode::UnsupportedLanguage
                ),
                "outline: {e}"
            );
            return;
        }
    };
    let ctx = ValidationContext {
        outline: Some(&outline),
        source_chars: Some(source.chars()),
        options: &options,
    };
    for kind in &Kind::ALL[1..] {
        match engine.build(&request(*kind, Some(Arc::clone(&outline)))) {
            Ok(content) => {
                assert_eq!(content.kind(), *kind);
                // Whether the rules hold is the pipeline's check; here only that it runs.
                let _ = content.validate(&ctx);
            }
            Err(e) => assert_eq!(e.code, ErrorCode::SourceTooThin, "{kind}: {e}"),
        }
    }
}
