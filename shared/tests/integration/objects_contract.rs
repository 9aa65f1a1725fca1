//! The `ObjectStore` contract: what every adapter must do, written against the trait.

use std::sync::Arc;

use bytes::Bytes;
use factory_shared::objects::{ObjectInfo, ObjectPath, ObjectStore};

fn path(p: &str) -> ObjectPath {
    ObjectPath::new(p).unwrap()
}

pub async fn a_written_object_reads_back_with_its_size_and_digest(objects: Arc<dyn ObjectStore>) {
    let info = objects
        .put(
            &path("jobs/j1/faq.json"),
            Bytes::from_static(b"{\"a\":1}"),
            "application/json",
        )
        .await
        .unwrap();
    assert_eq!(info, ObjectInfo::of(path("jobs/j1/faq.json"), b"{\"a\":1}"));
    assert_eq!(
        objects
            .get(&path("jobs/j1/faq.json"))
            .await
            .unwrap()
            .as_deref(),
        Some(&b"{\"a\":1}"[..])
    );
    assert_eq!(
        objects.head(&path("jobs/j1/faq.json")).await.unwrap(),
        Some(info)
    );
}

pub async fn a_missing_object_is_none(objects: Arc<dyn ObjectStore>) {
    assert_eq!(objects.get(&path("nope/x.txt")).await.unwrap(), None);
    assert_eq!(objects.head(&path("nope/x.txt")).await.unwrap(), None);
}

pub async fn writing_again_replaces_the_whole_object(objects: Arc<dyn ObjectStore>) {
    objects
        .put(
            &path("a/b.txt"),
            Bytes::from_static(b"a long first version"),
            "text/plain",
        )
        .await
        .unwrap();
    objects
        .put(&path("a/b.txt"), Bytes::from_static(b"short"), "text/plain")
        .await
        .unwrap();
    assert_eq!(
        objects.get(&path("a/b.txt")).await.unwrap().as_deref(),
        Some(&b"short"[..])
    );
}

pub async fn listing_returns_sorted_paths_under_a_prefix(objects: Arc<dyn ObjectStore>) {
    for p in [
        "jobs/j2/z.md",
        "jobs/j2/a.json",
        "jobs/j3/a.json",
        "sources/s.txt",
    ] {
        objects
            .put(&path(p), Bytes::from_static(b"x"), "text/plain")
            .await
            .unwrap();
    }
    let listed: Vec<String> = objects
        .list("jobs/j2/")
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(listed, ["jobs/j2/a.json", "jobs/j2/z.md"]);
    assert_eq!(objects.list("jobs/").await.unwrap().len(), 3);
    assert!(objects.list("nothing/").await.unwrap().is_empty());
}

pub async fn deleting_reports_whether_the_object_existed(objects: Arc<dyn ObjectStore>) {
    objects
        .put(&path("d/x.txt"), Bytes::from_static(b"x"), "text/plain")
        .await
        .unwrap();
    assert!(objects.delete(&path("d/x.txt")).await.unwrap());
    assert!(!objects.delete(&path("d/x.txt")).await.unwrap());
    assert_eq!(objects.get(&path("d/x.txt")).await.unwrap(), None);
}

