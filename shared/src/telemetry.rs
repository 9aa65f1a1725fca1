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
        .with(json.then(|| tracing_stackdriver::layer().with_writer(CloudLoggingStderr)))
        .with((!json).then(|| tracing_subscriber::fmt::layer().with_writer(std::io::stderr)))
        .with(sentry.as_ref().map(|_| {
            sentry::integrations::tracing::ErrorLayer::new()
                .with_filter(tracing_subscriber::filter::LevelFilter::ERROR)
        }))
        .try_init();
    Telemetry { sentry }
}

/// The field name Cloud Logging reads a log line's trace from.
pub const TRACE_FIELD: &str = "logging.googleapis.com/trace";

/// tracing-stackdriver camel-cases every field name, which turns [`TRACE_FIELD`] into
/// `loggingGoogleapisComTrace`; Cloud Logging would then not tie the line to its trace.
/// This writer buffers each event and restores the reserved name before writing to stderr.
#[derive(Debug, Clone, Copy)]
struct CloudLoggingStderr;

#[derive(Debug, Default)]
struct EventBuffer(Vec<u8>);

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CloudLoggingStderr {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        EventBuffer::default()
    }
}

impl std::io::Write for EventBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        let line = restore_trace_field(&self.0);
        let _ = std::io::Write::write_all(&mut std::io::stderr().lock(), &line);
    }
}

/// Renames the camel-cased trace key of one JSON log line back to [`TRACE_FIELD`].
fn restore_trace_field(line: &[u8]) -> Vec<u8> {
    const CAMEL: &[u8] = b"\"loggingGoogleapisComTrace\":";
    match line.windows(CAMEL.len()).position(|w| w == CAMEL) {
        None => line.to_vec(),
        Some(at) => {
            let mut out = Vec::with_capacity(line.len() + 8);
            out.extend_from_slice(&line[..at]);
            out.extend_from_slice(format!("\"{TRACE_FIELD}\":").as_bytes());
            out.extend_from_slice(&line[at + CAMEL.len()..]);
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_key_gets_its_reserved_name_back() {
        let line = br#"{"severity":"INFO","loggingGoogleapisComTrace":"projects/p/traces/abc","message":"request"}"#;
        let restored: serde_json::Value =
            serde_json::from_slice(&restore_trace_field(line)).unwrap();
        assert_eq!(restored[TRACE_FIELD], "projects/p/traces/abc");
        assert!(restored.get("loggingGoogleapisComTrace").is_none());
        let other = br#"{"message":"loggingGoogleapisComTrace is only a key"}"#;
        assert_eq!(restore_trace_field(other), other.to_vec());
    }
}
