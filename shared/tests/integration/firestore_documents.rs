//! What the Firestore adapter writes to `jobs/{id}`, read back raw from the emulator with a
//! client of its own: the native fields that queries and the TTL policy depend on, the JSON
//! body that must read back as the job, and the size that must stay far below Firestore's
//! 1 MiB document limit. The contract suite checks behaviour through the port; this checks
//! the documents themselves. Needs `FIRESTORE_EMULATOR_HOST` (`scripts/emulators`).

use std::time::Duration;

use factory_shared::clock::Timestamp;
use factory_shared::content::{Kind, Options};
use factory_shared::jobs::{Job, JobId, JobStatus, SourceInfo};
use factory_shared::pipeline::Submission;
use factory_shared::source::SourceText;
use factory_shared::store::{Admission, Admitted, JobStore, update_job};
use firestore::gcloud_sdk::google::firestore::v1::value::ValueType;
use firestore::gcloud_sdk::prost_types;
use firestore::{FirestoreDb, FirestoreDbOptions, FirestoreDocument};

use crate::extractive::EXAMPLES;
use crate::support::{emulator, firestore_store_in, fresh_project, started_factory};

/// Deliberately not the 30-day default, so the document shows which retention it was given.
const RETENTION: Duration = Duration::from_hours(7 * 24);

/// 2026-01-01T00:00:00.123Z: a time with milliseconds, which the expiry must keep.
const CREATED: Timestamp = Timestamp(1_767_225_600_123);

/// Firestore refuses documents over 1 MiB; a job must stay far from that.
const BODY_BUDGET: usize = 64 << 10;

/// The document `jobs/{id}` as stored, through a client independent of the adapter's.
async fn raw_job(project: &str, id: &JobId) -> FirestoreDocument {
    let db = FirestoreDb::with_options(FirestoreDbOptions::new(project.to_owned()))
        .await
        .unwrap();
    db.fluent()
        .select()
        .by_id_in("jobs")
        .one(id.as_str())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("there is no document jobs/{id} in project {project}"))
}

fn field<'a>(doc: &'a FirestoreDocument, name: &str) -> &'a ValueType {
    doc.fields
        .get(name)
        .and_then(|value| value.value_type.as_ref())
        .unwrap_or_else(|| {
            let names: Vec<&String> = doc.fields.keys().collect();
            panic!("the job document has no field `{name}`; it has {names:?}")
        })
}

fn string<'a>(doc: &'a FirestoreDocument, name: &str) -> &'a str {
    match field(doc, name) {
        ValueType::StringValue(value) => value,
        other => panic!("`{name}` is not a string: {other:?}"),
    }
}

fn boolean(doc: &FirestoreDocument, name: &str) -> bool {
    match field(doc, name) {
        ValueType::BooleanValue(value) => *value,
        other => panic!("`{name}` is not a boolean: {other:?}"),
    }
}

fn integer(doc: &FirestoreDocument, name: &str) -> i64 {
    match field(doc, name) {
        ValueType::IntegerValue(value) => *value,
        other => panic!("`{name}` is not an integer: {other:?}"),
    }
}

/// A native timestamp (what a TTL policy reads), not a string or a number.
fn timestamp(doc: &FirestoreDocument, name: &str) -> prost_types::Timestamp {
    match field(doc, name) {
        ValueType::TimestampValue(value) => *value,
        other => panic!("`{name}` is not a timestamp: {other:?}"),
    }
}

/// A missing field, or an explicit null: either way no TTL policy can act on it.
fn absent(doc: &FirestoreDocument, name: &str) -> bool {
    doc.fields
        .get(name)
        .and_then(|value| value.value_type.as_ref())
        .is_none_or(|value| matches!(value, ValueType::NullValue(_)))
}

fn body(doc: &FirestoreDocument) -> Job {
    let body = string(doc, "body");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("the body is not a job: {e}: {body}"))
}

/// `millis` since the epoch as a protobuf timestamp.
fn at_millis(millis: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: millis.div_euclid(1_000),
        nanos: (millis.rem_euclid(1_000) * 1_000_000) as i32,
    }
}

fn job(kinds: &[Kind]) -> Job {
    let source = SourceInfo {
        sha256: "a".repeat(64),
        chars: 500,
        name: Some("notes.md".into()),
        file: None,
    };
    Job::new(
        JobId::generate(),
        "school".into(),
        source,
        Options::default(),
        kinds,
        CREATED,
    )
}

