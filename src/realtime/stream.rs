//! Turning bus topics into subscription streams.

use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::{EventBus, Topic};
use crate::error::AppError;

/// Events of one topic from now on. A listener that falls behind the bus gets
/// one `SUBSCRIPTION_LAGGED` error and the stream ends: never a silent gap.
pub fn topic_events<E: Send + Sync + 'static>(
    bus: &dyn EventBus<E>,
    topic: &Topic,
) -> BoxStream<'static, Result<Arc<E>, AppError>> {
    let receiver = bus.subscribe(topic);
    stream::unfold(Some(receiver), |state| async move {
        let mut receiver = state?;
        match receiver.recv().await {
            Ok(event) => Some((Ok(event), Some(receiver))),
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "subscriber lagged; ending its stream");
                Some((Err(AppError::Lagged), None))
            }
            Err(RecvError::Closed) => None,
        }
    })
    .boxed()
}

/// One subscription's items from a live stream: `pick` selects and shapes the
/// events it wants; a lag error passes through, coded, and the stream ends.
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
