//! The `factory` binary as a user runs it: real processes, real files, a real SQLite store.
mod documents;
mod serve;
mod vertex;

use factory_shared::content::Kind;
use factory_testkit::serve as support;
use support::factory;

/// The files a bundle of every kind lists: the renderings and exports of each kind, the
/// coverage matrix (JSON and Markdown), and the podcast's audio and captions.
pub fn all_files() -> usize {
    Kind::ALL
        .iter()
        .map(|k| 3 + k.exports().len())
        .sum::<usize>()
        + 2
        + 2
}

/// Every kind's slug, in bundle order.
pub fn kinds() -> Vec<&'static str> {
    Kind::ALL.map(Kind::slug).to_vec()
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const EXAMPLES: [&str; 3] = [
    "syllabus-photosynthesis.md",
    "chapter-roman-republic.md",
    "note-tcp-handshake.txt",
];

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

fn run(command: &mut Command) -> Output {
    command.stdin(Stdio::null()).output().expect("factory runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn generate_builds_every_kind_for_every_example_and_the_second_run_hits_the_cache() {
    let home = tempfile::tempdir().unwrap();
    for name in EXAMPLES {
        let out = home.path().join(format!("out-{name}"));
        let first = run(factory(home.path())
            .arg("generate")
            .arg(example(name))
            .arg("--out")
            .arg(&out));
        assert!(
            first.status.success(),
            "{name}: {}\n{}",
            text(&first.stdout),
            text(&first.stderr)
        );
        let mut files: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let listed = all_files();
        // Every listed file, the manifest and the bundle archive.
        assert_eq!(files.len(), listed + 2, "{files:?}");
        for audio in ["podcast-script.mp3", "podcast-script.vtt"] {
            assert!(
                files.iter().any(|f| f == audio),
                "{name}: {audio} written: {files:?}"
            );
        }
        assert!(
            text(&first.stderr).contains("podcast audio"),
            "the step is shown"
        );
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["status"], "succeeded");
        assert_eq!(manifest["artifacts"].as_array().unwrap().len(), listed);
        for kind in kinds() {
            let artifact: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out.join(format!("{kind}.json"))).unwrap())
                    .unwrap();
            assert_eq!(artifact["kind"], kind);
            assert_eq!(artifact["meta"]["engine"], "extractive");
            assert!(
                std::fs::read_to_string(out.join(format!("{kind}.html")))
                    .unwrap()
                    .starts_with("<!DOCTYPE html>")
            );
        }

        let again = home.path().join(format!("again-{name}"));
        let second = run(factory(home.path())
            .arg("generate")
            .arg(example(name))
            .arg("--out")
            .arg(&again));
        assert!(second.status.success());
        let table = text(&second.stdout);
        assert_eq!(
            table.lines().filter(|l| l.contains(" hit ")).count(),
            Kind::ALL.len(),
            "{table}"
        );
        for kind in kinds() {
            let file = format!("{kind}.json");
            assert_eq!(
                std::fs::read(out.join(&file)).unwrap(),
                std::fs::read(again.join(&file)).unwrap(),
                "{name} {file}"
            );
        }
    }
    let listed = run(factory(home.path()).args(["jobs", "list"]));
    assert_eq!(
        text(&listed.stdout)
            .lines()
            .filter(|l| l.contains("succeeded"))
            .count(),
        6
    );
}

