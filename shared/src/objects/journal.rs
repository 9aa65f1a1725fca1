//! An audit trail of object writes: wraps an object store and appends one JSON line per
//! write that stored something (`put`, or a `create` that created) to a file, with the
//! path, size, SHA-256, time and the writing process. Several processes may share the file:
//! each line is one `write` to a file opened for appending, so lines never interleave.
//! Set `FACTORY_OBJECT_JOURNAL=PATH` to turn it on; the reliability tests read it to prove
//! that no artifact is ever written twice.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::{ObjectError, ObjectInfo, ObjectPath, ObjectStore};
use crate::clock::{Clock, SystemClock, Timestamp};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// `put` (replacing) or `create` (create-only).
    pub op: String,
    pub pid: u32,
    pub at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Journaled {
    inner: Arc<dyn ObjectStore>,
    file: Arc<Mutex<File>>,
}

impl Journaled {
    /// Appends to `path` (created if missing).
    pub fn open(inner: Arc<dyn ObjectStore>, path: &Path) -> Result<Self, ObjectError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| ObjectError::Unavailable(format!("{}: {e}", path.display())))?;
        Ok(Self {
            inner,
            file: Arc::new(Mutex::new(file)),
        })
    }

    fn record(&self, info: &ObjectInfo, op: &str) -> Result<(), ObjectError> {
        let entry = JournalEntry {
            path: info.path.to_string(),
            bytes: info.bytes,
            sha256: info.sha256.clone(),
            op: op.to_owned(),
            pid: std::process::id(),
            at: SystemClock.now(),
        };
        let mut line = serde_json::to_vec(&entry).expect("journal entries serialize");
        line.push(b'\n');
        self.file
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write_all(&line)
            .map_err(|e| ObjectError::Unavailable(format!("object journal: {e}")))
    }
}

/// Reads a journal back (for checks); unreadable lines are errors.
pub fn read_journal(path: &Path) -> std::io::Result<Vec<JournalEntry>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(line).map_err(std::io::Error::other))
        .collect()
}

#[async_trait]
impl ObjectStore for Journaled {
    async fn put(
        &self,
        path: &ObjectPath,
        data: Bytes,
        content_type: &str,
    ) -> Result<ObjectInfo, ObjectError> {
        let info = self.inner.put(path, data, content_type).await?;
        self.record(&info, "put")?;
        Ok(info)
    }

    async fn create(
        &self,
        path: &ObjectPath,
        data: Bytes,
        content_type: &str,
    ) -> Result<Option<ObjectInfo>, ObjectError> {
        let created = self.inner.create(path, data, content_type).await?;
        if let Some(info) = &created {
            self.record(info, "create")?;
        }
        Ok(created)
    }

    async fn get(&self, path: &ObjectPath) -> Result<Option<Bytes>, ObjectError> {
        self.inner.get(path).await
    }

    async fn head(&self, path: &ObjectPath) -> Result<Option<ObjectInfo>, ObjectError> {
        self.inner.head(path).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectPath>, ObjectError> {
        self.inner.list(prefix).await
    }

    async fn delete(&self, path: &ObjectPath) -> Result<bool, ObjectError> {
        self.inner.delete(path).await
    }

    async fn ping(&self) -> Result<(), ObjectError> {
        self.inner.ping().await
    }

    async fn signed_url(
        &self,
        path: &ObjectPath,
        valid_for: Duration,
    ) -> Result<Option<String>, ObjectError> {
        self.inner.signed_url(path, valid_for).await
    }
}
