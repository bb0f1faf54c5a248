//! GraphQL adapters of messages, and the live message events.

use async_graphql::{ComplexObject, Context, InputObject, Object, Subscription, ID};
use futures_util::{Stream, StreamExt};

use super::{
    input::CreateMessageInput,
    payload::MessagePayload,
    service,
    view::{LastMessage, MessagePage, MessageView},
};
use crate::{
    conversations::{live, service as conversations, types::PeerRead},
    error::AppError,
    events::Event,
    graphql::context::{live_feed, ContextExt},
    groups::receipts::{read_receipt_info, ReadReceiptInfo},
    messages::conversation_id::ConversationId,
    realtime::stream::select_events,
};

// The resolved fields of the message objects live here, with the other
// GraphQL adapters, so that the objects themselves stay plain data.
#[ComplexObject]
impl MessageView {
    /// What the message carries; null once revoked.
    async fn payload(&self) -> Option<MessagePayload> {
        if self.is_revoked {
            return None;
        }
        MessagePayload::from_json(self.msg_type, &self.payload)
    }

    /// Group messages: how many members who can see it have read it (the
    /// sender excluded); null outside groups and in ChatRooms and AVChatRooms.
    #[graphql(name = "readReceiptInfo")]
    async fn read_receipt_info(
        &self,
        ctx: &async_graphql::Context<'_>,
    ) -> async_graphql::Result<Option<ReadReceiptInfo>> {
        Ok(read_receipt_info(ctx.state()?, self).await?)
    }
}

#[ComplexObject]
impl LastMessage {
    /// What it carries; null once revoked.
    async fn payload(&self) -> Option<MessagePayload> {
        if self.is_revoked {
            return None;
        }
        MessagePayload::from_json(self.msg_type, &self.payload)
    }
}

/// Message queries.
#[derive(Default)]
pub struct MessagesQuery;

#[Object]
impl MessagesQuery {
    /// History of a conversation, newest page first (`count` 1 to 100); with
    /// `afterSequence`, forward instead: the oldest `count` messages after
    /// that sequence, ascending, `isCompleted` when none is newer.
    #[graphql(name = "getMessageList")]
    async fn get_message_list(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "conversationID")] conversation_id: String,
        // Optional with the default applied by the service: async-graphql does
        // not apply a default when a declared variable is left out.
        #[graphql(default_with = "Some(15)")] count: Option<i64>,
        #[graphql(name = "nextReqMessageID")] next_req_message_id: Option<String>,
        #[graphql(name = "afterSequence")] after_sequence: Option<i64>,
    ) -> async_graphql::Result<MessagePage> {
        let viewer = ctx.viewer()?;
        Ok(service::get_message_list(
            ctx.state()?,
            &viewer.user_id,
            &conversation_id,
            count,
            next_req_message_id.as_deref(),
            after_sequence,
        )
        .await?)
    }
}

/// Message mutations.
#[derive(Default)]
pub struct MessagesMutation;

#[Object]
impl MessagesMutation {
    /// Store a message as `unSend` (visible only to you) for `sendMessage` later.
    #[graphql(name = "createMessage")]
    async fn create_message(
        &self,
        ctx: &Context<'_>,
        input: CreateMessageInput,
    ) -> async_graphql::Result<Option<MessageView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            service::create_message(ctx.state()?, &viewer.user_id, input.into()).await?,
        ))
    }

    /// Send a created message (`messageID`) or a new one (`message`); exactly one.
    #[graphql(name = "sendMessage")]
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "messageID")] message_id: Option<ID>,
        message: Option<CreateMessageInput>,
    ) -> async_graphql::Result<Option<MessageView>> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let sent = match (message_id, message) {
            (Some(id), None) => service::send_message(state, &viewer.user_id, &id).await?,
            (None, Some(message)) => {
                service::send_new_message(state, &viewer.user_id, message.into()).await?
            }
            _ => {
                return Err(AppError::bad_input(
                    "sendMessage",
                    "give exactly one of messageID and message",
                )
                .into())
            }
        };
        Ok(Some(sent))
    }

    /// Retry a message whose send failed.
    #[graphql(name = "resendMessage")]
    async fn resend_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "messageID")] message_id: ID,
    ) -> async_graphql::Result<Option<MessageView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            service::resend_message(ctx.state()?, &viewer.user_id, &message_id).await?,
        ))
    }

    /// Revoke a sent message (sender within the limit, or group owner/admin).
    #[graphql(name = "revokeMessage")]
    async fn revoke_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "messageID")] message_id: ID,
    ) -> async_graphql::Result<Option<MessageView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            service::revoke_message(ctx.state()?, &viewer.user_id, &message_id).await?,
        ))
    }

    /// Mark a conversation read; returns it with its unread count at 0.
    #[graphql(name = "setMessageRead")]
    async fn set_message_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "conversationID")] conversation_id: String,
    ) -> async_graphql::Result<Option<crate::conversations::types::ConversationView>> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        service::set_message_read(state, &viewer.user_id, &conversation_id).await?;
        Ok(Some(
            conversations::get_conversation_profile(state, &viewer.user_id, &conversation_id)
                .await?,
        ))
    }
}

