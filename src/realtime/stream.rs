//! Turning bus topics into subscription streams.

use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::{Event, EventBus, Topic};
use crate::error::AppError;

/// Events of one topic from now on. A listener that falls behind the bus gets
/// one `SUBSCRIPTION_LAGGED` error and the stream ends: never a silent gap.
pub fn topic_events(
    bus: &dyn EventBus,
    topic: &Topic,
) -> BoxStream<'static, Result<Arc<Event>, AppError>> {
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
