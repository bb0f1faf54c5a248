//! Enumerated columns, stored as TIM's string constants. A row holding any
//! other string fails to load (a loud error, never a silent default).

use sea_orm::entity::prelude::*;

/// `messages.conversation_type`: which kind of conversation a message is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ConversationType {
    /// One-to-one.
    #[sea_orm(string_value = "C2C")]
    C2c,
    /// A group.
    #[sea_orm(string_value = "GROUP")]
    Group,
    /// A user's system notices.
    #[sea_orm(string_value = "@TIM#SYSTEM")]
    System,
}

/// `messages.msg_type`: the payload's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
#[allow(clippy::enum_variant_names)]
pub enum MessageType {
    /// Text.
    #[sea_orm(string_value = "TIMTextElem")]
    TextElem,
    /// Image.
    #[sea_orm(string_value = "TIMImageElem")]
    ImageElem,
    /// Voice note.
    #[sea_orm(string_value = "TIMSoundElem")]
    SoundElem,
    /// Video.
    #[sea_orm(string_value = "TIMVideoFileElem")]
    VideoFileElem,
    /// File.
    #[sea_orm(string_value = "TIMFileElem")]
    FileElem,
    /// Custom data.
    #[sea_orm(string_value = "TIMCustomElem")]
    CustomElem,
    /// Sticker.
    #[sea_orm(string_value = "TIMFaceElem")]
    FaceElem,
    /// Location.
    #[sea_orm(string_value = "TIMLocationElem")]
    LocationElem,
    /// Merged record.
    #[sea_orm(string_value = "TIMRelayElem")]
    RelayElem,
    /// Group tip (server-made).
    #[sea_orm(string_value = "TIMGroupTipElem")]
    GroupTipElem,
    /// Group system notice (server-made).
    #[sea_orm(string_value = "TIMGroupSystemNoticeElem")]
    GroupSystemNoticeElem,
}

/// `messages.status`: whether a message went out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MessageStatus {
    /// Created, not sent.
    #[sea_orm(string_value = "unSend")]
    UnSend,
    /// Sent.
    #[sea_orm(string_value = "success")]
    Success,
    /// Refused by a rule; may be resent.
    #[sea_orm(string_value = "fail")]
    Fail,
}

/// `messages.priority`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MessagePriority {
    /// High.
    #[sea_orm(string_value = "High")]
    High,
    /// Normal.
    #[sea_orm(string_value = "Normal")]
    Normal,
    /// Low.
    #[sea_orm(string_value = "Low")]
    Low,
    /// Lowest.
    #[sea_orm(string_value = "Lowest")]
    Lowest,
}

/// `groups.group_type`: TIM's five group types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum GroupType {
    /// Work group.
    #[sea_orm(string_value = "Private")]
    Private,
    /// Public group.
    #[sea_orm(string_value = "Public")]
    Public,
    /// Meeting group.
    #[sea_orm(string_value = "ChatRoom")]
    ChatRoom,
    /// Live-streaming room.
    #[sea_orm(string_value = "AVChatRoom")]
    AvChatRoom,
    /// Community.
    #[sea_orm(string_value = "Community")]
    Community,
}

/// `groups.join_option`: how users may join a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum GroupJoinOption {
    /// Anyone joins at once.
    #[sea_orm(string_value = "FreeAccess")]
    FreeAccess,
    /// An owner or admin approves each application.
    #[sea_orm(string_value = "NeedPermission")]
    NeedPermission,
    /// Nobody may apply.
    #[sea_orm(string_value = "DisableApply")]
    DisableApply,
}

/// `group_members.role`: a member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum GroupMemberRole {
    /// The owner.
    #[sea_orm(string_value = "Owner")]
    Owner,
    /// An admin.
    #[sea_orm(string_value = "Admin")]
    Admin,
    /// An ordinary member.
    #[sea_orm(string_value = "Member")]
    Member,
}

/// `group_applications.status`: where a join application stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum GroupApplicationStatus {
    /// Waiting for an owner or admin.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Let in.
    #[sea_orm(string_value = "agreed")]
    Agreed,
    /// Turned down.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}
