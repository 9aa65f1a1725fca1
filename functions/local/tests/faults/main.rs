//! Fault injection on the embedded deployment: the factory killed with jobs in flight and
//! killed mid-synthesis of podcast audio, every dispatch delivered twice, a model provider
//! failing 30 % of its calls, and a burst of clients. Each scenario fills a [`reliability::Run`], prints its one-line summary and
//! fails on any violation of the rules in `factory_testkit::reliability` (the checker is
//! tested on its own in the testkit). Each is bounded in time; see the scenario modules for the bounds.
//!
//! This file is the harness: `factory serve` as a child process with its state in a temp
//! folder and API keys from `factory keys create` (both from `factory_testkit::serve`, which
//! the CLI tests share), an HTTP client, and waiting for jobs to end through the public API
//! only.

mod burst;
mod crash;
mod duplicates;
mod provider;
mod speech_crash;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use factory_shared::objects::ObjectStore;
use factory_shared::objects::dir::DirObjectStore;
use serde_json::{Value, json};

use factory_testkit::reliability::{self, Submitted};
pub use factory_testkit::serve::{Server, create_key};

/// `factory serve` with `env` added (values built at run time); see [`Server::start`].
pub fn start_server(home: &Path, env: &[(&str, String)]) -> Server {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Server::start(home, &pairs)
}

/// The example note the scenarios build from.
pub const NOTE: &str = include_str!("../../../../examples/note-tcp-handshake.txt");

/// `base` with a closing line naming copy `n`, so that no two jobs share a source (and so
/// no step of one is a cache hit of another's).
pub fn unique_source(base: &str, n: usize) -> String {
    format!("{base}\n\nThis is copy number {n} of the note, made for one job only.")
}

/// The first two paragraphs of the note: a cheap source that still makes an FAQ.
pub fn short_note() -> String {
    NOTE.split("\n\n").take(2).collect::<Vec<_>>().join("\n\n")
}

/// One HTTP answer: its status (0 if none came), whether it had `Retry-After`, its JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Value,
}

impl Answer {
    pub fn submitted(&self) -> Submitted {
        Submitted {
            status: self.status,
            retry_after: self.retry_after.is_some(),
            job_id: self.body["id"].as_str().map(str::to_owned),
        }
    }
}

/// A client of the public API.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    /// A client with its own connection pool.
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_mins(1))
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.trim().parse().ok());
                let body = response.json().await.unwrap_or(Value::Null);
                Answer {
                    status,
                    retry_after,
                    body,
                }
            }
            Err(e) => Answer {
                status: 0,
                retry_after: None,
                body: json!({"error": e.to_string()}),
            },
        }
    }

    pub async fn post(&self, path: &str, key: &str, body: &Value) -> Answer {
        let url = format!("{}{path}", self.base);
        self.send(self.http.post(url).bearer_auth(key).json(body))
            .await
    }

    pub async fn get(&self, path: &str, key: &str) -> Answer {
        let url = format!("{}{path}", self.base);
        self.send(self.http.get(url).bearer_auth(key)).await
    }

    /// A GET that must succeed: refusals are waited out (at most ten times).
    async fn get_patiently(&self, path: &str, key: &str) -> Answer {
        for _ in 0..10 {
            let answer = self.get(path, key).await;
            match answer.status {
                429 | 503 => {
                    let wait = answer.retry_after.unwrap_or(1).min(5);
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                }
                _ => return answer,
            }
        }
        panic!("GET {path} was refused ten times");
    }

    /// Whether `key`'s tenant has no queued or running job left, polled until `deadline`.
    pub async fn wait_until_ended(&self, key: &str, deadline: Instant) -> bool {
        loop {
            let mut busy = false;
            for status in ["queued", "running"] {
                let page = self
                    .get_patiently(&format!("/v1/jobs?status={status}&limit=1"), key)
                    .await;
                assert_eq!(page.status, 200, "listing jobs: {}", page.body);
                busy |= page.body["jobs"].as_array().is_some_and(|j| !j.is_empty());
            }
            if !busy {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// The view of each job (`None` when the API does not know it), 16 requests at a time.
    pub async fn final_views<'a>(
        &self,
        jobs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> BTreeMap<String, Option<Value>> {
        let permits = Arc::new(tokio::sync::Semaphore::new(16));
        let mut tasks = tokio::task::JoinSet::new();
        for (id, key) in jobs {
            let (api, id, key) = (self.clone(), id.to_owned(), key.to_owned());
            let permits = Arc::clone(&permits);
            tasks.spawn(async move {
                let _permit = permits.acquire().await.unwrap();
                let answer = api.get_patiently(&format!("/v1/jobs/{id}"), &key).await;
                let view = match answer.status {
                    200 => Some(answer.body),
                    404 => None,
                    other => panic!("GET /v1/jobs/{id}: {other} {}", answer.body),
                };
                (id, view)
            });
        }
        let mut views = BTreeMap::new();
        while let Some(joined) = tasks.join_next().await {
            let (id, view) = joined.unwrap();
            views.insert(id, view);
        }
        views
    }
}

/// Every object a `factory serve` home holds, listed by the object store itself.
pub async fn stored_objects(home: &Path) -> Vec<String> {
    list_objects(&DirObjectStore::open(home.join("state/objects")).unwrap()).await
}

/// Every object in `store`.
pub async fn list_objects(store: &dyn ObjectStore) -> Vec<String> {
    let paths = store.list("").await.unwrap();
    paths.iter().map(ToString::to_string).collect()
}

/// The accepted jobs' ids, in submission order.
pub fn accepted_ids(submissions: &[Submitted]) -> Vec<String> {
    submissions
        .iter()
        .filter(|s| matches!(s.status, 200 | 202))
        .filter_map(|s| s.job_id.clone())
        .collect()
}
