//! The master outline: title, overview, audience, level, learning objectives and numbered
//! sections with key points. Generated first; every other kind is derived from it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::options::CountRange;
use super::scaffolding::Labels;
use super::validate::{Checks, Rule, ValidationContext, Violation};
use super::{Claim, ExtractInput, Kind, KindSpec, Level, Passage, SourceRef, ThinSource, fill, passages_claims};
use crate::analysis::text::capitalize;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outline {
    pub title: String,
    /// What the material covers, in a short paragraph (50–1,500 characters).
    pub overview: String,
    pub audience: String,
    pub level: Level,
    /// 3–10 things a learner will be able to do.
    pub learning_objectives: Vec<String>,
    /// 3–15 sections numbered from 1 in order.
    pub sections: Vec<OutlineSection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutlineSection {
    pub number: u32,
    pub title: String,
    pub description: String,
    /// Estimated teaching time.
    pub minutes: u32,
    /// Up to 10 key points, each citing the source.
    pub key_points: Vec<Passage>,
}

impl Outline {
    /// The title of section `number`, if the outline has it.
    pub fn section_title(&self, number: u32) -> Option<&str> {
        self.sections
            .iter()
            .find(|s| s.number == number)
            .map(|s| s.title.as_str())
    }
}

const OBJECTIVES: CountRange = CountRange::new(3, 10);
const MAX_KEY_POINTS: usize = 10;

impl KindSpec for Outline {
    const KIND: Kind = Kind::Outline;
    const ITEMS: Option<CountRange> = Some(CountRange::new(3, 15));
    const OUTPUT_TOKENS: u32 = 4_096;
    const PROMPT: &'static str = include_str!("../../prompts/v1/outline.md");

    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        let mut c = Checks::new();
        c.length("/title", &self.title, 1, 200);
        c.length("/overview", &self.overview, 50, 1_500);
        c.length("/audience", &self.audience, 1, 200);
        c.count(
            "/learning_objectives",
            "learning objectives",
            self.learning_objectives.len(),
            OBJECTIVES,
        );
        for (i, objective) in self.learning_objectives.iter().enumerate() {
            c.length(&format!("/learning_objectives/{i}"), objective, 10, 300);
        }
        c.unique(
            "learning objective",
            self.learning_objectives
                .iter()
                .enumerate()
                .map(|(i, o)| (format!("/learning_objectives/{i}"), o.as_str())),
        );
        c.item_count(
            ctx,
            Kind::Outline,
            "/sections",
            "sections",
            self.sections.len(),
        );
        for (i, section) in self.sections.iter().enumerate() {
            let path = format!("/sections/{i}");
            if section.number as usize != i + 1 {
                c.fail(
                    format!("{path}/number"),
                    Rule::Order,
                    format!(
                        "sections are numbered 1, 2, …; expected {}, found {}",
                        i + 1,
                        section.number
                    ),
                );
            }
            c.length(&format!("{path}/title"), &section.title, 1, 200);
            c.length(
                &format!("{path}/description"),
                &section.description,
                20,
                1_000,
            );
            if !(1..=240).contains(&section.minutes) {
                c.fail(
                    format!("{path}/minutes"),
                    Rule::Length,
                    format!("must be 1 to 240 minutes, found {}", section.minutes),
                );
            }
            c.count(
                &format!("{path}/key_points"),
                "key points",
                section.key_points.len(),
                CountRange::new(0, MAX_KEY_POINTS),
            );
            for (j, point) in section.key_points.iter().enumerate() {
                let point_path = format!("{path}/key_points/{j}");
                c.length(&format!("{point_path}/text"), &point.text, 10, 1_000);
                if point.source.section != section.number {
                    c.fail(
                        format!("{point_path}/source/section"),
                        Rule::Reference,
                        format!(
                            "a key point of section {} must cite section {}, found {}",
                            section.number, section.number, point.source.section
                        ),
                    );
                }
                c.span(ctx, &format!("{point_path}/source"), &point.source);
            }
        }
        c.unique(
            "section title",
            self.sections
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("/sections/{i}/title"), s.title.as_str())),
        );
        c.into_violations()
    }

    fn to_markdown(&self, labels: &Labels) -> String {
        let mut md = format!("# {}\n\n{}\n\n", self.title, self.overview);
        let level = match self.level {
            Level::Beginner => labels.levels[0],
            Level::Intermediate => labels.levels[1],
            Level::Advanced => labels.levels[2],
        };
        md.push_str(&format!(
            "**{}:** {}  \n**{}:** {level}\n\n",
            labels.audience, self.audience, labels.level
        ));
        md.push_str(&format!("## {}\n\n", labels.learning_objectives));
        for objective in &self.learning_objectives {
            md.push_str(&format!("- {objective}\n"));
        }
        for section in &self.sections {
            md.push_str(&format!(
                "\n## {}. {} ({} {})\n\n{}\n\n",
                section.number, section.title, section.minutes, labels.minutes, section.description
            ));
            for point in &section.key_points {
                md.push_str(&format!("- {}\n", point.text));
            }
        }
        md
    }

    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        let a = input.analysis;
        input.require_count(Kind::Outline, a.sections.len(), |range| {
            format!("found {} sections in the source but the outline needs {} to {}; add headings or paragraphs", a.sections.len(), range.min, range.max)
        })?;
        let per_section = input.per_section(3, 5, 8).min(MAX_KEY_POINTS);
        let mut sections = Vec::new();
        for (index, section) in a.sections.iter().enumerate() {
            let number = index as u32 + 1;
            let (described, description) = description_of(input, index).ok_or_else(|| {
                ThinSource(format!(
                    "section {number} \"{}\" has no sentence long enough to describe it",
                    section.title
                ))
            })?;
            let ids = a.section_sentences(index).filter(|&i| {
                i != described
                    && a.sentences[i].score > 0.0
                    && a.sentences[i].text.chars().count() >= 10
            });
            let key_points: Vec<Passage> = a
                .best(ids, per_section)
                .into_iter()
                .map(|i| input.passage(number, i))
                .collect();
            sections.push(OutlineSection {
                number,
                title: section.title.clone(),
                description,
                minutes: (section.words.div_ceil(120) as u32).clamp(1, 240),
                key_points,
            });
        }
        let overview = overview_of(input)?;
        let learning_objectives = objectives(input, &sections);
        Ok(Self {
            title: a.title.clone(),
            overview,
            audience: input.options.audience.clone().unwrap_or_else(|| {
                input.scaffolding.audience(input.options.level).to_owned()
            }),
            level: input.options.level,
            learning_objectives,
            sections,
        })
    }

    fn source_refs(&self) -> Vec<SourceRef> {
        self.sections
            .iter()
            .flat_map(|s| s.key_points.iter().map(|p| p.source))
            .collect()
    }

    fn claims(&self) -> Vec<Claim> {
        passages_claims(self.sections.iter().enumerate().flat_map(|(s, section)| {
            section
                .key_points
                .iter()
                .enumerate()
                .map(move |(i, p)| (format!("/sections/{s}/key_points/{i}"), p))
        }))
    }
}

