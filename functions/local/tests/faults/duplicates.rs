//! Duplicates: every dispatch is delivered twice, each copy after its own random delay of up
//! to 40 ms, so a copy often overtakes another job's delivery or arrives while its twin runs;
//! every object event (the post-processing trigger, at least once on Cloud Storage too) is
//! delivered twice as well. The embedded queue cannot be told from outside to deliver twice,
//! so this scenario wires the library's own parts as `Factory::start` does (SQLite file, a
//! journaled and notifying object folder, the in-process queue), with a [`Dispatcher`] and
//! an [`ObjectEvents`] sink that duplicate, and the model engine against the fake provider
//! with no fault: every step must be generated (and paid for) exactly once, every object
//! written once, every counter consistent.
//!
//! Two more jobs add a podcast script with its audio (espeak-ng, the default engine): its
//! storage event, delivered twice, must synthesize and write one audio and one caption file.
//! Only two, because forty episodes synthesized on a loaded two-core machine would not fit
//! the bound.
//!
//! Bound: 40 jobs of four steps and 2 of three steps plus audio, a few seconds each; waited
//! for at most 90 s.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use factory_shared::clock::SystemClock;
use factory_shared::config::Config;
use factory_shared::content::{Kind, Options};
use factory_shared::dispatch::inline::InlineQueue;
use factory_shared::dispatch::{DispatchError, Dispatcher, StepTask};
use factory_shared::http::view::JobView;
use factory_shared::objects::dir::DirObjectStore;
use factory_shared::objects::journal::{Journal, read_journal};
use factory_shared::objects::{Notifying, ObjectEvents, ObjectStore, ObjectWritten};
use factory_shared::pipeline::{Pipeline, Ports, Settings, Submission};
use factory_shared::source::SourceText;
use factory_shared::store::JobStore;
use factory_shared::store::sqlite::SqliteStore;
use factory_testkit::model_server::FakeModelServer;

use crate::NOTE;
use crate::reliability::{self, ProviderCount, Run, Submitted};

const JOBS: usize = 40;
const KINDS: [Kind; 3] = [Kind::Faq, Kind::Flashcards, Kind::OnePager];
/// Jobs with a podcast script and its audio, submitted after the others.
const PODCASTS: usize = 2;
const PODCAST_KINDS: [Kind; 2] = [Kind::Faq, Kind::PodcastScript];
const MAX_DELAY_MS: u64 = 40;

/// Delivers every task and every object event twice through the in-process queue, each
/// copy after a random delay.
#[derive(Debug, Clone)]
struct TwiceDelivered {
    queue: InlineQueue,
    state: Arc<Mutex<Deliveries>>,
}

/// What the duplicating dispatcher did.
#[derive(Debug, Default)]
struct Deliveries {
    /// SplitMix64 state for the delays.
    random: u64,
    dispatched: u64,
    delivered: u64,
    /// Deliveries that arrived after a delivery of a later dispatch.
    overtaken: u64,
    latest: Option<u64>,
    /// Object events received, and their copies delivered.
    events: u64,
    events_delivered: u64,
}

impl Deliveries {
    fn next_delay(&mut self) -> Duration {
        self.random = self.random.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Duration::from_millis((z ^ (z >> 31)) % (MAX_DELAY_MS + 1))
    }

    fn deliver(&mut self, number: u64) {
        self.delivered += 1;
        if self.latest.is_some_and(|latest| latest > number) {
            self.overtaken += 1;
        }
        self.latest = self.latest.max(Some(number));
    }
}

fn lock(state: &Mutex<Deliveries>) -> std::sync::MutexGuard<'_, Deliveries> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait]
impl Dispatcher for TwiceDelivered {
    async fn dispatch(&self, task: StepTask) -> Result<(), DispatchError> {
        let (number, delays) = {
            let mut state = lock(&self.state);
            state.dispatched += 1;
            (state.dispatched, [state.next_delay(), state.next_delay()])
        };
        for delay in delays {
            let (queue, state, task) = (self.queue.clone(), Arc::clone(&self.state), task.clone());
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                lock(&state).deliver(number);
                queue.dispatch(task).await
            });
        }
        Ok(())
    }
}

impl ObjectEvents for TwiceDelivered {
    fn object_written(&self, event: ObjectWritten) {
        let delays = {
            let mut state = lock(&self.state);
            state.events += 1;
            [state.next_delay(), state.next_delay()]
        };
        for delay in delays {
            let (queue, state, event) =
                (self.queue.clone(), Arc::clone(&self.state), event.clone());
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                lock(&state).events_delivered += 1;
                queue.object_written(event);
            });
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dispatch_delivered_twice_writes_each_artifact_once_and_counts_usage_once() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("objects.journal");
    let fake = FakeModelServer::start(NOTE, Options::default(), Duration::from_millis(25)).await;
    let model = format!("openai:duplicates@{}/v1", fake.base_url());
    let vars = BTreeMap::from([
        ("FACTORY_MODEL", model.as_str()),
        ("OPENAI_API_KEY", "sk-duplicates"),
    ]);
    let config = Config::from_lookup(|name| vars.get(name).map(|v| (*v).to_owned())).unwrap();
    let engine = factory_shared::model::select::engine(&config).unwrap();

