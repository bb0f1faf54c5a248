//! Stopping cleanly: open sockets are told to close (1001), and the server
//! waits, bounded, until they have sent their close frames.

use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The stop signal and the count of sockets still open; cheap to clone.
#[derive(Clone, Debug)]
pub struct Stopping {
    token: CancellationToken,
    open: watch::Sender<usize>,
}

impl Default for Stopping {
    fn default() -> Self {
        Self {
            token: CancellationToken::new(),
            open: watch::channel(0).0,
        }
    }
}

/// Counts one open socket until dropped.
pub struct OpenSocket(watch::Sender<usize>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl Stopping {
    /// Resolves once the server is stopping.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Tell every socket to close.
    pub fn stop(&self) {
        self.token.cancel();
    }

    /// Count a socket as open for as long as the guard lives.
    pub fn open_socket(&self) -> OpenSocket {
        self.open.send_modify(|n| *n += 1);
        OpenSocket(self.open.clone())
    }

    /// Wait until every socket has closed, or `limit` passed.
    pub async fn drained(&self, limit: Duration) {
        let mut open = self.open.subscribe();
        let _ = tokio::time::timeout(limit, open.wait_for(|n| *n == 0)).await;
    }
}
