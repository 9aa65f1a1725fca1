//! V4 signed URLs for Cloud Storage (`GOOG4-RSA-SHA256`): a `GET` of one object with only the
//! `host` header signed and no payload hash (`UNSIGNED-PAYLOAD`), so any HTTP client can use
//! the URL as is until it expires.
//!
//! The request is canonicalised here, as Google documents it
//! (<https://cloud.google.com/storage/docs/authentication/canonical-requests>); the RSA
//! signature comes from a `google-cloud-auth` [`Signer`]: a service-account key file signs
//! locally, Cloud Run's own identity signs through IAM `signBlob` (the service account then
//! needs `iam.serviceAccounts.signBlob` on itself, e.g. Service Account Token Creator).
//!
//! Not for uploads, extension headers or extra query parameters: nothing here needs them.

use std::time::Duration;

use google_cloud_auth::signer::Signer;
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, UtcOffset, macros::format_description};

use super::{ObjectError, ObjectPath};

/// The longest a V4 signed URL may live (`X-Goog-Expires` ≤ 604800).
pub const MAX_VALID_FOR: Duration = Duration::from_hours(7 * 24);

/// The public Cloud Storage endpoint that signed URLs point at in production.
pub const STORAGE_ENDPOINT: &str = "https://storage.googleapis.com";

const ALGORITHM: &str = "GOOG4-RSA-SHA256";

/// A V4 signed `GET` of one object, everything but the signature: path-style
/// (`{endpoint}/{bucket}/{object}`), valid from `signed_at` for `valid_for`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedGet {
    origin: String,
    host: String,
    path: String,
    query: String,
    timestamp: String,
    scope: String,
}

impl SignedGet {
    /// `valid_for` is clamped to 1 s ..= [`MAX_VALID_FOR`] (whole seconds, rounded down).
    /// `access_id` is the signing service account's email.
    pub fn new(
        endpoint: &str,
        bucket: &str,
        object: &ObjectPath,
        access_id: &str,
        signed_at: OffsetDateTime,
        valid_for: Duration,
    ) -> Result<Self, ObjectError> {
        let endpoint = reqwest::Url::parse(endpoint)
            .map_err(|e| ObjectError::Unavailable(format!("storage endpoint `{endpoint}`: {e}")))?;
        let host = match (endpoint.host_str(), endpoint.port()) {
            (Some(host), None) => host.to_owned(),
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (None, _) => {
                return Err(ObjectError::Unavailable(format!(
                    "storage endpoint `{endpoint}` has no host"
                )));
            }
        };
        let origin = format!("{}://{host}", endpoint.scheme());

        let signed_at = signed_at.to_offset(UtcOffset::UTC);
        let timestamp = signed_at
            .format(format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .expect("a UTC time formats");
        let date = &timestamp[..8];
        let scope = format!("{date}/auto/storage/goog4_request");
        let expires = valid_for.as_secs().clamp(1, MAX_VALID_FOR.as_secs());

        // Already in canonical (byte-wise sorted) order.
        let query = [
            ("X-Goog-Algorithm", ALGORITHM.to_owned()),
            ("X-Goog-Credential", format!("{access_id}/{scope}")),
            ("X-Goog-Date", timestamp.clone()),
            ("X-Goog-Expires", expires.to_string()),
            ("X-Goog-SignedHeaders", "host".to_owned()),
        ]
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key, false), encode(value, false)))
        .collect::<Vec<_>>()
        .join("&");

        Ok(Self {
            origin,
            host,
            path: format!(
                "/{}/{}",
                encode(bucket, false),
                encode(object.as_str(), true)
            ),
            query,
            timestamp,
            scope,
        })
    }

    /// Method, path, query, headers, signed header names and payload hash, one per line.
    pub fn canonical_request(&self) -> String {
        format!(
            "GET\n{}\n{}\nhost:{}\n\nhost\nUNSIGNED-PAYLOAD",
            self.path, self.query, self.host
        )
    }

    /// What the service account signs: algorithm, time, scope and the canonical request's
    /// SHA-256.
    pub fn string_to_sign(&self) -> String {
        format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            self.timestamp,
            self.scope,
            hex::encode(Sha256::digest(self.canonical_request()))
        )
    }

    /// The URL with `signature` (the RSA-SHA256 signature of [`Self::string_to_sign`]).
    pub fn url(&self, signature: &[u8]) -> String {
        format!(
            "{}{}?{}&X-Goog-Signature={}",
            self.origin,
            self.path,
            self.query,
            hex::encode(signature)
        )
    }

    /// Signs with `signer` (whose `client_email` must be the `access_id` given to `new`).
    pub async fn sign(&self, signer: &Signer) -> Result<String, ObjectError> {
        let signature = signer.sign(self.string_to_sign()).await.map_err(|e| {
            ObjectError::Unavailable(format!("signing a URL for {}: {e}", self.path))
        })?;
        Ok(self.url(&signature))
    }
}

