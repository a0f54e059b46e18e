//! A caller with a call policy ([`CallPolicy`]): what it keeps to time its
//! attempts out. The kernel sends each attempt as a clone of the caller's
//! request (`Simulation::send_attempt`) and decides when one ends
//! (`Simulation::attempt_ended`, `Simulation::on_attempt_sweep`); this is
//! the caller's side of the books.

use crate::base::time::{ms_to_ns, Nanos};
use crate::model::scenario::CallPolicy;
use std::collections::VecDeque;

/// An attempt's deadline: the attempt in arena slot `slot` (while its
/// generation is `generation`) ends with `timeout` at `at` unless answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptDeadline {
    pub at: Nanos,
    pub slot: u32,
    pub generation: u32,
}

#[derive(Debug)]
pub struct Caller {
    pub policy: CallPolicy,
    /// The timeout per attempt (`None`: none), in nanoseconds, at least 1.
    pub timeout: Option<Nanos>,
    /// Deadlines of the attempts sent, in the order sent: with one timeout
    /// per caller that is also the order they fall due, so one sweep at the
    /// front's time suffices (as a station's `deadlines`). Entries of
    /// attempts answered meanwhile are skipped when reached.
    pub deadlines: VecDeque<AttemptDeadline>,
    /// When the next sweep of `deadlines` is scheduled, if one is.
    pub sweep_at: Option<Nanos>,
}

impl Caller {
    pub fn new(policy: CallPolicy) -> Caller {
        Caller { policy, timeout: timeout(&policy), deadlines: VecDeque::new(), sweep_at: None }
    }

    /// New settings while running. Returns whether the deadlines of the
    /// attempts under way must be rebuilt (the timeout changed).
    pub fn update(&mut self, policy: CallPolicy) -> bool {
        let before = self.timeout;
        self.policy = policy;
        self.timeout = timeout(&policy);
        self.timeout != before
    }
}

fn timeout(policy: &CallPolicy) -> Option<Nanos> {
    policy.attempt_timeout_ms.map(|ms| ms_to_ns(ms).max(1))
}

/// The run-time caller for `policy` (`None` without one).
pub fn for_policy(policy: Option<CallPolicy>) -> Option<Box<Caller>> {
    policy.map(|p| Box::new(Caller::new(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_change_asks_for_the_deadlines_to_be_rebuilt() {
        let mut c = Caller::new(CallPolicy { attempt_timeout_ms: Some(20.0), max_attempts: 1 });
        assert_eq!(c.timeout, Some(20_000_000));
        assert!(!c.update(CallPolicy { attempt_timeout_ms: Some(20.0), max_attempts: 1 }));
        assert!(c.update(CallPolicy { attempt_timeout_ms: None, max_attempts: 1 }));
        assert_eq!(c.timeout, None);
        // A tiny timeout still waits a nanosecond.
        assert_eq!(Caller::new(CallPolicy { attempt_timeout_ms: Some(1e-9), max_attempts: 1 }).timeout, Some(1));
    }
}
