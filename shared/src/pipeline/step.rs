//! Running one step: claim it, reuse a cached artifact or generate and validate a new one,
//! store it, finish the step and dispatch what became ready. The delivery is acknowledged
//! unless a transient failure asks for another try.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{Pipeline, cache_key, finish, postprocess};
use crate::content::{Artifact, ArtifactMeta, Content, Kind, Outline, ValidationContext};
use crate::dispatch::{Delivery, StepTask};
use crate::generation::GenerationRequest;
use crate::jobs::{Claim, Job, JobStatus, Quality, StepOutcome, StepStatus};
use crate::layout;
use crate::objects::{ObjectPath, ObjectWritten};
use crate::outcome::{ErrorCode, StepError, Usage};
use crate::store::{CacheEntry, StoreError, update_job};

/// What a step produced before it is recorded.
struct Produced {
    bytes: Bytes,
    cache_hit: bool,
    /// Already at the step's artifact path (adopted from an earlier attempt).
    stored: bool,
    usage: Usage,
    quality: Quality,
}

impl Pipeline {
    #[tracing::instrument(skip_all, fields(job_id = %task.job_id, kind = %task.kind))]
    pub(super) async fn run(&self, task: &StepTask) -> Delivery {
        // A stopping instance takes no new work; the redelivery goes to another one.
        if self.is_stopping() {
            return Delivery::RetryAfter(Duration::from_secs(1));
        }
        let store = self.ports.store.as_ref();
        let (lease, max_attempts, worker) = (
            self.settings.lease,
            self.settings.max_attempts,
            self.settings.worker.as_str(),
        );
        let now = self.ports.clock.now();
        let claimed = update_job(store, &task.job_id, |job| {
            job.claim(task.kind, worker, lease, max_attempts, now)
        })
        .await;
        let (job, attempt) = match claimed {
            Ok((job, Claim::Acquired { attempt })) => (job, attempt),
            Ok((_, Claim::Exhausted)) => {
                tracing::warn!("step failed: lease expired on its last attempt");
                return self.after_step(task).await;
            }
            Ok((_, claim)) => {
                tracing::debug!(?claim, "nothing to do");
                return Delivery::Ack;
            }
            Err(StoreError::NotFound) => return Delivery::Ack,
            Err(e) => return self.retry_later(task, 1, &e.to_string()),
        };

        if self.is_stopping() {
            // The stop's hand-back may have run before this claim landed: give it back too.
            let now = self.ports.clock.now();
            let _ = update_job(store, &task.job_id, |job| job.hand_back(worker, now)).await;
            return Delivery::RetryAfter(Duration::from_secs(1));
        }
        let started = Instant::now();
        let path = layout::artifact(&job.id, task.kind);
        // A result stored by an earlier attempt that died before recording it is the result.
        let produced = match self.adopt(&job, task.kind, &path, Usage::default()).await {
            Ok(Some(stored)) => Ok(stored),
            Ok(None) => self.produce(&job, task.kind).await,
            Err(e) => Err(e),
        };
        let mut adopted = false;
        let outcome = match produced {
            Ok(_) if !self.still_held(task).await => {
                tracing::info!("result dropped: the job was cancelled or the step taken over");
                return Delivery::Ack;
            }
            Ok(produced) => {
                let produced = match self.store_result(&job, task.kind, &path, produced).await {
                    Ok(produced) => produced,
                    Err(error) => return self.give_back(task, attempt, error).await,
                };
                adopted = produced.stored;
                let info = self.engine.info_for(task.kind);
                StepOutcome::Succeeded {
                    cache_hit: produced.cache_hit,
                    engine: info.name,
                    engine_version: info.version,
                    usage: produced.usage,
                    quality: produced.quality,
                    duration_ms: started.elapsed().as_millis() as u64,
                }
            }
            Err(error) if error.code.is_retryable() && attempt < max_attempts => {
                return self.give_back(task, attempt, error).await;
            }
            Err(error) => StepOutcome::Failed(error),
        };

        let succeeded = matches!(outcome, StepOutcome::Succeeded { .. });
        let now = self.ports.clock.now();
        match update_job(store, &task.job_id, |job| {
            job.finish(task.kind, worker, outcome.clone(), now)
        })
        .await
        {
            Ok((_, Ok(_ready))) => {
                tracing::info!(
                    succeeded,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "step ended"
                );
            }
            Ok((_, Err(lost))) => {
                tracing::warn!(error = %lost, "result dropped: the lease was lost");
                return Delivery::Ack;
            }
            Err(e) => return self.retry_later(task, attempt, &e.to_string()),
        }
        if adopted {
            // The write's event may have died with the attempt that wrote it.
            if let Ok(Some(info)) = self.ports.objects.head(&path).await {
                postprocess::handle(&self.ports, &ObjectWritten { info }).await;
            }
        }
        self.after_step(task).await
    }

