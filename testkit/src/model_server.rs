//! A fake model provider: a local HTTP server that
//! speaks enough of three wire protocols for a real client to talk to it, and answers every
//! call with *valid* content, so a whole job succeeds through the real pipeline — unless it
//! is told to fail some calls ([`Faults`]).
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
//! Fault injection ([`FakeModelServer::start_with_faults`]): a share of the calls that would
//! be answered meet a [`Fault`] instead, chosen from the call's arrival number and a seed
//! (the same seed gives the n-th call the same fault): a 429 with `Retry-After: 1`, a 500, a
//! hang past the client's timeout, a 200 whose text is not JSON, a 200 cut off by the output
//! limit, or a 200 stopped by a safety filter, each in the shape the real service sends (see
//! [`Fault`] for what the clients in `factory_shared::model::openai` and `factory_shared::model::gemini` make of each).
//! [`FakeModelServer::stats`] counts the calls, the faults of each type and the tokens the
//! fake reported, so a test can compare them with what the factory recorded.
//!
//! Not for: production use, or judging prompts (it never reads them; it answers from its own
//! source whatever the prompt says). A kind the extractive engine cannot build from the
//! source is answered with a 400 that says why.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use factory_shared::content::{Content, Kind, Options};
use factory_shared::extractive::ExtractiveEngine;
use factory_shared::generation::GenerationRequest;
use factory_shared::model::TokenUsage;
use factory_shared::source::SourceText;

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
    /// The status the fake answered (or, for a hang, would answer) with.
    pub status: StatusCode,
    /// The fault the call met instead of its answer, if any.
    pub fault: Option<Fault>,
}

/// A failure the fake gives a call instead of its valid answer, and what the provider
/// clients make of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fault {
    /// 429 with `Retry-After: 1` (OpenAI's `rate_limit_exceeded`, Google's
    /// `RESOURCE_EXHAUSTED`): [`super::ModelError::RateLimited`], retried after a second.
    RateLimited,
    /// 500 (OpenAI's `server_error`, Google's `INTERNAL`): [`super::ModelError::Unavailable`].
    ServerError,
    /// Nothing for [`Faults::hang`], then a 504: longer than the client's timeout, so it is
    /// [`super::ModelError::Timeout`].
    Hang,
    /// 200 whose answer text is prose, not JSON: the client returns it, and the engine sends
    /// it back for a repair.
    Malformed,
    /// 200 with the first half of the answer, cut off by the output limit (OpenAI
    /// `finish_reason: "length"`, Gemini `MAX_TOKENS`): [`super::ModelError::Truncated`].
    Truncated,
    /// 200 stopped by a safety filter: on odd call numbers the answer (OpenAI
    /// `finish_reason: "content_filter"`, Gemini `finishReason: SAFETY`), on even ones the
    /// request (an OpenAI `refusal`, Gemini `promptFeedback.blockReason: SAFETY`):
    /// [`super::ModelError::Blocked`].
    Blocked,
}

impl Fault {
    pub const ALL: [Fault; 6] = [
        Fault::RateLimited,
        Fault::ServerError,
        Fault::Hang,
        Fault::Malformed,
        Fault::Truncated,
        Fault::Blocked,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Fault::RateLimited => "rate_limited",
            Fault::ServerError => "server_error",
            Fault::Hang => "hang",
            Fault::Malformed => "malformed",
            Fault::Truncated => "truncated",
            Fault::Blocked => "blocked",
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// Which calls fail, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// The share of answerable calls that meet a fault, from 0 to 1.
    pub rate: f64,
    /// Seeds the choice: the same seed gives the n-th call the same fault.
    pub seed: u64,
    /// The faults to pick from, each as likely as the others.
    pub kinds: Vec<Fault>,
    /// How long a [`Fault::Hang`] keeps the caller waiting; make it longer than the client's
    /// timeout.
    pub hang: Duration,
}

impl Faults {
    /// `rate` of the calls fail, with every fault equally likely, hangs lasting 5 s.
    pub fn mixed(rate: f64, seed: u64) -> Self {
        Self {
            rate,
            seed,
            kinds: Fault::ALL.to_vec(),
            hang: Duration::from_secs(5),
        }
    }

    /// Every call meets `fault`.
    pub fn always(fault: Fault) -> Self {
        Self {
            rate: 1.0,
            seed: 0,
            kinds: vec![fault],
            hang: Duration::from_secs(5),
        }
    }

    #[must_use]
    pub fn with_hang(mut self, hang: Duration) -> Self {
        self.hang = hang;
        self
    }

