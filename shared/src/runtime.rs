//! Wiring: builds the adapters the configuration selects, connects the pipeline to its
//! dispatcher, and starts the in-process worker. The binaries call this and nothing else.
//!
//! Object events reach post-processing in process when objects are a local folder; on
//! Cloud Storage they arrive as storage notifications at the `post-process` function.

use std::sync::Arc;

use crate::clock::SystemClock;
use crate::config::{Config, DispatchConfig, ObjectsConfig, SpeechEngine, StoreConfig};
use crate::dispatch::Dispatcher;
use crate::dispatch::inline::InlineQueue;
use crate::dispatch::pubsub::PubSubDispatcher;
use crate::gcp::auth::{AuthError, GoogleAuth};
use crate::generation::Delayed;
use crate::model::resilient::RetryPolicy;
use crate::objects::dir::DirObjectStore;
use crate::objects::gcs::GcsObjectStore;
use crate::objects::journal::Journal;
use crate::objects::{Notifying, ObjectEvents, ObjectStore};
use crate::pipeline::audio::{AudioSettings, AudioStage};
use crate::pipeline::{Pipeline, Ports, Settings};
use crate::speech::espeak::Espeak;
use crate::speech::google::{self, GoogleSpeech};
use crate::speech::{Resilient, Speech};
use crate::store::JobStore;
use crate::store::firestore::FirestoreStore;
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
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Engine(#[from] crate::model::select::EngineSetupError),
}

impl Factory {
    /// Builds every adapter and starts the worker loop on the current Tokio runtime.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let store = open_store(&config).await?;
        let (queue, receiver) = InlineQueue::new();
        let mut objects: Arc<dyn ObjectStore> = match &config.objects {
            ObjectsConfig::Dir(path) => Arc::new(DirObjectStore::open(path)?),
            ObjectsConfig::Gcs { bucket } => {
                let endpoint = config.emulators.storage.clone();
                let auth = google_auth(endpoint.is_some())?;
                Arc::new(GcsObjectStore::new(bucket.clone(), endpoint, auth)?)
            }
        };
        let mut events: Vec<Arc<dyn ObjectEvents>> = Vec::new();
        if let Some(path) = &config.object_journal {
            events.push(Arc::new(Journal::open(path)?));
        }
        if matches!(config.objects, ObjectsConfig::Dir(_)) {
            events.push(Arc::new(queue.clone()));
        }
        if !events.is_empty() {
            objects = Arc::new(Notifying {
                inner: objects,
                events: Arc::new(events),
            });
        }
        let dispatcher: Arc<dyn Dispatcher> = match &config.dispatch {
            DispatchConfig::Inline => Arc::new(queue.clone()),
            DispatchConfig::PubSub { project, topic } => {
                let emulator = config.emulators.pubsub.as_deref();
                Arc::new(PubSubDispatcher::new(
                    project,
                    topic,
                    emulator,
                    google_auth(emulator.is_some())?,
                ))
            }
        };
        let mut engine = crate::model::select::engine(&config)?;
        if !config.engine_delay.is_zero() {
            engine = Arc::new(Delayed {
                inner: engine,
                delay: config.engine_delay,
            });
        }
        let settings = Settings {
            lease: config.step_lease(),
            max_attempts: config.max_attempts,
            retention: config.retention,
            ..Settings::default()
        };
        let ports = Ports {
            store,
            objects,
            clock: Arc::new(SystemClock),
            audio: audio_stage(&config)?,
        };
        let pipeline = Arc::new(Pipeline::new(ports, engine, dispatcher, settings));
        tokio::spawn(queue.run(
            receiver,
            pipeline.clone(),
            config.concurrency,
            config.max_deliveries(),
        ));
        Ok(Self { pipeline, config })
    }
}

/// The job store the configuration selects (also used alone, e.g. to create API keys).
pub async fn open_store(config: &Config) -> Result<Arc<dyn JobStore>, StartError> {
    Ok(match &config.store {
        StoreConfig::Sqlite(path) => Arc::new(SqliteStore::open(path)?),
        StoreConfig::Firestore { project, database } => {
            Arc::new(FirestoreStore::connect(project, database.as_deref(), config.retention).await?)
        }
    })
}

/// The speech engine and audio settings the configuration selects (`None`: `off`).
pub fn audio_stage(config: &Config) -> Result<Option<Arc<AudioStage>>, StartError> {
    let s = &config.speech;
    let engine: Arc<dyn Speech> = match s.engine {
        SpeechEngine::Off => return Ok(None),
        SpeechEngine::Espeak => Arc::new(Espeak::new(&s.espeak)),
        SpeechEngine::Google => {
            // A plain-http base URL is a local test server: no credentials.
            let local = s
                .base_url
                .as_deref()
                .is_some_and(|u| u.starts_with("http://"));
            Arc::new(GoogleSpeech::new(
                s.base_url
                    .clone()
                    .unwrap_or_else(|| google::ENDPOINT.into()),
                google_auth(local)?,
                s.price_per_million,
            ))
        }
    };
    let policy = RetryPolicy {
        max_attempts: s.attempts,
        call_timeout: s.call_timeout,
        deadline: s.deadline,
        ..RetryPolicy::default()
    };
    Ok(Some(Arc::new(AudioStage {
        speech: Arc::new(Resilient::new(engine, policy, s.concurrency)),
        settings: AudioSettings {
            max_chars: s.max_chars,
            concurrency: s.concurrency,
            ffmpeg: s.ffmpeg.clone(),
            voices: s.voices.clone(),
            ..AudioSettings::default()
        },
    })))
}

/// Application Default Credentials, or none against an emulator.
fn google_auth(emulated: bool) -> Result<GoogleAuth, AuthError> {
    if emulated {
        Ok(GoogleAuth::anonymous())
    } else {
        GoogleAuth::application_default()
    }
}
