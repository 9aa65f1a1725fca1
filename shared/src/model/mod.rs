//! The `TextModel` port: one call to a language model that must answer JSON of a given
//! schema. Providers speak their own wire protocol and classify every failure into a
//! [`ModelError`]; [`resilient::Resilient`] adds timeouts, retries with backoff and a
//! concurrency limit; [`engine::ModelEngine`] turns a model into an [`crate::generation::Engine`]
//! with versioned prompts and a validate-and-repair loop.
//!
//! Providers: [`gemini`] (Vertex AI and the Gemini API share one body) and [`openai`] (any
//! Chat Completions server: OpenAI, Ollama, vLLM, llama.cpp).

pub mod engine;
pub mod gemini;
pub mod openai;
pub mod prices;
pub mod prompts;
pub mod resilient;
pub mod schema;
pub mod select;
#[cfg(test)]
mod testing;
mod wire;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::outcome::ErrorCode;

/// Who said a turn of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    User,
    Model,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub role: Role,
    pub text: String,
}

impl Turn {
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            text: text.into(),
        }
    }

    pub fn model(text: impl Into<String>) -> Self {
        Self {
            role: Role::Model,
            text: text.into(),
        }
    }
}

/// One generation call.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRequest {
    /// Instructions (the system prompt); never contains the source.
    pub system: String,
    /// The conversation so far; the last turn is the user's.
    pub turns: Vec<Turn>,
    /// The JSON Schema the answer must follow (as schemars writes it; providers convert it
    /// to their dialect).
    pub schema: serde_json::Value,
    /// A short name for the schema (the kind's slug).
    pub schema_name: String,
    pub temperature: f32,
    pub max_output_tokens: u32,
}

/// Tokens one call consumed, as the provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TokenUsage {
    pub input_tokens: u64,
    /// Output tokens, thinking tokens included (they are billed as output).
    pub output_tokens: u64,
}

impl TokenUsage {
    pub fn add(&mut self, other: TokenUsage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
    }
}

/// A successful call: the answer text (expected to be JSON) and its usage.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelResponse {
    pub text: String,
    pub usage: TokenUsage,
}

/// Why a call failed, classified so the caller knows whether to try again.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// 429 / RESOURCE_EXHAUSTED. `retry_after` from `Retry-After` or Google's `RetryInfo`.
    #[error("rate limited by the model provider: {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    /// 500, 502, 503, 504 or a connection failure.
    #[error("model provider unavailable: {message}")]
    Unavailable {
        retry_after: Option<Duration>,
        message: String,
    },
    /// The call did not answer within its timeout.
    #[error("the model call timed out after {0:?}")]
    Timeout(Duration),
    /// The provider refused to answer for safety reasons; asking again will not help.
    #[error("blocked by the model's safety filters: {reason}")]
    Blocked { reason: String, usage: TokenUsage },
    /// The answer hit the output token limit before it was complete.
    #[error("the answer was cut off at {max_output_tokens} output tokens")]
    Truncated {
        max_output_tokens: u32,
        usage: TokenUsage,
    },
    /// The provider rejected the request itself (400): a bug or an unsupported option.
    #[error("the model provider rejected the request: {0}")]
    InvalidRequest(String),
    /// 401 / 403: a missing, wrong or unauthorized credential.
    #[error("the model provider refused the credentials: {0}")]
    Auth(String),
    /// The answer could not be read (not the provider's JSON shape).
    #[error("unexpected answer from the model provider: {0}")]
    Protocol(String),
}

impl ModelError {
    /// Whether the same call may succeed if made again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::RateLimited { .. } | Self::Unavailable { .. } | Self::Timeout(_)
        )
    }

    /// How long the provider asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Tokens billed for a failed call (a blocked or truncated answer still costs).
    pub fn usage(&self) -> TokenUsage {
        match self {
            Self::Blocked { usage, .. } | Self::Truncated { usage, .. } => *usage,
            _ => TokenUsage::default(),
        }
    }

    /// The step error code this failure ends in.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable { .. } | Self::Protocol(_) => ErrorCode::Unavailable,
            Self::Timeout(_) => ErrorCode::Timeout,
            Self::Blocked { .. } => ErrorCode::Blocked,
            Self::Truncated { .. } => ErrorCode::Truncated,
            Self::InvalidRequest(_) => ErrorCode::InvalidRequest,
            Self::Auth(_) => ErrorCode::ModelAuth,
        }
    }
}

/// A language model behind some wire protocol.
#[async_trait]
pub trait TextModel: Send + Sync + fmt::Debug {
    /// `provider:model`, e.g. `gemini:gemini-2.5-flash`; recorded on steps and in cache keys.
    fn name(&self) -> String;

    /// One call, no retries (see [`resilient::Resilient`]).
    async fn generate(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError>;
}
