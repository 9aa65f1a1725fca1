//! The fuzz targets without a fuzzer: every file of each committed corpus
//! (`fuzz/corpus/<target>/`), then a fixed series of mutations of those files, goes through
//! the same target body libFuzzer runs (`fuzz/targets/<target>.rs`, included here as a
//! module), and any panic fails the test with the target, the input's origin and its bytes.
//!
//! The mutations come from a seeded xorshift generator, so every run replays the same
//! inputs: a failure here reproduces with `cargo test`, on stable, without libFuzzer.

#[path = "../../../fuzz/targets/docx.rs"]
mod docx;
#[path = "../../../fuzz/targets/extraction.rs"]
mod extraction;
#[path = "../../../fuzz/targets/html.rs"]
mod html;
#[path = "../../../fuzz/targets/markdown_html.rs"]
mod markdown_html;
#[path = "../../../fuzz/targets/model_output.rs"]
mod model_output;
#[path = "../../../fuzz/targets/pdf.rs"]
mod pdf;
#[path = "../../../fuzz/targets/request_body.rs"]
mod request_body;
#[path = "../../../fuzz/targets/source.rs"]
mod source;

use std::any::Any;
use std::fmt::Write as _;
use std::panic;
use std::path::{Path, PathBuf};

#[test]
fn the_request_body_corpus_and_its_mutations_parse_without_panics() {
    replay("request_body", request_body::run, 5_000);
}

#[test]
fn the_model_output_corpus_and_its_mutations_parse_without_panics() {
    replay("model_output", model_output::run, 5_000);
}

#[test]
fn the_source_corpus_and_its_mutations_parse_without_panics() {
    replay("source", source::run, 2_000);
}

#[test]
fn the_pdf_corpus_and_its_mutations_give_text_or_a_typed_refusal() {
    replay("pdf", pdf::run, 1_000);
}

#[test]
fn the_docx_corpus_and_its_mutations_give_markdown_or_a_typed_refusal() {
    replay("docx", docx::run, 1_000);
}

#[test]
fn the_html_corpus_and_its_mutations_give_markdown_or_a_typed_refusal() {
    replay("html", html::run, 1_000);
}

#[test]
fn the_markdown_html_corpus_and_its_mutations_render_safely() {
    replay("markdown_html", markdown_html::run, 5_000);
}

/// The `markdown_html` checks are not vacuous: HTML the sanitizer must never emit fails them.
#[test]
fn the_html_scanner_flags_what_the_sanitizer_must_remove() {
    for unsafe_html in [
        "<p>x</p><script>alert(1)</script>",
        "<SCRIPT>",
        "<img src=\"x\" onerror=\"alert(1)\">",
        "<a href=\" JaVa\tscript:x\">",
        "<a title=\"a > b\" href=\"java\tscript:alert(1)\">x</a>",
        "<p style=\"color:red\">x</p>",
        "<img src=\"data:image/png;base64,AAAA\">",
        "<a href=x onclick=y>",
    ] {
        let flagged = panic::catch_unwind(|| markdown_html::sanitized(unsafe_html)).is_err();
        assert!(flagged, "not flagged: {unsafe_html}");
    }
    markdown_html::sanitized(
        "<p>a &lt;script&gt; <a href=\"https://x.test/?a=1&amp;b=2\" rel=\"noopener\">on</a></p>",
    );
}

/// Runs every seed of `target`'s corpus, then `mutations` inputs derived from them.
fn replay(target: &str, run: fn(&[u8]), mutations: usize) {
    let seeds = corpus(target);
    for (name, bytes) in &seeds {
        check(target, run, &format!("corpus file {name}"), bytes);
    }
    let mut rng = XorShift(0x5EED_F00D_CAFE_D00D);
    for i in 0..mutations {
        let (origin, bytes) = mutate(&seeds, &mut rng);
        check(target, run, &format!("mutation {i} of {origin}"), &bytes);
    }
}

/// The corpus files of `target`, sorted by name; a missing or empty corpus fails the test,
/// so a wrong path cannot make the replay pass with nothing to run.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "fuzz", "corpus", target]
        .iter()
        .collect();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the corpus {}: {e}", dir.display()));
    let mut files: Vec<(String, Vec<u8>)> = entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            (
                file_name(&path),
                std::fs::read(&path).expect("a corpus file"),
            )
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the corpus {} is empty", dir.display());
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs one input, failing with everything needed to reproduce a panic.
fn check(target: &str, run: fn(&[u8]), origin: &str, input: &[u8]) {
    if let Err(payload) = panic::catch_unwind(|| run(input)) {
        let message = message(payload.as_ref());
        let lossy = String::from_utf8_lossy(input);
        panic!(
            "fuzz target `{target}` panicked on {origin}: {message}\n\
             input ({} bytes, hex): {}\ninput (lossy): {lossy:?}",
            input.len(),
            hex(input),
        );
    }
}

fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(a non-string panic)")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

// ---------------------------------------------------------------------------------------------
// Mutations

/// The longest mutated input, as libFuzzer's default `-max_len` for a small corpus.
const MAX_LEN: usize = 4_096;

/// Fragments the parsers treat specially, spliced in at random places.
const TOKENS: [&[u8]; 24] = [
    b"{",
    b"}",
    b"\"",
    b"[",
    b"]",
    b":",
    b",",
    b"\\u0000",
    b"\n",
    b"\r\n",
    b"\r\n\r\n",
    b"```",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\0",
    b"<script>",
    b"# ",
    b"- ",
    b"> ",
    b"1. ",
    b"1e400",
    b"-1",
    b"18446744073709551616",
    "é日🌱".as_bytes(),
];

/// One seed changed by one to three edits; the origin names the seeds it came from.
fn mutate(seeds: &[(String, Vec<u8>)], rng: &mut XorShift) -> (String, Vec<u8>) {
    let (name, seed) = &seeds[rng.below(seeds.len())];
    let mut origin = name.clone();
    let mut bytes = seed.clone();
    for _ in 0..=rng.below(3) {
        let len = bytes.len();
        match rng.below(6) {
            // Flip a few bits.
            0 => {
                for _ in 0..=rng.below(8) {
                    if len > 0 {
                        bytes[rng.below(len)] ^= 1 << rng.below(8);
                    }
                }
            }
            // Overwrite a byte with any value.
            1 if len > 0 => bytes[rng.below(len)] = rng.next() as u8,
            // Cut the input short.
            2 => bytes.truncate(rng.below(len + 1)),
            // Repeat a slice where it stands.
            3 => {
                let start = rng.below(len + 1);
                let end = start + rng.below(len - start + 1).min(256);
                let copy = bytes[start..end].to_vec();
                bytes.splice(start..start, copy.iter().copied());
            }
            // Join the front of this input to the back of another seed.
            4 => {
                let (other_name, other) = &seeds[rng.below(seeds.len())];
                bytes.truncate(rng.below(len + 1));
                bytes.extend_from_slice(&other[rng.below(other.len() + 1)..]);
                origin = format!("{origin} + {other_name}");
            }
            // Insert a token the parsers care about.
            _ => {
                let at = rng.below(len + 1);
                let token = TOKENS[rng.below(TOKENS.len())];
                bytes.splice(at..at, token.iter().copied());
            }
        }
    }
    bytes.truncate(MAX_LEN);
    (origin, bytes)
}

/// Marsaglia's xorshift64: tiny, fast and the same everywhere.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (`n` > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
