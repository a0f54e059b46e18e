//! Asynchronous replication from a primary database to one replica: which writes
//! the replica has not applied yet, and what that costs.
//!
//! With asynchronous replication the primary tells the client "done" as soon as
//! a write is safe on the primary, and ships it to the replica afterwards. That
//! makes writes fast, and it opens a window of `lag` during which:
//!
//! - a read at the replica sees the old value (a *stale read*), and
//! - the write exists only on the primary: if the primary dies now and the
//!   replica is promoted, the write is *lost*, although the client was told it
//!   succeeded.
//!
//! With writes arriving at rate `w` and lag `L`, about `w·L` writes are in that
//! window at any moment, and a key written at rate `λ` is stale for a reader
//! arriving at a random time with probability `1 − exp(−λ·L)`. The tests check
//! both.
//!
//! [`ReplicationLog`] is the bookkeeping for one replica; the simulation keeps
//! one per replica and asks the promoted one how much was lost. It does not
//! decide the lag: the caller passes it with each write, so it may add jitter or
//! grow the lag when the replica is overloaded. The replica replays the primary's
//! log in order, as real replicas do, so a write is never applied before one
//! acknowledged earlier: its apply time is `max(at + lag, previous apply time)`.
//! Time only moves forward here: a write recorded with a time before the latest
//! one seen counts as written at that latest time, and a question about a moment
//! before it is answered about that moment.
//!
//! Only writes not yet applied are kept: a queue in acknowledgement order (which
//! is also apply order) and, for stale reads, a map from each key to its latest
//! pending write. Applied writes are dropped as time passes, so memory follows
//! `w·L`, and it is capped at `max_pending` writes (default 1,000,000, about
//! 60 MB). Beyond the cap the oldest pending writes are folded into a summary:
//! how many there are, and the first and last of their apply times. They count
//! as unapplied until the last of those times, so while the summary is partly
//! applied the counts are upper bounds, too high by at most [`ReplicationLog::untracked`];
//! they are exact before the summary starts applying and after it has. Reads of
//! the folded writes' keys are no longer reported stale.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};
use std::fmt;

use crate::base::time::Nanos;
use crate::blocks::sharding::KeyMap;

/// The default cap on writes tracked one by one.
pub const DEFAULT_MAX_PENDING: usize = 1_000_000;
/// The largest cap accepted.
pub const MAX_PENDING_LIMIT: usize = 10_000_000;

/// A replication parameter out of range; `Display` says what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicationError {
    /// The cap is not in `1..=MAX_PENDING_LIMIT`.
    MaxPending { given: usize },
}

impl fmt::Display for ReplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplicationError::MaxPending { given } => {
                write!(f, "a replication log must track between 1 and {MAX_PENDING_LIMIT} pending writes, got {given}")
            }
        }
    }
}

impl std::error::Error for ReplicationError {}

/// Cumulative counts since the log was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicationCounters {
    /// Writes recorded.
    pub writes: u64,
    /// Writes lost in primary failures (acknowledged, never applied).
    pub lost: u64,
    /// Writes folded into the summary because the cap was reached.
    pub folded: u64,
}

/// One acknowledged write the replica has not applied yet.
#[derive(Clone, Copy, Debug)]
struct Pending {
    key: u64,
    acked: Nanos,
    applied: Nanos,
}

/// Writes beyond the cap: a count and the range of their apply times.
#[derive(Clone, Copy, Debug, Default)]
struct Folded {
    count: u64,
    /// Acknowledgement time of the oldest.
    oldest_acked: Nanos,
    /// Apply time of the first and of the last (apply times never decrease).
    first_applied: Nanos,
    last_applied: Nanos,
}

/// The replication state of one replica; see the module documentation.
#[derive(Clone, Debug)]
pub struct ReplicationLog {
    /// Pending writes, oldest first; apply times never decrease along it.
    pending: VecDeque<Pending>,
    /// Key → sequence number of its latest pending write.
    latest: KeyMap<u64>,
    /// Sequence number of `pending[0]` (each write gets the next number).
    front_seq: u64,
    /// The latest time seen.
    clock: Nanos,
    /// The apply time of the latest write recorded.
    last_applied: Nanos,
    folded: Folded,
    max_pending: usize,
    counters: ReplicationCounters,
}

