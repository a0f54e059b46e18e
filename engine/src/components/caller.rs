//! A caller with a call policy ([`CallPolicy`]): what it keeps to time its
//! attempts out and to retry them. The kernel sends each attempt as a clone
//! of the caller's request (`Simulation::send_attempt`) and decides when one
//! ends (`Simulation::attempt_ended`, `Simulation::on_attempt_sweep`) and
//! whether to retry (`Simulation::retry_or_fail`); this is the caller's side
//! of the books: deadlines, backoff, jitter, the retry budget, and a circuit
//! breaker and a connection pool per wire it calls over.

use crate::base::rng::{Stream, StreamPurpose};
use crate::base::time::{ms_to_ns, Nanos};
use crate::blocks::breaker::{Breaker, State, Transition};
use crate::blocks::pool::{Pool, Waiter};
use crate::blocks::request::Cause;
use crate::blocks::retry::{Backoff, Budget, Jitter};
use crate::model::scenario::{BackoffKind, CallPolicy, JitterKind};
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
    backoff: Backoff,
    jitter: Jitter,
    budget: Option<Budget>,
    /// Jitter's draws (only when jitter is not none).
    rng: Stream,
    /// With a breaker in the policy: one per wire called over, made on the
    /// first call (wires are never reused, so a removed wire's just idles).
    breakers: Vec<(u16, Breaker)>,
    /// With a pool in the policy: one per wire called over, made on the
    /// first call, as the breakers are.
    pools: Vec<(u16, Pool)>,
}

impl Caller {
    pub fn new(policy: CallPolicy, seed: u64, slot: usize) -> Caller {
        Caller {
            policy,
            timeout: timeout(&policy),
            deadlines: VecDeque::new(),
            sweep_at: None,
            backoff: backoff(&policy),
            jitter: jitter(&policy),
            budget: policy.budget.map(|b| Budget::new(b.tokens, b.refill)),
            rng: Stream::new(seed, slot, StreamPurpose::Retries),
            breakers: Vec::new(),
            pools: Vec::new(),
        }
    }

    /// New settings while running; the budget keeps its tokens (at most its
    /// new size) and the jitter's stream carries on. Returns whether the
    /// deadlines of the attempts under way must be rebuilt (the timeout
    /// changed).
    pub fn update(&mut self, policy: CallPolicy) -> bool {
        let before = self.timeout;
        self.policy = policy;
        self.timeout = timeout(&policy);
        self.backoff = backoff(&policy);
        self.jitter = jitter(&policy);
        self.budget = match (self.budget, policy.budget) {
            (Some(b), Some(p)) => Some(b.retuned(p.tokens, p.refill)),
            (_, p) => p.map(|p| Budget::new(p.tokens, p.refill)),
        };
        // The breakers keep their state under new settings, and go with the setting.
        match policy.breaker {
            Some(b) => self.breakers.iter_mut().for_each(|(_, br)| br.retune(b.settings())),
            None => self.breakers.clear(),
        }
        // The pools keep their connections and waiters under a new size
        // (the kernel wakes the waiters a bigger pool lets in); the kernel
        // takes the waiters out first when the pool goes (`take_waiters`).
        match policy.pool {
            Some(p) => self.pools.iter_mut().for_each(|(_, pool)| pool.resize(p.size)),
            None => self.pools.clear(),
        }
        self.timeout != before
    }

    /// After an attempt failed with `cause`, its request having sent
    /// `sent` attempts: the delay before retrying it, or `None` when it is
    /// not retried (a cause not worth retrying, no attempts left, or no
    /// token in the budget, which a retry spends).
    pub fn retry_after(&mut self, cause: Cause, sent: u32) -> Option<Nanos> {
        if !cause.retryable() || sent >= self.policy.max_attempts {
            return None;
        }
        if let Some(b) = &mut self.budget {
            if !b.try_spend() {
                return None;
            }
        }
        let d = self.backoff.delay(sent);
        Some(if self.jitter.draws() { self.jitter.apply(d, self.rng.uniform()) } else { d })
    }

    /// An attempt succeeded: the budget gets its share of a token back.
    pub fn succeeded(&mut self) {
        if let Some(b) = &mut self.budget {
            b.succeeded();
        }
    }

    /// The caller's machine restarted: its retry budget, kept in memory,
    /// starts full again. So do its breakers, closed: their counts lived in
    /// the process that died, and a fresh process knows nothing of how its
    /// dependencies fared (client libraries keep this state in memory).
    pub fn restarted(&mut self) {
        self.budget = self.policy.budget.map(|b| Budget::new(b.tokens, b.refill));
        self.breakers.clear();
        // Its connections died with it (the kernel ended its waiters' lines
        // and unmarked the calls that held them first).
        self.pools.clear();
    }

    /// Whether calls go through a connection pool.
    #[inline]
    pub fn pooled(&self) -> bool {
        self.policy.pool.is_some()
    }

    fn pool_mut(&mut self, wire: u16) -> Option<&mut Pool> {
        let size = self.policy.pool?.size;
        Some(per_wire(&mut self.pools, wire, || Pool::new(size)))
    }

