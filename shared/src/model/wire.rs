//! What the providers share on the wire: sending one call, reading a provider's error body,
//! and classifying a failure into a [`ModelError`]. Credentials travel in [`Secret`], which
//! never prints and is scrubbed from any text a provider sends back.
//!
//! Not for request or response shapes: each provider owns its own.

use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode, Url};
use serde_json::Value;

use super::ModelError;

/// The longest provider message an error carries (an HTML error page would be pages long).
const MAX_MESSAGE_CHARS: usize = 500;

/// A credential: an API key or a bearer token. `Debug` prints none of it, the header it
/// makes is marked sensitive, and [`Secret::redact`] removes it from provider text.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The header value `{prefix}{secret}`, marked sensitive so HTTP logging leaves it out.
    pub(crate) fn header(&self, prefix: &str) -> Result<HeaderValue, ModelError> {
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", self.0)).map_err(|_| {
            ModelError::Auth("the credential holds characters an HTTP header cannot carry".into())
        })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// `text` with every occurrence of the secret replaced.
    pub(crate) fn redact(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, "[redacted]")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// `base` with `segments` appended to its path, each percent-encoded as one segment (a
/// model name cannot add path levels; `:` stays as is, as in `{model}:generateContent`).
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// A provider's HTTP answer, read in full.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Sends a request and reads the whole answer. A failure to connect, or a connection that
/// breaks while the answer is read (a truncated body), is [`ModelError::Unavailable`].
pub(crate) async fn send(request: RequestBuilder) -> Result<Reply, ModelError> {
    let response = request.send().await.map_err(|e| transport(&e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(|e| transport(&e))?;
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// A reqwest error that is not an HTTP status: connection refused or reset, TLS, DNS, a
/// client-side timeout, a broken body. All of them may go away if the call is made again,
/// except a request that could not even be built (a bad URL).
fn transport(error: &reqwest::Error) -> ModelError {
    let message = with_sources(error);
    if error.is_builder() {
        ModelError::InvalidRequest(format!("the request could not be built: {message}"))
    } else {
        ModelError::Unavailable {
            retry_after: None,
            message,
        }
    }
}

/// An error and its sources, `outer: inner: innermost` (reqwest's own text names only the URL).
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

/// What a provider's error body says. Understands Google's and OpenAI's
/// `{"error": {"message", ...}}` (Google front ends sometimes wrap it in an array), a bare
/// `{"error": "text"}`, a top-level `{"message": ...}` (older vLLM) and plain text.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct ErrorBody {
    /// The human-readable message (or the start of a non-JSON body).
    pub(crate) message: String,
    /// Google's canonical status, e.g. `RESOURCE_EXHAUSTED`.
    pub(crate) status: Option<String>,
    /// OpenAI's error code, e.g. `insufficient_quota`, `invalid_api_key`.
    pub(crate) code: Option<String>,
    /// Google's typed `details[]` (`@type` names the kind: RetryInfo, ErrorInfo, ...).
    pub(crate) details: Vec<Value>,
    /// OpenAI's `param`: the request field at fault (`max_tokens`, `body.response_format`).
    pub(crate) param: Option<String>,
}

impl ErrorBody {
    pub(crate) fn parse(body: &[u8]) -> Self {
        let Ok(json) = serde_json::from_slice::<Value>(body) else {
            return Self {
                message: squeeze(&String::from_utf8_lossy(body)),
                ..Self::default()
            };
        };
        let json = match json {
            Value::Array(mut items) if !items.is_empty() => items.swap_remove(0),
            other => other,
        };
        let (error, outer) = match json.get("error") {
            Some(error @ Value::Object(_)) => (error, &json),
            Some(Value::String(text)) => {
                return Self {
                    message: squeeze(text),
                    ..Self::default()
                };
            }
            _ => (&json, &json),
        };
        let text = |value: Option<&Value>| match value {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let message = text(error.get("message"))
            .or_else(|| text(outer.get("detail")))
            .unwrap_or_else(|| squeeze(&json.to_string()));
        Self {
            message: squeeze(&message),
            status: text(error.get("status")),
            code: text(error.get("code")).or_else(|| text(error.get("type"))),
            details: error
                .get("details")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            param: text(error.get("param")),
        }
    }

    /// The request parameter the server says it rejected, if the answer is a rejection of
    /// the request rather than a failure of the server. Servers disagree on how they say
    /// it (see [`rejected_parameter`]).
    pub(crate) fn rejected_parameter(&self, status: StatusCode) -> Option<String> {
        rejected_parameter(status, self)
    }

    /// The delay of a `google.rpc.RetryInfo` detail (`"retryDelay": "12s"`, protobuf
    /// Duration JSON: decimal seconds with up to nine fractional digits).
    pub(crate) fn retry_delay(&self) -> Option<Duration> {
        self.details
            .iter()
            .filter(|d| detail_type(d) == Some("google.rpc.RetryInfo"))
            .find_map(|d| d.get("retryDelay").and_then(Value::as_str))
            .and_then(|delay| delay.trim().strip_suffix('s'))
            .and_then(|seconds| seconds.parse::<f64>().ok())
            .and_then(seconds)
    }

    /// Whether a `google.rpc.ErrorInfo` detail gives `reason` (e.g. `API_KEY_INVALID`).
    pub(crate) fn has_reason(&self, reason: &str) -> bool {
        self.details.iter().any(|d| {
            detail_type(d) == Some("google.rpc.ErrorInfo")
                && d.get("reason").and_then(Value::as_str) == Some(reason)
        })
    }

    /// `HTTP 429 RESOURCE_EXHAUSTED: <message>`: what an error says about this failure.
    pub(crate) fn describe(&self, status: StatusCode) -> String {
        let mut text = format!("HTTP {}", status.as_u16());
        if let Some(google_status) = &self.status {
            text.push(' ');
            text.push_str(google_status);
        }
        if !self.message.is_empty() {
            text.push_str(": ");
            text.push_str(&self.message);
        }
        text
    }
}

/// Request fields a Chat Completions server may refuse, most specific first.
const KNOWN_PARAMETERS: [&str; 7] = [
    "response_format",
    "json_schema",
    "max_completion_tokens",
    "max_tokens",
    "temperature",
    "messages",
    "model",
];

/// The parameter a server rejected, read from what each server documents:
///
/// - OpenAI, vLLM, LM Studio (`400`/`404`/`422`): `error.param` (vLLM prefixes `body.`), or
///   a message that quotes the field (`'response_format.type' must be …`).
/// - `llama-cpp-python` answers a validation error with **500** and FastAPI's error list in
///   the message: `'loc': ('body', 'response_format', 'type')`.
/// - Ollama answers a format it cannot use with **500** `invalid JSON schema in format` or
///   `invalid format`.
///
/// A 5xx without one of those signatures is the server failing, not a rejection.
fn rejected_parameter(status: StatusCode, body: &ErrorBody) -> Option<String> {
    let message = body.message.as_str();
    if let Some(location) = fastapi_body_location(message) {
        return Some(location);
    }
    if status.is_server_error() {
        let lower = message.to_ascii_lowercase();
        let ollama =
            lower.contains("invalid json schema in format") || lower.starts_with("invalid format");
        return ollama.then(|| "response_format".to_owned());
    }
    if !status.is_client_error() || matches!(status.as_u16(), 401 | 403 | 408 | 429) {
        return None;
    }
    if let Some(param) = body.param.as_deref().filter(|p| !p.is_empty()) {
        return Some(param.strip_prefix("body.").unwrap_or(param).to_owned());
    }
    KNOWN_PARAMETERS
        .into_iter()
        .find(|name| message.contains(name))
        .map(str::to_owned)
}

/// `response_format.type` from a FastAPI/pydantic validation message holding
/// `'loc': ('body', 'response_format', 'type')` (or its JSON form `["body", …]`).
fn fastapi_body_location(message: &str) -> Option<String> {
    let at = message.find("'loc': (").map(|i| i + 8).or_else(|| {
        message
            .find("\"loc\": [")
            .or_else(|| message.find("\"loc\":["))
            .and_then(|i| message[i..].find('[').map(|j| i + j + 1))
    })?;
    let rest = &message[at..];
    let end = rest.find([')', ']'])?;
    let parts: Vec<&str> = rest[..end]
        .split(',')
        .map(|p| p.trim().trim_matches(['\'', '"']))
        .filter(|p| !p.is_empty())
        .collect();
    match parts.split_first() {
        Some((&"body", fields)) if !fields.is_empty() => Some(fields.join(".")),
        _ => None,
    }
}

/// `type.googleapis.com/google.rpc.RetryInfo` → `google.rpc.RetryInfo`.
fn detail_type(detail: &Value) -> Option<&str> {
    let name = detail.get("@type")?.as_str()?;
    Some(name.rsplit('/').next().unwrap_or(name))
}

/// Whitespace collapsed, cut to [`MAX_MESSAGE_CHARS`].
fn squeeze(text: &str) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match words.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &words[..cut]),
        None => words,
    }
}

