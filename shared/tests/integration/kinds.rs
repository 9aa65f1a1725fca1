//! Every kind has all of its parts (ADR 0009): what the `kinds!` list and `KindSpec` do not
//! make the compiler check — its thin function crate and workspace member, its published
//! schema, a prompt, and a schema the fake model server can tell apart from every other.

use std::path::Path;

use factory_shared::content::Kind;
use factory_testkit::model_server::kind_of_schema;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn every_kind_has_its_function_crate_and_workspace_member() {
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    for kind in Kind::ALL {
        let main = root().join(format!("functions/{kind}/src/main.rs"));
        let text = std::fs::read_to_string(&main)
            .unwrap_or_else(|e| panic!("{kind} has no function crate ({}): {e}", main.display()));
        let variant = format!("{kind:?}");
        assert!(
            text.contains(&format!("Function::Kind(Kind::{variant})")),
            "{} serves another kind",
            main.display()
        );
        assert!(
            workspace.contains(&format!("\"functions/{kind}\"")),
            "functions/{kind} is not a workspace member"
        );
    }
}

#[test]
fn every_kind_has_a_prompt_and_a_published_schema() {
    for kind in Kind::ALL {
        assert!(
            kind.prompt().contains("{{"),
            "{kind}: the prompt is a template"
        );
        assert!(
            root().join(format!("docs/schemas/{kind}.json")).exists(),
            "{kind}: run the tests once with UPDATE_SCHEMAS=1"
        );
    }
}

#[test]
fn every_kind_parses_from_its_slug_and_the_error_lists_them_all() {
    for kind in Kind::ALL {
        assert_eq!(kind.slug().parse::<Kind>().unwrap(), kind);
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.slug());
    }
    let message = "nope".parse::<Kind>().unwrap_err().to_string();
    for kind in Kind::ALL {
        assert!(message.contains(kind.slug()), "{message}");
    }
}

#[test]
fn the_fake_model_server_tells_every_kind_apart_by_its_schema() {
    for kind in Kind::ALL {
        assert_eq!(kind_of_schema(&kind.json_schema()), Some(kind));
    }
}
