//! A text model as an [`Engine`]: render the versioned prompt, call the model with the kind's
//! JSON schema, read the JSON out of the answer (tolerating fences and chatter), parse it
//! into the kind's type and run the kind's validator. A broken answer is sent back once or
//! twice with the exact list of what is wrong; after that the step fails with the violations.
//! An answer cut off by the token limit is asked again once with twice the budget. Nothing
//! that failed validation is ever returned.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::prompts::{self, PromptError};
use super::{ModelError, ModelRequest, TextModel, TokenUsage, Turn};
use crate::content::{Content, Kind, ValidationContext};
use crate::generation::{Engine, EngineInfo, Generation, GenerationRequest};
use crate::outcome::StepError;
use crate::outcome::{ErrorCode, Usage};

/// US dollars per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

impl Price {
    pub fn cost(self, usage: TokenUsage) -> f64 {
        (usage.input_tokens as f64 * self.input_per_million
            + usage.output_tokens as f64 * self.output_per_million)
            / 1_000_000.0
    }
}

/// How generation is driven.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationSettings {
    /// Re-asks after an answer that cannot be parsed or breaks the kind's rules.
    pub max_repairs: u32,
    /// Characters of source material a prompt may hold (about four per token).
    pub source_budget_chars: usize,
    pub temperature: f32,
    /// The output token limit is never raised past this after a truncated answer.
    pub max_output_tokens_cap: u32,
    /// The most a step may spend generating, every call, wait and repair included.
    pub step_deadline: Duration,
}

impl Default for GenerationSettings {
    fn default() -> Self {
        Self {
            max_repairs: 2,
            source_budget_chars: 60_000,
            temperature: 0.4,
            max_output_tokens_cap: 32_768,
            step_deadline: Duration::from_mins(10),
        }
    }
}

#[derive(Debug)]
pub struct ModelEngine {
    model: Arc<dyn TextModel>,
    price: Option<Price>,
    settings: GenerationSettings,
}

impl ModelEngine {
    pub fn new(
        model: Arc<dyn TextModel>,
        price: Option<Price>,
        settings: GenerationSettings,
    ) -> Self {
        Self {
            model,
            price,
            settings,
        }
    }

    fn usage(&self, tokens: TokenUsage) -> Usage {
        Usage {
            input_tokens: tokens.input_tokens,
            output_tokens: tokens.output_tokens,
            cost_usd: self.price.map_or(0.0, |p| p.cost(tokens)),
            speech_characters: 0,
            price_unknown: self.price.is_none() && tokens.input_tokens + tokens.output_tokens > 0,
        }
    }
}

/// The JSON object inside a model's answer: the whole text, a fenced block, or the span
/// from the first `{` to the last `}`.
pub fn extract_json(text: &str) -> Option<&str> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') && trimmed.ends_with('}') {
        return Some(trimmed);
    }
    if let Some(start) = trimmed.find("```") {
        let after = &trimmed[start + 3..];
        let body = after.split_once('\n').map_or(after, |(_, rest)| rest);
        if let Some(end) = body.find("```") {
            let inner = body[..end].trim();
            if inner.starts_with('{') {
                return Some(inner);
            }
        }
    }
    let start = trimmed.find('{')?;
    let end = trimmed.rfind('}')?;
    (start < end).then(|| &trimmed[start..=end])
}

/// Reads a kind's content from an answer, or says precisely why it cannot.
pub fn parse_answer(kind: Kind, text: &str) -> Result<Content, String> {
    let json = extract_json(text).ok_or("the answer holds no JSON object")?;
    let json = escape_control_characters(json);
    Content::parse_json(kind, &json)
        .map_err(|e| format!("the answer does not fit the {kind} schema {e}"))
}

/// `json` with raw control characters inside strings escaped (`\n`, `\t`, `\u0001`):
/// grammar-constrained servers (llama.cpp) let a model write a line break inside a string,
/// which JSON forbids, though its meaning is plain. Everything else is left as it is.
fn escape_control_characters(json: &str) -> std::borrow::Cow<'_, str> {
    if !json.chars().any(char::is_control) {
        return json.into();
    }
    let mut out = String::with_capacity(json.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '\n' if in_string => {
                out.push_str("\\n");
                continue;
            }
            '\t' if in_string => {
                out.push_str("\\t");
                continue;
            }
            '\r' if in_string => {
                out.push_str("\\r");
                continue;
            }
            c if in_string && u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out.into()
}

fn prompt_error(e: &PromptError) -> StepError {
    StepError::new(ErrorCode::Internal, e.to_string())
}

#[async_trait]
impl Engine for ModelEngine {
    fn info(&self) -> EngineInfo {
        EngineInfo {
            name: self.model.name(),
            version: prompts::VERSION.to_owned(),
        }
    }

