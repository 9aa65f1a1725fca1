//! Jobs and their steps, and every state transition they go through, as pure functions on
//! [`Job`]. Stores only load and save whole jobs with a version check, so the rules below hold
//! the same on SQLite and Firestore, and can be tested without either.
//!
//! A job is a small DAG: the outline step, then one step per requested derivative, each
//! depending on the outline. Step life: `pending` → `queued` (dispatched) → `running` (claimed
//! with a lease) → `succeeded` | `failed` | `cancelled`. A running step whose lease expired
//! may be claimed again until it runs out of attempts.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::content::validate::Violation;
use crate::content::{Kind, Options};
use crate::outcome::{ErrorCode, StepError, Usage};

/// A job id: a ULID, so ids sort by creation time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(String);

impl JobId {
    /// A new id, strictly greater than every id this process generated before.
    pub fn generate() -> Self {
        static GENERATOR: std::sync::Mutex<ulid::Generator> =
            std::sync::Mutex::new(ulid::Generator::new());
        let mut generator = GENERATOR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let id = generator.generate().unwrap_or_else(|_| ulid::Ulid::new());
        Self(id.to_string().to_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A string that is not a job id.
#[derive(Debug, Clone, thiserror::Error)]
#[error("`{0}` is not a job id (26 characters of Crockford base32)")]
pub struct InvalidJobId(pub String);

impl FromStr for JobId {
    type Err = InvalidJobId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ulid::Ulid::from_string(s)
            .map(|u| Self(u.to_string().to_lowercase()))
            .map_err(|_| InvalidJobId(s.to_owned()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Partial,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Succeeded | Self::Partial | Self::Failed | Self::Cancelled
        )
    }

    pub fn slug(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl StepStatus {
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }

    pub fn slug(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Quality scores of a step's output.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Fact-bearing items with a source reference.
    pub items: u32,
    /// Share of those items whose reference includes a character span (0–1).
    pub grounded: f32,
    /// Share of the outline's sections the output refers to (0–1).
    pub section_coverage: f32,
    /// Fact-bearing items whose cited span supports what they say (`docs/quality.md`).
    #[serde(default)]
    pub supported: u32,
    /// Fact-bearing items whose cited span does not support them.
    #[serde(default)]
    pub unsupported: u32,
    /// Fact-bearing items that cite no span.
    #[serde(default)]
    pub uncited: u32,
    /// More than half of the fact-bearing items are unsupported or uncited.
    #[serde(default)]
    pub mostly_unsupported: bool,
}

/// One step of a job: build one kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub kind: Kind,
    pub status: StepStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    /// Time spent on the successful attempt, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    pub cache_hit: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    pub usage: Usage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<Quality>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StepError>,
    /// Whether post-processing recorded this step's renderings.
    pub rendered: bool,
    /// Why the podcast's audio could not be made, when the script itself succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audio_error: Option<StepError>,
}

impl Step {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
            status: StepStatus::Pending,
            attempts: 0,
            lease_owner: None,
            lease_until: None,
            queued_at: None,
            started_at: None,
            finished_at: None,
            duration_ms: None,
            cache_hit: false,
            engine: None,
            engine_version: None,
            usage: Usage::default(),
            quality: None,
            error: None,
            rendered: false,
            audio_error: None,
        }
    }

    fn fail(&mut self, mut error: StepError, now: Timestamp) {
        self.status = StepStatus::Failed;
        self.usage.add(std::mem::take(&mut error.usage));
        self.error = Some(error);
        self.finished_at = Some(now);
        self.lease_owner = None;
        self.lease_until = None;
    }
}

/// The source a job was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceInfo {
    pub sha256: String,
    pub chars: usize,
    /// The file name it was read from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The uploaded document the text was extracted from (PDF, DOCX, HTML, …), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<SourceFile>,
}

/// An uploaded document, kept beside the text extracted from it (`layout::source_file`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFile {
    /// The media type it was read as (what its content is, not what the client claimed).
    pub media_type: String,
    pub bytes: u64,
    pub sha256: String,
}

