//! Property tests: the source parser and the analysis never panic and keep their spans honest,
//! the validators survive any mutation of a valid artifact, the extractive engine either
//! refuses a thin source or builds artifacts its own validators accept, and the source edge
//! check holds to its length bounds exactly.

use std::sync::{Arc, LazyLock};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use serde_json::Value;

use factory_shared::analysis::text;
use factory_shared::content::validate::Rule;
use factory_shared::content::{
    Content, Kind, Length, Level, Options, Outline, ValidationContext, Violation,
};
use factory_shared::extractive::{ExtractiveEngine, analyse};
use factory_shared::generation::GenerationRequest;
use factory_shared::outcome::ErrorCode;
use factory_shared::source::{
    Document, MAX_SOURCE_CHARS, MIN_SOURCE_CHARS, SourceError, SourceText,
};

/// Few cases so the file runs in seconds in debug builds, and no regression files written
/// into the source tree.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(cases)
    }
}

// ---------------------------------------------------------------------------------------------
// Generators

/// One line of Markdown-ish text, including the awkward cases: markers without bodies, fences,
/// setext underlines, tables, indentation and arbitrary printable text.
fn markdown_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "#{1,7}[ \t]?[A-Za-zé ]{0,20}( #{0,3})?",
        "[ ]{0,3}[-*+][ \t][A-Za-z .]{0,30}",
        "[0-9]{1,4}[.)][ ]?[a-z ]{0,20}",
        ">[ >]{0,3}[a-z.!? ]{0,30}",
        "[ ]{0,2}(```|~~~)[a-z]{0,5}",
        "(={0,4}|-{0,4}|\\*\\*\\*|_ _ _)",
        "\\|[a-z |]{0,10}\\|?",
        "[ \t]{0,4}",
        "[ \t]{0,3}[A-Z][a-z]{1,8}( [a-z]{1,8}){0,6}[.!?]{0,2}",
        "\\PC{0,20}",
        Just("Ünïcode café 日本語 🌱 naïve, Straße.".to_owned()),
    ]
}

/// Markdown-ish lines joined by any of the line endings a file may hold.
fn markdownish() -> impl Strategy<Value = String> {
    let ending = prop_oneof![Just("\n"), Just("\n\n"), Just("\r\n"), Just("\r")];
    prop::collection::vec((markdown_line(), ending), 0..24).prop_map(|lines| {
        lines
            .into_iter()
            .fold(String::new(), |mut out, (line, end)| {
                out.push_str(&line);
                out.push_str(end);
                out
            })
    })
}

/// A word of prose: plain, wrapped whole in inline Markdown, or an abbreviation or number
/// that does not end a sentence; with `unicode`, also accented, CJK and emoji words.
fn prose_word(unicode: bool) -> impl Strategy<Value = String> {
    let special = if unicode {
        vec![
            "café",
            "naïve",
            "Ünïcode",
            "日本語",
            "🌱",
            "émigré",
            "Straße",
            "it’s",
            "—",
            "e.g.",
            "Dr.",
            "3.5",
        ]
    } else {
        vec!["e.g.", "Dr.", "3.5", "it's", "--", "U.S."]
    };
    let specials = if unicode { 4 } else { 1 };
    prop_oneof![
        6 => "[a-z]{1,9}",
        specials => prop::sample::select(special).prop_map(str::to_owned),
        1 => "[a-z]{2,8}".prop_map(|w| format!("**{w}**")),
        1 => "[a-z]{2,8}".prop_map(|w| format!("_{w}_")),
        1 => "[a-z]{2,8}".prop_map(|w| format!("`{w}`")),
        1 => "[a-z]{2,8}".prop_map(|w| format!("[{w}](https://example.org/{w})")),
    ]
}