impl Default for ReplicationLog {
    fn default() -> Self {
        ReplicationLog::new()
    }
}

impl ReplicationLog {
    /// An empty log tracking up to [`DEFAULT_MAX_PENDING`] writes one by one.
    pub fn new() -> ReplicationLog {
        ReplicationLog {
            pending: VecDeque::new(),
            latest: HashMap::default(),
            front_seq: 0,
            clock: 0,
            last_applied: 0,
            folded: Folded::default(),
            max_pending: DEFAULT_MAX_PENDING,
            counters: ReplicationCounters::default(),
        }
    }

    /// An empty log tracking up to `max_pending` writes one by one.
    pub fn with_max_pending(max_pending: usize) -> Result<ReplicationLog, ReplicationError> {
        if !(1..=MAX_PENDING_LIMIT).contains(&max_pending) {
            return Err(ReplicationError::MaxPending { given: max_pending });
        }
        Ok(ReplicationLog { max_pending, ..ReplicationLog::new() })
    }

    /// The primary acknowledged a write of `key` at `at`; it reaches the replica
    /// `lag` later (or when the write before it does, if that is later). A write
    /// with zero lag is applied at once and leaves no trace.
    pub fn record_write(&mut self, key: u64, at: Nanos, lag: Nanos) {
        let at = at.max(self.clock);
        self.advance(at);
        let applied = at.saturating_add(lag).max(self.last_applied);
        self.last_applied = applied;
        self.counters.writes += 1;
        if applied <= at {
            // Applied already. Any earlier write of the key was applied no later,
            // so it has been pruned: nothing refers to this key any more.
            return;
        }
        if self.pending.len() >= self.max_pending {
            self.fold_oldest();
        }
        let seq = self.front_seq + self.pending.len() as u64;
        self.pending.push_back(Pending { key, acked: at, applied });
        self.latest.insert(key, seq);
    }

    /// Moves the clock to `now` and forgets the writes applied by then.
    pub fn advance(&mut self, now: Nanos) {
        self.clock = self.clock.max(now);
        while let Some(&front) = self.pending.front() {
            if front.applied > self.clock {
                break;
            }
            self.pop_front();
        }
        if self.folded.count > 0 && self.folded.last_applied <= self.clock {
            self.folded = Folded::default();
        }
    }

    fn pop_front(&mut self) -> Option<Pending> {
        let front = self.pending.pop_front()?;
        if let Entry::Occupied(e) = self.latest.entry(front.key) {
            if *e.get() == self.front_seq {
                e.remove();
            }
        }
        self.front_seq += 1;
        Some(front)
    }

    fn fold_oldest(&mut self) {
        let Some(p) = self.pop_front() else {
            return;
        };
        if self.folded.count == 0 {
            self.folded.oldest_acked = p.acked;
            self.folded.first_applied = p.applied;
        }
        self.folded.count += 1;
        self.folded.last_applied = p.applied;
        self.counters.folded += 1;
    }

    /// Whether a read of `key` at the replica at `now` returns an old value: a
    /// write of `key` was acknowledged but has not been applied yet.
    pub fn is_stale(&self, key: u64, now: Nanos) -> bool {
        let now = now.max(self.clock);
        self.latest
            .get(&key)
            .and_then(|&seq| self.pending.get(seq.checked_sub(self.front_seq)? as usize))
            .is_some_and(|p| p.applied > now)
    }

    /// Acknowledged writes not yet applied at `now`: the writes a failure of the
    /// primary at `now` would lose.
    pub fn unreplicated_at(&self, now: Nanos) -> u64 {
        let now = now.max(self.clock);
        let applied = self.pending.partition_point(|p| p.applied <= now);
        let folded = if now < self.folded.last_applied { self.folded.count } else { 0 };
        (self.pending.len() - applied) as u64 + folded
    }

