//! The validators of the nine kinds and the coverage matrix: each test starts from a valid artifact the extractive
//! engine built from the photosynthesis syllabus, breaks it in several ways at once and checks
//! the exact list of violations (path and rule, in the order the validator reports them).

use factory_shared::content::detailed_reading::Reference;
use factory_shared::content::faq::FaqItem;
use factory_shared::content::flashcards::{Card, Difficulty};
use factory_shared::content::objectives::{Bloom, Coverage};
use factory_shared::content::podcast_script::{Speaker, SpeakerRole};
use factory_shared::content::quiz::{Choice, QuestionFormat};
use factory_shared::content::reading_questions::ReadingQuestion;
use factory_shared::content::study_guide::Concept;
use factory_shared::content::validate::Rule;
use factory_shared::content::{
    Content, Kind, Length, Options, Outline, Passage, SourceRef, Span, ValidationContext, Violation,
};
use factory_shared::source::SourceText;

use crate::extractive::build_all;

const EXAMPLE: &str = "../examples/syllabus-photosynthesis.md";

/// The example's artifacts, all valid, with what a validator compares them against.
struct Fixture {
    source_chars: usize,
    options: Options,
    built: Vec<Content>,
}

impl Fixture {
    fn new() -> Self {
        Self::with_options(Options::default())
    }

    fn with_options(options: Options) -> Self {
        let text = std::fs::read_to_string(EXAMPLE).expect("the example exists");
        let source_chars = SourceText::parse(&text)
            .expect("the example is a valid source")
            .chars();
        let built = build_all(&text, &options)
            .into_iter()
            .zip(Kind::ALL)
            .map(|(content, kind)| {
                content.unwrap_or_else(|e| panic!("{kind} failed to build: {e}"))
            })
            .collect();
        let fixture = Self {
            source_chars,
            options,
            built,
        };
        for content in &fixture.built {
            let violations = content.validate(&fixture.ctx());
            assert!(
                violations.is_empty(),
                "the starting {} is not valid: {violations:#?}",
                content.kind()
            );
        }
        fixture
    }

    fn outline(&self) -> &Outline {
        match &self.built[0] {
            Content::Outline(outline) => outline,
            other => panic!("the first artifact is a {}", other.kind()),
        }
    }

    fn ctx(&self) -> ValidationContext<'_> {
        self.ctx_with(&self.options)
    }

    fn ctx_with<'a>(&'a self, options: &'a Options) -> ValidationContext<'a> {
        ValidationContext {
            outline: Some(self.outline()),
            source_chars: Some(self.source_chars),
            options,
        }
    }

    fn built(&self, kind: Kind) -> Content {
        let index = Kind::ALL
            .iter()
            .position(|k| *k == kind)
            .expect("every kind is listed");
        self.built[index].clone()
    }

    /// A span that starts inside the source and ends one character past its end.
    fn past_end(&self) -> Span {
        Span {
            start: self.source_chars - 10,
            end: self.source_chars + 1,
        }
    }
}

/// A span whose end comes before its start.
const REVERSED: Option<Span> = Some(Span {
    start: 700,
    end: 600,
});

/// Validates `content` and asserts the exact (path, rule) list; returns the violations so the
/// caller can look at messages.
#[track_caller]
fn assert_violations(
    content: &Content,
    ctx: &ValidationContext<'_>,
    expected: &[(&str, Rule)],
) -> Vec<Violation> {
    let violations = content.validate(ctx);
    let found: Vec<(String, Rule)> = violations
        .iter()
        .map(|v| (v.path.clone(), v.rule))
        .collect();
    let expected: Vec<(String, Rule)> = expected
        .iter()
        .map(|&(path, rule)| (path.to_owned(), rule))
        .collect();
    assert_eq!(found, expected, "all violations: {violations:#?}");
    violations
}

/// The message of a violation holds every one of `words`.
#[track_caller]
fn assert_message(violation: &Violation, words: &[&str]) {
    for word in words {
        assert!(
            violation.message.contains(word),
            "{}: \"{}\" does not mention \"{word}\"",
            violation.path,
            violation.message
        );
    }
}