/// One file a job produced, as listed on the job and in its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRecord {
    /// File name within the job (`faq.json`, `faq.md`, …).
    pub name: String,
    pub kind: Kind,
    /// `json`, `md`, `html`, or for a podcast's audio and captions `mp3` and `vtt`.
    pub format: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A job: one source, some kinds, their steps and what they produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub tenant: String,
    pub status: JobStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    pub source: SourceInfo,
    pub options: Options,
    pub steps: Vec<Step>,
    #[serde(default)]
    pub artifacts: Vec<ArtifactRecord>,
    /// Whether `manifest.json` was written for the finished job.
    #[serde(default)]
    pub manifest: bool,
    /// Whether steps may reuse cached artifacts (they always fill the cache).
    #[serde(default = "yes")]
    pub use_cache: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<StepError>,
    /// What the bundle lacks without failing: the learning objectives no practice item serves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Violation>,
}

fn yes() -> bool {
    true
}

/// The result of trying to claim a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the lease and runs attempt number `attempt`.
    Acquired { attempt: u32 },
    /// Nothing to do: the step already ended (or the job was cancelled).
    Finished,
    /// Another worker holds a live lease.
    Busy { until: Timestamp },
    /// A dependency has not succeeded yet.
    NotReady,
    /// The lease expired on the last allowed attempt: the step is now failed.
    Exhausted,
}

/// How a step ended.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    Succeeded {
        cache_hit: bool,
        engine: String,
        engine_version: String,
        usage: Usage,
        quality: Quality,
        duration_ms: u64,
    },
    Failed(StepError),
}

/// The caller no longer holds the step's lease (it expired and another worker took it, or
/// the step ended meanwhile); its result must be dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the lease on step {0} is no longer held by this worker")]
pub struct LeaseLost(pub Kind);

impl Job {
    /// A new job for `kinds` (the outline is always added, and runs first).
    pub fn new(
        id: JobId,
        tenant: String,
        source: SourceInfo,
        options: Options,
        kinds: &[Kind],
        now: Timestamp,
    ) -> Self {
        Self {
            id,
            tenant,
            status: JobStatus::Queued,
            created_at: now,
            updated_at: now,
            finished_at: None,
            source,
            options,
            steps: Kind::with_outline(kinds)
                .into_iter()
                .map(Step::new)
                .collect(),
            artifacts: Vec::new(),
            manifest: false,
            use_cache: true,
            warnings: Vec::new(),
            error: None,
        }
    }

    pub fn step(&self, kind: Kind) -> Option<&Step> {
        self.steps.iter().find(|s| s.kind == kind)
    }

    fn step_mut(&mut self, kind: Kind) -> Option<&mut Step> {
        self.steps.iter_mut().find(|s| s.kind == kind)
    }

    /// Steps whose dependencies all succeeded and that were not dispatched yet.
    pub fn ready_steps(&self) -> Vec<Kind> {
        self.steps
            .iter()
            .filter(|s| s.status == StepStatus::Pending)
            .filter(|s| {
                s.kind.depends_on().iter().all(|d| {
                    self.step(*d)
                        .is_none_or(|d| d.status == StepStatus::Succeeded)
                })
            })
            .map(|s| s.kind)
            .collect()
    }

    /// Marks the given pending steps as dispatched; returns those that changed.
    pub fn mark_queued(&mut self, kinds: &[Kind], now: Timestamp) -> Vec<Kind> {
        let mut changed = Vec::new();
        for &kind in kinds {
            if let Some(step) = self.step_mut(kind)
                && step.status == StepStatus::Pending
            {
                step.status = StepStatus::Queued;
                step.queued_at = Some(now);
                changed.push(kind);
            }
        }
        if !changed.is_empty() {
            self.updated_at = now;
        }
        changed
    }