fn seconds(value: f64) -> Option<Duration> {
    if value.is_finite() && value >= 0.0 {
        Duration::try_from_secs_f64(value).ok()
    } else {
        None
    }
}

/// How long the provider's headers ask us to wait: OpenAI's `retry-after-ms` (milliseconds)
/// first, then `Retry-After` as seconds or as an HTTP date (measured from `now`).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return seconds(ms / 1000.0);
    }
    let value = header(RETRY_AFTER.as_str())?;
    if let Ok(secs) = value.parse::<f64>() {
        return seconds(secs);
    }
    let at = http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT` (the only HTTP date form senders may use).
fn http_date(value: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format).ok()?;
    Some(at.assume_utc().into())
}

/// The failure an HTTP status means. `message` already says what the provider said.
///
/// 429 is a rate limit; 408 and 5xx (but 501) may pass; 401 and 403 are the credential;
/// any other 4xx, and 501 (Google's answer to an unsupported schema field), is the request.
pub(crate) fn classify(
    status: StatusCode,
    retry_after: Option<Duration>,
    message: String,
) -> ModelError {
    match status.as_u16() {
        429 => ModelError::RateLimited {
            retry_after,
            message,
        },
        401 | 403 => ModelError::Auth(message),
        501 => ModelError::InvalidRequest(message),
        408 | 500..=599 => ModelError::Unavailable {
            retry_after,
            message,
        },
        400..=499 => ModelError::InvalidRequest(message),
        _ => ModelError::Protocol(format!("unexpected HTTP status: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn endpoints_append_escaped_segments_to_the_base_path() {
        let base = Url::parse("http://127.0.0.1:8080/v1/").unwrap();
        assert_eq!(
            endpoint(&base, &["chat", "completions"]).as_str(),
            "http://127.0.0.1:8080/v1/chat/completions"
        );
        let base = Url::parse("https://europe-west4-aiplatform.googleapis.com").unwrap();
        assert_eq!(
            endpoint(&base, &["v1", "models", "tuned/model x:generateContent"]).as_str(),
            "https://europe-west4-aiplatform.googleapis.com/v1/models/tuned%2Fmodel%20x:generateContent"
        );
    }

    /// Response headers and the delay they ask for.
    type Case<'a> = (&'a [(&'static str, &'a str)], Option<Duration>);

    #[test]
    fn retry_after_reads_seconds_milliseconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let cases: [Case; 7] = [
            (&[("retry-after", "7")], Some(Duration::from_secs(7))),
            (
                &[("retry-after", " 1.5 ")],
                Some(Duration::from_millis(1500)),
            ),
            (
                &[("retry-after-ms", "150")],
                Some(Duration::from_millis(150)),
            ),
            (
                &[("retry-after", "30"), ("retry-after-ms", "2500")],
                Some(Duration::from_millis(2500)),
            ),
            (
                &[("retry-after", "Sun, 06 Nov 1994 08:50:07 GMT")],
                Some(Duration::from_secs(30)),
            ),
            (
                &[("retry-after", "Sun, 06 Nov 1994 08:00:00 GMT")],
                Some(Duration::ZERO),
            ),
            (&[("retry-after", "soon"), ("retry-after-ms", "-3")], None),
        ];
        for (pairs, expected) in cases {
            assert_eq!(retry_after(&headers(pairs), now), expected, "{pairs:?}");
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn google_errors_give_their_status_message_and_retry_delay() {
        let body = json!({"error": {
            "code": 429,
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "status": "RESOURCE_EXHAUSTED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": []},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "45.837906927s"}
            ]
        }});
        let parsed = ErrorBody::parse(body.to_string().as_bytes());
        assert_eq!(parsed.status.as_deref(), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(
            parsed.retry_delay(),
            Some(Duration::new(45, 837_906_927)),
            "fractional protobuf durations keep their nanoseconds"
        );
        assert_eq!(
            parsed.describe(StatusCode::TOO_MANY_REQUESTS),
            "HTTP 429 RESOURCE_EXHAUSTED: You exceeded your current quota, please check your plan and billing details."
        );
    }

    #[test]
    fn error_bodies_of_every_known_shape_yield_a_message() {
        let cases = [
            (
                json!([{"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}]).to_string(),
                "The model is overloaded.",
            ),
            (
                json!({"error": {"message": "Rate limit reached", "type": "requests", "param": null, "code": "rate_limit_exceeded"}}).to_string(),
                "Rate limit reached",
            ),
            (json!({"error": "model 'x' not found"}).to_string(), "model 'x' not found"),
            (
                json!({"object": "error", "message": "max_tokens is too large", "type": "BadRequestError", "code": 400}).to_string(),
                "max_tokens is too large",
            ),
            (
                "<html>\n  <body>502   Bad Gateway</body>\n</html>".to_owned(),
                "<html> <body>502 Bad Gateway</body> </html>",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(ErrorBody::parse(body.as_bytes()).message, message, "{body}");
        }
        let openai = ErrorBody::parse(
            json!({"error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}})
                .to_string()
                .as_bytes(),
        );
        assert_eq!(openai.code.as_deref(), Some("insufficient_quota"));
    }

    #[test]
    fn long_bodies_are_cut() {
        let body = "x".repeat(10_000);
        let message = ErrorBody::parse(body.as_bytes()).message;
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(message.ends_with('…'));
    }

    #[test]
    fn statuses_map_to_retryable_and_final_failures() {
        let delay = Some(Duration::from_secs(3));
        let kind = |status: u16| classify(StatusCode::from_u16(status).unwrap(), delay, "m".into());
        assert!(
            matches!(kind(429), ModelError::RateLimited { retry_after, .. } if retry_after == delay)
        );
        for status in [408, 500, 502, 503, 504, 529] {
            assert!(
                matches!(kind(status), ModelError::Unavailable { retry_after, .. } if retry_after == delay),
                "{status}"
            );
        }
        for status in [401, 403] {
            assert_eq!(kind(status), ModelError::Auth("m".into()), "{status}");
        }
        for status in [400, 404, 413, 422, 501] {
            assert_eq!(
                kind(status),
                ModelError::InvalidRequest("m".into()),
                "{status}"
            );
        }
        assert!(matches!(kind(302), ModelError::Protocol(_)));
    }

    #[test]
    fn rejected_parameters_are_read_from_every_servers_dialect() {
        let rejected = |status: u16, body: &Value| {
            ErrorBody::parse(body.to_string().as_bytes())
                .rejected_parameter(StatusCode::from_u16(status).unwrap())
        };
        let llama_cpp_python = json!({"error": {"message": "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', 'ctx': {'expected': \"'text' or 'json_object'\"}}", "type": "internal_server_error", "param": null, "code": null}});
        assert_eq!(
            rejected(500, &llama_cpp_python).as_deref(),
            Some("response_format.type")
        );
        let older_fastapi = json!({"error": {"message": "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), 'msg': 'x'}]", "type": "internal_server_error", "param": null, "code": null}});
        assert_eq!(
            rejected(500, &older_fastapi).as_deref(),
            Some("response_format.type")
        );
        let ollama = json!({"error": {"message": "invalid JSON schema in format", "type": "api_error", "param": null, "code": null}});
        assert_eq!(rejected(500, &ollama).as_deref(), Some("response_format"));
        let openai = json!({"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}});
        assert_eq!(rejected(400, &openai).as_deref(), Some("max_tokens"));
        let vllm = json!({"error": {"message": "1 validation error: ...", "type": "Bad Request", "param": "body.response_format", "code": 400}});
        assert_eq!(rejected(400, &vllm).as_deref(), Some("response_format"));
        let lm_studio = json!({"error": "'response_format.type' must be 'json_schema' or 'text'"});
        assert_eq!(
            rejected(400, &lm_studio).as_deref(),
            Some("response_format")
        );

        let overloaded = json!({"error": {"message": "The engine is currently overloaded", "type": "server_error", "param": null, "code": null}});
        assert_eq!(
            rejected(500, &overloaded),
            None,
            "a failing server rejects nothing"
        );
        assert_eq!(
            rejected(503, &json!({"error": {"message": "Loading model"}})),
            None
        );
        let rate = json!({"error": {"message": "Rate limit reached for max_tokens", "param": "max_tokens"}});
        assert_eq!(
            rejected(429, &rate),
            None,
            "a rate limit is not a rejection"
        );
    }

    #[test]
    fn secrets_never_print_and_are_scrubbed_from_text() {
        let secret = Secret::new("sk-live-1234567890");
        assert!(!format!("{secret:?}").contains("1234567890"));
        assert_eq!(
            secret.redact("Incorrect API key provided: sk-live-1234567890."),
            "Incorrect API key provided: [redacted]."
        );
        let header = secret.header("Bearer ").unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("1234567890"));
    }
}
