//! The extractive engine: builds every kind from the source itself with classic text
//! processing, no network and no model. Deterministic (same input, same bytes), grounded
//! (every fact it emits is a source sentence whose span it records) and honest: where the
//! source is too thin for a kind, the kind fails with a reason instead of being padded.
//!
//! The only words it adds are fixed scaffolding that states no fact: question templates,
//! learning-objective verbs and the podcast's greetings and hand-overs, written in the
//! source's language when it is one of the six that have a table
//! ([`crate::content::scaffolding`]), never mixed with another.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;

use crate::analysis::Analysis;
use crate::analysis::language::{Detected, Language};
use crate::content::{Content, ExtractInput, Length, Scaffolding};
use crate::generation::{Engine, EngineInfo, Generation, GenerationRequest};
use crate::outcome::StepError;
use crate::outcome::{ErrorCode, Usage};

/// Bumped whenever a change alters output, so cached artifacts of older versions are not reused.
pub const VERSION: &str = "1.4.0";

/// The built-in engine. Keeps the analysis of the last source, since a bundle asks for eight
/// kinds of the same source.
#[derive(Debug, Clone, Default)]
pub struct ExtractiveEngine {
    last: Arc<Mutex<Option<LastAnalysis>>>,
}

/// The analysis of the last source seen: its SHA-256, the length it was analysed for, and
/// the result.
type LastAnalysis = (String, Length, Arc<Analysis>);

impl ExtractiveEngine {
    pub fn new() -> Self {
        Self::default()
    }

    fn analysis(&self, request: &GenerationRequest) -> Arc<Analysis> {
        let length = request.options.length;
        // A poisoned lock still guards a valid cache: one failed build must not stop the rest.
        let lock = || {
            self.last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((sha, len, analysis)) = lock().as_ref()
            && *sha == request.source_sha256
            && *len == length
        {
            return Arc::clone(analysis);
        }
        let analysis = Arc::new(analyse(
            &request.source,
            request.source_sha256.clone(),
            length,
        ));
        *lock() = Some((request.source_sha256.clone(), length, Arc::clone(&analysis)));
        analysis
    }

    /// Builds a kind synchronously (the engine's whole work; `generate` runs it off the
    /// async threads).
    pub fn build(&self, request: &GenerationRequest) -> Result<Content, StepError> {
        let analysis = self.analysis(request);
        let language = choose_language(request.options.language.as_deref(), analysis.language)
            .map_err(|message| StepError::new(ErrorCode::UnsupportedLanguage, message))?;
        let input = ExtractInput {
            analysis: &analysis,
            outline: request.outline.as_deref(),
            options: &request.options,
            scaffolding: Scaffolding::of(language),
        };
        Content::extract(request.kind, &input)
            .map_err(|thin| StepError::new(ErrorCode::SourceTooThin, thin.0))
    }
}

/// The language the engine writes: the one asked for, else the source's, else English. It
/// cannot translate, so a source detected in another language than the one asked for is
/// refused, and so is any language without a scaffolding table; the message says which.
pub fn choose_language(
    requested: Option<&str>,
    source: Option<Detected>,
) -> Result<Language, String> {
    const WRITES: &str =
        "the extractive engine writes English, French, Spanish, German, Portuguese and Italian";
    let requested = match requested {
        Some(tag) => Some(Language::from_tag(tag).ok_or_else(|| {
            format!("{WRITES}, not `{tag}`; that language needs a model engine (set FACTORY_MODEL)")
        })?),
        None => None,
    };
    match (requested, source) {
        (Some(asked), Some(found)) if found.language != Some(asked) => Err(format!(
            "the source is in {} but the job asks for {}; the extractive engine cannot translate: ask for `{}`{}, or configure a model engine (FACTORY_MODEL)",
            found.name,
            asked.name(),
            found.tag,
            if found.language.is_some() {
                ""
            } else {
                " (which it does not write either)"
            },
        )),
        (Some(asked), _) => Ok(asked),
        (None, Some(found)) => found.language.ok_or_else(|| {
            format!(
                "the source is in {}; {WRITES}: configure a model engine (FACTORY_MODEL)",
                found.name
            )
        }),
        (None, None) => Ok(Language::English),
    }
}

/// Analyses a source with the section budget its length asks for.
pub fn analyse(text: &str, sha256: String, length: Length) -> Analysis {
    let max_sections = match length {
        Length::Short => 5,
        Length::Standard => 8,
        Length::Long => 12,
    };
    Analysis::new(text, sha256, max_sections)
}

#[async_trait]
impl Engine for ExtractiveEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: "extractive".into(),
            version: VERSION.into(),
        }
    }

    async fn generate(&self, request: GenerationRequest) -> Result<Generation, StepError> {
        let engine = self.clone();
        let content = tokio::task::spawn_blocking(move || engine.build(&request))
            .await
            .map_err(|e| {
                StepError::new(
                    ErrorCode::Internal,
                    format!("extractive engine panicked: {e}"),
                )
            })??;
        Ok(Generation {
            content,
            usage: Usage::default(),
        })
    }
}
