//! `factory serve` as a client sees it: a real server process on a real port, keys made with
//! `factory keys create`, plain HTTP/1.1 over a `TcpStream`, and the SQLite store on disk.

use std::collections::BTreeSet;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use factory_shared::content::Kind;

use crate::kinds;
use crate::support::{Server, create_key};

const PHOTOSYNTHESIS: &str = "syllabus-photosynthesis.md";
const ROMAN_REPUBLIC: &str = "chapter-roman-republic.md";
const TCP_HANDSHAKE: &str = "note-tcp-handshake.txt";
const JOB_DEADLINE: Duration = Duration::from_mins(1);

fn example_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The first two paragraphs of the TCP note: long enough to teach, short enough for a small
/// body limit.
fn short_source() -> String {
    let text = example_text(TCP_HANDSHAKE);
    let paragraphs: Vec<&str> = text.split("\n\n").take(2).collect();
    paragraphs.join("\n\n")
}

/// Plain HTTP requests to a running server.
trait Requests {
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply;
    fn get(&self, path: &str, key: &str) -> Reply;
    fn post(&self, path: &str, key: &str, body: &Value) -> Reply;
    fn post_raw(&self, path: &str, key: &str, extra: &[(&str, &str)], body: &[u8]) -> Reply;
    fn wait_until_ended(&self, key: &str, id: &str) -> Value;
}

impl Requests for Server {
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        http(self.addr(), method, path, headers, body)
    }

    fn get(&self, path: &str, key: &str) -> Reply {
        self.request("GET", path, &[("Authorization", &bearer(key))], b"")
    }

    fn post(&self, path: &str, key: &str, body: &Value) -> Reply {
        self.post_raw(path, key, &[], &serde_json::to_vec(body).unwrap())
    }

    fn post_raw(&self, path: &str, key: &str, extra: &[(&str, &str)], body: &[u8]) -> Reply {
        let auth = bearer(key);
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        headers.extend_from_slice(extra);
        self.request("POST", path, &headers, body)
    }

    /// Polls the job until it ends; panics after [`JOB_DEADLINE`].
    fn wait_until_ended(&self, key: &str, id: &str) -> Value {
        let deadline = Instant::now() + JOB_DEADLINE;
        loop {
            let reply = self.get(&format!("/v1/jobs/{id}"), key);
            assert_eq!(reply.status, 200, "{}", reply.text());
            let job = reply.json();
            let status = job["status"].as_str().unwrap();
            if matches!(status, "succeeded" | "partial" | "failed" | "cancelled") {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} still {status} after {JOB_DEADLINE:?}: {job:#}\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

fn bearer(key: &str) -> String {
    format!("Bearer {key}")
}

/// One HTTP answer.
#[derive(Debug)]
struct Reply {
    status: u16,
    /// Names in lower case.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A minimal HTTP/1.1 exchange: one request with `Connection: close`, the answer read to
/// the end.
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
        .unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) and close before reading the whole body.
    if let Err(e) = stream.write_all(body) {
        assert!(
            matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset),
            "{method} {path}: {e}"
        );
    }
    let mut raw = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // A reset after the whole answer arrived (unread request bytes) ends it too.
            Err(e) if e.kind() == ErrorKind::ConnectionReset && !raw.is_empty() => break,
            Err(e) => panic!("{method} {path}: reading the answer: {e}"),
        }
    }
    parse_reply(&raw).unwrap_or_else(|| {
        panic!(
            "{method} {path}: not an HTTP answer: {}",
            String::from_utf8_lossy(&raw)
        )
    })
}

fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':')?;
            Some((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect::<Option<_>>()?;
    let rest = &raw[end + 4..];
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        dechunk(rest)?
    } else if let Some(length) = header("content-length") {
        let length: usize = length.parse().ok()?;
        rest.get(..length)?.to_vec()
    } else {
        rest.to_vec()
    };
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// Decodes a `Transfer-Encoding: chunked` body (trailers ignored).
fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// The SHA-256 of `bytes` in hex, by `sha256sum`.
fn sha256_hex(bytes: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum is installed");
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

fn assert_security_headers(reply: &Reply, what: &str) {
    let csp = reply
        .header("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no content-security-policy"));
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{what}: {csp}"
    );
    assert_eq!(
        reply.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(reply.header("x-frame-options"), Some("DENY"), "{what}");
    assert_eq!(
        reply.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert!(
        reply.header("x-request-id").is_some_and(|v| !v.is_empty()),
        "{what}: no x-request-id"
    );
}

/// Checks an error answer is a problem with `status` and returns its body.
fn assert_problem(reply: &Reply, status: u16, what: &str) -> Value {
    assert_eq!(reply.status, status, "{what}: {}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{what}"
    );
    let problem = reply.json();
    assert_eq!(problem["status"], status, "{what}: {problem}");
    assert!(
        problem["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("https://")),
        "{what}: {problem}"
    );
    let request_id = problem["request_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: no request_id in {problem}"));
    assert!(!request_id.is_empty(), "{what}");
    assert_eq!(reply.header("x-request-id"), Some(request_id), "{what}");
    assert_security_headers(reply, what);
    problem
}

/// Checks an ended job: succeeded, every step succeeded, progress complete, three files per
/// step, each downloadable with the listed size and SHA-256, and the manifest agreeing.
fn assert_succeeded_and_download_all(server: &Server, key: &str, job: &Value, kinds: &[&str]) {
    let id = job["id"].as_str().unwrap();
    assert_eq!(job["status"], "succeeded", "{job:#}");
    let steps = job["steps"].as_array().unwrap();
    let step_kinds: BTreeSet<&str> = steps.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(
        step_kinds,
        kinds.iter().copied().collect::<BTreeSet<_>>(),
        "{id}"
    );
    for step in steps {
        assert_eq!(step["status"], "succeeded", "{id}: {step}");
        assert!(step["attempts"].as_u64().unwrap() >= 1, "{id}: {step}");
    }
    assert_eq!(job["progress"]["done"], job["progress"]["total"], "{id}");
    assert_eq!(job["progress"]["total"], steps.len(), "{id}");

    let artifacts = job["artifacts"].as_array().unwrap();
    let names: BTreeSet<&str> = artifacts
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    // A job with practice material also gets the coverage matrix (JSON and Markdown), and
    // the podcast its audio and captions.
    let practice = kinds
        .iter()
        .any(|k| matches!(*k, "flashcards" | "quiz" | "reading-questions"));
    assert_eq!(names.contains("coverage.json"), practice, "{id}: {names:?}");
    let audio = 2 * usize::from(kinds.contains(&"podcast-script"));
    let files: usize = kinds
        .iter()
        .map(|k| 3 + k.parse::<Kind>().unwrap().exports().len())
        .sum::<usize>()
        + 2 * usize::from(practice)
        + audio;
    assert_eq!(artifacts.len(), files, "{id}: {names:?}");
    assert_eq!(names.len(), artifacts.len(), "{id}: names are unique");
    for artifact in artifacts {
        let name = artifact["name"].as_str().unwrap();
        let href = artifact["href"].as_str().unwrap();
        assert_eq!(href, format!("/v1/jobs/{id}/artifacts/{name}"));
        let download = server.get(href, key);
        assert_eq!(download.status, 200, "{href}: {}", download.text());
        assert_eq!(
            download.body.len() as u64,
            artifact["bytes"].as_u64().unwrap(),
            "{href}"
        );
        assert_eq!(sha256_hex(&download.body), artifact["sha256"], "{href}");
        let content_type = match artifact["format"].as_str().unwrap() {
            "json" | "coverage-json" => "application/json",
            "md" | "coverage-md" => "text/markdown; charset=utf-8",
            "html" => "text/html; charset=utf-8",
            "apkg" => "application/vnd.anki",
            "qti" => "application/zip",
            "anki-tsv" | "quizlet-tsv" => "text/tab-separated-values; charset=utf-8",
            "gift" => "text/plain; charset=utf-8",
            "mp3" => "audio/mpeg",
            "vtt" => "text/vtt; charset=utf-8",
            other => panic!("{href}: unexpected format {other}"),
        };
        assert_eq!(
            download.header("content-type"),
            Some(content_type),
            "{href}"
        );
        assert_security_headers(&download, href);
    }

    let manifest_href = format!("/v1/jobs/{id}/artifacts/manifest.json");
    assert_eq!(job["links"]["manifest"], manifest_href.as_str());
    let download = server.get(&manifest_href, key);
    assert_eq!(download.status, 200, "{manifest_href}: {}", download.text());
    assert_eq!(download.header("content-type"), Some("application/json"));
    assert_security_headers(&download, &manifest_href);
    let manifest = download.json();
    assert_eq!(manifest["job_id"], id);
    assert_eq!(manifest["status"], "succeeded");
    assert_eq!(manifest["source"]["sha256"], job["source"]["sha256"]);
    let listed = |list: &Value| -> BTreeSet<(String, u64, String)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_owned(),
                    a["bytes"].as_u64().unwrap(),
                    a["sha256"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        listed(&manifest["artifacts"]),
        listed(&job["artifacts"]),
        "{id}: the manifest lists exactly the job's files"
    );
}

#[test]
fn serve_runs_bundles_and_single_kinds_end_to_end() {
    let home = tempfile::tempdir().unwrap();
    let server = Server::start(home.path(), &[]);
    let key = create_key(home.path(), "acme", &[]);

    let bundle = server.post(
        "/v1/bundles",
        &key,
        &json!({
            "source": {"text": example_text(PHOTOSYNTHESIS)},
            "kinds": kinds(),
            "options": {"audience": "first-year biology students", "speakers": 3},
        }),
    );
    assert_eq!(bundle.status, 202, "{}", bundle.text());
    assert_security_headers(&bundle, "202 on a bundle");
    let bundle_id = bundle.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        bundle.header("location"),
        Some(format!("/v1/jobs/{bundle_id}").as_str())
    );
    assert_eq!(bundle.json()["options"]["speakers"], 3);

    // One single kind with `X-API-Key`, the other with a bearer token.
    let faq = server.request(
        "POST",
        "/v1/faq",
        &[("X-API-Key", &key), ("Content-Type", "application/json")],
        &serde_json::to_vec(&json!({"source": {"text": example_text(ROMAN_REPUBLIC)}})).unwrap(),
    );
    assert_eq!(faq.status, 202, "{}", faq.text());
    let faq_id = faq.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        faq.header("location"),
        Some(format!("/v1/jobs/{faq_id}").as_str())
    );
    let flashcards = server.post(
        "/v1/flashcards",
        &key,
        &json!({"source": {"text": example_text(TCP_HANDSHAKE)}, "options": {"level": "beginner"}}),
    );
    assert_eq!(flashcards.status, 202, "{}", flashcards.text());
    let flashcards_id = flashcards.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        flashcards.header("location"),
        Some(format!("/v1/jobs/{flashcards_id}").as_str())
    );

    let bundle_job = server.wait_until_ended(&key, &bundle_id);
    assert_succeeded_and_download_all(&server, &key, &bundle_job, &kinds());
    let faq_job = server.wait_until_ended(&key, &faq_id);
    assert_succeeded_and_download_all(&server, &key, &faq_job, &["outline", "faq"]);
    let flashcards_job = server.wait_until_ended(&key, &flashcards_id);
    assert_succeeded_and_download_all(&server, &key, &flashcards_job, &["outline", "flashcards"]);
    assert_eq!(flashcards_job["options"]["level"], "beginner");

    // The list pages through all three, newest first.
    let first = server.get("/v1/jobs?status=succeeded&limit=2", &key);
    assert_eq!(first.status, 200, "{}", first.text());
    assert_security_headers(&first, "200 on a list");
    let first = first.json();
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = server
        .get(
            &format!("/v1/jobs?status=succeeded&limit=2&cursor={cursor}"),
            &key,
        )
        .json();
    assert!(second.get("next_cursor").is_none(), "{second}");
    let listed: Vec<&str> = first["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["jobs"].as_array().unwrap())
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [flashcards_id.as_str(), faq_id.as_str(), bundle_id.as_str()]
    );
    let running = server.get("/v1/jobs?status=running", &key).json();
    assert_eq!(running["jobs"], json!([]));

    // A 4xx carries the same headers.
    let missing = server.get("/v1/jobs/00000000000000000000000000", &key);
    assert_problem(&missing, 404, "an unknown job");
    let missing = server.get(&format!("/v1/jobs/{faq_id}/artifacts/quiz.json"), &key);
    assert_problem(&missing, 404, "an artifact the job does not list");
}

