//! [`Resilient`] wraps a [`Speech`] engine the way `model::resilient` wraps a text model:
//! each attempt holds a permit of the engine's concurrency limiter and is bounded by a
//! timeout; rate limits, server errors and timeouts are retried with full-jitter exponential
//! backoff (at least what a `Retry-After` asked), within an overall deadline. Failures that
//! asking again will not fix are returned at once.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::{Pcm, Speech, SpeechError, SpeechRequest};
use crate::model::resilient::{FullJitter, Jitter, RetryPolicy};

/// A speech engine with retries, timeouts and a concurrency limit.
#[derive(Debug)]
pub struct Resilient {
    inner: Arc<dyn Speech>,
    policy: RetryPolicy,
    limiter: Arc<Semaphore>,
    jitter: Arc<dyn Jitter>,
}

impl Resilient {
    pub fn new(inner: Arc<dyn Speech>, policy: RetryPolicy, max_concurrent: usize) -> Self {
        Self {
            inner,
            policy,
            limiter: Arc::new(Semaphore::new(max_concurrent.max(1))),
            jitter: Arc::new(FullJitter::from_entropy()),
        }
    }

    /// Replaces the source of randomness (tests pin the waits).
    #[must_use]
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }
}

#[async_trait]
impl Speech for Resilient {
    fn engine(&self) -> String {
        self.inner.engine()
    }

    fn default_voice(&self, language: &str, index: usize) -> String {
        self.inner.default_voice(language, index)
    }

    fn max_input_bytes(&self) -> usize {
        self.inner.max_input_bytes()
    }

    fn price_per_million_chars(&self) -> f64 {
        self.inner.price_per_million_chars()
    }

    async fn synthesize(&self, request: &SpeechRequest) -> Result<Pcm, SpeechError> {
        let deadline = Instant::now() + self.policy.deadline;
        let attempts = self.policy.max_attempts.max(1);
        let mut failed = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = self.policy.call_timeout.min(left);
            let result = match tokio::time::timeout(left, self.limiter.acquire()).await {
                Err(_) => Err(SpeechError::Timeout(self.policy.deadline)),
                Ok(permit) => {
                    let _permit = permit.expect("the limiter is never closed");
                    match tokio::time::timeout(timeout, self.inner.synthesize(request)).await {
                        Ok(result) => result,
                        Err(_) => Err(SpeechError::Timeout(timeout)),
                    }
                }
            };
            let error = match result {
                Ok(pcm) => return Ok(pcm),
                Err(e) if !e.is_retryable() => return Err(e),
                Err(e) => e,
            };
            failed += 1;
            let mut wait = self.jitter.pick(self.policy.backoff_ceiling(failed));
            if let SpeechError::RateLimited {
                retry_after: Some(asked),
            } = &error
            {
                wait = wait.max(*asked);
            }
            if failed >= attempts || Instant::now() + wait >= deadline {
                tracing::warn!(attempts = failed, error = %error, "speech call failed");
                return Err(error);
            }
            tracing::info!(attempt = failed, wait_ms = wait.as_millis() as u64, error = %error, "speech call retried");
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    #[derive(Debug)]
    struct Scripted(Mutex<Vec<Result<Pcm, SpeechError>>>);

    #[async_trait]
    impl Speech for Scripted {
        fn engine(&self) -> String {
            "scripted 1".into()
        }
        fn default_voice(&self, _: &str, i: usize) -> String {
            format!("v{i}")
        }
        fn max_input_bytes(&self) -> usize {
            100
        }
        fn price_per_million_chars(&self) -> f64 {
            0.0
        }
        async fn synthesize(&self, _: &SpeechRequest) -> Result<Pcm, SpeechError> {
            self.0.lock().unwrap().remove(0)
        }
    }

    #[derive(Debug)]
    struct NoJitter;
    impl Jitter for NoJitter {
        fn pick(&self, _: Duration) -> Duration {
            Duration::ZERO
        }
    }

    fn request() -> SpeechRequest {
        SpeechRequest {
            text: "hello".into(),
            voice: "v0".into(),
            language: "en".into(),
            rate_percent: 100,
        }
    }

    fn pcm() -> Pcm {
        Pcm {
            sample_rate: 8_000,
            samples: vec![1, 2, 3],
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_waits_as_long_as_asked_then_succeeds() {
        let inner = Scripted(Mutex::new(vec![
            Err(SpeechError::RateLimited {
                retry_after: Some(Duration::from_secs(7)),
            }),
            Ok(pcm()),
        ]));
        let speech = Resilient::new(Arc::new(inner), RetryPolicy::default(), 1)
            .with_jitter(Arc::new(NoJitter));
        let started = Instant::now();
        assert_eq!(speech.synthesize(&request()).await.unwrap(), pcm());
        assert!(started.elapsed() >= Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_request_is_not_retried() {
        let inner = Scripted(Mutex::new(vec![
            Err(SpeechError::InvalidRequest("bad voice".into())),
            Ok(pcm()),
        ]));
        let speech = Resilient::new(Arc::new(inner), RetryPolicy::default(), 1);
        assert!(matches!(
            speech.synthesize(&request()).await,
            Err(SpeechError::InvalidRequest(_))
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn server_errors_stop_after_the_attempts_allowed() {
        let inner = Scripted(Mutex::new(
            (0..5)
                .map(|_| Err(SpeechError::Server("503".into())))
                .collect(),
        ));
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let scripted = Arc::new(inner);
        let speech = Resilient::new(scripted.clone(), policy, 1).with_jitter(Arc::new(NoJitter));
        assert!(matches!(
            speech.synthesize(&request()).await,
            Err(SpeechError::Server(_))
        ));
        assert_eq!(
            scripted.0.lock().unwrap().len(),
            2,
            "three attempts were made"
        );
    }
}
