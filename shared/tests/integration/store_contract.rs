//! The `JobStore` contract: what every adapter must do, written against the trait. Each
//! adapter instantiates the suite with `store_contract!(module, async constructor)`.

use std::sync::Arc;

use factory_shared::clock::Timestamp;
use factory_shared::content::{Kind, Options};
use factory_shared::jobs::{Job, JobId, JobStatus, SourceInfo};
use factory_shared::store::{
    Admission, Admitted, ApiKeyRecord, CacheEntry, DeadLetter, Idempotency, JobQuery, JobStore,
    Scopes, StoreError, update_job,
};

pub fn job(tenant: &str) -> Job {
    let source = SourceInfo {
        sha256: "a".repeat(64),
        chars: 500,
        name: Some("s.md".into()),
        file: None,
    };
    Job::new(
        JobId::generate(),
        tenant.into(),
        source,
        Options::default(),
        &[Kind::Faq],
        Timestamp(1_000),
    )
}

pub async fn a_created_job_reads_back_whole_at_version_one(store: Arc<dyn JobStore>) {
    let job = job("t1");
    assert_eq!(
        store.create_job(&job, &Admission::default()).await.unwrap(),
        Admitted::Created
    );
    let read = store.get_job(&job.id).await.unwrap().unwrap();
    assert_eq!(read.value, job);
    assert_eq!(read.version, 1);
}

pub async fn creating_an_existing_id_is_a_conflict(store: Arc<dyn JobStore>) {
    let job = job("t1");
    assert_eq!(
        store.create_job(&job, &Admission::default()).await.unwrap(),
        Admitted::Created
    );
    assert_eq!(
        store.create_job(&job, &Admission::default()).await,
        Err(StoreError::Conflict)
    );
}

pub async fn a_missing_job_reads_as_none_and_cannot_be_saved(store: Arc<dyn JobStore>) {
    let job = job("t1");
    assert_eq!(store.get_job(&job.id).await.unwrap(), None);
    assert_eq!(store.save_job(&job, 1).await, Err(StoreError::NotFound));
}

pub async fn a_save_at_a_stale_version_is_a_conflict_and_changes_nothing(store: Arc<dyn JobStore>) {
    let mut job = job("t1");
    assert_eq!(
        store.create_job(&job, &Admission::default()).await.unwrap(),
        Admitted::Created
    );
    job.status = JobStatus::Running;
    assert_eq!(store.save_job(&job, 1).await, Ok(2));
    job.status = JobStatus::Cancelled;
    assert_eq!(store.save_job(&job, 1).await, Err(StoreError::Conflict));
    let read = store.get_job(&job.id).await.unwrap().unwrap();
    assert_eq!((read.value.status, read.version), (JobStatus::Running, 2));
}

