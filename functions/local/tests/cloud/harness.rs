//! The deployment of DESIGN §2 on one machine: every function binary as its own process on
//! its own port, wired to the emulators that `scripts/emulators` started (Firestore, Pub/Sub,
//! fake-gcs-server) the way Terraform wires them in Google Cloud: a steps topic with one push
//! subscription per kind function (filtered on `attributes.kind`, with a dead-letter topic
//! pushed to `maintenance`), the bucket's notifications pushed to `post-process`, and Cloud
//! Scheduler's call to `maintenance` (every few seconds here instead of every minute).
//! Every function appends its object writes to one journal (`FACTORY_OBJECT_JOURNAL`).
//! Dropping the harness stops every process group it started, also when a test fails.

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

/// How the harness deploys.
#[derive(Debug, Clone, Copy)]
pub struct Deployment {
    /// Two push subscriptions per function on the same topic: every message is delivered
    /// twice, each copy on its own schedule (so some arrive out of order).
    pub duplicate_deliveries: bool,
    /// `FACTORY_LEASE_SECS` of every function.
    pub lease_secs: u32,
    /// `FACTORY_ENGINE_DELAY_MS` of every function: slower steps, to have some in flight.
    pub engine_delay_ms: u32,
    /// How often the harness plays Cloud Scheduler and calls maintenance.
    pub sweep_every: Duration,
}

impl Default for Deployment {
    fn default() -> Self {
        Self {
            duplicate_deliveries: false,
            lease_secs: 120,
            engine_delay_ms: 0,
            sweep_every: Duration::from_secs(5),
        }
    }
}

pub struct Cloud {
    /// The Pub/Sub project (the one fake-gcs-server publishes its notifications in).
    pub project: String,
    /// This deployment's own Firestore project: two harnesses running at once must not see
    /// each other's jobs (maintenance would dispatch them to the wrong bucket).
    pub database: String,
    pub bucket: String,
    pub storage: String,
    pub pubsub: String,
    /// The steps topic.
    pub steps: String,
    /// (function name, base URL)
    pub functions: Vec<(String, String)>,
    children: Vec<Child>,
    deployment: Deployment,
    scheduler: Option<tokio::task::JoinHandle<()>>,
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
    /// Creates the bucket, topics and subscriptions, starts all twelve functions, waits
    /// until each is ready, and starts calling maintenance on a schedule.
    pub async fn start(http: &reqwest::Client, deployment: Deployment) -> Self {
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
            database: format!("factory-e2e-{run}"),
            bucket,
            storage,
            pubsub: pubsub.clone(),
            steps: steps.clone(),
            functions: Vec::new(),
            children: Vec::new(),
            deployment,
            scheduler: None,
            logs,
        };
        let names = Kind::ALL.map(Kind::slug);
        let mut started = Vec::new();
        for name in names.iter().chain(&OTHER_FUNCTIONS) {
            let url = format!("http://127.0.0.1:{}", free_port());
            cloud.functions.push(((*name).to_owned(), url));
            started.push((*name, cloud.listening(name)));
            let child = cloud.spawn(name);
            cloud.children.push(child);
        }
        for (name, before) in started {
            cloud.wait_ready(http, name, before, true).await;
        }

        // What Terraform declares: one filtered push subscription per kind function…
        let copies: &[&str] = if deployment.duplicate_deliveries {
            &["", "-again"]
        } else {
            &[""]
        };
        for kind in Kind::ALL.map(Kind::slug) {
            let endpoint = format!("{}/internal/steps", cloud.url(kind));
            for copy in copies {
                cloud
                    .subscribe(
                        http,
                        &format!("{kind}-{run}{copy}"),
                        json!({
                            "topic": format!("projects/{project}/topics/{steps}"),
                            "filter": format!("attributes.kind = \"{kind}\""),
                            "pushConfig": {"pushEndpoint": endpoint},
                            "ackDeadlineSeconds": 600,
                            "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "4s"},
                            "deadLetterPolicy": {
                                "deadLetterTopic": format!("projects/{project}/topics/{dead}"),
                                "maxDeliveryAttempts": 5
                            }
                        }),
                    )
                    .await;
            }
        }
        // …the dead letters pushed to maintenance…
        let endpoint = format!("{}/internal/dead-letters", cloud.url("maintenance"));
        cloud
            .subscribe(
                http,
                &format!("dead-letters-{run}"),
                json!({
                    "topic": format!("projects/{project}/topics/{dead}"),
                    "pushConfig": {"pushEndpoint": endpoint},
                    "ackDeadlineSeconds": 60
                }),
            )
            .await;
        // …and the bucket's notifications pushed to post-process.
        let endpoint = format!("{}/internal/events/storage", cloud.url("post-process"));
        for copy in copies {
            cloud
                .subscribe(
                    http,
                    &format!("post-process-{run}{copy}"),
                    json!({
                        "topic": format!("projects/{project}/topics/{events_topic}"),
                        "pushConfig": {"pushEndpoint": endpoint},
                        "ackDeadlineSeconds": 60,
                        "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "4s"}
                    }),
                )
                .await;
        }

