//! The HTTP runtime every function shares: [`app`] builds a function's router (its routes,
//! probes, OpenAPI document and the common middleware) from an [`AppState`]; [`serve`] runs a
//! router on a listener until a shutdown signal. Tests call `app(state)` with no socket.

pub mod envelopes;
pub mod extract;
pub mod guard;
pub mod keys;
mod layers;
pub mod oidc;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod upload;
pub mod view;

use std::future::Future;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::content::Kind;
use crate::runtime::Factory;

pub use keys::{KeyCache, RateLimiter};

/// The deployed functions (DESIGN §2), and the all-in-one local server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// One content kind: `POST /v1/<kind>` and `POST /internal/steps`.
    Kind(Kind),
    Bundle,
    JobStatus,
    PostProcess,
    Maintenance,
    /// Every public route in one process (`factory serve`); no internal routes.
    Local,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Self::Kind(kind) => kind.slug(),
            Self::Bundle => "bundle",
            Self::JobStatus => "job-status",
            Self::PostProcess => "post-process",
            Self::Maintenance => "maintenance",
            Self::Local => "local",
        }
    }

    fn routes(self) -> Router<AppState> {
        use routes::{create, internal, jobs};
        match self {
            Self::Kind(kind) => create::kind_router(kind).merge(internal::steps_router(kind)),
            Self::Bundle => create::bundle_router(),
            Self::JobStatus => jobs::router(),
            Self::PostProcess => internal::events_router(),
            Self::Maintenance => internal::maintenance_router(),
            Self::Local => Kind::ALL.into_iter().fold(
                create::bundle_router().merge(jobs::router()),
                |router, kind| router.merge(create::kind_router(kind)),
            ),
        }
    }
}

/// HTTP settings read from configuration.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub body_limit: usize,
    pub request_timeout: Duration,
    pub cors_origins: Vec<String>,
    /// `GOOGLE_CLOUD_PROJECT`, for Cloud Logging trace correlation.
    pub project: Option<String>,
}

impl HttpSettings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            body_limit: config.body_limit,
            request_timeout: config.request_timeout,
            cors_origins: config.cors_origins.clone(),
            project: config.project.clone(),
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub factory: Factory,
    pub keys: Arc<KeyCache>,
    pub limiter: Arc<RateLimiter>,
    pub settings: Arc<HttpSettings>,
    /// Who may call `/internal/*`.
    pub internal: guard::InternalGuard,
}

impl AppState {
    pub fn new(factory: Factory) -> Self {
        let settings = Arc::new(HttpSettings::from_config(&factory.config));
        let keys = Arc::new(KeyCache::new(factory.config.key_cache));
        Self {
            internal: guard::InternalGuard::from_config(&factory.config.internal_auth),
            factory,
            keys,
            limiter: Arc::new(RateLimiter::default()),
            settings,
        }
    }
}

/// A function's whole router, with probes, the OpenAPI document and the shared middleware.
pub fn app(state: AppState, function: Function) -> Router {
    let body_limit = state.settings.body_limit;
    let cors = layers::cors(&state.settings.cors_origins);
    function
        .routes()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/openapi.json", get(openapi_json))
        .fallback(layers::not_found)
        .method_not_allowed_fallback(layers::method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(cors)
        .layer(axum::middleware::from_fn(layers::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            layers::request_id,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Ready when both storage ports answer.
async fn ready(State(state): State<AppState>) -> (StatusCode, String) {
    match state.factory.pipeline.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n".into()),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", why.join("; ")),
        ),
    }
}

async fn openapi_json() -> Response {
    let mut response = openapi::document().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish for up to `grace`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = stopping_tx.send(());
    };
    let server = axum::serve(listener, router)
        .with_graceful_shutdown(signal)
        .into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result,
        () = async { let _ = stopping_rx.await; tokio::time::sleep(grace).await; } => {
            tracing::warn!("in-flight requests did not finish within {grace:?}; stopping anyway");
            Ok(())
        }
    }
}

/// Resolves on SIGTERM (what Cloud Run sends) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}

/// How long in-flight requests may run after SIGTERM (Cloud Run allows about 10 s).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// A function binary's whole life: configuration, adapters, serving on `$PORT`.
pub async fn run_function(function: Function) -> ExitCode {
    let _telemetry = crate::telemetry::init("info");
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let port = config.port;
    let factory = match Factory::start(config).await {
        Ok(factory) => factory,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match TcpListener::bind(("0.0.0.0", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("cannot listen on port {port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(function = function.name(), port, "listening");
    let router = app(AppState::new(factory.clone()), function);
    let served = serve(listener, router, shutdown_signal(), SHUTDOWN_GRACE).await;
    release_on_exit(&factory).await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Hands back the steps this process still holds, so nothing waits for a lease to expire.
pub async fn release_on_exit(factory: &Factory) {
    match factory.pipeline.release_leases().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(released = n, "released the steps in progress"),
        Err(e) => {
            tracing::warn!(error = %e, "could not release the steps in progress; their leases will expire");
        }
    }
}
