//! A circuit breaker on one wire of a caller: it stops calling a
//! dependency that keeps failing, so the dependency gets room to recover
//! and the caller fails fast instead of waiting on it.
//!
//! - **Closed**: calls go through; their results are counted in 1-s
//!   buckets over the last `window_s` seconds. Once the window holds at
//!   least `min_calls` results and the failed share reaches `threshold`,
//!   it opens.
//! - **Open**: every call is refused, for `cooldown`. The move to
//!   half-open is lazy: the first call asked for after the cooldown makes
//!   it (and is the first trial), so no timer is needed.
//! - **Half-open**: exactly `trial_calls` calls go through, the rest are
//!   refused. All trials succeed: closed again, with an empty window. Any
//!   trial fails: open again, for another cooldown.
//!
//! Results of calls sent before the breaker last opened are ignored when
//! they come back (a straggler of the closed period says nothing about
//! the trials). Whether a result counts as a failure is the caller's
//! call (a 429 means "back off", not "broken"). Nothing here draws a
//! random number.

use crate::base::time::{Nanos, NS_PER_S as SECOND};

/// A breaker's settings, in run-time units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Seconds of results counted (1-s buckets), at least 1.
    pub window_s: u32,
    pub min_calls: u32,
    /// The failed share that opens it, in (0, 1].
    pub threshold: f64,
    pub cooldown: Nanos,
    pub trial_calls: u32,
}

/// Where a breaker is, for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Closed,
    Open,
    HalfOpen,
}

/// A change of state worth a line in the event log.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transition {
    /// Closed → open: `failed` of `calls` results in the window failed.
    Opened { failed: u32, calls: u32, window_s: u32 },
    /// The cooldown is over: trial calls go through.
    HalfOpened { trials: u32 },
    /// A trial failed: open again.
    Reopened,
    /// Every trial succeeded.
    Closed { trials: u32 },
}

