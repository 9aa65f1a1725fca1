//! The content model: the kinds of learning material, their JSON schemas and the rules every
//! artifact must obey, whichever engine produced it.
//!
//! A kind is defined once: its module (type, schema, rules, item range, output-token budget,
//! prompt, Markdown rendering and extractive builder, see [`KindSpec`]) and one line in the
//! [`kinds!`] list below. The [`Kind`] enum, [`Kind::ALL`], slugs and their parsing,
//! [`Content`] and every dispatch over kinds are derived from that list. This module holds
//! what the kinds share; it knows nothing of jobs, storage or engines.

pub mod exports;
pub mod grounding;
pub mod objectives;
pub mod options;
pub mod scaffolding;
pub mod validate;

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use grounding::{Claim, Grounding};
pub use options::{CHARS_PER_MINUTE, CountRange, Counts, Length, Level, OptionError, Options};
pub use scaffolding::{Scaffolding, fill};
pub use validate::{ValidationContext, Violation};

use crate::analysis::Analysis;
pub use crate::source::{SourceRef, Span};

/// Declares the kinds from one list of `Variant = "slug" => module::Type`, in bundle order
/// (the outline first): the modules, the [`Kind`] enum with its slugs, [`Content`], and the
/// crate-private `with_kind!` (run code with a kind's Rust type) and `with_content!` (run
/// code on the value inside a [`Content`]). The leading `$` is passed in so that the macros
/// this one defines can have metavariables of their own.
macro_rules! kinds {
    ($d:tt $($variant:ident = $slug:literal => $module:ident :: $ty:ident),+ $(,)?) => {
        $(pub mod $module;)+
        $(pub use $module::$ty;)+

        /// One kind of learning material. The slug (`faq`, `podcast-script`, …) is the public name
        /// used in routes, options and file names.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            Serialize, Deserialize, JsonSchema, utoipa::ToSchema,
        )]
        // The serde names come from `rename_all` (which the OpenAPI and JSON Schema
        // derives read too); a test checks that each equals its slug.
        #[serde(rename_all = "kebab-case")]
        pub enum Kind {
            $($variant,)+
        }

        impl Kind {
            /// Every kind, outline first (the order of a bundle).
            pub const ALL: [Kind; [$($slug),+].len()] = [$(Kind::$variant),+];

            pub fn slug(self) -> &'static str {
                match self {
                    $(Kind::$variant => $slug,)+
                }
            }
        }

        /// The content of one artifact, tagged with its kind.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "kind", content = "content")]
        pub enum Content {
            $(#[serde(rename = $slug)] $variant($ty),)+
        }

        $(impl From<$ty> for Content {
            fn from(value: $ty) -> Self {
                Content::$variant(value)
            }
        })+

        /// Runs `$body` with `$t` bound to the Rust type of `$kind`.
        macro_rules! with_kind {
            ($d kind:expr, $d t:ident => $d body:expr) => {
                match $d kind {
                    $(Kind::$variant => {
                        type $d t = $ty;
                        $d body
                    })+
                }
            };
        }

        /// Runs `$body` with `$v` bound to the value inside a [`Content`].
        macro_rules! with_content {
            ($d content:expr, $d v:ident => $d body:expr) => {
                match $d content {
                    $(Content::$variant($d v) => $d body,)+
                }
            };
        }
    };
}

kinds! {$
    Outline = "outline" => outline::Outline,
    PodcastScript = "podcast-script" => podcast_script::PodcastScript,
    StudyGuide = "study-guide" => study_guide::StudyGuide,
    OnePager = "one-pager" => one_pager::OnePager,
    DetailedReading = "detailed-reading" => detailed_reading::DetailedReading,
    Faq = "faq" => faq::Faq,
    Flashcards = "flashcards" => flashcards::Flashcards,
    ReadingQuestions = "reading-questions" => reading_questions::ReadingQuestions,
    Quiz = "quiz" => quiz::Quiz,
}

