//! How close a whole bundle through a model engine comes to its critical path. A bundle is
//! the outline, then the seven derivatives in parallel, so with every model call taking L
//! the best possible wall time is 2·L; everything above it is the pipeline's overhead
//! (claims, store writes, validation, rendering, the manifest) and, over HTTP, the wire.
//! The target is wall / 2·L ≤ 1.05.
//!
//! Each bundle goes through the real pipeline on the embedded adapters (a file-backed
//! SQLite store and an object folder in a temporary directory, the in-process queue), with
//! a [`ModelEngine`] over [`Resilient`] (default retry policy, 8 calls in flight) over one of
//! two models that both answer valid content built by the extractive engine:
//!
//! - `in_process`: a model that sleeps L and answers at once (no network), so the ratio is
//!   the pipeline's own overhead;
//! - `openai_http`: the bench's own minimal Chat Completions client (the real provider client
//!   is not used here) calling [`FakeModelServer`], which waits L per call on a local port;
//!   the ratio adds serializing the prompts, HTTP and parsing the provider's JSON.
//!
//! The wiring is built here, mirroring the runtime's inline wiring, so that the bench can
//! swap in its own models. Steps and renderings share the queue's `STEP_CONCURRENCY`
//! permits, set high enough that the seven derivatives all run at once (the defaults,
//! `FACTORY_CONCURRENCY` and `FACTORY_MODEL_CONCURRENCY` both 8, do too). Every bundle
//! recomputes every step (no cache). Wall time runs from `submit` until the job is seen ended (the store is polled
//! every millisecond), so it includes rendering and the manifest.
//!
//! Every call takes exactly L, so the seven derivatives come back at the same moment and
//! their remaining work (validation, store writes, rendering) competes for the cores at once:
//! the worst case for the tail. Real latencies vary and spread that work out.
//!
//! L is 200 ms unless `MODEL_BUNDLE_LATENCY_MS` says otherwise. After each variant a line
//! `model_bundle[variant]: L=…ms wall=…ms critical=…ms ratio=…` gives the median over every
//! bundle run for it (warm-up included), with the spread, and a `timeline` line shows where
//! one more bundle's time went (step queue, start and finish times, and the job's end).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use factory_shared::clock::{Clock, SystemClock, Timestamp};
use factory_shared::content::{Kind, Options};
use factory_shared::dispatch::inline::InlineQueue;
use factory_shared::jobs::{Job, JobStatus, Step, StepStatus};
use factory_shared::model::engine::{GenerationSettings, ModelEngine};
use factory_shared::model::resilient::{Resilient, RetryPolicy};
use factory_shared::model::{ModelError, ModelRequest, ModelResponse, Role, TextModel, TokenUsage};
use factory_shared::objects::Notifying;
use factory_shared::objects::dir::DirObjectStore;
use factory_shared::pipeline::{Pipeline, Ports, Settings, Submission};
use factory_shared::source::SourceText;
use factory_shared::store::sqlite::SqliteStore;
use factory_testkit::model_server::{FakeAnswers, FakeModelServer};
use serde_json::{Value, json};

const SOURCE: &str = include_str!("../../examples/chapter-roman-republic.md");

/// Work items the in-process queue runs at once (steps and renderings).
const STEP_CONCURRENCY: usize = 16;
/// Model calls in flight at once.
const MODEL_CONCURRENCY: usize = 8;

fn latency() -> Duration {
    let millis = std::env::var("MODEL_BUNDLE_LATENCY_MS")
        .ok()
        .map_or(200, |v| {
            v.parse().expect("MODEL_BUNDLE_LATENCY_MS is a number")
        });
    Duration::from_millis(millis)
}

// ---------------------------------------------------------------------------------------------
// The models
// ---------------------------------------------------------------------------------------------

/// Sleeps L, then answers the kind named by the request's schema.
#[derive(Debug)]
struct Sleeping {
    answers: FakeAnswers,
    latency: Duration,
    calls: AtomicUsize,
}

#[async_trait]
impl TextModel for Sleeping {
    fn name(&self) -> String {
        "sleeping:extractive".into()
    }

    async fn generate(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.latency).await;
        let kind: Kind = request
            .schema_name
            .parse()
            .map_err(|e| ModelError::InvalidRequest(format!("{e}")))?;
        let text = self
            .answers
            .get(kind)
            .map_err(|e| ModelError::InvalidRequest(e.to_owned()))?;
        Ok(ModelResponse {
            text: text.to_owned(),
            usage: TokenUsage {
                input_tokens: (request.system.len() / 4) as u64,
                output_tokens: (text.len() / 4) as u64,
            },
        })
    }
}

