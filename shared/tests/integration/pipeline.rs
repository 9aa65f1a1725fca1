//! The whole pipeline in process, on the embedded adapters: jobs end, outputs are complete
//! and honest, the cache is used, and repeated deliveries change nothing.

use std::time::Duration;

use factory_shared::content::{Kind, Options};
use factory_shared::dispatch::StepTask;
use factory_shared::jobs::{Job, JobStatus, StepStatus};
use factory_shared::objects::ObjectPath;
use factory_shared::outcome::ErrorCode;
use factory_shared::pipeline::{Submission, SubmitError};
use factory_shared::runtime::Factory;
use factory_shared::source::SourceText;
use sha2::{Digest, Sha256};

use crate::extractive::EXAMPLES;
use crate::support::started_factory;

struct Harness {
    factory: Factory,
    _dir: tempfile::TempDir,
}

async fn harness(extra: &[(&str, &str)]) -> Harness {
    let (factory, dir) = started_factory(extra).await;
    Harness { factory, _dir: dir }
}

fn submission(text: &str, kinds: &[Kind]) -> Submission {
    Submission::new(
        "local",
        SourceText::parse(text).unwrap(),
        kinds.to_vec(),
        Options::default(),
    )
}

impl Harness {
    async fn run(&self, submission: Submission) -> Job {
        let job = self.factory.pipeline.submit(submission).await.unwrap().job;
        self.wait(&job).await
    }