#[test]
fn an_outline_with_broken_sections_reports_each_violation_at_its_path() {
    let f = Fixture::new();
    let Content::Outline(mut outline) = f.built(Kind::Outline) else {
        unreachable!()
    };
    outline.overview = "Too short.".into();
    outline.learning_objectives[1] = "explain -- PHOTOSYNTHESIS!".into();
    outline.learning_objectives[2] = "Short".into();
    outline.sections[0].key_points[0].source.span = REVERSED;
    outline.sections[1].key_points[1].source.span = Some(f.past_end());
    outline.sections[1].key_points[2].source.section = 1;
    outline.sections.swap(2, 3);
    outline.sections[4].description = "   ".into();
    outline.sections[5].minutes = 0;
    let extra: Vec<Passage> = outline.sections[6]
        .key_points
        .iter()
        .cycle()
        .take(6)
        .cloned()
        .collect();
    outline.sections[6].key_points.extend(extra);
    outline.sections[7].title = "WEEK 7 -- measuring photosynthetic rates".into();

    let violations = assert_violations(
        &Content::Outline(outline),
        &f.ctx(),
        &[
            ("/overview", Rule::Length),
            ("/learning_objectives/2", Rule::Length),
            ("/learning_objectives/1", Rule::Duplicate),
            ("/sections/0/key_points/0/source/span", Rule::Reference),
            ("/sections/1/key_points/1/source/span", Rule::Reference),
            ("/sections/1/key_points/2/source/section", Rule::Reference),
            ("/sections/2/number", Rule::Order),
            ("/sections/3/number", Rule::Order),
            ("/sections/4/description", Rule::Required),
            ("/sections/5/minutes", Rule::Length),
            ("/sections/6/key_points", Rule::Count),
            ("/sections/7/title", Rule::Duplicate),
        ],
    );
    assert_message(&violations[0], &["at least 50", "found 10"]);
    assert_message(&violations[2], &["same as /learning_objectives/0"]);
    assert_message(&violations[3], &["reversed", "700..600"]);
    assert_message(&violations[4], &["15871", "15870 characters"]);
    assert_message(&violations[5], &["section 2 must cite section 2, found 1"]);
    assert_message(&violations[6], &["expected 3, found 4"]);
    assert_message(&violations[7], &["expected 4, found 3"]);
    assert_message(&violations[10], &["0 to 10", "found 11"]);
    assert_message(&violations[11], &["same as /sections/6/title"]);
}

#[test]
fn an_outline_with_too_few_sections_and_too_many_objectives_fails_the_count_rules() {
    let f = Fixture::new();
    let Content::Outline(mut outline) = f.built(Kind::Outline) else {
        unreachable!()
    };
    outline.title = " \n ".into();
    outline.audience = "a".repeat(201);
    outline.sections.truncate(2);
    outline
        .learning_objectives
        .extend((1..=3).map(|n| format!("Summarize the reading of week {n}")));

    let violations = assert_violations(
        &Content::Outline(outline),
        &f.ctx(),
        &[
            ("/title", Rule::Required),
            ("/audience", Rule::Length),
            ("/learning_objectives", Rule::Count),
            ("/sections", Rule::Count),
        ],
    );
    assert_message(&violations[1], &["at most 200", "found 201"]);
    assert_message(&violations[2], &["3 to 10 learning objectives", "found 11"]);
    assert_message(&violations[3], &["3 to 15 sections", "found 2"]);
}

#[test]
fn a_podcast_script_with_broken_turns_reports_each_violation_at_its_path() {
    let f = Fixture::new();
    let Content::PodcastScript(mut script) = f.built(Kind::PodcastScript) else {
        unreachable!()
    };
    script.title = "Photosynthesis".into();
    script.outro.clear();
    script.intro[1].speaker = "narrator".into();
    script.segments[0].turns[1].source = None;
    script.segments[1].turns[2]
        .source
        .as_mut()
        .expect("a cited turn")
        .span = Some(f.past_end());
    script.segments[2].turns[0].source = Some(SourceRef {
        section: 4,
        span: None,
    });
    script.segments[3].turns[0].source = Some(SourceRef {
        section: 99,
        span: None,
    });
    script.segments.swap(4, 5);
    script.segments[6].turns.clear();
    script.estimated_minutes = 0;

    let violations = assert_violations(
        &Content::PodcastScript(script),
        &f.ctx(),
        &[
            ("/title", Rule::Title),
            ("/outro", Rule::Required),
            ("/intro/1/speaker", Rule::Reference),
            ("/segments/4/section", Rule::Order),
            ("/segments/5/section", Rule::Order),
            ("/segments/0/turns/1/source", Rule::Required),
            ("/segments/1/turns/2/source/span", Rule::Reference),
            ("/segments/2/turns/0/source/section", Rule::Reference),
            // A section that does not exist is reported once, as a section other than the
            // segment's.
            ("/segments/3/turns/0/source/section", Rule::Reference),
            ("/segments/6/turns", Rule::Required),
            ("/estimated_minutes", Rule::Length),
        ],
    );
    assert_message(
        &violations[0],
        &[
            "must equal the outline title",
            "Photosynthesis and Plant Energy: Course Syllabus",
        ],
    );
    assert_message(&violations[2], &["no speaker has the id \"narrator\""]);
    assert_message(&violations[3], &["expected section 5, found 6"]);
    assert_message(&violations[4], &["expected section 6, found 5"]);
    assert_message(&violations[5], &["must cite its source section"]);
    assert_message(&violations[6], &["span ends at 15871", "15870 characters"]);
    assert_message(
        &violations[7],
        &["belongs to section 3 but cites section 4"],
    );
    assert_message(
        &violations[8],
        &["belongs to section 4 but cites section 99"],
    );
    assert_message(&violations[9], &["at least one turn"]);
    assert_message(&violations[10], &["0 minutes"]);
}

