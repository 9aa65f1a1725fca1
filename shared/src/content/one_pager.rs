//! The one-pager: an executive summary, three to seven key takeaways and a short main text,
//! small enough to print on one page.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::options::CountRange;
use super::scaffolding::Labels;
use super::validate::{Checks, Rule, ValidationContext, Violation};
use super::{Claim, ExtractInput, Kind, KindSpec, Passage, SourceRef, ThinSource, passages_claims};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnePager {
    pub title: String,
    /// 100–500 characters.
    pub executive_summary: String,
    /// 3–7 takeaways of at least 20 characters, each citing the source.
    pub key_takeaways: Vec<Passage>,
    /// 200–1,500 characters.
    pub main_content: String,
}

/// What fits on one printed page, in characters of text.
const PAGE_CHARS: usize = 3_200;

impl OnePager {
    fn total_chars(&self) -> usize {
        self.executive_summary.chars().count()
            + self.main_content.chars().count()
            + self
                .key_takeaways
                .iter()
                .map(|t| t.text.chars().count())
                .sum::<usize>()
    }
}

impl KindSpec for OnePager {
    const KIND: Kind = Kind::OnePager;
    const ITEMS: Option<CountRange> = Some(CountRange::new(3, 7));
    const OUTPUT_TOKENS: u32 = 2_048;
    const PROMPT: &'static str = include_str!("../../prompts/v1/one-pager.md");

    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        let mut c = Checks::new();
        c.title_matches(ctx, &self.title);
        c.length("/executive_summary", &self.executive_summary, 100, 500);
        c.item_count(
            ctx,
            Kind::OnePager,
            "/key_takeaways",
            "key takeaways",
            self.key_takeaways.len(),
        );
        for (i, takeaway) in self.key_takeaways.iter().enumerate() {
            c.length(&format!("/key_takeaways/{i}/text"), &takeaway.text, 20, 400);
            c.source(ctx, &format!("/key_takeaways/{i}/source"), &takeaway.source);
        }
        c.unique(
            "takeaway",
            self.key_takeaways
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("/key_takeaways/{i}/text"), t.text.as_str())),
        );
        c.length("/main_content", &self.main_content, 200, 1_500);
        let total = self.total_chars();
        if total > PAGE_CHARS {
            c.fail(
                "",
                Rule::Length,
                format!(
                    "must fit one printed page ({PAGE_CHARS} characters of text), found {total}"
                ),
            );
        }
        c.into_violations()
    }

    fn to_markdown(&self, labels: &Labels) -> String {
        let mut md = format!(
            "# {}\n\n{}\n\n## {}\n\n",
            self.title, self.executive_summary, labels.key_takeaways
        );
        for takeaway in &self.key_takeaways {
            md.push_str(&format!("- {}\n", takeaway.text));
        }
        md.push_str(&format!(
            "\n## {}\n\n{}\n",
            labels.in_brief, self.main_content
        ));
        md
    }

    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        let outline = input.outline()?;
        let a = input.analysis;
        let executive_summary = fill(
            a.best(0..a.sentences.len(), 8)
                .iter()
                .map(|&i| a.sentences[i].text.as_str()),
            500,
        );
        if executive_summary.chars().count() < 100 {
            return Err(ThinSource(
                "the source has no sentences for a 100-character executive summary".into(),
            ));
        }

        // The best sentence of each section, then the best of those, in section order.
        let wanted = input.options.target_count(Kind::OnePager);
        let mut leads: Vec<(u32, usize)> = outline
            .sections
            .iter()
            .filter_map(|s| {
                let ids = a
                    .section_sentences(input.section_index(s.number))
                    .filter(|&i| (20..=400).contains(&a.sentences[i].text.chars().count()));
                a.best(ids, 1).first().map(|&i| (s.number, i))
            })
            .filter(|(_, i)| !executive_summary.contains(&a.sentences[*i].text))
            .collect();
        leads.sort_by(|x, y| {
            a.sentences[y.1]
                .score
                .total_cmp(&a.sentences[x.1].score)
                .then(x.1.cmp(&y.1))
        });
        leads.truncate(wanted);
        leads.sort_by_key(|&(_, i)| i);
        input.require_count(Kind::OnePager, leads.len(), |range| {
            format!(
                "found {} sections with a usable takeaway, the one-pager needs {} to {}",
                leads.len(),
                range.min,
                range.max
            )
        })?;
        let key_takeaways: Vec<Passage> = leads
            .into_iter()
            .map(|(section, i)| input.passage(section, i))
            .collect();
        let used = executive_summary.chars().count()
            + key_takeaways
                .iter()
                .map(|t| t.text.chars().count())
                .sum::<usize>();

        // The opening sentence of each section: the source's own short tour of itself.
        let openings = outline
            .sections
            .iter()
            .filter_map(|s| a.section_sentences(input.section_index(s.number)).next())
            .map(|i| a.sentences[i].text.as_str())
            .filter(|text| {
                !executive_summary.contains(text) && !key_takeaways.iter().any(|t| t.text == *text)
            });
        let main_content = fill(openings, 1_500.min(PAGE_CHARS.saturating_sub(used)));
        if main_content.chars().count() < 200 {
            return Err(ThinSource(
                "the sections' opening sentences give fewer than 200 characters of main content"
                    .into(),
            ));
        }
        Ok(Self {
            title: outline.title.clone(),
            executive_summary,
            key_takeaways,
            main_content,
        })
    }

    fn source_refs(&self) -> Vec<SourceRef> {
        self.key_takeaways.iter().map(|t| t.source).collect()
    }

    fn claims(&self) -> Vec<Claim> {
        passages_claims(
            self.key_takeaways
                .iter()
                .enumerate()
                .map(|(i, p)| (format!("/key_takeaways/{i}"), p)),
        )
    }
}

/// Joins sentences in order while they fit in `max` characters (skipping those that don't).
fn fill<'a>(sentences: impl Iterator<Item = &'a str>, max: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for sentence in sentences {
        let n = sentence.chars().count();
        let extra = if out.is_empty() { n } else { n + 1 };
        if chars + extra > max {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(sentence);
        chars += extra;
    }
    out
}
