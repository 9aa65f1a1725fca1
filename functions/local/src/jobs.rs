//! `factory jobs`: list and show jobs in the configured store, resume unfinished ones, and
//! list or retry dead letters.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use factory_shared::config::Config;
use factory_shared::jobs::{JobId, JobStatus};
use factory_shared::pipeline::Retried;
use factory_shared::runtime::Factory;
use factory_shared::store::JobQuery;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Jobs, newest first.
    List {
        /// Only jobs with this status (queued, running, succeeded, partial, failed, cancelled).
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// One job as JSON: steps, timings, usage, quality, artifacts and errors.
    Show { id: String },
    /// Finish every job an earlier run left unfinished, then exit.
    Resume,
    /// Steps whose deliveries ran out (oldest first); `--retry ID` queues one again with
    /// fresh attempts.
    DeadLetters {
        #[arg(long, value_name = "ID")]
        retry: Option<String>,
    },
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let factory = Factory::start(Config::from_env().context("configuration")?)
        .await
        .context("starting the factory")?;
    match command {
        Command::List { status, limit } => {
            let status = status.map(|s| parse_status(&s)).transpose()?;
            let jobs = factory
                .pipeline
                .jobs(&JobQuery {
                    tenant: None,
                    status,
                    before: None,
                    limit,
                })
                .await?;
            println!(
                "{:<26} {:<10} {:>5}  {:<24} source",
                "id", "status", "steps", "created"
            );
            for job in jobs {
                let (done, total) = job.progress();
                let name = job
                    .source
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("sha256:{}", &job.source.sha256[..12]));
                println!(
                    "{:<26} {:<10} {:>2}/{:<2}  {:<24} {name}",
                    job.id, job.status, done, total, job.created_at
                );
            }
        }
        Command::Show { id } => {
            let id: JobId = id.parse()?;
            let job = factory
                .pipeline
                .job(&id)
                .await?
                .with_context(|| format!("no job {id}"))?;
            println!("{}", serde_json::to_string_pretty(&job)?);
        }
        Command::Resume => {
            // Leases of a dead process expire on their own: keep resuming until all ended.
            loop {
                let report = factory.pipeline.resume().await?;
                if report.jobs_checked == 0 {
                    break;
                }
                eprintln!(
                    "{} unfinished job(s): dispatched {}, re-rendered {}, finished {}",
                    report.jobs_checked, report.dispatched, report.rerendered, report.settled
                );
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            println!("no unfinished jobs");
        }
        Command::DeadLetters { retry: Some(id) } => {
            match factory.pipeline.retry_dead_letter(&id).await? {
                Retried::NotFound => anyhow::bail!("no dead letter {id}"),
                Retried::Dispatched => println!("{id}: queued again with fresh attempts"),
                Retried::AlreadyEnded { status } => {
                    println!(
                        "{id}: the step had ended meanwhile ({}); letter removed",
                        status.slug()
                    );
                }
                Retried::JobGone => println!("{id}: the job no longer exists; letter removed"),
            }
        }
        Command::DeadLetters { retry: None } => {
            let letters = factory.pipeline.dead_letters(1_000).await?;
            if letters.is_empty() {
                println!("no dead letters");
            }
            for letter in letters {
                println!(
                    "{:<48} {:>3} deliveries  {}  {}",
                    letter.id, letter.deliveries, letter.at, letter.reason
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_status(s: &str) -> anyhow::Result<JobStatus> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .with_context(|| format!("unknown status `{s}`"))
}
