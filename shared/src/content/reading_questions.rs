//! Reading-guide questions: 5–15 questions of at least 15 characters that end with "?",
//! each tied to the outline section it asks about.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::options::CountRange;
use super::scaffolding::Labels;
use super::exports::{Export, gift};
use super::objectives::{Bloom, objective_of};
use super::validate::{Checks, ValidationContext, Violation};
use super::{Claim, ExtractInput, Kind, KindSpec, Scaffolding, SourceRef, ThinSource, fill};
use crate::analysis::text::normalize;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingQuestions {
    pub title: String,
    pub questions: Vec<ReadingQuestion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingQuestion {
    pub question: String,
    /// The outline section the question is about.
    pub section: u32,
    /// The passage that answers it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    /// The outline's learning objective the question serves (1-based).
    pub objective: u32,
    pub bloom: Bloom,
}

impl KindSpec for ReadingQuestions {
    const KIND: Kind = Kind::ReadingQuestions;
    const ITEMS: Option<CountRange> = Some(CountRange::new(5, 15));
    const OUTPUT_TOKENS: u32 = 2_048;
    const PROMPT: &'static str = include_str!("../../prompts/v1/reading-questions.md");
    const EXPORTS: &'static [&'static str] = &["gift"];

    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        let mut c = Checks::new();
        c.title_matches(ctx, &self.title);
        c.item_count(
            ctx,
            Kind::ReadingQuestions,
            "/questions",
            "questions",
            self.questions.len(),
        );
        for (i, q) in self.questions.iter().enumerate() {
            c.question(&format!("/questions/{i}/question"), &q.question, 15);
            c.section_exists(ctx, &format!("/questions/{i}/section"), q.section);
            c.objective(ctx, &format!("/questions/{i}/objective"), q.objective);
            if let Some(source) = &q.source {
                c.cites(ctx, &format!("/questions/{i}/source"), q.section, source);
            }
        }
        c.unique(
            "question",
            self.questions
                .iter()
                .enumerate()
                .map(|(i, q)| (format!("/questions/{i}/question"), q.question.as_str())),
        );
        c.into_violations()
    }

    fn to_markdown(&self, labels: &Labels) -> String {
        let mut md = format!(
            "# {}\n\n",
            fill(labels.reading_guide, &[("title", &self.title)])
        );
        for (i, q) in self.questions.iter().enumerate() {
            md.push_str(&format!(
                "{}. {} *({} {})*\n",
                i + 1,
                q.question,
                labels.section,
                q.section
            ));
        }
        md
    }

    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        let outline = input.outline()?;
        let a = input.analysis;
        let wanted = input.options.target_count(Kind::ReadingQuestions);

        // Candidate questions per section, best first; then taken round-robin across sections
        // so every part of the text is asked about.
        let per_section: Vec<Vec<ReadingQuestion>> = outline
            .sections
            .iter()
            .enumerate()
            .map(|(n, section)| {
                let index = input.section_index(section.number);
                let best = a.best(
                    a.section_sentences(index)
                        .filter(|&i| a.sentences[i].score > 0.0),
                    3,
                );
                let cite = |i: usize| Some(a.source_ref(section.number, i));
                let objective = objective_of(outline, section.number);
                let (question, bloom) =
                    main_point_question(input.scaffolding, n, &section.title);
                let mut candidates = vec![ReadingQuestion {
                    question,
                    section: section.number,
                    source: best.first().and_then(|&i| cite(i)),
                    objective,
                    bloom,
                }];
                // Only the first two definitions of a section can ever be asked about.
                let defined = a
                    .section_sentences(index)
                    .filter_map(|i| a.definition_at(i).map(|d| (i, d)))
                    .take(2);
                for (sentence, d) in defined {
                    {
                        candidates.push(ReadingQuestion {
                            question: fill(
                                input.scaffolding.how_defined,
                                &[("term", &input.term_phrase(d))],
                            ),
                            section: section.number,
                            source: cite(sentence),
                            objective,
                            bloom: Bloom::Analyse,
                        });
                    }
                }
                for &phrase in a.sections[index].phrases.iter().take(2) {
                    let phrase = &a.phrases[phrase];
                    let sentence = phrase
                        .sentences
                        .iter()
                        .copied()
                        .find(|&i| a.sentences[i].section == Some(index));
                    candidates.push(ReadingQuestion {
                        question: fill(
                            input.scaffolding.says_about,
                            &[("phrase", &phrase.text), ("title", &section.title)],
                        ),
                        section: section.number,
                        source: sentence.and_then(cite),
                        objective,
                        bloom: Bloom::Remember,
                    });
                }
                candidates
            })
            .collect();

        let mut questions: Vec<ReadingQuestion> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        let deepest = per_section.iter().map(Vec::len).max().unwrap_or(0);
        'rounds: for round in 0..deepest {
            for candidates in &per_section {
                if questions.len() >= wanted {
                    break 'rounds;
                }
                if let Some(q) = candidates.get(round) {
                    let key = normalize(&q.question);
                    if !seen.contains(&key) {
                        seen.push(key);
                        questions.push(q.clone());
                    }
                }
            }
        }
        input.require_count(Kind::ReadingQuestions, questions.len(), |range| {
            format!(
                "the source supports {} reading questions, {} to {} are needed",
                questions.len(),
                range.min,
                range.max
            )
        })?;
        questions.sort_by_key(|q| q.section);
        Ok(Self {
            title: outline.title.clone(),
            questions,
        })
    }

    fn source_refs(&self) -> Vec<SourceRef> {
        self.questions.iter().filter_map(|q| q.source).collect()
    }

    fn exports(&self, _labels: &Labels) -> Vec<Export> {
        vec![gift::reading_questions(self)]
    }

    fn practice(&self) -> Vec<(u32, Bloom)> {
        self.questions.iter().map(|q| (q.objective, q.bloom)).collect()
    }

    /// Questions ask; they state no fact to support.
    fn claims(&self) -> Vec<Claim> {
        Vec::new()
    }
}

/// The opening question of a section, varied so a guide does not ask the same thing each time.
fn main_point_question(words: &Scaffolding, n: usize, title: &str) -> (String, Bloom) {
    let bloom = if n % 3 == 1 {
        Bloom::Analyse
    } else {
        Bloom::Understand
    };
    (fill(words.main_point[n % 3], &[("title", title)]), bloom)
}
