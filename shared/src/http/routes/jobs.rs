//! The job-status function: read a job, list a tenant's jobs (newest first, by status, with
//! a cursor), cancel a job, download its artifacts, and report what the tenant spent per day
//! (`/v1/usage`). A job of another tenant is a 404.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::get};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::clock::Timestamp;
use crate::http::AppState;
use crate::http::extract::{Caller, QueryParams};
use crate::http::problem::{ApiError, Problem};
use crate::http::routes::create::job_response;
use crate::http::view::{DayUsageView, JobPage, JobView, UsageReportView};
use crate::jobs::{Job, JobId, JobStatus};
use crate::pipeline::JobFile;
use crate::store::JobQuery;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/jobs", get(list_jobs))
        .route("/v1/usage", get(usage))
        .route("/v1/jobs/{id}", get(get_job).delete(cancel_job))
        .route("/v1/jobs/{id}/artifacts/{name}", get(get_artifact))
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only jobs with this status.
    pub status: Option<JobStatus>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Jobs per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// The caller's job, or 404 (also for another tenant's job and for malformed ids).
async fn owned_job(state: &AppState, caller: &Caller, id: &str) -> Result<Job, ApiError> {
    let id: JobId = id.parse().map_err(|_| ApiError::NotFound)?;
    let job = state
        .factory
        .pipeline
        .job(&id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if job.tenant == caller.tenant {
        Ok(job)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Read a job.
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}",
    operation_id = "get_job",
    tag = "jobs",
    params(("id" = String, Path, description = "The job id")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 401, description = "No API key, an unknown one, or a revoked or expired one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API key lacks the scope this route needs (`submit` to create, `read` to read)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job for this key (also a job of another tenant)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The store is briefly unavailable; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn get_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    Ok(Json(JobView::from(&owned_job(&state, &caller, &id).await?)))
}

/// List the caller's jobs, newest first.
#[utoipa::path(
    get,
    path = "/v1/jobs",
    operation_id = "list_jobs",
    tag = "jobs",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of jobs, newest first", body = JobPage),
        (status = 400, description = "A query parameter is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No API key, an unknown one, or a revoked or expired one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API key lacks the scope this route needs (`submit` to create, `read` to read)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query; `errors` lists each parameter as `?name`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The store is briefly unavailable; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn list_jobs(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<JobPage>, ApiError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field("?limit", "must be 1 to 100"));
    }
    let before = match query.cursor {
        Some(cursor) => Some(
            cursor
                .parse::<JobId>()
                .map_err(|_| ApiError::field("?cursor", "not a cursor from this API"))?,
        ),
        None => None,
    };
    let jobs = state
        .factory
        .pipeline
        .jobs(&JobQuery {
            tenant: Some(caller.tenant),
            status: query.status,
            before,
            limit,
        })
        .await?;
    let next_cursor = (jobs.len() == limit)
        .then(|| jobs.last().map(|j| j.id.to_string()))
        .flatten();
    Ok(Json(JobPage {
        jobs: jobs.iter().map(JobView::from).collect(),
        next_cursor,
    }))
}

/// Cancel a job: steps not yet started never start, running ones are dropped when they end.
#[utoipa::path(
    delete,
    path = "/v1/jobs/{id}",
    operation_id = "cancel_job",
    tag = "jobs",
    params(("id" = String, Path, description = "The job id")),
    responses(
        (status = 200, description = "The job, cancelled (or already ended)", body = JobView),
        (status = 401, description = "No API key, an unknown one, or a revoked or expired one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API key lacks the scope this route needs (`submit` to create, `read` to read)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job for this key (also a job of another tenant)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The store is briefly unavailable; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn cancel_job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let job = owned_job(&state, &caller, &id).await?;
    state.factory.pipeline.cancel(&job.id).await?;
    let job = owned_job(&state, &caller, &id).await?;
    Ok(job_response(&job, false))
}

/// Download one of a job's files (`<kind>.json`, `.md`, `.html`, `manifest.json`, and for a
/// podcast `podcast-script.mp3` and `podcast-script.vtt`).
#[utoipa::path(
    get,
    path = "/v1/jobs/{id}/artifacts/{name}",
    operation_id = "get_artifact",
    tag = "jobs",
    params(("id" = String, Path, description = "The job id"), ("name" = String, Path, description = "A file name from the job's `artifacts`")),
    responses(
        (status = 200, description = "The file: JSON, Markdown, HTML, MP3 audio or WebVTT captions by its extension", body = String, content_type = "application/octet-stream"),
        (status = 307, description = "On Cloud Storage: a redirect to a time-limited signed URL of the file", headers(("Location" = String, description = "The signed URL"))),
        (status = 401, description = "No API key, an unknown one, or a revoked or expired one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API key lacks the scope this route needs (`submit` to create, `read` to read)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job for this key (also a job of another tenant)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The store is briefly unavailable; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn get_artifact(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let job = owned_job(&state, &caller, &id).await?;
    let file = state
        .factory
        .pipeline
        .job_file(&job, &name, state.factory.config.signed_url_ttl)
        .await?
        .ok_or(ApiError::NotFound)?;
    let bytes = match file {
        JobFile::Bytes(bytes) => bytes,
        JobFile::Redirect(url) => {
            let location = HeaderValue::try_from(url).map_err(|e| {
                ApiError::Internal(format!("signed URL is not a header value: {e}"))
            })?;
            return Ok((
                StatusCode::TEMPORARY_REDIRECT,
                [
                    (header::LOCATION, location),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
            )
                .into_response());
        }
    };
    let (content_type, download) = content_type(&name);
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if download
        && let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    // Rendered pages need their own inline styles, and nothing else.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox",
        ),
    );
    Ok(response)
}

/// The content type of a job's file by its name, and whether it is a file to save (an export
/// or an archive) rather than a page to read.
fn content_type(name: &str) -> (&'static str, bool) {
    let extension = name.rsplit('.').next().unwrap_or_default();
    match extension {
        "json" => ("application/json", false),
        "md" => ("text/markdown; charset=utf-8", false),
        "html" => ("text/html; charset=utf-8", false),
        "mp3" => ("audio/mpeg", false),
        "vtt" => ("text/vtt; charset=utf-8", false),
        "apkg" => ("application/vnd.anki", true),
        "zip" => ("application/zip", true),
        "tsv" => ("text/tab-separated-values; charset=utf-8", true),
        "gift" => ("text/plain; charset=utf-8", true),
        _ => ("application/octet-stream", true),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// Days to report, today (UTC) included: 1 to 366 (default 30). Jobs are kept for the
    /// deployment's retention, so older days show what is left of them.
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<u32>,
}

/// What the caller's tenant spent per UTC day: jobs, tokens, characters synthesized and cost.
#[utoipa::path(
    get,
    path = "/v1/usage",
    operation_id = "get_usage",
    tag = "jobs",
    params(UsageQuery),
    responses(
        (status = 200, description = "Usage per day, oldest first, and the total", body = UsageReportView),
        (status = 400, description = "A query parameter is malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No API key, an unknown one, or a revoked or expired one", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The API key lacks the scope this route needs (`submit` to create, `read` to read)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query; `errors` lists each parameter as `?name`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "The store is briefly unavailable; try again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<UsageQuery>,
) -> Result<Json<UsageReportView>, ApiError> {
    const DAY_MILLIS: i64 = 86_400_000;
    let days = query.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::field("?days", "must be 1 to 366"));
    }
    let now = state.factory.pipeline.ports.clock.now().millis();
    let since = Timestamp(now - now.rem_euclid(DAY_MILLIS) - i64::from(days - 1) * DAY_MILLIS);
    let report = state.factory.pipeline.usage(&caller.tenant, since).await?;
    Ok(Json(UsageReportView {
        since: since.utc_day(),
        days: report.days.iter().map(DayUsageView::from).collect(),
        total: DayUsageView::from(&report.total),
        truncated: report.truncated,
    }))
}
