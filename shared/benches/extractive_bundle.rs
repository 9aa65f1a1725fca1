//! How long the extractive engine takes to build a whole bundle: the outline, then the seven
//! derivatives from it, each validated and rendered to Markdown, as the pipeline does.
//!
//! Every iteration uses a fresh engine, so its analysis cache never hides the analysis cost.
//! Sources of 1k, 10k and 100k words are generated here, deterministically: a Markdown
//! document with a title, an introduction and `## Section N` headings over paragraphs (and a
//! few lists) of varied sentences drawn from a fixed vocabulary by a small LCG, about one in
//! five of them definitional ("Term is a …") so that every kind has material.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use factory_shared::content::{Content, Kind, Options, ValidationContext, Violation};
use factory_shared::extractive::ExtractiveEngine;
use factory_shared::generation::GenerationRequest;
use factory_shared::outcome::StepError;
use factory_shared::source::SourceText;

/// Source sizes in words, with the samples and measurement time each gets (the whole bench
/// should finish in about two minutes on two cores).
const SIZES: [(usize, usize, u64); 3] = [(1_000, 50, 5), (10_000, 20, 5), (100_000, 10, 8)];

// ---------------------------------------------------------------------------------------------
// Source generation
// ---------------------------------------------------------------------------------------------

const ADJECTIVES: &[&str] = &[
    "coastal", "seasonal", "local", "dense", "stable", "rapid", "gradual", "shallow", "northern",
    "urban", "primary", "mature", "young", "fragile", "diverse", "native", "annual", "central",
    "hidden", "fertile", "dry", "humid", "rocky", "open",
];

/// Singular nouns whose plural adds an "s".
const NOUNS: &[&str] = &[
    "river",
    "forest",
    "wetland",
    "meadow",
    "soil",
    "root",
    "canopy",
    "habitat",
    "predator",
    "seed",
    "nutrient",
    "cycle",
    "season",
    "current",
    "glacier",
    "delta",
    "marsh",
    "reef",
    "valley",
    "insect",
    "grassland",
    "watershed",
    "population",
    "colony",
    "pollinator",
    "mineral",
    "sediment",
    "nest",
    "burrow",
    "lichen",
    "herd",
    "flood",
    "drought",
    "slope",
    "basin",
    "dune",
];

/// Third-person singular verbs; dropping the final "s" gives the plural form.
const VERBS: &[&str] = &[
    "shapes", "supports", "limits", "protects", "feeds", "shelters", "stores", "releases",
    "drives", "controls", "alters", "connects", "moves", "recycles", "replaces", "sustains",
    "filters", "absorbs",
];

const TIMES: &[&str] = &[
    "each spring",
    "in late summer",
    "after heavy rain",
    "over many decades",
    "during the winter months",
    "at night",
    "within a single year",
    "across several generations",
];

const OBSERVERS: &[&str] = &[
    "Field ecologists",
    "Early naturalists",
    "Soil scientists",
    "Modern surveys",
    "Long-term studies",
    "Local farmers",
];

/// A 64-bit linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        ((self.next() * n as u64) >> 31) as usize
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len())]
    }

    fn adj(&mut self) -> &'static str {
        self.pick(ADJECTIVES)
    }

    fn noun(&mut self) -> &'static str {
        self.pick(NOUNS)
    }

    fn verb(&mut self) -> &'static str {
        self.pick(VERBS)
    }

    fn verb_plural(&mut self) -> &'static str {
        let verb = self.verb();
        verb.strip_suffix('s').unwrap_or(verb)
    }

    fn time(&mut self) -> &'static str {
        self.pick(TIMES)
    }
}

fn capitalize(word: &str) -> String {
    let mut cs = word.chars();
    cs.next()
        .map(|f| f.to_uppercase().chain(cs).collect())
        .unwrap_or_default()
}