        // Cloud Scheduler.
        let (sweep, every) = (
            format!("{}/internal/maintenance", cloud.url("maintenance")),
            deployment.sweep_every,
        );
        let scheduler = http.clone();
        cloud.scheduler = Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let _ = scheduler.post(&sweep).send().await;
            }
        }));
        cloud
    }

    /// Starts function `name` on its port (a restart after [`Cloud::kill`] keeps the port).
    fn spawn(&self, name: &str) -> Child {
        let port = self.url(name).rsplit(':').next().unwrap().to_owned();
        let log = File::options()
            .create(true)
            .append(true)
            .open(self.logs.path().join(format!("{name}.log")))
            .unwrap();
        Command::new(binary(name))
            .env("PORT", port)
            .env("FACTORY_STORE", format!("firestore:{}", self.database))
            .env("FACTORY_OBJECTS", format!("gs://{}", self.bucket))
            .env(
                "FACTORY_DISPATCH",
                format!("pubsub:{}/{}", self.project, self.steps),
            )
            // The emulators cannot mint Google-signed tokens; OIDC is tested on its own.
            .env("FACTORY_INTERNAL_AUTH", "off")
            .env("FACTORY_LEASE_SECS", self.deployment.lease_secs.to_string())
            .env(
                "FACTORY_ENGINE_DELAY_MS",
                self.deployment.engine_delay_ms.to_string(),
            )
            .env("FACTORY_OBJECT_JOURNAL", self.journal())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"))
    }

    /// The journal every function appends its object writes to.
    pub fn journal(&self) -> PathBuf {
        self.logs.path().join("objects.journal")
    }

    /// Kills function `name` with SIGKILL, as a crashed instance.
    pub fn kill(&mut self, name: &str) {
        let index = self.index(name);
        kill_group(&mut self.children[index]);
    }

    /// Starts function `name` again on the same port and waits until it is ready.
    pub async fn restart(&mut self, http: &reqwest::Client, name: &str) {
        let index = self.index(name);
        let before = self.listening(name);
        self.children[index] = self.spawn(name);
        // The subscriptions push to this port: it cannot move.
        self.wait_ready(http, name, before, false).await;
    }

    fn index(&self, name: &str) -> usize {
        self.functions
            .iter()
            .position(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no function {name}"))
    }

    async fn subscribe(&self, http: &reqwest::Client, name: &str, body: Value) {
        ok(http
            .put(format!(
                "{}/v1/projects/{}/subscriptions/{name}",
                self.pubsub, self.project
            ))
            .json(&body)
            .send()
            .await)
        .await;
    }

    pub fn url(&self, function: &str) -> &str {
        &self
            .functions
            .iter()
            .find(|(name, _)| name == function)
            .unwrap_or_else(|| panic!("no function {function}"))
            .1
    }

    /// Waits until function `name` listens (a "listening" line beyond the `before` first
    /// ones: this process bound the port, not another one that answers on it) and is ready.
    /// A port taken by another process between [`free_port`] and the bind is replaced by a
    /// new one when `may_move`.
    async fn wait_ready(
        &mut self,
        http: &reqwest::Client,
        name: &str,
        mut before: usize,
        may_move: bool,
    ) {
        let deadline = Instant::now() + Duration::from_mins(1);
        let index = self.index(name);
        loop {
            if let Ok(Some(status)) = self.children[index].try_wait() {
                let log = self.log(name);
                let taken = log
                    .lines()
                    .last()
                    .is_some_and(|l| l.contains("cannot listen"));
                assert!(taken && may_move, "{name} exited with {status}:\n{log}");
                self.functions[index].1 = format!("http://127.0.0.1:{}", free_port());
                before = self.listening(name);
                self.children[index] = self.spawn(name);
                continue;
            }
            if self.listening(name) > before
                && let Ok(response) = http.get(format!("{}/readyz", self.url(name))).send().await
                && response.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} was not ready within 60 s:\n{}",
                self.log(name)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// How many times function `name` has said it listens.
    fn listening(&self, name: &str) -> usize {
        self.log(name)
            .lines()
            .filter(|line| line.contains(r#""message":"listening""#))
            .count()
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
        if let Some(scheduler) = &self.scheduler {
            scheduler.abort();
        }
        for child in &mut self.children {
            kill_group(child);
        }
    }
}

/// SIGKILL to the whole process group: a function and anything it started.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}

async fn ok(response: reqwest::Result<reqwest::Response>) {
    let response = response.expect("the emulator answers");
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "emulator answered {status}: {body}");
}
