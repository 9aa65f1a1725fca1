//! The generation port: an [`Engine`] turns a source (and, for derivatives, the outline) into
//! one kind's content. Adapters: [`crate::extractive`] (built in, no model) and
//! [`crate::model`] (a text model with prompts and a repair loop); [`Delayed`] and [`Routed`]
//! wrap either. Failures are [`StepError`]s, recorded on the step as they are.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::content::{Content, Kind, Options, Outline};
use crate::outcome::{StepError, Usage};

/// Which engine made an artifact, recorded on the step and in the artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    pub name: String,
    pub version: String,
}

/// Everything an engine needs to build one kind. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GenerationRequest {
    pub kind: Kind,
    /// The normalized source text.
    pub source: Arc<str>,
    pub source_sha256: String,
    /// Required for every kind but the outline.
    pub outline: Option<Arc<Outline>>,
    pub options: Arc<Options>,
}

/// What an engine produced, before validation.
#[derive(Debug, Clone)]
pub struct Generation {
    pub content: Content,
    pub usage: Usage,
}

/// Builds one kind of content.
#[async_trait]
pub trait Engine: Send + Sync + std::fmt::Debug {
    /// Name and version; part of every cache key, so a new version never reuses old output.
    fn info(&self) -> EngineInfo;

    /// The engine that builds `kind` (a routing engine answers per kind).
    fn info_for(&self, _kind: Kind) -> EngineInfo {
        self.info()
    }

    /// Expected tokens and cost of building `kind` from a source of `source_chars`
    /// characters (for dry runs); zero for engines that use no model.
    fn estimate(&self, _kind: Kind, _source_chars: usize) -> Usage {
        Usage::default()
    }

    /// Builds `request.kind`. Deterministic engines return the same content for the same
    /// request. The content is validated by the caller, not here.
    async fn generate(&self, request: GenerationRequest) -> Result<Generation, StepError>;
}

/// Wraps an engine and waits a fixed time before each generation: a stand-in for a slow
/// model in demos and crash tests (`FACTORY_ENGINE_DELAY_MS`).
#[derive(Debug)]
pub struct Delayed {
    pub inner: Arc<dyn Engine>,
    pub delay: Duration,
}

#[async_trait]
impl Engine for Delayed {
    fn info(&self) -> EngineInfo {
        self.inner.info()
    }

    fn info_for(&self, kind: Kind) -> EngineInfo {
        self.inner.info_for(kind)
    }

    fn estimate(&self, kind: Kind, source_chars: usize) -> Usage {
        self.inner.estimate(kind, source_chars)
    }

    async fn generate(&self, request: GenerationRequest) -> Result<Generation, StepError> {
        tokio::time::sleep(self.delay).await;
        self.inner.generate(request).await
    }
}

/// Sends each kind to its own engine (per-kind model overrides), the rest to a default.
#[derive(Debug)]
pub struct Routed {
    pub default: Arc<dyn Engine>,
    pub overrides: std::collections::BTreeMap<Kind, Arc<dyn Engine>>,
}

impl Routed {
    fn engine(&self, kind: Kind) -> &Arc<dyn Engine> {
        self.overrides.get(&kind).unwrap_or(&self.default)
    }
}

#[async_trait]
impl Engine for Routed {
    fn info(&self) -> EngineInfo {
        self.default.info()
    }

    fn info_for(&self, kind: Kind) -> EngineInfo {
        self.engine(kind).info_for(kind)
    }

    fn estimate(&self, kind: Kind, source_chars: usize) -> Usage {
        self.engine(kind).estimate(kind, source_chars)
    }

    async fn generate(&self, request: GenerationRequest) -> Result<Generation, StepError> {
        self.engine(request.kind).generate(request).await
    }
}
