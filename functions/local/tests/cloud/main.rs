//! The cloud on one machine: jobs submitted over HTTP to the deployed functions travel
//! through Firestore, Pub/Sub push subscriptions and Cloud Storage notifications (all
//! emulated), and end succeeded with the renderings `post-process` wrote (the podcast's audio
//! and captions among them).
mod dead_letters;
mod faults;
mod harness;

use std::time::{Duration, Instant};

use factory_shared::clock::SystemClock;
use factory_shared::http::keys::create_key;
use factory_shared::store::firestore::FirestoreStore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use factory_shared::content::Kind;
use factory_testkit::reliability;
use harness::{Cloud, Deployment};

pub const SOURCE: &str = include_str!("../../../../examples/syllabus-photosynthesis.md");

/// A JSON answer from one of the functions, with the API key.
pub async fn get_json(http: &reqwest::Client, url: &str, key: &str) -> Value {
    http.get(url)
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Polls the job-status function until the job ends.
async fn finished(http: &reqwest::Client, cloud: &Cloud, key: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_mins(3);
    loop {
        let job = get_json(
            http,
            &format!("{}/v1/jobs/{id}", cloud.url("job-status")),
            key,
        )
        .await;
        let status = job["status"].as_str().unwrap_or_default().to_owned();
        if ["succeeded", "partial", "failed", "cancelled"].contains(&status.as_str()) {
            return job;
        }
        assert!(
            Instant::now() < deadline,
            "job {id} still {status} after 180 s:\n{job:#}\n{}",
            cloud.all_logs()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every kind of the job has its JSON, Markdown and HTML recorded, and each download
/// through job-status has the recorded SHA-256.
async fn check_artifacts(
    http: &reqwest::Client,
    cloud: &Cloud,
    key: &str,
    job: &Value,
    kinds: &[&str],
) {
    let id = job["id"].as_str().unwrap();
    let artifacts = job["artifacts"].as_array().unwrap();
    for kind in kinds {
        for format in ["json", "md", "html"] {
            let name = format!("{kind}.{format}");
            let artifact = artifacts
                .iter()
                .find(|a| a["name"] == name)
                .unwrap_or_else(|| panic!("{name} missing from {job:#}"));
            let body = http
                .get(format!(
                    "{}/v1/jobs/{id}/artifacts/{name}",
                    cloud.url("job-status")
                ))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            assert!(
                body.status().is_success(),
                "download {name}: {}",
                body.status()
            );
            let bytes = body.bytes().await.unwrap();
            assert_eq!(
                hex::encode(Sha256::digest(&bytes)),
                artifact["sha256"].as_str().unwrap(),
                "{name}"
            );
        }
    }
    let stored = cloud.objects(http, &format!("jobs/{id}/")).await;
    for kind in kinds {
        for format in ["json", "md", "html"] {
            assert!(
                stored.contains(&format!("jobs/{id}/{kind}.{format}")),
                "{kind}.{format} not in the bucket: {stored:?}"
            );
        }
    }
}

/// The post-process function voiced the podcast on the script's storage event: one MP3 and
/// one WebVTT file in the bucket, listed on the job, downloadable with their SHA-256.
async fn check_audio(http: &reqwest::Client, cloud: &Cloud, key: &str, job: &Value) {
    let id = job["id"].as_str().unwrap();
    let step = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "podcast-script")
        .unwrap();
    assert!(
        step["audio_error"].is_null(),
        "{step:#}\n{}",
        cloud.all_logs()
    );
    assert!(
        step["usage"]["speech_characters"].as_u64().unwrap() > 0,
        "{step:#}"
    );
    for (name, starts) in [
        ("podcast-script.mp3", &b"ID3"[..]),
        ("podcast-script.vtt", &b"WEBVTT"[..]),
    ] {
        let artifact = job["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing from {job:#}"));
        let body = http
            .get(format!(
                "{}/v1/jobs/{id}/artifacts/{name}",
                cloud.url("job-status")
            ))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert!(
            body.status().is_success(),
            "download {name}: {}",
            body.status()
        );
        let bytes = body.bytes().await.unwrap();
        assert!(bytes.starts_with(starts), "{name} starts with {starts:?}");
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            artifact["sha256"].as_str().unwrap(),
            "{name}"
        );
    }
    let stored = cloud
        .objects(http, &format!("jobs/{id}/podcast-script."))
        .await;
    assert_eq!(stored.len(), 5, "json, md, html, mp3, vtt: {stored:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bundle_and_single_kind_jobs_travel_through_firestore_pubsub_and_cloud_storage() {
    let http = reqwest::Client::new();
    let cloud = Cloud::start(&http, Deployment::default()).await;
    let store = FirestoreStore::connect(&cloud.database, None, Duration::from_hours(24))
        .await
        .unwrap();
    let key = create_key(&store, &SystemClock, "school", 10_000, None)
        .await
        .unwrap()
        .secret;

    // A bundle of every kind, submitted to the bundle function.
    let created = http
        .post(format!("{}/v1/bundles", cloud.url("bundle")))
        .bearer_auth(&key)
        .json(&json!({"source": {"text": SOURCE}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 202, "{}", created.text().await.unwrap());
    let bundle: Value = created.json().await.unwrap();
    let bundle_id = bundle["id"].as_str().unwrap().to_owned();

    // A single kind, submitted to that kind's own function.
    let created = http
        .post(format!("{}/v1/faq", cloud.url("faq")))
        .bearer_auth(&key)
        .json(&json!({"source": {"text": SOURCE}, "options": {"length": "short"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 202, "{}", created.text().await.unwrap());
    let single: Value = created.json().await.unwrap();
    let single_id = single["id"].as_str().unwrap().to_owned();

    let bundle = finished(&http, &cloud, &key, &bundle_id).await;
    assert_eq!(
        bundle["status"],
        "succeeded",
        "{bundle:#}\n{}",
        cloud.all_logs()
    );
    let steps = bundle["steps"].as_array().unwrap();
    assert_eq!(steps.len(), factory_shared::content::Kind::ALL.len());
    assert!(
        steps.iter().all(|s| s["status"] == "succeeded"),
        "{bundle:#}"
    );
    check_artifacts(&http, &cloud, &key, &bundle, &Kind::ALL.map(Kind::slug)).await;
    check_audio(&http, &cloud, &key, &bundle).await;

    let single = finished(&http, &cloud, &key, &single_id).await;
    assert_eq!(
        single["status"],
        "succeeded",
        "{single:#}\n{}",
        cloud.all_logs()
    );
    check_artifacts(&http, &cloud, &key, &single, &["outline", "faq"]).await;

    // The manifest lists every artifact of the bundle.
    let manifest = get_json(
        &http,
        &format!(
            "{}/v1/jobs/{bundle_id}/artifacts/manifest.json",
            cloud.url("job-status")
        ),
        &key,
    )
    .await;
    assert!(
        manifest.to_string().contains("reading-questions.html"),
        "{manifest:#}"
    );
}
