//! Rule checking for artifacts: a [`Checks`] collector that records every violation with a
//! JSON Pointer path, and the context a validator needs (outline, source length, options).

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::options::CountRange;
use super::{Kind, Options, Outline, SourceRef};
use crate::analysis::text::normalize;

/// One broken rule: where (a JSON Pointer into the artifact), which rule, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub path: String,
    pub rule: Rule,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}",
            if self.path.is_empty() {
                "/"
            } else {
                &self.path
            },
            self.message
        )
    }
}

/// The families of rules, so clients and repair prompts can act on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    Count,
    Length,
    Required,
    Question,
    Duplicate,
    Title,
    Reference,
    Order,
    /// A question's choices do not hold exactly one correct answer.
    Answer,
    /// A distractor that gives the answer away (the answer reworded, another type of thing).
    Distractor,
    /// A learning objective that no practice item of the bundle serves.
    Coverage,
}

/// What validators compare against besides the artifact itself.
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    /// The job's outline; required to validate derivatives (title and section references).
    pub outline: Option<&'a Outline>,
    /// Length in characters of a text source, to bound spans; `None` for topic sources.
    pub source_chars: Option<usize>,
    pub options: &'a Options,
}

/// Collects violations while a validator walks an artifact.
#[derive(Debug, Default)]
pub struct Checks {
    violations: Vec<Violation>,
}