/// What only a running server shows (the routes' answers themselves are covered through
/// `app(state)` in the shared crate's API tests): keys made by `factory keys create` in
/// another process, with the rate and quota given there, and the body limit from the
/// environment.
#[test]
fn serve_honours_keys_made_by_the_cli_and_limits_from_the_environment() {
    let home = tempfile::tempdir().unwrap();
    let server = Server::start(home.path(), &[("FACTORY_BODY_LIMIT_BYTES", "2048")]);
    let key = create_key(home.path(), "tenant-a", &[]);
    let body = json!({"source": {"text": short_source()}});
    assert!(serde_json::to_vec(&body).unwrap().len() < 2048);

    let made = server.post("/v1/faq?wait=30", &key, &body);
    assert_eq!(made.status, 200, "{}", made.text());
    assert_eq!(made.json()["status"], "succeeded");
    let wrong = format!("acf_{}", "0".repeat(48));
    let refused = server.get("/v1/jobs", &wrong);
    assert_problem(&refused, 401, "a key nobody made");
    assert_eq!(refused.header("www-authenticate"), Some("Bearer"));

    let big = json!({"source": {"text": example_text(TCP_HANDSHAKE)}});
    assert!(serde_json::to_vec(&big).unwrap().len() > 2048);
    let problem = assert_problem(&server.post("/v1/faq", &key, &big), 413, "over the limit");
    assert!(
        problem["detail"].as_str().unwrap().contains("2048"),
        "{problem}"
    );

    // `--rate 3/min`: the bucket holds one minute's allowance.
    let slow = create_key(home.path(), "tenant-r", &["--rate", "3/min"]);
    let answered = (0..10)
        .take_while(|_| server.get("/v1/jobs", &slow).status == 200)
        .count();
    assert_eq!(answered, 3);
    let limited = server.get("/v1/jobs", &slow);
    assert_problem(&limited, 429, "over the rate");
    let retry: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (1..=20).contains(&retry),
        "one request comes back every 20 s: {retry}"
    );

    // `--daily-jobs 1`: the second job of the day is refused until midnight UTC.
    let daily = create_key(home.path(), "tenant-d", &["--daily-jobs", "1"]);
    let first = server.post("/v1/faq", &daily, &body);
    assert!(matches!(first.status, 200 | 202), "{}", first.text());
    let second = server.post("/v1/flashcards", &daily, &body);
    let problem = assert_problem(&second, 429, "over the daily quota");
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/quota-exceeded")
    );
    let retry: u64 = second.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=86_400).contains(&retry), "{retry}");
}

