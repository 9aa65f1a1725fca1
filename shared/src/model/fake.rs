//! A fake model provider, for end-to-end tests and benchmarks only: a local HTTP server that
//! speaks enough of three wire protocols for a real client to talk to it, and answers every
//! call with *valid* content, so a whole job succeeds through the real pipeline.
//!
//! - OpenAI Chat Completions: `POST /v1/chat/completions` (`Authorization: Bearer …`).
//! - Gemini API: `POST /v1beta/models/{model}:generateContent` (`x-goog-api-key`).
//! - Vertex AI: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:generateContent`
//!   (`Authorization: Bearer …`).
//!
//! The fake is started with the job's source and options and builds every kind's answer up
//! front with the extractive engine ([`FakeAnswers`]): the outline first, then each
//! derivative from it. The engine is deterministic, so the outline the pipeline stored from
//! the fake's earlier answer is the one the derivative answers were built from. Which kind a
//! call asks for is read from its response schema ([`kind_of_schema`]); OpenAI's
//! `response_format.json_schema.name`, when it is a kind's slug, is taken first.
//!
//! Each answered call waits the configured latency first (a slow provider), reports usage
//! of about four characters per token (request body in, answer out), and is recorded
//! ([`RecordedRequest`]) so a test can check what its client sent. A call without its
//! credential is refused as the real service refuses it (401, or 403 for the Gemini API).
//!
//! Not for: production use, fault injection (rate limits, outages, truncation, malformed
//! answers: provider client tests script those themselves), or judging prompts (it never
//! reads them; it answers from its own source whatever the prompt says). A kind the
//! extractive engine cannot build from the source is answered with a 400 that says why.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::content::{Content, Kind, Options};
use crate::engine::GenerationRequest;
use crate::extractive::ExtractiveEngine;
use crate::source::SourceText;

/// The wire protocol a call used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    OpenAi,
    GeminiApi,
    VertexAi,
}

/// One call the fake received, answered or refused.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub protocol: Protocol,
    /// The request path, e.g. `/v1beta/models/gemini-2.5-flash:generateContent`.
    pub path: String,
    /// The model named in the path (Gemini, Vertex) or the body (OpenAI).
    pub model: String,
    pub headers: HeaderMap,
    /// The request body as JSON (`Null` if it was not JSON).
    pub body: Value,
    /// The kind the fake read from the request, if it could.
    pub kind: Option<Kind>,
    /// The status the fake answered with.
    pub status: StatusCode,
}

/// The kind a response schema describes, told apart by its top-level property names (every
/// kind has one the others lack). `None` for a schema of no kind.
pub fn kind_of_schema(schema: &Value) -> Option<Kind> {
    let properties = schema.get("properties")?.as_object()?;
    [
        ("learning_objectives", Kind::Outline),
        ("speakers", Kind::PodcastScript),
        ("key_concepts", Kind::StudyGuide),
        ("key_takeaways", Kind::OnePager),
        ("introduction", Kind::DetailedReading),
        ("items", Kind::Faq),
        ("cards", Kind::Flashcards),
        ("questions", Kind::ReadingQuestions),
    ]
    .into_iter()
    .find_map(|(property, kind)| properties.contains_key(property).then_some(kind))
}

/// Every kind's answer for one source and options: its content as JSON text (what a model
/// should answer), or why the extractive engine could not build it.
#[derive(Debug, Clone)]
pub struct FakeAnswers {
    by_kind: BTreeMap<Kind, Result<String, String>>,
}

impl FakeAnswers {
    /// Builds all eight kinds from `source` (normalized as the pipeline normalizes it), the
    /// outline first and each derivative from that outline. Runs the extractive engine on
    /// the calling thread.
    ///
    /// # Panics
    /// If the pipeline would refuse `source` (empty, binary, too short or too long).
    pub fn build(source: &str, options: &Options) -> Self {
        let source = SourceText::parse(source)
            .unwrap_or_else(|e| panic!("the fake model's source is refused: {e}"));
        let engine = ExtractiveEngine::new();
        let request = |kind, outline| GenerationRequest {
            kind,
            source: Arc::from(source.as_str()),
            source_sha256: source.sha256(),
            outline,
            options: Arc::new(options.clone()),
        };
        let outline = match engine.build(&request(Kind::Outline, None)) {
            Ok(Content::Outline(outline)) => Ok(Arc::new(outline)),
            Ok(other) => Err(format!("the extractive engine built a {}", other.kind())),
            Err(e) => Err(e.to_string()),
        };
        let by_kind = Kind::ALL
            .into_iter()
            .map(|kind| {
                let answer = match (&outline, kind) {
                    (Ok(outline), Kind::Outline) => Ok(Content::Outline((**outline).clone())),
                    (Ok(outline), _) => engine
                        .build(&request(kind, Some(Arc::clone(outline))))
                        .map_err(|e| e.to_string()),
                    (Err(e), _) => Err(format!("no outline: {e}")),
                };
                let text = answer
                    .map(|content| content.body().to_string())
                    .map_err(|e| format!("the fake model cannot build the {kind}: {e}"));
                (kind, text)
            })
            .collect();
        Self { by_kind }
    }

