//! Groups and memberships as the send path reads them (type, `muteAllMembers`,
//! role, mute, card). Filled by the hooks messaging calls; every committed
//! group change ([`super::change::Change::commit`]) and every membership
//! write outside one drops it all: group changes are rare next to sends, and
//! dropping everything cannot miss a row that a change touched.

use std::sync::Arc;

use entity::{group_members, groups};

use crate::cache::{Cache, DEFAULT_CAPACITY};

/// Group rows by groupID, and memberships (or their absence) by (group, user).
pub struct GroupCache {
    groups: Cache<String, Arc<groups::Model>>,
    members: Cache<(String, String), Option<Arc<group_members::Model>>>,
}

impl Default for GroupCache {
    fn default() -> Self {
        Self {
            groups: Cache::new(DEFAULT_CAPACITY),
            members: Cache::new(DEFAULT_CAPACITY),
        }
    }
}

impl GroupCache {
    /// The cached row of `group_id`.
    pub fn group(&self, group_id: &str) -> Option<Arc<groups::Model>> {
        self.groups.get(group_id)
    }

    /// The generation to store group loads under (read it before loading).
    pub fn group_generation(&self) -> u64 {
        self.groups.generation()
    }

    /// Store a group row loaded under `generation`.
    pub fn store_group(&self, generation: u64, row: Arc<groups::Model>) {
        self.groups
            .insert_if_current(generation, row.group_id.clone(), row);
    }

    /// The cached membership of `user` in `group_id`: `Some(None)` means
    /// "known not to be a member".
    pub fn member(&self, group_id: &str, user: &str) -> Option<Option<Arc<group_members::Model>>> {
        self.members.get(&(group_id.to_owned(), user.to_owned()))
    }

    /// The generation to store membership loads under (read it before loading).
    pub fn member_generation(&self) -> u64 {
        self.members.generation()
    }

    /// Store a membership (or its absence) loaded under `generation`.
    pub fn store_member(
        &self,
        generation: u64,
        group_id: &str,
        user: &str,
        row: Option<Arc<group_members::Model>>,
    ) {
        self.members
            .insert_if_current(generation, (group_id.to_owned(), user.to_owned()), row);
    }

    /// Forget one group and every membership in it.
    pub fn invalidate_group(&self, group_id: &str) {
        self.groups.invalidate(group_id);
        self.members.invalidate_where(|(g, _)| g == group_id);
    }

    /// Forget every group and membership.
    pub fn invalidate_all(&self) {
        self.groups.clear();
        self.members.clear();
    }
}
