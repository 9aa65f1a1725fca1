//! Dry runs: which steps a submission would run, which results the cache already holds, and
//! what the rest is expected to cost (tokens, and the podcast's speech characters). Nothing is
//! stored or dispatched.

use sha2::{Digest, Sha256};

use super::{Pipeline, cache_key};
use crate::content::{Kind, Options};
use crate::jobs::SourceInfo;
use crate::layout;
use crate::objects::ObjectError;
use crate::outcome::Usage;
use crate::source::SourceText;
use crate::store::StoreError;

/// The steps a submission would run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub source: SourceInfo,
    pub steps: Vec<PlannedStep>,
    /// The expected usage of every step that is not cached.
    pub estimate: Usage,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannedStep {
    pub kind: Kind,
    /// The result is in the cache already; running the step costs nothing.
    pub cache_hit: bool,
    pub depends_on: Vec<Kind>,
    pub estimate: Usage,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Objects(#[from] ObjectError),
}

impl Pipeline {
    /// Plans a submission of `kinds` (the outline is added) without running it. A
    /// derivative counts as cached only when the outline is cached too, since its cache key
    /// includes the exact outline it is derived from.
    pub async fn plan(
        &self,
        text: &SourceText,
        kinds: &[Kind],
        options: &Options,
    ) -> Result<Plan, PlanError> {
        let engine = &self.engine;
        let mut options = options.clone();
        options.settle_language(text.as_str());
        let options = &options;
        let sha = text.sha256();
        let outline_key = cache_key(
            &engine.info_for(Kind::Outline),
            Kind::Outline,
            &sha,
            options,
            None,
        );
        let outline_sha = match self.ports.store.cache_get(&outline_key).await? {
            Some(entry) => self
                .ports
                .objects
                .get(&layout::cache(&entry.key))
                .await?
                .map(|b| hex::encode(Sha256::digest(&b))),
            None => None,
        };
        let mut steps = Vec::new();
        let mut estimate = Usage::default();
        for kind in Kind::with_outline(kinds) {
            let cache_hit = match (kind, &outline_sha) {
                (Kind::Outline, outline) => outline.is_some(),
                (_, Some(outline)) => {
                    let key = cache_key(&engine.info_for(kind), kind, &sha, options, Some(outline));
                    self.ports.store.cache_get(&key).await?.is_some()
                }
                (_, None) => false,
            };
            let mut step_estimate = if cache_hit {
                Usage::default()
            } else {
                engine.estimate(kind, text.chars())
            };
            if kind == Kind::PodcastScript
                && options.audio
                && let Some(stage) = &self.ports.audio
            {
                // Turns already in the speech cache would cost nothing; not known before the
                // script exists, so the estimate is an upper bound.
                step_estimate.add(stage.estimate(options));
            }
            estimate.add(step_estimate);
            steps.push(PlannedStep {
                kind,
                cache_hit,
                depends_on: kind.depends_on().to_vec(),
                estimate: step_estimate,
            });
        }
        Ok(Plan {
            source: SourceInfo {
                sha256: sha,
                chars: text.chars(),
                name: None,
                file: None,
            },
            steps,
            estimate,
        })
    }
}
