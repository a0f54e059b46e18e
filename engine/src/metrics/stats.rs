//! Running statistics per node.
//!
//! Everything here is cumulative from the start of the run and never reset: the
//! statistics window (warm-up to end) and the per-second series are differences
//! between two readings. That keeps one source of truth and makes "what happened
//! in this window" exact instead of approximate.

use crate::base::time::Nanos;

/// Integral over time of an integer quantity (busy workers, queue length), kept
/// exactly in u128 nanosecond-units so long runs lose no precision.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimeIntegral {
    value: u64,
    since: Nanos,
    area: u128,
}

impl TimeIntegral {
    #[inline]
    pub fn set(&mut self, now: Nanos, value: u64) {
        self.area += self.value as u128 * (now - self.since) as u128;
        self.value = value;
        self.since = now;
    }

    #[inline]
    pub fn value(&self) -> u64 {
        self.value
    }

    /// The integral from time 0 to `now` (`now` at or after the last change).
    #[inline]
    pub fn area_at(&self, now: Nanos) -> u128 {
        self.area + self.value as u128 * now.saturating_sub(self.since) as u128
    }
}

/// Counters of one node, cumulative from the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct NodeCounters {
    /// Requests that reached the node.
    pub arrivals: u64,
    /// Requests the node finished and answered (or forwarded an answer for).
    pub completed: u64,
    /// Requests turned away because the queue was full.
    pub rejected: u64,
    /// Requests whose caller gave up here (`timeout_ms`).
    pub timeouts: u64,
    /// Requests that failed here because the node was down (or crashed with them).
    pub failed_down: u64,
    /// Requests that failed here at once with an injected error.
    pub errors: u64,
    /// Requests dropped from the queue (waited too long, or nobody waited for
    /// them any more), or refused on arrival for the latter.
    pub shed: u64,
    /// Requests that started service, and their total wait before it.
    pub started: u64,
    pub wait_sum: u128,
    /// Requests that left the node after being admitted (answered, or given up
    /// on), and their total time at the node: Little's law uses these.
    pub departed: u64,
    pub sojourn_sum: u128,
    /// Integrals of busy workers and of waiting requests, read at the same time
    /// as the counters.
    pub busy_area: u128,
    pub queue_area: u128,
    /// Integral of available workers: those of machines that are up and
    /// running (not down, not still booting), and never fewer than are busy.
    pub available_area: u128,
    /// Caches: lookups that found the key, that did not, and hits on a key
    /// written since it was cached (the reader got an old value).
    pub hits: u64,
    pub misses: u64,
    pub stale_reads: u64,
    /// Caches with early refresh: hits taken as misses to refill a key
    /// before it expires (counted in `misses` too).
    pub early_refreshes: u64,
    /// Web servers coalescing misses: reads that waited for another
    /// reader's database answer for the same key instead of reading it
    /// themselves (their cache counted them as misses).
    pub coalesced: u64,
    /// Web servers keeping sessions locally: users whose session was not on
    /// the server they reached (or died with it), so they had to log in again.
    pub sessions_lost: u64,
    /// Rate limiters: requests turned away for going over the limit.
    pub rate_limited: u64,
    /// Callers with a call policy (users): attempts that got no answer
    /// within the timeout per attempt.
    pub call_timeouts: u64,
    /// Callers with a call policy: attempts sent again after one failed.
    pub retries: u64,
    /// Callers with a circuit breaker: attempts refused by an open breaker
    /// (failed at once with cause `circuit_open`, nothing sent).
    pub circuit_open: u64,
    /// Callers with a connection pool: calls that asked it for a
    /// connection, those that had to wait for one, the time they waited
    /// (counted when each wait ends), and those that waited the pool's
    /// longest and failed.
    pub pool_calls: u64,
    pub pool_waits: u64,
    pub pool_wait_sum: u128,
    pub pool_timeouts: u64,
}

impl NodeCounters {
    /// A request left the node after `stayed` there (Little's law counts it).
    #[inline]
    pub fn depart(&mut self, stayed: Nanos) {
        self.departed += 1;
        self.sojourn_sum += stayed as u128;
    }

