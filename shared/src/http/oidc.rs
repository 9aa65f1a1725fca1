//! Verifies the Google-signed OIDC tokens that Pub/Sub push, Eventarc and Cloud Scheduler send
//! to `/internal/*`: RS256 signature against Google's published keys, then issuer, audience,
//! expiry and an allow-list of service-account emails. The keys are cached for their
//! `max-age`, and refetched at most once per cooldown however many bad tokens arrive.
//! It does not decide what a caller may do beyond being let in, and it is not for user logins.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::CACHE_CONTROL;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// Where Google publishes the keys that sign its ID tokens.
pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// The `iss` values Google ID tokens carry (both forms occur).
pub const GOOGLE_ISSUERS: [&str; 2] = ["https://accounts.google.com", "accounts.google.com"];

/// Clock skew tolerated on `exp` and `iat`, in seconds.
const LEEWAY_SECS: u64 = 60;

/// How long keys are trusted when the response has no `Cache-Control: max-age`.
const FALLBACK_MAX_AGE: Duration = Duration::from_hours(1);

/// The least time between two fetches after a successful one, whatever the reason for the
/// second (an unknown `kid`, a tiny `max-age`), so a flood of bad tokens cannot hammer Google.
const REFETCH_COOLDOWN: Duration = Duration::from_secs(30);

/// The least time between two attempts after a failed fetch.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

/// The fetch holds up every verification that needs keys, so it must not hang.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Who may call `/internal/*`, and where the signing keys live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// The service URL(s); the token's `aud` must equal one. Empty admits nobody.
    pub audiences: Vec<String>,
    /// The push / scheduler service accounts; the token's `email` must be one. Empty admits
    /// nobody.
    pub allowed_emails: Vec<String>,
    pub jwks_url: String,
    pub issuers: Vec<String>,
}

impl OidcSettings {
    /// Google's JWKS URL and issuers, with the given audiences and callers.
    pub fn google(audiences: Vec<String>, allowed_emails: Vec<String>) -> Self {
        Self {
            audiences,
            allowed_emails,
            jwks_url: GOOGLE_JWKS_URL.to_owned(),
            issuers: GOOGLE_ISSUERS.map(str::to_owned).to_vec(),
        }
    }
}

/// The caller a valid token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCaller {
    pub email: String,
    /// The `sub` claim: the service account's stable numeric id.
    pub subject: String,
}

/// Why a request was not let in. Only [`OidcError::KeysUnavailable`] is our side's fault
/// (a 503, worth retrying); every other variant is the caller's (a 401). No message quotes
/// the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    #[error("no Authorization header")]
    Missing,
    #[error("the Authorization header is not a well-formed bearer JWT")]
    Malformed,
    #[error("the token is not signed with RS256")]
    UnsupportedAlgorithm,
    #[error("the token is signed by a key the issuer does not publish")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token is expired or not yet valid")]
    Expired,
    #[error("the token comes from an issuer that is not trusted")]
    WrongIssuer,
    #[error("the token is meant for another audience")]
    WrongAudience,
    #[error("the token's email is not an allowed caller")]
    EmailNotAllowed,
    #[error("the token's email is not verified")]
    EmailNotVerified,
    #[error("the signing keys are unavailable: {0}")]
    KeysUnavailable(String),
}

impl OidcError {
    /// Whether the failure is ours (keys could not be fetched) rather than the caller's.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::KeysUnavailable(_))
    }
}

/// Verifies bearer tokens against one [`OidcSettings`]. Clones share the key cache.
#[derive(Clone)]
pub struct OidcVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    settings: OidcSettings,
    client: reqwest::Client,
    validation: Validation,
    cache: Mutex<KeyCache>,
    // Held across a fetch, so callers that need keys wait for that one fetch instead of
    // starting their own, while callers whose key is cached never wait on the network.
    fetching: tokio::sync::Mutex<()>,
}

