//! The controller of an autoscaling group: how many instances to run.
//!
//! Autoscaling teaches that capacity is not free and not instant. New instances
//! take `boot_s` to become useful, so a group sized for the traffic it sees is
//! always late for a spike; shrinking too eagerly throws away capacity that is
//! needed a minute later. This module is the decision maker only: a pure state
//! machine that the simulation calls with a number and the time. It never
//! measures anything, starts a server or draws a random number.
//!
//! **The metric is generic.** The caller passes `load`, the metric averaged over
//! the *running* (booted) instances, and the policy holds a `target` for it:
//! busy fraction for web servers ([`Metric::Utilization`], target e.g. 0.6), or
//! messages waiting per instance for workers ([`Metric::Backlog`], e.g. 10).
//! With no instance running (a worker group scaled to zero), `load` is the whole
//! backlog, as if one instance had to carry it.
//!
//! **The rule is target tracking**, as in AWS Auto Scaling and the Kubernetes
//! horizontal pod autoscaler: `desired = ceil(running × load / target)`, clamped
//! to `[min, max]`. Total demand is `running × load`; each instance should carry
//! `target` of it. Two standard guards stop the group from flapping:
//!
//! - **Tolerance.** When `load / target` is within [`TOLERANCE`] (10%) of 1 the
//!   group is left alone (the HPA's default tolerance): a load that wobbles around
//!   its target is on target.
//! - **Scale in slowly, scale out at once.** Too little capacity fails requests
//!   now; too much only costs money. So a scale-out happens at the first check
//!   that asks for it, with no cooldown. Instances still booting count as capacity,
//!   so the group does not launch again for load they are about to absorb (that is
//!   what AWS's scale-out cooldown is for, here without a timer). A scale-in
//!   happens only when (a) no instance is booting, (b) `cooldown_s` has passed
//!   since the last change took effect (a scale-in, or the moment the instances of
//!   the last scale-out became ready: the metric needs that long to reflect the
//!   new size), and (c) every check in the last `cooldown_s` asked for fewer
//!   instances; the group then shrinks to the largest count asked for in that
//!   window (the HPA's stabilisation window). A dip of one second does not empty
//!   the group, and a load that swings settles at the size its peaks need.
//!
//! The bounds are hard: the group never has fewer than `min` or more than `max`
//! instances, booting ones included. A group below `min` (an instance died) is
//! topped up at the next check, and one above `max` (the policy was edited) is
//! cut at once, booting instances first, whatever the cooldown.
//!
//! **How the simulation drives it.** Create it with [`Autoscaler::new`]. At
//! [`Autoscaler::next_event_time`], first call [`Autoscaler::poll_ready`] (and add
//! that many servers), then, if the check is due, [`Autoscaler::evaluate`] with
//! the metric of the interval just ended, and act on the [`ScaleAction`]: start
//! nothing for `Out` (its instances arrive through `poll_ready` at `ready_at`),
//! stop `count` running instances for `In`. Its `Display` is the event-log line.
//! Memory is bounded: the stabilisation window keeps at most one entry per
//! distinct instance count (`max + 1`).

use crate::base::time::{ns_to_secs, secs_to_ns, Nanos};
use serde::Serialize;
use std::collections::VecDeque;
use std::fmt;

/// The largest group accepted.
pub const MAX_INSTANCES: u32 = 1000;
/// No change while `load / target` is within this fraction of 1.
pub const TOLERANCE: f64 = 0.1;
/// The longest boot delay and cooldown accepted, in seconds (an hour).
pub const MAX_DELAY_S: f64 = 3600.0;
/// The range of the check interval, in seconds.
pub const MIN_CHECK_INTERVAL_S: f64 = 0.1;
pub const MAX_CHECK_INTERVAL_S: f64 = 600.0;
/// The range of a utilization target: below 5% the group would be mostly idle
/// servers, above 95% it would scale only once requests already queue.
pub const MIN_UTILIZATION_TARGET: f64 = 0.05;
pub const MAX_UTILIZATION_TARGET: f64 = 0.95;
/// The largest backlog target, in messages per instance.
pub const MAX_BACKLOG_TARGET: f64 = 1_000_000.0;

/// What `load` and `target` measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The busy fraction of the running instances' workers, `0..=1` when measured
    /// (an offered load above 1 is accepted and sizes the group in one step).
    Utilization,
    /// Messages waiting per running instance (the whole backlog when none runs).
    Backlog,
}

/// The parameters of an autoscaling group. Build one with
/// [`AutoscalePolicy::utilization`] or [`AutoscalePolicy::backlog`] (default
/// timing) and [`AutoscalePolicy::with_timing`]; a value built by hand is checked
/// by [`AutoscalePolicy::validate`] and by [`Autoscaler::new`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AutoscalePolicy {
    pub metric: Metric,
    /// Fewest instances, booting ones included. At least 1 for utilization (with no
    /// server there is no utilization to measure); 0 lets workers scale to zero.
    pub min: u32,
    /// Most instances, booting ones included, `1..=MAX_INSTANCES`.
    pub max: u32,
    /// The value of the metric each instance should run at.
    pub target: f64,
    /// From the decision to start an instance to its first request, in seconds.
    pub boot_s: f64,
    /// How long a lower load must last, and how long after the last change, before
    /// the group shrinks, in seconds.
    pub cooldown_s: f64,
    /// Seconds between two decisions.
    pub check_interval_s: f64,
}

impl AutoscalePolicy {
    /// Time to boot a virtual machine and start the application (a compressed but
    /// honest figure: real ones take one to a few minutes).
    pub const DEFAULT_BOOT_S: f64 = 30.0;
    /// Low load must last a minute before the group shrinks.
    pub const DEFAULT_COOLDOWN_S: f64 = 60.0;
    /// One decision per simulated second, like the charts.
    pub const DEFAULT_CHECK_INTERVAL_S: f64 = 1.0;
    /// Leaves 40% headroom for the traffic that grows while new instances boot.
    pub const DEFAULT_UTILIZATION_TARGET: f64 = 0.6;

