//! The shapes in which Google Cloud delivers work to the internal routes:
//! - a Pub/Sub push request (`{"message": {"data", "attributes", "messageId", …},
//!   "subscription"}`), used for dispatched steps and for Cloud Storage notifications;
//! - an Eventarc CloudEvent in binary mode (`ce-*` headers, the StorageObjectData as body).
//!
//! Parsing is separate from the routes so each shape is tested on its own.

use std::collections::HashMap;

use axum::http::HeaderMap;
use base64::Engine as _;
use serde::Deserialize;

/// A Pub/Sub push request body. Fields the factory does not read are ignored: Pub/Sub adds
/// new ones over time.
#[derive(Debug, Clone, Deserialize)]
pub struct PushEnvelope {
    pub message: PushMessage,
    #[serde(default)]
    pub subscription: String,
    /// Present when the subscription has a dead-letter policy.
    #[serde(default, rename = "deliveryAttempt")]
    pub delivery_attempt: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PushMessage {
    /// Base64 of the payload; absent for an empty payload.
    #[serde(default)]
    pub data: Option<String>,
    #[serde(default)]
    pub attributes: HashMap<String, String>,
    #[serde(default, rename = "messageId")]
    pub message_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("`{0}`: {1}")]
    Invalid(&'static str, String),
}

impl PushMessage {
    /// The decoded payload (empty when there is none).
    pub fn payload(&self) -> Result<Vec<u8>, EnvelopeError> {
        match &self.data {
            None => Ok(Vec::new()),
            Some(data) => base64::engine::general_purpose::STANDARD
                .decode(data)
                .map_err(|e| EnvelopeError::Invalid("/message/data", format!("not base64: {e}"))),
        }
    }
}

/// Whether a JSON body is a Pub/Sub push request rather than a direct call.
pub fn is_push(body: &serde_json::Value) -> bool {
    body.get("message")
        .is_some_and(serde_json::Value::is_object)
}

/// The object a storage event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageObjectRef {
    pub bucket: String,
    pub name: String,
}

/// The fields of a Cloud Storage object resource (`StorageObjectData` in Eventarc, the JSON
/// payload of a notification) that the factory reads.
#[derive(Debug, Clone, Deserialize)]
struct ObjectResource {
    #[serde(default)]
    bucket: String,
    name: String,
}

/// The Eventarc type of a finished upload.
pub const OBJECT_FINALIZED: &str = "google.cloud.storage.object.v1.finalized";

/// What a storage event asks of post-processing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageEvent {
    /// An object was written (finalized).
    Finalized(StorageObjectRef),
    /// Another event type (deleted, archived, metadata updated): acknowledged, ignored.
    Other(String),
}

/// Reads an Eventarc CloudEvent in binary mode, or `None` when the request has no `ce-type`
/// header (it is not a CloudEvent).
pub fn cloud_event(
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Result<StorageEvent, EnvelopeError>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let event_type = header("ce-type")?;
    Some((|| {
        if header("ce-specversion") != Some("1.0") {
            return Err(EnvelopeError::Invalid(
                "ce-specversion",
                "only CloudEvents 1.0 is understood".into(),
            ));
        }
        if header("ce-id").is_none_or(str::is_empty) {
            return Err(EnvelopeError::Invalid("ce-id", "missing".into()));
        }
        if event_type != OBJECT_FINALIZED {
            return Ok(StorageEvent::Other(event_type.to_owned()));
        }
        let object: ObjectResource = serde_json::from_slice(body)
            .map_err(|e| EnvelopeError::Invalid("/", format!("not a StorageObjectData: {e}")))?;
        // `ce-subject` is `objects/NAME`; the body's `name` is authoritative when both exist.
        let bucket = if object.bucket.is_empty() {
            header("ce-source")
                .and_then(|s| s.rsplit_once("/buckets/"))
                .map(|(_, b)| b.to_owned())
                .unwrap_or_default()
        } else {
            object.bucket
        };
        Ok(StorageEvent::Finalized(StorageObjectRef {
            bucket,
            name: object.name,
        }))
    })())
}

