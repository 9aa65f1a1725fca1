//! The operators' API keys routes on the maintenance function (internal: callers pass the
//! same check as every `/internal/*` route, so on Cloud Run only the operator identities in
//! `FACTORY_OIDC_ALLOWED_EMAILS`): list, create, rotate, expire and revoke, as
//! `factory keys` does from a shell. Keys are named by their printed prefix or their hash;
//! a secret is shown only in the answer that creates it.
//!
//! - `GET /internal/keys?tenant=T`
//! - `POST /internal/keys` `{tenant, name?, scopes?, rate_per_minute?, daily_jobs?, expires_in_secs?}`
//! - `POST /internal/keys/{key}/rotate` `{grace_secs?}` (default a day)
//! - `POST /internal/keys/{key}/expire` `{in_secs}`
//! - `POST /internal/keys/{key}/revoke`

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::http::AppState;
use crate::http::extract::parse;
use crate::http::guard::InternalCaller;
use crate::http::keys::{
    FindKeyError, KeySpec, NewKey, expire_key, find_key, issue_key, revoke_key, rotate_key,
};
use crate::http::problem::ApiError;
use crate::store::{ApiKeyRecord, Scopes};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/internal/keys", get(list).post(create))
        .route("/internal/keys/{key}/rotate", post(rotate))
        .route("/internal/keys/{key}/expire", post(expire))
        .route("/internal/keys/{key}/revoke", post(revoke))
}

/// A key as operators see it: never its secret or full hash.
#[derive(Debug, Serialize)]
struct KeyView {
    prefix: String,
    tenant: String,
    name: String,
    scopes: Vec<&'static str>,
    rate_per_minute: u32,
    daily_jobs: Option<u32>,
    created_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    /// `active`, `expired` or `revoked`, now.
    state: &'static str,
}

impl KeyView {
    fn of(key: &ApiKeyRecord, now: Timestamp) -> Self {
        Self {
            prefix: key.prefix.clone(),
            tenant: key.tenant.clone(),
            name: key.name.clone(),
            scopes: key.scopes.names(),
            rate_per_minute: key.rate_per_minute,
            daily_jobs: key.daily_jobs,
            created_at: key.created_at.to_rfc3339(),
            expires_at: key.expires_at.map(Timestamp::to_rfc3339),
            revoked_at: key.revoked_at.map(Timestamp::to_rfc3339),
            state: key.state(now).slug(),
        }
    }
}

/// A new key: its secret, shown this once.
#[derive(Debug, Serialize)]
struct Created {
    secret: String,
    key: KeyView,
}

fn created(key: &NewKey, now: Timestamp) -> Created {
    Created {
        secret: key.secret.clone(),
        key: KeyView::of(&key.record, now),
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    tenant: Option<String>,
}

async fn list(
    _: InternalCaller,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let now = state.factory.pipeline.ports.clock.now();
    let keys = state
        .factory
        .pipeline
        .ports
        .store
        .api_keys(query.tenant.as_deref())
        .await?;
    let keys: Vec<KeyView> = keys.iter().map(|k| KeyView::of(k, now)).collect();
    Ok(Json(serde_json::json!({ "keys": keys })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    tenant: String,
    #[serde(default)]
    name: String,
    /// `["submit", "read"]` by default.
    scopes: Option<Vec<String>>,
    rate_per_minute: Option<u32>,
    daily_jobs: Option<u32>,
    expires_in_secs: Option<u64>,
}

async fn create(
    _: InternalCaller,
    State(state): State<AppState>,
    raw: Bytes,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let body: CreateBody = parse(&raw)?;
    let scopes = match &body.scopes {
        None => Scopes::ALL,
        Some(list) => Scopes::parse(&list.join(",")).ok_or_else(|| {
            ApiError::field("/scopes", "scopes are `submit` and/or `read`, at least one")
        })?,
    };
    let pipeline = &state.factory.pipeline;
    let clock = pipeline.ports.clock.as_ref();
    let spec = KeySpec {
        tenant: body.tenant.trim().to_owned(),
        rate_per_minute: body
            .rate_per_minute
            .unwrap_or(state.factory.config.default_rate),
        daily_jobs: body.daily_jobs,
        name: body.name,
        scopes,
        expires_at: body
            .expires_in_secs
            .map(|s| clock.now().plus(Duration::from_secs(s))),
    };
    if let Some((field, why)) = spec.problem() {
        return Err(ApiError::field(format!("/{field}"), why));
    }
    let key = issue_key(pipeline.ports.store.as_ref(), clock, &spec).await?;
    Ok((StatusCode::CREATED, Json(created(&key, clock.now()))))
}

async fn found(state: &AppState, key: &str) -> Result<ApiKeyRecord, ApiError> {
    find_key(state.factory.pipeline.ports.store.as_ref(), key)
        .await
        .map_err(|e| match e {
            FindKeyError::NotFound(_) => ApiError::NotFound,
            FindKeyError::Ambiguous { .. } => ApiError::Conflict(e.to_string()),
            FindKeyError::Store(e) => e.into(),
        })
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateBody {
    grace_secs: Option<u64>,
}

async fn rotate(
    _: InternalCaller,
    State(state): State<AppState>,
    Path(key): Path<String>,
    raw: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let body: RotateBody = if raw.is_empty() {
        RotateBody::default()
    } else {
        parse(&raw)?
    };
    let old = found(&state, &key).await?;
    if old.revoked_at.is_some() {
        return Err(ApiError::Conflict(format!("{} is revoked", old.prefix)));
    }
    let grace = Duration::from_secs(body.grace_secs.unwrap_or(86_400));
    let pipeline = &state.factory.pipeline;
    let clock = pipeline.ports.clock.as_ref();
    let (new, old) = rotate_key(pipeline.ports.store.as_ref(), clock, &old, grace).await?;
    let now = clock.now();
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"new": created(&new, now), "old": KeyView::of(&old, now)})),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpireBody {
    in_secs: u64,
}

async fn expire(
    _: InternalCaller,
    State(state): State<AppState>,
    Path(key): Path<String>,
    raw: Bytes,
) -> Result<Json<KeyView>, ApiError> {
    let body: ExpireBody = parse(&raw)?;
    let key = found(&state, &key).await?;
    let pipeline = &state.factory.pipeline;
    let now = pipeline.ports.clock.now();
    let at = now.plus(Duration::from_secs(body.in_secs));
    let key = expire_key(pipeline.ports.store.as_ref(), &key, Some(at)).await?;
    Ok(Json(KeyView::of(&key, now)))
}

async fn revoke(
    _: InternalCaller,
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<KeyView>, ApiError> {
    let key = found(&state, &key).await?;
    let pipeline = &state.factory.pipeline;
    let clock = pipeline.ports.clock.as_ref();
    let key = revoke_key(pipeline.ports.store.as_ref(), clock, &key).await?;
    Ok(Json(KeyView::of(&key, clock.now())))
}
