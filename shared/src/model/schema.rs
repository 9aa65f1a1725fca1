//! Converts the JSON Schemas schemars writes (draft 2020-12: `$defs`/`$ref`, `anyOf` with
//! `{"type": "null"}` for `Option`s, `oneOf`/`const` for documented enums, `type: [T, "null"]`,
//! Rust integer `format`s such as `uint32`) into the two dialects providers accept for
//! constrained output:
//!
//! - [`to_gemini`]: Gemini's `responseSchema`, a subset of the OpenAPI 3.0 schema object
//!   (upper-case type names, `nullable: true`, no references);
//! - [`to_openai_strict`]: JSON Schema for OpenAI's strict structured outputs (no
//!   references, `additionalProperties: false` and every property `required` on each object).
//!
//! Both first bring a schema to one canonical form: references inlined (the referring
//! schema's own keywords, e.g. its `description`, win), `allOf` merged, `oneOf` read as
//! `anyOf` (schemars' enum variants are disjoint), `const` as a one-value `enum`, a union of
//! string constants as one `enum`, and `null` in any of its spellings lifted to a
//! `nullable` flag. Each dialect then keeps only the keywords it is documented to accept.
//!
//! Not for validating answers: a dialect may drop a constraint it cannot express (a
//! `pattern` for Gemini, a `uint32` format), so the kind's own validation stays the judge.
//! Recursive schemas, maps (objects without fixed properties) and "any value" schemas
//! cannot be expressed and are refused with a [`SchemaError`].

use serde_json::{Map, Value, json};

/// Why a schema cannot be converted. `path` is a JSON pointer into the input schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error(
        "{path}: `{reference}` points nowhere (only references within the schema are supported)"
    )]
    UnresolvedRef { path: String, reference: String },
    #[error("{path}: `{reference}` refers back to itself; a recursive schema cannot be inlined")]
    RecursiveRef { path: String, reference: String },
    #[error("{path}: {what} cannot be expressed")]
    Unsupported { path: String, what: String },
}

/// Gemini's `responseSchema` for `schema`: every `$ref` inlined; `type` upper-case
/// (`OBJECT`, `ARRAY`, `STRING`, `INTEGER`, `NUMBER`, `BOOLEAN`); `nullable: true` for null
/// unions; and only `description`, `enum` (strings), `format` (`date-time`; `int32`/`int64`;
/// `float`/`double`), `minimum`/`maximum`, `items`, `minItems`/`maxItems`, `properties`,
/// `required`, `propertyOrdering` (required properties first, in declaration order) and
/// `anyOf`. Everything else (`$schema`, `title`, `additionalProperties`, `default`,
/// `pattern`, string lengths, other formats) is dropped.
pub fn to_gemini(schema: &Value) -> Result<Value, SchemaError> {
    Ok(gemini(&canonical(schema)?))
}

/// A JSON Schema OpenAI's strict mode accepts: every `$ref` inlined, `oneOf` as `anyOf`,
/// and on every object `additionalProperties: false` with all properties `required`.
///
/// A property that was optional and nullable (an `Option`) stays nullable, so the model
/// writes `null` for it. One that was optional but not nullable (a `#[serde(default)]`
/// field) becomes required as it is rather than nullable: `null` would not deserialize
/// into it, while any value the original schema allowed still does.
///
/// Keeps `description`, `enum`, `minimum`/`maximum` (and exclusive forms), `multipleOf`,
/// `minLength`/`maxLength`, `pattern`, the formats strict mode knows, `minItems`/`maxItems`.
pub fn to_openai_strict(schema: &Value) -> Result<Value, SchemaError> {
    let root = canonical(schema)?;
    if root.get("type").and_then(Value::as_str) != Some("object") || is_nullable(&root) {
        return Err(unsupported(
            "",
            "a root that is not an object (strict mode needs one)",
        ));
    }
    Ok(openai(&root))
}

// --- The canonical form -------------------------------------------------------------------

/// A schema node in canonical form: no `$ref`, `allOf`, `oneOf` or `const`; `type` a single
/// name, absent only beside `anyOf`; null only as `"nullable": true`; `properties` and
/// `items` canonical too.
type Node = Map<String, Value>;

fn canonical(schema: &Value) -> Result<Node, SchemaError> {
    Canon {
        root: schema,
        expanding: Vec::new(),
    }
    .node(schema, "")
}

struct Canon<'a> {
    root: &'a Value,
    /// The references being inlined right now, to catch a schema that contains itself.
    expanding: Vec<String>,
}

