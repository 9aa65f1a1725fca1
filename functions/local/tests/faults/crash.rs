//! Crash: `factory serve` writes through a (slow, fault-free) fake model and is killed with
//! SIGKILL while 50 single-kind jobs are in flight, then started again on the same store and
//! objects once the dead process's leases have run out. Every job must end, no object may be
//! written twice across the two processes, every stored object must be in the journal, and
//! the jobs may not record more tokens than the model reported: usage counted once, although
//! the calls cut short by the kill were made (and reported) again.
//!
//! The object journal appends a write's line after the object is stored, so the killed
//! process may leave up to its `FACTORY_CONCURRENCY` writes without a line; the checker
//! allows that many (the writes are create-only, so such a gap cannot hide a double write).
//!
//! Bound: a model step's lease is its model deadline plus a fifth, at least 10 s
//! (`Config::step_lease`), here 20 s, so the restart waits that long; the jobs then take a
//! few seconds, waited for at most 90 s.

use std::time::{Duration, Instant};

use factory_shared::config::Config;
use factory_shared::content::Options;
use factory_shared::objects::journal::{JournalEntry, read_journal};
use factory_testkit::model_server::FakeModelServer;
use serde_json::json;
use tokio::task::block_in_place;

use crate::reliability::{self, ProviderCount, Run};
use crate::{Api, NOTE, accepted_ids, create_key, stored_objects, unique_source};

const JOBS: usize = 50;
const KINDS: [&str; 4] = ["faq", "flashcards", "one-pager", "reading-questions"];
/// How long each model call takes: the steps stay in flight.
const LATENCY: Duration = Duration::from_millis(300);
/// Step results written before the kill: some steps are done, most are not.
const KILL_AFTER_RESULTS: usize = 12;
/// Steps the server runs at once: also the most writes it can have in flight when killed.
const CONCURRENCY: usize = 8;

/// (step results, manifests) in the journal.
fn written(journal: &[JournalEntry]) -> (usize, usize) {
    let in_jobs = journal.iter().filter(|e| e.path.starts_with("jobs/"));
    let manifests = in_jobs
        .clone()
        .filter(|e| e.path.ends_with("/manifest.json"))
        .count();
    let results = in_jobs
        .filter(|e| e.path.rsplit('.').next() == Some("json"))
        .count()
        - manifests;
    (results, manifests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_with_50_jobs_in_flight_ends_every_job_once_after_a_restart() {
    let fake = FakeModelServer::start(NOTE, Options::default(), LATENCY).await;
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("objects.journal");
    let env = [
        (
            "FACTORY_MODEL",
            format!("openai:crash@{}/v1", fake.base_url()),
        ),
        ("OPENAI_API_KEY", "sk-crash".to_owned()),
        ("FACTORY_MODEL_DEADLINE_SECS", "10".to_owned()),
        ("FACTORY_LEASE_SECS", "2".to_owned()),
        ("FACTORY_CONCURRENCY", CONCURRENCY.to_string()),
        ("FACTORY_OBJECT_JOURNAL", journal.display().to_string()),
    ];
    // The lease the server claims steps with, as it computes it from the same variables.
    let lease = Config::from_lookup(|name| {
        env.iter()
            .find(|(variable, _)| *variable == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap()
    .step_lease();
    let mut first = block_in_place(|| crate::start_server(home.path(), &env));
    let key = block_in_place(|| create_key(home.path(), "crash", &["--rate", "100000"]));
    let api = Api::new(&first.base);

    let started = Instant::now();
    let mut submissions = Vec::new();
    for n in 0..JOBS {
        let body = json!({"source": {"text": unique_source(NOTE, n)}});
        let path = format!("/v1/{}", KINDS[n % KINDS.len()]);
        submissions.push(api.post(&path, &key, &body).await.submitted());
    }
    let ids = accepted_ids(&submissions);
    assert_eq!(ids.len(), JOBS, "every job is accepted: {submissions:?}");

    loop {
        let (results, _) = written(&read_journal(&journal).unwrap());
        if results >= KILL_AFTER_RESULTS {
            block_in_place(|| first.kill());
            break;
        }
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "no step finished within a minute:\n{}",
            first.log_text()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed_at = started.elapsed();
    let calls_before = fake.stats().calls;
    let (results, manifests) = written(&read_journal(&journal).unwrap());
    let in_flight = JOBS - manifests;
    // On a loaded machine the submissions are slow enough for the first jobs to end before
    // the kill; the scenario proves something while most are still in flight.
    assert!(
        in_flight >= JOBS * 3 / 4,
        "killed too late to prove anything: {manifests} jobs had ended"
    );

    // The dead process's leases run out; the restart takes its steps over at once.
    tokio::time::sleep(lease + Duration::from_millis(500)).await;
    let second = block_in_place(|| crate::start_server(home.path(), &env));
    let restarted_at = started.elapsed();
    let api = Api::new(&second.base);
    let ended = api
        .wait_until_ended(&key, Instant::now() + Duration::from_secs(90))
        .await;
    let elapsed = started.elapsed();
    let jobs = api
        .final_views(ids.iter().map(|id| (id.as_str(), key.as_str())))
        .await;

    let ran_again = jobs
        .values()
        .flatten()
        .flat_map(|job| job["steps"].as_array().cloned().unwrap_or_default())
        .filter(|step| step["attempts"].as_u64() > Some(1))
        .count();
    let stats = fake.stats();
    let run = Run {
        scenario: "crash".into(),
        submissions,
        jobs,
        journal: Some(read_journal(&journal).unwrap()),
        stored: Some(stored_objects(home.path()).await),
        unjournaled_allowed: CONCURRENCY,
        provider: Some(ProviderCount {
            calls: stats.calls as u64,
            input_tokens: stats.usage.input_tokens,
            output_tokens: stats.usage.output_tokens,
            // The calls the kill cut short are made again.
            repeats_expected: true,
        }),
        elapsed,
        facts: vec![
            format!(
                "SIGKILL at {:.1} s with {in_flight} jobs in flight, {results} step results written, {calls_before} model calls made",
                killed_at.as_secs_f64()
            ),
            format!("{ran_again} steps cut short ran again"),
            format!(
                "restarted at {:.1} s (lease {} s), everything ended {:.1} s later{}",
                restarted_at.as_secs_f64(),
                lease.as_secs(),
                elapsed.saturating_sub(restarted_at).as_secs_f64(),
                if ended { "" } else { " (deadline passed)" }
            ),
        ],
    };
    reliability::assert_clean(&run);
    assert!(ran_again > 0, "the kill cut no step short");
}
