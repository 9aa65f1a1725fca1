//! Content addresses for generated artifacts: the same source, kind, options that matter,
//! outline and engine version always give the same key, so nothing is computed twice.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::content::{Kind, Length, Level, Options};
use crate::generation::EngineInfo;

/// The options that change a kind's output.
#[derive(Serialize)]
struct Relevant<'a> {
    audience: &'a Option<String>,
    level: Level,
    length: Length,
    language: &'a str,
    count: Option<u32>,
    outline_count: Option<u32>,
    speakers: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_minutes: Option<u32>,
}

/// The cache key of `kind` for a source, options, engine and (for derivatives) the exact
/// outline artifact it is derived from.
pub fn cache_key(
    engine: &EngineInfo,
    kind: Kind,
    source_sha256: &str,
    options: &Options,
    outline_sha256: Option<&str>,
) -> String {
    let relevant = Relevant {
        audience: &options.audience,
        level: options.level,
        length: options.length,
        language: options.language(),
        count: options.counts.get(&kind).copied(),
        outline_count: options.counts.get(&Kind::Outline).copied(),
        speakers: kind.uses_speakers().then_some(options.speakers),
        duration_minutes: options.duration_minutes.filter(|_| kind.uses_speakers()),
    };
    let mut hasher = Sha256::new();
    hasher.update(b"factory-cache-v1\n");
    for part in [
        format!("engine={}@{}", engine.name, engine.version),
        format!("kind={kind}"),
        format!("source={source_sha256}"),
        format!(
            "options={}",
            serde_json::to_string(&relevant).expect("options serialize")
        ),
        format!("outline={}", outline_sha256.unwrap_or("-")),
    ] {
        hasher.update(part.as_bytes());
        hasher.update(b"\n");
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> EngineInfo {
        EngineInfo {
            name: "extractive".into(),
            version: "1".into(),
        }
    }

    #[test]
    fn keys_change_with_what_matters_and_only_that() {
        let base = Options::default();
        let key =
            |kind, options: &Options, outline| cache_key(&engine(), kind, "abc", options, outline);
        let faq = key(Kind::Faq, &base, Some("o1"));
        assert_eq!(faq, key(Kind::Faq, &base, Some("o1")));
        assert_ne!(faq, key(Kind::Faq, &base, Some("o2")));
        assert_ne!(faq, key(Kind::Flashcards, &base, Some("o1")));
        let long = Options {
            length: Length::Long,
            ..base.clone()
        };
        assert_ne!(faq, key(Kind::Faq, &long, Some("o1")));
        // Speakers only matter to the podcast.
        let three = Options {
            speakers: 3,
            ..base.clone()
        };
        assert_eq!(faq, key(Kind::Faq, &three, Some("o1")));
        assert_ne!(
            key(Kind::PodcastScript, &base, Some("o1")),
            key(Kind::PodcastScript, &three, Some("o1"))
        );
        let newer = EngineInfo {
            version: "2".into(),
            ..engine()
        };
        assert_ne!(faq, cache_key(&newer, Kind::Faq, "abc", &base, Some("o1")));
    }
}
