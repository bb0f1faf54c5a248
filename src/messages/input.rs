//! What a new message asks for, from either surface.

use async_graphql::{InputObject, OneofObject};

use super::types::{ConversationType, MessagePriority};

/// A new message, surface-independent.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Recipient userID or groupID.
    pub to: String,
    /// C2C or GROUP.
    pub conversation_type: ConversationType,
    /// Priority.
    pub priority: MessagePriority,
    /// What to send.
    pub payload: PayloadSpec,
    /// Mentioned members (groups).
    pub at_user_list: Vec<String>,
    /// Custom data for the app.
    pub cloud_custom_data: String,
    /// Idempotency key, unique per sender.
    pub client_msg_id: Option<String>,
    /// A message of the same conversation this one quotes.
    pub reply_to: Option<String>,
}

/// The payload of a new message by kind.
#[derive(Debug, Clone)]
pub enum PayloadSpec {
    /// `{text}`.
    Text {
        /// 1 to 12,000 bytes.
        text: String,
    },
    /// An uploaded image.
    Image {
        /// The upload.
        file_id: String,
    },
    /// An uploaded voice note.
    Audio {
        /// The upload.
        file_id: String,
        /// Duration in seconds.
        second: i64,
    },
    /// An uploaded video with an optional uploaded thumbnail.
    Video {
        /// The upload.
        file_id: String,
        /// Duration in seconds.
        second: i64,
        /// An uploaded image.
        thumb_file_id: Option<String>,
    },
    /// An uploaded file.
    File {
        /// The upload.
        file_id: String,
    },
    /// `{data, description, extension}`.
    Custom {
        /// Data.
        data: String,
        /// Description.
        description: String,
        /// Extension.
        extension: String,
    },
    /// `{index, data}`.
    Face {
        /// Sticker index.
        index: i64,
        /// Sticker data.
        data: String,
    },
    /// `{description, longitude, latitude}`.
    Location {
        /// Place description.
        description: String,
        /// -180 to 180.
        longitude: f64,
        /// -90 to 90.
        latitude: f64,
    },
    /// A chat record of existing messages.
    Merger {
        /// Messages to copy, in order.
        message_ids: Vec<String>,
        /// Title.
        title: String,
        /// Summary lines.
        abstract_list: Vec<String>,
        /// Fallback text.
        compatible_text: String,
    },
    /// A copy of an existing message.
    Forward {
        /// The original.
        message_id: String,
    },
}

/// `text: {text}`.
#[derive(InputObject, Clone, Debug)]
pub struct TextInput {
    /// 1 to 12,000 bytes.
    pub text: String,
}

/// `image: {fileID}`.
#[derive(InputObject, Clone, Debug)]
pub struct ImageInput {
    /// An uploaded image.
    #[graphql(name = "fileID")]
    pub file_id: String,
}

/// `audio: {fileID, second}`.
#[derive(InputObject, Clone, Debug)]
pub struct AudioInput {
    /// An uploaded audio file.
    #[graphql(name = "fileID")]
    pub file_id: String,
    /// Duration in seconds.
    pub second: i64,
}

/// `video: {fileID, second, thumbFileID?}`.
#[derive(InputObject, Clone, Debug)]
pub struct VideoInput {
    /// An uploaded video.
    #[graphql(name = "fileID")]
    pub file_id: String,
    /// Duration in seconds.
    pub second: i64,
    /// An uploaded image to show before playing.
    #[graphql(name = "thumbFileID")]
    pub thumb_file_id: Option<String>,
}

/// `file: {fileID}`.
#[derive(InputObject, Clone, Debug)]
pub struct FileInput {
    /// An uploaded file.
    #[graphql(name = "fileID")]
    pub file_id: String,
}

/// `custom: {data, description, extension}` (at least one non-empty).
#[derive(InputObject, Clone, Debug)]
pub struct CustomInput {
    /// Data.
    #[graphql(default)]
    pub data: String,
    /// Description.
    #[graphql(default)]
    pub description: String,
    /// Extension.
    #[graphql(default)]
    pub extension: String,
}

/// `face: {index, data}`.
#[derive(InputObject, Clone, Debug)]
pub struct FaceInput {
    /// Sticker index.
    pub index: i64,
    /// Sticker data.
    #[graphql(default)]
    pub data: String,
}

/// `location: {description, longitude, latitude}`.
#[derive(InputObject, Clone, Debug)]
pub struct LocationInput {
    /// Place description.
    #[graphql(default)]
    pub description: String,
    /// -180 to 180.
    pub longitude: f64,
    /// -90 to 90.
    pub latitude: f64,
}

