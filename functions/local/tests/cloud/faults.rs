//! The crash and duplicate-delivery scenarios on the cloud harness, checked by the same
//! rules as on the embedded deployment (`factory_testkit::reliability`):
//!
//! - crash: the outline function (every job's first step) is killed with SIGKILL while jobs
//!   are in flight and started again; Pub/Sub redelivers what failed, maintenance takes over
//!   the steps whose lease the dead instance held;
//! - duplicates: every step message and every storage notification is delivered twice, by
//!   two subscriptions on the same topic, each on its own schedule.

use std::time::{Duration, Instant};

use factory_shared::clock::SystemClock;
use factory_shared::http::keys::create_key;
use factory_shared::objects::journal::read_journal;
use factory_shared::store::firestore::FirestoreStore;
use serde_json::{Value, json};

use crate::harness::{Cloud, Deployment};
use crate::reliability::{Run, Submitted, assert_clean};

const SOURCE: &str = include_str!("../../../../examples/note-tcp-handshake.txt");

/// A source of its own for job `n`, so that no step is a cache hit.
fn source(n: usize) -> String {
    format!("{SOURCE}\n\nReview note {n}: the handshake opens every TCP connection.\n")
}

async fn api_key(cloud: &Cloud) -> String {
    let store = FirestoreStore::connect(&cloud.database, None, Duration::from_hours(24))
        .await
        .unwrap();
    create_key(&store, &SystemClock, "school", 100_000, None)
        .await
        .unwrap()
        .secret
}

/// Submits `count` two-kind bundles; returns what each client saw.
async fn submit(http: &reqwest::Client, cloud: &Cloud, key: &str, count: usize) -> Vec<Submitted> {
    let mut submitted = Vec::new();
    for n in 0..count {
        let response = http
            .post(format!("{}/v1/bundles", cloud.url("bundle")))
            .bearer_auth(key)
            .json(&json!({"source": {"text": source(n)}, "kinds": ["faq", "flashcards"]}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let retry_after = response.headers().contains_key("retry-after");
        let body: Value = response.json().await.unwrap_or_default();
        submitted.push(Submitted {
            status,
            retry_after,
            job_id: body["id"].as_str().map(str::to_owned),
        });
    }
    submitted
}

/// Waits until every accepted job ended or `deadline` passed; fills the run's final views
/// and journal.
async fn collect(
    http: &reqwest::Client,
    cloud: &Cloud,
    key: &str,
    run: &mut Run,
    deadline: Instant,
) {
    let started = Instant::now();
    let ids: Vec<String> = run
        .submissions
        .iter()
        .filter_map(|s| s.job_id.clone())
        .collect();
    loop {
        run.jobs.clear();
        for id in &ids {
            let response = http
                .get(format!("{}/v1/jobs/{id}", cloud.url("job-status")))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            let view = if response.status().is_success() {
                Some(response.json::<Value>().await.unwrap())
            } else {
                None
            };
            run.jobs.insert(id.clone(), view);
        }
        let running = run
            .jobs
            .values()
            .flatten()
            .any(|job| matches!(job["status"].as_str(), Some("queued" | "running")));
        if !running || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    run.elapsed += started.elapsed();
    run.journal = Some(read_journal(&cloud.journal()).unwrap());
}

/// Steps of the outline function running now, from the store's point of view.
async fn outline_steps_running(
    http: &reqwest::Client,
    cloud: &Cloud,
    key: &str,
    ids: &[String],
) -> usize {
    let mut running = 0;
    for id in ids {
        let url = format!("{}/v1/jobs/{id}", cloud.url("job-status"));
        let job = crate::get_json(http, &url, key).await;
        running += job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["kind"] == "outline" && s["status"] == "running")
            .count();
    }
    running
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_the_outline_function_mid_run_and_every_job_still_ends_once() {
    let http = reqwest::Client::new();
    let mut cloud = Cloud::start(
        &http,
        Deployment {
            lease_secs: 4,
            engine_delay_ms: 400,
            sweep_every: Duration::from_secs(2),
            ..Deployment::default()
        },
    )
    .await;
    let key = api_key(&cloud).await;
    let started = Instant::now();
    let mut run = Run {
        scenario: "cloud crash".into(),
        submissions: submit(&http, &cloud, &key, 20).await,
        ..Run::default()
    };
    let ids: Vec<String> = run
        .submissions
        .iter()
        .filter_map(|s| s.job_id.clone())
        .collect();

    // Kill it once it is busy with outline steps.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut in_flight = 0;
    while in_flight == 0 && Instant::now() < deadline {
        in_flight = outline_steps_running(&http, &cloud, &key, &ids).await;
    }
    assert!(in_flight > 0, "no outline step ever ran");
    cloud.kill("outline");
    tokio::time::sleep(Duration::from_secs(1)).await;
    cloud.restart(&http, "outline").await;

    run.elapsed = started.elapsed();
    collect(
        &http,
        &cloud,
        &key,
        &mut run,
        Instant::now() + Duration::from_mins(3),
    )
    .await;
    run.facts.push(format!(
        "outline function killed with {in_flight} outline steps running"
    ));
    let takeovers: u64 = run
        .jobs
        .values()
        .flatten()
        .flat_map(|job| job["steps"].as_array().cloned().unwrap_or_default())
        .map(|step| step["attempts"].as_u64().unwrap_or(1).saturating_sub(1))
        .sum();
    run.facts.push(format!("{takeovers} extra attempts"));
    assert_clean(&run);
    all_succeeded(&run, &cloud);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_delivered_twice_still_writes_each_artifact_once() {
    let http = reqwest::Client::new();
    let cloud = Cloud::start(
        &http,
        Deployment {
            duplicate_deliveries: true,
            ..Deployment::default()
        },
    )
    .await;
    let key = api_key(&cloud).await;
    let started = Instant::now();
    let mut run = Run {
        scenario: "cloud duplicates".into(),
        submissions: submit(&http, &cloud, &key, 10).await,
        ..Run::default()
    };
    run.elapsed = started.elapsed();
    collect(
        &http,
        &cloud,
        &key,
        &mut run,
        Instant::now() + Duration::from_mins(3),
    )
    .await;
    run.facts
        .push("every step message and storage notification delivered twice".into());
    assert_clean(&run);
    all_succeeded(&run, &cloud);
}

/// Neither a crash nor a duplicate is a reason to fail: every job ends as it would have
/// without it.
fn all_succeeded(run: &Run, cloud: &Cloud) {
    for job in run.jobs.values().flatten() {
        assert_eq!(job["status"], "succeeded", "{job:#}\n{}", cloud.all_logs());
    }
}
