//! The podcast's audio: espeak-ng end to end through the pipeline (checked with a real
//! decoder, ffmpeg, and an independent WebVTT parser, webvtt-py), the turn cache, repeated
//! storage events, typed partial failure and a later retry, the speech budget, and the Cloud
//! Text-to-Speech client against a local server speaking its protocol, with faults.
//!
//! Needs `espeak-ng` and `ffmpeg` on `PATH` and webvtt-py in `.venv-audio` at the checkout's
//! root: `scripts/install-audio-tools` and `scripts/test` set them up.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use factory_shared::content::{Artifact, Content, Kind, Options, PodcastScript};
use factory_shared::gcp::auth::GoogleAuth;
use factory_shared::jobs::{Job, JobId, JobStatus};
use factory_shared::model::resilient::RetryPolicy;
use factory_shared::objects::dir::DirObjectStore;
use factory_shared::objects::{ObjectPath, ObjectStore};
use factory_shared::outcome::ErrorCode;
use factory_shared::pipeline::audio::{AudioFailure, AudioSettings, AudioStage};
use factory_shared::pipeline::{Submission, SubmitError};
use factory_shared::runtime::Factory;
use factory_shared::source::SourceText;
use factory_shared::speech::google::GoogleSpeech;
use factory_shared::speech::{Pcm, Resilient, Speech, SpeechError, SpeechRequest};
use factory_testkit::tts_server::{FakeTtsServer, SAMPLE_RATE, SAMPLES_PER_BYTE, TtsFault};

use crate::extractive::EXAMPLES;
use crate::support::started_factory;

const ESPEAK: &[(&str, &str)] = &[("FACTORY_SPEECH", "espeak")];

fn submission(n: usize) -> Submission {
    let text = std::fs::read_to_string(EXAMPLES[n]).unwrap();
    Submission::new(
        "local",
        SourceText::parse(&text).unwrap(),
        vec![Kind::PodcastScript],
        Options::default(),
    )
}

