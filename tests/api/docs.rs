//! Documents that cannot drift from the code, checked without a server:
//!
//! * every ```graphql example in `README.md` and `docs/API.md` parses and
//!   validates against the schema;
//! * every root field of the schema (query, mutation, subscription) and every
//!   compat route of `src/compat` is documented in `docs/API.md`;
//! * no Markdown document of the repository links or points outside it;
//! * `schema.graphql` says what introspection of the built schema says.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use async_graphql::{
    parser::{
        parse_schema,
        types::{TypeKind, TypeSystemDefinition},
    },
    Request, Value,
};
use futures_util::StreamExt;
use serde_json::Value as Json;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A file of the repository, by path relative to its root.
fn read(relative: &str) -> String {
    let path = Path::new(ROOT).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
}

/// The bodies of the fenced blocks of `markdown` whose info string is `lang`.
fn fenced_blocks(markdown: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        let is_fence = trimmed.starts_with("```");
        match current.as_mut() {
            Some(body) if is_fence => {
                blocks.push(std::mem::take(body));
                current = None;
            }
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
            None if is_fence && trimmed.trim_start_matches('`').trim() == lang => {
                current = Some(String::new());
            }
            None => {}
        }
    }
    assert!(current.is_none(), "a ```{lang} block is never closed");
    blocks
}

/// The messages of the parse and validation errors the schema reports for
/// `source` (errors of execution, such as `UNAUTHENTICATED` without a token,
/// are not the example's fault and are left out).
async fn document_errors(source: &str) -> Vec<String> {
    let schema = imgql::graphql::schema_builder().finish();
    let response = schema
        .execute_stream(Request::new(source))
        .next()
        .await
        .expect("every operation answers at least once");
    response
        .errors
        .iter()
        .filter(|err| {
            let code = err.extensions.as_ref().and_then(|ext| ext.get("code"));
            matches!(
                code,
                Some(Value::String(code))
                    if code == "GRAPHQL_PARSE_FAILED" || code == "GRAPHQL_VALIDATION_FAILED"
            )
        })
        .map(|err| err.message.clone())
        .collect()
}

