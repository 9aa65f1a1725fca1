//! The JSON Schemas of the eight kinds (derived from the Rust types, later sent to models)
//! are published under `docs/schemas/` and kept in sync here. `UPDATE_SCHEMAS=1` rewrites them.

use factory_shared::content::Kind;

#[test]
fn the_published_schemas_match_the_types() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/schemas");
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some();
    for kind in Kind::ALL {
        let schema = kind.json_schema();
        assert_eq!(schema["type"], "object", "{kind}");
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(required.contains(&"title"), "{kind}: {required:?}");
        assert_eq!(
            schema["additionalProperties"], false,
            "{kind}: unknown fields must be refused"
        );
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        let path = dir.join(format!("{kind}.json"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let published = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            published,
            text,
            "{} is stale: run the tests with UPDATE_SCHEMAS=1",
            path.display()
        );
    }
}