/// One sentence; about one in five defines a term.
fn sentence(rng: &mut Lcg) -> String {
    match rng.below(20) {
        0 | 1 => {
            let term = if rng.below(3) == 0 {
                capitalize(rng.noun())
            } else {
                format!("{} {}", capitalize(rng.adj()), rng.noun())
            };
            format!(
                "{term} is a {} {} that {} the {} of the {} {}.",
                rng.adj(),
                rng.noun(),
                rng.verb(),
                rng.noun(),
                rng.adj(),
                rng.noun()
            )
        }
        2 => format!(
            "The {} {} is the {} that {} {}s {}.",
            rng.adj(),
            rng.noun(),
            rng.noun(),
            rng.verb(),
            rng.noun(),
            rng.time()
        ),
        3 => format!(
            "{} {} refers to the way a {} {} nearby {}s {}.",
            capitalize(rng.adj()),
            rng.noun(),
            rng.noun(),
            rng.verb(),
            rng.noun(),
            rng.time()
        ),
        4 => format!(
            "{} {}s are {} {}s that {} the {} {}.",
            capitalize(rng.adj()),
            rng.noun(),
            rng.adj(),
            rng.noun(),
            rng.verb_plural(),
            rng.noun(),
            rng.time()
        ),
        5..=7 => format!(
            "The {} of the {} {} {} the {} {}.",
            rng.noun(),
            rng.adj(),
            rng.noun(),
            rng.verb(),
            rng.noun(),
            rng.time()
        ),
        8 | 9 => format!(
            "{} have shown that {} {}s {} {}s more than {} {}s do.",
            rng.pick(OBSERVERS),
            rng.adj(),
            rng.noun(),
            rng.verb_plural(),
            rng.noun(),
            rng.adj(),
            rng.noun()
        ),
        10 | 11 => format!(
            "{}, the {} {} {} {}s and {} the {}.",
            capitalize(rng.time()),
            rng.adj(),
            rng.noun(),
            rng.verb(),
            rng.noun(),
            rng.verb(),
            rng.noun()
        ),
        12 | 13 => format!(
            "Because the {} {} the {}, {} {}s often {} the {} {}.",
            rng.noun(),
            rng.verb(),
            rng.noun(),
            rng.adj(),
            rng.noun(),
            rng.verb_plural(),
            rng.noun(),
            rng.time()
        ),
        14 => format!(
            "This pattern {} the {} of every {} {} nearby.",
            rng.verb(),
            rng.noun(),
            rng.adj(),
            rng.noun()
        ),
        15 => format!(
            "About {} percent of {} {}s {} a {} within {} kilometers of the {}.",
            5 + rng.below(90),
            rng.adj(),
            rng.noun(),
            rng.verb_plural(),
            rng.noun(),
            2 + rng.below(40),
            rng.noun()
        ),
        16 => format!("{} {}s recover slowly.", capitalize(rng.adj()), rng.noun()),
        17 => format!(
            "Where the {} is {}, the {} {} more {}s; where it is {}, the {} {} fewer.",
            rng.noun(),
            rng.adj(),
            rng.noun(),
            rng.verb(),
            rng.noun(),
            rng.adj(),
            rng.noun(),
            rng.verb_plural()
        ),
        _ => format!(
            "A {} {} {} the {} and the {} {}, so the {} changes {}.",
            rng.adj(),
            rng.noun(),
            rng.verb(),
            rng.noun(),
            rng.adj(),
            rng.noun(),
            rng.noun(),
            rng.time()
        ),
    }
}

/// A paragraph of 3 to 7 sentences.
fn paragraph(rng: &mut Lcg) -> String {
    let n = 3 + rng.below(5);
    (0..n).map(|_| sentence(rng)).collect::<Vec<_>>().join(" ")
}

