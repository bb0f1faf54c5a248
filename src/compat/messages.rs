//! `/message/*` and `/conversation/*`.

use axum::{
    extract::{FromRef, State},
    routing::post,
    Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::envelope::{ok, parse_body, CompatJson, CompatResult, CompatViewer, LooseInt};
use crate::{
    conversations::service as conversations,
    error::{AppError, AppResult},
    messages::{
        input::{NewMessage, PayloadSpec},
        service,
        types::{ConversationType, MessagePriority, MessageType},
    },
    state::AppState,
};

/// Message and conversation routes.
pub fn routes<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AppState: FromRef<S>,
{
    Router::new()
        .route("/message/createMessage", post(create_message))
        .route("/message/sendMessage", post(send_message))
        .route("/message/resendMessage", post(resend_message))
        .route("/message/revokeMessage", post(revoke_message))
        .route("/message/getMessageList", post(get_message_list))
        .route("/message/setMessageRead", post(set_message_read))
        .route(
            "/conversation/getConversationList",
            post(get_conversation_list),
        )
        .route(
            "/conversation/getConversationProfile",
            post(get_conversation_profile),
        )
        .route(
            "/conversation/deleteConversation",
            post(delete_conversation),
        )
}

/// The seed's createMessage body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MessageBody {
    to: String,
    conversation_type: String,
    #[serde(default)]
    priority: Option<MessagePriority>,
    payload: serde_json::Map<String, Value>,
    #[serde(rename = "type")]
    kind: Option<MessageType>,
    #[serde(default)]
    at_user_list: Option<Vec<String>>,
    #[serde(default)]
    cloud_custom_data: Option<String>,
    #[serde(rename = "clientMsgID", default)]
    client_msg_id: Option<String>,
    #[serde(default)]
    reply_to: Option<String>,
}

fn str_field(payload: &serde_json::Map<String, Value>, name: &str) -> AppResult<String> {
    match payload.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(AppError::bad_input(
            &format!("payload.{name}"),
            "must be a string",
        )),
    }
}

fn num_field(payload: &serde_json::Map<String, Value>, name: &str) -> AppResult<Option<f64>> {
    match payload.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| AppError::bad_input(&format!("payload.{name}"), "must be a number")),
        Some(_) => Err(AppError::bad_input(
            &format!("payload.{name}"),
            "must be a number",
        )),
    }
}

fn int_field(payload: &serde_json::Map<String, Value>, name: &str) -> AppResult<Option<i64>> {
    match payload.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value::<LooseInt>(value.clone())
            .map(|v| Some(v.0))
            .map_err(|_| AppError::bad_input(&format!("payload.{name}"), "must be a whole number")),
    }
}