#[test]
fn a_podcast_script_with_the_wrong_cast_and_too_much_talk_reports_counts_and_lengths() {
    let f = Fixture::new();
    let Content::PodcastScript(mut script) = f.built(Kind::PodcastScript) else {
        unreachable!()
    };
    // Speaker ids are compared normalized for uniqueness but exactly when a turn names one.
    script.speakers.push(Speaker {
        id: "Host!".into(),
        name: "Jordan".into(),
        role: SpeakerRole::Guest,
    });
    script.segments.pop();
    script.segments[0].turns[2].text = "x".repeat(2_001);
    let short = Options {
        length: Length::Short,
        ..Options::default()
    };

    let violations = assert_violations(
        &Content::PodcastScript(script),
        &f.ctx_with(&short),
        &[
            ("/speakers", Rule::Count),
            ("/speakers/2/id", Rule::Duplicate),
            ("/segments/0/turns/2/text", Rule::Length),
            ("/speakers/2", Rule::Required),
            ("/segments", Rule::Count),
            // The spoken length is a property of the whole script.
            ("", Rule::Length),
        ],
    );
    assert_message(&violations[0], &["exactly 2 speakers", "found 3"]);
    assert_message(&violations[1], &["same as /speakers/0/id"]);
    assert_message(&violations[2], &["at most 2000", "found 2001"]);
    assert_message(&violations[3], &["Jordan never speaks"]);
    assert_message(
        &violations[4],
        &["one segment per outline section (8), found 7"],
    );
    assert_message(&violations[5], &["spoken text", "600 to 6000"]);
}

#[test]
fn a_study_guide_with_broken_concepts_reports_each_violation_at_its_path() {
    let f = Fixture::new();
    let Content::StudyGuide(mut guide) = f.built(Kind::StudyGuide) else {
        unreachable!()
    };
    // The title must equal the outline's exactly, not just up to case.
    guide.title = guide.title.to_lowercase();
    guide.key_concepts.truncate(4);
    guide.key_concepts[0].explanation = "Short one".into();
    guide.key_concepts[1].source.section = 9;
    guide.key_concepts[2].source.span = REVERSED;
    guide.key_concepts[3].term = "Chlorophyll-A".into();
    guide.sections[1].section = 12;
    // Each of the section's passages still cites section 2, now another section.
    assert_eq!(guide.sections[1].content.len(), 4);
    guide.sections[2].content[0].source.span = Some(f.past_end());
    guide.summary = "Plants make sugar.".into();
    guide.recommended_reading[0] = "ab".into();

    let violations = assert_violations(
        &Content::StudyGuide(guide),
        &f.ctx(),
        &[
            ("/title", Rule::Title),
            ("/key_concepts", Rule::Count),
            ("/key_concepts/0/explanation", Rule::Length),
            ("/key_concepts/1/source/section", Rule::Reference),
            ("/key_concepts/2/source/span", Rule::Reference),
            ("/key_concepts/3/term", Rule::Duplicate),
            ("/sections/1/section", Rule::Order),
            ("/sections/1/content/0/source/section", Rule::Reference),
            ("/sections/1/content/1/source/section", Rule::Reference),
            ("/sections/1/content/2/source/section", Rule::Reference),
            ("/sections/1/content/3/source/section", Rule::Reference),
            ("/sections/2/content/0/source/span", Rule::Reference),
            ("/summary", Rule::Length),
            ("/recommended_reading/0", Rule::Length),
        ],
    );
    assert_message(&violations[1], &["5 to 20 key concepts", "found 4"]);
    assert_message(&violations[3], &["section 9 does not exist"]);
    assert_message(
        &violations[5],
        &["duplicate term", "same as /key_concepts/2/term"],
    );
    assert_message(
        &violations[6],
        &[
            "sections follow the outline",
            "expected section 2, found 12",
        ],
    );
    for violation in &violations[7..11] {
        assert_message(violation, &["belongs to section 12 but cites section 2"]);
    }
    assert_message(&violations[11], &["span ends at 15871"]);
    assert_message(&violations[12], &["at least 50", "found 18"]);
}

#[test]
fn a_study_guide_without_detailed_content_and_with_too_many_concepts_reports_counts_and_lengths() {
    let f = Fixture::new();
    let Content::StudyGuide(mut guide) = f.built(Kind::StudyGuide) else {
        unreachable!()
    };
    let model: Concept = guide.key_concepts[0].clone();
    guide.key_concepts.extend((1..=9).map(|n| Concept {
        term: format!("Extra concept {n}"),
        ..model.clone()
    }));
    guide.sections.clear();

    let violations = assert_violations(
        &Content::StudyGuide(guide),
        &f.ctx(),
        &[
            ("/key_concepts", Rule::Count),
            ("/sections", Rule::Count),
            ("/sections", Rule::Length),
        ],
    );
    assert_message(&violations[0], &["5 to 20", "found 21"]);
    assert_message(
        &violations[1],
        &["one section per outline section (8)", "found 0"],
    );
    assert_message(&violations[2], &["500 to 8000", "found 0"]);
}

