//! API keys and per-key rate limits. A key is shown once when created; only its SHA-256 is
//! stored. Keys carry a name and scopes, and are listed, rotated (the old key valid for a
//! grace period), expired and revoked; every change writes an audit log line. Each key has
//! a token bucket refilled at its requests-per-minute rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::clock::{Clock, Timestamp};
use crate::pipeline::Pipeline;
use crate::store::{ApiKeyRecord, JobStore, Scopes, StoreError};

use super::extract::key_hash;

/// A newly created key: the secret (shown once) and what was stored.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub secret: String,
    pub record: ApiKeyRecord,
}

/// What a new key is: whose, how fast, what for, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpec {
    pub tenant: String,
    pub rate_per_minute: u32,
    pub daily_jobs: Option<u32>,
    pub name: String,
    pub scopes: Scopes,
    pub expires_at: Option<Timestamp>,
}

impl KeySpec {
    /// A key for `tenant` that may submit and read, with no name and no expiry.
    pub fn new(tenant: &str, rate_per_minute: u32, daily_jobs: Option<u32>) -> Self {
        Self {
            tenant: tenant.to_owned(),
            rate_per_minute,
            daily_jobs,
            name: String::new(),
            scopes: Scopes::ALL,
            expires_at: None,
        }
    }
}

impl KeySpec {
    /// What makes the spec unusable, as (field, why): a tenant other than 1 to 64 letters,
    /// digits, `-` or `_`; a name over 100 characters; a rate of 0.
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        let tenant_ok = (1..=64).contains(&self.tenant.len())
            && self
                .tenant
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !tenant_ok {
            Some(("tenant", "a tenant is 1 to 64 letters, digits, `-` or `_`"))
        } else if self.name.chars().count() > 100 {
            Some(("name", "a name is at most 100 characters"))
        } else if self.rate_per_minute == 0 {
            Some(("rate_per_minute", "must be at least 1"))
        } else {
            None
        }
    }
}

/// Creates and stores a key for `tenant` that may submit and read.
pub async fn create_key(
    store: &dyn JobStore,
    clock: &dyn Clock,
    tenant: &str,
    rate_per_minute: u32,
    daily_jobs: Option<u32>,
) -> Result<NewKey, StoreError> {
    issue_key(
        store,
        clock,
        &KeySpec::new(tenant, rate_per_minute, daily_jobs),
    )
    .await
}

/// Creates and stores a key as `spec` says, and writes the audit line.
pub async fn issue_key(
    store: &dyn JobStore,
    clock: &dyn Clock,
    spec: &KeySpec,
) -> Result<NewKey, StoreError> {
    let mut random = [0u8; 24];
    getrandom::fill(&mut random)
        .map_err(|e| StoreError::Unavailable(format!("no randomness for a key: {e}")))?;
    let secret = format!("acf_{}", hex::encode(random));
    let record = ApiKeyRecord {
        sha256: key_hash(&secret),
        tenant: spec.tenant.clone(),
        prefix: secret[..12].to_owned(),
        rate_per_minute: spec.rate_per_minute,
        daily_jobs: spec.daily_jobs,
        created_at: clock.now(),
        name: spec.name.clone(),
        scopes: spec.scopes,
        expires_at: spec.expires_at,
        revoked_at: None,
    };
    store.put_api_key(&record).await?;
    audit("create", &record);
    Ok(NewKey { secret, record })
}

