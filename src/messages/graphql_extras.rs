//! GraphQL adapters of the message features beyond TIM v2: reactions and
//! edits with history.

use async_graphql::{ComplexObject, Context, Object, Subscription, ID};
use futures_util::Stream;

use super::{
    edits::{self, MessageRevision},
    input::MessagePayloadInput,
    reactions::{self, MessageReactionsUpdate, ReactionUserList},
    view::{MessageReaction, MessageView},
};
use crate::{
    events::Event,
    graphql::context::{live_feed, ContextExt},
    realtime::stream::select_events,
};

#[ComplexObject]
impl MessageReaction {
    /// Whether you reacted so.
    #[graphql(name = "reactedByMyself")]
    async fn reacted_by_myself(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer()?;
        Ok(self.reacted_by(ctx.state()?, &viewer.user_id).await?)
    }
}

/// Message queries beyond TIM v2.
#[derive(Default)]
pub struct MessagesExtraQuery;

#[Object]
impl MessagesExtraQuery {
    /// The users who reacted to a message with `reactionID`, by time:
    /// `count` (1 to 100) after `nextSeq` (0 for the first page).
    #[graphql(name = "getAllUserListOfMessageReaction")]
    async fn get_all_user_list_of_message_reaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "messageID")] message_id: ID,
        #[graphql(name = "reactionID")] reaction_id: String,
        // Optional with the defaults applied by the service (see getMessageList).
        #[graphql(name = "nextSeq", default_with = "Some(0)")] next_seq: Option<i64>,
        #[graphql(default_with = "Some(50)")] count: Option<i64>,
    ) -> async_graphql::Result<ReactionUserList> {
        let viewer = ctx.viewer()?;
        Ok(reactions::get_all_user_list_of_message_reaction(
            ctx.state()?,
            &viewer.user_id,
            &message_id,
            &reaction_id,
            next_seq,
            count,
        )
        .await?)
    }

    /// Every version of a message you can see, oldest first (the original is version 0).
    #[graphql(name = "getMessageEditHistory")]
    async fn get_message_edit_history(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "messageID")] message_id: ID,
    ) -> async_graphql::Result<Vec<MessageRevision>> {
        let viewer = ctx.viewer()?;
        Ok(edits::get_message_edit_history(ctx.state()?, &viewer.user_id, &message_id).await?)
    }
}

/// Message mutations beyond TIM v2.
#[derive(Default)]
pub struct MessagesExtraMutation;

#[Object]
impl MessagesExtraMutation {
    /// React to a message you can see (idempotent; at most 20 distinct reactions a message).
    #[graphql(name = "addMessageReaction")]
    async fn add_message_reaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "messageID")] message_id: ID,
        #[graphql(name = "reactionID")] reaction_id: String,
    ) -> async_graphql::Result<Option<MessageView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            reactions::add_message_reaction(
                ctx.state()?,
                &viewer.user_id,
                &message_id,
                &reaction_id,
            )
            .await?,
        ))
    }

    /// Take back your reaction (idempotent).
    #[graphql(name = "removeMessageReaction")]
    async fn remove_message_reaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "messageID")] message_id: ID,
        #[graphql(name = "reactionID")] reaction_id: String,
    ) -> async_graphql::Result<Option<MessageView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            reactions::remove_message_reaction(
                ctx.state()?,
                &viewer.user_id,
                &message_id,
                &reaction_id,
            )
            .await?,
        ))
    }

    /// Edit your sent text, custom, face or location message (same kind);
    /// with `version`, only if it is still the current one (`CONFLICT`).
    #[graphql(name = "modifyMessage")]
    async fn modify_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "messageID")] message_id: ID,
        payload: MessagePayloadInput,
        version: Option<i64>,
    ) -> async_graphql::Result<Option<MessageView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            edits::modify_message(
                ctx.state()?,
                &viewer.user_id,
                &message_id,
                &payload.into(),
                version,
            )
            .await?,
        ))
    }
}

/// Message subscriptions beyond TIM v2.
#[derive(Default)]
pub struct MessagesExtraSubscription;

#[Subscription]
impl MessagesExtraSubscription {
    /// A message of your conversations whose reactions changed: all of them after.
    #[graphql(name = "messageReactionsUpdated")]
    async fn message_reactions_updated(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<MessageReactionsUpdate>>>
    {
        let (feed, viewer) = live_feed(ctx, &[]).await?;
        Ok(select_events(feed, move |event| match event {
            Event::ReactionsUpdated(view) => MessageReactionsUpdate::for_viewer(view, &viewer),
            _ => None,
        }))
    }

    /// A message of your conversations that was edited, as it is now.
    #[graphql(name = "messageModified")]
    async fn message_modified(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<MessageView>>> {
        let (feed, viewer) = live_feed(ctx, &[]).await?;
        Ok(select_events(feed, move |event| match event {
            Event::MessageModified(view) if view.addressed_to(&viewer) => {
                Some(view.for_viewer(&viewer))
            }
            _ => None,
        }))
    }
}
