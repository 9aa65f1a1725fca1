//! The study guide: overview, key concepts (term and explanation), detailed content per
//! outline section, a summary and recommended reading.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::options::CountRange;
use super::scaffolding::Labels;
use super::validate::{Checks, Rule, ValidationContext, Violation};
use super::{Claim, ExtractInput, Kind, KindSpec, Passage, SourceRef, ThinSource, fill, passages_claims};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StudyGuide {
    pub title: String,
    pub overview: String,
    /// 5–20 concepts with distinct terms.
    pub key_concepts: Vec<Concept>,
    /// Detailed content, one entry per outline section; 500–8,000 characters in all.
    pub sections: Vec<GuideSection>,
    pub summary: String,
    pub recommended_reading: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    pub term: String,
    pub explanation: String,
    pub source: SourceRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuideSection {
    pub section: u32,
    pub title: String,
    pub content: Vec<Passage>,
}

const DETAIL_CHARS: CountRange = CountRange::new(500, 8_000);

impl StudyGuide {
    fn detail_chars(&self) -> usize {
        self.sections
            .iter()
            .flat_map(|s| &s.content)
            .map(|p| p.text.chars().count())
            .sum()
    }
}

impl KindSpec for StudyGuide {
    const KIND: Kind = Kind::StudyGuide;
    const ITEMS: Option<CountRange> = Some(CountRange::new(5, 20));
    const OUTPUT_TOKENS: u32 = 8_192;
    const PROMPT: &'static str = include_str!("../../prompts/v1/study-guide.md");

    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        let mut c = Checks::new();
        c.title_matches(ctx, &self.title);
        c.length("/overview", &self.overview, 50, 1_500);
        c.item_count(
            ctx,
            Kind::StudyGuide,
            "/key_concepts",
            "key concepts",
            self.key_concepts.len(),
        );
        for (i, concept) in self.key_concepts.iter().enumerate() {
            c.length(&format!("/key_concepts/{i}/term"), &concept.term, 1, 100);
            c.length(
                &format!("/key_concepts/{i}/explanation"),
                &concept.explanation,
                10,
                1_000,
            );
            c.source(ctx, &format!("/key_concepts/{i}/source"), &concept.source);
        }
        c.unique(
            "term",
            self.key_concepts
                .iter()
                .enumerate()
                .map(|(i, k)| (format!("/key_concepts/{i}/term"), k.term.as_str())),
        );
        let parts: Vec<(u32, Option<&str>)> = self
            .sections
            .iter()
            .map(|s| (s.section, Some(s.title.as_str())))
            .collect();
        c.follows_outline(ctx, "/sections", "section", &parts);
        for (i, section) in self.sections.iter().enumerate() {
            c.length(&format!("/sections/{i}/title"), &section.title, 1, 200);
            for (j, passage) in section.content.iter().enumerate() {
                c.length(
                    &format!("/sections/{i}/content/{j}/text"),
                    &passage.text,
                    1,
                    2_000,
                );
                c.cites(
                    ctx,
                    &format!("/sections/{i}/content/{j}/source"),
                    section.section,
                    &passage.source,
                );
            }
        }
        let detail = self.detail_chars();
        if !DETAIL_CHARS.contains(detail) {
            c.fail(
                "/sections",
                Rule::Length,
                format!(
                    "detailed content must total {} to {} characters, found {detail}",
                    DETAIL_CHARS.min, DETAIL_CHARS.max
                ),
            );
        }
        c.length("/summary", &self.summary, 50, 2_000);
        for (i, item) in self.recommended_reading.iter().enumerate() {
            c.length(&format!("/recommended_reading/{i}"), item, 3, 300);
        }
        c.into_violations()
    }

    fn to_markdown(&self, labels: &Labels) -> String {
        let mut md = format!(
            "# {}\n\n## {}\n\n{}\n\n## {}\n\n",
            fill(labels.study_guide, &[("title", &self.title)]),
            labels.overview,
            self.overview,
            labels.key_concepts
        );
        for concept in &self.key_concepts {
            md.push_str(&format!(
                "- **{}**: {}\n",
                concept.term, concept.explanation
            ));
        }
        for section in &self.sections {
            md.push_str(&format!("\n## {}. {}\n\n", section.section, section.title));
            let text: Vec<&str> = section.content.iter().map(|p| p.text.as_str()).collect();
            md.push_str(&text.join(" "));
            md.push('\n');
        }
        md.push_str(&format!(
            "\n## {}\n\n{}\n\n## {}\n\n",
            labels.summary, self.summary, labels.recommended_reading
        ));
        for item in &self.recommended_reading {
            md.push_str(&format!("- {item}\n"));
        }
        md
    }

    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        let outline = input.outline()?;
        let a = input.analysis;
        let wanted = input.options.target_count(Kind::StudyGuide);
        let key_concepts = concepts(input, wanted);
        input.require_count(Kind::StudyGuide, key_concepts.len(), |range| {
            format!(
                "found {} distinct concepts in the source, the study guide needs {} to {}",
                key_concepts.len(),
                range.min,
                range.max
            )
        })?;

        let per_section = input.per_section(2, 4, 6);
        let mut sections: Vec<GuideSection> = outline
            .sections
            .iter()
            .map(|s| {
                let ids = a
                    .section_sentences(input.section_index(s.number))
                    .filter(|&i| a.sentences[i].score > 0.0);
                let content = a
                    .best(ids, per_section)
                    .into_iter()
                    .map(|i| input.passage(s.number, i))
                    .collect();
                GuideSection {
                    section: s.number,
                    title: s.title.clone(),
                    content,
                }
            })
            .collect();
        // Trim the longest sections' last passages until the whole fits.
        let mut guide_chars: usize = sections
            .iter()
            .flat_map(|s| &s.content)
            .map(|p| p.text.chars().count())
            .sum();
        while guide_chars > DETAIL_CHARS.max {
            let longest = sections
                .iter_mut()
                .max_by_key(|s| s.content.len())
                .expect("sections exist");
            let removed = longest.content.pop().expect("a section with content");
            guide_chars -= removed.text.chars().count();
        }
        if guide_chars < DETAIL_CHARS.min {
            return Err(ThinSource(format!(
                "the source yields {guide_chars} characters of detailed content, the study guide needs at least {}",
                DETAIL_CHARS.min
            )));
        }

        let summary: Vec<String> = a
            .best(0..a.sentences.len(), 3)
            .into_iter()
            .map(|i| a.sentences[i].text.clone())
            .collect();
        let mut reading: Vec<&_> = outline.sections.iter().collect();
        reading.sort_by_key(|s| std::cmp::Reverse(s.minutes));
        let recommended_reading = reading
            .into_iter()
            .take(3)
            .map(|s| {
                fill(
                    input.scaffolding.reread,
                    &[
                        ("n", &s.number.to_string()),
                        ("title", &s.title),
                        ("minutes", &s.minutes.to_string()),
                    ],
                )
            })
            .collect();
        let guide = Self {
            title: outline.title.clone(),
            overview: outline.overview.clone(),
            key_concepts,
            sections,
            summary: summary.join(" "),
            recommended_reading,
        };
        if guide.summary.chars().count() < 50 {
            return Err(ThinSource(
                "the source has too little text for a 50-character summary".into(),
            ));
        }
        Ok(guide)
    }

    fn source_refs(&self) -> Vec<SourceRef> {
        let concepts = self.key_concepts.iter().map(|c| c.source);
        concepts
            .chain(
                self.sections
                    .iter()
                    .flat_map(|s| s.content.iter().map(|p| p.source)),
            )
            .collect()
    }

    fn claims(&self) -> Vec<Claim> {
        let concepts = self.key_concepts.iter().enumerate().map(|(i, c)| {
            Claim::new(
                format!("/key_concepts/{i}"),
                format!("{} {}", c.term, c.explanation),
                Some(c.source),
            )
        });
        let content = passages_claims(self.sections.iter().enumerate().flat_map(|(s, section)| {
            section
                .content
                .iter()
                .enumerate()
                .map(move |(i, p)| (format!("/sections/{s}/content/{i}"), p))
        }));
        concepts.chain(content).collect()
    }
}

