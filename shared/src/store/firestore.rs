//! `JobStore` on Firestore (production). One document per job in `jobs/{id}`: the fields that
//! queries need (`tenant`, `status`, `finished`, `id`), a `version`, an `expire_at` for the TTL
//! policy once the job has ended (idempotency records, usage counters and cache entries carry
//! one too), and the job itself as a JSON string (`body`) so that it
//! reads back exactly as written. Content never lives here: artifacts are objects.
//!
//! `save_job` is a compare-and-set without a transaction: read the document, compare its
//! version, then write with an update-time precondition, so a writer that raced us in between
//! makes the write fail (→ `Conflict`). Job creation checks the idempotency record and the
//! daily quota, and writes the job, the counter and the record, in one transaction.
//! The indexes these queries need are listed in `docs/firestore.indexes.json`.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use firestore::errors::{BackoffError, FirestoreError};
use firestore::{FirestoreDb, FirestoreDbOptions, FirestoreTimestamp, FirestoreWritePrecondition};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    Admission, Admitted, ApiKeyRecord, CacheEntry, DeadLetter, JobQuery, JobStore, Scopes,
    StoreError, Versioned, stored_job_id, stored_kind,
};
use crate::clock::Timestamp;
use crate::jobs::{Job, JobId};

const JOBS: &str = "jobs";
const CACHE: &str = "cache";
const API_KEYS: &str = "api_keys";
const USAGE: &str = "usage";
const IDEMPOTENCY: &str = "idempotency";
const DEAD_LETTERS: &str = "dead_letters";

#[derive(Clone)]
pub struct FirestoreStore {
    db: FirestoreDb,
    /// How long an ended job is kept before the TTL policy may delete its document.
    retention: Duration,
}

impl std::fmt::Debug for FirestoreStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirestoreStore")
            .field("project", &self.db.get_database_path())
            .field("retention", &self.retention)
            .finish()
    }
}

/// `jobs/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct JobDoc {
    id: String,
    tenant: String,
    status: String,
    finished: bool,
    created_at: i64,
    updated_at: i64,
    version: i64,
    /// The source's SHA-256 (whether a source is still used by a job).
    #[serde(default)]
    source: String,
    body: String,
    expire_at: Option<FirestoreTimestamp>,
}

/// `usage/{hash of tenant and day}`: jobs a tenant created on a UTC day.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UsageDoc {
    tenant: String,
    day: String,
    jobs: i64,
    /// A few days after the day: the counter is only read on its own day.
    expire_at: Option<FirestoreTimestamp>,
}

/// `idempotency/{hash of tenant and key}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdempotencyDoc {
    tenant: String,
    request_sha256: String,
    job_id: String,
    created_at: i64,
    /// The retention after creation, so the record never outlives its job by much (a replay
    /// after that creates a new job instead of pointing at a deleted one).
    expire_at: Option<FirestoreTimestamp>,
}

/// `api_keys/{sha256}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ApiKeyDoc {
    /// The document id, filled in by the client when a query reads the document.
    #[serde(default, alias = "_firestore_id", skip_serializing)]
    sha256: String,
    tenant: String,
    prefix: String,
    rate_per_minute: i64,
    daily_jobs: Option<i64>,
    created_at: i64,
    #[serde(default)]
    name: String,
    /// `submit,read`; keys created before scopes existed have both.
    #[serde(default)]
    scopes: Option<String>,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    revoked_at: Option<i64>,
}

impl ApiKeyDoc {
    fn of(key: &ApiKeyRecord) -> Self {
        Self {
            sha256: key.sha256.clone(),
            tenant: key.tenant.clone(),
            prefix: key.prefix.clone(),
            rate_per_minute: i64::from(key.rate_per_minute),
            daily_jobs: key.daily_jobs.map(i64::from),
            created_at: key.created_at.millis(),
            name: key.name.clone(),
            scopes: Some(key.scopes.to_string()),
            expires_at: key.expires_at.map(Timestamp::millis),
            revoked_at: key.revoked_at.map(Timestamp::millis),
        }
    }

    fn record(self, sha256: String) -> ApiKeyRecord {
        let scopes = self
            .scopes
            .as_deref()
            .map_or(Some(Scopes::ALL), Scopes::parse);
        ApiKeyRecord {
            sha256,
            tenant: self.tenant,
            prefix: self.prefix,
            rate_per_minute: self.rate_per_minute as u32,
            daily_jobs: self.daily_jobs.map(|n| n as u32),
            created_at: Timestamp(self.created_at),
            name: self.name,
            scopes: scopes.unwrap_or(Scopes {
                submit: false,
                read: false,
            }),
            expires_at: self.expires_at.map(Timestamp),
            revoked_at: self.revoked_at.map(Timestamp),
        }
    }
}

