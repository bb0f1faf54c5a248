//! API types of groups and members, shared by GraphQL and compat JSON; enum
//! values are TIM's constants verbatim.

use async_graphql::{Enum, InputObject, SimpleObject};
use serde::{Deserialize, Serialize};

use crate::{
    messages::view::LastMessage,
    users::types::{CustomField, CustomFieldInput},
};

/// The five group types of TIM.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[graphql(remote = "entity::kinds::GroupType")]
pub enum GroupType {
    /// Work group: members add members; no admins; no history from before joining.
    #[default]
    #[graphql(name = "Private")]
    Private,
    /// Public group: joined by application (or freely, by `joinOption`).
    #[graphql(name = "Public")]
    Public,
    /// Meeting group: joined freely; history visible to newcomers; no unread counts.
    #[graphql(name = "ChatRoom")]
    ChatRoom,
    /// Live-streaming room: joined freely, one at a time; no history kept.
    #[graphql(name = "AVChatRoom")]
    #[serde(rename = "AVChatRoom")]
    AvChatRoom,
    /// Community: large, joined freely; history visible to newcomers.
    #[graphql(name = "Community")]
    Community,
}

/// How a member wants a group's messages (TIM's constants verbatim).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[graphql(rename_items = "PascalCase")]
pub enum MessageRemindType {
    /// Delivered live and counted as unread.
    #[default]
    AcceptAndNotify,
    /// Delivered live, not counted.
    AcceptNotNotify,
    /// Neither delivered live nor counted.
    Discard,
}

impl MessageRemindType {
    /// The stored constant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AcceptAndNotify => "AcceptAndNotify",
            Self::AcceptNotNotify => "AcceptNotNotify",
            Self::Discard => "Discard",
        }
    }

    /// Parse the stored constant.
    pub fn parse(value: &str) -> Self {
        match value {
            "AcceptNotNotify" => Self::AcceptNotNotify,
            "Discard" => Self::Discard,
            _ => Self::AcceptAndNotify,
        }
    }
}

/// How users may join a group by `joinGroup`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[graphql(remote = "entity::kinds::GroupJoinOption")]
pub enum GroupJoinOption {
    /// Anyone joins at once.
    #[graphql(name = "FreeAccess")]
    FreeAccess,
    /// An owner or admin approves each application.
    #[default]
    #[graphql(name = "NeedPermission")]
    NeedPermission,
    /// Nobody may apply.
    #[graphql(name = "DisableApply")]
    DisableApply,
}

/// A member's role.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[graphql(remote = "entity::kinds::GroupMemberRole")]
pub enum GroupMemberRole {
    /// The owner: every power.
    #[graphql(name = "Owner")]
    Owner,
    /// An admin: manages ordinary members.
    #[graphql(name = "Admin")]
    Admin,
    /// An ordinary member.
    #[default]
    #[graphql(name = "Member")]
    Member,
}

/// The outcome of `joinGroup`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinGroupStatus {
    /// Joined.
    #[graphql(name = "JoinedSuccess")]
    JoinedSuccess,
    /// An application was sent to the owner and admins.
    #[graphql(name = "WaitAdminApproval")]
    WaitAdminApproval,
    /// Already a member (not an error).
    #[graphql(name = "AlreadyInGroup")]
    AlreadyInGroup,
}

/// A decision on a join application.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandleAction {
    /// Let the applicant in.
    #[graphql(name = "Agree")]
    Agree,
    /// Turn the application down.
    #[graphql(name = "Reject")]
    Reject,
}

/// The viewer's own membership of a group.
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSelfInfo {
    /// The viewer's role.
    pub role: GroupMemberRole,
    /// Unix seconds.
    pub join_time: i64,
    /// The viewer's card in the group.
    pub name_card: String,
    /// How the viewer wants the group's messages.
    pub message_remind_type: MessageRemindType,
}

/// The parts of a group that depend on who looks: known when a group is
/// built for one viewer, resolved on demand when it was built for everyone.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ViewerPart {
    /// The viewer's membership (null for non-members).
    #[serde(rename = "selfInfo")]
    pub self_info: Option<GroupSelfInfo>,
    /// The newest message the viewer can see.
    #[serde(rename = "lastMessage")]
    pub last_message: Option<LastMessage>,
}

/// A group as one viewer sees it. Non-members see the public fields only
/// (`notification`, `groupCustomField` and `nextMessageSeq` are empty for them).
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
#[graphql(name = "Group", complex)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    /// The groupID.
    #[graphql(name = "groupID")]
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Up to 30 bytes.
    pub name: String,
    /// Up to 500 bytes.
    pub avatar: String,
    /// The group type.
    #[graphql(name = "type")]
    #[serde(rename = "type")]
    pub group_type: GroupType,
    /// Up to 240 bytes.
    pub introduction: String,
    /// Up to 300 bytes (members only).
    pub notification: String,
    /// The owner's userID; empty for a work group whose owner quit.
    #[graphql(name = "ownerID")]
    #[serde(rename = "ownerID")]
    pub owner_id: String,
    /// Unix seconds.
    pub create_time: i64,
    /// Unix seconds of the last profile change.
    pub last_info_time: i64,
    /// Members now.
    pub member_count: i64,
    /// Member limit; 0 means unlimited (AVChatRoom).
    pub max_member_count: i64,
    /// How users may join.
    pub join_option: GroupJoinOption,
    /// Whether everyone but the owner and admins is muted.
    pub mute_all_members: bool,
    /// Custom group fields (members only).
    pub group_custom_field: Vec<CustomField>,
    /// The sequence the next message will get (members only; 0 otherwise).
    pub next_message_seq: i64,
    /// `None` when built for every member at once (live events); the
    /// `selfInfo` and `lastMessage` resolvers are in [`super::graphql`].
    #[graphql(skip)]
    #[serde(flatten, skip_deserializing)]
    pub viewer: Option<ViewerPart>,
}