/// (kind, status, attempts, finished_at) of one step, as stored.
type StepRow = (String, String, u64, Option<String>);

/// The stored steps of job `id`, when the store can be read.
fn stored_steps(db: &Path, id: &str) -> Option<Vec<StepRow>> {
    let conn = rusqlite::Connection::open(db).ok()?;
    let body: String = conn
        .query_row("SELECT body FROM jobs WHERE id = ?1", [id], |r| r.get(0))
        .ok()?;
    let job: Value = serde_json::from_str(&body).ok()?;
    job["steps"]
        .as_array()?
        .iter()
        .map(|s| {
            Some((
                s["kind"].as_str()?.to_owned(),
                s["status"].as_str()?.to_owned(),
                s["attempts"].as_u64()?,
                s["finished_at"].as_str().map(str::to_owned),
            ))
        })
        .collect()
}

#[test]
fn a_server_killed_during_a_bundle_finishes_it_after_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("state/factory.db");
    // A slow engine and one step at a time, so the kill lands mid-job.
    let mut slow = Server::start(
        home.path(),
        &[
            ("FACTORY_ENGINE_DELAY_MS", "300"),
            ("FACTORY_CONCURRENCY", "1"),
            ("FACTORY_LEASE_SECS", "1"),
        ],
    );
    let key = create_key(home.path(), "acme", &[]);
    let made = slow.post(
        "/v1/bundles",
        &key,
        &json!({"source": {"text": example_text(ROMAN_REPUBLIC)}}),
    );
    assert_eq!(made.status, 202, "{}", made.text());
    let id = made.json()["id"].as_str().unwrap().to_owned();

    let deadline = Instant::now() + JOB_DEADLINE;
    let before = loop {
        assert!(
            Instant::now() < deadline,
            "the job never got going: {:?}\n{}",
            stored_steps(&db, &id),
            slow.log_text()
        );
        if let Some(steps) = stored_steps(&db, &id) {
            let done = steps.iter().filter(|s| s.1 == "succeeded").count();
            let running = steps.iter().any(|s| s.1 == "running");
            if done >= 2 && running {
                slow.kill();
                break stored_steps(&db, &id).unwrap();
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(slow);
    assert_eq!(before.len(), Kind::ALL.len(), "{before:?}");
    assert!(
        before.iter().any(|s| s.1 != "succeeded"),
        "killed too late to prove anything"
    );
    // The dead server's lease (1 s) runs out, so the restart takes the step over at once.
    std::thread::sleep(Duration::from_millis(1500));

    let server = Server::start(home.path(), &[("FACTORY_LEASE_SECS", "1")]);
    let job = server.wait_until_ended(&key, &id);
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert_eq!(job["progress"]["done"], Kind::ALL.len());
    assert_eq!(job["progress"]["total"], Kind::ALL.len());

    let after = stored_steps(&db, &id).unwrap();
    assert!(after.iter().all(|s| s.1 == "succeeded"), "{after:?}");
    for was in before.iter().filter(|s| s.1 == "succeeded") {
        let now = after.iter().find(|s| s.0 == was.0).unwrap();
        assert_eq!(
            was, now,
            "a step finished before the kill must not run again"
        );
    }
    for was in before.iter().filter(|s| s.1 == "running") {
        let now = after.iter().find(|s| s.0 == was.0).unwrap();
        assert!(
            now.2 > was.2,
            "the step cut short ran again: {was:?} → {now:?}"
        );
    }
    let names: Vec<&str> = job["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    let files = crate::all_files();
    assert_eq!(
        (names.len(), unique.len()),
        (files, files),
        "every artifact recorded exactly once: {names:?}"
    );
    let manifest = server.get(&format!("/v1/jobs/{id}/artifacts/manifest.json"), &key);
    assert_eq!(manifest.status, 200, "{}", manifest.text());
    assert_eq!(
        manifest.json()["artifacts"].as_array().unwrap().len(),
        files
    );
}

#[test]
fn a_server_stopped_with_sigterm_hands_back_its_steps_for_an_immediate_restart() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("state/factory.db");
    // The default two-minute lease: only a released step can run again soon after a restart.
    let mut slow = Server::start(
        home.path(),
        &[
            ("FACTORY_ENGINE_DELAY_MS", "400"),
            ("FACTORY_CONCURRENCY", "1"),
        ],
    );
    let key = create_key(home.path(), "acme", &[]);
    let made = slow.post(
        "/v1/bundles",
        &key,
        &json!({"source": {"text": example_text(TCP_HANDSHAKE)}}),
    );
    assert_eq!(made.status, 202, "{}", made.text());
    let id = made.json()["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + JOB_DEADLINE;
    while !stored_steps(&db, &id).is_some_and(|steps| steps.iter().any(|s| s.1 == "running")) {
        assert!(Instant::now() < deadline, "no step ever ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    let exit = slow.terminate();
    assert!(
        exit.success(),
        "a graceful stop exits cleanly: {exit:?}\n{}",
        slow.log_text()
    );
    let stopped = stored_steps(&db, &id).unwrap();
    assert!(
        stopped.iter().all(|s| s.1 != "running"),
        "every held step was handed back: {stopped:?}"
    );

    let started = Instant::now();
    let server = Server::start(home.path(), &[]);
    let job = server.wait_until_ended(&key, &id);
    assert_eq!(job["status"], "succeeded", "{job:#}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the restart did not wait for a lease to expire"
    );
}

/// A stand-in for Sentry's ingest endpoint: accepts HTTP requests and hands each one (head
/// and body) to the test.
fn fake_sentry() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (sender, received) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let mut request = Vec::new();
            let mut buffer = [0u8; 8192];
            while let Ok(n) = stream.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buffer[..n]);
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
            let _ = sender.send(String::from_utf8_lossy(&request).into_owned());
        }
    });
    (port, received)
}

