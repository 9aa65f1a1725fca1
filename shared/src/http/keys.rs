//! API keys and per-key rate limits. A key is shown once when created; only its SHA-256 is
//! stored. Each key has a token bucket refilled at its requests-per-minute rate.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::clock::Clock;
use crate::pipeline::Pipeline;
use crate::store::{ApiKeyRecord, JobStore, StoreError};

use super::extract::key_hash;

/// A newly created key: the secret (shown once) and what was stored.
#[derive(Debug, Clone)]
pub struct NewKey {
    pub secret: String,
    pub record: ApiKeyRecord,
}

/// Creates and stores a key for `tenant`.
pub async fn create_key(
    store: &dyn JobStore,
    clock: &dyn Clock,
    tenant: &str,
    rate_per_minute: u32,
    daily_jobs: Option<u32>,
) -> Result<NewKey, StoreError> {
    let mut random = [0u8; 24];
    getrandom::fill(&mut random)
        .map_err(|e| StoreError::Unavailable(format!("no randomness for a key: {e}")))?;
    let secret = format!("acf_{}", hex::encode(random));
    let record = ApiKeyRecord {
        sha256: key_hash(&secret),
        tenant: tenant.to_owned(),
        prefix: secret[..12].to_owned(),
        rate_per_minute,
        daily_jobs,
        created_at: clock.now(),
    };
    store.put_api_key(&record).await?;
    Ok(NewKey { secret, record })
}

/// Known keys, remembered for [`KEY_CACHE_TTL`] so most requests skip the store. Unknown
/// keys are never remembered, so a new key works at once; a deleted key may keep working
/// for up to the TTL.
#[derive(Debug, Default)]
pub struct KeyCache {
    entries: Mutex<HashMap<String, (ApiKeyRecord, Instant)>>,
}

/// How long a known key is trusted without asking the store again.
pub const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl KeyCache {
    /// The key with this hash: from memory when fresh, else from the store.
    pub async fn lookup(
        &self,
        pipeline: &Pipeline,
        sha256: &str,
    ) -> Result<Option<ApiKeyRecord>, StoreError> {
        {
            let entries = self
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some((record, fetched)) = entries.get(sha256)
                && fetched.elapsed() < KEY_CACHE_TTL
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
                entries.retain(|_, (_, fetched)| fetched.elapsed() < KEY_CACHE_TTL);
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
