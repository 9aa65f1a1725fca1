//! Configuration: one typed struct read once from the environment. A missing or malformed
//! variable stops start-up with a message that names it. `.env.example` documents each one.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::content::Kind;

/// Where job state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// `sqlite:PATH`
    Sqlite(PathBuf),
    /// `firestore:PROJECT[/DATABASE]`
    Firestore {
        project: String,
        database: Option<String>,
    },
}

/// Where sources and artifacts live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectsConfig {
    /// `dir:PATH`; object events go to post-processing in process.
    Dir(PathBuf),
    /// `gs://BUCKET`; object events arrive from Cloud Storage notifications.
    Gcs { bucket: String },
}

/// How steps reach a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DispatchConfig {
    /// `inline`: an in-process queue.
    Inline,
    /// `pubsub:PROJECT/TOPIC`: published to a topic, pushed to the functions.
    PubSub { project: String, topic: String },
}

/// Who may call `/internal/*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InternalAuth {
    /// `closed` (default): nobody; they answer 403.
    Closed,
    /// `off`: anyone who can reach the port (a private network, the emulator harness).
    Off,
    /// `oidc`: a Google-signed OIDC token for one of `audiences`, from one of `allowed_emails`
    /// (`FACTORY_OIDC_AUDIENCE`, `FACTORY_OIDC_ALLOWED_EMAILS`, comma-separated;
    /// `FACTORY_OIDC_JWKS_URL` overrides Google's key set).
    Oidc {
        audiences: Vec<String>,
        allowed_emails: Vec<String>,
        jwks_url: Option<String>,
    },
}

/// Emulator endpoints (`FIRESTORE_EMULATOR_HOST` is read by the Firestore client itself).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Emulators {
    /// `STORAGE_EMULATOR_HOST`, e.g. `http://127.0.0.1:4443`.
    pub storage: Option<String>,
    /// `PUBSUB_EMULATOR_HOST`, e.g. `127.0.0.1:8085`.
    pub pubsub: Option<String>,
}

/// Which engine generates content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSpec {
    /// `extractive`: the built-in engine.
    Extractive,
    /// `vertex:MODEL`: Gemini on Vertex AI (project from `GOOGLE_CLOUD_PROJECT`).
    Vertex { model: String },
    /// `gemini:MODEL`: the Gemini API with `GEMINI_API_KEY`.
    Gemini { model: String },
    /// `openai:MODEL@BASE_URL`: any Chat Completions server (OpenAI, Ollama, vLLM, llama.cpp).
    OpenAi { model: String, base_url: String },
}

impl ModelSpec {
    fn parse(variable: &'static str, value: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| invalid(variable, format!("`{value}` {why}"));
        let model_name = |m: &str| {
            (!m.is_empty() && m.len() <= 200 && !m.contains(char::is_whitespace))
                .then(|| m.to_owned())
                .ok_or_else(|| bad("has no usable model name"))
        };
        match value.split_once(':') {
            None if value == "extractive" => Ok(Self::Extractive),
            Some(("vertex", model)) => Ok(Self::Vertex {
                model: model_name(model)?,
            }),
            Some(("gemini", model)) => Ok(Self::Gemini {
                model: model_name(model)?,
            }),
            Some(("openai", rest)) => {
                let (model, base_url) = rest
                    .split_once('@')
                    .ok_or_else(|| bad("is not `openai:MODEL@BASE_URL`"))?;
                if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
                    return Err(bad("needs an http(s) base URL after `@`"));
                }
                Ok(Self::OpenAi {
                    model: model_name(model)?,
                    base_url: base_url.trim_end_matches('/').to_owned(),
                })
            }
            _ => Err(bad(
                "is not `extractive`, `vertex:MODEL`, `gemini:MODEL` or `openai:MODEL@BASE_URL`",
            )),
        }
    }
}

