//! The maintenance sweep and dead letters on the embedded adapters: interrupted work is
//! finished, steps out of attempts fail with the reason, old jobs, sources and cache entries
//! go past the retention (and nothing else does, even with two sweeps at once), and a step whose deliveries ran out is
//! dead-lettered, listed and retried.

use std::sync::Arc;
use std::time::Duration;

use factory_shared::clock::{Clock, SystemClock, Timestamp};
use factory_shared::content::{Kind, Options};
use factory_shared::jobs::{Job, JobId, JobStatus, SourceInfo, StepStatus};
use factory_shared::objects::ObjectPath;
use factory_shared::outcome::ErrorCode;
use factory_shared::pipeline::{MaintenanceReport, Pipeline, Ports, Retried, Settings, Submission};
use factory_shared::runtime::Factory;
use factory_shared::source::SourceText;
use factory_shared::store::{Admission, update_job};

use crate::extractive::EXAMPLES;
use crate::support::started_factory;

const DAY: Duration = Duration::from_hours(24);

/// A clock stopped at one moment.
#[derive(Debug)]
struct At(Timestamp);

impl Clock for At {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// The factory's pipeline as the maintenance function would run it at `now`.
fn maintenance_at(factory: &Factory, now: Timestamp, retention: Duration) -> Pipeline {
    let pipeline = &factory.pipeline;
    Pipeline::new(
        Ports {
            store: pipeline.ports.store.clone(),
            objects: pipeline.ports.objects.clone(),
            clock: Arc::new(At(now)),
            audio: None,
        },
        pipeline.engine.clone(),
        pipeline.dispatcher.clone(),
        Settings {
            retention,
            ..pipeline.settings.clone()
        },
    )
}

fn path(p: &str) -> ObjectPath {
    ObjectPath::new(p).unwrap()
}

async fn run(factory: &Factory, text: &str, kinds: &[Kind]) -> Job {
    let submission = Submission::new(
        "local",
        SourceText::parse(text).unwrap(),
        kinds.to_vec(),
        Options::default(),
    );
    let job = factory.pipeline.submit(submission).await.unwrap().job;
    wait(factory, &job.id).await
}

async fn wait(factory: &Factory, id: &JobId) -> Job {
    for _ in 0..500 {
        let job = factory
            .pipeline
            .ports
            .store
            .get_job(id)
            .await
            .unwrap()
            .unwrap();
        if job.value.status.is_terminal() {
            return job.value;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} did not end");
}

/// A job stored as if its submission died right after creating it: never dispatched.
async fn stored_only(factory: &Factory, text: &str) -> Job {
    let source = SourceText::parse(text).unwrap();
    let info = SourceInfo {
        sha256: source.sha256(),
        chars: source.chars(),
        name: None,
        file: None,
    };
    let ports = &factory.pipeline.ports;
    ports
        .objects
        .put(
            &factory_shared::layout::source(&info.sha256),
            source.into_string().into(),
            "text/plain",
        )
        .await
        .unwrap();
    let job = Job::new(
        JobId::generate(),
        "local".into(),
        info,
        Options::default(),
        &[Kind::Faq],
        SystemClock.now(),
    );
    ports
        .store
        .create_job(&job, &Admission::default())
        .await
        .unwrap();
    job
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_was_never_dispatched_is_dispatched_and_ends() {
    let (factory, _dir) = started_factory(&[]).await;
    let job = stored_only(&factory, &std::fs::read_to_string(EXAMPLES[0]).unwrap()).await;
    let report = factory.pipeline.maintain().await.unwrap();
    assert_eq!(report.jobs_checked, 1);
    assert!(report.dispatched >= 1, "{report:?}");
    let ended = wait(&factory, &job.id).await;
    assert_eq!(ended.status, JobStatus::Succeeded, "{ended:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_out_of_attempts_under_a_dead_lease_fails_and_the_job_ends_saying_why() {
    let (factory, _dir) = started_factory(&[]).await;
    let job = stored_only(&factory, &std::fs::read_to_string(EXAMPLES[0]).unwrap()).await;
    let store = factory.pipeline.ports.store.as_ref();
    let max = factory.pipeline.settings.max_attempts;
    // A worker claimed the outline for its last attempt and died.
    update_job(store, &job.id, |job| {
        job.claim(
            Kind::Outline,
            "dead",
            Duration::from_secs(1),
            max,
            Timestamp(0),
        );
        job.steps[0].attempts = max;
    })
    .await
    .unwrap();

    let report = factory.pipeline.maintain().await.unwrap();
    assert_eq!((report.exhausted, report.settled), (1, 1), "{report:?}");
    let ended = store.get_job(&job.id).await.unwrap().unwrap().value;
    assert_eq!(ended.status, JobStatus::Failed);
    let outline = ended.step(Kind::Outline).unwrap();
    assert_eq!(
        outline.error.as_ref().unwrap().code,
        ErrorCode::AttemptsExhausted
    );
    assert_eq!(
        ended.step(Kind::Faq).unwrap().error.as_ref().unwrap().code,
        ErrorCode::DependencyFailed
    );
    assert_eq!(
        factory.pipeline.maintain().await.unwrap().exhausted,
        0,
        "a second sweep finds nothing to do"
    );
}

/// What two overlapping sweeps did together.
fn sum(a: MaintenanceReport, b: MaintenanceReport) -> MaintenanceReport {
    MaintenanceReport {
        jobs_checked: a.jobs_checked + b.jobs_checked,
        dispatched: a.dispatched + b.dispatched,
        exhausted: a.exhausted + b.exhausted,
        rerendered: a.rerendered + b.rerendered,
        settled: a.settled + b.settled,
        cache_expired: a.cache_expired + b.cache_expired,
        jobs_deleted: a.jobs_deleted + b.jobs_deleted,
        sources_deleted: a.sources_deleted + b.sources_deleted,
        objects_deleted: a.objects_deleted + b.objects_deleted,
        dead_letters: a.dead_letters + b.dead_letters,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_retention_jobs_their_objects_unused_sources_and_cache_entries_go() {
    let (factory, _dir) = started_factory(&[]).await;
    let shared_text = std::fs::read_to_string(EXAMPLES[0]).unwrap();
    let other_text = std::fs::read_to_string(EXAMPLES[1]).unwrap();
    let old = run(&factory, &shared_text, &[Kind::Faq]).await;
    let other = run(&factory, &other_text, &[Kind::Faq]).await;
    let recent = run(&factory, &shared_text, &[Kind::Faq]).await;
    let store = factory.pipeline.ports.store.as_ref();
    let objects = factory.pipeline.ports.objects.as_ref();
    // `recent` ended ten days after the others.
    let later = SystemClock.now().plus(10 * DAY);
    update_job(store, &recent.id, |job| job.updated_at = later)
        .await
        .unwrap();
    let cached = objects.list("cache/").await.unwrap().len();
    assert!(cached > 0);

    // Thirty days and a minute later, with a thirty-day retention, two sweeps at once.
    let now = SystemClock.now().plus(30 * DAY + Duration::from_mins(1));
    let sweep = maintenance_at(&factory, now, 30 * DAY);
    let (first, second) = tokio::join!(sweep.maintain(), sweep.maintain());
    let report = sum(first.unwrap(), second.unwrap());
    assert_eq!(report.jobs_deleted, 2, "{report:?}");
    assert_eq!(report.sources_deleted, 1, "{report:?}");
    assert_eq!(report.cache_expired, cached, "{report:?}");

    for gone in [&old, &other] {
        assert_eq!(store.get_job(&gone.id).await.unwrap(), None);
        assert_eq!(
            objects.list(&format!("jobs/{}/", gone.id)).await.unwrap(),
            []
        );
    }
    assert!(store.get_job(&recent.id).await.unwrap().is_some());
    assert!(
        objects
            .head(&path(&format!("jobs/{}/faq.html", recent.id)))
            .await
            .unwrap()
            .is_some()
    );
    let source = |job: &Job| factory_shared::layout::source(&job.source.sha256);
    assert!(
        objects.head(&source(&recent)).await.unwrap().is_some(),
        "a source another job uses stays"
    );
    assert_eq!(objects.head(&source(&other)).await.unwrap(), None);
    assert_eq!(objects.list("cache/").await.unwrap(), []);
    // Each job: the outline's and the FAQ's three renderings, the manifest and the archive.
    let deleted = 2 * 8 + 1 + cached;
    assert_eq!(
        report.objects_deleted, deleted,
        "two jobs' 8 files, a source and the cache objects: {report:?}"
    );

    let again = sweep.maintain().await.unwrap();
    assert_eq!(
        again,
        MaintenanceReport::default(),
        "a second sweep finds nothing to do"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_whose_deliveries_run_out_is_dead_lettered_listed_and_retried() {
    let (factory, dir) = started_factory(&[]).await;
    let job = stored_only(&factory, &std::fs::read_to_string(EXAMPLES[0]).unwrap()).await;
    // A poison record: every delivery of its steps fails reading the job.
    let db = rusqlite::Connection::open(dir.path().join("f.db")).unwrap();
    let body: String = db
        .query_row(
            "SELECT body FROM jobs WHERE id = ?1",
            [job.id.as_str()],
            |r| r.get(0),
        )
        .unwrap();
    db.execute(
        "UPDATE jobs SET body = '{' WHERE id = ?1",
        [job.id.as_str()],
    )
    .unwrap();
    factory
        .pipeline
        .dispatcher
        .dispatch(factory_shared::dispatch::StepTask {
            job_id: job.id.clone(),
            kind: Kind::Outline,
        })
        .await
        .unwrap();

    let store = factory.pipeline.ports.store.as_ref();
    let mut letters = Vec::new();
    for _ in 0..300 {
        letters = store.dead_letters(10).await.unwrap();
        if !letters.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(letters.len(), 1, "dead-lettered within 15 s");
    let letter = &letters[0];
    assert_eq!((&letter.job_id, letter.kind), (&job.id, Kind::Outline));
    assert_eq!(letter.deliveries, factory.config.max_deliveries());
    assert!(letter.reason.contains("corrupt"), "{}", letter.reason);

    // The cause is fixed; an operator retries.
    db.execute(
        "UPDATE jobs SET body = ?1 WHERE id = ?2",
        [body.as_str(), job.id.as_str()],
    )
    .unwrap();
    assert_eq!(
        factory
            .pipeline
            .retry_dead_letter(&letter.id)
            .await
            .unwrap(),
        Retried::Dispatched
    );
    assert_eq!(store.dead_letters(10).await.unwrap(), []);
    let ended = wait(&factory, &job.id).await;
    assert_eq!(ended.status, JobStatus::Succeeded);
    assert_eq!(
        ended.step(Kind::Outline).unwrap().status,
        StepStatus::Succeeded
    );
    assert_eq!(
        factory
            .pipeline
            .retry_dead_letter(&letter.id)
            .await
            .unwrap(),
        Retried::NotFound,
        "a letter is retried once"
    );
}