/// Defined terms first (best-scored), then key phrases explained by the best sentence that
/// mentions them; at most `wanted`, with distinct terms.
pub(super) fn concepts(input: &ExtractInput<'_>, wanted: usize) -> Vec<Concept> {
    let a = input.analysis;
    let mut terms: Vec<(String, usize)> = Vec::new();
    let mut definitions: Vec<usize> = (0..a.definitions.len()).collect();
    definitions.sort_by(|&x, &y| {
        let (sx, sy) = (
            a.sentences[a.definitions[x].sentence].score,
            a.sentences[a.definitions[y].sentence].score,
        );
        sy.total_cmp(&sx).then(x.cmp(&y))
    });
    for d in definitions {
        let definition = &a.definitions[d];
        if terms.len() < wanted && a.sentences[definition.sentence].section.is_some() {
            terms.push((input.display_term(&definition.term), definition.sentence));
        }
    }
    for (term, sentence) in phrase_terms(input, &terms, wanted) {
        terms.push((term, sentence));
    }
    terms.sort_by_key(|&(_, sentence)| sentence);
    terms
        .into_iter()
        .map(|(term, sentence)| {
            let passage = input.passage(section_number(input, sentence), sentence);
            Concept {
                term,
                explanation: passage.text,
                source: passage.source,
            }
        })
        .collect()
}

