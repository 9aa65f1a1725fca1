//! Generation options shared by every kind: audience, level, length, language, per-kind
//! counts and podcast speakers, and the count ranges they imply.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Kind;

/// How deep the material goes.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Beginner,
    #[default]
    Intermediate,
    Advanced,
}

/// How much material: scales every count.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Length {
    Short,
    #[default]
    Standard,
    Long,
}

macro_rules! slug_enum {
    ($t:ty, $what:literal, $($variant:ident = $slug:literal),+) => {
        impl $t {
            pub fn slug(self) -> &'static str {
                match self { $(Self::$variant => $slug),+ }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.slug())
            }
        }
        impl FromStr for $t {
            type Err = OptionError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($slug => Ok(Self::$variant),)+
                    _ => Err(OptionError {
                        path: concat!("/options/", $what).into(),
                        message: format!(
                            concat!("unknown ", $what, " `{}`; expected one of: ", $($slug, " "),+),
                            s
                        ),
                    }),
                }
            }
        }
    };
}
slug_enum!(
    Level,
    "level",
    Beginner = "beginner",
    Intermediate = "intermediate",
    Advanced = "advanced"
);
slug_enum!(
    Length,
    "length",
    Short = "short",
    Standard = "standard",
    Long = "long"
);

/// A requested number of items per kind (FAQ pairs, cards, questions, …).
pub type Counts = BTreeMap<Kind, u32>;

/// How [`Counts`] is published in the OpenAPI description: a schema named `Counts`, an object
/// whose keys are kinds and whose values are item counts (a generic map would publish under
/// its Rust name).
#[derive(Debug)]
pub struct CountsSchema;

impl utoipa::PartialSchema for CountsSchema {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::RefOr;
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        let kinds = match <Kind as utoipa::PartialSchema>::schema() {
            RefOr::T(schema) => Some(schema),
            RefOr::Ref(_) => None,
        };
        let count = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(0));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "Item counts per kind, such as `{\"faq\": 8, \"flashcards\": 20}`.",
            ))
            .property_names(kinds)
            .additional_properties(Some(count))
            .into()
    }
}

impl utoipa::ToSchema for CountsSchema {
    fn name() -> std::borrow::Cow<'static, str> {
        "Counts".into()
    }
}

/// Options of one job. Every field has a default, so `{}` is valid.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema, utoipa::ToSchema,
)]
#[serde(deny_unknown_fields, default)]
pub struct Options {
    /// Who the material is for, in a few words ("first-year nursing students").
    pub audience: Option<String>,
    pub level: Level,
    pub length: Length,
    /// BCP 47 language tag of the output. Left out: the language the source is written in
    /// (detected when the job is accepted), else English.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Exact item counts per kind; each must lie within that kind's range. Left out or empty,
    /// each kind's count follows `length`.
    #[schema(value_type = CountsSchema)]
    pub counts: Counts,
    /// Number of podcast voices, 1 to 4.
    #[schema(minimum = 1, maximum = 4)]
    pub speakers: u8,
    /// Whether the podcast also gets audio and captions (when the deployment has a speech
    /// engine); `false` skips them.
    pub audio: bool,
    /// Target length of the podcast episode in minutes; the script's length follows it
    /// (about 900 spoken characters a minute). Unset: the length option decides.
    #[schema(minimum = 1, maximum = 30)]
    pub duration_minutes: Option<u32>,
    /// Speaking rate of the podcast audio in percent of the voices' normal rate.
    #[schema(minimum = 50, maximum = 200)]
    pub speaking_rate: u16,
    /// A voice per speaker, in speaker order, by the speech engine's voice name
    /// (`en+m3` for espeak-ng, `en-US-Chirp3-HD-Charon` for Cloud Text-to-Speech); speakers
    /// without one get the engine's default voice for them.
    #[schema(max_items = 4)]
    pub voices: Vec<String>,
}

/// Spoken characters a minute of podcast holds at the normal rate (150 words of ~6 characters).
pub const CHARS_PER_MINUTE: usize = 900;

