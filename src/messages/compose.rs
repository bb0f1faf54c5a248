//! Composing message payloads: the envelope checks (custom data, client IDs,
//! mentions), each payload kind's validation, media from uploads, and the
//! copies that forwards and merged records carry.

use super::{
    history::get_visible_message,
    input::{NewMessage, PayloadSpec},
    types::{ConversationType, MessageStatus, MessageType, AT_ALL},
    view::MessageView,
};
use crate::{
    error::{AppError, AppResult},
    files::{
        service::{self as files, MediaRequest},
        MediaKind,
    },
    state::AppState,
    users::validate,
    util,
};

/// Largest text payload in bytes.
pub const MAX_TEXT_BYTES: usize = 12_000;
/// Largest `cloudCustomData` in bytes.
pub const MAX_CLOUD_CUSTOM_DATA_BYTES: usize = 8 * 1024;
/// Most members one message may mention.
pub const MAX_AT_USERS: usize = 30;
/// Most messages one merged record may carry.
pub const MAX_MERGED: usize = 100;

/// A checked payload ready to store (its files are named inside it).
pub struct BuiltPayload {
    /// The message type the payload makes.
    pub kind: MessageType,
    /// The stored JSON payload.
    pub json: serde_json::Value,
}

/// Check everything about a new message that does not depend on rules of the
/// moment (those are checked when it is sent).
pub fn check_envelope(new: &NewMessage) -> AppResult<Vec<String>> {
    validate::max_bytes(
        "cloudCustomData",
        &new.cloud_custom_data,
        MAX_CLOUD_CUSTOM_DATA_BYTES,
    )?;
    if let Some(id) = &new.client_msg_id {
        if id.is_empty() || id.len() > 64 || id.chars().any(char::is_control) {
            return Err(AppError::bad_input(
                "clientMsgID",
                "must be 1 to 64 bytes without control characters",
            ));
        }
    }
    let at = util::distinct("atUserList", &new.at_user_list, MAX_AT_USERS)?;
    for user in &at {
        if user != AT_ALL {
            validate::user_id("atUserList", user)?;
        }
    }
    if !at.is_empty() && new.conversation_type != ConversationType::Group {
        return Err(AppError::bad_input(
            "atUserList",
            "mentions are for group messages only",
        ));
    }
    Ok(at)
}

