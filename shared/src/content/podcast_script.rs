//! The podcast script: a real dialogue between one to four named speakers, with an intro,
//! one segment per outline section (in order) and an outro.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::options::CountRange;
use super::scaffolding::Labels;
use super::validate::{Checks, Rule, ValidationContext, Violation};
use super::{Claim, ExtractInput, Kind, KindSpec, Outline, SourceRef, ThinSource, fill};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PodcastScript {
    pub title: String,
    /// 1–4 speakers; turns name them by `id`.
    pub speakers: Vec<Speaker>,
    pub intro: Vec<Turn>,
    /// One segment per outline section, in outline order.
    pub segments: Vec<Segment>,
    pub outro: Vec<Turn>,
    pub estimated_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Speaker {
    pub id: String,
    pub name: String,
    pub role: SpeakerRole,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SpeakerRole {
    Host,
    Expert,
    Guest,
    Narrator,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// The outline section this segment covers.
    pub section: u32,
    pub title: String,
    pub turns: Vec<Turn>,
}

/// One spoken turn. Turns that state facts cite the source; greetings and hand-overs in the
/// intro and outro may not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Turn {
    pub speaker: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
}

/// Speaking rate used for the time estimate.
const WORDS_PER_MINUTE: usize = 150;

impl PodcastScript {
    fn all_turns(&self) -> impl Iterator<Item = (String, &Turn)> {
        let intro = self
            .intro
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("/intro/{i}"), t));
        let segments = self.segments.iter().enumerate().flat_map(|(s, seg)| {
            seg.turns
                .iter()
                .enumerate()
                .map(move |(i, t)| (format!("/segments/{s}/turns/{i}"), t))
        });
        let outro = self
            .outro
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("/outro/{i}"), t));
        intro.chain(segments).chain(outro)
    }

    /// Characters of speech in the whole script.
    pub fn spoken_chars(&self) -> usize {
        self.all_turns().map(|(_, t)| t.text.chars().count()).sum()
    }

    fn spoken_words(&self) -> usize {
        self.all_turns()
            .map(|(_, t)| t.text.split_whitespace().count())
            .sum()
    }
}

/// A segment turn that is not a question and has at least this many words besides its
/// segment's title states something (a hand-over such as "Let's turn to <title>." has four).
const STATEMENT_WORDS: usize = 8;

impl KindSpec for PodcastScript {
    const KIND: Kind = Kind::PodcastScript;
    const ITEMS: Option<CountRange> = None;
    const OUTPUT_TOKENS: u32 = 8_192;
    const PROMPT: &'static str = include_str!("../../prompts/v1/podcast-script.md");
    const USES_SPEAKERS: bool = true;

