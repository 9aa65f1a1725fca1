//! Flashcards: 10–25 cards with a term, a definition, a difficulty and an optional
//! category; no two cards share a term.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::exports::{Export, anki};
use super::objectives::{Bloom, objective_of};
use super::study_guide::concepts;
use super::options::CountRange;
use super::scaffolding::Labels;
use super::validate::{Checks, ValidationContext, Violation};
use super::{Claim, ExtractInput, Kind, KindSpec, Level, SourceRef, ThinSource, fill};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flashcards {
    pub title: String,
    pub cards: Vec<Card>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Card {
    pub term: String,
    pub definition: String,
    pub difficulty: Difficulty,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The outline's learning objective the card serves (1-based).
    pub objective: u32,
    pub bloom: Bloom,
    pub source: SourceRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Difficulty {
    Easy,
    Medium,
    Hard,
}

impl KindSpec for Flashcards {
    const KIND: Kind = Kind::Flashcards;
    const ITEMS: Option<CountRange> = Some(CountRange::new(10, 25));
    const OUTPUT_TOKENS: u32 = 4_096;
    const PROMPT: &'static str = include_str!("../../prompts/v1/flashcards.md");
    const EXPORTS: &'static [&'static str] = &["apkg", "anki.tsv", "quizlet.tsv"];

    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        let mut c = Checks::new();
        c.title_matches(ctx, &self.title);
        c.item_count(ctx, Kind::Flashcards, "/cards", "cards", self.cards.len());
        for (i, card) in self.cards.iter().enumerate() {
            c.length(&format!("/cards/{i}/term"), &card.term, 1, 100);
            c.length(
                &format!("/cards/{i}/definition"),
                &card.definition,
                10,
                1_000,
            );
            if let Some(category) = &card.category {
                c.length(&format!("/cards/{i}/category"), category, 1, 100);
            }
            c.objective(ctx, &format!("/cards/{i}/objective"), card.objective);
            c.source(ctx, &format!("/cards/{i}/source"), &card.source);
        }
        c.unique(
            "term",
            self.cards
                .iter()
                .enumerate()
                .map(|(i, k)| (format!("/cards/{i}/term"), k.term.as_str())),
        );
        c.into_violations()
    }

    fn to_markdown(&self, labels: &Labels) -> String {
        let mut md = format!(
            "# {}\n\n| {} | {} | {} |\n|---|---|---|\n",
            fill(labels.flashcards, &[("title", &self.title)]),
            labels.term,
            labels.definition,
            labels.difficulty
        );
        for card in &self.cards {
            let cell = |s: &str| s.replace('|', "\\|");
            md.push_str(&format!(
                "| {} | {} | {} |\n",
                cell(&card.term),
                cell(&card.definition),
                labels.difficulties[card.difficulty as usize]
            ));
        }
        md
    }

    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        let outline = input.outline()?;
        let wanted = input.options.target_count(Kind::Flashcards);
        let found = concepts(input, wanted);
        input.require_count(Kind::Flashcards, found.len(), |range| {
            format!(
                "found {} distinct terms in the source, flashcards need {} to {}",
                found.len(),
                range.min,
                range.max
            )
        })?;
        let category = |number: u32| outline.section_title(number).map(str::to_owned);
        let cards = found
            .into_iter()
            .map(|concept| {
                let words = concept.explanation.split_whitespace().count();
                Card {
                    difficulty: difficulty(words, input.options.level),
                    category: category(concept.source.section),
                    objective: objective_of(outline, concept.source.section),
                    bloom: Bloom::Remember,
                    term: concept.term,
                    definition: concept.explanation,
                    source: concept.source,
                }
            })
            .collect();
        Ok(Self {
            title: outline.title.clone(),
            cards,
        })
    }

    fn source_refs(&self) -> Vec<SourceRef> {
        self.cards.iter().map(|c| c.source).collect()
    }

    fn exports(&self, labels: &Labels) -> Vec<Export> {
        vec![
            anki::package(self, labels),
            anki::tsv(self, labels),
            anki::quizlet(self),
        ]
    }

    fn practice(&self) -> Vec<(u32, Bloom)> {
        self.cards.iter().map(|c| (c.objective, c.bloom)).collect()
    }

    fn claims(&self) -> Vec<Claim> {
        self.cards
            .iter()
            .enumerate()
            .map(|(i, card)| {
                Claim::new(
                    format!("/cards/{i}"),
                    format!("{} {}", card.term, card.definition),
                    Some(card.source),
                )
            })
            .collect()
    }
}

impl Difficulty {
    pub fn slug(self) -> &'static str {
        match self {
            Self::Easy => "easy",
            Self::Medium => "medium",
            Self::Hard => "hard",
        }
    }
}

/// Longer definitions are harder to recall; advanced learners get one step harder.
fn difficulty(words: usize, level: Level) -> Difficulty {
    let step = match words {
        0..=16 => 0,
        17..=28 => 1,
        _ => 2,
    } + usize::from(level == Level::Advanced);
    match step.saturating_sub(usize::from(level == Level::Beginner)) {
        0 => Difficulty::Easy,
        1 => Difficulty::Medium,
        _ => Difficulty::Hard,
    }
}