/// The bench's own minimal Chat Completions client: sends the request, reads the answer
/// text and usage; every failure is reported as an invalid request (the bench checks that
/// none happens).
#[derive(Debug)]
struct BenchOpenAi {
    http: reqwest::Client,
    url: String,
}

#[async_trait]
impl TextModel for BenchOpenAi {
    fn name(&self) -> String {
        "openai:fake".into()
    }

    async fn generate(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
        let mut messages = vec![json!({"role": "system", "content": request.system})];
        messages.extend(request.turns.iter().map(|turn| {
            let role = match turn.role {
                Role::User => "user",
                Role::Model => "assistant",
            };
            json!({"role": role, "content": turn.text})
        }));
        let body = json!({
            "model": "fake",
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.schema},
            },
            "temperature": request.temperature,
            "max_completion_tokens": request.max_output_tokens,
        });
        let failed = |e: &dyn std::fmt::Display| ModelError::InvalidRequest(e.to_string());
        let response = self
            .http
            .post(&self.url)
            .bearer_auth("sk-bench")
            .json(&body)
            .send()
            .await
            .map_err(|e| failed(&e))?;
        let status = response.status();
        let answer: Value = response.json().await.map_err(|e| failed(&e))?;
        if !status.is_success() {
            return Err(failed(&format!("{status}: {answer}")));
        }
        let text = answer["choices"][0]["message"]["content"]
            .as_str()
            .ok_or_else(|| failed(&"no message content"))?;
        Ok(ModelResponse {
            text: text.to_owned(),
            usage: TokenUsage {
                input_tokens: answer["usage"]["prompt_tokens"].as_u64().unwrap_or(0),
                output_tokens: answer["usage"]["completion_tokens"].as_u64().unwrap_or(0),
            },
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The pipeline
// ---------------------------------------------------------------------------------------------

/// A pipeline with a model engine, on embedded adapters in a temporary directory.
struct Bench {
    pipeline: Arc<Pipeline>,
    /// The in-process model, if that is the variant.
    sleeping: Option<Arc<Sleeping>>,
    /// The fake provider, if that is the variant.
    fake: Option<FakeModelServer>,
    _dir: tempfile::TempDir,
}

#[derive(Debug, Clone, Copy)]
enum Variant {
    InProcess,
    OpenAiHttp,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::InProcess => "in_process",
            Variant::OpenAiHttp => "openai_http",
        }
    }
}

impl Bench {
    async fn start(variant: Variant, latency: Duration) -> Self {
        let (model, sleeping, fake): (Arc<dyn TextModel>, _, _) = match variant {
            Variant::InProcess => {
                let sleeping = Arc::new(Sleeping {
                    answers: FakeAnswers::build(SOURCE, &Options::default()),
                    latency,
                    calls: AtomicUsize::new(0),
                });
                (sleeping.clone(), Some(sleeping), None)
            }
            Variant::OpenAiHttp => {
                let fake = FakeModelServer::start(SOURCE, Options::default(), latency).await;
                let client = Arc::new(BenchOpenAi {
                    http: reqwest::Client::new(),
                    url: fake.url("/v1/chat/completions"),
                });
                (client, None, Some(fake))
            }
        };
        let engine = Arc::new(ModelEngine::new(
            Arc::new(Resilient::new(
                model,
                RetryPolicy::default(),
                MODEL_CONCURRENCY,
            )),
            None,
            GenerationSettings::default(),
        ));
        let dir = tempfile::tempdir().expect("a temporary directory");
        let (queue, receiver) = InlineQueue::new();
        let ports = Ports {
            store: Arc::new(SqliteStore::open(&dir.path().join("f.db")).expect("sqlite")),
            objects: Arc::new(Notifying {
                inner: Arc::new(DirObjectStore::open(dir.path().join("objects")).expect("dir")),
                events: Arc::new(queue.clone()),
            }),
            clock: Arc::new(SystemClock),
            audio: None,
        };
        let pipeline = Arc::new(Pipeline::new(
            ports,
            engine,
            Arc::new(queue.clone()),
            Settings::default(),
        ));
        tokio::spawn(queue.run(receiver, pipeline.clone(), STEP_CONCURRENCY, 5));
        Self {
            pipeline,
            sleeping,
            fake,
            _dir: dir,
        }
    }

    /// Model calls made so far.
    fn calls(&self) -> usize {
        self.sleeping
            .as_ref()
            .map_or(0, |model| model.calls.load(Ordering::Relaxed))
            + self.fake.as_ref().map_or(0, FakeModelServer::request_count)
    }

