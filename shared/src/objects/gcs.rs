//! `ObjectStore` on a Cloud Storage bucket, through the JSON API (`gcloud-storage`, see
//! docs/adr/0004-cloud-storage-client.md). Objects are named exactly as their
//! [`ObjectPath`]; Cloud Storage replaces an object as a whole, so writes are atomic.
//!
//! Not for buckets, notifications or IAM: Terraform owns those.
//!
//! - **Auth**: tokens come from our single [`GoogleAuth`] through a small `TokenSource`
//!   bridge. Against an emulator (`STORAGE_EMULATOR_HOST`) requests are anonymous.
//! - **Digests**: `put` stores our SHA-256 as custom metadata `sha256`, so `head` reads it
//!   from the object's metadata; an object written by someone else (no `sha256`) is
//!   downloaded once to compute it.
//! - **Signed URLs**: V4, signed by google-cloud-auth's `Signer` (see [`super::signing`]).
//!   None against an emulator: the API streams the bytes itself.
//! - **Errors**: 404 is "none"; everything else (transport, timeout, 429, 5xx, and also
//!   403 from a missing IAM grant) is `Unavailable` naming the operation, the object and the
//!   status. No retries here: a failed step is retried by its delivery.
//! - **fake-gcs-server** drops the content type of multipart uploads: do not test for it
//!   there. Nothing here reads `STORAGE_EMULATOR_HOST`: the caller passes it as `endpoint`.

use std::collections::HashMap;
use std::error::Error as _;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use gcloud_storage::client::{Client, ClientConfig};
use gcloud_storage::http::Error as GcsError;
use gcloud_storage::http::buckets::get::GetBucketRequest;
use gcloud_storage::http::objects::Object;
use gcloud_storage::http::objects::delete::DeleteObjectRequest;
use gcloud_storage::http::objects::download::Range;
use gcloud_storage::http::objects::get::GetObjectRequest;
use gcloud_storage::http::objects::list::ListObjectsRequest;
use gcloud_storage::http::objects::upload::{UploadObjectRequest, UploadType};
use google_cloud_auth::signer::Signer;
use time::OffsetDateTime;
use token_source::{TokenSource, TokenSourceProvider};

use super::signing::{STORAGE_ENDPOINT, SignedGet};
use super::{ObjectError, ObjectInfo, ObjectPath, ObjectStore};
use crate::gcp::auth::{CLOUD_PLATFORM, GoogleAuth};

/// The custom metadata key holding the object's SHA-256 (hex), written by `put`.
pub const SHA256_METADATA: &str = "sha256";

/// How long one call (request and whole response body) may take before it counts as
/// unavailable. Artifacts are small; a stalled connection must not hold a step forever.
const CALL_TIMEOUT: Duration = Duration::from_mins(1);

#[derive(Clone)]
pub struct GcsObjectStore {
    client: Client,
    bucket: String,
    endpoint: String,
    signer: Option<Signer>,
    page_size: Option<i32>,
}

impl GcsObjectStore {
    /// A store on `bucket`. With `endpoint` (an emulator, e.g. `STORAGE_EMULATOR_HOST` as
    /// `http://127.0.0.1:4443` or `127.0.0.1:4443`) requests are anonymous, `auth` is unused
    /// and there are no signed URLs. Without it, requests go to Cloud Storage with `auth`'s
    /// tokens (an anonymous `auth` then fails every call), and URLs are signed by the
    /// Application Default Credentials' signer. Makes no request.
    pub fn new(
        bucket: String,
        endpoint: Option<String>,
        auth: GoogleAuth,
    ) -> Result<Self, ObjectError> {
        let (config, endpoint, signer) = if let Some(endpoint) = endpoint {
            let endpoint = emulator_origin(&endpoint);
            let config = ClientConfig {
                storage_endpoint: endpoint.clone(),
                ..ClientConfig::default()
            }
            .anonymous();
            (config, endpoint, None)
        } else {
            let signer = google_cloud_auth::credentials::Builder::default()
                .with_scopes([CLOUD_PLATFORM])
                .build_signer()
                .map_err(|e| ObjectError::Unavailable(format!("Cloud Storage URL signer: {e}")))?;
            let config = ClientConfig {
                storage_endpoint: STORAGE_ENDPOINT.to_owned(),
                token_source_provider: Some(Box::new(GoogleAuthTokens(auth))),
                ..ClientConfig::default()
            };
            (config, STORAGE_ENDPOINT.to_owned(), Some(signer))
        };
        Ok(Self {
            client: Client::new(config),
            bucket,
            endpoint,
            signer,
            page_size: None,
        })
    }

