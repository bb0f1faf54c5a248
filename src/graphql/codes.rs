//! Make sure every GraphQL error carries `extensions.code`: our errors get it
//! where they become GraphQL errors, the engine's own in the extension below.

use std::sync::Arc;

use async_graphql::{
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextSubscribe,
        NextValidation,
    },
    futures_util::stream::{BoxStream, StreamExt},
    parser::types::ExecutableDocument,
    ErrorExtensions, Response, ServerError, ServerResult, ValidationResult, Variables,
};

use crate::error::AppError;

/// The boundary of every resolver and subscription error: the cause of an
/// internal one is logged here, once; the client gets the code and message.
impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.report("graphql");
        let code = err.code();
        let retry_after_ms = err.retry_after_ms();
        async_graphql::Error::new(err.message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(ms) = retry_after_ms {
                ext.set("retryAfterMs", ms);
            }
        })
    }
}

/// Adds `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, and a code for
/// errors raised by async-graphql itself during execution (argument coercion).
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodes)
    }
}

fn with_code(mut err: ServerError, code: &'static str) -> ServerError {
    let has_code = err
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        err.extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
    err
}

/// Our resolvers always set a code; what lacks one came from the engine
/// coercing input (bad argument values), or is unexpected.
fn tag_execution_errors(mut response: Response) -> Response {
    response.errors = response
        .errors
        .into_iter()
        .map(|err| {
            // Coercion of an argument the validator let through is, to the
            // client, the same mistake as one it caught.
            // A bad upload reference is a bad multipart body, not a bad document.
            let code = if err.message.starts_with("Failed to parse \"Upload\"") {
                "BAD_USER_INPUT"
            } else if err.message.starts_with("Subscriptions are not supported") {
                // A subscription sent over HTTP: it is served on /graphql/ws.
                "BAD_REQUEST"
            } else if err.message.starts_with("Failed to parse")
                || err.message.starts_with("Invalid value")
                || err.message.starts_with("Expected input type")
                || err.message.contains("Oneof")
                || err.message.contains("oneOf")
            {
                "GRAPHQL_VALIDATION_FAILED"
            } else {
                "INTERNAL"
            };
            with_code(err, code)
        })
        .collect();
    response
}

/// The engine checks the directives-per-field limit while parsing; a document
/// over it is well formed, and is refused like the other operation limits.
/// (Its recursion limit stays a parse failure: the parser itself stops there.)
fn is_limit_refusal(err: &ServerError) -> bool {
    err.message
        .starts_with("The number of directives on the field")
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodes {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables).await.map_err(|e| {
            let code = if is_limit_refusal(&e) {
                "GRAPHQL_VALIDATION_FAILED"
            } else {
                "GRAPHQL_PARSE_FAILED"
            };
            with_code(e, code)
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| with_code(e, "GRAPHQL_VALIDATION_FAILED"))
                .collect()
        })
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        tag_execution_errors(next.run(ctx, operation_name).await)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream).map(tag_execution_errors).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_cause_stays_out_of_graphql_errors() {
        let err = async_graphql::Error::from(AppError::internal("secret detail"));
        assert_eq!(err.message, "internal error");
        let code = err.extensions.as_ref().and_then(|e| e.get("code")).cloned();
        assert_eq!(code, Some(async_graphql::Value::from("INTERNAL")));
    }
}