/// RFC 3986 percent-encoding as V4 signing wants it: unreserved characters stay, everything
/// else becomes `%XX` (upper case); `/` stays too when encoding a path.
fn encode(text: &str, keep_slash: bool) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/')
        {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use google_cloud_auth::signer::{SigningError, SigningProvider};
    use time::macros::datetime;

    use super::*;

    /// A signer that records nothing and returns fixed bytes, as an IAM `signBlob` call would.
    #[derive(Debug)]
    struct FixedSigner {
        email: &'static str,
        signature: Vec<u8>,
    }

    impl SigningProvider for FixedSigner {
        async fn client_email(&self) -> Result<String, SigningError> {
            Ok(self.email.to_owned())
        }

        async fn sign(&self, _content: &[u8]) -> Result<bytes::Bytes, SigningError> {
            Ok(bytes::Bytes::from(self.signature.clone()))
        }
    }

    fn path(p: &str) -> ObjectPath {
        ObjectPath::new(p).unwrap()
    }

    fn query_pairs(url: &str) -> Vec<(String, String)> {
        reqwest::Url::parse(url)
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn the_canonical_request_and_string_to_sign_follow_the_v4_format() {
        let get = SignedGet::new(
            STORAGE_ENDPOINT,
            "factory-artifacts",
            &path("jobs/01j/faq.json"),
            "api@proj.iam.gserviceaccount.com",
            datetime!(2026-03-04 05:06:07 +01:00),
            Duration::from_mins(15),
        )
        .unwrap();

        let query = "X-Goog-Algorithm=GOOG4-RSA-SHA256\
            &X-Goog-Credential=api%40proj.iam.gserviceaccount.com%2F20260304%2Fauto%2Fstorage%2Fgoog4_request\
            &X-Goog-Date=20260304T040607Z\
            &X-Goog-Expires=900\
            &X-Goog-SignedHeaders=host";
        let canonical = format!(
            "GET\n/factory-artifacts/jobs/01j/faq.json\n{query}\nhost:storage.googleapis.com\n\nhost\nUNSIGNED-PAYLOAD"
        );
        assert_eq!(get.canonical_request(), canonical);
        assert_eq!(
            get.string_to_sign(),
            format!(
                "GOOG4-RSA-SHA256\n20260304T040607Z\n20260304/auto/storage/goog4_request\n{}",
                hex::encode(Sha256::digest(canonical.as_bytes()))
            )
        );
    }

    #[tokio::test]
    async fn a_signed_url_carries_every_v4_parameter_and_the_hex_signature() {
        let signer = Signer::from(FixedSigner {
            email: "api@proj.iam.gserviceaccount.com",
            signature: vec![0xde, 0xad, 0xbe, 0xef],
        });
        let url = SignedGet::new(
            STORAGE_ENDPOINT,
            "factory-artifacts",
            &path("jobs/01j/faq.json"),
            "api@proj.iam.gserviceaccount.com",
            datetime!(2026-03-04 05:06:07 UTC),
            Duration::from_mins(15),
        )
        .unwrap()
        .sign(&signer)
        .await
        .unwrap();

        assert!(
            url.starts_with("https://storage.googleapis.com/factory-artifacts/jobs/01j/faq.json?")
        );
        assert_eq!(
            query_pairs(&url),
            [
                ("X-Goog-Algorithm", "GOOG4-RSA-SHA256"),
                (
                    "X-Goog-Credential",
                    "api@proj.iam.gserviceaccount.com/20260304/auto/storage/goog4_request"
                ),
                ("X-Goog-Date", "20260304T050607Z"),
                ("X-Goog-Expires", "900"),
                ("X-Goog-SignedHeaders", "host"),
                ("X-Goog-Signature", "deadbeef"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
        );
    }

    #[test]
    fn the_lifetime_is_clamped_to_seven_days_and_at_least_a_second() {
        let expires = |valid_for| {
            let url = SignedGet::new(
                STORAGE_ENDPOINT,
                "b",
                &path("x"),
                "a@b",
                datetime!(2026-01-01 00:00 UTC),
                valid_for,
            )
            .unwrap()
            .url(&[]);
            query_pairs(&url)
                .into_iter()
                .find(|(k, _)| k == "X-Goog-Expires")
                .unwrap()
                .1
        };
        assert_eq!(expires(Duration::from_hours(30 * 24)), "604800");
        assert_eq!(expires(MAX_VALID_FOR), "604800");
        assert_eq!(expires(Duration::from_millis(10)), "1");
    }

    #[test]
    fn an_emulator_endpoint_keeps_its_scheme_and_port_in_the_url_and_the_host_header() {
        let get = SignedGet::new(
            "http://127.0.0.1:4443/",
            "b",
            &path("x.txt"),
            "a@b",
            datetime!(2026-01-01 00:00 UTC),
            Duration::from_mins(1),
        )
        .unwrap();
        assert!(get.url(&[1]).starts_with("http://127.0.0.1:4443/b/x.txt?"));
        assert!(get.canonical_request().contains("\nhost:127.0.0.1:4443\n"));
    }

    #[test]
    fn percent_encoding_keeps_unreserved_characters_and_slashes_only_in_paths() {
        assert_eq!(encode("aZ09-._~", false), "aZ09-._~");
        assert_eq!(encode("a/b@c d&é", false), "a%2Fb%40c%20d%26%C3%A9");
        assert_eq!(encode("a/b&c", true), "a/b%26c");
    }

    // The "Simple GET" and "Vary expiration and timestamp" vectors of Google's storage
    // conformance tests (github.com/googleapis/conformance-tests, storage/v1/v4_signatures.json),
    // signed there with the public, inactive test key of storage/v1/service-account. Only that
    // key's public half is here: the signature Google's libraries computed must verify against
    // our string-to-sign, and our URL must be the expected one byte for byte.
    const CONFORMANCE_EMAIL: &str = "test-iam-credentials@dummy-project-id.iam.gserviceaccount.com";
    const CONFORMANCE_PUBLIC_KEY: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArD8zIqyKLbX0Nq8o0Jj1
qHEhHhqO3+0OP7TEFx5Vxc6PdwBoFNrfnJRI/S+ZaDYS1avr5Pqpp8g8+UNOMvI1
VsjGM8xjTaxkVv8mmKp6pSmQstTt25pzY1exA2wv4xNWSwWNFNx2kh35+kvTQ/DF
3YA9P7pUU1sKur1PP8OoubWLFO59iy5UE5dX0O/3pjvZ2HAhSXsx2VWtB5nlrHR8
FrKJNLJMEGEDSMz9yRfQaUeYCU9oDYHuiqKQ3rCXi6C82l+3FJw5/ggJ5y7iw8ME
rCFSslcYQRbBVz6ZYKWkEcJhs8BG3/16bfaqNusNlDIJ99I7DmipUngF/HEulYhf
rQIDAQAB
-----END PUBLIC KEY-----
";

    struct Vector {
        bucket: &'static str,
        object: &'static str,
        signed_at: OffsetDateTime,
        expires: u64,
        expected_url: &'static str,
    }

    const CONFORMANCE_VECTORS: [Vector; 2] = [
        Vector {
            bucket: "test-bucket",
            object: "test-object",
            signed_at: datetime!(2019-02-01 09:00:00 UTC),
            expires: 10,
            expected_url: "https://storage.googleapis.com/test-bucket/test-object?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=test-iam-credentials%40dummy-project-id.iam.gserviceaccount.com%2F20190201%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190201T090000Z&X-Goog-Expires=10&X-Goog-SignedHeaders=host&X-Goog-Signature=95e6a13d43a1d1962e667f17397f2b80ac9bdd1669210d5e08e0135df9dff4e56113485dbe429ca2266487b9d1796ebdee2d7cf682a6ef3bb9fbb4c351686fba90d7b621cf1c4eb1fdf126460dd25fa0837dfdde0a9fd98662ce60844c458448fb2b352c203d9969cb74efa4bdb742287744a4f2308afa4af0e0773f55e32e92973619249214b97283b2daa14195244444e33f938138d1e5f561088ce8011f4986dda33a556412594db7c12fc40e1ff3f1bedeb7a42f5bcda0b9567f17f65855f65071fabb88ea12371877f3f77f10e1466fff6ff6973b74a933322ff0949ce357e20abe96c3dd5cfab42c9c83e740a4d32b9e11e146f0eb3404d2e975896f74",
        },
        Vector {
            bucket: "test-bucket",
            object: "test-object",
            signed_at: datetime!(2019-03-01 09:00:00 UTC),
            expires: 20,
            expected_url: "https://storage.googleapis.com/test-bucket/test-object?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=test-iam-credentials%40dummy-project-id.iam.gserviceaccount.com%2F20190301%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20190301T090000Z&X-Goog-Expires=20&X-Goog-SignedHeaders=host&X-Goog-Signature=9669ed5b10664dc594c758296580662912cf4bcc5a4ba0b6bf055bcbf6f34eed7bdad664f534962174a924741a0c273a4f67bc1847cef20192a6beab44223bd9d4fbbd749c407b79997598c30f82ddc269ff47ec09fa3afe74e00616d438df0d96a7d8ad0adacfad1dc3286f864d924fe919fb0dce45d3d975c5afe8e13af2db9cc37ba77835f92f7669b61e94c6d562196c1274529e76cfff1564cc2cad7d5387dc8e12f7a5dfd925685fe92c30b43709eee29fa2f66067472cee5423d1a3a4182fe8cea75c9329d181dc6acad7c393cd04f8bf5bc0515127d8ebd65d80c08e19ad03316053ea60033fd1b1fd85a69c576415da3bf0a3718d9ea6d03e0d66f0",
        },
    ];

    #[tokio::test]
    async fn googles_conformance_vectors_verify_against_our_string_to_sign() {
        use base64::Engine as _;
        use jsonwebtoken::{Algorithm, DecodingKey, crypto};

        let key = DecodingKey::from_rsa_pem(CONFORMANCE_PUBLIC_KEY.as_bytes()).unwrap();
        for vector in CONFORMANCE_VECTORS {
            let get = SignedGet::new(
                STORAGE_ENDPOINT,
                vector.bucket,
                &path(vector.object),
                CONFORMANCE_EMAIL,
                vector.signed_at,
                Duration::from_secs(vector.expires),
            )
            .unwrap();
            let (_, signature_hex) = vector
                .expected_url
                .split_once("&X-Goog-Signature=")
                .unwrap();
            let signature = hex::decode(signature_hex).unwrap();

            // RS256 is RSASSA-PKCS1-v1_5 with SHA-256, the primitive behind GOOG4-RSA-SHA256.
            let verified = crypto::verify(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&signature),
                get.string_to_sign().as_bytes(),
                &key,
                Algorithm::RS256,
            )
            .unwrap();
            assert!(verified, "{}", get.string_to_sign());

            let signer = Signer::from(FixedSigner {
                email: CONFORMANCE_EMAIL,
                signature,
            });
            assert_eq!(get.sign(&signer).await.unwrap(), vector.expected_url);
        }
    }
}
