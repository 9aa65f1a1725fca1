//! What several test modules share: a factory started on a temporary SQLite file and folder.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use factory_shared::config::Config;
use factory_shared::runtime::Factory;

/// A factory on embedded adapters in a temporary directory, with extra configuration
/// variables; keep the directory alive as long as the factory. Podcasts get no audio unless
/// `extra` sets `FACTORY_SPEECH` (the audio tests do).
pub async fn started_factory(extra: &[(&str, &str)]) -> (Factory, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert(
        "FACTORY_STORE".into(),
        format!("sqlite:{}", dir.path().join("f.db").display()),
    );
    vars.insert(
        "FACTORY_OBJECTS".into(),
        format!("dir:{}", dir.path().join("objects").display()),
    );
    vars.insert("FACTORY_SPEECH".into(), "off".into());
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    let config = Config::from_lookup(|name| vars.get(name).cloned()).unwrap();
    (Factory::start(config).await.unwrap(), dir)
}

/// The address of an emulator from the environment `scripts/emulators` sets up. Tests of the
/// cloud adapters never skip: without the emulator they fail and say how to start it.
pub fn emulator(variable: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} is not set: run the tests through `scripts/emulators cargo test` (scripts/test does)")
    })
}

/// A Firestore project name no other test uses, so tests never see each other's documents.
pub fn fresh_project() -> String {
    format!("test-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A Firestore store on the emulator in `project`, keeping ended jobs for `retention`.
pub async fn firestore_store_in(
    project: &str,
    retention: std::time::Duration,
) -> factory_shared::store::firestore::FirestoreStore {
    emulator("FIRESTORE_EMULATOR_HOST");
    factory_shared::store::firestore::FirestoreStore::connect(project, None, retention)
        .await
        .unwrap()
}

/// A Firestore store on the emulator, in a project of its own, keeping ended jobs 30 days.
pub async fn firestore_store() -> factory_shared::store::firestore::FirestoreStore {
    firestore_store_in(&fresh_project(), std::time::Duration::from_hours(30 * 24)).await
}

/// An HTTP answer, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    /// Asserts a problem+json answer with `status`; returns its body.
    pub fn problem(&self, status: StatusCode) -> Value {
        assert_eq!(
            self.status,
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("content-type"), "application/problem+json");
        let body = self.json();
        assert_eq!(body["status"], status.as_u16());
        assert!(body["request_id"].as_str().is_some_and(|id| !id.is_empty()));
        assert_eq!(body["request_id"], self.header("x-request-id"));
        body
    }
}

/// Sends one request through `router`, with no socket, and reads the whole answer.
pub async fn send(router: Router, request: Request<Body>) -> Answer {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}