#[test]
fn generate_refuses_unusable_input_with_a_clear_reason() {
    let home = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = home.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let cases = [
        (write("empty.txt", b"   \n"), "empty"),
        (write("binary.md", b"\x00\x01\x02 not text"), "binary"),
        (
            write("short.txt", b"Too short to teach anything."),
            "too short",
        ),
        (
            write("notes.pdf", b"%PDF-1.7"),
            "damaged or not a valid PDF",
        ),
        (write("notes.odt", b"PK\x03\x04"), ".odt files are not read"),
    ];
    for (path, reason) in cases {
        let output = run(factory(home.path()).arg("generate").arg(&path));
        assert_eq!(output.status.code(), Some(2), "{}", path.display());
        assert!(
            text(&output.stderr).contains(reason),
            "{}: {}",
            path.display(),
            text(&output.stderr)
        );
    }
    let output = run(factory(home.path())
        .arg("generate")
        .arg(example(EXAMPLES[2]))
        .args(["--kinds", "faq,glossary"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("unknown kind `glossary`"));
}

#[test]
fn generate_reads_standard_input() {
    let home = tempfile::tempdir().unwrap();
    let source = std::fs::read(example(EXAMPLES[2])).unwrap();
    let mut child = factory(home.path())
        .args(["generate", "-", "--kinds", "faq", "--out", "o"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), &source).unwrap();
    drop(child.stdin.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(home.path().join("o/faq.json").exists() && home.path().join("o/outline.md").exists());
}

/// (kind, status, attempts, finished_at) of one step.
type StepRow = (String, String, u64, Option<String>);

/// Kills the process if the test ends before it does.
struct Reaper(std::process::Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Reads the job id and step rows of the newest job in the store.
fn read_steps(db: &Path) -> Option<(String, Vec<StepRow>)> {
    let conn = rusqlite::Connection::open(db).ok()?;
    let body: String = conn
        .query_row("SELECT body FROM jobs ORDER BY id DESC LIMIT 1", [], |r| {
            r.get(0)
        })
        .ok()?;
    let job: serde_json::Value = serde_json::from_str(&body).ok()?;
    let steps = job["steps"]
        .as_array()?
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_owned(),
                s["status"].as_str().unwrap().to_owned(),
                s["attempts"].as_u64().unwrap(),
                s["finished_at"].as_str().map(str::to_owned),
            )
        })
        .collect();
    Some((job["id"].as_str()?.to_owned(), steps))
}

#[test]
fn a_job_killed_mid_run_is_finished_by_resume_without_redoing_finished_steps() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("state/factory.db");
    // A slow engine and one step at a time, so the kill lands mid-job.
    let mut child = Reaper(
        factory(home.path())
            .arg("generate")
            .arg(example(EXAMPLES[0]))
            .env("FACTORY_ENGINE_DELAY_MS", "300")
            .env("FACTORY_CONCURRENCY", "1")
            .env("FACTORY_LEASE_SECS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_mins(1);
    let before = loop {
        assert!(Instant::now() < deadline, "the job never got going");
        if let Some((_, steps)) = read_steps(&db) {
            let done = steps.iter().filter(|s| s.1 == "succeeded").count();
            let running = steps.iter().any(|s| s.1 == "running");
            if done >= 2 && running {
                child.0.kill().unwrap(); // SIGKILL: no cleanup of any kind
                child.0.wait().unwrap();
                break read_steps(&db).unwrap();
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (id, before_steps) = before;
    assert!(
        before_steps.iter().any(|s| s.1 != "succeeded"),
        "killed too late to prove anything"
    );

    let resumed = run(factory(home.path())
        .args(["jobs", "resume"])
        .env("FACTORY_LEASE_SECS", "1"));
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));

    let (after_id, after_steps) = read_steps(&db).unwrap();
    assert_eq!(after_id, id);
    assert!(
        after_steps.iter().all(|s| s.1 == "succeeded"),
        "{after_steps:?}"
    );
    for (was, now) in before_steps.iter().zip(&after_steps) {
        if was.1 == "succeeded" {
            assert_eq!(
                was, now,
                "a step finished before the kill must not run again"
            );
        }
    }
    let shown = run(factory(home.path()).args(["jobs", "show", &id]));
    let job: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(job["status"], "succeeded");
    let mut names: Vec<&str> = job["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    let total = names.len();
    names.dedup();
    let files = all_files();
    assert_eq!(
        (total, names.len()),
        (files, files),
        "every artifact recorded exactly once"
    );
    let manifest = home
        .path()
        .join("state/objects/jobs")
        .join(&id)
        .join("manifest.json");
    assert!(manifest.exists());
}

#[test]
fn dead_letters_are_listed_and_a_retry_says_what_it_did() {
    let home = tempfile::tempdir().unwrap();
    let generated = run(factory(home.path())
        .args(["generate", "--kinds", "faq", "--out", "out"])
        .arg(example("note-tcp-handshake.txt")));
    assert!(generated.status.success(), "{}", text(&generated.stderr));
    let listed = run(factory(home.path()).args(["jobs", "dead-letters"]));
    assert_eq!(text(&listed.stdout).trim(), "no dead letters");

    // A step of that job whose deliveries ran out (as the in-process queue records it).
    let db = rusqlite::Connection::open(home.path().join("state/factory.db")).unwrap();
    let job: String = db
        .query_row("SELECT id FROM jobs", [], |r| r.get(0))
        .unwrap();
    let id = format!("{job}.faq");
    db.execute(
        "INSERT INTO dead_letters (id, job_id, kind, deliveries, reason, at)
         VALUES (?1, ?2, 'faq', 5, 'store_unavailable: disk full', 0)",
        [&id, &job],
    )
    .unwrap();
    let listed = run(factory(home.path()).args(["jobs", "dead-letters"]));
    let listed = text(&listed.stdout);
    assert!(
        listed.contains(&id) && listed.contains("5 deliveries") && listed.contains("disk full"),
        "{listed}"
    );

    let retried = run(factory(home.path()).args(["jobs", "dead-letters", "--retry", &id]));
    assert!(retried.status.success(), "{}", text(&retried.stderr));
    assert!(
        text(&retried.stdout).contains("had ended meanwhile (succeeded)"),
        "{}",
        text(&retried.stdout)
    );
    let listed = run(factory(home.path()).args(["jobs", "dead-letters"]));
    assert_eq!(text(&listed.stdout).trim(), "no dead letters");
    let again = run(factory(home.path()).args(["jobs", "dead-letters", "--retry", &id]));
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("no dead letter"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn a_dry_run_prints_the_plan_runs_nothing_and_sees_the_cache_after_a_real_run() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("out");
    let dry_run = |home: &Path| {
        let output = run(factory(home)
            .arg("generate")
            .arg(example(EXAMPLES[2]))
            .args(["--kinds", "faq,quiz", "--dry-run", "--out"])
            .arg(&out));
        assert!(output.status.success(), "{}", text(&output.stderr));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let hits = |plan: &serde_json::Value| -> Vec<(String, bool)> {
        plan["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["kind"].as_str().unwrap().to_owned(),
                    s["cache_hit"] == true,
                )
            })
            .collect()
    };
    let before = dry_run(home.path());
    let kinds = |hit| {
        ["outline", "faq", "quiz"]
            .map(|k| (k.to_owned(), hit))
            .to_vec()
    };
    assert_eq!(hits(&before), kinds(false), "{before:#}");
    assert_eq!(
        before["estimate"]["input_tokens"], 0,
        "the extractive engine is free"
    );
    assert!(before["source"]["sha256"].as_str().unwrap().len() == 64);
    assert!(!out.exists(), "a dry run writes no files");
    let listed = run(factory(home.path()).args(["jobs", "list"]));
    assert!(
        !text(&listed.stdout).contains("faq"),
        "a dry run creates no job: {}",
        text(&listed.stdout)
    );

    let real = run(factory(home.path())
        .arg("generate")
        .arg(example(EXAMPLES[2]))
        .args(["--kinds", "faq,quiz", "--no-audio", "--out"])
        .arg(&out));
    assert!(real.status.success(), "{}", text(&real.stderr));
    assert_eq!(hits(&dry_run(home.path())), kinds(true));

    let refused = run(factory(home.path())
        .arg("generate")
        .arg(example(EXAMPLES[2]))
        .args(["--dry-run", "--speakers", "9"]));
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("/options/speakers"),
        "{}",
        text(&refused.stderr)
    );
}
