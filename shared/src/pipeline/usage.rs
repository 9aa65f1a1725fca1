//! A tenant's spending per UTC day: jobs, tokens, characters synthesized and cost, summed
//! from the job records the store still holds (jobs are kept `FACTORY_RETENTION_DAYS`).

use std::collections::BTreeMap;

use super::Pipeline;
use crate::clock::Timestamp;
use crate::outcome::Usage;
use crate::store::{JobQuery, StoreError};

/// Most jobs one report reads; a tenant with more in the period gets a truncated report.
pub const MAX_JOBS: usize = 10_000;

/// What a tenant's jobs used, per day, oldest day first.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageReport {
    pub days: Vec<DayUsage>,
    pub total: DayUsage,
    /// More than [`MAX_JOBS`] jobs fell in the period: the oldest were not counted.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct DayUsage {
    /// `YYYY-MM-DD` (empty for the total).
    pub day: String,
    pub jobs: u32,
    pub usage: Usage,
}

impl Pipeline {
    /// The usage of `tenant`'s jobs created from `since` on.
    pub async fn usage(&self, tenant: &str, since: Timestamp) -> Result<UsageReport, StoreError> {
        let mut days: BTreeMap<String, DayUsage> = BTreeMap::new();
        let mut total = DayUsage::default();
        let mut query = JobQuery {
            tenant: Some(tenant.to_owned()),
            status: None,
            before: None,
            limit: 100,
        };
        let mut read = 0;
        let truncated = 'pages: loop {
            let page = self.ports.store.list_jobs(&query).await?;
            for job in &page {
                if job.created_at < since {
                    break 'pages false;
                }
                if read == MAX_JOBS {
                    break 'pages true;
                }
                read += 1;
                let day = job.created_at.utc_day();
                let entry = days.entry(day.clone()).or_insert_with(|| DayUsage {
                    day,
                    ..DayUsage::default()
                });
                for sum in [&mut *entry, &mut total] {
                    sum.jobs += 1;
                    sum.usage.add(job.usage());
                }
            }
            match page.last() {
                Some(last) if page.len() == query.limit => query.before = Some(last.id.clone()),
                _ => break false,
            }
        };
        Ok(UsageReport {
            days: days.into_values().collect(),
            total,
            truncated,
        })
    }
}
