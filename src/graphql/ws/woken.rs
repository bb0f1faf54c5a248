//! A future that is polled only after it was woken.
//!
//! The socket loop's `select!` polls every branch each time anything happens,
//! which for a subscribed socket is every frame it writes: a group message to
//! a thousand members polled a thousand shutdown and session-end futures that
//! had nothing to say (measured: about 5% of server CPU in `loadgen group`).
//! Wrapped, such a future costs a flag check until it is really woken.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    task::{Context, Poll, Wake, Waker},
};

use futures_util::{task::AtomicWaker, FutureExt};

/// Whether the inner future was woken since it was last polled, and whom to tell.
struct Flag {
    woken: AtomicBool,
    outer: AtomicWaker,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.outer.wake();
    }
}

/// `inner`, polled on its first poll and then only once it has woken us.
pub struct WhenWoken<F> {
    inner: F,
    flag: Arc<Flag>,
    /// The waker the inner future is polled with (made once).
    waker: Waker,
}

impl<F> WhenWoken<F> {
    /// Wrap `inner`.
    pub fn new(inner: F) -> Self {
        let flag = Arc::new(Flag {
            woken: AtomicBool::new(true),
            outer: AtomicWaker::new(),
        });
        Self {
            inner,
            waker: Waker::from(Arc::clone(&flag)),
            flag,
        }
    }
}

impl<F: Future + Unpin> Future for WhenWoken<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // Registered before the flag is read, so a wake in between is not lost.
        self.flag.outer.register(cx.waker());
        if !self.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let this = &mut *self;
        this.inner.poll_unpin(&mut Context::from_waker(&this.waker))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Counts its polls; ready once `ready` is set and it has been woken.
    struct Counted {
        polls: Arc<std::sync::atomic::AtomicUsize>,
        notify: Arc<tokio::sync::Notify>,
        notified: Pin<Box<tokio::sync::futures::OwnedNotified>>,
    }

    impl Future for Counted {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polls.fetch_add(1, Ordering::Relaxed);
            let _keep = &self.notify;
            self.notified.as_mut().poll(cx)
        }
    }

    #[tokio::test]
    async fn the_inner_future_is_polled_first_and_then_only_when_woken() {
        let notify = Arc::new(tokio::sync::Notify::new());
        let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut gated = WhenWoken::new(Counted {
            polls: Arc::clone(&polls),
            notify: Arc::clone(&notify),
            notified: Box::pin(Arc::clone(&notify).notified_owned()),
        });
        for _ in 0..10 {
            assert!((&mut gated).now_or_never().is_none());
        }
        assert_eq!(polls.load(Ordering::Relaxed), 1, "polled once, never woken");
        let waiting = tokio::spawn(gated);
        tokio::time::sleep(Duration::from_millis(10)).await;
        notify.notify_one();
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("woken and ready")
            .expect("joined");
        assert_eq!(polls.load(Ordering::Relaxed), 2);
    }
}