/// A bullet list of 3 to 5 short items.
fn list(rng: &mut Lcg) -> String {
    let n = 3 + rng.below(3);
    (0..n)
        .map(|_| {
            format!(
                "- {} {}s {} the {} {}.",
                capitalize(rng.adj()),
                rng.noun(),
                rng.verb_plural(),
                rng.noun(),
                rng.time()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A Markdown source of about `words` words: a title, an introduction, and `## Section N`
/// sections (eight per 1k words, about 125 words each) of paragraphs and a few lists.
fn generate(words: usize) -> String {
    let mut rng = Lcg(0x5eed_0000 + words as u64);
    let mut out = String::from("# How Landscapes Work: Rivers, Soils and Living Communities\n\n");
    let mut count = out.split_whitespace().count();
    let intro = format!(
        "{} {} {}",
        sentence(&mut rng),
        sentence(&mut rng),
        sentence(&mut rng)
    );
    count += intro.split_whitespace().count();
    out.push_str(&intro);
    out.push_str("\n\n");

    let sections = (words / 125).max(8);
    let per_section = words.saturating_sub(count) / sections;
    for n in 1..=sections {
        let heading = format!("## Section {n}\n\n");
        count += heading.split_whitespace().count();
        out.push_str(&heading);
        let until = (words * n / sections).max(count + 20);
        let mut first = true;
        while count < until || first {
            // Lists never open or close a section, so each has a paragraph to lead and end it.
            let block = if !first && until - count > per_section / 2 && rng.below(6) == 0 {
                list(&mut rng)
            } else {
                paragraph(&mut rng)
            };
            first = false;
            count += block.split_whitespace().count();
            out.push_str(&block);
            out.push_str("\n\n");
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The bundle
// ---------------------------------------------------------------------------------------------

/// A generated source, checked and hashed once (as the pipeline does before any step).
struct Prepared {
    words: usize,
    source: Arc<str>,
    sha256: String,
    chars: usize,
    options: Arc<Options>,
}

impl Prepared {
    fn new(words: usize) -> Self {
        let text = generate(words);
        let source = SourceText::parse(&text)
            .unwrap_or_else(|e| panic!("generated {words}-word source refused: {e}"));
        Self {
            words: source.as_str().split_whitespace().count(),
            sha256: source.sha256(),
            chars: source.chars(),
            source: Arc::from(source.as_str()),
            options: Arc::new(Options::default()),
        }
    }
}

/// What one kind came to: its content's violations and the length of its Markdown.
struct Built {
    kind: Kind,
    violations: Vec<Violation>,
    markdown_len: usize,
}

/// Builds, validates and renders all eight kinds with a fresh engine.
fn bundle(p: &Prepared) -> Result<Vec<Built>, (Kind, StepError)> {
    let engine = ExtractiveEngine::new();
    let request = |kind, outline| GenerationRequest {
        kind,
        source: Arc::clone(&p.source),
        source_sha256: p.sha256.clone(),
        outline,
        options: Arc::clone(&p.options),
    };
    let outline_content = engine
        .build(&request(Kind::Outline, None))
        .map_err(|e| (Kind::Outline, e))?;
    let Content::Outline(outline) = &outline_content else {
        unreachable!("the engine built another kind")
    };
    let outline = Arc::new(outline.clone());
    let ctx = ValidationContext {
        outline: Some(&outline),
        source_chars: Some(p.chars),
        options: &p.options,
    };
    let finish = |content: &Content| Built {
        kind: content.kind(),
        violations: content.validate(&ctx),
        markdown_len: content
            .to_markdown(&factory_shared::content::Scaffolding::for_tag("en").labels)
            .len(),
    };
    let mut built = Vec::with_capacity(Kind::ALL.len());
    built.push(finish(&outline_content));
    for &kind in &Kind::ALL[1..] {
        let content = engine
            .build(&request(kind, Some(Arc::clone(&outline))))
            .map_err(|e| (kind, e))?;
        built.push(finish(&content));
    }
    Ok(built)
}

/// Panics unless every kind builds, validates cleanly and renders, so the benchmark never
/// measures a failure path.
fn check(p: &Prepared) {
    let built =
        bundle(p).unwrap_or_else(|(kind, e)| panic!("{} words: {kind} failed: {e}", p.words));
    assert_eq!(built.len(), Kind::ALL.len());
    for b in &built {
        assert!(
            b.violations.is_empty(),
            "{} words: {} has violations: {:#?}",
            p.words,
            b.kind,
            b.violations
        );
        assert!(
            b.markdown_len > 0,
            "{} words: {} rendered no Markdown",
            p.words,
            b.kind
        );
    }
}

fn extractive_bundle(c: &mut Criterion) {
    let mut group = c.benchmark_group("extractive_bundle");
    for (words, samples, seconds) in SIZES {
        let prepared = Prepared::new(words);
        check(&prepared);
        group
            .throughput(Throughput::Elements(prepared.words as u64))
            .sample_size(samples)
            .warm_up_time(Duration::from_secs(if words >= 100_000 { 2 } else { 1 }))
            .measurement_time(Duration::from_secs(seconds))
            .sampling_mode(if words >= 10_000 {
                SamplingMode::Flat
            } else {
                SamplingMode::Auto
            });
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{}k", words / 1_000)),
            &prepared,
            |b, p| {
                b.iter(|| black_box(bundle(black_box(p))));
            },
        );
    }
    group.finish();
}

criterion_group!(benches, extractive_bundle);
criterion_main!(benches);
