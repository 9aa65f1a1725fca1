//! An audit trail of object writes: an [`ObjectEvents`] sink that appends one JSON line per
//! stored write (path, size, SHA-256, time, the writing process) to a file, behind
//! [`super::Notifying`]. Several processes may share the file: each line is one `write` to a
//! file opened for appending, so lines never interleave. Set `FACTORY_OBJECT_JOURNAL=PATH` to
//! turn it on; the reliability tests read it to prove that no object is written twice. The
//! line follows the write, so a process killed in between leaves a stored object without
//! one; a line that cannot be written is logged, and the write stands.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::{ObjectError, ObjectEvents, ObjectWritten};
use crate::clock::{Clock, SystemClock, Timestamp};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    pub pid: u32,
    pub at: Timestamp,
}

#[derive(Debug)]
pub struct Journal {
    file: Mutex<File>,
}

impl Journal {
    /// Appends to `path` (created if missing).
    pub fn open(path: &Path) -> Result<Self, ObjectError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| ObjectError::Unavailable(format!("{}: {e}", path.display())))?;
        Ok(Self {
            file: Mutex::new(file),
        })
    }
}

impl ObjectEvents for Journal {
    fn object_written(&self, event: ObjectWritten) {
        let entry = JournalEntry {
            path: event.info.path.to_string(),
            bytes: event.info.bytes,
            sha256: event.info.sha256,
            pid: std::process::id(),
            at: SystemClock.now(),
        };
        let mut line = serde_json::to_vec(&entry).expect("journal entries serialize");
        line.push(b'\n');
        let written = self
            .file
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write_all(&line);
        if let Err(e) = written {
            tracing::warn!(path = %entry.path, error = %e, "the object journal could not be written");
        }
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
