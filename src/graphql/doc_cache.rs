//! Parsed documents by query text: the same few operations arrive thousands
//! of times (a client's `sendMessage`), and parsing costs more than cloning
//! the parsed document.
//!
//! Only documents that parsed and passed every parse-time check (recursion
//! depth, directives, [`super::limits`]) are kept, so a hit may skip those
//! checks: they depend on the text alone. Validation still runs on every
//! request, since it also checks the variables given.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_graphql::{
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::ExecutableDocument,
    ServerResult, Variables,
};

/// Most documents kept; a full cache starts over.
pub const MAX_DOCUMENTS: usize = 1024;

/// Longest query text kept (longer ones are parsed every time).
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

type Documents = Arc<Mutex<HashMap<String, ExecutableDocument>>>;

/// The extension; install it first, so that a hit skips the parse entirely.
#[derive(Default)]
pub struct DocumentCache {
    documents: Documents,
}

impl ExtensionFactory for DocumentCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CacheExtension {
            documents: self.documents.clone(),
        })
    }
}

struct CacheExtension {
    documents: Documents,
}

impl CacheExtension {
    fn cached(&self, query: &str) -> Option<ExecutableDocument> {
        let documents = self
            .documents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        documents.get(query).cloned()
    }

    fn keep(&self, query: &str, document: &ExecutableDocument) {
        if query.len() > MAX_QUERY_BYTES {
            return;
        }
        let mut documents = self
            .documents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if documents.len() >= MAX_DOCUMENTS {
            documents.clear();
        }
        documents.insert(query.to_owned(), document.clone());
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CacheExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.cached(query) {
            return Ok(document);
        }
        let document = next.run(ctx, query, variables).await?;
        self.keep(query, &document);
        Ok(document)
    }
}