impl Default for Options {
    fn default() -> Self {
        Self {
            audience: None,
            level: Level::default(),
            length: Length::default(),
            language: None,
            counts: Counts::new(),
            speakers: 2,
            audio: true,
            duration_minutes: None,
            speaking_rate: 100,
            voices: Vec::new(),
        }
    }
}

/// An option that is out of range, with its JSON Pointer path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OptionError {
    pub path: String,
    pub message: String,
}

/// The inclusive range of items a kind may hold, and how many to aim for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountRange {
    pub min: usize,
    pub max: usize,
}

impl CountRange {
    pub const fn new(min: usize, max: usize) -> Self {
        Self { min, max }
    }

    pub fn contains(self, n: usize) -> bool {
        (self.min..=self.max).contains(&n)
    }
}

impl Options {
    /// Every problem with these options (empty when they are usable).
    pub fn check(&self) -> Vec<OptionError> {
        let mut errors = Vec::new();
        if !(1..=4).contains(&self.speakers) {
            errors.push(OptionError {
                path: "/options/speakers".into(),
                message: format!("must be between 1 and 4, got {}", self.speakers),
            });
        }
        if let Some(language) = &self.language
            && !is_language_tag(language)
        {
            errors.push(OptionError {
                path: "/options/language".into(),
                message: format!(
                    "`{language}` is not a BCP 47 language tag such as `en` or `pt-BR`"
                ),
            });
        }
        if let Some(audience) = &self.audience
            && (audience.trim().is_empty() || audience.chars().count() > 200)
        {
            errors.push(OptionError {
                path: "/options/audience".into(),
                message: "must hold 1 to 200 characters".into(),
            });
        }
        if let Some(minutes) = self.duration_minutes
            && !(1..=30).contains(&minutes)
        {
            errors.push(OptionError {
                path: "/options/duration_minutes".into(),
                message: format!("must be between 1 and 30, got {minutes}"),
            });
        }
        if !(50..=200).contains(&self.speaking_rate) {
            errors.push(OptionError {
                path: "/options/speaking_rate".into(),
                message: format!(
                    "must be between 50 and 200 (percent of normal), got {}",
                    self.speaking_rate
                ),
            });
        }
        if self.voices.len() > usize::from(self.speakers) {
            errors.push(OptionError {
                path: "/options/voices".into(),
                message: format!(
                    "names {} voices for {} speakers",
                    self.voices.len(),
                    self.speakers
                ),
            });
        }
        for (i, voice) in self.voices.iter().enumerate() {
            if !is_voice_name(voice) {
                errors.push(OptionError {
                    path: format!("/options/voices/{i}"),
                    message: "a voice name is 1 to 64 letters, digits, `+`, `-`, `_` or `.`, and does not start with `-`".into(),
                });
            }
        }
        for (&kind, &n) in &self.counts {
            match kind.items() {
                Some(range) if range.contains(n as usize) => {}
                Some(range) => errors.push(OptionError {
                    path: format!("/options/counts/{kind}"),
                    message: format!("must be between {} and {}, got {n}", range.min, range.max),
                }),
                None => errors.push(OptionError {
                    path: format!("/options/counts/{kind}"),
                    message: format!("{kind} has no item count to set"),
                }),
            }
        }
        errors
    }

    /// The number of items to produce for `kind`: the explicit count, else one scaled by
    /// length within the kind's range.
    pub fn target_count(&self, kind: Kind) -> usize {
        let range = kind.items().unwrap_or(CountRange::new(1, 1));
        if let Some(&n) = self.counts.get(&kind) {
            return n as usize;
        }
        match self.length {
            Length::Short => range.min,
            Length::Standard => usize::midpoint(range.min, range.max),
            Length::Long => range.max,
        }
    }