/// Validate a payload and build what is stored: texts and custom data
/// checked, media resolved against the viewer's uploads, forwards and merged
/// records copied from messages the viewer can see.
pub async fn build_payload(
    state: &AppState,
    viewer: &str,
    spec: &PayloadSpec,
) -> AppResult<BuiltPayload> {
    use serde_json::json;
    let plain = |kind, json| BuiltPayload { kind, json };
    Ok(match spec {
        PayloadSpec::Text { text } => {
            validate::text("payload.text", text)?;
            if text.is_empty() || text.len() > MAX_TEXT_BYTES {
                return Err(AppError::bad_input(
                    "payload.text",
                    format!("must be 1 to {MAX_TEXT_BYTES} bytes"),
                ));
            }
            plain(MessageType::TextElem, json!({ "text": text }))
        }
        PayloadSpec::Custom {
            data,
            description,
            extension,
        } => {
            if data.is_empty() && description.is_empty() && extension.is_empty() {
                return Err(AppError::bad_input(
                    "payload",
                    "data, description or extension must be given",
                ));
            }
            validate::text("payload.data", data)?;
            validate::text("payload.description", description)?;
            validate::text("payload.extension", extension)?;
            if data.len() + description.len() + extension.len() > MAX_TEXT_BYTES {
                return Err(AppError::bad_input(
                    "payload",
                    format!("custom data is over {MAX_TEXT_BYTES} bytes"),
                ));
            }
            plain(
                MessageType::CustomElem,
                json!({ "data": data, "description": description, "extension": extension }),
            )
        }
        PayloadSpec::Face { index, data } => {
            if *index < 0 || *index > i64::from(i32::MAX) {
                return Err(AppError::bad_input(
                    "payload.index",
                    "must be a non-negative 32-bit number",
                ));
            }
            validate::max_bytes("payload.data", data, MAX_TEXT_BYTES)?;
            plain(
                MessageType::FaceElem,
                json!({ "index": index, "data": data }),
            )
        }
        PayloadSpec::Location {
            description,
            longitude,
            latitude,
        } => {
            if !longitude.is_finite() || !(-180.0..=180.0).contains(longitude) {
                return Err(AppError::bad_input(
                    "payload.longitude",
                    "must be between -180 and 180",
                ));
            }
            if !latitude.is_finite() || !(-90.0..=90.0).contains(latitude) {
                return Err(AppError::bad_input(
                    "payload.latitude",
                    "must be between -90 and 90",
                ));
            }
            validate::max_bytes("payload.description", description, 1000)?;
            plain(
                MessageType::LocationElem,
                json!({ "description": description, "longitude": longitude, "latitude": latitude }),
            )
        }
        PayloadSpec::Merger {
            message_ids,
            title,
            abstract_list,
            compatible_text,
        } => {
            let message_ids = util::distinct("payload.messageIDList", message_ids, MAX_MERGED)?;
            if message_ids.is_empty() {
                return Err(AppError::bad_input(
                    "payload.messageIDList",
                    format!("must name 1 to {MAX_MERGED} messages"),
                ));
            }
            if title.is_empty() {
                return Err(AppError::bad_input("payload.title", "must not be empty"));
            }
            validate::max_bytes("payload.title", title, 200)?;
            validate::max_bytes("payload.compatibleText", compatible_text, 1000)?;
            if abstract_list.len() > 20 || abstract_list.iter().any(|a| a.len() > 200) {
                return Err(AppError::bad_input(
                    "payload.abstractList",
                    "at most 20 lines of 200 bytes",
                ));
            }
            for line in abstract_list {
                validate::text("payload.abstractList", line)?;
            }
            let mut budget = PayloadBudget::new(state.config.max_message_bytes);
            budget.add(title.len() + compatible_text.len() + abstract_list.len() * 203)?;
            let mut copies = Vec::with_capacity(message_ids.len());
            for id in &message_ids {
                let view = forwardable(state, viewer, id, "payload.messageIDList").await?;
                // Sized from the stored payload before the copy is made.
                budget.add(json_len(&view.payload) + COPY_OVERHEAD_BYTES)?;
                copies.push(merged_copy(view)?);
            }
            BuiltPayload {
                kind: MessageType::RelayElem,
                json: json!({
                    "title": title,
                    "abstractList": abstract_list,
                    "compatibleText": compatible_text,
                    "messageList": copies,
                }),
            }
        }
        PayloadSpec::Forward { message_id } => {
            let original = forwardable(state, viewer, message_id, "payload.messageID").await?;
            BuiltPayload {
                kind: original.msg_type,
                json: original.payload,
            }
        }
        PayloadSpec::Image { file_id } => {
            media(state, viewer, MediaKind::Image, file_id, None, None).await?
        }
        PayloadSpec::Audio { file_id, second } => {
            media(
                state,
                viewer,
                MediaKind::Audio,
                file_id,
                Some(*second),
                None,
            )
            .await?
        }
        PayloadSpec::Video {
            file_id,
            second,
            thumb_file_id,
        } => {
            media(
                state,
                viewer,
                MediaKind::Video,
                file_id,
                Some(*second),
                thumb_file_id.clone(),
            )
            .await?
        }
        PayloadSpec::File { file_id } => {
            media(state, viewer, MediaKind::File, file_id, None, None).await?
        }
    })
}

/// Bytes a copy inside a merged record adds beyond its payload (its ID,
/// sender, time and the other fields of a message), counted generously.
const COPY_OVERHEAD_BYTES: usize = 1024;

/// The running size of a payload being built, refused with
/// `PAYLOAD_TOO_LARGE` as soon as it passes the limit
/// (`IMGQL_MAX_MESSAGE_BYTES`), before the rest is copied.
struct PayloadBudget {
    used: usize,
    max: usize,
}

