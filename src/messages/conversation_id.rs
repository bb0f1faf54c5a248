//! Conversation IDs as TIM names them: `C2C<userID>`, `GROUP<groupID>` and
//! `@TIM#SYSTEM`. Every place that reads or builds one goes through
//! [`ConversationId`], so the prefixes live here only.

use std::{fmt, str::FromStr};

use super::types::ConversationType;
use crate::error::AppError;

/// A parsed conversation ID: its kind and whom it names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConversationId {
    kind: ConversationType,
    /// The peer (C2C) or the group (GROUP); empty for SYSTEM.
    target: String,
}

impl ConversationId {
    /// The prefix of one-to-one conversation IDs.
    pub const C2C_PREFIX: &'static str = "C2C";
    /// The prefix of group conversation IDs.
    pub const GROUP_PREFIX: &'static str = "GROUP";
    /// The conversation ID of every user's system notices.
    pub const SYSTEM: &'static str = "@TIM#SYSTEM";
    /// The input field a malformed ID is reported under.
    pub const FIELD: &'static str = "conversationID";

    /// The one-to-one conversation with `user`.
    pub fn c2c(user: impl Into<String>) -> Self {
        Self {
            kind: ConversationType::C2c,
            target: user.into(),
        }
    }

    /// The conversation of group `group_id`.
    pub fn group(group_id: impl Into<String>) -> Self {
        Self {
            kind: ConversationType::Group,
            target: group_id.into(),
        }
    }

    /// The viewer's system notices.
    pub fn system() -> Self {
        Self {
            kind: ConversationType::System,
            target: String::new(),
        }
    }

    /// Which kind of conversation this is.
    pub fn kind(&self) -> ConversationType {
        self.kind
    }

    /// The peer (C2C) or the group (GROUP); empty for SYSTEM.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The peer, for a C2C conversation.
    pub fn peer(&self) -> Option<&str> {
        (self.kind == ConversationType::C2c).then_some(self.target.as_str())
    }

    /// The groupID, for a group conversation.
    pub fn group_id(&self) -> Option<&str> {
        (self.kind == ConversationType::Group).then_some(self.target.as_str())
    }

    /// The groupID of a stored conversation ID, when it names a group.
    pub fn group_of(conversation_id: &str) -> Option<String> {
        conversation_id
            .parse::<Self>()
            .ok()
            .and_then(|id| id.group_id().map(str::to_owned))
    }

    /// The peer of a stored conversation ID, when it is a C2C one.
    pub fn peer_of(conversation_id: &str) -> Option<String> {
        conversation_id
            .parse::<Self>()
            .ok()
            .and_then(|id| id.peer().map(str::to_owned))
    }
}

impl fmt::Display for ConversationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ConversationType::C2c => write!(f, "{}{}", Self::C2C_PREFIX, self.target),
            ConversationType::Group => write!(f, "{}{}", Self::GROUP_PREFIX, self.target),
            ConversationType::System => f.write_str(Self::SYSTEM),
        }
    }
}

impl From<ConversationId> for String {
    fn from(id: ConversationId) -> Self {
        id.to_string()
    }
}

/// Why a string is not a conversation ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConversationIdError {
    /// Neither prefix, nor the system ID.
    Malformed,
    /// `GROUP` with no groupID after it.
    NoGroup,
}

impl fmt::Display for ConversationIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "must be C2C<userID>, GROUP<groupID> or @TIM#SYSTEM",
            Self::NoGroup => "names no group",
        })
    }
}

impl std::error::Error for ConversationIdError {}

impl From<ConversationIdError> for AppError {
    fn from(err: ConversationIdError) -> Self {
        AppError::bad_input(ConversationId::FIELD, err)
    }
}

/// Syntax only: whether the peer is a valid, existing user is the caller's
/// question (an empty peer parses, so it fails the userID rule like any other).
impl FromStr for ConversationId {
    type Err = ConversationIdError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        if value == Self::SYSTEM {
            return Ok(Self::system());
        }
        if let Some(peer) = value.strip_prefix(Self::C2C_PREFIX) {
            return Ok(Self::c2c(peer));
        }
        if let Some(group_id) = value.strip_prefix(Self::GROUP_PREFIX) {
            if group_id.is_empty() {
                return Err(ConversationIdError::NoGroup);
            }
            return Ok(Self::group(group_id));
        }
        Err(ConversationIdError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_string() {
        for text in ["C2Calice", "GROUP@TGS#1", "@TIM#SYSTEM"] {
            let id: ConversationId = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(id.to_string(), text);
        }
        assert_eq!(ConversationId::c2c("bob").to_string(), "C2Cbob");
        assert_eq!(ConversationId::group("g1").group_id(), Some("g1"));
        assert_eq!(ConversationId::system().kind(), ConversationType::System);
    }

    #[test]
    fn malformed_ids_are_refused_with_todays_messages() {
        assert_eq!(
            "GROUP".parse::<ConversationId>(),
            Err(ConversationIdError::NoGroup)
        );
        assert_eq!(
            "c2calice".parse::<ConversationId>(),
            Err(ConversationIdError::Malformed)
        );
        assert_eq!(
            "@TIM#SYSTEMx".parse::<ConversationId>(),
            Err(ConversationIdError::Malformed)
        );
        assert_eq!(ConversationId::peer_of("GROUPg"), None);
        assert_eq!(ConversationId::group_of("GROUPg").as_deref(), Some("g"));
    }
}
