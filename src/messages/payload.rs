//! Message payloads: stored as the compat JSON, shown in GraphQL as a union.

use async_graphql::{SimpleObject, Union};
use serde::{Deserialize, Serialize};

use super::{types::MessageType, view::MessageView};

/// `TIMTextElem`.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct TextElem {
    /// 1 to 12,000 bytes.
    pub text: String,
}

/// One entry of `imageInfoArray`.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct ImageInfo {
    /// 0 original, 1 big, 2 small.
    #[serde(rename = "type")]
    #[graphql(name = "type")]
    pub kind: i32,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// Bytes.
    pub size: i64,
    /// Where to download it.
    pub url: String,
}

/// `TIMImageElem`.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct ImageElem {
    /// The fileID.
    pub uuid: String,
    /// JPG 1, GIF 2, PNG 3, BMP 4, other 255.
    pub image_format: i32,
    /// Original, big and small.
    pub image_info_array: Vec<ImageInfo>,
}

/// `TIMSoundElem`.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct SoundElem {
    /// The fileID.
    pub uuid: String,
    /// Where to download it.
    pub url: String,
    /// Bytes.
    pub size: i64,
    /// Duration in seconds.
    pub second: i64,
}

/// `TIMVideoFileElem`.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct VideoFileElem {
    /// The video's fileID.
    #[graphql(name = "videoUUID")]
    #[serde(rename = "videoUUID")]
    pub video_uuid: String,
    /// Where to download it.
    #[graphql(name = "videoUrl")]
    #[serde(rename = "videoUrl")]
    pub video_url: String,
    /// Bytes.
    #[graphql(name = "videoSize")]
    #[serde(rename = "videoSize")]
    pub video_size: i64,
    /// Duration in seconds.
    #[graphql(name = "videoSecond")]
    #[serde(rename = "videoSecond")]
    pub video_second: i64,
    /// `mp4` or `mov`.
    #[graphql(name = "videoFormat")]
    #[serde(rename = "videoFormat")]
    pub video_format: String,
    /// The thumbnail's fileID (empty when none).
    #[graphql(name = "thumbUUID")]
    #[serde(rename = "thumbUUID")]
    pub thumb_uuid: String,
    /// Where to download the thumbnail.
    #[graphql(name = "thumbUrl")]
    #[serde(rename = "thumbUrl")]
    pub thumb_url: String,
    /// Pixels.
    #[graphql(name = "thumbWidth")]
    #[serde(rename = "thumbWidth")]
    pub thumb_width: i64,
    /// Pixels.
    #[graphql(name = "thumbHeight")]
    #[serde(rename = "thumbHeight")]
    pub thumb_height: i64,
}

/// `TIMFileElem`.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct FileElem {
    /// The fileID.
    pub uuid: String,
    /// Name for display.
    pub file_name: String,
    /// Where to download it.
    pub file_url: String,
    /// Bytes.
    pub file_size: i64,
}

/// `TIMCustomElem`.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct CustomElem {
    /// Custom data.
    pub data: String,
    /// Description.
    pub description: String,
    /// Extension.
    pub extension: String,
}

/// `TIMFaceElem`.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct FaceElem {
    /// Sticker index.
    pub index: i64,
    /// Sticker data.
    pub data: String,
}

/// `TIMLocationElem`.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct LocationElem {
    /// Place description.
    pub description: String,
    /// -180 to 180.
    pub longitude: f64,
    /// -90 to 90.
    pub latitude: f64,
}

/// `TIMRelayElem`: a merged chat record carrying copies of the messages.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct RelayElem {
    /// Title of the record.
    pub title: String,
    /// Summary lines.
    pub abstract_list: Vec<String>,
    /// Text for clients that cannot show records.
    pub compatible_text: String,
    /// Copies of the merged messages (empty in a record copied into another).
    #[serde(default)]
    pub message_list: Vec<MessageView>,
    /// True on a record copied into another record: its `messageList` was
    /// left out so records never nest (open the original to see it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub layers_over_limit: bool,
}

/// A member named in a group tip (with a mute time for mute tips).
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct GroupTipMember {
    /// The member.
    #[graphql(name = "userID")]
    #[serde(rename = "userID")]
    pub user_id: String,
    /// Seconds muted (mute tips only).
    #[graphql(name = "muteTime")]
    #[serde(rename = "muteTime", default)]
    pub mute_time: i64,
}

