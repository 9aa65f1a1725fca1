//! Grounding that means the same for every engine: whether the source span a fact-bearing
//! item cites actually supports what the item says.
//!
//! Each kind lists its fact-bearing items as [`Claim`]s ([`super::KindSpec::claims`]): the
//! item's text and the reference it carries. A claim is
//! - **uncited** when its reference has no character span (or it has no reference),
//! - **supported** when at least [`SUPPORT_THRESHOLD`] of its content words (lower-cased
//!   words that are not English function words, with a plural or verb ending trimmed) occur
//!   in the cited span,
//! - **unsupported** otherwise, or when the span does not lie inside the source.
//!
//! The threshold is justified on examples in this module's tests and in `docs/quality.md`.
//! Not for: judging truth or paraphrase (a claim that reuses the span's words in a false
//! combination passes), or languages other than the source's (the words would not meet).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::SourceRef;
use crate::analysis::text::{is_stop_word, words};

/// The share of a claim's content words that its span must hold for it to count as
/// supported. Copied sentences score 1.0 and faithful paraphrases 0.5–0.9; a span of
/// another sentence of the same text rarely passes 0.3 (see the tests).
pub const SUPPORT_THRESHOLD: f32 = 0.5;

/// A kind whose measured claims are more than this share unsupported (uncited ones
/// included) is flagged in the job view.
pub const FLAG_SHARE: f32 = 0.5;

/// One fact-bearing item of an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// JSON Pointer to the item.
    pub path: String,
    /// What the item states.
    pub text: String,
    /// Where it says the fact comes from (`None`: nowhere).
    pub source: Option<SourceRef>,
}

impl Claim {
    pub fn new(
        path: impl Into<String>,
        text: impl Into<String>,
        source: Option<SourceRef>,
    ) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
            source,
        }
    }
}

/// The verdict on one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Supported,
    Unsupported,
    Uncited,
}

/// How an artifact's claims fare against the source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grounding {
    pub supported: u32,
    pub unsupported: u32,
    pub uncited: u32,
}

impl Grounding {
    pub fn claims(self) -> u32 {
        self.supported + self.unsupported + self.uncited
    }

    /// Whether most claims lack support: more than [`FLAG_SHARE`] of them unsupported or
    /// uncited. An artifact without claims is never flagged.
    pub fn mostly_unsupported(self) -> bool {
        let claims = self.claims();
        claims > 0 && (self.unsupported + self.uncited) as f32 > FLAG_SHARE * claims as f32
    }

    fn count(&mut self, support: Support) {
        match support {
            Support::Supported => self.supported += 1,
            Support::Unsupported => self.unsupported += 1,
            Support::Uncited => self.uncited += 1,
        }
    }
}

/// A word reduced to what it is about: lower case (as [`words`] gives it) with a common
/// English plural or verb ending trimmed, so "handshakes" meets "handshake" and
/// "synchronized" meets "synchronize".
fn stem(word: &str) -> String {
    let long = |stem: &str| stem.chars().count() >= 3;
    if let Some(stem) = word.strip_suffix("ies").filter(|s| long(s)) {
        return format!("{stem}y");
    }
    for suffix in ["ing", "ed"] {
        if let Some(stem) = word.strip_suffix(suffix).filter(|s| long(s)) {
            return stem.to_owned();
        }
    }
    if let Some(stem) = word.strip_suffix("es").filter(|s| long(s))
        && ["ss", "x", "z", "ch", "sh"]
            .iter()
            .any(|end| stem.ends_with(end))
    {
        return stem.to_owned();
    }
    match word.strip_suffix('s') {
        Some(stem) if long(stem) && !stem.ends_with('s') => stem.to_owned(),
        _ => word.to_owned(),
    }
}

/// The content words of a text: its words minus function words and bare numbers of one
/// digit, stemmed.
pub fn content_words(text: &str) -> BTreeSet<String> {
    words(text)
        .filter(|w| !is_stop_word(w) && w.chars().count() > 1)
        .map(|w| stem(&w))
        .collect()
}