impl Kind {
    /// The kinds a job for `kinds` runs: those asked for plus the outline, in bundle order,
    /// each once.
    pub fn with_outline(kinds: &[Kind]) -> Vec<Kind> {
        let mut all = kinds.to_vec();
        all.push(Kind::Outline);
        all.sort();
        all.dedup();
        all
    }

    /// The kinds this kind is derived from: the outline for every other kind.
    pub fn depends_on(self) -> &'static [Kind] {
        match self {
            Kind::Outline => &[],
            _ => &[Kind::Outline],
        }
    }

    /// The JSON Schema of this kind's content, as sent to a model.
    pub fn json_schema(self) -> serde_json::Value {
        with_kind!(self, T => serde_json::to_value(schemars::schema_for!(T)).expect("schemas serialize"))
    }

    /// The range of items this kind holds (`None`: its size follows the source).
    pub fn items(self) -> Option<CountRange> {
        with_kind!(self, T => T::ITEMS)
    }

    /// The output-token limit a model call for this kind starts with.
    pub fn output_tokens(self) -> u32 {
        with_kind!(self, T => T::OUTPUT_TOKENS)
    }

    /// The kind's prompt template (see `shared/prompts/`).
    pub fn prompt(self) -> &'static str {
        with_kind!(self, T => T::PROMPT)
    }

    /// The file-name suffixes of the import files this kind's artifacts get.
    pub fn exports(self) -> &'static [&'static str] {
        with_kind!(self, T => T::EXPORTS)
    }

    /// Whether the number of podcast speakers changes this kind's output.
    pub fn uses_speakers(self) -> bool {
        with_kind!(self, T => T::USES_SPEAKERS)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// A slug that names no kind.
#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown kind `{0}`; expected one of: {list}", list = Kind::ALL.map(Kind::slug).join(", "))]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.slug() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// A piece of text taken from the source, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Passage {
    pub text: String,
    pub source: SourceRef,
}

/// The claims of passages, each at its JSON Pointer.
pub(crate) fn passages_claims<'a>(
    passages: impl Iterator<Item = (String, &'a Passage)>,
) -> Vec<Claim> {
    passages
        .map(|(path, p)| Claim::new(path, &p.text, Some(p.source)))
        .collect()
}

/// What one kind must provide. Adding a kind means one module implementing this trait and
/// one line in the [`kinds!`] list.
pub trait KindSpec: Serialize + DeserializeOwned + JsonSchema + Sized + Into<Content> {
    const KIND: Kind;

    /// The inclusive range of items (cards, questions, …) an artifact holds, scaled by
    /// length and settable per job; `None` when its size follows the source.
    const ITEMS: Option<CountRange>;

    /// The output-token limit a model call starts with (raised once if an answer is cut off).
    const OUTPUT_TOKENS: u32;

    /// The prompt template a model engine renders for this kind (`shared/prompts/`).
    const PROMPT: &'static str;

    /// Whether the number of podcast speakers changes the output (part of the cache key).
    const USES_SPEAKERS: bool = false;

    /// The artifact's title (for derivatives it must equal the outline's).
    fn title(&self) -> &str;

    /// Every rule violation, each with a JSON Pointer path into this artifact. Empty = valid.
    fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation>;

    /// A human rendering in CommonMark, with the headings and labels of `labels`.
    fn to_markdown(&self, labels: &scaffolding::Labels) -> String;

    /// Builds this kind from the analysed source with the extractive engine. Fails with a
    /// reason a person can act on when the source is too thin for this kind.
    fn extract(input: &ExtractInput<'_>) -> Result<Self, ThinSource>;

    /// Every source reference this artifact carries (for quality scores and checks).
    fn source_refs(&self) -> Vec<SourceRef>;

    /// The file-name suffixes of the [`KindSpec::exports`] this kind makes (`apkg`, …).
    const EXPORTS: &'static [&'static str] = &[];

    /// Files people import elsewhere (Anki, a learning platform), made from the artifact by
    /// post-processing beside its Markdown and HTML, one per [`KindSpec::EXPORTS`] suffix,
    /// with the words they add in the language of `labels`.
    fn exports(&self, _labels: &scaffolding::Labels) -> Vec<exports::Export> {
        Vec::new()
    }