/// A secret read from the environment; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// How model providers are reached and paid for.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    /// `FACTORY_VERTEX_LOCATION`, default `us-central1` (`global` is allowed).
    pub vertex_location: String,
    /// `FACTORY_VERTEX_BASE_URL`, `FACTORY_GEMINI_BASE_URL`: private endpoints or test servers.
    pub vertex_base_url: Option<String>,
    pub gemini_base_url: Option<String>,
    /// `GEMINI_API_KEY`, `OPENAI_API_KEY` (Ollama and most local servers need none).
    pub gemini_api_key: Option<Secret>,
    pub openai_api_key: Option<Secret>,
    /// `FACTORY_MODEL_CONCURRENCY`: calls in flight per provider in one process, default 8 (a bundle's seven derivatives at once).
    pub concurrency: usize,
    /// `FACTORY_MODEL_TIMEOUT_SECS`: one call's timeout, default 120.
    pub call_timeout: Duration,
    /// `FACTORY_MODEL_ATTEMPTS`: tries per call on rate limits, 5xx and timeouts, default 5.
    pub attempts: u32,
    /// `FACTORY_MODEL_DEADLINE_SECS`: a step's whole budget for model calls, default 300.
    pub deadline: Duration,
    /// `FACTORY_MODEL_REPAIRS`: re-asks after an invalid answer, default 2.
    pub repairs: u32,
    /// `FACTORY_MODEL_PRICES`: `MODEL=IN/OUT,…` in US dollars per million tokens.
    pub prices: BTreeMap<String, (f64, f64)>,
    /// `FACTORY_OPENAI_STRUCTURED`: how `openai:` servers are asked for JSON, default `auto`.
    pub openai_structured: OpenAiStructured,
}

/// How `openai:` servers are asked for an answer of the kind's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenAiStructured {
    /// The strongest mode the server accepts, found by asking and remembered per server.
    #[default]
    Auto,
    /// Always `response_format: {type: "json_schema", …}`.
    JsonSchema,
    /// Always `response_format: {type: "json_object", schema}` (`llama-cpp-python`).
    JsonObject,
    /// Never a `response_format`; the schema goes into the prompt.
    Prompt,
}

impl OpenAiStructured {
    fn parse(value: Option<&str>) -> Result<Self, ConfigError> {
        match value.map(str::trim) {
            None | Some("" | "auto") => Ok(Self::Auto),
            Some("json_schema") => Ok(Self::JsonSchema),
            Some("json_object") => Ok(Self::JsonObject),
            Some("prompt") => Ok(Self::Prompt),
            Some(other) => Err(invalid(
                "FACTORY_OPENAI_STRUCTURED",
                format!("`{other}` is not `auto`, `json_schema`, `json_object` or `prompt`"),
            )),
        }
    }
}

/// Which engine voices podcasts (`FACTORY_SPEECH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpeechEngine {
    /// `espeak`: espeak-ng on this machine (the default).
    Espeak,
    /// `google`: Cloud Text-to-Speech, Application Default Credentials.
    Google,
    /// `off`: no audio is made.
    Off,
}