#[test]
fn server_errors_reach_sentry_and_logs_are_cloud_logging_json() {
    let home = tempfile::tempdir().unwrap();
    let (sentry_port, sentry) = fake_sentry();
    let dsn = format!("http://public@127.0.0.1:{sentry_port}/42");
    let env = [
        ("SENTRY_DSN", dsn.as_str()),
        ("FACTORY_LOG_FORMAT", "json"),
        ("RUST_LOG", "info"),
    ];
    let mut server = Server::start(home.path(), &env);
    let key = create_key(home.path(), "acme", &[]);
    let made = server.post(
        "/v1/faq?wait=30",
        &key,
        &json!({"source": {"text": example_text(TCP_HANDSHAKE)}}),
    );
    let id = made.json()["id"].as_str().unwrap().to_owned();

    // Corrupt the stored job so that reading it fails inside the server.
    let db = rusqlite::Connection::open(home.path().join("state/factory.db")).unwrap();
    db.execute("UPDATE jobs SET body = '{broken' WHERE id = ?1", [&id])
        .unwrap();
    let failed = server.request(
        "GET",
        &format!("/v1/jobs/{id}"),
        &[
            ("Authorization", &bearer(&key)),
            (
                "traceparent",
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        ],
        b"",
    );
    let problem = assert_problem(&failed, 500, "a corrupt job");
    assert!(
        !problem["detail"].as_str().unwrap().contains("corrupt"),
        "the cause is logged, not sent: {problem}"
    );
    assert!(server.terminate().success());

    let mut envelopes = String::new();
    while let Ok(request) = sentry.recv_timeout(Duration::from_secs(5)) {
        envelopes.push_str(&request);
        if envelopes.contains("stored data is corrupt") {
            break;
        }
    }
    assert!(
        envelopes.contains("/api/42/envelope/"),
        "no envelope reached the fake Sentry:\n{envelopes}"
    );
    assert!(
        envelopes.contains("stored data is corrupt"),
        "the error event names its cause:\n{envelopes}"
    );

    let logs = server.log_text();
    let request_lines: Vec<Value> = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["message"] == "request")
        .collect();
    assert!(
        !request_lines.is_empty(),
        "no JSON request lines in:\n{logs}"
    );
    for line in &request_lines {
        assert!(
            line["severity"].is_string() && line["time"].is_string(),
            "{line}"
        );
        assert!(line["span"]["request_id"].is_string(), "{line}");
    }
    assert!(
        request_lines
            .iter()
            .any(|line| line["logging.googleapis.com/trace"]
                .as_str()
                .is_some_and(|t| t.ends_with("4bf92f3577b34da6a3ce929d0e0e4736"))),
        "the traced request's line names its trace under Cloud Logging's key:\n{logs}"
    );
}