impl Canon<'_> {
    fn node(&mut self, schema: &Value, path: &str) -> Result<Node, SchemaError> {
        let Value::Object(raw) = schema else {
            return Err(unsupported(path, "a boolean schema"));
        };
        let mut node = raw.clone();

        if let Some(reference) = node.remove("$ref") {
            return self.inline(&reference, node, path);
        }
        if let Some(parts) = node.remove("allOf") {
            let Value::Array(parts) = parts else {
                return Err(unsupported(path, "an `allOf` that is not a list"));
            };
            for (i, part) in parts.iter().enumerate() {
                let part = self.node(part, &format!("{path}/allOf/{i}"))?;
                merge(&mut node, part);
            }
            return self.node(&Value::Object(node), path);
        }
        if let Some(variants) = node.remove("oneOf") {
            if node.contains_key("anyOf") {
                return Err(unsupported(path, "`oneOf` beside `anyOf`"));
            }
            node.insert("anyOf".into(), variants);
        }
        if let Some(value) = node.remove("const") {
            node.entry("enum").or_insert_with(|| json!([value]));
        }

        let mut nullable = node.remove("nullable") == Some(Value::Bool(true));
        nullable |= split_type(&mut node, path)?;
        if let Some(Value::Array(values)) = node.get_mut("enum")
            && values.iter().any(Value::is_null)
        {
            values.retain(|v| !v.is_null());
            if values.is_empty() {
                return Err(unsupported(path, "a schema that only allows null"));
            }
            nullable = true;
        }
        if let Some(variants) = node.remove("anyOf") {
            nullable |= self.union(&mut node, &variants, path)?;
        }

        if !node.contains_key("type") && !node.contains_key("anyOf") {
            let inferred = if node.contains_key("properties") {
                "object"
            } else if node.contains_key("items") {
                "array"
            } else if string_enum(&node).is_some() {
                "string"
            } else {
                return Err(unsupported(path, "a schema without a type (any value)"));
            };
            node.insert("type".into(), inferred.into());
        }
        self.children(&mut node, path)?;
        if nullable {
            node.insert("nullable".into(), Value::Bool(true));
        }
        Ok(node)
    }

    /// The referenced schema with the referring node's own keywords on top.
    fn inline(&mut self, reference: &Value, own: Node, path: &str) -> Result<Node, SchemaError> {
        let reference = reference.as_str().unwrap_or_default().to_owned();
        let target = reference
            .strip_prefix('#')
            .and_then(|pointer| self.root.pointer(pointer))
            .ok_or_else(|| SchemaError::UnresolvedRef {
                path: path.to_owned(),
                reference: reference.clone(),
            })?;
        if self.expanding.contains(&reference) {
            return Err(SchemaError::RecursiveRef {
                path: path.to_owned(),
                reference,
            });
        }
        let Value::Object(target) = target else {
            return Err(unsupported(path, "a reference to a boolean schema"));
        };
        let mut merged = target.clone();
        merged.remove("$defs");
        merged.remove("definitions");
        merged.extend(own);
        self.expanding.push(reference);
        let node = self.node(&Value::Object(merged), path);
        self.expanding.pop();
        node
    }

    /// Folds an `anyOf` into `node`: null variants become the returned nullability, a single
    /// remaining variant is merged in, string constants become one `enum`.
    fn union(
        &mut self,
        node: &mut Node,
        variants: &Value,
        path: &str,
    ) -> Result<bool, SchemaError> {
        let Value::Array(variants) = variants else {
            return Err(unsupported(path, "an `anyOf` that is not a list"));
        };
        let mut nullable = false;
        let mut kept = Vec::new();
        for (i, variant) in variants.iter().enumerate() {
            if is_null_schema(variant) {
                nullable = true;
                continue;
            }
            let mut variant = self.node(variant, &format!("{path}/anyOf/{i}"))?;
            nullable |= variant.remove("nullable").is_some();
            kept.push(variant);
        }
        match kept.len() {
            0 => return Err(unsupported(path, "a schema that only allows null")),
            1 => {
                for (key, value) in kept.remove(0) {
                    node.entry(key).or_insert(value);
                }
            }
            _ if kept.iter().all(is_string_choice) => {
                let values: Vec<Value> = kept
                    .iter()
                    .filter_map(|v| v.get("enum").and_then(Value::as_array))
                    .flatten()
                    .cloned()
                    .collect();
                node.insert("type".into(), "string".into());
                node.insert("enum".into(), Value::Array(values));
            }
            _ => {
                if node.contains_key("type") {
                    return Err(unsupported(
                        path,
                        "a `type` beside a union of several types",
                    ));
                }
                node.insert(
                    "anyOf".into(),
                    kept.into_iter().map(Value::Object).collect(),
                );
            }
        }
        Ok(nullable)
    }

    fn children(&mut self, node: &mut Node, path: &str) -> Result<(), SchemaError> {
        match node.get("type").and_then(Value::as_str) {
            Some("object") => {
                let properties = match node.get("properties") {
                    Some(Value::Object(p)) if !p.is_empty() => p.clone(),
                    _ => {
                        return Err(unsupported(
                            path,
                            "an object without fixed properties (a map, or any object)",
                        ));
                    }
                };
                let mut canonical = Map::new();
                for (name, property) in &properties {
                    let child = self.node(property, &format!("{path}/properties/{name}"))?;
                    canonical.insert(name.clone(), Value::Object(child));
                }
                let mut required: Vec<Value> = Vec::new();
                for name in node
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if name.as_str().is_some_and(|n| canonical.contains_key(n))
                        && !required.contains(name)
                    {
                        required.push(name.clone());
                    }
                }
                node.insert("properties".into(), Value::Object(canonical));
                node.insert("required".into(), Value::Array(required));
            }
            Some("array") => {
                if node.contains_key("prefixItems") {
                    return Err(unsupported(path, "a tuple (`prefixItems`)"));
                }
                let Some(items) = node.get("items") else {
                    return Err(unsupported(path, "an array without `items`"));
                };
                let items = self.node(items, &format!("{path}/items"))?;
                node.insert("items".into(), Value::Object(items));
            }
            Some("string" | "integer" | "number" | "boolean") | None => {}
            Some(other) => return Err(unsupported(path, &format!("type `{other}`"))),
        }
        Ok(())
    }
}

