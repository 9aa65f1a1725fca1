//! Frequently asked questions: 5–15 question/answer pairs with an optional category; every
//! question ends with "?" and none repeats.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::study_guide::section_number;
use super::options::CountRange;
use super::scaffolding::Labels;
use super::validate::{Checks, ValidationContext, Violation};
use super::{Claim, ExtractInput, Kind, KindSpec, SourceRef, ThinSource, fill};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub title: String,
    pub items: Vec<FaqItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqItem {
    pub question: String,
    pub answer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Where the answer comes from.
    pub source: SourceRef,
}

impl KindSpec for Faq {
    const KIND: Kind = Kind::Faq;
    const ITEMS: Option<CountRange> = Some(CountRange::new(5, 15));
    const OUTPUT_TOKENS: u32 = 4_096;
    const PROMPT: &'static str = include_str!("../../prompts/v1/faq.md");

    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        let mut c = Checks::new();
        c.title_matches(ctx, &self.title);
        c.item_count(
            ctx,
            Kind::Faq,
            "/items",
            "question/answer pairs",
            self.items.len(),
        );
        for (i, item) in self.items.iter().enumerate() {
            c.question(&format!("/items/{i}/question"), &item.question, 10);
            c.length(&format!("/items/{i}/answer"), &item.answer, 20, 2_000);
            if let Some(category) = &item.category {
                c.length(&format!("/items/{i}/category"), category, 1, 100);
            }
            c.source(ctx, &format!("/items/{i}/source"), &item.source);
        }
        c.unique(
            "question",
            self.items
                .iter()
                .enumerate()
                .map(|(i, q)| (format!("/items/{i}/question"), q.question.as_str())),
        );
        c.into_violations()
    }

    fn to_markdown(&self, labels: &Labels) -> String {
        let mut md = format!("# {}\n", fill(labels.faq, &[("title", &self.title)]));
        let mut category = None;
        for item in &self.items {
            if item.category.is_some() && item.category != category {
                category.clone_from(&item.category);
                md.push_str(&format!(
                    "\n## {}\n",
                    item.category.as_deref().unwrap_or_default()
                ));
            }
            md.push_str(&format!("\n### {}\n\n{}\n", item.question, item.answer));
        }
        md
    }

    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        let outline = input.outline()?;
        let a = input.analysis;
        let words = input.scaffolding;
        let wanted = input.options.target_count(Kind::Faq);
        let category = |number: u32| outline.section_title(number).map(str::to_owned);

        // One question per section about its best sentence, then questions about defined
        // terms, best first, until there are enough.
        let mut picked: Vec<(usize, String)> = Vec::new();
        for section in outline.sections.iter().take(wanted) {
            let ids = a
                .section_sentences(input.section_index(section.number))
                .filter(|&i| a.sentences[i].score > 0.0 && a.definition_at(i).is_none());
            if let Some(&sentence) = a.best(ids, 1).first() {
                picked.push((
                    sentence,
                    fill(
                        words.faq_about,
                        &[("title", &words.title_in_sentence(&section.title))],
                    ),
                ));
            }
        }
        let mut definitions: Vec<_> = a
            .definitions
            .iter()
            .filter(|d| a.sentences[d.sentence].section.is_some())
            .collect();
        definitions.sort_by(|x, y| {
            a.sentences[y.sentence]
                .score
                .total_cmp(&a.sentences[x.sentence].score)
                .then(x.sentence.cmp(&y.sentence))
        });
        for definition in definitions {
            if picked.len() >= wanted {
                break;
            }
            let template = words.what_is[usize::from(definition.plural)];
            picked.push((
                definition.sentence,
                fill(template, &[("term", &input.term_phrase(definition))]),
            ));
        }
        input.require_count(Kind::Faq, picked.len(), |range| {
            format!(
                "the source supports {} questions, the FAQ needs {} to {}",
                picked.len(),
                range.min,
                range.max
            )
        })?;
        picked.sort_by_key(|(sentence, _)| *sentence);
        let items = picked
            .into_iter()
            .map(|(sentence, question)| {
                let passage = input.passage(section_number(input, sentence), sentence);
                FaqItem {
                    question,
                    answer: passage.text,
                    category: category(passage.source.section),
                    source: passage.source,
                }
            })
            .collect();
        Ok(Self {
            title: outline.title.clone(),
            items,
        })
    }

    fn source_refs(&self) -> Vec<SourceRef> {
        self.items.iter().map(|i| i.source).collect()
    }

    /// The answers state the facts; the questions only ask.
    fn claims(&self) -> Vec<Claim> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, item)| Claim::new(format!("/items/{i}/answer"), &item.answer, Some(item.source)))
            .collect()
    }
}
