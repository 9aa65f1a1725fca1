//! Languages: the extractive engine writes each of its six languages alone (no English
//! scaffolding around French sentences), never doubles punctuation when it puts a title in
//! a template, refuses what it cannot write with `unsupported_language`, and model engines
//! are told the language in their prompt.

use std::time::Duration;

use factory_shared::analysis::language::{Language, detect};
use factory_shared::content::{Artifact, Content, Kind, Options, Scaffolding};
use factory_shared::extractive::choose_language;
use factory_shared::jobs::JobStatus;
use factory_shared::objects::ObjectPath;
use factory_shared::pipeline::Submission;
use factory_shared::source::SourceText;
use factory_testkit::model_server::FakeModelServer;
use proptest::prelude::*;

use crate::extractive::build_all;
use crate::support::started_factory;

/// Sources in each language: the shipped English examples, the Portuguese document of the
/// corpus, and short texts written for these tests in Spanish, French, German and Italian
/// (with headings ending in "?", " ?", "!" and "."). The proptest below draws from these.
const SOURCES: [(&str, Language); 8] = [
    ("../examples/chapter-roman-republic.md", Language::English),
    ("../examples/syllabus-photosynthesis.md", Language::English),
    (
        "tests/fixtures/languages/es-la-fotosintesis.md",
        Language::Spanish,
    ),
    (
        "../corpus/docs/pt-debian-handbook-documentos-fundacao.md",
        Language::Portuguese,
    ),
    (
        "tests/fixtures/languages/fr-cycle-de-leau.md",
        Language::French,
    ),
    (
        "tests/fixtures/languages/de-das-immunsystem.md",
        Language::German,
    ),
    (
        "tests/fixtures/languages/it-il-sistema-solare.md",
        Language::Italian,
    ),
    ("../examples/note-tcp-handshake.txt", Language::English),
];

/// The Spanish document of the corpus: its sections are numbered plain-text lines, which
/// the analysis does not read as headings yet (issue 15, structure), so it is refused as
/// too thin; it must never be refused for its language or mix languages.
const SPANISH_CORPUS: &str = "../corpus/docs/es-debian-handbook-espacio-usuario.txt";

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every string in a JSON value, with its JSON Pointer.
fn strings(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::String(s) => out.push((path.to_owned(), s.clone())),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, &format!("{path}/{i}"), out);
            }
        }
        serde_json::Value::Object(fields) => {
            for (key, item) in fields {
                strings(item, &format!("{path}/{key}"), out);
            }
        }
        _ => {}
    }
}

fn text_fields(content: &Content) -> Vec<(String, String)> {
    let mut out = Vec::new();
    strings(&content.body(), "", &mut out);
    out
}

/// Doubled closing punctuation: `??`, `?.`, `.?`, `..`, `!.`, `?:` and the like, also with
/// spaces or quotation marks between the two marks ("« Pourquoi ? » ?"). A run of three or
/// more dots is an ellipsis, not a doubling. Returns each doubling with the word before it.
fn doublings(text: &str) -> Vec<String> {
    const BETWEEN: &[char] = &[
        ' ', '\u{a0}', '\u{202f}', '"', '\'', '\u{201c}', '\u{201d}', '\u{201e}', '\u{ab}',
        '\u{bb}',
    ];
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for (i, &c) in chars.iter().enumerate() {
        if !matches!(c, '.' | '?' | '!') {
            continue;
        }
        let mut j = i + 1;
        while j < chars.len() && BETWEEN.contains(&chars[j]) {
            j += 1;
        }
        let Some(&next) = chars.get(j) else { continue };
        let ellipsis = c == '.'
            && next == '.'
            && j == i + 1
            && (chars.get(j + 1) == Some(&'.') || (i > 0 && chars[i - 1] == '.'));
        // "?!" and "!?" are one mark of surprise, not a doubling.
        let surprise = matches!((c, next), ('?', '!') | ('!', '?'));
        if matches!(next, '.' | '?' | '!' | ':') && !ellipsis && !surprise {
            let start = chars[..i]
                .iter()
                .rposition(|c| c.is_whitespace())
                .map_or(0, |p| p + 1);
            found.push(chars[start..=j].iter().collect());
        }
    }
    found
}

/// The English scaffolding's own words: each template's text between placeholders, where
/// it has two words or more ("What should a learner know about", "Let's turn to").
fn english_fragments() -> Vec<String> {
    let english = Scaffolding::of(Language::English);
    let mut fragments = Vec::new();
    for template in english.templates() {
        for piece in template.split(['{', '}']).step_by(2) {
            let piece = piece.trim_matches(|c: char| !c.is_alphanumeric());
            if piece.split_whitespace().count() >= 2 {
                fragments.push(piece.to_owned());
            }
        }
    }
    fragments
}