    /// The JSON text answered for `kind`, or why there is none.
    pub fn get(&self, kind: Kind) -> Result<&str, &str> {
        match &self.by_kind[&kind] {
            Ok(text) => Ok(text),
            Err(reason) => Err(reason),
        }
    }
}

/// A running fake provider on `127.0.0.1` and a free port. Stops when dropped.
#[derive(Debug)]
pub struct FakeModelServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

#[derive(Debug)]
struct Shared {
    answers: FakeAnswers,
    latency: Duration,
    log: Mutex<Vec<RecordedRequest>>,
}

impl FakeModelServer {
    /// Builds the answers for `source` and `options` (see [`FakeAnswers::build`]) and serves
    /// them on the current Tokio runtime, each after `latency`.
    ///
    /// # Panics
    /// If the source is refused or no local port can be bound.
    pub async fn start(source: &str, options: Options, latency: Duration) -> Self {
        let shared = Arc::new(Shared {
            answers: FakeAnswers::build(source, &options),
            latency,
            log: Mutex::default(),
        });
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("the fake model binds a local port");
        let address = listener
            .local_addr()
            .expect("a bound socket has an address");
        let app = router(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "the fake model server stopped");
            }
        });
        Self {
            address,
            shared,
            server,
        }
    }

    /// `http://127.0.0.1:PORT`, the root every protocol's path is under (for OpenAI clients
    /// that want the API root, that is `{base_url}/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The full URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }

    /// What the fake answers, kind by kind.
    pub fn answers(&self) -> &FakeAnswers {
        &self.shared.answers
    }

    /// Every call received so far, in order of arrival.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.log().clone()
    }

    /// How many calls were received so far.
    pub fn request_count(&self) -> usize {
        self.log().len()
    }

    fn log(&self) -> std::sync::MutexGuard<'_, Vec<RecordedRequest>> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for FakeModelServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/chat/completions", post(openai))
        .route("/v1beta/models/{model_action}", post(gemini_api))
        .route(
            "/v1/projects/{project}/locations/{location}/publishers/google/models/{model_action}",
            post(vertex_ai),
        )
        .with_state(shared)
}

/// A call as the handlers see it, before the protocol-specific parts are read.
struct Call {
    protocol: Protocol,
    path: String,
    model: String,
    headers: HeaderMap,
    body: Value,
    body_chars: usize,
}

/// What the fake decided about a call.
enum Outcome {
    Answer { kind: Kind, text: String },
    Refuse { status: StatusCode, message: String },
}

async fn openai(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let (body, body_chars) = read_json(&body);
    let call = Call {
        protocol: Protocol::OpenAi,
        path: "/v1/chat/completions".into(),
        model: body["model"].as_str().unwrap_or_default().to_owned(),
        headers,
        body,
        body_chars,
    };
    let outcome = if bearer(&call.headers).is_none() {
        refuse(
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth.",
        )
    } else if !call.body["messages"].is_array() {
        refuse(StatusCode::BAD_REQUEST, "`messages` is required")
    } else {
        let format = &call.body["response_format"]["json_schema"];
        let by_name = format["name"].as_str().and_then(|name| name.parse().ok());
        choose(
            &shared.answers,
            by_name.or_else(|| kind_of_schema(&format["schema"])),
        )
    };
    let (status, json) = respond(&shared, &call, outcome).await;
    let json = match json {
        Ok((text, usage)) => json!({
            "id": format!("chatcmpl-fake-{}", ulid::Ulid::new()),
            "object": "chat.completion",
            "created": SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            "model": call.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }],
            "usage": {
                "prompt_tokens": usage.0,
                "completion_tokens": usage.1,
                "total_tokens": usage.0 + usage.1,
            },
        }),
        Err(message) => json!({
            "error": {
                "message": message,
                "type": "invalid_request_error",
                "param": null,
                "code": null,
            }
        }),
    };
    (status, axum::Json(json)).into_response()
}

