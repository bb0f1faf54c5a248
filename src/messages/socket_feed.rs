//! One live feed per socket: the feed subscriptions of one WebSocket
//! (`messageReceived`, `messageRevoked`, `messageReadByPeer`,
//! `conversationUpdated`) share the viewer's feed instead of each opening
//! its own, which read where every conversation stands, listened to the
//! viewer's and every group's topic and kept its own progress, once per
//! subscription.
//!
//! The shared feed is polled by whichever branch is polled; each event it
//! yields is queued for every branch. There is no task in between, so a
//! socket with one subscription pays nothing for the sharing but a lock.
//! Backpressure is kept: while one branch has a full queue the feed is not
//! polled, so a socket that does not read holds back reading (and the feed
//! catches up from the database later) instead of buffering for it.

use std::{
    collections::VecDeque,
    pin::Pin,
    sync::{Arc, Mutex, MutexGuard, Weak},
    task::{Context, Poll, Waker},
};

use futures_util::{stream::BoxStream, Stream, StreamExt};

use super::feed::viewer_feed;
use crate::{
    error::{AppError, AppResult},
    events::Event,
    state::AppState,
};

/// Events one branch may have queued before the shared feed waits for it.
const QUEUE: usize = 256;

/// What the shared feed yields, shared between the branches.
type Item<T> = Result<T, Arc<AppError>>;

/// The feed a socket shares.
type Source<T> = BoxStream<'static, AppResult<T>>;

/// The slot in a socket's session data where its shared feed lives while any
/// subscription uses it.
#[derive(Default)]
pub struct SocketFeed {
    hub: tokio::sync::Mutex<Weak<Mutex<Hub<Arc<Event>>>>>,
}

impl SocketFeed {
    /// A stream of the socket's feed for `viewer` (the socket's one viewer):
    /// joins the running feed, or opens one when none runs (the lock makes a
    /// second subscription wait for the first one's set-up, not open another).
    pub async fn branch(
        &self,
        state: &AppState,
        viewer: &str,
    ) -> AppResult<BoxStream<'static, AppResult<Arc<Event>>>> {
        let mut slot = self.hub.lock().await;
        if let Some(hub) = slot.upgrade() {
            if let Some(branch) = Branch::join(&hub) {
                return Ok(branch.boxed());
            }
        }
        let hub = Hub::new(viewer_feed(state, viewer, &[]).await?);
        *slot = Arc::downgrade(&hub);
        match Branch::join(&hub) {
            Some(branch) => Ok(branch.boxed()),
            None => Err(AppError::internal("a new shared feed has ended")),
        }
    }
}

/// The shared feed and what each branch has not taken yet.
struct Hub<T> {
    /// `None` once the feed has ended.
    source: Option<Source<T>>,
    /// A handful per socket: a list beats hashing.
    branches: Vec<Queue<T>>,
    next_id: u64,
}

impl<T> Hub<T> {
    fn new(source: Source<T>) -> Arc<Mutex<Self>> {
        Arc::new(Mutex::new(Self {
            source: Some(source),
            branches: Vec::new(),
            next_id: 0,
        }))
    }
}

struct Queue<T> {
    /// The branch it belongs to.
    id: u64,
    items: VecDeque<Item<T>>,
    /// Set while the branch waits for an item.
    waker: Option<Waker>,
}

/// Wake every waiting branch.
fn wake_all<T>(branches: &mut [Queue<T>]) {
    for queue in branches {
        if let Some(waker) = queue.waker.take() {
            waker.wake();
        }
    }
}

/// Remember that `queue`'s branch waits, woken by `cx`.
fn set_waker<T>(queue: &mut Queue<T>, cx: &Context<'_>) {
    if !queue
        .waker
        .as_ref()
        .is_some_and(|w| w.will_wake(cx.waker()))
    {
        queue.waker = Some(cx.waker().clone());
    }
}

/// One subscription's view of the shared feed.
struct Branch<T> {
    id: u64,
    hub: Arc<Mutex<Hub<T>>>,
}

fn lock<T>(hub: &Mutex<Hub<T>>) -> MutexGuard<'_, Hub<T>> {
    // Nothing holding the lock panics midway through a change of the queues.
    hub.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<T> Branch<T> {
    /// A new branch of `hub`, seeing what it yields from now on; `None` when
    /// its feed has ended.
    fn join(hub: &Arc<Mutex<Hub<T>>>) -> Option<Self> {
        let mut guard = lock(hub);
        guard.source.as_ref()?;
        let id = guard.next_id;
        guard.next_id += 1;
        guard.branches.push(Queue {
            id,
            items: VecDeque::new(),
            waker: None,
        });
        Some(Self {
            id,
            hub: Arc::clone(hub),
        })
    }
}

