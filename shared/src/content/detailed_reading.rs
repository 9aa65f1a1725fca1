//! Detailed reading material: an introduction, one section per outline section (at least
//! 200 characters each, mirroring the outline), a conclusion and references.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::options::CountRange;
use super::scaffolding::Labels;
use super::validate::{Checks, Rule, ValidationContext, Violation};
use super::{Claim, ExtractInput, Kind, KindSpec, Passage, SourceRef, ThinSource, fill, passages_claims};
use crate::content::Span;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DetailedReading {
    pub title: String,
    pub introduction: String,
    /// Exactly one per outline section, same numbers and titles, in order.
    pub sections: Vec<ReadingSection>,
    pub conclusion: String,
    /// At least one reference.
    pub references: Vec<Reference>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingSection {
    pub section: u32,
    pub title: String,
    /// Paragraphs of at least 200 characters in all, each citing the source.
    pub paragraphs: Vec<Passage>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

const MIN_SECTION_CHARS: usize = 200;

impl KindSpec for DetailedReading {
    const KIND: Kind = Kind::DetailedReading;
    const ITEMS: Option<CountRange> = None;
    const OUTPUT_TOKENS: u32 = 8_192;
    const PROMPT: &'static str = include_str!("../../prompts/v1/detailed-reading.md");

    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        let mut c = Checks::new();
        c.title_matches(ctx, &self.title);
        c.length("/introduction", &self.introduction, 50, 3_000);
        let parts: Vec<(u32, Option<&str>)> = self
            .sections
            .iter()
            .map(|s| (s.section, Some(s.title.as_str())))
            .collect();
        c.follows_outline(ctx, "/sections", "section", &parts);
        for (i, section) in self.sections.iter().enumerate() {
            let chars: usize = section
                .paragraphs
                .iter()
                .map(|p| p.text.trim().chars().count())
                .sum();
            if chars < MIN_SECTION_CHARS {
                c.fail(
                    format!("/sections/{i}/paragraphs"),
                    Rule::Length,
                    format!(
                        "a section needs at least {MIN_SECTION_CHARS} characters, found {chars}"
                    ),
                );
            }
            for (j, paragraph) in section.paragraphs.iter().enumerate() {
                c.length(
                    &format!("/sections/{i}/paragraphs/{j}/text"),
                    &paragraph.text,
                    1,
                    10_000,
                );
                c.cites(
                    ctx,
                    &format!("/sections/{i}/paragraphs/{j}/source"),
                    section.section,
                    &paragraph.source,
                );
            }
        }
        c.length("/conclusion", &self.conclusion, 50, 3_000);
        if self.references.is_empty() {
            c.fail(
                "/references",
                Rule::Required,
                "needs at least one reference",
            );
        }
        for (i, reference) in self.references.iter().enumerate() {
            c.length(&format!("/references/{i}/text"), &reference.text, 3, 500);
            if let Some(url) = &reference.url
                && !(url.starts_with("https://") || url.starts_with("http://"))
            {
                c.fail(
                    format!("/references/{i}/url"),
                    Rule::Reference,
                    "must be an http(s) URL",
                );
            }
        }
        c.into_violations()
    }

    fn to_markdown(&self, labels: &Labels) -> String {
        let mut md = format!("# {}\n\n{}\n", self.title, self.introduction);
        for section in &self.sections {
            md.push_str(&format!("\n## {}. {}\n", section.section, section.title));
            for paragraph in &section.paragraphs {
                md.push_str(&format!("\n{}\n", paragraph.text));
            }
        }
        md.push_str(&format!(
            "\n## {}\n\n{}\n\n## {}\n\n",
            labels.conclusion, self.conclusion, labels.references
        ));
        for reference in &self.references {
            match &reference.url {
                Some(url) => md.push_str(&format!("- {} <{url}>\n", reference.text)),
                None => md.push_str(&format!("- {}\n", reference.text)),
            }
        }
        md
    }

    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        let outline = input.outline()?;
        let a = input.analysis;
        let mut sections = Vec::new();
        for outlined in &outline.sections {
            let index = input.section_index(outlined.number);
            let range = a.section_sentences(index);
            // Whole blocks (paragraphs, list items) of the section, as the source has them.
            let paragraphs: Vec<Passage> = a
                .blocks
                .iter()
                .filter(|b| b.start >= range.start && b.end <= range.end && !b.is_empty())
                .map(|b| block_passage(input, outlined.number, b.clone()))
                .collect();
            let chars: usize = paragraphs.iter().map(|p| p.text.chars().count()).sum();
            if chars < MIN_SECTION_CHARS {
                return Err(ThinSource(format!(
                    "section {} \"{}\" holds {chars} characters; detailed reading needs at least {MIN_SECTION_CHARS} per section",
                    outlined.number, outlined.title
                )));
            }
            sections.push(ReadingSection {
                section: outlined.number,
                title: outlined.title.clone(),
                paragraphs,
            });
        }

        let prelude: Vec<&str> = a
            .prelude
            .clone()
            .map(|i| a.sentences[i].text.as_str())
            .collect();
        let prelude = prelude.join(" ");
        let introduction = if (50..=3_000).contains(&prelude.chars().count()) {
            prelude
        } else {
            outline.overview.clone()
        };
        let conclusion = conclusion_of(input);
        if conclusion.chars().count() < 50 {
            return Err(ThinSource(
                "the source's last paragraph is too short to conclude with".into(),
            ));
        }
        Ok(Self {
            title: outline.title.clone(),
            introduction,
            sections,
            conclusion,
            references: references(input),
        })
    }

    fn source_refs(&self) -> Vec<SourceRef> {
        self.sections
            .iter()
            .flat_map(|s| s.paragraphs.iter().map(|p| p.source))
            .collect()
    }

    fn claims(&self) -> Vec<Claim> {
        passages_claims(self.sections.iter().enumerate().flat_map(|(s, section)| {
            section
                .paragraphs
                .iter()
                .enumerate()
                .map(move |(i, p)| (format!("/sections/{s}/paragraphs/{i}"), p))
        }))
    }
}