    /// How many of the writes counted by [`unreplicated_at`](Self::unreplicated_at)
    /// at `now` may in fact have been applied: 0 (the count is exact) unless the
    /// cap was reached and the folded writes are partly applied.
    pub fn untracked(&self, now: Nanos) -> u64 {
        let now = now.max(self.clock);
        if self.folded.first_applied <= now && now < self.folded.last_applied {
            self.folded.count
        } else {
            0
        }
    }

    /// The primary dies at `now`: returns the writes lost (acknowledged, not yet
    /// applied) and forgets every pending write, so the log is empty and ready for
    /// the promoted replica. Lost writes are added to the counters.
    pub fn fail_primary(&mut self, now: Nanos) -> u64 {
        let now = now.max(self.clock);
        let lost = self.unreplicated_at(now);
        self.front_seq += self.pending.len() as u64;
        self.pending.clear();
        self.latest.clear();
        self.folded = Folded::default();
        self.clock = now;
        self.last_applied = now;
        self.counters.lost += lost;
        lost
    }

    /// The replication lag a dashboard shows at `now`: how long ago the oldest
    /// write not yet applied was acknowledged (0 when the replica is caught up).
    pub fn current_lag(&self, now: Nanos) -> Nanos {
        let now = now.max(self.clock);
        if now < self.folded.last_applied {
            return now - self.folded.oldest_acked;
        }
        let applied = self.pending.partition_point(|p| p.applied <= now);
        self.pending.get(applied).map_or(0, |p| now - p.acked)
    }

    /// Writes tracked one by one (not yet pruned); at most the cap.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Distinct keys with a tracked pending write; at most [`pending_len`](Self::pending_len).
    pub fn pending_keys(&self) -> usize {
        self.latest.len()
    }

    pub fn max_pending(&self) -> usize {
        self.max_pending
    }

