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

use async_graphql::parser::types::ExecutableDocument;

/// Most documents kept; a full cache starts over.
pub const MAX_DOCUMENTS: usize = 1024;

/// Longest query text kept (longer ones are parsed every time).
pub const MAX_QUERY_BYTES: usize = 8 * 1024;

/// The parsed documents, shared by every request; cheap to clone.
#[derive(Clone, Default)]
pub struct DocumentCache {
    documents: Arc<Mutex<HashMap<String, ExecutableDocument>>>,
}

impl DocumentCache {
    /// The document parsed before from `query`, if kept.
    pub fn cached(&self, query: &str) -> Option<ExecutableDocument> {
        let documents = self
            .documents
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        documents.get(query).cloned()
    }

    /// Keep `document`, which parsed from `query` and passed every
    /// parse-time check (a full cache starts over).
    pub fn keep(&self, query: &str, document: &ExecutableDocument) {
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
