//! Creating jobs: `POST /v1/<kind>` (one kind, plus its outline) and `POST /v1/bundles`
//! (many kinds from one source). Both answer `202 Accepted` with the job and a `Location`,
//! honour `Idempotency-Key`, `?wait=N` (hold the answer up to N ≤ 60 s until the job ends)
//! and `?dry_run=true` (validate and show the plan without running anything).

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::post};
use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::content::{Kind, Options};
use crate::documents::{self, Limits};
use crate::http::AppState;
use crate::http::extract::{Caller, QueryParams};
use crate::http::problem::{ApiError, FieldError, Problem};
use crate::http::upload::{CreateBody, FILE_PART, Upload};
use crate::http::view::{CreatedOrPlanned, JobView, Plan};
use crate::jobs::Job;
use crate::pipeline::{Document, Submission, SubmitError};
use crate::source::{MIN_SOURCE_CHARS, SourceError, SourceText};
use crate::store::Idempotency;

/// The source text of the request examples in the OpenAPI description (long enough to be
/// accepted).
const EXAMPLE_SOURCE: &str = "# Photosynthesis\n\nPhotosynthesis is the process by which plants, algae and some bacteria turn light energy into chemical energy. It takes place in the chloroplasts, where chlorophyll absorbs light. The light-dependent reactions split water and release oxygen; the Calvin cycle then fixes carbon dioxide into sugars.\n";

/// The longest `?wait` allowed, in seconds.
pub const MAX_WAIT_SECS: u64 = 60;

/// Where the material comes from: a text (Markdown or plain), a document, or a topic. Give
/// exactly one.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    /// 200 to 1,000,000 characters of UTF-8 text (the server's limit may be lower).
    #[schema(min_length = 200)]
    pub text: Option<String>,
    pub topic: Option<String>,
    /// A document whose text becomes the source.
    pub file: Option<FileInput>,
}

/// A document sent inline: PDF, DOCX, HTML, Markdown or plain text. Its content decides how it
/// is read; a `media_type` the content contradicts is refused. The text read from it is the
/// source (spans refer to it); the file is kept with the job.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    /// `application/pdf`, `application/vnd.openxmlformats-officedocument.wordprocessingml.document`,
    /// `text/html`, `text/markdown` or `text/plain` (`application/octet-stream`: read the content).
    #[schema(example = "application/pdf")]
    pub media_type: String,
    /// The file's bytes in standard base64.
    #[schema(content_encoding = "base64")]
    pub data: String,
    /// The file's name, shown on the job.
    #[schema(example = "chapter-3.pdf")]
    pub name: Option<String>,
}

/// A `multipart/form-data` request: the document and, optionally, the rest of the request.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The document (PDF, DOCX, HTML, Markdown or plain text); its part's `Content-Type` and
    /// file name are read like `source.file`'s `media_type` and `name`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The JSON request without `source` (`kinds`, `options`), as an `application/json` part.
    #[schema(value_type = Option<Object>)]
    request: Option<String>,
}

/// Create one kind (its outline is built too).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindRequest {
    pub source: SourceInput,
    #[serde(default)]
    pub options: Options,
}

/// Create several kinds from one source; all eight when `kinds` is left out.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BundleRequest {
    pub source: SourceInput,
    pub kinds: Option<Vec<Kind>>,
    #[serde(default)]
    pub options: Options,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CreateQuery {
    /// Hold the answer until the job ends or this many seconds pass (at most 60).
    #[param(maximum = 60)]
    pub wait: Option<u64>,
    /// Validate and return the planned steps and cache hits without creating a job.
    pub dry_run: Option<bool>,
}

/// The routes that create jobs of `kind`.
pub fn kind_router(kind: Kind) -> Router<AppState> {
    Router::new().route(
        &format!("/v1/{kind}"),
        post(
            move |state: State<AppState>,
                  caller: Caller,
                  query: QueryParams<CreateQuery>,
                  headers: HeaderMap,
                  body: CreateBody<KindRequest>| {
                create_kind(state, caller, query, headers, body, kind)
            },
        ),
    )
}

pub fn bundle_router() -> Router<AppState> {
    Router::new().route("/v1/bundles", post(create_bundle))
}