    pub fn counters(&self) -> ReplicationCounters {
        self.counters
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::{Stream, StreamPurpose};
    use crate::base::time::{NS_PER_MS, NS_PER_S};

    const MS: Nanos = NS_PER_MS;

    #[test]
    fn lost_writes_are_those_acknowledged_within_one_lag_of_the_failure() {
        // A write every 7 ms over 13 keys, lag 100 ms: the writes lost at t are
        // exactly those acknowledged in (t − 100 ms, t].
        let lag = 100 * MS;
        let times: Vec<Nanos> = (0..500).map(|i| i * 7 * MS).collect();
        for t in [0, 1, 50 * MS, 99 * MS, 100 * MS, 700 * MS, 707 * MS, 3493 * MS, 5 * NS_PER_S] {
            let mut log = ReplicationLog::new();
            for (i, &at) in times.iter().enumerate().take_while(|(_, &at)| at <= t) {
                log.record_write(i as u64 % 13, at, lag);
            }
            let expected = times.iter().filter(|&&at| at <= t && at + lag > t).count() as u64;
            assert_eq!(log.unreplicated_at(t), expected, "t = {t}");
            assert_eq!(log.untracked(t), 0);
            assert_eq!(log.fail_primary(t), expected, "t = {t}");
            assert_eq!(log.counters().lost, expected);
            // Forgotten: nothing pending, nothing stale, nothing to lose again.
            assert_eq!(log.pending_len(), 0);
            assert_eq!(log.unreplicated_at(t), 0);
            assert!((0..13).all(|k| !log.is_stale(k, t)));
            assert_eq!(log.fail_primary(t + 1), 0);
        }
        // The boundary: with lag 70 ms, the write of 630 ms is applied at exactly
        // 700 ms, so a failure then loses the writes of 637..=700 ms, ten of them.
        let mut log = ReplicationLog::new();
        for &at in times.iter().take_while(|&&at| at <= 700 * MS) {
            log.record_write(1, at, 70 * MS);
        }
        assert!(log.is_stale(1, 700 * MS));
        assert_eq!(log.fail_primary(700 * MS), 10);
    }

    #[test]
    fn poisson_writes_lose_w_times_l_on_average() {
        // w = 1000 writes/s, L = 50 ms: Poisson(50) writes lost per failure.
        let (w, lag_s) = (1000.0, 0.05);
        let trials = 2000;
        let mut losses = Vec::with_capacity(trials);
        let mut rng = Stream::new(5, 0, StreamPurpose::Arrivals);
        for _ in 0..trials {
            let mut log = ReplicationLog::new();
            let fail_at = NS_PER_S;
            let mut t = 0.0;
            let mut key = 0;
            loop {
                t += rng.exponential(1.0 / w);
                let at = (t * 1e9) as Nanos;
                if at > fail_at {
                    break;
                }
                log.record_write(key, at, (lag_s * 1e9) as Nanos);
                key += 1;
            }
            losses.push(log.fail_primary(fail_at) as f64);
        }
        let n = trials as f64;
        let mean = losses.iter().sum::<f64>() / n;
        let var = losses.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        let expected = w * lag_s;
        let se = (expected / n).sqrt(); // Poisson: variance = mean.
        println!("lost per failure: {mean:.3} (var {var:.2}) vs w·L = {expected}, se {se:.3}");
        assert!((mean - expected).abs() < 5.0 * se, "{mean}");
        // The sample variance of Poisson(μ) has sd ≈ sqrt((μ + 2μ²) / n) = 1.6.
        assert!((var - expected).abs() < 5.0 * ((expected + 2.0 * expected * expected) / n).sqrt());
    }

    #[test]
    fn stale_read_probability_is_one_minus_exp_minus_lambda_l() {
        // Three keys written as Poisson processes (0.5, 2 and 8 writes/s), each read
        // at Poisson times (0.2 reads/s, so reads rarely share a window), L = 300 ms.
        let lag = 300 * MS;
        let rates = [0.5, 2.0, 8.0];
        let read_rate = 0.2;
        let reads_per_key = 40_000.0;
        let end = reads_per_key / read_rate;
        let mut rng = Stream::new(9, 0, StreamPurpose::Arrivals);
        // Next event time per stream: writes of keys 0..3, then reads of keys 0..3.
        let mut next: Vec<f64> = rates.iter().chain(&[read_rate; 3]).map(|&r| rng.exponential(1.0 / r)).collect();
        let mut reads = [0u64; 3];
        let mut stale = [0u64; 3];
        let mut log = ReplicationLog::new();
        let mut max_pending = 0;
        loop {
            let (i, &t) = next.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).unwrap();
            if t >= end {
                break;
            }
            let now = (t * 1e9) as Nanos;
            if i < 3 {
                log.record_write(i as u64, now, lag);
                next[i] = t + rng.exponential(1.0 / rates[i]);
            } else {
                let k = i - 3;
                reads[k] += 1;
                stale[k] += u64::from(log.is_stale(k as u64, now));
                next[i] = t + rng.exponential(1.0 / read_rate);
            }
            max_pending = max_pending.max(log.pending_len());
        }
        for (k, &rate) in rates.iter().enumerate() {
            let p = 1.0 - libm::exp(-rate * 0.3);
            let n = reads[k] as f64;
            let got = stale[k] as f64 / n;
            let se = (p * (1.0 - p) / n).sqrt();
            println!("λ = {rate}/s: stale {got:.4} vs 1 − exp(−λL) = {p:.4}, se {se:.4}");
            assert!((got - p).abs() < 5.0 * se, "key {k}: {got} vs {p}");
        }
        // Pruning: 10.5 writes/s × 0.3 s ≈ 3 pending on average.
        assert!(max_pending < 30, "{max_pending}");
        assert!(log.pending_keys() <= 3);
    }

