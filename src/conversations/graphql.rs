//! GraphQL adapters of conversations.

use async_graphql::{Context, Object};

use super::{service, types::ConversationView};
use crate::graphql::context::ContextExt;

/// Conversation queries.
#[derive(Default)]
pub struct ConversationsQuery;

#[Object]
impl ConversationsQuery {
    /// Your conversations, pinned first then newest; optionally only the given IDs.
    #[graphql(name = "getConversationList")]
    async fn get_conversation_list(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "conversationIDList")] conversation_id_list: Option<Vec<String>>,
    ) -> async_graphql::Result<Vec<ConversationView>> {
        let viewer = ctx.viewer()?;
        Ok(service::get_conversation_list(
            ctx.state()?,
            &viewer.user_id,
            conversation_id_list.as_deref(),
            None,
        )
        .await?)
    }

    /// One conversation of yours.
    #[graphql(name = "getConversationProfile")]
    async fn get_conversation_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "conversationID")] conversation_id: String,
    ) -> async_graphql::Result<Option<ConversationView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            service::get_conversation_profile(ctx.state()?, &viewer.user_id, &conversation_id)
                .await?,
        ))
    }
}

/// Conversation mutations.
#[derive(Default)]
pub struct ConversationsMutation;

#[Object]
impl ConversationsMutation {
    /// Remove a conversation from your list and hide its history for you; returns its ID.
    #[graphql(name = "deleteConversation")]
    async fn delete_conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "conversationID")] conversation_id: String,
    ) -> async_graphql::Result<Option<String>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            service::delete_conversation(ctx.state()?, &viewer.user_id, &conversation_id).await?,
        ))
    }
}
