//! The function words and definitional patterns of each language the analysis reads: which
//! words carry no topic (so key phrases are runs of content words, not "de la"), which
//! verbs make "X is …" definitions, and which articles open a defined term. Not for
//! writing: the words the engine adds are in `content::scaffolding`.

use super::language::Language;
use super::text;

/// One language's words, as the analysis uses them.
#[derive(Debug)]
pub struct Lexicon {
    /// Sorted, for binary search; words of two letters or fewer never count as content.
    stop_words: &'static [&'static str],
    /// Definitional verbs with spaces around them, and whether the term is plural.
    pub copulas: &'static [(&'static str, bool)],
    /// Articles that open a sentence's subject, with their trailing space or apostrophe.
    pub articles: &'static [&'static str],
    /// Elided articles and prepositions glued to the next word by an apostrophe ("l'eau",
    /// "dell'acqua"): a phrase boundary, not part of the word.
    pub elisions: &'static [&'static str],
}

impl Lexicon {
    /// The lexicon of `language` (English for a source in none of the six).
    pub fn of(language: Option<Language>) -> &'static Lexicon {
        match language {
            None | Some(Language::English) => &ENGLISH,
            Some(Language::French) => &FRENCH,
            Some(Language::Spanish) => &SPANISH,
            Some(Language::German) => &GERMAN,
            Some(Language::Portuguese) => &PORTUGUESE,
            Some(Language::Italian) => &ITALIAN,
        }
    }

    /// Whether a lower-cased word is a function word of this language.
    pub fn is_stop_word(&self, word: &str) -> bool {
        self.stop_words.binary_search(&word).is_ok()
    }

    /// A word with an elided article or preposition before an apostrophe loses it:
    /// "l'évaporation" → "évaporation"; other words are returned whole.
    pub fn without_elision<'w>(&self, word: &'w str) -> &'w str {
        if let Some(at) = word.find(['\'', '\u{2019}']) {
            let (head, rest) = word.split_at(at);
            if self.elisions.iter().any(|e| e.eq_ignore_ascii_case(head)) {
                let apostrophe = rest.chars().next().map_or(1, char::len_utf8);
                return &rest[apostrophe..];
            }
        }
        word
    }
}

static ENGLISH: Lexicon = Lexicon {
    stop_words: text::STOP_WORDS,
    copulas: &[
        (" is defined as ", false),
        (" refers to ", false),
        (" refer to ", true),
        (" means ", false),
        (" is ", false),
        (" are ", true),
        (" was ", false),
        (" were ", true),
    ],
    articles: &["The ", "A ", "An "],
    elisions: &[],
};

static FRENCH: Lexicon = Lexicon {
    stop_words: FRENCH_STOP_WORDS,
    copulas: &[
        (" désigne ", false),
        (" désignent ", true),
        (" signifie ", false),
        (" est ", false),
        (" sont ", true),
        (" était ", false),
        (" étaient ", true),
    ],
    articles: &[
        "Le ",
        "La ",
        "Les ",
        "L'",
        "L\u{2019}",
        "Un ",
        "Une ",
        "Des ",
    ],
    elisions: &[
        "l", "d", "qu", "n", "s", "c", "j", "m", "t", "jusqu", "lorsqu", "puisqu",
    ],
};

static SPANISH: Lexicon = Lexicon {
    stop_words: SPANISH_STOP_WORDS,
    copulas: &[
        (" se refiere a ", false),
        (" significa ", false),
        (" es ", false),
        (" son ", true),
        (" era ", false),
        (" eran ", true),
    ],
    articles: &[
        "El ", "La ", "Los ", "Las ", "Un ", "Una ", "Unos ", "Unas ",
    ],
    elisions: &[],
};

static GERMAN: Lexicon = Lexicon {
    stop_words: GERMAN_STOP_WORDS,
    copulas: &[
        (" bezeichnet ", false),
        (" ist ", false),
        (" sind ", true),
        (" war ", false),
        (" waren ", true),
    ],
    articles: &["Der ", "Die ", "Das ", "Ein ", "Eine "],
    elisions: &[],
};

