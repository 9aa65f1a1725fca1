//! One pass of classic text analysis over a source, shared by every extractive builder:
//! title and sections (from headings, else from paragraph groups), sentences with scores,
//! ranked key phrases, and definitional sentences ("X is …", "X refers to …").
//!
//! Every step is linear in the source size apart from sorting, so a 100k-word source costs
//! about ten times a 10k-word one. It knows nothing of content kinds or engines: the kinds'
//! extractive builders read it.

pub mod language;
pub mod lexicon;
pub mod text;

use std::collections::HashMap;
use std::ops::Range;

use self::lexicon::Lexicon;
use self::text::{clean_inline, is_dangling_opener, split_sentences, title_case};
use crate::source::{BlockKind, Document, SourceRef, Span};

/// Sections the outline may hold.
pub const MAX_SECTIONS: usize = 15;
const MIN_SECTIONS: usize = 3;

/// One sentence of the source, with its display text and score.
#[derive(Debug, Clone)]
pub struct Sentence {
    /// Byte range in the normalized source.
    pub range: Range<usize>,
    /// The sentence with inline Markdown removed and whitespace folded.
    pub text: String,
    /// Index into [`Analysis::sections`]; `None` for the prelude before the first section.
    pub section: Option<usize>,
    /// Index of the block (paragraph or list item) that holds it.
    pub block: usize,
    pub first_in_block: bool,
    pub list_item: bool,
    pub words: usize,
    pub score: f32,
}

/// A detected section of the source.
#[derive(Debug, Clone)]
pub struct Section {
    pub title: String,
    /// Whether the title is a heading of the source (else it was made from a key phrase).
    pub from_heading: bool,
    /// Sentence indices, in order.
    pub sentences: Range<usize>,
    pub words: usize,
    /// Indices into [`Analysis::phrases`], best first.
    pub phrases: Vec<usize>,
}

/// A key phrase with its rank score.
#[derive(Debug, Clone)]
pub struct Phrase {
    /// As first written in the source.
    pub text: String,
    pub key: String,
    pub count: usize,
    pub score: f32,
    pub first_sentence: usize,
    /// Sentences that contain it, in order (the first 64).
    pub sentences: Vec<usize>,
}

/// A sentence that defines a term.
#[derive(Debug, Clone)]
pub struct Definition {
    pub term: String,
    /// The article the source put before the term ("a", "an", "the"), lower-cased.
    pub article: Option<String>,
    pub sentence: usize,
    pub plural: bool,
}

/// Everything the builders need to know about a source.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub document: Document,
    pub sha256: String,
    /// The language the source is written in, when it can be told.
    pub language: Option<language::Detected>,
    /// Its function words and definitional patterns (English when the language is unknown).
    lexicon: &'static Lexicon,
    pub title: String,
    pub sections: Vec<Section>,
    /// Sentences before the first section (an introduction), in order.
    pub prelude: Range<usize>,
    pub sentences: Vec<Sentence>,
    /// Best first.
    pub phrases: Vec<Phrase>,
    /// In document order, one per term.
    pub definitions: Vec<Definition>,
    /// Whether `definitions` has an entry for a sentence index.
    definition_of: HashMap<usize, usize>,
    /// Capitalized words seen after the start of a sentence: proper nouns ("Senate", "TCP").
    capitalized_inside: std::collections::HashSet<String>,
    /// Blocks as sentence ranges, in order (paragraphs and list items).
    pub blocks: Vec<Range<usize>>,
}