    /// A call over `wire` takes a connection (true; always without a pool)
    /// or waits in line as `w` (false).
    pub fn acquire(&mut self, wire: u16, w: Waiter) -> bool {
        self.pool_mut(wire).is_none_or(|p| p.acquire(w))
    }

    /// A call over `wire` that held a connection ended: it goes back.
    pub fn release(&mut self, wire: u16) {
        if let Some((_, p)) = self.pools.iter_mut().find(|(w, _)| *w == wire) {
            p.release();
        }
    }

    /// The next waiter on `wire` given a connection, if one is free.
    pub fn next_waiter(&mut self, wire: u16) -> Option<Waiter> {
        self.pools.iter_mut().find(|(w, _)| *w == wire)?.1.grant_next()
    }

    /// The wires with a pool (to wake their waiters after a resize).
    pub fn pool_wires(&self) -> Vec<u16> {
        self.pools.iter().map(|(w, _)| *w).collect()
    }

    /// A waiter that has waited its longest (`max_wait`) by `now`, taken
    /// out of its line, with its wire.
    pub fn expired_waiter(&mut self, now: Nanos) -> Option<(u16, Waiter)> {
        let max = self.max_wait()?;
        let at = now.checked_sub(max)?;
        self.pools.iter_mut().find_map(|(wire, p)| p.expired(at).map(|w| (*wire, w)))
    }

    /// When the next waiter will have waited its longest, if any waits.
    pub fn next_expiry(&self) -> Option<Nanos> {
        let max = self.max_wait()?;
        self.pools.iter().filter_map(|(_, p)| p.oldest()).min().map(|t| t + max)
    }

    fn max_wait(&self) -> Option<Nanos> {
        self.policy.pool?.max_wait_ms.map(|ms| ms_to_ns(ms).max(1))
    }

    /// Every waiter of every pool, taken out of line (the pool goes away,
    /// or the caller crashed), with its wire.
    pub fn take_waiters(&mut self) -> Vec<(u16, Waiter)> {
        self.pools.iter_mut().flat_map(|(wire, p)| p.drain().into_iter().map(move |w| (*wire, w))).collect()
    }

    /// Connections in use, the pools' sizes, and calls waiting, over every
    /// wire's pool (`None` without a pool in the policy).
    pub fn pool_view(&self) -> Option<(u32, u32, u32)> {
        let size = self.policy.pool?.size;
        let in_use = self.pools.iter().map(|(_, p)| p.in_use()).sum();
        let waiting = self.pools.iter().map(|(_, p)| p.waiting() as u32).sum();
        Some((in_use, size.saturating_mul(self.pools.len().max(1) as u32), waiting))
    }

    /// Calls waiting for a connection (for the memory reading).
    pub fn pool_entries(&self) -> usize {
        self.pools.iter().map(|(_, p)| p.waiting()).sum()
    }

    fn breaker_mut(&mut self, wire: u16) -> Option<&mut Breaker> {
        let settings = self.policy.breaker?.settings();
        Some(per_wire(&mut self.breakers, wire, || Breaker::new(settings)))
    }

    /// May an attempt go out over `wire` at `now`? Always without a
    /// breaker; with one, as [`Breaker::allow`] says.
    pub fn allow(&mut self, wire: u16, now: Nanos) -> (bool, Option<Transition>) {
        match self.breaker_mut(wire) {
            None => (true, None),
            Some(b) => b.allow(now),
        }
    }

    /// An attempt sent over `wire` at `sent_at` ended at `now` with
    /// `failure`: the wire's breaker counts it. A `rate_limited` answer is
    /// not a failure: the callee is up and asks to slow down, which the
    /// retry policy (a budget, a backoff) is for, not the breaker.
    pub fn record(&mut self, wire: u16, now: Nanos, sent_at: Nanos, failure: Option<Cause>) -> Option<Transition> {
        let failed = failure.is_some_and(|c| c != Cause::RateLimited);
        self.breaker_mut(wire)?.record(now, sent_at, failed)
    }

    /// An attempt sent over `wire` at `sent_at` ended by the caller's own
    /// doing (it gave up on the call, or restarted since): the wire's
    /// breaker does not count it ([`Breaker::withdraw`]).
    pub fn withdraw(&mut self, wire: u16, sent_at: Nanos) {
        if let Some(b) = self.breaker_mut(wire) {
            b.withdraw(sent_at);
        }
    }

    /// The breaker on `wire` at `now` (closed, nothing counted, before the
    /// first call), or `None` without a breaker in the policy.
    pub fn breaker_view(&self, wire: u16, now: Nanos) -> Option<(State, f64)> {
        self.policy.breaker?;
        Some(self.breakers.iter().find(|(w, _)| *w == wire).map_or((State::Closed, 0.0), |(_, b)| b.view(now)))
    }

    /// Tokens left in the retry budget (`None`: no budget).
    pub fn tokens(&self) -> Option<f64> {
        self.budget.map(|b| b.tokens())
    }
}