    #[test]
    fn repeated_writes_to_one_key() {
        let mut log = ReplicationLog::new();
        log.record_write(7, 0, 100 * MS);
        log.record_write(7, 50 * MS, 100 * MS);
        log.record_write(8, 60 * MS, 100 * MS);
        assert_eq!(log.pending_len(), 3);
        assert_eq!(log.pending_keys(), 2);
        assert!(log.is_stale(7, 60 * MS));
        // The first write of 7 is applied at 100 ms, the second is still pending.
        assert!(log.is_stale(7, 120 * MS));
        assert_eq!(log.unreplicated_at(120 * MS), 2);
        assert!(log.is_stale(7, 150 * MS - 1));
        assert!(!log.is_stale(7, 150 * MS));
        log.advance(120 * MS);
        assert_eq!(log.pending_len(), 2);
        assert_eq!(log.pending_keys(), 2);
        assert!(log.is_stale(7, 120 * MS));
        log.advance(150 * MS);
        assert_eq!((log.pending_len(), log.pending_keys()), (1, 1));
        assert!(!log.is_stale(7, 150 * MS));
        assert!(log.is_stale(8, 150 * MS));
        // A thousand writes of one key: one map entry, one pending write per write.
        let mut log = ReplicationLog::new();
        for i in 0..1000 {
            log.record_write(42, i * MS, 2 * NS_PER_S);
        }
        assert_eq!((log.pending_len(), log.pending_keys()), (1000, 1));
        assert!(log.is_stale(42, 2999 * MS - 1));
        assert!(!log.is_stale(42, 2999 * MS));
        assert!(!log.is_stale(43, 0));
    }

    #[test]
    fn the_replica_applies_in_order() {
        // A slow write holds back a fast one behind it.
        let mut log = ReplicationLog::new();
        log.record_write(1, 0, 100 * MS);
        log.record_write(2, 10 * MS, 5 * MS);
        assert!(log.is_stale(2, 50 * MS));
        assert_eq!(log.unreplicated_at(50 * MS), 2);
        assert_eq!(log.current_lag(50 * MS), 50 * MS);
        assert_eq!(log.unreplicated_at(100 * MS), 0);
        assert!(!log.is_stale(2, 100 * MS));
    }

    #[test]
    fn lag_is_the_age_of_the_oldest_unapplied_write() {
        let mut log = ReplicationLog::new();
        for at in [0, 10, 20] {
            log.record_write(at, at * MS, 100 * MS);
        }
        assert_eq!(log.current_lag(20 * MS), 20 * MS);
        assert_eq!(log.current_lag(50 * MS), 50 * MS);
        assert_eq!(log.current_lag(105 * MS), 95 * MS);
        assert_eq!(log.current_lag(119 * MS), 99 * MS);
        assert_eq!(log.current_lag(120 * MS), 0);
        assert_eq!(ReplicationLog::new().current_lag(5), 0);
        // Steady writes: the lag shown stays just under L.
        let mut log = ReplicationLog::new();
        for i in 0..10_000 {
            log.record_write(i, i * MS, 250 * MS);
        }
        assert_eq!(log.current_lag(9_999 * MS), 249 * MS);
    }

    #[test]
    fn memory_follows_w_times_l() {
        // 10,000 writes/s with lag 200 ms for 100 s: never more than w·L + 1 pending.
        let mut log = ReplicationLog::new();
        let mut most = 0;
        let mut rng = Stream::new(1, 0, StreamPurpose::Routing);
        for i in 0..1_000_000u64 {
            log.record_write(u64::from(rng.below(50_000)), i * 100_000, 200 * MS);
            most = most.max(log.pending_len());
            assert!(log.pending_keys() <= log.pending_len());
        }
        assert_eq!(most, 2000);
        assert_eq!(log.counters().folded, 0);
        log.advance(u64::MAX);
        assert_eq!((log.pending_len(), log.pending_keys()), (0, 0));
    }

