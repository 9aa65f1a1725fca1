//! The OpenAPI document of the public API, generated from the handlers and types, served at
//! `/openapi.json` and committed as `docs/openapi.json` (a test keeps the two equal).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::routes::{create, jobs};

#[derive(OpenApi)]
#[openapi(
    info(title = "AI Content Factory", description = "Turn a source into a bundle of learning materials.", version = "1"),
    paths(create::create_kind, create::create_bundle, jobs::get_job, jobs::list_jobs, jobs::cancel_job, jobs::get_artifact),
    components(schemas(
        create::KindRequest,
        create::BundleRequest,
        create::SourceInput,
        super::view::JobView,
        super::view::JobPage,
        super::view::Plan,
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

/// The document as pretty JSON with a trailing newline (the committed form).
pub fn document() -> String {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    text.push('\n');
    text
}