    /// A group of web servers tracking `target` utilization (e.g. 0.6), default timing.
    pub fn utilization(min: u32, max: u32, target: f64) -> Result<Self, AutoscaleError> {
        Self::with_metric(Metric::Utilization, min, max, target)
    }

    /// A group of workers tracking `target` messages waiting per instance, default timing.
    pub fn backlog(min: u32, max: u32, target: f64) -> Result<Self, AutoscaleError> {
        Self::with_metric(Metric::Backlog, min, max, target)
    }

    fn with_metric(metric: Metric, min: u32, max: u32, target: f64) -> Result<Self, AutoscaleError> {
        let p = AutoscalePolicy {
            metric,
            min,
            max,
            target,
            boot_s: Self::DEFAULT_BOOT_S,
            cooldown_s: Self::DEFAULT_COOLDOWN_S,
            check_interval_s: Self::DEFAULT_CHECK_INTERVAL_S,
        };
        p.validate()?;
        Ok(p)
    }

    /// The same policy with other timings (seconds): `boot_s` and `cooldown_s` in
    /// `[0, MAX_DELAY_S]`, `check_interval_s` in `[MIN_CHECK_INTERVAL_S, MAX_CHECK_INTERVAL_S]`.
    pub fn with_timing(self, boot_s: f64, cooldown_s: f64, check_interval_s: f64) -> Result<Self, AutoscaleError> {
        let p = AutoscalePolicy { boot_s, cooldown_s, check_interval_s, ..self };
        p.validate()?;
        Ok(p)
    }

    /// Checks every field (the constructors call this).
    pub fn validate(&self) -> Result<(), AutoscaleError> {
        if !(1..=MAX_INSTANCES).contains(&self.max) {
            return Err(AutoscaleError::Max(self.max));
        }
        if self.min > self.max {
            return Err(AutoscaleError::MinAboveMax { min: self.min, max: self.max });
        }
        let target_ok = match self.metric {
            Metric::Utilization => {
                if self.min == 0 {
                    return Err(AutoscaleError::ZeroMinUtilization);
                }
                (MIN_UTILIZATION_TARGET..=MAX_UTILIZATION_TARGET).contains(&self.target)
            }
            Metric::Backlog => self.target > 0.0 && self.target <= MAX_BACKLOG_TARGET,
        };
        if !target_ok {
            return Err(AutoscaleError::Target { metric: self.metric, value: self.target });
        }
        if !(0.0..=MAX_DELAY_S).contains(&self.boot_s) {
            return Err(AutoscaleError::BootTime(self.boot_s));
        }
        if !(0.0..=MAX_DELAY_S).contains(&self.cooldown_s) {
            return Err(AutoscaleError::Cooldown(self.cooldown_s));
        }
        if !(MIN_CHECK_INTERVAL_S..=MAX_CHECK_INTERVAL_S).contains(&self.check_interval_s) {
            return Err(AutoscaleError::CheckInterval(self.check_interval_s));
        }
        Ok(())
    }
}

/// A policy parameter out of range; `Display` says what to change.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AutoscaleError {
    /// `max` not in `1..=MAX_INSTANCES`.
    Max(u32),
    MinAboveMax {
        min: u32,
        max: u32,
    },
    /// A utilization-tracking group with `min = 0`.
    ZeroMinUtilization,
    Target {
        metric: Metric,
        value: f64,
    },
    BootTime(f64),
    Cooldown(f64),
    CheckInterval(f64),
    /// A starting size outside `[min, max]`.
    Initial {
        initial: u32,
        min: u32,
        max: u32,
    },
}

impl fmt::Display for AutoscaleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            AutoscaleError::Max(m) => {
                write!(f, "the maximum group size must be between 1 and {MAX_INSTANCES} instances, got {m}")
            }
            AutoscaleError::MinAboveMax { min, max } => write!(
                f,
                "the minimum group size ({min}) must not exceed the maximum ({max}): lower \
                 min or raise max"
            ),
            AutoscaleError::ZeroMinUtilization => write!(
                f,
                "a group that scales on utilization needs a minimum of at least 1 instance: \
                 with none running there is no utilization to measure (a minimum of 0 is for \
                 workers that scale on their backlog)"
            ),
            AutoscaleError::Target { metric: Metric::Utilization, value } => write!(
                f,
                "the target utilization must be between {MIN_UTILIZATION_TARGET} and \
                 {MAX_UTILIZATION_TARGET} (0.6 keeps 40% headroom while new instances boot), \
                 got {value}"
            ),
            AutoscaleError::Target { metric: Metric::Backlog, value } => write!(
                f,
                "the target backlog must be more than 0 and at most {MAX_BACKLOG_TARGET} \
                 messages per instance (e.g. 10: each worker should have about 10 waiting), \
                 got {value}"
            ),
            AutoscaleError::BootTime(b) => write!(
                f,
                "the boot time must be between 0 and {MAX_DELAY_S} s (30 is a quick virtual \
                 machine), got {b}"
            ),
            AutoscaleError::Cooldown(c) => write!(
                f,
                "the cooldown must be between 0 and {MAX_DELAY_S} s (60 waits a minute of low \
                 load before shrinking), got {c}"
            ),
            AutoscaleError::CheckInterval(i) => write!(
                f,
                "the check interval must be between {MIN_CHECK_INTERVAL_S} and \
                 {MAX_CHECK_INTERVAL_S} s (1 decides every second), got {i}"
            ),
            AutoscaleError::Initial { initial, min, max } => write!(
                f,
                "the group must start with between {min} and {max} instances (its minimum and \
                 maximum), got {initial}"
            ),
        }
    }
}

impl std::error::Error for AutoscaleError {}

/// Why the group changed size; `Display` is the end of the event-log line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reason {
    /// The metric away from its target. `running` is the number of instances it
    /// was measured on.
    Load { metric: Metric, load: f64, target: f64, running: u32 },
    /// Fewer instances than the minimum (one died, or the minimum was raised).
    BelowMin { min: u32 },
    /// More instances than the maximum (the maximum was lowered).
    AboveMax { max: u32 },
}

