//! API types of files, shared by GraphQL and compat JSON.

use async_graphql::SimpleObject;
use serde::Serialize;

use crate::config::Config;

/// An uploaded file as clients see it.
#[derive(SimpleObject, Serialize, Debug, Clone, PartialEq, Eq)]
#[graphql(name = "File")]
pub struct UploadedFile {
    /// The server-made ID that media messages name.
    #[graphql(name = "fileID")]
    #[serde(rename = "fileID")]
    pub file_id: String,
    /// The uploader's file name, for display only.
    pub name: String,
    /// Media type detected from the bytes.
    pub mime: String,
    /// Size in bytes.
    pub size: i64,
    /// Where to download it (with a token).
    pub url: String,
    /// Width in pixels, for images.
    pub width: Option<i32>,
    /// Height in pixels, for images.
    pub height: Option<i32>,
}

/// Kinds of media message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// jpg, png, gif, bmp, webp.
    Image,
    /// mp3, m4a/aac, ogg, wav, amr.
    Audio,
    /// mp4, mov.
    Video,
    /// Anything.
    File,
}

impl MediaKind {
    /// The stored name (`files.kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Audio => "audio",
            Self::Video => "video",
            Self::File => "file",
        }
    }

    /// Parse a stored name; unknown names read as `File`.
    pub fn from_stored(value: &str) -> Self {
        match value {
            "image" => Self::Image,
            "audio" => Self::Audio,
            "video" => Self::Video,
            _ => Self::File,
        }
    }

    /// The most bytes a message of this kind may carry.
    pub fn limit(self, config: &Config) -> u64 {
        match self {
            Self::Image => config.max_image_bytes,
            Self::Audio => config.max_audio_bytes,
            Self::Video => config.max_video_bytes,
            Self::File => config.max_file_bytes,
        }
    }

    /// The kind's noun in error messages.
    pub fn noun(self) -> &'static str {
        match self {
            Self::Image => "an image",
            Self::Audio => "audio",
            Self::Video => "a video",
            Self::File => "a file",
        }
    }
}