/// The section's opening sentence, or its best one when the opening is too short or long,
/// with its index.
fn description_of(input: &ExtractInput<'_>, index: usize) -> Option<(usize, String)> {
    let a = input.analysis;
    let fits = |i: &usize| (20..=1_000).contains(&a.sentences[*i].text.chars().count());
    a.section_sentences(index)
        .next()
        .filter(fits)
        .or_else(|| {
            a.best(a.section_sentences(index).filter(fits), 1)
                .first()
                .copied()
        })
        .map(|i| (i, a.sentences[i].text.clone()))
}

/// The introduction's best sentences, else the document's, in order, up to 1,500 characters.
fn overview_of(input: &ExtractInput<'_>) -> Result<String, ThinSource> {
    let a = input.analysis;
    let prelude_chars: usize = a.prelude.clone().map(|i| a.sentences[i].text.len()).sum();
    let pool: Vec<usize> = if prelude_chars >= 50 {
        a.prelude.clone().collect()
    } else {
        (0..a.sentences.len()).collect()
    };
    let mut overview = String::new();
    for i in a.best(pool, 3) {
        let text = &a.sentences[i].text;
        if overview.chars().count() + text.chars().count() + 1 > 1_500 {
            continue;
        }
        if !overview.is_empty() {
            overview.push(' ');
        }
        overview.push_str(text);
    }
    if overview.chars().count() < 50 {
        return Err(ThinSource(
            "the source has no sentences that could form a 50-character overview".into(),
        ));
    }
    Ok(overview)
}

/// One objective per section (up to ten): a level-appropriate verb and the section's focus,
/// which is its first defined term when it has one.
fn objectives(input: &ExtractInput<'_>, sections: &[OutlineSection]) -> Vec<String> {
    let words = input.scaffolding;
    let templates = match input.options.level {
        Level::Beginner => &words.objectives[0],
        Level::Intermediate => &words.objectives[1],
        Level::Advanced => &words.objectives[2],
    };
    let a = input.analysis;
    let mut seen = Vec::new();
    let mut objectives = Vec::new();
    for (index, section) in sections.iter().take(OBJECTIVES.max).enumerate() {
        let term = a
            .section_sentences(index)
            .filter_map(|i| a.definition_at(i))
            .map(|d| input.term_phrase(d))
            .find(|t| !seen.contains(&t.to_lowercase()));
        let focus = match term {
            Some(term) => {
                seen.push(term.to_lowercase());
                fill(words.term_focus, &[("term", &term)])
            }
            None => fill(words.main_ideas_of, &[("title", &section.title)]),
        };
        objectives.push(capitalize(&fill(
            templates[index % templates.len()],
            &[("focus", &focus)],
        )));
    }
    objectives
}
