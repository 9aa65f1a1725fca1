//! The words the extractive builders add around source sentences (questions, objective
//! verbs, the podcast's greetings and hand-overs, reading references), one table per
//! language. Every builder reads its phrases from here, never from a literal, so an
//! artifact's scaffolding is all in one language. Not for model engines: they write
//! everything themselves.
//!
//! A template names what it inserts in braces (`{title}`, `{term}`, …). Titles and terms are
//! inserted without an article, inside quotation marks where the language would otherwise
//! need a gendered or elided article before them, so any term fits any template.

mod de;
mod en;
mod es;
mod fr;
mod it;
mod pt;

pub use crate::analysis::language::Language;

/// Learning-objective templates for one level, applied to sections in turn.
pub type Objectives = [&'static str; 3];

/// One language's scaffolding. Templates and the placeholders each may use:
#[derive(Debug)]
pub struct Scaffolding {
    pub language: Language,
    /// Whether a title inside a sentence loses the capital of a leading article ("The
    /// Senate" → "the Senate"); only for languages whose templates insert titles unquoted.
    pub lower_leading_article: bool,

    /// The default audience per level (beginner, intermediate, advanced).
    pub audiences: [&'static str; 3],
    /// Objectives per level (beginner, intermediate, advanced): `{focus}`.
    pub objectives: [Objectives; 3],
    /// An objective's focus when its section defines a term: `{term}`.
    pub term_focus: &'static str,
    /// An objective's focus when its section defines no term: `{title}`.
    pub main_ideas_of: &'static str,

    /// Podcast: `{title}` of the episode.
    pub welcome: &'static str,
    /// Podcast: `{names}` of the other speakers.
    pub with_me: &'static str,
    /// Joins the last two names of a list.
    pub and: &'static str,
    /// Podcast: `{name}` of the host, `{n}` parts.
    pub thanks_host: &'static str,
    /// Podcast hand-over to a segment: `{title}`.
    pub turn_to: &'static str,
    /// Podcast question about a defined term: `{term}` (singular, plural).
    pub so_what_is: [&'static str; 2],
    /// Podcast close: `{title}`.
    pub the_end: &'static str,
    pub thanks_for_listening: &'static str,

    /// Study guide: `{n}` section number, `{title}`, `{minutes}`.
    pub reread: &'static str,

    /// Detailed reading: `{title}`, `{chars}`, `{sha}`.
    pub the_source: &'static str,
    pub cited_in_the_source: &'static str,

    /// FAQ question about a section: `{title}`.
    pub faq_about: &'static str,
    /// FAQ question about a defined term: `{term}` (singular, plural).
    pub what_is: [&'static str; 2],

    /// Reading question about a defined term: `{term}`.
    pub how_defined: &'static str,
    /// Reading question about a key phrase: `{phrase}`, `{title}`.
    pub says_about: &'static str,
    /// Reading questions opening a section, in turn: `{title}`.
    pub main_point: [&'static str; 3],

    /// Quiz: `{statement}` with a blank.
    pub completes: &'static str,
    /// Quiz rationale: `{sentence}`.
    pub source_says: &'static str,
    /// Quiz: `{statement}`.
    pub true_or_false: &'static str,
    /// Quiz rationale of a true statement: `{sentence}`.
    pub true_because: &'static str,
    /// Quiz rationale of a false statement: `{term}`, `{other}`, `{sentence}`.
    pub false_because: &'static str,
    /// The choices of a true/false question.
    pub true_false: [&'static str; 2],

    /// The words of the rendered Markdown and HTML.
    pub labels: Labels,
}

/// The headings and labels a kind's Markdown rendering adds around its content, whatever
/// engine wrote it. Templates take `{title}` or `{n}`.
#[derive(Debug)]
pub struct Labels {
    pub audience: &'static str,
    pub level: &'static str,
    /// Beginner, intermediate, advanced.
    pub levels: [&'static str; 3],
    pub learning_objectives: &'static str,
    /// The unit after a number of minutes.
    pub minutes: &'static str,
    /// `{n}` minutes.
    pub podcast_about: &'static str,
    pub speakers: &'static str,
    /// Host, expert, guest, narrator.
    pub roles: [&'static str; 4],
    pub intro: &'static str,
    pub outro: &'static str,
    /// `{title}`.
    pub study_guide: &'static str,
    pub overview: &'static str,
    pub key_concepts: &'static str,
    pub summary: &'static str,
    pub recommended_reading: &'static str,
    pub key_takeaways: &'static str,
    pub in_brief: &'static str,
    pub conclusion: &'static str,
    pub references: &'static str,
    /// `{title}`.
    pub faq: &'static str,
    /// `{title}`.
    pub flashcards: &'static str,
    pub term: &'static str,
    pub definition: &'static str,
    pub difficulty: &'static str,
    /// Easy, medium, hard.
    pub difficulties: [&'static str; 3],
    /// `{title}`.
    pub reading_guide: &'static str,
    /// The word before a section number.
    pub section: &'static str,
    /// `{title}`.
    pub quiz: &'static str,
    pub answer_key: &'static str,
    /// A section by its number, standing alone: `{n}`.
    pub section_n: &'static str,
    /// Where an exported card's fact comes from: `{n}`, `{start}`, `{end}` (characters).
    pub source_span: &'static str,
    /// Where an exported card comes from when it cites no span: `{n}`.
    pub source_section: &'static str,
    /// An exported question's title: `{n}`.
    pub question_n: &'static str,
    /// The coverage report's title: `{title}`.
    pub coverage: &'static str,
    pub objective: &'static str,
    /// The column of cognitive levels.
    pub bloom_levels: &'static str,
    pub not_practised: &'static str,
    /// The objectives no practice item serves: `{list}` of numbers.
    pub uncovered: &'static str,
    /// Remember, understand, apply, analyse, evaluate, create.
    pub blooms: [&'static str; 6],
}

impl Labels {
    /// Every label and template, for checks over all of them.
    pub fn all(&self) -> Vec<&'static str> {
        let mut all = vec![
            self.audience,
            self.level,
            self.learning_objectives,
            self.minutes,
            self.podcast_about,
            self.speakers,
            self.intro,
            self.outro,
            self.study_guide,
            self.overview,
            self.key_concepts,
            self.summary,
            self.recommended_reading,
            self.key_takeaways,
            self.in_brief,
            self.conclusion,
            self.references,
            self.faq,
            self.flashcards,
            self.term,
            self.definition,
            self.difficulty,
            self.reading_guide,
            self.section,
            self.quiz,
            self.answer_key,
            self.section_n,
            self.source_span,
            self.source_section,
            self.question_n,
            self.coverage,
            self.objective,
            self.bloom_levels,
            self.not_practised,
            self.uncovered,
        ];
        all.extend(self.levels);
        all.extend(self.roles);
        all.extend(self.difficulties);
        all.extend(self.blooms);
        all
    }
}

impl Scaffolding {
    /// The table of the language a BCP 47 tag names; English for a language without one
    /// (a model engine may write any language, but headings exist in these six).
    pub fn for_tag(tag: &str) -> &'static Scaffolding {
        Self::of(Language::from_tag(tag).unwrap_or(Language::English))
    }

    /// The table of `language`.
    pub fn of(language: Language) -> &'static Scaffolding {
        match language {
            Language::English => &en::SCAFFOLDING,
            Language::French => &fr::SCAFFOLDING,
            Language::Spanish => &es::SCAFFOLDING,
            Language::German => &de::SCAFFOLDING,
            Language::Portuguese => &pt::SCAFFOLDING,
            Language::Italian => &it::SCAFFOLDING,
        }
    }

    /// Every template, for checks over all of them.
    pub fn templates(&self) -> Vec<&'static str> {
        let mut all = vec![
            self.term_focus,
            self.main_ideas_of,
            self.welcome,
            self.with_me,
            self.thanks_host,
            self.turn_to,
            self.the_end,
            self.thanks_for_listening,
            self.reread,
            self.the_source,
            self.cited_in_the_source,
            self.faq_about,
            self.how_defined,
            self.says_about,
            self.completes,
            self.source_says,
            self.true_or_false,
            self.true_because,
            self.false_because,
        ];
        all.extend(self.audiences);
        all.extend(self.objectives.iter().flatten());
        all.extend(self.so_what_is);
        all.extend(self.what_is);
        all.extend(self.main_point);
        all.extend(self.true_false);
        all
    }

    /// The default audience at `level`.
    pub fn audience(&self, level: super::Level) -> &'static str {
        let [beginner, intermediate, advanced] = self.audiences;
        match level {
            super::Level::Beginner => beginner,
            super::Level::Intermediate => intermediate,
            super::Level::Advanced => advanced,
        }
    }

    /// A title as it reads inside this language's sentences.
    pub fn title_in_sentence(&self, title: &str) -> String {
        if self.lower_leading_article {
            super::in_sentence(title)
        } else {
            title.to_owned()
        }
    }

    /// `names` joined: "Sam", "Sam and Jordan", "Sam, Jordan and Riley".
    pub fn list(&self, names: &[&str]) -> String {
        match names {
            [] => String::new(),
            [one] => (*one).to_owned(),
            [rest @ .., last] => format!("{}{}{last}", rest.join(", "), self.and),
        }
    }
}

/// Punctuation that ends a clause: an inserted value loses it when the template puts its own
/// right after the value, so a title such as "Why Debian?" never gives "…Debian??".
const CLOSING: &[char] = &['.', '?', '!', ':', ';', ',', '\u{2026}'];

/// Marks that may sit between an inserted value and the template's own punctuation.
const QUOTES: &[char] = &[
    '"', '\'', '\u{201c}', '\u{201d}', '\u{201e}', '\u{2019}', '\u{ab}', '\u{bb}', ')', ' ',
    '\u{a0}', '\u{202f}',
];

/// Fills a template's `{name}` placeholders with `values`. A value followed in the template
/// (past any closing quotation mark) by punctuation of its own loses its trailing
/// punctuation, so the result never doubles it.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        let tail = &after[close + 1..];
        let value = values.iter().find(|(key, _)| *key == name).map_or_else(
            || panic!("template `{template}` uses `{{{name}}}`, which was not given"),
            |(_, v)| *v,
        );
        let punctuated = tail.trim_start_matches(QUOTES).starts_with(CLOSING);
        if punctuated {
            out.push_str(value.trim_end().trim_end_matches(CLOSING).trim_end());
        } else {
            out.push_str(value);
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_loses_the_punctuation_the_template_adds() {
        assert_eq!(
            fill("What about {title}?", &[("title", "Why Debian?")]),
            "What about Why Debian?"
        );
        assert_eq!(
            fill(
                "Que retenir de « {title} » ?",
                &[("title", "Pourquoi Debian ?")]
            ),
            "Que retenir de « Pourquoi Debian » ?"
        );
        assert_eq!(
            fill("{title} (the source)", &[("title", "Why Debian?")]),
            "Why Debian? (the source)"
        );
    }

    #[test]
    fn every_placeholder_of_every_table_is_known() {
        const NAMES: &[&str] = &[
            "list",
            "start",
            "end",
            "focus",
            "title",
            "names",
            "name",
            "n",
            "term",
            "minutes",
            "chars",
            "sha",
            "phrase",
            "statement",
            "sentence",
            "other",
        ];
        let values: Vec<(&str, &str)> = NAMES.iter().map(|n| (*n, "x")).collect();
        let mut checked = 0;
        for language in Language::ALL {
            let table = Scaffolding::of(language);
            assert_eq!(table.language, language);
            for template in table.templates().into_iter().chain(table.labels.all()) {
                let filled = fill(template, &values);
                assert!(!filled.contains(['{', '}']), "{template}");
                checked += 1;
            }
        }
        assert!(checked > 6 * 60);
    }

    #[test]
    fn lists_join_with_the_languages_and() {
        let fr = Scaffolding::of(Language::French);
        assert_eq!(fr.list(&["Sam", "Jordan", "Riley"]), "Sam, Jordan et Riley");
        assert_eq!(fr.list(&["Sam"]), "Sam");
    }
}
