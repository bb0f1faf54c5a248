//! What travels on the bus.

use crate::users::types::Profile;

/// One live event. Shared by `Arc` among all listeners of its topic, so it is
/// built once whatever the number of subscribers.
#[derive(Debug, Clone)]
pub enum Event {
    /// A user's profile changed (sent to that user's topic).
    ProfileUpdated(Profile),
    /// A user's blacklist changed: the whole list after (sent to that user's topic).
    BlacklistUpdated {
        /// The blacklist owner.
        owner: String,
        /// The whole list after the change.
        list: Vec<String>,
    },
}
