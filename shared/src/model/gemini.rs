//! Gemini's `generateContent`, reached two ways that share one body: Vertex AI
//! (`vertex:<model>`, bearer tokens from Application Default Credentials) and the Gemini API
//! (`gemini:<model>`, an API key in `x-goog-api-key`). Plain reqwest, no SDK (see
//! `docs/DEPENDENCIES.md`).
//!
//! The answer is constrained with `responseMimeType: application/json` and a
//! `responseSchema` in Gemini's OpenAPI dialect ([`super::schema::to_gemini`]). One call, no
//! retries: the caller decides what a [`ModelError`] means.
//!
//! Gotchas, from the API references and reported behaviour:
//! - Vertex AI's regional host is `{location}-aiplatform.googleapis.com`, but `global` is
//!   plain `aiplatform.googleapis.com`.
//! - The Gemini API answers a wrong API key with **400** `INVALID_ARGUMENT` and an
//!   `ErrorInfo` reason `API_KEY_INVALID`, not 401: classified as [`ModelError::Auth`] here.
//! - A 429 usually has no `Retry-After` header; the delay is in the body, a
//!   `google.rpc.RetryInfo` detail with a protobuf duration (`"45.837906927s"`).
//! - Thinking models spend `maxOutputTokens` on thoughts too: a `MAX_TOKENS` answer can have
//!   no text at all. Thought parts (`"thought": true`) are never part of the answer.
//! - Zero token counts are left out of `usageMetadata`; a blocked prompt has only
//!   `promptTokenCount`.

use std::time::SystemTime;

use async_trait::async_trait;
use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderName};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schema;
use super::wire::{self, ErrorBody, Reply, Secret};
use super::{ModelError, ModelRequest, ModelResponse, Role, TextModel, TokenUsage};
use crate::gcp::auth::GoogleAuth;

const GEMINI_API: &str = "https://generativelanguage.googleapis.com";
const VERTEX_GLOBAL: &str = "https://aiplatform.googleapis.com";
const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-goog-api-key");

/// A Gemini model on Vertex AI or the Gemini API. `Debug` shows no credential.
#[derive(Debug, Clone)]
pub struct GeminiModel {
    client: reqwest::Client,
    url: Url,
    credential: Credential,
    name: String,
}

#[derive(Debug, Clone)]
enum Credential {
    /// Vertex AI: an OAuth access token per call (none when anonymous).
    Google(GoogleAuth),
    /// The Gemini API.
    ApiKey(Secret),
    /// A fixed bearer token, so tests see the header Vertex AI gets.
    #[cfg(test)]
    Token(Secret),
}

impl GeminiModel {
    /// Vertex AI: `POST {base}/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent`
    /// with `Authorization: Bearer` from `auth` (no header if `auth` is anonymous). `base_url`
    /// defaults to `https://{location}-aiplatform.googleapis.com`, or
    /// `https://aiplatform.googleapis.com` for `global`; set it for a private endpoint or a
    /// fake. Named `vertex:{model}`.
    pub fn vertex(
        client: reqwest::Client,
        auth: GoogleAuth,
        project: &str,
        location: &str,
        model: &str,
        base_url: Option<Url>,
    ) -> Self {
        let base = base_url.unwrap_or_else(|| vertex_host(location));
        let method = format!("{model}:generateContent");
        let path = [
            "v1",
            "projects",
            project,
            "locations",
            location,
            "publishers",
            "google",
            "models",
            &method,
        ];
        Self {
            client,
            url: wire::endpoint(&base, &path),
            credential: Credential::Google(auth),
            name: format!("vertex:{model}"),
        }
    }

    /// The Gemini API: `POST {base}/v1beta/models/{model}:generateContent` with the key in
    /// `x-goog-api-key` (never in the URL, so it cannot end up in an error or a log line).
    /// `base_url` defaults to `https://generativelanguage.googleapis.com`. Named
    /// `gemini:{model}`.
    pub fn gemini_api(
        client: reqwest::Client,
        api_key: impl Into<String>,
        model: &str,
        base_url: Option<Url>,
    ) -> Self {
        let base = base_url.unwrap_or_else(|| Url::parse(GEMINI_API).expect("a constant URL"));
        let method = format!("{model}:generateContent");
        Self {
            client,
            url: wire::endpoint(&base, &["v1beta", "models", &method]),
            credential: Credential::ApiKey(Secret::new(api_key)),
            name: format!("gemini:{model}"),
        }
    }

