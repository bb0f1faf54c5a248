//! GraphQL adapters of accounts and profiles.

use async_graphql::{Context, Object, Subscription};
use futures_util::Stream;

use super::{
    service,
    types::{AuthPayload, Profile, UpdateMyProfileInput},
};
use crate::{
    auth::client::ClientIp,
    events::Event,
    graphql::context::ContextExt,
    realtime::{
        stream::{select_events, topic_events},
        Topic,
    },
};

/// `register`, `login` and `logout`.
#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Create an account; returns a token and the new profile.
    async fn register(
        &self,
        ctx: &Context<'_>,
        email: String,
        username: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        Ok(service::register(ctx.state()?, &email, &username, &password).await?)
    }

    /// Sign in; returns a token and the profile.
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let client = ctx.data_opt::<ClientIp>().and_then(|c| c.0);
        Ok(service::login(ctx.state()?, &username, &password, client).await?)
    }

    /// End this token's session at once: the token is refused from now on
    /// and its open WebSockets close with 4403. Other sessions keep working.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer()?;
        Ok(service::logout(ctx.state()?, viewer).await?)
    }
}

/// Profile queries.
#[derive(Default)]
pub struct UsersQuery;

#[Object]
impl UsersQuery {
    /// The viewer's own profile, with email.
    #[graphql(name = "getMyProfile")]
    async fn get_my_profile(&self, ctx: &Context<'_>) -> async_graphql::Result<Profile> {
        let viewer = ctx.viewer()?;
        Ok(service::get_my_profile(ctx.state()?, &viewer.user_id).await?)
    }

    /// Profiles of the given users that exist, in request order (at most 100).
    #[graphql(name = "getUserProfile")]
    async fn get_user_profile(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "userIDList")] user_id_list: Vec<String>,
    ) -> async_graphql::Result<Vec<Profile>> {
        ctx.viewer()?;
        Ok(service::get_user_profiles(ctx.state()?, &user_id_list).await?)
    }
}

/// Profile changes.
#[derive(Default)]
pub struct UsersMutation;

#[Object]
impl UsersMutation {
    /// Change the fields given; nothing changes if any is invalid.
    #[graphql(name = "updateMyProfile")]
    async fn update_my_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateMyProfileInput,
    ) -> async_graphql::Result<Option<Profile>> {
        let viewer = ctx.viewer()?;
        Ok(Some(
            service::update_my_profile(ctx.state()?, &viewer.user_id, input).await?,
        ))
    }
}

/// Live profile changes.
#[derive(Default)]
pub struct UsersSubscription;

#[Subscription]
impl UsersSubscription {
    /// The viewer's own profile whenever it changes (from any session).
    #[graphql(name = "profileUpdated")]
    async fn profile_updated(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<Profile>>> {
        let viewer = ctx.viewer()?;
        let state = ctx.state()?;
        let (again, user) = (state.clone(), viewer.user_id.clone());
        let events = topic_events(
            state.bus.as_ref(),
            &Topic::User(viewer.user_id.clone()),
            move || {
                let (state, user) = (again.clone(), user.clone());
                Box::pin(async move {
                    let profile = service::get_my_profile(&state, &user).await?;
                    Ok(Some(std::sync::Arc::new(Event::ProfileUpdated(profile))))
                })
            },
        );
        Ok(select_events(events, |event| match event {
            Event::ProfileUpdated(profile) => Some(profile.clone()),
            _ => None,
        }))
    }
}