impl OidcVerifier {
    pub fn new(settings: OidcSettings, client: reqwest::Client) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = LEEWAY_SECS;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&settings.issuers);
        validation.set_audience(&settings.audiences);
        Self {
            inner: Arc::new(Inner {
                settings,
                client,
                validation,
                cache: Mutex::new(KeyCache::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Checks the raw `Authorization` header value (`Bearer <jwt>`) and returns the caller.
    pub async fn verify(&self, authorization: Option<&str>) -> Result<VerifiedCaller, OidcError> {
        self.verify_at(authorization, Instant::now()).await
    }

    /// [`Self::verify`] with the key cache's notion of "now" given, so tests can step past
    /// cache lifetimes. Token times (`exp`, `iat`) are always checked against the system clock.
    async fn verify_at(
        &self,
        authorization: Option<&str>,
        now: Instant,
    ) -> Result<VerifiedCaller, OidcError> {
        let token = bearer_token(authorization.ok_or(OidcError::Missing)?)?;
        let header = peek_header(token)?;
        if header.alg != "RS256" {
            return Err(OidcError::UnsupportedAlgorithm);
        }
        let kid = header.kid.ok_or(OidcError::Malformed)?;
        let key = self.key(&kid, now).await?;
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &self.inner.validation)
            .map_err(|e| claim_error(e.kind()))?
            .claims;
        if claims.iat > jsonwebtoken::get_current_timestamp() + LEEWAY_SECS {
            return Err(OidcError::Expired);
        }
        let settings = &self.inner.settings;
        let email = claims
            .email
            .filter(|email| settings.allowed_emails.contains(email))
            .ok_or(OidcError::EmailNotAllowed)?;
        if !claims.email_verified.as_ref().is_some_and(is_true) {
            return Err(OidcError::EmailNotVerified);
        }
        Ok(VerifiedCaller {
            email,
            subject: claims.sub,
        })
    }

    /// The key with this id, fetching the key set when the rules in [`KeyCache::lookup`]
    /// allow it.
    async fn key(&self, kid: &str, now: Instant) -> Result<DecodingKey, OidcError> {
        if let Some(done) = self.cached(kid, now) {
            return done;
        }
        let _fetching = self.inner.fetching.lock().await;
        // Another caller may have fetched while this one waited.
        if let Some(done) = self.cached(kid, now) {
            return done;
        }
        let fetched = self.fetch().await;
        {
            let mut cache = self
                .inner
                .cache
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match fetched {
                Ok(fetched) => cache.store(fetched, now),
                Err(why) => {
                    tracing::warn!(
                        url = %self.inner.settings.jwks_url,
                        error = %why,
                        "cannot fetch the OIDC signing keys"
                    );
                    cache.fail(why, now);
                }
            }
        }
        self.cached(kid, now).unwrap_or(Err(OidcError::UnknownKey))
    }

    /// The cache's answer, or `None` when a fetch is due.
    fn cached(&self, kid: &str, now: Instant) -> Option<Result<DecodingKey, OidcError>> {
        let cache = self
            .inner
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        cache.lookup(kid, now).done()
    }

    async fn fetch(&self) -> Result<Fetched, String> {
        let response = self
            .inner
            .client
            .get(&self.inner.settings.jwks_url)
            .timeout(FETCH_TIMEOUT)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?;
        let lifetime = cache_lifetime(response.headers());
        let jwks: Jwks = response.json().await.map_err(|e| e.to_string())?;
        let keys: HashMap<String, DecodingKey> = jwks
            .keys
            .into_iter()
            .filter_map(JwkEntry::into_rs256_key)
            .collect();
        if keys.is_empty() {
            return Err("the key set has no RS256 signing keys".to_owned());
        }
        Ok(Fetched { keys, lifetime })
    }
}

impl fmt::Debug for OidcVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcVerifier")
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

/// The token after `Bearer ` (the scheme is case-insensitive, RFC 7235).
fn bearer_token(authorization: &str) -> Result<&str, OidcError> {
    match authorization.trim().split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(OidcError::Malformed),
    }
}

#[derive(Deserialize)]
struct TokenHeader {
    alg: String,
    kid: Option<String>,
}

/// The header, read before any key is chosen. Parsed here rather than by `jsonwebtoken`,
/// which fails on algorithms it does not know (`none`) instead of naming them.
fn peek_header(token: &str) -> Result<TokenHeader, OidcError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(OidcError::Malformed);
    };
    let json = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| OidcError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| OidcError::Malformed)
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    iat: u64,
    email: Option<String>,
    email_verified: Option<serde_json::Value>,
}

