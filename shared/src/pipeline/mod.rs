//! The job pipeline, the domain every handler and command calls into: accept a submission
//! (or [`plan`] it as a dry run), dispatch the steps whose dependencies are met, run each step
//! (claim, cache, generate, validate, store, finish), render what a step stored
//! ([`postprocess`], and the podcast's audio: [`audio`]), write the manifest and settle the job ([`finish`]), and sweep what a
//! crash left behind ([`maintenance`]). [`read`] holds what clients may look up.
//!
//! Every operation is safe to repeat: steps are claimed under a lease before any work, the
//! cache is content-addressed, and objects are written create-only.

pub mod audio;
mod cache;
mod dead_letters;
pub mod finish;
mod maintenance;
pub mod plan;
pub mod postprocess;
pub mod read;
mod step;
pub mod usage;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};

pub use cache::cache_key;
pub use dead_letters::Retried;
pub use maintenance::MaintenanceReport;
pub use plan::{Plan, PlannedStep};
pub use read::JobFile;

use crate::clock::Clock;
use crate::content::{Kind, OptionError, Options};
use crate::dispatch::{Delivery, Dispatcher, StepTask, WorkHandler};
use crate::documents::Format;
use crate::generation::Engine;
use crate::jobs::{Job, JobId, SourceFile, SourceInfo};
use crate::layout;
use crate::objects::{ObjectError, ObjectStore, ObjectWritten};
use crate::source::SourceText;
use crate::store::{Admission, Admitted, Idempotency, JobStore, StoreError, update_job};

/// The storage ports and the clock, shared by the pipeline and post-processing, and the
/// speech engine post-processing voices podcasts with (`None`: no audio is made).
#[derive(Debug, Clone)]
pub struct Ports {
    pub store: Arc<dyn JobStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub clock: Arc<dyn Clock>,
    pub audio: Option<Arc<audio::AudioStage>>,
}

/// Tunables of step execution.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a claim holds a step before another worker may take it over.
    pub lease: Duration,
    /// Attempts per step, counting lease take-overs and retried transient failures.
    pub max_attempts: u32,
    /// This worker's name in leases.
    pub worker: String,
    /// First retry delay after a transient failure (doubles per attempt).
    pub retry_base: Duration,
    /// How long ended jobs and cache entries are kept before maintenance deletes them.
    pub retention: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            lease: Duration::from_mins(2),
            max_attempts: 3,
            worker: format!("pid{}-{}", std::process::id(), ulid::Ulid::new()),
            retry_base: Duration::from_millis(500),
            retention: Duration::from_hours(24 * 30),
        }
    }
}

/// A request to build materials from one source.
#[derive(Debug, Clone)]
pub struct Submission {
    pub tenant: String,
    pub source: SourceText,
    /// The file name the source came from, if any (shown on the job).
    pub source_name: Option<String>,
    /// The uploaded document `source` was extracted from, if any (kept with the job).
    pub document: Option<Document>,
    /// Kinds wanted; the outline is always added.
    pub kinds: Vec<Kind>,
    pub options: Options,
    /// `false` recomputes every step instead of reusing cached artifacts.
    pub use_cache: bool,
    /// The tenant's daily job limit, checked when the job is stored.
    pub daily_limit: Option<u32>,
    pub idempotency: Option<Idempotency>,
}

impl Submission {
    /// A submission with no quota and no idempotency key.
    pub fn new(
        tenant: impl Into<String>,
        source: SourceText,
        kinds: Vec<Kind>,
        options: Options,
    ) -> Self {
        Self {
            tenant: tenant.into(),
            source,
            source_name: None,
            document: None,
            kinds,
            options,
            use_cache: true,
            daily_limit: None,
            idempotency: None,
        }
    }
}

/// An uploaded document, as read: its bytes and what they turned out to be.
#[derive(Debug, Clone)]
pub struct Document {
    pub bytes: Bytes,
    pub format: Format,
}