#[test]
fn a_one_pager_with_a_short_summary_and_broken_takeaways_reports_each_violation_at_its_path() {
    let f = Fixture::new();
    let Content::OnePager(mut page) = f.built(Kind::OnePager) else {
        unreachable!()
    };
    page.executive_summary = "Photosynthesis stores the energy of light as sugar in plants.".into();
    page.key_takeaways[1].text = "Too short here.".into();
    page.key_takeaways[2].source.section = 0;
    page.key_takeaways[3].source.span = Some(Span {
        start: 500,
        end: 500,
    });
    page.key_takeaways[4].text = format!("  {}  ", page.key_takeaways[0].text.to_uppercase());
    page.main_content = "m".repeat(1_501);

    let violations = assert_violations(
        &Content::OnePager(page),
        &f.ctx(),
        &[
            ("/executive_summary", Rule::Length),
            ("/key_takeaways/1/text", Rule::Length),
            ("/key_takeaways/2/source/section", Rule::Reference),
            ("/key_takeaways/3/source/span", Rule::Reference),
            ("/key_takeaways/4/text", Rule::Duplicate),
            ("/main_content", Rule::Length),
        ],
    );
    assert_message(&violations[0], &["at least 100", "found 61"]);
    assert_message(&violations[1], &["at least 20"]);
    assert_message(&violations[2], &["section 0 does not exist"]);
    assert_message(&violations[3], &["empty or reversed span 500..500"]);
    assert_message(&violations[4], &["same as /key_takeaways/0/text"]);
    assert_message(&violations[5], &["at most 1500", "found 1501"]);
}

#[test]
fn a_one_pager_that_overflows_the_page_reports_the_count_and_the_root() {
    let f = Fixture::new();
    let Content::OnePager(mut page) = f.built(Kind::OnePager) else {
        unreachable!()
    };
    let model = page.key_takeaways[0].clone();
    page.key_takeaways = (1..=8)
        .map(|n| Passage {
            text: format!("Takeaway {n}: {}", "light ".repeat(70))
                .chars()
                .take(400)
                .collect(),
            ..model.clone()
        })
        .collect();
    page.executive_summary = "e".repeat(500);
    page.main_content = "m".repeat(1_500);

    let violations = assert_violations(
        &Content::OnePager(page),
        &f.ctx(),
        &[("/key_takeaways", Rule::Count), ("", Rule::Length)],
    );
    assert_message(&violations[0], &["3 to 7 key takeaways", "found 8"]);
    assert_message(&violations[1], &["3200", "found 5200"]);
}

#[test]
fn a_detailed_reading_that_does_not_mirror_the_outline_reports_each_violation_at_its_path() {
    let f = Fixture::new();
    let Content::DetailedReading(mut reading) = f.built(Kind::DetailedReading) else {
        unreachable!()
    };
    reading.title = String::new();
    reading.introduction = "i".repeat(49);
    reading.sections[1].title = "Week 2: chloroplasts".into();
    reading.sections.swap(2, 3);
    let last = reading.sections[0].paragraphs.pop().expect("a paragraph");
    reading.sections[0].paragraphs = vec![last];
    reading.sections[4].paragraphs[1].source.section = 6;
    reading.sections[5].paragraphs[0].source.span = Some(f.past_end());
    reading.sections.pop();
    reading.references[0].url = Some("ftp://example.org/syllabus".into());
    reading.references.push(Reference {
        text: "ab".into(),
        url: Some("https://example.org/".into()),
    });

    let violations = assert_violations(
        &Content::DetailedReading(reading),
        &f.ctx(),
        &[
            ("/title", Rule::Required),
            ("/title", Rule::Title),
            ("/introduction", Rule::Length),
            ("/sections", Rule::Count),
            ("/sections/1/title", Rule::Title),
            ("/sections/2/section", Rule::Order),
            ("/sections/2/title", Rule::Title),
            ("/sections/3/section", Rule::Order),
            ("/sections/3/title", Rule::Title),
            ("/sections/0/paragraphs", Rule::Length),
            ("/sections/4/paragraphs/1/source/section", Rule::Reference),
            ("/sections/5/paragraphs/0/source/span", Rule::Reference),
            ("/references/0/url", Rule::Reference),
            ("/references/1/text", Rule::Length),
        ],
    );
    assert_message(
        &violations[3],
        &["one section per outline section (8)", "found 7"],
    );
    assert_message(
        &violations[4],
        &["Week 2: Chloroplasts, Light, and Pigments"],
    );
    assert_message(&violations[5], &["expected section 3, found 4"]);
    // The swapped-in section is held to the title of the outline's third section.
    assert_message(&violations[6], &[f.outline().sections[2].title.as_str()]);
    assert_message(&violations[9], &["at least 200 characters", "found 93"]);
    assert_message(
        &violations[10],
        &["belongs to section 5 but cites section 6"],
    );
    assert_message(&violations[12], &["http(s) URL"]);
}

