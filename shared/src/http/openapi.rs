//! The OpenAPI document of the public API, generated from the handlers and types, served at
//! `/openapi.json` and committed as `docs/openapi.json` (a test keeps the two equal). Client
//! generators are run on it by `scripts/clients`; how defaults are written for them is
//! ADR 0012.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes::{create, jobs};

#[derive(OpenApi)]
#[openapi(
    info(title = "AI Content Factory", description = "Turn a source into a bundle of learning materials.", version = "1"),
    paths(create::create_kind, create::create_bundle, jobs::get_job, jobs::list_jobs, jobs::cancel_job, jobs::get_artifact, jobs::usage),
    components(schemas(
        create::KindRequest,
        create::BundleRequest,
        create::SourceInput,
        create::FileInput,
        create::UploadForm,
        super::view::JobView,
        super::view::JobPage,
        super::view::Plan,
        super::view::UsageReportView,
        super::problem::Problem,
        super::problem::FieldError,
    )),
    modifiers(&Security),
    tags((name = "jobs", description = "Create jobs, follow them, download what they made"))
)]
#[derive(Debug)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

/// The document as pretty JSON with a trailing newline (the committed form), with defaults
/// written the way OpenAPI 3.1 generators read them (see [`defaults_beside_refs`]).
pub fn document() -> String {
    let mut value =
        serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
    let schemas = value
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_default();
    defaults_beside_refs(&mut value, &schemas);
    let mut text = serde_json::to_string_pretty(&value).expect("the OpenAPI document serializes");
    text.push('\n');
    text
}

/// Rewrites every `{"oneOf": [{"$ref": …}], "default": …}` (utoipa's way of giving a
/// referenced schema a default, from OpenAPI 3.0 where `$ref` could have no siblings) as
/// `{"$ref": …, "default": …}`, which OpenAPI 3.1 allows and generators read as a property
/// of the referenced type. A default whose referenced schema is an object is dropped: no
/// generator can hold an object default on a model, and the description says what leaving
/// the property out means. ADR 0012.
fn defaults_beside_refs(value: &mut serde_json::Value, schemas: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let lone_ref = match map.get("oneOf") {
                Some(Value::Array(items)) if items.len() == 1 && items[0].get("$ref").is_some() => {
                    items[0].as_object().cloned()
                }
                _ => None,
            };
            if let Some(reference) = lone_ref {
                map.remove("oneOf");
                for (key, item) in reference {
                    map.entry(key).or_insert(item);
                }
            }
            if map.contains_key("default") && refers_to_an_object(map.get("$ref"), schemas) {
                map.remove("default");
            }
            for item in map.values_mut() {
                defaults_beside_refs(item, schemas);
            }
        }
        Value::Array(items) => {
            for item in items {
                defaults_beside_refs(item, schemas);
            }
        }
        _ => {}
    }
}

fn refers_to_an_object(reference: Option<&serde_json::Value>, schemas: &serde_json::Value) -> bool {
    reference
        .and_then(serde_json::Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .and_then(|name| schemas.get(name))
        .is_some_and(|schema| {
            schema.get("type").and_then(serde_json::Value::as_str) == Some("object")
                || schema.get("properties").is_some()
                || schema.get("additionalProperties").is_some()
        })
}
