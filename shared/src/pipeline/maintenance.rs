//! The maintenance sweep (Cloud Scheduler calls it every minute; `factory serve` runs it on
//! a timer; a restart runs the first half): finish what was interrupted, then clean up.
//!
//! - Unfinished jobs: dispatch steps that are ready but were never dispatched, queued, or
//!   held under an expired lease; fail steps that are out of attempts; render results whose
//!   storage event was lost; settle jobs whose outputs are complete.
//! - Cache entries older than the retention go, with their objects.
//! - Ended jobs past the retention go: their objects first, then their source if no other job
//!   uses it, then the record (so a sweep that dies half-way is finished by the next one).
//!
//! Every action is idempotent and guarded the way the pipeline's own are (claims, compare-
//! and-set, create-only writes), so sweeps may overlap each other and running steps.

use std::time::Duration;

use serde::Serialize;

use super::{Pipeline, finish, postprocess};
use crate::jobs::{JobId, StepStatus};
use crate::layout;
use crate::objects::ObjectWritten;
use crate::store::{StoreError, update_job};

/// Most items of each kind one sweep handles; the next sweep takes the rest.
const BATCH: usize = 500;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MaintenanceReport {
    /// Unfinished jobs looked at.
    pub jobs_checked: usize,
    /// Steps dispatched (again): never dispatched, or their lease expired.
    pub dispatched: usize,
    /// Steps failed because they ran out of attempts.
    pub exhausted: usize,
    /// Stored results rendered again (their storage event was lost).
    pub rerendered: usize,
    /// Jobs that ended in this sweep.
    pub settled: usize,
    /// Cache entries past the retention, removed with their objects.
    pub cache_expired: usize,
    /// Ended jobs past the retention, removed.
    pub jobs_deleted: usize,
    /// Sources removed with them because no other job uses them.
    pub sources_deleted: usize,
    /// Objects removed (job files, sources, cache objects).
    pub objects_deleted: usize,
    /// Dead letters waiting for an operator (see `factory jobs dead-letters`).
    pub dead_letters: usize,
}

impl Pipeline {
    /// One full sweep: [`Pipeline::resume`], then the retention clean-up.
    pub async fn maintain(&self) -> Result<MaintenanceReport, StoreError> {
        let mut report = self.resume().await?;
        self.expire_cache(&mut report).await?;
        self.delete_old_jobs(&mut report).await?;
        report.dead_letters = self.ports.store.dead_letters(BATCH).await?.len();
        tracing::info!(?report, "maintenance sweep");
        Ok(report)
    }

    /// Picks up every unfinished job (the first half of [`Pipeline::maintain`]; also what a
    /// restart runs). Safe to run at any time, any number of times.
    pub async fn resume(&self) -> Result<MaintenanceReport, StoreError> {
        let mut report = MaintenanceReport::default();
        for id in self.ports.store.unfinished_jobs(10_000).await? {
            report.jobs_checked += 1;
            self.resume_job(&id, &mut report).await?;
        }
        Ok(report)
    }

    async fn resume_job(
        &self,
        id: &JobId,
        report: &mut MaintenanceReport,
    ) -> Result<(), StoreError> {
        let now = self.ports.clock.now();
        let max_attempts = self.settings.max_attempts;
        let (_, exhausted) = update_job(self.ports.store.as_ref(), id, |job| {
            job.fail_exhausted(max_attempts, now)
        })
        .await?;
        report.exhausted += exhausted.len();
        let dispatched = self.dispatch_ready(id).await?;
        report.dispatched += dispatched.len();
        let Some(job) = self.ports.store.get_job(id).await? else {
            return Ok(());
        };
        for step in &job.value.steps {
            let stale = step.status == StepStatus::Running
                && step.lease_until.is_none_or(|until| until <= now);
            let waiting = step.status == StepStatus::Queued && !dispatched.contains(&step.kind);
            if waiting || stale {
                self.send(id, step.kind).await;
                report.dispatched += 1;
            }
            if step.status == StepStatus::Succeeded && !step.rendered {
                let path = layout::artifact(id, step.kind);
                if let Ok(Some(info)) = self.ports.objects.head(&path).await {
                    postprocess::handle(&self.ports, &ObjectWritten { info }).await;
                    report.rerendered += 1;
                }
            }
        }
        if finish::finish_if_complete(&self.ports, id).await?.is_some() {
            report.settled += 1;
        }
        Ok(())
    }

    async fn expire_cache(&self, report: &mut MaintenanceReport) -> Result<(), StoreError> {
        let cutoff = self.cutoff();
        for entry in self.ports.store.cache_older_than(cutoff, BATCH).await? {
            // The object first: an entry without its object is a miss, never an error.
            if self
                .delete_object(layout::cache(&entry.key).as_str())
                .await?
            {
                report.objects_deleted += 1;
            }
            if self.ports.store.cache_delete(&entry.key).await? {
                report.cache_expired += 1;
            }
        }
        Ok(())
    }

    async fn delete_old_jobs(&self, report: &mut MaintenanceReport) -> Result<(), StoreError> {
        let cutoff = self.cutoff();
        for id in self.ports.store.ended_before(cutoff, BATCH).await? {
            let Some(job) = self.ports.store.get_job(&id).await? else {
                continue;
            };
            let objects = self
                .ports
                .objects
                .list(&layout::job_prefix(&id))
                .await
                .map_err(unavailable)?;
            for path in objects {
                if self.delete_object(path.as_str()).await? {
                    report.objects_deleted += 1;
                }
            }
            if self.ports.store.delete_job(&id).await? {
                report.jobs_deleted += 1;
            }
            if self.delete_unused_source(&job.value.source.sha256).await? {
                report.sources_deleted += 1;
                report.objects_deleted += 1;
            }
        }
        Ok(())
    }

    /// Deletes a source no job uses. A job submitted meanwhile is stored before its
    /// submission writes the source again (create-only), so: keep the bytes, delete, and put
    /// them back if a job turned out to use them after all.
    async fn delete_unused_source(&self, sha256: &str) -> Result<bool, StoreError> {
        if self.ports.store.source_in_use(sha256).await? {
            return Ok(false);
        }
        let path = layout::source(sha256);
        let objects = self.ports.objects.as_ref();
        let Some(bytes) = objects.get(&path).await.map_err(unavailable)? else {
            return Ok(false);
        };
        if !objects.delete(&path).await.map_err(unavailable)? {
            return Ok(false);
        }
        if self.ports.store.source_in_use(sha256).await? {
            objects
                .create(&path, bytes, "text/plain; charset=utf-8")
                .await
                .map_err(unavailable)?;
            return Ok(false);
        }
        Ok(true)
    }

    async fn delete_object(&self, path: &str) -> Result<bool, StoreError> {
        let Ok(path) = crate::objects::ObjectPath::new(path) else {
            return Ok(false);
        };
        self.ports.objects.delete(&path).await.map_err(unavailable)
    }

    fn cutoff(&self) -> crate::clock::Timestamp {
        let now = self.ports.clock.now();
        crate::clock::Timestamp(now.millis() - retention_millis(self.settings.retention))
    }
}

fn retention_millis(retention: Duration) -> i64 {
    i64::try_from(retention.as_millis()).unwrap_or(i64::MAX)
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}