/// Create a job for one content kind.
#[utoipa::path(
    post,
    path = "/v1/{kind}",
    operation_id = "create_kind",
    tag = "jobs",
    params(("kind" = Kind, Path, description = "The content kind"), CreateQuery, ("Idempotency-Key" = Option<String>, Header, description = "Same key and body return the same job")),
    request_body(description = "The source and the options, as JSON; or a document uploaded as `multipart/form-data`", content(
        (KindRequest = "application/json", example = json!({"source": {"text": EXAMPLE_SOURCE}, "options": {"level": "beginner", "counts": {"faq": 6}}})),
        (UploadForm = "multipart/form-data"),
    )),
    responses(
        (status = 202, description = "Accepted; the job runs", body = JobView, headers(("Location" = String, description = "The job's URL"))),
        (status = 200, description = "The job, ended within `wait`; or a dry run's plan", body = CreatedOrPlanned),
        (status = 400, description = "The body is not JSON, or a query parameter is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No API key, an unknown one, or a revoked or expired one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API key lacks the scope this route needs (`submit` to create, `read` to read)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This `Idempotency-Key` was used for a different request", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the server's limit (`payload-too-large`), or the document is (`document-too-large`) or is an archive that expands past the limit (`archive-expands-too-far`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is neither `application/json` nor `multipart/form-data` (`unsupported-media-type`), or the document is of a type not read (`unsupported-document`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input; `errors` lists each field by its JSON Pointer path (`/source/file` or the form part `file` for a document). A document that gives no text has its own `type`: `encrypted-document`, `no-text-layer` (a scan), `corrupt-document`, `media-type-mismatch`, `document-too-complex`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests, or the key's daily job quota is used up; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The store is briefly unavailable; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn create_kind(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<CreateQuery>,
    headers: HeaderMap,
    body: CreateBody<KindRequest>,
    kind: Kind,
) -> Result<Response, ApiError> {
    let CreateBody {
        value,
        fingerprint,
        upload,
    } = body;
    create(
        &state,
        &caller,
        &query,
        &headers,
        &fingerprint,
        (value.source, upload),
        vec![kind],
        value.options,
    )
    .await
}

/// Create a job for several kinds from one source.
#[utoipa::path(
    post,
    path = "/v1/bundles",
    operation_id = "create_bundle",
    tag = "jobs",
    params(CreateQuery, ("Idempotency-Key" = Option<String>, Header, description = "Same key and body return the same job")),
    request_body(description = "The source, the kinds to build (all when left out) and the options, as JSON; or a document uploaded as `multipart/form-data`", content(
        (BundleRequest = "application/json", example = json!({"source": {"text": EXAMPLE_SOURCE}, "kinds": ["faq", "flashcards"], "options": {"length": "short"}})),
        (UploadForm = "multipart/form-data"),
    )),
    responses(
        (status = 202, description = "Accepted; the job runs", body = JobView, headers(("Location" = String, description = "The job's URL"))),
        (status = 200, description = "The job, ended within `wait`; or a dry run's plan", body = CreatedOrPlanned),
        (status = 400, description = "The body is not JSON, or a query parameter is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No API key, an unknown one, or a revoked or expired one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API key lacks the scope this route needs (`submit` to create, `read` to read)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "This `Idempotency-Key` was used for a different request", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the server's limit (`payload-too-large`), or the document is (`document-too-large`) or is an archive that expands past the limit (`archive-expands-too-far`)", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is neither `application/json` nor `multipart/form-data` (`unsupported-media-type`), or the document is of a type not read (`unsupported-document`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input; `errors` lists each field by its JSON Pointer path (`/source/file` or the form part `file` for a document). A document that gives no text has its own `type`: `encrypted-document`, `no-text-layer` (a scan), `corrupt-document`, `media-type-mismatch`, `document-too-complex`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests, or the key's daily job quota is used up; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The store is briefly unavailable; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn create_bundle(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<CreateQuery>,
    headers: HeaderMap,
    body: CreateBody<BundleRequest>,
) -> Result<Response, ApiError> {
    let CreateBody {
        value,
        fingerprint,
        upload,
    } = body;
    let kinds = match value.kinds {
        Some(kinds) if kinds.is_empty() => {
            return Err(ApiError::field(
                "/kinds",
                "list at least one kind, or leave `kinds` out for all",
            ));
        }
        Some(kinds) => kinds,
        None => Kind::ALL.to_vec(),
    };
    create(
        &state,
        &caller,
        &query,
        &headers,
        &fingerprint,
        (value.source, upload),
        kinds,
        value.options,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn create(
    state: &AppState,
    caller: &Caller,
    query: &CreateQuery,
    headers: &HeaderMap,
    raw: &[u8],
    source: (SourceInput, Option<Upload>),
    kinds: Vec<Kind>,
    options: Options,
) -> Result<Response, ApiError> {
    let wait = query.wait.unwrap_or(0);
    if wait > MAX_WAIT_SECS {
        return Err(ApiError::field(
            "?wait",
            format!("at most {MAX_WAIT_SECS} seconds"),
        ));
    }
    let source = resolve_source(state, source.0, source.1).await?;
    let text = source.text;
    let problems: Vec<FieldError> = options
        .check()
        .into_iter()
        .map(|e| FieldError::new(e.path, e.message))
        .collect();
    if !problems.is_empty() {
        return Err(ApiError::fields(problems));
    }
    if query.dry_run.unwrap_or(false) {
        let plan = state.factory.pipeline.plan(&text, &kinds, &options).await?;
        return Ok((StatusCode::OK, Json(Plan::from(&plan))).into_response());
    }
    let idempotency = idempotency(headers, &kinds, raw)?;
    let mut submission = Submission::new(caller.tenant.clone(), text, kinds, options);
    submission.source_name = source.name;
    submission.document = source.document;
    submission.daily_limit = caller.daily_jobs;
    submission.idempotency = idempotency;
    let submitted = state
        .factory
        .pipeline
        .submit(submission)
        .await
        .map_err(|e| match e {
            SubmitError::InvalidOptions(errors) => ApiError::fields(
                errors
                    .into_iter()
                    .map(|e| FieldError::new(e.path, e.message))
                    .collect(),
            ),
            SubmitError::QuotaExceeded { limit } => ApiError::QuotaExceeded {
                limit,
                retry_after: seconds_to_utc_midnight(),
            },
            SubmitError::KeyReused(id) => ApiError::Conflict(format!(
                "this Idempotency-Key was used for a different request (job {id})"
            )),
            SubmitError::Store(e) => e.into(),
            SubmitError::Objects(e) => e.into(),
        })?;
    let job = if wait > 0 {
        state
            .factory
            .pipeline
            .wait_for(&submitted.job.id, Duration::from_secs(wait))
            .await?
            .ok_or(ApiError::NotFound)?
    } else {
        submitted.job
    };
    Ok(job_response(&job, submitted.replayed))
}

/// A request's source: its text, and the document it was read from.
struct Source {
    text: SourceText,
    name: Option<String>,
    document: Option<Document>,
}

/// The source text, checked, from the text given or read from the document uploaded. Every
/// fact must be grounded in given material, so a bare topic is refused for now (ADR 0006).
async fn resolve_source(
    state: &AppState,
    mut source: SourceInput,
    upload: Option<Upload>,
) -> Result<Source, ApiError> {
    let max_chars = state.factory.config.max_source_chars;
    if let Some(upload) = upload {
        return read_document(state, FILE_PART, upload).await;
    }
    if source.text.is_none()
        && source.topic.is_none()
        && let Some(file) = source.file.take()
    {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(file.data.trim())
            .map_err(|e| ApiError::field("/source/file/data", format!("not base64: {e}")))?;
        let upload = Upload {
            bytes: bytes.into(),
            media_type: Some(file.media_type),
            name: file.name,
        };
        return read_document(state, "/source/file", upload).await;
    }
    let text = source_text(source, max_chars)?;
    Ok(Source {
        text,
        name: None,
        document: None,
    })
}

/// The text of an uploaded document, with the same checks as a text source. Errors name
/// `path`: where the document was sent.
async fn read_document(state: &AppState, path: &str, upload: Upload) -> Result<Source, ApiError> {
    let limits = Limits {
        max_file_bytes: state.settings.body_limit,
        ..Limits::default()
    };
    // Only the last component of a name: clients send paths too.
    let name = upload
        .name
        .as_deref()
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .map(|n| n.chars().take(200).collect::<String>())
        .filter(|n| !n.trim().is_empty());
    let extracted = documents::extract(
        upload.bytes.clone(),
        upload.media_type.as_deref(),
        name.as_deref(),
        limits,
    )
    .await
    .map_err(|error| ApiError::Document {
        path: path.to_owned(),
        error,
    })?;
    let max_chars = state.factory.config.max_source_chars;
    let text = SourceText::parse_within(&extracted.text, MIN_SOURCE_CHARS, max_chars)
        .map_err(|e| ApiError::field(path, format!("the text read from the file: {e}")))?;
    Ok(Source {
        text,
        name,
        document: Some(Document {
            bytes: upload.bytes,
            format: extracted.format,
        }),
    })
}

fn source_text(source: SourceInput, max_chars: usize) -> Result<SourceText, ApiError> {
    match (source.text, source.topic, source.file) {
        (Some(text), None, None) => SourceText::parse_within(&text, MIN_SOURCE_CHARS, max_chars)
            .map_err(|e| {
                let message = match e {
                    SourceError::Binary => "must be text without NUL characters".to_owned(),
                    other => other.to_string(),
                };
                ApiError::field("/source/text", message)
            }),
        (None, Some(_), None) => Err(ApiError::field(
            "/source/topic",
            "materials are built from a source text; send the syllabus, chapter or notes in `source.text` (topic-only sources are not supported yet)",
        )),
        _ => Err(ApiError::field(
            "/source",
            "give exactly one of `text`, `file` or `topic`",
        )),
    }
}

/// The `Idempotency-Key` with a fingerprint of the request: the kinds asked for and the body.
fn idempotency(
    headers: &HeaderMap,
    kinds: &[Kind],
    raw: &[u8],
) -> Result<Option<Idempotency>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| (1..=200).contains(&k.len()))
        .ok_or_else(|| {
            ApiError::field(
                "Idempotency-Key",
                "must be 1 to 200 visible ASCII characters",
            )
        })?;
    let mut fingerprint = Sha256::new();
    for kind in kinds {
        fingerprint.update(kind.slug().as_bytes());
        fingerprint.update(b",");
    }
    fingerprint.update(b"\n");
    fingerprint.update(raw);
    Ok(Some(Idempotency {
        key: key.to_owned(),
        request_sha256: hex::encode(fingerprint.finalize()),
    }))
}

/// `202` with `Location` while the job runs, `200` once it ended.
pub fn job_response(job: &Job, replayed: bool) -> Response {
    let status = if job.status.is_terminal() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let mut response = (status, Json(JobView::from(job))).into_response();
    let location = format!("/v1/jobs/{}", job.id);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    if replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

fn seconds_to_utc_midnight() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    86_400 - now % 86_400
}