    /// The fault of call number `n` (from 0), if it meets one.
    pub fn pick(&self, n: u64) -> Option<Fault> {
        if self.kinds.is_empty() {
            return None;
        }
        let unit = (mix(self.seed, 2 * n) >> 11) as f64 / (1u64 << 53) as f64;
        if unit >= self.rate {
            return None;
        }
        let index = mix(self.seed, 2 * n + 1) % self.kinds.len() as u64;
        Some(self.kinds[index as usize])
    }
}

/// The `lane`-th value of a SplitMix64 sequence started at `seed`.
fn mix(seed: u64, lane: u64) -> u64 {
    const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut z = seed.wrapping_add(lane.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// What the fake did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeStats {
    /// Calls for a kind the fake can answer (faulted or not; refusals are not counted).
    pub calls: usize,
    /// Calls answered with the valid content.
    pub answered: usize,
    /// Calls that met each fault.
    pub faults: BTreeMap<Fault, usize>,
    /// Tokens reported in every 200 sent (valid answers, malformed, truncated and blocked
    /// ones alike): what a provider would bill. Counted when the reply leaves, after the
    /// latency: a call whose client gave up (or died) while waiting is not counted.
    pub usage: TokenUsage,
}

impl FakeStats {
    /// Calls that met a fault.
    pub fn faulted(&self) -> usize {
        self.faults.values().sum()
    }
}

/// The kind a response schema describes: the one whose own schema names exactly the same
/// properties, at every depth (no two kinds share them; a test in the shared crate checks
/// it). Derived from the kinds' schemas, so a new kind is recognised without a change here.
/// `None` for a schema of no kind.
pub fn kind_of_schema(schema: &Value) -> Option<Kind> {
    let asked = property_names(schema);
    if asked.is_empty() {
        return None;
    }
    Kind::ALL
        .into_iter()
        .find(|kind| property_names(&kind.json_schema()) == asked)
}

/// Every property name anywhere in a schema (its definitions included), whatever the
/// provider dialect did to types and references.
fn property_names(schema: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut stack = vec![schema];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    names.extend(properties.keys().cloned());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    names
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
    faults: Option<Faults>,
    /// Numbers the answerable calls in order of arrival, for [`Faults::pick`].
    next_call: AtomicU64,
    log: Mutex<Vec<RecordedRequest>>,
    stats: Mutex<FakeStats>,
}

impl FakeModelServer {
    /// Builds the answers for `source` and `options` (see [`FakeAnswers::build`]) and serves
    /// them on the current Tokio runtime, each after `latency`.
    ///
    /// # Panics
    /// If the source is refused or no local port can be bound.
    pub async fn start(source: &str, options: Options, latency: Duration) -> Self {
        Self::launch(source, options, latency, None).await
    }

    /// Like [`FakeModelServer::start`], but the calls `faults` picks meet a fault instead of
    /// their answer (after the same latency, except a hang).
    ///
    /// # Panics
    /// If the source is refused or no local port can be bound.
    pub async fn start_with_faults(
        source: &str,
        options: Options,
        latency: Duration,
        faults: Faults,
    ) -> Self {
        Self::launch(source, options, latency, Some(faults)).await
    }

    async fn launch(
        source: &str,
        options: Options,
        latency: Duration,
        faults: Option<Faults>,
    ) -> Self {
        let shared = Arc::new(Shared {
            answers: FakeAnswers::build(source, &options),
            latency,
            faults,
            next_call: AtomicU64::new(0),
            log: Mutex::default(),
            stats: Mutex::default(),
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
        self.shared.log().clone()
    }

    /// How many calls were received so far.
    pub fn request_count(&self) -> usize {
        self.shared.log().len()
    }

    /// Calls, faults and reported tokens so far.
    pub fn stats(&self) -> FakeStats {
        lock(&self.shared.stats).clone()
    }
}

impl Drop for FakeModelServer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Shared {
    fn log(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        lock(&self.log)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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

/// What the fake decided about a call from its request alone.
enum Outcome {
    Answer { kind: Kind, text: String },
    Refuse { status: StatusCode, message: String },
}

/// What the fake sends back, before it is put in a protocol's words.
enum Reply {
    /// A 200 with answer text, complete or cut off by the output limit.
    Text {
        text: String,
        cut_off: bool,
        usage: TokenUsage,
    },
    /// A 200 with no text: a safety filter stopped the answer, or the request.
    Blocked { request: bool, usage: TokenUsage },
    /// An error status.
    Error {
        status: StatusCode,
        message: String,
        retry_after: Option<u64>,
    },
}

impl Reply {
    fn error(status: StatusCode, message: impl Into<String>) -> Self {
        Self::Error {
            status,
            message: message.into(),
            retry_after: None,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Text { .. } | Self::Blocked { .. } => StatusCode::OK,
            Self::Error { status, .. } => *status,
        }
    }

    fn usage(&self) -> Option<TokenUsage> {
        match self {
            Self::Text { usage, .. } | Self::Blocked { usage, .. } => Some(*usage),
            Self::Error { .. } => None,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Error { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
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
    let reply = respond(&shared, &call, outcome).await;
    let completion = |message: Value, finish_reason: &str, usage: TokenUsage| {
        json!({
            "id": format!("chatcmpl-fake-{}", ulid::Ulid::new()),
            "object": "chat.completion",
            "created": SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            "model": call.model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {
                "prompt_tokens": usage.input_tokens,
                "completion_tokens": usage.output_tokens,
                "total_tokens": usage.input_tokens + usage.output_tokens,
            },
        })
    };
    let json = match &reply {
        Reply::Text {
            text,
            cut_off,
            usage,
        } => completion(
            json!({"role": "assistant", "content": text}),
            if *cut_off { "length" } else { "stop" },
            *usage,
        ),
        Reply::Blocked {
            request: true,
            usage,
        } => completion(
            json!({
                "role": "assistant",
                "content": null,
                "refusal": "I'm sorry, but I can't help with that request.",
            }),
            "stop",
            *usage,
        ),
        Reply::Blocked {
            request: false,
            usage,
        } => completion(
            json!({"role": "assistant", "content": null}),
            "content_filter",
            *usage,
        ),
        Reply::Error {
            status, message, ..
        } => {
            let (kind, code) = match status.as_u16() {
                429 => ("requests", json!("rate_limit_exceeded")),
                500..=599 => ("server_error", Value::Null),
                _ => ("invalid_request_error", Value::Null),
            };
            json!({
                "error": {"message": message, "type": kind, "param": null, "code": code}
            })
        }
    };
    send(&reply, &json)
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
    let reply = respond(shared, &call, outcome).await;
    let metadata = |usage: TokenUsage| {
        json!({
            "promptTokenCount": usage.input_tokens,
            "candidatesTokenCount": usage.output_tokens,
            "totalTokenCount": usage.input_tokens + usage.output_tokens,
        })
    };
    let json = match &reply {
        Reply::Text {
            text,
            cut_off,
            usage,
        } => json!({
            "candidates": [{
                "content": {"role": "model", "parts": [{"text": text}]},
                "finishReason": if *cut_off { "MAX_TOKENS" } else { "STOP" },
                "index": 0,
            }],
            "usageMetadata": metadata(*usage),
            "modelVersion": call.model,
        }),
        Reply::Blocked {
            request: true,
            usage,
        } => json!({
            "promptFeedback": {
                "blockReason": "SAFETY",
                "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}],
            },
            "usageMetadata": {"promptTokenCount": usage.input_tokens, "totalTokenCount": usage.input_tokens},
            "modelVersion": call.model,
        }),
        Reply::Blocked {
            request: false,
            usage,
        } => json!({
            "candidates": [{
                "finishReason": "SAFETY",
                "index": 0,
                "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true}],
            }],
            "usageMetadata": metadata(*usage),
            "modelVersion": call.model,
        }),
        Reply::Error {
            status, message, ..
        } => json!({
            "error": {
                "code": status.as_u16(),
                "message": message,
                "status": google_status(*status),
            }
        }),
    };
    send(&reply, &json)
}

/// The reply's status and `Retry-After` with `json` as its body.
fn send(reply: &Reply, json: &Value) -> Response {
    let mut response = (reply.status(), axum::Json(json)).into_response();
    if let Some(seconds) = reply.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
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

/// About four characters per token.
fn tokens(chars: usize) -> u64 {
    (chars / 4) as u64
}

/// Decides the reply (an answer may meet a fault), records the call, waits the latency (or
/// the hang) before anything but a refusal, and counts what was sent.
async fn respond(shared: &Shared, call: &Call, outcome: Outcome) -> Reply {
    let (reply, kind, fault) = match outcome {
        Outcome::Refuse { status, message } => {
            let reply = Reply::error(status, message);
            shared.log().push(record(call, None, &reply, None));
            return reply;
        }
        Outcome::Answer { kind, text } => {
            let n = shared.next_call.fetch_add(1, Ordering::SeqCst);
            let fault = shared.faults.as_ref().and_then(|faults| faults.pick(n));
            (faulty_reply(call, text, fault, n), kind, fault)
        }
    };
    shared.log().push(record(call, Some(kind), &reply, fault));
    {
        let mut stats = lock(&shared.stats);
        stats.calls += 1;
        match fault {
            Some(fault) => *stats.faults.entry(fault).or_default() += 1,
            None => stats.answered += 1,
        }
    }
    let wait = match (fault, &shared.faults) {
        (Some(Fault::Hang), Some(faults)) => faults.hang,
        _ => shared.latency,
    };
    tokio::time::sleep(wait).await;
    if let Some(usage) = reply.usage() {
        lock(&shared.stats).usage.add(usage);
    }
    reply
}

/// The reply to an answerable call: its answer, or the fault it met (call number `n`).
fn faulty_reply(call: &Call, text: String, fault: Option<Fault>, n: u64) -> Reply {
    let input = tokens(call.body_chars);
    let usage = |output: &str| TokenUsage {
        input_tokens: input,
        output_tokens: tokens(output.chars().count()),
    };
    match fault {
        None => Reply::Text {
            usage: usage(&text),
            text,
            cut_off: false,
        },
        Some(Fault::RateLimited) => Reply::Error {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: "Rate limit reached for requests per minute. Please try again in 1s.".into(),
            retry_after: Some(1),
        },
        Some(Fault::ServerError) => Reply::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server had an error while processing your request. Sorry about that!",
        ),
        Some(Fault::Hang) => Reply::error(
            StatusCode::GATEWAY_TIMEOUT,
            "the fake model hung on purpose and gave up",
        ),
        Some(Fault::Malformed) => {
            let prose = "Certainly! Here is what you asked for, written out in plain words \
                         rather than as the JSON object you wanted.";
            Reply::Text {
                usage: usage(prose),
                text: prose.into(),
                cut_off: false,
            }
        }
        Some(Fault::Truncated) => {
            let half = text
                .char_indices()
                .nth(text.chars().count() / 2)
                .map_or(text.len(), |(i, _)| i);
            let cut = text[..half].to_owned();
            Reply::Text {
                usage: usage(&cut),
                text: cut,
                cut_off: true,
            }
        }
        Some(Fault::Blocked) => Reply::Blocked {
            request: n.is_multiple_of(2),
            usage: usage(""),
        },
    }
}

fn record(call: &Call, kind: Option<Kind>, reply: &Reply, fault: Option<Fault>) -> RecordedRequest {
    RecordedRequest {
        protocol: call.protocol,
        path: call.path.clone(),
        model: call.model.clone(),
        headers: call.headers.clone(),
        body: call.body.clone(),
        kind,
        status: reply.status(),
        fault,
    }
}

/// Google's name for an HTTP status in error bodies.
fn google_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "UNAUTHENTICATED",
        StatusCode::FORBIDDEN => "PERMISSION_DENIED",
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::TOO_MANY_REQUESTS => "RESOURCE_EXHAUSTED",
        StatusCode::INTERNAL_SERVER_ERROR => "INTERNAL",
        StatusCode::GATEWAY_TIMEOUT => "DEADLINE_EXCEEDED",
        _ => "INVALID_ARGUMENT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use factory_shared::content::ValidationContext;

    const SOURCE: &str = include_str!("../../examples/note-tcp-handshake.txt");

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

    #[test]
    fn faults_follow_their_seed_and_rate() {
        let faults = Faults::mixed(0.3, 42);
        let picks: Vec<Option<Fault>> = (0..10_000).map(|n| faults.pick(n)).collect();
        let again: Vec<Option<Fault>> = (0..10_000).map(|n| faults.pick(n)).collect();
        assert_eq!(picks, again, "the same seed gives the same faults");
        let other: Vec<Option<Fault>> = (0..10_000)
            .map(|n| Faults::mixed(0.3, 43).pick(n))
            .collect();
        assert_ne!(picks, other, "another seed gives other faults");
        let failed = picks.iter().flatten().count();
        assert!((2_700..=3_300).contains(&failed), "{failed} of 10,000");
        for fault in Fault::ALL {
            let count = picks.iter().filter(|p| **p == Some(fault)).count();
            assert!((350..=650).contains(&count), "{fault}: {count}");
        }
        assert_eq!(Faults::mixed(0.0, 42).pick(3), None);
        assert_eq!(
            Faults::always(Fault::Hang).pick(3),
            Some(Fault::Hang),
            "a rate of 1 fails every call"
        );
    }

    /// One call through `model` (one attempt, timing out after 300 ms) for `kind`.
    async fn call_through(
        model: Arc<dyn factory_shared::model::TextModel>,
        kind: Kind,
    ) -> Result<factory_shared::model::ModelResponse, factory_shared::model::ModelError> {
        use factory_shared::model::resilient::{Resilient, RetryPolicy};
        use factory_shared::model::{ModelRequest, TextModel, Turn};
        let policy = RetryPolicy {
            max_attempts: 1,
            call_timeout: Duration::from_millis(300),
            ..RetryPolicy::default()
        };
        let request = ModelRequest {
            system: "You write learning materials.".into(),
            turns: vec![Turn::user(format!("Write the {kind}."))],
            schema: kind.json_schema(),
            schema_name: kind.slug().into(),
            temperature: 0.4,
            max_output_tokens: 4096,
        };
        Resilient::new(model, policy, 1).generate(&request).await
    }

    fn openai_client(fake: &FakeModelServer) -> Arc<dyn factory_shared::model::TextModel> {
        let url = reqwest::Url::parse(&fake.url("/v1")).unwrap();
        Arc::new(factory_shared::model::openai::OpenAiModel::new(
            reqwest::Client::new(),
            "gpt-fake",
            &url,
            Some("sk-test".into()),
        ))
    }

    fn gemini_client(fake: &FakeModelServer) -> Arc<dyn factory_shared::model::TextModel> {
        let url = reqwest::Url::parse(&fake.base_url()).unwrap();
        Arc::new(factory_shared::model::gemini::GeminiModel::gemini_api(
            reqwest::Client::new(),
            "AIza-test",
            "gemini-2.5-flash",
            Some(url),
        ))
    }

    /// What a client must make of `fault`, given the call's result.
    fn assert_classified(
        fault: Fault,
        result: &Result<factory_shared::model::ModelResponse, factory_shared::model::ModelError>,
        protocol: &str,
    ) {
        use factory_shared::model::ModelError;
        let expected = match (fault, result) {
            (
                Fault::RateLimited,
                Err(ModelError::RateLimited {
                    retry_after: Some(wait),
                    ..
                }),
            ) => *wait == Duration::from_secs(1),
            (Fault::ServerError, Err(ModelError::Unavailable { .. }))
            | (Fault::Hang, Err(ModelError::Timeout(_))) => true,
            (Fault::Malformed, Ok(answer)) => {
                factory_shared::model::engine::parse_answer(Kind::Faq, &answer.text).is_err()
                    && answer.usage.output_tokens > 0
            }
            (Fault::Truncated, Err(ModelError::Truncated { usage, .. })) => {
                usage.input_tokens > 0 && usage.output_tokens > 0
            }
            (Fault::Blocked, Err(ModelError::Blocked { usage, .. })) => usage.input_tokens > 0,
            _ => false,
        };
        assert!(expected, "{protocol} {fault}: {result:?}");
    }

    #[tokio::test]
    async fn every_fault_is_classified_by_both_clients_as_the_real_failure_is() {
        for fault in Fault::ALL {
            let faults = Faults::always(fault).with_hang(Duration::from_secs(2));
            let fake = FakeModelServer::start_with_faults(
                SOURCE,
                Options::default(),
                Duration::ZERO,
                faults,
            )
            .await;
            // Two calls per client: a blocked call is the request's on even call numbers and
            // the answer's on odd ones.
            for (protocol, client) in [
                ("openai", openai_client(&fake)),
                ("gemini", gemini_client(&fake)),
            ] {
                for _ in 0..2 {
                    let result = call_through(Arc::clone(&client), Kind::Faq).await;
                    assert_classified(fault, &result, protocol);
                }
            }
            let stats = fake.stats();
            assert_eq!((stats.calls, stats.answered), (4, 0), "{fault}");
            assert_eq!(stats.faults, BTreeMap::from([(fault, 4)]), "{fault}");
            let recorded = fake.requests();
            assert!(recorded.iter().all(|r| r.fault == Some(fault)), "{fault}");
            let billed = matches!(fault, Fault::Malformed | Fault::Truncated | Fault::Blocked);
            assert_eq!(stats.usage.input_tokens > 0, billed, "{fault}: {stats:?}");
        }
    }

    #[tokio::test]
    async fn a_fault_free_call_reports_the_usage_it_answered_with() {
        let fake = FakeModelServer::start_with_faults(
            SOURCE,
            Options::default(),
            Duration::ZERO,
            Faults::mixed(0.0, 1),
        )
        .await;
        let answer = call_through(openai_client(&fake), Kind::Flashcards)
            .await
            .unwrap();
        let stats = fake.stats();
        assert_eq!((stats.calls, stats.answered, stats.faulted()), (1, 1, 0));
        assert_eq!(stats.usage, answer.usage);
        assert_valid(&fake, Kind::Flashcards, &answer.text);
    }
}