/// Key phrases not yet used as terms, each with the best sentence that mentions it and is
/// not already used, until `wanted` terms exist.
pub(super) fn phrase_terms(
    input: &ExtractInput<'_>,
    taken: &[(String, usize)],
    wanted: usize,
) -> Vec<(String, usize)> {
    let a = input.analysis;
    let mut used_keys: Vec<String> = taken.iter().map(|(t, _)| t.to_lowercase()).collect();
    let mut used_sentences: Vec<usize> = taken.iter().map(|&(_, s)| s).collect();
    let mut found = Vec::new();
    let mut candidates: Vec<&crate::analysis::Phrase> = a
        .phrases
        .iter()
        .filter(|p| p.count >= 2 && p.text.len() >= 4)
        .take(200)
        .collect();
    candidates.sort_by(|x, y| {
        (y.key.contains(' '))
            .cmp(&x.key.contains(' '))
            .then(y.score.total_cmp(&x.score))
    });
    for phrase in candidates {
        if taken.len() + found.len() >= wanted {
            break;
        }
        if used_keys
            .iter()
            .any(|k| k.contains(&phrase.key) || phrase.key.contains(k.as_str()))
        {
            continue;
        }
        let mentions = phrase.sentences.iter().copied().filter(|i| {
            let s = &a.sentences[*i];
            s.section.is_some() && !used_sentences.contains(i) && s.score > 0.0
        });
        if let Some(&sentence) = a.best(mentions, 1).first() {
            used_keys.push(phrase.key.clone());
            used_sentences.push(sentence);
            found.push((phrase.text.clone(), sentence));
        }
    }
    found
}

/// The outline section number of an analysed sentence (sections map one to one).
pub(super) fn section_number(input: &ExtractInput<'_>, sentence: usize) -> u32 {
    let index = input.analysis.sentences[sentence].section.unwrap_or(0);
    let sections = input
        .outline
        .map_or(input.analysis.sections.len(), |o| o.sections.len())
        .max(1);
    let analysed = input.analysis.sections.len().max(1);
    ((index * sections / analysed) as u32 + 1).min(sections as u32)
}