    /// Takes the lease on a step for `owner`. Succeeds on a pending or queued step whose
    /// dependencies succeeded, or on a running step whose lease expired (a new attempt).
    pub fn claim(
        &mut self,
        kind: Kind,
        owner: &str,
        lease: Duration,
        max_attempts: u32,
        now: Timestamp,
    ) -> Claim {
        if self.status == JobStatus::Cancelled {
            return Claim::Finished;
        }
        let deps_ok = kind.depends_on().iter().all(|d| {
            self.step(*d)
                .is_none_or(|d| d.status == StepStatus::Succeeded)
        });
        let Some(step) = self.step_mut(kind) else {
            return Claim::Finished;
        };
        match step.status {
            s if s.is_terminal() => return Claim::Finished,
            StepStatus::Running if step.lease_until.is_some_and(|until| until > now) => {
                return Claim::Busy {
                    until: step.lease_until.unwrap_or(now),
                };
            }
            _ if !deps_ok => return Claim::NotReady,
            _ => {}
        }
        if step.attempts >= max_attempts {
            self.exhaust(kind, max_attempts, now);
            return Claim::Exhausted;
        }
        step.status = StepStatus::Running;
        step.attempts += 1;
        step.lease_owner = Some(owner.to_owned());
        step.lease_until = Some(now.plus(lease));
        step.started_at = Some(now);
        step.queued_at.get_or_insert(now);
        let attempt = step.attempts;
        if self.status == JobStatus::Queued {
            self.status = JobStatus::Running;
        }
        self.updated_at = now;
        Claim::Acquired { attempt }
    }

    /// Fails the steps that are out of attempts and cannot run again: queued, or running
    /// under an expired lease, with `max_attempts` attempts made. Returns their kinds.
    pub fn fail_exhausted(&mut self, max_attempts: u32, now: Timestamp) -> Vec<Kind> {
        let exhausted: Vec<Kind> = self
            .steps
            .iter()
            .filter(|s| {
                let idle = s.status == StepStatus::Queued
                    || (s.status == StepStatus::Running
                        && s.lease_until.is_none_or(|until| until <= now));
                idle && s.attempts >= max_attempts
            })
            .map(|s| s.kind)
            .collect();
        for &kind in &exhausted {
            self.exhaust(kind, max_attempts, now);
        }
        exhausted
    }

    /// Queues a step that has not ended again with fresh attempts (an operator's retry),
    /// unless it is running under a live lease. Returns whether it was queued.
    pub fn requeue(&mut self, kind: Kind, now: Timestamp) -> bool {
        if self.status.is_terminal() {
            return false;
        }
        let Some(step) = self.step_mut(kind) else {
            return false;
        };
        let held =
            step.status == StepStatus::Running && step.lease_until.is_some_and(|until| until > now);
        if step.status.is_terminal() || held {
            return false;
        }
        if step.status != StepStatus::Pending {
            step.status = StepStatus::Queued;
        }
        step.attempts = 0;
        step.lease_owner = None;
        step.lease_until = None;
        self.updated_at = now;
        true
    }

    /// Out of attempts: a lease that expired each time, or transient failures that gave the
    /// step back each time. The last reason is kept in the message.
    fn exhaust(&mut self, kind: Kind, max_attempts: u32, now: Timestamp) {
        let Some(step) = self.step_mut(kind) else {
            return;
        };
        let last = step
            .error
            .as_ref()
            .map_or_else(|| "its lease expired".to_owned(), |e| e.message.clone());
        let message =
            format!("the step failed on each of its {max_attempts} attempts; last: {last}");
        step.fail(StepError::new(ErrorCode::AttemptsExhausted, message), now);
        self.cascade_failure(kind, now);
        self.updated_at = now;
    }