/// Why a key cannot be found by what an operator typed.
#[derive(Debug, thiserror::Error)]
pub enum FindKeyError {
    #[error("no key starts with `{0}`")]
    NotFound(String),
    #[error("{count} keys start with `{prefix}`: give more characters")]
    Ambiguous { prefix: String, count: usize },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The key whose printed prefix (`acf_1a2b3c4d`) or hash starts with `start`.
pub async fn find_key(store: &dyn JobStore, start: &str) -> Result<ApiKeyRecord, FindKeyError> {
    let start = start.trim();
    let mut found: Vec<ApiKeyRecord> = store
        .api_keys(None)
        .await?
        .into_iter()
        .filter(|k| {
            !start.is_empty() && (k.prefix.starts_with(start) || k.sha256.starts_with(start))
        })
        .collect();
    match found.len() {
        0 => Err(FindKeyError::NotFound(start.to_owned())),
        1 => Ok(found.remove(0)),
        count => Err(FindKeyError::Ambiguous {
            prefix: start.to_owned(),
            count,
        }),
    }
}

/// Revokes the key now (a key revoked before keeps its time).
pub async fn revoke_key(
    store: &dyn JobStore,
    clock: &dyn Clock,
    key: &ApiKeyRecord,
) -> Result<ApiKeyRecord, StoreError> {
    let revoked_at = key.revoked_at.unwrap_or_else(|| clock.now());
    change_validity(store, key, key.expires_at, Some(revoked_at), "revoke").await
}

/// Makes the key stop working at `at` (now or later; `None` removes the expiry).
pub async fn expire_key(
    store: &dyn JobStore,
    key: &ApiKeyRecord,
    at: Option<Timestamp>,
) -> Result<ApiKeyRecord, StoreError> {
    change_validity(store, key, at, key.revoked_at, "expire").await
}

async fn change_validity(
    store: &dyn JobStore,
    key: &ApiKeyRecord,
    expires_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
    action: &str,
) -> Result<ApiKeyRecord, StoreError> {
    store
        .set_api_key_validity(&key.sha256, expires_at, revoked_at)
        .await?;
    let changed = ApiKeyRecord {
        expires_at,
        revoked_at,
        ..key.clone()
    };
    audit(action, &changed);
    Ok(changed)
}

/// Issues a key like `old` (tenant, rate, quota, name, scopes) and lets `old` work for
/// `grace` more (or less, if it expires sooner), so clients can switch without a gap.
pub async fn rotate_key(
    store: &dyn JobStore,
    clock: &dyn Clock,
    old: &ApiKeyRecord,
    grace: std::time::Duration,
) -> Result<(NewKey, ApiKeyRecord), StoreError> {
    let new = issue_key(
        store,
        clock,
        &KeySpec {
            tenant: old.tenant.clone(),
            rate_per_minute: old.rate_per_minute,
            daily_jobs: old.daily_jobs,
            name: old.name.clone(),
            scopes: old.scopes,
            expires_at: None,
        },
    )
    .await?;
    let end = clock.now().plus(grace);
    let old = expire_key(
        store,
        old,
        Some(old.expires_at.map_or(end, |at| at.min(end))),
    )
    .await?;
    Ok((new, old))
}

/// One audit line per change to a key (the `audit` field lets operators route them).
fn audit(action: &str, key: &ApiKeyRecord) {
    tracing::info!(
        audit = true,
        action,
        tenant = %key.tenant,
        key = %key.prefix,
        name = %key.name,
        scopes = %key.scopes,
        expires_at = key.expires_at.map(Timestamp::to_rfc3339),
        revoked_at = key.revoked_at.map(Timestamp::to_rfc3339),
        "api key changed"
    );
}

/// Known keys, remembered for a while (`FACTORY_KEY_CACHE_SECS`) so most requests skip the
/// store. Unknown keys are never remembered, so a new key works at once; a revoked or
/// expired key is refused by every instance within that time.
#[derive(Debug)]
pub struct KeyCache {
    ttl: std::time::Duration,
    entries: Mutex<HashMap<String, (ApiKeyRecord, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: std::time::Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::default(),
        }
    }

    /// The key with this hash: from memory when fresh, else from the store.
    pub async fn lookup(
        &self,
        pipeline: &Pipeline,
        sha256: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        let ttl = self.ttl;
        {
            let entries = self
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((record, fetched)) = entries.get(sha256)
                && fetched.elapsed() < ttl
            {
                return Ok(Some(record.clone()));
            }
        }
        let found = pipeline.api_key(sha256).await?;
        if let Some(record) = &found {
            let mut entries = self
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if entries.len() > 10_000 {
                entries.retain(|_, (_, fetched)| fetched.elapsed() < ttl);
            }
            entries.insert(sha256.to_owned(), (record.clone(), Instant::now()));
        }
        Ok(found)
    }
}

/// Token buckets per key hash, in this process.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl RateLimiter {
    /// Takes one token from the key's bucket (capacity = one minute's allowance). When the
    /// bucket is empty, returns how many seconds until a token is back.
    pub fn check(&self, key: &str, per_minute: u32) -> Result<(), u64> {
        self.check_at(key, per_minute, Instant::now())
    }

    fn check_at(&self, key: &str, per_minute: u32, now: Instant) -> Result<(), u64> {
        let capacity = f64::from(per_minute.max(1));
        let per_second = capacity / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: capacity,
            refilled: now,
        });
        let elapsed = now.saturating_duration_since(bucket.refilled).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(capacity);
        bucket.refilled = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_bucket_allows_its_rate_then_refuses_until_it_refills() {
        let limiter = RateLimiter::default();
        let start = Instant::now();
        assert!(limiter.check_at("k", 2, start).is_ok());
        assert!(limiter.check_at("k", 2, start).is_ok());
        assert_eq!(limiter.check_at("k", 2, start), Err(30));
        assert!(
            limiter.check_at("other", 2, start).is_ok(),
            "buckets are per key"
        );
        assert!(
            limiter
                .check_at("k", 2, start + Duration::from_secs(30))
                .is_ok()
        );
    }
}