    fn title(&self) -> &str {
        &self.title
    }

    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        let mut c = Checks::new();
        c.title_matches(ctx, &self.title);
        let wanted = ctx.options.speakers as usize;
        c.count(
            "/speakers",
            "speakers (as the speakers option asks)",
            self.speakers.len(),
            super::options::CountRange::new(wanted, wanted),
        );
        c.unique(
            "speaker id",
            self.speakers
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("/speakers/{i}/id"), s.id.as_str())),
        );
        for (i, speaker) in self.speakers.iter().enumerate() {
            c.length(&format!("/speakers/{i}/id"), &speaker.id, 1, 40);
            c.length(&format!("/speakers/{i}/name"), &speaker.name, 1, 80);
        }
        if self.intro.is_empty() {
            c.fail("/intro", Rule::Required, "the script needs an intro");
        }
        if self.outro.is_empty() {
            c.fail("/outro", Rule::Required, "the script needs an outro");
        }
        for (path, turn) in self.all_turns() {
            if !self.speakers.iter().any(|s| s.id == turn.speaker) {
                c.fail(
                    format!("{path}/speaker"),
                    Rule::Reference,
                    format!("no speaker has the id \"{}\"", turn.speaker),
                );
            }
            c.length(&format!("{path}/text"), &turn.text, 1, 2_000);
        }
        let framing = self
            .intro
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("/intro/{i}"), t));
        let framing = framing.chain(
            self.outro
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("/outro/{i}"), t)),
        );
        for (path, turn) in framing {
            if let Some(source) = &turn.source {
                c.source(ctx, &format!("{path}/source"), source);
            }
        }
        for (i, speaker) in self.speakers.iter().enumerate() {
            if !self.all_turns().any(|(_, t)| t.speaker == speaker.id) {
                c.fail(
                    format!("/speakers/{i}"),
                    Rule::Required,
                    format!("{} never speaks", speaker.name),
                );
            }
        }
        let parts: Vec<(u32, Option<&str>)> =
            self.segments.iter().map(|s| (s.section, None)).collect();
        c.follows_outline(ctx, "/segments", "segment", &parts);
        for (s, segment) in self.segments.iter().enumerate() {
            if segment.turns.is_empty() {
                c.fail(
                    format!("/segments/{s}/turns"),
                    Rule::Required,
                    "a segment needs at least one turn",
                );
            }
            for (i, turn) in segment.turns.iter().enumerate() {
                match turn.source {
                    None => c.fail(
                        format!("/segments/{s}/turns/{i}/source"),
                        Rule::Required,
                        "a segment turn must cite its source section",
                    ),
                    Some(source) => c.cites(
                        ctx,
                        &format!("/segments/{s}/turns/{i}/source"),
                        segment.section,
                        &source,
                    ),
                }
            }
        }
        let spoken = ctx.options.spoken_chars();
        let chars = self.spoken_chars();
        if !spoken.contains(chars) {
            c.fail(
                "",
                Rule::Length,
                format!(
                    "spoken text must total {} to {} characters at this length, found {chars}",
                    spoken.min, spoken.max
                ),
            );
        }
        let expected = self.spoken_words().div_ceil(WORDS_PER_MINUTE).max(1) as u32;
        if self.estimated_minutes == 0
            || self.estimated_minutes > expected * 2
            || self.estimated_minutes * 2 < expected
        {
            c.fail(
                "/estimated_minutes",
                Rule::Length,
                format!(
                    "{} minutes does not fit {} spoken words (about {expected} minutes)",
                    self.estimated_minutes,
                    self.spoken_words()
                ),
            );
        }
        c.into_violations()
    }

    fn to_markdown(&self, labels: &Labels) -> String {
        let name = |id: &str| {
            self.speakers
                .iter()
                .find(|s| s.id == id)
                .map_or(id.to_owned(), |s| s.name.clone())
        };
        let line = |t: &Turn| format!("**{}:** {}\n\n", name(&t.speaker), t.text);
        let about = fill(
            labels.podcast_about,
            &[("n", &self.estimated_minutes.to_string())],
        );
        let mut md = format!("# {}\n\n*{about}*\n\n", self.title);
        md.push_str(&format!("**{}:** ", labels.speakers));
        md.push_str(
            &self
                .speakers
                .iter()
                .map(|s| format!("{} ({})", s.name, labels.roles[s.role as usize]))
                .collect::<Vec<_>>()
                .join(", "),
        );
        md.push_str(&format!("\n\n## {}\n\n", labels.intro));
        self.intro.iter().for_each(|t| md.push_str(&line(t)));
        for segment in &self.segments {
            md.push_str(&format!("## {}. {}\n\n", segment.section, segment.title));
            segment.turns.iter().for_each(|t| md.push_str(&line(t)));
        }
        md.push_str(&format!("## {}\n\n", labels.outro));
        self.outro.iter().for_each(|t| md.push_str(&line(t)));
        md
    }

    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        let outline = input.outline()?;
        let speakers = cast(input.options.speakers);
        let host = speakers[0].id.clone();
        let voices: Vec<String> = if speakers.len() == 1 {
            vec![host.clone()]
        } else {
            speakers[1..].iter().map(|s| s.id.clone()).collect()
        };
        let bounds = input.options.spoken_chars();

        // Pick sentences per section, then grow or shrink the count until the talk fits.
        let mut per_section = input.per_section(2, 3, 5);
        let mut script = build(input, outline, &speakers, &host, &voices, per_section);
        while script.spoken_chars() > bounds.max && per_section > 1 {
            per_section -= 1;
            script = build(input, outline, &speakers, &host, &voices, per_section);
        }
        let most = outline
            .sections
            .iter()
            .map(|s| {
                input
                    .analysis
                    .section_sentences(input.section_index(s.number))
                    .len()
            })
            .max()
            .unwrap_or(0);
        while script.spoken_chars() < bounds.min && per_section < most {
            per_section += 1;
            script = build(input, outline, &speakers, &host, &voices, per_section);
        }
        let chars = script.spoken_chars();
        if !bounds.contains(chars) {
            return Err(ThinSource(format!(
                "the dialogue would hold {chars} spoken characters, outside the {} to {} this length needs",
                bounds.min, bounds.max
            )));
        }
        Ok(script)
    }

    fn source_refs(&self) -> Vec<SourceRef> {
        self.all_turns().filter_map(|(_, t)| t.source).collect()
    }

    /// Turns that cite a span, and a segment's statements of substance that cite none.
    /// Greetings, hand-overs ("Let's turn to <the segment's title>.") and questions are
    /// conversation, not facts.
    fn claims(&self) -> Vec<Claim> {
        let cited = |turn: &Turn| turn.source.is_some_and(|s| s.span.is_some());
        let opening = self.intro.iter().enumerate().map(|(i, t)| (format!("/intro/{i}"), t));
        let closing = self.outro.iter().enumerate().map(|(i, t)| (format!("/outro/{i}"), t));
        let mut claims: Vec<Claim> = opening
            .chain(closing)
            .filter(|(_, turn)| cited(turn))
            .map(|(path, turn)| Claim::new(path, &turn.text, turn.source))
            .collect();
        for (s, segment) in self.segments.iter().enumerate() {
            let title: Vec<String> = segment
                .title
                .split_whitespace()
                .map(str::to_lowercase)
                .collect();
            for (i, turn) in segment.turns.iter().enumerate() {
                let own_words = turn
                    .text
                    .split_whitespace()
                    .filter(|w| !title.contains(&w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()))
                    .count();
                let statement = !turn.text.trim_end().ends_with('?') && own_words >= STATEMENT_WORDS;
                if cited(turn) || statement {
                    claims.push(Claim::new(
                        format!("/segments/{s}/turns/{i}"),
                        &turn.text,
                        turn.source,
                    ));
                }
            }
        }
        claims
    }
}

