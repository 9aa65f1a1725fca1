//! Google Cloud Text-to-Speech over REST (`POST {base}/v1/text:synthesize`), with bearer
//! tokens from Application Default Credentials (`gcp::auth`). One request per piece of text
//! (the audio stage keeps each under the service's 5,000-byte input limit), `LINEAR16` at a
//! fixed 24,000 Hz so every turn of an episode shares one sample rate; the answer's
//! `audioContent` is a base64 WAV file.
//!
//! Voices: the user's (`options.voices`), else a Chirp 3 HD voice per speaker for the
//! languages that family covers, else the language's `Standard` voices A–D (present for
//! nearly every language the service speaks). The language code is read from the voice name
//! (`en-US-Chirp3-HD-Charon` → `en-US`).
//!
//! One call, no retries: [`super::Resilient`] decides. A 429's `Retry-After` (seconds) is
//! passed on; 5xx are server errors; 400/404 refusals; 401/403 credentials.

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};
use serde::{Deserialize, Serialize};

use super::{Pcm, Speech, SpeechError, SpeechRequest};
use crate::gcp::auth::GoogleAuth;

/// The service's endpoint.
pub const ENDPOINT: &str = "https://texttospeech.googleapis.com";
/// The service's limit on `input.text`, in bytes.
pub const MAX_INPUT_BYTES: usize = 5_000;
/// The sample rate every request asks for.
pub const SAMPLE_RATE: u32 = 24_000;
/// Chirp 3 HD voices, alternating male and female, for speakers 1 to 4.
const CHIRP3: [&str; 4] = ["Charon", "Kore", "Puck", "Aoede"];
/// Languages (with the region used) Chirp 3 HD voices speak.
const CHIRP3_LANGUAGES: [&str; 20] = [
    "en-US", "en-GB", "en-AU", "en-IN", "de-DE", "fr-FR", "fr-CA", "es-ES", "es-US", "it-IT",
    "pt-BR", "ja-JP", "ko-KR", "cmn-CN", "hi-IN", "nl-NL", "pl-PL", "ru-RU", "id-ID", "tr-TR",
];

/// The Cloud Text-to-Speech client.
#[derive(Debug, Clone)]
pub struct GoogleSpeech {
    client: reqwest::Client,
    base: String,
    auth: GoogleAuth,
    price_per_million: f64,
}

impl GoogleSpeech {
    /// A client of `base` (normally [`ENDPOINT`]) charging `price_per_million` dollars per
    /// million characters in cost estimates.
    pub fn new(base: impl Into<String>, auth: GoogleAuth, price_per_million: f64) -> Self {
        Self {
            client: reqwest::Client::new(),
            base: base.into().trim_end_matches('/').to_owned(),
            auth,
            price_per_million,
        }
    }
}

/// `en` → `en-US`, `pt` → `pt-BR`, `de-AT` stays; the region the service most likely has.
pub fn language_code(language: &str) -> String {
    if language.contains('-') {
        return language.to_owned();
    }
    let lower = language.to_ascii_lowercase();
    match lower.as_str() {
        "en" => "en-US".into(),
        "pt" => "pt-BR".into(),
        "zh" | "cmn" => "cmn-CN".into(),
        "ja" => "ja-JP".into(),
        "ko" => "ko-KR".into(),
        "hi" => "hi-IN".into(),
        "sv" => "sv-SE".into(),
        "da" => "da-DK".into(),
        "uk" => "uk-UA".into(),
        "cs" => "cs-CZ".into(),
        "el" => "el-GR".into(),
        other => format!("{other}-{}", other.to_ascii_uppercase()),
    }
}

/// The language code a voice name starts with (`en-US-Chirp3-HD-Charon` → `en-US`).
fn voice_language(voice: &str) -> Option<String> {
    let mut parts = voice.splitn(3, '-');
    let (a, b) = (parts.next()?, parts.next()?);
    parts.next()?;
    Some(format!("{a}-{b}"))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    input: Input<'a>,
    voice: Voice,
    audio_config: AudioConfig,
}