    /// Signs download URLs with `signer` instead (a specific service account, or a test
    /// double). URLs point at this store's endpoint, the emulator's included.
    #[must_use]
    pub fn with_signer(mut self, signer: Signer) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Lists at most `size` names per request (the server's default is 1000); tests use a
    /// small size to walk several pages.
    #[must_use]
    pub fn with_list_page_size(mut self, size: i32) -> Self {
        self.page_size = Some(size);
        self
    }

    fn get_request(&self, path: &ObjectPath) -> GetObjectRequest {
        GetObjectRequest {
            bucket: self.bucket.clone(),
            object: path.to_string(),
            ..GetObjectRequest::default()
        }
    }

    fn object(&self, path: &ObjectPath) -> String {
        format!("gs://{}/{path}", self.bucket)
    }

    /// Uploads the object with its SHA-256 as metadata; `None` when `if_generation_match`
    /// was not met (412).
    async fn upload(
        &self,
        path: &ObjectPath,
        data: Bytes,
        content_type: &str,
        if_generation_match: Option<i64>,
    ) -> Result<Option<ObjectInfo>, ObjectError> {
        let info = ObjectInfo::of(path.clone(), &data);
        let resource = Object {
            name: path.to_string(),
            content_type: Some(content_type.to_owned()),
            metadata: Some(HashMap::from([(
                SHA256_METADATA.to_owned(),
                info.sha256.clone(),
            )])),
            ..Object::default()
        };
        let request = UploadObjectRequest {
            bucket: self.bucket.clone(),
            if_generation_match,
            ..UploadObjectRequest::default()
        };
        let what = format!("upload of {}", self.object(path));
        let uploaded = timed(
            &what,
            self.client
                .upload_object(&request, data, &UploadType::Multipart(Box::new(resource))),
        )
        .await?;
        let stored = match uploaded {
            Err(e) if status(&e) == Some(412) => return Ok(None),
            result => result.map_err(|e| unavailable(&what, &e))?,
        };
        if u64::try_from(stored.size).ok() != Some(info.bytes) {
            return Err(ObjectError::Unavailable(format!(
                "Cloud Storage {what}: stored {} bytes of {}",
                stored.size, info.bytes
            )));
        }
        Ok(Some(info))
    }
}

impl fmt::Debug for GcsObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcsObjectStore")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("signs_urls", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl ObjectStore for GcsObjectStore {
    #[tracing::instrument(skip_all, fields(path = %path))]
    async fn put(
        &self,
        path: &ObjectPath,
        data: Bytes,
        content_type: &str,
    ) -> Result<ObjectInfo, ObjectError> {
        self.upload(path, data, content_type, None)
            .await?
            .ok_or_else(|| {
                ObjectError::Unavailable(format!(
                    "upload of {}: a precondition failed that was not set",
                    self.object(path)
                ))
            })
    }

    #[tracing::instrument(skip_all, fields(path = %path))]
    async fn create(
        &self,
        path: &ObjectPath,
        data: Bytes,
        content_type: &str,
    ) -> Result<Option<ObjectInfo>, ObjectError> {
        // Generation 0 means "no live object": Cloud Storage answers 412 when there is one.
        self.upload(path, data, content_type, Some(0)).await
    }

    #[tracing::instrument(skip_all, fields(path = %path))]
    async fn get(&self, path: &ObjectPath) -> Result<Option<Bytes>, ObjectError> {
        let request = self.get_request(path);
        let data = call_or_none(
            format!("download of {}", self.object(path)),
            self.client.download_object(&request, &Range::default()),
        )
        .await?;
        Ok(data.map(Bytes::from))
    }

    #[tracing::instrument(skip_all, fields(path = %path))]
    async fn head(&self, path: &ObjectPath) -> Result<Option<ObjectInfo>, ObjectError> {
        let request = self.get_request(path);
        let Some(object) = call_or_none(
            format!("metadata of {}", self.object(path)),
            self.client.get_object(&request),
        )
        .await?
        else {
            return Ok(None);
        };
        let recorded = object
            .metadata
            .as_ref()
            .and_then(|metadata| metadata.get(SHA256_METADATA))
            .filter(|digest| is_sha256_hex(digest));
        match (recorded, u64::try_from(object.size)) {
            (Some(digest), Ok(bytes)) => Ok(Some(ObjectInfo {
                path: path.clone(),
                bytes,
                sha256: digest.clone(),
            })),
            _ => Ok(self
                .get(path)
                .await?
                .map(|data| ObjectInfo::of(path.clone(), &data))),
        }
    }

