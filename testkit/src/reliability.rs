//! The reliability checker: what one fault-injection run did, recorded the same way whatever
//! the deployment (`factory serve`, the library in process, the functions on the emulated
//! cloud), and the rules every run must keep, whatever fault it met:
//!
//! - every submission is accepted (200/202 with a job id) or refused with 429/503 and
//!   `Retry-After`; nothing else, and never another 5xx;
//! - every accepted job is still in the store, and has ended (succeeded, partial, failed or
//!   cancelled) by the deadline, with no step left pending, queued or running;
//! - every failed step, and every failed or partial job, carries a known error code;
//! - the job's counters agree with its steps: progress, usage, and the renderings and exports of
//!   each succeeded step; a succeeded podcast step of a job that asked for audio lists its
//!   audio and captions (one of each), or carries a typed `audio_error` and lists neither;
//! - with an object journal: no object is written twice, every succeeded step's artifact
//!   and every ended job's manifest were written, and every object the store holds at the
//!   end has its line (a write the journal missed could hide a second one);
//! - with a provider's own count: the jobs record no more tokens than it reported, and when
//!   nothing could make a step call it twice (no fault, no crash), no step was generated
//!   twice.
//!
//! [`check`] lists the broken rules as [`Violation`]s; [`summary`] is the one line a run
//! prints; [`assert_clean`] does both. Not for: running the scenarios (each test binary
//! drives its own deployment and fills a [`Run`]).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use factory_shared::content::Kind;
use factory_shared::objects::journal::JournalEntry;
use factory_shared::outcome::ErrorCode;
use serde_json::Value;

/// One submission as its client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The HTTP status; 0 when no HTTP answer came at all.
    pub status: u16,
    /// Whether the answer had a `Retry-After` header.
    pub retry_after: bool,
    /// The job id, when the submission was accepted.
    pub job_id: Option<String>,
}

impl Submitted {
    pub fn accepted(job_id: impl Into<String>) -> Self {
        Self {
            status: 202,
            retry_after: false,
            job_id: Some(job_id.into()),
        }
    }

    fn is_accepted(&self) -> bool {
        matches!(self.status, 200 | 202)
    }
}

/// What the model provider itself counted (the fake model server's statistics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderCount {
    pub calls: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Whether a step may call the model more than once: faults were injected, or a crash
    /// cut calls short. When not, every call must have made a step.
    pub repeats_expected: bool,
}

/// Everything one run produced.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// The scenario's name, first in the summary.
    pub scenario: String,
    pub submissions: Vec<Submitted>,
    /// The final view (`GET /v1/jobs/{id}`) of every accepted job, fetched after the run;
    /// `None` when the store did not have the job.
    pub jobs: BTreeMap<String, Option<Value>>,
    /// The object journal, when the deployment kept one.
    pub journal: Option<Vec<JournalEntry>>,
    /// Every object the store holds at the end, when it can be listed (checked against the
    /// journal).
    pub stored: Option<Vec<String>>,
    /// Writes a process killed with SIGKILL may have completed without living to journal
    /// them (the line follows the write): at most the writes it had in flight, its
    /// `FACTORY_CONCURRENCY`. Up to this many missing lines are a fact of the run, not a
    /// violation; they cannot hide a double write, because the writes are create-only.
    pub unjournaled_allowed: usize,
    pub provider: Option<ProviderCount>,
    /// From the first submission until every job ended (or the deadline passed).
    pub elapsed: Duration,
    /// Scenario-specific measurements, appended to the summary (`"killed with 50 in flight"`).
    pub facts: Vec<String>,
}