impl Analysis {
    /// Analyses normalized source text; `sha256` is its content address.
    pub fn new(text: &str, sha256: String, max_sections: usize) -> Self {
        let document = Document::parse(text);
        let structure = Structure::detect(&document);
        let mut sentences = Vec::new();
        let mut blocks = Vec::new();
        for (block_index, block) in document.blocks.iter().enumerate() {
            if matches!(block.kind, BlockKind::Heading { .. }) {
                continue;
            }
            let first = sentences.len();
            let body = document.slice(&block.range);
            for range in split_sentences(body) {
                let range = block.range.start + range.start..block.range.start + range.end;
                let display = clean_inline(document.slice(&range));
                let words = text::words(&display).count();
                if words == 0 {
                    continue;
                }
                sentences.push(Sentence {
                    range,
                    text: display,
                    section: structure.section_of(block_index),
                    block: blocks.len(),
                    first_in_block: sentences.len() == first,
                    list_item: block.kind == BlockKind::ListItem,
                    words,
                    score: 0.0,
                });
            }
            if sentences.len() > first {
                blocks.push(first..sentences.len());
            }
        }

        let language = language::detect(document.text());
        let mut analysis = Self {
            lexicon: Lexicon::of(language.and_then(|d| d.language)),
            language,
            document,
            sha256,
            title: String::new(),
            sections: Vec::new(),
            prelude: 0..0,
            sentences,
            phrases: Vec::new(),
            definitions: Vec::new(),
            definition_of: HashMap::new(),
            capitalized_inside: std::collections::HashSet::new(),
            blocks,
        };
        analysis.sections =
            analysis.build_sections(&structure, max_sections.clamp(MIN_SECTIONS, MAX_SECTIONS));
        analysis.prelude = 0..analysis
            .sentences
            .iter()
            .take_while(|s| s.section.is_none())
            .count();
        analysis.find_definitions();
        analysis.capitalized_inside = capitalized_inside(&analysis.sentences);
        let weights = analysis.word_weights();
        analysis.score_sentences(&weights);
        analysis.rank_phrases(&weights);
        analysis.title_untitled_sections();
        analysis.title = structure
            .title
            .unwrap_or_else(|| analysis.title_from_phrases());
        analysis
    }

    pub fn text(&self) -> &str {
        self.document.text()
    }

    /// The character span of a sentence in the source.
    pub fn span(&self, sentence: usize) -> Span {
        let range = &self.sentences[sentence].range;
        Span {
            start: self.document.char_offset(range.start),
            end: self.document.char_offset(range.end),
        }
    }

    /// The reference a fact taken from `sentence` carries, within outline section `section`.
    pub fn source_ref(&self, section: u32, sentence: usize) -> SourceRef {
        SourceRef {
            section,
            span: Some(self.span(sentence)),
        }
    }

    /// Whether `words` (one word, or a word and the next) is written capitalized somewhere
    /// other than at a sentence's start.
    pub fn is_capitalized_inside(&self, words: &str) -> bool {
        self.capitalized_inside.contains(words)
    }

    pub fn definition_at(&self, sentence: usize) -> Option<&Definition> {
        self.definition_of
            .get(&sentence)
            .map(|&i| &self.definitions[i])
    }

    /// Up to `n` of the best-scored sentences among `ids`, returned in document order. (Scores
    /// already push down sentences that lean on their context, such as those opening with
    /// "It" or "This".)
    pub fn best(&self, ids: impl IntoIterator<Item = usize>, n: usize) -> Vec<usize> {
        let mut ids: Vec<usize> = ids.into_iter().collect();
        ids.sort_by(|&a, &b| {
            self.sentences[b]
                .score
                .total_cmp(&self.sentences[a].score)
                .then(a.cmp(&b))
        });
        ids.truncate(n);
        ids.sort_unstable();
        ids
    }

    /// Sentence indices of section `index`.
    pub fn section_sentences(&self, index: usize) -> Range<usize> {
        self.sections[index].sentences.clone()
    }

    /// Counts, for each lower-cased content word, how often it occurs, and in how many
    /// sections; returns a weight per word (frequency damped, spread across sections valued).
    fn word_weights(&self) -> HashMap<String, f32> {
        let mut counts: HashMap<String, (u32, u32, usize)> = HashMap::new();
        for sentence in &self.sentences {
            let section = sentence.section.map_or(0, |s| s + 1);
            for word in content_words(&sentence.text, self.lexicon) {
                let entry = counts.entry(word).or_insert((0, 0, usize::MAX));
                entry.0 += 1;
                if entry.2 != section {
                    entry.1 += 1;
                    entry.2 = section;
                }
            }
        }
        let sections = (self.sections.len() + 1) as f32;
        counts
            .into_iter()
            .map(|(word, (tf, df, _))| {
                let idf = (1.0 + sections / df as f32).ln();
                (word, (1.0 + tf as f32).ln() * (0.5 + idf))
            })
            .collect()
    }