    #[tracing::instrument(skip_all, fields(prefix = %prefix))]
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectPath>, ObjectError> {
        let mut found = Vec::new();
        let mut page_token = None;
        loop {
            let request = ListObjectsRequest {
                bucket: self.bucket.clone(),
                prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
                max_results: self.page_size,
                page_token: page_token.take(),
                ..ListObjectsRequest::default()
            };
            let page = call(
                format!("listing of gs://{}/{prefix}", self.bucket),
                self.client.list_objects(&request),
            )
            .await?;
            // Names that are not object paths were not written through this port.
            found.extend(
                page.items
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|object| ObjectPath::new(object.name).ok()),
            );
            match page.next_page_token {
                Some(token) if !token.is_empty() => page_token = Some(token),
                _ => break,
            }
        }
        found.sort();
        Ok(found)
    }

    #[tracing::instrument(skip_all, fields(path = %path))]
    async fn delete(&self, path: &ObjectPath) -> Result<bool, ObjectError> {
        let request = DeleteObjectRequest {
            bucket: self.bucket.clone(),
            object: path.to_string(),
            ..DeleteObjectRequest::default()
        };
        let deleted = call_or_none(
            format!("delete of {}", self.object(path)),
            self.client.delete_object(&request),
        )
        .await?;
        Ok(deleted.is_some())
    }

    async fn ping(&self) -> Result<(), ObjectError> {
        let request = GetBucketRequest {
            bucket: self.bucket.clone(),
            ..GetBucketRequest::default()
        };
        call(
            format!("metadata of bucket gs://{}", self.bucket),
            self.client.get_bucket(&request),
        )
        .await
        .map(|_| ())
    }

    /// A V4 signed GET valid from now (the machine's real clock: the URL is checked against
    /// Google's) for `valid_for`, at most 7 days. Does not check that the object exists.
    #[tracing::instrument(skip_all, fields(path = %path))]
    async fn signed_url(
        &self,
        path: &ObjectPath,
        valid_for: Duration,
    ) -> Result<Option<String>, ObjectError> {
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        let email = signer.client_email().await.map_err(|e| {
            ObjectError::Unavailable(format!("the URL signer's service account: {e}"))
        })?;
        let get = SignedGet::new(
            &self.endpoint,
            &self.bucket,
            path,
            &email,
            OffsetDateTime::now_utc(),
            valid_for,
        )?;
        get.sign(signer).await.map(Some)
    }
}

/// Hands [`GoogleAuth`]'s bearer tokens to gcloud-storage, which (without its own `auth`
/// feature) has no credentials of its own. The auth library caches and refreshes them.
#[derive(Debug, Clone)]
struct GoogleAuthTokens(GoogleAuth);

impl TokenSourceProvider for GoogleAuthTokens {
    fn token_source(&self) -> Arc<dyn TokenSource> {
        Arc::new(self.clone())
    }
}

#[async_trait]
impl TokenSource for GoogleAuthTokens {
    async fn token(&self) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        self.0.authorization().await?.ok_or_else(|| {
            "no Google credentials: anonymous access is only for an emulator endpoint".into()
        })
    }
}

/// Runs one call with the timeout, and turns its error into `Unavailable` with `what`.
async fn call<T>(
    what: String,
    call: impl Future<Output = Result<T, GcsError>>,
) -> Result<T, ObjectError> {
    timed(&what, call)
        .await?
        .map_err(|e| unavailable(&what, &e))
}

/// Like [`call`], but a 404 is `None`.
async fn call_or_none<T>(
    what: String,
    call: impl Future<Output = Result<T, GcsError>>,
) -> Result<Option<T>, ObjectError> {
    match timed(&what, call).await? {
        Err(e) if status(&e) == Some(404) => Ok(None),
        result => result.map(Some).map_err(|e| unavailable(&what, &e)),
    }
}

async fn timed<T>(what: &str, call: impl Future<Output = T>) -> Result<T, ObjectError> {
    tokio::time::timeout(CALL_TIMEOUT, call).await.map_err(|_| {
        ObjectError::Unavailable(format!(
            "Cloud Storage {what}: no answer within {} s",
            CALL_TIMEOUT.as_secs()
        ))
    })
}