/// A broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A job was accepted but the store does not have it (or it was never fetched).
    LostJob { id: String },
    /// A job was still queued or running when the run's deadline passed.
    NotEnded { id: String, status: String },
    /// An ended job has a step that never ended.
    StuckStep {
        id: String,
        kind: String,
        status: String,
    },
    /// A failed step, or a failed or partial job, without a known error code.
    UntypedFailure {
        id: String,
        what: String,
        code: Option<String>,
    },
    /// An object written more than once.
    DoubleWrite { path: String, times: usize },
    /// An object that a finished step or job must have written (`job` says which), or that
    /// the store holds (`job` is `None`), has no line in the journal.
    MissingWrite { job: Option<String>, path: String },
    /// A submission answered with a 5xx other than a 503 refusal.
    ServerError { submission: usize, status: u16 },
    /// A 429 or 503 without `Retry-After`.
    RefusalWithoutRetryAfter { submission: usize, status: u16 },
    /// Neither accepted nor refused.
    UnexpectedStatus {
        submission: usize,
        status: u16,
        detail: String,
    },
    /// A job whose counters disagree with its steps.
    CountersInconsistent { id: String, detail: String },
    /// The jobs record more tokens than the provider reported.
    DoubleCountedUsage {
        recorded: (u64, u64),
        reported: (u64, u64),
    },
    /// More model calls than generated steps although no call was made to fail.
    RepeatedGeneration { calls: u64, generated: u64 },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LostJob { id } => {
                write!(f, "lost job: {id} was accepted but is not in the store")
            }
            Self::NotEnded { id, status } => {
                write!(f, "not ended: job {id} is still {status} at the deadline")
            }
            Self::StuckStep { id, kind, status } => {
                write!(
                    f,
                    "stuck step: job {id} ended with its {kind} step still {status}"
                )
            }
            Self::UntypedFailure { id, what, code } => match code {
                Some(code) => write!(
                    f,
                    "untyped failure: job {id}: {what} failed with the unknown code `{code}`"
                ),
                None => write!(
                    f,
                    "untyped failure: job {id}: {what} failed without an error code"
                ),
            },
            Self::DoubleWrite { path, times } => {
                write!(f, "double write: {path} was written {times} times")
            }
            Self::MissingWrite {
                job: Some(id),
                path,
            } => write!(
                f,
                "missing write: job {id} ended but {path} is not in the object journal"
            ),
            Self::MissingWrite { job: None, path } => write!(
                f,
                "missing write: {path} is stored but not in the object journal"
            ),
            Self::ServerError { submission, status } => {
                write!(
                    f,
                    "server error: submission #{submission} was answered {status}"
                )
            }
            Self::RefusalWithoutRetryAfter { submission, status } => write!(
                f,
                "refusal without Retry-After: submission #{submission} was answered {status}"
            ),
            Self::UnexpectedStatus {
                submission,
                status,
                detail,
            } => write!(
                f,
                "unexpected status: submission #{submission} was answered {status} ({detail})"
            ),
            Self::CountersInconsistent { id, detail } => {
                write!(f, "inconsistent counters: job {id}: {detail}")
            }
            Self::DoubleCountedUsage { recorded, reported } => write!(
                f,
                "double-counted usage: jobs record {}/{} tokens in/out, the provider reported {}/{}",
                recorded.0, recorded.1, reported.0, reported.1
            ),
            Self::RepeatedGeneration { calls, generated } => write!(
                f,
                "repeated generation: {calls} model calls for {generated} generated steps, with no fault injected"
            ),
        }
    }
}

const ENDED: [&str; 4] = ["succeeded", "partial", "failed", "cancelled"];
const RENDERINGS: [&str; 3] = ["json", "md", "html"];
/// The podcast's audio renderings: both or neither.
const AUDIO: [&str; 2] = ["mp3", "vtt"];

/// The error's code, if it is one the library defines.
fn known_code(error: &Value) -> Option<ErrorCode> {
    serde_json::from_value(error["code"].clone()).ok()
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field].as_str().unwrap_or_default()
}

fn steps(job: &Value) -> &[Value] {
    job["steps"].as_array().map_or(&[], Vec::as_slice)
}

fn tokens(usage: &Value) -> (u64, u64) {
    (
        usage["input_tokens"].as_u64().unwrap_or(0),
        usage["output_tokens"].as_u64().unwrap_or(0),
    )
}

