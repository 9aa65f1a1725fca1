//! Uploaded documents: the corpus's PDF, DOCX and HTML files read as text with their structure,
//! checked against the corpus's own word counts and against poppler's `pdftotext`; every
//! hostile file refused with its typed error; and, through the API, an upload (multipart or
//! base64 JSON) giving the same bundle as the text read from it, with every hostile upload
//! answered with its 4xx while the server keeps serving.

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use base64::Engine as _;
use factory_shared::documents::{self, DocumentError, Format, Limits};
use factory_shared::http::keys::create_key;
use factory_shared::http::{AppState, Function, app};
use factory_shared::jobs::JobId;
use factory_shared::layout;
use factory_testkit::documents::{
    Paragraph, docx, encrypted_pdf, encrypted_pdf_with, multipart, pdf_with_text, pdf_without_text,
    zip_bomb_docx,
};
use serde_json::{Value, json};

use crate::support::{Answer, send, started_factory};

/// A corpus document, a sentence its text must contain and headings it must keep.
struct Sample {
    file: &'static str,
    format: Format,
    sentence: &'static str,
    headings: &'static [&'static str],
}

const SAMPLES: [Sample; 6] = [
    Sample {
        file: "en-r-intro-statistical-models.pdf",
        format: Format::Pdf,
        sentence: "R provides an interlocking suite of facilities that make fitting statistical models very",
        headings: &[],
    },
    Sample {
        file: "de-debian-reference-authentifizierung.pdf",
        format: Format::Pdf,
        sentence: "Wenn eine Person (oder ein Programm) Zugriff auf das System erlangen möchte",
        headings: &[],
    },
    Sample {
        file: "en-python-sorting-howto.docx",
        format: Format::Docx,
        sentence: "In contrast, the sorted() function accepts any iterable.",
        headings: &["# Sorting HOW TO", "## Sorting Basics", "## Key Functions"],
    },
    Sample {
        file: "it-debian-reference-i18n.docx",
        format: Format::Docx,
        sentence: "Il comportamento dei programmi che supportano l'internazionalizzazione",
        headings: &["# Capitolo 8. I18N e L10N", "## 8.1. La localizzazione"],
    },
    Sample {
        file: "en-python-tutorial-classes.html",
        format: Format::Html,
        sentence: "Objects have individuality, and multiple names (in multiple scopes) can be bound to the same object.",
        headings: &["# 9. Classes", "## 9.1. A Word About Names and Objects"],
    },
    Sample {
        file: "fr-debian-faq-choisir-distribution.html",
        format: Format::Html,
        sentence: "Choisir la version appropriée est une décision importante.",
        headings: &[
            "# Chapitre 3. Choisir une distribution de Debian",
            "## 3.1. Quelle version de Debian (stable/testing/unstable) me convient le mieux ?",
        ],
    },
];

