//! The HTTP API driven through `app(state)` with no socket: every route, every error answer,
//! tenants, keys, limits, idempotency, waits, dry runs and the published OpenAPI document.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use factory_shared::clock::SystemClock;
use factory_shared::content::Kind;
use factory_shared::http::keys::create_key;
use factory_shared::http::{AppState, Function, app, openapi};
use serde_json::{Value, json};

use crate::extractive::EXAMPLES;
use crate::support::{Answer, send, started_factory};

struct Api {
    state: AppState,
    _dir: tempfile::TempDir,
}

async fn api(extra: &[(&str, &str)]) -> Api {
    let (factory, dir) = started_factory(extra).await;
    Api {
        state: AppState::new(factory),
        _dir: dir,
    }
}

impl Api {
    fn router(&self, function: Function) -> Router {
        app(self.state.clone(), function)
    }

    async fn key(&self, tenant: &str, rate: u32, daily: Option<u32>) -> String {
        let store = self.state.factory.pipeline.ports.store.as_ref();
        create_key(store, &SystemClock, tenant, rate, daily)
            .await
            .unwrap()
            .secret
    }

    async fn call(
        &self,
        function: Function,
        method: Method,
        uri: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(key) = key {
            request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let body = match body {
            Some(body) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&body).unwrap())
            }
            None => Body::empty(),
        };
        self.send(function, request.body(body).unwrap()).await
    }

    async fn send(&self, function: Function, request: Request<Body>) -> Answer {
        send(self.router(function), request).await
    }

    async fn local(
        &self,
        method: Method,
        uri: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.call(Function::Local, method, uri, key, body).await
    }
}

fn text(n: usize) -> String {
    std::fs::read_to_string(EXAMPLES[n]).unwrap()
}

fn request(n: usize) -> Value {
    json!({"source": {"text": text(n)}})
}