pub async fn concurrent_writers_leave_one_whole_version(objects: Arc<dyn ObjectStore>) {
    let a = Bytes::from(vec![b'a'; 200_000]);
    let b = Bytes::from(vec![b'b'; 100_000]);
    let mut tasks = Vec::new();
    for n in 0..8 {
        let objects = Arc::clone(&objects);
        let data = if n % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            objects
                .put(&path("race/x.bin"), data, "application/octet-stream")
                .await
                .unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let read = objects.get(&path("race/x.bin")).await.unwrap().unwrap();
    assert!(
        read == a || read == b,
        "a torn write of {} bytes",
        read.len()
    );
    assert!(
        objects.list("race/").await.unwrap().len() == 1,
        "no temporary files are listed"
    );
}

pub async fn creating_writes_only_where_nothing_is(objects: Arc<dyn ObjectStore>) {
    let p = path("once/x.json");
    let first = objects
        .create(&p, Bytes::from_static(b"first"), "application/json")
        .await
        .unwrap()
        .expect("the first create stores the object");
    assert_eq!(first.bytes, 5);
    let again = objects
        .create(&p, Bytes::from_static(b"second!"), "application/json")
        .await
        .unwrap();
    assert_eq!(again, None, "an existing object is left as it was");
    assert_eq!(objects.get(&p).await.unwrap().unwrap(), "first");
    assert_eq!(objects.head(&p).await.unwrap().unwrap(), first);
}

pub async fn of_racing_creators_exactly_one_wins(objects: Arc<dyn ObjectStore>) {
    let mut tasks = Vec::new();
    for n in 0..8u8 {
        let objects = Arc::clone(&objects);
        tasks.push(tokio::spawn(async move {
            let data = Bytes::from(vec![b'a' + n; 50_000]);
            let created = objects
                .create(
                    &path("race/once.bin"),
                    data.clone(),
                    "application/octet-stream",
                )
                .await
                .unwrap();
            created.map(|_| data)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        winners.extend(task.await.unwrap());
    }
    assert_eq!(winners.len(), 1, "exactly one create succeeds");
    let read = objects.get(&path("race/once.bin")).await.unwrap().unwrap();
    assert_eq!(read, winners[0], "the winner's bytes are stored");
    assert_eq!(
        objects.list("race/").await.unwrap().len(),
        1,
        "no temporary files are listed"
    );
}

pub async fn an_object_store_answers_pings(objects: Arc<dyn ObjectStore>) {
    objects.ping().await.unwrap();
}

macro_rules! objects_contract {
    ($module:ident, $make:expr) => {
        mod $module {
            use super as contract;
            use std::sync::Arc;
            use factory_shared::objects::ObjectStore;
            objects_contract!(@tests $make;
                a_written_object_reads_back_with_its_size_and_digest,
                a_missing_object_is_none,
                writing_again_replaces_the_whole_object,
                listing_returns_sorted_paths_under_a_prefix,
                deleting_reports_whether_the_object_existed,
                concurrent_writers_leave_one_whole_version,
                creating_writes_only_where_nothing_is,
                of_racing_creators_exactly_one_wins,
                an_object_store_answers_pings);
        }
    };
    (@tests $make:expr; $($name:ident),+) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (objects, _guard) = $make;
                contract::$name(objects).await;
            }
        )+
    };
}

objects_contract!(directory, {
    let dir = tempfile::tempdir().unwrap();
    let objects =
        factory_shared::objects::dir::DirObjectStore::open(dir.path().join("objects")).unwrap();
    (Arc::new(objects) as Arc<dyn ObjectStore>, dir)
});

// Against fake-gcs-server at `STORAGE_EMULATOR_HOST` (scripts/test starts it), one fresh bucket
// per test. Pages of two names, so listing walks several pages.
objects_contract!(cloud_storage, {
    let host = std::env::var("STORAGE_EMULATOR_HOST").expect(
        "STORAGE_EMULATOR_HOST is not set: start fake-gcs-server and set it to \
         http://127.0.0.1:PORT (the Cloud Storage contract tests need it)",
    );
    let origin = if host.contains("://") {
        host.trim_end_matches('/').to_owned()
    } else {
        format!("http://{host}")
    };
    let bucket = format!("contract-{}", ulid::Ulid::new().to_string().to_lowercase());
    let created = reqwest::Client::new()
        .post(format!("{origin}/storage/v1/b?project=test"))
        .json(&serde_json::json!({ "name": bucket }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("fake-gcs-server at {origin} does not answer: {e}"));
    assert!(
        created.status().is_success(),
        "creating bucket {bucket}: {}",
        created.status()
    );
    let objects = factory_shared::objects::gcs::GcsObjectStore::new(
        bucket,
        Some(host),
        factory_shared::gcp::auth::GoogleAuth::anonymous(),
    )
    .unwrap()
    .with_list_page_size(2);
    (Arc::new(objects) as Arc<dyn ObjectStore>, ())
});
