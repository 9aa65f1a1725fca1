//! `factory generate` with `FACTORY_MODEL=vertex:…`, exactly as on Cloud Run: the access
//! token comes from the metadata server (a local one here, through `GCE_METADATA_HOST`) via
//! Application Default Credentials, and the calls go to a local server that speaks Vertex AI's
//! `generateContent`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use factory_shared::content::{Kind, Options};
use factory_testkit::model_server::{FakeModelServer, Protocol};

use super::{example, factory, kinds, run, text};

const TOKEN: &str = "ya29.metadata-server-token";

/// A local metadata server that hands out an access token and counts how often it is asked.
async fn metadata_server(hits: Arc<AtomicUsize>) -> String {
    let router = Router::new().route(
        "/computeMetadata/v1/instance/service-accounts/default/token",
        get(move |headers: axum::http::HeaderMap| {
            let hits = hits.clone();
            async move {
                assert_eq!(headers["metadata-flavor"], "Google");
                hits.fetch_add(1, Ordering::SeqCst);
                axum::Json(serde_json::json!({
                    "access_token": TOKEN,
                    "expires_in": 3599,
                    "token_type": "Bearer"
                }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

#[test]
fn generate_writes_every_kind_through_vertex_ai_with_a_metadata_server_token() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let source = std::fs::read_to_string(example("chapter-roman-republic.md")).unwrap();
    let fake = runtime.block_on(FakeModelServer::start(
        &source,
        Options::default(),
        Duration::ZERO,
    ));
    let hits = Arc::new(AtomicUsize::new(0));
    let metadata = runtime.block_on(metadata_server(hits.clone()));

    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let result = run(factory(home.path())
        .env("FACTORY_MODEL", "vertex:gemini-2.5-flash")
        .env("GOOGLE_CLOUD_PROJECT", "course-team")
        .env("FACTORY_VERTEX_LOCATION", "europe-west4")
        .env("FACTORY_VERTEX_BASE_URL", fake.base_url())
        .env("GCE_METADATA_HOST", &metadata)
        // No local ADC file or key: the metadata server is the only source of credentials.
        .env("HOME", home.path())
        .env_remove("GOOGLE_APPLICATION_CREDENTIALS")
        .env_remove("CLOUDSDK_CONFIG")
        .arg("generate")
        .arg(example("chapter-roman-republic.md"))
        .arg("--out")
        .arg(&out));
    assert!(
        result.status.success(),
        "{}\n{}",
        text(&result.stdout),
        text(&result.stderr)
    );
    for kind in kinds() {
        let artifact: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join(format!("{kind}.json"))).unwrap())
                .unwrap();
        assert_eq!(artifact["meta"]["engine"], "vertex:gemini-2.5-flash");
        assert_eq!(
            artifact["meta"]["engine_version"],
            factory_shared::model::prompts::VERSION
        );
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), Kind::ALL.len(), "one call per kind");
    for request in &requests {
        assert_eq!(request.protocol, Protocol::VertexAi);
        assert!(
            request
                .path
                .starts_with("/v1/projects/course-team/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent"),
            "{}",
            request.path
        );
        assert_eq!(request.headers["authorization"], format!("Bearer {TOKEN}"));
    }
    assert!(
        hits.load(Ordering::SeqCst) >= 1,
        "the token came from the metadata server"
    );
    assert!(
        hits.load(Ordering::SeqCst) < 8,
        "the token is cached, not fetched per call"
    );
}
