//! Middleware every function shares: request ids, per-request timeouts, security headers,
//! CORS for the configured origins, request/response tracing, and problem+json answers for
//! unknown routes and methods.

use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

use super::AppState;
use super::problem::{ApiError, REQUEST_ID};

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives each request an id (the caller's `X-Request-Id` when it is sane), runs the rest of
/// the stack inside it, logs one line per request and echoes the id on the response.
pub async fn request_id(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(
            || ulid::Ulid::new().to_string().to_lowercase(),
            str::to_owned,
        );
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let trace = trace_id(&request);
    let started = Instant::now();
    let timeout = state.settings.request_timeout;
    // Every log line of the request carries its id.
    let trace = trace.map(|t| match &state.settings.project {
        Some(project) => format!("projects/{project}/traces/{t}"),
        None => t,
    });
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = REQUEST_ID
        .scope(id.clone(), async move {
            match tokio::time::timeout(timeout, next.run(request)).await {
                Ok(response) => response,
                Err(_) => ApiError::Timeout.into_response(),
            }
        })
        .instrument(span.clone())
        .await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The request line carries the trace at the top level, where Cloud Logging looks for it
    // (telemetry restores the field's reserved name); lines without a trace omit it.
    span.in_scope(|| {
        if let Some(trace) = trace.as_deref() {
            tracing::info!(%method, path, status, elapsed_ms, "logging.googleapis.com/trace" = trace, "request");
        } else {
            tracing::info!(%method, path, status, elapsed_ms, "request");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    response
}

/// The trace id from `traceparent` (W3C) or `X-Cloud-Trace-Context`, for log correlation.
fn trace_id(request: &Request) -> Option<String> {
    let headers = request.headers();
    if let Some(parent) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
        return parent
            .split('-')
            .nth(1)
            .filter(|t| t.len() == 32)
            .map(str::to_owned);
    }
    headers
        .get("x-cloud-trace-context")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split('/').next())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Security headers on every response; HSTS only when the request came over TLS (Cloud Run
/// and other proxies say so in `X-Forwarded-Proto`).
pub async fn security_headers(request: Request, next: Next) -> Response {
    let tls = request
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// CORS for the listed origins only; none listed means no cross-origin access.
pub fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::LOCATION, header::RETRY_AFTER, X_REQUEST_ID.clone()])
        .max_age(Duration::from_mins(10))
}

/// Unknown routes answer like every other error.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
