//! Ending a job: once every step ended and every result was rendered, write `manifest.json`
//! (every artifact with its size and SHA-256) and give the job its final status. Either half
//! may be repeated after a crash; the manifest is written once (create-only).

use bytes::Bytes;
use serde::Serialize;

use super::Ports;
use crate::content::{Kind, Options};
use crate::jobs::{ArtifactRecord, JobId, JobStatus, SourceInfo, StepStatus};
use crate::layout;
use crate::outcome::StepError;
use crate::store::{StoreError, update_job};

/// The manifest of a finished job.
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    pub job_id: &'a JobId,
    pub status: JobStatus,
    pub source: &'a SourceInfo,
    pub options: &'a Options,
    pub steps: Vec<ManifestStep<'a>>,
    pub artifacts: &'a [ArtifactRecord],
}

#[derive(Debug, Serialize)]
pub struct ManifestStep<'a> {
    pub kind: Kind,
    pub status: StepStatus,
    pub cache_hit: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a StepError>,
}

/// Writes the manifest and settles the job if its outputs are complete. Returns the final
/// status if this call ended the job.
pub async fn finish_if_complete(
    ports: &Ports,
    id: &JobId,
) -> Result<Option<JobStatus>, StoreError> {
    let Some(versioned) = ports.store.get_job(id).await? else {
        return Ok(None);
    };
    let job = versioned.value;
    if job.status.is_terminal() || !job.outputs_complete() {
        return Ok(None);
    }
    if !job.manifest {
        let mut preview = job.clone();
        preview.manifest = true;
        let status = preview.settle(ports.clock.now()).unwrap_or(job.status);
        let manifest = Manifest {
            job_id: &job.id,
            status,
            source: &job.source,
            options: &job.options,
            steps: job
                .steps
                .iter()
                .map(|s| ManifestStep {
                    kind: s.kind,
                    status: s.status,
                    cache_hit: s.cache_hit,
                    engine: s.engine.as_deref(),
                    error: s.error.as_ref(),
                })
                .collect(),
            artifacts: &job.artifacts,
        };
        let mut bytes = serde_json::to_vec_pretty(&manifest).expect("manifests serialize");
        bytes.push(b'\n');
        let path = layout::manifest(id);
        ports
            .objects
            .create(&path, Bytes::from(bytes), "application/json")
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    }
    let now = ports.clock.now();
    let (job, settled) = update_job(ports.store.as_ref(), id, |job| {
        if !job.outputs_complete() {
            return None;
        }
        job.manifest = true;
        job.settle(now)
    })
    .await?;
    if let Some(status) = settled {
        tracing::info!(job_id = %job.id, %status, "job ended");
    }
    Ok(settled)
}
