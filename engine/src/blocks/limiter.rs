//! Rate limiting: whether a request is let through, by one of two rules, for
//! everyone together or per caller (a key).
//!
//! - **Token bucket.** A bucket holds at most `burst` tokens and refills
//!   continuously at `rate_rps` tokens a second; a request takes one token, or
//!   is refused when there is less than one. Over any span of `T` seconds it
//!   lets through at most `burst + rate_rps · T` requests, and under a steady
//!   overload exactly `rate_rps` a second in the long run.
//! - **Sliding window (counter).** Time is cut into fixed windows of
//!   `window` aligned to the start of the run; each key counts the requests it
//!   let through in the current window and in the one before. The count over
//!   the last `window` is estimated by weighting the previous window by the
//!   share of it that still overlaps the sliding window:
//!   `previous · (1 − elapsed/window) + current`. A request is let through
//!   while that estimate is below the limit (`rate_rps · window`). This is the
//!   standard sliding-window-counter approximation (as popularised by
//!   Cloudflare): it assumes the previous window's requests were spread
//!   evenly, so it is not an exact count of the last `window`, but it needs two
//!   counters per key instead of a log of timestamps. Refused requests are not
//!   counted, so a caller who keeps sending beyond the limit still gets
//!   `rate_rps` through.
//!
//! Everything is integer arithmetic on the simulated time, exact and the same
//! on every platform (wasm included); no random number is drawn, so a
//! limiter changes no random stream. Rates count in thousandths of a request
//! a second (`rate_rps` is taken to the nearest 0.001): a token is
//! [`TICKS_PER_TOKEN`] ticks, and a rate of `m` thousandths refills exactly
//! `m` ticks a nanosecond. The window's weighted comparison is made in whole
//! numbers too, multiplied out (see `State::admit`).
//!
//! **Per key.** With keys, each key has its own bucket or counters, in a map.
//! A key whose bucket is full again (or whose two windows are both empty) is
//! in exactly the state of a key never seen, so such entries are dropped
//! lazily ([`Limiter::prune`]): pruning changes no decision, only memory. The
//! map holds at most [`MAX_KEYS`] keys; a new key arriving while it is full
//! (every key in it still busy after a prune) shares one of
//! [`SHARED_BUCKETS`] buckets chosen by a hash of the key. Keys sharing a
//! bucket are limited together: stricter than asked, never looser. Below the
//! cap that never happens.

use crate::base::limits::{MAX_LIMITER_WINDOW_S, MAX_RPS};
use crate::base::time::{Nanos, NS_PER_S};
use crate::blocks::sharding::{key_hash, KeyMap};
use std::fmt;

/// Most keys with a state of their own. The map then takes about 13 MB at
/// the very worst: 2¹⁸ slots (its size for 200,000 keys at its 7/8 load),
/// each a key and its state (48 bytes) and a control byte. Only keys that
/// sent a request recently are kept (a bucket not yet full again, a window
/// not yet empty), so designs stay far below it: 100,000 users a second
/// against a token bucket of 10 a second each keep about 10,000 buckets. A
/// long sliding window keeps its keys longest (two windows).
pub const MAX_KEYS: usize = 200_000;

/// Buckets shared by the keys that find the map full (see the module's doc).
pub const SHARED_BUCKETS: u64 = 1 << 12;

/// New keys between two prunes, beyond the keys kept by the last one: each
/// prune scans the map once, after at least as many new keys as it kept, so
/// its cost per request stays constant.
const PRUNE_SLACK: usize = 1024;

/// A token in ticks: a rate of `m` thousandths of a request a second
/// refills `m` ticks a nanosecond (10¹² ticks a token = 1000 × 10⁹ ns).
pub const TICKS_PER_TOKEN: u128 = 1_000_000_000_000;

/// The longest window ([`MAX_LIMITER_WINDOW_S`]), which keeps the window's
/// arithmetic well inside u128.
pub const MAX_WINDOW: Nanos = MAX_LIMITER_WINDOW_S * NS_PER_S;

/// The fastest rate: the most one users node may send ([`MAX_RPS`]).
pub const MAX_RATE_RPS: f64 = MAX_RPS;

/// The rule a limiter applies; rates in thousandths of a request a second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `milli_rps` / 1000 tokens a second into a bucket of `burst` tokens.
    TokenBucket { milli_rps: u64, burst: u64 },
    /// At most `milli_rps` / 1000 · `window` / 10⁹ requests (estimated) in
    /// any `window` nanoseconds.
    SlidingWindow { milli_rps: u64, window: Nanos },
}