    fn score_sentences(&mut self, weights: &HashMap<String, f32>) {
        let defined: Vec<bool> = (0..self.sentences.len())
            .map(|i| self.definition_of.contains_key(&i))
            .collect();
        let lexicon = self.lexicon;
        for (i, sentence) in self.sentences.iter_mut().enumerate() {
            let mut seen: Vec<String> = content_words(&sentence.text, lexicon).collect();
            seen.sort_unstable();
            seen.dedup();
            if seen.is_empty() {
                sentence.score = 0.0;
                continue;
            }
            let sum: f32 = seen
                .iter()
                .map(|w| weights.get(w).copied().unwrap_or(0.0))
                .sum();
            let mut score = sum / (seen.len() as f32).sqrt();
            if sentence.first_in_block {
                score *= 1.3;
            }
            if defined[i] {
                score *= 1.2;
            }
            if !(6..=50).contains(&sentence.words) {
                score *= 0.3;
            }
            let opener = text::words(&sentence.text).next().unwrap_or_default();
            if is_dangling_opener(&opener) {
                score *= 0.4;
            }
            if !sentence.text.ends_with('.') {
                score *= if sentence.list_item { 0.8 } else { 0.5 };
            }
            sentence.score = score;
        }
    }

    /// Candidate phrases are runs of one to four content words inside a clause; a phrase
    /// scores by how often it recurs and how heavy its words are.
    fn rank_phrases(&mut self, weights: &HashMap<String, f32>) {
        struct Found {
            text: String,
            count: usize,
            sections: Vec<usize>,
            sentences: Vec<usize>,
        }
        let mut found: HashMap<String, Found> = HashMap::new();
        for (i, sentence) in self.sentences.iter().enumerate() {
            for (display, key) in candidate_phrases(&sentence.text, self.lexicon) {
                let entry = found.entry(key).or_insert_with(|| Found {
                    text: display,
                    count: 0,
                    sections: Vec::new(),
                    sentences: Vec::new(),
                });
                entry.count += 1;
                if let Some(section) = sentence.section
                    && entry.sections.last() != Some(&section)
                {
                    entry.sections.push(section);
                }
                if entry.sentences.len() < 64 && entry.sentences.last() != Some(&i) {
                    entry.sentences.push(i);
                }
            }
        }
        let mut phrases: Vec<(Phrase, Vec<usize>)> = found
            .into_iter()
            .map(|(key, found)| {
                let words = key.split(' ').count();
                let weight: f32 = key
                    .split(' ')
                    .map(|w| weights.get(w).copied().unwrap_or(0.0))
                    .sum();
                let score =
                    (1.0 + found.count as f32).ln() * weight * if words > 1 { 1.2 } else { 1.0 };
                let phrase = Phrase {
                    text: found.text,
                    key,
                    count: found.count,
                    score,
                    first_sentence: found.sentences[0],
                    sentences: found.sentences,
                };
                (phrase, found.sections)
            })
            .collect();
        phrases.sort_by(|a, b| {
            b.0.score
                .total_cmp(&a.0.score)
                .then(a.0.first_sentence.cmp(&b.0.first_sentence))
                .then(a.0.key.cmp(&b.0.key))
        });
        for (rank, (_, sections)) in phrases.iter().enumerate() {
            for &section in sections {
                let list = &mut self.sections[section].phrases;
                if list.len() < 12 {
                    list.push(rank);
                }
            }
        }
        self.phrases = phrases.into_iter().map(|(p, _)| p).collect();
    }

    fn find_definitions(&mut self) {
        let mut terms: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (i, sentence) in self.sentences.iter().enumerate() {
            if let Some((term, article, plural)) = definition_term(&sentence.text, self.lexicon) {
                let key = text::normalize(&term);
                if terms.insert(key) {
                    self.definition_of.insert(i, self.definitions.len());
                    self.definitions.push(Definition {
                        term,
                        article,
                        sentence: i,
                        plural,
                    });
                }
            }
        }
    }