async fn gemini_api(
    State(shared): State<Arc<Shared>>,
    Path(model_action): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/v1beta/models/{model_action}");
    let authorized = headers
        .get("x-goog-api-key")
        .is_some_and(|key| !key.as_bytes().trim_ascii().is_empty());
    let refusal = (!authorized).then_some((
        StatusCode::FORBIDDEN,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    ));
    generate_content(
        &shared,
        Protocol::GeminiApi,
        path,
        &model_action,
        headers,
        &body,
        refusal,
    )
    .await
}

async fn vertex_ai(
    State(shared): State<Arc<Shared>>,
    Path((project, location, model_action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!(
        "/v1/projects/{project}/locations/{location}/publishers/google/models/{model_action}"
    );
    let refusal = bearer(&headers).is_none().then_some((
        StatusCode::UNAUTHORIZED,
        "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
    ));
    generate_content(
        &shared,
        Protocol::VertexAi,
        path,
        &model_action,
        headers,
        &body,
        refusal,
    )
    .await
}

/// The Gemini API and Vertex AI share the `generateContent` body and answer.
async fn generate_content(
    shared: &Shared,
    protocol: Protocol,
    path: String,
    model_action: &str,
    headers: HeaderMap,
    body: &Bytes,
    refusal: Option<(StatusCode, &str)>,
) -> Response {
    let (body, body_chars) = read_json(body);
    let (model, action) = model_action.rsplit_once(':').unwrap_or((model_action, ""));
    let call = Call {
        protocol,
        path,
        model: model.to_owned(),
        headers,
        body,
        body_chars,
    };
    let outcome = if action != "generateContent" {
        refuse(
            StatusCode::NOT_FOUND,
            &format!("the fake model serves `generateContent` only, not `{action}`"),
        )
    } else if let Some((status, message)) = refusal {
        refuse(status, message)
    } else if !call.body["contents"].is_array() {
        refuse(StatusCode::BAD_REQUEST, "`contents` is required")
    } else {
        let config = &call.body["generationConfig"];
        let schema = config
            .get("responseSchema")
            .or_else(|| config.get("responseJsonSchema"));
        choose(&shared.answers, schema.and_then(kind_of_schema))
    };
    let (status, json) = respond(shared, &call, outcome).await;
    let json = match json {
        Ok((text, usage)) => json!({
            "candidates": [{
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": "STOP",
                "index": 0,
            }],
            "usageMetadata": {
                "promptTokenCount": usage.0,
                "candidatesTokenCount": usage.1,
                "totalTokenCount": usage.0 + usage.1,
            },
            "modelVersion": call.model,
        }),
        Err(message) => json!({
            "error": {
                "code": status.as_u16(),
                "message": message,
                "status": google_status(status),
            }
        }),
    };
    (status, axum::Json(json)).into_response()
}

/// The body as JSON (`Null` if it is not) and its length in characters.
fn read_json(body: &Bytes) -> (Value, usize) {
    let text = String::from_utf8_lossy(body);
    (
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text.chars().count(),
    )
}

/// The token of an `Authorization: Bearer …` header, if there is a non-empty one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

fn refuse(status: StatusCode, message: &str) -> Outcome {
    Outcome::Refuse {
        status,
        message: message.to_owned(),
    }
}

/// The answer for the kind a call asked for, or a 400 that says why there is none.
fn choose(answers: &FakeAnswers, kind: Option<Kind>) -> Outcome {
    let Some(kind) = kind else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "the fake model reads the kind from the response schema, and this request has none it knows",
        );
    };
    match answers.get(kind) {
        Ok(text) => Outcome::Answer {
            kind,
            text: text.to_owned(),
        },
        Err(reason) => refuse(StatusCode::BAD_REQUEST, reason),
    }
}

/// Records the call, waits the latency before an answer, and gives the status with either
/// the answer text and its `(input, output)` tokens or the refusal's message.
async fn respond(
    shared: &Shared,
    call: &Call,
    outcome: Outcome,
) -> (StatusCode, Result<(String, (u64, u64)), String>) {
    let (status, kind) = match &outcome {
        Outcome::Answer { kind, .. } => (StatusCode::OK, Some(*kind)),
        Outcome::Refuse { status, .. } => (*status, None),
    };
    shared
        .log
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(RecordedRequest {
            protocol: call.protocol,
            path: call.path.clone(),
            model: call.model.clone(),
            headers: call.headers.clone(),
            body: call.body.clone(),
            kind,
            status,
        });
    match outcome {
        Outcome::Answer { text, .. } => {
            tokio::time::sleep(shared.latency).await;
            let usage = (
                (call.body_chars / 4) as u64,
                (text.chars().count() / 4) as u64,
            );
            (status, Ok((text, usage)))
        }
        Outcome::Refuse { message, .. } => (status, Err(message)),
    }
}