/// The share (0–1) of `claim`'s content words that occur in `span`. A claim without
/// content words states nothing checkable and scores 1.
pub fn overlap(claim: &str, span: &str) -> f32 {
    let claimed = content_words(claim);
    if claimed.is_empty() {
        return 1.0;
    }
    let cited = content_words(span);
    claimed.intersection(&cited).count() as f32 / claimed.len() as f32
}

/// The verdict on one claim against the source (as characters).
pub fn judge(claim: &Claim, source: &[char]) -> Support {
    let Some(span) = claim.source.and_then(|s| s.span) else {
        return Support::Uncited;
    };
    if span.start >= span.end || span.end > source.len() {
        return Support::Unsupported;
    }
    let cited: String = source[span.start..span.end].iter().collect();
    if overlap(&claim.text, &cited) >= SUPPORT_THRESHOLD {
        Support::Supported
    } else {
        Support::Unsupported
    }
}

/// Counts the verdicts on `claims` against `source`.
pub fn measure(claims: &[Claim], source: &str) -> Grounding {
    let chars: Vec<char> = source.chars().collect();
    let mut grounding = Grounding::default();
    for claim in claims {
        grounding.count(judge(claim, &chars));
    }
    grounding
}

/// The claims of a kind that does not list its own: every JSON object in the content that
/// has a `source` reference, its text being its other string fields. A fallback, so that a
/// new kind is measured from the start; kinds override it where it is wrong.
pub fn claims_in_json(value: &serde_json::Value) -> Vec<Claim> {
    let mut claims = Vec::new();
    walk(value, "", &mut claims);
    claims
}