    /// The header that carries the credential for this call, if any.
    async fn credential(&self) -> Result<Option<(HeaderName, &'static str, Secret)>, ModelError> {
        Ok(match &self.credential {
            Credential::Google(auth) => auth
                .authorization()
                .await
                .map_err(|e| ModelError::Auth(e.to_string()))?
                .map(|value| {
                    let token = value.strip_prefix("Bearer ").unwrap_or(&value);
                    (AUTHORIZATION, "Bearer ", Secret::new(token))
                }),
            Credential::ApiKey(key) => Some((API_KEY_HEADER, "", key.clone())),
            #[cfg(test)]
            Credential::Token(token) => Some((AUTHORIZATION, "Bearer ", token.clone())),
        })
    }
}

fn vertex_host(location: &str) -> Url {
    let host = if location == "global" {
        VERTEX_GLOBAL.to_owned()
    } else {
        format!("https://{location}-aiplatform.googleapis.com")
    };
    Url::parse(&host).unwrap_or_else(|_| Url::parse(VERTEX_GLOBAL).expect("a constant URL"))
}

#[async_trait]
impl TextModel for GeminiModel {
    fn name(&self) -> String {
        self.name.clone()
    }

    #[tracing::instrument(skip_all, fields(model = %self.name))]
    async fn generate(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let response_schema = schema::to_gemini(&request.schema).map_err(|e| {
            ModelError::InvalidRequest(format!(
                "the `{}` schema has no Gemini form: {e}",
                request.schema_name
            ))
        })?;
        let body = GenerateContentRequest::new(request, response_schema);
        let credential = self.credential().await?;
        let mut call = self.client.post(self.url.clone()).json(&body);
        if let Some((name, prefix, secret)) = &credential {
            call = call.header(name, secret.header(prefix)?);
        }
        let reply = wire::send(call).await?;
        if !reply.status.is_success() {
            return Err(failure(&reply, credential.as_ref().map(|(_, _, s)| s)));
        }
        // Usage is logged once per attempt by `Resilient`.
        answer(&reply.body, request.max_output_tokens)
    }
}

/// An HTTP error: the provider's message (credential scrubbed), Google's retry delay, and
/// the Gemini API's 400 for a bad key read as a credential failure.
fn failure(reply: &Reply, secret: Option<&Secret>) -> ModelError {
    let body = ErrorBody::parse(&reply.body);
    let mut message = body.describe(reply.status);
    if let Some(secret) = secret {
        message = secret.redact(&message);
    }
    if body.has_reason("API_KEY_INVALID") {
        return ModelError::Auth(message);
    }
    let retry_after =
        wire::retry_after(&reply.headers, SystemTime::now()).or_else(|| body.retry_delay());
    wire::classify(reply.status, retry_after, message)
}

/// Finish reasons that mean a filter stopped the answer; asking again will not help.
const BLOCKING: [&str; 10] = [
    "SAFETY",
    "RECITATION",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "LANGUAGE",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "MODEL_ARMOR",
];

