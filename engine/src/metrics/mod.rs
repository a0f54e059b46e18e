//! What a run counts: per-node statistics, the per-second series, the event log, sampled hops,
//! confidence intervals.
//!
//! Counters and their summaries only; below the components and the kernel that feed them.

pub mod confidence;
pub mod hops;
pub mod log;
pub mod series;
pub mod stats;
