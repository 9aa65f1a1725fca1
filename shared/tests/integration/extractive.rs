//! The extractive engine on the shipped examples: every kind is built, valid, grounded and
//! deterministic.

use std::sync::Arc;

use factory_shared::content::{Content, Kind, Options, ValidationContext};
use factory_shared::extractive::ExtractiveEngine;
use factory_shared::generation::GenerationRequest;
use factory_shared::source::SourceText;

pub const EXAMPLES: [&str; 3] = [
    "../examples/syllabus-photosynthesis.md",
    "../examples/chapter-roman-republic.md",
    "../examples/note-tcp-handshake.txt",
];

fn request(
    source: &SourceText,
    kind: Kind,
    outline: Option<&Content>,
    options: &Options,
) -> GenerationRequest {
    GenerationRequest {
        kind,
        source: Arc::from(source.as_str()),
        source_sha256: source.sha256(),
        outline: outline.map(|o| match o {
            Content::Outline(o) => Arc::new(o.clone()),
            _ => unreachable!(),
        }),
        options: Arc::new(options.clone()),
    }
}

/// Builds every kind of a source; returns them with the outline first.
pub fn build_all(text: &str, options: &Options) -> Vec<Result<Content, String>> {
    let source = SourceText::parse(text).unwrap();
    let engine = ExtractiveEngine::new();
    let outline = engine
        .build(&request(&source, Kind::Outline, None, options))
        .map_err(|e| e.to_string());
    let mut out = vec![outline.clone()];
    for kind in &Kind::ALL[1..] {
        let built = match &outline {
            Ok(o) => engine
                .build(&request(&source, *kind, Some(o), options))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.clone()),
        };
        out.push(built);
    }
    out
}

#[test]
fn every_example_yields_all_eight_valid_kinds() {
    for path in EXAMPLES {
        let text = std::fs::read_to_string(path).unwrap();
        let source = SourceText::parse(&text).unwrap();
        let options = Options::default();
        let built = build_all(&text, &options);
        let outline = match &built[0] {
            Ok(Content::Outline(o)) => o.clone(),
            other => panic!("{path}: no outline: {other:?}"),
        };
        let ctx = ValidationContext {
            outline: Some(&outline),
            source_chars: Some(source.chars()),
            options: &options,
        };
        for (kind, content) in Kind::ALL.iter().zip(&built) {
            let content = content
                .as_ref()
                .unwrap_or_else(|e| panic!("{path}: {kind} failed: {e}"));
            let violations = content.validate(&ctx);
            assert!(violations.is_empty(), "{path}: {kind}: {violations:#?}");
        }
    }
}