/// Turns `type: [T, "null"]` into `type: T` and reports the null; several non-null
/// types become an `anyOf` with one variant each.
fn split_type(node: &mut Node, path: &str) -> Result<bool, SchemaError> {
    match node.get("type") {
        Some(Value::String(name)) if name == "null" => {
            Err(unsupported(path, "a schema that only allows null"))
        }
        Some(Value::Array(types)) => {
            let nullable = types.iter().any(|t| t == "null");
            let mut names: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            match names.len() {
                0 => Err(unsupported(path, "a schema that only allows null")),
                1 => {
                    node.insert("type".into(), names.remove(0));
                    Ok(nullable)
                }
                _ if node.contains_key("anyOf") => {
                    Err(unsupported(path, "a list of types beside `anyOf`"))
                }
                _ => {
                    node.remove("type");
                    let description = node.remove("description");
                    let variants = names
                        .into_iter()
                        .map(|name| {
                            let mut variant = node.clone();
                            variant.insert("type".into(), name);
                            Value::Object(variant)
                        })
                        .collect();
                    node.clear();
                    node.insert("anyOf".into(), Value::Array(variants));
                    if let Some(description) = description {
                        node.insert("description".into(), description);
                    }
                    Ok(nullable)
                }
            }
        }
        _ => Ok(false),
    }
}

/// `allOf` part into the node: properties and required lists join; other keywords the node
/// already has stay.
fn merge(node: &mut Node, part: Node) {
    for (key, value) in part {
        match (key.as_str(), node.get_mut(&key), value) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, schema) in theirs {
                    mine.entry(name).or_insert(schema);
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for name in theirs {
                    if !mine.contains(&name) {
                        mine.push(name);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, value) => {
                node.insert(key, value);
            }
        }
    }
}

/// `{"type": "null"}`, `{"const": null}` or `{"enum": [null]}` (a description may ride along).
fn is_null_schema(schema: &Value) -> bool {
    schema.get("type").is_some_and(|t| t == "null")
        || schema.get("const").is_some_and(Value::is_null)
        || schema
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| !values.is_empty() && values.iter().all(Value::is_null))
}

/// A canonical variant that is only string constants (a documented unit enum variant).
fn is_string_choice(node: &Node) -> bool {
    node.get("type").is_some_and(|t| t == "string")
        && string_enum(node).is_some()
        && node
            .keys()
            .all(|k| matches!(k.as_str(), "type" | "enum" | "description" | "title"))
}

/// The `enum` of a node if every value is a string.
fn string_enum(node: &Node) -> Option<&Vec<Value>> {
    node.get("enum")
        .and_then(Value::as_array)
        .filter(|values| !values.is_empty() && values.iter().all(Value::is_string))
}

fn is_nullable(node: &Node) -> bool {
    node.get("nullable") == Some(&Value::Bool(true))
}

fn unsupported(path: &str, what: &str) -> SchemaError {
    SchemaError::Unsupported {
        path: if path.is_empty() {
            "/".into()
        } else {
            path.to_owned()
        },
        what: what.to_owned(),
    }
}

