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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use entity::kinds;

    use super::{Event, Invalidation};
    use crate::{
        conversations::types::TypingEvent,
        groups::types::{GroupJoinOption, GroupType, GroupView},
        messages::{
            types::ConversationType,
            view::{MessageReaction, MessageReply, MessageView},
        },
        users::types::{
            AdminForbidType, AllowType, CustomField, Gender, Profile, UserStatus, UserStatusType,
        },
    };

    /// The name of each variant: the match is exhaustive, so a new variant
    /// does not compile until it is named here and given a sample below.
    fn variant(event: &Event) -> &'static str {
        match event {
            Event::ProfileUpdated(_) => "ProfileUpdated",
            Event::BlacklistUpdated { .. } => "BlacklistUpdated",
            Event::Message(_) => "Message",
            Event::MessageRevoked(_) => "MessageRevoked",
            Event::PeerRead { .. } => "PeerRead",
            Event::ConversationChanged { .. } => "ConversationChanged",
            Event::Membership { .. } => "Membership",
            Event::GroupChanged { .. } => "GroupChanged",
            Event::RemindChanged { .. } => "RemindChanged",
            Event::UnreadChanged { .. } => "UnreadChanged",
            Event::Typing(_) => "Typing",
            Event::ReactionsUpdated(_) => "ReactionsUpdated",
            Event::MessageModified(_) => "MessageModified",
            Event::UserStatusChanged(_) => "UserStatusChanged",
            Event::Invalidate(_) => "Invalidate",
        }
    }

    fn message() -> Arc<MessageView> {
        let row = entity::messages::Model {
            id: "0193f2c1-msg".into(),
            channel_id: 7,
            seq: Some(42),
            sender_id: "alice".into(),
            conversation_type: kinds::ConversationType::C2c,
            to_id: "bob".into(),
            msg_type: kinds::MessageType::TextElem,
            payload: r#"{"text":"héllo 👋"}"#.into(),
            priority: kinds::MessagePriority::High,
            status: kinds::MessageStatus::Success,
            is_revoked: false,
            at_user_list: r#"["bob"]"#.into(),
            cloud_custom_data: "{\"k\":1}".into(),
            name_card: "Al".into(),
            client_msg_id: Some("c-1".into()),
            time: 1_764_547_200,
            created_at: 1_764_547_200,
        };
        let mut view = MessageView::from_row(&row, None, "alice", Some(42));
        view.reply_to = Some(MessageReply {
            message_id: "0193f2c0-msg".into(),
            from: "bob".into(),
            sequence: 41,
            message_for_show: "hi".into(),
        });
        view.reactions = vec![MessageReaction {
            reaction_id: "like".into(),
            total_user_count: 2,
            partial_user_list: vec!["alice".into(), "bob".into()],
            reacted_by_viewer: true,
            message_id: String::new(),
            viewer: String::new(),
        }];
        view.version = 3;
        view.edit_time = Some(1_764_547_300);
        Arc::new(view)
    }

    fn group() -> Arc<GroupView> {
        Arc::new(GroupView {
            group_id: "@TGS#1".into(),
            name: "Team".into(),
            avatar: String::new(),
            group_type: GroupType::Public,
            introduction: "intro".into(),
            notification: "note".into(),
            owner_id: "alice".into(),
            create_time: 1,
            last_info_time: 2,
            member_count: 3,
            max_member_count: 2000,
            join_option: GroupJoinOption::NeedPermission,
            mute_all_members: true,
            group_custom_field: vec![CustomField {
                key: "level".into(),
                value: "5".into(),
            }],
            next_message_seq: 9,
            viewer: None,
        })
    }

    fn samples() -> Vec<Event> {
        let user = |s: &str| s.to_owned();
        vec![
            Event::ProfileUpdated(Profile {
                user_id: user("alice"),
                email: Some(user("alice@example.com")),
                nick: user("Alice"),
                avatar: user("https://example.com/a.png"),
                gender: Gender::default(),
                self_signature: user("sig"),
                allow_type: AllowType::default(),
                birthday: 19900101,
                location: user("Paris"),
                language: 1,
                message_settings: 0,
                admin_forbid_type: AdminForbidType::default(),
                level: 2,
                role: 0,
                profile_custom_field: vec![],
                last_updated_time: 5,
            }),
            Event::BlacklistUpdated {
                owner: user("alice"),
                list: vec![user("carol")],
            },
            Event::Message(message()),
            Event::MessageRevoked(message()),
            Event::PeerRead {
                reader: user("bob"),
                peer: user("alice"),
                sequence: 42,
                time: 6,
            },
            Event::ConversationChanged {
                user: user("bob"),
                conversation_id: user("C2Calice"),
            },
            Event::Membership {
                user: user("bob"),
                group_id: user("@TGS#1"),
                joined: true,
                since_seq: 8,
            },
            Event::GroupChanged {
                group_id: user("@TGS#1"),
                group: group(),
            },
            Event::RemindChanged {
                user: user("bob"),
                group_id: user("@TGS#1"),
                discard: true,
                since_seq: 8,
            },
            Event::UnreadChanged { user: user("bob") },
            Event::Typing(Arc::new(TypingEvent {
                user: user("alice"),
                kind: ConversationType::Group,
                to: user("@TGS#1"),
                typing: true,
                hidden_from: Arc::new(vec![user("carol")]),
            })),
            Event::ReactionsUpdated(message()),
            Event::MessageModified(message()),
            Event::UserStatusChanged(UserStatus {
                user_id: user("alice"),
                status_type: UserStatusType::Online,
                custom_status: user("busy"),
                last_seen: 7,
            }),
            Event::Invalidate(Invalidation::SessionRevoked {
                session_id: user("s-1"),
                expires_at: 99,
            }),
        ]
    }

    // Events cross Redis between instances as JSON: every variant must come
    // back as it left, or a second instance would deliver something else.
    #[test]
    fn every_event_survives_the_trip_between_instances() {
        let events = samples();
        let mut seen: Vec<&str> = events.iter().map(variant).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 15, "a sample for every variant");
        for event in &events {
            let json = serde_json::to_string(event).expect("serialise");
            let back: Event = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("{} does not deserialise: {e}", variant(event)));
            assert_eq!(variant(&back), variant(event));
            assert_eq!(
                serde_json::to_string(&back).expect("serialise again"),
                json,
                "{} changed on the way",
                variant(event)
            );
        }
    }

    #[test]
    fn every_invalidation_survives_the_trip_between_instances() {
        for invalidation in [
            Invalidation::Profile { user: "a".into() },
            Invalidation::Blacklist { owner: "a".into() },
            Invalidation::Memberships {
                group_id: "@TGS#1".into(),
            },
            Invalidation::SessionRevoked {
                session_id: "s".into(),
                expires_at: 1,
            },
        ] {
            let json = serde_json::to_string(&invalidation).expect("serialise");
            let back: Invalidation = serde_json::from_str(&json).expect("deserialise");
            assert_eq!(back, invalidation);
        }
    }
}
