//! Protocol stand-ins for the Chat Completions servers people run, each accepting exactly
//! what its documentation (and source) says it accepts and answering in its own shapes:
//! success, the refusal of a structured-output mode, the rejection of a parameter.
//!
//! | dialect | `response_format` | output limit | refusal looks like |
//! |---|---|---|---|
//! | `llama-cpp-python` 0.3 | `text`, `json_object` (+ `schema`) | `max_tokens` (`max_completion_tokens` silently dropped) | **500**, FastAPI's `'loc': ('body', …)` |
//! | `llama-server` | `text`, `json_object` (+ `schema`), `json_schema` | both | 400 `{"error": {"code": 400, "message", "type"}}` |
//! | Ollama | `json_schema`; `json_object` (schema silently lost) | `max_tokens` | 500 `invalid JSON schema in format` |
//! | vLLM | `json_schema` (`name` required), `json_object` | both | 400 with `param: "body.…"` |
//! | LM Studio | `json_schema`, `text` | `max_tokens` | 400 `{"error": "'response_format.type' must be …"}` |
//! | OpenAI (reasoning model) | strict `json_schema`, `json_object` | `max_completion_tokens` only; `temperature` only 1 | 400 `unsupported_parameter` / `unsupported_value` with `param` |
//! | a plain server | none: any `response_format` refused | `max_tokens` | 400 naming `response_format` |
//!
//! Every request is recorded with what the server made of it, so a test checks both what
//! the client sent and that the server would have honoured it. The answer's content is
//! whatever the test gives ([`DialectServer::start`]); the servers judge requests, not prompts.
//!
//! Not for: judging answers (see [`crate::model_server`] for a fake that answers every kind
//! validly).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use reqwest::Url;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// An OpenAI-compatible server's dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    LlamaCppPython,
    LlamaServer,
    Ollama,
    Vllm,
    LmStudio,
    /// OpenAI's API with a reasoning model (the strictest about parameters).
    OpenAiReasoning,
    /// A server that takes no `response_format` at all.
    Plain,
}

impl Dialect {
    pub const ALL: [Dialect; 7] = [
        Dialect::LlamaCppPython,
        Dialect::LlamaServer,
        Dialect::Ollama,
        Dialect::Vllm,
        Dialect::LmStudio,
        Dialect::OpenAiReasoning,
        Dialect::Plain,
    ];

    /// The `response_format.type` values the server honours with the schema.
    fn structured_types(self) -> &'static [&'static str] {
        match self {
            Self::LlamaCppPython => &["json_object"],
            Self::LlamaServer | Self::Vllm | Self::OpenAiReasoning => {
                &["json_schema", "json_object"]
            }
            Self::Ollama | Self::LmStudio => &["json_schema"],
            Self::Plain => &[],
        }
    }

    /// The output-limit fields the server reads.
    fn reads(self, field: &str) -> bool {
        match self {
            Self::LlamaCppPython | Self::Ollama | Self::LmStudio | Self::Plain => {
                field == "max_tokens"
            }
            Self::LlamaServer | Self::Vllm => true,
            Self::OpenAiReasoning => field == "max_completion_tokens",
        }
    }
}

/// One request and what the server made of it.
#[derive(Debug, Clone)]
pub struct Handled {
    pub body: Value,
    pub status: u16,
    /// The `response_format.type` sent (`None`: no `response_format`).
    pub format: Option<String>,
    /// Whether the answer was constrained to the request's schema (a dropped schema or a
    /// refusal is `false`).
    pub schema_enforced: bool,
    /// The output limit the server applied (`None`: it read no limit it knows).
    pub limit_read: Option<u64>,
}

#[derive(Debug)]
struct Shared {
    dialect: Dialect,
    content: String,
    handled: Mutex<Vec<Handled>>,
}

