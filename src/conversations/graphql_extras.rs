//! GraphQL adapters of the conversation features beyond TIM v2: pins,
//! typing status and the live total unread count.

use async_graphql::{Context, Object, Subscription};
use futures_util::{Stream, StreamExt};

use super::{
    pins,
    types::{ConversationView, TypingStatus},
    typing, unread,
};
use crate::{
    events::Event,
    graphql::context::{live_feed, ContextExt},
    realtime::stream::select_events,
};

/// Conversation queries beyond TIM v2.
#[derive(Default)]
pub struct ConversationsExtraQuery;

#[Object]
impl ConversationsExtraQuery {
    /// The sum of your conversations' unread counts.
    #[graphql(name = "getTotalUnreadMessageCount")]
    async fn get_total_unread_message_count(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<i64> {
        let viewer = ctx.viewer()?;
        Ok(unread::get_total_unread_message_count(ctx.state()?, &viewer.user_id).await?)
    }
}

/// Conversation mutations beyond TIM v2.
#[derive(Default)]
pub struct ConversationsExtraMutation;

#[Object]
impl ConversationsExtraMutation {
    /// Pin or unpin one of your conversations; pinned ones come first in the list.
    #[graphql(name = "pinConversation")]
    async fn pin_conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "conversationID")] conversation_id: String,
        #[graphql(name = "isPinned")] is_pinned: bool,
    ) -> async_graphql::Result<Option<ConversationView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            pins::pin_conversation(ctx.state()?, &viewer.user_id, &conversation_id, is_pinned)
                .await?,
        ))
    }

    /// Say whether you are typing in a C2C or group conversation you are in
    /// (nothing is stored; a `true` lasts 6 seconds unless repeated).
    #[graphql(name = "setTypingStatus")]
    async fn set_typing_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "conversationID")] conversation_id: String,
        typing: bool,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer()?;
        Ok(
            typing::set_typing_status(ctx.state()?, &viewer.user_id, &conversation_id, typing)
                .await?,
        )
    }
}

/// Conversation subscriptions beyond TIM v2.
#[derive(Default)]
pub struct ConversationsExtraSubscription;

#[Subscription]
impl ConversationsExtraSubscription {
    /// Your total unread count: the current total first, then each new total
    /// (messages from others, reads, deletions), at most one per 100 ms.
    #[graphql(name = "totalUnreadMessageCountUpdated")]
    async fn total_unread_message_count_updated(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<i64>>> {
        let (feed, viewer) = live_feed(ctx, &[]).await?;
        let totals = unread::total_unread_stream(ctx.state()?, &viewer, feed).await?;
        Ok(totals.map(|item| item.map_err(Into::into)))
    }

    /// Others typing in your conversations (with `conversationID`, in that
    /// one): at most one event per typer and conversation per second, and a
    /// `typing: false` when a status times out.
    #[graphql(name = "typingStatusChanged")]
    async fn typing_status_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "conversationID")] conversation_id: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<TypingStatus>>> {
        let (feed, viewer) = live_feed(ctx, &[]).await?;
        Ok(select_events(feed, move |event| match event {
            Event::Typing(typing) => typing.for_viewer(&viewer).filter(|status| {
                conversation_id
                    .as_ref()
                    .is_none_or(|c| *c == status.conversation_id)
            }),
            _ => None,
        }))
    }
}