/// The changed fields of a group, in a profile-change tip.
#[derive(SimpleObject, Clone, Debug, Default, Serialize, Deserialize)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase", default)]
pub struct GroupTipProfile {
    /// New name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New avatar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// New introduction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduction: Option<String>,
    /// New notification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notification: Option<String>,
    /// New join option.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub join_option: Option<String>,
    /// Whether everyone but owner and admins is muted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute_all_members: Option<bool>,
    /// New owner.
    #[graphql(name = "ownerID")]
    #[serde(rename = "ownerID", skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// New maximum member count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_member_count: Option<i64>,
}

/// `TIMGroupTipElem`: a membership or profile change, posted into the group.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct GroupTipElem {
    /// 1 joined, 2 quit, 3 kicked, 4 set admin, 5 admin cancelled, 6 profile updated, 7 member muted.
    pub operation_type: i32,
    /// Who acted.
    #[graphql(name = "operatorID")]
    #[serde(rename = "operatorID")]
    pub operator_id: String,
    /// Who was affected.
    #[graphql(name = "userIDList")]
    #[serde(rename = "userIDList", default)]
    pub user_id_list: Vec<String>,
    /// Changed group fields (operation 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_group_profile: Option<GroupTipProfile>,
    /// Affected members with details (operation 7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_list: Option<Vec<GroupTipMember>>,
    /// Members after the change.
    #[serde(default)]
    pub member_count: i64,
}

/// The group a system notice is about.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
pub struct NoticeGroupProfile {
    /// The group.
    #[graphql(name = "groupID")]
    #[serde(rename = "groupID")]
    pub group_id: String,
    /// Its name.
    pub name: String,
}

/// `TIMGroupSystemNoticeElem`: sent to a user's `@TIM#SYSTEM` conversation.
#[derive(SimpleObject, Clone, Debug, Serialize, Deserialize)]
#[graphql(rename_fields = "camelCase")]
#[serde(rename_all = "camelCase")]
pub struct GroupSystemNoticeElem {
    /// 1 application, 2 accepted, 3 rejected, 4 kicked, 5 dismissed, 6 created, 7 added, 8 quit, 9 made admin, 10 admin cancelled.
    pub operation_type: i32,
    /// Who acted.
    #[graphql(name = "operatorID")]
    #[serde(rename = "operatorID")]
    pub operator_id: String,
    /// The group.
    pub group_profile: NoticeGroupProfile,
    /// The applicant's or handler's message.
    #[serde(default)]
    pub handle_message: String,
    /// The application (operation 1).
    #[graphql(name = "applicationID")]
    #[serde(
        rename = "applicationID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub application_id: Option<String>,
}

/// What a message carries.
#[derive(Union, Clone, Debug)]
pub enum MessagePayload {
    /// Text.
    TextElem(TextElem),
    /// Image.
    ImageElem(ImageElem),
    /// Voice.
    SoundElem(SoundElem),
    /// Video.
    VideoFileElem(VideoFileElem),
    /// File.
    FileElem(FileElem),
    /// Custom.
    CustomElem(CustomElem),
    /// Sticker.
    FaceElem(FaceElem),
    /// Location.
    LocationElem(LocationElem),
    /// Merged record.
    RelayElem(RelayElem),
    /// Group tip.
    GroupTipElem(GroupTipElem),
    /// Group system notice.
    GroupSystemNoticeElem(GroupSystemNoticeElem),
}

impl MessagePayload {
    /// The GraphQL payload of a stored JSON payload (`None` if it does not parse,
    /// e.g. the emptied payload of a revoked message).
    pub fn from_json(kind: MessageType, value: &serde_json::Value) -> Option<Self> {
        fn parse<T: serde::de::DeserializeOwned>(v: &serde_json::Value) -> Option<T> {
            serde_json::from_value(v.clone()).ok()
        }
        Some(match kind {
            MessageType::TextElem => Self::TextElem(parse(value)?),
            MessageType::ImageElem => Self::ImageElem(parse(value)?),
            MessageType::SoundElem => Self::SoundElem(parse(value)?),
            MessageType::VideoFileElem => Self::VideoFileElem(parse(value)?),
            MessageType::FileElem => Self::FileElem(parse(value)?),
            MessageType::CustomElem => Self::CustomElem(parse(value)?),
            MessageType::FaceElem => Self::FaceElem(parse(value)?),
            MessageType::LocationElem => Self::LocationElem(parse(value)?),
            MessageType::RelayElem => Self::RelayElem(parse(value)?),
            MessageType::GroupTipElem => Self::GroupTipElem(parse(value)?),
            MessageType::GroupSystemNoticeElem => Self::GroupSystemNoticeElem(parse(value)?),
        })
    }
}
