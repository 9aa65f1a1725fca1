//! The deployment of DESIGN §2 on one machine: every function binary as its own process on
//! its own port, wired to the emulators that `scripts/emulators` started (Firestore, Pub/Sub,
//! fake-gcs-server) the way Terraform wires them in Google Cloud: a steps topic with one push
//! subscription per kind function (filtered on `attributes.kind`, with a dead-letter topic),
//! and the bucket's notifications pushed to `post-process`. Dropping the harness stops every
//! process group it started, also when a test fails.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use factory_shared::content::Kind;
use serde_json::{Value, json};

/// The kind functions are named by their kind's slug; these are the others.
const OTHER_FUNCTIONS: [&str; 4] = ["bundle", "job-status", "post-process", "maintenance"];

pub struct Cloud {
    pub project: String,
    pub bucket: String,
    pub storage: String,
    /// (function name, base URL)
    pub functions: Vec<(String, String)>,
    children: Vec<Child>,
    pub logs: tempfile::TempDir,
}

/// An emulator address from the environment; never skips.
pub fn env(variable: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!(
            "{variable} is not set: run through `scripts/emulators cargo test` (scripts/test does)"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Where cargo put the workspace's binaries (`target/debug`), next to this test's own.
fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the function binaries first (`cargo build --workspace --bins`)",
        path.display()
    );
    path
}

impl Cloud {
    /// Creates the bucket, topics and subscriptions, starts all twelve functions and waits
    /// until each is ready.
    pub async fn start(http: &reqwest::Client) -> Self {
        let project = env("GOOGLE_CLOUD_PROJECT");
        env("FIRESTORE_EMULATOR_HOST");
        let pubsub = format!("http://{}", env("PUBSUB_EMULATOR_HOST"));
        let storage = env("STORAGE_EMULATOR_HOST");
        let events_topic = env("FACTORY_GCS_EVENTS_TOPIC");
        let run = ulid::Ulid::new().to_string().to_lowercase();
        let bucket = format!("factory-e2e-{run}");
        let steps = format!("steps-{run}");
        let dead = format!("steps-dead-{run}");

        ok(http
            .post(format!("{storage}/storage/v1/b?project={project}"))
            .json(&json!({"name": bucket}))
            .send()
            .await)
        .await;
        for topic in [&steps, &dead] {
            ok(http
                .put(format!("{pubsub}/v1/projects/{project}/topics/{topic}"))
                .json(&json!({}))
                .send()
                .await)
            .await;
        }

        let logs = tempfile::tempdir().unwrap();
        let mut cloud = Self {
            project: project.clone(),
            bucket: bucket.clone(),
            storage,
            functions: Vec::new(),
            children: Vec::new(),
            logs,
        };
        let names = Kind::ALL.map(Kind::slug);
        for name in names.iter().chain(&OTHER_FUNCTIONS) {
            let port = free_port();
            let log = File::create(cloud.logs.path().join(format!("{name}.log"))).unwrap();
            let child = Command::new(binary(name))
                .env("PORT", port.to_string())
                .env("FACTORY_STORE", format!("firestore:{project}"))
                .env("FACTORY_OBJECTS", format!("gs://{bucket}"))
                .env("FACTORY_DISPATCH", format!("pubsub:{project}/{steps}"))
                // The emulators cannot mint Google-signed tokens; OIDC is tested on its own.
                .env("FACTORY_INTERNAL_AUTH", "off")
                .env("RUST_LOG", "info")
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("start {name}: {e}"));
            cloud.children.push(child);
            cloud
                .functions
                .push(((*name).to_owned(), format!("http://127.0.0.1:{port}")));
        }
        for (name, url) in cloud.functions.clone() {
            cloud.wait_ready(http, &name, &url).await;
        }

        // What Terraform declares: one filtered push subscription per kind function…
        for kind in Kind::ALL.map(Kind::slug) {
            let endpoint = format!("{}/internal/steps", cloud.url(kind));
            ok(http
                .put(format!(
                    "{pubsub}/v1/projects/{project}/subscriptions/{kind}-{run}"
                ))
                .json(&json!({
                    "topic": format!("projects/{project}/topics/{steps}"),
                    "filter": format!("attributes.kind = \"{kind}\""),
                    "pushConfig": {"pushEndpoint": endpoint},
                    "ackDeadlineSeconds": 600,
                    "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "10s"},
                    "deadLetterPolicy": {
                        "deadLetterTopic": format!("projects/{project}/topics/{dead}"),
                        "maxDeliveryAttempts": 5
                    }
                }))
                .send()
                .await)
            .await;
        }
        // …and the bucket's notifications pushed to post-process.
        let endpoint = format!("{}/internal/events/storage", cloud.url("post-process"));
        ok(http
            .put(format!(
                "{pubsub}/v1/projects/{project}/subscriptions/post-process-{run}"
            ))
            .json(&json!({
                "topic": format!("projects/{project}/topics/{events_topic}"),
                "pushConfig": {"pushEndpoint": endpoint},
                "ackDeadlineSeconds": 60,
                "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "10s"}
            }))
            .send()
            .await)
        .await;
        cloud
    }

    pub fn url(&self, function: &str) -> &str {
        &self
            .functions
            .iter()
            .find(|(name, _)| name == function)
            .unwrap_or_else(|| panic!("no function {function}"))
            .1
    }

    async fn wait_ready(&mut self, http: &reqwest::Client, name: &str, url: &str) {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            if let Ok(response) = http.get(format!("{url}/readyz")).send().await
                && response.status().is_success()
            {
                return;
            }
            let index = self.functions.iter().position(|(n, _)| n == name).unwrap();
            if let Ok(Some(status)) = self.children[index].try_wait() {
                panic!("{name} exited with {status}:\n{}", self.log(name));
            }
            assert!(
                Instant::now() < deadline,
                "{name} was not ready within 60 s:\n{}",
                self.log(name)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.logs.path().join(format!("{name}.log"))).unwrap_or_default()
    }

    /// Every function's log, for a failure message.
    pub fn all_logs(&self) -> String {
        self.functions
            .iter()
            .map(|(name, _)| {
                let log = self.log(name);
                let tail: Vec<&str> = log.lines().rev().take(15).collect();
                format!(
                    "--- {name} ---\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Object names in the bucket under `prefix`.
    pub async fn objects(&self, http: &reqwest::Client, prefix: &str) -> Vec<String> {
        let listing: Value = http
            .get(format!("{}/storage/v1/b/{}/o", self.storage, self.bucket))
            .query(&[("prefix", prefix)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        listing["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Cloud {
    fn drop(&mut self) {
        for child in &mut self.children {
            // The whole process group: a function and anything it started.
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }
}

async fn ok(response: reqwest::Result<reqwest::Response>) {
    let response = response.expect("the emulator answers");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "emulator answered {status}: {body}");
}