    fn build_sections(&mut self, structure: &Structure, max_sections: usize) -> Vec<Section> {
        if structure.headings.len() >= MIN_SECTIONS {
            // Sentences are in document order, so each heading's sentences are contiguous.
            let mut ranges = vec![0..0; structure.headings.len()];
            for (i, sentence) in self.sentences.iter().enumerate() {
                if let Some(s) = sentence.section {
                    if ranges[s].is_empty() {
                        ranges[s] = i..i;
                    }
                    ranges[s].end = i + 1;
                }
            }
            let mut sections = Vec::new();
            for (title, range) in structure.headings.iter().zip(ranges) {
                sections.push(Section {
                    title: title.clone(),
                    from_heading: true,
                    words: self.sentences[range.clone()].iter().map(|s| s.words).sum(),
                    sentences: range,
                    phrases: Vec::new(),
                });
            }
            // Empty heading sections (a heading with nothing under it) carry nothing to teach.
            let keep: Vec<bool> = sections.iter().map(|s| !s.sentences.is_empty()).collect();
            let mut renumber = vec![None; sections.len()];
            let mut next = 0;
            for (old, &k) in keep.iter().enumerate() {
                if k {
                    renumber[old] = Some(next);
                    next += 1;
                }
            }
            for sentence in &mut self.sentences {
                sentence.section = sentence.section.and_then(|s| renumber[s]);
            }
            let mut sections: Vec<Section> = sections
                .into_iter()
                .filter(|s| !s.sentences.is_empty())
                .collect();
            number_repeated_titles(&mut sections);
            if sections.len() >= MIN_SECTIONS {
                return self.merge_to(sections, max_sections);
            }
        }
        self.group_blocks(max_sections)
    }

    /// Without enough headings: every block after the title becomes part of one of up to
    /// `max` evenly sized groups (at least three), each a section.
    fn group_blocks(&mut self, max: usize) -> Vec<Section> {
        for sentence in &mut self.sentences {
            sentence.section = Some(0);
        }
        let n = self.sentences.len();
        let blocks = self.blocks.len();
        let groups = if blocks >= MIN_SECTIONS {
            blocks.min(max)
        } else {
            MIN_SECTIONS.min(n)
        };
        if groups == 0 {
            return Vec::new();
        }
        // Split points fall on block boundaries when there are enough blocks, else on sentences.
        let units: Vec<Range<usize>> = if blocks >= MIN_SECTIONS {
            self.blocks.clone()
        } else {
            (0..n).map(|i| i..i + 1).collect()
        };
        let total_words: usize = self.sentences.iter().map(|s| s.words).sum();
        let mut sections = Vec::new();
        let mut unit = 0;
        let mut words_so_far = 0;
        for group in 0..groups {
            let start = units[unit].start;
            let remaining_groups = groups - group;
            let target = (total_words * (group + 1)) / groups;
            let mut end = units[unit].end;
            words_so_far += self.sentences[units[unit].clone()]
                .iter()
                .map(|s| s.words)
                .sum::<usize>();
            unit += 1;
            while unit < units.len()
                && units.len() - unit >= remaining_groups
                && words_so_far < target
            {
                words_so_far += self.sentences[units[unit].clone()]
                    .iter()
                    .map(|s| s.words)
                    .sum::<usize>();
                end = units[unit].end;
                unit += 1;
            }
            if group == groups - 1 {
                end = n;
            }
            for sentence in &mut self.sentences[start..end] {
                sentence.section = Some(group);
            }
            sections.push(Section {
                title: String::new(),
                from_heading: false,
                words: self.sentences[start..end].iter().map(|s| s.words).sum(),
                sentences: start..end,
                phrases: Vec::new(),
            });
        }
        sections
    }

    /// More heading sections than allowed: neighbours are merged, keeping the first title.
    fn merge_to(&mut self, sections: Vec<Section>, max: usize) -> Vec<Section> {
        if sections.len() <= max {
            return sections;
        }
        let per = sections.len().div_ceil(max);
        let mut merged: Vec<Section> = Vec::new();
        for chunk in sections.chunks(per) {
            let first = &chunk[0];
            let last = &chunk[chunk.len() - 1];
            merged.push(Section {
                title: first.title.clone(),
                from_heading: true,
                sentences: first.sentences.start..last.sentences.end,
                words: chunk.iter().map(|s| s.words).sum(),
                phrases: Vec::new(),
            });
        }
        for (index, section) in merged.iter().enumerate() {
            for sentence in &mut self.sentences[section.sentences.clone()] {
                sentence.section = Some(index);
            }
        }
        merged
    }

