//! Fault injection on the embedded deployment: the factory killed with jobs in flight, every
//! dispatch delivered twice, a model provider failing 30 % of its calls, and a burst of
//! clients. Each scenario fills a [`reliability::Run`], prints its one-line summary and
//! fails on any violation of the rules in `tests/support/reliability.rs` (the checker's own
//! tests run here too). Each is bounded in time; see the scenario modules for the bounds.
//!
//! This file is the harness: `factory serve` as a child process with its state in a temp
//! folder, API keys made with `factory keys create`, an HTTP client, and waiting for jobs
//! to end through the public API only.

#[path = "../support/reliability.rs"]
mod reliability;

mod burst;
mod crash;
mod duplicates;
mod provider;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use factory_shared::objects::ObjectStore;
use factory_shared::objects::dir::DirObjectStore;
use serde_json::{Value, json};

use reliability::Submitted;

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

/// `factory` with its store and objects inside `home`.
fn factory(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_factory"));
    command
        .current_dir(home)
        .env(
            "FACTORY_STORE",
            format!("sqlite:{}", home.join("state/factory.db").display()),
        )
        .env(
            "FACTORY_OBJECTS",
            format!("dir:{}", home.join("state/objects").display()),
        )
        .env_remove("RUST_LOG");
    command
}

/// `factory keys create --tenant TENANT EXTRA...`: the printed key.
pub fn create_key(home: &Path, tenant: &str, extra: &[&str]) -> String {
    let output = factory(home)
        .args(["keys", "create", "--tenant", tenant])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("factory runs");
    assert!(
        output.status.success(),
        "keys create: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A running `factory serve`, killed when dropped (also when a test panics).
#[derive(Debug)]
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `factory serve` on a free port with `env` added and waits until it listens.
    /// Blocks the calling thread (call it through `tokio::task::block_in_place`).
    pub fn start(home: &Path, env: &[(&str, String)]) -> Self {
        for attempt in 1..=3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .unwrap()
                .port();
            let log = home.join(format!("serve-{port}.log"));
            let mut child = factory(home)
                .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .expect("factory serve starts");
            let stdout = child.stdout.take().unwrap();
            let mut server = Self {
                child,
                base: String::new(),
                log,
            };
            let (lines, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    let _ = lines.send(line);
                }
            });
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(line) => {
                        if let Some(addr) = line.strip_prefix("AI Content Factory listening on ") {
                            addr.trim().clone_into(&mut server.base);
                            return server;
                        }
                    }
                    // It exited, most likely because another process took the port.
                    Err(RecvTimeoutError::Disconnected) => break,
                    Err(RecvTimeoutError::Timeout) => {
                        panic!("serve did not listen within 30 s:\n{}", server.log_text());
                    }
                }
            }
            assert!(attempt < 3, "serve never started:\n{}", server.log_text());
        }
        unreachable!("the loop returns or panics")
    }

    /// Kills the process at once: SIGKILL, no cleanup of any kind.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
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