/// Google sends `true`; some of its endpoints have sent `"true"`.
fn is_true(value: &serde_json::Value) -> bool {
    matches!(value, serde_json::Value::Bool(true)) || value.as_str() == Some("true")
}

fn claim_error(kind: &ErrorKind) -> OidcError {
    match kind {
        ErrorKind::InvalidSignature => OidcError::BadSignature,
        ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => OidcError::Expired,
        ErrorKind::InvalidIssuer => OidcError::WrongIssuer,
        ErrorKind::MissingRequiredClaim(claim) if claim == "iss" => OidcError::WrongIssuer,
        ErrorKind::InvalidAudience => OidcError::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) if claim == "aud" => OidcError::WrongAudience,
        ErrorKind::InvalidAlgorithm => OidcError::UnsupportedAlgorithm,
        ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => {
            OidcError::KeysUnavailable("a published key is not a usable RSA key".to_owned())
        }
        _ => OidcError::Malformed,
    }
}

/// How long a fetched key set may be trusted: its `max-age`, else [`FALLBACK_MAX_AGE`].
fn cache_lifetime(headers: &HeaderMap) -> Duration {
    headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|directive| {
            let (name, seconds) = directive.trim().split_once('=')?;
            if !name.eq_ignore_ascii_case("max-age") {
                return None;
            }
            seconds.trim_matches('"').parse().ok()
        })
        .map_or(FALLBACK_MAX_AGE, Duration::from_secs)
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<JwkEntry>,
}

#[derive(Deserialize)]
struct JwkEntry {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    n: Option<String>,
    e: Option<String>,
}

impl JwkEntry {
    /// The key by id if it is an RSA signing key usable with RS256; other entries are skipped.
    fn into_rs256_key(self) -> Option<(String, DecodingKey)> {
        let rs256 = self.kty == "RSA"
            && self.alg.as_deref().is_none_or(|alg| alg == "RS256")
            && self.usage.as_deref().is_none_or(|usage| usage == "sig");
        if !rs256 {
            return None;
        }
        let key = DecodingKey::from_rsa_components(self.n.as_deref()?, self.e.as_deref()?).ok()?;
        Some((self.kid?, key))
    }
}

struct Fetched {
    keys: HashMap<String, DecodingKey>,
    lifetime: Duration,
}

/// The last key set fetched and when the next fetch may happen.
#[derive(Default)]
struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fresh_until: Option<Instant>,
    next_fetch_at: Option<Instant>,
    /// Why the last attempt failed, when it did.
    last_error: Option<String>,
}

enum Lookup {
    Found(DecodingKey),
    Fetch,
    Unknown,
    Unavailable(String),
}

impl Lookup {
    /// The answer, or `None` when a fetch is due.
    fn done(self) -> Option<Result<DecodingKey, OidcError>> {
        match self {
            Self::Found(key) => Some(Ok(key)),
            Self::Fetch => None,
            Self::Unknown => Some(Err(OidcError::UnknownKey)),
            Self::Unavailable(why) => Some(Err(OidcError::KeysUnavailable(why))),
        }
    }
}

impl KeyCache {
    /// A fresh key answers at once. Otherwise (stale or missing set, unknown `kid`) a fetch is
    /// due if the rate limit allows; if not, the last failure or "unknown key" stands.
    fn lookup(&self, kid: &str, now: Instant) -> Lookup {
        let fresh = self.fresh_until.is_some_and(|until| now < until);
        if fresh && let Some(key) = self.keys.get(kid) {
            return Lookup::Found(key.clone());
        }
        if self.next_fetch_at.is_none_or(|at| now >= at) {
            return Lookup::Fetch;
        }
        match &self.last_error {
            Some(why) => Lookup::Unavailable(why.clone()),
            None => Lookup::Unknown,
        }
    }