/// A limiter parameter out of range; `Display` says which.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LimiterError {
    /// The rate is negative, NaN, infinite or above [`MAX_RATE_RPS`].
    Rate(f64),
    /// The bucket holds no token (nothing could ever pass).
    Burst,
    /// The window is zero or longer than [`MAX_WINDOW`].
    Window(Nanos),
}

impl fmt::Display for LimiterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimiterError::Rate(r) => write!(f, "a rate must be a number from 0 to {MAX_RATE_RPS} a second, not {r}"),
            LimiterError::Burst => write!(f, "a bucket must hold at least 1 token"),
            LimiterError::Window(w) => {
                write!(f, "a window must be longer than 0 and at most {} s, not {w} ns", MAX_WINDOW / 1_000_000_000)
            }
        }
    }
}

impl std::error::Error for LimiterError {}

/// A rate in requests a second to thousandths, rounded to the nearest.
fn milli(rate_rps: f64) -> Result<u64, LimiterError> {
    if !(rate_rps.is_finite() && (0.0..=MAX_RATE_RPS).contains(&rate_rps)) {
        return Err(LimiterError::Rate(rate_rps));
    }
    Ok((rate_rps * 1000.0).round() as u64)
}

impl Rule {
    pub fn token_bucket(rate_rps: f64, burst: u64) -> Result<Rule, LimiterError> {
        let milli_rps = milli(rate_rps)?;
        if burst == 0 {
            return Err(LimiterError::Burst);
        }
        Ok(Rule::TokenBucket { milli_rps, burst })
    }

    /// `rate_rps` a second over windows of `window` nanoseconds: at most
    /// `rate_rps · window` requests a window.
    pub fn sliding_window(rate_rps: f64, window: Nanos) -> Result<Rule, LimiterError> {
        let milli_rps = milli(rate_rps)?;
        if window == 0 || window > MAX_WINDOW {
            return Err(LimiterError::Window(window));
        }
        Ok(Rule::SlidingWindow { milli_rps, window })
    }

    /// The state of a key never seen (or idle long enough to be the same), at `now`.
    fn fresh(&self, now: Nanos) -> State {
        match *self {
            Rule::TokenBucket { burst, .. } => State::Bucket { ticks: u128::from(burst) * TICKS_PER_TOKEN, at: now },
            Rule::SlidingWindow { window, .. } => State::Window { index: now / window, current: 0, previous: 0 },
        }
    }
}

/// One key's state under its rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Tokens left at time `at`, in ticks ([`TICKS_PER_TOKEN`] a token).
    Bucket { ticks: u128, at: Nanos },
    /// Requests let through in fixed window `index` (`current`) and in the
    /// window before it (`previous`).
    Window { index: u64, current: u64, previous: u64 },
}

impl State {
    /// Brings the state forward to `now` (never earlier than the last call):
    /// the bucket refills, the windows roll over.
    #[inline]
    fn advance(&mut self, rule: &Rule, now: Nanos) {
        match (self, *rule) {
            (State::Bucket { ticks, at }, Rule::TokenBucket { milli_rps, burst }) => {
                let elapsed = u128::from(now.saturating_sub(*at));
                let full = u128::from(burst) * TICKS_PER_TOKEN;
                *ticks = ticks.saturating_add(elapsed.saturating_mul(u128::from(milli_rps))).min(full);
                *at = now.max(*at);
            }
            (State::Window { index, current, previous }, Rule::SlidingWindow { window, .. }) => {
                let now_index = now / window;
                if now_index == *index + 1 {
                    *previous = *current;
                    *current = 0;
                } else if now_index > *index + 1 {
                    *previous = 0;
                    *current = 0;
                }
                *index = now_index.max(*index);
            }
            // A state of another rule is replaced when the rule changes
            // (`Limiter::set_rule`), so this is never reached.
            (state, rule) => *state = rule.fresh(now),
        }
    }

    /// Whether a request at `now` passes; if so, it is counted.
    #[inline]
    fn admit(&mut self, rule: &Rule, now: Nanos) -> bool {
        self.advance(rule, now);
        match (self, *rule) {
            (State::Bucket { ticks, .. }, Rule::TokenBucket { .. }) => {
                if *ticks >= TICKS_PER_TOKEN {
                    *ticks -= TICKS_PER_TOKEN;
                    true
                } else {
                    false
                }
            }
            (State::Window { index, current, previous }, Rule::SlidingWindow { milli_rps, window }) => {
                // previous · (1 − e/W) + current < rate · W, with e the time
                // into this window, W the window and the rate m / 1000 per
                // 10⁹ ns, multiplied by 10¹² · W: whole numbers, below 10³⁶
                // for the largest rate and window.
                let w = u128::from(window);
                let e = u128::from(now.saturating_sub(*index * window));
                let estimate = TICKS_PER_TOKEN * (u128::from(*previous) * (w - e) + u128::from(*current) * w);
                if estimate < u128::from(milli_rps) * w * w {
                    *current += 1;
                    true
                } else {
                    false
                }
            }
            _ => unreachable!("`advance` matched the state to the rule"),
        }
    }