/// A 200 answer: the text of the first candidate (thought parts skipped), or why there is
/// none.
fn answer(body: &[u8], max_output_tokens: u32) -> Result<ModelResponse, ModelError> {
    let response: GenerateContentResponse = serde_json::from_slice(body)
        .map_err(|e| ModelError::Protocol(format!("not a generateContent response: {e}")))?;
    let usage = response.usage_metadata.unwrap_or_default().usage();
    if let Some(feedback) = response.prompt_feedback
        && let Some(reason) = feedback
            .block_reason
            .filter(|r| r != "BLOCK_REASON_UNSPECIFIED")
    {
        return Err(ModelError::Blocked {
            reason: explained(
                format!("the prompt was blocked ({reason})"),
                feedback.block_reason_message,
            ),
            usage,
        });
    }
    let Some(candidate) = response.candidates.into_iter().next() else {
        return Err(ModelError::Protocol(
            "the response has no candidates".into(),
        ));
    };
    match candidate.finish_reason.as_deref() {
        None | Some("STOP" | "FINISH_REASON_UNSPECIFIED") => {}
        Some("MAX_TOKENS") => {
            return Err(ModelError::Truncated {
                max_output_tokens,
                usage,
            });
        }
        Some(reason) if BLOCKING.contains(&reason) => {
            return Err(ModelError::Blocked {
                reason: explained(
                    format!("the answer was blocked ({reason})"),
                    candidate.finish_message,
                ),
                usage,
            });
        }
        Some(other) => {
            return Err(ModelError::Protocol(explained(
                format!("the answer stopped early ({other})"),
                candidate.finish_message,
            )));
        }
    }
    let text: String = candidate
        .content
        .map(|c| c.parts)
        .unwrap_or_default()
        .into_iter()
        .filter(|part| !part.thought)
        .filter_map(|part| part.text)
        .collect();
    if text.trim().is_empty() {
        return Err(ModelError::Protocol("the answer has no text".into()));
    }
    Ok(ModelResponse { text, usage })
}

fn explained(what: String, message: Option<String>) -> String {
    match message.filter(|m| !m.is_empty()) {
        Some(message) => format!("{what}: {message}"),
        None => what,
    }
}

// --- The wire shapes ------------------------------------------------------------------------

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerateContentRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    system_instruction: Option<Instruction<'a>>,
    contents: Vec<Content<'a>>,
    generation_config: GenerationConfig,
}

#[derive(Debug, Serialize)]
struct Instruction<'a> {
    parts: [TextPart<'a>; 1],
}

#[derive(Debug, Serialize)]
struct Content<'a> {
    role: &'static str,
    parts: [TextPart<'a>; 1],
}

#[derive(Debug, Serialize)]
struct TextPart<'a> {
    text: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct GenerationConfig {
    response_mime_type: &'static str,
    response_schema: Value,
    temperature: f32,
    max_output_tokens: u32,
}

