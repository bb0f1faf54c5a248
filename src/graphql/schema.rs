//! The schema: the three roots merged from the domains, their limits, and the
//! SDL export. Pure: building it does no I/O.

use async_graphql::{MergedObject, MergedSubscription, SDLExportOptions, Schema, SchemaBuilder};

use super::hooks::EngineHooks;
use crate::{blacklist, conversations, files, groups, messages, state::AppState, users};

/// Every query, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Query(
    users::graphql::UsersQuery,
    blacklist::graphql::BlacklistQuery,
    messages::graphql::MessagesQuery,
    conversations::graphql::ConversationsQuery,
    groups::graphql::GroupsQuery,
    conversations::graphql_extras::ConversationsExtraQuery,
    messages::graphql_extras::MessagesExtraQuery,
    groups::graphql_extras::GroupsExtraQuery,
    users::graphql_extras::UsersExtraQuery,
);

/// Every mutation, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Mutation(
    users::graphql::AccountMutation,
    users::graphql::UsersMutation,
    blacklist::graphql::BlacklistMutation,
    files::graphql::FilesMutation,
    messages::graphql::MessagesMutation,
    conversations::graphql::ConversationsMutation,
    groups::graphql::GroupsMutation,
    conversations::graphql_extras::ConversationsExtraMutation,
    messages::graphql_extras::MessagesExtraMutation,
    users::graphql_extras::UsersExtraMutation,
    groups::graphql_extras::GroupsExtraMutation,
);

/// Every subscription, merged from the domains.
#[derive(MergedSubscription, Default)]
pub struct Subscription(
    users::graphql::UsersSubscription,
    blacklist::graphql::BlacklistSubscription,
    messages::graphql::MessagesSubscription,
    groups::graphql::GroupsSubscription,
    conversations::graphql_extras::ConversationsExtraSubscription,
    messages::graphql_extras::MessagesExtraSubscription,
    users::graphql_extras::UsersExtraSubscription,
);

/// The schema type served by imgql.
pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Most nesting a query may have: graphql-js's introspection query (what
/// GraphiQL and codegen tools send) is 14 levels deep with its nine `ofType`s.
pub const MAX_DEPTH: usize = 15;
/// Most complexity (roughly, fields resolved) a query may have.
pub const MAX_COMPLEXITY: usize = 2000;
/// Most nesting of input values and fragments the parser accepts.
pub const MAX_RECURSIVE_DEPTH: usize = 32;
/// Most directives on one field.
pub const MAX_DIRECTIVES: usize = 8;

/// The schema with its limits and extensions but no data: pure, no I/O.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .limit_recursive_depth(MAX_RECURSIVE_DEPTH)
    .limit_directives(MAX_DIRECTIVES)
    // The document cache, operation limits, error codes and metrics: one
    // extension, since each one costs a boxed future per field resolved.
    .extension(EngineHooks::default())
}

/// The schema serving `state`.
pub fn build_schema(state: AppState) -> AppSchema {
    schema_builder().data(state).finish()
}

/// The SDL, sorted so that the exported file is stable.
pub fn export_sdl() -> String {
    schema_builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}
