//! The grounding measure on the extractive engine's output for every shipped example, and
//! in the job's quality block: every fact-bearing item the extractive engine writes cites a
//! span that supports it. `cargo test … grounding -- --nocapture` prints the table that
//! `docs/quality.md` reports.

use factory_shared::content::{Content, Kind, Options};
use factory_shared::source::SourceText;

use crate::extractive::{EXAMPLES, build_all};

#[test]
fn every_claim_of_the_extractive_engine_is_cited_and_supported() {
    let mut measured = 0;
    println!("| example | kind | claims | supported | unsupported | uncited |");
    println!("|---|---|---|---|---|---|");
    for path in EXAMPLES {
        let text = std::fs::read_to_string(path).unwrap();
        let source = SourceText::parse(&text).unwrap();
        let built = build_all(&text, &Options::default());
        assert_eq!(built.len(), Kind::ALL.len());
        for content in built {
            let content: Content = content.unwrap();
            let grounding = content.grounding(source.as_str());
            let name = path.rsplit('/').next().unwrap();
            println!(
                "| {name} | {} | {} | {} | {} | {} |",
                content.kind(),
                grounding.claims(),
                grounding.supported,
                grounding.unsupported,
                grounding.uncited
            );
            assert_eq!(
                grounding.uncited,
                0,
                "{name} {}: {grounding:?}",
                content.kind()
            );
            assert_eq!(
                grounding.unsupported,
                0,
                "{name} {}: {grounding:?}",
                content.kind()
            );
            assert!(!grounding.mostly_unsupported());
            if content.kind() != Kind::ReadingQuestions {
                assert!(
                    grounding.claims() > 0,
                    "{name} {} has claims",
                    content.kind()
                );
                measured += 1;
            }
        }
    }
    assert_eq!(measured, EXAMPLES.len() * (Kind::ALL.len() - 1));
}

#[test]
fn claims_that_cite_the_wrong_span_are_counted_unsupported_and_flag_the_kind() {
    let text = std::fs::read_to_string(EXAMPLES[2]).unwrap();
    let source = SourceText::parse(&text).unwrap();
    let built = build_all(&text, &Options::default());
    let Ok(Content::Faq(mut faq)) =
        built[Kind::ALL.iter().position(|k| *k == Kind::Faq).unwrap()].clone()
    else {
        panic!("the FAQ was built")
    };
    // Every answer now cites the span of the next answer: the right kind of reference,
    // pointing at the wrong sentence.
    let spans: Vec<_> = faq.items.iter().map(|i| i.source.span).collect();
    let n = faq.items.len();
    for (i, item) in faq.items.iter_mut().enumerate() {
        item.source.span = spans[(i + 1) % n];
    }
    let grounding = Content::Faq(faq.clone()).grounding(source.as_str());
    assert!(grounding.unsupported * 2 > n as u32, "{grounding:?}");
    assert!(grounding.mostly_unsupported());

    for item in &mut faq.items {
        item.source.span = None;
    }
    let grounding = Content::Faq(faq).grounding(source.as_str());
    assert_eq!(grounding.uncited as usize, n);
    assert!(grounding.mostly_unsupported());
}
