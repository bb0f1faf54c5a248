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
        self.stripes[stripe_of(channel_id)].lock().await
    }

    /// Hold the locks of several channels at once (a change that posts into a
    /// group and into members' system notices). Stripes are taken once each in
    /// ascending order, so two such holders never wait on each other in a cycle,
    /// and a single-channel holder never waits for a second stripe.
    pub async fn lock_many(&self, channel_ids: &[i64]) -> Vec<MutexGuard<'_, ()>> {
        let mut stripes: Vec<usize> = channel_ids.iter().map(|id| stripe_of(*id)).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut guards = Vec::with_capacity(stripes.len());
        for index in stripes {
            guards.push(self.stripes[index].lock().await);
        }
        guards
    }
}

fn stripe_of(channel_id: i64) -> usize {
    channel_id.rem_euclid(STRIPES as i64) as usize
}
