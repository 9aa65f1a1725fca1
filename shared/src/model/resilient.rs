//! [`Resilient`] wraps a [`TextModel`] so one logical call survives a flaky provider: each
//! attempt holds a permit of the provider's concurrency limiter and is bounded by a
//! timeout; rate limits, outages and timeouts are retried with full-jitter exponential
//! backoff (or longer, if the provider asked), within an overall deadline.
//!
//! Not for: repairing answers that do not match the schema or handling truncated answers
//! (the caller decides, see [`super::ModelError::Truncated`]), caching, or counting tokens
//! across attempts. Failures that asking again will not fix (blocked, truncated, invalid
//! request, credentials, unreadable answers) are returned at once.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::{ModelError, ModelRequest, ModelResponse, TextModel, TokenUsage};

/// How hard [`Resilient`] tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per logical call, the first included (0 is taken as 1).
    pub max_attempts: u32,
    /// The backoff ceiling after the first failure; it doubles after each further one.
    pub base_delay: Duration,
    /// The backoff ceiling never exceeds this (a provider's `retry_after` may).
    pub max_delay: Duration,
    /// How long one attempt may take once it holds a permit.
    pub call_timeout: Duration,
    /// The budget for the whole logical call: waiting for permits, attempts and the waits
    /// between them. No attempt runs and no wait ends past it.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_mins(1),
            call_timeout: Duration::from_mins(2),
            deadline: Duration::from_mins(10),
        }
    }
}