/// How podcasts are voiced.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeechSettings {
    /// `FACTORY_SPEECH`: `espeak` (default), `google` or `off`.
    pub engine: SpeechEngine,
    /// `FACTORY_SPEECH_VOICES`: comma-separated default voices for speakers 1, 2, … (the
    /// engine's own defaults when unset); a job's `options.voices` wins.
    pub voices: Vec<String>,
    /// `FACTORY_SPEECH_MAX_CHARS`: the most spoken characters one episode may synthesize,
    /// default 60,000 (about 65 minutes).
    pub max_chars: usize,
    /// `FACTORY_SPEECH_PRICE`: dollars per million characters for cost estimates, default 30
    /// (Chirp 3 HD voices) with `google`, 0 with `espeak`.
    pub price_per_million: f64,
    /// `FACTORY_SPEECH_CONCURRENCY`: synthesis calls in flight in one process, default 4.
    pub concurrency: usize,
    /// `FACTORY_SPEECH_TIMEOUT_SECS`, `FACTORY_SPEECH_ATTEMPTS`, `FACTORY_SPEECH_DEADLINE_SECS`:
    /// one call's timeout (default 60), tries on rate limits, 5xx and timeouts (default 5),
    /// and one turn's whole budget (default 180).
    pub call_timeout: Duration,
    pub attempts: u32,
    pub deadline: Duration,
    /// `FACTORY_SPEECH_BASE_URL`: another Cloud Text-to-Speech endpoint (tests, private
    /// endpoints).
    pub base_url: Option<String>,
    /// `FACTORY_ESPEAK`, `FACTORY_FFMPEG`: the programs to run, default `espeak-ng` and
    /// `ffmpeg` on `PATH`.
    pub espeak: PathBuf,
    pub ffmpeg: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// `FACTORY_STORE`, default `sqlite:.factory/factory.db`.
    pub store: StoreConfig,
    /// `FACTORY_OBJECTS`, default `dir:.factory/objects`.
    pub objects: ObjectsConfig,
    /// `FACTORY_DISPATCH`, default `inline`.
    pub dispatch: DispatchConfig,
    /// `FACTORY_MODEL`, default `extractive`.
    pub model: ModelSpec,
    /// `FACTORY_MODEL_<KIND>` (e.g. `FACTORY_MODEL_FAQ`): another engine for one kind.
    pub model_overrides: BTreeMap<Kind, ModelSpec>,
    pub models: ModelSettings,
    pub speech: SpeechSettings,
    /// `FACTORY_CONCURRENCY`: steps (and renderings) run at once in this process, default 8.
    pub concurrency: usize,
    /// `FACTORY_LEASE_SECS`: how long a claimed step is held, default 120. A model engine
    /// raises it past `FACTORY_MODEL_DEADLINE_SECS` (see [`Config::step_lease`]).
    pub lease: Duration,
    /// `FACTORY_MAX_ATTEMPTS`: attempts per step, default 3.
    pub max_attempts: u32,
    /// `FACTORY_ENGINE_DELAY_MS`: a fixed delay before each generation, default 0.
    pub engine_delay: Duration,
    /// `FACTORY_MAX_SOURCE_CHARS`: the longest accepted source, default 1,000,000.
    pub max_source_chars: usize,
    /// `PORT`: where HTTP functions listen, default 8080.
    pub port: u16,
    /// `FACTORY_BODY_LIMIT_BYTES`: the largest request body, default 8 MiB.
    pub body_limit: usize,
    /// `FACTORY_REQUEST_TIMEOUT_SECS`: the longest a request may take, default 75 (`?wait`
    /// holds a request up to 60 s).
    pub request_timeout: Duration,
    /// `FACTORY_CORS_ORIGINS`: comma-separated origins allowed to call the API from a
    /// browser, default none.
    pub cors_origins: Vec<String>,
    /// `FACTORY_INTERNAL_AUTH`: `closed` (default), `off` or `oidc`.
    pub internal_auth: InternalAuth,
    /// `FACTORY_RETENTION_DAYS`: how long ended jobs are kept, default 30.
    pub retention: Duration,
    /// `FACTORY_SIGNED_URL_SECS`: how long an artifact download link is valid, default 900.
    pub signed_url_ttl: Duration,
    /// `FACTORY_OBJECT_JOURNAL`: a file that gets one JSON line per object write (an audit
    /// trail; see [`crate::objects::journal`]), default none.
    pub object_journal: Option<std::path::PathBuf>,
    pub emulators: Emulators,
    /// `FACTORY_DEFAULT_RATE`: requests per minute for keys created without `--rate`,
    /// default 600.
    pub default_rate: u32,
    /// `FACTORY_KEY_CACHE_SECS`: how long an instance trusts a key it looked up before asking
    /// the store again, default 30; also the bound within which a revoked or expired key is
    /// refused by every instance.
    pub key_cache: Duration,
    /// `GOOGLE_CLOUD_PROJECT`: ties request logs to Cloud Trace; optional.
    pub project: Option<String>,
}

