//! A poison step on the cloud harness: every delivery fails (its job document is corrupt),
//! Pub/Sub gives up after the subscription's five attempts and forwards it to the dead-letter
//! topic, whose push subscription records it at `maintenance`; an operator lists it there,
//! fixes the cause, and retries it; the job then ends.

use std::time::{Duration, Instant};

use factory_shared::clock::{Clock, SystemClock};
use factory_shared::content::{Kind, Options};
use factory_shared::dispatch::pubsub::PubSubDispatcher;
use factory_shared::dispatch::{Dispatcher, StepTask};
use factory_shared::gcp::auth::GoogleAuth;
use factory_shared::jobs::{Job, JobId, JobStatus, SourceInfo};
use factory_shared::objects::ObjectStore;
use factory_shared::objects::gcs::GcsObjectStore;
use factory_shared::source::SourceText;
use factory_shared::store::firestore::FirestoreStore;
use factory_shared::store::{Admission, JobStore};
use serde_json::{Value, json};

use crate::SOURCE;
use crate::harness::{Cloud, Deployment, env};

/// The job document's `body` field through the emulator's REST API.
fn document_url(cloud: &Cloud, id: &JobId) -> String {
    format!(
        "http://{}/v1/projects/{}/databases/(default)/documents/jobs/{id}",
        env("FIRESTORE_EMULATOR_HOST"),
        cloud.database
    )
}

async fn set_body(http: &reqwest::Client, cloud: &Cloud, id: &JobId, body: &str) {
    let response = http
        .patch(document_url(cloud, id))
        .query(&[("updateMask.fieldPaths", "body")])
        .bearer_auth("owner")
        .json(&json!({"fields": {"body": {"stringValue": body}}}))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_step_is_dead_lettered_by_pubsub_listed_and_retried() {
    let http = reqwest::Client::new();
    let cloud = Cloud::start(&http, Deployment::default()).await;
    let store = FirestoreStore::connect(&cloud.database, None, Duration::from_hours(24))
        .await
        .unwrap();

    // A stored job and its source, as a submission leaves them…
    let source = SourceText::parse(SOURCE).unwrap();
    let info = SourceInfo {
        sha256: source.sha256(),
        chars: source.chars(),
        name: None,
        file: None,
    };
    let objects = GcsObjectStore::new(
        cloud.bucket.clone(),
        Some(cloud.storage.clone()),
        GoogleAuth::anonymous(),
    )
    .unwrap();
    objects
        .put(
            &factory_shared::layout::source(&info.sha256),
            source.into_string().into(),
            "text/plain",
        )
        .await
        .unwrap();
    let job = Job::new(
        JobId::generate(),
        "school".into(),
        info,
        Options::default(),
        &[Kind::Faq],
        SystemClock.now(),
    );
    store.create_job(&job, &Admission::default()).await.unwrap();
    let body = serde_json::to_string(&job).unwrap();

    // …but its document is corrupt, and its first step is published.
    set_body(&http, &cloud, &job.id, "{").await;
    let emulator = env("PUBSUB_EMULATOR_HOST");
    PubSubDispatcher::new(
        &cloud.project,
        &cloud.steps,
        Some(&emulator),
        GoogleAuth::anonymous(),
    )
    .dispatch(StepTask {
        job_id: job.id.clone(),
        kind: Kind::Outline,
    })
    .await
    .unwrap();

    let letters = format!("{}/internal/dead-letters", cloud.url("maintenance"));
    let deadline = Instant::now() + Duration::from_mins(2);
    let letter = loop {
        let listed: Value = http
            .get(&letters)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(letter) = listed["dead_letters"].as_array().and_then(|l| l.first()) {
            break letter.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no dead letter after 120 s:\n{}",
            cloud.all_logs()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(letter["job_id"], job.id.as_str());
    assert_eq!(letter["kind"], "outline");
    assert_eq!(letter["deliveries"], 5, "Pub/Sub's count: {letter:#}");

    // The cause is fixed; the operator retries.
    set_body(&http, &cloud, &job.id, &body).await;
    let retried: Value = http
        .post(format!(
            "{letters}/{}/retry",
            letter["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(retried["outcome"], "dispatched", "{retried:#}");
    let listed: Value = http
        .get(&letters)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["dead_letters"], json!([]));

    let deadline = Instant::now() + Duration::from_mins(2);
    loop {
        let current = store.get_job(&job.id).await.unwrap().unwrap().value;
        if current.status.is_terminal() {
            assert_eq!(
                current.status,
                JobStatus::Succeeded,
                "{current:#?}\n{}",
                cloud.all_logs()
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the retried job did not end:\n{}",
            cloud.all_logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
