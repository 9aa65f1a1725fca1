//! What practice material teaches, made visible: the cognitive level an item asks for
//! (Bloom's revised taxonomy), the outline's learning objective it serves, and a bundle's
//! coverage matrix (objectives × practice kinds, with counts) that flags every objective
//! no practice item covers.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::validate::{Checks, Rule, Violation};
use super::{Content, Kind, Outline};

/// The cognitive level an item asks for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Bloom {
    Remember,
    Understand,
    Apply,
    Analyse,
    Evaluate,
    Create,
}

impl Bloom {
    pub fn slug(self) -> &'static str {
        match self {
            Self::Remember => "remember",
            Self::Understand => "understand",
            Self::Apply => "apply",
            Self::Analyse => "analyse",
            Self::Evaluate => "evaluate",
            Self::Create => "create",
        }
    }
}

/// The learning objective an outline section serves: the extractive outline writes one per
/// section, in order; later sections share the last objective.
pub fn objective_of(outline: &Outline, section: u32) -> u32 {
    let objectives = outline.learning_objectives.len().max(1) as u32;
    section.clamp(1, objectives)
}

/// How the bundle's practice items cover the outline's learning objectives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub title: String,
    pub objectives: Vec<ObjectiveCoverage>,
    /// The objectives (1-based) no practice item covers.
    pub uncovered: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectiveCoverage {
    pub number: u32,
    pub objective: String,
    /// Practice items per kind.
    pub items: BTreeMap<Kind, u32>,
    /// Practice items per cognitive level.
    pub levels: BTreeMap<Bloom, u32>,
}

impl Coverage {
    /// The matrix of `outline`'s objectives against the practice items of `artifacts` (kinds
    /// without practice items are left out).
    pub fn of(outline: &Outline, artifacts: &[Content]) -> Self {
        let mut objectives: Vec<ObjectiveCoverage> = outline
            .learning_objectives
            .iter()
            .enumerate()
            .map(|(i, objective)| ObjectiveCoverage {
                number: i as u32 + 1,
                objective: objective.clone(),
                items: artifacts
                    .iter()
                    .filter(|a| !a.practice().is_empty())
                    .map(|a| (a.kind(), 0))
                    .collect(),
                levels: BTreeMap::new(),
            })
            .collect();
        for artifact in artifacts {
            for (objective, bloom) in artifact.practice() {
                if let Some(row) = objectives.get_mut(objective.saturating_sub(1) as usize) {
                    *row.items.entry(artifact.kind()).or_default() += 1;
                    *row.levels.entry(bloom).or_default() += 1;
                }
            }
        }
        let uncovered = objectives
            .iter()
            .filter(|o| o.items.values().all(|&n| n == 0))
            .map(|o| o.number)
            .collect();
        Self {
            title: outline.title.clone(),
            objectives,
            uncovered,
        }
    }

    /// One `coverage` violation per objective no practice item serves, with the JSON Pointer
    /// of that objective in the outline.
    pub fn violations(&self) -> Vec<Violation> {
        let mut checks = Checks::new();
        for o in self
            .objectives
            .iter()
            .filter(|o| self.uncovered.contains(&o.number))
        {
            let practised: Vec<String> = o.items.keys().map(Kind::to_string).collect();
            checks.fail(
                format!("/learning_objectives/{}", o.number - 1),
                Rule::Coverage,
                format!(
                    "objective {} (\"{}\") is served by no practice item ({})",
                    o.number,
                    o.objective,
                    practised.join(", ")
                ),
            );
        }
        checks.into_violations()
    }

    /// The matrix as a Markdown table, uncovered objectives marked, in the words of `labels`.
    pub fn to_markdown(&self, labels: &super::scaffolding::Labels) -> String {
        use super::scaffolding::fill;
        let kinds: Vec<Kind> = self
            .objectives
            .first()
            .map(|o| o.items.keys().copied().collect())
            .unwrap_or_default();
        let mut md = format!(
            "# {}\n\n| {} |",
            fill(labels.coverage, &[("title", &self.title)]),
            labels.objective
        );
        for kind in &kinds {
            md.push_str(&format!(" {kind} |"));
        }
        md.push_str(&format!(" {} |\n|---|", labels.bloom_levels));
        md.push_str(&"---:|".repeat(kinds.len()));
        md.push_str("---|\n");
        for o in &self.objectives {
            let cell = o.objective.replace('|', "\\|");
            let flag = if self.uncovered.contains(&o.number) {
                format!(" **{}**", labels.not_practised)
            } else {
                String::new()
            };
            md.push_str(&format!("| {}. {cell}{flag} |", o.number));
            for kind in &kinds {
                md.push_str(&format!(" {} |", o.items.get(kind).copied().unwrap_or(0)));
            }
            let levels: Vec<String> = o
                .levels
                .iter()
                .map(|(b, n)| format!("{} {n}", labels.blooms[*b as usize]))
                .collect();
            md.push_str(&format!(" {} |\n", levels.join(", ")));
        }
        if !self.uncovered.is_empty() {
            let list = self
                .uncovered
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            md.push_str(&format!(
                "\n{}\n",
                fill(labels.uncovered, &[("list", &list)])
            ));
        }
        md
    }
}