/// A member of a group.
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[graphql(name = "GroupMember")]
#[serde(rename_all = "camelCase")]
pub struct GroupMemberView {
    /// The member.
    #[graphql(name = "userID")]
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Their nickname.
    pub nick: String,
    /// Their avatar.
    pub avatar: String,
    /// Their role.
    pub role: GroupMemberRole,
    /// Unix seconds.
    pub join_time: i64,
    /// Their card in the group.
    pub name_card: String,
    /// Unix seconds; muted while in the future (0: not muted).
    pub mute_until: i64,
    /// Custom member fields.
    pub member_custom_field: Vec<CustomField>,
}

/// One page of members.
#[derive(SimpleObject, Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupMemberList {
    /// Members by join time.
    pub member_list: Vec<GroupMemberView>,
    /// The next page's offset; 0 at the end.
    pub offset: i64,
}

/// What `joinGroup` returns.
#[derive(SimpleObject, Clone, Debug, Serialize)]
pub struct JoinGroupResult {
    /// Joined, waiting for approval, or already a member.
    pub status: JoinGroupStatus,
    /// The group, once the viewer is in it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupView>,
}

/// What `addGroupMember` returns.
#[derive(SimpleObject, Clone, Debug, Serialize)]
pub struct AddGroupMemberResult {
    /// Added.
    #[graphql(name = "successUserIDList")]
    #[serde(rename = "successUserIDList")]
    pub success_user_id_list: Vec<String>,
    /// Not added: unknown users, or users who blacklisted the adder.
    #[graphql(name = "failureUserIDList")]
    #[serde(rename = "failureUserIDList")]
    pub failure_user_id_list: Vec<String>,
    /// Already members.
    #[graphql(name = "existedUserIDList")]
    #[serde(rename = "existedUserIDList")]
    pub existed_user_id_list: Vec<String>,
    /// The group after.
    pub group: GroupView,
}

/// What `deleteGroupMember` returns.
#[derive(SimpleObject, Clone, Debug, Serialize)]
pub struct DeleteGroupMemberResult {
    /// Removed (users who were not members are left out).
    #[graphql(name = "userIDList")]
    #[serde(rename = "userIDList")]
    pub user_id_list: Vec<String>,
    /// The group after.
    pub group: GroupView,
}

/// A member after a change, with the group (the compat shape `{group, member}`).
#[derive(Clone, Debug, Serialize)]
pub struct MemberChange {
    /// The group.
    pub group: GroupView,
    /// The member after the change.
    pub member: GroupMemberView,
}

/// A member to add when creating a group.
#[derive(InputObject, Clone, Debug)]
pub struct GroupMemberInput {
    /// The user.
    #[graphql(name = "userID")]
    pub user_id: String,
    /// `Admin` or `Member` (default).
    pub role: Option<GroupMemberRole>,
    /// Custom member fields.
    pub member_custom_field: Option<Vec<CustomFieldInput>>,
}

/// Fields of `createGroup`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CreateGroupInput {
    /// 1 to 30 bytes.
    pub name: String,
    /// Default `Private`.
    #[graphql(name = "type")]
    pub group_type: Option<GroupType>,
    /// A custom groupID (printable ASCII, up to 48 bytes, not starting with `@TGS#`); generated when absent.
    #[graphql(name = "groupID")]
    pub group_id: Option<String>,
    /// Up to 240 bytes.
    pub introduction: Option<String>,
    /// Up to 300 bytes.
    pub notification: Option<String>,
    /// Up to 500 bytes.
    pub avatar: Option<String>,
    /// Member limit, at most the type's default.
    pub max_member_num: Option<i64>,
    /// Public and Community only.
    pub join_option: Option<GroupJoinOption>,
    /// Up to 500 members to add (not for AVChatRoom).
    pub member_list: Option<Vec<GroupMemberInput>>,
    /// Custom group fields.
    pub group_custom_field: Option<Vec<CustomFieldInput>>,
}

/// Fields of `updateGroupProfile`; only those given change.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateGroupProfileInput {
    /// The group.
    #[graphql(name = "groupID")]
    pub group_id: String,
    /// 1 to 30 bytes.
    pub name: Option<String>,
    /// Up to 500 bytes.
    pub avatar: Option<String>,
    /// Up to 240 bytes.
    pub introduction: Option<String>,
    /// Up to 300 bytes.
    pub notification: Option<String>,
    /// Member limit (owner only), at least the member count.
    pub max_member_num: Option<i64>,
    /// Public and Community only.
    pub join_option: Option<GroupJoinOption>,
    /// Mute everyone but the owner and admins.
    pub mute_all_members: Option<bool>,
    /// Custom group fields, merged by key.
    pub group_custom_field: Option<Vec<CustomFieldInput>>,
}