impl<'a> GenerateContentRequest<'a> {
    fn new(request: &'a ModelRequest, response_schema: Value) -> Self {
        Self {
            // An empty instruction is refused ("empty text parameter"); leave it out.
            system_instruction: (!request.system.is_empty()).then(|| Instruction {
                parts: [TextPart {
                    text: &request.system,
                }],
            }),
            contents: request
                .turns
                .iter()
                .map(|turn| Content {
                    role: match turn.role {
                        Role::User => "user",
                        Role::Model => "model",
                    },
                    parts: [TextPart { text: &turn.text }],
                })
                .collect(),
            generation_config: GenerationConfig {
                response_mime_type: "application/json",
                response_schema,
                temperature: request.temperature,
                max_output_tokens: request.max_output_tokens,
            },
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenerateContentResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    prompt_feedback: Option<PromptFeedback>,
    usage_metadata: Option<UsageMetadata>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    content: Option<CandidateContent>,
    finish_reason: Option<String>,
    finish_message: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CandidateContent {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Debug, Deserialize)]
struct Part {
    text: Option<String>,
    #[serde(default)]
    thought: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    block_reason: Option<String>,
    block_reason_message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct UsageMetadata {
    #[serde(rename = "promptTokenCount")]
    prompt: Option<u64>,
    #[serde(rename = "candidatesTokenCount")]
    candidates: Option<u64>,
    #[serde(rename = "thoughtsTokenCount")]
    thoughts: Option<u64>,
}

impl UsageMetadata {
    /// Thinking tokens are billed as output, so they count as output.
    fn usage(self) -> TokenUsage {
        TokenUsage {
            input_tokens: self.prompt.unwrap_or(0),
            output_tokens: self.candidates.unwrap_or(0) + self.thoughts.unwrap_or(0),
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

    const API_KEY: &str = "AIzaSyTEST-not-a-real-key-0123456789";
    const TOKEN: &str = "ya29.test-access-token";
    const ANSWER: &str = r#"{"title": "The Roman Republic", "sections": []}"#;

    fn vertex(base: &Url) -> GeminiModel {
        let mut model = GeminiModel::vertex(
            reqwest::Client::new(),
            GoogleAuth::anonymous(),
            "factory-prod",
            "europe-west4",
            "gemini-2.5-flash",
            Some(base.clone()),
        );
        model.credential = Credential::Token(Secret::new(TOKEN));
        model
    }

    fn gemini_api(base: &Url) -> GeminiModel {
        GeminiModel::gemini_api(
            reqwest::Client::new(),
            API_KEY,
            "gemini-2.5-flash",
            Some(base.clone()),
        )
    }

    /// A Vertex AI answer: a thought summary part, then the JSON; thinking tokens counted.
    fn success() -> Value {
        json!({
            "candidates": [{
                "content": {"role": "model", "parts": [
                    {"text": "**Planning the outline** I will group the source by period.", "thought": true},
                    {"text": ANSWER}
                ]},
                "finishReason": "STOP",
                "avgLogprobs": -0.21,
                "safetyRatings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"}]
            }],
            "usageMetadata": {
                "promptTokenCount": 1234,
                "candidatesTokenCount": 321,
                "thoughtsTokenCount": 456,
                "totalTokenCount": 2011,
                "trafficType": "ON_DEMAND",
                "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 1234}]
            },
            "modelVersion": "gemini-2.5-flash",
            "createTime": "2025-06-01T10:00:00.000000Z",
            "responseId": "abc123"
        })
    }

    async fn answer_to(canned: Canned) -> (FakeProvider, Result<ModelResponse, ModelError>) {
        let provider = FakeProvider::answering(canned).await;
        let result = gemini_api(&provider.url).generate(&outline_request()).await;
        (provider, result)
    }

    fn google_error(code: u16, status: &str, message: &str, details: &Value) -> Canned {
        Canned::json(
            code,
            &json!({"error": {"code": code, "message": message, "status": status, "details": details}}),
        )
    }

    #[tokio::test]
    async fn a_vertex_call_sends_the_documented_body_with_a_bearer_token() {
        let provider = FakeProvider::answering(Canned::json(200, &success())).await;

        let response = vertex(&provider.url)
            .generate(&outline_request())
            .await
            .unwrap();

        let seen = provider.request();
        assert_eq!(seen.method, "POST");
        assert_eq!(
            seen.path,
            "/v1/projects/factory-prod/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent"
        );
        assert_eq!(
            seen.header("authorization"),
            Some(&*format!("Bearer {TOKEN}"))
        );
        assert_eq!(seen.header("x-goog-api-key"), None);
        assert!(
            seen.header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        let body = &seen.body;
        assert_eq!(
            body["systemInstruction"],
            json!({"parts": [{"text": SYSTEM}]})
        );
        assert_eq!(
            body["contents"],
            json!([
                {"role": "user", "parts": [{"text": SOURCE_TURN}]},
                {"role": "model", "parts": [{"text": FIRST_ANSWER}]},
                {"role": "user", "parts": [{"text": REPAIR_TURN}]}
            ])
        );
        let config = &body["generationConfig"];
        assert_eq!(config["responseMimeType"], "application/json");
        assert_eq!(config["temperature"], 0.2);
        assert_eq!(config["maxOutputTokens"], 8192);
        assert!(
            config.get("responseJsonSchema").is_none(),
            "one schema field, not both"
        );
        let schema = &config["responseSchema"];
        assert_eq!(
            schema,
            &schema::to_gemini(&outline_request().schema).unwrap()
        );
        assert_eq!(schema["type"], "OBJECT");
        assert!(!schema.to_string().contains("$ref"));
        assert_eq!(
            response,
            ModelResponse {
                text: ANSWER.into(),
                usage: TokenUsage {
                    input_tokens: 1234,
                    output_tokens: 321 + 456
                }
            }
        );
    }

    #[tokio::test]
    async fn a_gemini_api_call_carries_the_key_in_its_header_not_the_url() {
        let (provider, response) = answer_to(Canned::json(200, &success())).await;

        let seen = provider.request();
        assert_eq!(seen.path, "/v1beta/models/gemini-2.5-flash:generateContent");
        assert_eq!(seen.header("x-goog-api-key"), Some(API_KEY));
        assert_eq!(seen.header("authorization"), None);
        assert_eq!(
            seen.body["generationConfig"]["responseMimeType"],
            "application/json"
        );
        assert_eq!(response.unwrap().text, ANSWER);
    }

    #[tokio::test]
    async fn an_anonymous_vertex_model_sends_no_credential() {
        let provider = FakeProvider::answering(Canned::json(200, &success())).await;
        let model = GeminiModel::vertex(
            reqwest::Client::new(),
            GoogleAuth::anonymous(),
            "p",
            "global",
            "gemini-2.5-pro",
            Some(provider.url.clone()),
        );

        model.generate(&outline_request()).await.unwrap();

        let seen = provider.request();
        assert_eq!(seen.header("authorization"), None);
        assert_eq!(seen.header("x-goog-api-key"), None);
        assert_eq!(
            seen.path,
            "/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-pro:generateContent"
        );
    }

    #[test]
    fn default_hosts_follow_the_location() {
        let client = reqwest::Client::new();
        let url = |location: &str| {
            GeminiModel::vertex(
                client.clone(),
                GoogleAuth::anonymous(),
                "p",
                location,
                "m",
                None,
            )
            .url
            .to_string()
        };
        assert_eq!(
            url("us-central1"),
            "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/m:generateContent"
        );
        assert_eq!(
            url("global"),
            "https://aiplatform.googleapis.com/v1/projects/p/locations/global/publishers/google/models/m:generateContent"
        );
        let api = GeminiModel::gemini_api(client, "k", "gemini-2.5-flash", None);
        assert_eq!(
            api.url.as_str(),
            "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
        );
    }

    #[test]
    fn names_say_provider_and_model() {
        let client = reqwest::Client::new();
        let vertex = GeminiModel::vertex(
            client.clone(),
            GoogleAuth::anonymous(),
            "p",
            "global",
            "gemini-2.5-pro",
            None,
        );
        assert_eq!(vertex.name(), "vertex:gemini-2.5-pro");
        assert_eq!(
            GeminiModel::gemini_api(client, "k", "gemini-2.5-flash", None).name(),
            "gemini:gemini-2.5-flash"
        );
    }

    #[tokio::test]
    async fn text_parts_are_joined_and_missing_counts_are_zero() {
        let body = json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "{\"title\": "}, {"text": "\"Rome\"}"}
            ]}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 10, "totalTokenCount": 10}
        });
        let (_, response) = answer_to(Canned::json(200, &body)).await;
        assert_eq!(
            response.unwrap(),
            ModelResponse {
                text: r#"{"title": "Rome"}"#.into(),
                usage: TokenUsage {
                    input_tokens: 10,
                    output_tokens: 0
                }
            }
        );
    }

    #[tokio::test]
    async fn a_429_with_retry_after_is_rate_limited_for_that_long() {
        let canned = google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "Resource exhausted. Please try again later.",
            &json!([]),
        )
        .header("retry-after", "7");
        let (_, result) = answer_to(canned).await;
        let error = result.unwrap_err();
        assert_eq!(
            error,
            ModelError::RateLimited {
                retry_after: Some(Duration::from_secs(7)),
                message: "HTTP 429 RESOURCE_EXHAUSTED: Resource exhausted. Please try again later."
                    .into()
            }
        );
        assert!(error.is_retryable());
    }

    #[tokio::test]
    async fn a_429_takes_its_delay_from_retry_info_in_the_body() {
        let details = json!([
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [{
                "quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
                "quotaValue": "10"
            }]},
            {"@type": "type.googleapis.com/google.rpc.Help", "links": [{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "12.5s"}
        ]);
        let canned = google_error(
            429,
            "RESOURCE_EXHAUSTED",
            "You exceeded your current quota. Please retry in 12.5s.",
            &details,
        );
        let (_, result) = answer_to(canned).await;
        assert_eq!(
            result.unwrap_err().retry_after(),
            Some(Duration::from_millis(12_500))
        );
    }

    #[tokio::test]
    async fn a_503_is_unavailable() {
        let canned = google_error(
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
            &json!([]),
        );
        let (_, result) = answer_to(canned).await;
        assert_eq!(
            result.unwrap_err(),
            ModelError::Unavailable {
                retry_after: None,
                message: "HTTP 503 UNAVAILABLE: The model is overloaded. Please try again later."
                    .into()
            }
        );
    }

    #[tokio::test]
    async fn a_load_balancer_page_is_unavailable_with_its_text() {
        let (_, result) = answer_to(Canned::html(
            502,
            "<html><title>502 Bad Gateway</title></html>",
        ))
        .await;
        assert!(matches!(
            result.unwrap_err(),
            ModelError::Unavailable { message, .. } if message.contains("502 Bad Gateway")
        ));
    }

    #[tokio::test]
    async fn a_400_is_an_invalid_request_with_the_providers_words() {
        let details = json!([{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [
            {"field": "generation_config.response_schema", "description": "Invalid JSON payload received."}
        ]}]);
        let canned = google_error(
            400,
            "INVALID_ARGUMENT",
            "Invalid JSON payload received. Unknown name \"foo\" at 'generation_config.response_schema': Cannot find field.",
            &details,
        );
        let (_, result) = answer_to(canned).await;
        let error = result.unwrap_err();
        assert!(
            matches!(&error, ModelError::InvalidRequest(m) if m.contains("Unknown name \"foo\"")),
            "{error:?}"
        );
        assert!(!error.is_retryable());
    }

    #[tokio::test]
    async fn a_401_or_403_is_a_credential_failure() {
        let details = json!([{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_TYPE_UNSUPPORTED", "domain": "googleapis.com"}]);
        let canned = google_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
            &details,
        );
        let provider = FakeProvider::answering(canned).await;
        let error = vertex(&provider.url)
            .generate(&outline_request())
            .await
            .unwrap_err();
        assert!(matches!(error, ModelError::Auth(m) if m.starts_with("HTTP 401 UNAUTHENTICATED")));

        let canned = google_error(
            403,
            "PERMISSION_DENIED",
            "Permission 'aiplatform.endpoints.predict' denied on resource '//aiplatform.googleapis.com/projects/factory-prod/locations/europe-west4/publishers/google/models/gemini-2.5-flash' (or it may not exist).",
            &json!([]),
        );
        let provider = FakeProvider::answering(canned).await;
        let error = vertex(&provider.url)
            .generate(&outline_request())
            .await
            .unwrap_err();
        assert!(matches!(error, ModelError::Auth(m) if m.contains("aiplatform.endpoints.predict")));
    }

    #[tokio::test]
    async fn the_gemini_apis_400_for_a_bad_key_is_a_credential_failure() {
        let details = json!([
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}},
            {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": "API key not valid. Please pass a valid API key."}
        ]);
        let canned = google_error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            &details,
        );
        let (_, result) = answer_to(canned).await;
        assert_eq!(
            result.unwrap_err(),
            ModelError::Auth(
                "HTTP 400 INVALID_ARGUMENT: API key not valid. Please pass a valid API key.".into()
            )
        );
    }

    #[tokio::test]
    async fn a_blocked_prompt_is_blocked_and_still_costs_its_input() {
        let body = json!({
            "promptFeedback": {
                "blockReason": "SAFETY",
                "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}],
                "blockReasonMessage": "The prompt was blocked due to safety reasons."
            },
            "usageMetadata": {"promptTokenCount": 97, "totalTokenCount": 97},
            "modelVersion": "gemini-2.5-flash"
        });
        let (_, result) = answer_to(Canned::json(200, &body)).await;
        let error = result.unwrap_err();
        assert_eq!(
            error,
            ModelError::Blocked {
                reason:
                    "the prompt was blocked (SAFETY): The prompt was blocked due to safety reasons."
                        .into(),
                usage: TokenUsage {
                    input_tokens: 97,
                    output_tokens: 0
                }
            }
        );
        assert!(!error.is_retryable());
    }

    #[tokio::test]
    async fn an_answer_stopped_for_safety_is_blocked() {
        for reason in [
            "SAFETY",
            "PROHIBITED_CONTENT",
            "RECITATION",
            "SPII",
            "BLOCKLIST",
        ] {
            let body = json!({
                "candidates": [{"content": {"role": "model", "parts": []}, "finishReason": reason,
                    "safetyRatings": [{"category": "HARM_CATEGORY_HARASSMENT", "probability": "MEDIUM", "blocked": true}]}],
                "usageMetadata": {"promptTokenCount": 50, "candidatesTokenCount": 3, "totalTokenCount": 53}
            });
            let (_, result) = answer_to(Canned::json(200, &body)).await;
            assert_eq!(
                result.unwrap_err(),
                ModelError::Blocked {
                    reason: format!("the answer was blocked ({reason})"),
                    usage: TokenUsage {
                        input_tokens: 50,
                        output_tokens: 3
                    }
                }
            );
        }
    }

    #[tokio::test]
    async fn max_tokens_is_truncated_with_its_usage_even_without_text() {
        let body = json!({
            "candidates": [{"content": {"role": "model"}, "finishReason": "MAX_TOKENS"}],
            "usageMetadata": {"promptTokenCount": 800, "thoughtsTokenCount": 8192, "totalTokenCount": 8992}
        });
        let (_, result) = answer_to(Canned::json(200, &body)).await;
        assert_eq!(
            result.unwrap_err(),
            ModelError::Truncated {
                max_output_tokens: 8192,
                usage: TokenUsage {
                    input_tokens: 800,
                    output_tokens: 8192
                }
            }
        );
    }

    #[tokio::test]
    async fn an_unreadable_answer_is_a_protocol_error() {
        let (_, result) = answer_to(Canned::html(200, "<html>captive portal</html>")).await;
        assert!(
            matches!(result.unwrap_err(), ModelError::Protocol(m) if m.starts_with("not a generateContent response"))
        );

        let (_, result) = answer_to(Canned::json(
            200,
            &json!({"modelVersion": "gemini-2.5-flash"}),
        ))
        .await;
        assert_eq!(
            result.unwrap_err(),
            ModelError::Protocol("the response has no candidates".into())
        );

        let other = json!({"candidates": [{"content": {"parts": [{"text": "{"}]}, "finishReason": "MALFORMED_FUNCTION_CALL"}]});
        let (_, result) = answer_to(Canned::json(200, &other)).await;
        assert!(
            matches!(result.unwrap_err(), ModelError::Protocol(m) if m.contains("MALFORMED_FUNCTION_CALL"))
        );
    }

    #[tokio::test]
    async fn connection_failures_are_unavailable() {
        let model = gemini_api(&refusing().await);
        let error = model.generate(&outline_request()).await.unwrap_err();
        assert!(
            matches!(
                error,
                ModelError::Unavailable {
                    retry_after: None,
                    ..
                }
            ),
            "{error:?}"
        );

        let model = gemini_api(&cutting_short().await);
        let error = model.generate(&outline_request()).await.unwrap_err();
        assert!(
            matches!(error, ModelError::Unavailable { .. }),
            "a truncated body: {error:?}"
        );
    }

    #[tokio::test]
    async fn an_unconvertible_schema_is_refused_before_any_call() {
        let provider = FakeProvider::answering(Canned::json(200, &success())).await;
        let mut request = outline_request();
        request.schema = json!({"type": "object", "properties": {"any": {}}});
        let error = gemini_api(&provider.url)
            .generate(&request)
            .await
            .unwrap_err();
        assert!(matches!(error, ModelError::InvalidRequest(m) if m.contains("`outline` schema")));
    }

    #[tokio::test]
    async fn the_key_appears_in_no_debug_output_and_no_error() {
        let model = gemini_api(&Url::parse("http://127.0.0.1:9").unwrap());
        assert!(!format!("{model:?}").contains(API_KEY), "{model:?}");

        // A provider that echoes the key back in its error (as some proxies do).
        let canned = google_error(
            403,
            "PERMISSION_DENIED",
            &format!("API key {API_KEY} is not allowed"),
            &json!([]),
        );
        let (_, result) = answer_to(canned).await;
        let error = result.unwrap_err();
        assert!(!error.to_string().contains(API_KEY), "{error}");
        assert!(!format!("{error:?}").contains(API_KEY));

        let token_model = vertex(&Url::parse("http://127.0.0.1:9").unwrap());
        assert!(!format!("{token_model:?}").contains(TOKEN));
    }
}
