//! The `JobStore` port: jobs (with their steps and artifacts), the content-addressed cache
//! index, API keys, daily usage counters, idempotency records and dead letters.
//! Stores load and save whole jobs guarded by a version number; every state change is
//! a pure function in [`crate::jobs`] applied through [`update_job`], which retries lost races.
//!
//! Adapters: [`sqlite::SqliteStore`] (embedded), [`firestore::FirestoreStore`] (Google
//! Cloud). Each must pass the contract suite in
//! `shared/tests/integration/store_contract.rs`.

pub mod firestore;
pub mod sqlite;

use std::fmt;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::content::Kind;
use crate::jobs::{Job, JobId, JobStatus};

/// A value with the version it was read at.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

/// Which jobs to list: newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobQuery {
    /// Only this tenant's jobs (all tenants when `None`).
    pub tenant: Option<String>,
    pub status: Option<JobStatus>,
    /// Only jobs older than this id (the cursor of the previous page).
    pub before: Option<JobId>,
    pub limit: usize,
}

/// What guards the creation of a job: the tenant's daily quota and an idempotency key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Admission {
    /// Most jobs the tenant may create on `day`; `None` = unlimited.
    pub daily_limit: Option<u32>,
    /// The UTC day the job counts against (`YYYY-MM-DD`).
    pub day: String,
    pub idempotency: Option<Idempotency>,
}

/// A client's `Idempotency-Key` and the SHA-256 of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    pub key: String,
    pub request_sha256: String,
}

/// The outcome of [`JobStore::create_job`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admitted {
    /// The job was stored and counted against the quota.
    Created,
    /// The idempotency key was used before with the same request: that job is the answer.
    Replayed(JobId),
    /// The idempotency key was used before with a different request.
    KeyReused(JobId),
    /// The tenant already created `limit` jobs today; nothing was stored.
    QuotaExceeded { limit: u32 },
}

/// An API key as stored: its SHA-256 only, never the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub sha256: String,
    pub tenant: String,
    /// The key's first characters, to tell keys apart in listings.
    pub prefix: String,
    /// Requests per minute allowed for this key.
    pub rate_per_minute: u32,
    /// Jobs per UTC day allowed for the tenant through this key; `None` = unlimited.
    pub daily_jobs: Option<u32>,
    pub created_at: Timestamp,
    /// What the key is for, in a few words (empty when not given).
    pub name: String,
    pub scopes: Scopes,
    /// The key stops working at this time (set by `expire`, or by `rotate` after the grace).
    pub expires_at: Option<Timestamp>,
    /// The key stopped working at this time.
    pub revoked_at: Option<Timestamp>,
}

impl ApiKeyRecord {
    /// Whether the key works at `now`.
    pub fn state(&self, now: Timestamp) -> KeyState {
        if self.revoked_at.is_some_and(|at| at <= now) {
            KeyState::Revoked
        } else if self.expires_at.is_some_and(|at| at <= now) {
            KeyState::Expired
        } else {
            KeyState::Active
        }
    }

    /// Why the key may not be used at `now`, if it may not.
    pub fn refusal(&self, now: Timestamp) -> Option<&'static str> {
        match self.state(now) {
            KeyState::Active => None,
            KeyState::Revoked => Some("the API key was revoked"),
            KeyState::Expired => Some("the API key has expired"),
        }
    }
}

/// Whether a key works, and if not why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Active,
    Expired,
    Revoked,
}

impl KeyState {
    pub fn slug(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
        }
    }
}

/// What a key may do: submit jobs (`POST`), read them (`GET`), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Scopes {
    pub submit: bool,
    pub read: bool,
}

impl Scopes {
    pub const ALL: Self = Self {
        submit: true,
        read: true,
    };

    /// `submit,read`, `submit` or `read`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut scopes = Self {
            submit: false,
            read: false,
        };
        for scope in text.split(',').map(str::trim) {
            match scope {
                "submit" => scopes.submit = true,
                "read" => scopes.read = true,
                _ => return None,
            }
        }
        (scopes.submit || scopes.read).then_some(scopes)
    }
}

