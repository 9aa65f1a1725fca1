//! Bodies that create jobs: strict JSON (the source as `text`, `topic` or a base64 `file`), or
//! `multipart/form-data` with a `file` part (the document) and an optional `request` part (the
//! same JSON without `source`). Both become one [`CreateBody`], so the handlers do not care
//! which was sent.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::AppState;
use super::extract::{StrictJson, parse};
use super::problem::ApiError;

/// The multipart part that carries the document.
pub const FILE_PART: &str = "file";
/// The multipart part that carries the JSON request (kinds, options).
pub const REQUEST_PART: &str = "request";

/// A document sent as a multipart part.
#[derive(Debug, Clone)]
pub struct Upload {
    pub bytes: Bytes,
    /// The part's `Content-Type`, if the client sent one.
    pub media_type: Option<String>,
    /// The part's file name, if the client sent one.
    pub name: Option<String>,
}

/// A create request, parsed: its value, the bytes that identify it (for idempotency) and, for
/// multipart bodies, the uploaded document.
#[derive(Debug)]
pub struct CreateBody<T> {
    pub value: T,
    pub fingerprint: Bytes,
    pub upload: Option<Upload>,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CreateBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("multipart/form-data")
            });
        if !multipart {
            let StrictJson { value, raw } = StrictJson::<T>::from_request(req, state).await?;
            return Ok(Self {
                value,
                fingerprint: raw,
                upload: None,
            });
        }
        let limit = state.settings.body_limit;
        let mut form = Multipart::from_request(req, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        let (mut request, mut upload) = (None, None);
        while let Some(field) = form.next_field().await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge { limit }
            } else {
                ApiError::BadRequest(e.body_text())
            }
        })? {
            let name = field.name().unwrap_or_default().to_owned();
            let media_type = field.content_type().map(str::to_owned);
            let file_name = field.file_name().map(str::to_owned);
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge { limit }
                } else {
                    ApiError::BadRequest(e.body_text())
                }
            })?;
            let slot = match name.as_str() {
                REQUEST_PART => request.replace(bytes).is_some(),
                FILE_PART => upload
                    .replace(Upload {
                        bytes,
                        media_type,
                        name: file_name,
                    })
                    .is_some(),
                other => {
                    return Err(ApiError::field(
                        other,
                        format!(
                            "unknown form part; send `{FILE_PART}` and optionally `{REQUEST_PART}`"
                        ),
                    ));
                }
            };
            if slot {
                return Err(ApiError::field(&name, "sent more than once"));
            }
        }
        let upload = upload.ok_or_else(|| {
            ApiError::field(
                FILE_PART,
                "a multipart request needs a `file` part with the document",
            )
        })?;
        let request = request.unwrap_or_else(|| Bytes::from_static(b"{}"));
        let value = parse::<T>(&with_empty_source(&request)?)?;
        let mut fingerprint = request.to_vec();
        fingerprint.push(b'\n');
        fingerprint.extend_from_slice(hex::encode(Sha256::digest(&upload.bytes)).as_bytes());
        Ok(Self {
            value,
            fingerprint: Bytes::from(fingerprint),
            upload: Some(upload),
        })
    }
}

/// The `request` part with an empty `source`: the file part is the source, so the part may not
/// name one.
fn with_empty_source(request: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(request)
        .map_err(|e| ApiError::field(REQUEST_PART, format!("not valid JSON: {e}")))?;
    let object = value
        .as_object_mut()
        .ok_or_else(|| ApiError::field(REQUEST_PART, "must be a JSON object (kinds, options)"))?;
    if object.contains_key("source") {
        return Err(ApiError::field(
            "/source",
            "the `file` part is the source of a multipart request; leave `source` out of `request`",
        ));
    }
    object.insert("source".into(), serde_json::json!({}));
    Ok(serde_json::to_vec(&value).expect("JSON values serialize"))
}
