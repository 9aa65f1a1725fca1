//! What several test modules share: a factory started on a temporary SQLite file and folder.

use std::collections::HashMap;

use factory_shared::config::Config;
use factory_shared::runtime::Factory;

/// A factory on embedded adapters in a temporary directory, with extra configuration
/// variables; keep the directory alive as long as the factory.
pub async fn started_factory(extra: &[(&str, &str)]) -> (Factory, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert(
        "FACTORY_STORE".into(),
        format!("sqlite:{}", dir.path().join("f.db").display()),
    );
    vars.insert(
        "FACTORY_OBJECTS".into(),
        format!("dir:{}", dir.path().join("objects").display()),
    );
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    let config = Config::from_lookup(|name| vars.get(name).cloned()).unwrap();
    (Factory::start(config).await.unwrap(), dir)
}

/// The address of an emulator from the environment `scripts/emulators` sets up. Tests of the
/// cloud adapters never skip: without the emulator they fail and say how to start it.
pub fn emulator(variable: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!("{variable} is not set: run the tests through `scripts/emulators cargo test` (scripts/test does)")
    })
}

/// A Firestore project name no other test uses, so tests never see each other's documents.
pub fn fresh_project() -> String {
    format!("test-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// A Firestore store on the emulator in `project`, keeping ended jobs for `retention`.
pub async fn firestore_store_in(
    project: &str,
    retention: std::time::Duration,
) -> factory_shared::store::firestore::FirestoreStore {
    emulator("FIRESTORE_EMULATOR_HOST");
    factory_shared::store::firestore::FirestoreStore::connect(project, None, retention)
        .await
        .unwrap()
}

/// A Firestore store on the emulator, in a project of its own, keeping ended jobs 30 days.
pub async fn firestore_store() -> factory_shared::store::firestore::FirestoreStore {
    firestore_store_in(&fresh_project(), std::time::Duration::from_hours(30 * 24)).await
}
