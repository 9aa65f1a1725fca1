//! Live progress of a job in the terminal (one line per step, with timings and cache hits,
//! and one for the podcast's audio when it is made), and the summary table printed at the end.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use factory_shared::content::Kind;
use factory_shared::jobs::{Job, JobId, Step, StepStatus};
use factory_shared::pipeline::Pipeline;
use factory_shared::store::StoreError;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One spinner per step while the job runs; plain lines when stderr is not a terminal.
pub struct Progress {
    bars: HashMap<Kind, ProgressBar>,
    shown: HashMap<Kind, StepStatus>,
    /// The podcast's audio line and what it last said.
    audio: Option<(ProgressBar, String)>,
    live: bool,
    _multi: MultiProgress,
}

impl Progress {
    pub fn new(job: &Job) -> Self {
        let live = std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if live {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let style =
            ProgressStyle::with_template("{spinner} {prefix:>18} {msg}").expect("a valid template");
        let bars = job
            .steps
            .iter()
            .map(|s| {
                let bar = multi.add(
                    ProgressBar::new_spinner()
                        .with_style(style.clone())
                        .with_prefix(s.kind.slug()),
                );
                bar.set_message(s.status.slug());
                bar.enable_steady_tick(Duration::from_millis(120));
                (s.kind, bar)
            })
            .collect();
        let audio = (job.options.audio && job.step(Kind::PodcastScript).is_some()).then(|| {
            let bar = multi.add(
                ProgressBar::new_spinner()
                    .with_style(style.clone())
                    .with_prefix("podcast audio"),
            );
            bar.set_message("waiting for the script");
            bar.enable_steady_tick(Duration::from_millis(120));
            (bar, String::new())
        });
        Self {
            bars,
            shown: HashMap::new(),
            audio,
            live,
            _multi: multi,
        }
    }

    /// Polls the job until it ends, updating the display; returns the final job.
    pub async fn follow(mut self, pipeline: &Pipeline, id: &JobId) -> Result<Job, StoreError> {
        loop {
            let job = pipeline.job(id).await?.ok_or(StoreError::NotFound)?;
            for step in &job.steps {
                self.show(step);
            }
            self.show_audio(&job);
            if job.status.is_terminal() {
                for bar in self.bars.values() {
                    bar.finish();
                }
                if let Some((bar, _)) = &self.audio {
                    bar.finish();
                }
                return Ok(job);
            }
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
    }

    fn show(&mut self, step: &Step) {
        if self.shown.get(&step.kind) == Some(&step.status) {
            return;
        }
        self.shown.insert(step.kind, step.status);
        let line = describe(step);
        let bar = &self.bars[&step.kind];
        if step.status.is_terminal() {
            bar.finish_with_message(line.clone());
            if !self.live {
                eprintln!("{:>18} {line}", step.kind.slug());
            }
        } else {
            bar.set_message(line);
        }
    }
}

impl Progress {
    fn show_audio(&mut self, job: &Job) {
        let Some((bar, shown)) = &mut self.audio else {
            return;
        };
        let Some(step) = job.step(Kind::PodcastScript) else {
            return;
        };
        let (line, ended) = describe_audio(job, step);
        if *shown == line {
            return;
        }
        shown.clone_from(&line);
        if ended {
            bar.finish_with_message(line.clone());
            if !self.live {
                eprintln!("{:>18} {line}", "podcast audio");
            }
        } else {
            bar.set_message(line);
        }
    }
}

/// What the podcast's audio is doing, and whether that is final.
fn describe_audio(job: &Job, step: &Step) -> (String, bool) {
    if let Some(error) = &step.audio_error {
        return (format!("failed ({}): {}", error.code, error.message), true);
    }
    match step.status {
        StepStatus::Succeeded if step.rendered => {
            let files: Vec<&str> = job
                .artifacts
                .iter()
                .filter(|a| {
                    a.kind == Kind::PodcastScript && matches!(a.format.as_str(), "mp3" | "vtt")
                })
                .map(|a| a.name.as_str())
                .collect();
            if files.is_empty() {
                ("none (no speech engine configured)".into(), true)
            } else {
                let chars = step.usage.speech_characters;
                (
                    format!("{} ({chars} characters synthesized)", files.join(" + ")),
                    true,
                )
            }
        }
        StepStatus::Succeeded => ("synthesizing".into(), false),
        s if s.is_terminal() => ("not made: the script failed".into(), true),
        _ => ("waiting for the script".into(), false),
    }
}

fn describe(step: &Step) -> String {
    let mut line = step.status.slug().to_owned();
    if let Some(ms) = step.duration_ms {
        line.push_str(&format!(" in {ms} ms"));
    }
    if step.cache_hit {
        line.push_str(" (cache hit)");
    }
    if let Some(error) = &step.error
        && step.status == StepStatus::Failed
    {
        line.push_str(&format!(": {}", error.message));
    }
    line
}

/// The end-of-run table: one row per step.
pub fn summary_table(job: &Job) -> String {
    let mut out = format!(
        "{:<18} {:<10} {:>8} {:<6} {:>6} {:>9}  {}\n",
        "kind", "status", "time", "cache", "items", "grounded", "files"
    );
    for step in &job.steps {
        let files: Vec<&str> = job
            .artifacts
            .iter()
            .filter(|a| a.kind == step.kind)
            .map(|a| a.format.as_str())
            .collect();
        let (items, grounded) = step
            .quality
            .map_or((String::from("-"), String::from("-")), |q| {
                (q.items.to_string(), format!("{:.0}%", q.grounded * 100.0))
            });
        out.push_str(&format!(
            "{:<18} {:<10} {:>8} {:<6} {:>6} {:>9}  {}\n",
            step.kind.slug(),
            step.status.slug(),
            step.duration_ms.map_or("-".into(), |ms| format!("{ms} ms")),
            if step.cache_hit { "hit" } else { "-" },
            items,
            grounded,
            files.join(",")
        ));
    }
    out.trim_end().to_owned()
}
