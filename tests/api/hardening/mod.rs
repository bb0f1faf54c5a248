//! Issue 9's hardening of messages: bounded merged records, linear list
//! inputs, one sequence per message under concurrent sends, read receipts
//! only when the read position moves, and texts both databases can hold.

mod lists;
mod merged;
mod receipts;
mod send_races;
mod texts;