#[test]
fn a_faq_with_broken_items_reports_each_violation_at_its_path() {
    let f = Fixture::new();
    let Content::Faq(mut faq) = f.built(Kind::Faq) else {
        unreachable!()
    };
    faq.items.truncate(4);
    assert_eq!(faq.items[0].question, "What is Photosynthesis?");
    faq.items[1].question = "Why?".into();
    faq.items[1].category = Some("  ".into());
    faq.items[2].question = "what IS photosynthesis???".into();
    faq.items[2].source.section = 9;
    faq.items[3].question = "What happens in the Calvin cycle".into();
    faq.items[3].answer = String::new();
    faq.items[3].source.span = REVERSED;

    let violations = assert_violations(
        &Content::Faq(faq),
        &f.ctx(),
        &[
            ("/items", Rule::Count),
            ("/items/1/question", Rule::Length),
            ("/items/1/category", Rule::Required),
            ("/items/2/source/section", Rule::Reference),
            ("/items/3/question", Rule::Question),
            ("/items/3/answer", Rule::Required),
            ("/items/3/source/span", Rule::Reference),
            ("/items/2/question", Rule::Duplicate),
        ],
    );
    assert_message(
        &violations[0],
        &["5 to 15 question/answer pairs", "found 4"],
    );
    assert_message(&violations[1], &["at least 10 characters", "found 4"]);
    assert_message(&violations[4], &["end with \"?\""]);
    assert_message(&violations[5], &["must not be empty"]);
    assert_message(
        &violations[7],
        &["duplicate question", "same as /items/0/question"],
    );
}

#[test]
fn a_faq_with_too_many_items_and_an_empty_question_reports_both_rules_for_it() {
    let f = Fixture::new();
    let Content::Faq(mut faq) = f.built(Kind::Faq) else {
        unreachable!()
    };
    let model = faq.items[0].clone();
    faq.items.extend((1..=6).map(|n| FaqItem {
        question: format!("What does week {n} add?"),
        ..model.clone()
    }));
    faq.items[4].question = " ".into();

    let violations = assert_violations(
        &Content::Faq(faq),
        &f.ctx(),
        &[
            ("/items", Rule::Count),
            ("/items/4/question", Rule::Required),
            ("/items/4/question", Rule::Question),
        ],
    );
    assert_message(&violations[0], &["5 to 15", "found 16"]);
}

#[test]
fn flashcards_with_twenty_six_cards_and_broken_terms_report_each_violation_at_its_path() {
    let f = Fixture::new();
    let Content::Flashcards(mut deck) = f.built(Kind::Flashcards) else {
        unreachable!()
    };
    let model: Card = deck.cards[0].clone();
    deck.cards.extend((1..=9).map(|n| Card {
        term: format!("Extra term {n}"),
        difficulty: Difficulty::Easy,
        ..model.clone()
    }));
    deck.cards[1].term = "photosynthesis.".into();
    deck.cards[2].term = String::new();
    deck.cards[3].definition = "Pigments.".into();
    deck.cards[4].category = Some("c".repeat(101));
    deck.cards[5].source.section = 42;
    deck.cards[6].source.span = Some(Span {
        start: 15_000,
        end: 16_000,
    });
    assert_eq!(deck.cards[13].term, "C4 plants");
    deck.cards[7].term = "C4-Plants".into();

    let violations = assert_violations(
        &Content::Flashcards(deck),
        &f.ctx(),
        &[
            ("/cards", Rule::Count),
            ("/cards/2/term", Rule::Required),
            ("/cards/3/definition", Rule::Length),
            ("/cards/4/category", Rule::Length),
            ("/cards/5/source/section", Rule::Reference),
            ("/cards/6/source/span", Rule::Reference),
            ("/cards/1/term", Rule::Duplicate),
            // The later card is the repeat, whichever of the two was edited.
            ("/cards/13/term", Rule::Duplicate),
        ],
    );
    assert_message(&violations[0], &["10 to 25 cards", "found 26"]);
    assert_message(&violations[5], &["span ends at 16000"]);
    assert_message(&violations[6], &["same as /cards/0/term"]);
    assert_message(&violations[7], &["same as /cards/7/term"]);
}

