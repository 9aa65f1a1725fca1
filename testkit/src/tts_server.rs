//! A fake Cloud Text-to-Speech: a local HTTP server speaking `POST /v1/text:synthesize` the
//! way the real service does, so the `speech::google` client and the whole audio stage can
//! be tested against its protocol.
//!
//! It checks every request as the service would: `input.text` present and at most 5,000
//! bytes, `voice.name` present and starting with `voice.languageCode`, and
//! `audioConfig.audioEncoding` `LINEAR16` (anything else: a 400 `INVALID_ARGUMENT`). A valid
//! request is answered with `audioContent`: a base64 WAV of a quiet tone, 24,000 Hz mono,
//! 4 ms per byte of text (deterministic, so cue times can be predicted).
//!
//! Faults are played back in order, one per call, before answers resume ([`TtsFault`]): a
//! 429 with `Retry-After`, a 503, or a hang longer than the client's timeout. Every call is
//! recorded ([`TtsCall`]). Not for: judging voices or audio quality.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The sample rate of every answer.
pub const SAMPLE_RATE: u32 = 24_000;
/// Samples of audio per byte of input text.
pub const SAMPLES_PER_BYTE: usize = 96;

/// A failure played back instead of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TtsFault {
    /// 429 `RESOURCE_EXHAUSTED` with `Retry-After: N` seconds.
    RateLimited { retry_after_secs: u64 },
    /// 503 `UNAVAILABLE`.
    Unavailable,
    /// No answer for this long (then a 504).
    Hang(Duration),
}

/// One call the fake received.
#[derive(Debug, Clone)]
pub struct TtsCall {
    pub body: Value,
    pub authorization: Option<String>,
    pub status: StatusCode,
    pub fault: Option<TtsFault>,
}

#[derive(Debug, Default)]
struct Shared {
    faults: Mutex<Vec<TtsFault>>,
    calls: Mutex<Vec<TtsCall>>,
}

/// A running fake; stops when dropped.
#[derive(Debug)]
pub struct FakeTtsServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FakeTtsServer {
    /// Starts on a free local port; the first calls meet `faults`, in order.
    pub async fn start(faults: Vec<TtsFault>) -> Self {
        let shared = Arc::new(Shared {
            faults: Mutex::new(faults),
            calls: Mutex::default(),
        });
        let app = Router::new()
            .route("/v1/text:synthesize", post(synthesize))
            .with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake serves");
        });
        Self { addr, shared, task }
    }

    /// The base URL to configure (`FACTORY_SPEECH_BASE_URL`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<TtsCall> {
        self.shared
            .calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Faults to play back on the next calls.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = TtsFault>) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(faults);
    }
}

impl Drop for FakeTtsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn problem(status: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({"error": {"code": status.as_u16(), "message": message, "status": reason}});
    (status, axum::Json(body)).into_response()
}

/// What is wrong with a request, as the service would say it.
fn invalid(body: &Value) -> Option<String> {
    let Some(text) = body["input"]["text"].as_str() else {
        return Some("input.text is required".into());
    };
    if text.len() > 5_000 {
        return Some(format!(
            "Either `input.text` or `input.ssml` is longer than the limit of 5000 bytes ({} bytes).",
            text.len()
        ));
    }
    let name = body["voice"]["name"].as_str().unwrap_or_default();
    let code = body["voice"]["languageCode"].as_str().unwrap_or_default();
    if name.is_empty() || code.is_empty() || !name.starts_with(code) {
        return Some(format!(
            "voice `{name}` does not exist for language `{code}`"
        ));
    }
    if body["audioConfig"]["audioEncoding"] != "LINEAR16" {
        return Some("this fake answers LINEAR16 only".into());
    }
    None
}

/// A quiet 440 Hz tone as a WAV file.
pub fn tone_wav(samples: usize) -> Vec<u8> {
    let data: Vec<u8> = (0..samples)
        .flat_map(|i| {
            let t = i as f64 / f64::from(SAMPLE_RATE);
            let s = (t * 440.0 * std::f64::consts::TAU).sin() * 3_000.0;
            (s as i16).to_le_bytes()
        })
        .collect();
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&SAMPLE_RATE.to_le_bytes());
    out.extend_from_slice(&(SAMPLE_RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

async fn synthesize(
    State(shared): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let fault = {
        let mut faults = shared.faults.lock().unwrap_or_else(PoisonError::into_inner);
        (!faults.is_empty()).then(|| faults.remove(0))
    };
    let (status, response) = match fault {
        Some(TtsFault::RateLimited { retry_after_secs }) => {
            let mut r = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded.",
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&retry_after_secs.to_string()).expect("digits"),
            );
            (StatusCode::TOO_MANY_REQUESTS, r)
        }
        Some(TtsFault::Unavailable) => (
            StatusCode::SERVICE_UNAVAILABLE,
            problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "UNAVAILABLE",
                "The service is currently unavailable.",
            ),
        ),
        Some(TtsFault::Hang(d)) => {
            // Recorded before the wait: a client that gives up drops this handler.
            record(
                &shared,
                &headers,
                body.clone(),
                StatusCode::GATEWAY_TIMEOUT,
                fault,
            );
            tokio::time::sleep(d).await;
            return problem(
                StatusCode::GATEWAY_TIMEOUT,
                "DEADLINE_EXCEEDED",
                "Deadline exceeded.",
            );
        }
        None => {
            if let Some(message) = invalid(&body) {
                (
                    StatusCode::BAD_REQUEST,
                    problem(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", &message),
                )
            } else {
                let bytes = body["input"]["text"].as_str().unwrap_or_default().len();
                let wav = tone_wav(bytes * SAMPLES_PER_BYTE);
                let audio = base64::engine::general_purpose::STANDARD.encode(wav);
                (
                    StatusCode::OK,
                    axum::Json(json!({"audioContent": audio})).into_response(),
                )
            }
        }
    };
    record(&shared, &headers, body, status, fault);
    response
}

fn record(
    shared: &Shared,
    headers: &axum::http::HeaderMap,
    body: Value,
    status: StatusCode,
    fault: Option<TtsFault>,
) {
    shared
        .calls
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(TtsCall {
            body,
            authorization: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            status,
            fault,
        });
}