impl PayloadBudget {
    fn new(max: usize) -> Self {
        Self { used: 0, max }
    }

    fn add(&mut self, bytes: usize) -> AppResult<()> {
        self.used = self.used.saturating_add(bytes);
        check_stored_size(self.used, self.max)
    }
}

/// Refuse a stored payload of `bytes` over `max` (`IMGQL_MAX_MESSAGE_BYTES`).
pub fn check_stored_size(bytes: usize, max: usize) -> AppResult<()> {
    if bytes > max {
        return Err(AppError::PayloadTooLarge(format!(
            "payload: a message may hold at most {max} bytes"
        )));
    }
    Ok(())
}

/// The length of a JSON value written out, counted without building the text.
pub fn json_len(value: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing a `Value` to an infallible writer cannot fail.
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// A message as a merged record carries it: a merged record inside keeps its
/// title, summary and fallback text but not its own `messageList`
/// (`layersOverLimit: true`, TIM's idea), so records never nest.
fn merged_copy(mut view: MessageView) -> AppResult<serde_json::Value> {
    if view.msg_type == MessageType::RelayElem {
        if let Some(inner) = view.payload.as_object_mut() {
            inner.remove("messageList");
            inner.insert("layersOverLimit".into(), serde_json::Value::Bool(true));
        }
    }
    serde_json::to_value(view).map_err(AppError::internal)
}

/// A media payload from an upload of the viewer's.
async fn media(
    state: &AppState,
    viewer: &str,
    kind: MediaKind,
    file_id: &str,
    second: Option<i64>,
    thumb_file_id: Option<String>,
) -> AppResult<BuiltPayload> {
    if let Some(second) = second {
        if !(0..=86_400).contains(&second) {
            return Err(AppError::bad_input("payload.second", "must be 0 to 86400"));
        }
    }
    let request = MediaRequest {
        kind,
        file_id: file_id.to_owned(),
        second,
        thumb_file_id,
    };
    let built = files::media_payload(state, viewer, &request).await?;
    let msg_type = match kind {
        MediaKind::Image => MessageType::ImageElem,
        MediaKind::Audio => MessageType::SoundElem,
        MediaKind::Video => MessageType::VideoFileElem,
        MediaKind::File => MessageType::FileElem,
    };
    Ok(BuiltPayload {
        kind: msg_type,
        json: built.payload,
    })
}

/// The fileIDs a stored payload carries (so a forwarded copy stays downloadable).
pub fn carried_files(kind: MessageType, payload: &serde_json::Value) -> Vec<String> {
    let field = |name: &str| {
        payload
            .get(name)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    match kind {
        MessageType::ImageElem | MessageType::SoundElem | MessageType::FileElem => {
            field("uuid").into_iter().collect()
        }
        MessageType::VideoFileElem => field("videoUUID")
            .into_iter()
            .chain(field("thumbUUID"))
            .collect(),
        MessageType::RelayElem => payload
            .get("messageList")
            .and_then(|l| l.as_array())
            .map(|list| {
                list.iter()
                    .flat_map(|m| {
                        let kind = m
                            .get("type")
                            .and_then(|t| t.as_str())
                            .and_then(MessageType::parse);
                        match (kind, m.get("payload")) {
                            (Some(kind), Some(p)) => carried_files(kind, p),
                            _ => Vec::new(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// A message the viewer may copy into a forward or a merged record.
async fn forwardable(
    state: &AppState,
    viewer: &str,
    id: &str,
    field: &str,
) -> AppResult<MessageView> {
    let view = get_visible_message(state, viewer, id).await?;
    if matches!(
        view.msg_type,
        MessageType::GroupTipElem | MessageType::GroupSystemNoticeElem
    ) {
        return Err(AppError::bad_input(
            field,
            "group tips and system notices cannot be forwarded",
        ));
    }
    if view.is_revoked || view.status != MessageStatus::Success {
        return Err(AppError::bad_input(
            field,
            "only sent, unrevoked messages can be forwarded",
        ));
    }
    Ok(view)
}
