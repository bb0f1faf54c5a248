//! Striped per-channel locks: sends into one channel are ordered from sequence
//! allocation to publishing, with bounded memory whatever the channel count.

use std::sync::Arc;

use tokio::sync::{Mutex, MutexGuard};

const STRIPES: usize = 256;

/// A fixed set of mutexes, one chosen per channel.
#[derive(Clone)]
pub struct ChannelLocks {
    stripes: Arc<Vec<Mutex<()>>>,
}

impl Default for ChannelLocks {
    fn default() -> Self {
        Self {
            stripes: Arc::new((0..STRIPES).map(|_| Mutex::new(())).collect()),
        }
    }
}

impl ChannelLocks {
    /// Hold the lock of `channel_id`'s stripe.
    pub async fn lock(&self, channel_id: i64) -> MutexGuard<'_, ()> {
        let index = channel_id.rem_euclid(STRIPES as i64) as usize;
        self.stripes[index].lock().await
    }
}