    fn store(&mut self, fetched: Fetched, now: Instant) {
        self.keys = fetched.keys;
        self.fresh_until = Some(now + fetched.lifetime.max(REFETCH_COOLDOWN));
        self.next_fetch_at = Some(now + REFETCH_COOLDOWN);
        self.last_error = None;
    }

    /// Keeps whatever keys were there: a set that is still fresh keeps verifying.
    fn fail(&mut self, why: String, now: Instant) {
        self.next_fetch_at = Some(now + RETRY_AFTER_FAILURE);
        self.last_error = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::Router;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use axum::routing::get;
    use jsonwebtoken::{EncodingKey, Header, get_current_timestamp};
    use serde_json::{Value, json};

    use super::*;

    const SIGNER_PEM: &str = include_str!("../../tests/fixtures/oidc/signer.pem");
    const IMPOSTOR_PEM: &str = include_str!("../../tests/fixtures/oidc/impostor.pem");
    const SIGNER_JWK: &str = include_str!("../../tests/fixtures/oidc/signer.jwk.json");
    const KID: &str = "test-signer";
    const AUDIENCE: &str = "https://steps-abc123-ew.a.run.app";
    const PUSHER: &str = "pubsub-push@factory.iam.gserviceaccount.com";
    const MAX_AGE: u64 = 600;

    /// A local JWKS endpoint that counts its hits.
    struct KeyServer {
        url: String,
        hits: Arc<AtomicUsize>,
    }

    impl KeyServer {
        async fn start(status: StatusCode, delay: Duration) -> Self {
            let hits = Arc::new(AtomicUsize::new(0));
            let counter = hits.clone();
            let jwks = format!(r#"{{"keys":[{SIGNER_JWK}]}}"#);
            let router = Router::new().route(
                "/certs",
                get(move || {
                    let (counter, jwks) = (counter.clone(), jwks.clone());
                    async move {
                        counter.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(delay).await;
                        let cache = [(CACHE_CONTROL, format!("public, max-age={MAX_AGE}"))];
                        (status, cache, jwks).into_response()
                    }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/certs", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, router).await });
            Self { url, hits }
        }

        async fn serving() -> Self {
            Self::start(StatusCode::OK, Duration::ZERO).await
        }

        fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }
    }

    fn verifier(jwks_url: &str) -> OidcVerifier {
        let settings = OidcSettings {
            jwks_url: jwks_url.to_owned(),
            ..OidcSettings::google(vec![AUDIENCE.to_owned()], vec![PUSHER.to_owned()])
        };
        OidcVerifier::new(settings, reqwest::Client::new())
    }

    /// The claims Pub/Sub push sends, valid for the next hour.
    fn claims() -> Value {
        let now = get_current_timestamp();
        json!({
            "iss": "https://accounts.google.com",
            "aud": AUDIENCE,
            "sub": "112233445566778899000",
            "email": PUSHER,
            "email_verified": true,
            "iat": now,
            "exp": now + 3600,
        })
    }

    fn with(changes: &Value) -> Value {
        let mut claims = claims();
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        claims
    }

    fn signed(pem: &str, kid: &str, claims: &Value) -> String {
        let header = Header {
            kid: Some(kid.to_owned()),
            ..Header::new(Algorithm::RS256)
        };
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        format!(
            "Bearer {}",
            jsonwebtoken::encode(&header, claims, &key).unwrap()
        )
    }

    fn bearer(claims: &Value) -> String {
        signed(SIGNER_PEM, KID, claims)
    }

    async fn rejection(claims: &Value) -> OidcError {
        let server = KeyServer::serving().await;
        verifier(&server.url)
            .verify(Some(&bearer(claims)))
            .await
            .unwrap_err()
    }

    #[tokio::test]
    async fn a_valid_token_names_its_caller() {
        let server = KeyServer::serving().await;

        let caller = verifier(&server.url)
            .verify(Some(&bearer(&claims())))
            .await
            .unwrap();

        assert_eq!(
            caller,
            VerifiedCaller {
                email: PUSHER.to_owned(),
                subject: "112233445566778899000".to_owned(),
            }
        );
    }

    #[tokio::test]
    async fn variants_google_sends_are_accepted() {
        let server = KeyServer::serving().await;
        let verifier = verifier(&server.url);
        let short_issuer = bearer(&with(&json!({ "iss": "accounts.google.com" })));
        let quoted_true = bearer(&with(&json!({ "email_verified": "true" })));
        let lowercase_scheme = bearer(&claims()).replacen("Bearer", "bearer", 1);

        for token in [short_issuer, quoted_true, lowercase_scheme] {
            assert!(verifier.verify(Some(&token)).await.is_ok(), "{token}");
        }
    }

    #[tokio::test]
    async fn a_token_for_another_audience_is_rejected() {
        let claims = with(&json!({ "aud": "https://elsewhere.a.run.app" }));
        assert_eq!(rejection(&claims).await, OidcError::WrongAudience);
    }

    #[tokio::test]
    async fn a_token_from_another_issuer_is_rejected() {
        let claims = with(&json!({ "iss": "https://evil.example.com" }));
        assert_eq!(rejection(&claims).await, OidcError::WrongIssuer);
    }

    #[tokio::test]
    async fn a_token_signed_by_another_key_under_a_published_kid_is_rejected() {
        let server = KeyServer::serving().await;
        let forged = signed(IMPOSTOR_PEM, KID, &claims());

        let error = verifier(&server.url)
            .verify(Some(&forged))
            .await
            .unwrap_err();

        assert_eq!(error, OidcError::BadSignature);
    }

    #[tokio::test]
    async fn an_expired_token_is_rejected() {
        let now = get_current_timestamp();
        let claims = with(&json!({ "iat": now - 3700, "exp": now - 100 }));
        assert_eq!(rejection(&claims).await, OidcError::Expired);
    }

    #[tokio::test]
    async fn a_token_expired_within_the_leeway_is_accepted() {
        let server = KeyServer::serving().await;
        let now = get_current_timestamp();
        let claims = with(&json!({ "iat": now - 3630, "exp": now - 30 }));

        assert!(
            verifier(&server.url)
                .verify(Some(&bearer(&claims)))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_token_issued_in_the_future_is_rejected() {
        let now = get_current_timestamp();
        let claims = with(&json!({ "iat": now + 600, "exp": now + 4200 }));
        assert_eq!(rejection(&claims).await, OidcError::Expired);
    }

    #[tokio::test]
    async fn a_caller_not_on_the_allow_list_is_rejected() {
        let claims = with(&json!({ "email": "someone@other.iam.gserviceaccount.com" }));
        assert_eq!(rejection(&claims).await, OidcError::EmailNotAllowed);

        let mut no_email = claims.clone();
        no_email.as_object_mut().unwrap().remove("email");
        assert_eq!(rejection(&no_email).await, OidcError::EmailNotAllowed);
    }

    #[tokio::test]
    async fn an_unverified_email_is_rejected() {
        let claims = with(&json!({ "email_verified": false }));
        assert_eq!(rejection(&claims).await, OidcError::EmailNotVerified);
        let quoted = with(&json!({ "email_verified": "false" }));
        assert_eq!(rejection(&quoted).await, OidcError::EmailNotVerified);

        let mut unstated = claims.clone();
        unstated.as_object_mut().unwrap().remove("email_verified");
        assert_eq!(rejection(&unstated).await, OidcError::EmailNotVerified);
    }

    #[tokio::test]
    async fn a_missing_or_malformed_header_is_rejected_without_fetching_keys() {
        let server = KeyServer::serving().await;
        let verifier = verifier(&server.url);
        let token = bearer(&claims());
        let jwt = token.trim_start_matches("Bearer ");
        let no_kid = jsonwebtoken::encode(
            &Header::new(Algorithm::RS256),
            &claims(),
            &EncodingKey::from_rsa_pem(SIGNER_PEM.as_bytes()).unwrap(),
        )
        .unwrap();

        assert_eq!(verifier.verify(None).await, Err(OidcError::Missing));
        for header in [
            "",
            "Bearer",
            "Bearer   ",
            jwt,
            &format!("Basic {jwt}"),
            "Bearer not-a-jwt",
            "Bearer a.b.c",
            &format!("Bearer {jwt}.extra"),
            &format!("Bearer {no_kid}"),
        ] {
            assert_eq!(
                verifier.verify(Some(header)).await,
                Err(OidcError::Malformed),
                "{header:?}"
            );
        }
        assert_eq!(server.hits(), 0);
    }

    #[tokio::test]
    async fn tokens_not_signed_with_rs256_are_rejected_without_fetching_keys() {
        let server = KeyServer::serving().await;
        let verifier = verifier(&server.url);
        let hs256 = jsonwebtoken::encode(
            &Header {
                kid: Some(KID.to_owned()),
                ..Header::new(Algorithm::HS256)
            },
            &claims(),
            &EncodingKey::from_secret(SIGNER_JWK.as_bytes()),
        )
        .unwrap();
        let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
        let none_header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{KID}"}}"#));
        let unsigned = format!("{none_header}.{payload}.");

        for token in [hs256, unsigned] {
            assert_eq!(
                verifier.verify(Some(&format!("Bearer {token}"))).await,
                Err(OidcError::UnsupportedAlgorithm)
            );
        }
        assert_eq!(server.hits(), 0);
    }

    #[tokio::test]
    async fn the_key_set_is_fetched_once_and_kept_for_its_max_age() {
        let server = KeyServer::serving().await;
        let verifier = verifier(&server.url);
        let token = bearer(&claims());
        let start = Instant::now();

        verifier.verify_at(Some(&token), start).await.unwrap();
        verifier.verify(Some(&token)).await.unwrap();
        let almost_stale = start + Duration::from_secs(MAX_AGE - 1);
        verifier
            .verify_at(Some(&token), almost_stale)
            .await
            .unwrap();
        assert_eq!(server.hits(), 1);

        let stale = start + Duration::from_secs(MAX_AGE + 1);
        verifier.verify_at(Some(&token), stale).await.unwrap();
        assert_eq!(server.hits(), 2);
    }

    #[tokio::test]
    async fn clones_share_the_key_cache() {
        let server = KeyServer::serving().await;
        let verifier = verifier(&server.url);
        let token = bearer(&claims());

        verifier.verify(Some(&token)).await.unwrap();
        verifier.clone().verify(Some(&token)).await.unwrap();

        assert_eq!(server.hits(), 1);
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let server = KeyServer::start(StatusCode::OK, Duration::from_millis(100)).await;
        let verifier = verifier(&server.url);
        let token = bearer(&claims());

        let mut callers = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (verifier, token) = (verifier.clone(), token.clone());
            callers.spawn(async move { verifier.verify(Some(&token)).await });
        }
        while let Some(result) = callers.join_next().await {
            assert!(result.unwrap().is_ok());
        }

        assert_eq!(server.hits(), 1);
    }

    #[tokio::test]
    async fn an_unknown_kid_refetches_at_most_once_per_cooldown() {
        let server = KeyServer::serving().await;
        let verifier = verifier(&server.url);
        let valid = bearer(&claims());
        let rotated = signed(SIGNER_PEM, "not-yet-published", &claims());
        let start = Instant::now();
        verifier.verify_at(Some(&valid), start).await.unwrap();

        let just_fetched = verifier.verify_at(Some(&rotated), start).await;
        assert_eq!(
            (just_fetched, server.hits()),
            (Err(OidcError::UnknownKey), 1)
        );

        let first = start + REFETCH_COOLDOWN + Duration::from_secs(1);
        let refetched = verifier.verify_at(Some(&rotated), first).await;
        assert_eq!((refetched, server.hits()), (Err(OidcError::UnknownKey), 2));

        let within = first + REFETCH_COOLDOWN.saturating_sub(Duration::from_secs(1));
        for _ in 0..5 {
            let again = verifier.verify_at(Some(&rotated), within).await;
            assert_eq!(again, Err(OidcError::UnknownKey));
        }
        verifier.verify_at(Some(&valid), within).await.unwrap();
        assert_eq!(server.hits(), 2);

        let after = first + REFETCH_COOLDOWN + Duration::from_secs(1);
        let later = verifier.verify_at(Some(&rotated), after).await;
        assert_eq!((later, server.hits()), (Err(OidcError::UnknownKey), 3));
    }

    #[tokio::test]
    async fn an_unreachable_key_server_makes_keys_unavailable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/certs", listener.local_addr().unwrap());
        drop(listener);

        let error = verifier(&url)
            .verify(Some(&bearer(&claims())))
            .await
            .unwrap_err();

        assert!(matches!(error, OidcError::KeysUnavailable(_)), "{error:?}");
        assert!(error.is_unavailable());
    }

    #[tokio::test]
    async fn a_failing_key_server_is_retried_only_after_a_pause() {
        let server = KeyServer::start(StatusCode::INTERNAL_SERVER_ERROR, Duration::ZERO).await;
        let verifier = verifier(&server.url);
        let token = bearer(&claims());
        let start = Instant::now();

        let first = verifier.verify_at(Some(&token), start).await.unwrap_err();
        let second = verifier.verify_at(Some(&token), start).await.unwrap_err();
        assert!(first.is_unavailable() && second.is_unavailable());
        assert_eq!(server.hits(), 1);

        let later = start + RETRY_AFTER_FAILURE + Duration::from_secs(1);
        let third = verifier.verify_at(Some(&token), later).await.unwrap_err();
        assert!(third.is_unavailable());
        assert_eq!(server.hits(), 2);
    }

    #[test]
    fn only_keys_unavailable_is_our_fault() {
        assert!(OidcError::KeysUnavailable("down".into()).is_unavailable());
        for error in [
            OidcError::Missing,
            OidcError::Malformed,
            OidcError::UnsupportedAlgorithm,
            OidcError::UnknownKey,
            OidcError::BadSignature,
            OidcError::Expired,
            OidcError::WrongIssuer,
            OidcError::WrongAudience,
            OidcError::EmailNotAllowed,
            OidcError::EmailNotVerified,
        ] {
            assert!(!error.is_unavailable(), "{error}");
        }
    }

    #[test]
    fn the_cache_lifetime_is_the_max_age_or_an_hour() {
        let lifetime = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CACHE_CONTROL, value.parse().unwrap());
            cache_lifetime(&headers)
        };

        assert_eq!(
            lifetime("public, max-age=20439, must-revalidate, no-transform"),
            Duration::from_secs(20439)
        );
        assert_eq!(lifetime("Max-Age=30"), Duration::from_secs(30));
        assert_eq!(lifetime("no-cache"), FALLBACK_MAX_AGE);
        assert_eq!(lifetime("max-age=soon"), FALLBACK_MAX_AGE);
        assert_eq!(cache_lifetime(&HeaderMap::new()), FALLBACK_MAX_AGE);
    }

    #[test]
    fn only_rsa_signing_keys_are_kept() {
        let jwks: Jwks = serde_json::from_value(json!({ "keys": [
            serde_json::from_str::<Value>(SIGNER_JWK).unwrap(),
            { "kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA" },
            { "kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB" },
            { "kty": "RSA", "kid": "ps", "alg": "PS256", "n": "AQAB", "e": "AQAB" },
            { "kty": "RSA", "n": "AQAB", "e": "AQAB" },
        ]}))
        .unwrap();

        let kept: Vec<String> = jwks
            .keys
            .into_iter()
            .filter_map(JwkEntry::into_rs256_key)
            .map(|(kid, _)| kid)
            .collect();

        assert_eq!(kept, [KID]);
    }
}