async fn wait(factory: &Factory, id: &JobId) -> Job {
    let store = &factory.pipeline.ports.store;
    for _ in 0..1_200 {
        let job = store.get_job(id).await.unwrap().unwrap().value;
        if job.status.is_terminal() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not end within a minute");
}

async fn object(factory: &Factory, id: &JobId, name: &str) -> Option<Vec<u8>> {
    let path = ObjectPath::new(format!("jobs/{id}/{name}")).unwrap();
    let objects = &factory.pipeline.ports.objects;
    objects.get(&path).await.unwrap().map(|b| b.to_vec())
}

async fn script(factory: &Factory, id: &JobId) -> PodcastScript {
    let bytes = object(factory, id, "podcast-script.json").await.unwrap();
    let artifact: Artifact = serde_json::from_slice(&bytes).unwrap();
    match artifact.content {
        Content::PodcastScript(script) => script,
        other => panic!("not a podcast: {other:?}"),
    }
}

/// (speaker name, text) of every turn, in the order they are spoken.
fn turns(script: &PodcastScript) -> Vec<(String, String)> {
    let name = |id: &str| {
        script
            .speakers
            .iter()
            .find(|s| s.id == id)
            .unwrap()
            .name
            .clone()
    };
    script
        .intro
        .iter()
        .chain(script.segments.iter().flat_map(|s| &s.turns))
        .chain(&script.outro)
        .map(|t| (name(&t.speaker), t.text.clone()))
        .collect()
}

/// Turns that differ in speaker or text: what the turn cache holds once for each.
fn distinct_turns(script: &PodcastScript) -> usize {
    turns(script)
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len()
}

fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Seconds of audio in an MP3, decoded whole by ffmpeg (which honours the LAME header's
/// encoder delay and padding).
fn decoded_seconds(mp3: &[u8]) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("episode.mp3");
    std::fs::write(&file, mp3).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(&file)
        .args(["-f", "s16le", "-ac", "1", "-ar", "22050", "-"])
        .output()
        .expect("ffmpeg runs (scripts/install-audio-tools installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name",
            "-of",
            "csv=p=0",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "mp3");
    (out.stdout.len() / 2) as f64 / 22_050.0
}

/// The cues webvtt-py reads from a WebVTT file: `{voice, start, end, text}`.
fn parsed_cues(vtt: &[u8]) -> Vec<Value> {
    let python = checkout().join(".venv-audio/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test (it installs webvtt-py there)",
        python.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("episode.vtt");
    std::fs::write(&file, vtt).unwrap();
    let program = "import html, json, sys, webvtt\n\
        print(json.dumps([{'voice': c.voice, 'start': c.start_in_seconds + c.start_time.milliseconds / 1000, \
        'end': c.end_in_seconds + c.end_time.milliseconds / 1000, 'text': html.unescape(c.text)} for c in webvtt.read(sys.argv[1])]))";
    let out = Command::new(python)
        .args(["-c", program])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn espeak_audio_plays_as_long_as_its_captions_with_one_cue_per_turn() {
    let (factory, _dir) = started_factory(ESPEAK).await;
    let id = factory.pipeline.submit(submission(0)).await.unwrap().job.id;
    let job = wait(&factory, &id).await;
    assert_eq!(job.status, JobStatus::Succeeded, "{job:#?}");
    let step = job.step(Kind::PodcastScript).unwrap();
    assert_eq!(step.audio_error, None);
    let names: Vec<&str> = job.artifacts.iter().map(|a| a.name.as_str()).collect();
    assert!(
        names.contains(&"podcast-script.mp3") && names.contains(&"podcast-script.vtt"),
        "{names:?}"
    );

    let script = script(&factory, &id).await;
    let turns = turns(&script);
    assert_eq!(step.usage.speech_characters, script.spoken_chars() as u64);
    let cues = parsed_cues(&object(&factory, &id, "podcast-script.vtt").await.unwrap());
    assert_eq!(cues.len(), turns.len(), "one cue per turn");
    for (cue, (speaker, text)) in cues.iter().zip(&turns) {
        assert_eq!(cue["voice"], speaker.as_str());
        assert_eq!(cue["text"].as_str().unwrap(), text.replace('\n', " "));
        assert!(cue["end"].as_f64() > cue["start"].as_f64());
    }
    let seconds = decoded_seconds(&object(&factory, &id, "podcast-script.mp3").await.unwrap());
    let last_end = cues.last().unwrap()["end"].as_f64().unwrap();
    assert!(
        (seconds - last_end).abs() <= 0.050,
        "decoded {seconds:.3} s, last cue ends at {last_end:.3} s"
    );
    assert!(seconds > 30.0, "a whole episode, not a stub: {seconds} s");

    // The manifest lists both files too.
    let manifest: Value =
        serde_json::from_slice(&object(&factory, &id, "manifest.json").await.unwrap()).unwrap();
    let listed: Vec<&str> = manifest["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"podcast-script.mp3") && listed.contains(&"podcast-script.vtt"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_and_a_repeated_storage_event_synthesize_nothing_again() {
    let (factory, _dir) = started_factory(ESPEAK).await;
    let first = factory.pipeline.submit(submission(2)).await.unwrap().job.id;
    let first_job = wait(&factory, &first).await;
    assert!(
        first_job
            .step(Kind::PodcastScript)
            .unwrap()
            .usage
            .speech_characters
            > 0
    );

    // The same script again (a new job): every turn comes from the turn cache.
    let mut again = submission(2);
    again.use_cache = false;
    let second = factory.pipeline.submit(again).await.unwrap().job.id;
    let second_job = wait(&factory, &second).await;
    assert_eq!(second_job.status, JobStatus::Succeeded);
    assert_eq!(
        second_job
            .step(Kind::PodcastScript)
            .unwrap()
            .usage
            .speech_characters,
        0
    );
    assert_eq!(
        object(&factory, &first, "podcast-script.mp3").await,
        object(&factory, &second, "podcast-script.mp3").await,
        "espeak-ng and the encoder are deterministic"
    );

    // The storage event of the script, delivered again: nothing is synthesized or rewritten.
    let before = factory
        .pipeline
        .ports
        .objects
        .list("cache/speech/")
        .await
        .unwrap();
    let audio_before = object(&factory, &first, "podcast-script.mp3").await;
    factory
        .pipeline
        .object_finalized(&format!("jobs/{first}/podcast-script.json"))
        .await
        .unwrap();
    let job = factory
        .pipeline
        .ports
        .store
        .get_job(&first)
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(
        job.step(Kind::PodcastScript).unwrap().usage,
        first_job.step(Kind::PodcastScript).unwrap().usage
    );
    assert_eq!(job.artifacts, first_job.artifacts);
    assert_eq!(
        factory
            .pipeline
            .ports
            .objects
            .list("cache/speech/")
            .await
            .unwrap(),
        before
    );
    assert_eq!(
        object(&factory, &first, "podcast-script.mp3").await,
        audio_before
    );
    let files = factory
        .pipeline
        .ports
        .objects
        .list(&format!("jobs/{first}/podcast-script."))
        .await
        .unwrap();
    assert_eq!(files.len(), 5, "json, md, html, mp3, vtt: {files:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_speech_engine_the_job_ends_partial_with_a_typed_reason_and_a_retry_makes_the_audio()
 {
    let (factory, dir) = started_factory(&[
        ("FACTORY_SPEECH", "espeak"),
        ("FACTORY_ESPEAK", "/nonexistent/espeak-ng"),
    ])
    .await;
    let id = factory.pipeline.submit(submission(0)).await.unwrap().job.id;
    let job = wait(&factory, &id).await;
    assert_eq!(job.status, JobStatus::Partial, "the audio is missing");
    let error = job
        .step(Kind::PodcastScript)
        .unwrap()
        .audio_error
        .clone()
        .unwrap();
    assert_eq!(error.code, ErrorCode::SpeechUnavailable);
    assert_eq!(
        job.error.as_ref().unwrap().code,
        ErrorCode::SpeechUnavailable
    );
    for name in [
        "podcast-script.json",
        "podcast-script.md",
        "podcast-script.html",
        "manifest.json",
    ] {
        assert!(
            object(&factory, &id, name).await.is_some(),
            "{name} remains"
        );
    }
    assert!(object(&factory, &id, "podcast-script.mp3").await.is_none());

    // Later, with espeak-ng configured, the script's event delivered again makes the audio.
    let mut config = factory.config.clone();
    config.speech.espeak = "espeak-ng".into();
    drop(factory);
    let fixed = Factory::start(config).await.unwrap();
    fixed
        .pipeline
        .object_finalized(&format!("jobs/{id}/podcast-script.json"))
        .await
        .unwrap();
    let job = fixed
        .pipeline
        .ports
        .store
        .get_job(&id)
        .await
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(job.step(Kind::PodcastScript).unwrap().audio_error, None);
    assert_eq!(job.status, JobStatus::Succeeded);
    assert!(object(&fixed, &id, "podcast-script.mp3").await.is_some());
    drop(dir);
}

#[tokio::test]
async fn a_target_duration_over_the_speech_budget_is_refused_before_a_job_exists() {
    let (factory, _dir) = started_factory(&[
        ("FACTORY_SPEECH", "espeak"),
        ("FACTORY_SPEECH_MAX_CHARS", "5000"),
    ])
    .await;
    let mut long = submission(0);
    long.options.duration_minutes = Some(20);
    match factory.pipeline.submit(long).await {
        Err(SubmitError::InvalidOptions(problems)) => {
            assert_eq!(problems[0].path, "/options/duration_minutes");
            assert!(problems[0].message.contains("FACTORY_SPEECH_MAX_CHARS"));
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Without audio the same request is fine.
    let mut silent = submission(0);
    silent.options.duration_minutes = Some(20);
    silent.options.audio = false;
    assert!(
        factory
            .pipeline
            .plan(&silent.source, &silent.kinds, &silent.options)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_dry_run_estimates_speech_characters_and_cost() {
    let (factory, _dir) = started_factory(&[
        ("FACTORY_SPEECH", "google"),
        ("FACTORY_SPEECH_BASE_URL", "http://127.0.0.1:9"),
        ("FACTORY_SPEECH_PRICE", "30"),
    ])
    .await;
    let mut s = submission(0);
    s.options.duration_minutes = Some(10);
    let plan = factory
        .pipeline
        .plan(&s.source, &s.kinds, &s.options)
        .await
        .unwrap();
    assert_eq!(plan.estimate.speech_characters, 9_000);
    assert!((plan.estimate.cost_usd - 0.27).abs() < 1e-9, "{plan:?}");
    s.options.audio = false;
    let plan = factory
        .pipeline
        .plan(&s.source, &s.kinds, &s.options)
        .await
        .unwrap();
    assert_eq!(plan.estimate.speech_characters, 0);
}

// --- The audio stage on its own, with an engine that counts its calls. -----------------------

#[derive(Debug, Default)]
struct Counting {
    calls: AtomicUsize,
    fail_after: Option<usize>,
}

#[async_trait]
impl Speech for Counting {
    fn engine(&self) -> String {
        "counting 1".into()
    }
    fn default_voice(&self, _: &str, index: usize) -> String {
        format!("voice-{index}")
    }
    fn max_input_bytes(&self) -> usize {
        5_000
    }
    fn price_per_million_chars(&self) -> f64 {
        16.0
    }
    async fn synthesize(&self, request: &SpeechRequest) -> Result<Pcm, SpeechError> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail_after.is_some_and(|limit| n >= limit) {
            return Err(SpeechError::Server("503".into()));
        }
        Ok(Pcm {
            sample_rate: 16_000,
            samples: vec![100; request.text.len() * 10],
        })
    }
}

fn stage(speech: Arc<dyn Speech>, max_chars: usize) -> AudioStage {
    AudioStage {
        speech,
        settings: AudioSettings {
            max_chars,
            concurrency: 1,
            ..AudioSettings::default()
        },
    }
}

/// A podcast script built by the extractive engine from the first example.
async fn a_script() -> (PodcastScript, tempfile::TempDir) {
    let (factory, dir) = started_factory(&[]).await;
    let id = factory.pipeline.submit(submission(0)).await.unwrap().job.id;
    wait(&factory, &id).await;
    (script(&factory, &id).await, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_turn_is_the_only_one_synthesized_again() {
    let (mut script, dir) = a_script().await;
    let objects: Arc<dyn ObjectStore> =
        Arc::new(DirObjectStore::open(dir.path().join("audio")).unwrap());
    let counting = Arc::new(Counting::default());
    let stage = stage(counting.clone(), 100_000);
    let options = Options::default();
    let first = stage
        .produce(&objects, &JobId::generate(), &script, &options)
        .await
        .unwrap();
    let turns = distinct_turns(&script);
    assert_eq!(counting.calls.load(Ordering::SeqCst), turns);
    assert_eq!(first.turns_synthesized, turns);
    assert!((first.usage.cost_usd - first.usage.speech_characters as f64 * 16e-6).abs() < 1e-12);

    script.segments[0].turns[0]
        .text
        .push_str(" One more sentence.");
    let second = stage
        .produce(&objects, &JobId::generate(), &script, &options)
        .await
        .unwrap();
    assert_eq!(counting.calls.load(Ordering::SeqCst), turns + 1);
    assert_eq!(second.turns_synthesized, 1);
    assert_eq!(
        second.usage.speech_characters,
        script.segments[0].turns[0].text.chars().count() as u64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synthesis_that_dies_half_way_leaves_no_files_and_the_rerun_writes_one_of_each() {
    let (script, dir) = a_script().await;
    let objects: Arc<dyn ObjectStore> =
        Arc::new(DirObjectStore::open(dir.path().join("audio")).unwrap());
    let id = JobId::generate();
    let failing = Arc::new(Counting {
        fail_after: Some(3),
        ..Counting::default()
    });
    match stage(failing, 100_000)
        .produce(&objects, &id, &script, &Options::default())
        .await
    {
        Err(AudioFailure::Failed(e)) => {
            assert_eq!(e.code, ErrorCode::SpeechFailed);
            assert!(e.usage.speech_characters > 0, "what was spent is reported");
        }
        other => panic!("expected a typed failure, got {other:?}"),
    }
    assert!(
        objects
            .list(&format!("jobs/{id}/"))
            .await
            .unwrap()
            .is_empty()
    );
    let counting = Arc::new(Counting::default());
    let rerun = stage(counting.clone(), 100_000);
    let produced = rerun
        .produce(&objects, &id, &script, &Options::default())
        .await
        .unwrap();
    assert_eq!(
        counting.calls.load(Ordering::SeqCst),
        distinct_turns(&script) - 3,
        "the three turns done before the failure come from the cache"
    );
    rerun
        .produce(&objects, &id, &script, &Options::default())
        .await
        .unwrap();
    assert_eq!(
        counting.calls.load(Ordering::SeqCst),
        distinct_turns(&script) - 3
    );
    let files = objects.list(&format!("jobs/{id}/")).await.unwrap();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(produced.files.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_over_the_budget_is_refused_before_any_call() {
    let (script, dir) = a_script().await;
    let objects: Arc<dyn ObjectStore> =
        Arc::new(DirObjectStore::open(dir.path().join("audio")).unwrap());
    let counting = Arc::new(Counting::default());
    let result = stage(counting.clone(), 500)
        .produce(&objects, &JobId::generate(), &script, &Options::default())
        .await;
    assert!(matches!(result, Err(AudioFailure::Failed(e)) if e.code == ErrorCode::AudioTooLong));
    assert_eq!(counting.calls.load(Ordering::SeqCst), 0);
}

// --- Cloud Text-to-Speech against a server speaking its protocol. -----------------------------

fn google(server: &FakeTtsServer, policy: RetryPolicy) -> Resilient {
    let inner = GoogleSpeech::new(server.url(), GoogleAuth::anonymous(), 30.0);
    Resilient::new(Arc::new(inner), policy, 2)
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        call_timeout: Duration::from_secs(2),
        deadline: Duration::from_secs(20),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_tts_gets_each_turn_in_its_voice_as_linear16_under_5000_bytes() {
    let (script, dir) = a_script().await;
    let server = FakeTtsServer::start(Vec::new()).await;
    let objects: Arc<dyn ObjectStore> =
        Arc::new(DirObjectStore::open(dir.path().join("audio")).unwrap());
    let mut long_script = script.clone();
    // One turn longer than the service's limit: sent as several requests.
    long_script.outro[0].text = "This sentence is repeated to make a long turn. ".repeat(150);
    let options = Options {
        voices: vec!["en-GB-Chirp3-HD-Puck".into()],
        ..Options::default()
    };
    let produced = stage(Arc::new(google(&server, quick())), 100_000)
        .produce(&objects, &JobId::generate(), &long_script, &options)
        .await
        .unwrap();
    let calls = server.calls();
    assert!(
        calls.len() > turns(&long_script).len(),
        "the long turn took several requests"
    );
    let mut voices = std::collections::BTreeSet::new();
    for call in &calls {
        assert_eq!(call.status, 200, "{}", call.body);
        assert!(call.body["input"]["text"].as_str().unwrap().len() <= 5_000);
        assert_eq!(call.body["audioConfig"]["audioEncoding"], "LINEAR16");
        assert_eq!(call.body["audioConfig"]["sampleRateHertz"], SAMPLE_RATE);
        voices.insert(call.body["voice"]["name"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        voices.into_iter().collect::<Vec<_>>(),
        ["en-GB-Chirp3-HD-Puck", "en-US-Chirp3-HD-Kore"],
        "speaker 1 as the options ask, speaker 2 the default for English"
    );
    let bytes: usize = calls
        .iter()
        .map(|c| c.body["input"]["text"].as_str().unwrap().len())
        .sum();
    let pauses =
        produced.audio_millis as usize * SAMPLE_RATE as usize / 1000 - bytes * SAMPLES_PER_BYTE;
    assert!(
        pauses < SAMPLE_RATE as usize * turns(&long_script).len(),
        "audio is the answers plus pauses"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_tts_faults_are_retried_honouring_retry_after() {
    let server = FakeTtsServer::start(vec![
        TtsFault::RateLimited {
            retry_after_secs: 1,
        },
        TtsFault::Unavailable,
        TtsFault::Hang(Duration::from_secs(5)),
    ])
    .await;
    let speech = google(&server, quick());
    let request = SpeechRequest {
        text: "Hello there.".into(),
        voice: "en-US-Chirp3-HD-Charon".into(),
        language: "en".into(),
        rate_percent: 110,
    };
    let started = std::time::Instant::now();
    let pcm = speech.synthesize(&request).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as Retry-After asked"
    );
    assert_eq!(pcm.sample_rate, SAMPLE_RATE);
    assert_eq!(pcm.samples.len(), "Hello there.".len() * SAMPLES_PER_BYTE);
    let calls = server.calls();
    let faults: Vec<_> = calls.iter().map(|c| c.fault).collect();
    assert_eq!(faults.len(), 4, "three faults, then the answer");
    assert_eq!(calls[3].body["audioConfig"]["speakingRate"], 1.1);
    assert_eq!(
        calls[3].authorization, None,
        "a local server gets no credentials"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloud_tts_that_keeps_failing_gives_a_typed_error_and_a_refusal_is_not_retried() {
    let server = FakeTtsServer::start(vec![TtsFault::Unavailable; 10]).await;
    let speech = google(&server, quick());
    let request = SpeechRequest {
        text: "Hello.".into(),
        voice: "en-US-Chirp3-HD-Charon".into(),
        language: "en".into(),
        rate_percent: 100,
    };
    assert!(matches!(
        speech.synthesize(&request).await,
        Err(SpeechError::Server(_))
    ));
    assert_eq!(server.calls().len(), 4, "the attempts allowed, no more");

    let refused = FakeTtsServer::start(Vec::new()).await;
    let bad = SpeechRequest {
        voice: "xx-Nowhere".into(),
        ..request
    };
    let result = google(&refused, quick()).synthesize(&bad).await;
    assert!(
        matches!(result, Err(SpeechError::InvalidRequest(_))),
        "{result:?}"
    );
    assert_eq!(refused.calls().len(), 1);
}
