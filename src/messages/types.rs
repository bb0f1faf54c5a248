//! Enums of messages and conversations, TIM's string constants verbatim.

use async_graphql::Enum;
use serde::{Deserialize, Serialize};

/// C2C, GROUP, or the viewer's system notices (`@TIM#SYSTEM` on the compat wire).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[graphql(remote = "entity::kinds::ConversationType")]
pub enum ConversationType {
    /// One-to-one.
    #[graphql(name = "C2C")]
    #[serde(rename = "C2C")]
    C2c,
    /// A group.
    #[graphql(name = "GROUP")]
    #[serde(rename = "GROUP")]
    Group,
    /// System notices; `@TIM#SYSTEM` is not a legal GraphQL name.
    #[graphql(name = "SYSTEM")]
    #[serde(rename = "@TIM#SYSTEM")]
    System,
}

impl ConversationType {
    /// The stored / compat constant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::C2c => "C2C",
            Self::Group => "GROUP",
            Self::System => "@TIM#SYSTEM",
        }
    }

    /// Parse the stored / compat constant.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "C2C" => Some(Self::C2c),
            "GROUP" => Some(Self::Group),
            "@TIM#SYSTEM" | "SYSTEM" => Some(Self::System),
            _ => None,
        }
    }
}

/// The kinds of message.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[graphql(remote = "entity::kinds::MessageType")]
#[allow(clippy::enum_variant_names)]
pub enum MessageType {
    /// Text (and text with @ mentions).
    #[graphql(name = "TIMTextElem")]
    #[serde(rename = "TIMTextElem")]
    TextElem,
    /// Image with renditions.
    #[graphql(name = "TIMImageElem")]
    #[serde(rename = "TIMImageElem")]
    ImageElem,
    /// Voice note.
    #[graphql(name = "TIMSoundElem")]
    #[serde(rename = "TIMSoundElem")]
    SoundElem,
    /// Video.
    #[graphql(name = "TIMVideoFileElem")]
    #[serde(rename = "TIMVideoFileElem")]
    VideoFileElem,
    /// File.
    #[graphql(name = "TIMFileElem")]
    #[serde(rename = "TIMFileElem")]
    FileElem,
    /// Custom data.
    #[graphql(name = "TIMCustomElem")]
    #[serde(rename = "TIMCustomElem")]
    CustomElem,
    /// Sticker.
    #[graphql(name = "TIMFaceElem")]
    #[serde(rename = "TIMFaceElem")]
    FaceElem,
    /// Location.
    #[graphql(name = "TIMLocationElem")]
    #[serde(rename = "TIMLocationElem")]
    LocationElem,
    /// Merged (chat record) bundle.
    #[graphql(name = "TIMRelayElem")]
    #[serde(rename = "TIMRelayElem")]
    RelayElem,
    /// A group tip, made by the server.
    #[graphql(name = "TIMGroupTipElem")]
    #[serde(rename = "TIMGroupTipElem")]
    GroupTipElem,
    /// A group system notice, made by the server.
    #[graphql(name = "TIMGroupSystemNoticeElem")]
    #[serde(rename = "TIMGroupSystemNoticeElem")]
    GroupSystemNoticeElem,
}

impl MessageType {
    /// The stored constant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TextElem => "TIMTextElem",
            Self::ImageElem => "TIMImageElem",
            Self::SoundElem => "TIMSoundElem",
            Self::VideoFileElem => "TIMVideoFileElem",
            Self::FileElem => "TIMFileElem",
            Self::CustomElem => "TIMCustomElem",
            Self::FaceElem => "TIMFaceElem",
            Self::LocationElem => "TIMLocationElem",
            Self::RelayElem => "TIMRelayElem",
            Self::GroupTipElem => "TIMGroupTipElem",
            Self::GroupSystemNoticeElem => "TIMGroupSystemNoticeElem",
        }
    }

    /// Parse the stored constant.
    pub fn parse(value: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(value.to_owned())).ok()
    }

    /// What a conversation list shows for a message of this kind.
    pub fn placeholder(self) -> &'static str {
        match self {
            Self::TextElem => "",
            Self::ImageElem => "[Image]",
            Self::SoundElem => "[Voice]",
            Self::VideoFileElem => "[Video]",
            Self::FileElem => "[File]",
            Self::CustomElem => "[Custom Messages]",
            Self::FaceElem => "[Animated Sticker]",
            Self::LocationElem => "[Location]",
            Self::RelayElem => "[Chat Record]",
            Self::GroupTipElem => "[Group Notification]",
            Self::GroupSystemNoticeElem => "[Group System Message]",
        }
    }
}

/// Delivery priority.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[graphql(rename_items = "PascalCase", remote = "entity::kinds::MessagePriority")]
pub enum MessagePriority {
    /// High.
    High,
    /// Normal (the default).
    #[default]
    Normal,
    /// Low.
    Low,
    /// Lowest.
    Lowest,
}

impl MessagePriority {
    /// The stored constant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "High",
            Self::Normal => "Normal",
            Self::Low => "Low",
            Self::Lowest => "Lowest",
        }
    }
}

/// Whether a message went out.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[graphql(remote = "entity::kinds::MessageStatus")]
pub enum MessageStatus {
    /// Created, not sent.
    #[graphql(name = "unSend")]
    #[serde(rename = "unSend")]
    UnSend,
    /// Sent and delivered.
    #[graphql(name = "success")]
    #[serde(rename = "success")]
    Success,
    /// Refused by a rule; may be resent.
    #[graphql(name = "fail")]
    #[serde(rename = "fail")]
    Fail,
}

impl MessageStatus {
    /// The stored constant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnSend => "unSend",
            Self::Success => "success",
            Self::Fail => "fail",
        }
    }
}

/// Direction relative to the viewer.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MessageFlow {
    /// Received.
    #[graphql(name = "in")]
    #[serde(rename = "in")]
    In,
    /// Sent by the viewer.
    #[graphql(name = "out")]
    #[serde(rename = "out")]
    Out,
}

/// The `atUserList` marker that mentions everyone.
pub const AT_ALL: &str = "__kImSDK_MesssageAtALL__";
