//! Italian scaffolding. Titles and terms sit inside « » so that no article or articulated
//! preposition ("del", "della") has to agree with them.

use super::{Language, Scaffolding};

pub const SCAFFOLDING: Scaffolding = Scaffolding {
    language: Language::Italian,
    lower_leading_article: false,
    audiences: [
        "Chi si avvicina per la prima volta all'argomento",
        "Studenti con qualche conoscenza dell'argomento",
        "Studenti avanzati e professionisti",
    ],
    objectives: [
        [
            "Definire {focus}",
            "Descrivere {focus}",
            "Riconoscere {focus}",
        ],
        [
            "Spiegare {focus}",
            "Descrivere {focus}",
            "Illustrare {focus}",
        ],
        [
            "Analizzare {focus}",
            "Valutare {focus}",
            "Discutere {focus}",
        ],
    ],
    term_focus: "«{term}»",
    main_ideas_of: "le idee principali di «{title}»",
    welcome: "Benvenuti. In questo episodio percorriamo «{title}».",
    with_me: "Con me oggi: {names}.",
    and: " e ",
    thanks_host: "Grazie, {name}. Procederemo in {n} parti.",
    turn_to: "Passiamo a «{title}».",
    so_what_is: [
        "Allora, che cos'è «{term}»?",
        "Allora, che cosa sono «{term}»?",
    ],
    the_end: "Siamo così giunti alla fine di «{title}».",
    thanks_for_listening: "Grazie per l'ascolto.",
    reread: "Rileggere la sezione {n} della fonte, «{title}» (circa {minutes} min)",
    the_source: "{title} (il testo di partenza, {chars} caratteri; SHA-256 {sha})",
    cited_in_the_source: "Citato nella fonte",
    faq_about: "Che cosa bisogna sapere su «{title}»?",
    what_is: ["Che cos'è «{term}»?", "Che cosa sono «{term}»?"],
    how_defined: "Come definisce il testo «{term}» e perché è importante qui?",
    says_about: "Che cosa dice il testo di «{phrase}» in «{title}»?",
    main_point: [
        "Qual è l'idea principale del testo in «{title}»?",
        "Quali prove o esempi fornisce il testo in «{title}»?",
        "Come riassumeresti «{title}» con parole tue?",
    ],
    completes: "Quale termine completa questa affermazione della fonte: «{statement}»?",
    source_says: "La fonte dice: «{sentence}»",
    true_or_false: "Vero o falso: «{statement}»?",
    true_because: "Vero: la fonte dice «{sentence}»",
    false_because: "Falso: la fonte dice questo di «{term}», non di «{other}»: «{sentence}»",
    true_false: ["Vero", "Falso"],
};
