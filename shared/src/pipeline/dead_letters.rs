//! Dead letters: steps whose deliveries ran out while each delivery asked to be retried
//! (the store or the object store kept failing, the instance kept stopping, …). The step
//! itself stays unfinished in its job, so maintenance keeps re-dispatching it; the dead
//! letter makes the trouble visible to an operator, who can retry the step once the cause
//! is fixed (with fresh attempts) or dismiss the letter.

use serde::Serialize;

use super::Pipeline;
use crate::content::Kind;
use crate::dispatch::StepTask;
use crate::jobs::{JobId, StepStatus};
use crate::store::{DeadLetter, StoreError, update_job};

/// What retrying a dead letter did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Retried {
    /// The step was queued again with fresh attempts and dispatched; the letter is gone.
    Dispatched,
    /// The step had ended meanwhile (e.g. maintenance finished it); the letter is gone.
    AlreadyEnded { status: StepStatus },
    /// The job no longer exists; the letter is gone.
    JobGone,
    /// No dead letter has this id.
    NotFound,
}

impl Pipeline {
    /// Records that `task` was delivered `deliveries` times without settling, with the
    /// step's last error as the reason when there is one.
    pub async fn record_dead_letter(
        &self,
        task: &StepTask,
        deliveries: u32,
    ) -> Result<DeadLetter, StoreError> {
        let reason = match self.ports.store.get_job(&task.job_id).await {
            Ok(Some(job)) => job
                .value
                .step(task.kind)
                .and_then(|s| s.error.as_ref())
                .map_or_else(
                    || "every delivery asked to be retried".to_owned(),
                    |e| format!("{}: {}", e.code, e.message),
                ),
            Ok(None) => "the job does not exist".to_owned(),
            Err(e) => e.to_string(),
        };
        let letter = DeadLetter::new(
            task.job_id.clone(),
            task.kind,
            deliveries,
            reason,
            self.ports.clock.now(),
        );
        self.ports.store.put_dead_letter(&letter).await?;
        tracing::error!(
            job_id = %task.job_id,
            kind = %task.kind,
            deliveries,
            reason = %letter.reason,
            "step dead-lettered"
        );
        Ok(letter)
    }

    /// Retries the step of a dead letter: if it has not ended, it is queued again with fresh
    /// attempts and dispatched. The letter is removed either way.
    pub async fn retry_dead_letter(&self, id: &str) -> Result<Retried, StoreError> {
        let Some((job_id, kind)) = parse_letter_id(id) else {
            return Ok(Retried::NotFound);
        };
        // The step stays unfinished in its job whatever happens next, so maintenance
        // still finds it if this retry fails half-way.
        if !self.ports.store.delete_dead_letter(id).await? {
            return Ok(Retried::NotFound);
        }
        let now = self.ports.clock.now();
        let outcome = match update_job(self.ports.store.as_ref(), &job_id, |job| {
            job.requeue(kind, now)
        })
        .await
        {
            Err(StoreError::NotFound) => Retried::JobGone,
            Err(e) => return Err(e),
            Ok((_, true)) => {
                self.send(&job_id, kind).await;
                Retried::Dispatched
            }
            Ok((job, false)) => Retried::AlreadyEnded {
                status: job.step(kind).map_or(StepStatus::Cancelled, |s| s.status),
            },
        };
        tracing::info!(dead_letter = id, ?outcome, "dead letter retried");
        Ok(outcome)
    }
}

/// `<job id>.<kind>` → its parts.
fn parse_letter_id(id: &str) -> Option<(JobId, Kind)> {
    let (job, kind) = id.split_once('.')?;
    Some((job.parse().ok()?, kind.parse().ok()?))
}
