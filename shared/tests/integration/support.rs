//! What several test modules share: a factory started on a temporary SQLite file and folder.

use std::collections::HashMap;

use factory_shared::config::Config;
use factory_shared::runtime::Factory;

/// A factory on embedded adapters in a temporary directory, with extra configuration
/// variables; keep the directory alive as long as the factory.
pub fn started_factory(extra: &[(&str, &str)]) -> (Factory, tempfile::TempDir) {
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
    (Factory::start(config).unwrap(), dir)
}
