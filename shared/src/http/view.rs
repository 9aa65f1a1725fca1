//! What clients see of a job: its status, every step (attempts, timings, cache hit, engine,
//! usage, quality, typed error), progress, artifacts with download links, total usage.
//! Internal fields (lease owners, tenant) stay out.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::content::validate::Violation;
use crate::content::{Kind, Options};
use crate::jobs::{Job, JobStatus, Step, StepStatus};
use crate::outcome::{ErrorCode, StepError, Usage};

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Job)]
pub struct JobView {
    pub id: String,
    pub status: JobStatus,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    pub source: SourceView,
    pub options: Options,
    pub steps: Vec<StepView>,
    pub progress: Progress,
    pub artifacts: Vec<ArtifactView>,
    pub usage: UsageView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorView>,
    /// What the bundle lacks without failing, e.g. a learning objective no practice item
    /// serves (rule `coverage`, path into the outline).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub warnings: Vec<ViolationView>,
    pub links: Links,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Source)]
pub struct SourceView {
    pub sha256: String,
    pub chars: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The uploaded document the text was extracted from, when the source was a file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<SourceFileView>,
}

/// An uploaded document, kept with the job.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = SourceFile)]
pub struct SourceFileView {
    /// What the file's content is: `application/pdf`, `text/html`, …
    pub media_type: String,
    pub bytes: u64,
    pub sha256: String,
}