    /// Ends a step held by `owner`. Returns the steps that became ready to dispatch.
    pub fn finish(
        &mut self,
        kind: Kind,
        owner: &str,
        outcome: StepOutcome,
        now: Timestamp,
    ) -> Result<Vec<Kind>, LeaseLost> {
        let step = self.step_mut(kind).ok_or(LeaseLost(kind))?;
        if step.status != StepStatus::Running || step.lease_owner.as_deref() != Some(owner) {
            return Err(LeaseLost(kind));
        }
        match outcome {
            StepOutcome::Succeeded {
                cache_hit,
                engine,
                engine_version,
                usage,
                quality,
                duration_ms,
            } => {
                step.status = StepStatus::Succeeded;
                step.cache_hit = cache_hit;
                step.engine = Some(engine);
                step.engine_version = Some(engine_version);
                // Earlier failed attempts of this step may already have cost something.
                step.usage.add(usage);
                step.quality = Some(quality);
                step.duration_ms = Some(duration_ms);
                step.error = None;
                step.finished_at = Some(now);
                step.lease_owner = None;
                step.lease_until = None;
            }
            StepOutcome::Failed(error) => {
                step.fail(error, now);
                self.cascade_failure(kind, now);
            }
        }
        self.updated_at = now;
        Ok(self.ready_steps())
    }

    /// Gives a step back after a transient failure so it can be tried again.
    pub fn release(
        &mut self,
        kind: Kind,
        owner: &str,
        mut error: StepError,
        now: Timestamp,
    ) -> Result<(), LeaseLost> {
        let step = self.step_mut(kind).ok_or(LeaseLost(kind))?;
        if step.status != StepStatus::Running || step.lease_owner.as_deref() != Some(owner) {
            return Err(LeaseLost(kind));
        }
        step.usage.add(std::mem::take(&mut error.usage));
        step.status = StepStatus::Queued;
        step.lease_owner = None;
        step.lease_until = None;
        step.error = Some(error);
        self.updated_at = now;
        Ok(())
    }

    /// Hands back every step `owner` holds because the worker is stopping: they are queued
    /// again and the interrupted attempt is not counted (the step did not fail). Returns the
    /// kinds handed back.
    pub fn hand_back(&mut self, owner: &str, now: Timestamp) -> Vec<Kind> {
        let mut handed = Vec::new();
        for step in &mut self.steps {
            if step.status == StepStatus::Running && step.lease_owner.as_deref() == Some(owner) {
                step.status = StepStatus::Queued;
                step.lease_owner = None;
                step.lease_until = None;
                step.attempts = step.attempts.saturating_sub(1);
                handed.push(step.kind);
            }
        }
        if !handed.is_empty() {
            self.updated_at = now;
        }
        handed
    }

    /// Steps that depend on a failed one can never run: they fail too, saying why.
    fn cascade_failure(&mut self, failed: Kind, now: Timestamp) {
        for step in &mut self.steps {
            if !step.status.is_terminal() && step.kind.depends_on().contains(&failed) {
                let message = format!("not built because the {failed} step failed");
                step.fail(StepError::new(ErrorCode::DependencyFailed, message), now);
            }
        }
    }

    /// Records a step's renderings (replacing any earlier record of the same names) and marks
    /// the step rendered.
    pub fn record_artifacts(&mut self, kind: Kind, artifacts: Vec<ArtifactRecord>, now: Timestamp) {
        for artifact in artifacts {
            match self.artifacts.iter_mut().find(|a| a.name == artifact.name) {
                Some(existing) => *existing = artifact,
                None => self.artifacts.push(artifact),
            }
        }
        self.artifacts.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(step) = self.step_mut(kind) {
            step.rendered = true;
        }
        self.updated_at = now;
    }