    /// The practice items (questions, cards) as (learning objective, cognitive level); none
    /// for kinds that are not practice material.
    fn practice(&self) -> Vec<(u32, objectives::Bloom)> {
        Vec::new()
    }

    /// The fact-bearing items and what each cites, for the grounding measure
    /// ([`grounding`]). By default every object with a `source` (see
    /// [`grounding::claims_in_json`]); a kind whose items mix facts with scaffolding says
    /// which are facts.
    fn claims(&self) -> Vec<Claim> {
        grounding::claims_in_json(&serde_json::to_value(self).expect("content serializes"))
    }
}

/// What an extractive builder gets: the analysed source, the outline (for derivatives), the
/// job options and the scaffolding of the language it writes.
#[derive(Debug)]
pub struct ExtractInput<'a> {
    pub analysis: &'a Analysis,
    pub outline: Option<&'a Outline>,
    pub options: &'a Options,
    pub scaffolding: &'static Scaffolding,
}

impl ExtractInput<'_> {
    /// The outline a derivative is built from.
    pub fn outline(&self) -> Result<&Outline, ThinSource> {
        self.outline
            .ok_or_else(|| ThinSource("the outline is required to build this kind".into()))
    }

    /// Fails with the reason `describe` gives when `n` items of `kind` fall outside what the
    /// options allow: the source is too thin for that kind.
    pub fn require_count(
        &self,
        kind: Kind,
        n: usize,
        describe: impl FnOnce(options::CountRange) -> String,
    ) -> Result<(), ThinSource> {
        match self.options.allowed_count(kind) {
            Some(range) if !range.contains(n) => Err(ThinSource(describe(range))),
            _ => Ok(()),
        }
    }

    /// The analysed section that outline section `number` covers. Outlines made by this
    /// engine map one to one; others are mapped proportionally.
    pub fn section_index(&self, number: u32) -> usize {
        let analysed = self.analysis.sections.len().max(1);
        let outlined = self.outline.map_or(analysed, |o| o.sections.len().max(1));
        let index = (number.saturating_sub(1) as usize) * analysed / outlined;
        index.min(analysed - 1)
    }

    /// A passage holding sentence `sentence` as outline section `section`.
    pub fn passage(&self, section: u32, sentence: usize) -> Passage {
        Passage {
            text: self.analysis.sentences[sentence].text.clone(),
            source: self.analysis.source_ref(section, sentence),
        }
    }

    /// How many items a per-section list should hold at this length.
    pub fn per_section(&self, short: usize, standard: usize, long: usize) -> usize {
        match self.options.length {
            Length::Short => short,
            Length::Standard => standard,
            Length::Long => long,
        }
    }

    /// A defined term as a noun phrase, with the article the source gave it: "a consul",
    /// "the Senate", "TCP". Only English scaffolding takes the article: the others quote
    /// the bare term.
    pub fn term_phrase(&self, definition: &crate::analysis::Definition) -> String {
        let term = self.display_term(&definition.term);
        match &definition.article {
            Some(article) if self.scaffolding.language == scaffolding::Language::English => {
                format!("{article} {term}")
            }
            _ => term,
        }
    }

    /// How a defined term reads inside a sentence: its first letter is lowered unless the
    /// source writes its lead (first word, or first two) capitalized after the start of some
    /// sentence (a proper noun such as "Senate", "Tribal Assembly") or the term has capitals
    /// past its first letter ("TCP"). German capitalizes every noun, so its terms keep theirs.
    pub fn display_term(&self, term: &str) -> String {
        let lead: Vec<&str> = term.split_whitespace().take(2).collect();
        let proper = self.scaffolding.language == scaffolding::Language::German
            || term.chars().skip(1).any(char::is_uppercase)
            || self.analysis.is_capitalized_inside(&lead.join(" "));
        if proper {
            term.to_owned()
        } else {
            let mut cs = term.chars();
            cs.next()
                .map(|f| f.to_lowercase().chain(cs).collect())
                .unwrap_or_default()
        }
    }
}

