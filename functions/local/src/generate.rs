//! `factory generate`: read a source, run one job to its end with live progress, copy its
//! files to the output folder and print a summary.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use factory_shared::config::Config;
use factory_shared::content::{Kind, Length, Level, Options};
use factory_shared::documents::{self, Format, Limits};
use factory_shared::jobs::{Job, JobStatus};
use factory_shared::pipeline::{Document, Submission};
use factory_shared::runtime::Factory;
use factory_shared::source::{MIN_SOURCE_CHARS, SourceText};

use crate::progress::{Progress, summary_table};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The source: a .pdf, .docx, .html, .md or .txt file (read by its extension and checked
    /// against its content), or `-` to read standard input (read by its content).
    source: String,
    /// Kinds to build: `all`, or a comma-separated list such as `faq,flashcards`.
    #[arg(long, default_value = "all")]
    kinds: String,
    /// Folder to write `<kind>.json`, `.md`, `.html`, the podcast's `.mp3` and `.vtt`, and
    /// `manifest.json` into.
    #[arg(long, default_value = "out")]
    out: PathBuf,
    #[arg(long, default_value = "intermediate")]
    level: Level,
    #[arg(long, default_value = "standard")]
    length: Length,
    /// Who the material is for, in a few words.
    #[arg(long)]
    audience: Option<String>,
    /// Podcast voices, 1 to 4.
    #[arg(long, default_value_t = 2)]
    speakers: u8,
    /// Output language (BCP 47); left out, the language of the source.
    #[arg(long)]
    language: Option<String>,
    /// An exact item count for one kind, such as `faq=8` or `flashcards=20` (repeatable).
    #[arg(long = "count", value_name = "KIND=N", value_parser = parse_count)]
    counts: Vec<(Kind, u32)>,
    /// Recompute every step instead of reusing cached results.
    #[arg(long)]
    no_cache: bool,
    /// Target length of the podcast episode in minutes (1 to 30).
    #[arg(long)]
    minutes: Option<u32>,
    /// Podcast speaking rate in percent of normal (50 to 200).
    #[arg(long, default_value_t = 100)]
    speaking_rate: u16,
    /// A voice for the next podcast speaker, in speaker order (repeatable): `en+f2` for
    /// espeak-ng, `en-US-Chirp3-HD-Kore` for Cloud Text-to-Speech.
    #[arg(long = "voice", value_name = "NAME")]
    voices: Vec<String>,
    /// Skip the podcast's audio and captions.
    #[arg(long)]
    no_audio: bool,
    /// Print the plan (steps, cache hits, estimated tokens, speech characters and cost) as
    /// JSON, the same as the API's `?dry_run=true`, and run nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Exit codes: 0 all kinds built, 1 the job failed, 3 some kinds failed (partial).
pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::from_env().context("configuration")?;
    let (source, name, document) = read_source(&args.source, config.max_source_chars).await?;
    let kinds = parse_kinds(&args.kinds)?;
    let options = Options {
        audience: args.audience,
        level: args.level,
        length: args.length,
        language: args.language,
        speakers: args.speakers,
        counts: args.counts.into_iter().collect(),
        audio: !args.no_audio,
        duration_minutes: args.minutes,
        speaking_rate: args.speaking_rate,
        voices: args.voices,
    };
    let factory = Factory::start(config)
        .await
        .context("starting the factory")?;
    let pipeline = &factory.pipeline;
    if args.dry_run {
        if let Some(problem) = options.check().first() {
            bail!("{}: {}", problem.path, problem.message);
        }
        let plan = pipeline.plan(&source, &kinds, &options).await?;
        let plan = factory_shared::http::view::Plan::from(&plan);
        println!("{}", serde_json::to_string_pretty(&plan)?);
        return Ok(ExitCode::SUCCESS);
    }
    let resumed = pipeline
        .resume()
        .await
        .context("resuming unfinished jobs")?;
    if resumed.jobs_checked > 0 {
        eprintln!(
            "resuming {} unfinished job(s) from an earlier run",
            resumed.jobs_checked
        );
    }
    let mut submission = Submission::new("local", source, kinds, options);
    submission.source_name = name;
    submission.document = document;
    submission.use_cache = !args.no_cache;
    let job = pipeline.submit(submission).await?.job;
    eprintln!("job {} ({} steps)", job.id, job.steps.len());
    let job = Progress::new(&job).follow(pipeline, &job.id).await?;
    write_outputs(&factory, &job, &args.out).await?;
    println!("{}", summary_table(&job));
    println!("{} → {}", job.status, args.out.display());
    Ok(match job.status {
        JobStatus::Succeeded => ExitCode::SUCCESS,
        JobStatus::Partial => {
            report_failures(&job);
            ExitCode::from(3)
        }
        _ => {
            report_failures(&job);
            ExitCode::FAILURE
        }
    })
}

