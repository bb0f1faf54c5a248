//! Live delivery transport: the event bus, presence, channel locks and
//! helpers for subscription streams. No database and no domain code: the
//! events it carries are defined by the domains (`messages::events`).

pub mod bus;
pub mod locks;
pub mod presence;
pub mod stream;

pub use bus::{EventBus, InProcessBus, Subscription, SubscriptionStream, Topic};
pub use presence::{Presence, PresenceGuard};
