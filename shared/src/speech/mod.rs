//! The `Speech` port: turn one piece of text into mono 16-bit PCM with a named voice. Two
//! adapters implement it: [`espeak`] (espeak-ng, the embedded default: no account, no
//! network, deterministic output) and [`google`] (Cloud Text-to-Speech over REST with
//! Application Default Credentials). [`Resilient`] gives either one the timeouts, retries
//! (honouring `Retry-After`) and concurrency limit the model providers have.
//!
//! Not for: splitting a script into turns, pauses, encoding or captions (that is the audio
//! stage, `pipeline::audio`), nor caching (the stage caches turns by text, voice and engine
//! version).

pub mod espeak;
pub mod google;
mod resilient;
pub mod wav;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

pub use resilient::Resilient;
pub use wav::Pcm;

/// One synthesis: a piece of text, the voice to speak it and how fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeechRequest {
    pub text: String,
    /// The engine's voice name (`en+m3` for espeak-ng, `en-US-Chirp3-HD-Charon` for Google).
    pub voice: String,
    /// BCP 47 language of the text.
    pub language: String,
    /// Speaking rate in percent of the voice's normal rate (100 = normal).
    pub rate_percent: u16,
}

/// Why a synthesis failed. Each knows whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpeechError {
    /// The engine is not installed or not reachable as configured.
    #[error("speech engine unavailable: {0}")]
    Unavailable(String),
    #[error("speech service rate limit{}", .retry_after.map(|d| format!(" (retry after {} s)", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("speech service error: {0}")]
    Server(String),
    #[error("speech call timed out after {0:?}")]
    Timeout(Duration),
    /// The service refused the request itself (unknown voice, text too long, …).
    #[error("speech request refused: {0}")]
    InvalidRequest(String),
    #[error("speech service refused the credentials: {0}")]
    Auth(String),
    /// The engine answered with audio that cannot be read.
    #[error("unreadable audio from the speech engine: {0}")]
    BadAudio(String),
}

impl SpeechError {
    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Server(_) | Self::Timeout(_)
        )
    }
}

/// A speech engine.
#[async_trait]
pub trait Speech: Send + Sync + fmt::Debug {
    /// The engine's name and version (`espeak-ng 1.51`); part of every turn's cache key, so
    /// a new engine version re-synthesizes.
    fn engine(&self) -> String;

    /// The voice for speaker number `index` (0-based) of `speakers` in `language`, when the
    /// user named none: distinct per speaker.
    fn default_voice(&self, language: &str, index: usize) -> String;

    /// The most bytes of text one request may hold; longer turns are split at sentences.
    fn max_input_bytes(&self) -> usize;

    /// Dollars per million characters synthesized (0 for an embedded engine).
    fn price_per_million_chars(&self) -> f64;

    /// Speaks `request.text`. Idempotent (asking twice costs twice). Every call of one
    /// engine returns the same sample rate.
    async fn synthesize(&self, request: &SpeechRequest) -> Result<Pcm, SpeechError>;
}

/// Splits `text` into pieces of at most `max_bytes` bytes, at sentence ends where possible,
/// else at spaces, else anywhere on a character boundary.
pub fn split_text(text: &str, max_bytes: usize) -> Vec<String> {
    let max_bytes = max_bytes.max(8);
    let mut pieces = Vec::new();
    let mut current = String::new();
    for sentence in sentences(text) {
        if current.len() + sentence.len() <= max_bytes {
            current.push_str(sentence);
            continue;
        }
        if !current.trim().is_empty() {
            pieces.push(current.trim().to_owned());
        }
        current = String::new();
        let mut rest = sentence;
        while rest.len() > max_bytes {
            let mut cut = max_bytes;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let cut = rest[..cut].rfind(' ').filter(|&i| i > 0).unwrap_or(cut);
            pieces.push(rest[..cut].trim().to_owned());
            rest = &rest[cut..];
        }
        current.push_str(rest);
    }
    if !current.trim().is_empty() {
        pieces.push(current.trim().to_owned());
    }
    pieces.retain(|p| !p.is_empty());
    pieces
}

/// The text cut after each `.`, `!` or `?` followed by a space (the space stays with it).
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'!' | b'?') && bytes.get(i + 1) == Some(&b' ') {
            out.push(&text[start..=i + 1]);
            start = i + 2;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_split_at_sentences_under_the_limit() {
        let text = "One two three. Four five six! Seven eight nine? Ten.";
        let pieces = split_text(text, 20);
        assert!(pieces.iter().all(|p| p.len() <= 20), "{pieces:?}");
        assert_eq!(pieces.join(" "), text);
        assert_eq!(split_text("short", 5000), ["short"]);
    }

    #[test]
    fn a_sentence_longer_than_the_limit_is_cut_at_spaces_and_characters() {
        let text = "ééééé ééééé ééééé";
        let pieces = split_text(text, 11);
        assert!(pieces.iter().all(|p| p.len() <= 11), "{pieces:?}");
        assert_eq!(pieces.concat().replace(' ', ""), text.replace(' ', ""));
    }
}