/// An accepted submission: the job, and whether it already existed (an idempotent replay).
#[derive(Debug, Clone)]
pub struct Submitted {
    pub job: Job,
    pub replayed: bool,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SubmitError {
    #[error("invalid options: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidOptions(Vec<OptionError>),
    #[error("the daily limit of {limit} jobs is reached")]
    QuotaExceeded { limit: u32 },
    #[error("the idempotency key was already used for a different request (job {0})")]
    KeyReused(JobId),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Objects(#[from] ObjectError),
}

/// Runs jobs with one engine, one store, one object store and one dispatcher.
#[derive(Debug)]
pub struct Pipeline {
    pub ports: Ports,
    pub engine: Arc<dyn Engine>,
    pub dispatcher: Arc<dyn Dispatcher>,
    pub settings: Settings,
    /// Set when the process stops: no new step starts (its delivery is acknowledged; the
    /// step stays queued in the store, where the next start or maintenance finds it).
    stopping: AtomicBool,
}

impl Pipeline {
    pub fn new(
        ports: Ports,
        engine: Arc<dyn Engine>,
        dispatcher: Arc<dyn Dispatcher>,
        settings: Settings,
    ) -> Self {
        Self {
            ports,
            engine,
            dispatcher,
            settings,
            stopping: AtomicBool::new(false),
        }
    }

    /// The refusal of a podcast whose target duration exceeds the speech budget, if any.
    pub fn audio_budget_problem(&self, kinds: &[Kind], options: &Options) -> Option<OptionError> {
        let stage = self.ports.audio.as_ref()?;
        (options.audio && kinds.contains(&Kind::PodcastScript))
            .then(|| stage.check_budget(options))
            .flatten()
    }

    /// Whether [`Pipeline::release_leases`] was called: the process is stopping.
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

impl Pipeline {
    /// Stores the source, creates the job and dispatches its first step.
    #[tracing::instrument(skip_all, fields(tenant = %submission.tenant))]
    pub async fn submit(&self, mut submission: Submission) -> Result<Submitted, SubmitError> {
        let mut problems = submission.options.check();
        problems.extend(self.audio_budget_problem(&submission.kinds, &submission.options));
        if !problems.is_empty() {
            return Err(SubmitError::InvalidOptions(problems));
        }
        submission
            .options
            .settle_language(submission.source.as_str());
        let source = SourceInfo {
            sha256: submission.source.sha256(),
            chars: submission.source.chars(),
            name: submission.source_name,
            file: submission.document.as_ref().map(|document| SourceFile {
                media_type: document.format.media_type().to_owned(),
                bytes: document.bytes.len() as u64,
                sha256: hex::encode(Sha256::digest(&document.bytes)),
            }),
        };
        let path = layout::source(&source.sha256);
        let text = Bytes::from(submission.source.into_string());
        if self.ports.objects.head(&path).await?.is_none() {
            self.ports
                .objects
                .create(&path, text.clone(), "text/plain; charset=utf-8")
                .await?;
        }
        let now = self.ports.clock.now();
        let mut job = Job::new(
            JobId::generate(),
            submission.tenant,
            source,
            submission.options,
            &submission.kinds,
            now,
        );
        job.use_cache = submission.use_cache;
        let admission = Admission {
            daily_limit: submission.daily_limit,
            day: now.utc_day(),
            idempotency: submission.idempotency,
        };
        let (id, replayed) = match self.ports.store.create_job(&job, &admission).await? {
            Admitted::Created => (job.id.clone(), false),
            Admitted::Replayed(id) => (id, true),
            Admitted::KeyReused(id) => return Err(SubmitError::KeyReused(id)),
            Admitted::QuotaExceeded { limit } => return Err(SubmitError::QuotaExceeded { limit }),
        };
        if !replayed {
            // Maintenance may have deleted the source as unused just before the job was
            // stored; now that the job uses it, it stays (see `maintenance`).
            self.ports
                .objects
                .create(&path, text, "text/plain; charset=utf-8")
                .await?;
            // Kept once the job exists, so a replayed or refused submission leaves nothing.
            if let Some(document) = submission.document {
                let format = document.format;
                self.ports
                    .objects
                    .create(
                        &layout::source_file(&id, format.extension()),
                        document.bytes,
                        format.media_type(),
                    )
                    .await?;
            }
            tracing::info!(job_id = %id, steps = job.steps.len(), "job accepted");
            self.dispatch_ready(&id).await?;
        }
        let job = self
            .ports
            .store
            .get_job(&id)
            .await?
            .ok_or(StoreError::NotFound)?
            .value;
        Ok(Submitted { job, replayed })
    }

    /// Marks the job's ready steps queued and dispatches them; returns their kinds. A
    /// dispatch that fails leaves the step queued, where maintenance finds it again.
    async fn dispatch_ready(&self, id: &JobId) -> Result<Vec<Kind>, StoreError> {
        let now = self.ports.clock.now();
        let (_, queued) = update_job(self.ports.store.as_ref(), id, |job| {
            let ready = job.ready_steps();
            job.mark_queued(&ready, now)
        })
        .await?;
        for &kind in &queued {
            self.send(id, kind).await;
        }
        Ok(queued)
    }

    async fn send(&self, id: &JobId, kind: Kind) {
        if let Err(e) = self
            .dispatcher
            .dispatch(StepTask {
                job_id: id.clone(),
                kind,
            })
            .await
        {
            tracing::warn!(job_id = %id, %kind, error = %e, "dispatch failed; the step stays queued for resume");
        }
    }

    /// Stops starting steps and gives back every step this worker holds (on shutdown), so
    /// another worker or the next start picks them up at once instead of waiting for the
    /// leases to expire. Returns how many were released.
    pub async fn release_leases(&self) -> Result<usize, StoreError> {
        self.stopping.store(true, Ordering::SeqCst);
        let worker = self.settings.worker.as_str();
        let mut released = 0;
        for id in self.ports.store.unfinished_jobs(10_000).await? {
            let now = self.ports.clock.now();
            let (_, handed) = update_job(self.ports.store.as_ref(), &id, |job| {
                job.hand_back(worker, now)
            })
            .await?;
            released += handed.len();
        }
        Ok(released)
    }

    /// Cancels a job; returns whether it was still running.
    pub async fn cancel(&self, id: &JobId) -> Result<bool, StoreError> {
        let now = self.ports.clock.now();
        let (_, cancelled) =
            update_job(self.ports.store.as_ref(), id, |job| job.cancel(now)).await?;
        Ok(cancelled)
    }
}

#[async_trait]
impl WorkHandler for Pipeline {
    async fn run_step(&self, task: &StepTask) -> Delivery {
        self.run(task).await
    }

    async fn object_written(&self, event: &ObjectWritten) {
        postprocess::handle(&self.ports, event).await;
    }

    async fn dead_letter(&self, task: &StepTask, deliveries: u32) {
        if let Err(e) = self.record_dead_letter(task, deliveries).await {
            // The step is still unfinished in its job: maintenance keeps dispatching it.
            tracing::error!(job_id = %task.job_id, kind = %task.kind, error = %e, "could not record a dead letter");
        }
    }
}