/// What is wrong with the artifacts built from `source` in `language`: doubled punctuation
/// that the source does not hold itself, English scaffolding in another language, or an
/// artifact whose text reads as another language. Returns the problems and how many
/// artifacts were built.
fn problems(
    source: &str,
    language: Language,
    built: &[Result<Content, String>],
) -> (Vec<String>, usize) {
    let fragments = english_fragments();
    let english_words: Vec<&str> = Scaffolding::of(Language::English)
        .templates()
        .into_iter()
        .filter(|t| !t.contains(' ') && !t.contains('{'))
        .collect();
    // Labels of two words or more ("Key takeaways", "Answer key"): one word such as
    // "Conclusion" or "Quiz" is the same in other languages.
    let english_labels: Vec<String> = Scaffolding::of(Language::English)
        .labels
        .all()
        .into_iter()
        .map(|l| l.replace("{title}", "").trim_matches([':', ' ']).to_owned())
        .filter(|l| l.split_whitespace().count() >= 2 && !l.contains('{'))
        .collect();
    let lower_source = source.to_lowercase();
    let mut problems = Vec::new();
    let mut artifacts = 0;
    for content in built.iter().flatten() {
        artifacts += 1;
        let kind = content.kind();
        let fields = text_fields(content);
        for (path, text) in &fields {
            for doubled in doublings(text) {
                if !source.contains(&doubled) {
                    problems.push(format!(
                        "{kind}{path}: doubled punctuation {doubled:?} in {text:?}"
                    ));
                }
            }
            if language != Language::English {
                for fragment in &fragments {
                    let lower = fragment.to_lowercase();
                    if text.to_lowercase().contains(&lower) && !lower_source.contains(&lower) {
                        problems.push(format!("{kind}{path}: English {fragment:?} in {text:?}"));
                    }
                }
                if english_words.contains(&text.as_str()) {
                    problems.push(format!("{kind}{path}: the English {text:?}"));
                }
            }
        }
        if language != Language::English {
            let markdown = content.to_markdown(&Scaffolding::of(language).labels);
            for label in &english_labels {
                if markdown.contains(label) && !source.contains(label) {
                    problems.push(format!(
                        "{kind}: the English heading {label:?} in its Markdown"
                    ));
                }
            }
        }
        let all: Vec<&str> = fields.iter().map(|(_, t)| t.as_str()).collect();
        let found = detect(&all.join("\n")).and_then(|d| d.language);
        if found != Some(language) {
            problems.push(format!(
                "{kind}: reads as {found:?}, the source is {language:?}"
            ));
        }
    }
    (problems, artifacts)
}

#[test]
fn each_source_is_detected_in_its_language() {
    for (path, language) in SOURCES {
        let found = detect(&read(path)).and_then(|d| d.language);
        assert_eq!(found, Some(language), "{path}");
    }
}

#[test]
fn every_artifact_is_written_in_its_sources_language_alone_without_doubled_punctuation() {
    for (path, language) in SOURCES {
        let text = read(path);
        let built = build_all(&text, &Options::default());
        let (problems, artifacts) = problems(&text, language, &built);
        assert!(problems.is_empty(), "{path}:\n{}", problems.join("\n"));
        let failed: Vec<&String> = built.iter().filter_map(|b| b.as_ref().err()).collect();
        assert_eq!(artifacts, Kind::ALL.len(), "{path}: {failed:#?}");
    }
}

#[test]
fn the_spanish_corpus_document_is_detected_and_never_refused_for_its_language() {
    let text = read(SPANISH_CORPUS);
    let detected = detect(&text).and_then(|d| d.language);
    assert_eq!(detected, Some(Language::Spanish));
    let built = build_all(&text, &Options::default());
    let (problems, _) = problems(&text, Language::Spanish, &built);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for result in &built {
        if let Err(e) = result {
            assert!(e.starts_with("source_too_thin"), "{e}");
        }
    }
}