    fn title_untitled_sections(&mut self) {
        let mut used: Vec<String> = self
            .sections
            .iter()
            .filter(|s| s.from_heading)
            .map(|s| s.title.to_lowercase())
            .collect();
        for index in 0..self.sections.len() {
            if self.sections[index].from_heading {
                continue;
            }
            let range = self.sections[index].sentences.clone();
            let defined = range
                .clone()
                .filter_map(|i| self.definition_at(i))
                .map(|d| title_case(&d.term));
            let mut frequent: Vec<usize> = self.sections[index].phrases.clone();
            let in_section = |p: &Phrase| p.sentences.iter().filter(|s| range.contains(s)).count();
            frequent.sort_by_key(|&p| {
                (
                    std::cmp::Reverse(in_section(&self.phrases[p])),
                    std::cmp::Reverse(self.phrases[p].key.contains(' ')),
                    p,
                )
            });
            let title = defined
                .chain(frequent.iter().map(|&p| title_case(&self.phrases[p].text)))
                .find(|t| !used.contains(&t.to_lowercase()))
                .unwrap_or_else(|| format!("Part {}", index + 1));
            used.push(title.to_lowercase());
            self.sections[index].title = title;
        }
    }

    /// No title in the source: the term its opening paragraph defines, else the most frequent
    /// key phrase of its opening sentence.
    fn title_from_phrases(&self) -> String {
        let opening = self.blocks.first().cloned().unwrap_or(0..0);
        if let Some(definition) = self
            .definitions
            .first()
            .filter(|d| opening.contains(&d.sentence))
        {
            return title_case(&definition.term);
        }
        self.phrases
            .iter()
            .filter(|p| p.first_sentence == 0)
            .max_by_key(|p| (p.count, p.key.contains(' ')))
            .or(self.phrases.first())
            .map_or_else(|| "Untitled Source".to_owned(), |p| title_case(&p.text))
    }
}

/// Headings found in the document: an optional title and the section headings, with each
/// block mapped to the section it belongs to.
struct Structure {
    title: Option<String>,
    headings: Vec<String>,
    block_section: Vec<Option<usize>>,
}

impl Structure {
    fn detect(document: &Document) -> Self {
        let heading_levels: Vec<(usize, u8)> = document
            .blocks
            .iter()
            .enumerate()
            .filter_map(|(i, b)| match b.kind {
                BlockKind::Heading { level } => Some((i, level)),
                _ => None,
            })
            .collect();
        let mut title = None;
        let mut rest = heading_levels.as_slice();
        // A first heading that is the only one of its level, or that opens the document, is the title.
        if let Some(&(first, level)) = heading_levels.first() {
            let same_level = heading_levels.iter().filter(|(_, l)| *l == level).count();
            let opens = first == 0;
            if same_level == 1 || (opens && level == 1) {
                title = Some(clean_inline(document.slice(&document.blocks[first].range)));
                rest = &heading_levels[1..];
            }
        }
        if title.is_none() {
            title = plain_title(document);
        }
        let section_level = rest.iter().map(|(_, l)| *l).min();
        let mut headings = Vec::new();
        let mut block_section = vec![None; document.blocks.len()];
        let mut current = None;
        let section_starts: Vec<usize> = rest
            .iter()
            .filter(|(_, l)| Some(*l) == section_level)
            .map(|(i, _)| *i)
            .collect();
        let mut next_start = section_starts.iter().peekable();
        for (i, slot) in block_section.iter_mut().enumerate() {
            if next_start.peek() == Some(&&i) {
                next_start.next();
                headings.push(clean_inline(document.slice(&document.blocks[i].range)));
                current = Some(headings.len() - 1);
            }
            *slot = current;
        }
        Self {
            title,
            headings,
            block_section,
        }
    }

    fn section_of(&self, block: usize) -> Option<usize> {
        self.block_section[block]
    }
}

/// Capitalized words after the start of a sentence, alone and with the word that follows
/// ("Senate", "Tribal Assembly"): what proper nouns look like in this source.
fn capitalized_inside(sentences: &[Sentence]) -> std::collections::HashSet<String> {
    let mut found = std::collections::HashSet::new();
    for sentence in sentences {
        let words: Vec<&str> = sentence
            .text
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
            .collect();
        for (i, word) in words.iter().enumerate().skip(1) {
            if word.chars().next().is_some_and(char::is_uppercase) {
                found.insert((*word).to_owned());
                if let Some(next) = words.get(i + 1) {
                    found.insert(format!("{word} {next}"));
                }
            }
        }
    }
    found
}