async fn created(store: &dyn JobStore, job: &Job) {
    assert_eq!(
        store.create_job(job, &Admission::default()).await.unwrap(),
        Admitted::Created
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_job_carries_its_query_fields_and_body_and_no_expiry() {
    let project = fresh_project();
    let store = firestore_store_in(&project, RETENTION).await;
    let job = job(&[Kind::Faq]);
    created(&store, &job).await;

    let queued = raw_job(&project, &job.id).await;
    assert_eq!(string(&queued, "status"), "queued");
    assert_eq!(integer(&queued, "version"), 1);
    assert!(!boolean(&queued, "finished"));
    assert!(absent(&queued, "expire_at"), "{:?}", queued.fields);
    assert_eq!(body(&queued), job);

    let claimed_at = CREATED.plus(Duration::from_secs(5));
    let (running, _) = update_job(&store, &job.id, |job| {
        job.claim(Kind::Outline, "w1", Duration::from_mins(2), 3, claimed_at)
    })
    .await
    .unwrap();
    assert_eq!(running.status, JobStatus::Running);

    let doc = raw_job(&project, &job.id).await;
    assert_eq!(string(&doc, "id"), job.id.as_str());
    assert_eq!(string(&doc, "tenant"), "school");
    assert_eq!(string(&doc, "status"), "running");
    assert!(!boolean(&doc, "finished"));
    assert_eq!(integer(&doc, "version"), 2);
    assert_eq!(integer(&doc, "created_at"), CREATED.millis());
    assert_eq!(integer(&doc, "updated_at"), claimed_at.millis());
    assert!(absent(&doc, "expire_at"), "{:?}", doc.fields);
    assert_eq!(body(&doc), running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_job_expires_the_given_retention_after_its_last_update() {
    let project = fresh_project();
    let store = firestore_store_in(&project, RETENTION).await;
    let job = job(&[Kind::Faq]);
    created(&store, &job).await;

    let ended_at = CREATED.plus(Duration::from_millis(61_456));
    let (cancelled, _) = update_job(&store, &job.id, |job| job.cancel(ended_at))
        .await
        .unwrap();

    let doc = raw_job(&project, &job.id).await;
    assert_eq!(string(&doc, "status"), "cancelled");
    assert!(boolean(&doc, "finished"));
    assert_eq!(integer(&doc, "version"), 2);
    assert_eq!(integer(&doc, "updated_at"), ended_at.millis());
    assert_eq!(
        timestamp(&doc, "expire_at"),
        at_millis(ended_at.plus(RETENTION).millis())
    );
    assert_eq!(body(&doc), cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_job_of_eight_steps_stays_far_below_the_document_limit() {
    emulator("FIRESTORE_EMULATOR_HOST");
    let project = fresh_project();
    let store = format!("firestore:{project}");
    let (factory, _dir) =
        started_factory(&[("FACTORY_STORE", &store), ("FACTORY_RETENTION_DAYS", "2")]).await;
    let source = std::fs::read_to_string(EXAMPLES[0]).unwrap();
    let submission = Submission::new(
        "school",
        SourceText::parse(&source).unwrap(),
        Kind::ALL.to_vec(),
        Options::default(),
    );

    let id = factory.pipeline.submit(submission).await.unwrap().job.id;
    let mut ended = None;
    for _ in 0..600 {
        let job = factory.pipeline.ports.store.get_job(&id).await.unwrap();
        if let Some(job) = job.filter(|job| job.value.status.is_terminal()) {
            ended = Some(job.value);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let job = ended.unwrap_or_else(|| panic!("job {id} did not end within a minute"));

    let doc = raw_job(&project, &id).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:?}");
    assert_eq!(job.steps.len(), Kind::ALL.len());
    assert_eq!(body(&doc), job);
    let size = string(&doc, "body").len();
    assert!(
        size < BODY_BUDGET,
        "a job of 8 steps has a {size}-byte body, over the {BODY_BUDGET}-byte budget"
    );
    // Ended by the pipeline, kept for FACTORY_RETENTION_DAYS from its last update.
    assert!(boolean(&doc, "finished"));
    assert_eq!(
        timestamp(&doc, "expire_at"),
        at_millis(job.updated_at.plus(Duration::from_hours(2 * 24)).millis())
    );
}