    /// What happened between an earlier reading `before` and this one.
    pub fn since(&self, before: &NodeCounters) -> NodeCounters {
        NodeCounters {
            arrivals: self.arrivals - before.arrivals,
            completed: self.completed - before.completed,
            rejected: self.rejected - before.rejected,
            timeouts: self.timeouts - before.timeouts,
            failed_down: self.failed_down - before.failed_down,
            errors: self.errors - before.errors,
            shed: self.shed - before.shed,
            started: self.started - before.started,
            wait_sum: self.wait_sum - before.wait_sum,
            departed: self.departed - before.departed,
            sojourn_sum: self.sojourn_sum - before.sojourn_sum,
            busy_area: self.busy_area - before.busy_area,
            queue_area: self.queue_area - before.queue_area,
            available_area: self.available_area - before.available_area,
            hits: self.hits - before.hits,
            misses: self.misses - before.misses,
            stale_reads: self.stale_reads - before.stale_reads,
            early_refreshes: self.early_refreshes - before.early_refreshes,
            coalesced: self.coalesced - before.coalesced,
            sessions_lost: self.sessions_lost - before.sessions_lost,
            rate_limited: self.rate_limited - before.rate_limited,
            call_timeouts: self.call_timeouts - before.call_timeouts,
            retries: self.retries - before.retries,
            circuit_open: self.circuit_open - before.circuit_open,
            pool_calls: self.pool_calls - before.pool_calls,
            pool_waits: self.pool_waits - before.pool_waits,
            pool_wait_sum: self.pool_wait_sum - before.pool_wait_sum,
            pool_timeouts: self.pool_timeouts - before.pool_timeouts,
        }
    }
}

/// Live statistics of one node: counters plus the time integrals.
#[derive(Clone, Debug, Default)]
pub struct NodeStats {
    pub counters: NodeCounters,
    pub busy: TimeIntegral,
    pub queued: TimeIntegral,
    /// Available workers (see [`NodeCounters::available_area`]), kept by
    /// `Simulation::note_available`.
    pub available: TimeIntegral,
}

impl NodeStats {
    /// The counters with the integrals brought up to `now`.
    pub fn read(&self, now: Nanos) -> NodeCounters {
        NodeCounters {
            busy_area: self.busy.area_at(now),
            queue_area: self.queued.area_at(now),
            available_area: self.available.area_at(now),
            ..self.counters
        }
    }
}

/// Summary of one node over an interval, in the units the reports use.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NodeSummary {
    pub arrivals: u64,
    pub throughput_rps: f64,
    /// Busy workers over available workers, both averaged over the interval
    /// (see [`NodeCounters::available_area`]): down or booting machines do
    /// not count, an autoscaling group counts at its size at each instant.
    /// Never above 1; 0 when no worker was available.
    pub utilization: f64,
    pub mean_queue_len: f64,
    pub mean_wait_ms: f64,
    pub mean_response_ms: f64,
    pub rejected: u64,
    pub timeouts: u64,
    /// Requests that failed here because the node was down.
    pub failed_down: u64,
    /// Requests that failed here with an injected error (left out when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub errors: u64,
    /// Requests shed from the queue (left out when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shed: u64,
    /// Time-averaged requests at the node (waiting or holding a worker).
    pub mean_in_node: f64,
    /// Reads that got an old value: cache hits on a key written since it was
    /// cached, or replica reads of a key whose latest write had not arrived.
    pub stale_reads: u64,
    /// Hits a cache took as misses to refresh early (see
    /// `NodeCounters::early_refreshes`); left out when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub early_refreshes: u64,
    /// Reads a web server answered from another reader's fill (see
    /// `NodeCounters::coalesced`); left out when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub coalesced: u64,
    /// Users who lost their session here (see `NodeCounters::sessions_lost`).
    pub sessions_lost: u64,
    /// Requests a rate limiter turned away (see `NodeCounters::rate_limited`).
    /// Left out when 0, so reports of designs without a limiter keep their bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rate_limited: u64,
    /// A caller's attempts that passed their timeout (see
    /// `NodeCounters::call_timeouts`); left out when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub call_timeouts: u64,
    /// A caller's retries (see `NodeCounters::retries`); left out when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: u64,
    /// Attempts an open circuit breaker refused (see
    /// `NodeCounters::circuit_open`); left out when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub circuit_open: u64,
    /// Calls that asked a connection pool for a connection, those that
    /// waited for one, their mean wait over all of them (the calls that
    /// got one at once count as 0), and the waits that reached the pool's
    /// `max_wait_ms` (see `NodeCounters::pool_calls`); each left out when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pool_calls: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pool_waits: u64,
    #[serde(default, skip_serializing_if = "is_zero_f")]
    pub pool_wait_ms: f64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pool_timeouts: u64,
    /// Caches that were asked anything in the interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheSummary>,
}