/// Headings that repeat ("Summary", "Summary") get their place in the order: "Summary (2)".
fn number_repeated_titles(sections: &mut [Section]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for section in sections {
        let count = seen.entry(section.title.to_lowercase()).or_insert(0);
        *count += 1;
        if *count > 1 {
            section.title = format!("{} ({count})", section.title);
        }
    }
}

/// A plain-text title: a short first paragraph of one line without closing punctuation.
fn plain_title(document: &Document) -> Option<String> {
    let first = document.blocks.first()?;
    let text = document.slice(&first.range);
    let plausible = first.kind == BlockKind::Paragraph
        && !text.contains('\n')
        && text.chars().count() <= 90
        && !text.trim_end().ends_with(['.', '!', '?', ':', ';', ','])
        && document.blocks.len() > 1;
    plausible.then(|| clean_inline(text))
}

fn is_content_word(word: &str, lexicon: &Lexicon) -> bool {
    word.chars().count() > 2
        && !lexicon.is_stop_word(word)
        && !word.chars().all(|c| c.is_ascii_digit())
}

/// The lower-cased content words of a text, elided articles cut off ("l'eau" → "eau").
fn content_words<'t>(text: &'t str, lexicon: &'t Lexicon) -> impl Iterator<Item = String> + 't {
    text::words(text)
        .map(|w| lexicon.without_elision(&w).to_owned())
        .filter(|w| is_content_word(w, lexicon))
}

/// Runs of 1–4 content words between stop words and punctuation, as (display, key).
fn candidate_phrases(sentence: &str, lexicon: &Lexicon) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for clause in sentence.split(|c: char| {
        matches!(
            c,
            ',' | ';' | ':' | '(' | ')' | '"' | '.' | '!' | '?' | '[' | ']'
        )
    }) {
        let mut run: Vec<&str> = Vec::new();
        let tokens = clause
            .split_whitespace()
            .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric() && c != '-'));
        for token in tokens.chain(std::iter::once("")) {
            let bare = lexicon.without_elision(token);
            if bare.len() != token.len() {
                // An elided article ("l'", "dell'") ends the phrase before it.
                end_phrase(&mut run, &mut out);
            }
            if !bare.is_empty() && is_content_word(&bare.to_lowercase(), lexicon) {
                run.push(bare);
                continue;
            }
            end_phrase(&mut run, &mut out);
        }
    }
    out
}

/// A run of one to four content words becomes a candidate phrase; the run starts again.
fn end_phrase(run: &mut Vec<&str>, out: &mut Vec<(String, String)>) {
    if (1..=4).contains(&run.len()) {
        let display = run.join(" ");
        let key = display.to_lowercase();
        out.push((display, key));
    }
    run.clear();
}

/// "dominated by …", "written by …": the copula is a passive auxiliary, not a definition.
fn is_passive(rest: &str) -> bool {
    let mut words = rest.split_whitespace();
    let (Some(verb), Some(next)) = (words.next(), words.next()) else {
        return false;
    };
    (verb.ends_with("ed") || verb.ends_with("en")) && next == "by"
}

