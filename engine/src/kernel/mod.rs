//! The simulation: the event loop and its bookkeeping, live edits and faults, snapshots, the
//! report, traces and where the time goes.
//!
//! Imports anything below; nothing below imports it.

pub mod breakdown;
mod coalesce;
pub mod edit;
pub(crate) mod injected;
mod latency;
mod pool;
pub mod publish;
pub mod recent;
pub mod report;
pub mod sim;
pub mod snapshot;
pub mod trace;
