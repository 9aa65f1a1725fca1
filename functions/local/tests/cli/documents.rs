//! `factory generate` on PDF, DOCX and HTML files: the same bundle as from the text read from
//! them, and a clear refusal (exit code 2, the reason on standard error) for hostile files.

use std::path::{Path, PathBuf};

use factory_shared::documents::{self, Limits};
use factory_testkit::documents::{encrypted_pdf, pdf_without_text, zip_bomb_docx};

use crate::support::factory;
use crate::{run, text};

const KINDS: &str = "outline,faq,flashcards";

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../corpus/docs")
        .join(name)
}

/// The files `generate` wrote for the kinds (not the manifest, which names the source file).
fn outputs(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            !matches!(
                p.file_name().unwrap().to_str(),
                Some("manifest.json" | "bundle.zip")
            )
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn generate(home: &Path, source: &Path, out: &Path) {
    let output = run(factory(home)
        .arg("generate")
        .arg(source)
        .args(["--kinds", KINDS, "--no-cache", "--no-audio", "--out"])
        .arg(out));
    assert!(
        output.status.success(),
        "{}: {}\n{}",
        source.display(),
        text(&output.stdout),
        text(&output.stderr)
    );
}

#[test]
fn generate_reads_pdf_docx_and_html_like_their_text() {
    for name in [
        "en-r-intro-statistical-models.pdf",
        "en-python-sorting-howto.docx",
        "fr-debian-faq-choisir-distribution.html",
    ] {
        let home = tempfile::tempdir().unwrap();
        let file = corpus(name);
        let bytes = std::fs::read(&file).unwrap();
        let format = documents::identify(&bytes, None, Some(name)).unwrap();
        let extracted = documents::extract_blocking(format, &bytes, Limits::default()).unwrap();
        let as_text = home.path().join("extracted.md");
        std::fs::write(&as_text, &extracted).unwrap();

        let (from_file, from_text) = (home.path().join("file"), home.path().join("text"));
        generate(home.path(), &file, &from_file);
        generate(home.path(), &as_text, &from_text);
        let (from_file, from_text) = (outputs(&from_file), outputs(&from_text));
        assert!(
            from_file.len() >= 9,
            "{name}: {:?}",
            from_file.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        assert!(
            from_file == from_text,
            "{name}: the bundle differs from its text's"
        );
    }
}

#[test]
fn generate_refuses_hostile_documents_with_a_clear_reason() {
    let home = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = home.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let pdf = std::fs::read(corpus("en-r-intro-statistical-models.pdf")).unwrap();
    let word = std::fs::read(corpus("en-python-sorting-howto.docx")).unwrap();
    let cases = [
        (
            write("locked.pdf", &encrypted_pdf(&["Behind a password."; 3])),
            "encrypted with a password",
        ),
        (write("scan.pdf", &pdf_without_text()), "no text layer"),
        (
            write("cut.pdf", &pdf[..pdf.len() / 3]),
            "damaged or not a valid PDF",
        ),
        (
            write("cut.docx", &word[..word.len() / 2]),
            "damaged or not a valid DOCX",
        ),
        (
            write("bomb.docx", &zip_bomb_docx(65 * 1024 * 1024)),
            "zip bomb",
        ),
        (
            write("photo.pdf", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            "a PNG image is not a format the factory reads",
        ),
        (
            write("chapter.pdf", &word),
            "declared as PDF but its content is DOCX",
        ),
    ];
    for (path, reason) in cases {
        let output = run(factory(home.path()).arg("generate").arg(&path));
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {}",
            path.display(),
            text(&output.stderr)
        );
        assert!(
            text(&output.stderr).contains(reason),
            "{}: {}",
            path.display(),
            text(&output.stderr)
        );
    }
}
