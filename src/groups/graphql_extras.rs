//! GraphQL adapters of the group features beyond TIM v2: pinned messages.

use async_graphql::{Context, Object, ID};

use super::pins;
use crate::{graphql::context::ContextExt, messages::view::MessageView};

/// Group mutations beyond TIM v2.
#[derive(Default)]
pub struct GroupsExtraMutation;

#[Object]
impl GroupsExtraMutation {
    /// Pin or unpin a group message (owner and admins; any member of a
    /// Private group; at most 10 per group); returns the pinned messages.
    #[graphql(name = "pinGroupMessage")]
    async fn pin_group_message(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "messageID")] message_id: ID,
        #[graphql(name = "isPinned")] is_pinned: bool,
    ) -> async_graphql::Result<Vec<MessageView>> {
        let viewer = ctx.viewer()?;
        Ok(pins::pin_group_message(
            ctx.state()?,
            &viewer.user_id,
            &group_id,
            &message_id,
            is_pinned,
        )
        .await?)
    }
}