/// `cache/{key}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CacheDoc {
    kind: String,
    object: String,
    created_at: i64,
    /// The retention after creation (the object under `cache/` needs the same lifecycle rule).
    expire_at: Option<FirestoreTimestamp>,
}

/// `dead_letters/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct DeadLetterDoc {
    job_id: String,
    kind: String,
    deliveries: i64,
    reason: String,
    at: i64,
}

/// How long a daily usage counter is kept.
const USAGE_KEPT: Duration = Duration::from_hours(72);

/// `at` (milliseconds since the epoch) plus `after`, as a TTL field.
fn expiry(at: i64, after: Duration) -> Result<Option<FirestoreTimestamp>, StoreError> {
    firestore::jiff::Timestamp::from_millisecond(at + after.as_millis() as i64)
        .map(|t| Some(FirestoreTimestamp(t)))
        .map_err(|e| StoreError::Corrupt(format!("time out of range: {e}")))
}

impl FirestoreStore {
    /// Connects to `project` (and `database`, default `(default)`). With
    /// `FIRESTORE_EMULATOR_HOST` set, the client talks to the emulator without credentials;
    /// otherwise it uses Application Default Credentials.
    pub async fn connect(
        project: &str,
        database: Option<&str>,
        retention: Duration,
    ) -> Result<Self, StoreError> {
        let mut options = FirestoreDbOptions::new(project.to_owned());
        if let Some(database) = database {
            options = options.with_database_id(database.to_owned());
        }
        let db = FirestoreDb::with_options(options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot connect to Firestore: {e}")))?;
        Ok(Self { db, retention })
    }

    /// Deletes a document; returns whether it existed.
    async fn delete_doc(&self, collection: &str, id: &str) -> Result<bool, StoreError> {
        let existed = self
            .db
            .fluent()
            .select()
            .by_id_in(collection)
            .one(id)
            .await
            .map_err(store_error)?
            .is_some();
        if existed {
            self.db
                .fluent()
                .delete()
                .from(collection)
                .document_id(id)
                .execute()
                .await
                .map_err(store_error)?;
        }
        Ok(existed)
    }

    fn job_doc(&self, job: &Job, version: u64) -> Result<JobDoc, StoreError> {
        let expire_at = if job.status.is_terminal() {
            expiry(job.updated_at.millis(), self.retention)?
        } else {
            None
        };
        Ok(JobDoc {
            id: job.id.as_str().to_owned(),
            tenant: job.tenant.clone(),
            status: job.status.slug().to_owned(),
            finished: job.status.is_terminal(),
            created_at: job.created_at.millis(),
            updated_at: job.updated_at.millis(),
            version: version as i64,
            source: job.source.sha256.clone(),
            body: serde_json::to_string(job).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            expire_at,
        })
    }
}

/// The last segment of a document's name: its id.
fn document_id(doc: &firestore::FirestoreDocument) -> String {
    doc.name.rsplit('/').next().unwrap_or_default().to_owned()
}

/// A document id that any tenant name or client key can go into.
fn hashed_id(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

fn decode(doc: &JobDoc) -> Result<Job, StoreError> {
    serde_json::from_str(&doc.body).map_err(|e| StoreError::Corrupt(format!("job document: {e}")))
}

fn store_error(e: FirestoreError) -> StoreError {
    match e {
        FirestoreError::DataConflictError(_) => StoreError::Conflict,
        FirestoreError::DataNotFoundError(_) => StoreError::NotFound,
        FirestoreError::DatabaseError(ref db) if db.public.code == "FailedPrecondition" => {
            StoreError::Conflict
        }
        FirestoreError::DeserializeError(e) => StoreError::Corrupt(e.to_string()),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// What one attempt of the creation transaction decided.
enum Decision {
    Created,
    QuotaExceeded(u32),
    Seen { same_request: bool, job_id: String },
    IdExists,
}

type TxFuture<'b> =
    Pin<Box<dyn Future<Output = Result<Decision, BackoffError<FirestoreError>>> + Send + 'b>>;

#[async_trait]
impl JobStore for FirestoreStore {
    async fn create_job(&self, job: &Job, admission: &Admission) -> Result<Admitted, StoreError> {
        let doc = self.job_doc(job, 1)?;
        let usage_id = hashed_id(&[&job.tenant, &admission.day]);
        let idem_id = admission
            .idempotency
            .as_ref()
            .map(|idem| hashed_id(&[&job.tenant, &idem.key]));
        let usage_expire_at = expiry(job.created_at.millis(), USAGE_KEPT)?;
        let record_expire_at = expiry(job.created_at.millis(), self.retention)?;
        let decision = self
            .db
            .run_transaction(|db, transaction| -> TxFuture<'_> {
                let (doc, usage_id, idem_id) = (doc.clone(), usage_id.clone(), idem_id.clone());
                let (job, admission) = (job.clone(), admission.clone());
                Box::pin(async move {
                    if let (Some(idem), Some(idem_id)) = (&admission.idempotency, &idem_id) {
                        let seen: Option<IdempotencyDoc> = db
                            .fluent()
                            .select()
                            .by_id_in(IDEMPOTENCY)
                            .obj()
                            .one(idem_id)
                            .await?;
                        if let Some(seen) = seen {
                            return Ok(Decision::Seen {
                                same_request: seen.request_sha256 == idem.request_sha256,
                                job_id: seen.job_id,
                            });
                        }
                    }
                    let usage: Option<UsageDoc> = db
                        .fluent()
                        .select()
                        .by_id_in(USAGE)
                        .obj()
                        .one(&usage_id)
                        .await?;
                    let used = usage.as_ref().map_or(0, |u| u.jobs);
                    if let Some(limit) = admission.daily_limit
                        && used >= i64::from(limit)
                    {
                        return Ok(Decision::QuotaExceeded(limit));
                    }
                    let existing: Option<JobDoc> = db
                        .fluent()
                        .select()
                        .by_id_in(JOBS)
                        .obj()
                        .one(&doc.id)
                        .await?;
                    if existing.is_some() {
                        return Ok(Decision::IdExists);
                    }
                    db.fluent()
                        .update()
                        .in_col(JOBS)
                        .document_id(&doc.id)
                        .object(&doc)
                        .add_to_transaction(transaction)?;
                    let usage = UsageDoc {
                        tenant: job.tenant.clone(),
                        day: admission.day.clone(),
                        jobs: used + 1,
                        expire_at: usage_expire_at,
                    };
                    db.fluent()
                        .update()
                        .in_col(USAGE)
                        .document_id(&usage_id)
                        .object(&usage)
                        .add_to_transaction(transaction)?;
                    if let (Some(idem), Some(idem_id)) = (&admission.idempotency, &idem_id) {
                        let record = IdempotencyDoc {
                            tenant: job.tenant.clone(),
                            request_sha256: idem.request_sha256.clone(),
                            job_id: doc.id.clone(),
                            created_at: doc.created_at,
                            expire_at: record_expire_at,
                        };
                        db.fluent()
                            .update()
                            .in_col(IDEMPOTENCY)
                            .document_id(idem_id)
                            .object(&record)
                            .add_to_transaction(transaction)?;
                    }
                    Ok(Decision::Created)
                })
            })
            .await
            .map_err(store_error)?;
        match decision {
            Decision::Created => Ok(Admitted::Created),
            Decision::QuotaExceeded(limit) => Ok(Admitted::QuotaExceeded { limit }),
            Decision::Seen {
                same_request,
                job_id,
            } => {
                let id = stored_job_id(&job_id)?;
                Ok(if same_request {
                    Admitted::Replayed(id)
                } else {
                    Admitted::KeyReused(id)
                })
            }
            Decision::IdExists => Err(StoreError::Conflict),
        }
    }

    async fn jobs_on(&self, tenant: &str, day: &str) -> Result<u32, StoreError> {
        let usage: Option<UsageDoc> = self
            .db
            .fluent()
            .select()
            .by_id_in(USAGE)
            .obj()
            .one(hashed_id(&[tenant, day]))
            .await
            .map_err(store_error)?;
        Ok(usage.map_or(0, |u| u.jobs as u32))
    }

    async fn put_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        self.db
            .fluent()
            .insert()
            .into(API_KEYS)
            .document_id(&key.sha256)
            .object(&ApiKeyDoc::of(key))
            .execute::<ApiKeyDoc>()
            .await
            .map(|_| ())
            .map_err(store_error)
    }

    async fn api_key(&self, sha256: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let doc: Option<ApiKeyDoc> = self
            .db
            .fluent()
            .select()
            .by_id_in(API_KEYS)
            .obj()
            .one(sha256)
            .await
            .map_err(store_error)?;
        Ok(doc.map(|doc| doc.record(sha256.to_owned())))
    }

    async fn api_keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKeyRecord>, StoreError> {
        // Sorted here, not by the query: a tenant has few keys, and no composite index needed.
        let docs: Vec<ApiKeyDoc> = self
            .db
            .fluent()
            .select()
            .from(API_KEYS)
            .filter(|q| q.for_all([tenant.and_then(|t| q.field("tenant").eq(t))]))
            .obj()
            .query()
            .await
            .map_err(store_error)?;
        let mut keys: Vec<ApiKeyRecord> = docs
            .into_iter()
            .map(|doc| {
                let sha256 = doc.sha256.clone();
                doc.record(sha256)
            })
            .collect();
        keys.sort_by(|a, b| (a.created_at, &a.sha256).cmp(&(b.created_at, &b.sha256)));
        Ok(keys)
    }

    async fn set_api_key_validity(
        &self,
        sha256: &str,
        expires_at: Option<Timestamp>,
        revoked_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let Some(current) = self.api_key(sha256).await? else {
            return Err(StoreError::NotFound);
        };
        let doc = ApiKeyDoc::of(&ApiKeyRecord {
            expires_at,
            revoked_at,
            ..current
        });
        self.db
            .fluent()
            .update()
            .fields(firestore::paths!(ApiKeyDoc::{expires_at, revoked_at}))
            .in_col(API_KEYS)
            .document_id(sha256)
            .object(&doc)
            .execute::<ApiKeyDoc>()
            .await
            .map(|_| ())
            .map_err(store_error)
    }

    async fn get_job(&self, id: &JobId) -> Result<Option<Versioned<Job>>, StoreError> {
        let doc: Option<JobDoc> = self
            .db
            .fluent()
            .select()
            .by_id_in(JOBS)
            .obj()
            .one(id.as_str())
            .await
            .map_err(store_error)?;
        doc.map(|doc| {
            Ok(Versioned {
                value: decode(&doc)?,
                version: doc.version as u64,
            })
        })
        .transpose()
    }

    async fn save_job(&self, job: &Job, expected: u64) -> Result<u64, StoreError> {
        let current = self
            .db
            .fluent()
            .select()
            .by_id_in(JOBS)
            .one(job.id.as_str())
            .await
            .map_err(store_error)?
            .ok_or(StoreError::NotFound)?;
        let stored: JobDoc = FirestoreDb::deserialize_doc_to(&current).map_err(store_error)?;
        if stored.version as u64 != expected {
            return Err(StoreError::Conflict);
        }
        let update_time = current
            .update_time
            .ok_or_else(|| StoreError::Corrupt("a job document without an update time".into()))?;
        let update_time = firestore::jiff::Timestamp::new(update_time.seconds, update_time.nanos)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let doc = self.job_doc(job, expected + 1)?;
        self.db
            .fluent()
            .update()
            .in_col(JOBS)
            .precondition(FirestoreWritePrecondition::UpdateTime(update_time))
            .document_id(job.id.as_str())
            .object(&doc)
            .execute::<JobDoc>()
            .await
            .map_err(store_error)?;
        Ok(expected + 1)
    }

    async fn list_jobs(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
        let docs: Vec<JobDoc> = self
            .db
            .fluent()
            .select()
            .from(JOBS)
            .filter(|q| {
                q.for_all([
                    query
                        .tenant
                        .as_ref()
                        .and_then(|t| q.field("tenant").eq(t.clone())),
                    query.status.and_then(|s| q.field("status").eq(s.slug())),
                    query
                        .before
                        .as_ref()
                        .and_then(|b| q.field("id").less_than(b.as_str())),
                ])
            })
            .order(|o| o.fields([o.field("id").descending()]))
            .limit(query.limit as u32)
            .obj()
            .query()
            .await
            .map_err(store_error)?;
        docs.iter().map(decode).collect()
    }

    async fn unfinished_jobs(&self, limit: usize) -> Result<Vec<JobId>, StoreError> {
        let docs: Vec<JobDoc> = self
            .db
            .fluent()
            .select()
            .from(JOBS)
            .filter(|q| q.field("finished").eq(false))
            .order(|o| o.fields([o.field("id").ascending()]))
            .limit(limit as u32)
            .obj()
            .query()
            .await
            .map_err(store_error)?;
        docs.iter().map(|doc| stored_job_id(&doc.id)).collect()
    }

    async fn ended_before(
        &self,
        cutoff: Timestamp,
        limit: usize,
    ) -> Result<Vec<JobId>, StoreError> {
        let docs: Vec<JobDoc> = self
            .db
            .fluent()
            .select()
            .from(JOBS)
            .filter(|q| {
                q.for_all([
                    q.field("finished").eq(true),
                    q.field("updated_at").less_than(cutoff.millis()),
                ])
            })
            .order(|o| o.fields([o.field("updated_at").ascending()]))
            .limit(limit as u32)
            .obj()
            .query()
            .await
            .map_err(store_error)?;
        docs.iter().map(|doc| stored_job_id(&doc.id)).collect()
    }

    async fn delete_job(&self, id: &JobId) -> Result<bool, StoreError> {
        self.delete_doc(JOBS, id.as_str()).await
    }

    async fn source_in_use(&self, sha256: &str) -> Result<bool, StoreError> {
        let docs: Vec<JobDoc> = self
            .db
            .fluent()
            .select()
            .from(JOBS)
            .filter(|q| q.field("source").eq(sha256))
            .limit(1)
            .obj()
            .query()
            .await
            .map_err(store_error)?;
        Ok(!docs.is_empty())
    }

    async fn cache_get(&self, key: &str) -> Result<Option<CacheEntry>, StoreError> {
        let doc: Option<CacheDoc> = self
            .db
            .fluent()
            .select()
            .by_id_in(CACHE)
            .obj()
            .one(key)
            .await
            .map_err(store_error)?;
        doc.map(|doc| {
            Ok(CacheEntry {
                key: key.to_owned(),
                kind: stored_kind(&doc.kind)?,
                object: doc.object,
                created_at: Timestamp(doc.created_at),
            })
        })
        .transpose()
    }

    async fn cache_put(&self, entry: &CacheEntry) -> Result<(), StoreError> {
        let doc = CacheDoc {
            kind: entry.kind.slug().to_owned(),
            object: entry.object.clone(),
            created_at: entry.created_at.millis(),
            expire_at: expiry(entry.created_at.millis(), self.retention)?,
        };
        match self
            .db
            .fluent()
            .insert()
            .into(CACHE)
            .document_id(&entry.key)
            .object(&doc)
            .execute::<CacheDoc>()
            .await
            .map_err(store_error)
        {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(other) => Err(other),
        }
    }

    async fn cache_older_than(
        &self,
        cutoff: Timestamp,
        limit: usize,
    ) -> Result<Vec<CacheEntry>, StoreError> {
        let docs: Vec<firestore::FirestoreDocument> = self
            .db
            .fluent()
            .select()
            .from(CACHE)
            .filter(|q| q.field("created_at").less_than(cutoff.millis()))
            .order(|o| o.fields([o.field("created_at").ascending()]))
            .limit(limit as u32)
            .query()
            .await
            .map_err(store_error)?;
        docs.iter()
            .map(|doc| {
                let cache: CacheDoc = FirestoreDb::deserialize_doc_to(doc).map_err(store_error)?;
                Ok(CacheEntry {
                    key: document_id(doc),
                    kind: stored_kind(&cache.kind)?,
                    object: cache.object,
                    created_at: Timestamp(cache.created_at),
                })
            })
            .collect()
    }

    async fn cache_delete(&self, key: &str) -> Result<bool, StoreError> {
        self.delete_doc(CACHE, key).await
    }

    async fn put_dead_letter(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let doc = DeadLetterDoc {
            job_id: letter.job_id.as_str().to_owned(),
            kind: letter.kind.slug().to_owned(),
            deliveries: i64::from(letter.deliveries),
            reason: letter.reason.clone(),
            at: letter.at.millis(),
        };
        self.db
            .fluent()
            .update()
            .in_col(DEAD_LETTERS)
            .document_id(&letter.id)
            .object(&doc)
            .execute::<DeadLetterDoc>()
            .await
            .map(|_| ())
            .map_err(store_error)
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        let docs: Vec<firestore::FirestoreDocument> = self
            .db
            .fluent()
            .select()
            .from(DEAD_LETTERS)
            .order(|o| o.fields([o.field("at").ascending()]))
            .limit(limit as u32)
            .query()
            .await
            .map_err(store_error)?;
        docs.iter()
            .map(|doc| {
                let letter: DeadLetterDoc =
                    FirestoreDb::deserialize_doc_to(doc).map_err(store_error)?;
                Ok(DeadLetter {
                    id: document_id(doc),
                    job_id: stored_job_id(&letter.job_id)?,
                    kind: stored_kind(&letter.kind)?,
                    deliveries: letter.deliveries as u32,
                    reason: letter.reason,
                    at: Timestamp(letter.at),
                })
            })
            .collect()
    }

    async fn delete_dead_letter(&self, id: &str) -> Result<bool, StoreError> {
        self.delete_doc(DEAD_LETTERS, id).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.db
            .fluent()
            .select()
            .by_id_in(JOBS)
            .one("ping")
            .await
            .map(|_| ())
            .map_err(store_error)
    }
}
