//! Fuzz target `markdown_html`: the renderer's promise that untrusted Markdown becomes HTML
//! with no scripts, no event handlers and no foreign styles (`render.rs`).
//!
//! The input (lossily decoded) is rendered as a fragment, and as a page whose title is its
//! first line. Both are scanned tag by tag: no element that runs code or brings styles, no
//! `on*` or `style` attribute, no `javascript:`-like URL; the page's title stays text.

use factory_shared::render::{html_page, markdown_to_html};

/// Elements the sanitizer must never let through: they run code, load other documents or
/// bring styles.
const FORBIDDEN_ELEMENTS: [&str; 12] = [
    "script", "style", "link", "iframe", "frame", "frameset", "object", "embed", "base", "meta",
    "form", "svg",
];

/// Attributes that hold a URL a browser would follow or load.
const URL_ATTRIBUTES: [&str; 7] = [
    "href",
    "src",
    "action",
    "formaction",
    "cite",
    "poster",
    "xlink:href",
];

pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    sanitized(&markdown_to_html(&text));
    let (title, markdown) = text.split_once('\n').unwrap_or((&text, ""));
    let page = html_page(title, markdown);
    assert!(page.starts_with("<!DOCTYPE html>\n"), "{page}");
    let title_text = between(&page, "<title>", "</title>");
    assert!(
        !title_text.contains(['<', '>']),
        "the title {title:?} became markup: {title_text}"
    );
    sanitized(between(&page, "<body>\n", "</body>"));
}

/// The one piece of `page` between `open` and `close`; each must occur exactly once, or
/// the Markdown added structure to the page.
fn between<'p>(page: &'p str, open: &str, close: &str) -> &'p str {
    assert_eq!(page.matches(open).count(), 1, "{open:?} in {page}");
    assert_eq!(page.matches(close).count(), 1, "{close:?} in {page}");
    let start = page.find(open).map(|i| i + open.len());
    let end = page.find(close);
    match (start, end) {
        (Some(start), Some(end)) if start <= end => &page[start..end],
        _ => panic!("{open:?} does not come before {close:?} in {page}"),
    }
}

/// Scans serialized HTML: text never holds a raw `<`, so each `<` opens a tag.
pub fn sanitized(html: &str) {
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        let tag = Tag::read(&rest[open + 1..]);
        let name = tag.name.to_ascii_lowercase();
        assert!(
            !FORBIDDEN_ELEMENTS.contains(&name.as_str()),
            "<{name}> survived in {html}"
        );
        for (attribute, value) in &tag.attributes {
            let attribute = attribute.to_ascii_lowercase();
            assert!(
                !attribute.starts_with("on") && attribute != "style" && attribute != "srcdoc",
                "{attribute}={value:?} survived on <{name}> in {html}"
            );
            if URL_ATTRIBUTES.contains(&attribute.as_str()) {
                let url = browser_url(value);
                assert!(
                    !["javascript:", "vbscript:", "data:"]
                        .iter()
                        .any(|scheme| url.starts_with(scheme)),
                    "{attribute}={value:?} survived on <{name}> in {html}"
                );
            }
        }
        rest = &rest[open + 1 + tag.length..];
    }
}

/// One start or end tag, read from just after its `<`.
#[derive(Debug)]
struct Tag<'h> {
    name: &'h str,
    attributes: Vec<(&'h str, &'h str)>,
    /// Bytes up to and including the closing `>` (or to the end of the input).
    length: usize,
}

impl<'h> Tag<'h> {
    fn read(text: &'h str) -> Self {
        let bytes = text.as_bytes();
        let mut i = usize::from(bytes.first() == Some(&b'/'));
        let name_start = i;
        while i < bytes.len() && !is_tag_delimiter(bytes[i]) {
            i += 1;
        }
        let name = &text[name_start..i];
        let mut attributes = Vec::new();
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                break;
            }
            let attribute_start = i;
            while i < bytes.len() && !is_tag_delimiter(bytes[i]) && bytes[i] != b'=' {
                i += 1;
            }
            let attribute = &text[attribute_start..i];
            let mut value = "";
            if bytes.get(i) == Some(&b'=') {
                i += 1;
                if bytes.get(i) == Some(&b'"') {
                    let value_start = i + 1;
                    let value_end = text[value_start..]
                        .find('"')
                        .map_or(text.len(), |end| value_start + end);
                    value = &text[value_start..value_end];
                    i = (value_end + 1).min(text.len());
                } else {
                    let value_start = i;
                    while i < bytes.len() && !is_tag_delimiter(bytes[i]) {
                        i += 1;
                    }
                    value = &text[value_start..i];
                }
            }
            attributes.push((attribute, value));
        }
        Self {
            name,
            attributes,
            length: (i + 1).min(text.len()),
        }
    }
}

fn is_tag_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b == b'>' || b == b'/'
}

/// An attribute value as a browser reads a URL from it (WHATWG URL parsing): the entities
/// the serializer writes decoded once, leading and trailing controls and spaces trimmed,
/// tabs and newlines removed, lower-cased.
fn browser_url(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .to_ascii_lowercase()
}
