//! Files people import elsewhere, made from an artifact by post-processing: Anki packages and
//! tab-separated files, a Quizlet list, a QTI 3.0 package and Moodle GIFT. A kind lists its
//! own in [`super::KindSpec::exports`]. Every writer is deterministic (ids derived from the
//! content, fixed times inside archives), so the same artifact gives byte-identical files.

pub mod anki;
pub mod gift;
pub mod qti;

use std::io::{Cursor, Write};

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// One import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// What follows the kind's slug in the file name: `apkg` gives `flashcards.apkg`.
    pub suffix: &'static str,
    /// The format as listed on the job (`apkg`, `anki-tsv`, `quizlet-tsv`, `qti`, `gift`).
    pub format: &'static str,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// A zip archive of `files` (name, bytes) in the given order, every entry deflated and dated
/// 1980-01-01 so that the same files give the same bytes.
pub fn zip_archive<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in files {
        writer
            .start_file(name, options)
            .expect("an in-memory archive accepts any entry");
        writer
            .write_all(bytes)
            .expect("writing to memory cannot fail");
    }
    writer
        .finish()
        .expect("an in-memory archive finishes")
        .into_inner()
}

/// A stable number derived from `parts` (for ids that must not change between runs).
pub(crate) fn stable_id(parts: &[&str]) -> u64 {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    u64::from_be_bytes(digest[..8].try_into().expect("eight bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_give_the_same_archive() {
        let a = zip_archive([("a.txt", b"one".as_slice()), ("b.txt", b"two".as_slice())]);
        let b = zip_archive([("a.txt", b"one".as_slice()), ("b.txt", b"two".as_slice())]);
        assert_eq!(a, b);
        assert_eq!(&a[..4], b"PK\x03\x04");
    }
}