impl Transition {
    /// The log line's words, after "caller → callee: ".
    pub fn words(&self) -> String {
        match *self {
            Transition::Opened { failed, calls, window_s } => format!(
                "circuit opened ({:.0}% of {calls} calls failed in {window_s} s)",
                100.0 * f64::from(failed) / f64::from(calls.max(1))
            ),
            Transition::HalfOpened { trials } => {
                format!("circuit half-open (letting {trials} trial call{} through)", plural(trials))
            }
            Transition::Reopened => "circuit opened again (a trial call failed)".to_string(),
            Transition::Closed { trials } => {
                format!("circuit closed ({trials} trial call{} succeeded)", plural(trials))
            }
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Closed,
    Open { until: Nanos },
    HalfOpen { sent: u32, succeeded: u32 },
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Bucket {
    second: u64,
    calls: u32,
    failed: u32,
}

#[derive(Clone, Debug)]
pub struct Breaker {
    settings: Settings,
    phase: Phase,
    /// One bucket per second of the window, at `second % window_s`.
    buckets: Vec<Bucket>,
    /// Sums over the buckets still in the window.
    calls: u32,
    failed: u32,
    /// The latest second counted (older buckets are emptied on the way).
    second: u64,
    /// When it last opened: results of calls sent before are ignored.
    opened_at: Option<Nanos>,
    /// The failed share that last opened it.
    opened_share: f64,
}

impl Breaker {
    pub fn new(settings: Settings) -> Breaker {
        let window = settings.window_s.max(1) as usize;
        Breaker {
            settings,
            phase: Phase::Closed,
            buckets: vec![Bucket::default(); window],
            calls: 0,
            failed: 0,
            second: 0,
            opened_at: None,
            opened_share: 0.0,
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// May a call go out at `now`? Refused while open, and in half-open
    /// once the trials are out. The first call after the cooldown moves it
    /// to half-open (the transition is returned) and is the first trial.
    pub fn allow(&mut self, now: Nanos) -> (bool, Option<Transition>) {
        match self.phase {
            Phase::Closed => (true, None),
            Phase::Open { until } if now < until => (false, None),
            Phase::Open { .. } => {
                self.phase = Phase::HalfOpen { sent: 1, succeeded: 0 };
                (true, Some(Transition::HalfOpened { trials: self.settings.trial_calls }))
            }
            Phase::HalfOpen { sent, succeeded } => {
                if sent < self.settings.trial_calls {
                    self.phase = Phase::HalfOpen { sent: sent + 1, succeeded };
                    (true, None)
                } else {
                    (false, None)
                }
            }
        }
    }

    /// The result of a call sent at `sent_at` came back at `now` (or the
    /// call timed out then): `failed` says whether it counts as a failure.
    pub fn record(&mut self, now: Nanos, sent_at: Nanos, failed: bool) -> Option<Transition> {
        if self.opened_at.is_some_and(|t| sent_at <= t) {
            return None; // sent before the breaker last opened
        }
        match self.phase {
            Phase::Closed => {
                self.advance(now);
                let b = self.reset_bucket(now / SECOND);
                b.calls += 1;
                b.failed += u32::from(failed);
                self.calls += 1;
                self.failed += u32::from(failed);
                let share = f64::from(self.failed) / f64::from(self.calls);
                if self.calls >= self.settings.min_calls && share >= self.settings.threshold {
                    let t =
                        Transition::Opened { failed: self.failed, calls: self.calls, window_s: self.settings.window_s };
                    self.opened_share = share;
                    self.open(now);
                    return Some(t);
                }
                None
            }
            // Only calls sent after it opened count, and none is sent while open.
            Phase::Open { .. } => None,
            Phase::HalfOpen { sent, succeeded } => {
                if failed {
                    self.open(now);
                    return Some(Transition::Reopened);
                }
                let succeeded = succeeded + 1;
                if succeeded >= self.settings.trial_calls {
                    self.close();
                    return Some(Transition::Closed { trials: self.settings.trial_calls });
                }
                self.phase = Phase::HalfOpen { sent, succeeded };
                None
            }
        }
    }

    /// A call sent at `sent_at` ended in a way that says nothing of the
    /// callee (its caller gave up on it, or restarted): not counted, and a
    /// trial among them gives its place back, so half-open still hears
    /// `trial_calls` answers before it decides.
    pub fn withdraw(&mut self, sent_at: Nanos) {
        if self.opened_at.is_some_and(|t| sent_at <= t) {
            return; // not one of this half-open phase's trials
        }
        if let Phase::HalfOpen { sent, succeeded } = self.phase {
            self.phase = Phase::HalfOpen { sent: sent.saturating_sub(1).max(succeeded), succeeded };
        }
    }

    /// Where it is at `now` (an open breaker past its cooldown reads as
    /// half-open, the state its next call finds) and the failed share: of
    /// the window's results while closed (0 without any), the one that
    /// opened it otherwise.
    pub fn view(&self, now: Nanos) -> (State, f64) {
        match self.phase {
            Phase::Closed => {
                let (calls, failed) = self.window_sums(now);
                (State::Closed, if calls == 0 { 0.0 } else { f64::from(failed) / f64::from(calls) })
            }
            Phase::Open { until } if now < until => (State::Open, self.opened_share),
            _ => (State::HalfOpen, self.opened_share),
        }
    }

    /// New settings while running: the state is kept (an open breaker's
    /// cooldown counts from when it opened); a new window starts empty.
    pub fn retune(&mut self, settings: Settings) {
        if settings == self.settings {
            return;
        }
        let window_changed = settings.window_s != self.settings.window_s;
        self.settings = settings;
        if window_changed {
            self.empty_window();
        }
        match self.phase {
            Phase::Open { .. } => {
                let opened = self.opened_at.unwrap_or(0);
                self.phase = Phase::Open { until: opened.saturating_add(settings.cooldown) };
            }
            // Fewer trials than already succeeded: it has seen enough.
            Phase::HalfOpen { succeeded, .. } if succeeded >= settings.trial_calls => self.close(),
            _ => {}
        }
    }

    fn open(&mut self, now: Nanos) {
        self.phase = Phase::Open { until: now.saturating_add(self.settings.cooldown) };
        self.opened_at = Some(now);
    }

    fn close(&mut self) {
        self.phase = Phase::Closed;
        self.empty_window();
    }

    fn empty_window(&mut self) {
        self.buckets = vec![Bucket::default(); self.settings.window_s.max(1) as usize];
        self.calls = 0;
        self.failed = 0;
    }

    /// Empties the buckets that fell out of the window by `now`'s second
    /// (each second once: amortised O(1) per result).
    fn advance(&mut self, now: Nanos) {
        let s = now / SECOND;
        if s <= self.second {
            return;
        }
        let n = self.buckets.len() as u64;
        for second in (self.second + 1).max(s.saturating_sub(n - 1))..=s {
            self.reset_bucket(second);
        }
        self.second = s;
    }

    /// The bucket of `second`, emptied first if it held an older second.
    fn reset_bucket(&mut self, second: u64) -> &mut Bucket {
        let n = self.buckets.len() as u64;
        let b = &mut self.buckets[(second % n) as usize];
        if b.second != second {
            self.calls -= b.calls;
            self.failed -= b.failed;
            *b = Bucket { second, calls: 0, failed: 0 };
        }
        b
    }

    /// Results and failures in the window ending in `now`'s second (read only).
    fn window_sums(&self, now: Nanos) -> (u32, u32) {
        let s = now / SECOND;
        let n = self.buckets.len() as u64;
        self.buckets
            .iter()
            .filter(|b| b.second <= s && b.second + n > s && (b.calls > 0))
            .fold((0, 0), |(c, f), b| (c + b.calls, f + b.failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;

    fn settings() -> Settings {
        Settings { window_s: 10, min_calls: 20, threshold: 0.5, cooldown: 5 * SECOND, trial_calls: 3 }
    }

    /// `n` results at `t`, sent 1 ms before, the last `failed` of them
    /// failures; the transitions they caused.
    fn results(b: &mut Breaker, t: Nanos, n: u32, failed: u32) -> Vec<Transition> {
        (0..n).filter_map(|i| b.record(t, t - MS, i >= n - failed)).collect()
    }

    #[test]
    fn a_withdrawn_trial_gives_its_place_back() {
        let mut b = Breaker::new(settings());
        let s = SECOND;
        for i in 0..20 {
            b.record(s + i, s, true);
        }
        assert!(matches!(b.view(s + 100).0, State::Open));
        let after = s + 100 + b.settings().cooldown;
        // Every trial goes out; one comes back as its caller's doing.
        for _ in 0..b.settings().trial_calls {
            assert!(b.allow(after).0);
        }
        assert!(!b.allow(after).0, "all trials are out");
        b.withdraw(after);
        assert!(b.allow(after + 1).0, "the withdrawn trial's place is free again");
        // A result from before it opened is not a trial: nothing changes.
        b.withdraw(s);
        assert!(!b.allow(after + 2).0);
    }
    #[test]
    fn it_opens_only_with_enough_calls_and_a_high_enough_failed_share() {
        let mut b = Breaker::new(settings());
        // 19 failures: below the minimum of calls.
        assert!(results(&mut b, SECOND, 19, 19).is_empty());
        assert_eq!(b.view(SECOND).0, State::Closed);
        assert!(b.allow(SECOND).0);
        // The 20th result opens it: 19 of 20 failed.
        assert_eq!(results(&mut b, SECOND, 1, 0), [Transition::Opened { failed: 19, calls: 20, window_s: 10 }]);
        assert_eq!(b.view(SECOND), (State::Open, 0.95));
        assert_eq!(b.allow(SECOND + 1), (false, None));

        // 40 results, 19 failed: 47.5% < 50% stays closed; one more failure
        // makes 20 of 41 (48.8%), then 21 of 42 = 50% opens.
        let mut b = Breaker::new(settings());
        assert!(results(&mut b, SECOND, 40, 19).is_empty());
        assert!(results(&mut b, SECOND, 1, 1).is_empty());
        assert_eq!(results(&mut b, SECOND, 1, 1), [Transition::Opened { failed: 21, calls: 42, window_s: 10 }]);
        assert_eq!(
            Transition::Opened { failed: 25, calls: 40, window_s: 10 }.words(),
            "circuit opened (62% of 40 calls failed in 10 s)"
        );
    }

    #[test]
    fn old_results_leave_the_window_second_by_second() {
        let mut b = Breaker::new(settings());
        // 15 failures at 1 s, then 10 successes at 11.5 s: the failures
        // left the window (it covers seconds 2..=11), so 10 calls, none failed.
        assert!(results(&mut b, SECOND, 15, 15).is_empty());
        assert_eq!(b.view(SECOND + 500 * MS), (State::Closed, 1.0));
        assert_eq!(b.view(11 * SECOND), (State::Closed, 0.0), "read only: second 1 is out");
        assert!(results(&mut b, 11 * SECOND + 500 * MS, 10, 0).is_empty());
        assert_eq!((b.calls, b.failed), (10, 0));
        // 15 failures at 10.9 s would still have been in: 15 of 25 opens.
        let mut c = Breaker::new(settings());
        assert!(results(&mut c, 2 * SECOND + 900 * MS, 15, 15).is_empty());
        assert_eq!(results(&mut c, 11 * SECOND + 500 * MS, 10, 0).len(), 1);
        // A long quiet gap empties everything once.
        let mut d = Breaker::new(settings());
        assert!(results(&mut d, SECOND, 10, 10).is_empty());
        assert!(results(&mut d, 1000 * SECOND, 19, 9).is_empty());
        assert_eq!((d.calls, d.failed), (19, 9));
    }

    #[test]
    fn half_open_lets_exactly_the_trials_through_and_closes_when_they_all_succeed() {
        let mut b = Breaker::new(settings());
        results(&mut b, SECOND, 20, 20);
        // Open for 5 s: every call refused.
        assert!((0..100).all(|i| !b.allow(SECOND + i * 49 * MS).0));
        assert_eq!(b.view(6 * SECOND).0, State::HalfOpen, "read as half-open past its cooldown");
        // After the cooldown: 3 trials, then refusals until they are back.
        let t = 6 * SECOND;
        assert_eq!(b.allow(t), (true, Some(Transition::HalfOpened { trials: 3 })));
        assert_eq!(b.allow(t + MS), (true, None));
        assert_eq!(b.allow(t + 2 * MS), (true, None));
        assert!((3..50).all(|i| !b.allow(t + i * MS).0), "exactly 3 trials");
        // A straggler sent before it opened says nothing.
        assert_eq!(b.record(t + 3 * MS, SECOND - MS, false), None);
        assert_eq!(b.record(t + 3 * MS, SECOND, true), None, "sent at the instant it opened");
        assert_eq!(b.record(t + 3 * MS, t, false), None);
        assert_eq!(b.record(t + 4 * MS, t + MS, false), None);
        assert_eq!(b.view(t + 4 * MS).0, State::HalfOpen);
        assert_eq!(b.record(t + 5 * MS, t + 2 * MS, false), Some(Transition::Closed { trials: 3 }));
        assert_eq!(b.view(t + 5 * MS), (State::Closed, 0.0), "the window starts empty");
        assert!(b.allow(t + 6 * MS).0);
    }

    #[test]
    fn a_failed_trial_opens_it_again_for_a_whole_cooldown() {
        let mut b = Breaker::new(settings());
        results(&mut b, SECOND, 20, 20);
        let t = 6 * SECOND;
        assert!(b.allow(t).0 && b.allow(t + MS).0);
        assert_eq!(b.record(t + 2 * MS, t, true), Some(Transition::Reopened));
        assert_eq!(b.view(t + 2 * MS).0, State::Open);
        // The other trial's answer comes back after: ignored.
        assert_eq!(b.record(t + 3 * MS, t + MS, false), None);
        assert!(!b.allow(t + 2 * MS + 5 * SECOND - 1).0);
        assert_eq!(b.allow(t + 2 * MS + 5 * SECOND).1, Some(Transition::HalfOpened { trials: 3 }));
    }

    #[test]
    fn a_retune_keeps_the_state() {
        let mut b = Breaker::new(settings());
        results(&mut b, SECOND, 20, 20);
        // A longer cooldown counts from when it opened.
        b.retune(Settings { cooldown: 8 * SECOND, ..settings() });
        assert!(!b.allow(8 * SECOND).0);
        assert!(b.allow(9 * SECOND).0);
        // One trial succeeded; down to one trial: closed at once.
        assert_eq!(b.record(9 * SECOND + MS, 9 * SECOND, false), None);
        b.retune(Settings { trial_calls: 1, cooldown: 8 * SECOND, ..settings() });
        assert_eq!(b.view(9 * SECOND + MS).0, State::Closed);
        // A new window starts empty.
        results(&mut b, 10 * SECOND, 10, 10);
        b.retune(Settings { window_s: 30, trial_calls: 1, cooldown: 8 * SECOND, ..settings() });
        assert_eq!(b.view(10 * SECOND), (State::Closed, 0.0));
    }
}