/// The term a definitional sentence defines: "The Senate was the council …" → "Senate",
/// "La clorofila es el pigmento …" → "clorofila".
fn definition_term(sentence: &str, lexicon: &Lexicon) -> Option<(String, Option<String>, bool)> {
    let mut end = sentence.len().min(80);
    while !sentence.is_char_boundary(end) {
        end -= 1;
    }
    let window = &sentence[..end];
    let (at, copula, plural) = lexicon
        .copulas
        .iter()
        .filter_map(|(c, p)| window.find(c).map(|at| (at, *c, *p)))
        .min_by_key(|(at, c, _)| (*at, std::cmp::Reverse(c.len())))?;
    let subject = sentence[..at].trim();
    let rest = &sentence[at + copula.len()..];
    if is_passive(rest) {
        return None;
    }
    let (article, subject) = lexicon
        .articles
        .iter()
        .find_map(|d| {
            subject
                .strip_prefix(d)
                .map(|rest| (Some(d.trim().to_lowercase()), rest))
        })
        .unwrap_or((None, subject));
    let words: Vec<&str> = subject.split_whitespace().collect();
    if words.is_empty()
        || words.len() > 5
        || subject.chars().count() > 60
        || rest.split_whitespace().count() < 4
    {
        return None;
    }
    if subject.contains([',', ';', ':', '"']) {
        return None;
    }
    let first = words[0].to_lowercase();
    if lexicon.is_stop_word(&first)
        || is_dangling_opener(&first)
        || !words[0].chars().next()?.is_alphanumeric()
    {
        return None;
    }
    let content = words
        .iter()
        .filter(|w| is_content_word(&w.to_lowercase(), lexicon))
        .count();
    let is_verb = |word: &str| {
        matches!(
            word,
            "is" | "are" | "was" | "were" | "has" | "have" | "can" | "will"
        ) || lexicon.copulas.iter().any(|(c, _)| c.trim() == word)
    };
    if content == 0 || words.iter().any(|w| is_verb(&w.to_lowercase())) {
        return None;
    }
    Some((subject.to_owned(), article, plural))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyse(text: &str) -> Analysis {
        Analysis::new(text, String::new(), 8)
    }

    #[test]
    fn headings_make_the_title_and_sections() {
        let a = analyse(
            "# Plants\n\nPlants are green living things that grow.\n\n## Roots\nRoots take up water from soil.\n\n## Leaves\nLeaves catch the light of the sun.\n\n## Flowers\nFlowers make the seeds of the plant.\n",
        );
        assert_eq!(a.title, "Plants");
        let titles: Vec<_> = a.sections.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Roots", "Leaves", "Flowers"]);
        assert_eq!(a.prelude, 0..1);
        assert_eq!(a.sentences[1].section, Some(0));
    }

    #[test]
    fn prose_without_headings_is_grouped_into_sections() {
        let paragraph = |topic: &str| {
            format!(
                "The {topic} system carries signals across the body. Doctors study the {topic} system closely.\n\n"
            )
        };
        let text: String = ["nervous", "immune", "digestive", "skeletal"]
            .iter()
            .map(|t| paragraph(t))
            .collect();
        let a = analyse(&text);
        assert_eq!(a.sections.len(), 4);
        assert!(a.sections.iter().all(|s| !s.title.is_empty()));
        let covered: usize = a.sections.iter().map(|s| s.sentences.len()).sum();
        assert_eq!(covered, a.sentences.len());
    }

    #[test]
    fn definitions_are_found_with_their_terms() {
        let english = Lexicon::of(None);
        assert_eq!(
            definition_term(
                "The Senate was the governing council of elders in Rome.",
                english
            ),
            Some(("Senate".into(), Some("the".into()), false))
        );
        assert_eq!(
            definition_term(
                "Chloroplasts are organelles that capture light energy.",
                english
            ),
            Some(("Chloroplasts".into(), None, true))
        );
        assert_eq!(
            definition_term("It is a very important idea for everyone.", english),
            None
        );
        assert_eq!(
            definition_term(
                "In 133 BC, the tribune was killed by a mob of senators.",
                english
            ),
            None
        );
    }

    #[test]
    fn definitions_and_phrases_follow_the_sources_language() {
        use super::language::Language;
        let lexicon = |l| Lexicon::of(Some(l));
        assert_eq!(
            definition_term(
                "La clorofila es el pigmento verde que absorbe la luz.",
                lexicon(Language::Spanish)
            ),
            Some(("clorofila".into(), Some("la".into()), false))
        );
        assert_eq!(
            definition_term(
                "L'évaporation est le passage de l'eau liquide à l'état de vapeur.",
                lexicon(Language::French)
            )
            .map(|d| d.0),
            Some("évaporation".into())
        );
        let phrases: Vec<String> = candidate_phrases(
            "Die angeborene Abwehr ist der Teil des Immunsystems.",
            lexicon(Language::German),
        )
        .into_iter()
        .map(|p| p.1)
        .collect();
        assert_eq!(phrases, ["angeborene abwehr", "teil", "immunsystems"]);
        let phrases: Vec<String> =
            candidate_phrases("le passage de l'eau liquide", lexicon(Language::French))
                .into_iter()
                .map(|p| p.1)
                .collect();
        assert_eq!(phrases, ["passage", "eau liquide"]);
    }

    #[test]
    fn spans_point_at_the_sentence_in_the_source() {
        let text =
            "Ünïcode café opens here. Photosynthesis is the process that turns light into sugar.";
        let a = analyse(text);
        let span = a.span(1);
        let chars: String = text
            .chars()
            .skip(span.start)
            .take(span.end - span.start)
            .collect();
        assert_eq!(
            chars,
            "Photosynthesis is the process that turns light into sugar."
        );
    }
}