fn node_of(value: &Value) -> &Node {
    static EMPTY: std::sync::OnceLock<Node> = std::sync::OnceLock::new();
    value
        .as_object()
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

fn copy(from: &Node, to: &mut Node, keys: &[&str]) {
    for key in keys {
        if let Some(value) = from.get(*key) {
            to.insert((*key).to_owned(), value.clone());
        }
    }
}

/// Copies `format` if it is one of `allowed`.
fn copy_format(from: &Node, to: &mut Node, allowed: &[&str]) {
    if let Some(format) = from.get("format").and_then(Value::as_str)
        && allowed.contains(&format)
    {
        to.insert("format".into(), format.into());
    }
}

// --- Gemini ---------------------------------------------------------------------------------

fn gemini(node: &Node) -> Value {
    let mut out = Map::new();
    let kind = node.get("type").and_then(Value::as_str);
    if let Some(kind) = kind {
        out.insert("type".into(), kind.to_ascii_uppercase().into());
    }
    if is_nullable(node) {
        out.insert("nullable".into(), Value::Bool(true));
    }
    copy(node, &mut out, &["description"]);
    match kind {
        Some("string") => {
            if let Some(values) = string_enum(node) {
                out.insert("enum".into(), Value::Array(values.clone()));
            }
            copy_format(node, &mut out, &["date-time"]);
        }
        Some("integer") => {
            copy_format(node, &mut out, &["int32", "int64"]);
            integer_bounds(node, &mut out);
        }
        Some("number") => {
            copy_format(node, &mut out, &["float", "double"]);
            copy(node, &mut out, &["minimum", "maximum"]);
        }
        Some("array") => {
            if let Some(items) = node.get("items") {
                out.insert("items".into(), gemini(node_of(items)));
            }
            copy(node, &mut out, &["minItems", "maxItems"]);
        }
        Some("object") => {
            let properties = node.get("properties").map(node_of);
            let properties: Map<String, Value> = properties
                .into_iter()
                .flatten()
                .map(|(name, schema)| (name.clone(), gemini(node_of(schema))))
                .collect();
            let required = node.get("required").cloned().unwrap_or_else(|| json!([]));
            let mut ordering: Vec<Value> = required.as_array().cloned().unwrap_or_default();
            for name in properties.keys() {
                if !ordering.iter().any(|o| o == name) {
                    ordering.push(name.clone().into());
                }
            }
            out.insert("properties".into(), Value::Object(properties));
            if required.as_array().is_some_and(|r| !r.is_empty()) {
                out.insert("required".into(), required);
            }
            out.insert("propertyOrdering".into(), Value::Array(ordering));
        }
        _ => {}
    }
    if let Some(Value::Array(variants)) = node.get("anyOf") {
        let variants = variants.iter().map(|v| gemini(node_of(v))).collect();
        out.insert("anyOf".into(), Value::Array(variants));
    }
    Value::Object(out)
}

/// `minimum`/`maximum`, with JSON Schema's exclusive bounds turned into inclusive ones
/// (Gemini has no exclusive bounds; for integers `> n` is `>= n + 1`).
fn integer_bounds(node: &Node, out: &mut Node) {
    let number = |key: &str| node.get(key).and_then(Value::as_f64);
    let lower = [
        number("minimum"),
        number("exclusiveMinimum").map(|n| n.floor() + 1.0),
    ]
    .into_iter()
    .flatten()
    .reduce(f64::max);
    let upper = [
        number("maximum"),
        number("exclusiveMaximum").map(|n| n.ceil() - 1.0),
    ]
    .into_iter()
    .flatten()
    .reduce(f64::min);
    for (key, bound) in [("minimum", lower), ("maximum", upper)] {
        if let Some(bound) = bound {
            let value = node
                .get(key)
                .filter(|v| v.as_f64() == Some(bound))
                .cloned()
                .unwrap_or_else(|| json!(bound as i64));
            out.insert(key.into(), value);
        }
    }
}

// --- OpenAI strict mode ---------------------------------------------------------------------

/// The string formats strict mode accepts (others are refused with a 400).
const OPENAI_FORMATS: [&str; 9] = [
    "date-time",
    "time",
    "date",
    "duration",
    "email",
    "hostname",
    "ipv4",
    "ipv6",
    "uuid",
];

fn openai(node: &Node) -> Value {
    let mut out = Map::new();
    let kind = node.get("type").and_then(Value::as_str);
    copy(node, &mut out, &["description"]);
    match kind {
        Some("string") => {
            copy(
                node,
                &mut out,
                &["enum", "minLength", "maxLength", "pattern"],
            );
            copy_format(node, &mut out, &OPENAI_FORMATS);
        }
        Some("integer" | "number") => copy(
            node,
            &mut out,
            &[
                "enum",
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                "multipleOf",
            ],
        ),
        Some("boolean") => copy(node, &mut out, &["enum"]),
        Some("array") => {
            if let Some(items) = node.get("items") {
                out.insert("items".into(), openai(node_of(items)));
            }
            copy(node, &mut out, &["minItems", "maxItems"]);
        }
        Some("object") => {
            let required: Vec<&str> = node
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let properties = node.get("properties").map(node_of);
            let mut all: Vec<Value> = required.iter().map(|&n| n.into()).collect();
            let mut converted = Map::new();
            for (name, schema) in properties.into_iter().flatten() {
                if !required.contains(&name.as_str()) {
                    all.push(name.clone().into());
                }
                converted.insert(name.clone(), openai(node_of(schema)));
            }
            out.insert("properties".into(), Value::Object(converted));
            out.insert("required".into(), Value::Array(all));
            out.insert("additionalProperties".into(), Value::Bool(false));
        }
        _ => {}
    }
    if let Some(Value::Array(variants)) = node.get("anyOf") {
        let mut variants: Vec<Value> = variants.iter().map(|v| openai(node_of(v))).collect();
        if is_nullable(node) {
            variants.push(json!({"type": "null"}));
        }
        out.insert("anyOf".into(), Value::Array(variants));
    } else if let Some(kind) = kind {
        if is_nullable(node) && matches!(kind, "object" | "array") {
            // A structure or null as two variants: grammar-constrained servers (llama.cpp's
            // schema converter) read `type: ["object", "null"]` as any object at all.
            out.insert("type".into(), kind.into());
            return json!({"anyOf": [Value::Object(out), {"type": "null"}]});
        }
        if is_nullable(node) {
            out.insert("type".into(), json!([kind, "null"]));
            if let Some(Value::Array(values)) = out.get_mut("enum") {
                values.push(Value::Null);
            }
        } else {
            out.insert("type".into(), kind.into());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;

    use super::*;
    use crate::content::{Content, Kind, Options};
    use crate::extractive::ExtractiveEngine;
    use crate::generation::GenerationRequest;
    use crate::source::SourceText;

    const GEMINI_KEYWORDS: [&str; 14] = [
        "type",
        "nullable",
        "description",
        "enum",
        "format",
        "minimum",
        "maximum",
        "items",
        "minItems",
        "maxItems",
        "properties",
        "required",
        "propertyOrdering",
        "anyOf",
    ];
    const GEMINI_TYPES: [&str; 6] = ["OBJECT", "ARRAY", "STRING", "INTEGER", "NUMBER", "BOOLEAN"];
    const OPENAI_KEYWORDS: [&str; 17] = [
        "type",
        "description",
        "enum",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "items",
        "minItems",
        "maxItems",
        "properties",
        "required",
    ];

    /// Every schema node of a converted schema (the values of `properties`, `items`, `anyOf`).
    fn nodes(schema: &Value) -> Vec<&Node> {
        let node = schema.as_object().expect("schema nodes are objects");
        let mut all = vec![node];
        if let Some(Value::Object(properties)) = node.get("properties") {
            all.extend(properties.values().flat_map(nodes));
        }
        if let Some(items) = node.get("items") {
            all.extend(nodes(items));
        }
        if let Some(Value::Array(variants)) = node.get("anyOf") {
            all.extend(variants.iter().flat_map(nodes));
        }
        all
    }

    fn names(value: Option<&Value>) -> Vec<&str> {
        value
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
            .unwrap_or_default()
    }

    fn keys(node: &Node) -> BTreeSet<&str> {
        node.keys().map(String::as_str).collect()
    }

    #[test]
    fn every_kind_converts_to_a_gemini_schema_with_only_supported_keywords() {
        for kind in Kind::ALL {
            let schema = to_gemini(&kind.json_schema()).unwrap();
            assert!(
                !schema.to_string().contains("$ref"),
                "{kind}: a reference is left"
            );
            for node in nodes(&schema) {
                for key in keys(node) {
                    assert!(
                        GEMINI_KEYWORDS.contains(&key),
                        "{kind}: `{key}` in {node:?}"
                    );
                }
                let kind_name = node["type"].as_str().unwrap();
                assert!(
                    GEMINI_TYPES.contains(&kind_name),
                    "{kind}: type {kind_name}"
                );
                if let Some(nullable) = node.get("nullable") {
                    assert_eq!(nullable, true, "{kind}");
                }
                if let Some(values) = node.get("enum") {
                    assert_eq!(kind_name, "STRING", "{kind}: enums are for strings");
                    assert!(values.as_array().unwrap().iter().all(Value::is_string));
                }
                if let Some(format) = node.get("format") {
                    assert!(
                        ["date-time", "int32", "int64", "float", "double"]
                            .contains(&format.as_str().unwrap())
                    );
                }
                if kind_name == "OBJECT" {
                    let properties: BTreeSet<&str> = node["properties"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .map(String::as_str)
                        .collect();
                    assert!(!properties.is_empty(), "{kind}: OBJECT needs properties");
                    let required = names(node.get("required"));
                    assert!(
                        required.iter().all(|r| properties.contains(r)),
                        "{kind}: {required:?}"
                    );
                    let ordering = names(node.get("propertyOrdering"));
                    assert_eq!(ordering.len(), properties.len(), "{kind}: {ordering:?}");
                    assert_eq!(
                        ordering.iter().copied().collect::<BTreeSet<_>>(),
                        properties
                    );
                    assert_eq!(
                        ordering[..required.len()],
                        required[..],
                        "{kind}: required first"
                    );
                }
                if kind_name == "ARRAY" {
                    assert!(node.contains_key("items"), "{kind}");
                }
            }
        }
    }

    #[test]
    fn every_kind_converts_to_an_openai_strict_schema() {
        for kind in Kind::ALL {
            let schema = to_openai_strict(&kind.json_schema()).unwrap();
            assert!(
                !schema.to_string().contains("$ref"),
                "{kind}: a reference is left"
            );
            assert!(!schema.to_string().contains("oneOf"), "{kind}");
            assert_eq!(
                schema["type"], "object",
                "{kind}: strict mode needs an object root"
            );
            for node in nodes(&schema) {
                for key in keys(node) {
                    assert!(
                        OPENAI_KEYWORDS.contains(&key)
                            || key == "additionalProperties"
                            || key == "anyOf",
                        "{kind}: `{key}` in {node:?}"
                    );
                }
                if let Some(format) = node.get("format") {
                    assert!(
                        OPENAI_FORMATS.contains(&format.as_str().unwrap()),
                        "{kind}: {format}"
                    );
                }
                let is_object = node.get("type") == Some(&json!("object"))
                    || node.get("type") == Some(&json!(["object", "null"]));
                if is_object {
                    assert_eq!(node["additionalProperties"], false, "{kind}");
                    let properties: BTreeSet<&str> = node["properties"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .map(String::as_str)
                        .collect();
                    let required = names(node.get("required"));
                    assert_eq!(required.len(), properties.len(), "{kind}: {required:?}");
                    assert_eq!(
                        required.into_iter().collect::<BTreeSet<_>>(),
                        properties,
                        "{kind}"
                    );
                } else {
                    assert!(!node.contains_key("additionalProperties"), "{kind}");
                }
            }
        }
    }

    #[test]
    fn options_become_nullable_and_refs_keep_the_referring_description() {
        let faq = Kind::Faq.json_schema();
        let gemini = to_gemini(&faq).unwrap();
        let item = &gemini["properties"]["items"]["items"];
        assert_eq!(
            item["properties"]["category"],
            json!({"type": "STRING", "nullable": true})
        );
        let source = &item["properties"]["source"];
        assert_eq!(source["type"], "OBJECT");
        assert_eq!(source["description"], "Where the answer comes from.");
        let span = &source["properties"]["span"];
        assert_eq!(span["nullable"], true);
        assert_eq!(span["type"], "OBJECT");
        assert_eq!(
            span["description"],
            "Character offsets (Unicode scalar values, end exclusive) into the source text."
        );
        assert_eq!(
            span["properties"]["start"],
            json!({"type": "INTEGER", "minimum": 0})
        );
        assert_eq!(
            item["propertyOrdering"],
            json!(["question", "answer", "source", "category"])
        );

        let openai = to_openai_strict(&faq).unwrap();
        let item = &openai["properties"]["items"]["items"];
        assert_eq!(
            item["properties"]["category"],
            json!({"type": ["string", "null"]})
        );
        assert_eq!(
            item["required"],
            json!(["question", "answer", "source", "category"])
        );
        // A nullable object is two variants, so grammar-constrained servers keep its shape.
        let variants = &item["properties"]["source"]["properties"]["span"]["anyOf"];
        assert_eq!(variants[1], json!({"type": "null"}));
        let span = &variants[0];
        assert_eq!(span["type"], "object");
        assert_eq!(span["additionalProperties"], false);
        assert_eq!(span["required"], json!(["start", "end"]));
        assert_eq!(
            span["properties"]["end"],
            json!({"type": "integer", "minimum": 0})
        );
    }

    #[test]
    fn enums_stay_enums() {
        let flashcards = Kind::Flashcards.json_schema();
        let card = &to_gemini(&flashcards).unwrap()["properties"]["cards"]["items"];
        assert_eq!(
            card["properties"]["difficulty"],
            json!({"type": "STRING", "enum": ["easy", "medium", "hard"]})
        );
        let card = &to_openai_strict(&flashcards).unwrap()["properties"]["cards"]["items"];
        assert_eq!(
            card["properties"]["difficulty"],
            json!({"type": "string", "enum": ["easy", "medium", "hard"]})
        );
    }

    #[test]
    fn documented_enum_variants_and_consts_become_one_enum() {
        let schema = json!({
            "type": "object",
            "properties": {
                "level": {"oneOf": [
                    {"type": "string", "const": "intro", "description": "First steps."},
                    {"type": "string", "enum": ["advanced"], "description": "Deep."}
                ]},
                "unit": {"const": "cm"},
                "maybe": {"oneOf": [{"const": "a"}, {"const": "b"}, {"type": "null"}]}
            },
            "required": ["level", "unit"]
        });
        let gemini = to_gemini(&schema).unwrap();
        assert_eq!(
            gemini["properties"]["level"],
            json!({"type": "STRING", "enum": ["intro", "advanced"]})
        );
        assert_eq!(
            gemini["properties"]["unit"],
            json!({"type": "STRING", "enum": ["cm"]})
        );
        assert_eq!(
            gemini["properties"]["maybe"],
            json!({"type": "STRING", "nullable": true, "enum": ["a", "b"]})
        );
        let openai = to_openai_strict(&schema).unwrap();
        assert_eq!(
            openai["properties"]["maybe"],
            json!({"type": ["string", "null"], "enum": ["a", "b", null]})
        );
    }

    #[test]
    fn tagged_unions_become_any_of_with_each_variant_converted() {
        let schema = json!({
            "type": "object",
            "properties": {
                "shape": {"oneOf": [
                    {"type": "object", "properties": {"kind": {"const": "circle"}, "r": {"type": "number"}}, "required": ["kind", "r"]},
                    {"type": "object", "properties": {"kind": {"const": "square"}, "side": {"type": "number"}}, "required": ["kind"]}
                ]},
                "id": {"type": ["string", "integer"]}
            },
            "required": ["shape", "id"]
        });
        let gemini = to_gemini(&schema).unwrap();
        let variants = gemini["properties"]["shape"]["anyOf"].as_array().unwrap();
        assert_eq!(variants.len(), 2);
        assert_eq!(variants[0]["type"], "OBJECT");
        assert_eq!(variants[1]["properties"]["kind"]["enum"], json!(["square"]));
        assert_eq!(
            gemini["properties"]["id"],
            json!({"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]})
        );
        let openai = to_openai_strict(&schema).unwrap();
        let square = &openai["properties"]["shape"]["anyOf"][1];
        assert_eq!(
            square["required"],
            json!(["kind", "side"]),
            "every property is required"
        );
        assert_eq!(
            square["properties"]["side"],
            json!({"type": "number"}),
            "not an Option, so not nullable"
        );
        assert_eq!(square["additionalProperties"], false);
    }

    #[test]
    fn all_of_merges_and_dialect_specific_keywords_are_filtered() {
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "Thing",
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "base": {"allOf": [{"$ref": "#/$defs/Base"}], "description": "Own words."},
                "when": {"type": "string", "format": "date-time"},
                "mail": {"type": "string", "format": "email", "pattern": "^.+@.+$", "minLength": 3, "default": "a@b"},
                "count": {"type": "integer", "format": "uint32", "minimum": 0, "exclusiveMaximum": 10},
                "big": {"type": "integer", "format": "int64"},
                "ratio": {"type": "number", "format": "double", "exclusiveMinimum": 0},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5, "uniqueItems": true}
            },
            "required": ["base"],
            "$defs": {"Base": {"type": "object", "title": "Base", "description": "Theirs.", "properties": {"x": {"type": "boolean"}}, "required": ["x"]}}
        });
        let gemini = to_gemini(&schema).unwrap();
        let p = &gemini["properties"];
        assert_eq!(
            p["base"],
            json!({"type": "OBJECT", "description": "Own words.", "properties": {"x": {"type": "BOOLEAN"}}, "required": ["x"], "propertyOrdering": ["x"]})
        );
        assert_eq!(p["when"], json!({"type": "STRING", "format": "date-time"}));
        assert_eq!(p["mail"], json!({"type": "STRING"}));
        assert_eq!(
            p["count"],
            json!({"type": "INTEGER", "minimum": 0, "maximum": 9})
        );
        assert_eq!(p["big"], json!({"type": "INTEGER", "format": "int64"}));
        assert_eq!(p["ratio"], json!({"type": "NUMBER", "format": "double"}));
        assert_eq!(
            p["tags"],
            json!({"type": "ARRAY", "items": {"type": "STRING"}, "minItems": 1, "maxItems": 5})
        );

        let openai = to_openai_strict(&schema).unwrap();
        let p = &openai["properties"];
        assert_eq!(
            p["mail"],
            json!({"type": "string", "format": "email", "pattern": "^.+@.+$", "minLength": 3})
        );
        assert_eq!(
            p["count"],
            json!({"type": "integer", "minimum": 0, "exclusiveMaximum": 10})
        );
        assert_eq!(
            p["tags"],
            json!({"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5})
        );
        assert!(openai.get("title").is_none() && openai.get("$schema").is_none());
    }

    #[test]
    fn schemas_that_cannot_be_expressed_are_refused_with_where() {
        let recursive = json!({
            "type": "object",
            "properties": {"root": {"$ref": "#/$defs/Node"}},
            "$defs": {"Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}}
        });
        assert!(matches!(
            to_gemini(&recursive),
            Err(SchemaError::RecursiveRef { path, reference })
                if path == "/properties/root/properties/children/items" && reference == "#/$defs/Node"
        ));
        let dangling = json!({"type": "object", "properties": {"a": {"$ref": "#/$defs/Gone"}}});
        assert!(matches!(
            to_openai_strict(&dangling),
            Err(SchemaError::UnresolvedRef { .. })
        ));
        let map = json!({"type": "object", "properties": {"m": {"type": "object", "additionalProperties": {"type": "string"}}}});
        let error = to_gemini(&map).unwrap_err();
        assert_eq!(
            error.to_string(),
            "/properties/m: an object without fixed properties (a map, or any object) cannot be expressed"
        );
        let any = json!({"type": "object", "properties": {"v": {"description": "anything"}}});
        assert!(matches!(
            to_gemini(&any),
            Err(SchemaError::Unsupported { .. })
        ));
        let not_object = json!({"type": "array", "items": {"type": "string"}});
        assert!(to_gemini(&not_object).is_ok(), "Gemini takes any root");
        assert!(
            to_openai_strict(&not_object).is_err(),
            "strict mode wants an object root"
        );
    }

    // --- Real answers against the converted schemas --------------------------------------

    /// A minimal validator for the converted dialects (types, nullability, enums, required,
    /// closed objects, items, anyOf): enough to show the conversions accept real content.
    fn accepts(schema: &Value, value: &Value) -> Result<(), String> {
        let node = schema.as_object().unwrap();
        if let Some(Value::Array(variants)) = node.get("anyOf") {
            let nullable = node.get("nullable") == Some(&Value::Bool(true));
            return if (nullable && value.is_null())
                || variants.iter().any(|v| accepts(v, value).is_ok())
            {
                Ok(())
            } else {
                Err(format!("{value} matches no variant"))
            };
        }
        let types: Vec<String> = match &node["type"] {
            Value::String(t) => vec![t.to_ascii_lowercase()],
            Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap().to_owned()).collect(),
            other => return Err(format!("bad type {other}")),
        };
        let nullable =
            types.iter().any(|t| t == "null") || node.get("nullable") == Some(&Value::Bool(true));
        if value.is_null() {
            return if nullable {
                Ok(())
            } else {
                Err("null where not nullable".into())
            };
        }
        if let Some(Value::Array(values)) = node.get("enum")
            && !values.contains(value)
        {
            return Err(format!("{value} not in {values:?}"));
        }
        let fits = |t: &str| match t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            _ => false,
        };
        if !types.iter().any(|t| fits(t)) {
            return Err(format!("{value} is not {types:?}"));
        }
        if let Some(minimum) = node.get("minimum").and_then(Value::as_f64)
            && value.as_f64().is_some_and(|v| v < minimum)
        {
            return Err(format!("{value} < {minimum}"));
        }
        if let (Some(items), Value::Array(elements)) = (node.get("items"), value) {
            for element in elements {
                accepts(items, element)?;
            }
        }
        if let (Some(Value::Object(properties)), Value::Object(fields)) =
            (node.get("properties"), value)
        {
            for name in names(node.get("required")) {
                if !fields.contains_key(name) {
                    return Err(format!("missing `{name}`"));
                }
            }
            for (name, field) in fields {
                match properties.get(name) {
                    Some(property) => {
                        accepts(property, field).map_err(|e| format!("{name}: {e}"))?;
                    }
                    None if node.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        return Err(format!("unknown field `{name}`"));
                    }
                    None => {}
                }
            }
        }
        Ok(())
    }

    /// What strict mode makes a model write: every property present, `null` for the unset.
    fn with_nulls(value: &Value, schema: &Value) -> Value {
        match value {
            Value::Object(fields) => {
                let mut fields = fields.clone();
                let node = schema.as_object().unwrap();
                let object_schema = node
                    .get("anyOf")
                    .and_then(Value::as_array)
                    .and_then(|v| v.iter().find(|s| s.get("properties").is_some()))
                    .unwrap_or(schema);
                if let Some(Value::Object(properties)) = object_schema.get("properties") {
                    for (name, property) in properties {
                        let filled = fields
                            .get(name)
                            .map_or(Value::Null, |f| with_nulls(f, property));
                        fields.insert(name.clone(), filled);
                    }
                }
                Value::Object(fields)
            }
            Value::Array(elements) => {
                let items = schema.get("items").unwrap_or(&Value::Null);
                Value::Array(elements.iter().map(|e| with_nulls(e, items)).collect())
            }
            other => other.clone(),
        }
    }

    fn every_kind_of_an_example() -> Vec<Content> {
        let text = include_str!("../../../examples/chapter-roman-republic.md");
        let source = SourceText::parse(text).unwrap();
        let options = Arc::new(Options::default());
        let engine = ExtractiveEngine::new();
        let request = |kind, outline: Option<&Content>| GenerationRequest {
            kind,
            source: Arc::from(source.as_str()),
            source_sha256: source.sha256(),
            outline: outline.map(|o| match o {
                Content::Outline(o) => Arc::new(o.clone()),
                _ => unreachable!(),
            }),
            options: Arc::clone(&options),
        };
        let outline = engine.build(&request(Kind::Outline, None)).unwrap();
        let mut all = vec![outline.clone()];
        for kind in &Kind::ALL[1..] {
            all.push(engine.build(&request(*kind, Some(&outline))).unwrap());
        }
        all
    }

    #[test]
    fn real_content_of_every_kind_fits_both_dialects_and_strict_answers_parse_back() {
        for content in every_kind_of_an_example() {
            let kind = content.kind();
            let Value::Object(mut tagged) = serde_json::to_value(&content).unwrap() else {
                unreachable!()
            };
            let value = tagged.remove("content").unwrap();

            let gemini = to_gemini(&kind.json_schema()).unwrap();
            accepts(&gemini, &value).unwrap_or_else(|e| panic!("{kind} (Gemini): {e}"));

            let openai = to_openai_strict(&kind.json_schema()).unwrap();
            let strict_answer = with_nulls(&value, &openai);
            accepts(&openai, &strict_answer).unwrap_or_else(|e| panic!("{kind} (OpenAI): {e}"));
            let parsed = Content::from_json(kind, strict_answer)
                .unwrap_or_else(|e| panic!("{kind}: a strict-mode answer must parse: {e}"));
            assert_eq!(parsed, content, "{kind}");
        }
    }
}