pub async fn concurrent_updates_are_never_lost(store: Arc<dyn JobStore>) {
    let job = job("t1");
    assert_eq!(
        store.create_job(&job, &Admission::default()).await.unwrap(),
        Admitted::Created
    );
    let mut tasks = Vec::new();
    for n in 0..20 {
        let store = Arc::clone(&store);
        let id = job.id.clone();
        tasks.push(tokio::spawn(async move {
            update_job(store.as_ref(), &id, |job| job.artifacts.push(artifact(n)))
                .await
                .unwrap();
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let read = store.get_job(&job.id).await.unwrap().unwrap();
    assert_eq!(
        read.value.artifacts.len(),
        20,
        "every concurrent update survives"
    );
    assert_eq!(read.version, 21);
}

fn artifact(n: usize) -> factory_shared::jobs::ArtifactRecord {
    factory_shared::jobs::ArtifactRecord {
        name: format!("f{n}.md"),
        kind: Kind::Faq,
        format: "md".into(),
        bytes: 1,
        sha256: "0".repeat(64),
    }
}

pub async fn listing_is_newest_first_per_tenant_with_status_and_cursor(store: Arc<dyn JobStore>) {
    let mut ids = Vec::new();
    for n in 0..5 {
        let mut job = job(if n % 2 == 0 { "even" } else { "odd" });
        if n == 4 {
            job.status = JobStatus::Succeeded;
        }
        assert_eq!(
            store.create_job(&job, &Admission::default()).await.unwrap(),
            Admitted::Created
        );
        ids.push(job.id);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let even = |status, before, limit| JobQuery {
        tenant: Some("even".into()),
        status,
        before,
        limit,
    };
    let listed: Vec<JobId> = store
        .list_jobs(&even(None, None, 10))
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(listed, [ids[4].clone(), ids[2].clone(), ids[0].clone()]);
    let page: Vec<JobId> = store
        .list_jobs(&even(None, Some(ids[4].clone()), 1))
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(page, [ids[2].clone()]);
    let done: Vec<JobId> = store
        .list_jobs(&even(Some(JobStatus::Succeeded), None, 10))
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(done, [ids[4].clone()]);
}

pub async fn unfinished_jobs_are_the_ones_not_ended_oldest_first(store: Arc<dyn JobStore>) {
    let first = job("t");
    let mut ended = job("t");
    ended.status = JobStatus::Failed;
    let last = job("t");
    for j in [&first, &ended, &last] {
        assert_eq!(
            store.create_job(j, &Admission::default()).await.unwrap(),
            Admitted::Created
        );
    }
    assert_eq!(
        store.unfinished_jobs(10).await.unwrap(),
        [first.id.clone(), last.id.clone()]
    );
    let mut finished = first.clone();
    finished.status = JobStatus::Succeeded;
    store.save_job(&finished, 1).await.unwrap();
    assert_eq!(store.unfinished_jobs(10).await.unwrap(), [last.id]);
}

pub async fn the_first_cache_entry_for_a_key_wins(store: Arc<dyn JobStore>) {
    assert_eq!(store.cache_get("k").await.unwrap(), None);
    let entry = CacheEntry {
        key: "k".into(),
        kind: Kind::Faq,
        object: "cache/k.json".into(),
        created_at: Timestamp(5),
    };
    store.cache_put(&entry).await.unwrap();
    store
        .cache_put(&CacheEntry {
            object: "cache/other.json".into(),
            ..entry.clone()
        })
        .await
        .unwrap();
    assert_eq!(store.cache_get("k").await.unwrap(), Some(entry));
}

pub async fn ended_jobs_past_a_cutoff_are_found_oldest_first_and_deleted(store: Arc<dyn JobStore>) {
    let mut later = job("t");
    later.status = JobStatus::Succeeded;
    later.updated_at = Timestamp(2_000);
    let mut earlier = job("t");
    earlier.status = JobStatus::Failed;
    earlier.updated_at = Timestamp(1_500);
    let mut running = job("t");
    running.updated_at = Timestamp(1_000);
    for j in [&later, &earlier, &running] {
        store.create_job(j, &Admission::default()).await.unwrap();
    }
    assert_eq!(
        store.ended_before(Timestamp(1_800), 10).await.unwrap(),
        [earlier.id.clone()]
    );
    assert_eq!(
        store.ended_before(Timestamp(3_000), 10).await.unwrap(),
        [earlier.id.clone(), later.id.clone()]
    );
    assert_eq!(
        store.ended_before(Timestamp(3_000), 1).await.unwrap(),
        [earlier.id.clone()]
    );
    assert!(store.delete_job(&earlier.id).await.unwrap());
    assert!(
        !store.delete_job(&earlier.id).await.unwrap(),
        "already gone"
    );
    assert_eq!(store.get_job(&earlier.id).await.unwrap(), None);
    assert_eq!(
        store.ended_before(Timestamp(3_000), 10).await.unwrap(),
        [later.id]
    );
}

pub async fn a_source_is_in_use_while_a_stored_job_uses_it(store: Arc<dyn JobStore>) {
    let first = job("t");
    let sha = first.source.sha256.clone();
    assert!(!store.source_in_use(&sha).await.unwrap());
    store
        .create_job(&first, &Admission::default())
        .await
        .unwrap();
    let second = job("u");
    store
        .create_job(&second, &Admission::default())
        .await
        .unwrap();
    assert!(store.source_in_use(&sha).await.unwrap());
    assert!(!store.source_in_use(&"b".repeat(64)).await.unwrap());
    store.delete_job(&first.id).await.unwrap();
    assert!(
        store.source_in_use(&sha).await.unwrap(),
        "the other job uses it"
    );
    store.delete_job(&second.id).await.unwrap();
    assert!(!store.source_in_use(&sha).await.unwrap());
}

pub async fn old_cache_entries_are_found_oldest_first_and_deleted(store: Arc<dyn JobStore>) {
    let entry = |key: &str, at: i64| CacheEntry {
        key: key.into(),
        kind: Kind::Faq,
        object: format!("cache/{key}.json"),
        created_at: Timestamp(at),
    };
    for e in [entry("new", 30), entry("old", 10), entry("mid", 20)] {
        store.cache_put(&e).await.unwrap();
    }
    assert_eq!(
        store.cache_older_than(Timestamp(25), 10).await.unwrap(),
        [entry("old", 10), entry("mid", 20)]
    );
    assert!(store.cache_delete("old").await.unwrap());
    assert!(!store.cache_delete("old").await.unwrap());
    assert_eq!(store.cache_get("old").await.unwrap(), None);
    assert_eq!(
        store.cache_older_than(Timestamp(25), 10).await.unwrap(),
        [entry("mid", 20)]
    );
}

pub async fn dead_letters_are_kept_per_step_listed_oldest_first_and_removed(
    store: Arc<dyn JobStore>,
) {
    assert_eq!(store.dead_letters(10).await.unwrap(), []);
    let (a, b) = (JobId::generate(), JobId::generate());
    let first = DeadLetter::new(a.clone(), Kind::Faq, 5, "store unavailable", Timestamp(10));
    let second = DeadLetter::new(b, Kind::Outline, 5, "stopping", Timestamp(20));
    store.put_dead_letter(&second).await.unwrap();
    store.put_dead_letter(&first).await.unwrap();
    assert_eq!(
        store.dead_letters(10).await.unwrap(),
        [first.clone(), second.clone()]
    );
    // The same step again replaces its letter.
    let again = DeadLetter::new(a, Kind::Faq, 7, "still unavailable", Timestamp(30));
    assert_eq!(again.id, first.id);
    store.put_dead_letter(&again).await.unwrap();
    assert_eq!(
        store.dead_letters(10).await.unwrap(),
        [second.clone(), again.clone()]
    );
    assert!(store.delete_dead_letter(&second.id).await.unwrap());
    assert!(!store.delete_dead_letter(&second.id).await.unwrap());
    assert_eq!(store.dead_letters(10).await.unwrap(), [again]);
}

fn admission(limit: Option<u32>, key: Option<(&str, &str)>) -> Admission {
    Admission {
        daily_limit: limit,
        day: "2026-11-27".into(),
        idempotency: key.map(|(key, sha)| Idempotency {
            key: key.into(),
            request_sha256: sha.into(),
        }),
    }
}

pub async fn the_daily_quota_is_exact_and_per_tenant(store: Arc<dyn JobStore>) {
    for _ in 0..3 {
        assert_eq!(
            store
                .create_job(&job("a"), &admission(Some(3), None))
                .await
                .unwrap(),
            Admitted::Created
        );
    }
    let refused = job("a");
    assert_eq!(
        store
            .create_job(&refused, &admission(Some(3), None))
            .await
            .unwrap(),
        Admitted::QuotaExceeded { limit: 3 }
    );
    assert_eq!(
        store.get_job(&refused.id).await.unwrap(),
        None,
        "a refused job is not stored"
    );
    assert_eq!(store.jobs_on("a", "2026-11-27").await.unwrap(), 3);
    assert_eq!(
        store
            .create_job(&job("b"), &admission(Some(3), None))
            .await
            .unwrap(),
        Admitted::Created
    );
    assert_eq!(store.jobs_on("b", "2026-11-27").await.unwrap(), 1);
}

pub async fn concurrent_creations_never_exceed_the_quota(store: Arc<dyn JobStore>) {
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .create_job(&job("busy"), &admission(Some(5), None))
                .await
                .unwrap()
        }));
    }
    let mut created = 0;
    for task in tasks {
        if task.await.unwrap() == Admitted::Created {
            created += 1;
        }
    }
    assert_eq!(created, 5);
    assert_eq!(store.jobs_on("busy", "2026-11-27").await.unwrap(), 5);
}

pub async fn an_idempotency_key_replays_the_same_request_and_refuses_another(
    store: Arc<dyn JobStore>,
) {
    let first = job("t");
    assert_eq!(
        store
            .create_job(&first, &admission(None, Some(("k1", "body-a"))))
            .await
            .unwrap(),
        Admitted::Created
    );
    let again = job("t");
    assert_eq!(
        store
            .create_job(&again, &admission(None, Some(("k1", "body-a"))))
            .await
            .unwrap(),
        Admitted::Replayed(first.id.clone())
    );
    assert_eq!(
        store
            .create_job(&job("t"), &admission(None, Some(("k1", "body-b"))))
            .await
            .unwrap(),
        Admitted::KeyReused(first.id.clone())
    );
    assert_eq!(
        store.get_job(&again.id).await.unwrap(),
        None,
        "a replay stores nothing new"
    );
    assert_eq!(
        store.jobs_on("t", "2026-11-27").await.unwrap(),
        1,
        "a replay is not counted"
    );
    // Keys belong to a tenant: another tenant may use the same key.
    assert_eq!(
        store
            .create_job(&job("u"), &admission(None, Some(("k1", "body-a"))))
            .await
            .unwrap(),
        Admitted::Created
    );
}

pub async fn api_keys_are_found_by_their_hash_only(store: Arc<dyn JobStore>) {
    let key = ApiKeyRecord {
        sha256: "f".repeat(64),
        tenant: "school".into(),
        prefix: "acf_abcd".into(),
        rate_per_minute: 60,
        daily_jobs: Some(100),
        created_at: Timestamp(7),
        name: "LMS integration".into(),
        scopes: Scopes {
            submit: false,
            read: true,
        },
        expires_at: Some(Timestamp(9_000)),
        revoked_at: None,
    };
    store.put_api_key(&key).await.unwrap();
    assert_eq!(store.api_key(&key.sha256).await.unwrap(), Some(key.clone()));
    assert_eq!(store.api_key(&"e".repeat(64)).await.unwrap(), None);
    assert_eq!(store.put_api_key(&key).await, Err(StoreError::Conflict));
}

pub async fn api_keys_are_listed_per_tenant_and_revoked_or_expired_in_place(
    store: Arc<dyn JobStore>,
) {
    let key = |n: u8, tenant: &str, created: i64| ApiKeyRecord {
        sha256: format!("{n:x}").repeat(64),
        tenant: tenant.into(),
        prefix: format!("acf_{n}"),
        rate_per_minute: 60,
        daily_jobs: None,
        created_at: Timestamp(created),
        name: String::new(),
        scopes: Scopes::ALL,
        expires_at: None,
        revoked_at: None,
    };
    let (a, b, c) = (
        key(1, "school", 30),
        key(2, "other", 20),
        key(3, "school", 10),
    );
    for k in [&a, &b, &c] {
        store.put_api_key(k).await.unwrap();
    }
    let listed = |keys: Vec<ApiKeyRecord>| keys.into_iter().map(|k| k.prefix).collect::<Vec<_>>();
    assert_eq!(
        listed(store.api_keys(Some("school")).await.unwrap()),
        ["acf_3", "acf_1"]
    );
    assert_eq!(
        listed(store.api_keys(None).await.unwrap()),
        ["acf_3", "acf_2", "acf_1"]
    );
    assert_eq!(store.api_keys(Some("nobody")).await.unwrap(), []);

    store
        .set_api_key_validity(&a.sha256, Some(Timestamp(500)), Some(Timestamp(400)))
        .await
        .unwrap();
    let changed = store.api_key(&a.sha256).await.unwrap().unwrap();
    assert_eq!(
        (changed.expires_at, changed.revoked_at),
        (Some(Timestamp(500)), Some(Timestamp(400)))
    );
    assert_eq!(changed.refusal(Timestamp(399)), None);
    assert_eq!(
        changed.refusal(Timestamp(400)),
        Some("the API key was revoked")
    );
    assert_eq!(
        ApiKeyRecord {
            revoked_at: None,
            ..changed.clone()
        }
        .refusal(Timestamp(500)),
        Some("the API key has expired")
    );
    store
        .set_api_key_validity(&a.sha256, None, None)
        .await
        .unwrap();
    assert_eq!(store.api_key(&a.sha256).await.unwrap(), Some(a.clone()));
    assert_eq!(
        store
            .set_api_key_validity(&"0".repeat(64), None, None)
            .await,
        Err(StoreError::NotFound)
    );
}

pub async fn a_store_answers_pings(store: Arc<dyn JobStore>) {
    store.ping().await.unwrap();
}

/// Instantiates every contract test for one adapter.
macro_rules! store_contract {
    ($module:ident, $make:expr) => {
        mod $module {
            use super as contract;
            use std::sync::Arc;
            use factory_shared::store::JobStore;
            store_contract!(@tests $make;
                a_created_job_reads_back_whole_at_version_one,
                creating_an_existing_id_is_a_conflict,
                a_missing_job_reads_as_none_and_cannot_be_saved,
                a_save_at_a_stale_version_is_a_conflict_and_changes_nothing,
                concurrent_updates_are_never_lost,
                listing_is_newest_first_per_tenant_with_status_and_cursor,
                unfinished_jobs_are_the_ones_not_ended_oldest_first,
                the_first_cache_entry_for_a_key_wins,
                ended_jobs_past_a_cutoff_are_found_oldest_first_and_deleted,
                a_source_is_in_use_while_a_stored_job_uses_it,
                old_cache_entries_are_found_oldest_first_and_deleted,
                dead_letters_are_kept_per_step_listed_oldest_first_and_removed,
                the_daily_quota_is_exact_and_per_tenant,
                concurrent_creations_never_exceed_the_quota,
                an_idempotency_key_replays_the_same_request_and_refuses_another,
                api_keys_are_found_by_their_hash_only,
                api_keys_are_listed_per_tenant_and_revoked_or_expired_in_place,
                a_store_answers_pings);
        }
    };
    (@tests $make:expr; $($name:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _guard) = $make;
                contract::$name(store).await;
            }
        )+
    };
}

store_contract!(sqlite_file, {
    let dir = tempfile::tempdir().unwrap();
    let store =
        factory_shared::store::sqlite::SqliteStore::open(&dir.path().join("jobs.db")).unwrap();
    (Arc::new(store) as Arc<dyn JobStore>, dir)
});
store_contract!(
    sqlite_memory,
    (
        Arc::new(factory_shared::store::sqlite::SqliteStore::in_memory().unwrap())
            as Arc<dyn JobStore>,
        ()
    )
);
store_contract!(firestore_emulator, {
    let store = crate::support::firestore_store().await;
    (Arc::new(store) as Arc<dyn JobStore>, ())
});
