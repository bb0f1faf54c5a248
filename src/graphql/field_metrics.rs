//! Counts root fields and their errors for `/metrics` (HTTP and WebSocket alike).

use std::{sync::Arc, time::Instant};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo},
    ServerResult, Value,
};

/// The extension: root fields only, by name.
pub struct FieldMetrics;

impl ExtensionFactory for FieldMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FieldMetrics)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for FieldMetrics {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        let field = info.name.to_owned();
        let started = Instant::now();
        let result = next.run(ctx, info).await;
        crate::metrics::root_field(&field, result.is_err(), started.elapsed());
        result
    }
}
