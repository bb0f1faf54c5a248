//! `schema.graphql` must be the SDL the code exports.

#[test]
fn schema_graphql_matches_the_code() {
    let exported = imgql::graphql::export_sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &exported).expect("write schema.graphql");
        return;
    }
    assert!(
        on_disk == exported,
        "schema.graphql is out of date: run `UPDATE_SCHEMA=1 cargo test schema_graphql` or `cargo run -- export-schema > schema.graphql`"
    );
}

#[test]
fn schema_uses_tim_names_verbatim() {
    let sdl = imgql::graphql::export_sdl();
    for needle in [
        "userID",
        "getMyProfile",
        "selfSignature",
        "userIDList",
        "Gender_Type_Unknown",
        "AllowType_Type_NeedConfirm",
    ] {
        assert!(sdl.contains(needle), "SDL lacks {needle}");
    }
    assert!(
        !sdl.contains("userId"),
        "camelCase renaming leaked into the SDL"
    );
}