impl RetryPolicy {
    /// The most the backoff waits after `failed_attempts` failures (1 for the first):
    /// `min(max_delay, base_delay * 2^(failed_attempts - 1))`.
    pub fn backoff_ceiling(&self, failed_attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(failed_attempts.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Where the random part of the backoff comes from.
pub trait Jitter: Send + Sync + fmt::Debug {
    /// A wait between zero and `ceiling`, both included.
    fn pick(&self, ceiling: Duration) -> Duration;
}

/// Uniform "full jitter" from a small SplitMix64 generator: good enough to spread retries,
/// not for secrets.
#[derive(Debug)]
pub struct FullJitter {
    state: AtomicU64,
}

impl FullJitter {
    /// Seeded from the operating system (the clock if it has no randomness to give).
    pub fn from_entropy() -> Self {
        let seed = getrandom::u64().unwrap_or_else(|_| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |since| since.as_nanos() as u64)
        });
        Self::seeded(seed)
    }

    /// The same seed gives the same sequence of waits.
    pub fn seeded(seed: u64) -> Self {
        Self {
            state: AtomicU64::new(seed),
        }
    }

    fn next_u64(&self) -> u64 {
        const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut z = self
            .state
            .fetch_add(GOLDEN_GAMMA, Ordering::Relaxed)
            .wrapping_add(GOLDEN_GAMMA);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Default for FullJitter {
    fn default() -> Self {
        Self::from_entropy()
    }
}

impl Jitter for FullJitter {
    fn pick(&self, ceiling: Duration) -> Duration {
        let span = u128::from(u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX)) + 1;
        // Scale a 64-bit draw onto 0..span: (random * span) / 2^64 < span <= 2^64.
        let nanos = (u128::from(self.next_u64()) * span) >> 64;
        Duration::from_nanos(nanos as u64)
    }
}

/// A [`TextModel`] that limits concurrency, times out and retries the model it wraps.
///
/// Every `Resilient` wrapping the same provider should share one limiter (build the first
/// with [`Resilient::new`], the others with [`Resilient::with_limiter`] and
/// [`Resilient::limiter`], or clone it), so a bundle's parallel steps together stay within
/// the provider's quota.
#[derive(Debug, Clone)]
pub struct Resilient {
    inner: Arc<dyn TextModel>,
    policy: RetryPolicy,
    limiter: Arc<Semaphore>,
    jitter: Arc<dyn Jitter>,
}

impl Resilient {
    /// Wraps `inner` with its own limiter of `max_concurrent` permits (at least 1).
    pub fn new(inner: Arc<dyn TextModel>, policy: RetryPolicy, max_concurrent: usize) -> Self {
        let permits = max_concurrent.clamp(1, Semaphore::MAX_PERMITS);
        Self::with_limiter(inner, policy, Arc::new(Semaphore::new(permits)))
    }

    /// Wraps `inner`, taking attempt permits from `limiter`, which other wrappers of the
    /// same provider may share.
    pub fn with_limiter(
        inner: Arc<dyn TextModel>,
        policy: RetryPolicy,
        limiter: Arc<Semaphore>,
    ) -> Self {
        Self {
            inner,
            policy,
            limiter,
            jitter: Arc::new(FullJitter::from_entropy()),
        }
    }

    /// Replaces the random part of the backoff (tests pass a fixed one).
    #[must_use]
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    /// The concurrency limiter, to share with other wrappers of the same provider.
    pub fn limiter(&self) -> Arc<Semaphore> {
        Arc::clone(&self.limiter)
    }

    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// One attempt: wait for a permit (until `deadline`), then call the model for at most
    /// `call_timeout` or until `deadline`, whichever comes first. `Ok(None)` means the
    /// deadline passed before a permit was free. The permit is released on return.
    async fn attempt(
        &self,
        request: &ModelRequest,
        deadline: Instant,
    ) -> Result<Option<Attempt>, ModelError> {
        let queued = Instant::now();
        let permit = match tokio::time::timeout_at(deadline, self.limiter.acquire()).await {
            Err(_) => return Ok(None),
            Ok(Err(_closed)) => {
                return Err(ModelError::Unavailable {
                    retry_after: None,
                    message: "the model's concurrency limiter was closed".to_owned(),
                });
            }
            Ok(Ok(permit)) => permit,
        };
        let started = Instant::now();
        let budget = self
            .policy
            .call_timeout
            .min(deadline.saturating_duration_since(started));
        let result = tokio::time::timeout(budget, self.inner.generate(request))
            .await
            .unwrap_or(Err(ModelError::Timeout(budget)));
        drop(permit);
        Ok(Some(Attempt {
            result,
            queued_ms: millis(started - queued),
            latency_ms: millis(started.elapsed()),
        }))
    }

    /// How long to wait before retrying after `failed_attempts` failures ending in
    /// `error`, or `None` if the next attempt would start at or past `deadline`.
    fn wait_before_retry(
        &self,
        error: &ModelError,
        failed_attempts: u32,
        deadline: Instant,
    ) -> Option<Duration> {
        let backoff = self
            .jitter
            .pick(self.policy.backoff_ceiling(failed_attempts));
        let wait = error
            .retry_after()
            .map_or(backoff, |after| after.max(backoff));
        let retry_at = Instant::now().checked_add(wait)?;
        (retry_at < deadline).then_some(wait)
    }
}

#[async_trait]
impl TextModel for Resilient {
    /// The wrapped model's name: retries do not change which model answered.
    fn name(&self) -> String {
        self.inner.name()
    }

    /// Calls the wrapped model until it answers, fails for good, has been tried
    /// `max_attempts` times, or the next try would pass the deadline; the error returned
    /// is the last attempt's. Not idempotent towards the provider: each attempt is billed.
    /// Logs one event per attempt, never the prompt.
    async fn generate(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let model = self.inner.name();
        let started = Instant::now();
        let deadline = started
            .checked_add(self.policy.deadline)
            .unwrap_or_else(|| started + Duration::from_hours(30 * 365 * 24));
        let max_attempts = self.policy.max_attempts.max(1);
        let mut last_error = None;
        for attempt in 1..=max_attempts {
            let Some(Attempt {
                result,
                queued_ms,
                latency_ms,
            }) = self.attempt(request, deadline).await?
            else {
                tracing::warn!(
                    model = %model,
                    attempt,
                    outcome = "timeout",
                    "the deadline passed while waiting for a model concurrency permit"
                );
                return Err(last_error.unwrap_or(ModelError::Timeout(started.elapsed())));
            };
            let error = match result {
                Ok(response) => {
                    let TokenUsage {
                        input_tokens,
                        output_tokens,
                    } = response.usage;
                    tracing::info!(
                        model = %model,
                        attempt,
                        queued_ms,
                        latency_ms,
                        outcome = "ok",
                        input_tokens,
                        output_tokens,
                        "model call succeeded"
                    );
                    return Ok(response);
                }
                Err(error) => error,
            };
            let TokenUsage {
                input_tokens,
                output_tokens,
            } = error.usage();
            let outcome = outcome(&error);
            let retry_in = if error.is_retryable() && attempt < max_attempts {
                self.wait_before_retry(&error, attempt, deadline)
            } else {
                None
            };
            let Some(retry_in) = retry_in else {
                tracing::warn!(
                    model = %model,
                    attempt,
                    queued_ms,
                    latency_ms,
                    outcome,
                    input_tokens,
                    output_tokens,
                    error = %error,
                    "model call failed"
                );
                return Err(error);
            };
            tracing::warn!(
                model = %model,
                attempt,
                queued_ms,
                latency_ms,
                outcome,
                input_tokens,
                output_tokens,
                retry_in_ms = millis(retry_in),
                error = %error,
                "model call failed; retrying"
            );
            last_error = Some(error);
            tokio::time::sleep(retry_in).await;
        }
        unreachable!("the last attempt always returns")
    }
}

/// What one attempt came to, once it had a permit.
struct Attempt {
    result: Result<ModelResponse, ModelError>,
    /// Time spent waiting for the permit.
    queued_ms: u64,
    /// Time the call itself took.
    latency_ms: u64,
}

/// The `outcome` field of a failed attempt's event.
fn outcome(error: &ModelError) -> &'static str {
    match error {
        ModelError::RateLimited { .. } => "rate_limited",
        ModelError::Unavailable { .. } => "unavailable",
        ModelError::Timeout(_) => "timeout",
        ModelError::Blocked { .. } => "blocked",
        ModelError::Truncated { .. } => "truncated",
        ModelError::InvalidRequest(_) => "invalid_request",
        ModelError::Auth(_) => "auth",
        ModelError::Protocol(_) => "protocol",
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU32, AtomicUsize};

    use tokio::task::JoinSet;
    use tracing::field::{Field, Visit};
    use tracing_subscriber::layer::{Context, SubscriberExt};
    use tracing_subscriber::{Layer, Registry};

    use super::*;
    use crate::model::Turn;

    // ---- a scripted model ----

    /// What the scripted model does on one call.
    #[derive(Debug, Clone)]
    enum Outcome {
        Answer(Result<ModelResponse, ModelError>),
        /// Answers after a while.
        Slow(Duration, Result<ModelResponse, ModelError>),
        /// Never answers.
        Hang,
    }

    /// Plays its outcomes in order; the last one repeats forever.
    #[derive(Debug)]
    struct ScriptedModel {
        script: Mutex<VecDeque<Outcome>>,
        calls: AtomicU32,
        call_times: Mutex<Vec<Instant>>,
        in_flight: AtomicUsize,
        max_in_flight: AtomicUsize,
    }

    impl ScriptedModel {
        fn new(outcomes: impl IntoIterator<Item = Outcome>) -> Arc<Self> {
            let script: VecDeque<_> = outcomes.into_iter().collect();
            assert!(!script.is_empty(), "a script needs an outcome");
            Arc::new(Self {
                script: Mutex::new(script),
                calls: AtomicU32::new(0),
                call_times: Mutex::new(Vec::new()),
                in_flight: AtomicUsize::new(0),
                max_in_flight: AtomicUsize::new(0),
            })
        }

        fn calls(&self) -> u32 {
            self.calls.load(Ordering::SeqCst)
        }

        fn max_in_flight(&self) -> usize {
            self.max_in_flight.load(Ordering::SeqCst)
        }

        fn in_flight(&self) -> usize {
            self.in_flight.load(Ordering::SeqCst)
        }

        /// The virtual time between consecutive calls.
        fn gaps(&self) -> Vec<Duration> {
            let times = self.call_times.lock().unwrap();
            times.windows(2).map(|pair| pair[1] - pair[0]).collect()
        }
    }

    /// Counts a call in flight until dropped (a timed-out call is dropped, not finished).
    struct InFlight<'a>(&'a AtomicUsize);

