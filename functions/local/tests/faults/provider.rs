//! Provider faults: `factory serve` writes through an OpenAI-compatible model that fails 30 %
//! of its calls (the fake provider with a seeded mix of 429 + `Retry-After`, 500, hangs past
//! the 1 s call timeout, prose instead of JSON, answers cut off by the token limit, safety
//! blocks). Every job must end — succeeded, partial or failed — within the deadline, every
//! failure must carry a typed code, no step may be left running, no object written twice,
//! and the jobs may not record more tokens than the provider reported.
//!
//! Bound: 40 jobs of two steps; a step spends at most 15 s on model calls per attempt and
//! has three attempts; the scenario waits at most 150 s (it takes about 20 s).

use std::time::{Duration, Instant};

use factory_shared::content::{Kind, Options};
use factory_shared::objects::journal::read_journal;
use factory_testkit::model_server::{FakeModelServer, Fault, Faults};
use serde_json::json;
use tokio::task::block_in_place;

use crate::reliability::{self, ProviderCount, Run};
use crate::{Api, NOTE, accepted_ids, create_key, stored_objects, unique_source};

const JOBS: usize = 40;
const FAULT_RATE: f64 = 0.3;
/// Its first 40 calls already meet every fault type.
const SEED: u64 = 42;
const KINDS: [Kind; 4] = [
    Kind::Faq,
    Kind::Flashcards,
    Kind::OnePager,
    Kind::StudyGuide,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_failing_30_percent_of_calls_ends_every_job_with_typed_failures() {
    let faults = Faults::mixed(FAULT_RATE, SEED).with_hang(Duration::from_secs(3));
    let fake =
        FakeModelServer::start_with_faults(NOTE, Options::default(), Duration::ZERO, faults).await;
    for kind in KINDS {
        assert!(
            fake.answers().get(kind).is_ok(),
            "the fake can write the {kind}"
        );
    }
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("objects.journal");
    let env = [
        (
            "FACTORY_MODEL",
            format!("openai:faulty@{}/v1", fake.base_url()),
        ),
        ("OPENAI_API_KEY", "sk-faults".to_owned()),
        ("FACTORY_MODEL_TIMEOUT_SECS", "1".to_owned()),
        ("FACTORY_MODEL_DEADLINE_SECS", "15".to_owned()),
        ("FACTORY_OBJECT_JOURNAL", journal.display().to_string()),
    ];
    let server = block_in_place(|| crate::start_server(home.path(), &env));
    let key = block_in_place(|| create_key(home.path(), "provider", &["--rate", "100000"]));
    let api = Api::new(&server.base);

    let started = Instant::now();
    let mut submissions = Vec::new();
    for n in 0..JOBS {
        let body = json!({"source": {"text": unique_source(NOTE, n)}});
        let path = format!("/v1/{}", KINDS[n % KINDS.len()]);
        submissions.push(api.post(&path, &key, &body).await.submitted());
    }
    let ids = accepted_ids(&submissions);
    let ended = api
        .wait_until_ended(&key, started + Duration::from_secs(150))
        .await;
    let elapsed = started.elapsed();
    let jobs = api
        .final_views(ids.iter().map(|id| (id.as_str(), key.as_str())))
        .await;

    let stats = fake.stats();
    let faults = Fault::ALL
        .iter()
        .map(|f| format!("{f} {}", stats.faults.get(f).unwrap_or(&0)))
        .collect::<Vec<_>>()
        .join(", ");
    let run = Run {
        scenario: "provider".into(),
        submissions,
        jobs,
        journal: Some(read_journal(&journal).unwrap()),
        stored: Some(stored_objects(home.path()).await),
        unjournaled_allowed: 0,
        provider: Some(ProviderCount {
            calls: stats.calls as u64,
            input_tokens: stats.usage.input_tokens,
            output_tokens: stats.usage.output_tokens,
            repeats_expected: true,
        }),
        elapsed,
        facts: vec![
            format!(
                "fake model: {} calls, {} faulted ({:.0} %: {faults})",
                stats.calls,
                stats.faulted(),
                100.0 * stats.faulted() as f64 / stats.calls.max(1) as f64
            ),
            format!("deadline 150 s {}", if ended { "kept" } else { "passed" }),
        ],
    };
    reliability::assert_clean(&run);
    for fault in Fault::ALL {
        assert!(
            stats.faults.contains_key(&fault),
            "the run met no {fault}: {stats:?}"
        );
    }
}
