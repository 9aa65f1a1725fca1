//! Documents made in code for the upload tests and fuzz seeds: small PDFs (with text, with no
//! text layer, encrypted), DOCX files (with headings and lists, and a zip bomb), each built the
//! same way on every run so a failure reproduces.

use std::io::{Cursor, Write};

/// A one-page PDF with one line of Helvetica text per entry of `lines`.
pub fn pdf_with_text(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 14 TL 56 780 Td\n");
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({escaped}) Tj T*\n"));
    }
    content.push_str("ET\n");
    pdf(&content, "/Font << /F1 5 0 R >>")
}

/// A one-page PDF that paints a grey 8×8 image and a rectangle: what a scan looks like to a
/// text extractor (no text layer at all).
pub fn pdf_without_text() -> Vec<u8> {
    let content = "q 0.5 g 56 600 300 150 re f Q\nq 200 0 0 200 56 300 cm BI /W 8 /H 8 /CS /G /BPC 8 ID\n\
                   ................................................................\nEI Q\n";
    pdf(content, "")
}

/// [`pdf_with_text`] encrypted (RC4, 128 bits) with the user password `secret`.
pub fn encrypted_pdf(lines: &[&str]) -> Vec<u8> {
    encrypted_pdf_with(lines, "secret")
}

/// [`pdf_with_text`] encrypted (RC4, 128 bits) with this user password; an empty one makes a
/// PDF anyone may open whose owner password restricts printing or copying.
pub fn encrypted_pdf_with(lines: &[&str], user_password: &str) -> Vec<u8> {
    use pdf_extract::encryption::{EncryptionState, EncryptionVersion, Permissions};
    let mut document =
        pdf_extract::Document::load_mem(&pdf_with_text(lines)).expect("the PDF built above loads");
    let version = EncryptionVersion::V2 {
        document: &document,
        owner_password: "owner",
        user_password,
        key_length: 128,
        permissions: Permissions::default(),
    };
    let state = EncryptionState::try_from(version).expect("RC4 encryption state");
    document.encrypt(&state).expect("encrypts");
    let mut out = Vec::new();
    document.save_to(&mut out).expect("saves");
    out
}

/// A PDF whose single page shows `content`, with `resources` (font dictionary entries), and a
/// correct cross-reference table.
fn pdf(content: &str, resources: &str) -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << {resources} >> >>"
        ),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len() + 1
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    ];
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A paragraph of a DOCX: its style id (`Heading1`, `ListBullet`, … or none) and text.
#[derive(Debug, Clone, Copy)]
pub enum Paragraph<'a> {
    Heading(u8, &'a str),
    Bullet(&'a str),
    Numbered(&'a str),
    Text(&'a str),
}

/// A DOCX with these paragraphs; headings use the built-in `Heading N` styles, list items the
/// numbering definitions 1 (bullets) and 2 (decimal).
pub fn docx(paragraphs: &[Paragraph<'_>]) -> Vec<u8> {
    let mut body = String::new();
    for paragraph in paragraphs {
        let (properties, text) = match paragraph {
            Paragraph::Heading(level, text) => {
                (format!("<w:pStyle w:val=\"Heading{level}\"/>"), text)
            }
            Paragraph::Bullet(text) => (numbered(1), text),
            Paragraph::Numbered(text) => (numbered(2), text),
            Paragraph::Text(text) => (String::new(), text),
        };
        let text = text.replace('&', "&amp;").replace('<', "&lt;");
        body.push_str(&format!(
            "<w:p><w:pPr>{properties}</w:pPr><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>"
        ));
    }
    zip(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes().to_vec()),
        ("word/document.xml", document_xml(&body).into_bytes()),
        ("word/styles.xml", STYLES.as_bytes().to_vec()),
        ("word/numbering.xml", NUMBERING.as_bytes().to_vec()),
    ])
}

fn numbered(id: u8) -> String {
    format!("<w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"{id}\"/></w:numPr>")
}

/// A DOCX whose `word/document.xml` expands to `expanded` bytes (one long run of spaces inside
/// a paragraph) while the file stays small.
pub fn zip_bomb_docx(expanded: usize) -> Vec<u8> {
    let head = document_xml("<w:p><w:r><w:t>");
    let (open, close) = head.split_at(head.find("</w:body>").expect("a body"));
    let mut xml = Vec::with_capacity(expanded + 200);
    xml.extend_from_slice(open.as_bytes());
    xml.resize(expanded, b' ');
    xml.extend_from_slice(b"</w:t></w:r></w:p>");
    xml.extend_from_slice(close.as_bytes());
    zip(&[
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes().to_vec()),
        ("word/document.xml", xml),
    ])
}

fn document_xml(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    )
}

fn zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default());
    for (name, bytes) in entries {
        writer.start_file(*name, options).expect("a zip entry");
        writer.write_all(bytes).expect("zip entry bytes");
    }
    writer.finish().expect("a zip").into_inner()
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style><w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/></w:style></w:styles>"#;

const NUMBERING: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:abstractNum w:abstractNumId="10"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/></w:lvl></w:abstractNum><w:abstractNum w:abstractNumId="20"><w:lvl w:ilvl="0"><w:numFmt w:val="decimal"/></w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="10"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="20"/></w:num></w:numbering>"#;

/// A `multipart/form-data` body with a `file` part (`name`, `content_type`, `bytes`) and, if
/// given, a `request` part of JSON; returns the body's content type and bytes.
pub fn multipart(
    name: &str,
    content_type: Option<&str>,
    bytes: &[u8],
    request: Option<&str>,
) -> (String, Vec<u8>) {
    const BOUNDARY: &str = "factory-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    if let Some(request) = request {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n{request}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        )
        .as_bytes(),
    );
    if let Some(content_type) = content_type {
        body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={BOUNDARY}"), body)
}