/// A variable that is set but unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl Config {
    /// Deliveries of one step before the in-process queue dead-letters it: a margin above
    /// the attempts, as the Pub/Sub subscriptions' `maxDeliveryAttempts` should have.
    pub fn max_deliveries(&self) -> u32 {
        (self.max_attempts + 2).max(5)
    }

    /// The lease a step is claimed with. With a model engine a step may run up to its model
    /// deadline, so the lease outlives that by a margin (a fifth, at least 10 s, for the
    /// store and object writes after the model answered): a lease that ran out first would
    /// let a second worker run (and pay for) the same step.
    pub fn step_lease(&self) -> Duration {
        let uses_model = std::iter::once(&self.model)
            .chain(self.model_overrides.values())
            .any(|spec| *spec != ModelSpec::Extractive);
        if uses_model {
            let deadline = self.models.deadline;
            self.lease
                .max(deadline + (deadline / 5).max(Duration::from_secs(10)))
        } else {
            self.lease
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        Ok(Self {
            store: match get("FACTORY_STORE") {
                None => StoreConfig::Sqlite(PathBuf::from(".factory/factory.db")),
                Some(v) => match v.split_once(':') {
                    Some(("sqlite", path)) if !path.is_empty() => {
                        StoreConfig::Sqlite(PathBuf::from(path))
                    }
                    Some(("firestore", rest)) if is_name(rest.split('/').next().unwrap_or("")) => {
                        let (project, database) = match rest.split_once('/') {
                            Some((p, d)) if is_name(d) => (p, Some(d.to_owned())),
                            Some(_) => {
                                return Err(invalid(
                                    "FACTORY_STORE",
                                    format!("`{v}` has an invalid database name"),
                                ));
                            }
                            None => (rest, None),
                        };
                        StoreConfig::Firestore {
                            project: project.to_owned(),
                            database,
                        }
                    }
                    _ => {
                        return Err(invalid(
                            "FACTORY_STORE",
                            format!("`{v}` is not `sqlite:PATH` or `firestore:PROJECT[/DATABASE]`"),
                        ));
                    }
                },
            },
            objects: match get("FACTORY_OBJECTS") {
                None => ObjectsConfig::Dir(PathBuf::from(".factory/objects")),
                Some(v) => match (v.split_once(':'), v.strip_prefix("gs://")) {
                    (_, Some(bucket)) if is_bucket(bucket) => ObjectsConfig::Gcs {
                        bucket: bucket.to_owned(),
                    },
                    (Some(("dir", path)), None) if !path.is_empty() => {
                        ObjectsConfig::Dir(PathBuf::from(path))
                    }
                    _ => {
                        return Err(invalid(
                            "FACTORY_OBJECTS",
                            format!("`{v}` is not `dir:PATH` or `gs://BUCKET`"),
                        ));
                    }
                },
            },
            dispatch: match get("FACTORY_DISPATCH").as_deref() {
                None | Some("inline") => DispatchConfig::Inline,
                Some(v) => match v.strip_prefix("pubsub:").and_then(|r| r.split_once('/')) {
                    Some((project, topic)) if is_name(project) && is_name(topic) => {
                        DispatchConfig::PubSub {
                            project: project.to_owned(),
                            topic: topic.to_owned(),
                        }
                    }
                    _ => {
                        return Err(invalid(
                            "FACTORY_DISPATCH",
                            format!("`{v}` is not `inline` or `pubsub:PROJECT/TOPIC`"),
                        ));
                    }
                },
            },
            model: match get("FACTORY_MODEL") {
                None => ModelSpec::Extractive,
                Some(v) => ModelSpec::parse("FACTORY_MODEL", v.trim())?,
            },
            model_overrides: {
                let mut overrides = BTreeMap::new();
                for kind in Kind::ALL {
                    let variable = model_override_variable(kind);
                    if let Some(v) = get(variable) {
                        overrides.insert(kind, ModelSpec::parse(variable, v.trim())?);
                    }
                }
                overrides
            },
            models: ModelSettings {
                vertex_location: get("FACTORY_VERTEX_LOCATION")
                    .unwrap_or_else(|| "us-central1".into()),
                vertex_base_url: get("FACTORY_VERTEX_BASE_URL"),
                gemini_base_url: get("FACTORY_GEMINI_BASE_URL"),
                gemini_api_key: get("GEMINI_API_KEY").map(Secret),
                openai_api_key: get("OPENAI_API_KEY").map(Secret),
                concurrency: number(&get, "FACTORY_MODEL_CONCURRENCY", 8, 1..=256)?,
                call_timeout: Duration::from_secs(number(
                    &get,
                    "FACTORY_MODEL_TIMEOUT_SECS",
                    120,
                    1..=3_600,
                )?),
                attempts: number(&get, "FACTORY_MODEL_ATTEMPTS", 5, 1..=20)?,
                deadline: Duration::from_secs(number(
                    &get,
                    "FACTORY_MODEL_DEADLINE_SECS",
                    300,
                    10..=86_400,
                )?),
                repairs: number(&get, "FACTORY_MODEL_REPAIRS", 2, 0..=5)?,
                prices: prices(get("FACTORY_MODEL_PRICES").as_deref())?,
                openai_structured: OpenAiStructured::parse(
                    get("FACTORY_OPENAI_STRUCTURED").as_deref(),
                )?,
            },
            speech: speech(&get)?,
            concurrency: number(&get, "FACTORY_CONCURRENCY", 8, 1..=256)?,
            lease: Duration::from_secs(number(&get, "FACTORY_LEASE_SECS", 120, 1..=86_400)?),
            max_attempts: number(&get, "FACTORY_MAX_ATTEMPTS", 3, 1..=20)?,
            engine_delay: Duration::from_millis(number(
                &get,
                "FACTORY_ENGINE_DELAY_MS",
                0,
                0..=600_000,
            )?),
            max_source_chars: number(
                &get,
                "FACTORY_MAX_SOURCE_CHARS",
                crate::source::MAX_SOURCE_CHARS,
                1_000..=20_000_000,
            )?,
            port: number(&get, "PORT", 8080, 1..=65_535)?,
            body_limit: number(
                &get,
                "FACTORY_BODY_LIMIT_BYTES",
                8 << 20,
                1_024..=(256 << 20),
            )?,
            request_timeout: Duration::from_secs(number(
                &get,
                "FACTORY_REQUEST_TIMEOUT_SECS",
                75,
                1..=3_600,
            )?),
            cors_origins: get("FACTORY_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            internal_auth: match get("FACTORY_INTERNAL_AUTH").as_deref() {
                None | Some("closed") => InternalAuth::Closed,
                Some("off") => InternalAuth::Off,
                Some("oidc") => InternalAuth::Oidc {
                    audiences: required_list(&get, "FACTORY_OIDC_AUDIENCE")?,
                    allowed_emails: required_list(&get, "FACTORY_OIDC_ALLOWED_EMAILS")?,
                    jwks_url: get("FACTORY_OIDC_JWKS_URL"),
                },
                Some(v) => {
                    return Err(invalid(
                        "FACTORY_INTERNAL_AUTH",
                        format!("`{v}` is not `closed`, `off` or `oidc`"),
                    ));
                }
            },
            retention: Duration::from_secs(
                86_400 * number(&get, "FACTORY_RETENTION_DAYS", 30, 1..=3_650)?,
            ),
            signed_url_ttl: Duration::from_secs(number(
                &get,
                "FACTORY_SIGNED_URL_SECS",
                900,
                60..=604_800,
            )?),
            object_journal: get("FACTORY_OBJECT_JOURNAL").map(std::path::PathBuf::from),
            emulators: Emulators {
                storage: get("STORAGE_EMULATOR_HOST"),
                pubsub: get("PUBSUB_EMULATOR_HOST"),
            },
            default_rate: number(&get, "FACTORY_DEFAULT_RATE", 600, 1..=1_000_000)?,
            key_cache: Duration::from_secs(number(&get, "FACTORY_KEY_CACHE_SECS", 30, 0..=3_600)?),
            project: get("GOOGLE_CLOUD_PROJECT"),
        })
    }
}

