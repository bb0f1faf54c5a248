//! GraphQL adapters of groups and members: queries, mutations, the live
//! `groupUpdated` event, and the viewer-dependent fields of `Group`
//! (`selfInfo`, `lastMessage`).

use async_graphql::{ComplexObject, Context, Object, Subscription, ID};
use futures_util::{Stream, StreamExt};

use super::{
    joining, lifecycle, listing, members,
    types::{
        AddGroupMemberResult, CreateGroupInput, DeleteGroupMemberResult, GroupMemberList,
        GroupMemberRole, GroupMemberView, GroupSelfInfo, GroupView, HandleAction, JoinGroupResult,
        UpdateGroupProfileInput,
    },
    views,
};
use crate::{
    events::Event,
    graphql::context::{live_feed, ContextExt},
    groups::types::MessageRemindType,
    messages::view::LastMessage,
    users::types::CustomFieldInput,
};

// Built for one viewer, a group carries its viewer part; built once for
// every member (live events), it resolves that part per viewer here.
#[ComplexObject]
impl GroupView {
    /// The viewer's membership; null for non-members.
    #[graphql(name = "selfInfo")]
    async fn self_info(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GroupSelfInfo>> {
        if let Some(part) = &self.viewer {
            return Ok(part.self_info.clone());
        }
        let viewer = ctx.viewer()?;
        Ok(views::self_info(ctx.state()?, &viewer.user_id, &self.group_id).await?)
    }

    /// The newest message of the group the viewer can see.
    #[graphql(name = "lastMessage")]
    async fn last_message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<LastMessage>> {
        if let Some(part) = &self.viewer {
            return Ok(part.last_message.clone());
        }
        let viewer = ctx.viewer()?;
        Ok(views::last_message(ctx.state()?, &viewer.user_id, &self.group_id).await?)
    }

    /// The group's pinned messages, in pinning order (members only; empty otherwise).
    #[graphql(name = "pinnedMessageList")]
    async fn pinned_message_list(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::messages::view::MessageView>> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let member = match &self.viewer {
            Some(part) => part.self_info.is_some(),
            None => views::self_info(state, &viewer.user_id, &self.group_id)
                .await?
                .is_some(),
        };
        if !member {
            return Ok(Vec::new());
        }
        Ok(super::pins::pinned_messages(state, &viewer.user_id, &self.group_id).await?)
    }
}

/// Group and member queries.
#[derive(Default)]
pub struct GroupsQuery;

#[Object]
impl GroupsQuery {
    /// The viewer's groups (AVChatRoom included), by join time.
    #[graphql(name = "getGroupList")]
    async fn get_group_list(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<GroupView>> {
        let viewer = ctx.viewer()?;
        Ok(listing::get_group_list(ctx.state()?, &viewer.user_id).await?)
    }

    /// A group's profile: everything for members, public fields for others.
    #[graphql(name = "getGroupProfile")]
    async fn get_group_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
    ) -> async_graphql::Result<Option<GroupView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            listing::get_group_profile(ctx.state()?, &viewer.user_id, &group_id).await?,
        ))
    }

    /// Find a group by ID (public fields; work groups are not searchable).
    #[graphql(name = "searchGroupByID")]
    async fn search_group_by_id(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
    ) -> async_graphql::Result<Option<GroupView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            listing::search_group_by_id(ctx.state()?, &viewer.user_id, &group_id).await?,
        ))
    }

    /// One page of members (`count` 1 to 100); `offset` in the answer is the next page's, 0 at the end.
    #[graphql(name = "getGroupMemberList")]
    async fn get_group_member_list(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(default_with = "Some(15)")] count: Option<i64>,
        #[graphql(default_with = "Some(0)")] offset: Option<i64>,
    ) -> async_graphql::Result<GroupMemberList> {
        let viewer = ctx.viewer()?;
        // An explicit null means the default too.
        Ok(members::get_group_member_list(
            ctx.state()?,
            &viewer.user_id,
            &group_id,
            count.unwrap_or(15),
            offset.unwrap_or(0),
        )
        .await?)
    }

    /// The given members' profiles (at most 50 IDs; non-members are left out).
    #[graphql(name = "getGroupMemberProfile")]
    async fn get_group_member_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "userIDList")] user_id_list: Vec<String>,
    ) -> async_graphql::Result<Vec<GroupMemberView>> {
        let viewer = ctx.viewer()?;
        Ok(members::get_group_member_profile(
            ctx.state()?,
            &viewer.user_id,
            &group_id,
            &user_id_list,
        )
        .await?)
    }

    /// Members with at least one live WebSocket connection.
    #[graphql(name = "getGroupOnlineMemberCount")]
    async fn get_group_online_member_count(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
    ) -> async_graphql::Result<i64> {
        let viewer = ctx.viewer()?;
        Ok(
            members::get_group_online_member_count(ctx.state()?, &viewer.user_id, &group_id)
                .await?,
        )
    }
}