async fn assert_examples_valid(document: &str, at_least: usize) {
    let blocks = fenced_blocks(&read(document), "graphql");
    assert!(
        blocks.len() >= at_least,
        "{document} has {} ```graphql examples, expected at least {at_least}",
        blocks.len()
    );
    let mut failures = Vec::new();
    for block in &blocks {
        let errors = document_errors(block).await;
        if !errors.is_empty() {
            failures.push(format!("{block}-> {errors:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "invalid ```graphql examples in {document}:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn the_example_checker_reports_invalid_documents() {
    assert!(!document_errors("query { noSuchField }").await.is_empty());
    assert!(!document_errors("query {").await.is_empty());
    assert!(
        !document_errors("mutation { sendMessage(messageID: 5, nope: 1) { ID } }")
            .await
            .is_empty()
    );
    assert!(document_errors("query { getMyProfile { userID } }")
        .await
        .is_empty());
}

#[tokio::test]
async fn readme_graphql_examples_validate_against_the_schema() {
    assert_examples_valid("README.md", 4).await;
}

#[tokio::test]
async fn api_reference_graphql_examples_validate_against_the_schema() {
    assert_examples_valid("docs/API.md", 10).await;
}

/// The fields of the query, mutation and subscription roots of the built
/// schema, by root.
fn root_fields() -> Vec<(String, Vec<String>)> {
    let sdl = imgql::graphql::export_sdl();
    let document = parse_schema(&sdl).expect("the exported SDL parses");
    let mut roots = vec![
        ("query", "Query".to_owned()),
        ("mutation", "Mutation".to_owned()),
        ("subscription", "Subscription".to_owned()),
    ];
    for definition in &document.definitions {
        if let TypeSystemDefinition::Schema(schema) = definition {
            let schema = &schema.node;
            for (slot, name) in [
                (0, &schema.query),
                (1, &schema.mutation),
                (2, &schema.subscription),
            ] {
                if let Some(name) = name {
                    roots[slot].1 = name.node.to_string();
                }
            }
        }
    }
    roots
        .into_iter()
        .map(|(kind, root)| {
            let fields = document
                .definitions
                .iter()
                .find_map(|definition| match definition {
                    TypeSystemDefinition::Type(ty) if ty.node.name.node == root.as_str() => {
                        match &ty.node.kind {
                            TypeKind::Object(object) => Some(
                                object
                                    .fields
                                    .iter()
                                    .map(|f| f.node.name.node.to_string())
                                    .collect(),
                            ),
                            _ => None,
                        }
                    }
                    _ => None,
                })
                .unwrap_or_else(|| panic!("the {kind} root {root} is not an object of the SDL"));
            (kind.to_owned(), fields)
        })
        .collect()
}

#[test]
fn every_operation_has_a_heading_in_the_api_reference() {
    let api = read("docs/API.md");
    let headings: Vec<&str> = api
        .lines()
        .filter(|line| line.trim_start().starts_with('#'))
        .collect();
    let roots = root_fields();
    let total: usize = roots.iter().map(|(_, fields)| fields.len()).sum();
    assert!(total >= 40, "only {total} root fields found in the SDL");
    let mut missing = Vec::new();
    for (kind, fields) in &roots {
        for field in fields {
            let quoted = format!("`{field}`");
            if !headings.iter().any(|heading| heading.contains(&quoted)) {
                missing.push(format!("{kind} {field}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/API.md has no heading naming these operations (write `### \\`name\\``): {missing:?}"
    );
}

/// The paths the compat routers of `src/compat/*.rs` register: literal
/// `.route("/path", ...)` calls, and `.route(&format!("{prefix}/x"), ...)`
/// expanded with every prefix of the file's `for prefix in [...]` loop.
fn compat_routes() -> BTreeSet<String> {
    let dir = Path::new(ROOT).join("src/compat");
    let mut routes = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("src/compat is a directory") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("read a compat source");
        let prefixes: Vec<String> = source
            .split("for prefix in [")
            .skip(1)
            .filter_map(|rest| rest.split(']').next())
            .flat_map(|list| list.split(','))
            .map(|item| item.trim().trim_matches('"').to_owned())
            .filter(|item| !item.is_empty())
            .collect();
        for call in source.split(".route(").skip(1) {
            let call = call.trim_start();
            if let Some(rest) = call.strip_prefix('"') {
                let path = rest.split('"').next().expect("a closed string literal");
                routes.insert(path.to_owned());
            } else if let Some(rest) = call.strip_prefix("&format!(\"{prefix}") {
                let tail = rest.split('"').next().expect("a closed format string");
                assert!(
                    !prefixes.is_empty(),
                    "{} formats a route with {{prefix}} outside a prefix loop",
                    path.display()
                );
                for prefix in &prefixes {
                    routes.insert(format!("{prefix}{tail}"));
                }
            } else {
                panic!(
                    "{}: a route whose path this test cannot read: .route({}",
                    path.display(),
                    call.lines().next().unwrap_or_default()
                );
            }
        }
    }
    routes
}

#[test]
fn every_compat_route_appears_in_the_api_reference() {
    let api = read("docs/API.md");
    let routes = compat_routes();
    for expected in [
        "/login",
        "/register",
        "/user/getMyProfile",
        "/message/sendMessage",
        "/groupMember/addGroupMember",
        "/group/addGroupMember",
        "/file/upload",
    ] {
        assert!(
            routes.contains(expected),
            "route reader missed {expected}: {routes:?}"
        );
    }
    assert!(
        routes.len() >= 45,
        "only {} compat routes found",
        routes.len()
    );
    let missing: Vec<&String> = routes
        .iter()
        .filter(|route| {
            !api.match_indices(route.as_str()).any(|(at, _)| {
                let after = api[at + route.len()..].chars().next();
                let before = api[..at].chars().next_back();
                !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '/')
                    && !before.is_some_and(|c| c.is_ascii_alphanumeric())
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "docs/API.md does not mention these compat routes: {missing:?}"
    );
}

/// Every Markdown file of the repository, `target/` and hidden folders aside.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read a folder of the repository") {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                if name != "target" && !name.starts_with('.') {
                    walk(&path, found);
                }
            } else if name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(Path::new(ROOT), &mut found);
    found.sort();
    found
}

/// Link targets of Markdown text: inline `[text](target)`, autolinks
/// `<target>` and reference definitions `[label]: target`.
fn link_targets(markdown: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for piece in markdown.split("](").skip(1) {
        if let Some(end) = piece.find(')') {
            let target = piece[..end].split_whitespace().next().unwrap_or_default();
            targets.push(target.trim_matches(['<', '>']).to_owned());
        }
    }
    for piece in markdown.split('<').skip(1) {
        if let Some(end) = piece.find('>') {
            let inner = &piece[..end];
            if inner.contains("://") && !inner.contains(char::is_whitespace) {
                targets.push(inner.to_owned());
            }
        }
    }
    for line in markdown.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix('[') {
            if let Some((_, target)) = rest.split_once("]: ") {
                targets.push(
                    target
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
    }
    targets
}

/// Roots of absolute filesystem paths that must never appear in a document.
const FILESYSTEM_ROOTS: [&str; 10] = [
    "/work/", "/home/", "/root/", "/tmp/", "/Users/", "/mnt/", "/var/", "/opt/", "/usr/", "C:\\",
];

/// What in `markdown` (the document `path`, relative to the root) points
/// outside the repository.
fn outside_references(path: &Path, markdown: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (number, line) in markdown.lines().enumerate() {
        if line.contains("../") || line.contains("..\\") {
            problems.push(format!("line {}: a `../` path: {line}", number + 1));
        }
        if line.contains("file://") {
            problems.push(format!("line {}: a file:// URL: {line}", number + 1));
        }
        for root in FILESYSTEM_ROOTS {
            if line.contains(root) {
                problems.push(format!(
                    "line {}: an absolute filesystem path ({root}): {line}",
                    number + 1
                ));
            }
        }
    }
    let folder = path.parent().unwrap_or(Path::new(""));
    for target in link_targets(markdown) {
        if target.is_empty() || target.starts_with('#') || target.starts_with("mailto:") {
            continue;
        }
        if target.starts_with("https://") || target.starts_with("http://") {
            continue;
        }
        if target.starts_with('/') || target.starts_with('~') || target.contains(':') {
            problems.push(format!("a link outside the repository: {target}"));
            continue;
        }
        let file = target.split('#').next().unwrap_or_default();
        if !Path::new(ROOT).join(folder).join(file).exists() {
            problems.push(format!("a link to a file that does not exist: {target}"));
        }
    }
    problems
}

#[test]
fn the_link_checker_finds_links_outside_the_repository() {
    let sample = "See [the spec](../shared/SPEC.md), `/work/shared/SPEC.md`, \
                  [root](/etc/passwd), [gone](docs/nothing.md) and \
                  [fine](README.md) or <https://graphql.org/learn/>.";
    let problems = outside_references(Path::new("README.md"), sample);
    assert_eq!(problems.len(), 4, "{problems:#?}");
}

#[test]
fn no_document_links_outside_the_repository() {
    let files = markdown_files();
    let relative: Vec<PathBuf> = files
        .iter()
        .map(|path| path.strip_prefix(ROOT).unwrap_or(path).to_path_buf())
        .collect();
    for expected in ["README.md", "docs/API.md"] {
        assert!(
            relative.iter().any(|p| p == Path::new(expected)),
            "{expected} is not among the documents found: {relative:?}"
        );
    }
    let mut problems = Vec::new();
    for (absolute, path) in files.iter().zip(&relative) {
        let text = std::fs::read_to_string(absolute).expect("read a Markdown file");
        for problem in outside_references(path, &text) {
            problems.push(format!("{}: {problem}", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_api_reference_is_linked_from_the_readme() {
    let readme = read("README.md");
    assert!(
        link_targets(&readme).iter().any(|t| t == "docs/API.md"),
        "README.md does not link docs/API.md"
    );
    assert!(!readme.contains("SPEC.md"), "README.md still names SPEC.md");
}

/// Introspection as deep as the schema's depth limit admits: type
/// references three wrappers deep, which covers `[String!]!`.
const INTROSPECTION: &str = r#"
query {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types {
      kind
      name
      description
      isOneOf
      interfaces { name }
      possibleTypes { name }
      enumValues(includeDeprecated: true) { name description }
      inputFields { name description defaultValue type { ...Ref } }
      fields(includeDeprecated: true) {
        name
        description
        type { ...Ref }
        args { name description defaultValue type { ...Ref } }
      }
    }
    directives { name locations args { name defaultValue type { ...Ref } } }
  }
}
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
"#;

/// A type reference of introspection in SDL notation (`[String!]!`).
fn type_ref(value: &Json) -> String {
    match value["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_ref(&value["ofType"])),
        Some("LIST") => format!("[{}]", type_ref(&value["ofType"])),
        _ => value["name"]
            .as_str()
            .unwrap_or_else(|| panic!("a type reference too deep for the query: {value}"))
            .to_owned(),
    }
}

fn default_of(value: &Json) -> String {
    value["defaultValue"]
        .as_str()
        .map(|d| format!(" = {d}"))
        .unwrap_or_default()
}

fn described(facts: &mut BTreeSet<String>, at: &str, description: Option<&str>) {
    if let Some(text) = description.filter(|t| !t.is_empty()) {
        facts.insert(format!("description {at}: {text}"));
    }
}

/// Spec scalars: introspection lists them, SDL leaves them out.
const BUILT_IN_SCALARS: [&str; 5] = ["Boolean", "Float", "ID", "Int", "String"];

/// What introspection of the built schema says, one fact a line.
async fn introspection_facts() -> BTreeSet<String> {
    let schema = imgql::graphql::schema_builder().finish();
    let response = schema.execute(INTROSPECTION).await;
    assert!(
        response.errors.is_empty(),
        "introspection failed: {:?}",
        response.errors
    );
    let data = response
        .data
        .into_json()
        .expect("introspection data as JSON");
    let schema = &data["__schema"];
    let mut facts = BTreeSet::new();
    for root in ["query", "mutation", "subscription"] {
        if let Some(name) = schema[format!("{root}Type")]["name"].as_str() {
            facts.insert(format!("root {root}: {name}"));
        }
    }
    for ty in schema["types"].as_array().expect("a list of types") {
        let name = ty["name"].as_str().expect("a named type");
        let kind = ty["kind"].as_str().expect("a type kind");
        if name.starts_with("__") || (kind == "SCALAR" && BUILT_IN_SCALARS.contains(&name)) {
            continue;
        }
        facts.insert(format!("type {name}: {kind}"));
        described(&mut facts, name, ty["description"].as_str());
        if ty["isOneOf"].as_bool() == Some(true) {
            facts.insert(format!("oneOf {name}"));
        }
        for interface in ty["interfaces"].as_array().into_iter().flatten() {
            facts.insert(format!("implements {name}: {}", interface["name"]));
        }
        if kind == "UNION" {
            for member in ty["possibleTypes"].as_array().into_iter().flatten() {
                facts.insert(format!("member {name}: {}", member["name"]));
            }
        }
        for value in ty["enumValues"].as_array().into_iter().flatten() {
            let at = format!("{name}.{}", value["name"].as_str().unwrap_or_default());
            facts.insert(format!("value {at}"));
            described(&mut facts, &at, value["description"].as_str());
        }
        for field in ty["inputFields"].as_array().into_iter().flatten() {
            let at = format!("{name}.{}", field["name"].as_str().unwrap_or_default());
            facts.insert(format!(
                "input {at}: {}{}",
                type_ref(&field["type"]),
                default_of(field)
            ));
            described(&mut facts, &at, field["description"].as_str());
        }
        for field in ty["fields"].as_array().into_iter().flatten() {
            let at = format!("{name}.{}", field["name"].as_str().unwrap_or_default());
            facts.insert(format!("field {at}: {}", type_ref(&field["type"])));
            described(&mut facts, &at, field["description"].as_str());
            for arg in field["args"].as_array().into_iter().flatten() {
                let arg_at = format!("{at}({})", arg["name"].as_str().unwrap_or_default());
                facts.insert(format!(
                    "arg {arg_at}: {}{}",
                    type_ref(&arg["type"]),
                    default_of(arg)
                ));
                described(&mut facts, &arg_at, arg["description"].as_str());
            }
        }
    }
    for directive in schema["directives"]
        .as_array()
        .expect("a list of directives")
    {
        let name = directive["name"].as_str().expect("a named directive");
        let mut locations: Vec<&str> = directive["locations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        locations.sort_unstable();
        facts.insert(format!("directive @{name} on {}", locations.join(" | ")));
        for arg in directive["args"].as_array().into_iter().flatten() {
            facts.insert(format!(
                "arg @{name}({}): {}{}",
                arg["name"].as_str().unwrap_or_default(),
                type_ref(&arg["type"]),
                default_of(arg)
            ));
        }
    }
    facts
}

/// What `schema.graphql` says, in the facts of [`introspection_facts`].
fn schema_file_facts() -> BTreeSet<String> {
    use async_graphql::parser::types::{DirectiveLocation, InputValueDefinition};

    let sdl = read("schema.graphql");
    let document = parse_schema(&sdl).expect("schema.graphql parses");
    let mut facts = BTreeSet::new();
    let mut roots: Vec<(&str, Option<String>)> =
        vec![("query", None), ("mutation", None), ("subscription", None)];
    let input = |facts: &mut BTreeSet<String>, label: &str, at: &str, v: &InputValueDefinition| {
        let default = v
            .default_value
            .as_ref()
            .map(|d| format!(" = {}", d.node))
            .unwrap_or_default();
        facts.insert(format!("{label} {at}: {}{default}", v.ty.node));
        described(facts, at, v.description.as_ref().map(|d| d.node.as_str()));
    };
    for definition in &document.definitions {
        match definition {
            TypeSystemDefinition::Schema(schema) => {
                let schema = &schema.node;
                roots[0].1 = schema.query.as_ref().map(|n| n.node.to_string());
                roots[1].1 = schema.mutation.as_ref().map(|n| n.node.to_string());
                roots[2].1 = schema.subscription.as_ref().map(|n| n.node.to_string());
            }
            TypeSystemDefinition::Type(ty) => {
                let ty = &ty.node;
                let name = ty.name.node.as_str();
                described(
                    &mut facts,
                    name,
                    ty.description.as_ref().map(|d| d.node.as_str()),
                );
                if ty.directives.iter().any(|d| d.node.name.node == "oneOf") {
                    facts.insert(format!("oneOf {name}"));
                }
                let kind = match &ty.kind {
                    TypeKind::Scalar => "SCALAR",
                    TypeKind::Object(object) => {
                        for interface in &object.implements {
                            facts.insert(format!("implements {name}: \"{}\"", interface.node));
                        }
                        for field in &object.fields {
                            let field = &field.node;
                            let at = format!("{name}.{}", field.name.node);
                            facts.insert(format!("field {at}: {}", field.ty.node));
                            described(
                                &mut facts,
                                &at,
                                field.description.as_ref().map(|d| d.node.as_str()),
                            );
                            for arg in &field.arguments {
                                let arg_at = format!("{at}({})", arg.node.name.node);
                                input(&mut facts, "arg", &arg_at, &arg.node);
                            }
                        }
                        "OBJECT"
                    }
                    TypeKind::Interface(interface) => {
                        for field in &interface.fields {
                            let at = format!("{name}.{}", field.node.name.node);
                            facts.insert(format!("field {at}: {}", field.node.ty.node));
                        }
                        "INTERFACE"
                    }
                    TypeKind::Union(union) => {
                        for member in &union.members {
                            facts.insert(format!("member {name}: \"{}\"", member.node));
                        }
                        "UNION"
                    }
                    TypeKind::Enum(enumeration) => {
                        for value in &enumeration.values {
                            let at = format!("{name}.{}", value.node.value.node);
                            facts.insert(format!("value {at}"));
                            described(
                                &mut facts,
                                &at,
                                value.node.description.as_ref().map(|d| d.node.as_str()),
                            );
                        }
                        "ENUM"
                    }
                    TypeKind::InputObject(object) => {
                        for field in &object.fields {
                            let at = format!("{name}.{}", field.node.name.node);
                            input(&mut facts, "input", &at, &field.node);
                        }
                        "INPUT_OBJECT"
                    }
                };
                facts.insert(format!("type {name}: {kind}"));
            }
            TypeSystemDefinition::Directive(directive) => {
                let directive = &directive.node;
                let name = directive.name.node.as_str();
                let mut locations: Vec<String> = directive
                    .locations
                    .iter()
                    .map(|l| location_name(&l.node).to_owned())
                    .collect();
                locations.sort_unstable();
                facts.insert(format!("directive @{name} on {}", locations.join(" | ")));
                for arg in &directive.arguments {
                    let default = arg
                        .node
                        .default_value
                        .as_ref()
                        .map(|d| format!(" = {}", d.node))
                        .unwrap_or_default();
                    facts.insert(format!(
                        "arg @{name}({}): {}{default}",
                        arg.node.name.node, arg.node.ty.node
                    ));
                }
            }
        }
    }
    // Without a `schema` block the roots are the conventional names.
    let has_schema_block = roots.iter().any(|(_, name)| name.is_some());
    for (root, name) in roots {
        let conventional = {
            let mut chars = root.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        };
        let name = match name {
            Some(name) => Some(name),
            None if !has_schema_block
                && facts.contains(&format!("type {conventional}: OBJECT")) =>
            {
                Some(conventional)
            }
            None => None,
        };
        if let Some(name) = name {
            facts.insert(format!("root {root}: {name}"));
        }
    }

    fn location_name(location: &DirectiveLocation) -> &'static str {
        match location {
            DirectiveLocation::Query => "QUERY",
            DirectiveLocation::Mutation => "MUTATION",
            DirectiveLocation::Subscription => "SUBSCRIPTION",
            DirectiveLocation::Field => "FIELD",
            DirectiveLocation::FragmentDefinition => "FRAGMENT_DEFINITION",
            DirectiveLocation::FragmentSpread => "FRAGMENT_SPREAD",
            DirectiveLocation::InlineFragment => "INLINE_FRAGMENT",
            DirectiveLocation::VariableDefinition => "VARIABLE_DEFINITION",
            DirectiveLocation::Schema => "SCHEMA",
            DirectiveLocation::Scalar => "SCALAR",
            DirectiveLocation::Object => "OBJECT",
            DirectiveLocation::FieldDefinition => "FIELD_DEFINITION",
            DirectiveLocation::ArgumentDefinition => "ARGUMENT_DEFINITION",
            DirectiveLocation::Interface => "INTERFACE",
            DirectiveLocation::Union => "UNION",
            DirectiveLocation::Enum => "ENUM",
            DirectiveLocation::EnumValue => "ENUM_VALUE",
            DirectiveLocation::InputObject => "INPUT_OBJECT",
            DirectiveLocation::InputFieldDefinition => "INPUT_FIELD_DEFINITION",
        }
    }
    facts
}

/// Directives every GraphQL schema has.
const SPEC_DIRECTIVES: [&str; 5] = ["deprecated", "include", "oneOf", "skip", "specifiedBy"];

#[tokio::test]
async fn schema_graphql_agrees_with_introspection() {
    let from_file = schema_file_facts();
    // The spec lets SDL leave out built-in directives (async-graphql omits
    // `@deprecated`); any that schema.graphql defines must match.
    let omitted: Vec<String> = SPEC_DIRECTIVES
        .iter()
        .filter(|name| {
            !from_file
                .iter()
                .any(|f| f.starts_with(&format!("directive @{name} ")))
        })
        .map(|name| format!("@{name}"))
        .collect();
    let from_introspection: BTreeSet<String> = introspection_facts()
        .await
        .into_iter()
        .filter(|fact| {
            !omitted.iter().any(|d| {
                fact.starts_with(&format!("directive {d} "))
                    || fact.starts_with(&format!("arg {d}("))
            })
        })
        .collect();
    assert!(
        from_file.len() > 500,
        "only {} facts read from schema.graphql",
        from_file.len()
    );
    let only_file: Vec<&String> = from_file.difference(&from_introspection).collect();
    let only_introspection: Vec<&String> = from_introspection.difference(&from_file).collect();
    assert!(
        only_file.is_empty() && only_introspection.is_empty(),
        "schema.graphql and introspection disagree (run `cargo run -- export-schema > schema.graphql` if the code changed)\n\
         only in schema.graphql: {only_file:#?}\nonly in introspection: {only_introspection:#?}"
    );
}
