//! Ending a job: once every step ended and every result was rendered, write `manifest.json`
//! (every artifact with its size and SHA-256) and `bundle.zip` (every artifact and the
//! manifest, in one download), then give the job its final status. Either half may be
//! repeated after a crash; both files are written once (create-only).

use bytes::Bytes;
use serde::Serialize;

use super::Ports;
use crate::content::exports::zip_archive;
use crate::content::objectives::Coverage;
use crate::content::{Artifact, Content, Kind, Options};
use crate::jobs::{ArtifactRecord, Job, JobId, JobStatus, SourceInfo, StepStatus};
use crate::layout;
use crate::objects::create_or_existing;
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
        let job = write_coverage(ports, job).await?;
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
        let objects = ports.objects.as_ref();
        objects
            .create(&path, Bytes::from(bytes), "application/json")
            .await
            .map_err(unavailable)?;
        write_archive(ports, &job).await?;
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

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Writes the coverage matrix (`coverage.json`, `coverage.md`) when the outline and some
/// practice material succeeded, and records both on the job; returns the job as recorded.
async fn write_coverage(ports: &Ports, job: Job) -> Result<Job, StoreError> {
    let succeeded = |kind: Kind| {
        job.step(kind)
            .is_some_and(|s| s.status == StepStatus::Succeeded)
    };
    if !succeeded(Kind::Outline) {
        return Ok(job);
    }
    let objects = ports.objects.as_ref();
    let mut outline = None;
    let mut practice = Vec::new();
    for step in job
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Succeeded)
    {
        let bytes = objects
            .get(&layout::artifact(&job.id, step.kind))
            .await
            .map_err(unavailable)?
            .ok_or_else(|| {
                StoreError::Unavailable(format!("the {} artifact is missing", step.kind))
            })?;
        let artifact: Artifact = serde_json::from_slice(&bytes).map_err(|e| {
            StoreError::Unavailable(format!("the stored {} cannot be read: {e}", step.kind))
        })?;
        match artifact.content {
            Content::Outline(o) => outline = Some(o),
            content if !content.practice().is_empty() => practice.push(content),
            _ => {}
        }
    }
    let (Some(outline), false) = (outline, practice.is_empty()) else {
        return Ok(job);
    };
    let coverage = Coverage::of(&outline, &practice);
    let mut json = serde_json::to_vec_pretty(&coverage).expect("coverage serializes");
    json.push(b'\n');
    let labels = &crate::content::Scaffolding::for_tag(job.options.language()).labels;
    let markdown = coverage.to_markdown(labels).into_bytes();
    let mut records = Vec::new();
    for (name, format, bytes, content_type) in [
        ("coverage.json", "coverage-json", json, "application/json"),
        (
            "coverage.md",
            "coverage-md",
            markdown,
            "text/markdown; charset=utf-8",
        ),
    ] {
        let path = layout::job_file(&job.id, name).expect("a plain file name");
        let info = create_or_existing(objects, &path, Bytes::from(bytes), content_type)
            .await
            .map_err(unavailable)?;
        records.push(ArtifactRecord {
            name: name.to_owned(),
            kind: Kind::Outline,
            format: format.to_owned(),
            bytes: info.bytes,
            sha256: info.sha256,
        });
    }
    let now = ports.clock.now();
    let (job, ()) = update_job(ports.store.as_ref(), &job.id, |job| {
        job.record_artifacts(Kind::Outline, records.clone(), now);
        job.warnings = coverage.violations();
    })
    .await?;
    Ok(job)
}

/// Writes `bundle.zip`: every file the job lists and its manifest, read back from the object
/// store (so a repeat after a crash archives the same bytes).
async fn write_archive(ports: &Ports, job: &Job) -> Result<(), StoreError> {
    let objects = ports.objects.as_ref();
    let mut files: Vec<(String, Bytes)> = Vec::new();
    let names = job
        .artifacts
        .iter()
        .map(|a| a.name.as_str())
        .chain(["manifest.json"]);
    for name in names {
        let path = layout::job_file(&job.id, name)
            .ok_or_else(|| StoreError::Unavailable(format!("`{name}` is not a file name")))?;
        let bytes = objects
            .get(&path)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| StoreError::Unavailable(format!("{path} is missing")))?;
        files.push((name.to_owned(), bytes));
    }
    let archive = zip_archive(files.iter().map(|(n, b)| (n.as_str(), b.as_ref())));
    objects
        .create(
            &layout::bundle(&job.id),
            Bytes::from(archive),
            "application/zip",
        )
        .await
        .map_err(unavailable)?;
    Ok(())
}