/// Group and member mutations.
#[derive(Default)]
pub struct GroupsMutation;

#[Object]
impl GroupsMutation {
    /// Create a group with you as owner.
    #[graphql(name = "createGroup")]
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        input: CreateGroupInput,
    ) -> async_graphql::Result<Option<GroupView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            lifecycle::create_group(ctx.state()?, &viewer.user_id, input).await?,
        ))
    }

    /// Dismiss a group you own; returns its ID.
    #[graphql(name = "dismissGroup")]
    async fn dismiss_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
    ) -> async_graphql::Result<Option<String>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            lifecycle::dismiss_group(ctx.state()?, &viewer.user_id, &group_id).await?,
        ))
    }

    /// Change the fields given of a group's profile.
    #[graphql(name = "updateGroupProfile")]
    async fn update_group_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateGroupProfileInput,
    ) -> async_graphql::Result<Option<GroupView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            lifecycle::update_group_profile(ctx.state()?, &viewer.user_id, input).await?,
        ))
    }

    /// Join a group, or apply to when it needs approval.
    #[graphql(name = "joinGroup")]
    async fn join_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "applyMessage")] apply_message: Option<String>,
    ) -> async_graphql::Result<Option<JoinGroupResult>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            joining::join_group(
                ctx.state()?,
                &viewer.user_id,
                &group_id,
                apply_message.as_deref().unwrap_or_default(),
            )
            .await?,
        ))
    }

    /// Leave a group; returns its ID.
    #[graphql(name = "quitGroup")]
    async fn quit_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
    ) -> async_graphql::Result<Option<String>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            lifecycle::quit_group(ctx.state()?, &viewer.user_id, &group_id).await?,
        ))
    }

    /// Hand a group you own over to another member.
    #[graphql(name = "changeGroupOwner")]
    async fn change_group_owner(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "newOwnerID")] new_owner_id: String,
    ) -> async_graphql::Result<Option<GroupView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            lifecycle::change_group_owner(ctx.state()?, &viewer.user_id, &group_id, &new_owner_id)
                .await?,
        ))
    }

    /// Agree to or reject a join application (owner or admin; the first decision wins).
    #[graphql(name = "handleGroupApplication")]
    async fn handle_group_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "applicationID")] application_id: ID,
        #[graphql(name = "handleAction")] handle_action: HandleAction,
        #[graphql(name = "handleMessage")] handle_message: Option<String>,
    ) -> async_graphql::Result<Option<GroupView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            joining::handle_group_application(
                ctx.state()?,
                &viewer.user_id,
                &application_id,
                handle_action,
                handle_message.as_deref().unwrap_or_default(),
            )
            .await?,
        ))
    }

    /// How you want a group's messages.
    #[graphql(name = "setMessageRemindType")]
    async fn set_message_remind_type(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "messageRemindType")] message_remind_type: MessageRemindType,
    ) -> async_graphql::Result<Option<GroupView>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            members::set_message_remind_type(
                ctx.state()?,
                &viewer.user_id,
                &group_id,
                message_remind_type,
            )
            .await?,
        ))
    }

    /// Add users to a group (at most 100).
    #[graphql(name = "addGroupMember")]
    async fn add_group_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "userIDList")] user_id_list: Vec<String>,
    ) -> async_graphql::Result<Option<AddGroupMemberResult>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            members::add_group_member(ctx.state()?, &viewer.user_id, &group_id, &user_id_list)
                .await?,
        ))
    }

    /// Remove members from a group (at most 100).
    #[graphql(name = "deleteGroupMember")]
    async fn delete_group_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "userIDList")] user_id_list: Vec<String>,
        reason: Option<String>,
    ) -> async_graphql::Result<Option<DeleteGroupMemberResult>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            members::delete_group_member(
                ctx.state()?,
                &viewer.user_id,
                &group_id,
                &user_id_list,
                reason.as_deref().unwrap_or_default(),
            )
            .await?,
        ))
    }

    /// Mute a member for `muteTime` seconds; 0 lifts it.
    #[graphql(name = "setGroupMemberMuteTime")]
    async fn set_group_member_mute_time(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "userID")] user_id: String,
        #[graphql(name = "muteTime")] mute_time: i64,
    ) -> async_graphql::Result<Option<GroupMemberView>> {
        let viewer = ctx.viewer()?;
        let changed = members::set_group_member_mute_time(
            ctx.state()?,
            &viewer.user_id,
            &group_id,
            &user_id,
            mute_time,
        )
        .await?;
        Ok(Some(changed.member))
    }

    /// Make a member an admin or an ordinary member (owner only).
    #[graphql(name = "setGroupMemberRole")]
    async fn set_group_member_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "userID")] user_id: String,
        role: GroupMemberRole,
    ) -> async_graphql::Result<Option<GroupMemberView>> {
        let viewer = ctx.viewer()?;
        let changed = members::set_group_member_role(
            ctx.state()?,
            &viewer.user_id,
            &group_id,
            &user_id,
            role,
        )
        .await?;
        Ok(Some(changed.member))
    }

    /// Set a member's card (yours by default).
    #[graphql(name = "setGroupMemberNameCard")]
    async fn set_group_member_name_card(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "userID")] user_id: Option<String>,
        #[graphql(name = "nameCard")] name_card: String,
    ) -> async_graphql::Result<Option<GroupMemberView>> {
        let viewer = ctx.viewer()?;
        let changed = members::set_group_member_name_card(
            ctx.state()?,
            &viewer.user_id,
            &group_id,
            user_id.as_deref(),
            &name_card,
        )
        .await?;
        Ok(Some(changed.member))
    }

    /// Set custom member fields, merged by key (yours by default).
    #[graphql(name = "setGroupMemberCustomField")]
    async fn set_group_member_custom_field(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "groupID")] group_id: String,
        #[graphql(name = "userID")] user_id: Option<String>,
        #[graphql(name = "memberCustomField")] member_custom_field: Vec<CustomFieldInput>,
    ) -> async_graphql::Result<Option<GroupMemberView>> {
        let viewer = ctx.viewer()?;
        let changed = members::set_group_member_custom_field(
            ctx.state()?,
            &viewer.user_id,
            &group_id,
            user_id.as_deref(),
            &member_custom_field,
        )
        .await?;
        Ok(Some(changed.member))
    }
}