/// A sentence: a capitalized opening, words, and closing punctuation (sometimes none).
fn prose_sentence(unicode: bool) -> impl Strategy<Value = String> {
    (
        "[A-Z][a-z]{0,8}",
        prop::collection::vec(prose_word(unicode), 1..16),
        prop::sample::select(vec![".", "!", "?", "", "...", ".\""]),
    )
        .prop_map(|(first, words, end)| format!("{first} {}{end}", words.join(" ")))
}

/// A block of a Markdown-ish document: a paragraph (on one line or several), a heading, a
/// bullet or numbered list, a short line of Unicode, or nothing (so blank lines pile up).
/// Headings and the short line hold Unicode even without `unicode`; with it, sentences longer
/// than 80 bytes put multi-byte characters where definitions are looked for.
fn prose_block(unicode: bool) -> impl Strategy<Value = String> {
    let sentences =
        move |n: std::ops::Range<usize>| prop::collection::vec(prose_sentence(unicode), n);
    prop_oneof![
        3 => sentences(1..5).prop_map(|s| s.join(" ")),
        1 => sentences(1..3).prop_map(|s| s.join("\n")),
        1 => ("#{1,3}", "[A-Z][a-zé日ü]{2,8}( [a-z🌱]{2,8}){0,3}").prop_map(|(h, t)| format!("{h} {t}")),
        1 => sentences(1..4).prop_map(|items| items.iter().map(|i| format!("- {i}")).collect::<Vec<_>>().join("\n")),
        1 => sentences(1..3).prop_map(|items| {
            items.iter().enumerate().map(|(n, i)| format!("{}. {i}", n + 1)).collect::<Vec<_>>().join("\n")
        }),
        1 => prop::sample::select(vec!["Ünïcode café 日本語 🌱 naïve, Straße.", "Ça va très bien — merci.", "日本語の文です。"])
            .prop_map(str::to_owned),
        1 => Just(String::new()),
    ]
}

fn prose_document(unicode: bool) -> impl Strategy<Value = String> {
    prop::collection::vec(prose_block(unicode), 0..16).prop_map(|blocks| blocks.join("\n\n"))
}

fn length() -> impl Strategy<Value = Length> {
    prop::sample::select(vec![Length::Short, Length::Standard, Length::Long])
}

const WORDS: [&str; 40] = [
    "energy", "membrane", "protein", "light", "water", "carbon", "sugar", "enzyme", "signal",
    "pressure", "current", "river", "market", "contract", "senate", "voltage", "circuit",
    "molecule", "pigment", "glacier", "harbour", "theorem", "network", "packet", "server",
    "climate", "forest", "mineral", "crystal", "orbit", "planet", "gravity", "trade", "treaty",
    "colony", "engine", "turbine", "cell", "tissue", "organ",
];

fn word() -> impl Strategy<Value = &'static str> {
    prop::sample::select(WORDS.to_vec())
}

/// "Term 7 is a membrane that carries water across the river.", or a plain sentence about a
/// numbered term, so some sentences define terms and some do not.
fn plausible_sentence() -> impl Strategy<Value = String> {
    (
        0u32..60,
        word(),
        prop::collection::vec(word(), 4..10),
        0..4u8,
    )
        .prop_map(|(n, kind, words, form)| {
            let rest = words.join(" ");
            match form {
                0 => format!("Term {n} is a {kind} that links the {rest}."),
                1 => format!("The {kind} of term {n} changes the {rest} over time."),
                2 => format!("Term {n} refers to the {kind} behind every {rest}."),
                _ => format!("Students compare term {n} with the {kind} and the {rest}."),
            }
        })
}

/// The body of a section: two to five sentences, as one or two paragraphs.
fn plausible_section_body() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(plausible_sentence(), 2..=5),
        any::<bool>(),
    )
        .prop_map(|(sentences, split)| {
            if split && sentences.len() > 2 {
                format!(
                    "{}\n\n{}",
                    sentences[..2].join(" "),
                    sentences[2..].join(" ")
                )
            } else {
                sentences.join(" ")
            }
        })
}

