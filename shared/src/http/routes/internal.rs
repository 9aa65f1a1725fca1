//! Internal routes, called by the platform, never by clients: run one step (a Pub/Sub push
//! or a direct call), react to a stored object (an Eventarc CloudEvent, a Cloud Storage
//! notification pushed by Pub/Sub, or a direct call), run maintenance. They answer 2xx when
//! the work is done or needs no retry, and 503 with `Retry-After` when it should be
//! redelivered (Pub/Sub and Eventarc redeliver on any non-2xx answer). The maintenance
//! function also receives dead-lettered steps and lets operators list and retry them, and
//! manage API keys ([`super::operator_keys`]).
//!
//! Who may call them is decided by [`InternalCaller`] before the body is read. `factory serve` does not mount them.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::config::ObjectsConfig;
use crate::content::Kind;
use crate::dispatch::pubsub::StepMessage;
use crate::dispatch::{Delivery, StepTask, WorkHandler};
use crate::http::AppState;
use crate::http::envelopes::{self, PushEnvelope, StorageEvent};
use crate::http::extract::parse;
use crate::http::guard::InternalCaller;
use crate::http::problem::ApiError;
use crate::jobs::JobId;
use crate::pipeline::{MaintenanceReport, Retried};
use crate::store::DeadLetter;

/// `POST /internal/steps` on the function of `kind`.
pub fn steps_router(kind: Kind) -> Router<AppState> {
    Router::new().route(
        "/internal/steps",
        post(move |caller, state, body| run_step(caller, state, kind, body)),
    )
}

pub fn events_router() -> Router<AppState> {
    Router::new().route("/internal/events/storage", post(object_event))
}

/// The maintenance function: the sweep (Cloud Scheduler), the dead-letter topic's push
/// subscription, and the operators' view of dead letters.
pub fn maintenance_router() -> Router<AppState> {
    Router::new()
        .route("/internal/maintenance", post(maintenance))
        .route(
            "/internal/dead-letters",
            post(dead_lettered).get(list_dead_letters),
        )
        .route("/internal/dead-letters/{id}/retry", post(retry_dead_letter))
        .merge(super::operator_keys::router())
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

fn json_body(body: &[u8]) -> Result<serde_json::Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))
}

fn envelope(body: serde_json::Value) -> Result<PushEnvelope, ApiError> {
    serde_json::from_value(body)
        .map_err(|e| ApiError::field("/message", format!("not a Pub/Sub push message: {e}")))
}

async fn run_step(
    _: InternalCaller,
    State(state): State<AppState>,
    kind: Kind,
    body: Bytes,
) -> Result<Response, ApiError> {
    let value = json_body(&body)?;
    let pushed = envelopes::is_push(&value);
    let message: StepMessage = if pushed {
        let envelope = envelope(value)?;
        let payload = envelope
            .message
            .payload()
            .map_err(|e| ApiError::field("/message/data", e.to_string()))?;
        parse(&payload)?
    } else {
        parse(&body)?
    };
    if message.step != kind {
        // Where subscription filters are not applied (the emulator), every function sees
        // every step: acknowledge the others so they are not redelivered here.
        return if pushed {
            tracing::debug!(step = %message.step, "a step for another function; acknowledged");
            Ok(no_content())
        } else {
            Err(ApiError::field(
                "/step",
                format!("this function runs `{kind}` steps"),
            ))
        };
    }
    let job_id: JobId = message
        .job_id
        .parse()
        .map_err(|_| ApiError::field("/job_id", "not a job id"))?;
    match state
        .factory
        .pipeline
        .run_step(&StepTask { job_id, kind })
        .await
    {
        Delivery::Ack => Ok(no_content()),
        Delivery::RetryAfter(delay) => Err(ApiError::Unavailable {
            detail: "the step will be retried".into(),
            retry_after: delay.as_secs().max(1),
        }),
    }
}

/// A direct call names the object; other Cloud Storage fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StorageObject {
    pub name: String,
}

async fn object_event(
    _: InternalCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let event = if let Some(event) = envelopes::cloud_event(&headers, &body) {
        event.map_err(|e| ApiError::BadRequest(e.to_string()))?
    } else {
        let value = json_body(&body)?;
        if envelopes::is_push(&value) {
            envelopes::storage_notification(&envelope(value)?)
                .map_err(|e| ApiError::BadRequest(e.to_string()))?
        } else {
            let object: StorageObject = parse(&body)?;
            StorageEvent::Finalized(envelopes::StorageObjectRef {
                bucket: String::new(),
                name: object.name,
            })
        }
    };
    let StorageEvent::Finalized(object) = event else {
        return Ok(no_content());
    };
    // A notification topic may carry several buckets' events; only ours are work.
    if let ObjectsConfig::Gcs { bucket } = &state.factory.config.objects
        && !object.bucket.is_empty()
        && &object.bucket != bucket
    {
        return Ok(no_content());
    }
    state
        .factory
        .pipeline
        .object_finalized(&object.name)
        .await
        .map_err(|detail| ApiError::Unavailable {
            detail,
            retry_after: 5,
        })?;
    Ok(no_content())
}

async fn maintenance(
    _: InternalCaller,
    State(state): State<AppState>,
) -> Result<Json<MaintenanceReport>, ApiError> {
    Ok(Json(state.factory.pipeline.maintain().await?))
}

/// A step message forwarded by Pub/Sub from a subscription's dead-letter topic.
async fn dead_lettered(
    _: InternalCaller,
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let envelope = envelope(json_body(&body)?)?;
    let payload = envelope
        .message
        .payload()
        .map_err(|e| ApiError::field("/message/data", e.to_string()))?;
    let message: StepMessage = parse(&payload)?;
    let job_id: JobId = message
        .job_id
        .parse()
        .map_err(|_| ApiError::field("/message/data/job_id", "not a job id"))?;
    // Pub/Sub says how often the source subscription delivered it.
    let deliveries = envelope
        .message
        .attributes
        .get("CloudPubSubDeadLetterSourceDeliveryCount")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let task = StepTask {
        job_id,
        kind: message.step,
    };
    state
        .factory
        .pipeline
        .record_dead_letter(&task, deliveries)
        .await?;
    Ok(no_content())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadLetters {
    pub dead_letters: Vec<DeadLetter>,
}

async fn list_dead_letters(
    _: InternalCaller,
    State(state): State<AppState>,
) -> Result<Json<DeadLetters>, ApiError> {
    let dead_letters = state.factory.pipeline.dead_letters(1_000).await?;
    Ok(Json(DeadLetters { dead_letters }))
}

async fn retry_dead_letter(
    _: InternalCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Retried>, ApiError> {
    match state.factory.pipeline.retry_dead_letter(&id).await? {
        Retried::NotFound => Err(ApiError::NotFound),
        retried => Ok(Json(retried)),
    }
}
