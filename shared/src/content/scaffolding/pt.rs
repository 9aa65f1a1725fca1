//! Portuguese scaffolding. Titles and terms sit inside “ ” so that no article or contraction
//! ("do", "da") has to agree with them.

use super::{Language, Scaffolding};

pub const SCAFFOLDING: Scaffolding = Scaffolding {
    language: Language::Portuguese,
    lower_leading_article: false,
    audiences: [
        "Pessoas que estão começando no assunto",
        "Estudantes com alguma base no assunto",
        "Estudantes avançados e profissionais",
    ],
    objectives: [
        [
            "Definir {focus}",
            "Descrever {focus}",
            "Identificar {focus}",
        ],
        ["Explicar {focus}", "Descrever {focus}", "Ilustrar {focus}"],
        ["Analisar {focus}", "Avaliar {focus}", "Discutir {focus}"],
    ],
    term_focus: "“{term}”",
    main_ideas_of: "as ideias principais de “{title}”",
    welcome: "Bem-vindos. Neste episódio, percorremos “{title}”.",
    with_me: "Comigo hoje: {names}.",
    and: " e ",
    thanks_host: "Obrigado, {name}. Vamos fazer isso em {n} partes.",
    turn_to: "Vamos passar para “{title}”.",
    so_what_is: ["Então, o que é “{term}”?", "Então, o que são “{term}”?"],
    the_end: "Assim chegamos ao fim de “{title}”.",
    thanks_for_listening: "Obrigado por nos ouvir.",
    reread: "Releia a seção {n} da fonte, “{title}” (cerca de {minutes} min)",
    the_source: "{title} (o texto-fonte, {chars} caracteres; SHA-256 {sha})",
    cited_in_the_source: "Citado na fonte",
    faq_about: "O que é preciso saber sobre “{title}”?",
    what_is: ["O que é “{term}”?", "O que são “{term}”?"],
    how_defined: "Como o texto define “{term}”, e por que isso importa aqui?",
    says_about: "O que o texto diz sobre “{phrase}” em “{title}”?",
    main_point: [
        "Qual é a ideia principal do texto em “{title}”?",
        "Que evidências ou exemplos o texto apresenta em “{title}”?",
        "Como você resumiria “{title}” com suas próprias palavras?",
    ],
    completes: "Que termo completa esta afirmação da fonte: “{statement}”?",
    source_says: "A fonte diz: “{sentence}”",
    true_or_false: "Verdadeiro ou falso: “{statement}”?",
    true_because: "Verdadeiro: a fonte diz “{sentence}”",
    false_because: "Falso: a fonte diz isto de “{term}”, não de “{other}”: “{sentence}”",
    true_false: ["Verdadeiro", "Falso"],
};
