//! The in-process queue: steps and object events go through one unbounded channel to a
//! worker loop that runs at most `concurrency` of them at once. A step that fails with a
//! retryable error is queued again after a backoff, as Pub/Sub would redeliver it, up to
//! `max_deliveries`; then it goes to the handler's dead letters, as Pub/Sub would send it to
//! the dead-letter topic.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::{Semaphore, mpsc};

use super::{Delivery, DispatchError, Dispatcher, StepTask, WorkHandler};
use crate::objects::{ObjectEvents, ObjectWritten};

/// Work the queue carries.
#[derive(Debug, Clone)]
pub enum Work {
    /// A step, and how many times it was delivered before.
    Step(StepTask, u32),
    ObjectWritten(ObjectWritten),
}

/// The sending side: a [`Dispatcher`] and an [`ObjectEvents`] sink.
#[derive(Debug, Clone)]
pub struct InlineQueue {
    sender: mpsc::UnboundedSender<Work>,
}

/// The receiving side, consumed by [`InlineQueue::run`].
#[derive(Debug)]
pub struct InlineReceiver(mpsc::UnboundedReceiver<Work>);

impl InlineQueue {
    pub fn new() -> (Self, InlineReceiver) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (Self { sender }, InlineReceiver(receiver))
    }

    /// Runs the worker loop for the life of the process: each piece of work in its own task,
    /// at most `concurrency` at a time; a step is delivered at most `max_deliveries` times.
    /// (The loop keeps a sender for retries, so it does not end on its own; it stops with
    /// its runtime.)
    pub async fn run(
        self,
        receiver: InlineReceiver,
        handler: Arc<dyn WorkHandler>,
        concurrency: usize,
        max_deliveries: u32,
    ) {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut receiver = receiver.0;
        let queue = self;
        while let Some(work) = receiver.recv().await {
            let permit = Arc::clone(&permits)
                .acquire_owned()
                .await
                .expect("the semaphore is never closed");
            let handler = Arc::clone(&handler);
            let queue = queue.clone();
            tokio::spawn(async move {
                match work {
                    Work::Step(task, before) => {
                        let delivery = handler.run_step(&task).await;
                        drop(permit);
                        let deliveries = before + 1;
                        if let Delivery::RetryAfter(delay) = delivery {
                            if deliveries >= max_deliveries {
                                handler.dead_letter(&task, deliveries).await;
                            } else {
                                tokio::time::sleep(delay).await;
                                let _ = queue.sender.send(Work::Step(task, deliveries));
                            }
                        }
                    }
                    Work::ObjectWritten(event) => {
                        handler.object_written(&event).await;
                        drop(permit);
                    }
                }
            });
        }
    }
}

#[async_trait]
impl Dispatcher for InlineQueue {
    async fn dispatch(&self, task: StepTask) -> Result<(), DispatchError> {
        self.sender
            .send(Work::Step(task, 0))
            .map_err(|_| DispatchError("the in-process worker has stopped".into()))
    }
}

impl ObjectEvents for InlineQueue {
    fn object_written(&self, event: ObjectWritten) {
        // A closed queue means the process is shutting down; `resume` re-renders on restart.
        let _ = self.sender.send(Work::ObjectWritten(event));
    }
}