    #[test]
    fn beyond_the_cap_counts_stay_bounded_and_exact_at_both_ends() {
        // 1000 writes 1 ms apart, lag 1 s, cap 100.
        let mut log = ReplicationLog::with_max_pending(100).unwrap();
        for i in 0..1000 {
            log.record_write(i, i * MS, NS_PER_S);
            assert!(log.pending_len() <= 100);
        }
        assert_eq!(log.counters().folded, 900);
        // Nothing applied yet: exact.
        assert_eq!(log.unreplicated_at(999 * MS), 1000);
        assert_eq!(log.untracked(999 * MS), 0);
        assert_eq!(log.current_lag(999 * MS), 999 * MS);
        // Half applied: the truth is 499 (acknowledged after 500 ms); the count is
        // an upper bound, off by at most the folded writes.
        let now = 1500 * MS;
        let (count, slack) = (log.unreplicated_at(now), log.untracked(now));
        assert_eq!((count, slack), (1000, 900));
        assert!(count >= 499 && count - slack <= 499);
        // Folded keys are no longer reported stale; tracked ones are.
        assert!(!log.is_stale(5, now));
        assert!(log.is_stale(950, now));
        // After the folded writes' last apply time, exact again.
        // (The write of 900 ms is applied at 1900 ms: 901..=999 remain.)
        assert_eq!(log.unreplicated_at(1900 * MS), 99);
        assert_eq!(log.untracked(1900 * MS), 0);
        assert_eq!(log.current_lag(1900 * MS), 999 * MS);
        assert_eq!(log.fail_primary(1950 * MS), 49);
        assert!(ReplicationLog::with_max_pending(MAX_PENDING_LIMIT).is_ok());
        assert_eq!(
            ReplicationLog::with_max_pending(0).unwrap_err().to_string(),
            "a replication log must track between 1 and 10000000 pending writes, got 0"
        );
        assert_eq!(ReplicationLog::new().max_pending(), DEFAULT_MAX_PENDING);
    }

    #[test]
    fn zero_lag_is_never_stale_and_loses_nothing() {
        let mut log = ReplicationLog::new();
        for i in 0..10_000 {
            log.record_write(i % 10, i * MS, 0);
            assert!(!log.is_stale(i % 10, i * MS));
            assert_eq!(log.unreplicated_at(i * MS), 0);
            assert_eq!(log.pending_len(), 0);
        }
        assert_eq!(log.current_lag(10 * NS_PER_S), 0);
        assert_eq!(log.fail_primary(10 * NS_PER_S), 0);
        assert_eq!(log.counters(), ReplicationCounters { writes: 10_000, lost: 0, folded: 0 });
    }

    #[test]
    fn time_never_runs_backwards_and_nothing_overflows() {
        let mut log = ReplicationLog::new();
        log.record_write(1, 100 * MS, 50 * MS);
        // A write "in the past" counts as written at 100 ms.
        log.record_write(2, 10 * MS, 50 * MS);
        assert!(log.is_stale(2, 149 * MS));
        assert!(!log.is_stale(2, 150 * MS));
        // A question about the past is answered about the present (100 ms).
        assert_eq!(log.unreplicated_at(0), 2);
        assert_eq!(log.current_lag(0), 0);
        // Enormous lags and times saturate.
        log.record_write(3, u64::MAX - 1, u64::MAX);
        assert!(log.is_stale(3, u64::MAX - 1));
        assert!(!log.is_stale(3, u64::MAX));
        assert_eq!(log.current_lag(u64::MAX - 1), 0);
        assert_eq!(log.unreplicated_at(u64::MAX - 1), 1);
        assert_eq!(log.fail_primary(0), 1);
        // After a failover the log goes on with the same clock.
        log.record_write(4, 0, 1);
        assert_eq!(log.unreplicated_at(u64::MAX - 1), 1);
        assert_eq!(log.counters().writes, 4);
        assert_eq!(log.counters().lost, 1);
    }

    #[test]
    fn the_same_writes_give_the_same_answers() {
        let run = || {
            let mut log = ReplicationLog::with_max_pending(500).unwrap();
            let mut rng = Stream::new(3, 0, StreamPurpose::Service);
            let mut out = Vec::new();
            for i in 0..20_000u64 {
                let lag = (rng.exponential(50.0) * 1e6) as Nanos;
                log.record_write(u64::from(rng.below(300)), i * MS, lag);
                if i % 97 == 0 {
                    out.push((log.unreplicated_at(i * MS), log.is_stale(i % 300, i * MS), log.current_lag(i * MS)));
                }
                if i % 5000 == 4999 {
                    out.push((log.fail_primary(i * MS), false, 0));
                }
            }
            out
        };
        assert_eq!(run(), run());
    }
}
