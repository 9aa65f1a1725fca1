//! The `Dispatcher` port: "run step S of job J somewhere", and the [`WorkHandler`] contract
//! on the receiving side. Delivery is at least once and in no particular order, so the step
//! runner is idempotent (it claims the step before working); a handling that answers
//! [`Delivery::RetryAfter`] is delivered again.
//!
//! Adapters: [`inline::InlineQueue`], an in-process queue with a concurrency limit that also
//! carries object events to post-processing; [`pubsub::PubSubDispatcher`], a Pub/Sub topic
//! pushed to the functions (production).

pub mod inline;
pub mod pubsub;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::content::Kind;
use crate::jobs::JobId;
use crate::objects::ObjectWritten;

/// One unit of dispatched work.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

/// What running a step asks of its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Done with the delivery (the step ended, or there was nothing to do).
    Ack,
    /// A transient failure: deliver again after this long.
    RetryAfter(Duration),
}

/// What receives dispatched work: the in-process worker loop calls it directly, and in the
/// cloud the push routes call it for each Pub/Sub delivery or storage event.
#[async_trait]
pub trait WorkHandler: Send + Sync {
    /// Runs one delivery of a step; the answer says whether to deliver it again.
    async fn run_step(&self, task: &StepTask) -> Delivery;
    /// An object was written (the in-process stand-in for a storage event).
    async fn object_written(&self, event: &ObjectWritten);
    /// The step was delivered `deliveries` times and asked for another each time.
    async fn dead_letter(&self, task: &StepTask, deliveries: u32);
}