/// Runs `factory keys ARGS` against the store in `home` and returns (exit ok, stdout, stderr).
fn keys(home: &Path, args: &[&str]) -> (bool, String, String) {
    let output = crate::support::factory(home)
        .arg("keys")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Asks `server` with `key` until the answer's status is `status`, at most `bound` (plus
/// a margin for a loaded machine); returns how long it took.
fn refused_within(server: &Server, key: &str, status: u16, bound: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let answer = server.get("/v1/jobs", key);
        if answer.status == status {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < bound + Duration::from_secs(5),
            "still {} after {:?}: {}",
            answer.status,
            started.elapsed(),
            answer.text()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Keys over their whole life, with two server processes sharing one store (as two Cloud
/// Run instances share Firestore): scopes, a rotation with its grace period, expiry and
/// revocation, each refused by both servers within the key cache's lifetime
/// (`FACTORY_KEY_CACHE_SECS`, 2 s here, 30 s by default).
#[test]
fn keys_are_listed_rotated_expired_and_revoked_and_every_server_refuses_them_within_the_bound() {
    let home = tempfile::tempdir().unwrap();
    let env = [("FACTORY_KEY_CACHE_SECS", "2")];
    let bound = Duration::from_secs(2);
    let servers = [
        Server::start(home.path(), &env),
        Server::start(home.path(), &env),
    ];
    let body = json!({"source": {"text": short_source()}});

    let reader = create_key(
        home.path(),
        "acme",
        &["--scopes", "read", "--name", "dashboard"],
    );
    for server in &servers {
        assert_eq!(server.get("/v1/jobs", &reader).status, 200);
        let problem = assert_problem(&server.post("/v1/faq", &reader, &body), 403, "read only");
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with("/insufficient-scope")
        );
    }

    let key = create_key(home.path(), "acme", &["--name", "LMS sync"]);
    let (ok, listed, _) = keys(home.path(), &["list", "--tenant", "acme"]);
    assert!(ok);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].contains("\tread\t") && lines[0].ends_with("dashboard"),
        "{listed}"
    );
    assert!(
        lines[1].contains("\tactive\t") && lines[1].ends_with("LMS sync"),
        "{listed}"
    );
    assert!(!listed.contains(&key), "a listing never shows a secret");
    let prefix = &key[..12];

    // Rotation: both keys work during the grace period; the old one stops after it.
    let (ok, rotated, said) = keys(home.path(), &["rotate", prefix, "--grace", "3s"]);
    assert!(ok, "{said}");
    let new = rotated.trim().to_owned();
    assert!(new.starts_with("acf_") && new != key);
    for server in &servers {
        assert_eq!(server.get("/v1/jobs", &key).status, 200);
        assert_eq!(server.get("/v1/jobs", &new).status, 200);
    }
    for server in &servers {
        refused_within(server, &key, 401, Duration::from_secs(3) + bound);
    }
    let problem = assert_problem(&servers[0].get("/v1/jobs", &key), 401, "expired");
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/key-not-valid")
    );
    assert!(problem["detail"].as_str().unwrap().contains("expired"));

    // Revocation: refused by both servers within the cache's lifetime, although both have
    // just looked the key up (and remember it).
    for server in &servers {
        assert_eq!(server.get("/v1/jobs", &new).status, 200);
    }
    let (ok, _, said) = keys(home.path(), &["revoke", &new[..12]]);
    assert!(ok, "{said}");
    assert!(said.contains("revoked"), "{said}");
    let mut took = Vec::new();
    for server in &servers {
        took.push(refused_within(server, &new, 401, bound));
    }
    let problem = assert_problem(&servers[1].get("/v1/jobs", &new), 401, "revoked");
    assert!(
        problem["detail"].as_str().unwrap().contains("revoked"),
        "{problem}"
    );
    eprintln!("revocation took effect after {took:?} (bound {bound:?})");

    // Expiry at once, and what cannot be done.
    let (ok, _, said) = keys(home.path(), &["expire", &reader[..12], "--in", "0s"]);
    assert!(ok, "{said}");
    for server in &servers {
        refused_within(server, &reader, 401, bound);
    }
    let (ok, _, said) = keys(home.path(), &["revoke", "acf_"]);
    assert!(!ok && said.contains("keys start with"), "{said}");
    let (ok, _, said) = keys(home.path(), &["revoke", "acf_nothing"]);
    assert!(!ok && said.contains("no key starts with"), "{said}");
    let (ok, _, said) = keys(home.path(), &["rotate", &new[..12]]);
    assert!(!ok && said.contains("revoked"), "{said}");
}

