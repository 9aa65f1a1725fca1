//! Fuzz target `request_body`: what the API reads from a request before any work starts.
//!
//! The input is read twice. Whole, it is a JSON body for every route that takes one: the job
//! creation bodies, a step message, a stored-object call and a Pub/Sub push envelope (with
//! the payload it carries). Then as a raw HTTP request: a request line whose target feeds the
//! query and path parsers, header lines, a blank line and a body; the headers and body go to
//! the CloudEvent reader and the OIDC guard of the internal routes.
//!
//! Not covered, for want of a public entry point: the API-key headers (read inside the
//! `Caller` extractor), `Idempotency-Key` (a private helper of `routes::create`) and
//! `traceparent` (a private helper of the middleware).

use std::sync::LazyLock;

use axum::extract::Query;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::IntoResponse;

use factory_shared::config::InternalAuth;
use factory_shared::content::{Kind, Options};
use factory_shared::dispatch::pubsub::StepMessage;
use factory_shared::http::envelopes::{self, PushEnvelope, StorageEvent};
use factory_shared::http::extract::parse;
use factory_shared::http::guard::InternalGuard;
use factory_shared::http::problem::ApiError;
use factory_shared::http::routes::create::{BundleRequest, CreateQuery, KindRequest, SourceInput};
use factory_shared::http::routes::internal::StorageObject;
use factory_shared::http::routes::jobs::ListQuery;
use factory_shared::jobs::JobId;
use factory_shared::layout::artifact_target;
use factory_shared::objects::ObjectPath;
use factory_shared::source::{MAX_SOURCE_CHARS, MIN_SOURCE_CHARS, SourceText};

pub fn run(data: &[u8]) {
    json_body(data);
    let request = RawRequest::split(data);
    if let Some(target) = request.target {
        target_uri(target);
    }
    if request.body != data {
        json_body(request.body);
    }
    let headers = request.headers();
    cloud_event(&headers, request.body);
    internal_caller(&headers);
}

// ---------------------------------------------------------------------------------------------
// JSON bodies

/// Every body the routes parse, followed by the checks the routes make next.
fn json_body(raw: &[u8]) {
    match parse::<KindRequest>(raw) {
        Ok(request) => accepted(&request.source, &[Kind::Faq], &request.options),
        Err(e) => refused(e),
    }
    match parse::<BundleRequest>(raw) {
        Ok(request) => {
            let kinds = request.kinds.unwrap_or_else(|| Kind::ALL.to_vec());
            accepted(&request.source, &kinds, &request.options);
        }
        Err(e) => refused(e),
    }
    match parse::<StepMessage>(raw) {
        Ok(message) => step(&message),
        Err(e) => refused(e),
    }
    match parse::<StorageObject>(raw) {
        Ok(object) => stored_object(object.name),
        Err(e) => refused(e),
    }
    push(raw);
}

/// What `routes::create` does with a parsed body before submitting it.
fn accepted(source: &SourceInput, kinds: &[Kind], options: &Options) {
    if let (Some(text), None) = (&source.text, &source.topic)
        && let Ok(text) = SourceText::parse_within(text, MIN_SOURCE_CHARS, MAX_SOURCE_CHARS)
    {
        assert!(
            (MIN_SOURCE_CHARS..=MAX_SOURCE_CHARS).contains(&text.chars()),
            "{} characters accepted",
            text.chars()
        );
    }
    for error in options.check() {
        assert!(
            error.path.starts_with("/options/"),
            "option error outside /options: {error:?}"
        );
    }
    let planned = Kind::with_outline(kinds);
    assert_eq!(planned.first(), Some(&Kind::Outline), "{planned:?}");
}

/// A body the API refuses is the caller's fault (4xx), names fields as JSON Pointers, and
/// renders as a problem.
fn refused(error: ApiError) {
    let status = error.status();
    assert!(status.is_client_error(), "{status} for {error:?}");
    if let ApiError::Unprocessable { errors, .. } = &error {
        for field in errors {
            assert!(
                field.path.is_empty() || field.path.starts_with('/'),
                "{field:?} is not a JSON Pointer"
            );
        }
    }
    let response = error.into_response();
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE),
        Some(&HeaderValue::from_static("application/problem+json"))
    );
}

fn step(message: &StepMessage) {
    if let Ok(id) = message.job_id.parse::<JobId>() {
        assert_eq!(
            id.to_string().parse::<JobId>().ok().as_ref(),
            Some(&id),
            "a job id does not survive printing"
        );
    }
}

