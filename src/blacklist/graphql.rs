//! GraphQL adapters of the blacklist.

use async_graphql::{Context, Object, Subscription};
use futures_util::Stream;

use super::service;
use crate::{
    events::Event,
    graphql::context::ContextExt,
    realtime::{
        stream::{select_events, topic_events},
        Topic,
    },
    users::types::Profile,
};

/// Blacklist queries.
#[derive(Default)]
pub struct BlacklistQuery;

#[Object]
impl BlacklistQuery {
    /// Profiles of the users the viewer has blacklisted.
    #[graphql(name = "getBlacklist")]
    async fn get_blacklist(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Profile>> {
        let viewer = ctx.viewer()?;
        Ok(service::list_profiles(ctx.state()?, &viewer.user_id).await?)
    }
}

/// Blacklist changes.
#[derive(Default)]
pub struct BlacklistMutation;

#[Object]
impl BlacklistMutation {
    /// Blacklist users (at most 1,000); returns the whole list after.
    #[graphql(name = "addToBlacklist")]
    async fn add_to_blacklist(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "userIDList")] user_id_list: Vec<String>,
    ) -> async_graphql::Result<Vec<String>> {
        let viewer = ctx.viewer()?;
        Ok(service::add(ctx.state()?, &viewer.user_id, &user_id_list).await?)
    }

    /// Remove users from the blacklist; returns the whole list after.
    #[graphql(name = "removeFromBlacklist")]
    async fn remove_from_blacklist(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "userIDList")] user_id_list: Vec<String>,
    ) -> async_graphql::Result<Vec<String>> {
        let viewer = ctx.viewer()?;
        Ok(service::remove(ctx.state()?, &viewer.user_id, &user_id_list).await?)
    }
}

/// Live blacklist changes.
#[derive(Default)]
pub struct BlacklistSubscription;

#[Subscription]
impl BlacklistSubscription {
    /// The viewer's whole blacklist whenever it changes (from any session).
    #[graphql(name = "blacklistUpdated")]
    async fn blacklist_updated(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Vec<String>>>> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let (again, owner) = (state.clone(), viewer.user_id.clone());
        let events = topic_events(
            state.bus.as_ref(),
            &Topic::User(viewer.user_id.clone()),
            move || {
                let (state, owner) = (again.clone(), owner.clone());
                Box::pin(async move {
                    let list = service::list_ids(&state, &owner).await?;
                    Ok(Some(std::sync::Arc::new(Event::BlacklistUpdated {
                        owner,
                        list,
                    })))
                })
            },
        );
        Ok(select_events(events, |event| match event {
            Event::BlacklistUpdated { list, .. } => Some(list.clone()),
            _ => None,
        }))
    }
}
