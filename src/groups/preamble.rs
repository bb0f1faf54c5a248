//! How every group change opens: read the group (and the acting member) from
//! the pool, make sure whoever will get a system notice has a notice channel,
//! lock the group's channel with those, begin the [`Change`], and read the
//! group (and the member) again inside it.
//!
//! Who is notified may depend on the membership (every member, the managers).
//! Their channels must be locked before the change begins, but the membership
//! is only frozen once the group channel is locked; so it is read again inside
//! the change, and the opening starts over when someone came in meanwhile
//! whose channel is not locked.

use std::collections::HashMap;

use entity::{group_members, groups};
use sea_orm::ConnectionTrait;

use super::{
    change::{ensure_system_channels, Change},
    queries::{load_group, managers, member_ids, require_member},
};
use crate::{error::AppResult, state::AppState};

/// How many times a change re-reads who to notify before going ahead.
const NOTIFY_RETRIES: usize = 3;

/// Who gets system notices from a change: their `@TIM#SYSTEM` channels are
/// locked with the group's.
///
/// An enum rather than a closure because the set is read twice, through the
/// pool and through the change's transaction, and a closure cannot be generic
/// over the connection.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Audience<'a> {
    /// Nobody: only the group's channel is locked.
    Nobody,
    /// These users, whatever the membership.
    Users(&'a [String]),
    /// Every member but this one.
    MembersBut(&'a str),
    /// The owner and admins.
    Managers,
}

impl Audience<'_> {
    /// The users named, as `conn` sees the group now.
    async fn read<C: ConnectionTrait>(&self, conn: &C, group_id: &str) -> AppResult<Vec<String>> {
        Ok(match *self {
            Self::Nobody => Vec::new(),
            Self::Users(users) => users.to_vec(),
            Self::MembersBut(but) => member_ids(conn, group_id)
                .await?
                .into_iter()
                .filter(|u| u != but)
                .collect(),
            Self::Managers => managers(conn, group_id).await?,
        })
    }
}

/// Whether every user in `users` has a locked system channel in `locked`.
fn covers(locked: &HashMap<String, i64>, users: &[String]) -> bool {
    users.iter().all(|u| locked.contains_key(u))
}

/// Lock `channel_id` and the system channels of `users` (made where missing)
/// and begin a change; the system channels by user.
pub(crate) async fn lock_change<'s>(
    state: &'s AppState,
    channel_id: i64,
    users: &[String],
) -> AppResult<(Change<'s>, HashMap<String, i64>)> {
    let system = ensure_system_channels(state, users).await?;
    let mut locks: Vec<i64> = vec![channel_id];
    locks.extend(system.values().copied());
    Ok((Change::begin(state, &locks).await?, system))
}

/// A change opened on a group.
pub(crate) struct Opened<'s> {
    /// The change, holding the group's channel and the audience's system channels.
    pub change: Change<'s>,
    /// The group as read inside the change.
    pub group: groups::Model,
    /// Who to notify, as read inside the change.
    pub audience: Vec<String>,
}

/// Open a change on `before` (the group as read from the pool) that will
/// notify `audience`. `GROUP_NOT_FOUND` when the group is gone meanwhile.
pub(crate) async fn open_change<'s>(
    state: &'s AppState,
    before: &groups::Model,
    audience: Audience<'_>,
) -> AppResult<Opened<'s>> {
    let mut notify = audience.read(&state.db, &before.group_id).await?;
    let mut attempt = 0;
    loop {
        let (change, system) = lock_change(state, before.channel_id, &notify).await?;
        let group = load_group(change.tx()?, &before.group_id).await?;
        let now = audience.read(change.tx()?, &group.group_id).await?;
        // Bounded so that constant churn cannot starve the change: the last
        // round goes ahead with the audience read inside it.
        if covers(&system, &now) || attempt == NOTIFY_RETRIES {
            return Ok(Opened {
                change,
                group,
                audience: now,
            });
        }
        // Someone joined meanwhile: lock their notice channel too.
        notify = now;
        attempt += 1;
    }
}

/// What the acting member's role must allow for a change to start, checked
/// before anything is locked and again inside the change.
pub(crate) type Rule = fn(&groups::Model, &group_members::Model) -> AppResult<()>;

/// The [`Rule`] of changes any member may start (finer checks come inside).
pub(crate) fn any_member(_: &groups::Model, _: &group_members::Model) -> AppResult<()> {
    Ok(())
}

/// The group, after checking that `viewer` is a member whose role passes
/// `rule`: `GROUP_NOT_FOUND`, `NOT_GROUP_MEMBER` or the rule's error.
pub(crate) async fn check_standing<C: ConnectionTrait>(
    conn: &C,
    group_id: &str,
    viewer: &str,
    rule: Rule,
) -> AppResult<groups::Model> {
    let group = load_group(conn, group_id).await?;
    let me = require_member(conn, group_id, viewer).await?;
    rule(&group, &me)?;
    Ok(group)
}

/// A change opened by a member.
pub(crate) struct Acting<'s> {
    /// The change, holding the group's channel and the audience's system channels.
    pub change: Change<'s>,
    /// The group as read inside the change.
    pub group: groups::Model,
    /// The acting member as read inside the change.
    pub me: group_members::Model,
    /// Who to notify, as read inside the change.
    pub audience: Vec<String>,
}

/// Open a change on `before` (returned by [`check_standing`]) by `viewer`,
/// checking their membership and `rule` again inside it.
pub(crate) async fn open_as_member<'s>(
    state: &'s AppState,
    before: &groups::Model,
    viewer: &str,
    rule: Rule,
    audience: Audience<'_>,
) -> AppResult<Acting<'s>> {
    let Opened {
        change,
        group,
        audience,
    } = open_change(state, before, audience).await?;
    let me = require_member(change.tx()?, &group.group_id, viewer).await?;
    rule(&group, &me)?;
    Ok(Acting {
        change,
        group,
        me,
        audience,
    })
}

/// [`check_standing`] through the pool, then [`open_as_member`].
pub(crate) async fn begin_as_member<'s>(
    state: &'s AppState,
    group_id: &str,
    viewer: &str,
    rule: Rule,
    audience: Audience<'_>,
) -> AppResult<Acting<'s>> {
    let before = check_standing(&state.db, group_id, viewer, rule).await?;
    open_as_member(state, &before, viewer, rule, audience).await
}
