//! GraphQL adapters of user status (beyond TIM v2).

use async_graphql::{Context, Object, Subscription};
use futures_util::{Stream, StreamExt};

use super::{status, types::UserStatus};
use crate::graphql::context::ContextExt;

/// User queries beyond TIM v2.
#[derive(Default)]
pub struct UsersExtraQuery;

#[Object]
impl UsersExtraQuery {
    /// The statuses of up to 200 users (unknown ones left out); a user who
    /// blacklisted you shows offline.
    #[graphql(name = "getUserStatus")]
    async fn get_user_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "userIDList")] user_id_list: Vec<String>,
    ) -> async_graphql::Result<Vec<UserStatus>> {
        let viewer = ctx.viewer()?;
        Ok(status::get_user_status(ctx.state()?, &viewer.user_id, &user_id_list).await?)
    }
}

/// User mutations beyond TIM v2.
#[derive(Default)]
pub struct UsersExtraMutation;

#[Object]
impl UsersExtraMutation {
    /// Set your custom status (up to 100 bytes; empty clears it).
    #[graphql(name = "setSelfStatus")]
    async fn set_self_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "customStatus")] custom_status: String,
    ) -> async_graphql::Result<Option<UserStatus>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            status::set_self_status(ctx.state()?, &viewer.user_id, &custom_status).await?,
        ))
    }
}

/// User subscriptions beyond TIM v2.
#[derive(Default)]
pub struct UsersExtraSubscription;

#[Subscription]
impl UsersExtraSubscription {
    /// The listed users' statuses (up to 200): each one's current status
    /// first, then each change (online, offline, custom status).
    #[graphql(name = "userStatusUpdated")]
    async fn user_status_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "userIDList")] user_id_list: Vec<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<UserStatus>>> {
        let viewer = ctx.viewer()?;
        let updates =
            status::user_status_stream(ctx.state()?, &viewer.user_id, &user_id_list).await?;
        Ok(updates.map(|item| item.map_err(Into::into)))
    }
}
