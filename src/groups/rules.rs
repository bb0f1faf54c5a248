//! SPEC section 6's table of rules by group type, and the who-may-act-on-whom
//! rules of section 7, as plain functions: every surface asks these.

use super::types::{GroupJoinOption, GroupMemberRole, GroupType};

/// How a user gets into a group by `joinGroup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinPolicy {
    /// Not by applying (work groups; `DisableApply`).
    Refused,
    /// At once.
    Free,
    /// By an application an owner or admin approves.
    NeedsApproval,
}

impl GroupType {
    /// The stored constant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "Private",
            Self::Public => "Public",
            Self::ChatRoom => "ChatRoom",
            Self::AvChatRoom => "AVChatRoom",
            Self::Community => "Community",
        }
    }

    /// The member limit when none is given; 0 means unlimited.
    pub fn default_max_members(self) -> i64 {
        match self {
            Self::Private => 200,
            Self::Public => 2_000,
            Self::ChatRoom => 10_000,
            Self::Community => 100_000,
            Self::AvChatRoom => 0,
        }
    }

    /// Whether the type has admins (work groups and AVChatRooms do not).
    pub fn has_admins(self) -> bool {
        !matches!(self, Self::Private | Self::AvChatRoom)
    }

    /// Whether its messages count as unread.
    pub fn counts_unread(self) -> bool {
        matches!(self, Self::Private | Self::Public | Self::Community)
    }

    /// Whether newcomers see the history from before they joined.
    pub fn shows_earlier_history(self) -> bool {
        matches!(self, Self::ChatRoom | Self::Community)
    }

    /// Whether any history is kept (AVChatRooms keep none).
    pub fn keeps_history(self) -> bool {
        self != Self::AvChatRoom
    }

    /// Whether `searchGroupByID` finds it.
    pub fn searchable(self) -> bool {
        self != Self::Private
    }

    /// Whether the owner may quit (a work group goes on without owner).
    pub fn owner_may_quit(self) -> bool {
        self == Self::Private
    }

    /// Whether `joinOption` may be chosen.
    pub fn join_option_settable(self) -> bool {
        matches!(self, Self::Public | Self::Community)
    }

    /// The join option a new group gets.
    pub fn default_join_option(self) -> GroupJoinOption {
        match self {
            Self::Private => GroupJoinOption::DisableApply,
            Self::Public => GroupJoinOption::NeedPermission,
            Self::ChatRoom | Self::AvChatRoom | Self::Community => GroupJoinOption::FreeAccess,
        }
    }

    /// Whether members can be muted (not in work groups).
    pub fn allows_muting(self) -> bool {
        self != Self::Private
    }

    /// Whether members can be added with `addGroupMember` or at creation.
    pub fn allows_adding(self) -> bool {
        self != Self::AvChatRoom
    }

    /// Whether ownership can be handed over.
    pub fn allows_owner_change(self) -> bool {
        self != Self::AvChatRoom
    }

    /// How `joinGroup` treats a non-member.
    pub fn join_policy(self, option: GroupJoinOption) -> JoinPolicy {
        match self {
            Self::Private => JoinPolicy::Refused,
            Self::ChatRoom | Self::AvChatRoom => JoinPolicy::Free,
            Self::Public | Self::Community => match option {
                GroupJoinOption::FreeAccess => JoinPolicy::Free,
                GroupJoinOption::NeedPermission => JoinPolicy::NeedsApproval,
                GroupJoinOption::DisableApply => JoinPolicy::Refused,
            },
        }
    }

    /// Whether a member with `role` may add members.
    pub fn may_add(self, role: GroupMemberRole) -> bool {
        match self {
            Self::Private => true,
            Self::AvChatRoom => false,
            _ => is_manager(role),
        }
    }

    /// Whether a member with `role` may change the group profile.
    pub fn may_edit_profile(self, role: GroupMemberRole) -> bool {
        match self {
            Self::Private => true,
            Self::AvChatRoom => role == GroupMemberRole::Owner,
            _ => is_manager(role),
        }
    }

    /// Whether `actor` may remove `target` (never the owner).
    pub fn may_remove(self, actor: GroupMemberRole, target: GroupMemberRole) -> bool {
        if target == GroupMemberRole::Owner {
            return false;
        }
        match self {
            Self::Private | Self::AvChatRoom => actor == GroupMemberRole::Owner,
            _ => outranks(actor, target),
        }
    }

    /// Whether `actor` may mute `target`.
    pub fn may_mute(self, actor: GroupMemberRole, target: GroupMemberRole) -> bool {
        self.allows_muting() && target != GroupMemberRole::Owner && outranks(actor, target)
    }

    /// Whether a member with `role` may mute everyone at once.
    pub fn may_mute_all(self, role: GroupMemberRole) -> bool {
        self.allows_muting() && is_manager(role)
    }
}