impl Scopes {
    /// `["submit", "read"]`, or the one granted.
    pub fn names(self) -> Vec<&'static str> {
        [(self.submit, "submit"), (self.read, "read")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect()
    }
}

impl std::fmt::Display for Scopes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

/// One entry of the content-addressed cache: the object holding a kind's artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheEntry {
    /// Hex SHA-256 of everything that determines the artifact (see `pipeline::cache_key`).
    pub key: String,
    pub kind: Kind,
    /// Object path of the cached artifact.
    pub object: String,
    pub created_at: Timestamp,
}

/// A step whose deliveries were exhausted without an answer that settled it (the Pub/Sub
/// dead-letter topic, or the in-process queue giving up): kept until an operator retries or
/// dismisses it. One per step: a later dead letter for the same step replaces it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DeadLetter {
    /// `<job id>.<kind>`.
    pub id: String,
    #[schema(value_type = String)]
    pub job_id: JobId,
    pub kind: Kind,
    /// Deliveries made before giving up (as Pub/Sub counted them, when known).
    pub deliveries: u32,
    /// The last reason the step could not be run, when known.
    pub reason: String,
    #[schema(value_type = String)]
    pub at: Timestamp,
}

impl DeadLetter {
    pub fn new(
        job_id: JobId,
        kind: Kind,
        deliveries: u32,
        reason: impl Into<String>,
        at: Timestamp,
    ) -> Self {
        Self {
            id: format!("{job_id}.{kind}"),
            job_id,
            kind,
            deliveries,
            reason: reason.into(),
            at,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The job exists already (create) or changed since it was read (save).
    #[error("conflict: the job was changed by someone else")]
    Conflict,
    #[error("not found")]
    NotFound,
    /// The database could not be reached or failed; retrying may help.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A stored document could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Job state and the cache index.
#[async_trait]
pub trait JobStore: Send + Sync + fmt::Debug {
    /// Saves a new job at version 1, in one transaction with its admission checks: an
    /// idempotency key seen before for the tenant answers with the earlier job (same request)
    /// or a conflict (different request); a full daily quota refuses; otherwise the job is
    /// stored, the tenant's counter for the day goes up by one and the key is recorded.
    /// An existing job id → [`StoreError::Conflict`].
    async fn create_job(&self, job: &Job, admission: &Admission) -> Result<Admitted, StoreError>;

    /// Jobs the tenant created on `day` (`YYYY-MM-DD`).
    async fn jobs_on(&self, tenant: &str, day: &str) -> Result<u32, StoreError>;

    /// Stores a new API key. An existing hash → [`StoreError::Conflict`].
    async fn put_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError>;

    /// The key with this SHA-256, if any.
    async fn api_key(&self, sha256: &str) -> Result<Option<ApiKeyRecord>, StoreError>;

    /// Every key, or the tenant's, oldest first.
    async fn api_keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKeyRecord>, StoreError>;

    /// Sets when the key stops working (expiry) and whether it was revoked. No such key →
    /// [`StoreError::NotFound`].
    async fn set_api_key_validity(
        &self,
        sha256: &str,
        expires_at: Option<Timestamp>,
        revoked_at: Option<Timestamp>,
    ) -> Result<(), StoreError>;

    /// The job and its current version; `None` if there is no such job.
    async fn get_job(&self, id: &JobId) -> Result<Option<Versioned<Job>>, StoreError>;

    /// Replaces the job if its stored version is still `expected`, and returns the new
    /// version (`expected + 1`). A newer version → [`StoreError::Conflict`]; no such job →
    /// [`StoreError::NotFound`].
    async fn save_job(&self, job: &Job, expected: u64) -> Result<u64, StoreError>;

    /// Jobs matching `query`, newest first, at most `query.limit`.
    async fn list_jobs(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError>;

    /// Ids of jobs that have not ended, oldest first, at most `limit`: what a restart resumes.
    async fn unfinished_jobs(&self, limit: usize) -> Result<Vec<JobId>, StoreError>;

    /// Ids of jobs that ended and last changed before `cutoff`, oldest first, at most
    /// `limit`: what retention removes.
    async fn ended_before(&self, cutoff: Timestamp, limit: usize)
    -> Result<Vec<JobId>, StoreError>;

    /// Removes the job's record (not its objects); returns whether there was one.
    async fn delete_job(&self, id: &JobId) -> Result<bool, StoreError>;

    /// Whether any stored job was made from the source with this SHA-256.
    async fn source_in_use(&self, sha256: &str) -> Result<bool, StoreError>;

    /// The cache entry for `key`, if any.
    async fn cache_get(&self, key: &str) -> Result<Option<CacheEntry>, StoreError>;

    /// Records a cache entry. If the key is already present the first entry is kept, so
    /// concurrent writers of the same (deterministic) key are harmless.
    async fn cache_put(&self, entry: &CacheEntry) -> Result<(), StoreError>;

    /// Cache entries created before `cutoff`, oldest first, at most `limit`.
    async fn cache_older_than(
        &self,
        cutoff: Timestamp,
        limit: usize,
    ) -> Result<Vec<CacheEntry>, StoreError>;

    /// Removes a cache entry; returns whether there was one.
    async fn cache_delete(&self, key: &str) -> Result<bool, StoreError>;

    /// Records a dead letter, replacing an earlier one with the same id.
    async fn put_dead_letter(&self, letter: &DeadLetter) -> Result<(), StoreError>;

    /// Dead letters, oldest first, at most `limit`.
    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError>;

    /// Removes a dead letter; returns whether there was one.
    async fn delete_dead_letter(&self, id: &str) -> Result<bool, StoreError>;

    /// Checks that the store answers (for readiness probes).
    async fn ping(&self) -> Result<(), StoreError>;
}

/// A job id read back from a store; an unreadable one means corrupt data.
fn stored_job_id(id: &str) -> Result<JobId, StoreError> {
    id.parse()
        .map_err(|e: crate::jobs::InvalidJobId| StoreError::Corrupt(e.to_string()))
}

/// A kind read back from a store; an unknown one means corrupt data.
fn stored_kind(kind: &str) -> Result<Kind, StoreError> {
    kind.parse()
        .map_err(|e: crate::content::UnknownKind| StoreError::Corrupt(e.to_string()))
}

/// How often [`update_job`] re-reads and retries after losing a race.
const UPDATE_ATTEMPTS: usize = 50;

/// Reads a job, applies `change`, and saves it if it changed, retrying from a fresh read
/// whenever another writer got there first. Returns the job as saved and what `change`
/// returned on the attempt that won.
pub async fn update_job<R>(
    store: &dyn JobStore,
    id: &JobId,
    mut change: impl FnMut(&mut Job) -> R,
) -> Result<(Job, R), StoreError> {
    for attempt in 0..UPDATE_ATTEMPTS {
        let Versioned {
            value: mut job,
            version,
        } = store.get_job(id).await?.ok_or(StoreError::NotFound)?;
        let before = job.clone();
        let result = change(&mut job);
        if job == before {
            return Ok((job, result));
        }
        match store.save_job(&job, version).await {
            Ok(_) => return Ok((job, result)),
            Err(StoreError::Conflict) => {
                // A lost race usually wins on the next read: retry at once a few times, then
                // spread retries out so a crowd of writers stops colliding.
                if attempt < 3 {
                    tokio::task::yield_now().await;
                } else {
                    let noise = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| u64::from(d.subsec_nanos()));
                    let spread = 1 + noise % 5;
                    tokio::time::sleep(std::time::Duration::from_millis(spread)).await;
                }
            }
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Unavailable(format!(
        "job {id} kept changing under {UPDATE_ATTEMPTS} attempts to update it"
    )))
}
