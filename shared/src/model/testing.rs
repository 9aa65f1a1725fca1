//! Test doubles at the network boundary for the providers: a local HTTP server that plays a
//! provider (it records every request and answers with a canned reply, so a test checks
//! the wire on both sides), a port nobody listens on, and a server that cuts its answer
//! short. Plus the request the provider tests send.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use reqwest::Url;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::{ModelRequest, Turn};
use crate::content::Kind;

/// One request the fake provider received.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: Method,
    /// Path and query, as sent.
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    /// The JSON body (`Value::Null` if it was not JSON).
    pub(crate) body: Value,
}

impl Seen {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// What the fake provider answers to every request.
#[derive(Debug, Clone)]
pub(crate) struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Canned {
    pub(crate) fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=UTF-8".into(),
            )],
            body: body.to_string(),
        }
    }

    /// A non-JSON body, e.g. a load balancer's HTML page.
    pub(crate) fn html(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "text/html; charset=UTF-8".into())],
            body: body.to_owned(),
        }
    }

    #[must_use]
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn response(&self) -> Response {
        let mut response = Response::builder().status(StatusCode::from_u16(self.status).unwrap());
        for (name, value) in &self.headers {
            response = response.header(name, value);
        }
        response.body(Body::from(self.body.clone())).unwrap()
    }
}

/// A provider on 127.0.0.1 that answers every request with one canned reply.
#[derive(Debug)]
pub(crate) struct FakeProvider {
    /// The base URL to give the provider client.
    pub(crate) url: Url,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeProvider {
    pub(crate) async fn answering(canned: Canned) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let router = Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let (log, canned) = (Arc::clone(&log), canned.clone());
                async move {
                    log.lock().unwrap().push(Seen {
                        method,
                        path: uri
                            .path_and_query()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                        headers,
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                    });
                    canned.response()
                }
            },
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { url, seen }
    }

    /// The base URL with a path prefix, as an OpenAI-compatible server is configured
    /// (`http://host:port/v1`).
    pub(crate) fn url_with(&self, path: &str) -> Url {
        self.url.join(path).unwrap()
    }

    /// The one request received (fails the test if there were none or several).
    pub(crate) fn request(&self) -> Seen {
        let seen = self.seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "expected exactly one request: {seen:?}");
        seen[0].clone()
    }
}

/// A URL on which nothing listens: connecting is refused.
pub(crate) async fn refusing() -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    Url::parse(&format!("http://{address}")).unwrap()
}

/// A server that reads the request, promises a 1000-byte JSON body, sends the start of
/// one and hangs up.
pub(crate) async fn cutting_short() -> Url {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            read_request(&mut socket).await;
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n";
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket
                .write_all(br#"{"candidates": [{"content": {"parts": [{"text": "{\"ti"#)
                .await;
            let _ = socket.shutdown().await;
        }
    });
    url
}

/// Reads one HTTP/1.1 request with a `content-length` body.
async fn read_request(socket: &mut tokio::net::TcpStream) {
    let mut buffer = Vec::new();
    let mut chunk = [0_u8; 8192];
    loop {
        let Ok(read) = socket.read(&mut chunk).await else {
            return;
        };
        if read == 0 {
            return;
        }
        buffer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&buffer);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if buffer.len() >= end + 4 + length {
                return;
            }
        }
    }
}

pub(crate) const SYSTEM: &str = "You write outlines of a source as JSON.";
pub(crate) const SOURCE_TURN: &str = "Source:\nThe Roman Republic began in 509 BC.";
pub(crate) const FIRST_ANSWER: &str = r#"{"title": "Rome"}"#;
pub(crate) const REPAIR_TURN: &str = "That answer is missing `sections`. Answer again.";

/// A repair call: system prompt, the source, a first answer and the feedback on it.
pub(crate) fn outline_request() -> ModelRequest {
    ModelRequest {
        system: SYSTEM.into(),
        turns: vec![
            Turn::user(SOURCE_TURN),
            Turn::model(FIRST_ANSWER),
            Turn::user(REPAIR_TURN),
        ],
        schema: Kind::Outline.json_schema(),
        schema_name: "outline".into(),
        temperature: 0.2,
        max_output_tokens: 8192,
    }
}