/// `merger: {messageIDList, title, abstractList, compatibleText}`.
#[derive(InputObject, Clone, Debug)]
pub struct MergerInput {
    /// Messages to bundle, in order (1 to 100).
    #[graphql(name = "messageIDList")]
    pub message_id_list: Vec<String>,
    /// Title.
    pub title: String,
    /// Summary lines.
    #[graphql(name = "abstractList", default)]
    pub abstract_list: Vec<String>,
    /// Text for clients that cannot show records.
    #[graphql(name = "compatibleText")]
    pub compatible_text: String,
}

/// `forward: {messageID}`.
#[derive(InputObject, Clone, Debug)]
pub struct ForwardInput {
    /// The message to forward.
    #[graphql(name = "messageID")]
    pub message_id: String,
}

/// Exactly one kind of payload.
#[derive(OneofObject, Clone, Debug)]
#[graphql(rename_fields = "camelCase")]
pub enum MessagePayloadInput {
    /// Text.
    Text(TextInput),
    /// Image.
    Image(ImageInput),
    /// Voice.
    Audio(AudioInput),
    /// Video.
    Video(VideoInput),
    /// File.
    File(FileInput),
    /// Custom.
    Custom(CustomInput),
    /// Sticker.
    Face(FaceInput),
    /// Location.
    Location(LocationInput),
    /// Merged chat record.
    Merger(MergerInput),
    /// Forwarded message.
    Forward(ForwardInput),
}

impl From<MessagePayloadInput> for PayloadSpec {
    fn from(input: MessagePayloadInput) -> Self {
        match input {
            MessagePayloadInput::Text(t) => Self::Text { text: t.text },
            MessagePayloadInput::Image(i) => Self::Image { file_id: i.file_id },
            MessagePayloadInput::Audio(a) => Self::Audio {
                file_id: a.file_id,
                second: a.second,
            },
            MessagePayloadInput::Video(v) => Self::Video {
                file_id: v.file_id,
                second: v.second,
                thumb_file_id: v.thumb_file_id,
            },
            MessagePayloadInput::File(f) => Self::File { file_id: f.file_id },
            MessagePayloadInput::Custom(c) => Self::Custom {
                data: c.data,
                description: c.description,
                extension: c.extension,
            },
            MessagePayloadInput::Face(f) => Self::Face {
                index: f.index,
                data: f.data,
            },
            MessagePayloadInput::Location(l) => Self::Location {
                description: l.description,
                longitude: l.longitude,
                latitude: l.latitude,
            },
            MessagePayloadInput::Merger(m) => Self::Merger {
                message_ids: m.message_id_list,
                title: m.title,
                abstract_list: m.abstract_list,
                compatible_text: m.compatible_text,
            },
            MessagePayloadInput::Forward(f) => Self::Forward {
                message_id: f.message_id,
            },
        }
    }
}

/// `createMessage` / `sendMessage(message:)` input.
#[derive(InputObject, Clone, Debug)]
pub struct CreateMessageInput {
    /// Recipient userID or groupID.
    pub to: String,
    /// C2C or GROUP.
    #[graphql(name = "conversationType")]
    pub conversation_type: ConversationType,
    /// Priority (Normal by default).
    #[graphql(default)]
    pub priority: MessagePriority,
    /// What to send.
    pub payload: MessagePayloadInput,
    /// Mentioned members (groups, at most 30).
    #[graphql(name = "atUserList", default)]
    pub at_user_list: Vec<String>,
    /// Custom data for the app (up to 8 KiB).
    #[graphql(name = "cloudCustomData", default)]
    pub cloud_custom_data: String,
    /// Idempotency key, unique per sender (up to 64 bytes).
    #[graphql(name = "clientMsgID")]
    pub client_msg_id: Option<String>,
    /// A sent message of the same conversation that you can see, to quote.
    #[graphql(name = "replyTo")]
    pub reply_to: Option<async_graphql::ID>,
}

impl From<CreateMessageInput> for NewMessage {
    fn from(input: CreateMessageInput) -> Self {
        Self {
            to: input.to,
            conversation_type: input.conversation_type,
            priority: input.priority,
            payload: input.payload.into(),
            at_user_list: input.at_user_list,
            cloud_custom_data: input.cloud_custom_data,
            client_msg_id: input.client_msg_id,
            reply_to: input.reply_to.map(|id| id.0),
        }
    }
}