impl Checks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn into_violations(self) -> Vec<Violation> {
        self.violations
    }

    pub fn fail(&mut self, path: impl Into<String>, rule: Rule, message: impl Into<String>) {
        self.violations.push(Violation {
            path: path.into(),
            rule,
            message: message.into(),
        });
    }

    /// The number of items lies in `range`.
    pub fn count(&mut self, path: &str, what: &str, n: usize, range: CountRange) {
        if !range.contains(n) {
            let wanted = if range.min == range.max {
                format!("exactly {}", range.min)
            } else {
                format!("{} to {}", range.min, range.max)
            };
            self.fail(
                path,
                Rule::Count,
                format!("needs {wanted} {what}, found {n}"),
            );
        }
    }

    /// The number of `kind`'s items lies in the range the options allow: the requested count
    /// exactly, else the kind's whole range.
    pub fn item_count(
        &mut self,
        ctx: &ValidationContext<'_>,
        kind: Kind,
        path: &str,
        what: &str,
        n: usize,
    ) {
        if let Some(range) = ctx.options.allowed_count(kind) {
            self.count(path, what, n, range);
        }
    }

    /// The text's length in characters lies in `min..=max` (after trimming).
    pub fn length(&mut self, path: &str, text: &str, min: usize, max: usize) {
        let n = text.trim().chars().count();
        if n == 0 && min > 0 {
            self.fail(path, Rule::Required, "must not be empty");
        } else if n < min {
            self.fail(
                path,
                Rule::Length,
                format!("must hold at least {min} characters, found {n}"),
            );
        } else if n > max {
            self.fail(
                path,
                Rule::Length,
                format!("must hold at most {max} characters, found {n}"),
            );
        }
    }

    /// A question of at least `min` characters that ends with a question mark.
    pub fn question(&mut self, path: &str, text: &str, min: usize) {
        self.length(path, text, min, 500);
        // ASCII, full-width (CJK) and Arabic question marks.
        if !text.trim_end().ends_with(['?', '\u{ff1f}', '\u{61f}']) {
            self.fail(path, Rule::Question, "a question must end with \"?\"");
        }
    }

    /// No two items share a normalized key; each repeat is reported at its own path.
    pub fn unique<'s>(&mut self, what: &str, items: impl IntoIterator<Item = (String, &'s str)>) {
        let mut seen: HashMap<String, String> = HashMap::new();
        for (path, text) in items {
            let key = normalize(text);
            if let Some(first) = seen.get(&key) {
                self.fail(
                    &path,
                    Rule::Duplicate,
                    format!("duplicate {what}: same as {first}"),
                );
            } else {
                seen.insert(key, path);
            }
        }
    }

    /// A derivative's title equals the outline's.
    pub fn title_matches(&mut self, ctx: &ValidationContext<'_>, title: &str) {
        self.length("/title", title, 1, 200);
        match ctx.outline {
            Some(outline) if outline.title != title => self.fail(
                "/title",
                Rule::Title,
                format!("must equal the outline title \"{}\"", outline.title),
            ),
            Some(_) => {}
            None => self.fail(
                "/title",
                Rule::Reference,
                "no outline to compare the title with",
            ),
        }
    }

    /// A learning objective number exists in the outline.
    pub fn objective(&mut self, ctx: &ValidationContext<'_>, path: &str, objective: u32) {
        if let Some(outline) = ctx.outline {
            let objectives = outline.learning_objectives.len() as u32;
            if !(1..=objectives).contains(&objective) {
                self.fail(
                    path,
                    Rule::Reference,
                    format!(
                        "objective {objective} does not exist in the outline (1 to {objectives})"
                    ),
                );
            }
        }
    }

    /// A section number exists in the outline.
    pub fn section_exists(&mut self, ctx: &ValidationContext<'_>, path: &str, section: u32) {
        if let Some(outline) = ctx.outline
            && !outline.sections.iter().any(|s| s.number == section)
        {
            self.fail(
                path,
                Rule::Reference,
                format!(
                    "section {section} does not exist in the outline (1 to {})",
                    outline.sections.len()
                ),
            );
        }
    }

    /// A source reference points at an existing section and, if it has one, a span inside the
    /// source.
    pub fn source(&mut self, ctx: &ValidationContext<'_>, path: &str, source: &SourceRef) {
        self.section_exists(ctx, &format!("{path}/section"), source.section);
        self.span(ctx, path, source);
    }

    /// A reference made from inside section `section` (a segment's turn, a reading section's
    /// paragraph) cites that same section, with a span inside the source.
    pub fn cites(
        &mut self,
        ctx: &ValidationContext<'_>,
        path: &str,
        section: u32,
        source: &SourceRef,
    ) {
        if source.section != section {
            self.fail(
                format!("{path}/section"),
                Rule::Reference,
                format!(
                    "belongs to section {section} but cites section {}",
                    source.section
                ),
            );
        }
        self.span(ctx, path, source);
    }

    /// Per-section parts (podcast segments, reading or guide sections) mirror the outline:
    /// one per outline section, the same numbers in order and, where given, the same titles.
    pub fn follows_outline(
        &mut self,
        ctx: &ValidationContext<'_>,
        path: &str,
        what: &str,
        parts: &[(u32, Option<&str>)],
    ) {
        let Some(outline) = ctx.outline else { return };
        if parts.len() != outline.sections.len() {
            self.fail(
                path,
                Rule::Count,
                format!(
                    "needs one {what} per outline section ({}), found {}",
                    outline.sections.len(),
                    parts.len()
                ),
            );
        }
        for (i, (&(number, title), section)) in parts.iter().zip(&outline.sections).enumerate() {
            if number != section.number {
                self.fail(
                    format!("{path}/{i}/section"),
                    Rule::Order,
                    format!(
                        "{what}s follow the outline: expected section {}, found {number}",
                        section.number
                    ),
                );
            }
            if let Some(title) = title
                && title != section.title
            {
                self.fail(
                    format!("{path}/{i}/title"),
                    Rule::Title,
                    format!(
                        "must equal the outline's section title \"{}\"",
                        section.title
                    ),
                );
            }
        }
    }

    /// Only the span half of [`Checks::source`] (the outline checks its own sections).
    pub fn span(&mut self, ctx: &ValidationContext<'_>, path: &str, source: &SourceRef) {
        let Some(span) = source.span else { return };
        let path = format!("{path}/span");
        if span.start >= span.end {
            self.fail(
                path,
                Rule::Reference,
                format!("empty or reversed span {}..{}", span.start, span.end),
            );
        } else if let Some(n) = ctx.source_chars
            && span.end > n
        {
            self.fail(
                path,
                Rule::Reference,
                format!(
                    "span ends at {} but the source holds {n} characters",
                    span.end
                ),
            );
        } else if ctx.source_chars.is_none() {
            self.fail(
                path,
                Rule::Reference,
                "a topic source has no text to point a span into",
            );
        }
    }
}