    /// Whether the state at `now` is that of a key never seen: a full
    /// bucket, or two empty windows.
    fn idle(&self, rule: &Rule, now: Nanos) -> bool {
        let mut s = *self;
        s.advance(rule, now);
        s == rule.fresh(now)
    }
}

/// A rate limiter: one state for everyone, and one per key for callers
/// limited each on their own.
#[derive(Clone, Debug)]
pub struct Limiter {
    rule: Rule,
    global: State,
    keys: KeyMap<State>,
    /// Keys over the cap share these, by a hash of the key.
    shared: KeyMap<State>,
    /// Requests from keys without a state of their own since the last
    /// prune, and the keys that prune kept.
    inserted: usize,
    kept: usize,
    max_keys: usize,
}

impl Limiter {
    pub fn new(rule: Rule) -> Limiter {
        Limiter::with_cap(rule, MAX_KEYS)
    }

    /// A limiter whose map holds at most `max_keys` keys (tests use a small cap).
    pub fn with_cap(rule: Rule, max_keys: usize) -> Limiter {
        Limiter {
            rule,
            global: rule.fresh(0),
            keys: KeyMap::default(),
            shared: KeyMap::default(),
            inserted: 0,
            kept: 0,
            max_keys,
        }
    }

    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// A new rule. Of the same kind (bucket or window, and the same window),
    /// every key keeps its state: a bucket keeps its tokens (at most the new
    /// burst, from its next request on), a window its counts. Otherwise every
    /// key starts afresh.
    pub fn set_rule(&mut self, rule: Rule) {
        let same = match (self.rule, rule) {
            (Rule::TokenBucket { .. }, Rule::TokenBucket { .. }) => true,
            (Rule::SlidingWindow { window: a, .. }, Rule::SlidingWindow { window: b, .. }) => a == b,
            _ => false,
        };
        self.rule = rule;
        if !same {
            self.clear();
        }
    }

    /// Forgets every key (a restart): all start afresh, as if never seen.
    pub fn clear(&mut self) {
        self.global = self.rule.fresh(0);
        self.keys = KeyMap::default();
        self.shared = KeyMap::default();
        self.inserted = 0;
        self.kept = 0;
    }

    /// Whether a request at `now` passes, counted against `key`'s own state,
    /// or against everyone's when `key` is `None`. Calls come in time order.
    #[inline]
    pub fn admit(&mut self, key: Option<u64>, now: Nanos) -> bool {
        let rule = self.rule;
        let Some(key) = key else { return self.global.admit(&rule, now) };
        if let Some(state) = self.keys.get_mut(&key) {
            return state.admit(&rule, now);
        }
        // A key without a state of its own: time to prune, after as many
        // such keys as the last prune kept (and a little more)?
        if self.inserted >= self.kept + PRUNE_SLACK {
            self.prune(now);
        }
        self.inserted += 1;
        if self.keys.len() < self.max_keys {
            return self.keys.entry(key).or_insert_with(|| rule.fresh(now)).admit(&rule, now);
        }
        let bucket = key_hash(key) % SHARED_BUCKETS;
        self.shared.entry(bucket).or_insert_with(|| rule.fresh(now)).admit(&rule, now)
    }

    /// Drops the keys whose state is that of a key never seen: no decision
    /// changes, since such a key would start from exactly that state.
    pub fn prune(&mut self, now: Nanos) {
        let rule = self.rule;
        self.keys.retain(|_, s| !s.idle(&rule, now));
        self.shared.retain(|_, s| !s.idle(&rule, now));
        self.kept = self.keys.len();
        self.inserted = 0;
    }