    async fn wait(&self, job: &Job) -> Job {
        let store = &self.factory.pipeline.ports.store;
        for _ in 0..500 {
            let current = store.get_job(&job.id).await.unwrap().unwrap().value;
            if current.status.is_terminal() {
                return current;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("job {} did not end", job.id);
    }

    async fn object(&self, job: &Job, name: &str) -> Vec<u8> {
        let path = ObjectPath::new(format!("jobs/{}/{name}", job.id)).unwrap();
        self.factory
            .pipeline
            .ports
            .objects
            .get(&path)
            .await
            .unwrap()
            .unwrap()
            .to_vec()
    }
}

fn example(n: usize) -> String {
    std::fs::read_to_string(EXAMPLES[n]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_ends_succeeded_with_every_rendering_and_a_true_manifest() {
    let h = harness(&[]).await;
    let job = h.run(submission(&example(0), &Kind::ALL)).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    assert!(
        job.steps
            .iter()
            .all(|s| s.status == StepStatus::Succeeded && s.attempts == 1 && s.rendered)
    );
    // Renderings and exports of every kind, and the coverage matrix (JSON and Markdown).
    let files: usize = Kind::ALL
        .iter()
        .map(|k| 3 + k.exports().len())
        .sum::<usize>()
        + 2;
    assert_eq!(job.artifacts.len(), files);
    let manifest: serde_json::Value =
        serde_json::from_slice(&h.object(&job, "manifest.json").await).unwrap();
    let listed = manifest["artifacts"].as_array().unwrap();
    assert_eq!(listed.len(), files);
    for entry in listed {
        let bytes = h.object(&job, entry["name"].as_str().unwrap()).await;
        assert_eq!(entry["bytes"].as_u64().unwrap(), bytes.len() as u64);
        assert_eq!(
            entry["sha256"].as_str().unwrap(),
            hex::encode(Sha256::digest(&bytes))
        );
    }
    let html = String::from_utf8(h.object(&job, "faq.html").await).unwrap();
    assert!(html.contains("Content-Security-Policy") && !html.contains("<script"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_source_twice_is_served_from_the_cache_with_identical_bytes() {
    let h = harness(&[]).await;
    let first = h.run(submission(&example(2), &Kind::ALL)).await;
    let second = h.run(submission(&example(2), &Kind::ALL)).await;
    assert!(first.steps.iter().all(|s| !s.cache_hit));
    assert!(
        second.steps.iter().all(|s| s.cache_hit),
        "{:#?}",
        second.steps
    );
    let mut fresh = submission(&example(2), &Kind::ALL);
    fresh.use_cache = false;
    let third = h.run(fresh).await;
    assert!(third.steps.iter().all(|s| !s.cache_hit));
    for kind in Kind::ALL {
        let name = format!("{kind}.json");
        let bytes = h.object(&first, &name).await;
        assert_eq!(bytes, h.object(&second, &name).await, "{name}");
        assert_eq!(bytes, h.object(&third, &name).await, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_delivered_again_after_it_ended_changes_nothing() {
    let h = harness(&[]).await;
    let job = h.run(submission(&example(2), &[Kind::Faq])).await;
    let pipeline = &h.factory.pipeline;
    for _ in 0..3 {
        pipeline
            .dispatcher
            .dispatch(StepTask {
                job_id: job.id.clone(),
                kind: Kind::Faq,
            })
            .await
            .unwrap();
        pipeline
            .dispatcher
            .dispatch(StepTask {
                job_id: job.id.clone(),
                kind: Kind::Outline,
            })
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = pipeline
        .ports
        .store
        .get_job(&job.id)
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(
        after, job,
        "redelivered steps must be acknowledged and ignored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_source_too_thin_for_some_kinds_ends_partial_with_typed_reasons() {
    let h = harness(&[]).await;
    // Three short sections: enough for an outline, not for 10 flashcards or a long reading.
    let text = "# Tiny\n\n## One\nCats are small animals that purr softly.\n\n## Two\nDogs are loyal animals that bark loudly.\n\n## Three\nBirds are light animals that fly high above.\n\nFish swim in water all day and all night long.";
    let job = h
        .run(submission(text, &[Kind::Flashcards, Kind::DetailedReading]))
        .await;
    assert_eq!(job.status, JobStatus::Partial, "{job:#?}");
    assert_eq!(
        job.step(Kind::Outline).unwrap().status,
        StepStatus::Succeeded
    );
    for kind in [Kind::Flashcards, Kind::DetailedReading] {
        let step = job.step(kind).unwrap();
        assert_eq!(step.status, StepStatus::Failed);
        assert_eq!(
            step.error.as_ref().unwrap().code,
            ErrorCode::SourceTooThin,
            "{kind}"
        );
    }
    assert_eq!(job.error.as_ref().unwrap().code, ErrorCode::SourceTooThin);
    assert!(
        job.artifacts.iter().all(|a| a.kind == Kind::Outline),
        "failed kinds store nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_outline_fails_the_job_fails_and_says_why_for_every_kind() {
    let h = harness(&[]).await;
    // Two long sentences: too few to make the three sections an outline needs.
    let text = "A single paragraph that never has any headings at all goes on for quite a while without saying very much of anything in particular, which is all it does here. \
                A second sentence follows the first one and ends the text with a final remark that adds a little more length but no structure at all.";
    let job = h.run(submission(text, &[Kind::Faq])).await;
    assert_eq!(job.status, JobStatus::Failed, "{job:#?}");
    assert_eq!(
        job.step(Kind::Outline)
            .unwrap()
            .error
            .as_ref()
            .unwrap()
            .code,
        ErrorCode::SourceTooThin
    );
    assert_eq!(
        job.step(Kind::Faq).unwrap().error.as_ref().unwrap().code,
        ErrorCode::DependencyFailed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_options_are_refused_before_a_job_exists() {
    let h = harness(&[]).await;
    let mut bad = submission(&example(2), &[Kind::Faq]);
    bad.options.speakers = 9;
    bad.options.counts.insert(Kind::Faq, 100);
    let Err(SubmitError::InvalidOptions(errors)) = h.factory.pipeline.submit(bad).await else {
        panic!("accepted")
    };
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["/options/speakers", "/options/counts/faq"]);
    assert!(
        h.factory
            .pipeline
            .ports
            .store
            .unfinished_jobs(10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_counts_are_honoured_exactly() {
    let h = harness(&[]).await;
    let mut s = submission(&example(1), &[Kind::Faq, Kind::Flashcards]);
    s.options.counts.insert(Kind::Faq, 6);
    s.options.counts.insert(Kind::Flashcards, 12);
    let job = h.run(s).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    let faq: serde_json::Value = serde_json::from_slice(&h.object(&job, "faq.json").await).unwrap();
    let cards: serde_json::Value =
        serde_json::from_slice(&h.object(&job, "flashcards.json").await).unwrap();
    assert_eq!(faq["content"]["items"].as_array().unwrap().len(), 6);
    assert_eq!(cards["content"]["cards"].as_array().unwrap().len(), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objectives_a_short_quiz_leaves_unpractised_are_warnings_on_the_job() {
    let h = harness(&[]).await;
    let mut s = submission(&example(0), &[Kind::Quiz]);
    s.options.counts.insert(Kind::Quiz, 5);
    let job = h.run(s).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    let coverage: serde_json::Value =
        serde_json::from_slice(&h.object(&job, "coverage.json").await).unwrap();
    let objectives = coverage["objectives"].as_array().unwrap().len();
    let uncovered: Vec<u64> = coverage["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    assert!(
        objectives > 5,
        "five questions cannot serve {objectives} objectives"
    );
    assert!(!uncovered.is_empty(), "{coverage:#}");
    let flagged: Vec<String> = job.warnings.iter().map(|w| w.path.clone()).collect();
    let expected: Vec<String> = uncovered
        .iter()
        .map(|n| format!("/learning_objectives/{}", n - 1))
        .collect();
    assert_eq!(flagged, expected);
    let view = serde_json::to_value(factory_shared::http::view::JobView::from(&job)).unwrap();
    assert_eq!(view["warnings"][0]["rule"], "coverage");
    assert_eq!(view["warnings"].as_array().unwrap().len(), uncovered.len());
}