/// Live group events of the viewer.
#[derive(Default)]
pub struct GroupsSubscription;

#[Subscription]
impl GroupsSubscription {
    /// A group of yours whose profile or membership changed, or your own
    /// membership of a group (joined, left, remind type). After leaving, the
    /// group comes with `selfInfo: null`; a dismissed group sends nothing.
    #[graphql(name = "groupUpdated")]
    async fn group_updated(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<GroupView>>> {
        let (feed, viewer) = live_feed(ctx, &[]).await?;
        let state = ctx.state()?.clone();
        Ok(feed.filter_map(move |event| {
            let state = state.clone();
            let viewer = viewer.clone();
            async move {
                let group_id = match event {
                    Err(err) => return Some(Err(err.into())),
                    Ok(event) => match event.as_ref() {
                        // Built once for every member; own parts resolve on demand.
                        Event::GroupChanged { group, .. } => return Some(Ok((**group).clone())),
                        Event::Membership { user, group_id, .. }
                        | Event::RemindChanged { user, group_id, .. }
                            if *user == viewer =>
                        {
                            group_id.clone()
                        }
                        _ => return None,
                    },
                };
                match views::find_view(&state, &viewer, &group_id).await {
                    Ok(view) => view.map(Ok),
                    Err(err) => Some(Err(err.into())),
                }
            }
        }))
    }
}
