//! `JobStore` on SQLite: one file, WAL journal, numbered schema migrations. A job is one row
//! holding its JSON document and a version; `save_job` is a compare-and-set on that version.
//! Several processes may share the file (a `factory generate` next to a `factory serve`):
//! SQLite's own locking plus the version check keep every update whole.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Admission, Admitted, ApiKeyRecord, CacheEntry, DeadLetter, JobQuery, JobStore, Scopes,
    StoreError, Versioned, stored_job_id, stored_kind,
};
use crate::clock::Timestamp;
use crate::jobs::{Job, JobId, JobStatus};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        status TEXT NOT NULL,
        finished INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX jobs_by_tenant ON jobs (tenant, id);
    CREATE INDEX jobs_unfinished ON jobs (finished, id);
    CREATE TABLE cache (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        object TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );",
    "CREATE TABLE api_keys (
        sha256 TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        prefix TEXT NOT NULL,
        rate_per_minute INTEGER NOT NULL,
        daily_jobs INTEGER,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE usage (
        tenant TEXT NOT NULL,
        day TEXT NOT NULL,
        jobs INTEGER NOT NULL,
        PRIMARY KEY (tenant, day)
    );
    CREATE TABLE idempotency (
        tenant TEXT NOT NULL,
        key TEXT NOT NULL,
        request_sha256 TEXT NOT NULL,
        job_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, key)
    );",
    "ALTER TABLE jobs ADD COLUMN source_sha256 TEXT NOT NULL DEFAULT '';
    UPDATE jobs SET source_sha256 = COALESCE(json_extract(body, '$.source.sha256'), '');
    CREATE INDEX jobs_by_source ON jobs (source_sha256);
    CREATE INDEX jobs_ended ON jobs (finished, updated_at);
    CREATE INDEX cache_by_age ON cache (created_at);
    CREATE TABLE dead_letters (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        deliveries INTEGER NOT NULL,
        reason TEXT NOT NULL,
        at INTEGER NOT NULL
    );",
    "ALTER TABLE api_keys ADD COLUMN name TEXT NOT NULL DEFAULT '';
    ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'submit,read';
    ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
    ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
    CREATE INDEX api_keys_by_tenant ON api_keys (tenant, created_at);",
];

const KEY_COLUMNS: &str = "sha256, tenant, prefix, rate_per_minute, daily_jobs, created_at, name, scopes, expires_at, revoked_at";

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiKeyRecord> {
    let scopes: String = r.get(7)?;
    Ok(ApiKeyRecord {
        sha256: r.get(0)?,
        tenant: r.get(1)?,
        prefix: r.get(2)?,
        rate_per_minute: r.get(3)?,
        daily_jobs: r.get(4)?,
        created_at: Timestamp(r.get(5)?),
        name: r.get(6)?,
        scopes: Scopes::parse(&scopes).unwrap_or(Scopes {
            submit: false,
            read: false,
        }),
        expires_at: r.get::<_, Option<i64>>(8)?.map(Timestamp),
        revoked_at: r.get::<_, Option<i64>>(9)?.map(Timestamp),
    })
}

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: Arc<Pool>,
}

/// Connections to one database file. WAL lets readers run beside a writer; SQLite's own
/// locks (with a busy timeout) order the writers.
#[derive(Debug)]
struct Pool {
    conns: Vec<Mutex<Connection>>,
    next: AtomicUsize,
}

impl Pool {
    /// A free connection if there is one, else the next in turn.
    fn acquire(&self) -> Result<std::sync::MutexGuard<'_, Connection>, StoreError> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.conns.len();
        for i in 0..n {
            if let Ok(conn) = self.conns[(start + i) % n].try_lock() {
                return Ok(conn);
            }
        }
        self.conns[start % n]
            .lock()
            .map_err(|_| unavailable("a connection lock is poisoned"))
    }
}

