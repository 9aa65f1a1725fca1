//! English scaffolding.

use super::{Language, Scaffolding};

pub const SCAFFOLDING: Scaffolding = Scaffolding {
    language: Language::English,
    lower_leading_article: true,
    audiences: [
        "Newcomers to the subject",
        "Learners with some background in the subject",
        "Advanced learners and practitioners",
    ],
    objectives: [
        ["Define {focus}", "Describe {focus}", "Identify {focus}"],
        ["Explain {focus}", "Describe {focus}", "Illustrate {focus}"],
        [
            "Analyze the role of {focus}",
            "Evaluate {focus}",
            "Explain the significance of {focus}",
        ],
    ],
    term_focus: "{term}",
    main_ideas_of: "the main ideas of \"{title}\"",
    welcome: "Welcome. In this episode we work through {title}.",
    with_me: "With me today: {names}.",
    and: " and ",
    thanks_host: "Thanks, {name}. We will take it in {n} parts.",
    turn_to: "Let's turn to {title}.",
    so_what_is: ["So what is {term}?", "So what are {term}?"],
    the_end: "That brings us to the end of {title}.",
    thanks_for_listening: "Thanks for listening.",
    reread: "Re-read section {n} of the source, \"{title}\" (about {minutes} min)",
    the_source: "{title} (the source text, {chars} characters; SHA-256 {sha})",
    cited_in_the_source: "Cited in the source",
    faq_about: "What should a learner know about {title}?",
    what_is: ["What is {term}?", "What are {term}?"],
    how_defined: "How does the text define {term}, and why does it matter here?",
    says_about: "What does the text say about {phrase} in \"{title}\"?",
    main_point: [
        "What is the main point the text makes in \"{title}\"?",
        "Which evidence or examples does the text give in \"{title}\"?",
        "How would you summarize \"{title}\" in your own words?",
    ],
    completes: "Which term completes this statement from the source: \u{201c}{statement}\u{201d}?",
    source_says: "The source says: \u{201c}{sentence}\u{201d}",
    true_or_false: "True or false: \u{201c}{statement}\u{201d}?",
    true_because: "True: the source says \u{201c}{sentence}\u{201d}",
    false_because: "False: the source says this of {term}, not of {other}: \u{201c}{sentence}\u{201d}",
    true_false: ["True", "False"],
};