    /// Records how a step's audio went: its speech usage, and its failure (cleared when a
    /// later post-processing made the audio after all). A job that ended `partial` only
    /// because of that failure becomes `succeeded` once the audio exists.
    pub fn record_audio(
        &mut self,
        kind: Kind,
        outcome: Result<(), StepError>,
        usage: Usage,
        now: Timestamp,
    ) {
        let Some(step) = self.step_mut(kind) else {
            return;
        };
        step.usage.add(usage);
        step.audio_error = outcome.err();
        let made = step.audio_error.is_none();
        if made
            && self.status == JobStatus::Partial
            && self
                .steps
                .iter()
                .all(|s| s.status == StepStatus::Succeeded && s.audio_error.is_none())
        {
            self.status = JobStatus::Succeeded;
            self.error = None;
        }
        self.updated_at = now;
    }

    /// Whether every step ended and every successful one was rendered: the job's outputs are
    /// complete and its manifest can be written.
    pub fn outputs_complete(&self) -> bool {
        self.steps
            .iter()
            .all(|s| s.status.is_terminal() && (s.status != StepStatus::Succeeded || s.rendered))
    }

    /// Gives the job its final status once its outputs are complete and its manifest written.
    /// Returns the status if this call ended the job.
    pub fn settle(&mut self, now: Timestamp) -> Option<JobStatus> {
        if self.status.is_terminal() || !self.outputs_complete() || !self.manifest {
            return None;
        }
        let outline_ok = self
            .step(Kind::Outline)
            .is_some_and(|s| s.status == StepStatus::Succeeded);
        let all_ok = self
            .steps
            .iter()
            .all(|s| s.status == StepStatus::Succeeded && s.audio_error.is_none());
        self.status = if all_ok {
            JobStatus::Succeeded
        } else if outline_ok {
            JobStatus::Partial
        } else {
            JobStatus::Failed
        };
        self.error = self
            .steps
            .iter()
            .find_map(|s| s.error.clone().filter(|_| s.status == StepStatus::Failed))
            .or_else(|| self.steps.iter().find_map(|s| s.audio_error.clone()));
        self.finished_at = Some(now);
        self.updated_at = now;
        Some(self.status)
    }

    /// Cancels the job: steps that have not ended are cancelled; a running step's result
    /// will be refused when it finishes. Returns false if the job had already ended.
    pub fn cancel(&mut self, now: Timestamp) -> bool {
        if self.status.is_terminal() {
            return false;
        }
        for step in &mut self.steps {
            if !step.status.is_terminal() {
                step.status = StepStatus::Cancelled;
                step.error = Some(StepError::new(
                    ErrorCode::Cancelled,
                    "the job was cancelled",
                ));
                step.finished_at = Some(now);
                step.lease_owner = None;
                step.lease_until = None;
            }
        }
        self.status = JobStatus::Cancelled;
        self.finished_at = Some(now);
        self.updated_at = now;
        true
    }

    /// Model usage summed over steps.
    pub fn usage(&self) -> Usage {
        let mut total = Usage::default();
        for step in &self.steps {
            total.add(step.usage);
        }
        total
    }

