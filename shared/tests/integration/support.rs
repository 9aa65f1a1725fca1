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

/// A Firestore store on the emulator, in a project of its own so tests never see each
/// other's documents.
pub async fn firestore_store() -> factory_shared::store::firestore::FirestoreStore {
    emulator("FIRESTORE_EMULATOR_HOST");
    let project = format!("test-{}", ulid::Ulid::new().to_string().to_lowercase());
    factory_shared::store::firestore::FirestoreStore::connect(
        &project,
        None,
        std::time::Duration::from_hours(30 * 24),
    )
    .await
    .unwrap()
}