/// What `/internal/events/storage` does with the name of a stored object.
fn stored_object(name: String) {
    if let Ok(path) = ObjectPath::new(name) {
        let _ = artifact_target(path.as_str());
    }
}

/// A Pub/Sub push request, read the way `routes::internal` reads one.
fn push(raw: &[u8]) {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(raw) else {
        return;
    };
    if !envelopes::is_push(&value) {
        return;
    }
    let Ok(envelope) = serde_json::from_value::<PushEnvelope>(value) else {
        return;
    };
    if let Ok(payload) = envelope.message.payload() {
        match parse::<StepMessage>(&payload) {
            Ok(message) => step(&message),
            Err(e) => refused(e),
        }
    }
    if let Ok(StorageEvent::Finalized(object)) = envelopes::storage_notification(&envelope) {
        stored_object(object.name);
    }
}

// ---------------------------------------------------------------------------------------------
// The request line and headers

/// An input read as `TARGET` line (optional), header lines, a blank line, a body.
struct RawRequest<'a> {
    target: Option<&'a str>,
    header_lines: Vec<&'a [u8]>,
    body: &'a [u8],
}

impl<'a> RawRequest<'a> {
    fn split(data: &'a [u8]) -> Self {
        let (head, body) = match find(data, b"\r\n\r\n") {
            Some(at) if find(data, b"\n\n").is_none_or(|lf| lf > at) => {
                (&data[..at], &data[at + 4..])
            }
            _ => match find(data, b"\n\n") {
                Some(at) => (&data[..at], &data[at + 2..]),
                None => (data, &data[data.len()..]),
            },
        };
        let mut lines = head
            .split(|&b| b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .peekable();
        // `POST /v1/faq?wait=5 HTTP/1.1`, or just the target.
        let target = lines
            .peek()
            .and_then(|line| std::str::from_utf8(line).ok())
            .and_then(|line| line.split_whitespace().find(|t| t.starts_with('/')));
        if target.is_some() {
            lines.next();
        }
        Self {
            target,
            header_lines: lines.collect(),
            body,
        }
    }

    /// The header lines that make a valid name and value; the others are dropped, as a
    /// server would have refused them before any handler ran.
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in &self.header_lines {
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let name = line[..colon].trim_ascii();
            let value = line[colon + 1..].trim_ascii();
            if let (Ok(name), Ok(value)) =
                (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
            {
                headers.append(name, value);
            }
        }
        headers
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The query parameters of the job routes and the path segments they parse.
fn target_uri(target: &str) {
    let Ok(uri) = target.parse::<Uri>() else {
        return;
    };
    let _ = Query::<CreateQuery>::try_from_uri(&uri);
    let _ = Query::<ListQuery>::try_from_uri(&uri);
    let segments: Vec<&str> = uri.path().split('/').collect();
    match segments.as_slice() {
        ["", "v1", "jobs", id, ..] => {
            let _ = id.parse::<JobId>();
        }
        ["", "v1", slug] => {
            if let Ok(kind) = slug.parse::<Kind>() {
                assert_eq!(kind.slug(), *slug, "a kind is named by its slug");
            }
        }
        _ => {}
    }
}

/// An Eventarc CloudEvent is recognized by its `ce-type` header alone.
fn cloud_event(headers: &HeaderMap, body: &[u8]) {
    let typed = headers.get("ce-type").is_some_and(|v| v.to_str().is_ok());
    let event = envelopes::cloud_event(headers, body);
    assert_eq!(
        event.is_some(),
        typed,
        "ce-type: {:?}",
        headers.get("ce-type")
    );
    if let Some(Ok(StorageEvent::Finalized(object))) = event {
        stored_object(object.name);
    }
}

/// The OIDC check of the internal routes, with a key set that cannot be fetched: every token
/// is refused, as the caller's fault (401) or, once a key is needed, ours (503).
fn internal_caller(headers: &HeaderMap) {
    static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
    });
    static GUARD: LazyLock<InternalGuard> = LazyLock::new(|| {
        InternalGuard::from_config(&InternalAuth::Oidc {
            audiences: vec!["https://factory.example".into()],
            allowed_emails: vec!["push@factory.iam.gserviceaccount.com".into()],
            // Not a URL: the fetch fails before any socket is opened.
            jwks_url: Some("no keys here".into()),
        })
    });
    let refusal = RUNTIME
        .block_on(GUARD.check(headers))
        .expect_err("a token was accepted without keys");
    let status = refusal.status();
    assert!(
        matches!(
            status,
            StatusCode::UNAUTHORIZED | StatusCode::SERVICE_UNAVAILABLE
        ),
        "{status} for {refusal:?}"
    );
}
