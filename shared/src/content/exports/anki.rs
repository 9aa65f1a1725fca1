//! Flashcards for Anki and Quizlet:
//!
//! - an Anki package (`.apkg`: a zip of an Anki collection, `collection.anki2`, in the
//!   schema every Anki since 2.1 imports, written with the project's own SQLite): one deck
//!   named after the title, one note per card with the fields Front, Back, Section and
//!   Source, tagged with its section;
//! - a tab-separated file with Anki's import headers (deck, note type, columns, tags);
//! - a Quizlet list: term, a tab, the definition, one card per line.

use rusqlite::{Connection, params};
use serde_json::json;
use sha1::{Digest, Sha1};

use super::{Export, stable_id, zip_archive};
use crate::content::flashcards::{Card, Flashcards};
use crate::content::scaffolding::{Labels, fill};

/// The note type every exported card uses (its fields, in order).
const FIELDS: [&str; 4] = ["Front", "Back", "Section", "Source"];

/// A fixed creation time (2026-01-01T00:00:00Z) so that packages are reproducible.
const CREATED_SECS: i64 = 1_767_225_600;

/// Where a card's fact comes from, as a reader would say it.
fn source_text(card: &Card, labels: &Labels) -> String {
    let n = card.source.section.to_string();
    match card.source.span {
        Some(span) => fill(
            labels.source_span,
            &[
                ("n", &n),
                ("start", &span.start.to_string()),
                ("end", &span.end.to_string()),
            ],
        ),
        None => fill(labels.source_section, &[("n", &n)]),
    }
}

fn section_text(card: &Card, labels: &Labels) -> String {
    card.category
        .clone()
        .unwrap_or_else(|| fill(labels.section_n, &[("n", &card.source.section.to_string())]))
}

/// An Anki tag for the card's section: no spaces (Anki splits tags on them).
fn section_tag(card: &Card, labels: &Labels) -> String {
    let tag: String = section_text(card, labels)
        .chars()
        .map(|c| if c.is_whitespace() { '_' } else { c })
        .filter(|c| !matches!(c, '"' | '\u{1f}'))
        .collect();
    format!("section::{tag}")
}

/// The Anki package of a flashcards artifact.
pub fn package(cards: &Flashcards, labels: &Labels) -> Export {
    Export {
        suffix: "apkg",
        format: "apkg",
        content_type: "application/vnd.anki",
        bytes: zip_archive([
            ("collection.anki2", collection(cards, labels).as_slice()),
            ("media", b"{}".as_slice()),
        ]),
    }
}

/// The Anki collection holding one deck of the cards.
fn collection(cards: &Flashcards, labels: &Labels) -> Vec<u8> {
    let mut db = Connection::open_in_memory().expect("an in-memory SQLite opens");
    db.execute_batch(SCHEMA).expect("the Anki schema applies");
    let deck_id =
        (stable_id(&["deck", &cards.title]) % 1_000_000_000_000) as i64 + 1_000_000_000_000;
    let model_id = (stable_id(&["model", "factory-flashcard-v1"]) % 1_000_000_000_000) as i64
        + 1_000_000_000_000;
    insert_col(&db, &cards.title, deck_id, model_id);
    for (i, card) in cards.cards.iter().enumerate() {
        let note_id = deck_id + i as i64;
        let fields = [
            card.term.clone(),
            card.definition.clone(),
            section_text(card, labels),
            source_text(card, labels),
        ];
        let guid = guid(&cards.title, &card.term);
        db.execute(
            "INSERT INTO notes VALUES (?1, ?2, ?3, ?4, -1, ?5, ?6, ?7, ?8, 0, '')",
            params![
                note_id,
                guid,
                model_id,
                CREATED_SECS,
                format!(" {} ", section_tag(card, labels)),
                fields.join("\u{1f}"),
                card.term,
                checksum(&card.term),
            ],
        )
        .expect("a note inserts");
        db.execute(
            "INSERT INTO cards VALUES (?1, ?2, ?3, 0, ?4, -1, 0, 0, ?5, 0, 0, 0, 0, 0, 0, 0, 0, '')",
            params![note_id, note_id, deck_id, CREATED_SECS, i as i64 + 1],
        )
        .expect("a card inserts");
    }
    db.serialize(rusqlite::MAIN_DB)
        .expect("an in-memory database serializes")
        .to_vec()
}

