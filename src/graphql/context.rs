//! What resolvers read from the context: the state, the viewer and the
//! viewer's live feed.

use std::sync::Arc;

use async_graphql::Context;
use futures_util::stream::BoxStream;

use crate::{
    auth::Viewer,
    error::{AppError, AppResult},
    events::Event,
    messages::{feed::viewer_feed, replay::Resume, socket_feed::SocketFeed},
    state::AppState,
};

/// A viewer's live events (see [`crate::messages::feed`]).
pub type LiveFeed = BoxStream<'static, AppResult<Arc<Event>>>;

/// The viewer's live feed and user ID: on a WebSocket, a branch of the one
/// feed the socket's subscriptions share; elsewhere, or when resuming from
/// `since` (a replay for one subscription alone), a feed of its own.
pub async fn live_feed(ctx: &Context<'_>, since: &[Resume]) -> AppResult<(LiveFeed, String)> {
    let viewer = ctx.viewer()?.user_id.clone();
    let state = ctx.state()?;
    // Boxed: a subscription keeps the future that set it up for as long as
    // it is open, sized for its largest state; inlined, the feed's start-up
    // reads made every idle subscription about 4 KiB larger.
    let feed = match ctx.data_opt::<SocketFeed>() {
        Some(shared) if since.is_empty() => Box::pin(shared.branch(state, &viewer)).await?,
        _ => Box::pin(viewer_feed(state, &viewer, since)).await?,
    };
    Ok((feed, viewer))
}

/// How the request authenticated, put in the request (or socket) data.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A valid token.
    Viewer(Viewer),
    /// No token was given.
    Anonymous,
    /// A token was given but did not verify.
    Invalid,
}

/// Accessors for resolvers.
pub trait ContextExt {
    /// The application state.
    fn state(&self) -> AppResult<&AppState>;
    /// The authenticated viewer, or `UNAUTHENTICATED`.
    fn viewer(&self) -> AppResult<&Viewer>;
}

impl ContextExt for Context<'_> {
    fn state(&self) -> AppResult<&AppState> {
        self.data::<AppState>()
            .map_err(|_| AppError::internal("AppState missing from schema data"))
    }

    fn viewer(&self) -> AppResult<&Viewer> {
        match self.data_opt::<Auth>() {
            Some(Auth::Viewer(viewer)) => Ok(viewer),
            Some(Auth::Invalid) => {
                Err(AppError::Unauthenticated("invalid or expired token".into()))
            }
            _ => Err(AppError::Unauthenticated(
                "a token is required: send `token` or `Authorization: Bearer`".into(),
            )),
        }
    }
}
