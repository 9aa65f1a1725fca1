//! French scaffolding. Titles and terms sit inside « » so that no article has to agree with
//! them; a no-break space goes before « ? », « : » and inside the guillemets.

use super::{Language, Scaffolding};

pub const SCAFFOLDING: Scaffolding = Scaffolding {
    language: Language::French,
    lower_leading_article: false,
    audiences: [
        "Personnes qui découvrent le sujet",
        "Apprenants ayant déjà quelques bases sur le sujet",
        "Apprenants avancés et praticiens",
    ],
    objectives: [
        ["Définir {focus}", "Décrire {focus}", "Identifier {focus}"],
        ["Expliquer {focus}", "Décrire {focus}", "Illustrer {focus}"],
        [
            "Analyser {focus}",
            "Évaluer {focus}",
            "Mettre en perspective {focus}",
        ],
    ],
    term_focus: "«\u{a0}{term}\u{a0}»",
    main_ideas_of: "les idées principales de «\u{a0}{title}\u{a0}»",
    welcome: "Bienvenue. Dans cet épisode, nous parcourons «\u{a0}{title}\u{a0}».",
    with_me: "Avec moi aujourd'hui\u{a0}: {names}.",
    and: " et ",
    thanks_host: "Merci, {name}. Nous allons procéder en {n} parties.",
    turn_to: "Passons à «\u{a0}{title}\u{a0}».",
    so_what_is: [
        "Alors, qu'est-ce que «\u{a0}{term}\u{a0}»\u{a0}?",
        "Alors, que désigne «\u{a0}{term}\u{a0}»\u{a0}?",
    ],
    the_end: "Nous arrivons au terme de «\u{a0}{title}\u{a0}».",
    thanks_for_listening: "Merci de votre écoute.",
    reread: "Relire la section {n} de la source, «\u{a0}{title}\u{a0}» (environ {minutes}\u{a0}min)",
    the_source: "{title} (le texte source, {chars} caractères\u{a0}; SHA-256 {sha})",
    cited_in_the_source: "Cité dans la source",
    faq_about: "Que faut-il retenir sur «\u{a0}{title}\u{a0}»\u{a0}?",
    what_is: [
        "Qu'est-ce que «\u{a0}{term}\u{a0}»\u{a0}?",
        "Que désigne «\u{a0}{term}\u{a0}»\u{a0}?",
    ],
    how_defined: "Comment le texte définit-il «\u{a0}{term}\u{a0}», et pourquoi est-ce important ici\u{a0}?",
    says_about: "Que dit le texte de «\u{a0}{phrase}\u{a0}» dans «\u{a0}{title}\u{a0}»\u{a0}?",
    main_point: [
        "Quelle est l'idée principale du texte dans «\u{a0}{title}\u{a0}»\u{a0}?",
        "Quels arguments ou exemples le texte donne-t-il dans «\u{a0}{title}\u{a0}»\u{a0}?",
        "Comment résumeriez-vous «\u{a0}{title}\u{a0}» avec vos propres mots\u{a0}?",
    ],
    completes: "Quel terme complète cet énoncé de la source\u{a0}: «\u{a0}{statement}\u{a0}»\u{a0}?",
    source_says: "La source dit\u{a0}: «\u{a0}{sentence}\u{a0}»",
    true_or_false: "Vrai ou faux\u{a0}: «\u{a0}{statement}\u{a0}»\u{a0}?",
    true_because: "Vrai\u{a0}: la source dit «\u{a0}{sentence}\u{a0}»",
    false_because: "Faux\u{a0}: la source dit ceci de «\u{a0}{term}\u{a0}», et non de «\u{a0}{other}\u{a0}»\u{a0}: «\u{a0}{sentence}\u{a0}»",
    true_false: ["Vrai", "Faux"],
};