    /// Keys with a state of their own, and shared buckets in use.
    pub fn keys(&self) -> (usize, usize) {
        (self.keys.len(), self.shared.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Nanos = 1_000_000;
    const S: Nanos = 1_000_000_000;

    fn passed(l: &mut Limiter, key: Option<u64>, times: impl IntoIterator<Item = Nanos>) -> usize {
        times.into_iter().filter(|&t| l.admit(key, t)).count()
    }

    #[test]
    fn a_full_bucket_lets_a_burst_through_then_the_rate() {
        let mut l = Limiter::new(Rule::token_bucket(100.0, 10).unwrap());
        // Ten at once, then nothing until a token has refilled (10 ms).
        assert_eq!(passed(&mut l, None, [0; 15]), 10);
        assert!(!l.admit(None, 9 * MS));
        assert!(l.admit(None, 10 * MS));
        assert!(!l.admit(None, 10 * MS));
        // A request every millisecond for 10 s: one in ten passes.
        assert_eq!(passed(&mut l, None, (1..=10_000).map(|i| 10 * MS + i * MS)), 1000);
    }

    #[test]
    fn a_bucket_passes_its_burst_and_every_token_the_rate_brought() {
        // Dense arrivals (every 0.1 ms) for 10 s from a full bucket: the
        // burst, and every whole token refilled by the last arrival, exactly.
        for (rate, burst) in [(100.0, 10), (7.0, 1), (1000.0, 1000), (0.0, 3), (2.5, 4), (0.001, 1), (33.333, 2)] {
            let mut l = Limiter::new(Rule::token_bucket(rate, burst).unwrap());
            let n = passed(&mut l, None, (0..100_000).map(|i| i * MS / 10));
            let last: u128 = 99_999 * 100_000;
            let refilled = last * (rate * 1000.0_f64).round() as u128 / TICKS_PER_TOKEN;
            assert_eq!(n as u128, u128::from(burst) + refilled, "{rate}/s, bucket {burst}");
        }
    }

    #[test]
    fn under_its_rate_a_bucket_refuses_nothing() {
        let mut l = Limiter::new(Rule::token_bucket(100.0, 1).unwrap());
        assert_eq!(passed(&mut l, None, (0..1000).map(|i| i * 10 * MS)), 1000, "exactly the rate");
        let mut l = Limiter::new(Rule::token_bucket(100.0, 5).unwrap());
        // Bursts of 5 every 50 ms: 100/s, never more than the bucket.
        assert_eq!(passed(&mut l, None, (0..5000).map(|i| (i / 5) * 50 * MS)), 5000);
    }

    #[test]
    fn a_fixed_window_without_history_lets_the_limit_through() {
        let mut l = Limiter::new(Rule::sliding_window(100.0, S).unwrap());
        // The first window: nothing before it, so exactly 100 of 300.
        assert_eq!(passed(&mut l, None, (0..300).map(|i| i * S / 300)), 100);
    }

    #[test]
    fn the_previous_window_counts_by_its_overlap() {
        let mut l = Limiter::new(Rule::sliding_window(50.0, 60 * S).unwrap());
        // 3,000 allowed a minute. 2,400 in the first minute (all pass)...
        assert_eq!(passed(&mut l, None, (0..2400).map(|i| i * 20 * MS)), 2400);
        // ...then 15 s into the next one the estimate is 2,400 · 45/60 = 1,800
        // plus this window's count: 1,200 more pass, no more.
        let t = 75 * S;
        assert_eq!(passed(&mut l, None, [t; 1500]), 1200);
        // Half a minute later, 2,400 · 15/60 + 1,200 = 1,800: 1,200 more.
        assert_eq!(passed(&mut l, None, [105 * S; 1500]), 1200);
        // Two windows on, nothing is remembered.
        assert_eq!(passed(&mut l, None, [180 * S; 4000]), 3000);
    }

    #[test]
    fn a_window_under_steady_overload_passes_its_limit_each_window() {
        let mut l = Limiter::new(Rule::sliding_window(100.0, S).unwrap());
        // 1,000/s for 100 s: 100 a second, give or take the last request of
        // a window (the estimate reaches the limit a hair before the end).
        let n = passed(&mut l, None, (0..100_000).map(|i| i * MS));
        assert!((9_900..=10_000).contains(&n), "{n}");
    }

    #[test]
    fn keys_are_limited_each_on_their_own() {
        let mut l = Limiter::new(Rule::token_bucket(10.0, 2).unwrap());
        assert_eq!(passed(&mut l, Some(1), [0; 5]), 2);
        assert_eq!(passed(&mut l, Some(2), [0; 5]), 2);
        assert_eq!(passed(&mut l, None, [0; 5]), 2, "everyone's bucket is another one");
        assert_eq!(l.keys(), (2, 0));
    }

    /// A deterministic mix of keys and times: a few busy keys and many
    /// that send once in a while.
    fn traffic() -> impl Iterator<Item = (u64, Nanos)> {
        (0..200_000u64).map(|i| {
            let h = key_hash(i);
            let key = if h.is_multiple_of(3) { h % 5 } else { 100 + h % 5_000 };
            (key, i * MS / 20)
        })
    }

    #[test]
    fn pruning_changes_no_decision() {
        for rule in [Rule::token_bucket(3.0, 2).unwrap(), Rule::sliding_window(3.0, S / 2).unwrap()] {
            let mut pruned = Limiter::new(rule);
            let mut kept = Limiter::new(rule);
            kept.kept = usize::MAX / 2; // never prunes
            let mut prunes = 0;
            for (i, (key, t)) in traffic().enumerate() {
                if i % 997 == 0 {
                    pruned.prune(t);
                    prunes += 1;
                }
                assert_eq!(pruned.admit(Some(key), t), kept.admit(Some(key), t), "{rule:?}: key {key} at {t}");
            }
            assert!(prunes > 200 && pruned.keys().0 < kept.keys().0, "{rule:?}: {:?} {:?}", pruned.keys(), kept.keys());
        }
    }

    #[test]
    fn the_map_stays_small_when_keys_go_quiet() {
        // 5,000 keys each sending once a second: a bucket refills in a
        // tenth of a second, so few keys are busy at any time.
        let mut l = Limiter::new(Rule::token_bucket(10.0, 1).unwrap());
        for i in 0..100_000u64 {
            l.admit(Some(key_hash(i) % 5_000), i * S / 5_000);
        }
        let (own, shared) = l.keys();
        assert!(own < 3_000 && shared == 0, "{own} keys");
    }

    #[test]
    fn beyond_the_cap_keys_share_buckets() {
        let mut l = Limiter::with_cap(Rule::token_bucket(1.0, 1).unwrap(), 100);
        // 1,000 keys at once: none is idle, so 100 get their own bucket and
        // the rest share: stricter, never looser.
        let n = (0..1_000u64).filter(|&k| l.admit(Some(k), 0)).count();
        let (own, shared) = l.keys();
        assert_eq!(own, 100);
        assert!(shared > 0 && shared as u64 <= SHARED_BUCKETS);
        assert_eq!(n, 100 + shared, "one request per bucket");
        // A second later every bucket is full again: a prune empties the map.
        l.prune(S);
        assert_eq!(l.keys(), (0, 0));
    }

    #[test]
    fn a_new_rule_keeps_what_it_can() {
        let mut l = Limiter::new(Rule::token_bucket(10.0, 5).unwrap());
        assert_eq!(passed(&mut l, Some(1), [0; 5]), 5);
        l.set_rule(Rule::token_bucket(10.0, 50).unwrap());
        assert!(!l.admit(Some(1), 0), "the bucket kept its (empty) state");
        l.set_rule(Rule::sliding_window(10.0, S).unwrap());
        assert_eq!(passed(&mut l, Some(1), [0; 20]), 10, "another kind of rule starts afresh");
        l.clear();
        assert_eq!(l.keys(), (0, 0));
    }

    #[test]
    fn rules_refuse_nonsense() {
        assert_eq!(Rule::token_bucket(-1.0, 1), Err(LimiterError::Rate(-1.0)));
        assert!(Rule::token_bucket(f64::NAN, 1).is_err());
        assert!(Rule::token_bucket(MAX_RATE_RPS * 2.0, 1).is_err());
        assert_eq!(Rule::token_bucket(1.0, 0), Err(LimiterError::Burst));
        assert_eq!(Rule::sliding_window(1.0, 0), Err(LimiterError::Window(0)));
        assert!(Rule::sliding_window(1.0, MAX_WINDOW + 1).is_err());
        assert_eq!(Rule::token_bucket(2.5, 3), Ok(Rule::TokenBucket { milli_rps: 2500, burst: 3 }));
        assert!(LimiterError::Burst.to_string().contains("at least 1 token"));
    }

    #[test]
    fn a_key_and_its_state_take_48_bytes() {
        // The memory bound on `MAX_KEYS` counts on it.
        assert!(std::mem::size_of::<(u64, State)>() <= 48);
    }

    #[test]
    fn the_largest_rule_does_not_overflow() {
        // The most requests a window may hold, at the largest rate and window.
        let mut l = Limiter::new(Rule::sliding_window(MAX_RATE_RPS, MAX_WINDOW).unwrap());
        assert!(l.admit(None, MAX_WINDOW - 1));
        let State::Window { current, .. } = &mut l.global else { panic!("a window") };
        *current = 36_000_000_000 - 1;
        assert!(l.admit(None, MAX_WINDOW * 2 - 1), "the previous window, almost over, weighs little");
        let mut l = Limiter::new(Rule::token_bucket(MAX_RATE_RPS, u64::MAX).unwrap());
        assert!(l.admit(None, 0) && l.admit(None, u64::MAX));
    }
}