/// Whole numbers without decimals, others with one: `92`, `3.5`.
fn number(x: f64) -> String {
    if (x - x.round()).abs() < 0.05 || x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Reason::Load { metric, load, target, running } => {
                let side = if load > target { "above" } else { "below" };
                match metric {
                    Metric::Utilization => {
                        write!(f, "utilization {:.0}% {side} target {:.0}%", load * 100.0, target * 100.0)
                    }
                    Metric::Backlog if running == 0 => write!(
                        f,
                        "backlog {} with no instance running (target {} per instance)",
                        number(load),
                        number(target)
                    ),
                    Metric::Backlog => {
                        write!(f, "backlog {} per instance {side} target {}", number(load), number(target))
                    }
                }
            }
            Reason::BelowMin { min } => write!(f, "below the minimum of {min} instances"),
            Reason::AboveMax { max } => write!(f, "above the maximum of {max} instances"),
        }
    }
}

/// Why a check changed nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold {
    /// Called before the next check is due.
    NotDue { next_check: Nanos },
    /// The load was NaN or negative: no evidence either way.
    NoData,
    /// The group has the size the load asks for (or the load is within tolerance).
    OnTarget,
    /// More instances are wanted, but the group is at its maximum: the log's
    /// warning that autoscaling has run out of room.
    AtMax { wanted: u32 },
    /// Fewer are wanted, but instances are still booting.
    Booting { wanted: u32 },
    /// Fewer are wanted, but the last change took effect less than `cooldown_s` ago.
    Cooldown { wanted: u32, until: Nanos },
    /// Fewer are wanted now, but a check in the last `cooldown_s` wanted `holding`.
    Stabilizing { wanted: u32, holding: u32 },
}

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ScaleAction {
    /// Start `count` instances, ready at `ready_at` (reported by `poll_ready`),
    /// for a group of `desired` instances in all.
    Out { count: u32, desired: u32, ready_at: Nanos, reason: Reason },
    /// Stop `count` running instances now, and cancel `cancelled` booting ones
    /// (only when the maximum was lowered), for a group of `desired` in all.
    In { count: u32, cancelled: u32, desired: u32, reason: Reason },
    /// No change.
    Hold(Hold),
}

impl ScaleAction {
    /// Whether the group changed size (the event log shows only these).
    pub fn is_change(&self) -> bool {
        !matches!(self, ScaleAction::Hold(_))
    }
}

impl fmt::Display for ScaleAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |n: u32| if n == 1 { "" } else { "s" };
        match *self {
            ScaleAction::Out { count, desired, ready_at, reason } => write!(
                f,
                "scaling out: {count} instance{} starting, {desired} in all, ready at {:.1} s: {reason}",
                s(count),
                ns_to_secs(ready_at)
            ),
            ScaleAction::In { count, cancelled, desired, reason } => {
                write!(f, "scaling in: {count} instance{} stopped", s(count))?;
                if cancelled > 0 {
                    write!(f, " and {cancelled} cancelled while booting")?;
                }
                write!(f, ", {desired} left: {reason}")
            }
            ScaleAction::Hold(h) => match h {
                Hold::NotDue { next_check } => {
                    write!(f, "holding: next check at {:.1} s", ns_to_secs(next_check))
                }
                Hold::NoData => write!(f, "holding: no measurement"),
                Hold::OnTarget => write!(f, "holding: on target"),
                Hold::AtMax { wanted } => {
                    write!(f, "holding at the maximum: {wanted} instances wanted; raise the maximum")
                }
                Hold::Booting { wanted } => {
                    write!(f, "holding: {wanted} wanted, waiting for instances to boot")
                }
                Hold::Cooldown { wanted, until } => {
                    write!(f, "holding: {wanted} wanted, cooling down until {:.1} s", ns_to_secs(until))
                }
                Hold::Stabilizing { wanted, holding } => {
                    write!(f, "holding: {wanted} wanted now, but {holding} within the cooldown")
                }
            },
        }
    }
}

/// The state of one autoscaling group: see the module documentation.
#[derive(Clone, Debug)]
pub struct Autoscaler {
    policy: AutoscalePolicy,
    boot: Nanos,
    cooldown: Nanos,
    interval: Nanos,
    running: u32,
    /// `(ready_at, count)`, in increasing `ready_at`.
    booting: VecDeque<(Nanos, u32)>,
    booting_total: u32,
    next_check: Nanos,
    /// When the latest change took effect: a scale-in, the readiness of the
    /// latest scale-out, or the creation of the group.
    settled_at: Nanos,
    /// The stabilisation window: `(check time, recommended count)` of the checks
    /// in the last `cooldown`, kept only while no later check recommended as many
    /// or more, so counts strictly decrease from front to back and the front is
    /// the window's maximum (a monotonic queue: O(1) amortised per check, at most
    /// `max + 1` entries).
    recent: VecDeque<(Nanos, u32)>,
}

impl Autoscaler {
    /// A group created at `now` with `policy.min` instances running (a group
    /// scaling to zero starts empty). The first check is one interval later.
    pub fn new(policy: AutoscalePolicy, now: Nanos) -> Result<Autoscaler, AutoscaleError> {
        Autoscaler::with_running(policy, policy.min, now)
    }

    /// A group created at `now` with `running` instances already up.
    pub fn with_running(policy: AutoscalePolicy, running: u32, now: Nanos) -> Result<Autoscaler, AutoscaleError> {
        policy.validate()?;
        if !(policy.min..=policy.max).contains(&running) {
            return Err(AutoscaleError::Initial { initial: running, min: policy.min, max: policy.max });
        }
        let interval = secs_to_ns(policy.check_interval_s).max(1);
        Ok(Autoscaler {
            policy,
            boot: secs_to_ns(policy.boot_s),
            cooldown: secs_to_ns(policy.cooldown_s),
            interval,
            running,
            booting: VecDeque::new(),
            booting_total: 0,
            next_check: now.saturating_add(interval),
            settled_at: now,
            recent: VecDeque::new(),
        })
    }

