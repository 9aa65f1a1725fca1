//! Chat Completions (`POST {base_url}/chat/completions`), the protocol OpenAI and the common
//! self-hosted servers share: Ollama (`http://localhost:11434/v1`, no key), vLLM, LM Studio,
//! llama.cpp's `llama-server` and `llama-cpp-python`'s server. Named
//! `openai:<model>@<base_url>`. Plain reqwest, no SDK.
//!
//! The servers agree on the shape of an answer but not on what a request may say, so each
//! model negotiates ([`Negotiated`], one per base URL and model, shared through
//! [`Capabilities`]) and remembers what the server refused:
//!
//! - **Structured output** ([`StructuredMode`]), strongest first: `response_format:
//!   {type: "json_schema", json_schema: {name, schema, strict: true}}` (OpenAI, Ollama, vLLM,
//!   LM Studio, `llama-server`), then `{type: "json_object", schema}` (the `llama-cpp-python`
//!   dialect: it refuses `json_schema` with a 500 and compiles this schema to a grammar), then
//!   no `response_format` at all with the schema written into the system prompt. A mode the
//!   server refuses is never sent to it again; `FACTORY_OPENAI_STRUCTURED` can force one.
//! - **The output limit** ([`TokenLimitField`]): `max_completion_tokens` for `api.openai.com`
//!   (its reasoning models refuse `max_tokens`), `max_tokens` elsewhere (Ollama, LM Studio and
//!   `llama-cpp-python` read only that one and silently ignore the other); switched when a
//!   server refuses the one sent.
//! - **`temperature`**: left out once a server refuses it (OpenAI's reasoning models accept
//!   only their default).
//!
//! Any other refused parameter, and a refusal left after every fallback, is a permanent
//! [`ModelError::InvalidRequest`] that names the parameter, whatever status the server used
//! ([`super::wire`] reads the dialects): never "unavailable", never retried. The answer is
//! still validated and repaired by the engine: this only decides how it is asked for.
//!
//! Gotchas, from the API references and the servers' sources and issues:
//! - A refusal comes back as a 200 with `message.refusal` set and `content: null`.
//! - OpenAI echoes a masked form of a wrong key in its 401; the full key is scrubbed from
//!   every message here anyway.
//! - A 429 with code `insufficient_quota` is billing, not a rate limit: waiting does not
//!   help, so it is a credential failure.
//! - Ollama accepts `json_object` with a `schema` but silently drops the schema; it takes
//!   `json_schema`, so it never gets there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use async_trait::async_trait;
use reqwest::Url;
use reqwest::header::AUTHORIZATION;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schema;
use super::wire::{self, ErrorBody, Reply, Secret};
use super::{ModelError, ModelRequest, ModelResponse, Role, TextModel, TokenUsage};

/// Which request field carries the output token limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLimitField {
    /// `max_tokens`: what Ollama, llama.cpp, LM Studio, vLLM and older OpenAI models read.
    MaxTokens,
    /// `max_completion_tokens`: what OpenAI's current (and reasoning) models read.
    MaxCompletionTokens,
}

impl TokenLimitField {
    /// `max_completion_tokens` for OpenAI's own API, `max_tokens` for everything else.
    pub fn for_base_url(base_url: &Url) -> Self {
        if base_url.host_str() == Some("api.openai.com") {
            Self::MaxCompletionTokens
        } else {
            Self::MaxTokens
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::MaxTokens => "max_tokens",
            Self::MaxCompletionTokens => "max_completion_tokens",
        }
    }

    fn other(self) -> Self {
        match self {
            Self::MaxTokens => Self::MaxCompletionTokens,
            Self::MaxCompletionTokens => Self::MaxTokens,
        }
    }
}

/// How the answer's JSON shape is asked for, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StructuredMode {
    /// `response_format: {type: "json_schema", json_schema: {name, schema, strict}}`.
    JsonSchema,
    /// `response_format: {type: "json_object", schema}` (`llama-cpp-python`).
    JsonObject,
    /// No `response_format`; the schema is written into the system prompt.
    Prompt,
}