    /// Writes the step's artifact, create-only, so no artifact is ever written twice. If
    /// another attempt stored one first, that one is the result (with this attempt's usage,
    /// which was spent all the same).
    async fn store_result(
        &self,
        job: &Job,
        kind: Kind,
        path: &ObjectPath,
        produced: Produced,
    ) -> Result<Produced, StepError> {
        if produced.stored {
            return Ok(produced);
        }
        let created = self
            .ports
            .objects
            .create(path, produced.bytes.clone(), "application/json")
            .await
            .map_err(unavailable)?;
        if created.is_some() {
            return Ok(produced);
        }
        Ok(self
            .adopt(job, kind, path, produced.usage)
            .await?
            .unwrap_or(produced))
    }

    /// The step's artifact if it is stored already, with its quality and `usage`.
    async fn adopt(
        &self,
        job: &Job,
        kind: Kind,
        path: &ObjectPath,
        usage: Usage,
    ) -> Result<Option<Produced>, StepError> {
        let Some(bytes) = self.ports.objects.get(path).await.map_err(unavailable)? else {
            return Ok(None);
        };
        let artifact: Artifact = serde_json::from_slice(&bytes).map_err(|e| {
            StepError::new(
                ErrorCode::Internal,
                format!("the stored {kind} cannot be read: {e}"),
            )
        })?;
        let outline = if kind == Kind::Outline {
            None
        } else {
            Some(self.load_outline(job).await?.0)
        };
        let source = self.load_source(job).await?;
        tracing::info!("the result of an earlier attempt was stored already; adopted");
        Ok(Some(Produced {
            quality: quality(&artifact.content, outline.as_ref(), &source),
            bytes,
            cache_hit: false,
            stored: true,
            usage,
        }))
    }

    /// The checkpoint before a result is stored: the job still runs and the step is still
    /// this worker's. (If the store cannot say, the step goes on; `finish` checks again.)
    async fn still_held(&self, task: &StepTask) -> bool {
        match self.ports.store.get_job(&task.job_id).await {
            Ok(Some(job)) => {
                let step = job.value.step(task.kind);
                job.value.status != JobStatus::Cancelled
                    && step.is_some_and(|s| {
                        s.status == StepStatus::Running
                            && s.lease_owner.as_deref() == Some(self.settings.worker.as_str())
                    })
            }
            Ok(None) => false,
            Err(_) => true,
        }
    }

    /// After a step ended: dispatch what became ready, and finish the job if it is complete.
    async fn after_step(&self, task: &StepTask) -> Delivery {
        if let Err(e) = self.dispatch_ready(&task.job_id).await {
            tracing::warn!(error = %e, "could not dispatch the next steps; resume will");
        }
        if let Err(e) = finish::finish_if_complete(&self.ports, &task.job_id).await {
            tracing::warn!(error = %e, "could not finish the job; resume will");
        }
        Delivery::Ack
    }

    /// Releases the lease after a transient failure and asks for redelivery.
    async fn give_back(&self, task: &StepTask, attempt: u32, error: StepError) -> Delivery {
        let now = self.ports.clock.now();
        let worker = self.settings.worker.as_str();
        let message = error.message.clone();
        if let Err(e) = update_job(self.ports.store.as_ref(), &task.job_id, |job| {
            job.release(task.kind, worker, error.clone(), now)
        })
        .await
        {
            tracing::warn!(error = %e, "could not release the step; its lease will expire");
        }
        self.retry_later(task, attempt, &message)
    }

    fn retry_later(&self, task: &StepTask, attempt: u32, why: &str) -> Delivery {
        let delay = (self.settings.retry_base * 2u32.saturating_pow(attempt.saturating_sub(1)))
            .min(Duration::from_mins(1));
        tracing::warn!(kind = %task.kind, attempt, delay_ms = delay.as_millis() as u64, reason = why, "step will be retried");
        Delivery::RetryAfter(delay)
    }