impl SpeakerRole {
    pub fn slug(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::Expert => "expert",
            Self::Guest => "guest",
            Self::Narrator => "narrator",
        }
    }
}

/// The voices for `n` speakers: a host first, then an expert and guests (or one narrator).
fn cast(n: u8) -> Vec<Speaker> {
    let speaker = |id: &str, name: &str, role| Speaker {
        id: id.into(),
        name: name.into(),
        role,
    };
    if n <= 1 {
        return vec![speaker("narrator", "Alex", SpeakerRole::Narrator)];
    }
    let mut cast = vec![
        speaker("host", "Alex", SpeakerRole::Host),
        speaker("expert", "Sam", SpeakerRole::Expert),
    ];
    if n >= 3 {
        cast.push(speaker("guest1", "Jordan", SpeakerRole::Guest));
    }
    if n >= 4 {
        cast.push(speaker("guest2", "Riley", SpeakerRole::Guest));
    }
    cast
}

fn build(
    input: &ExtractInput<'_>,
    outline: &Outline,
    speakers: &[Speaker],
    host: &str,
    voices: &[String],
    per_section: usize,
) -> PodcastScript {
    let a = input.analysis;
    let words = input.scaffolding;
    let turn = |speaker: &str, text: String, source: Option<SourceRef>| Turn {
        speaker: speaker.to_owned(),
        text,
        source,
    };
    let mut intro = vec![turn(
        host,
        fill(words.welcome, &[("title", &outline.title)]),
        None,
    )];
    if speakers.len() > 1 {
        let guests: Vec<&str> = speakers[1..].iter().map(|s| s.name.as_str()).collect();
        intro.push(turn(
            host,
            fill(words.with_me, &[("names", &words.list(&guests))]),
            None,
        ));
        intro.push(turn(
            &voices[0],
            fill(
                words.thanks_host,
                &[
                    ("name", &speakers[0].name),
                    ("n", &outline.sections.len().to_string()),
                ],
            ),
            None,
        ));
    }

    let mut next_voice = 0;
    let mut segments = Vec::new();
    for section in &outline.sections {
        let index = input.section_index(section.number);
        let mut turns = vec![turn(
            host,
            fill(
                words.turn_to,
                &[("title", &words.title_in_sentence(&section.title))],
            ),
            Some(SourceRef {
                section: section.number,
                span: None,
            }),
        )];
        let ids = a
            .section_sentences(index)
            .filter(|&i| a.sentences[i].score > 0.0);
        for sentence in a.best(ids, per_section) {
            if speakers.len() > 1
                && let Some(definition) = a.definition_at(sentence)
            {
                let template = words.so_what_is[usize::from(definition.plural)];
                let question = fill(template, &[("term", &input.term_phrase(definition))]);
                turns.push(turn(
                    host,
                    question,
                    Some(SourceRef {
                        section: section.number,
                        span: None,
                    }),
                ));
            }
            let voice = &voices[next_voice % voices.len()];
            next_voice += 1;
            let passage = input.passage(section.number, sentence);
            turns.push(turn(voice, passage.text, Some(passage.source)));
        }
        segments.push(Segment {
            section: section.number,
            title: section.title.clone(),
            turns,
        });
    }

    let mut outro = vec![turn(
        host,
        fill(words.the_end, &[("title", &outline.title)]),
        None,
    )];
    if speakers.len() > 1 {
        outro.push(turn(
            &voices[voices.len() - 1],
            words.thanks_for_listening.to_owned(),
            None,
        ));
    } else {
        outro.push(turn(host, words.thanks_for_listening.to_owned(), None));
    }
    let mut script = PodcastScript {
        title: outline.title.clone(),
        speakers: speakers.to_vec(),
        intro,
        segments,
        outro,
        estimated_minutes: 0,
    };
    script.estimated_minutes = script.spoken_words().div_ceil(WORDS_PER_MINUTE).max(1) as u32;
    script
}
