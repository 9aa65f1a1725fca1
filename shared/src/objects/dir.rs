//! `ObjectStore` on a local directory: each object is a file under the root. Writes go to a
//! temporary file in the same directory and are renamed into place, so they are atomic;
//! create-only writes hard-link it instead, which fails when the file exists.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;

use super::{ObjectError, ObjectInfo, ObjectPath, ObjectStore};

#[derive(Debug, Clone)]
pub struct DirObjectStore {
    root: PathBuf,
}

impl DirObjectStore {
    /// Uses (and creates) `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, ObjectError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| unavailable(&root, &e))?;
        Ok(Self { root })
    }

    fn file(&self, path: &ObjectPath) -> PathBuf {
        self.root.join(path.as_str())
    }
}

fn unavailable(path: &Path, e: &std::io::Error) -> ObjectError {
    ObjectError::Unavailable(format!("{}: {e}", path.display()))
}

/// Writes `data` to a new temporary file next to `file` (creating the directory) and
/// returns its path.
fn write_temp(file: &Path, data: &[u8]) -> Result<PathBuf, ObjectError> {
    let parent = file.parent().expect("object files live under the root");
    std::fs::create_dir_all(parent).map_err(|e| unavailable(parent, &e))?;
    let temp = parent.join(format!(
        ".{}.{}.tmp",
        file.file_name().unwrap_or_default().to_string_lossy(),
        ulid::Ulid::new()
    ));
    std::fs::write(&temp, data).map_err(|e| unavailable(&temp, &e))?;
    Ok(temp)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ObjectError> + Send + 'static,
) -> Result<T, ObjectError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ObjectError::Unavailable(e.to_string()))?
}

#[async_trait]
impl ObjectStore for DirObjectStore {
    async fn put(
        &self,
        path: &ObjectPath,
        data: Bytes,
        _content_type: &str,
    ) -> Result<ObjectInfo, ObjectError> {
        let info = ObjectInfo::of(path.clone(), &data);
        let file = self.file(path);
        blocking(move || {
            let temp = write_temp(&file, &data)?;
            std::fs::rename(&temp, &file).map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                unavailable(&file, &e)
            })
        })
        .await?;
        Ok(info)
    }

    async fn create(
        &self,
        path: &ObjectPath,
        data: Bytes,
        _content_type: &str,
    ) -> Result<Option<ObjectInfo>, ObjectError> {
        let info = ObjectInfo::of(path.clone(), &data);
        let file = self.file(path);
        // A hard link to a complete temporary file appears atomically and never replaces.
        let created = blocking(move || {
            let temp = write_temp(&file, &data)?;
            let linked = std::fs::hard_link(&temp, &file);
            let _ = std::fs::remove_file(&temp);
            match linked {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
                Err(e) => Err(unavailable(&file, &e)),
            }
        })
        .await?;
        Ok(created.then_some(info))
    }

    async fn get(&self, path: &ObjectPath) -> Result<Option<Bytes>, ObjectError> {
        let file = self.file(path);
        match tokio::fs::read(&file).await {
            Ok(data) => Ok(Some(Bytes::from(data))),
            Err(e) if e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::IsADirectory => {
                Ok(None)
            }
            Err(e) => Err(unavailable(&file, &e)),
        }
    }

    async fn head(&self, path: &ObjectPath) -> Result<Option<ObjectInfo>, ObjectError> {
        Ok(self
            .get(path)
            .await?
            .map(|data| ObjectInfo::of(path.clone(), &data)))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectPath>, ObjectError> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            let mut pending = vec![root.clone()];
            while let Some(dir) = pending.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == ErrorKind::NotFound => continue,
                    Err(e) => return Err(unavailable(&dir, &e)),
                };
                for entry in entries {
                    let entry = entry.map_err(|e| unavailable(&dir, &e))?;
                    let path = entry.path();
                    let kind = entry.file_type().map_err(|e| unavailable(&path, &e))?;
                    let relative = path
                        .strip_prefix(&root)
                        .unwrap_or(&path)
                        .to_string_lossy()
                        .replace('\\', "/");
                    if kind.is_dir() {
                        if prefix.starts_with(&format!("{relative}/"))
                            || relative.starts_with(&prefix)
                            || prefix.is_empty()
                        {
                            pending.push(path);
                        }
                    } else if relative.starts_with(&prefix)
                        && let Ok(object) = ObjectPath::new(relative)
                    {
                        found.push(object);
                    }
                }
            }
            found.sort();
            Ok(found)
        })
        .await
        .map_err(|e| ObjectError::Unavailable(e.to_string()))?
    }

    async fn delete(&self, path: &ObjectPath) -> Result<bool, ObjectError> {
        let file = self.file(path);
        match tokio::fs::remove_file(&file).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(unavailable(&file, &e)),
        }
    }

    async fn ping(&self) -> Result<(), ObjectError> {
        tokio::fs::metadata(&self.root)
            .await
            .map(|_| ())
            .map_err(|e| unavailable(&self.root, &e))
    }
}