#[test]
fn a_quiz_with_broken_answers_reports_each_violation_at_its_path() {
    let f = Fixture::new();
    let Content::Quiz(mut quiz) = f.built(Kind::Quiz) else {
        unreachable!()
    };
    let multiple: Vec<usize> = (0..quiz.questions.len())
        .filter(|&i| quiz.questions[i].format == QuestionFormat::MultipleChoice)
        .collect();
    assert!(
        multiple.len() >= 4,
        "the example makes enough multiple-choice questions"
    );
    let (two, same, reworded, bare) = (multiple[0], multiple[1], multiple[2], multiple[3]);
    // Two correct choices.
    for choice in &mut quiz.questions[two].choices {
        choice.correct = true;
    }
    // The same choice twice.
    let repeated = quiz.questions[same].choices[0].text.clone();
    quiz.questions[same].choices[1].text = repeated;
    // A distractor that rewords the answer.
    let answer = quiz.questions[reworded].answer().unwrap();
    let wrong = usize::from(answer == 0);
    quiz.questions[reworded].choices[wrong].text =
        format!("the {}", quiz.questions[reworded].choices[answer].text);
    // No rationale, and an objective the outline lacks.
    quiz.questions[bare].rationale = String::new();
    quiz.questions[bare].objective = 99;

    let violations = assert_violations(
        &Content::Quiz(quiz),
        &f.ctx(),
        &[
            (&format!("/questions/{two}/choices"), Rule::Answer),
            (
                &format!("/questions/{same}/choices/1/text"),
                Rule::Duplicate,
            ),
            (
                &format!("/questions/{reworded}/choices/{wrong}/text"),
                Rule::Distractor,
            ),
            (&format!("/questions/{bare}/rationale"), Rule::Required),
            (&format!("/questions/{bare}/objective"), Rule::Reference),
        ]
        .iter()
        .map(|(p, r)| (p.as_str(), *r))
        .collect::<Vec<_>>(),
    );
    assert_message(
        &violations[0],
        &["exactly one choice must be correct", "found 4"],
    );
    assert_message(&violations[2], &["reword the answer"]);
}

#[test]
fn a_quiz_whose_answer_is_always_first_and_a_true_false_with_three_choices_are_refused() {
    let f = Fixture::new();
    let Content::Quiz(mut quiz) = f.built(Kind::Quiz) else {
        unreachable!()
    };
    for question in &mut quiz.questions {
        if question.format == QuestionFormat::MultipleChoice {
            let answer = question.answer().unwrap();
            question.choices.swap(0, answer);
        }
    }
    let tf = quiz
        .questions
        .iter()
        .position(|q| q.format == QuestionFormat::TrueFalse)
        .expect("the example makes a true/false question");
    quiz.questions[tf].choices.push(Choice {
        text: "Neither".into(),
        correct: false,
    });
    let violations = assert_violations(
        &Content::Quiz(quiz),
        &f.ctx(),
        &[
            (&*format!("/questions/{tf}/choices"), Rule::Count),
            ("/questions", Rule::Order),
        ],
    );
    assert_message(&violations[0], &["exactly 2 choices", "found 3"]);
    assert_message(
        &violations[1],
        &["position 1 in every multiple-choice question"],
    );
}

#[test]
fn reading_questions_with_broken_questions_report_each_violation_at_its_path() {
    let f = Fixture::new();
    let Content::ReadingQuestions(mut guide) = f.built(Kind::ReadingQuestions) else {
        unreachable!()
    };
    guide.title = "Reading guide".into();
    guide.questions.extend((1..=6).map(|n| ReadingQuestion {
        question: format!("Which idea in section {n} would you explain to a classmate first?"),
        section: n,
        source: None,
        objective: 1,
        bloom: Bloom::Understand,
    }));
    guide.questions[0].question = "What is the main point the text makes in week one".into();
    guide.questions[1].question = "Why does it?".into();
    assert_eq!(
        guide.questions[3].question,
        "How does the text define chloroplasts, and why does it matter here?"
    );
    guide.questions[4].question =
        "how does the TEXT define chloroplasts -- and why does it matter here ?".into();
    guide.questions[5].section = 0;
    guide.questions[6].source = Some(SourceRef {
        section: 5,
        span: REVERSED,
    });
    guide.questions[7].source = Some(SourceRef {
        section: 20,
        span: None,
    });

    let violations = assert_violations(
        &Content::ReadingQuestions(guide),
        &f.ctx(),
        &[
            ("/title", Rule::Title),
            ("/questions", Rule::Count),
            ("/questions/0/question", Rule::Question),
            ("/questions/1/question", Rule::Length),
            // Section 0 does not exist, and the passage (in section 4) is now another section's.
            ("/questions/5/section", Rule::Reference),
            ("/questions/5/source/section", Rule::Reference),
            ("/questions/6/source/span", Rule::Reference),
            ("/questions/7/source/section", Rule::Reference),
            ("/questions/4/question", Rule::Duplicate),
        ],
    );
    assert_message(&violations[1], &["5 to 15 questions", "found 16"]);
    assert_message(&violations[3], &["at least 15 characters", "found 12"]);
    assert_message(&violations[4], &["section 0 does not exist", "1 to 8"]);
    assert_message(
        &violations[5],
        &["belongs to section 0 but cites section 4"],
    );
    assert_message(&violations[6], &["reversed", "700..600"]);
    assert_message(
        &violations[7],
        &["belongs to section 6 but cites section 20"],
    );
    assert_message(&violations[8], &["same as /questions/3/question"]);
}