/// A source of three to eight `## ` sections under a title, sometimes with an introduction.
/// Headings are numbered here; repeated headings have their own test
/// (`a_source_with_a_repeated_heading_...`).
fn plausible_source() -> impl Strategy<Value = String> {
    (
        word(),
        prop::option::of(prop::collection::vec(plausible_sentence(), 1..3)),
        prop::collection::vec((word(), word(), plausible_section_body()), 3..=8),
    )
        .prop_map(|(topic, intro, sections)| {
            let mut text = format!("# A Course on the {topic}\n\n");
            if let Some(intro) = intro {
                text.push_str(&intro.join(" "));
                text.push_str("\n\n");
            }
            for (i, (a, b, body)) in sections.iter().enumerate() {
                text.push_str(&format!(
                    "## Part {}: The {a} and the {b}\n\n{body}\n\n",
                    i + 1
                ));
            }
            text
        })
}

// ---------------------------------------------------------------------------------------------
// The source parser

fn check_document(text: &str) -> Result<(), TestCaseError> {
    let doc = Document::parse(text);
    let mut previous_end = 0;
    for block in &doc.blocks {
        let range = &block.range;
        prop_assert!(range.start < range.end, "empty block {range:?} in {text:?}");
        prop_assert!(
            range.end <= text.len(),
            "block {range:?} past the end of {text:?}"
        );
        prop_assert!(
            text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
            "block {range:?} splits a character of {text:?}"
        );
        prop_assert!(
            range.start >= previous_end,
            "block {range:?} overlaps or precedes the one ending at {previous_end} in {text:?}"
        );
        prop_assert_eq!(
            doc.char_offset(range.start),
            text[..range.start].chars().count()
        );
        prop_assert_eq!(
            doc.char_offset(range.end),
            text[..range.end].chars().count()
        );
        previous_end = range.end;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn the_parser_keeps_blocks_in_order_on_character_boundaries_for_any_text(text in "(?s).{0,300}") {
        check_document(&text)?;
    }

    #[test]
    fn the_parser_keeps_blocks_in_order_on_character_boundaries_for_markdownish_text(text in markdownish()) {
        check_document(&text)?;
    }
}

// ---------------------------------------------------------------------------------------------
// The analysis

fn check_spans(text: &str, length: Length) -> Result<(), TestCaseError> {
    let analysis = analyse(text, String::new(), length);
    let chars = text.chars().count();
    for i in 0..analysis.sentences.len() {
        let span = analysis.span(i);
        prop_assert!(
            span.start < span.end && span.end <= chars,
            "sentence {i} has span {span:?} in {chars} characters"
        );
    }
    Ok(())
}

fn check_first_words(text: &str, length: Length) -> Result<(), TestCaseError> {
    let analysis = analyse(text, String::new(), length);
    let chars: Vec<char> = text.chars().collect();
    let max_sections = match length {
        Length::Short => 5,
        Length::Standard => 8,
        Length::Long => 12,
    };
    prop_assert!(
        analysis.sections.len() <= max_sections,
        "{} sections at {length:?}",
        analysis.sections.len()
    );
    let mut previous_end = 0;
    for (i, sentence) in analysis.sentences.iter().enumerate() {
        let span = analysis.span(i);
        prop_assert!(
            span.start < span.end && span.end <= chars.len(),
            "sentence {i} has span {span:?}"
        );
        prop_assert!(
            span.start >= previous_end,
            "sentence {i} overlaps the one before"
        );
        previous_end = span.end;
        let slice: String = chars[span.start..span.end].iter().collect();
        let first = text::words(&sentence.text).next();
        prop_assert!(
            first.is_some(),
            "sentence {i} {:?} has no word",
            sentence.text
        );
        let first = first.unwrap_or_default();
        prop_assert!(
            slice.to_lowercase().contains(&first),
            "sentence {i} {:?} starts with {first:?} but its span {span:?} holds {slice:?}",
            sentence.text
        );
        if let Some(section) = sentence.section {
            prop_assert!(section < analysis.sections.len());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn analysis_never_panics_and_keeps_spans_inside_any_ascii_text(text in "(?s)[\\x00-\\x7f]{0,400}", length in length()) {
        check_spans(&text, length)?;
    }

    #[test]
    fn analysis_never_panics_and_keeps_spans_inside_any_text(text in "(?s).{0,400}", length in length()) {
        check_spans(&text, length)?;
    }

    #[test]
    fn every_sentence_span_slices_to_text_holding_its_first_word(text in prose_document(false), length in length()) {
        check_first_words(&text, length)?;
    }

    #[test]
    fn every_sentence_span_slices_to_text_holding_its_first_word_in_unicode_prose(text in prose_document(true), length in length()) {
        check_first_words(&text, length)?;
    }
}

#[test]
fn a_curly_apostrophe_at_byte_eighty_of_a_sentence_does_not_panic() {
    let sentence = "Chlorophyll is the green pigment that captures light in chloroplasts of a plant\u{2019}s leaves.";
    assert!(
        !sentence.is_char_boundary(80),
        "the apostrophe must straddle byte 80"
    );
    let analysis = analyse(sentence, String::new(), Length::Standard);
    assert_eq!(analysis.sentences.len(), 1);
}

#[test]
fn inline_markers_inside_a_word_stay_in_the_sentence_text() {
    let text = "The product 2*3 is six. The call f`x` is code.";
    let analysis = analyse(text, String::new(), Length::Standard);
    assert_eq!(analysis.sentences.len(), 2, "{:?}", analysis.sentences);
    let chars: Vec<char> = text.chars().collect();
    for (i, sentence) in analysis.sentences.iter().enumerate() {
        let span = analysis.span(i);
        let slice: String = chars[span.start..span.end].iter().collect();
        for word in text::words(&sentence.text) {
            assert!(
                slice.to_lowercase().contains(&word),
                "{:?} holds {word:?}, its source {slice:?} does not",
                sentence.text
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The validators

/// The example's artifacts, built once for every case.
struct Example {
    source_chars: usize,
    outline: Outline,
    built: Vec<Content>,
}

static EXAMPLE: LazyLock<Example> = LazyLock::new(|| {
    let text = std::fs::read_to_string("../examples/syllabus-photosynthesis.md")
        .expect("the example exists");
    let source_chars = SourceText::parse(&text).expect("a valid source").chars();
    let built: Vec<Content> = crate::extractive::build_all(&text, &Options::default())
        .into_iter()
        .map(|c| c.expect("every kind builds from the example"))
        .collect();
    let Content::Outline(outline) = built[0].clone() else {
        panic!("the outline comes first")
    };
    Example {
        source_chars,
        outline,
        built,
    }
});

/// One edit of an artifact's JSON, at a node chosen by `Index` among all of its nodes.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replaces a string.
    Text(Index, String),
    /// Replaces a number.
    Number(Index, u64),
    /// Removes an element of an array.
    Remove(Index, Index),
    /// Repeats an element of an array at its end.
    Repeat(Index, Index),
    /// Swaps two elements of an array.
    Swap(Index, Index, Index),
    /// Empties an array or a string.
    Clear(Index),
    /// Removes an optional field of an object (or replaces a node by null).
    Null(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let text = prop_oneof![
        Just(String::new()),
        "\\PC{0,40}",
        "[A-Za-z ?]{0,40}\\?",
        (0usize..2_200).prop_map(|n| "w".repeat(n)),
    ];
    let number = prop_oneof![
        0u64..20,
        0u64..20_000,
        Just(u64::from(u32::MAX)),
        any::<u32>().prop_map(u64::from)
    ];
    prop_oneof![
        4 => (any::<Index>(), text).prop_map(|(at, s)| Mutation::Text(at, s)),
        4 => (any::<Index>(), number).prop_map(|(at, n)| Mutation::Number(at, n)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(at, i)| Mutation::Remove(at, i)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(at, i)| Mutation::Repeat(at, i)),
        1 => (any::<Index>(), any::<Index>(), any::<Index>()).prop_map(|(at, i, j)| Mutation::Swap(at, i, j)),
        1 => any::<Index>().prop_map(Mutation::Clear),
        1 => any::<Index>().prop_map(Mutation::Null),
    ]
}

/// Every node's JSON Pointer (the keys of these artifacts need no escaping).
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    out.push(at.to_owned());
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| pointers(v, &format!("{at}/{i}"), out)),
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| pointers(v, &format!("{at}/{k}"), out)),
        _ => {}
    }
}

fn apply(value: &mut Value, mutation: &Mutation) {
    let mut all = Vec::new();
    pointers(value, "", &mut all);
    let at = match mutation {
        Mutation::Text(at, _)
        | Mutation::Number(at, _)
        | Mutation::Remove(at, _)
        | Mutation::Repeat(at, _)
        | Mutation::Swap(at, _, _)
        | Mutation::Clear(at)
        | Mutation::Null(at) => at.get(&all).clone(),
    };
    if let Mutation::Null(_) = mutation
        && let Some((parent, key)) = at.rsplit_once('/')
        && let Some(Value::Object(map)) = value.pointer_mut(parent)
    {
        map.remove(key);
        return;
    }
    let Some(node) = value.pointer_mut(&at) else {
        return;
    };
    match (mutation, node) {
        (Mutation::Text(_, s), node @ Value::String(_)) => *node = Value::String(s.clone()),
        (Mutation::Number(_, n), node @ Value::Number(_)) => *node = Value::from(*n),
        (Mutation::Remove(_, i), Value::Array(items)) if !items.is_empty() => {
            items.remove(i.index(items.len()));
        }
        (Mutation::Repeat(_, i), Value::Array(items)) if !items.is_empty() => {
            let item = items[i.index(items.len())].clone();
            items.push(item);
        }
        (Mutation::Swap(_, i, j), Value::Array(items)) if !items.is_empty() => {
            let (i, j) = (i.index(items.len()), j.index(items.len()));
            items.swap(i, j);
        }
        (Mutation::Clear(_), Value::Array(items)) => items.clear(),
        (Mutation::Clear(_), Value::String(s)) => s.clear(),
        (Mutation::Null(_), node) => *node = Value::Null,
        _ => {}
    }
}

/// The content JSON of an artifact (without the `kind` tag).
fn content_json(content: &Content) -> Value {
    let mut tagged = serde_json::to_value(content).expect("content serializes");
    tagged["content"].take()
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn validators_never_panic_on_mutated_artifacts_and_point_into_them(
        which in 0..Kind::ALL.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
        outline_mutations in prop::collection::vec(mutation(), 0..3),
        with_outline in any::<bool>(),
        source_chars in prop::option::of(prop_oneof![Just(EXAMPLE.source_chars), 0usize..20_000]),
        speakers in 0u8..=5,
        length in length(),
        count in prop::option::of(0u32..30),
    ) {
        let kind = Kind::ALL[which];
        let mut json = content_json(&EXAMPLE.built[which]);
        for m in &mutations {
            apply(&mut json, m);
        }
        let mut outline_json = content_json(&EXAMPLE.built[0]);
        for m in &outline_mutations {
            apply(&mut outline_json, m);
        }
        let outline: Outline = serde_json::from_value(outline_json).unwrap_or_else(|_| EXAMPLE.outline.clone());
        let mut options = Options { speakers, length, ..Options::default() };
        if let Some(n) = count {
            options.counts.insert(kind, n);
        }
        let ctx = ValidationContext { outline: with_outline.then_some(&outline), source_chars, options: &options };

        // Mutations that break the schema are the deserializer's business, not the
        // validator's; proptest fails the run if too few cases get past this.
        let content = Content::from_json(kind, json);
        prop_assume!(content.is_ok(), "the mutation broke the schema");
        let content = content.unwrap_or_else(|_| unreachable!());
        let violations = content.validate(&ctx);
        let canonical = content_json(&content);
        for v in &violations {
            prop_assert!(v.path.is_empty() || v.path.starts_with('/'), "{v:?} is not a JSON Pointer");
            prop_assert!(!v.message.is_empty(), "{v:?} has no message");
            prop_assert!(points_into(&canonical, v), "{v:?} points outside the {kind}");
        }
    }
}

/// Whether a violation names a node of the artifact, or (for a missing field) a field that
/// is absent from an object that exists.
fn points_into(artifact: &Value, violation: &Violation) -> bool {
    if artifact.pointer(&violation.path).is_some() {
        return true;
    }
    let Some((parent, _)) = violation.path.rsplit_once('/') else {
        return false;
    };
    violation.rule == Rule::Required && artifact.pointer(parent).is_some_and(Value::is_object)
}

#[test]
fn a_violation_pointer_must_name_a_node_or_a_missing_field_of_an_object() {
    let artifact = serde_json::json!({"title": "T", "items": [{"question": "Q?"}]});
    let at = |path: &str, rule| Violation {
        path: path.into(),
        rule,
        message: "m".into(),
    };
    assert!(points_into(
        &artifact,
        &at("/items/0/question", Rule::Question)
    ));
    assert!(points_into(
        &artifact,
        &at("/items/0/answer", Rule::Required)
    ));
    assert!(
        !points_into(&artifact, &at("/summary", Rule::Length)),
        "no such node"
    );
    assert!(
        !points_into(&artifact, &at("/items/7/answer", Rule::Required)),
        "no such parent"
    );
    assert!(
        !points_into(&artifact, &at("/title/x", Rule::Required)),
        "a string has no fields"
    );
}

// ---------------------------------------------------------------------------------------------
// The extractive engine on generated sources

fn request(
    source: &SourceText,
    kind: Kind,
    outline: Option<&Outline>,
    options: &Arc<Options>,
) -> GenerationRequest {
    GenerationRequest {
        kind,
        source: Arc::from(source.as_str()),
        source_sha256: source.sha256(),
        outline: outline.map(|o| Arc::new(o.clone())),
        options: Arc::clone(options),
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn the_engine_either_refuses_a_thin_source_or_builds_valid_artifacts(
        text in plausible_source(),
        length in length(),
        speakers in 1u8..=4,
        level in prop::sample::select(vec![Level::Beginner, Level::Intermediate, Level::Advanced]),
    ) {
        let source = SourceText::parse(&text);
        prop_assume!(source.is_ok(), "generated source too short");
        let source = source.unwrap_or_else(|_| unreachable!());
        let options = Arc::new(Options { length, speakers, level, ..Options::default() });
        let engine = ExtractiveEngine::new();
        let outline = match engine.build(&request(&source, Kind::Outline, None, &options)) {
            Ok(Content::Outline(outline)) => outline,
            Ok(other) => return Err(TestCaseError::fail(format!("asked for an outline, got a {}", other.kind()))),
            Err(e) => {
                prop_assert_eq!(e.code, ErrorCode::SourceTooThin, "outline: {}", e);
                return Ok(());
            }
        };
        let ctx = ValidationContext { outline: Some(&outline), source_chars: Some(source.chars()), options: &options };
        let violations = Content::Outline(outline.clone()).validate(&ctx);
        prop_assert!(violations.is_empty(), "outline of {text:?}: {violations:#?}");
        for kind in &Kind::ALL[1..] {
            match engine.build(&request(&source, *kind, Some(&outline), &options)) {
                Ok(content) => {
                    prop_assert_eq!(content.kind(), *kind);
                    let violations = content.validate(&ctx);
                    prop_assert!(violations.is_empty(), "{kind} of {text:?} at {length:?}: {violations:#?}");
                }
                Err(e) => prop_assert_eq!(e.code, ErrorCode::SourceTooThin, "{}: {}", kind, e),
            }
        }
    }
}

#[test]
fn a_source_with_a_repeated_heading_yields_a_valid_outline() {
    let section = |title: &str, topic: &str| {
        format!(
            "## {title}\n\nThe {topic} is a part of the course that students study in detail. \
             Students compare the {topic} with earlier ideas and explain how it works.\n\n"
        )
    };
    let text = format!(
        "# Plant Biology\n\n{}{}{}{}",
        section("Roots", "root system"),
        section("Summary", "root summary"),
        section("Leaves", "leaf structure"),
        section("Summary", "leaf summary")
    );
    let source = SourceText::parse(&text).expect("a valid source");
    let options = Arc::new(Options::default());
    let outline = ExtractiveEngine::new()
        .build(&request(&source, Kind::Outline, None, &options))
        .expect("four sections of two sentences each make an outline");
    let ctx = ValidationContext {
        outline: None,
        source_chars: Some(source.chars()),
        options: &options,
    };
    let violations = outline.validate(&ctx);
    assert!(violations.is_empty(), "{violations:#?}");
}

// ---------------------------------------------------------------------------------------------
// The source edge check

/// Text that ends with a non-whitespace character (or is empty), holds no `\r`, NUL or BOM,
/// so normalization leaves its length alone.
fn body() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "[a-zA-Zé日🌱 \n.,]{0,300}[a-zé日🌱.]"]
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn source_text_accepts_exactly_the_lengths_within_its_bounds(
        body in body(),
        min in 0usize..320,
        extra in 0usize..200,
        trailing in "[ \t\n\r]{0,5}",
        line_ending in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        bom in any::<bool>(),
    ) {
        let max = min + extra;
        let raw = format!("{}{}{trailing}", if bom { "\u{feff}" } else { "" }, body.replace('\n', line_ending));
        let n = body.chars().count();
        let parsed = SourceText::parse_within(&raw, min, max);
        if n == 0 {
            prop_assert_eq!(parsed, Err(SourceError::Empty));
        } else if n < min {
            prop_assert_eq!(parsed, Err(SourceError::TooShort { chars: n, min }));
        } else if n > max {
            prop_assert_eq!(parsed, Err(SourceError::TooLong { chars: n, max }));
        } else {
            let source = parsed.map_err(|e| TestCaseError::fail(format!("{n} characters within {min}..={max} refused: {e}")))?;
            prop_assert_eq!(source.chars(), n);
            prop_assert_eq!(source.as_str(), body.as_str());
        }
    }

    #[test]
    fn source_text_parse_uses_the_default_minimum(n in MIN_SOURCE_CHARS - 10..=MIN_SOURCE_CHARS + 10, unit in prop::sample::select(vec!["a", "é", "日", "🌱"])) {
        let parsed = SourceText::parse(&unit.repeat(n));
        if n < MIN_SOURCE_CHARS {
            prop_assert_eq!(parsed, Err(SourceError::TooShort { chars: n, min: MIN_SOURCE_CHARS }));
        } else {
            prop_assert_eq!(parsed.map(|s| s.chars()), Ok(n));
        }
    }
}

proptest! {
    #![proptest_config(config(8))]

    #[test]
    fn source_text_parse_uses_the_default_maximum(offset in 0usize..=4, unit in prop::sample::select(vec!["a", "é", "日", "🌱"])) {
        let n = MAX_SOURCE_CHARS - 2 + offset;
        let parsed = SourceText::parse(&unit.repeat(n));
        if n > MAX_SOURCE_CHARS {
            prop_assert_eq!(parsed, Err(SourceError::TooLong { chars: n, max: MAX_SOURCE_CHARS }));
        } else {
            prop_assert_eq!(parsed.map(|s| s.chars()), Ok(n));
        }
    }
}
