//! GraphQL adapters of the group features beyond TIM v2: pinned messages
//! and read receipts.

use async_graphql::{Context, Object, ID};

use super::{
    pins,
    receipts::{self, GroupReadMemberList, ReadMemberFilter},
};
use crate::{graphql::context::ContextExt, messages::view::MessageView};

/// Group queries beyond TIM v2.
#[derive(Default)]
pub struct GroupsExtraQuery;

#[Object]
impl GroupsExtraQuery {
    /// The members who have (`READ`) or have not (`UNREAD`) read a group
    /// message, by userID: `count` (1 to 100) after `cursor`.
    #[graphql(name = "getGroupMessageReadMemberList")]
    async fn get_group_message_read_member_list(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "messageID")] message_id: ID,
        // Optional with the defaults applied by the service (see getMessageList).
        #[graphql(default_with = "Some(ReadMemberFilter::Read)")] filter: Option<ReadMemberFilter>,
        cursor: Option<String>,
        #[graphql(default_with = "Some(50)")] count: Option<i64>,
    ) -> async_graphql::Result<GroupReadMemberList> {
        let viewer = ctx.viewer()?;
        Ok(receipts::get_group_message_read_member_list(
            ctx.state()?,
            &viewer.user_id,
            &message_id,
            filter,
            cursor.as_deref(),
            count,
        )
        .await?)
    }
}

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
