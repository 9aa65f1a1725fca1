//! A quiz with an answer key: 5–20 questions, each multiple choice (3–5 choices) or true/false,
//! with exactly one correct choice, a rationale that says why, a difficulty, the outline's
//! learning objective it serves, the cognitive level it asks for (Bloom's taxonomy) and a
//! source reference. No question or choice repeats; distractors are of the answer's kind
//! (never the answer reworded) and the answer does not always sit in the same position.
//!
//! The extractive engine asks which of the source's own terms a definition describes, with the
//! source's other terms as distractors, and turns definitions into true/false statements
//! (a false one swaps in another term). Its exports are a QTI 3.0 package and a Moodle GIFT
//! file.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exports::{Export, gift, qti};
use super::objectives::{Bloom, objective_of};
use super::flashcards::Difficulty;
use super::options::CountRange;
use super::scaffolding::Labels;
use super::study_guide::{Concept, concepts};
use super::validate::{Checks, Rule, ValidationContext, Violation};
use super::{Claim, ExtractInput, Kind, KindSpec, Level, Scaffolding, SourceRef, ThinSource, fill};
use crate::analysis::text::{capitalize, normalize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Quiz {
    pub title: String,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub question: String,
    pub format: QuestionFormat,
    /// 3–5 choices for multiple choice, exactly two (true, false) for true/false; exactly one
    /// is correct.
    pub choices: Vec<Choice>,
    /// Why the correct choice is right.
    pub rationale: String,
    pub difficulty: Difficulty,
    /// The outline's learning objective this question serves (1-based).
    pub objective: u32,
    pub bloom: Bloom,
    /// Where the answer comes from; its section is the outline section the question tests.
    pub source: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub text: String,
    pub correct: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionFormat {
    MultipleChoice,
    TrueFalse,
}

impl Question {
    /// The index of the first correct choice.
    pub fn answer(&self) -> Option<usize> {
        self.choices.iter().position(|c| c.correct)
    }
}

impl KindSpec for Quiz {
    const KIND: Kind = Kind::Quiz;
    const ITEMS: Option<CountRange> = Some(CountRange::new(5, 20));
    const OUTPUT_TOKENS: u32 = 8_192;
    const PROMPT: &'static str = include_str!("../../prompts/v1/quiz.md");
    const EXPORTS: &'static [&'static str] = &["qti.zip", "gift"];

    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        let mut c = Checks::new();
        c.title_matches(ctx, &self.title);
        c.item_count(ctx, Kind::Quiz, "/questions", "questions", self.questions.len());
        for (i, question) in self.questions.iter().enumerate() {
            check_question(&mut c, ctx, &format!("/questions/{i}"), question);
        }
        c.unique(
            "question",
            self.questions
                .iter()
                .enumerate()
                .map(|(i, q)| (format!("/questions/{i}/question"), q.question.as_str())),
        );
        let positions: Vec<usize> = self
            .questions
            .iter()
            .filter(|q| q.format == QuestionFormat::MultipleChoice)
            .filter_map(Question::answer)
            .collect();
        if positions.len() >= 3 && positions.iter().all(|&p| p == positions[0]) {
            c.fail(
                "/questions",
                Rule::Order,
                format!(
                    "the correct choice is at position {} in every multiple-choice question; vary it",
                    positions[0] + 1
                ),
            );
        }
        c.into_violations()
    }

    fn to_markdown(&self, labels: &Labels) -> String {
        let mut md = format!("# {}\n", fill(labels.quiz, &[("title", &self.title)]));
        for (i, q) in self.questions.iter().enumerate() {
            md.push_str(&format!("\n## {}. {}\n\n", i + 1, q.question));
            for (j, choice) in q.choices.iter().enumerate() {
                md.push_str(&format!("- {}. {}\n", letter(j), choice.text));
            }
        }
        md.push_str(&format!("\n## {}\n\n", labels.answer_key));
        for (i, q) in self.questions.iter().enumerate() {
            let answer = q.answer().map_or_else(|| "?".to_owned(), letter);
            md.push_str(&format!(
                "{}. **{answer}** ({}, {}, {} {}): {}\n",
                i + 1,
                labels.difficulties[q.difficulty as usize],
                labels.blooms[q.bloom as usize],
                labels.section,
                q.source.section,
                q.rationale
            ));
        }
        md
    }

    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        let outline = input.outline()?;
        let wanted = input.options.target_count(Kind::Quiz);
        let pool = concepts(input, 40);
        let words = input.scaffolding;
        let mut questions: Vec<Question> = Vec::new();
        for concept in &pool {
            if questions.len() >= wanted {
                break;
            }
            let Some(blanked) = blank(&concept.explanation, &concept.term) else {
                continue;
            };
            // Every choice is written as it would read in the blank, so that no capital
            // letter gives the answer away.
            let at_start = blanked.starts_with("_____");
            let fit = |term: &str| {
                let term = input.display_term(term);
                if at_start { capitalize(&term) } else { term }
            };
            let distractors: Vec<String> = distractors(concept, &pool, 3)
                .iter()
                .map(|d| fit(d))
                .collect();
            let n = questions.len();
            let question = if distractors.len() >= 2 && n % 3 != 2 {
                multiple_choice(words, concept, &fit(&concept.term), &blanked, &distractors, n)
            } else if let Some(other) = distractors.first().filter(|_| n % 6 == 5) {
                true_false(words, concept, &blank_with(&blanked, other), Some(other))
            } else {
                true_false(words, concept, &concept.explanation, None)
            };
            questions.push(Question {
                difficulty: difficulty(question.format, input.options.level),
                objective: objective_of(outline, concept.source.section),
                ..question
            });
        }
        input.require_count(Kind::Quiz, questions.len(), |range| {
            format!(
                "the source supports {} questions about its terms, the quiz needs {} to {}",
                questions.len(),
                range.min,
                range.max
            )
        })?;
        Ok(Self {
            title: outline.title.clone(),
            questions,
        })
    }

    fn source_refs(&self) -> Vec<SourceRef> {
        self.questions.iter().map(|q| q.source).collect()
    }

    fn exports(&self, labels: &Labels) -> Vec<Export> {
        vec![qti::package(self, labels), gift::quiz(self)]
    }

    fn practice(&self) -> Vec<(u32, Bloom)> {
        self.questions.iter().map(|q| (q.objective, q.bloom)).collect()
    }

    /// A question's fact is its rationale (a false statement's text is false on purpose).
    fn claims(&self) -> Vec<Claim> {
        self.questions
            .iter()
            .enumerate()
            .map(|(i, q)| Claim::new(format!("/questions/{i}/rationale"), q.rationale.clone(), Some(q.source)))
            .collect()
    }
}

