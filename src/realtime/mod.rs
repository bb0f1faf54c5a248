//! Live delivery: the event bus, presence, and helpers for subscription streams.

pub mod bus;
pub mod events;
pub mod feed;
pub mod locks;
pub mod presence;
pub mod stream;

pub use bus::{EventBus, InProcessBus, Topic};
pub use events::Event;
pub use presence::{Presence, PresenceGuard};