fn assert_security_headers(answer: &Answer) {
    assert_eq!(answer.header("x-content-type-options"), "nosniff");
    assert_eq!(answer.header("x-frame-options"), "DENY");
    assert_eq!(answer.header("referrer-policy"), "no-referrer");
    assert!(
        answer
            .header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert!(!answer.header("x-request-id").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_is_accepted_followed_and_downloaded() {
    let api = api(&[]).await;
    let key = api.key("school", 1000, None).await;
    let accepted = api
        .local(Method::POST, "/v1/bundles", Some(&key), Some(request(2)))
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED);
    assert_security_headers(&accepted);
    let id = accepted.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(accepted.header("location"), format!("/v1/jobs/{id}"));

    let mut job = Value::Null;
    for _ in 0..200 {
        job = api
            .call(
                Function::JobStatus,
                Method::GET,
                &format!("/v1/jobs/{id}"),
                Some(&key),
                None,
            )
            .await
            .json();
        if job["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let kinds = Kind::ALL.len();
    // Renderings and exports of every kind, and the coverage matrix (JSON and Markdown).
    let files: usize = Kind::ALL
        .iter()
        .map(|k| 3 + k.exports().len())
        .sum::<usize>()
        + 2;
    assert_eq!(job["progress"], json!({"done": kinds, "total": kinds}));
    let artifacts = job["artifacts"].as_array().unwrap();
    assert_eq!(
        artifacts.len(),
        files,
        "renderings and exports of every kind"
    );
    for artifact in artifacts {
        let href = artifact["href"].as_str().unwrap();
        let file = api.local(Method::GET, href, Some(&key), None).await;
        assert_eq!(file.status, StatusCode::OK, "{href}");
        assert_eq!(file.body.len() as u64, artifact["bytes"].as_u64().unwrap());
        assert_security_headers(&file);
    }
    let manifest = api
        .local(
            Method::GET,
            job["links"]["manifest"].as_str().unwrap(),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(
        manifest.json()["artifacts"].as_array().unwrap().len(),
        files
    );
    let bundle = api
        .local(
            Method::GET,
            job["links"]["bundle"].as_str().unwrap(),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(bundle.status, StatusCode::OK);
    assert_eq!(bundle.header("content-type"), "application/zip");
    assert_eq!(
        bundle.header("content-disposition"),
        "attachment; filename=\"bundle.zip\""
    );
    assert_eq!(&bundle.body[..2], b"PK");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_holds_the_answer_until_the_job_ends() {
    let api = api(&[]).await;
    let key = api.key("school", 1000, None).await;
    let done = api
        .call(
            Function::Kind(factory_shared::content::Kind::Faq),
            Method::POST,
            "/v1/faq?wait=30",
            Some(&key),
            Some(request(2)),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK);
    let job = done.json();
    assert_eq!(job["status"], "succeeded");
    let kinds: Vec<&str> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["outline", "faq"]);
    let too_long = api
        .local(
            Method::POST,
            "/v1/faq?wait=61",
            Some(&key),
            Some(request(2)),
        )
        .await;
    assert_eq!(
        too_long.problem(StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["path"],
        "?wait"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_plans_without_creating_and_sees_the_cache() {
    let api = api(&[]).await;
    let key = api.key("school", 1000, None).await;
    let plan = api
        .local(
            Method::POST,
            "/v1/bundles?dry_run=true",
            Some(&key),
            Some(request(2)),
        )
        .await;
    assert_eq!(plan.status, StatusCode::OK);
    let steps = plan.json()["steps"].as_array().unwrap().clone();
    assert_eq!(steps.len(), Kind::ALL.len());
    assert!(steps.iter().all(|s| s["cache_hit"] == false));
    let listed = api
        .local(Method::GET, "/v1/jobs", Some(&key), None)
        .await
        .json();
    assert!(
        listed["jobs"].as_array().unwrap().is_empty(),
        "a dry run creates no job"
    );

    api.local(
        Method::POST,
        "/v1/bundles?wait=30",
        Some(&key),
        Some(request(2)),
    )
    .await;
    let again = api
        .local(
            Method::POST,
            "/v1/bundles?dry_run=true",
            Some(&key),
            Some(request(2)),
        )
        .await
        .json();
    assert!(
        again["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["cache_hit"] == true),
        "{again:#}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_returns_the_same_job_and_refuses_a_different_body() {
    let api = api(&[]).await;
    let key = api.key("school", 1000, None).await;
    let post = |body: Value| {
        Request::builder()
            .method(Method::POST)
            .uri("/v1/faq")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", "lesson-7")
            .body(Body::from(serde_json::to_vec(&body).unwrap()))
            .unwrap()
    };
    let first = api.send(Function::Local, post(request(2))).await;
    let second = api.send(Function::Local, post(request(2))).await;
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert_eq!(second.header("idempotent-replayed"), "true");
    let other = api.send(Function::Local, post(request(1))).await;
    other.problem(StatusCode::CONFLICT);
    // The same key and body sent to another kind is another request.
    let elsewhere = Request::builder()
        .method(Method::POST)
        .uri("/v1/flashcards")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", "lesson-7")
        .body(Body::from(serde_json::to_vec(&request(2)).unwrap()))
        .unwrap();
    api.send(Function::Local, elsewhere)
        .await
        .problem(StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_never_see_each_others_jobs() {
    let api = api(&[]).await;
    let a = api.key("alpha", 1000, None).await;
    let b = api.key("beta", 1000, None).await;
    let job = api
        .local(Method::POST, "/v1/faq?wait=30", Some(&a), Some(request(2)))
        .await
        .json();
    let id = job["id"].as_str().unwrap();
    for (method, uri) in [
        (Method::GET, format!("/v1/jobs/{id}")),
        (Method::DELETE, format!("/v1/jobs/{id}")),
        (Method::GET, format!("/v1/jobs/{id}/artifacts/faq.json")),
    ] {
        api.local(method, &uri, Some(&b), None)
            .await
            .problem(StatusCode::NOT_FOUND);
    }
    assert!(
        api.local(Method::GET, "/v1/jobs", Some(&b), None)
            .await
            .json()["jobs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        api.local(Method::GET, "/v1/jobs", Some(&a), None)
            .await
            .json()["jobs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_pages_newest_first_and_filters_by_status() {
    let api = api(&[]).await;
    let key = api.key("school", 1000, None).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            api.local(
                Method::POST,
                "/v1/faq?wait=30",
                Some(&key),
                Some(request(2)),
            )
            .await
            .json()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let page = api
        .local(Method::GET, "/v1/jobs?limit=2", Some(&key), None)
        .await
        .json();
    let first: Vec<&str> = page["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(first, [ids[2].as_str(), ids[1].as_str()]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = api
        .local(
            Method::GET,
            &format!("/v1/jobs?limit=2&cursor={cursor}"),
            Some(&key),
            None,
        )
        .await
        .json();
    assert_eq!(rest["jobs"][0]["id"], ids[0].as_str());
    assert!(rest["next_cursor"].is_null());
    let failed = api
        .local(Method::GET, "/v1/jobs?status=failed", Some(&key), None)
        .await
        .json();
    assert!(failed["jobs"].as_array().unwrap().is_empty());
    api.local(Method::GET, "/v1/jobs?status=bogus", Some(&key), None)
        .await
        .problem(StatusCode::BAD_REQUEST);
    api.local(Method::GET, "/v1/jobs?limit=0", Some(&key), None)
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_running_job_stops_it() {
    let api = api(&[
        ("FACTORY_ENGINE_DELAY_MS", "1000"),
        ("FACTORY_CONCURRENCY", "1"),
    ])
    .await;
    let key = api.key("school", 1000, None).await;
    let id = api
        .local(Method::POST, "/v1/bundles", Some(&key), Some(request(2)))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancelled = api
        .local(Method::DELETE, &format!("/v1/jobs/{id}"), Some(&key), None)
        .await;
    assert_eq!(cancelled.status, StatusCode::OK);
    let job = cancelled.json();
    assert_eq!(job["status"], "cancelled");
    assert!(
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "cancelled" || s["status"] == "succeeded")
    );
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let later = api
        .local(Method::GET, &format!("/v1/jobs/{id}"), Some(&key), None)
        .await
        .json();
    assert_eq!(later["status"], "cancelled", "nothing runs after a cancel");
    assert_eq!(
        later["steps"], job["steps"],
        "no step changed after the cancel"
    );
    assert_eq!(
        later["artifacts"], job["artifacts"],
        "the step running at the cancel stored nothing"
    );
    let dir = api
        .state
        .factory
        .pipeline
        .ports
        .objects
        .list(&format!("jobs/{id}/"))
        .await
        .unwrap();
    assert!(
        dir.is_empty(),
        "no file was written for the cancelled job: {dir:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_problems_with_field_paths() {
    let api = api(&[("FACTORY_BODY_LIMIT_BYTES", "4096")]).await;
    let key = api.key("school", 1000, None).await;
    let post = |body: Value| api.local(Method::POST, "/v1/faq", Some(&key), Some(body));
    let short = json!({"source": {"text": "Too short."}});
    let unknown = json!({"source": {"text": "x"}, "options": {"levle": "beginner"}});
    let speakers = json!({"source": {"text": "word ".repeat(100)}, "options": {"speakers": 9, "counts": {"faq": 99}}});
    let both = json!({"source": {"text": "a", "topic": "b"}});
    let topic = json!({"source": {"topic": "photosynthesis"}});
    for (body, paths) in [
        (short, vec!["/source/text"]),
        (unknown, vec!["/options/levle"]),
        (speakers, vec!["/options/speakers", "/options/counts/faq"]),
        (both, vec!["/source"]),
        (topic, vec!["/source/topic"]),
    ] {
        let problem = post(body).await.problem(StatusCode::UNPROCESSABLE_ENTITY);
        let got: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        assert_eq!(got, paths);
    }
    post(json!({"source": {"text": "x".repeat(5000)}}))
        .await
        .problem(StatusCode::PAYLOAD_TOO_LARGE);
    let plain = Request::builder()
        .method(Method::POST)
        .uri("/v1/faq")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from("hello"))
        .unwrap();
    api.send(Function::Local, plain)
        .await
        .problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let broken = Request::builder()
        .method(Method::POST)
        .uri("/v1/faq")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"source\": "))
        .unwrap();
    api.send(Function::Local, broken)
        .await
        .problem(StatusCode::BAD_REQUEST);
    api.local(Method::GET, "/v1/nothing-here", Some(&key), None)
        .await
        .problem(StatusCode::NOT_FOUND);
    api.local(Method::PUT, "/v1/jobs", Some(&key), None)
        .await
        .problem(StatusCode::METHOD_NOT_ALLOWED);
    api.local(Method::GET, "/v1/jobs/not-an-id", Some(&key), None)
        .await
        .problem(StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_required_and_limited() {
    let api = api(&[]).await;
    let missing = api.local(Method::GET, "/v1/jobs", None, None).await;
    missing.problem(StatusCode::UNAUTHORIZED);
    assert_eq!(missing.header("www-authenticate"), "Bearer");
    api.local(Method::GET, "/v1/jobs", Some("acf_wrong"), None)
        .await
        .problem(StatusCode::UNAUTHORIZED);

    let slow = api.key("school", 2, None).await;
    for _ in 0..2 {
        assert_eq!(
            api.local(Method::GET, "/v1/jobs", Some(&slow), None)
                .await
                .status,
            StatusCode::OK
        );
    }
    let limited = api.local(Method::GET, "/v1/jobs", Some(&slow), None).await;
    limited.problem(StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.header("retry-after").parse().unwrap();
    assert!(
        (1..=30).contains(&retry),
        "a 2/min bucket refills a token within 30 s: {retry}"
    );

    let header_key = api.key("school", 100, Some(1)).await;
    let with_header = |body: Value| {
        Request::builder()
            .method(Method::POST)
            .uri("/v1/faq")
            .header("x-api-key", &header_key)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::to_vec(&body).unwrap()))
            .unwrap()
    };
    assert_eq!(
        api.send(Function::Local, with_header(request(2)))
            .await
            .status,
        StatusCode::ACCEPTED
    );
    let over = api.send(Function::Local, with_header(request(1))).await;
    over.problem(StatusCode::TOO_MANY_REQUESTS);
    assert!(over.header("retry-after").parse::<u64>().unwrap() <= 86_400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_serves_only_its_own_routes() {
    let api = api(&[]).await;
    let key = api.key("school", 1000, None).await;
    let faq = Function::Kind(factory_shared::content::Kind::Faq);
    api.call(
        faq,
        Method::POST,
        "/v1/flashcards",
        Some(&key),
        Some(request(2)),
    )
    .await
    .problem(StatusCode::NOT_FOUND);
    api.call(
        Function::JobStatus,
        Method::POST,
        "/v1/bundles",
        Some(&key),
        Some(request(2)),
    )
    .await
    .problem(StatusCode::NOT_FOUND);
    // The local server never mounts internal routes; functions keep them closed by default.
    let step = json!({"job_id": "01m8e7xxgbwt76w6fyt7xjgjbe", "step": "faq"});
    api.local(Method::POST, "/internal/steps", None, Some(step.clone()))
        .await
        .problem(StatusCode::NOT_FOUND);
    api.call(faq, Method::POST, "/internal/steps", None, Some(step))
        .await
        .problem(StatusCode::FORBIDDEN);
    for function in [
        faq,
        Function::Bundle,
        Function::JobStatus,
        Function::PostProcess,
        Function::Maintenance,
        Function::Local,
    ] {
        let health = api
            .call(function, Method::GET, "/healthz", None, None)
            .await;
        assert_eq!(health.status, StatusCode::OK);
        assert_security_headers(&health);
        assert_eq!(
            api.call(function, Method::GET, "/readyz", None, None)
                .await
                .status,
            StatusCode::OK
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_routes_run_steps_and_sweeps_when_opened() {
    let api = api(&[("FACTORY_INTERNAL_AUTH", "off")]).await;
    let faq = Function::Kind(factory_shared::content::Kind::Faq);
    let unknown = json!({"job_id": "01m8e7xxgbwt76w6fyt7xjgjbe", "step": "faq"});
    assert_eq!(
        api.call(
            faq,
            Method::POST,
            "/internal/steps",
            None,
            Some(unknown.clone())
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    // The same step as Pub/Sub pushes it.
    let push = |step: serde_json::Value| {
        use base64::Engine as _;
        json!({
            "message": {
                "data": base64::engine::general_purpose::STANDARD.encode(step.to_string()),
                "attributes": {"kind": step["step"]},
                "messageId": "1",
                "publishTime": "2026-11-27T12:00:00Z"
            },
            "subscription": "projects/p/subscriptions/faq-steps",
            "deliveryAttempt": 1
        })
    };
    assert_eq!(
        api.call(
            faq,
            Method::POST,
            "/internal/steps",
            None,
            Some(push(unknown))
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    // A step of another kind: acknowledged when pushed (subscriptions may not filter),
    // refused with the field at fault when called directly.
    let other = json!({"job_id": "01m8e7xxgbwt76w6fyt7xjgjbe", "step": "flashcards"});
    assert_eq!(
        api.call(
            faq,
            Method::POST,
            "/internal/steps",
            None,
            Some(push(other.clone()))
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    let refused = api
        .call(faq, Method::POST, "/internal/steps", None, Some(other))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["errors"][0]["path"], "/step");
    let garbled = json!({"message": {"data": "%%%"}});
    api.call(faq, Method::POST, "/internal/steps", None, Some(garbled))
        .await
        .problem(StatusCode::UNPROCESSABLE_ENTITY);
    let sweep = api
        .call(
            Function::Maintenance,
            Method::POST,
            "/internal/maintenance",
            None,
            None,
        )
        .await;
    assert_eq!(sweep.status, StatusCode::OK);
    assert_eq!(sweep.json()["jobs_checked"], 0);
    let event = json!({"name": "sources/abc.txt", "bucket": "b"});
    assert_eq!(
        api.call(
            Function::PostProcess,
            Method::POST,
            "/internal/events/storage",
            None,
            Some(event)
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_only_the_configured_origins() {
    let api = api(&[("FACTORY_CORS_ORIGINS", "https://lms.example.edu")]).await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/v1/jobs")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "GET")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = api
        .send(Function::Local, preflight("https://lms.example.edu"))
        .await;
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        "https://lms.example.edu"
    );
    let refused = api
        .send(Function::Local, preflight("https://evil.example"))
        .await;
    assert_eq!(refused.header("access-control-allow-origin"), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_published_openapi_document_is_the_served_one() {
    let api = api(&[]).await;
    let served = api.local(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(served.status, StatusCode::OK);
    let document = openapi::document();
    assert_eq!(String::from_utf8(served.body).unwrap(), document);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &document).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap_or_default(),
        document,
        "docs/openapi.json is stale: run the tests with UPDATE_OPENAPI=1"
    );
    let spec: Value = serde_json::from_str(&document).unwrap();
    for path in [
        "/v1/{kind}",
        "/v1/bundles",
        "/v1/jobs",
        "/v1/jobs/{id}",
        "/v1/jobs/{id}/artifacts/{name}",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} is documented");
    }
}

/// Every `{…}` object of a JSON document, with its JSON Pointer.
fn objects<'a>(
    value: &'a Value,
    at: &str,
    found: &mut Vec<(String, &'a serde_json::Map<String, Value>)>,
) {
    match value {
        Value::Object(map) => {
            found.push((at.to_owned(), map));
            for (key, item) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                objects(item, &format!("{at}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                objects(item, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn the_openapi_document_is_written_for_client_generators() {
    let spec: Value = serde_json::from_str(&openapi::document()).unwrap();
    let mut found = Vec::new();
    objects(&spec, "", &mut found);
    assert!(found.len() > 100, "the walk reached the whole document");

    // ADR 0012: a default sits beside its `$ref`, never beside a one-element `oneOf`.
    for (at, map) in &found {
        let lone_one_of = map
            .get("oneOf")
            .and_then(Value::as_array)
            .is_some_and(|items| items.len() == 1);
        assert!(!lone_one_of, "{at} is a one-element oneOf");
    }
    let options = &spec["components"]["schemas"]["Options"]["properties"];
    assert_eq!(options["level"]["$ref"], "#/components/schemas/Level");
    assert_eq!(options["level"]["default"], "intermediate");
    assert_eq!(options["counts"]["$ref"], "#/components/schemas/Counts");
    assert!(
        options["counts"].get("default").is_none(),
        "no object default"
    );

    // Schemas are named for the domain, not for Rust containers.
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let containers = ["BTreeMap", "HashMap", "IndexMap", "Vec", "Option", "Box"];
    for name in schemas.keys() {
        let rust = containers
            .iter()
            .any(|c| name.starts_with(c) && !name[c.len()..].starts_with(char::is_lowercase));
        assert!(
            !rust && !name.contains('<'),
            "the schema {name} is named for Rust"
        );
    }
    assert_eq!(
        schemas["Counts"]["propertyNames"]["enum"],
        json!(Kind::ALL.iter().map(|k| k.slug()).collect::<Vec<_>>())
    );

    // Every operation has an id, every answer a description, every body an example.
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            assert!(
                operation["operationId"]
                    .as_str()
                    .is_some_and(|id| !id.is_empty()),
                "{method} {path} has an operationId"
            );
            for (status, answer) in operation["responses"].as_object().unwrap() {
                assert!(
                    answer["description"]
                        .as_str()
                        .is_some_and(|d| !d.is_empty()),
                    "{method} {path} describes its {status}"
                );
            }
            if let Some(body) = operation.get("requestBody") {
                assert!(
                    body["content"]["application/json"]["example"]["source"]["text"]
                        .as_str()
                        .is_some_and(|text| text.chars().count() >= 200),
                    "{method} {path} has an example body that the server accepts"
                );
            }
        }
    }
    assert!(operations >= 6, "every public operation was checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_sums_the_tenants_own_jobs_per_day_and_refuses_a_bad_period() {
    let fake = factory_testkit::model_server::FakeModelServer::start(
        &text(2),
        factory_shared::content::Options::default(),
        std::time::Duration::ZERO,
    )
    .await;
    let model = format!("openai:gpt-4o-mini@{}/v1", fake.base_url());
    let api = api(&[("FACTORY_MODEL", &model), ("OPENAI_API_KEY", "sk-x")]).await;
    let (mine, theirs) = (
        api.key("school", 1000, None).await,
        api.key("other", 1000, None).await,
    );
    let mut expected = (0, 0u64, 0.0f64);
    for kind in ["faq", "flashcards"] {
        let done = api
            .local(
                Method::POST,
                &format!("/v1/{kind}?wait=30"),
                Some(&mine),
                Some(request(2)),
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{:?}", done.json());
        let job = done.json();
        expected.0 += 1;
        expected.1 += job["usage"]["input_tokens"].as_u64().unwrap();
        expected.2 += job["usage"]["cost_usd"].as_f64().unwrap();
    }
    let other = api
        .local(
            Method::POST,
            "/v1/faq?wait=30",
            Some(&theirs),
            Some(request(2)),
        )
        .await;
    assert_eq!(other.status, StatusCode::OK);

    let report = api
        .local(Method::GET, "/v1/usage?days=7", Some(&mine), None)
        .await;
    assert_eq!(report.status, StatusCode::OK);
    let report = report.json();
    let today = factory_shared::clock::Clock::now(&SystemClock).utc_day();
    assert_eq!(report["days"].as_array().unwrap().len(), 1, "{report:#}");
    assert_eq!(report["days"][0]["day"], today.as_str());
    assert_eq!(
        report["total"]["jobs"], expected.0,
        "the other tenant's job is not counted"
    );
    assert_eq!(report["total"]["usage"]["input_tokens"], expected.1);
    assert!(expected.1 > 0);
    let cost = report["total"]["usage"]["cost_usd"].as_f64().unwrap();
    assert!((cost - expected.2).abs() < 1e-9 && cost > 0.0, "{report:#}");
    assert_eq!(report["truncated"], false);
    assert!(report["total"].get("day").is_none());

    for bad in ["0", "367", "x"] {
        let refused = api
            .local(
                Method::GET,
                &format!("/v1/usage?days={bad}"),
                Some(&mine),
                None,
            )
            .await;
        assert!(
            matches!(refused.status.as_u16(), 400 | 422),
            "days={bad}: {}",
            refused.status
        );
    }
}