    let (queue, receiver) = InlineQueue::new();
    let store: Arc<dyn JobStore> =
        Arc::new(SqliteStore::open(&home.path().join("factory.db")).unwrap());
    let folder: Arc<dyn ObjectStore> =
        Arc::new(DirObjectStore::open(home.path().join("objects")).unwrap());
    let deliveries = Arc::new(Mutex::new(Deliveries {
        random: 7,
        ..Deliveries::default()
    }));
    let twice = TwiceDelivered {
        queue: queue.clone(),
        state: Arc::clone(&deliveries),
    };
    let events: Vec<Arc<dyn ObjectEvents>> = vec![
        Arc::new(Journal::open(&journal).unwrap()),
        Arc::new(twice.clone()),
    ];
    let objects = Arc::new(Notifying {
        inner: Arc::clone(&folder),
        events: Arc::new(events),
    });
    let dispatcher = Arc::new(twice);
    let settings = Settings {
        lease: Duration::from_mins(1),
        ..Settings::default()
    };
    let ports = Ports {
        store: Arc::clone(&store),
        objects,
        clock: Arc::new(SystemClock),
        audio: factory_shared::runtime::audio_stage(&config).unwrap(),
    };
    assert!(
        ports.audio.is_some(),
        "espeak-ng is the default speech engine"
    );
    let pipeline = Arc::new(Pipeline::new(ports, engine, dispatcher, settings));
    tokio::spawn(queue.run(receiver, pipeline.clone(), 4, config.max_deliveries()));

    let started = Instant::now();
    let mut submissions = Vec::new();
    for n in 0..JOBS + PODCASTS {
        let kinds = if n < JOBS {
            &KINDS[..]
        } else {
            &PODCAST_KINDS[..]
        };
        let mut submission = Submission::new(
            "duplicates",
            SourceText::parse(NOTE).unwrap(),
            kinds.to_vec(),
            Options::default(),
        );
        submission.use_cache = false;
        submissions.push(match pipeline.submit(submission).await {
            Ok(submitted) => Submitted::accepted(submitted.job.id.as_str()),
            Err(e) => {
                eprintln!("submission refused: {e}");
                Submitted {
                    status: 500,
                    retry_after: false,
                    job_id: None,
                }
            }
        });
    }

    let deadline = started + Duration::from_secs(90);
    let ids = crate::accepted_ids(&submissions);
    for id in &ids {
        let id = id.parse().unwrap();
        while Instant::now() < deadline {
            match store.get_job(&id).await.unwrap() {
                Some(job) if !job.value.status.is_terminal() => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                _ => break,
            }
        }
    }
    let elapsed = started.elapsed();
    // Late copies still on their way arrive (and must find nothing to do) before the jobs
    // are read.
    tokio::time::sleep(Duration::from_millis(3 * MAX_DELAY_MS)).await;
    let mut jobs = BTreeMap::new();
    for id in ids {
        let job = store.get_job(&id.parse().unwrap()).await.unwrap();
        let view = job.map(|job| serde_json::to_value(JobView::from(&job.value)).unwrap());
        jobs.insert(id, view);
    }

    let stats = fake.stats();
    let stored = crate::list_objects(folder.as_ref()).await;
    let delivered = lock(&deliveries);
    let run = Run {
        scenario: "duplicates".into(),
        submissions,
        jobs,
        journal: Some(read_journal(&journal).unwrap()),
        stored: Some(stored),
        unjournaled_allowed: 0,
        provider: Some(ProviderCount {
            calls: stats.calls as u64,
            input_tokens: stats.usage.input_tokens,
            output_tokens: stats.usage.output_tokens,
            repeats_expected: false,
        }),
        elapsed,
        facts: vec![format!(
            "{} dispatches delivered {} times ({} overtaken by a later dispatch's), {} object events delivered {} times",
            delivered.dispatched,
            delivered.delivered,
            delivered.overtaken,
            delivered.events,
            delivered.events_delivered
        )],
    };
    assert_eq!(
        (delivered.delivered, delivered.events_delivered),
        (2 * delivered.dispatched, 2 * delivered.events),
        "every dispatch and event was delivered twice"
    );
    drop(delivered);
    reliability::assert_clean(&run);
    for (id, job) in &run.jobs {
        let names: Vec<&str> = job.as_ref().unwrap()["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        let podcast = names.contains(&"podcast-script.json");
        for audio in ["podcast-script.mp3", "podcast-script.vtt"] {
            let written = run.journal.as_ref().unwrap().iter();
            let path = format!("jobs/{id}/{audio}");
            assert_eq!(
                written.filter(|e| e.path == path).count(),
                usize::from(podcast),
                "{path}: {names:?}"
            );
        }
    }
    let podcasts = run
        .jobs
        .values()
        .flatten()
        .filter(|job| job["steps"].as_array().unwrap().len() == 3)
        .count();
    assert_eq!(podcasts, PODCASTS);
}