    pub fn policy(&self) -> &AutoscalePolicy {
        &self.policy
    }

    /// Instances serving requests.
    pub fn running(&self) -> u32 {
        self.running
    }

    /// Instances started but not yet ready.
    pub fn booting(&self) -> u32 {
        self.booting_total
    }

    /// Running plus booting: what the bounds apply to.
    pub fn capacity(&self) -> u32 {
        self.running + self.booting_total
    }

    /// When the next check is due.
    pub fn next_check(&self) -> Nanos {
        self.next_check
    }

    /// When the simulation should call back: the next check or the next instance
    /// becoming ready, whichever comes first.
    pub fn next_event_time(&self) -> Nanos {
        match self.booting.front() {
            Some(&(ready_at, _)) => ready_at.min(self.next_check),
            None => self.next_check,
        }
    }

    /// Instances whose boot has finished by `now`; they now count as running.
    /// Call it before [`Autoscaler::evaluate`] at the same instant.
    pub fn poll_ready(&mut self, now: Nanos) -> u32 {
        let mut ready = 0;
        while let Some(&(at, n)) = self.booting.front() {
            if at > now {
                break;
            }
            self.booting.pop_front();
            ready += n;
        }
        self.running += ready;
        self.booting_total -= ready;
        ready
    }

    /// Running instances lost (crashed, or removed by hand): up to `count` stop
    /// counting; returns how many did. The group is topped up to its minimum at the
    /// next check, and beyond that only if the load asks for it.
    pub fn lose_running(&mut self, count: u32) -> u32 {
        let lost = count.min(self.running);
        self.running -= lost;
        lost
    }

    /// A new policy from `now` on (an edit in the inspector). The bounds apply at
    /// the next check, which comes no later than one new interval from now; the
    /// stabilisation window starts afresh, since its counts were computed for the
    /// old target. Instances already booting keep their ready time.
    pub fn set_policy(&mut self, policy: AutoscalePolicy, now: Nanos) -> Result<(), AutoscaleError> {
        policy.validate()?;
        self.policy = policy;
        self.boot = secs_to_ns(policy.boot_s);
        self.cooldown = secs_to_ns(policy.cooldown_s);
        self.interval = secs_to_ns(policy.check_interval_s).max(1);
        self.next_check = self.next_check.min(now.saturating_add(self.interval));
        self.recent.clear();
        Ok(())
    }

    /// The size target tracking asks for at this `load`: `ceil(n × load / target)`
    /// with `n` the running instances (1 when none run), the current size when
    /// instances run and `load / target` is within [`TOLERANCE`] of 1, clamped to
    /// `[min, max]`.
    /// `None` when `load` is NaN or negative.
    pub fn desired(&self, load: f64) -> Option<u32> {
        self.raw_desired(load).map(|d| d.clamp(self.policy.min, self.policy.max))
    }

    /// As [`Autoscaler::desired`] but before clamping to `[min, max]`, saturating
    /// at `u32::MAX`.
    fn raw_desired(&self, load: f64) -> Option<u32> {
        // Refuses NaN as well as negative loads.
        if load.is_nan() || load < 0.0 {
            return None;
        }
        let ratio = load / self.policy.target;
        // An empty group is never on target: it cannot serve anything.
        if self.running > 0 && (ratio - 1.0).abs() <= TOLERANCE {
            return Some(self.capacity());
        }
        let demand = f64::from(self.running.max(1)) * ratio;
        // A hair below the exact multiple, so that 4 × 0.6 / 0.6 (which may come out
        // as 4.000000000000001) asks for 4 and not 5. Written so that an infinite
        // demand stays infinite.
        let want = (demand * (1.0 - 1e-12) - 1e-12).ceil();
        Some(if want >= u32::MAX as f64 {
            u32::MAX
        } else if want > 0.0 {
            want as u32
        } else {
            0
        })
    }

    /// One check at `now` with the metric `load` (see the module documentation for
    /// its meaning and for the rules). Returns [`Hold::NotDue`] and changes nothing
    /// when called before [`Autoscaler::next_check`].
    pub fn evaluate(&mut self, now: Nanos, load: f64) -> ScaleAction {
        if now < self.next_check {
            return ScaleAction::Hold(Hold::NotDue { next_check: self.next_check });
        }
        self.next_check = now.saturating_add(self.interval);
        let (min, max) = (self.policy.min, self.policy.max);
        let capacity = self.capacity();

        // The hard bounds come first, data or not.
        if capacity > max {
            return self.cut_to_max(now);
        }
        if capacity < min {
            return self.start(now, min - capacity, Reason::BelowMin { min });
        }
        let Some(raw) = self.raw_desired(load) else {
            return ScaleAction::Hold(Hold::NoData);
        };
        let wanted = raw.clamp(min, max);
        self.remember(now, wanted);
        let reason =
            Reason::Load { metric: self.policy.metric, load, target: self.policy.target, running: self.running };

        if wanted > capacity {
            return self.start(now, wanted - capacity, reason);
        }
        if wanted == capacity {
            return ScaleAction::Hold(if raw > max { Hold::AtMax { wanted: raw } } else { Hold::OnTarget });
        }
        // Fewer wanted: every guard must agree.
        if self.booting_total > 0 {
            return ScaleAction::Hold(Hold::Booting { wanted });
        }
        let until = self.settled_at.saturating_add(self.cooldown);
        if now < until {
            return ScaleAction::Hold(Hold::Cooldown { wanted, until });
        }
        let holding = self.recent.front().map_or(wanted, |&(_, n)| n);
        if holding >= capacity {
            return ScaleAction::Hold(Hold::Stabilizing { wanted, holding });
        }
        // No instance is booting, so all of the capacity is running.
        let count = capacity - holding;
        self.running -= count;
        self.settled_at = now;
        ScaleAction::In { count, cancelled: 0, desired: holding, reason }
    }