/// Live message events of the viewer.
#[derive(Default)]
pub struct MessagesSubscription;

/// Where a resuming client stands in one conversation.
#[derive(InputObject, Clone, Debug)]
pub struct ConversationSequenceInput {
    /// `C2C<peer>`, `GROUP<groupID>` or `SYSTEM`/`@TIM#SYSTEM`.
    #[graphql(name = "conversationID")]
    pub conversation_id: String,
    /// The newest sequence the client has of it.
    pub sequence: i64,
}

#[Subscription]
impl MessagesSubscription {
    /// Every message that becomes visible to you from now on (your own sends
    /// too, with `flow: out`), in sequence order per conversation with none
    /// skipped or repeated; with `conversationID`, only that conversation's.
    /// With `since`, each listed conversation you can see first replays its
    /// messages after the given sequence, oldest first, then goes on live.
    #[graphql(name = "messageReceived")]
    async fn message_received(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "conversationID")] conversation_id: Option<String>,
        since: Option<Vec<ConversationSequenceInput>>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<MessageView>>> {
        let since = service::resume_points(
            since
                .unwrap_or_default()
                .into_iter()
                .map(|s| (s.conversation_id, s.sequence)),
        )?;
        let (feed, viewer) = live_feed(ctx, &since).await?;
        Ok(select_events(feed, move |event| match event {
            Event::Message(view) if view.addressed_to(&viewer) => {
                let mine = view.for_viewer(&viewer);
                conversation_id
                    .as_ref()
                    .is_none_or(|c| *c == mine.conversation_id)
                    .then_some(mine)
            }
            _ => None,
        }))
    }

    /// Messages revoked in your conversations.
    #[graphql(name = "messageRevoked")]
    async fn message_revoked(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<MessageView>>> {
        let (feed, viewer) = live_feed(ctx, &[]).await?;
        Ok(select_events(feed, move |event| match event {
            Event::MessageRevoked(view) if view.addressed_to(&viewer) => {
                Some(view.for_viewer(&viewer))
            }
            _ => None,
        }))
    }

    /// Your C2C peers reading your messages.
    #[graphql(name = "messageReadByPeer")]
    async fn message_read_by_peer(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<PeerRead>>> {
        let (feed, viewer) = live_feed(ctx, &[]).await?;
        Ok(select_events(feed, move |event| match event {
            Event::PeerRead {
                reader,
                peer,
                sequence,
                time,
            } if *peer == viewer => Some(PeerRead {
                conversation_id: ConversationId::c2c(reader).to_string(),
                sequence: *sequence,
                time: *time,
            }),
            _ => None,
        }))
    }

    /// A conversation of yours whose unread count or last message changed.
    #[graphql(name = "conversationUpdated")]
    async fn conversation_updated(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<
        impl Stream<Item = async_graphql::Result<crate::conversations::types::ConversationView>>,
    > {
        let (feed, viewer) = live_feed(ctx, &[]).await?;
        Ok(live::follow(ctx.state()?, &viewer, feed).map(|item| item.map_err(Into::into)))
    }
}