fn report_failures(job: &Job) {
    for step in job.steps.iter().filter(|s| s.error.is_some()) {
        let error = step.error.as_ref().expect("filtered");
        eprintln!("{} failed ({}): {}", step.kind, error.code, error.message);
        for violation in &error.violations {
            eprintln!("  {violation}");
        }
    }
    for step in &job.steps {
        if let Some(error) = &step.audio_error {
            eprintln!(
                "{} audio failed ({}): {}",
                step.kind, error.code, error.message
            );
        }
    }
}

/// The source text, its file name, and the document it was read from (kept with the job) when
/// it was not plain text or Markdown.
async fn read_source(
    source: &str,
    max_chars: usize,
) -> anyhow::Result<(SourceText, Option<String>, Option<Document>)> {
    let (bytes, name) = if source == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
        (bytes, None)
    } else {
        let path = Path::new(source);
        if let Some(extension) = path.extension().and_then(|e| e.to_str())
            && Format::from_file_name(source).is_none()
        {
            bail!(
                "{source}: .{extension} files are not read; give a .pdf, .docx, .html, .md or .txt file (or `-` for standard input)"
            );
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {source}"))?;
        (
            bytes,
            path.file_name().map(|n| n.to_string_lossy().into_owned()),
        )
    };
    let extracted = documents::extract(
        bytes.clone().into(),
        None,
        name.as_deref(),
        Limits::default(),
    )
    .await
    .with_context(|| source.to_owned())?;
    let text = SourceText::parse_within(&extracted.text, MIN_SOURCE_CHARS, max_chars)
        .with_context(|| source.to_owned())?;
    let document =
        (!matches!(extracted.format, Format::Text | Format::Markdown)).then(|| Document {
            bytes: bytes.into(),
            format: extracted.format,
        });
    Ok((text, name, document))
}

fn parse_count(text: &str) -> Result<(Kind, u32), String> {
    let (kind, n) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not KIND=N"))?;
    let kind = kind.trim().parse::<Kind>().map_err(|e| e.to_string())?;
    let n = n
        .trim()
        .parse::<u32>()
        .map_err(|_| format!("`{n}` is not a whole number"))?;
    Ok((kind, n))
}

fn parse_kinds(list: &str) -> anyhow::Result<Vec<Kind>> {
    if list.trim() == "all" {
        return Ok(Kind::ALL.to_vec());
    }
    list.split(',')
        .map(|k| k.trim().parse::<Kind>().map_err(anyhow::Error::from))
        .collect()
}

/// Copies every artifact of the job, and its manifest, into `out`.
async fn write_outputs(factory: &Factory, job: &Job, out: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let names = job
        .artifacts
        .iter()
        .map(|a| a.name.as_str())
        .chain(job.manifest.then_some("manifest.json"))
        .chain(job.manifest.then_some("bundle.zip"));
    for name in names {
        let bytes = factory
            .pipeline
            .job_file_bytes(job, name)
            .await?
            .with_context(|| {
                format!("{name} of job {} is missing from the object store", job.id)
            })?;
        std::fs::write(out.join(name), &bytes)
            .with_context(|| format!("writing {}", out.join(name).display()))?;
    }
    Ok(())
}