    /// Adds this check's recommendation to the stabilisation window and drops
    /// what has left it. An entry stays while `time + cooldown >= now`, so a
    /// scale-in needs the lower count at every check of a full cooldown, both ends
    /// included.
    fn remember(&mut self, now: Nanos, wanted: u32) {
        while self.recent.back().is_some_and(|&(_, n)| n <= wanted) {
            self.recent.pop_back();
        }
        self.recent.push_back((now, wanted));
        while self.recent.front().is_some_and(|&(t, _)| t.saturating_add(self.cooldown) < now) {
            self.recent.pop_front();
        }
    }

    fn start(&mut self, now: Nanos, count: u32, reason: Reason) -> ScaleAction {
        let ready_at = now.saturating_add(self.boot);
        // Ready times only grow while time does; insert in order all the same, so
        // that a caller whose clock went backwards cannot unsort the queue.
        let at = self.booting.partition_point(|&(t, _)| t <= ready_at);
        self.booting.insert(at, (ready_at, count));
        self.booting_total += count;
        // The cooldown before any scale-in counts from when these are ready.
        self.settled_at = self.settled_at.max(ready_at);
        ScaleAction::Out { count, desired: self.capacity(), ready_at, reason }
    }

    /// Brings the group down to its maximum at once: booting instances go first
    /// (the latest to be ready first), since they serve nobody yet.
    fn cut_to_max(&mut self, now: Nanos) -> ScaleAction {
        let max = self.policy.max;
        let mut excess = self.capacity() - max;
        let mut cancelled = 0;
        while excess > 0 {
            let Some((_, n)) = self.booting.back_mut() else {
                break;
            };
            let k = excess.min(*n);
            *n -= k;
            cancelled += k;
            excess -= k;
            if *n == 0 {
                self.booting.pop_back();
            }
        }
        self.booting_total -= cancelled;
        self.running -= excess;
        self.settled_at = now;
        self.recent.clear();
        ScaleAction::In { count: excess, cancelled, desired: max, reason: Reason::AboveMax { max } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: f64) -> Nanos {
        secs_to_ns(x)
    }

    /// Web servers: min 2, max 20, target 60%, boot 30 s, cooldown 60 s, checks
    /// every second.
    fn web() -> AutoscalePolicy {
        AutoscalePolicy::utilization(2, 20, 0.6).unwrap()
    }

    /// The changes `(time, action)` and the running count after each check.
    type Driven = (Vec<(f64, ScaleAction)>, Vec<(f64, u32)>);

    /// Drives the group as the simulation would, one event at a time, until
    /// `end_s`: ready instances first, then the check with `load(t, running)`.
    /// Returns the changes (time, action) and the running count after each check.
    fn drive(a: &mut Autoscaler, end_s: f64, mut load: impl FnMut(f64, u32) -> f64) -> Driven {
        let (mut changes, mut sizes) = (Vec::new(), Vec::new());
        loop {
            let now = a.next_event_time();
            if now > s(end_s) {
                break;
            }
            a.poll_ready(now);
            if now >= a.next_check() {
                let t = ns_to_secs(now);
                let action = a.evaluate(now, load(t, a.running()));
                assert!(a.capacity() <= a.policy().max && a.capacity() >= a.policy().min);
                if action.is_change() {
                    changes.push((t, action));
                }
                sizes.push((t, a.running()));
            }
        }
        (changes, sizes)
    }

    #[test]
    fn a_step_in_load_scales_out_at_the_first_check_and_boots_exactly() {
        let mut a = Autoscaler::new(web(), 0).unwrap();
        assert_eq!((a.running(), a.booting(), a.next_event_time()), (2, 0, s(1.0)));
        for t in 1..10 {
            // 30%: the group is larger than needed, but already at its minimum.
            assert_eq!(a.evaluate(s(t as f64), 0.3), ScaleAction::Hold(Hold::OnTarget));
        }
        // Early calls change nothing.
        assert_eq!(a.evaluate(s(9.5), 0.9), ScaleAction::Hold(Hold::NotDue { next_check: s(10.0) }));
        // 2 servers at 90% carry 1.8 servers of work: 3 at 60%.
        let action = a.evaluate(s(10.0), 0.9);
        assert_eq!(
            action,
            ScaleAction::Out {
                count: 1,
                desired: 3,
                ready_at: s(40.0),
                reason: Reason::Load { metric: Metric::Utilization, load: 0.9, target: 0.6, running: 2 }
            }
        );
        assert_eq!(
            action.to_string(),
            "scaling out: 1 instance starting, 3 in all, ready at 40.0 s: utilization 90% \
             above target 60%"
        );
        assert_eq!((a.running(), a.booting(), a.capacity()), (2, 1, 3));
        // While it boots, the same load asks for nothing more.
        for t in 11..40 {
            assert_eq!(a.next_event_time(), s(t as f64));
            assert_eq!(a.poll_ready(s(t as f64)), 0);
            assert_eq!(a.evaluate(s(t as f64), 0.9), ScaleAction::Hold(Hold::OnTarget));
        }
        assert_eq!(a.poll_ready(s(40.0) - 1), 0);
        assert_eq!(a.poll_ready(s(40.0)), 1);
        assert_eq!((a.running(), a.booting()), (3, 0));

        // A steeper step: 3 servers at 240% offered load need 12.
        let action = a.evaluate(s(40.0), 2.4);
        assert!(matches!(action, ScaleAction::Out { count: 9, desired: 12, .. }), "{action:?}");

        // With a boot time shorter than the check interval, the next event is the
        // ready time.
        let quick = web().with_timing(0.25, 60.0, 1.0).unwrap();
        let mut b = Autoscaler::new(quick, 0).unwrap();
        b.evaluate(s(1.0), 1.2);
        assert_eq!(b.next_event_time(), s(1.25));
        assert_eq!(b.poll_ready(s(1.25)), 2);
        assert_eq!(b.next_event_time(), s(2.0));
    }

    #[test]
    fn no_scale_in_before_the_cooldown_then_scale_in() {
        // Scale out at 10 s (ready at 40 s), the load falls at 50 s.
        let mut a = Autoscaler::new(web(), 0).unwrap();
        let (changes, _) = drive(&mut a, 200.0, |t, n| {
            let busy = if t < 50.0 { 4.8 } else { 1.5 }; // servers' worth of work
            if t < 10.0 {
                0.6
            } else {
                busy / f64::from(n)
            }
        });
        // 4.8 / 0.6 = 8 servers, then 1.5 / 0.6 = 2.5 -> 3.
        assert_eq!(changes.len(), 2, "{changes:?}");
        assert!(matches!(changes[0], (10.0, ScaleAction::Out { count: 6, desired: 8, .. })));
        // Lower load seen at every check of [50 s, 110 s]: the scale-in comes at
        // 110 s, not one check earlier.
        let (t, ref action) = changes[1];
        assert_eq!(t, 110.0, "{action}");
        assert!(matches!(action, ScaleAction::In { count: 5, desired: 3, cancelled: 0, .. }));
        assert_eq!(action.to_string(), "scaling in: 5 instances stopped, 3 left: utilization 19% below target 60%");

        // And the cooldown counts from readiness: a long boot delays the scale-in
        // even though low load has lasted a full cooldown.
        let slow = web().with_timing(100.0, 60.0, 1.0).unwrap();
        let mut b = Autoscaler::new(slow, 0).unwrap();
        assert!(b.evaluate(s(1.0), 1.2).is_change()); // ready at 101 s
        for t in 2..=101 {
            b.poll_ready(s(t as f64));
            let action = b.evaluate(s(t as f64), 0.1);
            assert!(!action.is_change(), "{t}: {action}");
        }
        assert_eq!(b.running(), 4);
        for t in 102..161 {
            let action = b.evaluate(s(t as f64), 0.1);
            assert_eq!(action, ScaleAction::Hold(Hold::Cooldown { wanted: 2, until: s(161.0) }), "{t}");
        }
        assert!(matches!(b.evaluate(s(161.0), 0.1), ScaleAction::In { count: 2, .. }));
    }

    #[test]
    fn bounds_hold_with_booting_instances_counted() {
        let mut a = Autoscaler::new(web(), 0).unwrap();
        // Any load, however absurd, stops at the maximum, booting included.
        assert!(matches!(a.evaluate(s(1.0), f64::INFINITY), ScaleAction::Out { count: 18, desired: 20, .. }));
        assert_eq!(a.evaluate(s(2.0), 1e300), ScaleAction::Hold(Hold::AtMax { wanted: u32::MAX }));
        // 2 running at 500% carry 10 servers of work: 17 wanted, but 20 are coming.
        assert_eq!(a.evaluate(s(3.0), 5.0), ScaleAction::Hold(Hold::Booting { wanted: 17 }));
        assert_eq!(a.poll_ready(s(31.0)), 18);
        let action = a.evaluate(s(31.0), 1.0);
        assert_eq!(action, ScaleAction::Hold(Hold::AtMax { wanted: 34 }));
        assert_eq!(action.to_string(), "holding at the maximum: 34 instances wanted; raise the maximum");
        // No load at all shrinks it to its minimum, never below.
        let (changes, sizes) = drive(&mut a, 400.0, |_, _| 0.0);
        assert_eq!(changes.len(), 1);
        // Ready at 31 s, so the cooldown lasts until 91 s; the last check wanting
        // 20 (31 s) leaves the window after 91 s too.
        assert!(matches!(changes[0], (92.0, ScaleAction::In { count: 18, desired: 2, .. })));
        assert_eq!(sizes.last().unwrap().1, 2);

        // A crashed instance is replaced at the next check, whatever the load.
        assert_eq!(a.lose_running(5), 2);
        assert_eq!(a.running(), 0);
        let t = a.next_check();
        let action = a.evaluate(t, f64::NAN);
        assert!(matches!(action, ScaleAction::Out { count: 2, reason: Reason::BelowMin { min: 2 }, .. }));
        assert!(action.to_string().ends_with("below the minimum of 2 instances"));
    }

    #[test]
    fn lowering_the_maximum_cuts_at_once_booting_first() {
        let mut a = Autoscaler::with_running(web(), 6, 0).unwrap();
        assert!(matches!(a.evaluate(s(1.0), 1.2), ScaleAction::Out { count: 6, .. }));
        assert_eq!(a.capacity(), 12);
        a.set_policy(AutoscalePolicy::utilization(2, 4, 0.6).unwrap(), s(1.5)).unwrap();
        let action = a.evaluate(s(2.0), 1.2);
        assert_eq!(action, ScaleAction::In { count: 2, cancelled: 6, desired: 4, reason: Reason::AboveMax { max: 4 } });
        assert_eq!(
            action.to_string(),
            "scaling in: 2 instances stopped and 6 cancelled while booting, 4 left: above the \
             maximum of 4 instances"
        );
        assert_eq!((a.running(), a.booting(), a.next_event_time()), (4, 0, s(3.0)));
        assert_eq!(a.poll_ready(s(100.0)), 0);
    }

    /// `ceil(n × load / target)`, against values worked out by hand.
    #[test]
    fn target_tracking_asks_for_the_right_size() {
        let cases: [(u32, f64, f64, u32); 10] = [
            // running, load, target, desired
            (4, 0.9, 0.6, 6),   // 3.6 servers of work / 0.6 = 6
            (4, 0.6, 0.6, 4),   // on target
            (4, 0.65, 0.6, 4),  // +8%: within tolerance
            (4, 0.55, 0.6, 4),  // -8%: within tolerance
            (4, 0.5, 0.6, 4),   // 3.33 -> 4
            (10, 0.3, 0.6, 5),  // exactly 5
            (10, 0.31, 0.6, 6), // 5.17 -> 6
            (10, 0.0, 0.6, 2),  // clamped to min
            (10, 3.0, 0.6, 20), // 50, clamped to max
            (3, 0.7, 0.5, 5),   // 4.2 -> 5
        ];
        for (running, load, target, want) in cases {
            let p = AutoscalePolicy::utilization(2, 20, target).unwrap();
            let a = Autoscaler::with_running(p, running, 0).unwrap();
            assert_eq!(a.desired(load), Some(want), "{running} at {load} for {target}");
        }
        // Workers on backlog, including from zero: the whole backlog over the target.
        let p = AutoscalePolicy::backlog(0, 50, 10.0).unwrap();
        let idle = Autoscaler::new(p, 0).unwrap();
        assert_eq!(idle.running(), 0);
        assert_eq!(idle.desired(0.0), Some(0));
        assert_eq!(idle.desired(0.5), Some(1)); // any backlog wakes one worker
        assert_eq!(idle.desired(340.0), Some(34));
        // An empty group is never "within tolerance".
        assert_eq!(idle.desired(10.0), Some(1));
        let busy = Autoscaler::with_running(p, 5, 0).unwrap();
        assert_eq!(busy.desired(35.0), Some(18)); // 175 messages / 10 = 17.5 -> 18
        assert_eq!(busy.desired(f64::NAN), None);
        assert_eq!(busy.desired(-1.0), None);
    }

    #[test]
    fn workers_scale_from_zero_and_back() {
        let p = AutoscalePolicy::backlog(0, 50, 10.0).unwrap().with_timing(5.0, 30.0, 1.0).unwrap();
        let mut a = Autoscaler::new(p, 0).unwrap();
        assert_eq!(a.evaluate(s(1.0), 0.0), ScaleAction::Hold(Hold::OnTarget));
        let action = a.evaluate(s(2.0), 340.0);
        assert!(matches!(action, ScaleAction::Out { count: 34, ready_at, .. } if ready_at == s(7.0)));
        assert!(action.to_string().ends_with("backlog 340 with no instance running (target 10 per instance)"));
        // The backlog drains; the group goes back to zero after the cooldown.
        let (changes, sizes) = drive(&mut a, 100.0, |_, _| 0.0);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(matches!(changes[0], (37.0, ScaleAction::In { count: 34, desired: 0, .. })));
        assert_eq!(sizes.last().unwrap().1, 0);
    }

    /// A noisy load within the tolerance never moves the group, and a load that
    /// swings widely settles at the size its peaks need after one scale-out.
    #[test]
    fn a_load_around_its_target_does_not_flap() {
        let mut a = Autoscaler::with_running(web(), 10, 0).unwrap();
        let mut x = 12345u64;
        let (changes, _) = drive(&mut a, 10_000.0, |_, _| {
            // A fixed pseudo-random wobble of ±9% around 60%.
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (x >> 11) as f64 / (1u64 << 53) as f64;
            0.6 * (1.0 + 0.18 * (u - 0.5))
        });
        assert!(changes.is_empty(), "{changes:?}");

        // Demand of 6 ± 1.8 servers with a period of 20 s: the peaks need
        // ceil(7.8 / 0.6) = 13; the troughs alone would need 7.
        let mut a = Autoscaler::with_running(web(), 10, 0).unwrap();
        let (changes, sizes) =
            drive(&mut a, 1000.0, |t, n| (6.0 + 1.8 * libm::sin(2.0 * std::f64::consts::PI * t / 20.0)) / f64::from(n));
        let outs = changes.iter().filter(|(_, c)| matches!(c, ScaleAction::Out { .. })).count();
        let ins = changes.len() - outs;
        eprintln!(
            "swinging load: {outs} scale-outs (at {:?} s), {ins} scale-ins, final size {}",
            changes.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
            sizes.last().unwrap().1
        );
        // The group grows while the first peak rises (each check that sees more
        // load adds the difference), then never changes again: the troughs alone
        // would ask for 7, but every cooldown window holds a peak asking for 13.
        assert_eq!(ins, 0, "{changes:?}");
        assert!(changes.iter().all(|&(t, _)| t <= 5.0), "{changes:?}");
        assert_eq!(sizes.last().unwrap().1, 13);
    }

    /// A fluid M/M/c-like loop: `rate` requests per second, each instance serves
    /// `capacity` per second, so the offered utilization is rate / (n × capacity).
    /// Target tracking sizes the group in one decision:
    /// n* = ceil(rate / (capacity × target)), ready one boot time after the first
    /// check that sees the load; and it shrinks to the new n* one cooldown after
    /// the load falls.
    #[test]
    fn closed_loop_converges_to_the_theoretical_size() {
        let (capacity, target): (f64, f64) = (100.0, 0.6);
        for &(rate, n_star) in &[(1000.0, 17u32), (1500.0, 25), (3000.0, 50), (250.0, 5), (610.0, 11)] {
            let expect = (rate / (capacity * target)).ceil() as u32;
            assert_eq!(expect, n_star);
            let policy = AutoscalePolicy::utilization(2, 100, target).unwrap();
            let mut a = Autoscaler::new(policy, 0).unwrap();
            // The load steps up at 10 s and down to a fifth at 300 s.
            let rate_at = |t: f64| {
                if t < 10.0 {
                    50.0
                } else if t < 300.0 {
                    rate
                } else {
                    rate / 5.0
                }
            };
            let (changes, sizes) = drive(&mut a, 600.0, |t, n| rate_at(t) / (f64::from(n) * capacity));
            let at = |t: f64| sizes.iter().find(|&&(u, _)| u == t).unwrap().1;
            assert_eq!(at(39.0), 2, "rate {rate}");
            assert_eq!(at(40.0), n_star, "rate {rate}: {changes:?}");
            assert_eq!(at(299.0), n_star, "rate {rate}");
            let low = ((rate / 5.0) / (capacity * target)).ceil().max(2.0) as u32;
            assert_eq!(at(599.0), low, "rate {rate}: {changes:?}");
            eprintln!(
                "rate {rate}: 2 -> {n_star} (theory {expect}) at 40 s, {low} after the fall; {} changes",
                changes.len()
            );
            assert!(changes.len() <= 2, "rate {rate}: {changes:?}");
        }
    }

    /// With *measured* utilization, which cannot exceed 100%, a saturated group
    /// learns the true demand only step by step: each decision multiplies it by at
    /// most 1 / target, so reaching n* from n0 takes about
    /// log(n* / n0) / log(1 / target) boot cycles.
    #[test]
    fn saturated_measurements_converge_geometrically() {
        let (capacity, target, rate) = (100.0, 0.6, 3000.0);
        let policy = AutoscalePolicy::utilization(2, 100, target).unwrap().with_timing(30.0, 60.0, 1.0).unwrap();
        let mut a = Autoscaler::new(policy, 0).unwrap();
        let (changes, sizes) = drive(&mut a, 400.0, |_, n| (rate / (f64::from(n) * capacity)).min(1.0));
        let n_star = 50u32;
        let steps: Vec<(f64, u32)> = changes
            .iter()
            .filter_map(|&(t, c)| match c {
                ScaleAction::Out { desired, .. } => Some((t, desired)),
                _ => None,
            })
            .collect();
        // While n <= 30 the servers are saturated and report 100%, so each boot
        // cycle multiplies the group by 1/0.6: 2, 4, 7, 12, 20, 34. At 34 the
        // measured 88% reveals the true demand (30 servers' worth) and the last
        // step goes straight to 50.
        assert_eq!(steps, vec![(1.0, 4), (31.0, 7), (61.0, 12), (91.0, 20), (121.0, 34), (151.0, 50)]);
        let reached = sizes.iter().find(|&&(_, n)| n == n_star).unwrap().0;
        let cycles = (f64::from(n_star) / 2.0).ln() / (1.0 / target).ln();
        eprintln!(
            "saturated: {steps:?}; n* = {n_star} running at {reached} s = 6 boot cycles \
             (pure geometric growth would need {cycles:.2})"
        );
        assert_eq!(reached, 181.0);
        assert!(reached <= 1.0 + 30.0 * cycles.ceil());
        assert_eq!(sizes.last().unwrap().1, n_star);
    }

    #[test]
    fn the_window_stays_small_and_bad_inputs_are_harmless() {
        let p = AutoscalePolicy::utilization(1, MAX_INSTANCES, 0.5).unwrap().with_timing(0.0, 3600.0, 0.1).unwrap();
        let mut a = Autoscaler::with_running(p, 1000, 0).unwrap();
        // A slowly falling load: one distinct recommendation per check.
        let mut now = 0;
        for i in 0..36_000u64 {
            now = a.next_event_time();
            a.poll_ready(now);
            a.evaluate(now, 0.5 * (1.0 - i as f64 / 40_000.0));
            assert!(a.recent.len() <= MAX_INSTANCES as usize + 1);
        }
        eprintln!("window after 36,000 falling checks: {} entries", a.recent.len());
        // Time going backwards, the end of time, NaN and negative loads.
        assert!(matches!(a.evaluate(0, 0.9), ScaleAction::Hold(Hold::NotDue { .. })));
        assert_eq!(a.evaluate(now + s(1.0), f64::NAN), ScaleAction::Hold(Hold::NoData));
        assert_eq!(a.evaluate(now + s(2.0), -1.0), ScaleAction::Hold(Hold::NoData));
        let _ = a.evaluate(Nanos::MAX, 0.9);
        let _ = a.evaluate(Nanos::MAX, 1e308);
        assert!(a.capacity() <= MAX_INSTANCES);
        assert_eq!(a.next_check(), Nanos::MAX);
        let running = a.running();
        assert_eq!(a.lose_running(u32::MAX), running);
        assert_eq!(a.running(), 0);
    }

    #[test]
    fn validation_names_the_problem_and_the_fix() {
        let msg = |r: Result<AutoscalePolicy, AutoscaleError>| r.unwrap_err().to_string();
        assert_eq!(
            msg(AutoscalePolicy::utilization(2, 1001, 0.6)),
            "the maximum group size must be between 1 and 1000 instances, got 1001"
        );
        assert!(msg(AutoscalePolicy::utilization(0, 0, 0.6)).contains("got 0"));
        assert_eq!(
            msg(AutoscalePolicy::utilization(5, 3, 0.6)),
            "the minimum group size (5) must not exceed the maximum (3): lower min or raise max"
        );
        assert!(msg(AutoscalePolicy::utilization(0, 3, 0.6)).contains("a minimum of 0 is for workers"));
        assert!(msg(AutoscalePolicy::utilization(1, 3, 60.0))
            .contains("the target utilization must be between 0.05 and 0.95"));
        assert!(msg(AutoscalePolicy::utilization(1, 3, f64::NAN)).contains("got NaN"));
        assert!(msg(AutoscalePolicy::backlog(0, 3, 0.0)).contains("the target backlog must be more than 0"));
        let p = AutoscalePolicy::backlog(0, 3, 10.0).unwrap();
        assert!(msg(p.with_timing(-1.0, 60.0, 1.0)).contains("the boot time must be between 0 and 3600 s"));
        assert!(msg(p.with_timing(30.0, f64::INFINITY, 1.0)).contains("the cooldown must be between"));
        assert!(msg(p.with_timing(30.0, 60.0, 0.0)).contains("the check interval must be between 0.1 and 600 s"));
        assert_eq!(
            Autoscaler::with_running(web(), 30, 0).unwrap_err().to_string(),
            "the group must start with between 2 and 20 instances (its minimum and maximum), got 30"
        );
        let mut bad = web();
        bad.max = 0;
        assert_eq!(Autoscaler::new(bad, 0).unwrap_err(), AutoscaleError::Max(0));
        let mut a = Autoscaler::new(web(), 0).unwrap();
        assert!(a.set_policy(bad, 0).is_err());
        assert_eq!(a.policy(), &web());
    }

    #[test]
    fn policies_serialise_plainly() {
        let json = serde_json::to_string(&web()).unwrap();
        assert_eq!(
            json,
            r#"{"metric":"utilization","min":2,"max":20,"target":0.6,"boot_s":30.0,"cooldown_s":60.0,"check_interval_s":1.0}"#
        );
    }
}
