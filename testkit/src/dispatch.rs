//! The contract every `Dispatcher` adapter keeps, as a suite any adapter can run: a step
//! dispatched is delivered at least once, intact (job id and kind, and on Pub/Sub the
//! message attributes that subscription filters read); a handling that asks for a retry is
//! delivered again; and nothing assumes an order. [`Inline`] runs it on the in-process
//! queue; [`PubSub`] on the Pub/Sub emulator with a push subscription to a local endpoint
//! that decodes pushes exactly as the functions' `/internal/steps` route does.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use factory_shared::content::Kind;
use factory_shared::dispatch::inline::InlineQueue;
use factory_shared::dispatch::pubsub::{PubSubDispatcher, StepMessage};
use factory_shared::dispatch::{Delivery, Dispatcher, StepTask, WorkHandler};
use factory_shared::gcp::auth::GoogleAuth;
use factory_shared::http::envelopes::PushEnvelope;
use factory_shared::jobs::JobId;
use factory_shared::objects::ObjectWritten;
use tokio::net::TcpListener;

/// One delivery as the receiving side saw it: the step, and the message attributes it came
/// with (none in process).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub task: StepTask,
    pub attributes: BTreeMap<String, String>,
}

/// A dispatch adapter under test.
#[async_trait]
pub trait Adapter: Send + Sync {
    /// A dispatcher whose deliveries reach `handler` from now on.
    async fn connect(&self, handler: Arc<Recorder>) -> Arc<dyn Dispatcher>;

    /// Whether deliveries carry message attributes naming the step (Pub/Sub does, so that
    /// subscriptions can filter on `kind`).
    fn carries_attributes(&self) -> bool;
}

/// A handler that records every delivery and asks for a retry of the first `failures`
/// deliveries of chosen steps.
#[derive(Debug, Default)]
pub struct Recorder {
    received: Mutex<Vec<Received>>,
    failing: Mutex<BTreeMap<StepTask, u32>>,
}

impl Recorder {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    /// The first `failures` deliveries of `task` answer "retry later".
    pub fn fail_first(&self, task: &StepTask, failures: u32) {
        lock(&self.failing).insert(task.clone(), failures);
    }

