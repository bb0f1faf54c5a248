//! The features beyond TIM v2 (issue 14), on both surfaces with their live
//! events: pins, quote replies, the live total unread count, typing,
//! reactions, edits with history, group read receipts and user status.

mod edits;
mod pins;
mod reactions;
mod receipts;
mod replies;
mod status;
mod typing;
mod unread;

use serde_json::Value;

use crate::helpers::WsClient;

/// The data of subscription `id`'s next item that `accept` takes, skipping
/// the others (late probe events, unrelated changes).
pub async fn next_matching(ws: &mut WsClient, id: &str, accept: impl Fn(&Value) -> bool) -> Value {
    loop {
        let data = ws.next_data(id).await;
        if accept(&data) {
            return data;
        }
    }
}

/// The message `id` in the `messageList` of a `getMessageList` answer
/// (`Value::Null` when it is not there, so that the assertion names it).
pub fn message_in_list(answer: &Value, id: &Value) -> Value {
    answer["getMessageList"]["messageList"]
        .as_array()
        .and_then(|list| list.iter().find(|m| &m["ID"] == id).cloned())
        .unwrap_or_default()
}