/// Connections per database file: enough for both cores and a writer.
const POOL_SIZE: usize = 4;

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| unavailable(format!("cannot create {}: {e}", parent.display())))?;
        }
        let open = || {
            Connection::open(path)
                .map_err(|e| unavailable(format!("cannot open {}: {e}", path.display())))
        };
        let mut first = configure(open()?)?;
        migrate(&mut first)?;
        let mut conns = vec![Mutex::new(first)];
        for _ in 1..POOL_SIZE {
            conns.push(Mutex::new(configure(open()?)?));
        }
        Ok(Self::from_conns(conns))
    }

    /// A private in-memory database (tests). One connection: each would be its own database.
    pub fn in_memory() -> Result<Self, StoreError> {
        let mut conn = configure(Connection::open_in_memory().map_err(unavailable)?)?;
        migrate(&mut conn)?;
        Ok(Self::from_conns(vec![Mutex::new(conn)]))
    }

    fn from_conns(conns: Vec<Mutex<Connection>>) -> Self {
        Self {
            pool: Arc::new(Pool {
                conns,
                next: AtomicUsize::new(0),
            }),
        }
    }

    /// Runs `f` on the connection off the async threads.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let pool = Arc::clone(&self.pool);
        tokio::task::spawn_blocking(move || f(&mut *pool.acquire()?))
            .await
            .map_err(|e| unavailable(format!("store task failed: {e}")))?
    }
}

fn configure(conn: Connection) -> Result<Connection, StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(unavailable)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(unavailable)?;
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(unavailable)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(unavailable)?;
    let applied: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(unavailable)?;
    let applied = applied as usize;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "the database has schema version {applied}, newer than this program knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Corrupt(format!("migration {} failed: {e}", index + 1)))?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)
            .map_err(unavailable)?;
    }
    tx.commit().map_err(unavailable)
}