    /// Records a delivery and says how it was handled.
    pub fn record(&self, received: Received) -> Delivery {
        let task = received.task.clone();
        lock(&self.received).push(received);
        let mut failing = lock(&self.failing);
        match failing.get_mut(&task) {
            Some(left) if *left > 0 => {
                *left -= 1;
                Delivery::RetryAfter(Duration::from_millis(200))
            }
            _ => Delivery::Ack,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        lock(&self.received).clone()
    }

    fn deliveries_of(&self, task: &StepTask) -> usize {
        lock(&self.received)
            .iter()
            .filter(|r| &r.task == task)
            .count()
    }

    /// Waits until `done` holds of the deliveries so far, or panics after `limit`.
    async fn wait_until(&self, limit: Duration, what: &str, done: impl Fn(&[Received]) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(&self.received()) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what} within {limit:?}; received: {:?}",
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[async_trait]
impl WorkHandler for Recorder {
    async fn run_step(&self, task: &StepTask) -> Delivery {
        self.record(Received {
            task: task.clone(),
            attributes: BTreeMap::new(),
        })
    }

    async fn object_written(&self, _: &ObjectWritten) {}

    async fn dead_letter(&self, _: &StepTask, _: u32) {}
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn tasks(n: usize) -> Vec<StepTask> {
    (0..n)
        .map(|i| StepTask {
            job_id: JobId::generate(),
            kind: Kind::ALL[i % Kind::ALL.len()],
        })
        .collect()
}

const LIMIT: Duration = Duration::from_mins(1);

/// Every dispatched step is delivered at least once, whatever the order of arrival.
pub async fn every_step_is_delivered_in_any_order(adapter: &dyn Adapter) {
    let recorder = Recorder::new();
    let dispatcher = adapter.connect(recorder.clone()).await;
    let sent = tasks(3 * Kind::ALL.len());
    for task in &sent {
        dispatcher.dispatch(task.clone()).await.unwrap();
    }
    let wanted: BTreeSet<StepTask> = sent.iter().cloned().collect();
    recorder
        .wait_until(LIMIT, "every step delivered", |received| {
            received
                .iter()
                .map(|r| r.task.clone())
                .collect::<BTreeSet<_>>()
                .is_superset(&wanted)
        })
        .await;
    let received: BTreeSet<StepTask> = recorder.received().into_iter().map(|r| r.task).collect();
    assert_eq!(received, wanted, "nothing but the dispatched steps arrives");
}

/// A delivery whose handling asks for a retry is delivered again, and then acknowledged.
pub async fn a_failed_handling_is_delivered_again(adapter: &dyn Adapter) {
    let recorder = Recorder::new();
    let dispatcher = adapter.connect(recorder.clone()).await;
    let [flaky, steady] = <[StepTask; 2]>::try_from(tasks(2)).unwrap();
    recorder.fail_first(&flaky, 2);
    dispatcher.dispatch(flaky.clone()).await.unwrap();
    dispatcher.dispatch(steady.clone()).await.unwrap();
    recorder
        .wait_until(LIMIT, "the failed step delivered three times", |_| {
            recorder.deliveries_of(&flaky) >= 3
        })
        .await;
    assert!(recorder.deliveries_of(&steady) >= 1);
}

/// The step arrives as it was sent: job id and kind, and where the transport carries
/// message attributes, `kind` and `job_id` among them (what subscription filters read).
pub async fn the_step_arrives_intact(adapter: &dyn Adapter) {
    let recorder = Recorder::new();
    let dispatcher = adapter.connect(recorder.clone()).await;
    let task = StepTask {
        job_id: JobId::generate(),
        kind: Kind::ALL[Kind::ALL.len() - 1],
    };
    dispatcher.dispatch(task.clone()).await.unwrap();
    recorder
        .wait_until(LIMIT, "the step delivered", |received| {
            received.iter().any(|r| r.task == task)
        })
        .await;
    let received = recorder.received();
    let first = received.iter().find(|r| r.task == task).unwrap();
    if adapter.carries_attributes() {
        assert_eq!(
            first.attributes.get("kind").map(String::as_str),
            Some(task.kind.slug())
        );
        assert_eq!(
            first.attributes.get("job_id").map(String::as_str),
            Some(task.job_id.as_str())
        );
    }
}

/// The in-process queue.
#[derive(Debug, Default)]
pub struct Inline;

#[async_trait]
impl Adapter for Inline {
    async fn connect(&self, handler: Arc<Recorder>) -> Arc<dyn Dispatcher> {
        let (queue, receiver) = InlineQueue::new();
        tokio::spawn(queue.clone().run(receiver, handler, 4, 10));
        Arc::new(queue)
    }

    fn carries_attributes(&self) -> bool {
        false
    }
}

/// A topic and a push subscription on the Pub/Sub emulator at `host` (`HOST:PORT`), pushing
/// to a local endpoint that answers as `/internal/steps` does: 204 to acknowledge, 503 to
/// have the message delivered again.
#[derive(Debug)]
pub struct PubSub {
    pub host: String,
    pub project: String,
}

#[async_trait]
impl Adapter for PubSub {
    async fn connect(&self, handler: Arc<Recorder>) -> Arc<dyn Dispatcher> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}/push", listener.local_addr().unwrap());
        let app = Router::new().route("/push", post(push)).with_state(handler);
        tokio::spawn(async move { axum::serve(listener, app).await });

        let name = format!("contract-{}", ulid_like());
        let base = format!("http://{}/v1/projects/{}", self.host, self.project);
        let http = reqwest::Client::new();
        let created = http
            .put(format!("{base}/topics/{name}"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert!(created.status().is_success(), "topic: {}", created.status());
        let subscription = serde_json::json!({
            "topic": format!("projects/{}/topics/{name}", self.project),
            "pushConfig": {"pushEndpoint": endpoint},
            "ackDeadlineSeconds": 10,
            "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "2s"},
        });
        let created = http
            .put(format!("{base}/subscriptions/{name}"))
            .json(&subscription)
            .send()
            .await
            .unwrap();
        assert!(
            created.status().is_success(),
            "subscription: {}",
            created.status()
        );
        Arc::new(PubSubDispatcher::new(
            &self.project,
            &name,
            Some(&self.host),
            GoogleAuth::anonymous(),
        ))
    }

    fn carries_attributes(&self) -> bool {
        true
    }
}

/// Decodes a push as the step route does and hands the step to the recorder.
async fn push(State(recorder): State<Arc<Recorder>>, body: Bytes) -> StatusCode {
    let envelope: PushEnvelope = match serde_json::from_slice(&body) {
        Ok(envelope) => envelope,
        Err(_) => return StatusCode::BAD_REQUEST,
    };
    let Ok(payload) = envelope.message.payload() else {
        return StatusCode::BAD_REQUEST;
    };
    let Ok(message) = serde_json::from_slice::<StepMessage>(&payload) else {
        return StatusCode::BAD_REQUEST;
    };
    let Ok(job_id) = message.job_id.parse() else {
        return StatusCode::BAD_REQUEST;
    };
    let received = Received {
        task: StepTask {
            job_id,
            kind: message.step,
        },
        attributes: envelope.message.attributes.into_iter().collect(),
    };
    match recorder.record(received) {
        Delivery::Ack => StatusCode::NO_CONTENT,
        Delivery::RetryAfter(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// A name no other test uses.
fn ulid_like() -> String {
    JobId::generate().to_string()
}