/// Google's name for an HTTP status in error bodies.
fn google_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
        StatusCode::FORBIDDEN => "PERMISSION_DENIED",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        _ => "INVALID_ARGUMENT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::ValidationContext;

    const SOURCE: &str = include_str!("../../../examples/note-tcp-handshake.txt");

    async fn fake() -> FakeModelServer {
        FakeModelServer::start(SOURCE, Options::default(), Duration::ZERO).await
    }

    fn openai_body(kind: Kind, name: &str) -> Value {
        json!({
            "model": "gpt-fake",
            "messages": [
                {"role": "system", "content": "You write learning materials."},
                {"role": "user", "content": format!("Write the {kind} of the source.")},
            ],
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": kind.json_schema(), "strict": true},
            },
            "temperature": 0.4,
            "max_completion_tokens": 4096,
        })
    }

    fn gemini_body(kind: Kind, schema_field: &str) -> Value {
        json!({
            "systemInstruction": {"parts": [{"text": "You write learning materials."}]},
            "contents": [{"role": "user", "parts": [{"text": format!("Write the {kind}.")}]}],
            "generationConfig": {
                "responseMimeType": "application/json",
                schema_field: kind.json_schema(),
                "temperature": 0.4,
                "maxOutputTokens": 4096,
            },
        })
    }

    async fn post(request: reqwest::RequestBuilder, body: &Value) -> (StatusCode, Value) {
        let response = request.json(body).send().await.unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        (status, response.json().await.unwrap())
    }

    /// Parses an answer as `kind` and checks it against the fake's own outline.
    fn assert_valid(fake: &FakeModelServer, kind: Kind, text: &str) {
        let content = Content::parse_json(kind, text).unwrap();
        let Content::Outline(outline) =
            Content::parse_json(Kind::Outline, fake.answers().get(Kind::Outline).unwrap()).unwrap()
        else {
            unreachable!("parsed as an outline")
        };
        let options = Options::default();
        let ctx = ValidationContext {
            outline: Some(&outline),
            source_chars: Some(SourceText::parse(SOURCE).unwrap().chars()),
            options: &options,
        };
        assert_eq!(content.validate(&ctx), Vec::new(), "{kind}");
    }

    #[test]
    fn every_kind_is_told_apart_by_its_schema() {
        for kind in Kind::ALL {
            assert_eq!(kind_of_schema(&kind.json_schema()), Some(kind));
        }
        assert_eq!(kind_of_schema(&json!({"type": "object"})), None);
    }

    #[tokio::test]
    async fn openai_chat_completions_answer_every_kind_validly() {
        let fake = fake().await;
        let client = reqwest::Client::new();
        for kind in Kind::ALL {
            let (status, answer) = post(
                client
                    .post(fake.url("/v1/chat/completions"))
                    .bearer_auth("sk-test"),
                &openai_body(kind, kind.slug()),
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{answer}");
            assert_eq!(answer["object"], "chat.completion");
            assert_eq!(answer["model"], "gpt-fake");
            assert_eq!(answer["choices"][0]["finish_reason"], "stop");
            assert_eq!(answer["choices"][0]["message"]["role"], "assistant");
            let text = answer["choices"][0]["message"]["content"].as_str().unwrap();
            assert_valid(&fake, kind, text);
            let usage = &answer["usage"];
            assert!(usage["prompt_tokens"].as_u64().unwrap() > 0);
            assert_eq!(
                usage["completion_tokens"].as_u64().unwrap(),
                (text.chars().count() / 4) as u64
            );
        }
        let log = fake.requests();
        assert_eq!(fake.request_count(), Kind::ALL.len());
        assert_eq!(log[1].kind, Some(Kind::PodcastScript));
        assert_eq!(log[1].headers["authorization"], "Bearer sk-test");
        assert_eq!(log[1].body["model"], "gpt-fake");
    }

    #[tokio::test]
    async fn a_schema_name_that_is_no_slug_falls_back_to_the_schema() {
        let fake = fake().await;
        let (status, answer) = post(
            reqwest::Client::new()
                .post(fake.url("/v1/chat/completions"))
                .bearer_auth("sk-test"),
            &openai_body(Kind::Flashcards, "answer"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let text = answer["choices"][0]["message"]["content"].as_str().unwrap();
        assert_valid(&fake, Kind::Flashcards, text);
    }

    #[tokio::test]
    async fn the_gemini_api_answers_with_the_key_header() {
        let fake = fake().await;
        let (status, answer) = post(
            reqwest::Client::new()
                .post(fake.url("/v1beta/models/gemini-2.5-flash:generateContent"))
                .header("x-goog-api-key", "AIza-test"),
            &gemini_body(Kind::Faq, "responseJsonSchema"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        let candidate = &answer["candidates"][0];
        assert_eq!(candidate["finishReason"], "STOP");
        assert_eq!(candidate["content"]["role"], "model");
        assert_eq!(answer["modelVersion"], "gemini-2.5-flash");
        let metadata = &answer["usageMetadata"];
        assert_eq!(
            metadata["totalTokenCount"].as_u64(),
            Some(
                metadata["promptTokenCount"].as_u64().unwrap()
                    + metadata["candidatesTokenCount"].as_u64().unwrap()
            )
        );
        assert_valid(
            &fake,
            Kind::Faq,
            candidate["content"]["parts"][0]["text"].as_str().unwrap(),
        );
        let recorded = &fake.requests()[0];
        assert_eq!(recorded.protocol, Protocol::GeminiApi);
        assert_eq!(recorded.model, "gemini-2.5-flash");
    }

    #[tokio::test]
    async fn vertex_ai_answers_with_a_bearer_token() {
        let fake = fake().await;
        let path = "/v1/projects/demo/locations/us-central1/publishers/google/models/gemini-2.5-pro:generateContent";
        let (status, answer) = post(
            reqwest::Client::new()
                .post(fake.url(path))
                .bearer_auth("ya29.test"),
            &gemini_body(Kind::StudyGuide, "responseSchema"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_valid(
            &fake,
            Kind::StudyGuide,
            answer["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap(),
        );
        let recorded = &fake.requests()[0];
        assert_eq!(
            (recorded.protocol, recorded.path.as_str()),
            (Protocol::VertexAi, path)
        );
    }

    #[tokio::test]
    async fn calls_without_their_credential_are_refused_like_the_real_services() {
        let fake = fake().await;
        let client = reqwest::Client::new();
        let vertex = "/v1/projects/demo/locations/global/publishers/google/models/gemini-2.5-flash:generateContent";
        let cases = [
            (
                client.post(fake.url("/v1/chat/completions")),
                openai_body(Kind::Faq, "faq"),
                StatusCode::UNAUTHORIZED,
            ),
            (
                client
                    .post(fake.url("/v1/chat/completions"))
                    .header("authorization", "Basic dXNlcjpwYXNz"),
                openai_body(Kind::Faq, "faq"),
                StatusCode::UNAUTHORIZED,
            ),
            (
                client
                    .post(fake.url("/v1beta/models/gemini-2.5-flash:generateContent"))
                    .bearer_auth("not-a-key-header"),
                gemini_body(Kind::Faq, "responseSchema"),
                StatusCode::FORBIDDEN,
            ),
            (
                client
                    .post(fake.url(vertex))
                    .header("x-goog-api-key", "AIza-test"),
                gemini_body(Kind::Faq, "responseSchema"),
                StatusCode::UNAUTHORIZED,
            ),
        ];
        for (request, body, expected) in cases {
            let (status, answer) = post(request, &body).await;
            assert_eq!(status, expected, "{answer}");
            assert!(answer["error"]["message"].is_string(), "{answer}");
        }
        assert!(
            fake.requests()
                .iter()
                .all(|r| r.kind.is_none() && r.status != StatusCode::OK)
        );
    }

    #[tokio::test]
    async fn a_request_without_a_known_schema_is_a_bad_request() {
        let fake = fake().await;
        let mut body = gemini_body(Kind::Faq, "responseSchema");
        body["generationConfig"]["responseSchema"] = json!({"type": "object"});
        let (status, answer) = post(
            reqwest::Client::new()
                .post(fake.url("/v1beta/models/gemini-2.5-flash:generateContent"))
                .header("x-goog-api-key", "AIza-test"),
            &body,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(answer["error"]["status"], "INVALID_ARGUMENT");
    }

    #[tokio::test]
    async fn answers_wait_the_latency() {
        let latency = Duration::from_millis(150);
        let fake = FakeModelServer::start(SOURCE, Options::default(), latency).await;
        let started = std::time::Instant::now();
        let (status, _) = post(
            reqwest::Client::new()
                .post(fake.url("/v1/chat/completions"))
                .bearer_auth("sk-test"),
            &openai_body(Kind::Outline, "outline"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(started.elapsed() >= latency);
    }
}