/// Jobs a tenant created on a day, inside the caller's transaction or connection.
fn jobs_on(conn: &Connection, tenant: &str, day: &str) -> Result<u32, StoreError> {
    let jobs: i64 = conn
        .query_row(
            "SELECT COALESCE((SELECT jobs FROM usage WHERE tenant = ?1 AND day = ?2), 0)",
            params![tenant, day],
            |r| r.get(0),
        )
        .map_err(unavailable)?;
    Ok(jobs as u32)
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn encode(job: &Job) -> Result<String, StoreError> {
    serde_json::to_string(job).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode(body: &str) -> Result<Job, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("job document: {e}")))
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn create_job(&self, job: &Job, admission: &Admission) -> Result<Admitted, StoreError> {
        let body = encode(job)?;
        let job = job.clone();
        let admission = admission.clone();
        self.with(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            if let Some(idem) = &admission.idempotency {
                let seen: Option<(String, String)> = tx
                    .query_row(
                        "SELECT request_sha256, job_id FROM idempotency WHERE tenant = ?1 AND key = ?2",
                        params![job.tenant, idem.key],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()
                    .map_err(unavailable)?;
                if let Some((sha, id)) = seen {
                    let id = stored_job_id(&id)?;
                    return Ok(if sha == idem.request_sha256 { Admitted::Replayed(id) } else { Admitted::KeyReused(id) });
                }
            }
            if let Some(limit) = admission.daily_limit
                && jobs_on(&tx, &job.tenant, &admission.day)? >= limit
            {
                return Ok(Admitted::QuotaExceeded { limit });
            }
            let inserted = tx
                .execute(
                    "INSERT INTO jobs (id, tenant, status, finished, created_at, updated_at, version, body, source_sha256)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8) ON CONFLICT (id) DO NOTHING",
                    params![
                        job.id.as_str(),
                        job.tenant,
                        job.status.slug(),
                        job.status.is_terminal(),
                        job.created_at.millis(),
                        job.updated_at.millis(),
                        body,
                        job.source.sha256
                    ],
                )
                .map_err(unavailable)?;
            if inserted == 0 {
                return Err(StoreError::Conflict);
            }
            tx.execute(
                "INSERT INTO usage (tenant, day, jobs) VALUES (?1, ?2, 1)
                 ON CONFLICT (tenant, day) DO UPDATE SET jobs = jobs + 1",
                params![job.tenant, admission.day],
            )
            .map_err(unavailable)?;
            if let Some(idem) = &admission.idempotency {
                tx.execute(
                    "INSERT INTO idempotency (tenant, key, request_sha256, job_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![job.tenant, idem.key, idem.request_sha256, job.id.as_str(), job.created_at.millis()],
                )
                .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(Admitted::Created)
        })
        .await
    }

    async fn jobs_on(&self, tenant: &str, day: &str) -> Result<u32, StoreError> {
        let (tenant, day) = (tenant.to_owned(), day.to_owned());
        self.with(move |conn| jobs_on(conn, &tenant, &day)).await
    }

    async fn put_api_key(&self, key: &ApiKeyRecord) -> Result<(), StoreError> {
        let key = key.clone();
        self.with(move |conn| {
            let inserted = conn
                .execute(
                    &format!("INSERT INTO api_keys ({KEY_COLUMNS})
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (sha256) DO NOTHING"),
                    params![
                        key.sha256,
                        key.tenant,
                        key.prefix,
                        key.rate_per_minute,
                        key.daily_jobs,
                        key.created_at.millis(),
                        key.name,
                        key.scopes.to_string(),
                        key.expires_at.map(Timestamp::millis),
                        key.revoked_at.map(Timestamp::millis),
                    ],
                )
                .map_err(unavailable)?;
            if inserted == 0 { Err(StoreError::Conflict) } else { Ok(()) }
        })
        .await
    }

    async fn api_key(&self, sha256: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let sha256 = sha256.to_owned();
        self.with(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {KEY_COLUMNS} FROM api_keys WHERE sha256 = ?1"
            ))
            .map_err(unavailable)?
            .query_row([&sha256], key_row)
            .optional()
            .map_err(unavailable)
        })
        .await
    }

    async fn api_keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let tenant = tenant.map(str::to_owned);
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {KEY_COLUMNS} FROM api_keys WHERE ?1 IS NULL OR tenant = ?1
                     ORDER BY created_at, sha256"
                ))
                .map_err(unavailable)?;
            stmt.query_map([&tenant], key_row)
                .map_err(unavailable)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(unavailable)
        })
        .await
    }

    async fn set_api_key_validity(
        &self,
        sha256: &str,
        expires_at: Option<Timestamp>,
        revoked_at: Option<Timestamp>,
    ) -> Result<(), StoreError> {
        let sha256 = sha256.to_owned();
        self.with(move |conn| {
            let updated = conn
                .execute(
                    "UPDATE api_keys SET expires_at = ?2, revoked_at = ?3 WHERE sha256 = ?1",
                    params![
                        sha256,
                        expires_at.map(Timestamp::millis),
                        revoked_at.map(Timestamp::millis)
                    ],
                )
                .map_err(unavailable)?;
            if updated == 0 {
                Err(StoreError::NotFound)
            } else {
                Ok(())
            }
        })
        .await
    }

    async fn get_job(&self, id: &JobId) -> Result<Option<Versioned<Job>>, StoreError> {
        let id = id.clone();
        self.with(move |conn| {
            let row: Option<(String, i64)> = conn
                .prepare_cached("SELECT body, version FROM jobs WHERE id = ?1")
                .and_then(|mut stmt| {
                    stmt.query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(unavailable)?;
            row.map(|(body, version)| {
                Ok(Versioned {
                    value: decode(&body)?,
                    version: version as u64,
                })
            })
            .transpose()
        })
        .await
    }

    async fn save_job(&self, job: &Job, expected: u64) -> Result<u64, StoreError> {
        let body = encode(job)?;
        let job = job.clone();
        self.with(move |conn| {
            let updated = conn
                .execute(
                    "UPDATE jobs SET status = ?1, finished = ?2, updated_at = ?3, version = version + 1, body = ?4
                     WHERE id = ?5 AND version = ?6",
                    params![job.status.slug(), job.status.is_terminal(), job.updated_at.millis(), body, job.id.as_str(), expected as i64],
                )
                .map_err(unavailable)?;
            if updated == 1 {
                return Ok(expected + 1);
            }
            let exists: bool = conn
                .query_row("SELECT EXISTS (SELECT 1 FROM jobs WHERE id = ?1)", [job.id.as_str()], |r| r.get(0))
                .map_err(unavailable)?;
            Err(if exists { StoreError::Conflict } else { StoreError::NotFound })
        })
        .await
    }

    async fn list_jobs(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
        let query = query.clone();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT body FROM jobs
                     WHERE (?1 IS NULL OR tenant = ?1) AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR id < ?3)
                     ORDER BY id DESC LIMIT ?4",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(
                    params![query.tenant, query.status.map(JobStatus::slug), query.before.as_ref().map(JobId::as_str), query.limit as i64],
                    |r| r.get::<_, String>(0),
                )
                .map_err(unavailable)?;
            rows.map(|body| decode(&body.map_err(unavailable)?)).collect()
        })
        .await
    }

    async fn unfinished_jobs(&self, limit: usize) -> Result<Vec<JobId>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT id FROM jobs WHERE finished = 0 ORDER BY id LIMIT ?1")
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([limit as i64], |r| r.get::<_, String>(0))
                .map_err(unavailable)?;
            rows.map(|id| stored_job_id(&id.map_err(unavailable)?))
                .collect()
        })
        .await
    }

    async fn ended_before(
        &self,
        cutoff: Timestamp,
        limit: usize,
    ) -> Result<Vec<JobId>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id FROM jobs WHERE finished = 1 AND updated_at < ?1
                     ORDER BY updated_at LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![cutoff.millis(), limit as i64], |r| {
                    r.get::<_, String>(0)
                })
                .map_err(unavailable)?;
            rows.map(|id| stored_job_id(&id.map_err(unavailable)?))
                .collect()
        })
        .await
    }

    async fn delete_job(&self, id: &JobId) -> Result<bool, StoreError> {
        let id = id.clone();
        self.with(move |conn| {
            conn.execute("DELETE FROM jobs WHERE id = ?1", [id.as_str()])
                .map(|n| n > 0)
                .map_err(unavailable)
        })
        .await
    }

    async fn source_in_use(&self, sha256: &str) -> Result<bool, StoreError> {
        let sha256 = sha256.to_owned();
        self.with(move |conn| {
            conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM jobs WHERE source_sha256 = ?1)",
                [&sha256],
                |r| r.get(0),
            )
            .map_err(unavailable)
        })
        .await
    }

    async fn cache_get(&self, key: &str) -> Result<Option<CacheEntry>, StoreError> {
        let key = key.to_owned();
        self.with(move |conn| {
            let row: Option<(String, String, i64)> = conn
                .query_row(
                    "SELECT kind, object, created_at FROM cache WHERE key = ?1",
                    [&key],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
                .map_err(unavailable)?;
            row.map(|(kind, object, created_at)| {
                let kind = stored_kind(&kind)?;
                Ok(CacheEntry {
                    key,
                    kind,
                    object,
                    created_at: Timestamp(created_at),
                })
            })
            .transpose()
        })
        .await
    }

    async fn cache_put(&self, entry: &CacheEntry) -> Result<(), StoreError> {
        let entry = entry.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO cache (key, kind, object, created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO NOTHING",
                params![entry.key, entry.kind.slug(), entry.object, entry.created_at.millis()],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn cache_older_than(
        &self,
        cutoff: Timestamp,
        limit: usize,
    ) -> Result<Vec<CacheEntry>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT key, kind, object, created_at FROM cache WHERE created_at < ?1
                     ORDER BY created_at LIMIT ?2",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map(params![cutoff.millis(), limit as i64], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .map_err(unavailable)?;
            rows.map(|row| {
                let (key, kind, object, created_at) = row.map_err(unavailable)?;
                Ok(CacheEntry {
                    key,
                    kind: stored_kind(&kind)?,
                    object,
                    created_at: Timestamp(created_at),
                })
            })
            .collect()
        })
        .await
    }

    async fn cache_delete(&self, key: &str) -> Result<bool, StoreError> {
        let key = key.to_owned();
        self.with(move |conn| {
            conn.execute("DELETE FROM cache WHERE key = ?1", [&key])
                .map(|n| n > 0)
                .map_err(unavailable)
        })
        .await
    }

    async fn put_dead_letter(&self, letter: &DeadLetter) -> Result<(), StoreError> {
        let letter = letter.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO dead_letters (id, job_id, kind, deliveries, reason, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET deliveries = excluded.deliveries,
                     reason = excluded.reason, at = excluded.at",
                params![
                    letter.id,
                    letter.job_id.as_str(),
                    letter.kind.slug(),
                    letter.deliveries,
                    letter.reason,
                    letter.at.millis()
                ],
            )
            .map(|_| ())
            .map_err(unavailable)
        })
        .await
    }

    async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, job_id, kind, deliveries, reason, at FROM dead_letters
                     ORDER BY at, id LIMIT ?1",
                )
                .map_err(unavailable)?;
            let rows = stmt
                .query_map([limit as i64], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })
                .map_err(unavailable)?;
            rows.map(|row| {
                let (id, job_id, kind, deliveries, reason, at) = row.map_err(unavailable)?;
                Ok(DeadLetter {
                    id,
                    job_id: stored_job_id(&job_id)?,
                    kind: stored_kind(&kind)?,
                    deliveries,
                    reason,
                    at: Timestamp(at),
                })
            })
            .collect()
        })
        .await
    }

    async fn delete_dead_letter(&self, id: &str) -> Result<bool, StoreError> {
        let id = id.to_owned();
        self.with(move |conn| {
            conn.execute("DELETE FROM dead_letters WHERE id = ?1", [&id])
                .map(|n| n > 0)
                .map_err(unavailable)
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with(|conn| {
            conn.query_row("SELECT 1", [], |_| Ok(()))
                .map_err(unavailable)
        })
        .await
    }
}