fn walk(value: &serde_json::Value, path: &str, claims: &mut Vec<Claim>) {
    match value {
        serde_json::Value::Object(map) => {
            if let Some(source) = map.get("source")
                && let Ok(source) = serde_json::from_value::<SourceRef>(source.clone())
            {
                let text = map
                    .iter()
                    .filter(|(k, _)| k.as_str() != "source")
                    .filter_map(|(_, v)| v.as_str())
                    .collect::<Vec<_>>()
                    .join(" ");
                claims.push(Claim::new(path, text, Some(source)));
            }
            for (key, inner) in map {
                if key != "source" {
                    walk(inner, &format!("{path}/{key}"), claims);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                walk(inner, &format!("{path}/{i}"), claims);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    const SOURCE: &str = include_str!("../../../examples/note-tcp-handshake.txt");

    /// The character span of `needle` in `SOURCE`.
    fn span_of(needle: &str) -> Span {
        let byte = SOURCE.find(needle).expect("the example holds the sentence");
        let start = SOURCE[..byte].chars().count();
        Span {
            start,
            end: start + needle.chars().count(),
        }
    }

    fn cite(text: &str, sentence: &str) -> Claim {
        Claim::new(
            "/x",
            text,
            Some(SourceRef {
                section: 1,
                span: Some(span_of(sentence)),
            }),
        )
    }

    fn chars() -> Vec<char> {
        SOURCE.chars().collect()
    }

    /// The sentences of the example the cases below cite.
    fn sentences() -> Vec<String> {
        crate::analysis::text::split_sentences(SOURCE)
            .into_iter()
            .map(|r| SOURCE[r].trim().to_owned())
            .filter(|s| content_words(s).len() >= 5)
            .collect()
    }

    #[test]
    fn a_copied_sentence_is_fully_supported() {
        let sentences = sentences();
        assert!(sentences.len() >= 5, "the example has sentences to cite");
        for sentence in &sentences {
            assert!(
                (overlap(sentence, sentence) - 1.0).abs() < f32::EPSILON,
                "{sentence}"
            );
            assert_eq!(
                judge(&cite(sentence, sentence), &chars()),
                Support::Supported
            );
        }
    }

    /// Paraphrases a model might write of sentences of the example note, each paired with
    /// the sentence it restates; all of them must pass the threshold.
    fn paraphrases() -> Vec<(&'static str, String)> {
        let find = |words: &[&str]| {
            sentences()
                .into_iter()
                .find(|s| words.iter().all(|w| s.to_lowercase().contains(w)))
                .unwrap_or_else(|| panic!("no sentence holds {words:?}"))
        };
        vec![
            (
                "The client opens the connection by sending a SYN segment with its initial sequence number.",
                find(&["client starts the handshake"]),
            ),
            (
                "The server answers with a SYN-ACK segment carrying its own initial sequence number.",
                find(&["syn-ack"]),
            ),
            (
                "A half-close lets one direction of the connection finish while the other still carries data.",
                find(&["half-close"]),
            ),
            (
                "Linux keeps sockets in TIME-WAIT for a fixed 60 seconds.",
                find(&["linux uses a fixed"]),
            ),
        ]
    }

    #[test]
    fn faithful_paraphrases_pass_the_threshold() {
        for (claim, sentence) in paraphrases() {
            let score = overlap(claim, &sentence);
            assert!(
                score >= SUPPORT_THRESHOLD,
                "{score:.2} for {claim:?} against {sentence:?}"
            );
        }
    }

    #[test]
    fn a_span_of_another_sentence_does_not_support_a_claim() {
        let sentences = sentences();
        let mut pairs = 0;
        let mut passed = 0;
        for (i, claim) in sentences.iter().enumerate() {
            for (j, span) in sentences.iter().enumerate() {
                if i == j || claim == span {
                    continue;
                }
                pairs += 1;
                if overlap(claim, span) >= SUPPORT_THRESHOLD {
                    passed += 1;
                }
            }
        }
        assert!(pairs >= 20, "enough pairs were compared: {pairs}");
        // Sentences of one short note on one topic share their key terms, so a few
        // neighbours may pass; far fewer than one pair in ten must.
        assert!(
            passed * 10 < pairs,
            "{passed} of {pairs} mismatched sentence pairs passed the threshold"
        );
    }

    #[test]
    fn a_claim_from_elsewhere_is_unsupported_whatever_it_cites() {
        let sentence = &sentences()[0];
        let invented =
            "Photosynthesis converts light energy into chemical energy stored in glucose.";
        assert!(overlap(invented, sentence) < 0.2);
        assert_eq!(
            judge(&cite(invented, sentence), &chars()),
            Support::Unsupported
        );
    }

    #[test]
    fn missing_and_impossible_spans_are_uncited_and_unsupported() {
        let no_span = Claim::new(
            "/x",
            "text",
            Some(SourceRef {
                section: 1,
                span: None,
            }),
        );
        assert_eq!(judge(&no_span, &chars()), Support::Uncited);
        assert_eq!(
            judge(&Claim::new("/x", "text", None), &chars()),
            Support::Uncited
        );
        let outside = Claim::new(
            "/x",
            "text",
            Some(SourceRef {
                section: 1,
                span: Some(Span {
                    start: 5,
                    end: chars().len() + 10,
                }),
            }),
        );
        assert_eq!(judge(&outside, &chars()), Support::Unsupported);
    }

    #[test]
    fn a_kind_is_flagged_when_most_claims_lack_support() {
        let g = |supported, unsupported, uncited| Grounding {
            supported,
            unsupported,
            uncited,
        };
        assert!(!g(0, 0, 0).mostly_unsupported(), "nothing to judge");
        assert!(!g(5, 5, 0).mostly_unsupported(), "half is not most");
        assert!(g(4, 3, 3).mostly_unsupported());
        assert!(g(0, 0, 1).mostly_unsupported(), "uncited counts against");
    }

    #[test]
    fn stems_meet_across_plural_and_tense() {
        assert_eq!(
            content_words("Handshakes synchronized the sequences"),
            content_words("the handshake synchronizes a sequence")
        );
        assert_eq!(stem("class"), "class");
    }

    #[test]
    fn the_json_fallback_finds_every_cited_object() {
        let value = serde_json::json!({
            "title": "T",
            "items": [
                {"question": "Q?", "answer": "A.", "source": {"section": 1, "span": {"start": 0, "end": 3}}},
                {"question": "R?", "answer": "B.", "source": {"section": 2}}
            ]
        });
        let claims = claims_in_json(&value);
        assert_eq!(claims.len(), 2);
        assert_eq!(claims[0].path, "/items/0");
        assert!(claims[0].text.contains("A."));
        assert_eq!(claims[1].source.unwrap().span, None);
    }
}