/// Owner or admin.
pub fn is_manager(role: GroupMemberRole) -> bool {
    matches!(role, GroupMemberRole::Owner | GroupMemberRole::Admin)
}

/// The owner acts on anyone; an admin on ordinary members.
pub fn outranks(actor: GroupMemberRole, target: GroupMemberRole) -> bool {
    match actor {
        GroupMemberRole::Owner => target != GroupMemberRole::Owner,
        GroupMemberRole::Admin => target == GroupMemberRole::Member,
        GroupMemberRole::Member => false,
    }
}

/// Who may change a member's card or custom fields: the owner on anyone, an
/// admin on ordinary members and themselves, a member on themselves.
pub fn may_edit_member(
    actor: GroupMemberRole,
    acting_on_self: bool,
    target: GroupMemberRole,
) -> bool {
    acting_on_self || actor == GroupMemberRole::Owner || outranks(actor, target)
}

impl GroupJoinOption {
    /// The stored constant.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FreeAccess => "FreeAccess",
            Self::NeedPermission => "NeedPermission",
            Self::DisableApply => "DisableApply",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use GroupMemberRole::{Admin, Member, Owner};

    #[test]
    fn admins_remove_and_mute_ordinary_members_only() {
        for t in [GroupType::Public, GroupType::ChatRoom, GroupType::Community] {
            assert!(t.may_remove(Owner, Admin));
            assert!(t.may_remove(Admin, Member));
            assert!(!t.may_remove(Admin, Admin));
            assert!(!t.may_remove(Member, Member));
            assert!(t.may_mute(Admin, Member));
            assert!(!t.may_mute(Admin, Admin));
        }
        assert!(!GroupType::Private.may_mute(Owner, Member));
        assert!(!GroupType::Private.may_remove(Member, Member));
        assert!(GroupType::AvChatRoom.may_remove(Owner, Member));
    }

    #[test]
    fn join_policy_follows_the_type_and_option() {
        use GroupJoinOption::*;
        assert_eq!(
            GroupType::Private.join_policy(FreeAccess),
            JoinPolicy::Refused
        );
        assert_eq!(
            GroupType::Public.join_policy(NeedPermission),
            JoinPolicy::NeedsApproval
        );
        assert_eq!(
            GroupType::Public.join_policy(DisableApply),
            JoinPolicy::Refused
        );
        assert_eq!(
            GroupType::ChatRoom.join_policy(DisableApply),
            JoinPolicy::Free
        );
        assert_eq!(
            GroupType::AvChatRoom.join_policy(NeedPermission),
            JoinPolicy::Free
        );
    }

    #[test]
    fn members_edit_themselves_admins_edit_members() {
        assert!(may_edit_member(Member, true, Member));
        assert!(!may_edit_member(Member, false, Member));
        assert!(may_edit_member(Admin, true, Admin));
        assert!(may_edit_member(Admin, false, Member));
        assert!(!may_edit_member(Admin, false, Owner));
        assert!(may_edit_member(Owner, false, Admin));
    }
}