/// Every rule the run broke, in a stable order.
pub fn check(run: &Run) -> Vec<Violation> {
    let mut violations = Vec::new();
    check_submissions(run, &mut violations);
    for (id, job) in &run.jobs {
        match job {
            Some(job) => check_job(id, job, &mut violations),
            None => violations.push(Violation::LostJob { id: id.clone() }),
        }
    }
    if let Some(journal) = &run.journal {
        check_journal(run, journal, &mut violations);
    }
    if let Some(provider) = &run.provider {
        check_usage(run, provider, &mut violations);
    }
    violations
}

fn check_submissions(run: &Run, violations: &mut Vec<Violation>) {
    for (n, submitted) in run.submissions.iter().enumerate() {
        let status = submitted.status;
        let unexpected = |detail: &str| Violation::UnexpectedStatus {
            submission: n,
            status,
            detail: detail.to_owned(),
        };
        match (status, &submitted.job_id) {
            (200 | 202, Some(id)) => {
                if !run.jobs.contains_key(id) {
                    violations.push(Violation::LostJob { id: id.clone() });
                }
            }
            (200 | 202, None) => violations.push(unexpected("accepted without a job id")),
            (429 | 503, _) if !submitted.retry_after => {
                violations.push(Violation::RefusalWithoutRetryAfter {
                    submission: n,
                    status,
                });
            }
            (429 | 503, _) => {}
            (500..=599, _) => violations.push(Violation::ServerError {
                submission: n,
                status,
            }),
            (0, _) => violations.push(unexpected("no HTTP answer")),
            _ => violations.push(unexpected("neither accepted nor refused")),
        }
    }
}

fn check_job(id: &str, job: &Value, violations: &mut Vec<Violation>) {
    let status = text(job, "status");
    if !ENDED.contains(&status) {
        violations.push(Violation::NotEnded {
            id: id.to_owned(),
            status: status.to_owned(),
        });
        return;
    }
    let untyped = |what: String, error: &Value| {
        let code = error["code"].as_str();
        let known = code.is_some_and(|c| serde_json::from_value::<ErrorCode>(c.into()).is_ok());
        (!known).then(|| Violation::UntypedFailure {
            id: id.to_owned(),
            what,
            code: code.map(str::to_owned),
        })
    };
    for step in steps(job) {
        let kind = text(step, "kind");
        match text(step, "status") {
            "succeeded" | "cancelled" => {}
            "failed" => violations.extend(untyped(format!("the {kind} step"), &step["error"])),
            other => violations.push(Violation::StuckStep {
                id: id.to_owned(),
                kind: kind.to_owned(),
                status: other.to_owned(),
            }),
        }
    }
    if matches!(status, "failed" | "partial") {
        violations.extend(untyped(format!("the {status} job"), &job["error"]));
    }
    if let Some(detail) = counters_disagree(job) {
        violations.push(Violation::CountersInconsistent {
            id: id.to_owned(),
            detail,
        });
    }
}

