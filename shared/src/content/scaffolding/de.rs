//! German scaffolding. Titles and terms sit inside „ “ so that no article or case ending has
//! to agree with them.

use super::{Language, Scaffolding};

pub const SCAFFOLDING: Scaffolding = Scaffolding {
    language: Language::German,
    lower_leading_article: false,
    audiences: [
        "Einsteiger in das Thema",
        "Lernende mit Vorkenntnissen im Thema",
        "Fortgeschrittene Lernende und Fachleute",
    ],
    objectives: [
        [
            "{focus} definieren",
            "{focus} beschreiben",
            "{focus} erkennen",
        ],
        [
            "{focus} erklären",
            "{focus} beschreiben",
            "{focus} veranschaulichen",
        ],
        [
            "{focus} analysieren",
            "{focus} bewerten",
            "{focus} einordnen",
        ],
    ],
    term_focus: "„{term}“",
    main_ideas_of: "die Hauptgedanken von „{title}“",
    welcome: "Willkommen. In dieser Folge arbeiten wir „{title}“ durch.",
    with_me: "Heute bei mir: {names}.",
    and: " und ",
    thanks_host: "Danke, {name}. Wir gehen in {n} Teilen vor.",
    turn_to: "Kommen wir zu „{title}“.",
    so_what_is: ["Was ist also „{term}“?", "Was sind also „{term}“?"],
    the_end: "Damit sind wir am Ende von „{title}“.",
    thanks_for_listening: "Danke fürs Zuhören.",
    reread: "Abschnitt {n} der Quelle noch einmal lesen, „{title}“ (etwa {minutes} Min.)",
    the_source: "{title} (der Quelltext, {chars} Zeichen; SHA-256 {sha})",
    cited_in_the_source: "In der Quelle zitiert",
    faq_about: "Was sollte man über „{title}“ wissen?",
    what_is: ["Was ist „{term}“?", "Was sind „{term}“?"],
    how_defined: "Wie definiert der Text „{term}“, und warum ist das hier wichtig?",
    says_about: "Was sagt der Text über „{phrase}“ in „{title}“?",
    main_point: [
        "Was ist die Hauptaussage des Textes in „{title}“?",
        "Welche Belege oder Beispiele gibt der Text in „{title}“?",
        "Wie würden Sie „{title}“ mit eigenen Worten zusammenfassen?",
    ],
    completes: "Welcher Begriff vervollständigt diese Aussage der Quelle: „{statement}“?",
    source_says: "Die Quelle sagt: „{sentence}“",
    true_or_false: "Richtig oder falsch: „{statement}“?",
    true_because: "Richtig: Die Quelle sagt „{sentence}“",
    false_because: "Falsch: Die Quelle sagt dies über „{term}“, nicht über „{other}“: „{sentence}“",
    true_false: ["Richtig", "Falsch"],
};
