//! `factory`: the whole factory on one machine with embedded adapters (SQLite, a local
//! folder, an in-process queue, the extractive engine).
//!
//! - `factory generate FILE` builds learning materials from a PDF, DOCX, HTML, Markdown or
//!   text file.
//! - `factory serve` runs the whole HTTP API on one port.
//! - `factory keys create` makes an API key for a tenant.
//! - `factory jobs list|show|resume|dead-letters` reads the job store, resumes unfinished jobs
//!   and lists or retries dead letters.

mod generate;
mod jobs;
mod keys;
mod progress;
mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "factory",
    version,
    about = "Turn a source text into a bundle of learning materials."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build learning materials from a .pdf, .docx, .html, .md or .txt file (or `-` for
    /// standard input).
    Generate(generate::Args),
    /// Serve the HTTP API (every function) on one port.
    Serve(serve::Args),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(keys::Command),
    /// Inspect and resume jobs in the local store.
    #[command(subcommand)]
    Jobs(jobs::Command),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let _telemetry = factory_shared::telemetry::init(if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    });
    let result = match cli.command {
        Command::Generate(args) => generate::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Keys(command) => keys::run(command).await,
        Command::Jobs(command) => jobs::run(command).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
