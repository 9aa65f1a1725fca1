//! What clients and operators may look up: jobs, API keys, a job's files, dead letters, and
//! whether the storage ports answer. Handlers and commands call these instead of the ports.

use std::time::Duration;

use bytes::Bytes;

use super::Pipeline;
use crate::jobs::{Job, JobId};
use crate::layout;
use crate::objects::{ObjectError, ObjectPath};
use crate::store::{ApiKeyRecord, DeadLetter, JobQuery, StoreError};

/// How a job's file is handed to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobFile {
    /// A time-limited URL the client downloads it from (Cloud Storage).
    Redirect(String),
    /// The bytes themselves (a local folder).
    Bytes(Bytes),
}

impl Pipeline {
    /// The job with this id, if it exists.
    pub async fn job(&self, id: &JobId) -> Result<Option<Job>, StoreError> {
        Ok(self.ports.store.get_job(id).await?.map(|v| v.value))
    }

    /// Jobs matching `query`, newest first.
    pub async fn jobs(&self, query: &JobQuery) -> Result<Vec<Job>, StoreError> {
        self.ports.store.list_jobs(query).await
    }

    /// The API key with this SHA-256, if one was issued.
    pub async fn api_key(&self, sha256: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        self.ports.store.api_key(sha256).await
    }

    /// Dead letters, oldest first.
    pub async fn dead_letters(&self, limit: usize) -> Result<Vec<DeadLetter>, StoreError> {
        self.ports.store.dead_letters(limit).await
    }

    /// The job once it ended, or as it is when `limit` passes (`None` if it does not exist).
    pub async fn wait_for(&self, id: &JobId, limit: Duration) -> Result<Option<Job>, StoreError> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let Some(job) = self.job(id).await? else {
                return Ok(None);
            };
            if job.status.is_terminal() || tokio::time::Instant::now() >= deadline {
                return Ok(Some(job));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A file the job lists (`faq.md`, `manifest.json`, …): a signed URL valid for
    /// `link_ttl` where the object store makes them, else its bytes. `None` when the job does
    /// not list it or it is gone.
    pub async fn job_file(
        &self,
        job: &Job,
        name: &str,
        link_ttl: Duration,
    ) -> Result<Option<JobFile>, ObjectError> {
        let Some(path) = listed_file(job, name) else {
            return Ok(None);
        };
        let objects = self.ports.objects.as_ref();
        if let Some(url) = objects.signed_url(&path, link_ttl).await? {
            return Ok(Some(JobFile::Redirect(url)));
        }
        Ok(objects.get(&path).await?.map(JobFile::Bytes))
    }

    /// The bytes of a file the job lists, wherever the object store keeps them (for the
    /// command line, which copies them out); `None` when the job does not list it.
    pub async fn job_file_bytes(
        &self,
        job: &Job,
        name: &str,
    ) -> Result<Option<Bytes>, ObjectError> {
        match listed_file(job, name) {
            Some(path) => self.ports.objects.get(&path).await,
            None => Ok(None),
        }
    }

    /// Whether both storage ports answer; the reasons when they do not.
    pub async fn ready(&self) -> Result<(), Vec<String>> {
        let (store, objects) = (
            self.ports.store.ping().await,
            self.ports.objects.ping().await,
        );
        let why: Vec<String> = [
            store.err().map(|e| e.to_string()),
            objects.err().map(|e| e.to_string()),
        ]
        .into_iter()
        .flatten()
        .collect();
        if why.is_empty() { Ok(()) } else { Err(why) }
    }
}

/// Where a file the job lists is stored; `None` for a name the job does not list.
fn listed_file(job: &Job, name: &str) -> Option<ObjectPath> {
    let listed = job.artifacts.iter().any(|a| a.name == name)
        || (job.manifest && matches!(name, "manifest.json" | "bundle.zip"));
    layout::job_file(&job.id, name).filter(|_| listed)
}