    /// The artifact bytes for a claimed step: from the cache when allowed and present, else
    /// generated, validated and cached.
    async fn produce(&self, job: &Job, kind: Kind) -> Result<Produced, StepError> {
        let objects = self.ports.objects.as_ref();
        let source = self.load_source(job).await?;

        let (outline, outline_sha) = if kind == Kind::Outline {
            (None, None)
        } else {
            let (outline, sha) = self.load_outline(job).await?;
            (Some(Arc::new(outline)), Some(sha))
        };
        let engine = self.engine.info_for(kind);
        let key = cache_key(
            &engine,
            kind,
            &job.source.sha256,
            &job.options,
            outline_sha.as_deref(),
        );
        let cached_path = layout::cache(&key);
        let ctx = ValidationContext {
            outline: outline.as_deref(),
            source_chars: Some(job.source.chars),
            options: &job.options,
        };

        if job.use_cache
            && let Some(entry) = self
                .ports
                .store
                .cache_get(&key)
                .await
                .map_err(unavailable)?
            && let Some(bytes) = objects
                .get(&layout::cache(&entry.key))
                .await
                .map_err(unavailable)?
            && let Ok(artifact) = serde_json::from_slice::<Artifact>(&bytes)
            && artifact.content.kind() == kind
            && artifact.content.validate(&ctx).is_empty()
        {
            let quality = quality(&artifact.content, outline.as_deref(), &source);
            return Ok(Produced {
                bytes,
                cache_hit: true,
                stored: false,
                usage: Usage::default(),
                quality,
            });
        }

        let request = GenerationRequest {
            kind,
            source: source.clone(),
            source_sha256: job.source.sha256.clone(),
            outline: outline.clone(),
            options: Arc::new(job.options.clone()),
        };
        let generation = self.engine.generate(request).await?;
        let violations = generation.content.validate(&ctx);
        if !violations.is_empty() {
            return Err(StepError {
                code: ErrorCode::InvalidOutput,
                message: format!(
                    "the {kind} broke {} rule(s); it was not stored",
                    violations.len()
                ),
                violations,
                usage: generation.usage,
            });
        }
        let quality = quality(&generation.content, outline.as_deref(), &source);
        let artifact = Artifact {
            content: generation.content,
            meta: ArtifactMeta {
                engine: engine.name,
                engine_version: engine.version,
                language: job.options.language().to_owned(),
                source_sha256: job.source.sha256.clone(),
            },
        };
        let bytes = Bytes::from(artifact.to_json_bytes());
        // Content-addressed: an entry already there holds an equally valid artifact.
        objects
            .create(&cached_path, bytes.clone(), "application/json")
            .await
            .map_err(unavailable)?;
        let entry = CacheEntry {
            key,
            kind,
            object: cached_path.to_string(),
            created_at: self.ports.clock.now(),
        };
        self.ports
            .store
            .cache_put(&entry)
            .await
            .map_err(unavailable)?;
        Ok(Produced {
            bytes,
            cache_hit: false,
            stored: false,
            usage: generation.usage,
            quality,
        })
    }

    /// The job's source text.
    async fn load_source(&self, job: &Job) -> Result<Arc<str>, StepError> {
        let source_path = layout::source(&job.source.sha256);
        let source = self
            .ports
            .objects
            .get(&source_path)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| {
                StepError::new(
                    ErrorCode::Internal,
                    format!("the source object {source_path} is missing"),
                )
            })?;
        Ok(Arc::from(String::from_utf8_lossy(&source).into_owned()))
    }

    /// The job's stored outline and the SHA-256 of its bytes.
    async fn load_outline(&self, job: &Job) -> Result<(Outline, String), StepError> {
        let path = layout::artifact(&job.id, Kind::Outline);
        let bytes = self
            .ports
            .objects
            .get(&path)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| {
                StepError::new(
                    ErrorCode::Internal,
                    "the outline succeeded but its artifact is missing",
                )
            })?;
        let sha = hex::encode(Sha256::digest(&bytes));
        match serde_json::from_slice::<Artifact>(&bytes) {
            Ok(Artifact {
                content: Content::Outline(outline),
                ..
            }) => Ok((outline, sha)),
            _ => Err(StepError::new(
                ErrorCode::Internal,
                "the stored outline cannot be read",
            )),
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> StepError {
    StepError::new(ErrorCode::StoreUnavailable, e.to_string())
}

/// Grounding and coverage of an artifact's source references, and whether its cited spans
/// support its claims.
fn quality(content: &Content, outline: Option<&Outline>, source: &str) -> Quality {
    let grounding = content.grounding(source);
    let refs = content.source_refs();
    let grounded = refs.iter().filter(|r| r.span.is_some()).count();
    let mut sections: Vec<u32> = refs.iter().map(|r| r.section).collect();
    sections.sort_unstable();
    sections.dedup();
    let total_sections = match (outline, content) {
        (Some(outline), _) | (None, Content::Outline(outline)) => outline.sections.len(),
        (None, _) => sections.len(),
    };
    let ratio = |part: usize, whole: usize| {
        if whole == 0 {
            0.0
        } else {
            (part as f32 / whole as f32 * 1000.0).round() / 1000.0
        }
    };
    Quality {
        items: refs.len() as u32,
        grounded: ratio(grounded, refs.len()),
        section_coverage: ratio(sections.len(), total_sections),
        supported: grounding.supported,
        unsupported: grounding.unsupported,
        uncited: grounding.uncited,
        mostly_unsupported: grounding.mostly_unsupported(),
    }
}