#[test]
fn english_scaffolding_would_be_caught_in_a_french_artifact() {
    // The check above must be able to fail: an FAQ question in the English template.
    let fr = read("tests/fixtures/languages/fr-cycle-de-leau.md");
    let mut built = build_all(&fr, &Options::default());
    let Ok(Content::Faq(faq)) = &mut built[Kind::ALL.iter().position(|k| *k == Kind::Faq).unwrap()]
    else {
        panic!("no French FAQ")
    };
    faq.items[0].question = "What should a learner know about « L'évaporation » ??".into();
    let (problems, _) = problems(&fr, Language::French, &built);
    assert!(
        problems.iter().any(|p| p.contains("English")),
        "{problems:#?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("doubled")),
        "{problems:#?}"
    );
}

#[test]
fn a_french_heading_ending_in_a_question_mark_makes_one_french_question() {
    let fr = read("tests/fixtures/languages/fr-cycle-de-leau.md");
    let built = build_all(&fr, &Options::default());
    let faq = built
        .iter()
        .find_map(|b| match b {
            Ok(Content::Faq(faq)) => Some(faq),
            _ => None,
        })
        .expect("a French FAQ");
    let questions: Vec<&str> = faq.items.iter().map(|i| i.question.as_str()).collect();
    assert!(
        questions
            .contains(&"Que faut-il retenir sur «\u{a0}Qu'est-ce que l'évaporation\u{a0}»\u{a0}?"),
        "{questions:#?}"
    );
}

#[test]
fn doublings_are_found_beside_quotes_but_an_ellipsis_is_not_one() {
    assert_eq!(doublings("Why?? Yes."), ["Why??"]);
    assert_eq!(doublings("« Pourquoi ? » ?"), ["? » ?"]);
    assert!(doublings("Vraiment ?! Oui.").is_empty());
    assert!(doublings("Wait... then it came. Done.").is_empty());
    assert_eq!(doublings("“It ends.”?"), ["ends.”?"]);
}

#[test]
fn the_engine_writes_the_language_asked_for_or_the_sources_and_refuses_to_mix() {
    let fr = detect(&read("tests/fixtures/languages/fr-cycle-de-leau.md"));
    let dutch = detect(
        "De planten maken hun voedsel met behulp van het licht van de zon. \
         Deze omzetting vindt plaats in de bladeren, waar het bladgroen zit.",
    );
    assert_eq!(choose_language(None, fr), Ok(Language::French));
    assert_eq!(choose_language(Some("fr-CA"), fr), Ok(Language::French));
    assert_eq!(choose_language(None, None), Ok(Language::English));
    assert_eq!(choose_language(Some("de"), None), Ok(Language::German));
    let mixing = choose_language(Some("en"), fr).unwrap_err();
    assert!(
        mixing.contains("French") && mixing.contains("English"),
        "{mixing}"
    );
    let unwritten = choose_language(Some("nl"), None).unwrap_err();
    assert!(unwritten.contains("`nl`"), "{unwritten}");
    let source_unwritten = choose_language(None, dutch).unwrap_err();
    assert!(source_unwritten.contains("Dutch"), "{source_unwritten}");
}

#[test]
fn an_english_job_of_a_french_source_fails_with_unsupported_language() {
    let fr = read("tests/fixtures/languages/fr-cycle-de-leau.md");
    let options = Options {
        language: Some("en".into()),
        ..Options::default()
    };
    let built = build_all(&fr, &options);
    for result in &built {
        let error = result.as_ref().unwrap_err();
        assert!(error.starts_with("unsupported_language"), "{error}");
    }
    assert_eq!(built.len(), Kind::ALL.len());
}

// ---------------------------------------------------------------------------------------------
// Any heading punctuation, any language, any level and length

