//! `factory keys create`: make an API key for a tenant. The key is printed once; the store
//! keeps only its SHA-256.

use std::process::ExitCode;

use anyhow::Context;
use factory_shared::clock::SystemClock;
use factory_shared::config::Config;
use factory_shared::http::keys::create_key;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a key and print it (it cannot be shown again).
    Create {
        /// The tenant the key acts for: jobs are visible only to keys of the same tenant.
        #[arg(long)]
        tenant: String,
        /// Requests per minute (default: FACTORY_DEFAULT_RATE, 600).
        #[arg(long, value_parser = parse_rate)]
        rate: Option<u32>,
        /// Jobs per UTC day for the tenant through this key (default: unlimited).
        #[arg(long)]
        daily_jobs: Option<u32>,
    },
}

/// `60` or `60/min`.
fn parse_rate(text: &str) -> Result<u32, String> {
    let number = text.strip_suffix("/min").unwrap_or(text);
    number
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a rate such as 60/min"))
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let config = Config::from_env().context("configuration")?;
    let store = factory_shared::runtime::open_store(&config)
        .await
        .context("opening the job store")?;
    match command {
        Command::Create {
            tenant,
            rate,
            daily_jobs,
        } => {
            let tenant = tenant.trim();
            anyhow::ensure!(
                (1..=64).contains(&tenant.len())
                    && tenant
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "a tenant is 1 to 64 letters, digits, `-` or `_`"
            );
            let key = create_key(
                store.as_ref(),
                &SystemClock,
                tenant,
                rate.unwrap_or(config.default_rate),
                daily_jobs,
            )
            .await?;
            eprintln!(
                "key {}… for tenant `{}`: {} requests/min, {} jobs/day. It is shown once; keep it secret.",
                key.record.prefix,
                key.record.tenant,
                key.record.rate_per_minute,
                key.record
                    .daily_jobs
                    .map_or("unlimited".to_owned(), |n| n.to_string())
            );
            println!("{}", key.secret);
        }
    }
    Ok(ExitCode::SUCCESS)
}