    /// (steps ended, steps in all).
    pub fn progress(&self) -> (usize, usize) {
        (
            self.steps.iter().filter(|s| s.status.is_terminal()).count(),
            self.steps.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEASE: Duration = Duration::from_secs(30);

    fn job(kinds: &[Kind]) -> Job {
        let source = SourceInfo {
            sha256: "ab".into(),
            chars: 10,
            name: None,
            file: None,
        };
        Job::new(
            JobId::generate(),
            "local".into(),
            source,
            Options::default(),
            kinds,
            Timestamp(0),
        )
    }

    fn success() -> StepOutcome {
        StepOutcome::Succeeded {
            cache_hit: false,
            engine: "extractive".into(),
            engine_version: "1".into(),
            usage: Usage::default(),
            quality: Quality {
                items: 1,
                grounded: 1.0,
                section_coverage: 1.0,
                supported: 1,
                unsupported: 0,
                uncited: 0,
                mostly_unsupported: false,
            },
            duration_ms: 1,
        }
    }

    #[test]
    fn the_outline_is_always_a_step_and_runs_first() {
        let job = job(&[Kind::Faq]);
        assert_eq!(
            job.steps.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [Kind::Outline, Kind::Faq]
        );
        assert_eq!(job.ready_steps(), [Kind::Outline]);
    }

    #[test]
    fn maintenance_fails_only_steps_that_are_out_of_attempts_and_idle() {
        let mut job = job(&[Kind::Faq]);
        assert_eq!(
            job.claim(Kind::Outline, "w", LEASE, 1, Timestamp(0)),
            Claim::Acquired { attempt: 1 }
        );
        // The lease still holds: the attempt may yet succeed.
        assert_eq!(job.fail_exhausted(1, Timestamp(1)), Vec::<Kind>::new());
        // Its holder died: the lease expired on the last attempt.
        let later = Timestamp(0).plus(LEASE);
        assert_eq!(job.fail_exhausted(1, later), [Kind::Outline]);
        let outline = job.step(Kind::Outline).unwrap();
        assert_eq!(outline.status, StepStatus::Failed);
        assert_eq!(
            outline.error.as_ref().unwrap().code,
            ErrorCode::AttemptsExhausted
        );
        let faq = job.step(Kind::Faq).unwrap();
        assert_eq!(
            faq.error.as_ref().unwrap().code,
            ErrorCode::DependencyFailed
        );
        assert_eq!(
            job.fail_exhausted(1, later),
            Vec::<Kind>::new(),
            "idempotent"
        );
    }

    #[test]
    fn a_derivative_cannot_be_claimed_before_the_outline_succeeds() {
        let mut job = job(&[Kind::Faq]);
        assert_eq!(
            job.claim(Kind::Faq, "w", LEASE, 3, Timestamp(1)),
            Claim::NotReady
        );
        assert_eq!(
            job.claim(Kind::Outline, "w", LEASE, 3, Timestamp(1)),
            Claim::Acquired { attempt: 1 }
        );
        assert_eq!(
            job.finish(Kind::Outline, "w", success(), Timestamp(2)),
            Ok(vec![Kind::Faq])
        );
        assert_eq!(
            job.claim(Kind::Faq, "w", LEASE, 3, Timestamp(3)),
            Claim::Acquired { attempt: 1 }
        );
    }

    #[test]
    fn a_live_lease_keeps_others_out_and_an_expired_one_lets_them_in() {
        let mut job = job(&[]);
        job.claim(Kind::Outline, "a", LEASE, 3, Timestamp(0));
        assert_eq!(
            job.claim(Kind::Outline, "b", LEASE, 3, Timestamp(1_000)),
            Claim::Busy {
                until: Timestamp(30_000)
            }
        );
        assert_eq!(
            job.claim(Kind::Outline, "b", LEASE, 3, Timestamp(30_000)),
            Claim::Acquired { attempt: 2 }
        );
        assert_eq!(
            job.finish(Kind::Outline, "a", success(), Timestamp(30_001)),
            Err(LeaseLost(Kind::Outline))
        );
    }

    #[test]
    fn a_step_out_of_attempts_fails_and_its_dependents_fail_with_it() {
        let mut job = job(&[Kind::Faq]);
        job.claim(Kind::Outline, "a", LEASE, 1, Timestamp(0));
        assert_eq!(
            job.claim(Kind::Outline, "b", LEASE, 1, Timestamp(40_000)),
            Claim::Exhausted
        );
        let faq = job.step(Kind::Faq).unwrap();
        assert_eq!(faq.status, StepStatus::Failed);
        assert_eq!(
            faq.error.as_ref().unwrap().code,
            ErrorCode::DependencyFailed
        );
    }

    #[test]
    fn a_step_given_back_on_every_attempt_fails_instead_of_retrying_forever() {
        let mut job = job(&[]);
        for attempt in 1..=2 {
            assert_eq!(
                job.claim(Kind::Outline, "w", LEASE, 2, Timestamp(attempt)),
                Claim::Acquired {
                    attempt: attempt as u32
                }
            );
            let error = StepError::new(ErrorCode::StoreUnavailable, "disk full");
            job.release(Kind::Outline, "w", error, Timestamp(attempt))
                .unwrap();
        }
        assert_eq!(
            job.claim(Kind::Outline, "w", LEASE, 2, Timestamp(9)),
            Claim::Exhausted
        );
        let error = job.step(Kind::Outline).unwrap().error.clone().unwrap();
        assert_eq!(error.code, ErrorCode::AttemptsExhausted);
        assert!(error.message.contains("disk full"), "{}", error.message);
    }

    #[test]
    fn a_stopping_worker_hands_back_only_its_own_steps_without_spending_attempts() {
        let mut job = job(&[Kind::Faq, Kind::Flashcards]);
        job.claim(Kind::Outline, "w", LEASE, 3, Timestamp(0));
        job.finish(Kind::Outline, "w", success(), Timestamp(1))
            .unwrap();
        job.claim(Kind::Faq, "stopping", LEASE, 3, Timestamp(2));
        job.claim(Kind::Flashcards, "other", LEASE, 3, Timestamp(2));
        assert_eq!(job.hand_back("stopping", Timestamp(3)), [Kind::Faq]);
        let faq = job.step(Kind::Faq).unwrap();
        assert_eq!((faq.status, faq.attempts), (StepStatus::Queued, 0));
        assert_eq!(
            job.step(Kind::Flashcards).unwrap().status,
            StepStatus::Running
        );
    }

    #[test]
    fn a_job_settles_only_when_rendered_and_manifested() {
        let mut job = job(&[Kind::Faq]);
        job.claim(Kind::Outline, "w", LEASE, 3, Timestamp(0));
        job.finish(Kind::Outline, "w", success(), Timestamp(1))
            .unwrap();
        job.claim(Kind::Faq, "w", LEASE, 3, Timestamp(2));
        let error = StepError::new(ErrorCode::SourceTooThin, "too thin");
        job.finish(Kind::Faq, "w", StepOutcome::Failed(error), Timestamp(3))
            .unwrap();
        assert_eq!(job.settle(Timestamp(4)), None, "outline not rendered yet");
        job.record_artifacts(Kind::Outline, vec![], Timestamp(4));
        assert!(job.outputs_complete());
        assert_eq!(job.settle(Timestamp(5)), None, "no manifest yet");
        job.manifest = true;
        assert_eq!(job.settle(Timestamp(6)), Some(JobStatus::Partial));
        assert_eq!(job.error.as_ref().unwrap().code, ErrorCode::SourceTooThin);
        assert_eq!(job.settle(Timestamp(7)), None, "settles once");
    }

    #[test]
    fn cancelling_stops_unfinished_steps_and_refuses_late_results() {
        let mut job = job(&[Kind::Faq]);
        job.claim(Kind::Outline, "w", LEASE, 3, Timestamp(0));
        assert!(job.cancel(Timestamp(1)));
        assert_eq!(
            job.finish(Kind::Outline, "w", success(), Timestamp(2)),
            Err(LeaseLost(Kind::Outline))
        );
        assert_eq!(
            job.claim(Kind::Faq, "w", LEASE, 3, Timestamp(3)),
            Claim::Finished
        );
        assert!(!job.cancel(Timestamp(4)));
    }

    #[test]
    fn job_ids_parse_and_sort_by_time() {
        let a = JobId::generate();
        std::thread::sleep(Duration::from_millis(2));
        let b = JobId::generate();
        assert!(a < b);
        assert_eq!(a.as_str().parse::<JobId>().unwrap(), a);
        assert!("not-an-id".parse::<JobId>().is_err());
    }
}
