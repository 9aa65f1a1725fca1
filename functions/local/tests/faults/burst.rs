//! Burst: 1,000 job submissions from 50 concurrent clients (each with its own connections)
//! through five keys: four with a rate of 150 requests a minute, one whose tenant has a
//! daily quota of 100 jobs. Every answer must be a 202 or a 429/503 with `Retry-After`,
//! never another 5xx; every accepted job must be in the store and end; no object may be
//! written twice. The jobs are single FAQs of short sources, each its own (no cache hits),
//! so the extractive engine really builds every one.
//!
//! Bound: the submissions take a few seconds, the accepted jobs (about 700) are waited for
//! at most 150 s.

use std::time::{Duration, Instant};

use factory_shared::objects::journal::read_journal;
use serde_json::json;
use tokio::task::{JoinSet, block_in_place};

use crate::reliability::{self, Run, Submitted};
use crate::{Api, create_key, short_note, stored_objects, unique_source};

const CLIENTS: usize = 50;
const PER_CLIENT: usize = 20;
const TENANTS: usize = 5;
const RATE_PER_MINUTE: &str = "150";
const DAILY_JOBS: &str = "100";

/// A tenant's key to submit with and its key to read with (its own, unlimited bucket).
struct Tenant {
    submit: String,
    read: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_1000_submissions_is_accepted_or_refused_cleanly_and_every_job_ends() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("objects.journal");
    let env = [("FACTORY_OBJECT_JOURNAL", journal.display().to_string())];
    let server = block_in_place(|| crate::start_server(home.path(), &env));
    let tenants: Vec<Tenant> = block_in_place(|| {
        (0..TENANTS)
            .map(|t| {
                let tenant = format!("burst-{t}");
                let limit = if t + 1 == TENANTS {
                    ["--daily-jobs", DAILY_JOBS]
                } else {
                    ["--rate", RATE_PER_MINUTE]
                };
                Tenant {
                    submit: create_key(home.path(), &tenant, &limit),
                    read: create_key(home.path(), &tenant, &["--rate", "1000000"]),
                }
            })
            .collect()
    });
    let note = short_note();

    let started = Instant::now();
    let mut clients = JoinSet::new();
    for client in 0..CLIENTS {
        let api = Api::new(&server.base);
        let key = tenants[client % TENANTS].submit.clone();
        let note = note.clone();
        clients.spawn(async move {
            let mut answers = Vec::with_capacity(PER_CLIENT);
            for n in 0..PER_CLIENT {
                let text = unique_source(&note, client * PER_CLIENT + n);
                let body = json!({"source": {"text": text}});
                let answer = api.post("/v1/faq", &key, &body).await;
                answers.push((client % TENANTS, answer.submitted()));
            }
            answers
        });
    }
    let mut submitted: Vec<(usize, Submitted)> = Vec::new();
    while let Some(answers) = clients.join_next().await {
        submitted.extend(answers.unwrap());
    }
    let submitting = started.elapsed();

    let deadline = started + Duration::from_secs(150);
    let mut ended = true;
    for tenant in &tenants {
        ended &= Api::new(&server.base)
            .wait_until_ended(&tenant.read, deadline)
            .await;
    }
    let elapsed = started.elapsed();
    // Every accepted job, read with its tenant's key.
    let reads = submitted.iter().filter_map(|(tenant, s)| {
        let id = s
            .job_id
            .as_deref()
            .filter(|_| matches!(s.status, 200 | 202))?;
        Some((id, tenants[*tenant].read.as_str()))
    });
    let jobs = Api::new(&server.base).final_views(reads).await;

    let submissions: Vec<Submitted> = submitted.into_iter().map(|(_, s)| s).collect();
    let rate_limited = submissions.iter().filter(|s| s.status == 429).count();
    let run = Run {
        scenario: "burst".into(),
        submissions,
        jobs,
        journal: Some(read_journal(&journal).unwrap()),
        stored: Some(stored_objects(home.path()).await),
        unjournaled_allowed: 0,
        provider: None,
        elapsed,
        facts: vec![
            format!(
                "{CLIENTS} clients x {PER_CLIENT} submissions answered in {:.1} s ({:.0}/s), {rate_limited} of them 429",
                submitting.as_secs_f64(),
                (CLIENTS * PER_CLIENT) as f64 / submitting.as_secs_f64()
            ),
            format!("deadline 150 s {}", if ended { "kept" } else { "passed" }),
        ],
    };
    reliability::assert_clean(&run);
    assert!(rate_limited > 0, "the burst never met a limit");
}