/// A title as it reads inside a sentence: a leading article is lowered ("The Senate and the
/// Assemblies" → "the Senate and the Assemblies").
pub fn in_sentence(title: &str) -> String {
    for article in ["The ", "A ", "An "] {
        if let Some(rest) = title.strip_prefix(article) {
            return format!("{}{rest}", article.to_lowercase());
        }
    }
    title.to_owned()
}

/// The source does not hold enough material for a kind; the message says what is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ThinSource(pub String);

impl Content {
    pub fn kind(&self) -> Kind {
        with_content!(self, _v => kindof(_v))
    }

    pub fn title(&self) -> &str {
        with_content!(self, v => v.title())
    }

    pub fn validate(&self, ctx: &ValidationContext<'_>) -> Vec<Violation> {
        with_content!(self, v => v.validate(ctx))
    }

    /// The Markdown rendering, headed in the language of `labels` (see
    /// [`Scaffolding::for_tag`]).
    pub fn to_markdown(&self, labels: &scaffolding::Labels) -> String {
        with_content!(self, v => v.to_markdown(labels))
    }

    pub fn source_refs(&self) -> Vec<SourceRef> {
        with_content!(self, v => v.source_refs())
    }

    /// The practice items (see [`KindSpec::practice`]).
    pub fn practice(&self) -> Vec<(u32, objectives::Bloom)> {
        with_content!(self, v => v.practice())
    }

    /// The kind's import files (see [`KindSpec::exports`]).
    pub fn exports(&self, labels: &scaffolding::Labels) -> Vec<exports::Export> {
        with_content!(self, v => v.exports(labels))
    }

    pub fn claims(&self) -> Vec<Claim> {
        with_content!(self, v => v.claims())
    }

    /// How the artifact's claims fare against `source` (see [`grounding`]).
    pub fn grounding(&self, source: &str) -> Grounding {
        grounding::measure(&self.claims(), source)
    }

    /// Parses a kind's content from JSON (as a model returns it), rejecting unknown fields.
    pub fn from_json(kind: Kind, value: serde_json::Value) -> Result<Self, serde_json::Error> {
        with_kind!(kind, T => serde_json::from_value::<T>(value).map(Content::from))
    }

    /// The content alone as JSON, untagged: what a model is asked to answer.
    pub fn body(&self) -> serde_json::Value {
        with_content!(self, v => serde_json::to_value(v).expect("content serializes"))
    }

    /// Parses a kind's content from JSON text; the error names the path of the field at fault.
    pub fn parse_json(kind: Kind, json: &str) -> Result<Self, String> {
        with_kind!(kind, T => {
            let deserializer = &mut serde_json::Deserializer::from_str(json);
            serde_path_to_error::deserialize::<_, T>(deserializer)
                .map(Content::from)
                .map_err(|e| {
                    let path = e.path().to_string();
                    format!("at `{path}`: {}", e.into_inner())
                })
        })
    }

    /// Builds a kind with the extractive engine.
    pub fn extract(kind: Kind, input: &ExtractInput<'_>) -> Result<Self, ThinSource> {
        with_kind!(kind, T => T::extract(input).map(Content::from))
    }
}

fn kindof<T: KindSpec>(_: &T) -> Kind {
    T::KIND
}

/// How an artifact was made; stored with it so readers know what they are looking at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArtifactMeta {
    /// The engine that produced the content (`extractive`, or a model id).
    pub engine: String,
    pub engine_version: String,
    /// BCP 47 language tag of the content.
    pub language: String,
    /// SHA-256 of the normalized source text.
    pub source_sha256: String,
}

/// The stored form of one generated kind: `{"kind", "content", "meta"}`. It holds no job id
/// or time, so the same source and options give byte-identical files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    #[serde(flatten)]
    pub content: Content,
    pub meta: ArtifactMeta,
}

impl Artifact {
    /// Pretty JSON with a trailing newline: the bytes written to `<kind>.json`.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("artifacts serialize");
        bytes.push(b'\n');
        bytes
    }
}
