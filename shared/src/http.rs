//! The HTTP surface every deployed function shares: the function's identity, liveness and
//! readiness probes, and a server that takes its listener and shutdown signal as arguments.
//! The public job API is mounted on this runtime as it grows.

use std::future::Future;
use std::process::ExitCode;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::content::Kind;
use crate::runtime::Factory;

/// The deployed functions (DESIGN §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// One content kind: `POST /v1/<kind>` and `POST /internal/steps`.
    Kind(Kind),
    Bundle,
    JobStatus,
    PostProcess,
    Maintenance,
}

impl Function {
    pub fn name(self) -> &'static str {
        match self {
            Self::Kind(kind) => kind.slug(),
            Self::Bundle => "bundle",
            Self::JobStatus => "job-status",
            Self::PostProcess => "post-process",
            Self::Maintenance => "maintenance",
        }
    }
}

/// The routes every function serves.
pub fn app(factory: Factory, function: Function) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/",
            get(
                move || async move { format!("ai-content-factory {} function\n", function.name()) },
            ),
        )
        .with_state(factory)
}

/// Ready when both storage ports answer.
async fn ready(State(factory): State<Factory>) -> (StatusCode, String) {
    let ports = &factory.pipeline.ports;
    match (ports.store.ping().await, ports.objects.ping().await) {
        (Ok(()), Ok(())) => (StatusCode::OK, "ready\n".into()),
        (store, objects) => {
            let why: Vec<String> = [
                store.err().map(|e| e.to_string()),
                objects.err().map(|e| e.to_string()),
            ]
            .into_iter()
            .flatten()
            .collect();
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {}\n", why.join("; ")),
            )
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
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
}

/// A function binary's whole life: configuration, adapters, serving on `$PORT`.
pub async fn run_function(function: Function) -> ExitCode {
    crate::telemetry::init("info");
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let port = config.port;
    let factory = match Factory::start(config) {
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
    match serve(listener, app(factory, function), shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::FAILURE
        }
    }
}