/// A message named by ID, or a message object carrying its `ID`.
fn message_ref(value: &Value, field: &str) -> AppResult<String> {
    match value {
        Value::String(id) => Ok(id.clone()),
        Value::Object(obj) => obj
            .get("ID")
            .or_else(|| obj.get("messageID"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| AppError::bad_input(field, "a message must carry its ID")),
        _ => Err(AppError::bad_input(field, "must be a message or its ID")),
    }
}

/// The fileID of a media payload: `file` (an ID or `{fileID}`) or `fileID`.
fn file_ref(payload: &serde_json::Map<String, Value>) -> AppResult<String> {
    let value = payload
        .get("fileID")
        .or_else(|| payload.get("file"))
        .or_else(|| payload.get("uuid"));
    match value {
        Some(Value::String(id)) => Ok(id.clone()),
        Some(Value::Object(obj)) => obj
            .get("fileID")
            .or_else(|| obj.get("uuid"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| AppError::bad_input("payload.file", "must name an uploaded fileID")),
        _ => Err(AppError::bad_input(
            "payload.file",
            "must name an uploaded fileID",
        )),
    }
}

/// The payload kind: from `type` when given, else from the payload's fields.
fn infer_kind(
    kind: Option<MessageType>,
    p: &serde_json::Map<String, Value>,
) -> AppResult<MessageType> {
    if let Some(kind) = kind {
        return Ok(kind);
    }
    let has = |k: &str| p.contains_key(k);
    Ok(if has("text") {
        MessageType::TextElem
    } else if has("file") || has("fileID") {
        MessageType::FileElem
    } else if has("data") && has("index") {
        MessageType::FaceElem
    } else if has("messageList") || has("messageIDList") {
        MessageType::RelayElem
    } else if has("longitude") || has("latitude") {
        MessageType::LocationElem
    } else if has("data") || has("description") || has("extension") {
        MessageType::CustomElem
    } else {
        return Err(AppError::bad_input(
            "payload",
            "cannot tell the message kind: give `type`",
        ));
    })
}

/// A compat payload as a new message (or an edit) asks for it.
pub(super) fn payload_spec(
    kind: Option<MessageType>,
    p: &serde_json::Map<String, Value>,
) -> AppResult<PayloadSpec> {
    // A `message` field always means forwarding, whatever `type` says.
    if let Some(original) = p.get("message") {
        return Ok(PayloadSpec::Forward {
            message_id: message_ref(original, "payload.message")?,
        });
    }
    Ok(match infer_kind(kind, p)? {
        MessageType::TextElem => PayloadSpec::Text {
            text: str_field(p, "text")?,
        },
        MessageType::CustomElem => PayloadSpec::Custom {
            data: str_field(p, "data")?,
            description: str_field(p, "description")?,
            extension: str_field(p, "extension")?,
        },
        MessageType::FaceElem => PayloadSpec::Face {
            index: int_field(p, "index")?
                .ok_or_else(|| AppError::bad_input("payload.index", "is required"))?,
            data: str_field(p, "data")?,
        },
        MessageType::LocationElem => PayloadSpec::Location {
            description: str_field(p, "description")?,
            longitude: num_field(p, "longitude")?
                .ok_or_else(|| AppError::bad_input("payload.longitude", "is required"))?,
            latitude: num_field(p, "latitude")?
                .ok_or_else(|| AppError::bad_input("payload.latitude", "is required"))?,
        },
        MessageType::RelayElem => {
            let list = p
                .get("messageList")
                .or_else(|| p.get("messageIDList"))
                .and_then(|v| v.as_array())
                .ok_or_else(|| {
                    AppError::bad_input("payload.messageList", "must be a list of messages or IDs")
                })?;
            crate::util::check_raw_list("payload.messageList", list.len(), service::MAX_MERGED)?;
            let abstract_list = match p.get("abstractList") {
                None | Some(Value::Null) => Vec::new(),
                Some(value) => serde_json::from_value(value.clone()).map_err(|_| {
                    AppError::bad_input("payload.abstractList", "must be a list of strings")
                })?,
            };
            PayloadSpec::Merger {
                message_ids: list
                    .iter()
                    .map(|m| message_ref(m, "payload.messageList"))
                    .collect::<AppResult<_>>()?,
                title: str_field(p, "title")?,
                abstract_list,
                compatible_text: str_field(p, "compatibleText")?,
            }
        }
        MessageType::ImageElem => PayloadSpec::Image {
            file_id: file_ref(p)?,
        },
        MessageType::SoundElem => PayloadSpec::Audio {
            file_id: file_ref(p)?,
            second: int_field(p, "second")?.unwrap_or(0),
        },
        MessageType::VideoFileElem => PayloadSpec::Video {
            file_id: file_ref(p)?,
            second: int_field(p, "second")?
                .or(int_field(p, "videoSecond")?)
                .unwrap_or(0),
            thumb_file_id: match p.get("thumbFileID").or_else(|| p.get("thumb")) {
                Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
                Some(Value::Object(obj)) => obj
                    .get("fileID")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
                _ => None,
            },
        },
        MessageType::FileElem => PayloadSpec::File {
            file_id: file_ref(p)?,
        },
        MessageType::GroupTipElem | MessageType::GroupSystemNoticeElem => {
            return Err(AppError::bad_input(
                "type",
                "tips and system notices are made by the server",
            ))
        }
    })
}

impl MessageBody {
    fn into_new_message(self) -> AppResult<NewMessage> {
        let conversation_type = ConversationType::parse(&self.conversation_type)
            .ok_or_else(|| AppError::bad_input("conversationType", "must be C2C or GROUP"))?;
        Ok(NewMessage {
            to: self.to,
            conversation_type,
            priority: self.priority.unwrap_or_default(),
            payload: payload_spec(self.kind, &self.payload)?,
            at_user_list: self
                .at_user_list
                .or_else(|| {
                    self.payload
                        .get("atUserList")
                        .and_then(|v| serde_json::from_value(v.clone()).ok())
                })
                .unwrap_or_default(),
            cloud_custom_data: self.cloud_custom_data.unwrap_or_default(),
            client_msg_id: self.client_msg_id,
            reply_to: self.reply_to,
        })
    }
}

async fn create_message(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<MessageBody>,
) -> CompatResult {
    ok(service::create_message(&state, &viewer.user_id, body.into_new_message()?).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    #[serde(rename = "ID", alias = "messageID")]
    id: Option<String>,
    message: Option<MessageBody>,
}

async fn send_message(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<SendBody>,
) -> CompatResult {
    let sent = match (body.id, body.message) {
        (Some(id), None) => service::send_message(&state, &viewer.user_id, &id).await?,
        (None, Some(message)) => {
            service::send_new_message(&state, &viewer.user_id, message.into_new_message()?).await?
        }
        _ => return Err(AppError::bad_input("body", "give exactly one of ID and message").into()),
    };
    ok(json!({ "message": sent }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdBody {
    #[serde(rename = "ID", alias = "messageID")]
    id: String,
}

async fn resend_message(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<IdBody>,
) -> CompatResult {
    ok(json!({ "message": service::resend_message(&state, &viewer.user_id, &body.id).await? }))
}

async fn revoke_message(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<IdBody>,
) -> CompatResult {
    ok(json!({ "message": service::revoke_message(&state, &viewer.user_id, &body.id).await? }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ListBody {
    #[serde(rename = "conversationID")]
    conversation_id: String,
    count: Option<LooseInt>,
    #[serde(rename = "nextReqMessageID")]
    next_req_message_id: Option<String>,
    /// Page forward from this sequence instead.
    #[serde(rename = "afterSequence")]
    after_sequence: Option<LooseInt>,
}

async fn get_message_list(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ListBody>,
) -> CompatResult {
    let page = service::get_message_list(
        &state,
        &viewer.user_id,
        &body.conversation_id,
        body.count.map(|c| c.0),
        body.next_req_message_id.as_deref(),
        body.after_sequence.map(|c| c.0),
    )
    .await?;
    // The seed's shape: a list of `{message}`.
    ok(page
        .message_list
        .into_iter()
        .map(|m| json!({ "message": m }))
        .collect::<Vec<_>>())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConversationBody {
    #[serde(rename = "conversationID")]
    conversation_id: String,
}

async fn set_message_read(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ConversationBody>,
) -> CompatResult {
    service::set_message_read(&state, &viewer.user_id, &body.conversation_id).await?;
    ok(json!({}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConversationListBody {
    #[serde(rename = "conversationIDList")]
    conversation_id_list: Option<Vec<String>>,
    #[serde(rename = "conversationID")]
    conversation_id: Option<String>,
    count: Option<LooseInt>,
}

async fn get_conversation_list(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ConversationListBody>,
) -> CompatResult {
    let filter = body.conversation_id_list.or_else(|| {
        body.conversation_id
            .filter(|c| !c.is_empty())
            .map(|c| vec![c])
    });
    let limit = match body.count {
        Some(LooseInt(n)) if n < 1 => {
            return Err(AppError::bad_input("count", "must be at least 1").into())
        }
        Some(LooseInt(n)) => Some(n as u64),
        None => None,
    };
    let list =
        conversations::get_conversation_list(&state, &viewer.user_id, filter.as_deref(), limit)
            .await?;
    ok(list
        .into_iter()
        .map(|c| json!({ "conversation": c }))
        .collect::<Vec<_>>())
}

async fn get_conversation_profile(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ConversationBody>,
) -> CompatResult {
    let conversation =
        conversations::get_conversation_profile(&state, &viewer.user_id, &body.conversation_id)
            .await?;
    ok(json!({ "conversation": conversation }))
}

async fn delete_conversation(
    State(state): State<AppState>,
    CompatViewer(viewer): CompatViewer,
    CompatJson(body): CompatJson<ConversationBody>,
) -> CompatResult {
    let id =
        conversations::delete_conversation(&state, &viewer.user_id, &body.conversation_id).await?;
    ok(json!({ "conversationID": id }))
}

/// Parse `bytes` as every request body of these routes, as their handlers do
/// (the compat fuzz target's entry point; a panic here is a bug).
pub fn parse_every_body(bytes: &[u8]) {
    if let Ok(body) = parse_body::<MessageBody>(bytes, Some(true)) {
        let _ = body.into_new_message();
    }
    let _ = parse_body::<SendBody>(bytes, Some(true));
    let _ = parse_body::<IdBody>(bytes, Some(true));
    let _ = parse_body::<ListBody>(bytes, Some(true));
    let _ = parse_body::<ConversationBody>(bytes, Some(true));
    let _ = parse_body::<ConversationListBody>(bytes, Some(true));
}
