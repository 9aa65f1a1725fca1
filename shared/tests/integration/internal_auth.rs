//! The `/internal/*` routes of the deployed functions behind `FACTORY_INTERNAL_AUTH=oidc`,
//! driven through `app(state)`: RS256 tokens minted from the test keys in
//! `tests/fixtures/oidc/`, the key set served by a local HTTP server in Google's JWKS format.
//! A refused call must leave the work untouched, so every refusal is checked against a probe
//! job that either route would change if it ran.

use axum::Router;
use axum::body::Body;
use axum::http::header::CACHE_CONTROL;
use axum::http::{Method, Request, StatusCode, header};
use axum::routing::get;
use factory_shared::clock::Timestamp;
use factory_shared::content::{Kind, Options};
use factory_shared::http::{AppState, Function, app};
use factory_shared::jobs::{Job, JobId, SourceInfo, StepStatus};
use factory_shared::store::{Admission, Admitted, Versioned};
use jsonwebtoken::{Algorithm, EncodingKey, Header, get_current_timestamp};
use serde_json::{Value, json};

use crate::support::{Answer, send, started_factory};

const SIGNER_PEM: &str = include_str!("../fixtures/oidc/signer.pem");
const SIGNER_JWK: &str = include_str!("../fixtures/oidc/signer.jwk.json");
const IMPOSTOR_PEM: &str = include_str!("../fixtures/oidc/impostor.pem");
const KID: &str = "test-signer";
const AUDIENCE: &str = "https://faq-abc123-ew.a.run.app";
const PUSHER: &str = "pubsub-push@factory.iam.gserviceaccount.com";
const FAQ: Function = Function::Kind(Kind::Faq);