/// A block of sentences as one passage whose span runs from its first to its last sentence.
fn block_passage(input: &ExtractInput<'_>, section: u32, block: std::ops::Range<usize>) -> Passage {
    let a = input.analysis;
    let text: Vec<&str> = block
        .clone()
        .map(|i| a.sentences[i].text.as_str())
        .collect();
    let span = Span {
        start: a.span(block.start).start,
        end: a.span(block.end - 1).end,
    };
    Passage {
        text: text.join(" "),
        source: SourceRef {
            section,
            span: Some(span),
        },
    }
}

/// The last paragraph of the source if it is substantial, else its best closing sentences.
fn conclusion_of(input: &ExtractInput<'_>) -> String {
    let a = input.analysis;
    if let Some(last) = a.blocks.last() {
        let text: Vec<&str> = last.clone().map(|i| a.sentences[i].text.as_str()).collect();
        let text = text.join(" ");
        if (50..=3_000).contains(&text.chars().count()) {
            return text;
        }
    }
    let last_section = a.sections.len().saturating_sub(1);
    let closing: Vec<&str> = a
        .best(a.section_sentences(last_section), 2)
        .into_iter()
        .map(|i| a.sentences[i].text.as_str())
        .collect();
    closing.join(" ")
}

/// The source itself, then every web address it mentions (first ten, in order).
fn references(input: &ExtractInput<'_>) -> Vec<Reference> {
    let a = input.analysis;
    let mut references = vec![Reference {
        text: fill(
            input.scaffolding.the_source,
            &[
                ("title", &a.title),
                ("chars", &a.document.text().chars().count().to_string()),
                ("sha", &a.sha256[..a.sha256.len().min(12)]),
            ],
        ),
        url: None,
    }];
    for word in a.text().split_whitespace() {
        if references.len() > 10 {
            break;
        }
        let url = word.trim_matches(|c: char| {
            matches!(
                c,
                '<' | '>' | '(' | ')' | '[' | ']' | ',' | '.' | ';' | '"' | '\''
            )
        });
        if (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() > 10
            && !references.iter().any(|r| r.url.as_deref() == Some(url))
        {
            references.push(Reference {
                text: input.scaffolding.cited_in_the_source.into(),
                url: Some(url.to_owned()),
            });
        }
    }
    references
}
