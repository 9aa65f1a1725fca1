//! HTML → Markdown: `dom_smoothie` (a port of Mozilla's Readability) keeps the article and drops
//! navigation, headers, footers and sidebars, then writes the article as Markdown (headings,
//! lists, paragraphs). Links keep their text and lose their address, images are dropped: the
//! source is text that spans refer to, not a page to render.

use dom_smoothie::{Config, Readability, TextMode};

use super::{DocumentError, join_blocks};

/// Pages with more elements than this are refused rather than scored.
const MAX_ELEMENTS: usize = 200_000;

pub fn extract(html: &str) -> Result<String, DocumentError> {
    let config = Config {
        text_mode: TextMode::Markdown,
        max_elements_to_parse: MAX_ELEMENTS,
        ..Config::default()
    };
    let corrupt = |reason: String| DocumentError::Corrupt {
        format: "HTML",
        reason,
    };
    let article = Readability::new(html, None, Some(config))
        .and_then(|mut readability| readability.parse())
        .map_err(|e| corrupt(format!("no article found ({e})")))?;
    // `¶`: the permalink anchors documentation generators put after each heading.
    let body = strip_links(&article.text_content).replace('¶', "");
    let title = article.title.replace('¶', "");
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    // "Chapter — Site name": the site's name is not part of the document's title.
    let title = [" — ", " | "]
        .iter()
        .find_map(|separator| title.rsplit_once(separator).map(|(page, _)| page))
        .unwrap_or(&title);
    let has_title = body.trim_start().starts_with("# ");
    let heading = (!title.is_empty() && !has_title).then(|| format!("# {title}"));
    Ok(join_blocks(heading.into_iter().chain(
        body.split("\n\n").map(|block| block.trim_end().to_owned()),
    )))
}

/// `[text](url)` → `text`; `![alt](url)` → nothing.
fn strip_links(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    while let Some(open) = rest.find('[') {
        let image = open > 0 && rest.as_bytes()[open - 1] == b'!';
        let parsed = rest[open + 1..].find("](").and_then(|close| {
            let text_end = open + 1 + close;
            let url_start = text_end + 2;
            let url_end = url_start + rest[url_start..].find(')')?;
            let text = &rest[open + 1..text_end];
            // The address may carry a title: `(url "title")`.
            (!text.contains('\n') && !rest[url_start..url_end].contains('\n'))
                .then_some((text, url_end + 1))
        });
        if let Some((text, end)) = parsed {
            if image {
                out.push_str(&rest[..open - 1]);
            } else {
                out.push_str(&rest[..open]);
                out.push_str(text);
            }
            rest = &rest[end..];
        } else {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_their_text_and_images_go() {
        assert_eq!(
            strip_links(
                "See [the guide](https://x.y/a \"Guide\") now. ![logo](l.png) [not a link]"
            ),
            "See the guide now.  [not a link]"
        );
    }
}