/// A local stand-in for `https://www.googleapis.com/oauth2/v3/certs`.
async fn key_server() -> String {
    let jwks = format!(r#"{{"keys":[{SIGNER_JWK}]}}"#);
    let router = Router::new().route(
        "/certs",
        get(move || {
            let jwks = jwks.clone();
            async move {
                (
                    [
                        (CACHE_CONTROL, "public, max-age=600"),
                        (header::CONTENT_TYPE, "application/json"),
                    ],
                    jwks,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/certs", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// A URL where nothing listens: the port was free a moment ago and is closed again.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/certs", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// The claims Pub/Sub push puts in its tokens, valid for the next hour.
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

fn claims_with(changes: &Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().unwrap() {
        claims[name] = value.clone();
    }
    claims
}

/// An `Authorization` header value carrying `claims` signed RS256 by `pem` under our kid.
fn bearer_signed_by(pem: &str, claims: &Value) -> String {
    let header = Header {
        kid: Some(KID.to_owned()),
        ..Header::new(Algorithm::RS256)
    };
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
    format!(
        "Bearer {}",
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    )
}

fn bearer(claims: &Value) -> String {
    bearer_signed_by(SIGNER_PEM, claims)
}

/// A function's state on embedded adapters, with one job stored whose `faq` step is ready
/// but was never dispatched: running that step, or a maintenance sweep, changes it.
struct Service {
    state: AppState,
    probe: JobId,
    _dir: tempfile::TempDir,
}

impl Service {
    async fn start(vars: &[(&str, &str)]) -> Self {
        let (factory, dir) = started_factory(vars).await;
        let state = AppState::new(factory);
        let source = SourceInfo {
            sha256: "a".repeat(64),
            chars: 500,
            name: None,
            file: None,
        };
        let mut job = Job::new(
            JobId::generate(),
            "probe".into(),
            source,
            Options::default(),
            &[Kind::Faq],
            Timestamp(1_000),
        );
        for step in &mut job.steps {
            if step.kind == Kind::Outline {
                step.status = StepStatus::Succeeded;
            }
        }
        let store = &state.factory.pipeline.ports.store;
        assert_eq!(
            store.create_job(&job, &Admission::default()).await.unwrap(),
            Admitted::Created
        );
        Self {
            state,
            probe: job.id,
            _dir: dir,
        }
    }

    /// Guarded by OIDC for [`AUDIENCE`] and [`PUSHER`], with keys from `jwks_url`.
    async fn oidc(jwks_url: &str) -> Self {
        Self::start(&[
            ("FACTORY_INTERNAL_AUTH", "oidc"),
            ("FACTORY_OIDC_AUDIENCE", AUDIENCE),
            ("FACTORY_OIDC_ALLOWED_EMAILS", PUSHER),
            ("FACTORY_OIDC_JWKS_URL", jwks_url),
        ])
        .await
    }

    async fn post(
        &self,
        function: Function,
        uri: &str,
        authorization: Option<&str>,
        body: Option<&Value>,
    ) -> Answer {
        let mut request = Request::builder().method(Method::POST).uri(uri);
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        send(
            app(self.state.clone(), function),
            request.body(body).unwrap(),
        )
        .await
    }

    async fn step(&self, job_id: &str, authorization: Option<&str>) -> Answer {
        let step = json!({"job_id": job_id, "step": "faq"});
        self.post(FAQ, "/internal/steps", authorization, Some(&step))
            .await
    }

    async fn maintenance(&self, authorization: Option<&str>) -> Answer {
        self.post(
            Function::Maintenance,
            "/internal/maintenance",
            authorization,
            None,
        )
        .await
    }

    async fn probe(&self) -> Versioned<Job> {
        let store = &self.state.factory.pipeline.ports.store;
        store.get_job(&self.probe).await.unwrap().unwrap()
    }

    /// Asserts that neither route ran: the probe job is as it was stored.
    async fn assert_probe_untouched(&self) {
        let probe = self.probe().await;
        let faq = probe.value.step(Kind::Faq).unwrap();
        assert_eq!(
            (probe.version, faq.status, faq.attempts),
            (1, StepStatus::Pending, 0),
            "a refused call changed the job: {:?}",
            probe.value
        );
    }

    /// Sends `authorization` to both guarded routes (the step names the probe job) and
    /// asserts each is refused as an invalid token whose detail says `why`, untouched.
    async fn assert_invalid_token(&self, authorization: Option<&str>, why: &str) {
        let probe = self.probe.to_string();
        for answer in [
            self.step(&probe, authorization).await,
            self.maintenance(authorization).await,
        ] {
            let problem = answer.problem(StatusCode::UNAUTHORIZED);
            // RFC 6750 §3.1: no credentials get a plain challenge, bad ones `invalid_token`.
            let challenge = answer.header("www-authenticate");
            if authorization.is_some() {
                assert!(challenge.contains("invalid_token"), "{:?}", answer.headers);
            } else {
                assert_eq!(challenge, "Bearer", "{:?}", answer.headers);
            }
            let detail = problem["detail"].as_str().unwrap();
            assert!(detail.contains(why), "{detail:?} does not say {why:?}");
            if let Some(token) = authorization.and_then(|a| a.strip_prefix("Bearer ")) {
                assert!(!detail.contains(token), "the answer quotes the token");
            }
        }
        self.assert_probe_untouched().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_from_an_allowed_caller_runs_sweeps_and_steps() {
    let service = Service::oidc(&key_server().await).await;
    let token = bearer(&claims());

    let sweep = service.maintenance(Some(&token)).await;
    assert_eq!(
        sweep.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&sweep.body)
    );
    assert_eq!(sweep.header("content-type"), "application/json");
    let report = sweep.json();
    for field in [
        "jobs_checked",
        "dispatched",
        "exhausted",
        "rerendered",
        "settled",
        "cache_expired",
        "jobs_deleted",
        "sources_deleted",
        "objects_deleted",
        "dead_letters",
    ] {
        assert!(report[field].is_u64(), "{field} in {report}");
    }
    assert_eq!(report["jobs_checked"], 1, "{report}");
    // The sweep dispatched the probe's ready step, so the probe can tell a run from none.
    assert!(service.probe().await.version > 1);

    let step = service
        .step("01m8e7xxgbwt76w6fyt7xjgjbe", Some(&token))
        .await;
    assert_eq!(
        step.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&step.body)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_token_runs_the_named_step() {
    let service = Service::oidc(&key_server().await).await;

    let answer = service
        .step(&service.probe.to_string(), Some(&bearer(&claims())))
        .await;

    assert_eq!(
        answer.status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    // The step was claimed and ran (and failed: the probe has no source object).
    let faq = service
        .probe()
        .await
        .value
        .step(Kind::Faq)
        .cloned()
        .unwrap();
    assert_eq!(
        (faq.status, faq.attempts),
        (StepStatus::Failed, 1),
        "{faq:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_without_a_token_is_refused() {
    let service = Service::oidc(&key_server().await).await;
    service
        .assert_invalid_token(None, "an identity token is required")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_audience_is_refused() {
    let service = Service::oidc(&key_server().await).await;
    let token = bearer(&claims_with(
        &json!({"aud": "https://bundle-abc123-ew.a.run.app"}),
    ));
    service
        .assert_invalid_token(Some(&token), "another audience")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_signed_by_an_impostor_under_the_published_kid_is_refused() {
    let service = Service::oidc(&key_server().await).await;
    let forged = bearer_signed_by(IMPOSTOR_PEM, &claims());
    service
        .assert_invalid_token(Some(&forged), "signature does not verify")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_refused() {
    let service = Service::oidc(&key_server().await).await;
    let now = get_current_timestamp();
    let token = bearer(&claims_with(&json!({"iat": now - 7200, "exp": now - 3600})));
    service.assert_invalid_token(Some(&token), "expired").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_a_caller_not_on_the_allow_list_is_refused() {
    let service = Service::oidc(&key_server().await).await;
    let token = bearer(&claims_with(
        &json!({"email": "intruder@elsewhere.iam.gserviceaccount.com"}),
    ));
    service
        .assert_invalid_token(Some(&token), "not an allowed caller")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_signing_keys_ask_for_a_retry() {
    let service = Service::oidc(&closed_port_url()).await;
    let token = bearer(&claims());

    let probe = service.probe.to_string();
    for answer in [
        service.step(&probe, Some(&token)).await,
        service.maintenance(Some(&token)).await,
    ] {
        let problem = answer.problem(StatusCode::SERVICE_UNAVAILABLE);
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            !detail.contains("127.0.0.1"),
            "the cause stays in the logs: {detail}"
        );
        let retry_after: u64 = answer.header("retry-after").parse().unwrap_or_else(|_| {
            panic!("no numeric Retry-After: {:?}", answer.headers);
        });
        assert!(retry_after >= 1);
        assert!(!answer.header("www-authenticate").contains("invalid_token"));
    }
    service.assert_probe_untouched().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_internal_routes_refuse_even_a_valid_token() {
    let jwks_url = key_server().await;
    // FACTORY_INTERNAL_AUTH is unset; the OIDC variables alone do not open the routes.
    let service = Service::start(&[
        ("FACTORY_OIDC_AUDIENCE", AUDIENCE),
        ("FACTORY_OIDC_ALLOWED_EMAILS", PUSHER),
        ("FACTORY_OIDC_JWKS_URL", &jwks_url),
    ])
    .await;
    let token = bearer(&claims());

    let probe = service.probe.to_string();
    for answer in [
        service.step(&probe, Some(&token)).await,
        service.maintenance(Some(&token)).await,
    ] {
        answer.problem(StatusCode::FORBIDDEN);
    }
    service.assert_probe_untouched().await;
}

impl Service {
    async fn get(&self, uri: &str, authorization: Option<&str>) -> Answer {
        let mut request = Request::builder().method(Method::GET).uri(uri);
        if let Some(authorization) = authorization {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        send(
            app(self.state.clone(), Function::Maintenance),
            request.body(Body::empty()).unwrap(),
        )
        .await
    }
}

/// The operators' key routes on the maintenance function: only an allowed identity may call
/// them; create shows the secret once, list never does; rotate, expire and revoke change
/// what the public API accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_manage_keys_through_the_maintenance_function_and_nobody_else_can() {
    let service = Service::oidc(&key_server().await).await;
    let operator = bearer(&claims());
    let outsider = bearer(&claims_with(&json!({"email": "someone@example.com"})));
    let maintenance = Function::Maintenance;
    let create = json!({"tenant": "acme", "name": "LMS", "scopes": ["read"]});

    for who in [None, Some(outsider.as_str())] {
        let refused = service
            .post(maintenance, "/internal/keys", who, Some(&create))
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{who:?}");
        assert_eq!(
            service.get("/internal/keys", who).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let store = &service.state.factory.pipeline.ports.store;
    assert_eq!(store.api_keys(None).await.unwrap(), []);

    let made = service
        .post(
            maintenance,
            "/internal/keys",
            Some(&operator),
            Some(&create),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.json());
    let made = made.json();
    let secret = made["secret"].as_str().unwrap().to_owned();
    assert_eq!(made["key"]["scopes"], json!(["read"]));
    assert_eq!(made["key"]["state"], "active");
    let prefix = made["key"]["prefix"].as_str().unwrap().to_owned();
    assert!(secret.starts_with(&prefix));

    let listed = service
        .get("/internal/keys?tenant=acme", Some(&operator))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    let text = String::from_utf8_lossy(&listed.body).into_owned();
    assert!(!text.contains(&secret), "a listing shows no secret");
    assert_eq!(listed.json()["keys"][0]["name"], "LMS");

    let rotated = service
        .post(
            maintenance,
            &format!("/internal/keys/{prefix}/rotate"),
            Some(&operator),
            Some(&json!({"grace_secs": 0})),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::CREATED);
    let rotated = rotated.json();
    assert_eq!(rotated["old"]["state"], "expired", "{rotated:#}");
    assert_eq!(rotated["new"]["key"]["scopes"], json!(["read"]));
    let new_prefix = rotated["new"]["key"]["prefix"].as_str().unwrap().to_owned();

    let revoked = service
        .post(
            maintenance,
            &format!("/internal/keys/{new_prefix}/revoke"),
            Some(&operator),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(revoked.json()["state"], "revoked");
    let states: Vec<String> = store
        .api_keys(Some("acme"))
        .await
        .unwrap()
        .iter()
        .map(|k| format!("{:?}/{:?}", k.expires_at.is_some(), k.revoked_at.is_some()))
        .collect();
    assert_eq!(states, ["true/false", "false/true"]);

    let unknown = service
        .post(
            maintenance,
            "/internal/keys/acf_nobody/revoke",
            Some(&operator),
            None,
        )
        .await;
    unknown.problem(StatusCode::NOT_FOUND);
    let bad = service
        .post(
            maintenance,
            "/internal/keys",
            Some(&operator),
            Some(&json!({"tenant": "acme", "scopes": ["write"]})),
        )
        .await;
    let problem = bad.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["path"], "/scopes", "{problem}");
}
