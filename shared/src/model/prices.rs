//! List prices of the models the providers support, so a job's cost is never silently zero
//! for a known model. `FACTORY_MODEL_PRICES` overrides or extends the table (negotiated rates,
//! new models); a model in neither is priced as unknown, never as free.
//!
//! Dollars per million tokens (input, output), standard tier, short prompts (under 200,000
//! tokens), as published by Google and OpenAI on the date below. Prices change: check the
//! providers' pages and override what differs.

use std::collections::BTreeMap;

use super::engine::Price;

/// When the table was taken from the providers' price lists.
pub const LIST_PRICES_AS_OF: &str = "2025-09-01";

/// (model, input, output) in dollars per million tokens.
const LIST_PRICES: &[(&str, f64, f64)] = &[
    // Gemini (Vertex AI and the Gemini API list the same standard prices).
    ("gemini-2.5-pro", 1.25, 10.00),
    ("gemini-2.5-flash", 0.30, 2.50),
    ("gemini-2.5-flash-lite", 0.10, 0.40),
    ("gemini-2.0-flash", 0.10, 0.40),
    ("gemini-2.0-flash-lite", 0.075, 0.30),
    // OpenAI.
    ("gpt-5", 1.25, 10.00),
    ("gpt-5-mini", 0.25, 2.00),
    ("gpt-5-nano", 0.05, 0.40),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4o-mini", 0.15, 0.60),
];

/// The price of `model`: the configured one (`FACTORY_MODEL_PRICES`), else the list price of
/// the model or of the listed model it is a dated or numbered snapshot of
/// (`gpt-4o-mini-2024-07-18`, `gemini-2.5-flash-001`); `None` when unknown.
pub fn price_of(model: &str, configured: &BTreeMap<String, (f64, f64)>) -> Option<Price> {
    let price = |(input_per_million, output_per_million): (f64, f64)| Price {
        input_per_million,
        output_per_million,
    };
    if let Some(&configured) = configured.get(model) {
        return Some(price(configured));
    }
    LIST_PRICES
        .iter()
        .filter(|(listed, _, _)| is_snapshot_of(model, listed))
        .max_by_key(|(listed, _, _)| listed.len())
        .map(|&(_, input, output)| price((input, output)))
}

/// `model` is `listed` itself, or `listed` followed by `-` and a version that starts with a
/// digit (so `gpt-4o-mini` is not a snapshot of `gpt-4o`).
fn is_snapshot_of(model: &str, listed: &str) -> bool {
    match model.strip_prefix(listed) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix('-')
            .is_some_and(|version| version.starts_with(|c: char| c.is_ascii_digit())),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(model: &str) -> Option<(f64, f64)> {
        price_of(model, &BTreeMap::new()).map(|p| (p.input_per_million, p.output_per_million))
    }

    #[test]
    fn known_models_and_their_snapshots_have_list_prices() {
        assert_eq!(listed("gemini-2.5-flash"), Some((0.30, 2.50)));
        assert_eq!(listed("gemini-2.5-flash-001"), Some((0.30, 2.50)));
        assert_eq!(listed("gemini-2.5-flash-lite"), Some((0.10, 0.40)));
        assert_eq!(listed("gpt-4o-mini-2024-07-18"), Some((0.15, 0.60)));
        assert_eq!(listed("gpt-4o-2024-08-06"), Some((2.50, 10.00)));
    }

    #[test]
    fn unknown_models_have_no_price_rather_than_zero() {
        assert_eq!(listed("smollm2-135m"), None);
        assert_eq!(listed("gpt-4o-audio-preview"), None);
        assert_eq!(listed("gemini-2.5"), None);
    }

    #[test]
    fn a_configured_price_wins_over_the_list() {
        let configured = BTreeMap::from([
            ("gpt-4o-mini".to_owned(), (0.10, 0.50)),
            ("smollm2-135m".to_owned(), (0.0, 0.0)),
        ]);
        let price = |m| price_of(m, &configured).map(|p| p.input_per_million);
        assert_eq!(price("gpt-4o-mini"), Some(0.10));
        assert_eq!(price("smollm2-135m"), Some(0.0));
        assert_eq!(price("gpt-4o"), Some(2.50));
    }
}