fn corpus_file(file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../corpus/docs/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Words per file as `corpus/corpus.json` records them (counted when the corpus was made).
fn corpus_words() -> HashMap<String, u64> {
    let text = std::fs::read_to_string(format!(
        "{}/../corpus/corpus.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let entries: Vec<Value> = serde_json::from_str(&text).unwrap();
    entries
        .iter()
        .map(|e| {
            let file = e["file"].as_str().unwrap().trim_start_matches("docs/");
            (file.to_owned(), e["words"].as_u64().unwrap())
        })
        .collect()
}

async fn extract(
    bytes: Vec<u8>,
    media_type: Option<&str>,
    name: Option<&str>,
) -> Result<String, DocumentError> {
    documents::extract(bytes.into(), media_type, name, Limits::default())
        .await
        .map(|e| e.text)
}

#[tokio::test]
async fn the_corpus_documents_read_as_text_with_their_structure() {
    let words = corpus_words();
    for sample in &SAMPLES {
        let bytes = corpus_file(sample.file);
        let extracted = documents::extract(bytes.into(), None, None, Limits::default())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", sample.file));
        assert_eq!(extracted.format, sample.format, "{}", sample.file);
        let text = extracted.text;
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(sample.sentence),
            "{}: {:?} missing",
            sample.file,
            sample.sentence
        );
        for heading in sample.headings {
            assert!(
                // French typography puts no-break spaces before `?` and after `N.`.
                text.lines()
                    .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == *heading),
                "{}: heading {heading:?} missing",
                sample.file
            );
        }
        let expected = words[sample.file] as f64;
        let got = text.split_whitespace().count() as f64;
        assert!(
            (got - expected).abs() / expected < 0.05,
            "{}: {got} words, the corpus records {expected}",
            sample.file
        );
    }
}

#[tokio::test]
async fn html_pages_lose_their_navigation_and_links() {
    let text = extract(corpus_file("en-python-tutorial-classes.html"), None, None)
        .await
        .unwrap();
    for boilerplate in [
        "Quick search",
        "Previous topic",
        "Next topic",
        "This Page",
        "Navigation",
    ] {
        assert!(!text.contains(boilerplate), "{boilerplate:?} kept");
    }
    assert!(!text.contains("]("), "a Markdown link kept its address");
    assert!(!text.contains('¶'), "a permalink sign kept");
}

/// The PDF extractor and poppler's `pdftotext` see the same words (poppler-utils is installed by
/// `scripts/test`; without it this test fails, it never skips).
#[tokio::test]
async fn pdf_text_agrees_with_pdftotext() {
    for sample in SAMPLES.iter().filter(|s| s.format == Format::Pdf) {
        let path = format!(
            "{}/../corpus/docs/{}",
            env!("CARGO_MANIFEST_DIR"),
            sample.file
        );
        let output = std::process::Command::new("pdftotext")
            .args([&path, "-"])
            .output()
            .expect("pdftotext runs (apt-get install poppler-utils)");
        assert!(output.status.success());
        let reference = String::from_utf8_lossy(&output.stdout).into_owned();
        let ours = extract(corpus_file(sample.file), None, None).await.unwrap();
        let bag = |text: &str| {
            let mut bag: HashMap<String, i64> = HashMap::new();
            for word in text.split_whitespace() {
                let word: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
                if !word.is_empty() {
                    *bag.entry(word.to_lowercase()).or_default() += 1;
                }
            }
            bag
        };
        let (theirs, ours) = (bag(&reference), bag(&ours));
        let total: i64 = theirs.values().sum();
        let shared: i64 = theirs
            .iter()
            .map(|(w, n)| (*n).min(ours.get(w).copied().unwrap_or(0)))
            .sum();
        let agreement = shared as f64 / total as f64;
        assert!(
            agreement > 0.95,
            "{}: {:.1} % of pdftotext's {total} words",
            sample.file,
            agreement * 100.0
        );
    }
}

#[tokio::test]
async fn a_docx_keeps_headings_lists_and_paragraphs_as_markdown() {
    let file = docx(&[
        Paragraph::Heading(1, "Cells"),
        Paragraph::Text("A cell is the smallest unit of life."),
        Paragraph::Heading(2, "Parts & pieces"),
        Paragraph::Bullet("membrane"),
        Paragraph::Bullet("nucleus"),
        Paragraph::Numbered("divide"),
        Paragraph::Text("That is all."),
    ]);
    assert_eq!(
        extract(file, None, Some("cells.docx")).await.unwrap(),
        "# Cells\n\nA cell is the smallest unit of life.\n\n## Parts & pieces\n\n- membrane\n- nucleus\n1. divide\n\nThat is all.\n"
    );
    let pdf = extract(
        pdf_with_text(&["Photosynthesis (in plants)", "turns light into sugar."]),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(pdf, "Photosynthesis (in plants)\nturns light into sugar.\n");
}

/// A hostile upload: its name, bytes and declared type, and the problem it must get.
type Hostile = (
    &'static str,
    Vec<u8>,
    Option<&'static str>,
    &'static str,
    StatusCode,
);

/// One hostile upload per error, each built in code.
fn hostile_files() -> Vec<Hostile> {
    let lines = ["A perfectly readable sentence behind a password."; 3];
    let pdf = corpus_file("en-r-intro-statistical-models.pdf");
    let word = corpus_file("en-python-sorting-howto.docx");
    vec![
        (
            "encrypted.pdf",
            encrypted_pdf(&lines),
            Some("application/pdf"),
            "encrypted-document",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "scan.pdf",
            pdf_without_text(),
            Some("application/pdf"),
            "no-text-layer",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "truncated.pdf",
            pdf[..pdf.len() / 3].to_vec(),
            Some("application/pdf"),
            "corrupt-document",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "truncated.docx",
            word[..word.len() / 2].to_vec(),
            None,
            "corrupt-document",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "bomb.docx",
            zip_bomb_docx(65 * 1024 * 1024),
            None,
            "archive-expands-too-far",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "picture.pdf",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89"
                .to_vec(),
            Some("application/pdf"),
            "unsupported-document",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "slides.odp",
            b"some bytes".to_vec(),
            Some("application/vnd.oasis.opendocument.presentation"),
            "unsupported-document",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "chapter.pdf",
            word.clone(),
            Some("application/pdf"),
            "media-type-mismatch",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ]
}

#[tokio::test]
async fn hostile_files_are_refused_with_typed_errors() {
    let cases = hostile_files();
    assert_eq!(cases.len(), 8);
    for (name, bytes, media_type, _, _) in cases {
        let error = extract(bytes, media_type, Some(name)).await.unwrap_err();
        let expected = match name {
            "encrypted.pdf" => matches!(error, DocumentError::Encrypted),
            "scan.pdf" => matches!(error, DocumentError::NoTextLayer),
            "truncated.pdf" | "truncated.docx" => matches!(error, DocumentError::Corrupt { .. }),
            "bomb.docx" => matches!(error, DocumentError::ExpandsTooFar { .. }),
            "picture.pdf" | "slides.odp" => matches!(error, DocumentError::Unsupported { .. }),
            "chapter.pdf" => matches!(error, DocumentError::Mismatch { .. }),
            other => panic!("no expectation for {other}"),
        };
        assert!(expected, "{name}: {error:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Through the API

struct Api {
    state: AppState,
    key: String,
    _dir: tempfile::TempDir,
}

async fn api() -> Api {
    api_with(&[]).await
}

async fn api_with(extra: &[(&str, &str)]) -> Api {
    let (factory, dir) = started_factory(extra).await;
    let state = AppState::new(factory);
    let store = state.factory.pipeline.ports.store.as_ref();
    let key = create_key(
        store,
        &factory_shared::clock::SystemClock,
        "school",
        10_000,
        None,
    )
    .await
    .unwrap()
    .secret;
    Api {
        state,
        key,
        _dir: dir,
    }
}

const KINDS: [&str; 3] = ["outline", "faq", "flashcards"];

impl Api {
    async fn post(&self, uri: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.key))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        send(app(self.state.clone(), Function::Local), request).await
    }

    async fn json(&self, body: &Value) -> Answer {
        self.post(
            "/v1/bundles?wait=60",
            "application/json",
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    async fn upload(&self, name: &str, media_type: Option<&str>, bytes: &[u8]) -> Answer {
        let request = json!({"kinds": KINDS}).to_string();
        let (content_type, body) = multipart(name, media_type, bytes, Some(&request));
        self.post("/v1/bundles?wait=60", &content_type, body).await
    }

    async fn healthy(&self) -> bool {
        let request = Request::builder()
            .uri("/healthz")
            .body(Body::empty())
            .unwrap();
        send(app(self.state.clone(), Function::Local), request)
            .await
            .status
            == StatusCode::OK
    }
}

/// The kinds' files of an ended job (name → sha256), without the manifest (it names the source).
fn artifacts(job: &Value) -> Vec<(String, String)> {
    assert_eq!(job["status"], "succeeded", "{job:#}");
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
    assert!(files.len() >= KINDS.len() * 3, "{files:?}");
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_format_uploaded_gives_the_bundle_of_its_text() {
    let api = api().await;
    let mut cases: Vec<(&str, Vec<u8>, &str)> = SAMPLES
        .iter()
        .map(|s| (s.file, corpus_file(s.file), s.format.media_type()))
        .collect();
    cases.push((
        "en-python-tutorial-modules.md",
        corpus_file("en-python-tutorial-modules.md"),
        "text/markdown",
    ));
    cases.push((
        "en-linux-man-pipe.txt",
        corpus_file("en-linux-man-pipe.txt"),
        "text/plain",
    ));
    for (file, bytes, media_type) in cases {
        let text = extract(bytes.clone(), Some(media_type), Some(file))
            .await
            .unwrap();
        let from_text = api
            .json(&json!({"source": {"text": text}, "kinds": KINDS}))
            .await;
        assert_eq!(
            from_text.status,
            StatusCode::OK,
            "{file}: {}",
            String::from_utf8_lossy(&from_text.body)
        );
        let from_text = from_text.json();

        let uploaded = api.upload(file, Some(media_type), &bytes).await;
        assert_eq!(
            uploaded.status,
            StatusCode::OK,
            "{file}: {}",
            String::from_utf8_lossy(&uploaded.body)
        );
        let uploaded = uploaded.json();
        let inline = api
            .json(&json!({
                "source": {"file": {
                    "media_type": media_type,
                    "data": base64::engine::general_purpose::STANDARD.encode(&bytes),
                    "name": file,
                }},
                "kinds": KINDS,
            }))
            .await
            .json();

        for job in [&uploaded, &inline] {
            assert_eq!(
                job["source"]["sha256"], from_text["source"]["sha256"],
                "{file}"
            );
            assert_eq!(artifacts(job), artifacts(&from_text), "{file}");
            assert_eq!(job["source"]["name"], file);
            assert_eq!(job["source"]["file"]["media_type"], media_type);
            assert_eq!(job["source"]["file"]["bytes"], bytes.len());
            // The file itself is kept with the job, as it was sent.
            let id: JobId = job["id"].as_str().unwrap().parse().unwrap();
            let extension = Format::from_media_type(media_type)
                .unwrap()
                .unwrap()
                .extension();
            let kept = api
                .state
                .factory
                .pipeline
                .ports
                .objects
                .get(&layout::source_file(&id, extension))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{file}: the original is not kept"));
            assert!(
                kept == bytes,
                "{file}: the kept file differs from the upload"
            );
        }
        assert!(from_text["source"].get("file").is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_uploads_get_their_4xx_and_the_server_keeps_serving() {
    let api = api().await;
    let mut answered = 0;
    for (name, bytes, media_type, slug, status) in hostile_files() {
        let by_form = api.upload(name, media_type, &bytes).await;
        let problem = by_form.problem(status);
        assert_eq!(
            problem["type"],
            format!("https://ai-content-factory.dev/problems/{slug}"),
            "{name}"
        );
        assert_eq!(problem["errors"][0]["path"], "file", "{name}");

        let inline = api
            .json(&json!({"source": {"file": {
                "media_type": media_type.unwrap_or("application/octet-stream"),
                "data": base64::engine::general_purpose::STANDARD.encode(&bytes),
                "name": name,
            }}}))
            .await;
        let problem = inline.problem(status);
        assert_eq!(
            problem["type"],
            format!("https://ai-content-factory.dev/problems/{slug}"),
            "{name}"
        );
        assert_eq!(problem["errors"][0]["path"], "/source/file", "{name}");
        assert!(
            api.healthy().await,
            "the server stopped answering after {name}"
        );
        answered += 1;
    }
    assert_eq!(answered, 8);
    // And a good upload still goes through, here to a single kind's route.
    let word = corpus_file("it-debian-reference-i18n.docx");
    let (content_type, body) = multipart("i18n.docx", None, &word, None);
    let good = api.post("/v1/faq?wait=60", &content_type, body).await;
    assert_eq!(
        good.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&good.body)
    );
    let job = good.json();
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(
        job["source"]["file"]["media_type"],
        Format::Docx.media_type()
    );
}

#[tokio::test]
async fn malformed_upload_requests_name_what_is_wrong() {
    let api = api().await;
    let not_base64 = api
        .json(&json!({"source": {"file": {"media_type": "application/pdf", "data": "%%%"}}}))
        .await;
    assert_eq!(
        not_base64.problem(StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["path"],
        "/source/file/data"
    );
    let both = api
        .json(&json!({"source": {"text": "x".repeat(300), "file": {"media_type": "text/plain", "data": ""}}}))
        .await;
    assert_eq!(
        both.problem(StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["path"],
        "/source"
    );
    let source_in_form = {
        let (content_type, body) = multipart(
            "a.txt",
            Some("text/plain"),
            b"text",
            Some(r#"{"source": {"text": "y"}}"#),
        );
        api.post("/v1/bundles", &content_type, body).await
    };
    assert_eq!(
        source_in_form.problem(StatusCode::UNPROCESSABLE_ENTITY)["errors"][0]["path"],
        "/source"
    );
    let too_short = {
        let (content_type, body) = multipart(
            "short.txt",
            Some("text/plain"),
            b"Too short to teach from.",
            None,
        );
        api.post("/v1/bundles", &content_type, body).await
    };
    let problem = too_short.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["path"], "file");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too short"),
        "{problem}"
    );
}

/// PDFs that make `lopdf`/`pdf-extract` panic (found by the `pdf` fuzz target's replay, kept in
/// its seed corpus).
fn parser_panics() -> Vec<(String, Vec<u8>)> {
    ["a", "b", "c"]
        .iter()
        .map(|n| {
            let name = format!("panics-the-parser-{n}.pdf");
            let path = format!("{}/../fuzz/corpus/pdf/{name}", env!("CARGO_MANIFEST_DIR"));
            (name, std::fs::read(path).unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pdf_that_panics_its_parser_fails_only_its_own_upload() {
    let api = api().await;
    let cases = parser_panics();
    assert_eq!(cases.len(), 3);
    for (name, bytes) in cases {
        // The fixture is real: the parser itself panics on it.
        let raw = std::panic::catch_unwind(|| {
            documents::extract_blocking(Format::Pdf, &bytes, Limits::default())
        });
        assert!(raw.is_err(), "{name} no longer panics the parser: {raw:?}");

        let problem = api
            .upload(&name, Some("application/pdf"), &bytes)
            .await
            .problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            problem["type"], "https://ai-content-factory.dev/problems/corrupt-document",
            "{name}"
        );
        assert!(
            api.healthy().await,
            "the server stopped answering after {name}"
        );
    }
    let good = api
        .upload(
            "notes.pdf",
            None,
            &pdf_with_text(
                &["A cell is the smallest unit of life and every cell comes from another cell."; 6],
            ),
        )
        .await;
    assert_eq!(
        good.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&good.body)
    );
}

#[tokio::test]
async fn an_upload_past_the_body_limit_is_413_either_way() {
    let api = api_with(&[("FACTORY_BODY_LIMIT_BYTES", "65536")]).await;
    let word = corpus_file("it-debian-reference-i18n.docx");
    let big: Vec<u8> = word.iter().copied().cycle().take(100_000).collect();
    let (content_type, body) = multipart("big.docx", None, &big, None);
    let by_form = api.post("/v1/bundles", &content_type, body).await;
    assert_eq!(
        by_form.problem(StatusCode::PAYLOAD_TOO_LARGE)["type"],
        "https://ai-content-factory.dev/problems/payload-too-large"
    );
    let inline = api
        .json(&json!({"source": {"file": {
            "media_type": "application/octet-stream",
            "data": base64::engine::general_purpose::STANDARD.encode(&big),
        }}}))
        .await;
    inline.problem(StatusCode::PAYLOAD_TOO_LARGE);
    // Under the limit, the same file is read.
    let (content_type, body) = multipart("i18n.docx", None, &word, None);
    let fits = api
        .post("/v1/bundles?dry_run=true", &content_type, body)
        .await;
    assert_eq!(
        fits.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&fits.body)
    );
}

#[tokio::test]
async fn a_pdf_locked_only_by_an_owner_password_is_read() {
    let lines = ["Printing is restricted, reading is not."; 2];
    let locked = encrypted_pdf_with(&lines, "");
    assert!(
        pdf_extract::Document::load_mem(&locked)
            .unwrap()
            .was_encrypted(),
        "the fixture is not encrypted"
    );
    assert_eq!(
        extract(locked, Some("application/pdf"), None)
            .await
            .unwrap(),
        "Printing is restricted, reading is not.\nPrinting is restricted, reading is not.\n"
    );
}