impl StructuredMode {
    pub fn slug(self) -> &'static str {
        match self {
            Self::JsonSchema => "json_schema",
            Self::JsonObject => "json_object",
            Self::Prompt => "prompt",
        }
    }

    /// The next weaker mode, if any.
    fn weaker(self) -> Option<Self> {
        match self {
            Self::JsonSchema => Some(Self::JsonObject),
            Self::JsonObject => Some(Self::Prompt),
            Self::Prompt => None,
        }
    }
}

/// What a server has been found to accept. Starts optimistic (the strongest mode, the output
/// limit field its host suggests, a temperature) and only ever weakens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Negotiated {
    pub structured: StructuredMode,
    /// `true` when the mode was forced by configuration: never weakened.
    pub forced: bool,
    pub token_limit: TokenLimitField,
    /// Whether the server refused `max_tokens` and `max_completion_tokens` once each (then
    /// no further switching helps).
    token_limit_switched: bool,
    pub temperature: bool,
}

impl Negotiated {
    fn new(forced: Option<StructuredMode>, token_limit: TokenLimitField) -> Self {
        Self {
            structured: forced.unwrap_or(StructuredMode::JsonSchema),
            forced: forced.is_some(),
            token_limit,
            token_limit_switched: false,
            temperature: true,
        }
    }

    /// Adapts to the server's refusal of `param`; `false` if nothing is left to try.
    fn adapt(&mut self, param: &str) -> bool {
        let top = param.split('.').next().unwrap_or(param);
        match top {
            "response_format" | "json_schema" | "schema" => match self.structured.weaker() {
                Some(weaker) if !self.forced => {
                    self.structured = weaker;
                    true
                }
                _ => false,
            },
            "max_tokens" | "max_completion_tokens"
                if top == self.token_limit.name() && !self.token_limit_switched =>
            {
                self.token_limit = self.token_limit.other();
                self.token_limit_switched = true;
                true
            }
            "temperature" if self.temperature => {
                self.temperature = false;
                true
            }
            _ => false,
        }
    }
}

/// What each server (base URL and model) accepts, shared by every [`OpenAiModel`] built
/// with it so that what one call learned, the next call of any kind uses. Lives as long as
/// the process.
#[derive(Debug, Clone, Default)]
pub struct Capabilities(Arc<Mutex<HashMap<String, Negotiated>>>);