    /// About four characters per token: the prompt's fixed text, the source (or for a
    /// derivative the outline and cited passages, bounded by the same budget), and half the
    /// kind's starting output limit (answers rarely use all of it).
    fn estimate(&self, kind: Kind, source_chars: usize) -> Usage {
        const PROMPT_CHARS: usize = 2_500;
        const OUTLINE_CHARS: usize = 6_000;
        let material = source_chars.min(self.settings.source_budget_chars);
        let input_chars = PROMPT_CHARS
            + material
            + if kind == Kind::Outline {
                0
            } else {
                OUTLINE_CHARS
            };
        self.usage(TokenUsage {
            input_tokens: (input_chars / 4) as u64,
            output_tokens: u64::from(kind.output_tokens() / 2),
        })
    }

    async fn generate(&self, request: GenerationRequest) -> Result<Generation, StepError> {
        let deadline = self.settings.step_deadline;
        tokio::time::timeout(deadline, self.generate_within_deadline(request))
            .await
            .unwrap_or_else(|_| {
                Err(StepError::new(
                    ErrorCode::Timeout,
                    format!("generation did not finish within {deadline:?}"),
                ))
            })
    }
}

impl ModelEngine {
    async fn generate_within_deadline(
        &self,
        request: GenerationRequest,
    ) -> Result<Generation, StepError> {
        let kind = request.kind;
        let prompt = prompts::for_request(&request, self.settings.source_budget_chars)
            .map_err(|e| prompt_error(&e))?;
        let mut call = ModelRequest {
            system: prompt.system,
            turns: vec![Turn::user(prompt.user)],
            schema: kind.json_schema(),
            schema_name: kind.slug().to_owned(),
            temperature: self.settings.temperature,
            max_output_tokens: kind.output_tokens(),
        };
        let source_chars = request.source.chars().count();
        let ctx = ValidationContext {
            outline: request.outline.as_deref(),
            source_chars: Some(source_chars),
            options: &request.options,
        };
        let mut tokens = TokenUsage::default();
        let mut repairs = 0;
        let mut raised_budget = false;
        loop {
            let answer = match self.model.generate(&call).await {
                Ok(answer) => answer,
                Err(ModelError::Truncated { usage, .. })
                    if !raised_budget
                        && call.max_output_tokens < self.settings.max_output_tokens_cap =>
                {
                    tokens.add(usage);
                    raised_budget = true;
                    call.max_output_tokens =
                        (call.max_output_tokens * 2).min(self.settings.max_output_tokens_cap);
                    tracing::info!(%kind, max_output_tokens = call.max_output_tokens, "answer cut off; asking again with a larger budget");
                    continue;
                }
                Err(error) => {
                    tokens.add(error.usage());
                    return Err(StepError {
                        usage: self.usage(tokens),
                        ..StepError::new(error.code(), error.to_string())
                    });
                }
            };
            tokens.add(answer.usage);
            let (violations, parse_error) = match parse_answer(kind, &answer.text) {
                Ok(content) => {
                    let violations = content.validate(&ctx);
                    if violations.is_empty() {
                        let usage = self.usage(tokens);
                        tracing::info!(%kind, model = %self.model.name(), repairs, input_tokens = usage.input_tokens, output_tokens = usage.output_tokens, cost_usd = usage.cost_usd, "generated");
                        return Ok(Generation { content, usage });
                    }
                    (violations, None)
                }
                Err(parse_error) => (Vec::new(), Some(parse_error)),
            };
            if repairs >= self.settings.max_repairs {
                let message = match &parse_error {
                    Some(e) => {
                        format!("after {repairs} repair(s) the answer was still unreadable: {e}")
                    }
                    None => format!(
                        "after {repairs} repair(s) the answer still broke {} rule(s); it was not stored",
                        violations.len()
                    ),
                };
                return Err(StepError {
                    violations,
                    usage: self.usage(tokens),
                    ..StepError::new(ErrorCode::InvalidOutput, message)
                });
            }
            repairs += 1;
            tracing::info!(%kind, repairs, violations = violations.len(), unreadable = parse_error.is_some(), "asking the model to repair its answer");
            let follow_up = prompts::repair(&violations, parse_error.as_deref())
                .map_err(|e| prompt_error(&e))?;
            call.turns.push(Turn::model(answer.text));
            call.turns.push(Turn::user(follow_up));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::content::{Options, Outline};
    use crate::extractive::ExtractiveEngine;
    use crate::model::ModelResponse;

    const SOURCE: &str = include_str!("../../../examples/note-tcp-handshake.txt");

    /// Answers from a script and records every request it was sent.
    #[derive(Debug, Default)]
    struct Scripted {
        answers: Mutex<VecDeque<Result<ModelResponse, ModelError>>>,
        requests: Mutex<Vec<ModelRequest>>,
    }

    impl Scripted {
        fn new(answers: Vec<Result<ModelResponse, ModelError>>) -> Arc<Self> {
            Arc::new(Self {
                answers: Mutex::new(answers.into()),
                requests: Mutex::default(),
            })
        }

        fn requests(&self) -> Vec<ModelRequest> {
            self.requests.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl TextModel for Scripted {
        fn name(&self) -> String {
            "scripted:test".into()
        }

        async fn generate(&self, request: &ModelRequest) -> Result<ModelResponse, ModelError> {
            self.requests.lock().unwrap().push(request.clone());
            self.answers
                .lock()
                .unwrap()
                .pop_front()
                .expect("the script has an answer for every call")
        }
    }

    #[allow(clippy::unnecessary_wraps)] // a scripted outcome, like the errors beside it
    fn answer(text: impl Into<String>) -> Result<ModelResponse, ModelError> {
        Ok(ModelResponse {
            text: text.into(),
            usage: TokenUsage {
                input_tokens: 1_000,
                output_tokens: 500,
            },
        })
    }

    fn request(kind: Kind, outline: Option<Arc<Outline>>) -> GenerationRequest {
        GenerationRequest {
            kind,
            source: Arc::from(SOURCE),
            source_sha256: "0".repeat(64),
            outline,
            options: Arc::new(Options::default()),
        }
    }

    /// A valid FAQ (and its outline) for the example source, as JSON.
    async fn valid_faq() -> (Arc<Outline>, serde_json::Value) {
        let extractive = ExtractiveEngine::new();
        let Content::Outline(outline) = extractive
            .generate(request(Kind::Outline, None))
            .await
            .unwrap()
            .content
        else {
            panic!("not an outline")
        };
        let outline = Arc::new(outline);
        let faq = extractive
            .generate(request(Kind::Faq, Some(outline.clone())))
            .await
            .unwrap()
            .content;
        (outline, faq.body())
    }

    fn engine(model: Arc<Scripted>) -> ModelEngine {
        let price = Price {
            input_per_million: 1.0,
            output_per_million: 4.0,
        };
        ModelEngine::new(model, Some(price), GenerationSettings::default())
    }

    #[tokio::test]
    async fn a_valid_answer_is_returned_with_its_usage_and_cost() {
        let (outline, faq) = valid_faq().await;
        let model = Scripted::new(vec![answer(format!("```json\n{faq}\n```"))]);
        let generation = engine(model.clone())
            .generate(request(Kind::Faq, Some(outline)))
            .await
            .unwrap();
        assert_eq!(generation.content.kind(), Kind::Faq);
        assert_eq!(generation.usage.input_tokens, 1_000);
        assert!((generation.usage.cost_usd - 0.003).abs() < 1e-9);
        let sent = &model.requests()[0];
        assert_eq!(sent.schema_name, "faq");
        assert_eq!(sent.schema, Kind::Faq.json_schema());
        assert!(sent.system.contains("untrusted"));
    }

    #[tokio::test]
    async fn malformed_json_then_valid_is_repaired() {
        let (outline, faq) = valid_faq().await;
        let model = Scripted::new(vec![
            answer("{\"title\": \"Broken"),
            answer(faq.to_string()),
        ]);
        let generation = engine(model.clone())
            .generate(request(Kind::Faq, Some(outline)))
            .await
            .unwrap();
        assert_eq!(
            generation.usage.input_tokens, 2_000,
            "both calls are counted"
        );
        let second = &model.requests()[1];
        assert_eq!(second.turns.len(), 3);
        assert!(second.turns[2].text.contains("could not be read"));
    }

    #[tokio::test]
    async fn a_rule_breaking_answer_is_sent_back_with_its_violations() {
        let (outline, mut faq) = valid_faq().await;
        let good = faq.to_string();
        let question = faq["items"][1]["question"]
            .as_str()
            .unwrap()
            .trim_end_matches('?')
            .to_owned();
        faq["items"][1]["question"] = question.into();
        faq["title"] = "Another title".into();
        let model = Scripted::new(vec![answer(faq.to_string()), answer(good)]);
        engine(model.clone())
            .generate(request(Kind::Faq, Some(outline)))
            .await
            .unwrap();
        let repair = &model.requests()[1].turns[2].text;
        assert!(repair.contains("`/items/1/question`"), "{repair}");
        assert!(repair.contains("`/title`"), "{repair}");
    }

    #[tokio::test]
    async fn answers_still_broken_after_the_repairs_fail_the_step_with_the_violations() {
        let (outline, mut faq) = valid_faq().await;
        faq["title"] = "Another title".into();
        let bad = faq.to_string();
        let model = Scripted::new(vec![answer(bad.clone()), answer(bad.clone()), answer(bad)]);
        let error = engine(model.clone())
            .generate(request(Kind::Faq, Some(outline)))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidOutput);
        assert!(error.violations.iter().any(|v| v.path == "/title"));
        assert_eq!(model.requests().len(), 3, "one call and two repairs");
        assert_eq!(
            error.usage.output_tokens, 1_500,
            "failed calls are still counted"
        );
    }

    #[tokio::test]
    async fn a_truncated_answer_is_asked_again_with_a_larger_budget() {
        let (outline, faq) = valid_faq().await;
        let cut = Err(ModelError::Truncated {
            max_output_tokens: 4_096,
            usage: TokenUsage {
                input_tokens: 1_000,
                output_tokens: 4_096,
            },
        });
        let model = Scripted::new(vec![cut, answer(faq.to_string())]);
        let generation = engine(model.clone())
            .generate(request(Kind::Faq, Some(outline)))
            .await
            .unwrap();
        let requests = model.requests();
        assert_eq!(
            requests[1].max_output_tokens,
            2 * requests[0].max_output_tokens
        );
        assert_eq!(generation.usage.output_tokens, 4_596);
    }

    #[tokio::test]
    async fn truncated_twice_fails_clearly() {
        let (outline, _) = valid_faq().await;
        let cut = || {
            Err(ModelError::Truncated {
                max_output_tokens: 4_096,
                usage: TokenUsage::default(),
            })
        };
        let model = Scripted::new(vec![cut(), cut()]);
        let error = engine(model)
            .generate(request(Kind::Faq, Some(outline)))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::Truncated);
    }

    #[tokio::test]
    async fn blocked_and_auth_failures_are_permanent_and_not_repeated() {
        let (outline, _) = valid_faq().await;
        for (failure, code) in [
            (
                ModelError::Blocked {
                    reason: "SAFETY".into(),
                    usage: TokenUsage::default(),
                },
                ErrorCode::Blocked,
            ),
            (
                ModelError::Auth("invalid API key".into()),
                ErrorCode::ModelAuth,
            ),
        ] {
            let model = Scripted::new(vec![Err(failure)]);
            let error = engine(model.clone())
                .generate(request(Kind::Faq, Some(outline.clone())))
                .await
                .unwrap_err();
            assert_eq!(error.code, code);
            assert!(!error.code.is_retryable());
            assert_eq!(model.requests().len(), 1);
        }
    }

    /// A model that never answers.
    #[derive(Debug)]
    struct Silent;

    #[async_trait]
    impl TextModel for Silent {
        fn name(&self) -> String {
            "silent:test".into()
        }

        async fn generate(&self, _: &ModelRequest) -> Result<ModelResponse, ModelError> {
            std::future::pending().await
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_that_outlives_its_deadline_times_out() {
        let settings = GenerationSettings {
            step_deadline: Duration::from_secs(30),
            ..GenerationSettings::default()
        };
        let started = tokio::time::Instant::now();
        let error = ModelEngine::new(Arc::new(Silent), None, settings)
            .generate(request(Kind::Outline, None))
            .await
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::Timeout);
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[test]
    fn json_is_found_in_chatty_or_fenced_answers() {
        assert_eq!(extract_json(" {\"a\": 1} "), Some("{\"a\": 1}"));
        assert_eq!(extract_json("```json\n{\"a\": 1}\n```"), Some("{\"a\": 1}"));
        assert_eq!(
            extract_json("Here you go:\n{\"a\": {\"b\": 2}}\nHope it helps."),
            Some("{\"a\": {\"b\": 2}}")
        );
        assert_eq!(extract_json("no json here"), None);
    }

    #[test]
    fn raw_control_characters_inside_strings_are_escaped_and_nothing_else_changes() {
        let raw = "{\n  \"a\": \"line one\nline\ttwo\u{1}\",\n  \"b\": \"quote \\\" and \\\\\"\n}";
        let fixed = escape_control_characters(raw);
        let value: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(value["a"], "line one\nline\ttwo\u{1}");
        assert_eq!(value["b"], "quote \" and \\");
        assert!(serde_json::from_str::<serde_json::Value>(raw).is_err());
        let clean = "{\"a\": 1}";
        assert!(matches!(
            escape_control_characters(clean),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_schema_mismatch_names_the_field() {
        let error =
            parse_answer(Kind::Faq, r#"{"title": "T", "items": [{"question": 3}]}"#).unwrap_err();
        assert!(error.contains("items[0].question"), "{error}");
    }
}
