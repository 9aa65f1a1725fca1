//! Crash mid-synthesis: `factory serve` (extractive engine, espeak-ng) is killed with SIGKILL
//! while it voices three podcast scripts: some turns are synthesized and cached, no audio
//! file is written yet. The restart resumes the unfinished jobs, renders the scripts again
//! and must write exactly one audio and one caption file per job, with every turn cached
//! before the kill taken from the cache (the object checker finds no object written twice).
//!
//! Bound: the kill comes within a minute of the submissions (it waits for the first cached
//! turns); the restart waits out the 2 s lease of any step the kill interrupted, and ends the
//! jobs within 90 s.

use std::time::{Duration, Instant};

use factory_shared::objects::journal::{JournalEntry, read_journal};
use serde_json::json;
use tokio::task::block_in_place;

use crate::reliability::{self, Run};
use crate::{Api, NOTE, accepted_ids, create_key, stored_objects, unique_source};

const JOBS: usize = 3;
/// Turns synthesized and cached before the kill.
const KILL_AFTER_TURNS: usize = 4;
const CONCURRENCY: usize = 8;
const LEASE: Duration = Duration::from_secs(2);

fn count(journal: &[JournalEntry], what: impl Fn(&str) -> bool) -> usize {
    journal.iter().filter(|e| what(&e.path)).count()
}

fn is_turn(path: &str) -> bool {
    path.starts_with("cache/speech/")
}

fn is_audio(path: &str) -> bool {
    path.ends_with("/podcast-script.mp3") || path.ends_with("/podcast-script.vtt")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_synthesis_writes_one_audio_and_one_caption_file_per_job() {
    let home = tempfile::tempdir().unwrap();
    let journal = home.path().join("objects.journal");
    let env = [
        ("FACTORY_SPEECH", "espeak".to_owned()),
        // A step the kill interrupts is held by its lease; a short one lets the restart take
        // it over at once.
        ("FACTORY_LEASE_SECS", LEASE.as_secs().to_string()),
        ("FACTORY_CONCURRENCY", CONCURRENCY.to_string()),
        ("FACTORY_OBJECT_JOURNAL", journal.display().to_string()),
    ];
    let mut first = block_in_place(|| crate::start_server(home.path(), &env));
    let key = block_in_place(|| create_key(home.path(), "speech-crash", &[]));
    let api = Api::new(&first.base);

    let started = Instant::now();
    let mut submissions = Vec::new();
    for n in 0..JOBS {
        let body = json!({"source": {"text": unique_source(NOTE, n)}});
        submissions.push(
            api.post("/v1/podcast-script", &key, &body)
                .await
                .submitted(),
        );
    }
    let ids = accepted_ids(&submissions);
    assert_eq!(ids.len(), JOBS, "every job is accepted: {submissions:?}");

    let turns_before = loop {
        let written = read_journal(&journal).unwrap();
        let turns = count(&written, is_turn);
        if turns >= KILL_AFTER_TURNS {
            block_in_place(|| first.kill());
            break turns;
        }
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "no turn was synthesized within a minute:\n{}",
            first.log_text()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let killed_at = started.elapsed();
    let written = read_journal(&journal).unwrap();
    assert_eq!(
        count(&written, is_audio),
        0,
        "killed too late to prove anything: an audio file was written"
    );

    // The dead process's leases run out before the restart, so it resumes every step.
    tokio::time::sleep(LEASE + Duration::from_millis(500)).await;
    let second = block_in_place(|| crate::start_server(home.path(), &env));
    let api = Api::new(&second.base);
    let ended = api
        .wait_until_ended(&key, Instant::now() + Duration::from_secs(90))
        .await;
    let elapsed = started.elapsed();
    let jobs = api
        .final_views(ids.iter().map(|id| (id.as_str(), key.as_str())))
        .await;
    let journal = read_journal(&journal).unwrap();
    let turns_after = count(&journal, is_turn);

    let run = Run {
        scenario: "speech-crash".into(),
        submissions,
        jobs,
        journal: Some(journal.clone()),
        stored: Some(stored_objects(home.path()).await),
        unjournaled_allowed: CONCURRENCY,
        provider: None,
        elapsed,
        facts: vec![
            format!(
                "SIGKILL at {:.1} s with {turns_before} turns cached and no audio file",
                killed_at.as_secs_f64()
            ),
            format!(
                "{turns_after} turns cached in all, everything ended at {:.1} s{}",
                elapsed.as_secs_f64(),
                if ended { "" } else { " (deadline passed)" }
            ),
        ],
    };
    reliability::assert_clean(&run);
    for (id, job) in &run.jobs {
        let job = job.as_ref().unwrap();
        assert_eq!(job["status"], "succeeded", "{id}: {job:#}");
        for file in ["podcast-script.mp3", "podcast-script.vtt"] {
            let path = format!("jobs/{id}/{file}");
            assert_eq!(count(&journal, |p| p == path), 1, "{path}");
        }
    }
    assert!(
        turns_after > turns_before,
        "the restart synthesized the rest"
    );
}