/// For `skip_serializing_if`: a count added after the report's keys were
/// fixed is written only when something happened.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_f(x: &f64) -> bool {
    *x == 0.0
}

/// What a cache did over an interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CacheSummary {
    pub hits: u64,
    pub misses: u64,
    /// hits / (hits + misses).
    pub hit_ratio: f64,
}

impl NodeSummary {
    /// Summarises `c` (a difference of readings) over `span` nanoseconds for a
    /// node with `workers` workers (0 for nodes without workers, which have
    /// no utilisation). Utilisation divides by the available workers the
    /// counters recorded, not by `workers`: a group's size and a node's
    /// health change within the interval.
    pub fn from_counters(c: &NodeCounters, span: Nanos, workers: u32) -> NodeSummary {
        let span_f = span.max(1) as f64;
        let mean = |sum: u128, n: u64| if n == 0 { 0.0 } else { sum as f64 / n as f64 / 1e6 };
        let busy = c.busy_area as f64 / span_f;
        let queue = c.queue_area as f64 / span_f;
        NodeSummary {
            arrivals: c.arrivals,
            throughput_rps: c.completed as f64 / (span_f / 1e9),
            utilization: utilization(c.busy_area, c.available_area, workers),
            mean_queue_len: queue,
            mean_wait_ms: mean(c.wait_sum, c.started),
            mean_response_ms: mean(c.sojourn_sum, c.departed),
            rejected: c.rejected,
            timeouts: c.timeouts,
            failed_down: c.failed_down,
            errors: c.errors,
            shed: c.shed,
            mean_in_node: busy + queue,
            stale_reads: c.stale_reads,
            early_refreshes: c.early_refreshes,
            coalesced: c.coalesced,
            sessions_lost: c.sessions_lost,
            rate_limited: c.rate_limited,
            call_timeouts: c.call_timeouts,
            retries: c.retries,
            circuit_open: c.circuit_open,
            pool_calls: c.pool_calls,
            pool_waits: c.pool_waits,
            pool_wait_ms: mean(c.pool_wait_sum, c.pool_calls),
            pool_timeouts: c.pool_timeouts,
            cache: (c.hits + c.misses > 0).then(|| CacheSummary {
                hits: c.hits,
                misses: c.misses,
                hit_ratio: c.hits as f64 / (c.hits + c.misses) as f64,
            }),
        }
    }
}

/// Busy over available worker-time, within [0, 1] (0 when nothing was
/// available, or for a node without workers).
fn utilization(busy_area: u128, available_area: u128, workers: u32) -> f64 {
    if workers == 0 || available_area == 0 {
        return 0.0;
    }
    // Busy workers are always counted as available, so this is at most 1;
    // the clamp guards the division's rounding.
    (busy_area as f64 / available_area as f64).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_is_exact_for_a_step_function() {
        let mut t = TimeIntegral::default();
        t.set(10, 2); // 0 on [0,10)
        t.set(30, 5); // 2 on [10,30) -> 40
        assert_eq!(t.area_at(30), 40);
        assert_eq!(t.area_at(40), 90); // 5 on [30,40)
    }

    #[test]
    fn utilisation_divides_by_the_workers_that_were_available() {
        // 4 workers for the first half second, then down: busy 3 of 4 while up.
        let c = NodeCounters { busy_area: 3 * 500_000_000, available_area: 4 * 500_000_000, ..Default::default() };
        let s = NodeSummary::from_counters(&c, 1_000_000_000, 4);
        assert_eq!(s.utilization, 0.75);
        assert_eq!(s.mean_in_node, 1.5, "busy workers are still averaged over the whole span");
        // Nothing available (down all along), or no workers at all: 0.
        assert_eq!(NodeSummary::from_counters(&NodeCounters::default(), 1_000_000_000, 4).utilization, 0.0);
        assert_eq!(NodeSummary::from_counters(&c, 1_000_000_000, 0).utilization, 0.0);
    }
}
