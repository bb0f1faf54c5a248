//! Turning bus topics into subscription streams.

use std::sync::Arc;

use futures_util::{
    future::BoxFuture,
    stream::{self, BoxStream, StreamExt},
};
use tokio::sync::broadcast::error::RecvError;

use super::{EventBus, Topic};
use crate::error::AppError;

/// Events of one topic from now on. When events may have been lost (the
/// listener fell behind, or the bus resynced), `refetch` is asked for the
/// current state instead, as one event: streams of "the whole thing after
/// the change" (a profile, a blacklist) never end for being slow.
pub fn topic_events<E, F>(
    bus: &dyn EventBus<E>,
    topic: &Topic,
    refetch: F,
) -> BoxStream<'static, Result<Arc<E>, AppError>>
where
    E: Send + Sync + 'static,
    F: Fn() -> BoxFuture<'static, Result<Option<Arc<E>>, AppError>> + Send + Sync + 'static,
{
    let receiver = bus.subscribe(topic);
    let resyncs = bus.resyncs();
    stream::unfold(
        (receiver, resyncs, refetch),
        |(mut receiver, mut resyncs, refetch)| async move {
            loop {
                let missed = tokio::select! {
                    biased;
                    changed = resyncs.changed() => {
                        if changed.is_err() {
                            return None;
                        }
                        true
                    }
                    received = receiver.recv() => match received {
                        Ok(event) => return Some((Ok(event), (receiver, resyncs, refetch))),
                        Err(RecvError::Lagged(missed)) => {
                            tracing::debug!(missed, "subscriber lagged; reading the current state");
                            true
                        }
                        Err(RecvError::Closed) => return None,
                    },
                };
                if missed {
                    match refetch().await {
                        Ok(Some(event)) => return Some((Ok(event), (receiver, resyncs, refetch))),
                        Ok(None) => continue,
                        Err(err) => return Some((Err(err), (receiver, resyncs, refetch))),
                    }
                }
            }
        },
    )
    .boxed()
}

/// One subscription's items from a live stream: `pick` selects and shapes the
/// events it wants; an error passes through, coded.
pub fn select_events<E, T, F>(
    events: BoxStream<'static, Result<Arc<E>, AppError>>,
    mut pick: F,
) -> impl futures_util::Stream<Item = async_graphql::Result<T>>
where
    E: Send + Sync + 'static,
    T: Send + 'static,
    F: FnMut(&E) -> Option<T> + Send + 'static,
{
    events.filter_map(move |event| {
        let item = match event {
            Ok(event) => pick(&event).map(Ok),
            Err(err) => Some(Err(err.into())),
        };
        futures_util::future::ready(item)
    })
}