/// `http://host:port` from `STORAGE_EMULATOR_HOST`-style values (`host:port` or a URL).
fn emulator_origin(endpoint: &str) -> String {
    let endpoint = endpoint.trim().trim_end_matches('/');
    if endpoint.contains("://") {
        endpoint.to_owned()
    } else {
        format!("http://{endpoint}")
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The HTTP status of a failed call, if it got that far.
fn status(error: &GcsError) -> Option<u16> {
    match error {
        GcsError::Response(response) => Some(response.code),
        GcsError::HttpClient(e) | GcsError::RawResponse(e, _) => e.status().map(|s| s.as_u16()),
        _ => None,
    }
}

fn unavailable(what: &str, error: &GcsError) -> ObjectError {
    let mut message = format!("Cloud Storage {what}: ");
    match error {
        GcsError::Response(response) => {
            message.push_str(&format!("HTTP {}: {}", response.code, response.message));
        }
        GcsError::TokenSource(e) => message.push_str(&format!("credentials: {e}")),
        other => {
            message.push_str(&other.to_string());
            // reqwest's own message hides the cause ("connection refused", a DNS failure…).
            let mut source = other.source();
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
        }
    }
    ObjectError::Unavailable(message)
}

#[cfg(test)]
mod tests {
    use google_cloud_auth::signer::{SigningError, SigningProvider};

    use super::*;

    #[derive(Debug)]
    struct FakeSigner;

    impl SigningProvider for FakeSigner {
        async fn client_email(&self) -> Result<String, SigningError> {
            Ok("api@proj.iam.gserviceaccount.com".to_owned())
        }

        async fn sign(&self, _content: &[u8]) -> Result<bytes::Bytes, SigningError> {
            Ok(bytes::Bytes::from_static(&[0xab, 0xcd]))
        }
    }

    fn path(p: &str) -> ObjectPath {
        ObjectPath::new(p).unwrap()
    }

    #[test]
    fn an_emulator_host_without_a_scheme_is_plain_http() {
        assert_eq!(emulator_origin("127.0.0.1:4443"), "http://127.0.0.1:4443");
        assert_eq!(
            emulator_origin("http://127.0.0.1:4443/"),
            "http://127.0.0.1:4443"
        );
        assert_eq!(emulator_origin("https://gcs.test"), "https://gcs.test");
    }

    #[tokio::test]
    async fn an_emulator_store_has_no_signed_urls() {
        let store = GcsObjectStore::new(
            "b".to_owned(),
            Some("127.0.0.1:1".to_owned()),
            GoogleAuth::anonymous(),
        )
        .unwrap();
        let url = store
            .signed_url(&path("jobs/j/faq.json"), Duration::from_mins(1))
            .await
            .unwrap();
        assert_eq!(url, None);
    }

    #[tokio::test]
    async fn a_signed_url_names_the_bucket_object_and_signer() {
        let store = GcsObjectStore::new("artifacts".to_owned(), None, GoogleAuth::anonymous())
            .unwrap()
            .with_signer(Signer::from(FakeSigner));
        let url = store
            .signed_url(&path("jobs/j/faq.json"), Duration::from_mins(15))
            .await
            .unwrap()
            .unwrap();
        assert!(url.starts_with("https://storage.googleapis.com/artifacts/jobs/j/faq.json?"));
        let query: HashMap<String, String> = reqwest::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        let date = &query["X-Goog-Date"][..8];
        assert_eq!(
            query["X-Goog-Credential"],
            format!("api@proj.iam.gserviceaccount.com/{date}/auto/storage/goog4_request")
        );
        assert_eq!(query["X-Goog-Expires"], "900");
        assert!(url.ends_with("&X-Goog-Signature=abcd"));
    }

    #[tokio::test]
    async fn an_unreachable_store_is_unavailable_and_says_where() {
        let store = GcsObjectStore::new(
            "b".to_owned(),
            Some("http://127.0.0.1:9".to_owned()),
            GoogleAuth::anonymous(),
        )
        .unwrap();
        let ObjectError::Unavailable(message) = store.get(&path("x/y.txt")).await.unwrap_err();
        assert!(message.contains("gs://b/x/y.txt"), "{message}");
    }

    #[tokio::test]
    async fn without_credentials_cloud_storage_calls_fail_before_any_request() {
        let store = GcsObjectStore::new("b".to_owned(), None, GoogleAuth::anonymous()).unwrap();
        let ObjectError::Unavailable(message) = store.ping().await.unwrap_err();
        assert!(message.contains("no Google credentials"), "{message}");
    }
}
