//! Where each object lives in the object store. Every path is built (and read back) here and
//! nowhere else:
//!
//! - `sources/<sha256>.txt`: a source text, shared by every job made from it;
//! - `jobs/<id>/source.<extension>`: the uploaded document a job's source text was extracted
//!   from (`source.pdf`, `source.docx`, …), kept with the job and deleted with it;
//! - `jobs/<id>/<kind>.json`: a step's artifact (the event that triggers post-processing);
//! - `jobs/<id>/<kind>.<suffix>`: its renderings and exports (the podcast's audio and
//!   captions among them: `podcast-script.mp3`, `.vtt`); `jobs/<id>/manifest.json`: the
//!   manifest; `jobs/<id>/bundle.zip`: every file and the manifest in one archive;
//! - `cache/<key>.json`: a content-addressed cache entry;
//! - `cache/speech/<key>.wav`: one synthesized podcast turn, addressed by text, voice and
//!   engine version.

use crate::content::Kind;
use crate::jobs::JobId;
use crate::objects::ObjectPath;

/// A path built from ids, hashes and slugs, which are always valid.
fn path(path: String) -> ObjectPath {
    ObjectPath::new(path).expect("paths built from ids, hashes and slugs are valid")
}

/// Where a source text is stored.
pub fn source(sha256: &str) -> ObjectPath {
    path(format!("sources/{sha256}.txt"))
}

/// The SHA-256 of the source stored at `path`, if it is a source.
pub fn source_sha256(path: &str) -> Option<&str> {
    path.strip_prefix("sources/")?.strip_suffix(".txt")
}

/// Where the document a job's source was extracted from is kept (`extension`: `pdf`, …).
pub fn source_file(job: &JobId, extension: &str) -> ObjectPath {
    path(format!("jobs/{job}/source.{extension}"))
}

/// Where a step stores its artifact.
pub fn artifact(job: &JobId, kind: Kind) -> ObjectPath {
    path(format!("jobs/{job}/{kind}.json"))
}

/// Where a rendering of a kind's artifact is stored (`format`: `md`, `html`, …).
pub fn rendering(job: &JobId, kind: Kind, format: &str) -> ObjectPath {
    path(format!("jobs/{job}/{kind}.{format}"))
}

/// Where a finished job's manifest is stored.
pub fn manifest(job: &JobId) -> ObjectPath {
    path(format!("jobs/{job}/manifest.json"))
}

/// Where a finished job's archive of every file and the manifest is stored.
pub fn bundle(job: &JobId) -> ObjectPath {
    path(format!("jobs/{job}/bundle.zip"))
}

/// A file of a job by the name it is listed under (`faq.md`, `manifest.json`, …); `None` if
/// the name is not a plain file name.
pub fn job_file(job: &JobId, name: &str) -> Option<ObjectPath> {
    if name.contains('/') {
        return None;
    }
    ObjectPath::new(format!("jobs/{job}/{name}")).ok()
}

/// The prefix under which every file of a job is stored.
pub fn job_prefix(job: &JobId) -> String {
    format!("jobs/{job}/")
}

/// Where a cache entry's artifact is stored.
pub fn cache(key: &str) -> ObjectPath {
    path(format!("cache/{key}.json"))
}

/// Where one synthesized turn is cached (`key`: a hash of its text, voice, rate and engine).
pub fn speech_cache(key: &str) -> ObjectPath {
    path(format!("cache/speech/{key}.wav"))
}

/// The job and kind an artifact path belongs to: `jobs/<id>/<kind>.json`; `None` for every
/// other object (renderings, manifests, sources, cache entries).
pub fn artifact_target(path: &str) -> Option<(JobId, Kind)> {
    let rest = path.strip_prefix("jobs/")?;
    let (id, file) = rest.split_once('/')?;
    let kind = file.strip_suffix(".json")?.parse().ok()?;
    Some((id.parse().ok()?, kind))
}

/// The file name an object is listed under on its job (`faq.md`).
pub fn file_name(path: &ObjectPath) -> &str {
    path.as_str().rsplit('/').next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_kind_artifacts_are_artifact_targets() {
        let id = JobId::generate();
        assert_eq!(
            artifact_target(artifact(&id, Kind::Faq).as_str()),
            Some((id.clone(), Kind::Faq))
        );
        for other in [
            rendering(&id, Kind::Faq, "md"),
            manifest(&id),
            source("abc"),
            cache("abc"),
            speech_cache("abc"),
            rendering(&id, Kind::PodcastScript, "mp3"),
            source_file(&id, "pdf"),
        ] {
            assert_eq!(artifact_target(other.as_str()), None, "{other}");
        }
    }

    #[test]
    fn paths_read_back_to_what_built_them() {
        let id = JobId::generate();
        assert_eq!(source_sha256(source("abc").as_str()), Some("abc"));
        assert_eq!(source_sha256(cache("abc").as_str()), None);
        assert_eq!(file_name(&rendering(&id, Kind::Faq, "html")), "faq.html");
        assert_eq!(
            job_file(&id, "faq.md").map(|p| p.to_string()),
            Some(rendering(&id, Kind::Faq, "md").to_string())
        );
        assert!(job_file(&id, "../other/faq.md").is_none());
        assert!(
            artifact(&id, Kind::Faq)
                .as_str()
                .starts_with(&job_prefix(&id))
        );
    }
}
