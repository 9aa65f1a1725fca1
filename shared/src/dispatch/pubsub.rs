//! `Dispatcher` on Pub/Sub (production): each step is one message on the steps topic, data
//! `{"job_id", "step"}` and attributes `kind` and `job_id`. One push subscription per kind
//! function, filtered on `attributes.kind`, delivers it to that function's `/internal/steps`.
//! Publishing uses the REST API (`topics.publish`), so no gRPC stack is needed, and the same
//! code talks to the emulator when `PUBSUB_EMULATOR_HOST` is set.

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::{DispatchError, Dispatcher, StepTask};
use crate::content::Kind;
use crate::gcp::auth::GoogleAuth;

/// The message body of a dispatched step (also what `/internal/steps` accepts directly).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepMessage {
    pub job_id: String,
    pub step: Kind,
}

#[derive(Debug, Clone)]
pub struct PubSubDispatcher {
    http: reqwest::Client,
    /// `https://pubsub.googleapis.com/v1/projects/P/topics/T:publish` or the emulator's.
    publish_url: String,
    auth: GoogleAuth,
}

/// Publish attempts before giving up (transient errors only).
const ATTEMPTS: u32 = 4;

impl PubSubDispatcher {
    /// Publishes to `projects/{project}/topics/{topic}`; `emulator` is `HOST:PORT`.
    pub fn new(project: &str, topic: &str, emulator: Option<&str>, auth: GoogleAuth) -> Self {
        let base = match emulator {
            Some(host) => format!("http://{host}"),
            None => "https://pubsub.googleapis.com".to_owned(),
        };
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("a TLS backend is compiled in"),
            publish_url: format!("{base}/v1/projects/{project}/topics/{topic}:publish"),
            auth,
        }
    }

    async fn publish_once(&self, body: &serde_json::Value) -> Result<(), Attempt> {
        let mut request = self.http.post(&self.publish_url).json(body);
        if let Some(authorization) = self
            .auth
            .authorization()
            .await
            .map_err(|e| Attempt::Transient(e.to_string()))?
        {
            request = request.header(reqwest::header::AUTHORIZATION, authorization);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Attempt::Transient(format!("publish: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let detail = response.text().await.unwrap_or_default();
        let message = format!("publish answered {status}: {}", detail.trim());
        if status.as_u16() == 429 || status.is_server_error() {
            Err(Attempt::Transient(message))
        } else {
            Err(Attempt::Permanent(message))
        }
    }
}

enum Attempt {
    Transient(String),
    Permanent(String),
}

/// The `topics.publish` request body for one step.
pub fn publish_body(task: &StepTask) -> serde_json::Value {
    let data = serde_json::to_vec(&StepMessage {
        job_id: task.job_id.as_str().to_owned(),
        step: task.kind,
    })
    .expect("a step message serializes");
    serde_json::json!({
        "messages": [{
            "data": base64::engine::general_purpose::STANDARD.encode(data),
            "attributes": { "kind": task.kind.slug(), "job_id": task.job_id.as_str() },
        }]
    })
}

#[async_trait]
impl Dispatcher for PubSubDispatcher {
    async fn dispatch(&self, task: StepTask) -> Result<(), DispatchError> {
        let body = publish_body(&task);
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            match self.publish_once(&body).await {
                Ok(()) => return Ok(()),
                Err(Attempt::Permanent(message)) => return Err(DispatchError(message)),
                Err(Attempt::Transient(message)) => last = message,
            }
            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
        }
        Err(DispatchError(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_published_with_its_kind_as_an_attribute() {
        let task = StepTask {
            job_id: "01jd0000000000000000000000".parse().unwrap(),
            kind: Kind::Faq,
        };
        let body = publish_body(&task);
        let message = &body["messages"][0];
        assert_eq!(message["attributes"]["kind"], "faq");
        let data = base64::engine::general_purpose::STANDARD
            .decode(message["data"].as_str().unwrap())
            .unwrap();
        let decoded: StepMessage = serde_json::from_slice(&data).unwrap();
        assert_eq!(decoded.step, Kind::Faq);
        assert_eq!(decoded.job_id, "01jd0000000000000000000000");
    }
}
