//! `factory keys`: create, list, rotate, expire and revoke API keys. A key is printed once
//! when created; the store keeps only its SHA-256. Every change writes an audit log line.
//! Keys are named by the prefix `list` shows (`acf_1a2b3c4d`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use factory_shared::clock::{Clock, SystemClock, Timestamp};
use factory_shared::config::Config;
use factory_shared::http::keys::{
    KeySpec, NewKey, expire_key, find_key, issue_key, revoke_key, rotate_key,
};
use factory_shared::store::{ApiKeyRecord, KeyState, Scopes};

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
        /// What the key is for, in a few words (shown by `list`).
        #[arg(long, default_value = "")]
        name: String,
        /// `submit,read` (default), `submit` or `read`.
        #[arg(long, default_value = "submit,read", value_parser = parse_scopes)]
        scopes: Scopes,
        /// The key stops working after this long: `90d`, `12h`, `30m`.
        #[arg(long, value_parser = parse_duration)]
        expires_in: Option<Duration>,
    },
    /// List keys (never their secrets), oldest first.
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Issue a new key like KEY and let KEY work for the grace period only.
    Rotate {
        key: String,
        /// How long the old key keeps working: `24h` (default), `7d`, `0s`.
        #[arg(long, default_value = "24h", value_parser = parse_duration)]
        grace: Duration,
    },
    /// Make KEY stop working after a while (or at once with `--in 0s`).
    Expire {
        key: String,
        #[arg(long = "in", value_parser = parse_duration)]
        after: Duration,
    },
    /// Stop KEY working now.
    Revoke { key: String },
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

fn parse_scopes(text: &str) -> Result<Scopes, String> {
    Scopes::parse(text).ok_or_else(|| format!("`{text}` is not `submit,read`, `submit` or `read`"))
}

/// `90s`, `30m`, `12h`, `7d`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let unit = text.chars().last().unwrap_or(' ');
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => 0,
    };
    text[..text.len() - usize::from(seconds > 0)]
        .parse::<u64>()
        .ok()
        .filter(|_| seconds > 0)
        .map(|n| Duration::from_secs(n * seconds))
        .ok_or_else(|| format!("`{text}` is not a duration such as 90s, 30m, 12h or 7d"))
}

pub async fn run(command: Command) -> anyhow::Result<ExitCode> {
    let config = Config::from_env().context("configuration")?;
    let store = factory_shared::runtime::open_store(&config)
        .await
        .context("opening the job store")?;
    let store = store.as_ref();
    let clock = SystemClock;
    match command {
        Command::Create {
            tenant,
            rate,
            daily_jobs,
            name,
            scopes,
            expires_in,
        } => {
            let spec = KeySpec {
                tenant: tenant.trim().to_owned(),
                rate_per_minute: rate.unwrap_or(config.default_rate),
                daily_jobs,
                name,
                scopes,
                expires_at: expires_in.map(|d| clock.now().plus(d)),
            };
            if let Some((_, why)) = spec.problem() {
                anyhow::bail!(why);
            }
            let key = issue_key(store, &clock, &spec).await?;
            announce(&key);
        }
        Command::List { tenant } => {
            for key in store.api_keys(tenant.as_deref()).await? {
                println!("{}", describe(&key, clock.now()));
            }
        }
        Command::Rotate { key, grace } => {
            let old = find_key(store, &key).await?;
            anyhow::ensure!(old.revoked_at.is_none(), "{} is revoked", old.prefix);
            let (new, old) = rotate_key(store, &clock, &old, grace).await?;
            eprintln!("{}", describe(&old, clock.now()));
            announce(&new);
        }
        Command::Expire { key, after } => {
            let key = find_key(store, &key).await?;
            let key = expire_key(store, &key, Some(clock.now().plus(after))).await?;
            eprintln!("{}", describe(&key, clock.now()));
        }
        Command::Revoke { key } => {
            let key = find_key(store, &key).await?;
            let key = revoke_key(store, &clock, &key).await?;
            eprintln!("{}", describe(&key, clock.now()));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Says what was created on standard error and prints the secret alone on standard output.
fn announce(key: &NewKey) {
    let record = &key.record;
    eprintln!(
        "key {}… for tenant `{}`: {} requests/min, {} jobs/day, scopes {}{}. It is shown once; keep it secret.",
        record.prefix,
        record.tenant,
        record.rate_per_minute,
        record
            .daily_jobs
            .map_or("unlimited".to_owned(), |n| n.to_string()),
        record.scopes,
        record
            .expires_at
            .map_or(String::new(), |at| format!(", expires {}", at.to_rfc3339())),
    );
    println!("{}", key.secret);
}

/// One line: prefix, tenant, state, scopes, rate, quota, created, name.
fn describe(key: &ApiKeyRecord, now: Timestamp) -> String {
    let at = |time: Option<Timestamp>| time.map_or(String::new(), Timestamp::to_rfc3339);
    let state = match (key.state(now), key.expires_at) {
        (KeyState::Revoked, _) => format!("revoked {}", at(key.revoked_at)),
        (KeyState::Expired, _) => format!("expired {}", at(key.expires_at)),
        (KeyState::Active, Some(_)) => format!("active until {}", at(key.expires_at)),
        (KeyState::Active, None) => "active".to_owned(),
    };
    format!(
        "{}\t{}\t{state}\t{}\t{}/min\t{}\tcreated {}\t{}",
        key.prefix,
        key.tenant,
        key.scopes,
        key.rate_per_minute,
        key.daily_jobs
            .map_or("unlimited".to_owned(), |n| format!("{n} jobs/day")),
        key.created_at.to_rfc3339(),
        key.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_one_unit() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_hours(12)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_hours(168)));
        assert!(parse_duration("7").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("1w").is_err());
    }
}