    /// The range a valid artifact's item count must fall in: exactly the requested count when
    /// one was set, else the kind's whole range.
    pub fn allowed_count(&self, kind: Kind) -> Option<CountRange> {
        let range = kind.items()?;
        Some(match self.counts.get(&kind) {
            Some(&n) => CountRange::new(n as usize, n as usize),
            None => range,
        })
    }

    /// The language of the output: the one asked for (or detected when the job was
    /// accepted), else English.
    pub fn language(&self) -> &str {
        self.language.as_deref().unwrap_or("en")
    }

    /// Sets the language, when none was asked for, to the one `source` is written in
    /// (English when it cannot be told), so that every step and engine of a job writes the
    /// same language, and the job shows which.
    pub fn settle_language(&mut self, source: &str) {
        if self.language.is_none() {
            let detected = crate::analysis::language::detect(source);
            self.language = Some(detected.map_or("en", |d| d.tag).to_owned());
        }
    }

    /// The audience as written, or a default that follows the level, in the job's language
    /// (English for a language without a scaffolding table).
    pub fn audience_or_default(&self) -> String {
        self.audience.clone().unwrap_or_else(|| {
            super::Scaffolding::for_tag(self.language())
                .audience(self.level)
                .to_owned()
        })
    }

    /// Bounds on the podcast's total spoken characters; the standard range scales with length.
    pub fn spoken_chars(&self) -> CountRange {
        if let Some(minutes) = self.duration_minutes {
            let target = minutes as usize * CHARS_PER_MINUTE;
            return CountRange::new((target * 3 / 4).max(600), target * 5 / 4);
        }
        match self.length {
            Length::Short => CountRange::new(600, 6_000),
            Length::Standard => CountRange::new(1_000, 12_000),
            Length::Long => CountRange::new(2_000, 20_000),
        }
    }
}

fn is_voice_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'_' | b'.'))
}

fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    (2..=3).contains(&primary.len())
        && primary.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_options_are_valid_and_default_to_english_standard() {
        let options: Options = serde_json::from_str("{}").unwrap();
        assert!(options.check().is_empty());
        assert_eq!(options.language, None);
        assert_eq!(options.language(), "en");
        assert_eq!(options.target_count(Kind::Flashcards), 17);
    }

    #[test]
    fn out_of_range_options_are_reported_with_paths() {
        let mut options = Options {
            speakers: 5,
            language: Some("english!".into()),
            ..Options::default()
        };
        options.counts.insert(Kind::Faq, 40);
        options.counts.insert(Kind::PodcastScript, 3);
        let paths: Vec<_> = options.check().into_iter().map(|e| e.path).collect();
        assert_eq!(
            paths,
            [
                "/options/speakers",
                "/options/language",
                "/options/counts/podcast-script",
                "/options/counts/faq"
            ]
        );
    }

    #[test]
    fn audio_options_are_checked_with_paths() {
        let options = Options {
            speakers: 1,
            duration_minutes: Some(0),
            speaking_rate: 20,
            voices: vec!["en+m3".into(), "-rm".into()],
            ..Options::default()
        };
        let paths: Vec<_> = options.check().into_iter().map(|e| e.path).collect();
        assert_eq!(
            paths,
            [
                "/options/duration_minutes",
                "/options/speaking_rate",
                "/options/voices",
                "/options/voices/1"
            ]
        );
    }

    #[test]
    fn a_target_duration_sets_the_spoken_length() {
        let ten = Options {
            duration_minutes: Some(10),
            ..Options::default()
        };
        let range = ten.spoken_chars();
        assert!(range.contains(10 * CHARS_PER_MINUTE));
        assert!(!range.contains(5 * CHARS_PER_MINUTE));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(serde_json::from_str::<Options>(r#"{"levle": "beginner"}"#).is_err());
    }

    #[test]
    fn length_scales_counts() {
        let short = Options {
            length: Length::Short,
            ..Options::default()
        };
        let long = Options {
            length: Length::Long,
            ..Options::default()
        };
        assert_eq!(short.target_count(Kind::Faq), 5);
        assert_eq!(long.target_count(Kind::Faq), 15);
    }
}