#[test]
fn a_span_may_end_at_the_last_character_of_the_source_but_not_after_it() {
    let f = Fixture::new();
    let Content::Flashcards(mut deck) = f.built(Kind::Flashcards) else {
        unreachable!()
    };
    let n = f.source_chars;
    deck.cards[0].source.span = Some(Span {
        start: n - 1,
        end: n,
    });
    deck.cards[1].source.span = Some(Span {
        start: n - 1,
        end: n + 1,
    });
    deck.cards[2].source.span = Some(Span { start: 0, end: 1 });

    let violations = assert_violations(
        &Content::Flashcards(deck),
        &f.ctx(),
        &[("/cards/1/source/span", Rule::Reference)],
    );
    assert_message(
        &violations[0],
        &[
            &format!("span ends at {}", n + 1),
            &format!("holds {n} characters"),
        ],
    );
}

#[test]
fn derivatives_validated_without_an_outline_or_source_text_report_the_missing_references() {
    let f = Fixture::new();
    let ctx = ValidationContext {
        outline: None,
        source_chars: None,
        options: &f.options,
    };
    let faq = f.built(Kind::Faq);
    let Content::Faq(items) = &faq else {
        unreachable!()
    };
    let mut expected = vec![("/title".to_owned(), Rule::Reference)];
    expected.extend(
        (0..items.items.len()).map(|i| (format!("/items/{i}/source/span"), Rule::Reference)),
    );
    let violations = faq.validate(&ctx);
    let found: Vec<(String, Rule)> = violations
        .iter()
        .map(|v| (v.path.clone(), v.rule))
        .collect();
    assert_eq!(found, expected);
    assert_message(&violations[0], &["no outline"]);
    assert_message(&violations[1], &["topic source"]);

    // The outline itself needs no outline, but its spans still need a text source.
    let outline = f.built(Kind::Outline);
    let outline_spans = outline
        .source_refs()
        .iter()
        .filter(|r| r.span.is_some())
        .count();
    let violations = outline.validate(&ctx);
    assert_eq!(violations.len(), outline_spans);
    assert!(
        violations
            .iter()
            .all(|v| v.rule == Rule::Reference && v.path.ends_with("/source/span"))
    );
}

#[test]
fn explicit_counts_make_the_count_rule_exact() {
    let counts = [
        (Kind::Outline, 8),
        (Kind::StudyGuide, 6),
        (Kind::OnePager, 4),
        (Kind::Faq, 7),
        (Kind::Flashcards, 12),
        (Kind::ReadingQuestions, 6),
    ];
    let mut options = Options::default();
    options.counts.extend(counts);
    assert!(options.check().is_empty());
    // Builds with the requested counts, and every artifact is valid under those options.
    let f = Fixture::with_options(options.clone());
    let items = |content: &Content| match content {
        Content::Outline(o) => ("/sections", o.sections.len()),
        Content::StudyGuide(g) => ("/key_concepts", g.key_concepts.len()),
        Content::OnePager(p) => ("/key_takeaways", p.key_takeaways.len()),
        Content::Faq(q) => ("/items", q.items.len()),
        Content::Flashcards(d) => ("/cards", d.cards.len()),
        Content::ReadingQuestions(r) => ("/questions", r.questions.len()),
        other => panic!("{} has no item count", other.kind()),
    };
    for (kind, n) in counts {
        let content = f.built(kind);
        let (path, found) = items(&content);
        assert_eq!(found, n as usize, "{kind}");

        // One more or one fewer than asked is a violation, though both lie in the kind's range.
        for wanted in [n - 1, n + 1] {
            let mut other = options.clone();
            other.counts.insert(kind, wanted);
            let violations =
                assert_violations(&content, &f.ctx_with(&other), &[(path, Rule::Count)]);
            assert_message(
                &violations[0],
                &[&format!("exactly {wanted}"), &format!("found {n}")],
            );
        }
    }

    // Without counts, the default artifacts are judged by the kind's whole range instead.
    let defaults = Fixture::new();
    let faq = defaults.built(Kind::Faq);
    let violations = assert_violations(
        &faq,
        &defaults.ctx_with(&options),
        &[("/items", Rule::Count)],
    );
    assert_message(
        &violations[0],
        &["exactly 7 question/answer pairs", "found 10"],
    );
}

#[test]
fn a_reading_question_whose_passage_lies_in_another_section_is_reported_at_its_source() {
    let f = Fixture::new();
    let Content::ReadingQuestions(mut guide) = f.built(Kind::ReadingQuestions) else {
        unreachable!()
    };
    let question = &mut guide.questions[0];
    assert_eq!(question.section, 1);
    let source = question.source.as_mut().expect("a question with a passage");
    assert_eq!(source.section, 1);
    // Section 2 exists: the passage is only in the wrong section for this question.
    source.section = 2;

    let violations = assert_violations(
        &Content::ReadingQuestions(guide),
        &f.ctx(),
        &[("/questions/0/source/section", Rule::Reference)],
    );
    assert_message(
        &violations[0],
        &["belongs to section 1 but cites section 2"],
    );
}

