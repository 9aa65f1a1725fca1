//! The OpenAI-compatible client against a stand-in of each server people run
//! (`factory_testkit::dialects`): its requests are accepted, it falls back from one
//! structured-output mode to the next when a server refuses one, remembers what the server
//! refused so later calls go straight to what works, adapts the output-limit field and the
//! temperature, and turns a rejected parameter into a permanent `invalid_request` that names
//! the parameter and is never retried.

use std::sync::Arc;
use std::time::Duration;

use factory_shared::content::Kind;
use factory_shared::model::openai::{Capabilities, OpenAiModel, StructuredMode, TokenLimitField};
use factory_shared::model::resilient::{Resilient, RetryPolicy};
use factory_shared::model::{ModelError, ModelRequest, TextModel, Turn};
use factory_shared::outcome::ErrorCode;
use factory_testkit::dialects::{Dialect, DialectServer};

const ANSWER: &str = r#"{"title": "T"}"#;

fn request() -> ModelRequest {
    ModelRequest {
        system: "Answer with JSON.".into(),
        turns: vec![Turn::user("Write the FAQ.")],
        schema: Kind::Faq.json_schema(),
        schema_name: "faq".into(),
        temperature: 0.4,
        max_output_tokens: 4_096,
    }
}

fn client(server: &DialectServer, capabilities: &Capabilities) -> OpenAiModel {
    OpenAiModel::new(reqwest::Client::new(), "m", &server.base_url(), None)
        .with_capabilities(capabilities.clone())
}

/// What a dialect ends up being asked with, after negotiation.
struct Expected {
    mode: StructuredMode,
    limit: TokenLimitField,
    temperature: bool,
    /// Requests the first call takes (1 + one per refusal).
    first_call_requests: usize,
}

fn expected(dialect: Dialect) -> Expected {
    let direct = |mode| Expected {
        mode,
        limit: TokenLimitField::MaxTokens,
        temperature: true,
        first_call_requests: 1,
    };
    match dialect {
        Dialect::LlamaServer | Dialect::Ollama | Dialect::Vllm | Dialect::LmStudio => {
            direct(StructuredMode::JsonSchema)
        }
        Dialect::LlamaCppPython => Expected {
            first_call_requests: 2,
            ..direct(StructuredMode::JsonObject)
        },
        Dialect::Plain => Expected {
            first_call_requests: 3,
            ..direct(StructuredMode::Prompt)
        },
        // Configured at a host other than api.openai.com, it starts with max_tokens.
        Dialect::OpenAiReasoning => Expected {
            mode: StructuredMode::JsonSchema,
            limit: TokenLimitField::MaxCompletionTokens,
            temperature: false,
            first_call_requests: 3,
        },
    }
}

#[tokio::test]
async fn every_dialect_answers_and_later_calls_go_straight_to_what_it_accepts() {
    for dialect in Dialect::ALL {
        let server = DialectServer::start(dialect, ANSWER).await;
        let capabilities = Capabilities::default();
        let want = expected(dialect);

        let answer = client(&server, &capabilities)
            .generate(&request())
            .await
            .unwrap_or_else(|e| panic!("{dialect:?}: {e}"));
        assert_eq!(answer.text, ANSWER, "{dialect:?}");
        assert_eq!(answer.usage.input_tokens, 812, "{dialect:?}");
        let first = server.handled();
        assert_eq!(
            first.len(),
            want.first_call_requests,
            "{dialect:?}: {first:#?}"
        );

        // A second model built for the same server (another kind) asks the right way at once.
        client(&server, &capabilities)
            .generate(&request())
            .await
            .unwrap();
        let all = server.handled();
        assert_eq!(
            all.len(),
            want.first_call_requests + 1,
            "{dialect:?}: remembered"
        );
        let last = all.last().unwrap();
        assert_eq!(last.status, 200, "{dialect:?}");
        assert_eq!(
            last.limit_read,
            Some(4_096),
            "{dialect:?}: the output limit went in a field the server reads"
        );
        let negotiated = client(&server, &capabilities).negotiated();
        assert_eq!(negotiated.structured, want.mode, "{dialect:?}");
        assert_eq!(negotiated.token_limit, want.limit, "{dialect:?}");
        assert_eq!(negotiated.temperature, want.temperature, "{dialect:?}");
        match want.mode {
            StructuredMode::JsonSchema | StructuredMode::JsonObject => {
                assert!(
                    last.schema_enforced,
                    "{dialect:?}: the server constrained the answer"
                );
            }
            StructuredMode::Prompt => {
                assert_eq!(last.format, None, "{dialect:?}");
                let system = last.body["messages"][0]["content"].as_str().unwrap();
                assert!(
                    system.contains("JSON Schema") && system.contains("\"items\""),
                    "{system}"
                );
            }
        }
    }
}