/// The collection's one row: configuration, the note type, the deck and its options.
fn insert_col(db: &Connection, title: &str, deck_id: i64, model_id: i64) {
    let deck = |id: i64, name: &str| {
        json!({
            "id": id, "name": name, "desc": "", "dyn": 0, "conf": 1, "collapsed": false,
            "browserCollapsed": false, "extendNew": 0, "extendRev": 0, "mod": CREATED_SECS,
            "usn": -1, "newToday": [0, 0], "revToday": [0, 0], "lrnToday": [0, 0],
            "timeToday": [0, 0],
        })
    };
    let decks = json!({ "1": deck(1, "Default"), deck_id.to_string(): deck(deck_id, title) });
    let flds: Vec<_> = FIELDS
        .iter()
        .enumerate()
        .map(|(ord, name)| {
            json!({"name": name, "ord": ord, "sticky": false, "rtl": false, "font": "Arial",
                   "size": 20, "media": []})
        })
        .collect();
    let models = json!({ model_id.to_string(): {
        "id": model_id, "name": "AI Content Factory flashcard", "type": 0, "mod": CREATED_SECS,
        "usn": -1, "sortf": 0, "did": deck_id, "flds": flds,
        "tmpls": [{
            "name": "Card 1", "ord": 0, "qfmt": "{{Front}}",
            "afmt": "{{FrontSide}}<hr id=answer>{{Back}}<p class=source>{{Section}} \u{b7} {{Source}}</p>",
            "bqfmt": "", "bafmt": "", "did": null, "bfont": "", "bsize": 0,
        }],
        "css": ".card { font-family: sans-serif; font-size: 20px; text-align: center; }\n.source { font-size: 12px; color: #555; }\n",
        "latexPre": "\\documentclass[12pt]{article}\n\\special{papersize=3in,5in}\n\\usepackage[utf8]{inputenc}\n\\usepackage{amssymb,amsmath}\n\\pagestyle{empty}\n\\setlength{\\parindent}{0in}\n\\begin{document}\n",
        "latexPost": "\\end{document}", "latexsvg": false, "req": [[0, "any", [0]]],
        "tags": [], "vers": [],
    }});
    let dconf = json!({ "1": {
        "id": 1, "name": "Default", "mod": 0, "usn": 0, "maxTaken": 60, "autoplay": true,
        "timer": 0, "replayq": true, "dyn": false,
        "new": {"bury": false, "delays": [1.0, 10.0], "initialFactor": 2500, "ints": [1, 4, 0],
                "order": 1, "perDay": 20},
        "rev": {"bury": false, "ease4": 1.3, "ivlFct": 1.0, "maxIvl": 36500, "perDay": 200,
                "hardFactor": 1.2},
        "lapse": {"delays": [10.0], "leechAction": 1, "leechFails": 8, "minInt": 1, "mult": 0.0},
    }});
    let conf = json!({
        "activeDecks": [1], "curDeck": 1, "newSpread": 0, "collapseTime": 1200, "timeLim": 0,
        "estTimes": true, "dueCounts": true, "curModel": model_id, "nextPos": 1,
        "sortType": "noteFld", "sortBackwards": false, "addToCur": true,
    });
    db.execute(
        "INSERT INTO col VALUES (1, ?1, ?2, ?2, 11, 0, 0, 0, ?3, ?4, ?5, ?6, '{}')",
        params![
            CREATED_SECS,
            CREATED_SECS * 1_000,
            conf.to_string(),
            models.to_string(),
            decks.to_string(),
            dconf.to_string(),
        ],
    )
    .expect("the collection row inserts");
}