fn speech(get: &impl Fn(&str) -> Option<String>) -> Result<SpeechSettings, ConfigError> {
    let engine = match get("FACTORY_SPEECH").as_deref().map(str::trim) {
        None | Some("espeak") => SpeechEngine::Espeak,
        Some("google") => SpeechEngine::Google,
        Some("off") => SpeechEngine::Off,
        Some(v) => {
            return Err(invalid(
                "FACTORY_SPEECH",
                format!("`{v}` is not `espeak`, `google` or `off`"),
            ));
        }
    };
    let voices: Vec<String> = get("FACTORY_SPEECH_VOICES")
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    if let Some(bad) = voices.iter().find(|v| {
        v.is_empty()
            || v.len() > 64
            || v.starts_with('-')
            || !v
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'_' | b'.'))
    }) {
        return Err(invalid(
            "FACTORY_SPEECH_VOICES",
            format!("`{bad}` is not a voice name (letters, digits, `+`, `-`, `_`, `.`)"),
        ));
    }
    let default_price = if engine == SpeechEngine::Google {
        30.0
    } else {
        0.0
    };
    let price_per_million = match get("FACTORY_SPEECH_PRICE") {
        None => default_price,
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p >= 0.0)
            .ok_or_else(|| {
                invalid(
                    "FACTORY_SPEECH_PRICE",
                    format!("`{v}` is not a price in dollars per million characters"),
                )
            })?,
    };
    let base_url = get("FACTORY_SPEECH_BASE_URL");
    if let Some(url) = &base_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(invalid(
            "FACTORY_SPEECH_BASE_URL",
            format!("`{url}` is not an http(s) URL"),
        ));
    }
    Ok(SpeechSettings {
        engine,
        voices,
        max_chars: number(get, "FACTORY_SPEECH_MAX_CHARS", 60_000, 100..=10_000_000)?,
        price_per_million,
        concurrency: number(get, "FACTORY_SPEECH_CONCURRENCY", 4, 1..=256)?,
        call_timeout: Duration::from_secs(number(
            get,
            "FACTORY_SPEECH_TIMEOUT_SECS",
            60,
            1..=3_600,
        )?),
        attempts: number(get, "FACTORY_SPEECH_ATTEMPTS", 5, 1..=20)?,
        deadline: Duration::from_secs(number(
            get,
            "FACTORY_SPEECH_DEADLINE_SECS",
            180,
            1..=86_400,
        )?),
        base_url,
        espeak: PathBuf::from(get("FACTORY_ESPEAK").unwrap_or_else(|| "espeak-ng".into())),
        ffmpeg: PathBuf::from(get("FACTORY_FFMPEG").unwrap_or_else(|| "ffmpeg".into())),
    })
}

