//! The live events the domains publish on the bus after commit, and the
//! cache invalidations that travel with them. The bus (`realtime`) only
//! carries them; each payload type is a plain data type of its domain's
//! `types`/`view` module, so this vocabulary sits below every service.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{
    conversations::types::TypingEvent,
    groups::types::GroupView,
    messages::view::MessageView,
    users::types::{Profile, UserStatus},
};

/// One live event. Shared by `Arc` among all listeners of its topic, so it is
/// built once whatever the number of subscribers; per-viewer fields
/// (`flow`, `conversationID`) are derived by each subscriber.
///
/// Events cross Redis between instances as JSON (see `realtime::redis_bus`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Event {
    /// A user's profile changed (sent to that user's topic).
    ProfileUpdated(Profile),
    /// A user's blacklist changed: the whole list after (sent to that user's topic).
    BlacklistUpdated {
        /// The blacklist owner.
        owner: String,
        /// The whole list after the change.
        list: Vec<String>,
    },
    /// A message was sent (seen from its sender's side).
    Message(Arc<MessageView>),
    /// A message was revoked (seen from its sender's side).
    MessageRevoked(Arc<MessageView>),
    /// `reader` read their C2C conversation with `peer` up to `sequence` (sent to the peer).
    PeerRead {
        /// Who read.
        reader: String,
        /// Whose messages were read.
        peer: String,
        /// Read up to and including.
        sequence: i64,
        /// Unix seconds.
        time: i64,
    },
    /// A user's view of a conversation changed (read position, deletion).
    ConversationChanged {
        /// Whose view.
        user: String,
        /// Which conversation.
        conversation_id: String,
    },
    /// A user joined or left a group: their open streams start or stop following it.
    Membership {
        /// The member.
        user: String,
        /// The group.
        group_id: String,
        /// Joined (true) or left (false).
        joined: bool,
        /// On joining: the group's last sequence before the join. A stream that
        /// starts following the group fetches what was sent after it and before
        /// it subscribed, so nothing in between is missed.
        since_seq: i64,
    },
    /// A group's profile or membership changed (sent to the group's topic).
    GroupChanged {
        /// The group.
        group_id: String,
        /// The group after the change, built once for every member; each
        /// viewer's own part (`selfInfo`, `lastMessage`) resolves on demand.
        group: Arc<GroupView>,
    },
    /// A member changed how they want a group's messages (sent to that user's topic).
    RemindChanged {
        /// The member.
        user: String,
        /// The group.
        group_id: String,
        /// Whether live delivery of the group's messages is off (`Discard`).
        discard: bool,
        /// The group's last sequence when the change was made: it applies to
        /// the messages after it, however late a stream sees the change.
        since_seq: i64,
    },
    /// Something changed a user's unread counts that no other event shows
    /// (a deleted conversation): their total is counted again.
    UnreadChanged {
        /// Whose counts.
        user: String,
    },
    /// A user started or stopped typing (sent to the C2C peer's or the group's topic).
    Typing(Arc<TypingEvent>),
    /// A message's reactions changed: the message after (seen from the
    /// reactor's side; sent to the topics of everyone who can see it).
    ReactionsUpdated(Arc<MessageView>),
    /// A message was edited: the message after (seen from its sender's side;
    /// sent to the topics of everyone who can see it).
    MessageModified(Arc<MessageView>),
    /// A user came online, went offline or changed their custom status
    /// (sent to their status topic, `users::status::status_topic`).
    UserStatusChanged(UserStatus),
    /// Something cached from the database changed: every instance drops its
    /// copy (sent to the bus's control topic).
    Invalidate(Invalidation),
}

/// What a cache must drop (applied by the `control` listener).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invalidation {
    /// A user's profile.
    Profile {
        /// Whose.
        user: String,
    },
    /// A user's blacklist.
    Blacklist {
        /// Whose.
        owner: String,
    },
    /// A group's members (joins, departures, roles).
    Memberships {
        /// The group.
        group_id: String,
    },
    /// A session was logged out: its token is refused everywhere.
    SessionRevoked {
        /// The session.
        session_id: String,
        /// When its token expires anyway (Unix seconds).
        expires_at: i64,
    },
}
