//! Make sure every GraphQL error carries `extensions.code`: our errors get it
//! where they become GraphQL errors, the engine's own through the functions
//! below, which the engine hooks (`hooks`) apply.

use async_graphql::{ErrorExtensions, Response, ServerError};

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
pub fn tag_execution_errors(mut response: Response) -> Response {
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

/// A parse failure (or a parse-time limit) with its code:
/// `GRAPHQL_VALIDATION_FAILED` for the directives limit, else `GRAPHQL_PARSE_FAILED`.
pub fn coded_parse_error(err: ServerError) -> ServerError {
    let code = if is_limit_refusal(&err) {
        "GRAPHQL_VALIDATION_FAILED"
    } else {
        "GRAPHQL_PARSE_FAILED"
    };
    with_code(err, code)
}

/// Validation errors with `GRAPHQL_VALIDATION_FAILED`.
pub fn coded_validation_errors(errors: Vec<ServerError>) -> Vec<ServerError> {
    errors
        .into_iter()
        .map(|e| with_code(e, "GRAPHQL_VALIDATION_FAILED"))
        .collect()
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