fn check_question(c: &mut Checks, ctx: &ValidationContext<'_>, path: &str, q: &Question) {
    c.question(&format!("{path}/question"), &q.question, 10);
    c.length(&format!("{path}/rationale"), &q.rationale, 20, 1_000);
    c.source(ctx, &format!("{path}/source"), &q.source);
    c.objective(ctx, &format!("{path}/objective"), q.objective);
    let range = match q.format {
        QuestionFormat::MultipleChoice => CountRange::new(3, 5),
        QuestionFormat::TrueFalse => CountRange::new(2, 2),
    };
    c.count(&format!("{path}/choices"), "choices", q.choices.len(), range);
    for (j, choice) in q.choices.iter().enumerate() {
        c.length(&format!("{path}/choices/{j}/text"), &choice.text, 1, 300);
    }
    let correct = q.choices.iter().filter(|ch| ch.correct).count();
    if correct != 1 {
        c.fail(
            format!("{path}/choices"),
            Rule::Answer,
            format!("exactly one choice must be correct, found {correct}"),
        );
    }
    c.unique(
        "choice",
        q.choices
            .iter()
            .enumerate()
            .map(|(j, ch)| (format!("{path}/choices/{j}/text"), ch.text.as_str())),
    );
    if q.format == QuestionFormat::MultipleChoice
        && let Some(answer) = q.choices.iter().find(|ch| ch.correct)
    {
        for (j, choice) in q.choices.iter().enumerate() {
            if !choice.correct
                && let Some(why) = implausible(&answer.text, &choice.text)
            {
                c.fail(format!("{path}/choices/{j}/text"), Rule::Distractor, why);
            }
        }
    }
}

/// Why a distractor is not a plausible alternative to `answer`, if it is not: the answer
/// reworded (one contains the other), of another type (a number against words), or of a
/// very different length.
fn implausible(answer: &str, distractor: &str) -> Option<String> {
    let (a, d) = (normalize(answer), normalize(distractor));
    if a.is_empty() || d.is_empty() || a == d {
        return None; // emptiness and repeats are reported by their own rules
    }
    if a.contains(&d) || d.contains(&a) {
        return Some("a distractor must not reword the answer".into());
    }
    let numeric = |s: &str| s.chars().any(|c| c.is_ascii_digit());
    if numeric(&a) != numeric(&d) {
        return Some("a distractor must be of the answer's type (a number for a number)".into());
    }
    let (wa, wd) = (a.split(' ').count(), d.split(' ').count());
    if wd > 3 * wa + 2 || wa > 3 * wd + 2 {
        return Some(format!(
            "a distractor of {wd} words beside an answer of {wa} gives the answer away"
        ));
    }
    None
}

fn letter(index: usize) -> String {
    char::from(b'A' + index as u8).to_string()
}

