//! Wiring: builds the adapters the configuration selects, connects the pipeline to its
//! queue, and starts the in-process worker. The binaries call this and nothing else.

use std::sync::Arc;

use crate::clock::SystemClock;
use crate::config::{Config, ModelConfig, ObjectsConfig, StoreConfig};
use crate::dispatch::inline::InlineQueue;
use crate::engine::{Delayed, Engine};
use crate::extractive::ExtractiveEngine;
use crate::objects::dir::DirObjectStore;
use crate::objects::{Notifying, ObjectStore};
use crate::pipeline::{Pipeline, Ports, Settings};
use crate::store::JobStore;
use crate::store::sqlite::SqliteStore;

/// A running factory: the pipeline and the ports it uses.
#[derive(Debug, Clone)]
pub struct Factory {
    pub pipeline: Arc<Pipeline>,
    pub config: Config,
}

/// Why the factory could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("job store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("object store: {0}")]
    Objects(#[from] crate::objects::ObjectError),
}

impl Factory {
    /// Builds every adapter and starts the worker loop on the current Tokio runtime.
    pub fn start(config: Config) -> Result<Self, StartError> {
        let store: Arc<dyn JobStore> = match &config.store {
            StoreConfig::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
        };
        let (queue, receiver) = InlineQueue::new();
        let objects: Arc<dyn ObjectStore> = match &config.objects {
            ObjectsConfig::Dir(path) => Arc::new(DirObjectStore::open(path)?),
        };
        let objects = Arc::new(Notifying {
            inner: objects,
            events: Arc::new(queue.clone()),
        });
        let mut engine: Arc<dyn Engine> = match config.model {
            ModelConfig::Extractive => Arc::new(ExtractiveEngine::new()),
        };
        if !config.engine_delay.is_zero() {
            engine = Arc::new(Delayed {
                inner: engine,
                delay: config.engine_delay,
            });
        }
        let settings = Settings {
            lease: config.lease,
            max_attempts: config.max_attempts,
            ..Settings::default()
        };
        let ports = Ports {
            store,
            objects,
            clock: Arc::new(SystemClock),
        };
        let pipeline = Arc::new(Pipeline::new(
            ports,
            engine,
            Arc::new(queue.clone()),
            settings,
        ));
        tokio::spawn(queue.run(receiver, pipeline.clone(), config.concurrency));
        Ok(Self { pipeline, config })
    }
}