impl<T: Clone> Stream for Branch<T> {
    type Item = AppResult<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let id = self.id;
        let mut guard = lock(&self.hub);
        let Hub {
            source, branches, ..
        } = &mut *guard;
        let Some(own) = branches.iter().position(|queue| queue.id == id) else {
            return Poll::Ready(None);
        };
        loop {
            if let Some(item) = branches[own].items.pop_front() {
                if branches[own].items.len() + 1 == QUEUE {
                    // The feed may have waited for this branch.
                    wake_all(branches);
                }
                return Poll::Ready(Some(item.map_err(|err| err.duplicate())));
            }
            let Some(feed) = source.as_mut() else {
                return Poll::Ready(None);
            };
            if branches.len() == 1 {
                // Alone (most sockets): the feed's items go straight out.
                let polled = feed.poll_next_unpin(cx);
                match &polled {
                    Poll::Ready(None) => *source = None,
                    Poll::Pending => set_waker(&mut branches[own], cx),
                    Poll::Ready(Some(_)) => {}
                }
                return polled;
            }
            if branches.iter().any(|queue| queue.items.len() >= QUEUE) {
                set_waker(&mut branches[own], cx);
                return Poll::Pending;
            }
            // The feed keeps the waker of the branch that polled it last;
            // that branch wakes the others when something comes.
            match feed.poll_next_unpin(cx) {
                Poll::Ready(Some(item)) => {
                    let item = item.map_err(Arc::new);
                    for queue in branches.iter_mut() {
                        queue.items.push_back(item.clone());
                        if queue.id != id {
                            if let Some(waker) = queue.waker.take() {
                                waker.wake();
                            }
                        }
                    }
                }
                Poll::Ready(None) => {
                    // The others end too, once they have taken their queues.
                    *source = None;
                    wake_all(branches);
                }
                Poll::Pending => {
                    set_waker(&mut branches[own], cx);
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<T> Drop for Branch<T> {
    fn drop(&mut self) {
        let mut hub = lock(&self.hub);
        hub.branches.retain(|queue| queue.id != self.id);
        // The feed may hold this branch's waker: another branch must poll it
        // to be woken by it again.
        wake_all(&mut hub.branches);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures_util::FutureExt;
    use tokio::sync::mpsc;
    use tokio_stream::wrappers::ReceiverStream;

    use super::*;

    fn hub_of(capacity: usize) -> (mpsc::Sender<AppResult<u32>>, Arc<Mutex<Hub<u32>>>) {
        let (sender, receiver) = mpsc::channel(capacity);
        (sender, Hub::new(ReceiverStream::new(receiver).boxed()))
    }

    fn branch(hub: &Arc<Mutex<Hub<u32>>>) -> Branch<u32> {
        Branch::join(hub).expect("a running feed")
    }

    fn now(branch: &mut Branch<u32>) -> Option<Option<u32>> {
        branch
            .next()
            .now_or_never()
            .map(|item| item.map(|r| r.expect("no error")))
    }

    #[tokio::test]
    async fn every_branch_gets_every_item_in_order_and_the_end() {
        let (sender, hub) = hub_of(8);
        let (mut a, mut b) = (branch(&hub), branch(&hub));
        for n in 1..=3 {
            sender.try_send(Ok(n)).expect("room");
        }
        drop(sender);
        let taken_a: Vec<u32> = (&mut a).map(|r| r.expect("no error")).collect().await;
        let taken_b: Vec<u32> = (&mut b).map(|r| r.expect("no error")).collect().await;
        assert_eq!(taken_a, [1, 2, 3]);
        assert_eq!(taken_b, [1, 2, 3]);
        assert!(
            Branch::join(&hub).is_none(),
            "an ended feed takes no branch"
        );
    }

    #[tokio::test]
    async fn a_full_branch_holds_the_feed_back_until_it_takes_an_item() {
        // An iterator, not a channel: tokio's channels yield after a budget
        // of items per task, which would end the first loop early.
        let items = futures_util::stream::iter((0..QUEUE as u32 + 10).map(Ok));
        let hub = Hub::new(items.chain(futures_util::stream::pending()).boxed());
        let (mut slow, mut fast) = (branch(&hub), branch(&hub));
        for n in 0..QUEUE as u32 {
            assert_eq!(now(&mut fast), Some(Some(n)));
        }
        assert_eq!(now(&mut fast), None, "the slow branch's queue is full");
        assert_eq!(now(&mut slow), Some(Some(0)));
        assert_eq!(now(&mut fast), Some(Some(QUEUE as u32)));
    }

    #[tokio::test]
    async fn dropping_the_branch_the_feed_would_wake_wakes_another() {
        let (sender, hub) = hub_of(8);
        let mut waiting = branch(&hub);
        let mut last = branch(&hub);
        assert_eq!(now(&mut waiting), None);
        // `last` polls after it: the feed now holds only its waker.
        assert_eq!(now(&mut last), None);
        let next = tokio::spawn(async move { waiting.next().await.map(|r| r.ok()) });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(last);
        tokio::time::sleep(Duration::from_millis(20)).await;
        sender.try_send(Ok(7)).expect("room");
        let got = tokio::time::timeout(Duration::from_secs(5), next)
            .await
            .expect("woken")
            .expect("joined");
        assert_eq!(got, Some(Some(7)));
    }

    #[tokio::test]
    async fn an_error_ends_every_branch_with_its_code() {
        let (sender, hub) = hub_of(8);
        let (mut a, mut b) = (branch(&hub), branch(&hub));
        sender
            .try_send(Err(AppError::internal("the database went away")))
            .expect("room");
        drop(sender);
        for branch in [&mut a, &mut b] {
            let err = branch
                .next()
                .await
                .expect("an item")
                .expect_err("the error");
            assert_eq!(err.code(), "INTERNAL");
            assert!(branch.next().await.is_none());
        }
    }
}