/// The sentence with the first occurrence of `term` (any case) replaced by a blank, if the
/// sentence names the term and is short enough to quote in a question.
fn blank(sentence: &str, term: &str) -> Option<String> {
    if sentence.chars().count() > 320 || term.trim().is_empty() {
        return None;
    }
    let lower = sentence.to_lowercase();
    let at = lower.find(&term.to_lowercase())?;
    // Lower-casing can change byte lengths; only cut where both texts agree.
    let end = at + term.len();
    if lower.len() != sentence.len() || !sentence.is_char_boundary(end) {
        return None;
    }
    Some(format!("{}_____{}", &sentence[..at], &sentence[end..]))
}

/// A blanked sentence filled with `term`.
fn blank_with(blanked: &str, term: &str) -> String {
    blanked.replacen("_____", term, 1)
}

/// Up to `n` other terms of the source, closest in length to the answer first, that are not
/// the answer reworded.
fn distractors(concept: &Concept, pool: &[Concept], n: usize) -> Vec<String> {
    let words = |s: &str| s.split_whitespace().count();
    let mut others: Vec<&Concept> = pool
        .iter()
        .filter(|o| implausible(&concept.term, &o.term).is_none())
        .filter(|o| normalize(&o.term) != normalize(&concept.term))
        .collect();
    let target = words(&concept.term);
    others.sort_by_key(|o| words(&o.term).abs_diff(target));
    let mut picked: Vec<String> = Vec::new();
    for other in others {
        if picked.len() < n && !picked.iter().any(|p| normalize(p) == normalize(&other.term)) {
            picked.push(other.term.clone());
        }
    }
    picked
}

/// "Which term completes …?" with the answer among the distractors at a position that
/// moves from question to question.
fn multiple_choice(
    words: &Scaffolding,
    concept: &Concept,
    answer: &str,
    blanked: &str,
    distractors: &[String],
    n: usize,
) -> Question {
    let mut choices: Vec<Choice> = distractors
        .iter()
        .map(|d| Choice {
            text: d.clone(),
            correct: false,
        })
        .collect();
    let at = (n * 2 + 1) % (choices.len() + 1);
    choices.insert(
        at,
        Choice {
            text: answer.to_owned(),
            correct: true,
        },
    );
    Question {
        question: fill(words.completes, &[("statement", blanked)]),
        format: QuestionFormat::MultipleChoice,
        choices,
        rationale: fill(words.source_says, &[("sentence", &concept.explanation)]),
        difficulty: Difficulty::Medium,
        objective: 1,
        bloom: Bloom::Remember,
        source: concept.source,
    }
}

/// "True or false: …?" about `statement`; `swapped` is the term that replaced the right one
/// in a false statement.
fn true_false(
    words: &Scaffolding,
    concept: &Concept,
    statement: &str,
    swapped: Option<&String>,
) -> Question {
    let rationale = match swapped {
        None => fill(words.true_because, &[("sentence", &concept.explanation)]),
        Some(other) => fill(
            words.false_because,
            &[
                ("term", &concept.term),
                ("other", other),
                ("sentence", &concept.explanation),
            ],
        ),
    };
    Question {
        question: fill(words.true_or_false, &[("statement", statement)]),
        format: QuestionFormat::TrueFalse,
        choices: vec![
            Choice {
                text: words.true_false[0].into(),
                correct: swapped.is_none(),
            },
            Choice {
                text: words.true_false[1].into(),
                correct: swapped.is_some(),
            },
        ],
        rationale,
        difficulty: Difficulty::Easy,
        objective: 1,
        bloom: Bloom::Understand,
        source: concept.source,
    }
}

/// Recognising a statement is easier than recalling a term; the level shifts both.
fn difficulty(format: QuestionFormat, level: Level) -> Difficulty {
    match (format, level) {
        (QuestionFormat::TrueFalse, Level::Advanced) | (QuestionFormat::MultipleChoice, Level::Intermediate) => {
            Difficulty::Medium
        }
        (QuestionFormat::TrueFalse, _) | (QuestionFormat::MultipleChoice, Level::Beginner) => Difficulty::Easy,
        (QuestionFormat::MultipleChoice, Level::Advanced) => Difficulty::Hard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_term_is_blanked_whatever_its_case() {
        assert_eq!(
            blank("Chlorophyll is the green pigment.", "chlorophyll").as_deref(),
            Some("_____ is the green pigment.")
        );
        assert_eq!(blank("Nothing here.", "chlorophyll"), None);
    }

    #[test]
    fn distractors_of_another_type_or_rewording_the_answer_are_implausible() {
        assert!(implausible("Senate", "the Senate").is_some());
        assert!(implausible("1,200 km", "photosynthesis").is_some());
        assert!(implausible("consul", "a magistrate elected each year by the assembly of all the citizens").is_some());
        assert_eq!(implausible("consul", "tribune"), None);
    }
}
