//! The `ObjectStore` port: sources, artifacts and renderings as named blobs
//! (`sources/<sha256>.txt`, `jobs/<id>/<kind>.json`, `cache/<key>.json`, …).
//!
//! Adapters: [`dir::DirObjectStore`] (a local folder), [`gcs::GcsObjectStore`] (a Cloud Storage
//! bucket, with V4 signed URLs from [`signing`]). [`Notifying`] wraps any adapter and
//! reports each write to [`ObjectEvents`] sinks (post-processing in process, the way Cloud
//! Storage emits "object finalized" events in production; the [`journal`]). Each adapter must pass the contract suite in
//! `shared/tests/integration/objects_contract.rs`.

pub mod dir;
pub mod gcs;
pub mod journal;
pub mod signing;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};

/// A checked object name: relative, `/`-separated, of `[A-Za-z0-9._-]` segments, none empty
/// and none starting with a dot (so no `..`, and temporary files stay invisible).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectPath(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a valid object path")]
pub struct InvalidObjectPath(pub String);

impl ObjectPath {
    pub fn new(path: impl Into<String>) -> Result<Self, InvalidObjectPath> {
        let path = path.into();
        let valid = !path.is_empty()
            && path.len() <= 512
            && path.split('/').all(|segment| {
                !segment.is_empty()
                    && !segment.starts_with('.')
                    && segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            });
        if valid {
            Ok(Self(path))
        } else {
            Err(InvalidObjectPath(path))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Size and digest of a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub path: ObjectPath,
    pub bytes: u64,
    pub sha256: String,
}

impl ObjectInfo {
    pub fn of(path: ObjectPath, data: &[u8]) -> Self {
        Self {
            path,
            bytes: data.len() as u64,
            sha256: hex::encode(Sha256::digest(data)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ObjectError {
    /// The backend failed or could not be reached; retrying may help.
    #[error("object store unavailable: {0}")]
    Unavailable(String),
}

/// Writes `data` at `path` create-only and describes the object there: the one just written,
/// or the one an earlier write left (a repeated event records it as it is).
pub async fn create_or_existing(
    objects: &dyn ObjectStore,
    path: &ObjectPath,
    data: Bytes,
    content_type: &str,
) -> Result<ObjectInfo, ObjectError> {
    match objects.create(path, data, content_type).await? {
        Some(info) => Ok(info),
        None => objects.head(path).await?.ok_or_else(|| {
            ObjectError::Unavailable(format!("{path} vanished while it was recorded"))
        }),
    }
}

/// Blob storage.
#[async_trait]
pub trait ObjectStore: Send + Sync + fmt::Debug {
    /// Writes `data` at `path`, replacing any previous object. Atomic: readers see the old or
    /// the new bytes, never a mix. Returns the stored size and SHA-256.
    async fn put(
        &self,
        path: &ObjectPath,
        data: Bytes,
        content_type: &str,
    ) -> Result<ObjectInfo, ObjectError>;

    /// Writes `data` at `path` only if no object is there yet (atomically: of two racing
    /// writers exactly one wins). Returns the stored size and SHA-256, or `None` when an
    /// object already existed and was left as it was.
    async fn create(
        &self,
        path: &ObjectPath,
        data: Bytes,
        content_type: &str,
    ) -> Result<Option<ObjectInfo>, ObjectError>;

    /// The object's bytes; `None` if there is none.
    async fn get(&self, path: &ObjectPath) -> Result<Option<Bytes>, ObjectError>;

    /// Size and SHA-256 of the object; `None` if there is none.
    async fn head(&self, path: &ObjectPath) -> Result<Option<ObjectInfo>, ObjectError>;

    /// Paths that start with `prefix`, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectPath>, ObjectError>;

    /// Removes the object; returns whether one existed. Deleting a missing object is not an error.
    async fn delete(&self, path: &ObjectPath) -> Result<bool, ObjectError>;

    /// Checks that the store answers (for readiness probes).
    async fn ping(&self) -> Result<(), ObjectError>;

    /// A time-limited URL a client can download the object from directly (a V4 signed URL
    /// on Cloud Storage). `None` when the store has no such thing: the API streams the bytes.
    async fn signed_url(
        &self,
        _path: &ObjectPath,
        _valid_for: std::time::Duration,
    ) -> Result<Option<String>, ObjectError> {
        Ok(None)
    }
}

/// What happened to an object: the equivalent of a Cloud Storage "finalized" event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectWritten {
    pub info: ObjectInfo,
}

/// Receives object events (the post-processing trigger, the write journal).
pub trait ObjectEvents: Send + Sync + fmt::Debug {
    fn object_written(&self, event: ObjectWritten);
}

/// Several sinks, each told of every event in turn.
impl ObjectEvents for Vec<Arc<dyn ObjectEvents>> {
    fn object_written(&self, event: ObjectWritten) {
        for sink in self {
            sink.object_written(event.clone());
        }
    }
}

/// Wraps an object store and reports every write that stored something to `events`.
#[derive(Debug, Clone)]
pub struct Notifying {
    pub inner: Arc<dyn ObjectStore>,
    pub events: Arc<dyn ObjectEvents>,
}

#[async_trait]
impl ObjectStore for Notifying {
    async fn put(
        &self,
        path: &ObjectPath,
        data: Bytes,
        content_type: &str,
    ) -> Result<ObjectInfo, ObjectError> {
        let info = self.inner.put(path, data, content_type).await?;
        self.events
            .object_written(ObjectWritten { info: info.clone() });
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
            self.events
                .object_written(ObjectWritten { info: info.clone() });
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
        valid_for: std::time::Duration,
    ) -> Result<Option<String>, ObjectError> {
        self.inner.signed_url(path, valid_for).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_paths_refuse_escapes_and_odd_characters() {
        assert!(ObjectPath::new("jobs/01abc/faq.json").is_ok());
        for bad in [
            "",
            "/abs",
            "a//b",
            "../up",
            "a/./b",
            "sp ace",
            "a/b/",
            "ünï",
            "a/.hidden",
        ] {
            assert!(ObjectPath::new(bad).is_err(), "{bad}");
        }
    }
}
