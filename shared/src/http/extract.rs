//! Request extractors: strict JSON bodies (right content type, size limit, unknown fields
//! refused, errors with field paths) and the authenticated caller (API key, rate limit).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::AppState;
use super::problem::{ApiError, FieldError};

/// A JSON body parsed strictly, with its raw bytes (for idempotency fingerprints).
#[derive(Debug)]
pub struct StrictJson<T> {
    pub value: T,
    pub raw: Bytes,
}

impl<T: DeserializeOwned> FromRequest<AppState> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            });
        if !json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let raw = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge {
                    limit: state.settings.body_limit,
                }
            } else {
                ApiError::BadRequest(rejection.body_text())
            }
        })?;
        let value = parse(&raw)?;
        Ok(Self { value, raw })
    }
}

/// Parses JSON, naming the field at fault as a JSON Pointer.
pub fn parse<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(raw);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(value) => Ok(value),
        Err(e) => {
            let inner = e.inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::BadRequest(format!(
                    "the body is not valid JSON: {inner}"
                )));
            }
            let pointer = pointer_of(&e.path().to_string());
            let message = inner.to_string();
            // Drop serde's " at line L column C": the pointer says where.
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_owned();
            Err(ApiError::fields(vec![FieldError::new(pointer, message)]))
        }
    }
}

/// `options.counts.faq` / `kinds[2]` → `/options/counts/faq` / `/kinds/2`; `.` → `` (root).
fn pointer_of(path: &str) -> String {
    if path == "." {
        return String::new();
    }
    let mut pointer = String::new();
    for segment in path.split('.') {
        for part in segment.split('[') {
            let part = part.trim_end_matches(']');
            if !part.is_empty() {
                pointer.push('/');
                pointer.push_str(&part.replace('~', "~0").replace('/', "~1"));
            }
        }
    }
    pointer
}

/// Query parameters, refused as a problem (400) when they do not parse.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|query| Self(query.0))
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))
    }
}

/// The tenant behind a valid API key that is within its rate limit.
#[derive(Debug, Clone)]
pub struct Caller {
    pub tenant: String,
    pub key_sha256: String,
    pub daily_jobs: Option<u32>,
}

/// The SHA-256 (hex) under which a key is stored.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        let header_key = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok());
        let key = bearer
            .or(header_key)
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let sha = key_hash(key);
        let record = state
            .keys
            .lookup(&state.factory.pipeline, &sha)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if let Some(refusal) = record.refusal(state.factory.pipeline.ports.clock.now()) {
            return Err(ApiError::KeyNotValid(refusal));
        }
        let (needed, granted) = if parts.method == axum::http::Method::GET {
            ("read", record.scopes.read)
        } else {
            ("submit", record.scopes.submit)
        };
        if !granted {
            return Err(ApiError::InsufficientScope(needed));
        }
        if let Err(retry_after) = state.limiter.check(&sha, record.rate_per_minute) {
            return Err(ApiError::RateLimited { retry_after });
        }
        Ok(Self {
            tenant: record.tenant,
            key_sha256: sha,
            daily_jobs: record.daily_jobs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_paths_become_json_pointers() {
        assert_eq!(pointer_of("options.counts.faq"), "/options/counts/faq");
        assert_eq!(pointer_of("kinds[2]"), "/kinds/2");
        assert_eq!(pointer_of("."), "");
    }

    #[test]
    fn unknown_fields_are_reported_where_they_are() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            options: crate::content::Options,
        }
        let Err(ApiError::Unprocessable { errors, .. }) =
            parse::<Body>(br#"{"options": {"levle": "x"}}"#)
        else {
            panic!("accepted")
        };
        assert_eq!(errors[0].path, "/options/levle");
        assert!(
            errors[0].message.contains("unknown field `levle`"),
            "{}",
            errors[0].message
        );
        assert!(matches!(
            parse::<Body>(b"{not json"),
            Err(ApiError::BadRequest(_))
        ));
    }
}
