//! Builds the engine the configuration asks for: the extractive engine, or a model provider
//! wrapped in retries and a concurrency limit, per kind when `FACTORY_MODEL_<KIND>` overrides
//! the default. Kinds that use the same provider share one limiter, so a bundle's parallel
//! steps never exceed `FACTORY_MODEL_CONCURRENCY` calls in flight.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::Semaphore;

use super::TextModel;
use super::engine::{GenerationSettings, ModelEngine, Price};
use super::gemini::GeminiModel;
use super::openai::{Capabilities, OpenAiModel, StructuredMode};
use super::prices;
use super::resilient::{Resilient, RetryPolicy};
use crate::config::{Config, ModelSettings, ModelSpec, OpenAiStructured};
use crate::extractive::ExtractiveEngine;
use crate::gcp::auth::{AuthError, GoogleAuth};
use crate::generation::{Engine, Routed};

/// Why the configured engine cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum EngineSetupError {
    /// A model setting is missing or malformed; the message names the variable.
    #[error("model: {0}")]
    Config(String),
    #[error("{0}")]
    Auth(#[from] AuthError),
}

/// The engine for every kind.
pub fn engine(config: &Config) -> Result<Arc<dyn Engine>, EngineSetupError> {
    let settings = &config.models;
    let http = reqwest::Client::new();
    // What each OpenAI-compatible server accepts, learned once for every kind that uses it.
    let capabilities = Capabilities::default();
    // One limiter per provider (the spec names it), shared by all kinds that use it.
    let mut limiters: BTreeMap<String, Arc<Semaphore>> = BTreeMap::new();
    let mut build = |spec: &ModelSpec| -> Result<Arc<dyn Engine>, EngineSetupError> {
        let Some(model) = provider(spec, config, &http, &capabilities)? else {
            return Ok(Arc::new(ExtractiveEngine::new()));
        };
        let limiter = limiters
            .entry(model.name())
            .or_insert_with(|| Arc::new(Semaphore::new(settings.concurrency)))
            .clone();
        let price = price_of(settings, spec);
        if price.is_none() {
            tracing::warn!(model = %model.name(), "no list price and none in FACTORY_MODEL_PRICES; costs show as unknown");
        }
        let resilient = Resilient::with_limiter(model, policy(settings), limiter);
        Ok(Arc::new(ModelEngine::new(
            Arc::new(resilient),
            price,
            GenerationSettings {
                max_repairs: settings.repairs,
                step_deadline: settings.deadline,
                ..GenerationSettings::default()
            },
        )))
    };
    let default = build(&config.model)?;
    if config.model_overrides.is_empty() {
        return Ok(default);
    }
    let mut overrides = BTreeMap::new();
    for (kind, spec) in &config.model_overrides {
        overrides.insert(*kind, build(spec)?);
    }
    Ok(Arc::new(Routed { default, overrides }))
}

fn policy(settings: &ModelSettings) -> RetryPolicy {
    RetryPolicy {
        max_attempts: settings.attempts,
        call_timeout: settings.call_timeout,
        deadline: settings.deadline,
        ..RetryPolicy::default()
    }
}

/// The price of a spec's model (by its bare model name): configured, else listed.
fn price_of(settings: &ModelSettings, spec: &ModelSpec) -> Option<Price> {
    match spec {
        ModelSpec::Extractive => None,
        ModelSpec::Vertex { model }
        | ModelSpec::Gemini { model }
        | ModelSpec::OpenAi { model, .. } => prices::price_of(model, &settings.prices),
    }
}

/// The mode `FACTORY_OPENAI_STRUCTURED` forces, if any.
fn forced_mode(setting: OpenAiStructured) -> Option<StructuredMode> {
    match setting {
        OpenAiStructured::Auto => None,
        OpenAiStructured::JsonSchema => Some(StructuredMode::JsonSchema),
        OpenAiStructured::JsonObject => Some(StructuredMode::JsonObject),
        OpenAiStructured::Prompt => Some(StructuredMode::Prompt),
    }
}

fn missing(variable: &str, why: &str) -> EngineSetupError {
    EngineSetupError::Config(format!("{variable} is required {why}"))
}

/// A URL from configuration, or an error naming its variable.
fn url(variable: &str, value: &str) -> Result<reqwest::Url, EngineSetupError> {
    reqwest::Url::parse(value)
        .map_err(|e| EngineSetupError::Config(format!("{variable}: `{value}` is not a URL: {e}")))
}

/// The raw provider for a spec; `None` for the extractive engine.
fn provider(
    spec: &ModelSpec,
    config: &Config,
    http: &reqwest::Client,
    capabilities: &Capabilities,
) -> Result<Option<Arc<dyn TextModel>>, EngineSetupError> {
    let settings = &config.models;
    Ok(Some(match spec {
        ModelSpec::Extractive => return Ok(None),
        ModelSpec::Vertex { model } => {
            let project = config
                .project
                .as_deref()
                .ok_or_else(|| missing("GOOGLE_CLOUD_PROJECT", "for vertex: models"))?;
            let base = settings
                .vertex_base_url
                .as_deref()
                .map(|u| url("FACTORY_VERTEX_BASE_URL", u))
                .transpose()?;
            Arc::new(GeminiModel::vertex(
                http.clone(),
                GoogleAuth::application_default()?,
                project,
                &settings.vertex_location,
                model,
                base,
            ))
        }
        ModelSpec::Gemini { model } => {
            let key = settings
                .gemini_api_key
                .as_ref()
                .ok_or_else(|| missing("GEMINI_API_KEY", "for gemini: models"))?;
            let base = settings
                .gemini_base_url
                .as_deref()
                .map(|u| url("FACTORY_GEMINI_BASE_URL", u))
                .transpose()?;
            Arc::new(GeminiModel::gemini_api(
                http.clone(),
                key.0.clone(),
                model,
                base,
            ))
        }
        ModelSpec::OpenAi { model, base_url } => Arc::new(
            OpenAiModel::new(
                http.clone(),
                model,
                &url("FACTORY_MODEL", base_url)?,
                settings.openai_api_key.as_ref().map(|k| k.0.clone()),
            )
            .with_structured_mode(forced_mode(settings.openai_structured))
            .with_capabilities(capabilities.clone()),
        ),
    }))
}