fn invalid(variable: &'static str, message: String) -> ConfigError {
    ConfigError { variable, message }
}

/// `FACTORY_MODEL_<KIND>`: the variable that sends one kind to another model.
pub fn model_override_variable(kind: Kind) -> &'static str {
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        Kind::ALL
            .iter()
            .map(|k| {
                format!(
                    "FACTORY_MODEL_{}",
                    k.slug().to_uppercase().replace('-', "_")
                )
            })
            .collect()
    });
    let index = Kind::ALL
        .iter()
        .position(|&k| k == kind)
        .unwrap_or_default();
    &NAMES[index]
}

/// `gemini-2.5-flash=0.30/2.50,gpt-4o-mini=0.15/0.60`: dollars per million tokens in/out.
fn prices(value: Option<&str>) -> Result<BTreeMap<String, (f64, f64)>, ConfigError> {
    let mut table = BTreeMap::new();
    for entry in value
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let parsed = entry.split_once('=').and_then(|(model, price)| {
            let (input, output) = price.split_once('/')?;
            let (input, output) = (
                input.trim().parse::<f64>().ok()?,
                output.trim().parse::<f64>().ok()?,
            );
            (input >= 0.0 && output >= 0.0 && input.is_finite() && output.is_finite())
                .then(|| (model.trim().to_owned(), (input, output)))
        });
        let (model, price) = parsed.ok_or_else(|| {
            invalid(
                "FACTORY_MODEL_PRICES",
                format!("`{entry}` is not `MODEL=INPUT/OUTPUT` (dollars per million tokens)"),
            )
        })?;
        table.insert(model, price);
    }
    Ok(table)
}

