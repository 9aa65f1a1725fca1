//! Fuzz target `model_output`: a model's answer, as the model engine reads it.
//!
//! The input is the answer text (lossily decoded: providers hand over strings). It goes
//! through the JSON extractor and, for every kind, the schema parser; content that parses is
//! validated in two contexts (against a real outline and source, and with no outline, a
//! topic source and options derived from the input), and the repair prompt the engine would
//! send next is written from the violations or the parse error.

use std::sync::LazyLock;

use factory_shared::content::{
    Content, Kind, Length, Options, Outline, ValidationContext, Violation,
};
use factory_shared::model::engine::{extract_json, parse_answer};
use factory_shared::model::prompts;
use factory_shared::source::SourceText;

/// A short source, and its outline as the extractive engine built it. The corpus holds
/// answers written for that outline, so valid ones reach the deepest checks.
const SOURCE: &str = include_str!("model_output_source.md");
const OUTLINE_JSON: &str = include_str!("model_output_outline.json");

static OUTLINE: LazyLock<Outline> =
    LazyLock::new(|| serde_json::from_str(OUTLINE_JSON).expect("the fixture outline parses"));

static SOURCE_CHARS: LazyLock<usize> = LazyLock::new(|| {
    SourceText::parse(SOURCE)
        .expect("the fixture source is accepted")
        .chars()
});

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(json) = extract_json(&text) {
        assert!(json.starts_with('{'), "extracted {json:?}");
    }
    let options = options_from(data);
    for kind in Kind::ALL {
        match parse_answer(kind, &text) {
            Ok(content) => validated(kind, &content, &options),
            Err(parse_error) => repair(&[], Some(&parse_error)),
        }
    }
}

/// Options a job could have asked for, varied by the input so every count rule is reached.
fn options_from(data: &[u8]) -> Options {
    let seed = data.iter().fold(data.len(), |acc, &b| {
        acc.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    let mut options = Options {
        speakers: (seed % 6) as u8,
        length: [Length::Short, Length::Standard, Length::Long][seed / 6 % 3],
        ..Options::default()
    };
    if seed.is_multiple_of(4) {
        options
            .counts
            .insert(Kind::ALL[seed / 18 % 8], (seed / 144 % 30) as u32);
    }
    options
}

fn validated(kind: Kind, content: &Content, options: &Options) {
    assert_eq!(content.kind(), kind);
    let body = content.body();
    assert_eq!(
        Content::from_json(kind, body.clone()).ok().as_ref(),
        Some(content),
        "a parsed {kind} does not read back from its own JSON"
    );
    let grounded = ValidationContext {
        outline: Some(&OUTLINE),
        source_chars: Some(*SOURCE_CHARS),
        options: &Options::default(),
    };
    let topic = ValidationContext {
        outline: None,
        source_chars: None,
        options,
    };
    for ctx in [grounded, topic] {
        let violations = content.validate(&ctx);
        for v in &violations {
            assert!(
                v.path.is_empty() || v.path.starts_with('/'),
                "{v:?} is not a JSON Pointer"
            );
            assert!(!v.message.is_empty(), "{v:?} has no message");
            // The node itself, or for a missing node the object that should hold it.
            let parent = v.path.rsplit_once('/').map_or("", |(p, _)| p);
            assert!(
                body.pointer(&v.path).is_some() || body.pointer(parent).is_some(),
                "{v:?} points outside the {kind}"
            );
        }
        if !violations.is_empty() {
            repair(&violations, None);
        }
    }
}

/// The engine can always write the follow-up turn asking for a corrected answer.
fn repair(violations: &[Violation], parse_error: Option<&str>) {
    if let Err(e) = prompts::repair(violations, parse_error) {
        panic!("no repair prompt for {parse_error:?} / {violations:?}: {e}");
    }
}