impl From<&crate::jobs::SourceFile> for SourceFileView {
    fn from(file: &crate::jobs::SourceFile) -> Self {
        Self {
            media_type: file.media_type.clone(),
            bytes: file.bytes,
            sha256: file.sha256.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Step)]
pub struct StepView {
    pub kind: Kind,
    pub status: StepStatus,
    pub attempts: u32,
    pub cache_hit: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    pub usage: UsageView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<QualityView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queued_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorView>,
    /// Why the podcast's audio could not be made (the script itself succeeded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_error: Option<ErrorView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Quality)]
pub struct QualityView {
    /// Items that carry a source reference.
    pub items: u32,
    /// Share of those references that include a character span (0–1).
    pub grounded: f32,
    /// Share of the outline's sections the output refers to (0–1).
    pub section_coverage: f32,
    /// Fact-bearing items whose cited span supports what they say (see `docs/quality.md`:
    /// at least half of the item's content words occur in the span).
    pub supported: u32,
    /// Fact-bearing items whose cited span does not support them.
    pub unsupported: u32,
    /// Fact-bearing items that cite no span.
    pub uncited: u32,
    /// Whether more than half of the fact-bearing items are unsupported or uncited.
    pub mostly_unsupported: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[schema(as = Usage)]
pub struct UsageView {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    /// Characters sent to the speech engine for podcast audio.
    #[serde(default)]
    pub speech_characters: u64,
    /// Tokens were spent on a model with no known price (no list price and none configured
    /// in `FACTORY_MODEL_PRICES`): `cost_usd` counts only the priced part.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub price_unknown: bool,
}

/// A typed failure: `code` tells whether and how to act; `violations` lists broken rules.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Failure)]
pub struct ErrorView {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub violations: Vec<ViolationView>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Violation)]
pub struct ViolationView {
    pub path: String,
    pub rule: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = Artifact)]
pub struct ArtifactView {
    pub name: String,
    pub kind: Kind,
    pub format: String,
    pub bytes: u64,
    pub sha256: String,
    /// Where to download it.
    pub href: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Links {
    #[serde(rename = "self")]
    pub this: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// Every file and the manifest in one zip, once the job ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
}

/// A page of jobs, newest first. Pass `next_cursor` as `cursor` for the next page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JobPage {
    pub jobs: Vec<JobView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The `200` answer of a job-creating route: the job, when it ended within `?wait`, or the
/// plan of a `?dry_run`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
#[schema(as = JobOrPlan)]
pub enum CreatedOrPlanned {
    Job(Box<JobView>),
    Plan(Plan),
}

/// What a dry run would do: every step and whether the cache already holds its result.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub source: SourceView,
    pub steps: Vec<PlannedStep>,
    /// Estimated tokens and cost of the whole job (cached steps cost nothing).
    pub estimate: UsageView,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlannedStep {
    pub kind: Kind,
    /// `true` if the result is cached; derivatives are known only when the outline is cached.
    pub cache_hit: bool,
    pub depends_on: Vec<Kind>,
    /// Estimated tokens and cost of this step with the configured engine.
    pub estimate: UsageView,
}

impl From<&crate::pipeline::Plan> for Plan {
    fn from(plan: &crate::pipeline::Plan) -> Self {
        Self {
            source: SourceView {
                sha256: plan.source.sha256.clone(),
                chars: plan.source.chars,
                name: plan.source.name.clone(),
                file: plan.source.file.as_ref().map(SourceFileView::from),
            },
            steps: plan
                .steps
                .iter()
                .map(|step| PlannedStep {
                    kind: step.kind,
                    cache_hit: step.cache_hit,
                    depends_on: step.depends_on.clone(),
                    estimate: step.estimate.into(),
                })
                .collect(),
            estimate: plan.estimate.into(),
        }
    }
}

impl From<Usage> for UsageView {
    fn from(u: Usage) -> Self {
        Self {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cost_usd: u.cost_usd,
            speech_characters: u.speech_characters,
            price_unknown: u.price_unknown,
        }
    }
}

impl From<&StepError> for ErrorView {
    fn from(e: &StepError) -> Self {
        Self {
            code: e.code,
            message: e.message.clone(),
            violations: e.violations.iter().map(ViolationView::from).collect(),
        }
    }
}

impl From<&Violation> for ViolationView {
    fn from(v: &Violation) -> Self {
        Self {
            path: v.path.clone(),
            rule: serde_json::to_value(v.rule)
                .ok()
                .and_then(|r| r.as_str().map(str::to_owned))
                .unwrap_or_default(),
            message: v.message.clone(),
        }
    }
}

impl From<&Step> for StepView {
    fn from(s: &Step) -> Self {
        Self {
            kind: s.kind,
            status: s.status,
            attempts: s.attempts,
            cache_hit: s.cache_hit,
            engine: s.engine.clone(),
            engine_version: s.engine_version.clone(),
            usage: s.usage.into(),
            quality: s.quality.map(|q| QualityView {
                items: q.items,
                grounded: q.grounded,
                section_coverage: q.section_coverage,
                supported: q.supported,
                unsupported: q.unsupported,
                uncited: q.uncited,
                mostly_unsupported: q.mostly_unsupported,
            }),
            queued_at: s.queued_at.map(Timestamp::to_rfc3339),
            started_at: s.started_at.map(Timestamp::to_rfc3339),
            finished_at: s.finished_at.map(Timestamp::to_rfc3339),
            duration_ms: s.duration_ms,
            error: s
                .error
                .as_ref()
                .filter(|_| s.status == StepStatus::Failed || s.status == StepStatus::Cancelled)
                .map(ErrorView::from),
            audio_error: s.audio_error.as_ref().map(ErrorView::from),
        }
    }
}

impl From<&Job> for JobView {
    fn from(job: &Job) -> Self {
        let base = format!("/v1/jobs/{}", job.id);
        let (done, total) = job.progress();
        Self {
            id: job.id.to_string(),
            status: job.status,
            created_at: job.created_at.to_rfc3339(),
            updated_at: job.updated_at.to_rfc3339(),
            finished_at: job.finished_at.map(Timestamp::to_rfc3339),
            source: SourceView {
                sha256: job.source.sha256.clone(),
                chars: job.source.chars,
                name: job.source.name.clone(),
                file: job.source.file.as_ref().map(SourceFileView::from),
            },
            options: job.options.clone(),
            steps: job.steps.iter().map(StepView::from).collect(),
            progress: Progress { done, total },
            artifacts: job
                .artifacts
                .iter()
                .map(|a| ArtifactView {
                    name: a.name.clone(),
                    kind: a.kind,
                    format: a.format.clone(),
                    bytes: a.bytes,
                    sha256: a.sha256.clone(),
                    href: format!("{base}/artifacts/{}", a.name),
                })
                .collect(),
            usage: job.usage().into(),
            error: job.error.as_ref().map(ErrorView::from),
            warnings: job.warnings.iter().map(ViolationView::from).collect(),
            links: Links {
                manifest: job
                    .manifest
                    .then(|| format!("{base}/artifacts/manifest.json")),
                bundle: job.manifest.then(|| format!("{base}/artifacts/bundle.zip")),
                this: base,
            },
        }
    }
}

/// `GET /v1/usage`: what the caller's tenant spent per UTC day.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = UsageReport)]
pub struct UsageReportView {
    /// The first day counted (`YYYY-MM-DD`, UTC); the last is today.
    pub since: String,
    /// Days with at least one job, oldest first.
    pub days: Vec<DayUsageView>,
    /// The whole period.
    pub total: DayUsageView,
    /// More jobs fell in the period than one report reads (10,000): the oldest are left out.
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = DayUsage)]
pub struct DayUsageView {
    /// `YYYY-MM-DD` (UTC); absent on the total.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub day: Option<String>,
    pub jobs: u32,
    pub usage: UsageView,
}

impl From<&crate::pipeline::usage::DayUsage> for DayUsageView {
    fn from(d: &crate::pipeline::usage::DayUsage) -> Self {
        Self {
            day: (!d.day.is_empty()).then(|| d.day.clone()),
            jobs: d.jobs,
            usage: d.usage.into(),
        }
    }
}