/// A source of `path` whose headings each end in the chosen punctuation.
fn with_heading_endings(text: &str, endings: &[&str]) -> String {
    let mut n = 0;
    text.lines()
        .map(|line| {
            if line.starts_with("## ") {
                n += 1;
                let bare = line.trim_end_matches(['?', '!', '.', ':', ' ', '\u{a0}']);
                format!("{bare}{}", endings[n % endings.len()])
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ending() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "?", " ?", "!", ".", ":", "...", "?!"])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn no_language_and_no_heading_punctuation_doubles_punctuation_or_mixes_languages(
        source in 0..SOURCES.len(),
        endings in prop::collection::vec(ending(), 1..6),
        level in prop::sample::select(vec!["beginner", "intermediate", "advanced"]),
        speakers in 1..=4u8,
    ) {
        let (path, language) = SOURCES[source];
        let text = with_heading_endings(&read(path), &endings);
        let options = Options {
            level: level.parse().unwrap(),
            speakers,
            ..Options::default()
        };
        let built = build_all(&text, &options);
        // Headings the test appended: their doubling would be the source's, so compare
        // against the source without them.
        let bare = with_heading_endings(&read(path), &[""]);
        let (problems, artifacts) = problems(&bare, language, &built);
        prop_assert!(problems.is_empty(), "{path} {endings:?}:\n{}", problems.join("\n"));
        prop_assert!(artifacts >= 1, "{path}: nothing was built");
    }
}

// ---------------------------------------------------------------------------------------------
// Model engines

const ROMAN: &str = include_str!("../../../examples/chapter-roman-republic.md");

/// Runs a bundle through an OpenAI-compatible fake and returns every system prompt sent.
async fn system_prompts(source: &str, options: Options) -> (JobStatus, Vec<String>) {
    let fake = FakeModelServer::start(ROMAN, Options::default(), Duration::ZERO).await;
    let model = format!("openai:llama3.1@{}/v1", fake.base_url());
    let (factory, _dir) =
        started_factory(&[("FACTORY_MODEL", &model), ("OPENAI_API_KEY", "sk-test-key")]).await;
    let submission = Submission::new(
        "school",
        SourceText::parse(source).unwrap(),
        vec![Kind::Faq],
        options,
    );
    let job = factory.pipeline.submit(submission).await.unwrap().job;
    let store = &factory.pipeline.ports.store;
    let mut status = job.status;
    for _ in 0..1_500 {
        status = store.get_job(&job.id).await.unwrap().unwrap().value.status;
        if status.is_terminal() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let prompts = fake
        .requests()
        .iter()
        .map(|r| {
            r.body["messages"][0]["content"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    (status, prompts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_is_told_the_language_the_job_asks_for() {
    let options = Options {
        language: Some("pt-BR".into()),
        ..Options::default()
    };
    let (status, prompts) = system_prompts(ROMAN, options).await;
    assert_eq!(status, JobStatus::Succeeded);
    assert_eq!(prompts.len(), 2, "the outline and the FAQ");
    for prompt in &prompts {
        assert!(
            prompt.contains("Write every text field in `pt-BR`"),
            "{prompt}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_is_told_the_sources_language_when_the_job_names_none() {
    let de = read("tests/fixtures/languages/de-das-immunsystem.md");
    let (_, prompts) = system_prompts(&de, Options::default()).await;
    assert!(!prompts.is_empty());
    for prompt in &prompts {
        assert!(
            prompt.contains("Write every text field in `de`"),
            "{prompt}"
        );
        assert!(
            prompt.contains("Lernende mit Vorkenntnissen im Thema"),
            "the default audience in German: {prompt}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_job_is_stored_and_rendered_in_french() {
    let (factory, _dir) = started_factory(&[]).await;
    let source = read("tests/fixtures/languages/fr-cycle-de-leau.md");
    let options = Options {
        audio: false,
        ..Options::default()
    };
    let submission = Submission::new(
        "school",
        SourceText::parse(&source).unwrap(),
        vec![Kind::OnePager, Kind::Quiz, Kind::Flashcards],
        options,
    );
    let job = factory.pipeline.submit(submission).await.unwrap().job;
    assert_eq!(
        job.options.language.as_deref(),
        Some("fr"),
        "settled at submission"
    );
    let store = &factory.pipeline.ports.store;
    let objects = &factory.pipeline.ports.objects;
    let mut ended = job.clone();
    for _ in 0..1_500 {
        ended = store.get_job(&job.id).await.unwrap().unwrap().value;
        if ended.status.is_terminal() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(ended.status, JobStatus::Succeeded, "{ended:#?}");
    let file = |name: &str| {
        let path = ObjectPath::new(format!("jobs/{}/{name}", job.id)).unwrap();
        async move { String::from_utf8(objects.get(&path).await.unwrap().unwrap().to_vec()).unwrap() }
    };
    let artifact: Artifact = serde_json::from_str(&file("quiz.json").await).unwrap();
    assert_eq!(artifact.meta.language, "fr");
    let one_pager = file("one-pager.md").await;
    assert!(one_pager.contains("## À retenir"), "{one_pager}");
    let quiz = file("quiz.html").await;
    assert!(
        quiz.contains("Corrigé") && !quiz.contains("Answer key"),
        "{quiz}"
    );
    let coverage = file("coverage.md").await;
    assert!(
        coverage.contains("| Objectif |") && !coverage.contains("coverage of the"),
        "{coverage}"
    );
    let cards = file("flashcards.anki.tsv").await;
    assert!(
        cards.contains("de la source") && !cards.contains("of the source"),
        "{cards}"
    );
}
