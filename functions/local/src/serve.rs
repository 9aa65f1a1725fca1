//! `factory serve`: every public route of every function on one port, with the embedded
//! adapters. A maintenance sweep runs at start and every 30 s: unfinished jobs are resumed
//! (a server killed mid-job finishes it after a restart) and old jobs and cache entries
//! are deleted past the retention. `/internal/*` are not mounted.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use factory_shared::config::Config;
use factory_shared::http::{
    AppState, Function, SHUTDOWN_GRACE, app, release_on_exit, serve, shutdown_signal,
};
use factory_shared::runtime::Factory;
use tokio::net::TcpListener;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (use 0.0.0.0 to accept other machines).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; defaults to $PORT, then 8080.
    #[arg(long)]
    port: Option<u16>,
}

const SWEEP_EVERY: Duration = Duration::from_secs(30);

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::from_env().context("configuration")?;
    let port = args.port.unwrap_or(config.port);
    let factory = Factory::start(config)
        .await
        .context("starting the factory")?;
    let listener = TcpListener::bind((args.host.as_str(), port))
        .await
        .with_context(|| format!("listening on {}:{port}", args.host))?;
    let address = listener.local_addr()?;

    let sweeper = factory.pipeline.clone();
    tokio::spawn(async move {
        loop {
            if let Err(e) = sweeper.maintain().await {
                tracing::warn!(error = %e, "maintenance sweep failed");
            }
            tokio::time::sleep(SWEEP_EVERY).await;
        }
    });

    println!("AI Content Factory listening on http://{address}");
    println!("API description: http://{address}/openapi.json");
    println!("Create an API key with:  factory keys create --tenant <name>");
    let router = app(AppState::new(factory.clone()), Function::Local);
    let served = serve(listener, router, shutdown_signal(), SHUTDOWN_GRACE).await;
    release_on_exit(&factory).await;
    served?;
    Ok(ExitCode::SUCCESS)
}
