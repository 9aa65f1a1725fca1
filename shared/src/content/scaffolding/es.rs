//! Spanish scaffolding. Questions open with ¿ and titles and terms sit inside « » so that no
//! article has to agree with them.

use super::{Language, Scaffolding};

pub const SCAFFOLDING: Scaffolding = Scaffolding {
    language: Language::Spanish,
    lower_leading_article: false,
    audiences: [
        "Personas que se inician en el tema",
        "Estudiantes con algunos conocimientos del tema",
        "Estudiantes avanzados y profesionales",
    ],
    objectives: [
        [
            "Definir {focus}",
            "Describir {focus}",
            "Identificar {focus}",
        ],
        ["Explicar {focus}", "Describir {focus}", "Ilustrar {focus}"],
        [
            "Analizar el papel de {focus}",
            "Evaluar {focus}",
            "Explicar la importancia de {focus}",
        ],
    ],
    term_focus: "«{term}»",
    main_ideas_of: "las ideas principales de «{title}»",
    welcome: "Bienvenidos. En este episodio recorremos «{title}».",
    with_me: "Hoy me acompaña: {names}.",
    and: " y ",
    thanks_host: "Gracias, {name}. Lo veremos en {n} partes.",
    turn_to: "Pasemos a «{title}».",
    so_what_is: [
        "Entonces, ¿qué es «{term}»?",
        "Entonces, ¿qué son «{term}»?",
    ],
    the_end: "Así llegamos al final de «{title}».",
    thanks_for_listening: "Gracias por escucharnos.",
    reread: "Volver a leer la sección {n} de la fuente, «{title}» (unos {minutes} min)",
    the_source: "{title} (el texto fuente, {chars} caracteres; SHA-256 {sha})",
    cited_in_the_source: "Citado en la fuente",
    faq_about: "¿Qué conviene saber sobre «{title}»?",
    what_is: ["¿Qué es «{term}»?", "¿Qué son «{term}»?"],
    how_defined: "¿Cómo define el texto «{term}» y por qué es importante aquí?",
    says_about: "¿Qué dice el texto sobre «{phrase}» en «{title}»?",
    main_point: [
        "¿Cuál es la idea principal del texto en «{title}»?",
        "¿Qué pruebas o ejemplos da el texto en «{title}»?",
        "¿Cómo resumiría «{title}» con sus propias palabras?",
    ],
    completes: "¿Qué término completa esta afirmación de la fuente: «{statement}»?",
    source_says: "La fuente dice: «{sentence}»",
    true_or_false: "¿Verdadero o falso: «{statement}»?",
    true_because: "Verdadero: la fuente dice «{sentence}»",
    false_because: "Falso: la fuente dice esto de «{term}», no de «{other}»: «{sentence}»",
    true_false: ["Verdadero", "Falso"],
};
