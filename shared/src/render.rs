//! Renderings for people: CommonMark to sanitized HTML in a small standalone page.
//!
//! Artifact text comes from sources and models, so it is untrusted: the HTML is cleaned by
//! ammonia (no scripts, no event handlers, no foreign styles) and the page carries a strict
//! Content-Security-Policy of its own.

use pulldown_cmark::{Options, Parser, html};

/// Markdown to sanitized HTML (a fragment).
pub fn markdown_to_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut unsafe_html = String::with_capacity(markdown.len() * 5 / 4);
    html::push_html(&mut unsafe_html, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&unsafe_html)
        .to_string()
}

/// A complete HTML page around sanitized Markdown.
pub fn html_page(title: &str, markdown: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n\
         <style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.55}}\
         table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.3rem .5rem;vertical-align:top}}</style>\n\
         </head>\n<body>\n{}</body>\n</html>\n",
        ammonia::clean_text(title),
        markdown_to_html(markdown)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let html = markdown_to_html(
            "# Hi\n\n<script>alert(1)</script><img src=x onerror=alert(2)>\n\n[x](javascript:alert(3))",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("<h1>Hi</h1>"));
    }

    #[test]
    fn titles_are_escaped_in_the_page() {
        let page = html_page("<b>x</b>", "text");
        assert!(
            page.contains("<title>&lt;b&gt;x&lt;&#47;b&gt;</title>"),
            "{page}"
        );
    }
}