impl Capabilities {
    /// What is known of `server` (its model name), if it was asked before.
    pub fn get(&self, server: &str) -> Option<Negotiated> {
        self.lock().get(server).copied()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Negotiated>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A model behind a Chat Completions server. `Debug` shows no key.
#[derive(Debug, Clone)]
pub struct OpenAiModel {
    client: reqwest::Client,
    url: Url,
    model: String,
    api_key: Option<Secret>,
    token_limit: TokenLimitField,
    forced: Option<StructuredMode>,
    capabilities: Capabilities,
    name: String,
}

impl OpenAiModel {
    /// `POST {base_url}/chat/completions` for `model`, with `Authorization: Bearer {api_key}`
    /// when there is a key (Ollama and most local servers need none). `base_url` includes
    /// the version prefix, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`.
    /// Named `openai:{model}@{base_url}` (without a trailing `/`).
    pub fn new(
        client: reqwest::Client,
        model: &str,
        base_url: &Url,
        api_key: Option<String>,
    ) -> Self {
        let name = format!("openai:{model}@{}", base_url.as_str().trim_end_matches('/'));
        Self {
            client,
            url: wire::endpoint(base_url, &["chat", "completions"]),
            model: model.to_owned(),
            api_key: api_key.filter(|k| !k.is_empty()).map(Secret::new),
            token_limit: TokenLimitField::for_base_url(base_url),
            forced: None,
            capabilities: Capabilities::default(),
            name,
        }
    }

    /// Starts with the output limit in `field` instead of the one chosen from the base URL.
    #[must_use]
    pub fn with_token_limit_field(mut self, field: TokenLimitField) -> Self {
        self.token_limit = field;
        self
    }

    /// Always asks in `mode` and never falls back (`None`: negotiate).
    #[must_use]
    pub fn with_structured_mode(mut self, mode: Option<StructuredMode>) -> Self {
        self.forced = mode;
        self
    }

    /// Shares what servers accept with the other models built with `capabilities`.
    #[must_use]
    pub fn with_capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// What this model's server has been found to accept so far.
    pub fn negotiated(&self) -> Negotiated {
        self.capabilities
            .get(&self.name)
            .unwrap_or_else(|| Negotiated::new(self.forced, self.token_limit))
    }

    fn remember(&self, negotiated: Negotiated) {
        self.capabilities
            .lock()
            .insert(self.name.clone(), negotiated);
    }

    async fn call(
        &self,
        request: &ModelRequest,
        negotiated: Negotiated,
    ) -> Result<Result<ModelResponse, ModelError>, Refused> {
        let body = ChatRequest::new(&self.model, request, negotiated)?;
        let mut call = self.client.post(self.url.clone()).json(&body);
        if let Some(key) = &self.api_key {
            call = call.header(AUTHORIZATION, key.header("Bearer ")?);
        }
        let reply = wire::send(call).await?;
        if !reply.status.is_success() {
            return Err(failure(&reply, self.api_key.as_ref()));
        }
        // Usage is logged once per attempt by `Resilient`.
        Ok(answer(&reply.body, request.max_output_tokens))
    }
}

/// A call the server did not answer: either it refused a parameter (and which), or another
/// failure.
#[derive(Debug)]
enum Refused {
    Parameter { param: String, error: ModelError },
    Other(ModelError),
}

impl From<ModelError> for Refused {
    fn from(error: ModelError) -> Self {
        Self::Other(error)
    }
}

#[async_trait]
impl TextModel for OpenAiModel {
    fn name(&self) -> String {
        self.name.clone()
    }

    /// One logical call: as many requests as it takes to find what the server accepts (at
    /// most one per fallback), each remembered for the calls after it.
    #[tracing::instrument(skip_all, fields(model = %self.name))]
    async fn generate(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let mut negotiated = self.negotiated();
        loop {
            match self.call(request, negotiated).await {
                Ok(result) => return result,
                Err(Refused::Other(error)) => return Err(error),
                Err(Refused::Parameter { param, error }) => {
                    let before = negotiated;
                    if !negotiated.adapt(&param) {
                        return Err(error);
                    }
                    tracing::warn!(
                        param = %param,
                        from = before.structured.slug(),
                        to = negotiated.structured.slug(),
                        token_limit = negotiated.token_limit.name(),
                        temperature = negotiated.temperature,
                        error = %error,
                        "the server refused a request parameter; asking another way from now on"
                    );
                    self.remember(negotiated);
                }
            }
        }
    }
}

/// An HTTP error: the server's message (key scrubbed), `retry-after-ms` / `Retry-After`,
/// an exhausted quota read as a credential failure, and a refused parameter (whatever the
/// status) as an invalid request that names it.
fn failure(reply: &Reply, key: Option<&Secret>) -> Refused {
    let body = ErrorBody::parse(&reply.body);
    let mut message = body.describe(reply.status);
    if let Some(key) = key {
        message = key.redact(&message);
    }
    if body.code.as_deref() == Some("insufficient_quota") {
        return Refused::Other(ModelError::Auth(message));
    }
    if let Some(param) = body.rejected_parameter(reply.status) {
        let error = ModelError::InvalidRequest(format!(
            "the server refused the request parameter `{param}`: {message}"
        ));
        return Refused::Parameter { param, error };
    }
    let retry_after = wire::retry_after(&reply.headers, SystemTime::now());
    Refused::Other(wire::classify(reply.status, retry_after, message))
}

/// A 200 answer: the first choice's content, or why there is none.
fn answer(body: &[u8], max_output_tokens: u32) -> Result<ModelResponse, ModelError> {
    let completion: ChatCompletion = serde_json::from_slice(body)
        .map_err(|e| ModelError::Protocol(format!("not a chat completion: {e}")))?;
    let usage = completion.usage.unwrap_or_default().usage();
    let Some(choice) = completion.choices.into_iter().next() else {
        return Err(ModelError::Protocol("the completion has no choices".into()));
    };
    let message = choice.message.unwrap_or_default();
    if let Some(refusal) = message.refusal.filter(|r| !r.is_empty()) {
        return Err(ModelError::Blocked {
            reason: format!("the model refused: {refusal}"),
            usage,
        });
    }
    match choice.finish_reason.as_deref() {
        None | Some("stop") => {}
        Some("length") => {
            return Err(ModelError::Truncated {
                max_output_tokens,
                usage,
            });
        }
        Some("content_filter") => {
            return Err(ModelError::Blocked {
                reason: "the answer was stopped by the content filter (content_filter)".into(),
                usage,
            });
        }
        Some(other) => {
            return Err(ModelError::Protocol(format!(
                "the answer stopped with finish_reason `{other}`"
            )));
        }
    }
    match message.content {
        Some(text) if !text.trim().is_empty() => Ok(ModelResponse { text, usage }),
        _ => Err(ModelError::Protocol("the answer has no content".into())),
    }
}

// --- The wire shapes ------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<Message<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    response_format: Option<ResponseFormat<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_completion_tokens: Option<u32>,
}

#[derive(Debug, Serialize)]
struct Message<'a> {
    role: &'static str,
    content: std::borrow::Cow<'a, str>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ResponseFormat<'a> {
    JsonSchema { json_schema: JsonSchema<'a> },
    JsonObject { schema: Value },
}

#[derive(Debug, Serialize)]
struct JsonSchema<'a> {
    name: &'a str,
    schema: Value,
    strict: bool,
}

/// What the system prompt gains when the schema cannot travel in `response_format`.
fn schema_instructions(schema: &Value) -> String {
    let pretty = serde_json::to_string_pretty(schema).expect("schemas serialize");
    format!(
        "\n\nThe JSON object you answer with must follow this JSON Schema exactly (every \
         required field, no other fields):\n```json\n{pretty}\n```"
    )
}

impl<'a> ChatRequest<'a> {
    fn new(
        model: &'a str,
        request: &'a ModelRequest,
        negotiated: Negotiated,
    ) -> Result<Self, ModelError> {
        let schema = schema::to_openai_strict(&request.schema).map_err(|e| {
            ModelError::InvalidRequest(format!(
                "the `{}` schema has no strict-mode form: {e}",
                request.schema_name
            ))
        })?;
        let (response_format, system) = match negotiated.structured {
            StructuredMode::JsonSchema => (
                Some(ResponseFormat::JsonSchema {
                    json_schema: JsonSchema {
                        name: schema_name(&request.schema_name),
                        schema,
                        strict: true,
                    },
                }),
                std::borrow::Cow::Borrowed(request.system.as_str()),
            ),
            StructuredMode::JsonObject => (
                Some(ResponseFormat::JsonObject { schema }),
                std::borrow::Cow::Borrowed(request.system.as_str()),
            ),
            StructuredMode::Prompt => (
                None,
                std::borrow::Cow::Owned(format!(
                    "{}{}",
                    request.system,
                    schema_instructions(&schema)
                )),
            ),
        };
        let system = (!system.is_empty()).then_some(Message {
            role: "system",
            content: system,
        });
        let turns = request.turns.iter().map(|turn| Message {
            role: match turn.role {
                Role::User => "user",
                Role::Model => "assistant",
            },
            content: std::borrow::Cow::Borrowed(turn.text.as_str()),
        });
        let limit = Some(request.max_output_tokens);
        let field = negotiated.token_limit;
        Ok(Self {
            model,
            messages: system.into_iter().chain(turns).collect(),
            response_format,
            temperature: negotiated.temperature.then_some(request.temperature),
            max_tokens: limit.filter(|_| field == TokenLimitField::MaxTokens),
            max_completion_tokens: limit.filter(|_| field == TokenLimitField::MaxCompletionTokens),
        })
    }
}

/// OpenAI wants `^[a-zA-Z0-9_-]{1,64}$`; kind slugs already are. Anything else is cut at its
/// first other character.
fn schema_name(name: &str) -> &str {
    let end = name
        .char_indices()
        .find(|&(i, c)| i >= 64 || !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map_or(name.len(), |(i, _)| i);
    if end == 0 { "answer" } else { &name[..end] }
}

#[derive(Debug, Deserialize)]
struct ChatCompletion {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Debug, Deserialize)]
struct Choice {
    message: Option<AnswerMessage>,
    finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AnswerMessage {
    content: Option<String>,
    refusal: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Usage {
    prompt_tokens: Option<u64>,
    /// Reasoning tokens included (`completion_tokens_details.reasoning_tokens` is a part).
    completion_tokens: Option<u64>,
}

impl Usage {
    fn usage(self) -> TokenUsage {
        TokenUsage {
            input_tokens: self.prompt_tokens.unwrap_or(0),
            output_tokens: self.completion_tokens.unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::model::testing::{
        Canned, FIRST_ANSWER, FakeProvider, REPAIR_TURN, SOURCE_TURN, SYSTEM, cutting_short,
        outline_request, refusing,
    };

    const KEY: &str = "sk-proj-TESTKEY0123456789abcdef";
    const ANSWER: &str = r#"{"title": "The Roman Republic", "sections": []}"#;

    fn model(provider: &FakeProvider) -> OpenAiModel {
        OpenAiModel::new(
            reqwest::Client::new(),
            "gpt-4.1-mini",
            &provider.url_with("/v1"),
            Some(KEY.into()),
        )
    }

    fn completion(content: &Value, refusal: &Value, finish_reason: &str) -> Value {
        json!({
            "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
            "object": "chat.completion",
            "created": 1_741_570_283,
            "model": "gpt-4.1-mini-2025-04-14",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []},
                "logprobs": null,
                "finish_reason": finish_reason
            }],
            "usage": {
                "prompt_tokens": 1117,
                "completion_tokens": 46,
                "total_tokens": 1163,
                "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
            },
            "service_tier": "default",
            "system_fingerprint": "fp_6ec83003ad"
        })
    }

    fn success() -> Value {
        completion(&json!(ANSWER), &Value::Null, "stop")
    }

    fn openai_error(status: u16, message: &str, kind: &str, code: &Value) -> Canned {
        Canned::json(
            status,
            &json!({"error": {"message": message, "type": kind, "param": null, "code": code}}),
        )
    }

    async fn answer_to(canned: Canned) -> Result<ModelResponse, ModelError> {
        let provider = FakeProvider::answering(canned).await;
        model(&provider).generate(&outline_request()).await
    }

    const USAGE: TokenUsage = TokenUsage {
        input_tokens: 1117,
        output_tokens: 46,
    };

    #[tokio::test]
    async fn a_call_sends_the_documented_body_and_reads_the_answer() {
        let provider = FakeProvider::answering(Canned::json(200, &success())).await;

        let response = model(&provider).generate(&outline_request()).await.unwrap();

        let seen = provider.request();
        assert_eq!(seen.method, "POST");
        assert_eq!(seen.path, "/v1/chat/completions");
        assert_eq!(
            seen.header("authorization"),
            Some(&*format!("Bearer {KEY}"))
        );
        assert!(
            seen.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        let body = &seen.body;
        assert_eq!(body["model"], "gpt-4.1-mini");
        assert_eq!(
            body["messages"],
            json!([
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": SOURCE_TURN},
                {"role": "assistant", "content": FIRST_ANSWER},
                {"role": "user", "content": REPAIR_TURN}
            ])
        );
        let format = &body["response_format"];
        assert_eq!(format["type"], "json_schema");
        assert_eq!(format["json_schema"]["name"], "outline");
        assert_eq!(format["json_schema"]["strict"], true);
        let schema = &format["json_schema"]["schema"];
        assert_eq!(
            schema,
            &schema::to_openai_strict(&outline_request().schema).unwrap()
        );
        assert_eq!(schema["additionalProperties"], false);
        assert!(!schema.to_string().contains("$ref"));
        assert_eq!(body["temperature"], 0.2);
        assert_eq!(body["max_tokens"], 8192, "a local server reads max_tokens");
        assert!(body.get("max_completion_tokens").is_none(), "never both");
        assert_eq!(
            response,
            ModelResponse {
                text: ANSWER.into(),
                usage: USAGE
            }
        );
    }

    #[tokio::test]
    async fn a_server_without_a_key_gets_no_authorization_header() {
        let provider = FakeProvider::answering(Canned::json(200, &success())).await;
        let ollama = OpenAiModel::new(
            reqwest::Client::new(),
            "llama3.1:8b",
            &provider.url_with("/v1"),
            None,
        );

        ollama.generate(&outline_request()).await.unwrap();

        assert_eq!(provider.request().header("authorization"), None);
    }

    #[tokio::test]
    async fn the_token_limit_field_can_be_switched() {
        let provider = FakeProvider::answering(Canned::json(200, &success())).await;
        let reasoning =
            model(&provider).with_token_limit_field(TokenLimitField::MaxCompletionTokens);

        reasoning.generate(&outline_request()).await.unwrap();

        let body = provider.request().body;
        assert_eq!(body["max_completion_tokens"], 8192);
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn openai_itself_gets_max_completion_tokens_and_other_servers_max_tokens() {
        let field = |url: &str| TokenLimitField::for_base_url(&Url::parse(url).unwrap());
        assert_eq!(
            field("https://api.openai.com/v1"),
            TokenLimitField::MaxCompletionTokens
        );
        assert_eq!(
            field("http://localhost:11434/v1"),
            TokenLimitField::MaxTokens
        );
        assert_eq!(
            field("http://vllm.internal:8000/v1"),
            TokenLimitField::MaxTokens
        );
    }

    #[test]
    fn refusals_weaken_only_what_was_refused_and_never_a_forced_mode() {
        let mut auto = Negotiated::new(None, TokenLimitField::MaxTokens);
        assert!(auto.adapt("response_format.type"));
        assert_eq!(auto.structured, StructuredMode::JsonObject);
        assert!(auto.adapt("response_format"));
        assert_eq!(auto.structured, StructuredMode::Prompt);
        assert!(!auto.adapt("response_format"), "nothing weaker is left");
        assert!(auto.adapt("max_tokens"));
        assert_eq!(auto.token_limit, TokenLimitField::MaxCompletionTokens);
        assert!(
            !auto.adapt("max_completion_tokens"),
            "both names refused: give up"
        );
        assert!(auto.adapt("temperature"));
        assert!(!auto.temperature);
        assert!(!auto.adapt("temperature"));
        assert!(!auto.adapt("messages"), "a parameter without a fallback");

        let mut forced =
            Negotiated::new(Some(StructuredMode::JsonSchema), TokenLimitField::MaxTokens);
        assert!(!forced.adapt("response_format.type"));
        assert_eq!(forced.structured, StructuredMode::JsonSchema);
    }

    #[test]
    fn names_carry_model_and_base_url() {
        let client = reqwest::Client::new();
        let name = |url: &str| {
            OpenAiModel::new(
                client.clone(),
                "llama3.1:8b",
                &Url::parse(url).unwrap(),
                None,
            )
            .name()
        };
        assert_eq!(
            name("http://localhost:11434/v1"),
            "openai:llama3.1:8b@http://localhost:11434/v1"
        );
        assert_eq!(
            name("http://localhost:11434/v1/"),
            "openai:llama3.1:8b@http://localhost:11434/v1"
        );
        assert_eq!(
            name("http://localhost:8080"),
            "openai:llama3.1:8b@http://localhost:8080"
        );
    }

    #[test]
    fn schema_names_fit_openais_pattern() {
        assert_eq!(schema_name("podcast-script"), "podcast-script");
        assert_eq!(schema_name("study guide"), "study");
        assert_eq!(schema_name("é"), "answer");
        assert_eq!(schema_name(&"a".repeat(80)).len(), 64);
    }

    #[tokio::test]
    async fn a_429_waits_for_retry_after_ms_or_retry_after() {
        let limit = || {
            openai_error(
                429,
                "Rate limit reached for gpt-4.1-mini in organization org-test on tokens per min (TPM): Limit 200000, Used 199500, Requested 1200. Please try again in 210ms.",
                "tokens",
                &json!("rate_limit_exceeded"),
            )
        };
        let error = answer_to(limit().header("retry-after-ms", "210"))
            .await
            .unwrap_err();
        assert!(
            matches!(&error, ModelError::RateLimited { retry_after: Some(d), message }
            if *d == Duration::from_millis(210) && message.contains("Rate limit reached")),
            "{error:?}"
        );

        let error = answer_to(limit().header("retry-after", "20"))
            .await
            .unwrap_err();
        assert_eq!(error.retry_after(), Some(Duration::from_secs(20)));

        let error = answer_to(limit()).await.unwrap_err();
        assert!(matches!(
            error,
            ModelError::RateLimited {
                retry_after: None,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn an_exhausted_quota_is_not_worth_waiting_for() {
        let canned = openai_error(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            "insufficient_quota",
            &json!("insufficient_quota"),
        );
        let error = answer_to(canned).await.unwrap_err();
        assert!(matches!(&error, ModelError::Auth(m) if m.contains("exceeded your current quota")));
        assert!(!error.is_retryable());
    }

    #[tokio::test]
    async fn server_errors_are_unavailable() {
        let canned = openai_error(
            503,
            "The engine is currently overloaded, please try again later.",
            "server_error",
            &Value::Null,
        )
        .header("retry-after", "2");
        let error = answer_to(canned).await.unwrap_err();
        assert_eq!(
            error,
            ModelError::Unavailable {
                retry_after: Some(Duration::from_secs(2)),
                message: "HTTP 503: The engine is currently overloaded, please try again later."
                    .into()
            }
        );
        let canned = openai_error(
            500,
            "The server had an error while processing your request. Sorry about that!",
            "server_error",
            &Value::Null,
        );
        assert!(matches!(
            answer_to(canned).await.unwrap_err(),
            ModelError::Unavailable { .. }
        ));
    }

    #[tokio::test]
    async fn a_400_is_an_invalid_request_with_the_servers_words() {
        let canned = openai_error(
            400,
            "Invalid schema for response_format 'outline': In context=(), 'additionalProperties' is required to be supplied and to be false.",
            "invalid_request_error",
            &Value::Null,
        );
        let error = answer_to(canned).await.unwrap_err();
        assert!(
            matches!(&error, ModelError::InvalidRequest(m) if m.contains("Invalid schema for response_format")),
            "{error:?}"
        );

        // Ollama's answer for a model it has not pulled.
        let canned = openai_error(
            404,
            "model \"llama3.1:8b\" not found, try pulling it first",
            "api_error",
            &Value::Null,
        );
        assert!(
            matches!(answer_to(canned).await.unwrap_err(), ModelError::InvalidRequest(m) if m.contains("try pulling it"))
        );
    }

    #[tokio::test]
    async fn a_401_is_a_credential_failure_and_never_repeats_the_key() {
        let canned = openai_error(
            401,
            &format!(
                "Incorrect API key provided: {KEY}. You can find your API key at https://platform.openai.com/account/api-keys."
            ),
            "invalid_request_error",
            &json!("invalid_api_key"),
        );
        let error = answer_to(canned).await.unwrap_err();
        assert!(
            matches!(&error, ModelError::Auth(m) if m.contains("Incorrect API key provided: [redacted].")),
            "{error:?}"
        );
        assert!(!error.to_string().contains(KEY));
        assert!(!format!("{error:?}").contains(KEY));
    }

    #[tokio::test]
    async fn refusals_and_filtered_answers_are_blocked() {
        let refusal = completion(
            &Value::Null,
            &json!("I'm sorry, I cannot help with that request."),
            "stop",
        );
        assert_eq!(
            answer_to(Canned::json(200, &refusal)).await.unwrap_err(),
            ModelError::Blocked {
                reason: "the model refused: I'm sorry, I cannot help with that request.".into(),
                usage: USAGE
            }
        );
        let filtered = completion(&Value::Null, &Value::Null, "content_filter");
        assert!(matches!(
            answer_to(Canned::json(200, &filtered)).await.unwrap_err(),
            ModelError::Blocked { reason, usage } if reason.contains("content_filter") && usage == USAGE
        ));
    }

    #[tokio::test]
    async fn length_is_truncated_with_its_usage() {
        let cut = completion(
            &json!("{\"title\": \"The Roman Rep"),
            &Value::Null,
            "length",
        );
        assert_eq!(
            answer_to(Canned::json(200, &cut)).await.unwrap_err(),
            ModelError::Truncated {
                max_output_tokens: 8192,
                usage: USAGE
            }
        );
    }

    #[tokio::test]
    async fn a_server_that_reports_no_usage_costs_nothing() {
        let mut body = success();
        body.as_object_mut().unwrap().remove("usage");
        let response = answer_to(Canned::json(200, &body)).await.unwrap();
        assert_eq!(response.usage, TokenUsage::default());
    }

    #[tokio::test]
    async fn an_unreadable_answer_is_a_protocol_error() {
        let error = answer_to(Canned::html(200, "<html>Welcome to nginx!</html>"))
            .await
            .unwrap_err();
        assert!(matches!(error, ModelError::Protocol(m) if m.starts_with("not a chat completion")));

        let no_choices = json!({"object": "chat.completion", "choices": []});
        assert_eq!(
            answer_to(Canned::json(200, &no_choices)).await.unwrap_err(),
            ModelError::Protocol("the completion has no choices".into())
        );

        let tool_call = completion(&Value::Null, &Value::Null, "tool_calls");
        assert!(
            matches!(answer_to(Canned::json(200, &tool_call)).await.unwrap_err(), ModelError::Protocol(m) if m.contains("tool_calls"))
        );
    }

    #[tokio::test]
    async fn connection_failures_are_unavailable() {
        let url = refusing().await.join("/v1").unwrap();
        let error = OpenAiModel::new(reqwest::Client::new(), "m", &url, None)
            .generate(&outline_request())
            .await
            .unwrap_err();
        assert!(matches!(error, ModelError::Unavailable { .. }), "{error:?}");

        let url = cutting_short().await.join("/v1").unwrap();
        let error = OpenAiModel::new(reqwest::Client::new(), "m", &url, None)
            .generate(&outline_request())
            .await
            .unwrap_err();
        assert!(
            matches!(error, ModelError::Unavailable { .. }),
            "a truncated body: {error:?}"
        );
    }

    #[test]
    fn the_key_appears_in_no_debug_output() {
        let model = OpenAiModel::new(
            reqwest::Client::new(),
            "gpt-4.1-mini",
            &Url::parse("https://api.openai.com/v1").unwrap(),
            Some(KEY.into()),
        );
        let debug = format!("{model:?}");
        assert!(!debug.contains(KEY), "{debug}");
        assert!(debug.contains("gpt-4.1-mini"));
    }
}
