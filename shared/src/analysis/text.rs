//! Word-level text processing for the analysis: sentence splitting, tokens,
//! English stop words, inline-Markdown cleanup and title casing.

use std::ops::Range;

/// Splits a block into sentence byte ranges (relative to `text`), trimmed of whitespace.
/// A sentence ends at `.`, `!` or `?` (optionally followed by closing quotes or brackets)
/// that is followed by whitespace and then an upper-case letter, a digit or an opening quote,
/// unless the word before the stop is a known abbreviation or a single letter.
pub fn split_sentences(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut sentences = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'.' | b'!' | b'?') {
            let mut end = i + 1;
            while end < bytes.len()
                && matches!(bytes[end], b'"' | b'\'' | b')' | b']' | b'.' | b'!' | b'?')
            {
                end += 1;
            }
            let ws = bytes[end..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            let next = text[end + ws..].chars().next();
            let boundary = ws > 0
                && next.is_some_and(|c| {
                    c.is_uppercase()
                        || c.is_ascii_digit()
                        || matches!(c, '"' | '\'' | '(' | '*' | '_' | '[')
                })
                && !(b == b'.' && ends_with_abbreviation(&text[start..i]));
            if boundary || end == bytes.len() {
                push_trimmed(text, start..end, &mut sentences);
                start = end;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    push_trimmed(text, start..bytes.len(), &mut sentences);
    sentences
}

fn push_trimmed(text: &str, range: Range<usize>, out: &mut Vec<Range<usize>>) {
    let slice = &text[range.clone()];
    let lead = slice.len() - slice.trim_start().len();
    let trimmed = slice.trim();
    if trimmed.chars().any(char::is_alphanumeric) {
        let start = range.start + lead;
        out.push(start..start + trimmed.len());
    }
}

fn ends_with_abbreviation(before: &str) -> bool {
    const ABBREVIATIONS: &[&str] = &[
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "al",
        "fig", "no", "vol", "approx", "ca", "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun",
        "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "ph.d",
    ];
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or_default();
    let lower = word.to_ascii_lowercase();
    (word.chars().count() == 1 && word.chars().all(char::is_alphabetic))
        || ABBREVIATIONS.contains(&lower.as_str())
}

/// Lower-cased word tokens (letters and digits; inner hyphens and apostrophes kept).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .map(|w| w.trim_matches(|c| c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// English function words that carry no topic.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.binary_search(&word).is_ok()
}

// Sorted, so lookups can binary-search.
pub(crate) const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "almost",
    "already",
    "also",
    "although",
    "always",
    "am",
    "among",
    "an",
    "and",
    "another",
    "any",
    "are",
    "around",
    "as",
    "at",
    "based",
    "be",
    "became",
    "because",
    "become",
    "becomes",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "called",
    "can",
    "cannot",
    "consider",
    "considered",
    "could",
    "did",
    "different",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "either",
    "enough",
    "especially",
    "even",
    "eventually",
    "ever",
    "every",
    "few",
    "first",
    "for",
    "from",
    "further",
    "generally",
    "given",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "however",
    "i",
    "if",
    "immediately",
    "in",
    "include",
    "included",
    "includes",
    "including",
    "instead",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "known",
    "later",
    "least",
    "less",
    "let",
    "lets",
    "like",
    "made",
    "mainly",
    "make",
    "makes",
    "many",
    "may",
    "might",
    "more",
    "most",
    "mostly",
    "much",
    "must",
    "my",
    "neither",
    "never",
    "no",
    "nor",
    "normally",
    "not",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "others",
    "our",
    "out",
    "over",
    "own",
    "per",
    "perhaps",
    "quite",
    "rather",
    "really",
    "same",
    "second",
    "set",
    "several",
    "she",
    "should",
    "simply",
    "since",
    "so",
    "some",
    "still",
    "such",
    "take",
    "takes",
    "than",
    "that",
    "the",
    "their",
    "them",
    "themselves",
    "then",
    "there",
    "therefore",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "thus",
    "to",
    "too",
    "took",
    "two",
    "typically",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "use",
    "used",
    "uses",
    "using",
    "usually",
    "very",
    "was",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
];

/// Words that make a sentence depend on the one before it when they open it.
pub fn is_dangling_opener(word: &str) -> bool {
    matches!(
        word,
        "it" | "this"
            | "these"
            | "those"
            | "they"
            | "he"
            | "she"
            | "its"
            | "their"
            | "his"
            | "her"
            | "such"
            | "however"
            | "also"
            | "then"
            | "that"
            | "there"
            | "here"
            | "both"
            | "so"
            | "but"
            | "and"
            | "or"
    )
}

/// Inline Markdown removed for display: emphasis markers, code ticks, links `[t](u)` → `t`,
/// and line breaks folded into spaces. The words stay those of the source.
pub fn clean_inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let emphasis = match c {
            '[' => true,
            // Markers count only at a word's edge: `snake_case` and `2*3` keep theirs.
            '*' | '`' | '_' => {
                out.is_empty()
                    || out.ends_with(|p: char| !p.is_alphanumeric())
                    || chars.peek().is_none_or(|n| !n.is_alphanumeric())
            }
            _ => false,
        };
        if emphasis {
            continue;
        }
        match c {
            ']' if chars.peek() == Some(&'(') => {
                for skipped in chars.by_ref() {
                    if skipped == ')' {
                        break;
                    }
                }
            }
            '\n' | '\t' | ' ' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            _ => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// "light reactions" → "Light Reactions"; short function words stay lower-case inside.
pub fn title_case(phrase: &str) -> String {
    phrase
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i > 0
                && matches!(
                    w,
                    "a" | "an"
                        | "and"
                        | "as"
                        | "at"
                        | "by"
                        | "for"
                        | "in"
                        | "of"
                        | "on"
                        | "or"
                        | "the"
                        | "to"
                )
            {
                w.to_owned()
            } else {
                let mut cs = w.chars();
                cs.next()
                    .map(|f| f.to_uppercase().chain(cs).collect())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Upper-cases the first character.
pub fn capitalize(text: &str) -> String {
    let mut cs = text.chars();
    cs.next()
        .map(|f| f.to_uppercase().chain(cs).collect())
        .unwrap_or_default()
}

/// Lower-case, alphanumerics only, single spaces: "What is  TCP?" == "what is tcp".
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        split_sentences(text)
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn sentences_split_on_terminal_punctuation_but_not_abbreviations() {
        assert_eq!(
            sentences(
                "Dr. Smith met Mr. Jones. They talked, e.g. about rain! Did it stop? Yes. 3.5 is a number."
            ),
            [
                "Dr. Smith met Mr. Jones.",
                "They talked, e.g. about rain!",
                "Did it stop?",
                "Yes.",
                "3.5 is a number."
            ]
        );
    }

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stop_word("the") && !is_stop_word("chlorophyll"));
    }

    #[test]
    fn inline_markdown_is_cleaned() {
        assert_eq!(
            clean_inline("A **bold** `code`\nand [link](http://x.y) here"),
            "A bold code and link here"
        );
        assert_eq!(clean_inline("snake_case stays"), "snake_case stays");
    }

    #[test]
    fn title_case_keeps_small_words_low() {
        assert_eq!(title_case("rise of the republic"), "Rise of the Republic");
    }
}
