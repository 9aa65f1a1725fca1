//! The `Dispatcher` port: "run step S of job J somewhere". Delivery is at least once, so
//! the step runner is idempotent (it claims the step before working).
//!
//! Adapters: [`inline::InlineQueue`], an in-process queue with a concurrency limit that also
//! carries object events to post-processing; [`pubsub::PubSubDispatcher`], a Pub/Sub topic
//! pushed to the functions (production).

pub mod inline;
pub mod pubsub;

use std::fmt;

use async_trait::async_trait;

use crate::content::Kind;
use crate::jobs::JobId;

/// One unit of dispatched work.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StepTask {
    pub job_id: JobId,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dispatch failed: {0}")]
pub struct DispatchError(pub String);

#[async_trait]
pub trait Dispatcher: Send + Sync + fmt::Debug {
    /// Hands the step to a worker. Returns once the task is durably queued (or, in process,
    /// enqueued); it may run more than once.
    async fn dispatch(&self, task: StepTask) -> Result<(), DispatchError>;
}