/// A running stand-in of one dialect on 127.0.0.1.
#[derive(Debug)]
pub struct DialectServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl DialectServer {
    /// Starts a server of `dialect` whose successful answers carry `content` as the
    /// message text.
    pub async fn start(dialect: Dialect, content: impl Into<String>) -> Self {
        let shared = Arc::new(Shared {
            dialect,
            content: content.into(),
            handled: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("a bound address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, shared, task }
    }

    /// `http://127.0.0.1:PORT/v1`, the base URL a client is configured with.
    pub fn base_url(&self) -> Url {
        Url::parse(&format!("http://{}/v1", self.addr)).expect("a URL")
    }

    /// Every request so far, oldest first.
    pub fn handled(&self) -> Vec<Handled> {
        self.shared
            .handled
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for DialectServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn error(status: u16, body: &Value) -> Response {
    (
        StatusCode::from_u16(status).expect("a status"),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// OpenAI's error object, which vLLM, LM Studio (mostly) and Ollama copy.
fn openai_error(message: &str, kind: &str, param: Option<&str>, code: &Value) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

/// What the dialect answers to a `response_format` it does not take, as (status, body).
fn refuse_format(dialect: Dialect, kind: &str) -> (u16, Value) {
    match dialect {
        Dialect::LlamaCppPython => (
            500,
            openai_error(
                &format!(
                    "1 validation error:\n  {{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': '{kind}', 'ctx': {{'expected': \"'text' or 'json_object'\"}}}}"
                ),
                "internal_server_error",
                None,
                &Value::Null,
            ),
        ),
        Dialect::LlamaServer => (
            400,
            json!({"error": {"code": 400, "message": "response_format type must be one of \"text\" or \"json_object\", but got: ".to_owned() + kind, "type": "invalid_request_error"}}),
        ),
        Dialect::Ollama => (
            500,
            openai_error(
                "invalid JSON schema in format",
                "api_error",
                None,
                &Value::Null,
            ),
        ),
        Dialect::Vllm => (
            400,
            json!({"error": {"message": format!("1 validation error: response_format.type: Input should be 'text', 'json_object' or 'json_schema', got '{kind}'"), "type": "Bad Request", "param": "body.response_format.type", "code": 400}}),
        ),
        Dialect::LmStudio => (
            400,
            json!({"error": "'response_format.type' must be 'json_schema' or 'text'"}),
        ),
        Dialect::OpenAiReasoning | Dialect::Plain => (
            400,
            openai_error(
                &format!("Invalid value: '{kind}'. Supported values are: 'text'."),
                "invalid_request_error",
                Some("response_format.type"),
                &json!("invalid_value"),
            ),
        ),
    }
}

fn is_object_schema(schema: Option<&Value>) -> bool {
    schema.is_some_and(|s| s.get("type") == Some(&json!("object")) || s.get("properties").is_some())
}

async fn chat(State(shared): State<Arc<Shared>>, body: axum::body::Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let (status, answer, enforced, limit) = judge(&shared, &body);
    let format = body["response_format"]["type"].as_str().map(str::to_owned);
    let handled = Handled {
        body: body.clone(),
        status,
        format,
        schema_enforced: enforced,
        limit_read: limit,
    };
    shared
        .handled
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(handled);
    error(status, &answer)
}

/// (status, body, schema enforced, limit read) for one request.
fn judge(shared: &Shared, body: &Value) -> (u16, Value, bool, Option<u64>) {
    let dialect = shared.dialect;
    let malformed = |message: &str| {
        (
            400,
            openai_error(
                message,
                "invalid_request_error",
                Some("messages"),
                &Value::Null,
            ),
            false,
            None,
        )
    };
    let Some(messages) = body["messages"].as_array().filter(|m| !m.is_empty()) else {
        return malformed("messages must be a non-empty array");
    };
    let roles_ok = messages.iter().all(|m| {
        matches!(m["role"].as_str(), Some("system" | "user" | "assistant"))
            && m["content"].is_string()
    });
    if !roles_ok || !body["model"].is_string() {
        return malformed("each message needs a role and string content; the body a model");
    }
    if body.get("max_tokens").is_some()
        && body.get("max_completion_tokens").is_some()
        && dialect == Dialect::OpenAiReasoning
    {
        return (
            400,
            openai_error(
                "max_tokens and max_completion_tokens cannot both be set",
                "invalid_request_error",
                Some("max_tokens"),
                &json!("invalid_request_error"),
            ),
            false,
            None,
        );
    }
    if dialect == Dialect::OpenAiReasoning {
        if body.get("max_tokens").is_some() {
            return (
                400,
                openai_error(
                    "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
                    "invalid_request_error",
                    Some("max_tokens"),
                    &json!("unsupported_parameter"),
                ),
                false,
                None,
            );
        }
        if let Some(t) = body.get("temperature").and_then(Value::as_f64)
            && (t - 1.0).abs() > f64::EPSILON
        {
            return (
                400,
                openai_error(
                    &format!(
                        "Unsupported value: 'temperature' does not support {t} with this model. Only the default (1) value is supported."
                    ),
                    "invalid_request_error",
                    Some("temperature"),
                    &json!("unsupported_value"),
                ),
                false,
                None,
            );
        }
    }
    let format = &body["response_format"];
    let kind = format["type"].as_str();
    let enforced = match kind {
        None | Some("text") => false,
        Some(kind) if !dialect.structured_types().contains(&kind) => {
            // Ollama takes json_object but drops its schema.
            if dialect == Dialect::Ollama && kind == "json_object" {
                false
            } else {
                let (status, answer) = refuse_format(dialect, kind);
                return (status, answer, false, None);
            }
        }
        Some("json_schema") => {
            let spec = &format["json_schema"];
            if dialect == Dialect::Vllm && !spec["name"].is_string() {
                return (
                    400,
                    json!({"error": {"message": "1 validation error: json_schema.name: Field required", "type": "Bad Request", "param": "body.response_format.json_schema.name", "code": 400}}),
                    false,
                    None,
                );
            }
            if dialect == Dialect::OpenAiReasoning
                && spec["schema"]["additionalProperties"] != json!(false)
            {
                return (
                    400,
                    openai_error(
                        "Invalid schema for response_format: 'additionalProperties' is required to be supplied and to be false.",
                        "invalid_request_error",
                        Some("response_format"),
                        &Value::Null,
                    ),
                    false,
                    None,
                );
            }
            if !is_object_schema(spec.get("schema")) {
                let (status, answer) = refuse_format(dialect, "json_schema");
                return (status, answer, false, None);
            }
            true
        }
        Some(_) => is_object_schema(format.get("schema")),
    };
    let limit = ["max_completion_tokens", "max_tokens"]
        .into_iter()
        .filter(|field| dialect.reads(field))
        .find_map(|field| body.get(field).and_then(Value::as_u64));
    let mut message = json!({"role": "assistant", "content": shared.content});
    if dialect == Dialect::OpenAiReasoning {
        message["refusal"] = Value::Null;
    }
    let answer = json!({
        "id": "chatcmpl-stand-in",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 812, "completion_tokens": 96, "total_tokens": 908}
    });
    (200, answer, enforced, limit)
}
