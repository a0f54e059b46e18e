//! Questions asked of designs by running them: queueing theory beside the simulation, A/B
//! comparison, the resilience report, back-of-the-envelope estimates.
//!
//! On top: runs simulations, never runs inside one.

pub mod before_after;
pub mod compare;
pub mod compare_session;
pub mod envelope;
pub mod job;
pub mod live_session;
pub mod pair_run;
pub mod resilience;
pub mod theory;