/// Why an ended job's counters disagree with its steps, if they do.
fn counters_disagree(job: &Value) -> Option<String> {
    let steps = steps(job);
    let ended = steps
        .iter()
        .filter(|s| ["succeeded", "failed", "cancelled"].contains(&text(s, "status")))
        .count();
    let progress = (
        job["progress"]["done"].as_u64(),
        job["progress"]["total"].as_u64(),
    );
    if progress != (Some(ended as u64), Some(steps.len() as u64)) {
        return Some(format!(
            "progress says {:?} of {:?} steps done, but {ended} of {} ended",
            progress.0,
            progress.1,
            steps.len()
        ));
    }
    let summed = steps.iter().fold((0, 0), |(i, o), s| {
        let (si, so) = tokens(&s["usage"]);
        (i + si, o + so)
    });
    if tokens(&job["usage"]) != summed {
        return Some(format!(
            "usage says {:?} tokens in/out, its steps add up to {summed:?}",
            tokens(&job["usage"])
        ));
    }
    let names: Vec<&str> = job["artifacts"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .map(|a| text(a, "name"))
        .collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    if unique.len() != names.len() {
        return Some(format!("an artifact is listed twice: {names:?}"));
    }
    for step in steps.iter().filter(|s| text(s, "status") == "succeeded") {
        let kind = text(step, "kind");
        let exports = kind.parse::<Kind>().map_or(&[][..], Kind::exports);
        for format in RENDERINGS.iter().chain(exports) {
            let name = format!("{kind}.{format}");
            if !unique.contains(name.as_str()) {
                return Some(format!(
                    "the {kind} step succeeded but {name} is not listed"
                ));
            }
        }
        if kind == "podcast-script" {
            let listed = AUDIO.map(|f| unique.contains(format!("{kind}.{f}").as_str()));
            let wanted = job["options"]["audio"].as_bool() != Some(false);
            let failed = !step["audio_error"].is_null();
            match (listed, wanted, failed) {
                ([true, true], _, false) | ([false, false], false, _) => {}
                ([false, false], true, true) => {
                    if known_code(&step["audio_error"]).is_none() {
                        return Some(format!("the {kind} step's audio error has no known code"));
                    }
                }
                _ => {
                    return Some(format!(
                        "the {kind} step lists audio {} and captions {} with audio {} and {} audio error",
                        listed[0],
                        listed[1],
                        if wanted { "asked" } else { "off" },
                        if failed { "an" } else { "no" }
                    ));
                }
            }
        }
    }
    None
}

fn check_journal(run: &Run, journal: &[JournalEntry], violations: &mut Vec<Violation>) {
    let mut writes: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in journal {
        *writes.entry(entry.path.as_str()).or_default() += 1;
    }
    for (path, &times) in &writes {
        if times > 1 {
            violations.push(Violation::DoubleWrite {
                path: (*path).to_owned(),
                times,
            });
        }
    }
    // Each missing path once, with the job that should have written it if there is one.
    let mut missing: BTreeMap<String, Option<String>> = BTreeMap::new();
    for (id, job) in &run.jobs {
        let Some(job) = job else { continue };
        let status = text(job, "status");
        if !ENDED.contains(&status) {
            continue;
        }
        let mut expected: Vec<String> = steps(job)
            .iter()
            .filter(|s| text(s, "status") == "succeeded")
            .map(|s| format!("jobs/{id}/{}.json", text(s, "kind")))
            .collect();
        if status != "cancelled" {
            expected.push(format!("jobs/{id}/manifest.json"));
        }
        for path in expected {
            if !writes.contains_key(path.as_str()) {
                missing.insert(path, Some(id.clone()));
            }
        }
    }
    for path in run.stored.iter().flatten() {
        if !writes.contains_key(path.as_str()) {
            missing.entry(path.clone()).or_insert(None);
        }
    }
    if missing.len() > run.unjournaled_allowed {
        violations.extend(
            missing
                .into_iter()
                .map(|(path, job)| Violation::MissingWrite { job, path }),
        );
    }
}

fn recorded_usage(run: &Run) -> (u64, u64) {
    run.jobs
        .values()
        .flatten()
        .map(|job| tokens(&job["usage"]))
        .fold((0, 0), |(i, o), (ji, jo)| (i + ji, o + jo))
}

fn check_usage(run: &Run, provider: &ProviderCount, violations: &mut Vec<Violation>) {
    let recorded = recorded_usage(run);
    let reported = (provider.input_tokens, provider.output_tokens);
    if recorded.0 > reported.0 || recorded.1 > reported.1 {
        violations.push(Violation::DoubleCountedUsage { recorded, reported });
    }
    if !provider.repeats_expected {
        let generated = run
            .jobs
            .values()
            .flatten()
            .flat_map(steps)
            .filter(|s| text(s, "status") == "succeeded" && s["cache_hit"] != true)
            .count() as u64;
        if provider.calls > generated {
            violations.push(Violation::RepeatedGeneration {
                calls: provider.calls,
                generated,
            });
        }
    }
}

/// The one-line summary of a run and its violations.
pub fn summary(run: &Run, violations: &[Violation]) -> String {
    let accepted = run.submissions.iter().filter(|s| s.is_accepted()).count();
    let refused = run
        .submissions
        .iter()
        .filter(|s| matches!(s.status, 429 | 503))
        .count();
    let other = run.submissions.len() - accepted - refused;
    let mut by_status: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failed_steps: BTreeMap<String, usize> = BTreeMap::new();
    let mut step_count = 0;
    for job in run.jobs.values() {
        let status = job.as_ref().map_or("lost", |j| text(j, "status"));
        *by_status.entry(status).or_default() += 1;
        for step in job.iter().flat_map(steps) {
            step_count += 1;
            if text(step, "status") == "failed" {
                let code = step["error"]["code"].as_str().unwrap_or("untyped");
                *failed_steps.entry(code.to_owned()).or_default() += 1;
            }
        }
    }
    let ended: usize = ENDED.iter().filter_map(|s| by_status.get(s)).sum();
    let statuses = by_status
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let failures = if failed_steps.is_empty() {
        "none failed".to_owned()
    } else {
        let codes = failed_steps
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!("failed: {codes}")
    };
    let mut line = format!(
        "[{}] {} submitted: {accepted} accepted, {refused} refused 429/503, {other} other; \
         {ended}/{} ended in {:.1} s ({statuses}); {step_count} steps ({failures})",
        run.scenario,
        run.submissions.len(),
        run.jobs.len(),
        run.elapsed.as_secs_f64(),
    );
    if let Some(journal) = &run.journal {
        let paths: BTreeSet<&str> = journal.iter().map(|e| e.path.as_str()).collect();
        line.push_str(&format!(
            "; {} object writes, {} written twice",
            journal.len(),
            journal.len() - paths.len()
        ));
    }
    if let Some(provider) = &run.provider {
        let recorded = recorded_usage(run);
        line.push_str(&format!(
            "; tokens in/out recorded {}/{}, reported {}/{} by the provider over {} calls",
            recorded.0, recorded.1, provider.input_tokens, provider.output_tokens, provider.calls
        ));
    }
    for fact in &run.facts {
        line.push_str("; ");
        line.push_str(fact);
    }
    line.push_str(&format!("; violations: {}", violations.len()));
    line
}

/// Prints the run's summary line and panics with every violation if there is one.
pub fn assert_clean(run: &Run) {
    let violations = check(run);
    println!("{}", summary(run, &violations));
    assert!(
        violations.is_empty(),
        "{} violation(s):\n{}",
        violations.len(),
        violations
            .iter()
            .map(|v| format!("  - {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// --- The checker's own tests: hand-made runs with exactly one defect each. ---------------------

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const A: &str = "01jaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "01jbbbbbbbbbbbbbbbbbbbbbbb";

    /// A job view of `status` whose steps have these statuses, consistent in every counter.
    fn view(id: &str, status: &str, steps: &[(&str, &str)]) -> Value {
        let usage = json!({"input_tokens": 100, "output_tokens": 40, "cost_usd": 0.0});
        let done = steps
            .iter()
            .filter(|(_, s)| ["succeeded", "failed", "cancelled"].contains(s))
            .count();
        let artifacts: Vec<Value> = steps
            .iter()
            .filter(|(_, s)| *s == "succeeded")
            .flat_map(|(kind, _)| RENDERINGS.map(|f| json!({"name": format!("{kind}.{f}")})))
            .collect();
        let steps: Vec<Value> = steps
            .iter()
            .map(|(kind, status)| {
                let mut step =
                    json!({"kind": kind, "status": status, "cache_hit": false, "usage": usage});
                if *status == "failed" {
                    step["error"] = json!({"code": "invalid_output", "message": "broke 2 rules"});
                }
                step
            })
            .collect();
        let mut job = json!({
            "id": id,
            "status": status,
            "steps": steps,
            "progress": {"done": done, "total": steps.len()},
            "artifacts": artifacts,
            "usage": {"input_tokens": 100 * steps.len(), "output_tokens": 40 * steps.len(), "cost_usd": 0.0},
        });
        if matches!(status, "failed" | "partial") {
            job["error"] = json!({"code": "invalid_output", "message": "broke 2 rules"});
        }
        job
    }

    fn write(path: &str) -> JournalEntry {
        JournalEntry {
            path: path.to_owned(),
            bytes: 10,
            sha256: "00".repeat(32),
            pid: 1,
            at: factory_shared::clock::Timestamp(0),
        }
    }

    /// Two succeeded jobs of an outline and an FAQ, one refusal, a journal of every write and
    /// a provider that reported exactly what the jobs record.
    fn clean() -> Run {
        let mut journal = vec![write("sources/abc.txt")];
        for id in [A, B] {
            for kind in ["outline", "faq"] {
                for format in RENDERINGS {
                    journal.push(write(&format!("jobs/{id}/{kind}.{format}")));
                }
            }
            journal.push(write(&format!("jobs/{id}/manifest.json")));
        }
        let steps = [("outline", "succeeded"), ("faq", "succeeded")];
        Run {
            scenario: "hand-made".into(),
            submissions: vec![
                Submitted::accepted(A),
                Submitted {
                    status: 429,
                    retry_after: true,
                    job_id: None,
                },
                Submitted::accepted(B),
            ],
            jobs: BTreeMap::from([
                (A.to_owned(), Some(view(A, "succeeded", &steps))),
                (B.to_owned(), Some(view(B, "succeeded", &steps))),
            ]),
            stored: Some(journal.iter().map(|e| e.path.clone()).collect()),
            unjournaled_allowed: 0,
            journal: Some(journal),
            provider: Some(ProviderCount {
                calls: 4,
                input_tokens: 400,
                output_tokens: 160,
                repeats_expected: false,
            }),
            elapsed: Duration::from_millis(1500),
            facts: vec!["a fact".into()],
        }
    }

    fn job_mut<'a>(run: &'a mut Run, id: &str) -> &'a mut Value {
        run.jobs.get_mut(id).unwrap().as_mut().unwrap()
    }

    /// The only violation the run has.
    fn only(run: &Run) -> Violation {
        let violations = check(run);
        assert_eq!(violations.len(), 1, "{violations:#?}");
        let violation = violations.into_iter().next().unwrap();
        assert!(
            summary(run, std::slice::from_ref(&violation)).ends_with("violations: 1"),
            "the summary counts it"
        );
        violation
    }

    #[test]
    fn a_clean_run_has_no_violation_and_a_one_line_summary() {
        let run = clean();
        assert_eq!(check(&run), Vec::new());
        let line = summary(&run, &[]);
        assert!(!line.contains('\n'), "{line}");
        assert_eq!(
            line,
            "[hand-made] 3 submitted: 2 accepted, 1 refused 429/503, 0 other; 2/2 ended in 1.5 s \
             (2 succeeded); 4 steps (none failed); 15 object writes, 0 written twice; tokens \
             in/out recorded 400/160, reported 400/160 by the provider over 4 calls; a fact; \
             violations: 0"
        );
    }

    #[test]
    fn a_job_missing_from_the_store_is_lost() {
        let mut run = clean();
        run.jobs.insert(B.to_owned(), None);
        run.provider.as_mut().unwrap().calls = 2;
        assert_eq!(only(&run), Violation::LostJob { id: B.into() });
    }

    #[test]
    fn an_accepted_job_never_fetched_is_lost() {
        let mut run = clean();
        run.submissions
            .push(Submitted::accepted("01jccccccccccccccccccccccc"));
        assert_eq!(
            only(&run),
            Violation::LostJob {
                id: "01jccccccccccccccccccccccc".into()
            }
        );
    }

    #[test]
    fn a_job_still_running_at_the_deadline_has_not_ended() {
        let mut run = clean();
        *job_mut(&mut run, A) = view(
            A,
            "running",
            &[("outline", "succeeded"), ("faq", "running")],
        );
        run.provider.as_mut().unwrap().calls = 3;
        assert_eq!(
            only(&run),
            Violation::NotEnded {
                id: A.into(),
                status: "running".into()
            }
        );
    }

    #[test]
    fn a_step_left_running_in_an_ended_job_is_stuck() {
        let mut run = clean();
        *job_mut(&mut run, A) = view(
            A,
            "succeeded",
            &[("outline", "succeeded"), ("faq", "running")],
        );
        run.provider.as_mut().unwrap().calls = 3;
        assert_eq!(
            only(&run),
            Violation::StuckStep {
                id: A.into(),
                kind: "faq".into(),
                status: "running".into()
            }
        );
    }

    #[test]
    fn a_failed_step_without_a_known_code_is_untyped() {
        let mut run = clean();
        *job_mut(&mut run, A) = view(A, "partial", &[("outline", "succeeded"), ("faq", "failed")]);
        job_mut(&mut run, A)["steps"][1]["error"] = json!({"code": "oops", "message": "?"});
        run.provider.as_mut().unwrap().calls = 3;
        assert_eq!(
            only(&run),
            Violation::UntypedFailure {
                id: A.into(),
                what: "the faq step".into(),
                code: Some("oops".into())
            }
        );
        job_mut(&mut run, A)["steps"][1]
            .as_object_mut()
            .unwrap()
            .remove("error");
        assert!(matches!(
            only(&run),
            Violation::UntypedFailure { code: None, .. }
        ));
    }

    #[test]
    fn a_failed_job_without_an_error_is_untyped() {
        let mut run = clean();
        *job_mut(&mut run, A) = view(A, "failed", &[("outline", "failed"), ("faq", "failed")]);
        job_mut(&mut run, A)
            .as_object_mut()
            .unwrap()
            .remove("error");
        run.provider.as_mut().unwrap().calls = 2;
        assert_eq!(
            only(&run),
            Violation::UntypedFailure {
                id: A.into(),
                what: "the failed job".into(),
                code: None
            }
        );
    }

    #[test]
    fn an_object_written_twice_is_a_double_write() {
        let mut run = clean();
        let path = format!("jobs/{A}/faq.json");
        run.journal.as_mut().unwrap().push(write(&path));
        assert_eq!(only(&run), Violation::DoubleWrite { path, times: 2 });
    }

    #[test]
    fn a_succeeded_step_without_its_artifact_write_is_a_missing_write() {
        let mut run = clean();
        let path = format!("jobs/{B}/faq.json");
        run.journal.as_mut().unwrap().retain(|e| e.path != path);
        assert_eq!(
            only(&run),
            Violation::MissingWrite {
                job: Some(B.into()),
                path
            }
        );
    }

    #[test]
    fn a_stored_object_the_journal_never_mentions_is_a_missing_write() {
        let mut run = clean();
        let path = "cache/0123abcd.json".to_owned();
        run.stored.as_mut().unwrap().push(path.clone());
        assert_eq!(only(&run), Violation::MissingWrite { job: None, path });
    }

    #[test]
    fn a_killed_process_may_leave_its_last_writes_unjournaled_and_no_more() {
        let mut run = clean();
        let journal = run.journal.as_mut().unwrap();
        let lost = journal.remove(0).path;
        let also_lost = journal.remove(0).path;
        run.unjournaled_allowed = 2;
        assert_eq!(check(&run), [], "two writes in flight at the kill");
        run.unjournaled_allowed = 1;
        let reported: Vec<String> = check(&run)
            .into_iter()
            .map(|v| match v {
                Violation::MissingWrite { path, .. } => path,
                other => panic!("{other}"),
            })
            .collect();
        let mut expected = vec![lost, also_lost];
        expected.sort();
        assert_eq!(reported, expected, "beyond the allowance, each is reported");
    }

    #[test]
    fn a_result_both_stored_and_expected_is_missing_once() {
        let mut run = clean();
        let path = format!("jobs/{A}/outline.json");
        run.journal.as_mut().unwrap().retain(|e| e.path != path);
        assert_eq!(
            only(&run),
            Violation::MissingWrite {
                job: Some(A.into()),
                path
            }
        );
    }

    #[test]
    fn an_ended_job_without_its_manifest_is_a_missing_write() {
        let mut run = clean();
        let path = format!("jobs/{A}/manifest.json");
        run.journal.as_mut().unwrap().retain(|e| e.path != path);
        assert_eq!(
            only(&run),
            Violation::MissingWrite {
                job: Some(A.into()),
                path
            }
        );
    }

    #[test]
    fn a_5xx_answer_is_a_server_error() {
        let mut run = clean();
        run.submissions.push(Submitted {
            status: 500,
            retry_after: false,
            job_id: None,
        });
        assert_eq!(
            only(&run),
            Violation::ServerError {
                submission: 3,
                status: 500
            }
        );
    }

    #[test]
    fn a_refusal_without_retry_after_is_reported() {
        let mut run = clean();
        run.submissions[1].retry_after = false;
        assert_eq!(
            only(&run),
            Violation::RefusalWithoutRetryAfter {
                submission: 1,
                status: 429
            }
        );
        run.submissions[1] = Submitted {
            status: 503,
            retry_after: false,
            job_id: None,
        };
        assert_eq!(
            only(&run),
            Violation::RefusalWithoutRetryAfter {
                submission: 1,
                status: 503
            }
        );
    }

    #[test]
    fn any_other_answer_or_none_is_unexpected() {
        for status in [0, 401, 422] {
            let mut run = clean();
            run.submissions[1].status = status;
            assert!(
                matches!(only(&run), Violation::UnexpectedStatus { submission: 1, status: s, .. } if s == status),
                "{status}"
            );
        }
    }

    #[test]
    fn progress_that_disagrees_with_the_steps_is_inconsistent() {
        let mut run = clean();
        job_mut(&mut run, A)["progress"]["done"] = json!(1);
        assert!(matches!(
            only(&run),
            Violation::CountersInconsistent { id, detail } if id == A && detail.contains("progress")
        ));
    }

    #[test]
    fn job_usage_that_is_not_the_sum_of_its_steps_is_inconsistent() {
        let mut run = clean();
        job_mut(&mut run, A)["steps"][1]["usage"]["output_tokens"] = json!(39);
        assert!(matches!(
            only(&run),
            Violation::CountersInconsistent { id, detail } if id == A && detail.contains("usage")
        ));
    }

    #[test]
    fn a_podcast_with_audio_lists_both_files_or_a_typed_audio_error() {
        let podcast = |artifacts: &[&str], audio_error: Option<Value>| {
            let mut job = view(
                A,
                "succeeded",
                &[("outline", "succeeded"), ("podcast-script", "succeeded")],
            );
            for name in artifacts {
                job["artifacts"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": name}));
            }
            if let Some(error) = audio_error {
                job["steps"][1]["audio_error"] = error;
            }
            job
        };
        let both = ["podcast-script.mp3", "podcast-script.vtt"];
        assert_eq!(counters_disagree(&podcast(&both, None)), None);
        let typed = json!({"code": "speech_unavailable", "message": "no espeak-ng"});
        assert_eq!(counters_disagree(&podcast(&[], Some(typed))), None);
        for defect in [
            podcast(&both[..1], None),
            podcast(&[], None),
            podcast(&[], Some(json!({"code": "mystery"}))),
        ] {
            assert!(counters_disagree(&defect).is_some(), "{defect}");
        }
        let mut off = podcast(&[], None);
        off["options"] = json!({"audio": false});
        assert_eq!(counters_disagree(&off), None);
    }

    #[test]
    fn a_succeeded_step_without_its_renderings_is_inconsistent() {
        let mut run = clean();
        job_mut(&mut run, B)["artifacts"]
            .as_array_mut()
            .unwrap()
            .retain(|a| a["name"] != "faq.html");
        assert!(matches!(
            only(&run),
            Violation::CountersInconsistent { id, detail } if id == B && detail.contains("faq.html")
        ));
    }

    #[test]
    fn more_tokens_recorded_than_reported_are_double_counted() {
        let mut run = clean();
        run.provider.as_mut().unwrap().input_tokens = 300;
        assert_eq!(
            only(&run),
            Violation::DoubleCountedUsage {
                recorded: (400, 160),
                reported: (300, 160)
            }
        );
    }

    #[test]
    fn extra_calls_without_faults_are_a_repeated_generation() {
        let mut run = clean();
        run.provider.as_mut().unwrap().calls = 5;
        assert_eq!(
            only(&run),
            Violation::RepeatedGeneration {
                calls: 5,
                generated: 4
            }
        );
        run.provider.as_mut().unwrap().repeats_expected = true;
        assert_eq!(
            check(&run),
            Vec::new(),
            "retries are expected under faults or a crash"
        );
    }
}
