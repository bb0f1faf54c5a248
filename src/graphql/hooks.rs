//! The schema's engine hooks, as one async-graphql extension: the document
//! cache, the operation limits, `extensions.code` on the engine's own errors
//! and the root-field metrics.
//!
//! One extension rather than one per concern: async-graphql runs every field
//! it resolves through the `resolve` hook of each installed extension (a
//! boxed future each, the default hook included), and a live message
//! resolves a dozen fields for every subscriber.

use std::{sync::Arc, time::Instant};

use async_graphql::{
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextResolve,
        NextSubscribe, NextValidation, ResolveInfo,
    },
    futures_util::stream::{BoxStream, StreamExt},
    parser::types::ExecutableDocument,
    Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};

use super::{codes, doc_cache::DocumentCache, limits};

/// The schema's subscription root (async-graphql's default name, which ours keeps).
const SUBSCRIPTION_TYPE: &str = "Subscription";

/// The extension to install on the schema.
#[derive(Default)]
pub struct EngineHooks {
    documents: DocumentCache,
}

impl ExtensionFactory for EngineHooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Hooks {
            documents: self.documents.clone(),
        })
    }
}

struct Hooks {
    documents: DocumentCache,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Hooks {
    /// A document parsed before is taken as it is: it passed every
    /// parse-time check, and those depend on the text alone. Otherwise parse
    /// (with the engine's depth and directive limits), then check the
    /// operation limits, so that a refused document never runs.
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.documents.cached(query) {
            return Ok(document);
        }
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(codes::coded_parse_error)?;
        limits::check_document(&document).map_err(codes::coded_parse_error)?;
        self.documents.keep(query, &document);
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(codes::coded_validation_errors)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        codes::tag_execution_errors(next.run(ctx, operation_name).await)
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(codes::tag_execution_errors)
            .boxed()
    }

    /// Root fields of queries and mutations are counted by name, with their
    /// errors and time, for `/metrics` (HTTP and WebSocket alike); other
    /// fields pass straight on, and so do the items of a subscription, which
    /// `/metrics` counts as deliveries (three registry lookups per item
    /// showed in the profile of a group send to a thousand members).
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() || info.parent_type == SUBSCRIPTION_TYPE {
            return next.run(ctx, info).await;
        }
        let field = info.name.to_owned();
        let started = Instant::now();
        let result = next.run(ctx, info).await;
        crate::metrics::root_field(&field, result.is_err(), started.elapsed());
        result
    }
}