/// A note's globally unique id, stable for the same deck and term (so a re-import updates
/// the note instead of duplicating it).
fn guid(title: &str, term: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&()*+,-./:;<=>?@[]^_`{|}~";
    let mut n = stable_id(&["note", title, term]);
    let mut out = String::new();
    while n > 0 {
        out.push(char::from(ALPHABET[(n % ALPHABET.len() as u64) as usize]));
        n /= ALPHABET.len() as u64;
    }
    out
}

/// Anki's duplicate check: the first 8 hex digits of the SHA-1 of the sort field.
fn checksum(text: &str) -> i64 {
    let digest = Sha1::digest(text.as_bytes());
    i64::from(u32::from_be_bytes(
        digest[..4].try_into().expect("four bytes"),
    ))
}

/// A field of a tab-separated file: tabs and line breaks become spaces, and a field with a
/// double quote is quoted (as Anki's importer reads it).
fn tsv_field(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| {
            if matches!(c, '\t' | '\n' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect();
    if flat.contains('"') {
        format!("\"{}\"", flat.replace('"', "\"\""))
    } else {
        flat
    }
}

/// The cards as a tab-separated file with Anki's import headers: front, back and tags of the
/// built-in Basic note type, into a deck named after the title.
pub fn tsv(cards: &Flashcards, labels: &Labels) -> Export {
    let mut text = format!(
        "#separator:tab\n#html:false\n#notetype:Basic\n#deck:{}\n#tags column:3\n#columns:Front\tBack\tTags\n",
        cards.title.replace(['\n', '\r'], " ")
    );
    for card in &cards.cards {
        text.push_str(&format!(
            "{}\t{}\t{}\n",
            tsv_field(&card.term),
            tsv_field(&format!(
                "{} ({})",
                card.definition,
                source_text(card, labels)
            )),
            tsv_field(&section_tag(card, labels))
        ));
    }
    Export {
        suffix: "anki.tsv",
        format: "anki-tsv",
        content_type: "text/tab-separated-values; charset=utf-8",
        bytes: text.into_bytes(),
    }
}

/// Term, tab, definition: what Quizlet's import takes with "Tab" between term and definition
/// and "New line" between cards.
pub fn quizlet(cards: &Flashcards) -> Export {
    let flat = |s: &str| s.replace(['\t', '\n', '\r'], " ");
    let mut text = String::new();
    for card in &cards.cards {
        text.push_str(&format!(
            "{}\t{}\n",
            flat(&card.term),
            flat(&card.definition)
        ));
    }
    Export {
        suffix: "quizlet.tsv",
        format: "quizlet-tsv",
        content_type: "text/tab-separated-values; charset=utf-8",
        bytes: text.into_bytes(),
    }
}

/// Anki's collection schema 11 (what Anki 2.1 reads and upgrades on import).
const SCHEMA: &str = "
CREATE TABLE col (id integer primary key, crt integer not null, mod integer not null,
  scm integer not null, ver integer not null, dty integer not null, usn integer not null,
  ls integer not null, conf text not null, models text not null, decks text not null,
  dconf text not null, tags text not null);
CREATE TABLE notes (id integer primary key, guid text not null, mid integer not null,
  mod integer not null, usn integer not null, tags text not null, flds text not null,
  sfld integer not null, csum integer not null, flags integer not null, data text not null);
CREATE TABLE cards (id integer primary key, nid integer not null, did integer not null,
  ord integer not null, mod integer not null, usn integer not null, type integer not null,
  queue integer not null, due integer not null, ivl integer not null, factor integer not null,
  reps integer not null, lapses integer not null, left integer not null, odue integer not null,
  odid integer not null, flags integer not null, data text not null);
CREATE TABLE revlog (id integer primary key, cid integer not null, usn integer not null,
  ease integer not null, ivl integer not null, lastIvl integer not null,
  factor integer not null, time integer not null, type integer not null);
CREATE TABLE graves (usn integer not null, oid integer not null, type integer not null);
CREATE INDEX ix_notes_usn on notes (usn);
CREATE INDEX ix_cards_usn on cards (usn);
CREATE INDEX ix_revlog_usn on revlog (usn);
CREATE INDEX ix_cards_nid on cards (nid);
CREATE INDEX ix_cards_sched on cards (did, queue, due);
CREATE INDEX ix_revlog_cid on revlog (cid);
CREATE INDEX ix_notes_csum on notes (csum);
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_quotes_are_quoted_and_tabs_flattened() {
        assert_eq!(tsv_field("a\tb\nc"), "a b c");
        assert_eq!(tsv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn guids_are_stable_and_distinct() {
        assert_eq!(guid("T", "a"), guid("T", "a"));
        assert_ne!(guid("T", "a"), guid("T", "b"));
    }
}
