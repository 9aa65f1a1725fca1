//! Internal routes, called by the platform, never by clients: run one step (a dispatch),
//! react to a stored object (post-processing), run maintenance. They answer 2xx when the
//! work is done or needs no retry, and 503 with `Retry-After` when it should be redelivered.
//!
//! They are mounted only on the deployed functions, and only answer when
//! `FACTORY_INTERNAL_AUTH=off` (the local harness); production authentication of the
//! platform's OIDC tokens is configured separately. `factory serve` does not mount them.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::content::Kind;
use crate::dispatch::StepTask;
use crate::dispatch::inline::{Delivery, WorkHandler};
use crate::http::AppState;
use crate::http::extract::StrictJson;
use crate::http::problem::ApiError;
use crate::jobs::JobId;
use crate::objects::{ObjectPath, ObjectWritten};

pub fn steps_router() -> Router<AppState> {
    Router::new().route("/internal/steps", post(run_step))
}

pub fn events_router() -> Router<AppState> {
    Router::new().route("/internal/events/storage", post(object_event))
}

pub fn maintenance_router() -> Router<AppState> {
    Router::new().route("/internal/maintenance", post(maintenance))
}

fn allowed(state: &AppState) -> Result<(), ApiError> {
    if state.settings.internal_routes_open {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "set FACTORY_INTERNAL_AUTH=off to open them on a private network".into(),
        ))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepMessage {
    pub job_id: String,
    pub kind: Kind,
}

async fn run_step(
    State(state): State<AppState>,
    StrictJson { value, .. }: StrictJson<StepMessage>,
) -> Result<Response, ApiError> {
    allowed(&state)?;
    let job_id: JobId = value
        .job_id
        .parse()
        .map_err(|_| ApiError::field("/job_id", "not a job id"))?;
    match state
        .factory
        .pipeline
        .run_step(&StepTask {
            job_id,
            kind: value.kind,
        })
        .await
    {
        Delivery::Ack => Ok(StatusCode::NO_CONTENT.into_response()),
        Delivery::RetryAfter(delay) => Err(ApiError::Unavailable {
            detail: "the step will be retried".into(),
            retry_after: delay.as_secs().max(1),
        }),
    }
}

/// The part of a Cloud Storage object event the factory reads (other fields are ignored).
#[derive(Debug, Deserialize, ToSchema)]
pub struct StorageObject {
    pub name: String,
}

async fn object_event(
    State(state): State<AppState>,
    StrictJson { value: object, .. }: StrictJson<StorageObject>,
) -> Result<Response, ApiError> {
    allowed(&state)?;
    let Ok(path) = ObjectPath::new(object.name) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    if let Some(info) = state.factory.pipeline.ports.objects.head(&path).await? {
        state
            .factory
            .pipeline
            .object_written(&ObjectWritten { info })
            .await;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceReport {
    pub jobs: usize,
    pub dispatched: usize,
    pub rerendered: usize,
    pub settled: usize,
}

async fn maintenance(State(state): State<AppState>) -> Result<Json<MaintenanceReport>, ApiError> {
    allowed(&state)?;
    let r = state.factory.pipeline.resume().await?;
    tracing::info!(
        jobs = r.jobs,
        dispatched = r.dispatched,
        rerendered = r.rerendered,
        settled = r.settled,
        "maintenance sweep"
    );
    Ok(Json(MaintenanceReport {
        jobs: r.jobs,
        dispatched: r.dispatched,
        rerendered: r.rerendered,
        settled: r.settled,
    }))
}
