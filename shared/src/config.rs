//! Configuration: one typed struct read once from the environment. A missing or malformed
//! variable stops start-up with a message that names it. `.env.example` documents each one.

use std::path::PathBuf;
use std::time::Duration;

/// Where job state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// `sqlite:PATH`
    Sqlite(PathBuf),
}

/// Where sources and artifacts live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectsConfig {
    /// `dir:PATH`
    Dir(PathBuf),
}

/// Which engine generates content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelConfig {
    /// `extractive`: the built-in engine.
    Extractive,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `FACTORY_STORE`, default `sqlite:.factory/factory.db`.
    pub store: StoreConfig,
    /// `FACTORY_OBJECTS`, default `dir:.factory/objects`.
    pub objects: ObjectsConfig,
    /// `FACTORY_MODEL`, default `extractive`.
    pub model: ModelConfig,
    /// `FACTORY_CONCURRENCY`: steps run at once in this process, default 4.
    pub concurrency: usize,
    /// `FACTORY_LEASE_SECS`: how long a claimed step is held, default 120.
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
    /// `FACTORY_INTERNAL_AUTH=off` opens `/internal/*` without authentication (only for a
    /// private network or the local test harness); default closed.
    pub internal_routes_open: bool,
    /// `FACTORY_DEFAULT_RATE`: requests per minute for keys created without `--rate`,
    /// default 600.
    pub default_rate: u32,
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
                    _ => {
                        return Err(invalid(
                            "FACTORY_STORE",
                            format!("`{v}` is not `sqlite:PATH`"),
                        ));
                    }
                },
            },
            objects: match get("FACTORY_OBJECTS") {
                None => ObjectsConfig::Dir(PathBuf::from(".factory/objects")),
                Some(v) => match v.split_once(':') {
                    Some(("dir", path)) if !path.is_empty() => {
                        ObjectsConfig::Dir(PathBuf::from(path))
                    }
                    _ => {
                        return Err(invalid(
                            "FACTORY_OBJECTS",
                            format!("`{v}` is not `dir:PATH`"),
                        ));
                    }
                },
            },
            model: match get("FACTORY_MODEL").as_deref() {
                None | Some("extractive") => ModelConfig::Extractive,
                Some(v) => {
                    return Err(invalid(
                        "FACTORY_MODEL",
                        format!("`{v}` is not a known engine; this build supports `extractive`"),
                    ));
                }
            },
            concurrency: number(&get, "FACTORY_CONCURRENCY", 4, 1..=256)?,
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
            internal_routes_open: match get("FACTORY_INTERNAL_AUTH").as_deref() {
                None | Some("closed") => false,
                Some("off") => true,
                Some(v) => {
                    return Err(invalid(
                        "FACTORY_INTERNAL_AUTH",
                        format!("`{v}` is not `off` or `closed`"),
                    ));
                }
            },
            default_rate: number(&get, "FACTORY_DEFAULT_RATE", 600, 1..=1_000_000)?,
            project: get("GOOGLE_CLOUD_PROJECT"),
        })
    }
}

fn invalid(variable: &'static str, message: String) -> ConfigError {
    ConfigError { variable, message }
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
        assert_eq!(
            config(&[("FACTORY_CONCURRENCY", "0")])
                .unwrap_err()
                .variable,
            "FACTORY_CONCURRENCY"
        );
    }
}
