//! Every operation of the schema, found by introspection, so an operation is
//! covered the day it is added: without a token, with a bad token and with a
//! foreign-signed token it is `UNAUTHENTICATED` (but `login` and `register`);
//! with wrong-typed input it is `GRAPHQL_VALIDATION_FAILED`; never `INTERNAL`.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

/// Operations anyone may call.
const PUBLIC: &[&str] = &["login", "register"];

const INTROSPECT: &str = "{ __schema { types { name kind inputFields { name type { ...T } defaultValue } enumValues { name } fields { name args { name type { ...T } defaultValue } type { ...T } } } } } fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// The schema's types by name, as introspection gives them.
struct Types(HashMap<String, Value>);

impl Types {
    async fn load(app: &TestApp) -> Self {
        let body = app.gql(None, INTROSPECT, json!({})).await;
        let types = body["data"]["__schema"]["types"]
            .as_array()
            .expect("introspection types")
            .iter()
            .map(|t| (t["name"].as_str().unwrap_or("").to_owned(), t.clone()))
            .collect();
        Self(types)
    }

    fn fields(&self, root: &str) -> Vec<Value> {
        self.0[root]["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// A literal of `ty` (only required parts filled).
    fn literal(&self, ty: &Value, depth: usize) -> String {
        match ty["kind"].as_str().unwrap_or("") {
            "NON_NULL" => self.literal(&ty["ofType"], depth),
            "LIST" => format!("[{}]", self.literal(&ty["ofType"], depth)),
            "ENUM" => self.0[ty["name"].as_str().unwrap_or("")]["enumValues"][0]["name"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            "INPUT_OBJECT" => {
                let input = &self.0[ty["name"].as_str().unwrap_or("")];
                let fields: Vec<String> = input["inputFields"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .filter(|f| f["type"]["kind"] == "NON_NULL" && f["defaultValue"].is_null())
                    .map(|f| {
                        format!(
                            "{}: {}",
                            f["name"].as_str().unwrap_or(""),
                            self.literal(&f["type"], depth + 1)
                        )
                    })
                    .collect();
                if fields.is_empty() && depth < 3 {
                    // A oneOf input: give its first field.
                    if let Some(first) = input["inputFields"].as_array().and_then(|f| f.first()) {
                        return format!(
                            "{{ {}: {} }}",
                            first["name"].as_str().unwrap_or(""),
                            self.literal(&first["type"], depth + 1)
                        );
                    }
                }
                format!("{{ {} }}", fields.join(", "))
            }
            _ => match ty["name"].as_str().unwrap_or("") {
                "Int" => "1".into(),
                "Float" => "1.5".into(),
                "Boolean" => "true".into(),
                _ => "\"x\"".into(),
            },
        }
    }

    /// A literal of the wrong type for `ty`'s innermost scalar or enum.
    fn wrong_literal(&self, ty: &Value) -> String {
        match ty["kind"].as_str().unwrap_or("") {
            "NON_NULL" | "LIST" => self.wrong_literal(&ty["ofType"]),
            "INPUT_OBJECT" => "\"not an object\"".into(),
            "ENUM" => "\"notAnEnumValue\"".into(),
            _ => match ty["name"].as_str().unwrap_or("") {
                "String" | "ID" => "{ a: 1 }".into(),
                _ => "\"not a number\"".into(),
            },
        }
    }

    /// A selection for a result of `ty`: `{ __typename }` for composite types.
    fn selection(&self, ty: &Value) -> &'static str {
        match ty["kind"].as_str().unwrap_or("") {
            "NON_NULL" | "LIST" => self.selection(&ty["ofType"]),
            "OBJECT" | "UNION" | "INTERFACE" => " { __typename }",
            _ => "",
        }
    }
}

/// `kind name(args)selection` with the given argument literals.
fn operation(kind: &str, field: &Value, args: &[(String, String)], selection: &str) -> String {
    let name = field["name"].as_str().unwrap_or("");
    let args = if args.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = args.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        format!("({})", list.join(", "))
    };
    format!("{kind} {{ {name}{args}{selection} }}")
}

fn required_args(types: &Types, field: &Value) -> Vec<(String, String)> {
    field["args"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|a| a["type"]["kind"] == "NON_NULL" && a["defaultValue"].is_null())
        .map(|a| {
            (
                a["name"].as_str().unwrap_or("").to_owned(),
                types.literal(&a["type"], 0),
            )
        })
        .collect()
}

fn first_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// Each operation of each root, as a document of one field.
fn all_operations(types: &Types) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (root, kind) in [("Query", "query"), ("Mutation", "mutation")] {
        for field in types.fields(root) {
            let name = field["name"].as_str().unwrap_or("").to_owned();
            let doc = operation(
                kind,
                &field,
                &required_args(types, &field),
                types.selection(&field["type"]),
            );
            out.push((name, doc, field));
        }
    }
    out
}

#[tokio::test]
async fn every_operation_refuses_missing_bad_and_foreign_tokens() {
    let app = spawn_app().await;
    let types = Types::load(&app).await;
    let foreign =
        imgql::auth::TokenKeys::new(b"another-secret-another-secret-another!", "imgql", 3600)
            .issue("alice")
            .expect("foreign token");
    let operations = all_operations(&types);
    assert!(
        operations.len() >= 38,
        "found {} operations",
        operations.len()
    );
    for (name, doc, field) in &operations {
        // An upload cannot be written inline: its files tests send real multipart bodies.
        let takes_upload = field["args"].as_array().is_some_and(|args| {
            args.iter()
                .any(|a| a["type"].to_string().contains("\"Upload\""))
        });
        if PUBLIC.contains(&name.as_str()) || takes_upload {
            continue;
        }
        for token in [None, Some("not-a-jwt"), Some(foreign.as_str())] {
            let body = app.gql(token, doc, json!({})).await;
            assert_eq!(
                first_code(&body),
                "UNAUTHENTICATED",
                "{name} with {token:?}: {doc} -> {body}"
            );
        }
    }
    // Subscriptions refuse a socket without a token at `connection_init`
    // (tests/api/websocket.rs); over HTTP they are not served at all.
    for field in types.fields("Subscription") {
        let doc = operation(
            "subscription",
            &field,
            &required_args(&types, &field),
            types.selection(&field["type"]),
        );
        let body = app.gql(None, &doc, json!({})).await;
        assert!(
            !first_code(&body).is_empty() && first_code(&body) != "INTERNAL",
            "{doc}: {body}"
        );
    }
}

#[tokio::test]
async fn every_operation_refuses_wrongly_typed_input_before_running() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    let types = Types::load(&app).await;
    let mut checked = 0;
    for (root, kind) in [
        ("Query", "query"),
        ("Mutation", "mutation"),
        ("Subscription", "subscription"),
    ] {
        for field in types.fields(root) {
            let args = field["args"].as_array().cloned().unwrap_or_default();
            for (i, arg) in args.iter().enumerate() {
                // Uploads are multipart references, refused as BAD_USER_INPUT (files tests).
                if arg["type"].to_string().contains("\"Upload\"") {
                    continue;
                }
                let mut given = required_args(&types, &field);
                let arg_name = arg["name"].as_str().unwrap_or("").to_owned();
                given.retain(|(n, _)| *n != arg_name);
                given.push((arg_name.clone(), types.wrong_literal(&arg["type"])));
                let doc = operation(kind, &field, &given, types.selection(&field["type"]));
                // Subscriptions are served on the socket, where they run: over
                // HTTP a wrong input object (which async-graphql's validator
                // lets through) would only meet the transport's refusal.
                let body = if kind == "subscription" {
                    subscribe_once(&app, &token, &doc).await
                } else {
                    app.gql(Some(&token), &doc, json!({})).await
                };
                assert_eq!(
                    first_code(&body),
                    "GRAPHQL_VALIDATION_FAILED",
                    "{} arg {i} {arg_name}: {doc} -> {body}",
                    field["name"]
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "checked {checked} arguments");
}

#[tokio::test]
async fn no_operation_answers_internal_to_a_signed_in_user_with_placeholder_input() {
    let app = spawn_app().await;
    let token = app.register("alice").await;
    let types = Types::load(&app).await;
    for (name, doc, _) in all_operations(&types) {
        // Ending the session would sign the rest of the walk out.
        if name == "logout" {
            continue;
        }
        let body = app.gql(Some(&token), &doc, json!({})).await;
        let codes: Vec<&str> = body["errors"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|e| e["extensions"]["code"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert!(!codes.contains(&"INTERNAL"), "{name}: {doc} -> {body}");
        if let Some(errors) = body["errors"].as_array() {
            for error in errors {
                assert!(
                    error["extensions"]["code"].is_string(),
                    "uncoded error from {name}: {body}"
                );
            }
        }
    }
}

/// Start `doc` on a fresh socket; its first answer as `{errors}` (the
/// `error` message's payload, or the `next` message's).
async fn subscribe_once(app: &TestApp, token: &str, doc: &str) -> Value {
    let mut ws = crate::helpers::WsClient::with_token(app, token).await;
    ws.subscribe("w", doc, json!({})).await;
    loop {
        let msg = ws.next_json().await;
        if msg["id"] != "w" {
            continue;
        }
        return match msg["type"].as_str() {
            Some("error") => json!({ "errors": msg["payload"] }),
            _ => msg["payload"].clone(),
        };
    }
}