/// A project, database or topic name: letters, digits, `-`, `_`, `.`, `(`/`)` for
/// `(default)`.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'(' | b')'))
}

/// A Cloud Storage bucket name: 3 to 222 lowercase letters, digits, `-`, `_`, `.`.
fn is_bucket(s: &str) -> bool {
    (3..=222).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

/// A comma-separated list that must have at least one entry.
fn required_list(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<Vec<String>, ConfigError> {
    let list: Vec<String> = get(variable)
        .unwrap_or_default()
        .split(',')
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect();
    if list.is_empty() {
        Err(invalid(
            variable,
            "is required when FACTORY_INTERNAL_AUTH=oidc (comma-separated)".into(),
        ))
    } else {
        Ok(list)
    }
}

fn number<T>(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = get(variable) else {
        return Ok(default);
    };
    match raw.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(invalid(
            variable,
            format!(
                "`{raw}` is not a number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_need_no_variables() {
        let c = config(&[]).unwrap();
        assert_eq!(c.store, StoreConfig::Sqlite(".factory/factory.db".into()));
        assert_eq!(c.port, 8080);
        assert_eq!(c.dispatch, DispatchConfig::Inline);
        assert_eq!(c.internal_auth, InternalAuth::Closed);
    }

    #[test]
    fn the_structured_output_mode_of_openai_servers_can_be_forced() {
        assert_eq!(
            config(&[]).unwrap().models.openai_structured,
            OpenAiStructured::Auto
        );
        for (value, mode) in [
            ("auto", OpenAiStructured::Auto),
            ("json_schema", OpenAiStructured::JsonSchema),
            ("json_object", OpenAiStructured::JsonObject),
            ("prompt", OpenAiStructured::Prompt),
        ] {
            let c = config(&[("FACTORY_OPENAI_STRUCTURED", value)]).unwrap();
            assert_eq!(c.models.openai_structured, mode, "{value}");
        }
        let error = config(&[("FACTORY_OPENAI_STRUCTURED", "grammar")]).unwrap_err();
        assert!(
            error.to_string().contains("FACTORY_OPENAI_STRUCTURED"),
            "{error}"
        );
    }

    #[test]
    fn the_cloud_adapters_are_chosen_by_their_variables() {
        let c = config(&[
            ("FACTORY_STORE", "firestore:my-project/jobs-db"),
            ("FACTORY_OBJECTS", "gs://my-bucket"),
            ("FACTORY_DISPATCH", "pubsub:my-project/steps"),
            ("FACTORY_INTERNAL_AUTH", "oidc"),
            (
                "FACTORY_OIDC_AUDIENCE",
                "https://faq-abc.a.run.app, https://faq.example.com",
            ),
            (
                "FACTORY_OIDC_ALLOWED_EMAILS",
                "push@my-project.iam.gserviceaccount.com",
            ),
        ])
        .unwrap();
        assert_eq!(
            c.store,
            StoreConfig::Firestore {
                project: "my-project".into(),
                database: Some("jobs-db".into())
            }
        );
        assert_eq!(
            c.objects,
            ObjectsConfig::Gcs {
                bucket: "my-bucket".into()
            }
        );
        assert_eq!(
            c.dispatch,
            DispatchConfig::PubSub {
                project: "my-project".into(),
                topic: "steps".into()
            }
        );
        assert_eq!(
            c.internal_auth,
            InternalAuth::Oidc {
                audiences: vec![
                    "https://faq-abc.a.run.app".into(),
                    "https://faq.example.com".into()
                ],
                allowed_emails: vec!["push@my-project.iam.gserviceaccount.com".into()],
                jwks_url: None,
            }
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        assert_eq!(
            config(&[("FACTORY_STORE", "postgres://x")])
                .unwrap_err()
                .variable,
            "FACTORY_STORE"
        );
        assert_eq!(config(&[("PORT", "99999")]).unwrap_err().variable, "PORT");
        assert_eq!(
            config(&[("FACTORY_MODEL", "gpt")]).unwrap_err().variable,
            "FACTORY_MODEL"
        );
        for (variable, value) in [
            ("FACTORY_STORE", "firestore:"),
            ("FACTORY_STORE", "firestore:p/bad db"),
            ("FACTORY_OBJECTS", "gs://UPPER"),
            ("FACTORY_OBJECTS", "s3://bucket"),
            ("FACTORY_DISPATCH", "pubsub:project"),
            ("FACTORY_INTERNAL_AUTH", "maybe"),
            ("FACTORY_RETENTION_DAYS", "0"),
        ] {
            assert_eq!(
                config(&[(variable, value)]).unwrap_err().variable,
                variable,
                "{value}"
            );
        }
        assert_eq!(
            config(&[("FACTORY_INTERNAL_AUTH", "oidc")])
                .unwrap_err()
                .variable,
            "FACTORY_OIDC_AUDIENCE"
        );
        assert_eq!(
            config(&[
                ("FACTORY_INTERNAL_AUTH", "oidc"),
                ("FACTORY_OIDC_AUDIENCE", "https://faq-abc.a.run.app")
            ])
            .unwrap_err()
            .variable,
            "FACTORY_OIDC_ALLOWED_EMAILS"
        );
        assert_eq!(
            config(&[("FACTORY_CONCURRENCY", "0")])
                .unwrap_err()
                .variable,
            "FACTORY_CONCURRENCY"
        );
    }

    #[test]
    fn a_model_engine_holds_steps_longer_than_its_deadline() {
        assert_eq!(config(&[]).unwrap().step_lease(), Duration::from_mins(2));
        let model = config(&[("FACTORY_MODEL_FAQ", "openai:m@http://localhost:11434/v1")]).unwrap();
        assert_eq!(model.step_lease(), Duration::from_mins(6));
        let long = config(&[("FACTORY_MODEL", "gemini:g"), ("FACTORY_LEASE_SECS", "900")]).unwrap();
        assert_eq!(long.step_lease(), Duration::from_mins(15));
        let quick = config(&[
            ("FACTORY_MODEL", "gemini:g"),
            ("FACTORY_MODEL_DEADLINE_SECS", "10"),
            ("FACTORY_LEASE_SECS", "2"),
        ])
        .unwrap();
        assert_eq!(quick.step_lease(), Duration::from_secs(20));
    }

    #[test]
    fn every_variable_read_is_documented_in_env_example() {
        let documented = include_str!("../../.env.example");
        let read = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let lookup = |name: &str| {
            read.borrow_mut().insert(name.to_owned());
            match name {
                "FACTORY_INTERNAL_AUTH" => Some("oidc".to_owned()),
                "FACTORY_OIDC_AUDIENCE" | "FACTORY_OIDC_ALLOWED_EMAILS" => Some("x".to_owned()),
                _ => None,
            }
        };
        Config::from_lookup(lookup).unwrap();
        let read = read.into_inner();
        assert!(read.len() > 15, "{read:?}");
        for name in read {
            assert!(
                documented
                    .lines()
                    .any(|line| line.starts_with(&format!("{name}="))),
                "{name} is read but not documented in .env.example"
            );
        }
    }
}
