//! Faults a user can inject into a node (or, scheduled, between data
//! centers): part of a scenario's schedule as much as of a live edit, so the
//! model holds them and the kernel carries them out.

use serde::{Deserialize, Serialize};

/// Fault names as written in scenario files (`"fault": "errors"`).
pub const FAULTS: &[&str] = &["fail", "recover", "slow", "flush", "partition", "heal", "errors", "spike"];

/// Faults the user can inject into a node.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// The node crashes: what it holds fails, and so does everything sent to it.
    Fail,
    /// Back to normal service (a recovered server starts empty).
    Recover,
    /// Service takes `factor` times longer (1 < factor <= 100).
    Slow { factor: f64 },
    /// A cache forgets everything and starts cold (the database feels it).
    Flush,
    /// Scheduled only (with `with`): cut the network between two data centers.
    Partition,
    /// Scheduled only (with `with`): restore it.
    Heal,
    /// A share of the requests reaching the node (0 < share <= 1) fail at
    /// once with cause `error`, until it recovers.
    Errors { share: f64 },
    /// Service takes `factor` times longer (1 < factor <= 100) for
    /// `duration_s` seconds, then goes back to what it was by itself. A
    /// spike during a spike replaces it: its factor multiplies the speed from
    /// before the first, and the first's end no longer comes.
    Spike { factor: f64, duration_s: f64 },
}
