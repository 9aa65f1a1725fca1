//! Telemetry, set up once per process. Logs go to stderr (stdout stays for command output):
//! human-readable in a terminal, JSON in Cloud Logging's format otherwise (or as
//! `FACTORY_LOG_FORMAT` says), filtered by `RUST_LOG`. With `SENTRY_DSN` set, errors and
//! panics are also sent to Sentry. Tests stay quiet unless `TEST_LOG` is set.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Keeps telemetry running; drop it last (it flushes Sentry).
#[must_use = "dropping it stops error reporting"]
pub struct Telemetry {
    sentry: Option<sentry::ClientInitGuard>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("sentry", &self.sentry.is_some())
            .finish()
    }
}

/// Installs the global subscriber. A second call changes nothing.
pub fn init(default_filter: &str) -> Telemetry {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = match std::env::var("FACTORY_LOG_FORMAT").as_deref() {
        Ok("json") => true,
        Ok("text") => false,
        _ => !std::io::stderr().is_terminal(),
    };
    let sentry = std::env::var("SENTRY_DSN")
        .ok()
        .filter(|dsn| !dsn.trim().is_empty())
        .map(|dsn| {
            sentry::init((
                dsn,
                sentry::ClientOptions::new()
                    .release(concat!("ai-content-factory@", env!("CARGO_PKG_VERSION"))),
            ))
        });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(json.then(|| tracing_stackdriver::layer().with_writer(std::io::stderr)))
        .with((!json).then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr)))
        .with(sentry.as_ref().map(|_| {
            sentry::integrations::tracing::ErrorLayer::new()
                .with_filter(tracing_subscriber::filter::LevelFilter::ERROR)
        }))
        .try_init();
    Telemetry { sentry }
}