static PORTUGUESE: Lexicon = Lexicon {
    stop_words: PORTUGUESE_STOP_WORDS,
    copulas: &[
        (" refere-se a ", false),
        (" significa ", false),
        (" é ", false),
        (" são ", true),
        (" era ", false),
        (" eram ", true),
    ],
    articles: &["O ", "A ", "Os ", "As ", "Um ", "Uma "],
    elisions: &[],
};

static ITALIAN: Lexicon = Lexicon {
    stop_words: ITALIAN_STOP_WORDS,
    copulas: &[
        (" significa ", false),
        (" indica ", false),
        (" è ", false),
        (" sono ", true),
        (" era ", false),
        (" erano ", true),
    ],
    articles: &[
        "Il ",
        "Lo ",
        "La ",
        "I ",
        "Gli ",
        "Le ",
        "L'",
        "L\u{2019}",
        "Un ",
        "Uno ",
        "Una ",
        "Un'",
    ],
    elisions: &[
        "l", "un", "dell", "all", "dall", "nell", "sull", "quest", "quell", "c", "d", "s",
    ],
};

const FRENCH_STOP_WORDS: &[&str] = &[
    "ainsi",
    "alors",
    "après",
    "aucun",
    "aucune",
    "aussi",
    "autre",
    "autres",
    "aux",
    "avaient",
    "avait",
    "avant",
    "avec",
    "avoir",
    "bien",
    "car",
    "ceci",
    "cela",
    "celle",
    "celles",
    "celui",
    "cependant",
    "certaines",
    "certains",
    "ces",
    "cet",
    "cette",
    "ceux",
    "chaque",
    "chez",
    "comme",
    "dans",
    "des",
    "doit",
    "doivent",
    "donc",
    "dont",
    "déjà",
    "elle",
    "elles",
    "encore",
    "entre",
    "est",
    "eux",
    "faire",
    "fait",
    "ils",
    "jamais",
    "les",
    "leur",
    "leurs",
    "lorsque",
    "lui",
    "mais",
    "mes",
    "moins",
    "mon",
    "même",
    "mêmes",
    "non",
    "nos",
    "notre",
    "nous",
    "ont",
    "par",
    "parce",
    "pas",
    "pendant",
    "peut",
    "peuvent",
    "plus",
    "plusieurs",
    "pour",
    "puis",
    "quand",
    "que",
    "quelque",
    "quelques",
    "qui",
    "quoi",
    "sans",
    "selon",
    "sera",
    "seront",
    "ses",
    "son",
    "sont",
    "sous",
    "souvent",
    "sur",
    "tant",
    "tes",
    "ton",
    "toujours",
    "tous",
    "tout",
    "toute",
    "toutes",
    "très",
    "une",
    "vers",
    "vos",
    "votre",
    "vous",
    "étaient",
    "était",
    "été",
    "être",
];

const SPANISH_STOP_WORDS: &[&str] = &[
    "algunas", "algunos", "aquel", "aquella", "así", "aunque", "bajo", "cada", "como", "con",
    "cual", "cuales", "cuando", "cuya", "cuyo", "del", "desde", "donde", "durante", "ellas",
    "ello", "ellos", "entre", "era", "eran", "esa", "esas", "ese", "esos", "esta", "estar",
    "estas", "este", "estos", "está", "están", "fue", "fueron", "había", "hace", "hacer", "hacia",
    "han", "hasta", "hay", "las", "les", "los", "menos", "mientras", "misma", "mismo", "muy",
    "más", "nos", "nunca", "otra", "otras", "otro", "otros", "para", "pero", "por", "porque",
    "puede", "pueden", "pues", "que", "quien", "quienes", "según", "ser", "sido", "siempre", "sin",
    "sino", "sobre", "solo", "son", "sus", "sólo", "también", "tanto", "tiene", "tienen", "toda",
    "todas", "todo", "todos", "una", "unas", "unos", "usted",
];

