//! Post-processing, the pipeline's last stage: when a kind's artifact `jobs/<id>/<kind>.json` is written, render it for
//! people (Markdown and sanitized HTML), record every file on the job with its size and
//! SHA-256, and finish the job if this was the last piece. A podcast script also gets its
//! audio and captions here ([`super::audio`]); a speech failure is recorded on the step and
//! does not hold the job back. Every other object is ignored, so
//! the renderings it writes never trigger it again. Repeating an event is harmless: each
//! rendering is written once (create-only) and recorded again as it is.

use bytes::Bytes;

use super::audio::AudioFailure;
use super::{Ports, finish};
use crate::content::{Artifact, Content, Kind};
use crate::jobs::{ArtifactRecord, JobId, JobStatus};
use crate::layout;
use crate::objects::{ObjectInfo, ObjectPath, ObjectWritten, create_or_existing};
use crate::render::html_page;
use crate::store::update_job;

impl super::Pipeline {
    /// Post-processes the object a storage event names, if it is an artifact that still
    /// exists (anything else is ignored). An error means the event should be delivered again.
    pub async fn object_finalized(&self, name: &str) -> Result<(), String> {
        let Ok(path) = ObjectPath::new(name) else {
            return Ok(());
        };
        if layout::artifact_target(path.as_str()).is_none() {
            return Ok(());
        }
        // The object may be gone (a deleted job); then there is nothing to render.
        match self.ports.objects.head(&path).await {
            Ok(Some(info)) => process(&self.ports, &ObjectWritten { info }).await,
            Ok(None) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// Handles one object event in process; failures are logged (a later resume re-renders).
pub async fn handle(ports: &Ports, event: &ObjectWritten) {
    if let Err(e) = process(ports, event).await {
        tracing::warn!(object = %event.info.path, error = %e, "post-processing failed; resume will retry");
    }
}

/// Renders the artifact an event is about, if it is one (other objects are ignored).
/// An error means the event should be delivered again.
pub async fn process(ports: &Ports, event: &ObjectWritten) -> Result<(), String> {
    match layout::artifact_target(event.info.path.as_str()) {
        Some((id, kind)) => render(ports, &id, kind, &event.info).await,
        None => Ok(()),
    }
}

async fn render(ports: &Ports, id: &JobId, kind: Kind, json: &ObjectInfo) -> Result<(), String> {
    // A cancelled (or deleted) job records nothing more.
    let options = match ports.store.get_job(id).await.map_err(|e| e.to_string())? {
        Some(job) if job.value.status != JobStatus::Cancelled => job.value.options,
        _ => return Ok(()),
    };
    let Some(bytes) = ports
        .objects
        .get(&json.path)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(());
    };
    let artifact: Artifact =
        serde_json::from_slice(&bytes).map_err(|e| format!("{}: {e}", json.path))?;
    let labels = &crate::content::Scaffolding::for_tag(&artifact.meta.language).labels;
    let markdown = artifact.content.to_markdown(labels);
    let html = html_page(artifact.content.title(), &markdown);

    let mut records = vec![record(
        kind,
        "json",
        &ObjectInfo::of(json.path.clone(), &bytes),
    )];
    let renderings = [
        (
            "md",
            "md",
            markdown.into_bytes(),
            "text/markdown; charset=utf-8",
        ),
        (
            "html",
            "html",
            html.into_bytes(),
            "text/html; charset=utf-8",
        ),
    ];
    let exports = artifact
        .content
        .exports(labels)
        .into_iter()
        .map(|e| (e.suffix, e.format, e.bytes, e.content_type));
    for (suffix, format, body, content_type) in renderings.into_iter().chain(exports) {
        // Create-only: a repeated event finds the rendering written and records it as is.
        let path = layout::rendering(id, kind, suffix);
        let info = create_or_existing(
            ports.objects.as_ref(),
            &path,
            Bytes::from(body),
            content_type,
        )
        .await
        .map_err(|e| e.to_string())?;
        records.push(record(kind, format, &info));
    }
    let audio = match (&artifact.content, &ports.audio) {
        (Content::PodcastScript(script), Some(stage)) if options.audio => {
            match stage.produce(&ports.objects, id, script, &options).await {
                Ok(produced) => {
                    for (format, info) in &produced.files {
                        records.push(record(kind, format, info));
                    }
                    Some((Ok(()), produced.usage))
                }
                Err(AudioFailure::Failed(mut error)) => {
                    tracing::warn!(job_id = %id, error = %error, "podcast audio failed");
                    let usage = std::mem::take(&mut error.usage);
                    Some((Err(error), usage))
                }
                Err(AudioFailure::Store(e)) => return Err(e),
            }
        }
        _ => None,
    };
    let now = ports.clock.now();
    update_job(ports.store.as_ref(), id, |job| {
        job.record_artifacts(kind, records.clone(), now);
        if let Some((outcome, usage)) = &audio {
            job.record_audio(kind, outcome.clone(), *usage, now);
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    finish::finish_if_complete(ports, id)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn record(kind: Kind, format: &str, info: &ObjectInfo) -> ArtifactRecord {
    let name = layout::file_name(&info.path).to_owned();
    ArtifactRecord {
        name,
        kind,
        format: format.into(),
        bytes: info.bytes,
        sha256: info.sha256.clone(),
    }
}