#[tokio::test]
async fn llama_cpp_python_gets_json_mode_with_the_schema_after_refusing_json_schema() {
    let server = DialectServer::start(Dialect::LlamaCppPython, ANSWER).await;
    client(&server, &Capabilities::default())
        .generate(&request())
        .await
        .unwrap();
    let handled = server.handled();
    assert_eq!(handled[0].format.as_deref(), Some("json_schema"));
    assert_eq!(handled[0].status, 500, "its validation error is a 500");
    assert_eq!(handled[1].format.as_deref(), Some("json_object"));
    assert_eq!(
        handled[1].body["response_format"]["schema"]["properties"]["items"]["type"], "array",
        "the schema travels with json_object"
    );
    assert!(handled[1].body.get("max_completion_tokens").is_none());
    assert_eq!(handled[1].body["max_tokens"], 4_096);
}

#[tokio::test]
async fn a_forced_mode_the_server_refuses_is_a_permanent_invalid_request_naming_the_parameter() {
    let server = DialectServer::start(Dialect::LlamaCppPython, ANSWER).await;
    let model = client(&server, &Capabilities::default())
        .with_structured_mode(Some(StructuredMode::JsonSchema));
    let resilient = Resilient::new(
        Arc::new(model),
        RetryPolicy {
            base_delay: Duration::from_millis(1),
            ..RetryPolicy::default()
        },
        1,
    );

    let error = resilient.generate(&request()).await.unwrap_err();

    let ModelError::InvalidRequest(message) = &error else {
        panic!("{error:?}")
    };
    assert!(message.contains("`response_format.type`"), "{message}");
    assert!(message.contains("HTTP 500"), "{message}");
    assert_eq!(error.code(), ErrorCode::InvalidRequest);
    assert!(!error.is_retryable());
    assert_eq!(server.handled().len(), 1, "never retried as unavailable");
}

#[tokio::test]
async fn a_forced_mode_the_server_accepts_is_used_from_the_first_call() {
    let server = DialectServer::start(Dialect::LlamaCppPython, ANSWER).await;
    client(&server, &Capabilities::default())
        .with_structured_mode(Some(StructuredMode::JsonObject))
        .generate(&request())
        .await
        .unwrap();
    let handled = server.handled();
    assert_eq!(handled.len(), 1);
    assert_eq!(handled[0].format.as_deref(), Some("json_object"));
}

#[tokio::test]
async fn a_refused_parameter_with_no_fallback_left_fails_at_once_through_retries() {
    // The plain server refuses every response_format; forced to json_object there is no
    // fallback, and Resilient must not try again.
    let server = DialectServer::start(Dialect::Plain, ANSWER).await;
    let model = client(&server, &Capabilities::default())
        .with_structured_mode(Some(StructuredMode::JsonObject));
    let resilient = Resilient::new(Arc::new(model), RetryPolicy::default(), 1);
    let error = resilient.generate(&request()).await.unwrap_err();
    assert!(
        matches!(&error, ModelError::InvalidRequest(m) if m.contains("`response_format.type`")),
        "{error:?}"
    );
    assert_eq!(server.handled().len(), 1);
}

#[tokio::test]
async fn openai_itself_gets_max_completion_tokens_and_a_refused_temperature_is_left_out() {
    let server = DialectServer::start(Dialect::OpenAiReasoning, ANSWER).await;
    let capabilities = Capabilities::default();
    let model =
        client(&server, &capabilities).with_token_limit_field(TokenLimitField::MaxCompletionTokens);
    model.generate(&request()).await.unwrap();
    let handled = server.handled();
    assert_eq!(
        handled.len(),
        2,
        "only the temperature was refused: {handled:#?}"
    );
    assert_eq!(handled[0].status, 400);
    assert!(handled[1].body.get("temperature").is_none());
    assert_eq!(handled[1].body["max_completion_tokens"], 4_096);
    assert!(handled[1].body.get("max_tokens").is_none());
    assert_eq!(
        handled[1].body["response_format"]["json_schema"]["strict"],
        true
    );
}

#[tokio::test]
async fn servers_are_remembered_apart() {
    let llama = DialectServer::start(Dialect::LlamaCppPython, ANSWER).await;
    let ollama = DialectServer::start(Dialect::Ollama, ANSWER).await;
    let capabilities = Capabilities::default();
    client(&llama, &capabilities)
        .generate(&request())
        .await
        .unwrap();
    client(&ollama, &capabilities)
        .generate(&request())
        .await
        .unwrap();
    assert_eq!(
        client(&llama, &capabilities).negotiated().structured,
        StructuredMode::JsonObject
    );
    assert_eq!(
        client(&ollama, &capabilities).negotiated().structured,
        StructuredMode::JsonSchema,
        "what one server refused does not weaken another"
    );
    assert_eq!(ollama.handled().len(), 1);
}
