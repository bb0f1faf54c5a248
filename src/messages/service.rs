//! The messages service: every operation the adapters call, from the files
//! that hold its rules (compose, send, history and read state, revoke) and
//! the store they write through.

pub use super::{
    compose::{MAX_AT_USERS, MAX_CLOUD_CUSTOM_DATA_BYTES, MAX_MERGED, MAX_TEXT_BYTES},
    history::{get_message_list, get_visible_message, load_senders, set_message_read, MAX_PAGE},
    replay::{resume_points, MAX_RESUME},
    revoke::revoke_message,
    send::{create_message, resend_message, send_message, send_new_message},
    store::{views_of, ServerMessage},
};