const GERMAN_STOP_WORDS: &[&str] = &[
    "aber", "alle", "allem", "allen", "aller", "alles", "als", "also", "andere", "anderen",
    "anderer", "anderes", "auch", "auf", "aus", "bei", "bereits", "bzw", "dabei", "daher", "damit",
    "dann", "darf", "das", "dass", "dazu", "dem", "den", "denn", "der", "des", "deshalb", "die",
    "diese", "diesem", "diesen", "dieser", "dieses", "doch", "dort", "durch", "dürfen", "ein",
    "eine", "einem", "einen", "einer", "eines", "einige", "einigen", "etwa", "euch", "für",
    "gegen", "haben", "hat", "hatte", "hatten", "hier", "hinter", "ihm", "ihn", "ihr", "ihre",
    "ihrem", "ihren", "ihres", "immer", "ist", "jede", "jedem", "jeden", "jeder", "jedes", "kann",
    "kein", "keine", "keinem", "keinen", "keiner", "können", "man", "mehr", "mit", "muss",
    "müssen", "nach", "neben", "nicht", "noch", "nur", "oder", "oft", "ohne", "schon", "sehr",
    "sein", "seine", "seinem", "seinen", "seiner", "seines", "sich", "sie", "sind", "soll",
    "sollen", "sondern", "sowie", "und", "uns", "unter", "viele", "vielen", "von", "vor", "war",
    "waren", "was", "weil", "welche", "welchen", "welcher", "welches", "wenn", "wer", "werden",
    "wie", "will", "wir", "wird", "wollen", "wurde", "wurden", "zum", "zur", "zwischen", "über",
];

const PORTUGUESE_STOP_WORDS: &[&str] = &[
    "ainda", "algumas", "alguns", "aos", "apenas", "aquela", "aquele", "assim", "até", "cada",
    "com", "como", "das", "desde", "deve", "devem", "dos", "ela", "elas", "ele", "eles", "entre",
    "então", "era", "eram", "essa", "essas", "esse", "esses", "esta", "estar", "estas", "este",
    "estes", "está", "estão", "foi", "foram", "isso", "isto", "lhe", "lhes", "mais", "mas",
    "menos", "mesma", "mesmo", "muita", "muitas", "muito", "muitos", "nas", "nem", "nos", "nunca",
    "não", "onde", "outra", "outras", "outro", "outros", "para", "pela", "pelas", "pelo", "pelos",
    "pode", "podem", "pois", "por", "porque", "quais", "qual", "quando", "que", "quem", "sem",
    "sempre", "ser", "seu", "seus", "sido", "sim", "sob", "sobre", "sua", "suas", "são", "também",
    "tem", "ter", "toda", "todas", "todo", "todos", "têm", "uma", "umas", "uns",
];

const ITALIAN_STOP_WORDS: &[&str] = &[
    "agli", "alcune", "alcuni", "alla", "alle", "allo", "altra", "altre", "altri", "altro",
    "anche", "ancora", "avere", "aveva", "che", "chi", "come", "con", "così", "cui", "dagli",
    "dai", "dal", "dalla", "dalle", "dallo", "degli", "dei", "del", "della", "delle", "dello",
    "deve", "devono", "dove", "era", "erano", "essere", "fra", "già", "gli", "hanno", "loro",
    "mai", "meno", "mentre", "molta", "molte", "molti", "molto", "negli", "nei", "nel", "nella",
    "nelle", "nello", "non", "ogni", "per", "perché", "più", "poi", "possono", "può", "quale",
    "quali", "quando", "quella", "quelle", "quelli", "quello", "questa", "queste", "questi",
    "questo", "quindi", "sempre", "solo", "sono", "stata", "state", "stati", "stato", "stessa",
    "stesso", "sua", "sue", "sugli", "sui", "sul", "sulla", "sulle", "sullo", "suo", "suoi", "tra",
    "tutta", "tutte", "tutti", "tutto", "una", "uno",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        for language in Language::ALL {
            let words = Lexicon::of(Some(language)).stop_words;
            assert!(words.windows(2).all(|w| w[0] < w[1]), "{language:?}");
        }
    }

    #[test]
    fn elided_articles_are_cut_off() {
        let fr = Lexicon::of(Some(Language::French));
        assert_eq!(fr.without_elision("l'évaporation"), "évaporation");
        assert_eq!(fr.without_elision("aujourd'hui"), "aujourd'hui");
        let it = Lexicon::of(Some(Language::Italian));
        assert_eq!(it.without_elision("dell\u{2019}acqua"), "acqua");
    }
}