    impl Drop for InFlight<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[async_trait]
    impl TextModel for ScriptedModel {
        fn name(&self) -> String {
            "fake:scripted".to_owned()
        }

        async fn generate(&self, _request: &ModelRequest) -> Result<ModelResponse, ModelError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.call_times.lock().unwrap().push(Instant::now());
            let outcome = {
                let mut script = self.script.lock().unwrap();
                if script.len() > 1 {
                    script.pop_front().unwrap()
                } else {
                    script.front().cloned().unwrap()
                }
            };
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            let _in_flight = InFlight(&self.in_flight);
            match outcome {
                Outcome::Answer(result) => result,
                Outcome::Slow(after, result) => {
                    tokio::time::sleep(after).await;
                    result
                }
                Outcome::Hang => std::future::pending().await,
            }
        }
    }

    // ---- fixed jitter ----

    /// No random wait: only the provider's `retry_after` counts.
    #[derive(Debug)]
    struct NoJitter;

    impl Jitter for NoJitter {
        fn pick(&self, _ceiling: Duration) -> Duration {
            Duration::ZERO
        }
    }

    /// Always the full backoff ceiling.
    #[derive(Debug)]
    struct CeilingJitter;

    impl Jitter for CeilingJitter {
        fn pick(&self, ceiling: Duration) -> Duration {
            ceiling
        }
    }

    // ---- outcomes and wiring ----

    const PROMPT: &str = "the secret source text";

    fn request() -> ModelRequest {
        ModelRequest {
            system: "Write an outline.".to_owned(),
            turns: vec![Turn::user(PROMPT)],
            schema: serde_json::json!({"type": "object"}),
            schema_name: "outline".to_owned(),
            temperature: 0.2,
            max_output_tokens: 1024,
        }
    }

    fn answer() -> ModelResponse {
        ModelResponse {
            text: "{}".to_owned(),
            usage: TokenUsage {
                input_tokens: 120,
                output_tokens: 45,
            },
        }
    }

    fn ok() -> Outcome {
        Outcome::Answer(Ok(answer()))
    }

    fn fail(error: ModelError) -> Outcome {
        Outcome::Answer(Err(error))
    }

    fn rate_limited(retry_after_secs: u64) -> ModelError {
        ModelError::RateLimited {
            retry_after: Some(Duration::from_secs(retry_after_secs)),
            message: "429".to_owned(),
        }
    }

    fn unavailable() -> ModelError {
        ModelError::Unavailable {
            retry_after: None,
            message: "503".to_owned(),
        }
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    fn resilient(
        model: &Arc<ScriptedModel>,
        policy: RetryPolicy,
        jitter: impl Jitter + 'static,
    ) -> Resilient {
        Resilient::new(Arc::clone(model) as Arc<dyn TextModel>, policy, 4)
            .with_jitter(Arc::new(jitter))
    }

    /// Calls `model`, failing the test (rather than hanging it) if it never returns.
    async fn call(model: &Resilient) -> Result<ModelResponse, ModelError> {
        tokio::time::timeout(secs(3600), model.generate(&request()))
            .await
            .expect("the call never returned")
    }

    // ---- retries ----

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_waits_as_long_as_the_provider_asked_then_succeeds() {
        let model = ScriptedModel::new([fail(rate_limited(7)), ok()]);
        let resilient = resilient(&model, RetryPolicy::default(), NoJitter);
        let started = Instant::now();

        let result = call(&resilient).await;

        assert_eq!(result, Ok(answer()));
        assert_eq!(model.calls(), 2);
        assert_eq!(started.elapsed(), secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn an_unavailable_provider_is_retried_then_succeeds() {
        let model = ScriptedModel::new([fail(unavailable()), ok()]);
        let resilient = resilient(&model, RetryPolicy::default(), CeilingJitter);
        let started = Instant::now();

        let result = call(&resilient).await;

        assert_eq!(result, Ok(answer()));
        assert_eq!(model.calls(), 2);
        assert_eq!(started.elapsed(), RetryPolicy::default().base_delay);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_call_times_out_and_the_retry_succeeds() {
        let model = ScriptedModel::new([Outcome::Hang, ok()]);
        let policy = RetryPolicy {
            call_timeout: secs(5),
            ..RetryPolicy::default()
        };
        let resilient = resilient(&model, policy, NoJitter);
        let started = Instant::now();

        let result = call(&resilient).await;

        assert_eq!(result, Ok(answer()));
        assert_eq!(model.calls(), 2);
        assert_eq!(started.elapsed(), secs(5));
        assert_eq!(model.in_flight(), 0, "the hung call was dropped");
    }

    #[tokio::test(start_paused = true)]
    async fn a_call_that_always_hangs_ends_in_a_timeout_error() {
        let model = ScriptedModel::new([Outcome::Hang]);
        let policy = RetryPolicy {
            max_attempts: 2,
            call_timeout: secs(5),
            ..RetryPolicy::default()
        };
        let resilient = resilient(&model, policy, NoJitter);

        let result = call(&resilient).await;

        assert_eq!(result, Err(ModelError::Timeout(secs(5))));
        assert_eq!(model.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_persistently_unavailable_provider_fails_after_max_attempts() {
        let model = ScriptedModel::new([fail(unavailable())]);
        let policy = RetryPolicy::default();
        let resilient = Resilient::new(Arc::clone(&model) as Arc<dyn TextModel>, policy, 4);
        let started = Instant::now();

        let result = call(&resilient).await;

        assert_eq!(result, Err(unavailable()));
        assert_eq!(model.calls(), policy.max_attempts);
        // Four waits of full jitter under ceilings of 1, 2, 4 and 8 s.
        assert!(
            started.elapsed() <= secs(15),
            "waited {:?}",
            started.elapsed()
        );
    }

    // ---- permanent errors ----

    async fn assert_not_retried(error: ModelError) {
        let model = ScriptedModel::new([fail(error.clone()), ok()]);
        let resilient = resilient(&model, RetryPolicy::default(), CeilingJitter);
        let started = Instant::now();

        let result = call(&resilient).await;

        assert_eq!(result, Err(error));
        assert_eq!(model.calls(), 1);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_blocked_answer_is_not_retried() {
        assert_not_retried(ModelError::Blocked {
            reason: "SAFETY".to_owned(),
            usage: TokenUsage {
                input_tokens: 10,
                output_tokens: 0,
            },
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn refused_credentials_are_not_retried() {
        assert_not_retried(ModelError::Auth("401".to_owned())).await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_invalid_request_is_not_retried() {
        assert_not_retried(ModelError::InvalidRequest("400".to_owned())).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_truncated_answer_is_left_to_the_caller() {
        assert_not_retried(ModelError::Truncated {
            max_output_tokens: 1024,
            usage: TokenUsage {
                input_tokens: 10,
                output_tokens: 1024,
            },
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_unreadable_answer_is_not_retried() {
        assert_not_retried(ModelError::Protocol("not JSON".to_owned())).await;
    }

    // ---- the deadline ----

    #[tokio::test(start_paused = true)]
    async fn the_deadline_stops_retries_when_the_next_wait_would_pass_it() {
        let model = ScriptedModel::new([fail(rate_limited(10)), fail(rate_limited(100)), ok()]);
        let policy = RetryPolicy {
            deadline: secs(30),
            ..RetryPolicy::default()
        };
        let resilient = resilient(&model, policy, NoJitter);
        let started = Instant::now();

        let result = call(&resilient).await;

        assert_eq!(result, Err(rate_limited(100)));
        assert_eq!(model.calls(), 2);
        assert_eq!(started.elapsed(), secs(10), "returned without sleeping");
    }

    #[tokio::test(start_paused = true)]
    async fn an_attempt_is_cut_short_by_the_deadline() {
        let model = ScriptedModel::new([Outcome::Hang]);
        let policy = RetryPolicy {
            call_timeout: secs(120),
            deadline: secs(50),
            ..RetryPolicy::default()
        };
        let resilient = resilient(&model, policy, NoJitter);
        let started = Instant::now();

        let result = call(&resilient).await;

        assert_eq!(result, Err(ModelError::Timeout(secs(50))));
        assert_eq!(model.calls(), 1);
        assert_eq!(started.elapsed(), secs(50));
    }

    // ---- backoff ----

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_from_the_base_and_is_capped_by_max_delay() {
        let model = ScriptedModel::new([fail(unavailable())]);
        let policy = RetryPolicy {
            max_attempts: 6,
            base_delay: secs(1),
            max_delay: secs(4),
            ..RetryPolicy::default()
        };
        let resilient = resilient(&model, policy, CeilingJitter);

        let result = call(&resilient).await;

        assert_eq!(result, Err(unavailable()));
        assert_eq!(model.gaps(), [1, 2, 4, 4, 4].map(secs));
    }

    #[tokio::test(start_paused = true)]
    async fn a_backoff_longer_than_retry_after_wins() {
        let error = ModelError::Unavailable {
            retry_after: Some(secs(1)),
            message: "503".to_owned(),
        };
        let model = ScriptedModel::new([fail(error), ok()]);
        let policy = RetryPolicy {
            base_delay: secs(3),
            ..RetryPolicy::default()
        };
        let resilient = resilient(&model, policy, CeilingJitter);
        let started = Instant::now();

        let result = call(&resilient).await;

        assert_eq!(result, Ok(answer()));
        assert_eq!(started.elapsed(), secs(3));
    }

    #[test]
    fn full_jitter_spreads_waits_between_zero_and_the_ceiling() {
        let jitter = FullJitter::seeded(42);
        let ceiling = secs(1);

        let waits: Vec<_> = (0..1000).map(|_| jitter.pick(ceiling)).collect();

        assert!(waits.iter().all(|wait| *wait <= ceiling));
        assert!(waits.iter().any(|wait| *wait < Duration::from_millis(100)));
        assert!(waits.iter().any(|wait| *wait > Duration::from_millis(900)));
        assert_eq!(jitter.pick(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn the_backoff_ceiling_does_not_overflow() {
        let policy = RetryPolicy::default();

        assert_eq!(policy.backoff_ceiling(1), secs(1));
        assert_eq!(policy.backoff_ceiling(7), secs(60));
        assert_eq!(policy.backoff_ceiling(u32::MAX), secs(60));
    }

    // ---- the concurrency limit ----

    #[tokio::test(start_paused = true)]
    async fn wrappers_sharing_a_limiter_never_exceed_it() {
        let model = ScriptedModel::new([Outcome::Slow(secs(1), Ok(answer()))]);
        let first = Resilient::new(
            Arc::clone(&model) as Arc<dyn TextModel>,
            RetryPolicy::default(),
            2,
        );
        let started = Instant::now();

        let mut callers = JoinSet::new();
        for _ in 0..6 {
            let wrapper = Resilient::with_limiter(
                Arc::clone(&model) as Arc<dyn TextModel>,
                RetryPolicy::default(),
                first.limiter(),
            );
            callers.spawn(async move { call(&wrapper).await });
        }
        let results = callers.join_all().await;

        assert!(results.iter().all(|result| *result == Ok(answer())));
        assert_eq!(model.calls(), 6);
        assert_eq!(model.max_in_flight(), 2);
        assert_eq!(started.elapsed(), secs(3), "three rounds of two");
    }

    #[tokio::test(start_paused = true)]
    async fn a_retrying_call_releases_its_permit_while_it_waits() {
        let retrying = ScriptedModel::new([fail(rate_limited(10)), ok()]);
        let other = ScriptedModel::new([Outcome::Slow(secs(1), Ok(answer()))]);
        let limiter = Arc::new(Semaphore::new(1));
        let first = Resilient::with_limiter(
            Arc::clone(&retrying) as Arc<dyn TextModel>,
            RetryPolicy::default(),
            Arc::clone(&limiter),
        )
        .with_jitter(Arc::new(NoJitter));
        let second = Resilient::with_limiter(
            Arc::clone(&other) as Arc<dyn TextModel>,
            RetryPolicy::default(),
            limiter,
        );
        let started = Instant::now();

        let (first_done, second_done) = tokio::join!(
            async {
                let result = call(&first).await;
                (result, started.elapsed())
            },
            async {
                // Let the first caller take the only permit and fail first.
                tokio::task::yield_now().await;
                let result = call(&second).await;
                (result, started.elapsed())
            },
        );

        assert_eq!(first_done, (Ok(answer()), secs(10)));
        assert_eq!(
            second_done,
            (Ok(answer()), secs(1)),
            "not blocked by the backoff"
        );
        assert_eq!(retrying.calls(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_deadline_also_bounds_the_wait_for_a_permit() {
        let busy = ScriptedModel::new([Outcome::Slow(secs(100), Ok(answer()))]);
        let queued = ScriptedModel::new([ok()]);
        let holder = Resilient::new(
            Arc::clone(&busy) as Arc<dyn TextModel>,
            RetryPolicy::default(),
            1,
        );
        let waiter = Resilient::with_limiter(
            Arc::clone(&queued) as Arc<dyn TextModel>,
            RetryPolicy {
                deadline: secs(10),
                ..RetryPolicy::default()
            },
            holder.limiter(),
        );
        let started = Instant::now();

        let (holder_done, waiter_done) = tokio::join!(call(&holder), async {
            tokio::task::yield_now().await;
            (call(&waiter).await, started.elapsed())
        });

        assert_eq!(holder_done, Ok(answer()));
        assert_eq!(waiter_done, (Err(ModelError::Timeout(secs(10))), secs(10)));
        assert_eq!(queued.calls(), 0);
    }

    // ---- telemetry ----

    type Fields = BTreeMap<String, String>;

    /// Records the fields of every event from this module.
    #[derive(Clone, Default)]
    struct Events(Arc<Mutex<Vec<(tracing::Level, Fields)>>>);

    struct FieldVisitor<'a>(&'a mut Fields);

    impl Visit for FieldVisitor<'_> {
        fn record_str(&mut self, field: &Field, value: &str) {
            self.0.insert(field.name().to_owned(), value.to_owned());
        }

        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            self.0.insert(field.name().to_owned(), format!("{value:?}"));
        }
    }

    impl<S: tracing::Subscriber> Layer<S> for Events {
        fn on_event(&self, event: &tracing::Event<'_>, _context: Context<'_, S>) {
            if event.metadata().target() != module_path!().trim_end_matches("::tests") {
                return;
            }
            let mut fields = Fields::new();
            event.record(&mut FieldVisitor(&mut fields));
            self.0
                .lock()
                .unwrap()
                .push((*event.metadata().level(), fields));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn each_attempt_logs_one_structured_event_without_the_prompt() {
        let events = Events::default();
        let _guard = tracing::subscriber::set_default(Registry::default().with(events.clone()));
        let model =
            ScriptedModel::new([fail(rate_limited(7)), Outcome::Slow(secs(2), Ok(answer()))]);
        let resilient = resilient(&model, RetryPolicy::default(), NoJitter);

        call(&resilient).await.unwrap();

        let events = events.0.lock().unwrap().clone();
        assert_eq!(events.len(), 2, "{events:?}");
        let (level, retry) = &events[0];
        assert_eq!(*level, tracing::Level::WARN);
        assert_eq!(retry["model"], "fake:scripted");
        assert_eq!(retry["attempt"], "1");
        assert_eq!(retry["outcome"], "rate_limited");
        assert_eq!(retry["retry_in_ms"], "7000");
        assert_eq!(retry["latency_ms"], "0");
        assert_eq!(retry["input_tokens"], "0");
        let (level, success) = &events[1];
        assert_eq!(*level, tracing::Level::INFO);
        assert_eq!(success["attempt"], "2");
        assert_eq!(success["outcome"], "ok");
        assert_eq!(success["latency_ms"], "2000");
        assert_eq!(success["queued_ms"], "0");
        assert_eq!(success["input_tokens"], "120");
        assert_eq!(success["output_tokens"], "45");
        assert!(!success.contains_key("retry_in_ms"));
        let logged = format!("{events:?}");
        assert!(!logged.contains(PROMPT), "the prompt was logged: {logged}");
    }
}