    /// Runs one bundle from submission to its end; returns the job, the wall time and the
    /// clock's time at submission.
    async fn bundle(&self) -> (Job, Duration, Timestamp) {
        let mut submission = Submission::new(
            "bench",
            SourceText::parse(SOURCE).expect("the example source is accepted"),
            Kind::ALL.to_vec(),
            Options::default(),
        );
        submission.use_cache = false;
        let submitted_at = SystemClock.now();
        let started = Instant::now();
        let id = self
            .pipeline
            .submit(submission)
            .await
            .expect("the bundle is accepted")
            .job
            .id;
        let store = &self.pipeline.ports.store;
        loop {
            let job = store.get_job(&id).await.expect("store").expect("job").value;
            if job.status.is_terminal() {
                return (job, started.elapsed(), submitted_at);
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Panics unless a bundle succeeds with one model call per kind, so the benchmark never
    /// measures a failure, a retry or a repair.
    async fn check(&self) {
        let before = self.calls();
        let (job, _, _) = self.bundle().await;
        assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
        assert!(
            job.steps.iter().all(|s| s.status == StepStatus::Succeeded
                && s.attempts == 1
                && !s.cache_hit
                && s.usage.output_tokens > 0),
            "{:#?}",
            job.steps
        );
        assert_eq!(
            self.calls() - before,
            Kind::ALL.len(),
            "one model call per kind"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The measurement
// ---------------------------------------------------------------------------------------------

fn summary(variant: Variant, latency: Duration, walls: &mut [Duration]) -> String {
    walls.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1_000.0;
    let median = walls[walls.len() / 2];
    let critical = latency * 2;
    format!(
        "model_bundle[{}]: L={}ms wall={:.1}ms critical={}ms ratio={:.3} (median of {} bundles; min {:.1}ms, max {:.1}ms)",
        variant.name(),
        latency.as_millis(),
        ms(median),
        critical.as_millis(),
        median.as_secs_f64() / critical.as_secs_f64(),
        walls.len(),
        ms(walls[0]),
        ms(walls[walls.len() - 1]),
    )
}

/// Where one bundle's time went, in milliseconds after submission (the store's clock):
/// the outline's step, the derivatives' steps (earliest and latest), and the job's end
/// (after every rendering and the manifest).
fn timeline(variant: Variant, job: &Job, submitted_at: Timestamp) -> String {
    let at = |t: Option<Timestamp>| t.map_or(-1, |t| t.millis() - submitted_at.millis());
    let outline = &job
        .steps
        .iter()
        .find(|s| s.kind == Kind::Outline)
        .expect("an outline step");
    let derivatives: Vec<_> = job
        .steps
        .iter()
        .filter(|s| s.kind != Kind::Outline)
        .collect();
    let span = |of: fn(&Step) -> Option<Timestamp>| {
        let times: Vec<i64> = derivatives.iter().map(|s| at(of(s))).collect();
        format!(
            "{}..{}",
            times.iter().min().expect("derivatives"),
            times.iter().max().expect("derivatives")
        )
    };
    format!(
        "model_bundle[{}] timeline (ms after submit): outline queued {} started {} finished {}; derivatives queued {} started {} finished {}; job ended {}",
        variant.name(),
        at(outline.queued_at),
        at(outline.started_at),
        at(outline.finished_at),
        span(|s| s.queued_at),
        span(|s| s.started_at),
        span(|s| s.finished_at),
        at(job.finished_at),
    )
}

fn model_bundle(c: &mut Criterion) {
    let latency = latency();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let mut group = c.benchmark_group("model_bundle");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time((latency * 2 * 12).max(Duration::from_secs(3)));
    for variant in [Variant::InProcess, Variant::OpenAiHttp] {
        let bench = runtime.block_on(Bench::start(variant, latency));
        runtime.block_on(bench.check());
        let walls = Mutex::new(Vec::new());
        group.bench_function(variant.name(), |b| {
            b.iter_custom(|iters| {
                runtime.block_on(async {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (_, wall, _) = bench.bundle().await;
                        walls.lock().unwrap().push(wall);
                        total += wall;
                    }
                    total
                })
            });
        });
        println!("{}", summary(variant, latency, &mut walls.lock().unwrap()));
        let (job, _, submitted_at) = runtime.block_on(bench.bundle());
        println!("{}", timeline(variant, &job, submitted_at));
    }
    group.finish();
}

criterion_group!(benches, model_bundle);
criterion_main!(benches);
