//! `factory`: the whole factory on one machine with embedded adapters (SQLite, a local
//! folder, an in-process queue, the extractive engine).
//!
//! - `factory generate FILE` builds learning materials from a text or Markdown file.
//! - `factory jobs list|show|resume` reads and resumes the local job store.

mod generate;
mod jobs;
mod progress;

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
    /// Build learning materials from a .txt or .md file (or `-` for standard input).
    Generate(generate::Args),
    /// Inspect and resume jobs in the local store.
    #[command(subcommand)]
    Jobs(jobs::Command),
}

#[tokio::main]
async fn main() -> ExitCode {
    factory_shared::telemetry::init("warn");
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => generate::run(args).await,
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