/// What a caller keeps for wire `wire` (a breaker, a pool), made by `make`
/// on the first call over it.
fn per_wire<T>(kept: &mut Vec<(u16, T)>, wire: u16, make: impl FnOnce() -> T) -> &mut T {
    let i = match kept.iter().position(|(w, _)| *w == wire) {
        Some(i) => i,
        None => {
            kept.push((wire, make()));
            kept.len() - 1
        }
    };
    &mut kept[i].1
}

fn backoff(policy: &CallPolicy) -> Backoff {
    let ns = |ms: Option<f64>, default: f64| ms_to_ns(ms.unwrap_or(default));
    match policy.backoff {
        BackoffKind::None => Backoff::None,
        BackoffKind::Constant => Backoff::Constant { delay: ns(policy.backoff_ms, BackoffKind::DEFAULT_MS) },
        BackoffKind::Exponential => Backoff::Exponential {
            base: ns(policy.backoff_ms, BackoffKind::DEFAULT_MS),
            cap: ns(policy.backoff_cap_ms, BackoffKind::DEFAULT_CAP_MS),
        },
    }
}

fn jitter(policy: &CallPolicy) -> Jitter {
    match policy.jitter {
        JitterKind::None => Jitter::None,
        JitterKind::Full => Jitter::Full,
        JitterKind::Equal => Jitter::Equal,
    }
}

fn timeout(policy: &CallPolicy) -> Option<Nanos> {
    policy.attempt_timeout_ms.map(|ms| ms_to_ns(ms).max(1))
}

/// The run-time caller for `policy` (`None` without one) of node `slot`.
pub fn for_policy(policy: Option<CallPolicy>, seed: u64, slot: usize) -> Option<Box<Caller>> {
    policy.map(|p| Box::new(Caller::new(p, seed, slot)))
}

/// A new call policy while running, for the caller kept in `caller` by
/// node `slot`. Returns whether the deadlines of the attempts under way
/// must be rebuilt: the timeout changed, or the policy came or went
/// (attempts sent without one have no deadline; with none, attempts under
/// way wait for their answers).
pub fn retune(caller: &mut Option<Box<Caller>>, policy: Option<CallPolicy>, seed: u64, slot: usize) -> bool {
    match (caller, policy) {
        (Some(c), Some(p)) => c.update(p),
        (None, None) => false,
        (c, p) => {
            *c = for_policy(p, seed, slot);
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeout_change_asks_for_the_deadlines_to_be_rebuilt() {
        let mut c = Caller::new(CallPolicy::attempts(1, Some(20.0)), 1, 0);
        assert_eq!(c.timeout, Some(20_000_000));
        assert!(!c.update(CallPolicy::attempts(3, Some(20.0))));
        assert!(c.update(CallPolicy::attempts(1, None)));
        assert_eq!(c.timeout, None);
        // A tiny timeout still waits a nanosecond.
        assert_eq!(Caller::new(CallPolicy::attempts(1, Some(1e-9)), 1, 0).timeout, Some(1));
    }

    #[test]
    fn retries_follow_the_cause_the_attempts_left_and_the_budget() {
        let policy = CallPolicy {
            backoff: BackoffKind::Exponential,
            backoff_ms: Some(50.0),
            backoff_cap_ms: Some(150.0),
            budget: Some(crate::model::scenario::RetryBudget { tokens: 2, refill: 0.5 }),
            ..CallPolicy::attempts(4, None)
        };
        let mut c = Caller::new(policy, 1, 0);
        assert_eq!(c.retry_after(Cause::NoRoute, 1), None, "nowhere to go: not worth a retry");
        assert_eq!(c.retry_after(Cause::ClientTimeout, 1), None);
        assert_eq!(c.retry_after(Cause::Error, 4), None, "no attempts left");
        assert_eq!(c.retry_after(Cause::Error, 1), Some(50_000_000));
        assert_eq!(c.retry_after(Cause::Timeout, 3), Some(150_000_000), "200 ms capped at 150");
        assert_eq!(c.retry_after(Cause::Error, 1), None, "the budget is spent");
        c.succeeded();
        c.succeeded();
        assert_eq!(c.tokens(), Some(1.0));
        assert_eq!(c.retry_after(Cause::Rejected, 2), Some(100_000_000));
        // Full jitter draws below the delay.
        let mut j = Caller::new(
            CallPolicy {
                backoff: BackoffKind::Constant,
                backoff_ms: Some(10.0),
                jitter: JitterKind::Full,
                ..CallPolicy::attempts(2, None)
            },
            1,
            0,
        );
        let d = j.retry_after(Cause::Shed, 1).unwrap();
        assert!(d < 10_000_000, "{d}");
    }

    #[test]
    fn a_restart_fills_the_budget_again() {
        let policy = CallPolicy {
            budget: Some(crate::model::scenario::RetryBudget { tokens: 2, refill: 0.1 }),
            ..CallPolicy::attempts(4, None)
        };
        let mut c = Caller::new(policy, 1, 0);
        assert!(c.retry_after(Cause::Error, 1).is_some());
        assert!(c.retry_after(Cause::Error, 1).is_some());
        assert_eq!(c.retry_after(Cause::Error, 1), None, "spent");
        c.restarted();
        assert_eq!(c.tokens(), Some(2.0));
    }
}