#[test]
fn a_study_guide_passage_citing_another_section_is_reported_once_at_its_source() {
    let f = Fixture::new();
    let Content::StudyGuide(mut guide) = f.built(Kind::StudyGuide) else {
        unreachable!()
    };
    assert_eq!(guide.sections[3].section, 4);
    assert_eq!(guide.sections[5].section, 6);
    guide.sections[3].content[1].source.section = 5;
    // A section missing from the outline is reported once, as another section.
    guide.sections[5].content[0].source.section = 99;

    let violations = assert_violations(
        &Content::StudyGuide(guide),
        &f.ctx(),
        &[
            ("/sections/3/content/1/source/section", Rule::Reference),
            ("/sections/5/content/0/source/section", Rule::Reference),
        ],
    );
    assert_message(
        &violations[0],
        &["belongs to section 4 but cites section 5"],
    );
    assert_message(
        &violations[1],
        &["belongs to section 6 but cites section 99"],
    );
}

#[test]
fn a_study_guide_section_titled_unlike_the_outline_is_reported_at_its_title() {
    let f = Fixture::new();
    let Content::StudyGuide(mut guide) = f.built(Kind::StudyGuide) else {
        unreachable!()
    };
    let outlined = f.outline().sections[2].title.clone();
    assert_eq!(guide.sections[2].title, outlined);
    // Titles are compared exactly, not up to case.
    guide.sections[2].title = outlined.to_uppercase();
    guide.sections[5].title = String::new();

    let violations = assert_violations(
        &Content::StudyGuide(guide),
        &f.ctx(),
        &[
            ("/sections/2/title", Rule::Title),
            ("/sections/5/title", Rule::Title),
            ("/sections/5/title", Rule::Required),
        ],
    );
    assert_message(
        &violations[0],
        &["must equal the outline's section title", &outlined],
    );
    assert_message(&violations[1], &[&f.outline().sections[5].title]);
}

#[test]
fn faq_questions_may_end_with_a_full_width_or_arabic_question_mark_but_not_a_full_stop() {
    let f = Fixture::new();
    let Content::Faq(mut faq) = f.built(Kind::Faq) else {
        unreachable!()
    };
    faq.items[0].question = "光合作用在植物的哪个部位进行？".into();
    faq.items[1].question = "ما هي عملية البناء الضوئي في النبات؟".into();
    let question = faq.items[2].question.clone();
    let asked = question.strip_suffix('?').expect("a question mark");
    faq.items[2].question = format!("{asked}.");

    let violations = assert_violations(
        &Content::Faq(faq),
        &f.ctx(),
        &[("/items/2/question", Rule::Question)],
    );
    assert_message(&violations[0], &["end with \"?\""]);
}

#[test]
fn an_objective_no_practice_item_serves_is_flagged_by_the_coverage_matrix() {
    let f = Fixture::new();
    let practice: Vec<Content> = f
        .built
        .iter()
        .filter(|c| !c.practice().is_empty())
        .cloned()
        .collect();
    let covered = Coverage::of(f.outline(), &practice);
    assert!(covered.uncovered.is_empty(), "{covered:#?}");
    assert!(covered.violations().is_empty());

    // The flashcards alone, then with every card moved off objective 2.
    let Content::Flashcards(mut deck) = f.built(Kind::Flashcards) else {
        unreachable!()
    };
    let alone = Coverage::of(f.outline(), &[Content::Flashcards(deck.clone())]);
    assert!(!alone.uncovered.contains(&2), "{alone:#?}");
    for card in &mut deck.cards {
        if card.objective == 2 {
            card.objective = 1;
        }
    }
    let coverage = Coverage::of(f.outline(), &[Content::Flashcards(deck)]);
    let mut expected = alone.uncovered.clone();
    expected.push(2);
    expected.sort_unstable();
    assert_eq!(coverage.uncovered, expected);
    assert_eq!(coverage.objectives[1].items[&Kind::Flashcards], 0);
    assert!(coverage.objectives[0].items[&Kind::Flashcards] > 0);
    let violations = coverage.violations();
    let paths: Vec<String> = violations.iter().map(|v| v.path.clone()).collect();
    let expected_paths: Vec<String> = expected
        .iter()
        .map(|n| format!("/learning_objectives/{}", n - 1))
        .collect();
    assert_eq!(paths, expected_paths);
    assert!(violations.iter().all(|v| v.rule == Rule::Coverage));
    let second = violations
        .iter()
        .find(|v| v.path == "/learning_objectives/1")
        .unwrap();
    assert_message(
        second,
        &[
            "objective 2",
            &f.outline().learning_objectives[1],
            "flashcards",
        ],
    );
    let english = &factory_shared::content::Scaffolding::for_tag("en").labels;
    assert!(
        coverage
            .to_markdown(english)
            .contains("**(not practised)**")
    );
}