/// Documents uploaded to a real server as `multipart/form-data`: each format gives the bundle
/// of the text read from it, each hostile file its 4xx, and the server keeps answering.
#[test]
fn serve_reads_uploaded_documents_like_their_text_and_survives_hostile_ones() {
    use factory_shared::documents::{self, Limits};
    use factory_testkit::documents::{encrypted_pdf, multipart, pdf_without_text, zip_bomb_docx};

    let home = tempfile::tempdir().unwrap();
    let server = Server::start(home.path(), &[]);
    let key = create_key(home.path(), "acme", &[]);
    let auth = bearer(&key);
    let upload = |name: &str, media_type: Option<&str>, bytes: &[u8]| {
        let request = json!({"kinds": ["outline", "faq"]}).to_string();
        let (content_type, body) = multipart(name, media_type, bytes, Some(&request));
        server.request(
            "POST",
            "/v1/bundles?wait=60",
            &[("Authorization", &auth), ("Content-Type", &content_type)],
            &body,
        )
    };
    let files = |job: &Value| -> Vec<(String, String)> {
        assert_eq!(job["status"], "succeeded", "{job}");
        let mut files: Vec<(String, String)> = job["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().to_owned(),
                    a["sha256"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        files.sort();
        files
    };
    let corpus = |name: &str| {
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../corpus/docs")
                .join(name),
        )
        .unwrap()
    };

    let mut read = 0;
    for (name, media_type) in [
        ("en-r-intro-statistical-models.pdf", "application/pdf"),
        (
            "it-debian-reference-i18n.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("en-python-tutorial-classes.html", "text/html"),
    ] {
        let bytes = corpus(name);
        let format = documents::identify(&bytes, Some(media_type), Some(name)).unwrap();
        let text = documents::extract_blocking(format, &bytes, Limits::default()).unwrap();
        let from_text = server.post(
            "/v1/bundles?wait=60",
            &key,
            &json!({"source": {"text": text}, "kinds": ["outline", "faq"]}),
        );
        assert_eq!(from_text.status, 200, "{name}: {}", from_text.text());
        let uploaded = upload(name, Some(media_type), &bytes);
        assert_eq!(uploaded.status, 200, "{name}: {}", uploaded.text());
        let (uploaded, from_text) = (uploaded.json(), from_text.json());
        assert_eq!(
            uploaded["source"]["sha256"], from_text["source"]["sha256"],
            "{name}"
        );
        assert_eq!(
            uploaded["source"]["file"]["media_type"], media_type,
            "{name}"
        );
        assert_eq!(files(&uploaded), files(&from_text), "{name}");
        read += 1;
    }
    assert_eq!(read, 3);

    for (name, bytes, status, slug) in [
        (
            "locked.pdf",
            encrypted_pdf(&["Behind a password."; 3]),
            422,
            "encrypted-document",
        ),
        ("scan.pdf", pdf_without_text(), 422, "no-text-layer"),
        (
            "bomb.docx",
            zip_bomb_docx(65 * 1024 * 1024),
            413,
            "archive-expands-too-far",
        ),
        (
            "photo.pdf",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
            415,
            "unsupported-document",
        ),
    ] {
        let reply = upload(name, None, &bytes);
        let problem = assert_problem(&reply, status, name);
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/problems/{slug}")),
            "{name}: {problem}"
        );
        assert_eq!(problem["errors"][0]["path"], "file", "{name}");
        let alive = server.request("GET", "/healthz", &[], b"");
        assert_eq!(
            alive.status, 200,
            "the server stopped answering after {name}"
        );
    }
}