#[derive(Serialize)]
struct Input<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Voice {
    language_code: String,
    name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AudioConfig {
    audio_encoding: &'static str,
    sample_rate_hertz: u32,
    speaking_rate: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    audio_content: String,
}

#[async_trait]
impl Speech for GoogleSpeech {
    fn engine(&self) -> String {
        "google-tts v1".into()
    }

    fn default_voice(&self, language: &str, index: usize) -> String {
        let code = language_code(language);
        if CHIRP3_LANGUAGES.contains(&code.as_str()) {
            format!("{code}-Chirp3-HD-{}", CHIRP3[index % CHIRP3.len()])
        } else {
            format!("{code}-Standard-{}", ['A', 'B', 'C', 'D'][index % 4])
        }
    }

    fn max_input_bytes(&self) -> usize {
        MAX_INPUT_BYTES
    }

    fn price_per_million_chars(&self) -> f64 {
        self.price_per_million
    }

    #[tracing::instrument(skip_all, fields(voice = %request.voice, bytes = request.text.len()))]
    async fn synthesize(&self, request: &SpeechRequest) -> Result<Pcm, SpeechError> {
        if request.text.len() > MAX_INPUT_BYTES {
            return Err(SpeechError::InvalidRequest(format!(
                "{} bytes of text; the service takes {MAX_INPUT_BYTES} at most",
                request.text.len()
            )));
        }
        let body = Body {
            input: Input {
                text: &request.text,
            },
            voice: Voice {
                language_code: voice_language(&request.voice)
                    .unwrap_or_else(|| language_code(&request.language)),
                name: request.voice.clone(),
            },
            audio_config: AudioConfig {
                audio_encoding: "LINEAR16",
                sample_rate_hertz: SAMPLE_RATE,
                speaking_rate: f64::from(request.rate_percent) / 100.0,
            },
        };
        let mut call = self
            .client
            .post(format!("{}/v1/text:synthesize", self.base))
            .json(&body);
        if let Some(header) = self
            .auth
            .authorization()
            .await
            .map_err(|e| SpeechError::Auth(e.to_string()))?
        {
            call = call.header(AUTHORIZATION, header);
        }
        let reply = call.send().await.map_err(|e| {
            if e.is_timeout() {
                SpeechError::Timeout(Duration::ZERO)
            } else {
                SpeechError::Server(format!("request failed: {e}"))
            }
        })?;
        let status = reply.status();
        let retry_after = reply
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = reply
            .bytes()
            .await
            .map_err(|e| SpeechError::Server(format!("reading the answer: {e}")))?;
        if !status.is_success() {
            let message: String = String::from_utf8_lossy(&bytes).chars().take(300).collect();
            return Err(match status.as_u16() {
                429 => SpeechError::RateLimited { retry_after },
                401 | 403 => SpeechError::Auth(format!("{status}: {message}")),
                408 => SpeechError::Timeout(Duration::ZERO),
                s if s >= 500 => SpeechError::Server(format!("{status}: {message}")),
                _ => SpeechError::InvalidRequest(format!("{status}: {message}")),
            });
        }
        let answer: Answer = serde_json::from_slice(&bytes)
            .map_err(|e| SpeechError::BadAudio(format!("answer: {e}")))?;
        let wav = base64::engine::general_purpose::STANDARD
            .decode(answer.audio_content)
            .map_err(|e| SpeechError::BadAudio(format!("audioContent: {e}")))?;
        Pcm::from_wav(&wav).map_err(SpeechError::BadAudio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voices_follow_the_language_with_a_fallback_family() {
        let google = GoogleSpeech::new(ENDPOINT, GoogleAuth::anonymous(), 30.0);
        assert_eq!(google.default_voice("en", 0), "en-US-Chirp3-HD-Charon");
        assert_eq!(google.default_voice("en", 1), "en-US-Chirp3-HD-Kore");
        assert_eq!(google.default_voice("sv", 2), "sv-SE-Standard-C");
        assert_eq!(
            voice_language("de-DE-Chirp3-HD-Puck").as_deref(),
            Some("de-DE")
        );
        assert_eq!(voice_language("en"), None);
    }
}
