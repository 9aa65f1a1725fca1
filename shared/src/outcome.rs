//! What a step yields besides its content, shared by content builders, engines, jobs and
//! the pipeline: the typed error that ends a step (its [`ErrorCode`] says whether trying
//! again can help) and the model [`Usage`] it consumed. One error type serves engines and
//! steps alike, so nothing is copied field by field between layers.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::content::Violation;

/// Typed failure codes a client can see. Each knows whether trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The source does not hold enough material for this kind.
    SourceTooThin,
    /// The engine cannot write the requested language.
    UnsupportedLanguage,
    /// The output broke the kind's rules (after any repairs).
    InvalidOutput,
    /// The outline failed, so this derivative could not be built.
    DependencyFailed,
    /// The step failed on every attempt it was allowed.
    AttemptsExhausted,
    /// The speech engine is not installed or not reachable, so the podcast has no audio.
    SpeechUnavailable,
    /// Speech synthesis failed (after its retries), so the podcast has no audio.
    SpeechFailed,
    /// The script is longer than the configured speech budget; nothing was synthesized.
    AudioTooLong,
    RateLimited,
    Unavailable,
    Timeout,
    /// The model refused to answer for safety reasons.
    Blocked,
    /// The model's answer was cut off by its output token limit.
    Truncated,
    /// The model provider rejected the request itself.
    InvalidRequest,
    /// The model provider refused the configured credentials.
    ModelAuth,
    /// A storage port failed (database or object store).
    StoreUnavailable,
    Cancelled,
    Internal,
}

impl ErrorCode {
    /// Whether the failure is transient, so the step should be tried again.
    pub fn is_retryable(self) -> bool {
        match self {
            Self::RateLimited | Self::Unavailable | Self::Timeout | Self::StoreUnavailable => true,
            Self::SourceTooThin
            | Self::UnsupportedLanguage
            | Self::InvalidOutput
            | Self::DependencyFailed
            | Self::AttemptsExhausted
            | Self::SpeechUnavailable
            | Self::SpeechFailed
            | Self::AudioTooLong
            | Self::Blocked
            | Self::Truncated
            | Self::InvalidRequest
            | Self::ModelAuth
            | Self::Cancelled
            | Self::Internal => false,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = serde_json::to_value(self).expect("codes serialize");
        f.write_str(value.as_str().unwrap_or_default())
    }
}

/// Why a step (or job) failed: what an engine returns and what the job records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct StepError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// What the failed attempt consumed; moved into the step's usage when recorded (a
    /// failed model call is still billed).
    #[serde(skip)]
    pub usage: Usage,
}

impl StepError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            violations: Vec::new(),
            usage: Usage::default(),
        }
    }
}

/// Model and speech usage of a step or a job (zero for the extractive engine and
/// espeak-ng, apart from the characters spoken).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    /// Characters sent to the speech engine (turns found in the turn cache count nothing).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub speech_characters: u64,
    /// Some of the tokens were spent on a model with no known price: `cost_usd` counts only
    /// the priced part.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub price_unknown: bool,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cost_usd += other.cost_usd;
        self.speech_characters += other.speech_characters;
        self.price_unknown |= other.price_unknown;
    }
}