/// Reads a Cloud Storage notification delivered by a Pub/Sub push subscription
/// (`payloadFormat=JSON_API_V1`, attributes `eventType`, `bucketId`, `objectId`).
pub fn storage_notification(envelope: &PushEnvelope) -> Result<StorageEvent, EnvelopeError> {
    let attributes = &envelope.message.attributes;
    let event_type = attributes
        .get("eventType")
        .ok_or_else(|| EnvelopeError::Invalid("/message/attributes/eventType", "missing".into()))?;
    if event_type != "OBJECT_FINALIZE" {
        return Ok(StorageEvent::Other(event_type.clone()));
    }
    let name = if let Some(name) = attributes.get("objectId") {
        name.clone()
    } else {
        let object: ObjectResource =
            serde_json::from_slice(&envelope.message.payload()?).map_err(|e| {
                EnvelopeError::Invalid("/message/data", format!("not an object resource: {e}"))
            })?;
        object.name
    };
    Ok(StorageEvent::Finalized(StorageObjectRef {
        bucket: attributes.get("bucketId").cloned().unwrap_or_default(),
        name,
    }))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    /// Headers and body exactly as Eventarc sends a Cloud Storage finalized event.
    fn eventarc() -> (HeaderMap, Vec<u8>) {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("ce-specversion", "1.0"),
            ("ce-id", "9751138410493453"),
            ("ce-type", OBJECT_FINALIZED),
            (
                "ce-source",
                "//storage.googleapis.com/projects/_/buckets/factory-artifacts",
            ),
            (
                "ce-subject",
                "objects/jobs/01JD0000000000000000000000/faq.json",
            ),
            ("ce-time", "2026-11-27T12:00:00.000000Z"),
            ("content-type", "application/json; charset=utf-8"),
        ] {
            headers.insert(name, HeaderValue::from_static(value));
        }
        let body = br#"{
          "kind": "storage#object",
          "id": "factory-artifacts/jobs/01JD0000000000000000000000/faq.json/1732708800000000",
          "selfLink": "https://www.googleapis.com/storage/v1/b/factory-artifacts/o/jobs%2F01JD0000000000000000000000%2Ffaq.json",
          "name": "jobs/01JD0000000000000000000000/faq.json",
          "bucket": "factory-artifacts",
          "generation": "1732708800000000",
          "metageneration": "1",
          "contentType": "application/json",
          "timeCreated": "2026-11-27T12:00:00.000Z",
          "updated": "2026-11-27T12:00:00.000Z",
          "storageClass": "STANDARD",
          "timeStorageClassUpdated": "2026-11-27T12:00:00.000Z",
          "size": "5120",
          "md5Hash": "1B2M2Y8AsgTpgAmY7PhCfg==",
          "crc32c": "AAAAAA==",
          "etag": "CICAgICAgICAAQ=="
        }"#
        .to_vec();
        (headers, body)
    }

    #[test]
    fn an_eventarc_finalized_event_names_its_object() {
        let (headers, body) = eventarc();
        assert_eq!(
            cloud_event(&headers, &body).unwrap().unwrap(),
            StorageEvent::Finalized(StorageObjectRef {
                bucket: "factory-artifacts".into(),
                name: "jobs/01JD0000000000000000000000/faq.json".into(),
            })
        );
    }

    #[test]
    fn other_cloud_event_types_are_acknowledged_not_processed() {
        let (mut headers, body) = eventarc();
        headers.insert(
            "ce-type",
            HeaderValue::from_static("google.cloud.storage.object.v1.deleted"),
        );
        assert_eq!(
            cloud_event(&headers, &body).unwrap().unwrap(),
            StorageEvent::Other("google.cloud.storage.object.v1.deleted".into())
        );
    }

    #[test]
    fn malformed_cloud_events_are_refused_with_the_field_at_fault() {
        let (mut headers, body) = eventarc();
        headers.insert("ce-specversion", HeaderValue::from_static("0.3"));
        assert_eq!(
            cloud_event(&headers, &body).unwrap().unwrap_err(),
            EnvelopeError::Invalid(
                "ce-specversion",
                "only CloudEvents 1.0 is understood".into()
            )
        );
        let (mut headers, _) = eventarc();
        headers.remove("ce-id");
        assert!(matches!(
            cloud_event(&headers, b"{}").unwrap(),
            Err(EnvelopeError::Invalid("ce-id", _))
        ));
        let (headers, _) = eventarc();
        assert!(matches!(
            cloud_event(&headers, b"{\"bucket\": \"b\"}").unwrap(),
            Err(EnvelopeError::Invalid("/", _))
        ));
        assert!(
            cloud_event(&HeaderMap::new(), b"{}").is_none(),
            "not a CloudEvent"
        );
    }

    fn notification(attributes: &serde_json::Value, data: &str) -> PushEnvelope {
        let body = serde_json::json!({
            "message": {
                "attributes": attributes,
                "data": base64::engine::general_purpose::STANDARD.encode(data),
                "messageId": "2070443601311540",
                "message_id": "2070443601311540",
                "publishTime": "2026-11-27T12:00:00.123Z",
                "publish_time": "2026-11-27T12:00:00.123Z"
            },
            "subscription": "projects/factory/subscriptions/post-process"
        });
        assert!(is_push(&body));
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn a_storage_notification_names_its_object() {
        let envelope = notification(
            &serde_json::json!({
                "bucketId": "factory-artifacts",
                "eventTime": "2026-11-27T12:00:00.000000Z",
                "eventType": "OBJECT_FINALIZE",
                "notificationConfig": "projects/_/buckets/factory-artifacts/notificationConfigs/1",
                "objectGeneration": "1732708800000000",
                "objectId": "jobs/01JD0000000000000000000000/faq.json",
                "payloadFormat": "JSON_API_V1"
            }),
            r#"{"name": "jobs/01JD0000000000000000000000/faq.json", "bucket": "factory-artifacts", "size": "5120"}"#,
        );
        assert_eq!(envelope.message.message_id, "2070443601311540");
        assert_eq!(
            storage_notification(&envelope).unwrap(),
            StorageEvent::Finalized(StorageObjectRef {
                bucket: "factory-artifacts".into(),
                name: "jobs/01JD0000000000000000000000/faq.json".into(),
            })
        );
    }

    #[test]
    fn a_notification_without_object_id_is_read_from_its_payload() {
        let envelope = notification(
            &serde_json::json!({"eventType": "OBJECT_FINALIZE", "bucketId": "b"}),
            r#"{"name": "sources/abc.txt", "bucket": "b"}"#,
        );
        assert_eq!(
            storage_notification(&envelope).unwrap(),
            StorageEvent::Finalized(StorageObjectRef {
                bucket: "b".into(),
                name: "sources/abc.txt".into()
            })
        );
    }

    #[test]
    fn other_notifications_are_ignored_and_bad_ones_refused() {
        let deleted = notification(
            &serde_json::json!({"eventType": "OBJECT_DELETE", "objectId": "x"}),
            "{}",
        );
        assert_eq!(
            storage_notification(&deleted).unwrap(),
            StorageEvent::Other("OBJECT_DELETE".into())
        );
        let untyped = notification(&serde_json::json!({"objectId": "x"}), "{}");
        assert!(matches!(
            storage_notification(&untyped),
            Err(EnvelopeError::Invalid("/message/attributes/eventType", _))
        ));
        let mut garbled = notification(&serde_json::json!({"eventType": "OBJECT_FINALIZE"}), "");
        garbled.message.data = Some("%%%".into());
        assert!(matches!(
            storage_notification(&garbled),
            Err(EnvelopeError::Invalid("/message/data", _))
        ));
    }
}
