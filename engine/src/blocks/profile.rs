//! Traffic profiles: how a users node's request rate changes over simulated time.
//!
//! Real traffic is never flat. It grows when a campaign starts (a ramp), jumps
//! when a link goes viral (a spike) and follows the sun (a daily curve); the
//! interesting lessons — autoscaling that lags, caches that go cold at night —
//! only show up when the rate moves. A [`Profile`] is a *multiplier* of the
//! users node's base rate, a function of time and nothing else:
//!
//! - [`Profile::Steady`]: always 1.
//! - [`Profile::Ramp`]: `from` until `start_s`, then a straight line to `to` at
//!   `end_s`, then `to` for ever.
//! - [`Profile::Spike`]: `multiplier` during `[at_s, at_s + duration_s)`, 1 elsewhere.
//! - [`Profile::Daily`]: a cosine day of `period_s` seconds. The base rate is the
//!   **peak** rate (as everywhere in Scale Lab: a users node's rate is its busiest
//!   hour, what the architecture must survive), so the curve is 1 at the peak and
//!   `trough` at the quietest moment. A run starts at the quietest moment and the
//!   peak comes half a period later, so a group that starts small has to grow
//!   and then shrink again. With the users' `peak_factor` `f` (peak = `f` × the
//!   day's average), the trough whose curve has that average is `2 / f - 1`
//!   (0 for the default `f = 2`): the mean of the curve is `(1 + trough) / 2`.
//!
//! Arrivals are a non-homogeneous Poisson process with rate `base × multiplier(t)`,
//! drawn by thinning (Lewis and Shedler, 1979): candidates come from a Poisson
//! process with a rate that bounds the true one, and a candidate at `t` is kept
//! with probability `rate(t) / bound`. [`ProfiledArrivals`] bounds the rate piece
//! by piece rather than by one global maximum, so a ×100 spike does not make every
//! quiet second cost a hundred rejected candidates. Within a piece where the rate
//! is constant, every candidate is kept and no acceptance draw is made. Pieces
//! where the rate is zero are skipped without drawing anything, which is what makes
//! "no traffic for an hour" cost nothing and "no traffic ever again" return `None`.
//! Where the rate moves (a ramp, each hour of a day, on which the curve is
//! monotone), a piece is halved until the rate varies by at most a factor of two
//! across it — so at least half of its candidates are kept — or it holds at most
//! two candidates in expectation, which keeps a zero of the rate (a ramp from 0,
//! a dead trough) from costing thousands of rejections. A piece is reused until
//! time leaves it. In the tests the worst call takes 22 steps, with 1.00 to 1.30
//! candidates per arrival on busy profiles.
//!
//! Starting afresh at the end of a piece is exact because Poisson gaps are
//! memoryless, and choosing each piece's bound from the current time only is
//! exact because the bound never looks into the future. So the process is exact in
//! law, up to the rounding of every time to whole nanoseconds that the whole
//! engine does: the multiplier is evaluated at the nanosecond the candidate lands on.
//!
//! **Steady keeps old results.** For a constant profile, [`ProfiledArrivals`]
//! draws one exponential gap of mean `1 / (base × c)` per arrival from the same
//! stream and rounds it exactly as the plain users node does
//! (`(gap_s * 1e9 + 0.5) as Nanos`); with `c = 1` the mean is bit-for-bit `1 / base`.
//! So turning profiles on changes no existing run, and a spike changes nothing
//! before the first arrival that would fall into it.
//!
//! `cos` and `sin` come from `libm` so that native and wasm32 runs give the
//! same bits.

use crate::base::limits::{MAX_DURATION_S, MAX_RPS};
use crate::base::rng::Stream;
use crate::base::time::{secs_to_ns, Nanos};
use serde::Serialize;
use std::f64::consts::PI;
use std::fmt;

/// The largest multiplier accepted: a thousandfold flash crowd is already far
/// beyond anything a capacity plan would survive.
pub const MAX_MULTIPLIER: f64 = 1000.0;
/// The shortest day accepted: a curve faster than this changes quicker than an
/// autoscaler checks or a chart of one point per second can show.
pub const MIN_PERIOD_S: f64 = 10.0;
/// The length of a real day, the default period of [`Profile::Daily`].
pub const DEFAULT_PERIOD_S: f64 = 86_400.0;
/// At most this many candidates or piece boundaries are examined per call of
/// [`ProfiledArrivals::next_arrival`]. The pieces are built so that a call takes a
/// few dozen steps at worst (see the tests), so this is never reached with a
/// validated profile; it exists so that no input at all can hang the page. If it
/// were reached, the time reached so far would be returned as the arrival.
pub const MAX_STEPS_PER_ARRIVAL: u32 = 1_000_000;
/// A daily curve is bounded hour by hour (24 pieces per period).
const PIECES_PER_DAY: u64 = 24;
/// Relative slack added to the bound of a daily piece, so that the last-place
/// rounding of `cos` can never make the rate exceed its bound.
const COS_SLACK: f64 = 1e-9;

/// How a users node's request rate varies over time, as a multiplier of its
/// base (peak) rate. See the module documentation for each shape.
///
/// Build one with the validated constructors ([`Profile::ramp`] and friends);
/// a value built directly can be checked with [`Profile::validate`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
#[serde(tag = "shape", rename_all = "snake_case")]
pub enum Profile {
    /// The base rate, all the time.
    #[default]
    Steady,
    /// `from` before `start_s`, linear to `to` at `end_s`, `to` afterwards.
    /// `start_s == end_s` is a step.
    Ramp { from: f64, to: f64, start_s: f64, end_s: f64 },
    /// `multiplier` during `[at_s, at_s + duration_s)`, 1 elsewhere (0 is an
    /// outage of the traffic itself, e.g. the app store pulled the app).
    Spike { at_s: f64, duration_s: f64, multiplier: f64 },
    /// A cosine day: `trough` at times `0, period_s, 2 period_s, ...`, 1 (the
    /// base rate) at `period_s / 2`, `3 period_s / 2`, ...
    Daily { period_s: f64, trough: f64 },
}

/// A profile parameter out of range; `Display` says what to change.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ProfileError {
    /// A multiplier not in `[0, MAX_MULTIPLIER]`; `field` names it in words.
    Multiplier { field: &'static str, value: f64 },
    /// A time not in `[0, MAX_DURATION_S]` seconds; `field` names it.
    Time { field: &'static str, value: f64 },
    /// A ramp that ends before it starts.
    RampBackwards { start_s: f64, end_s: f64 },
    /// A spike that lasts no time (or more than the longest run).
    SpikeDuration(f64),
    /// A day shorter than `MIN_PERIOD_S` or longer than the longest run.
    Period(f64),
    /// A trough outside `[0, 1]`.
    Trough(f64),
    /// A base rate outside `[0, MAX_RPS]`.
    BaseRate(f64),
    /// The profile's highest rate (base × largest multiplier) exceeds `MAX_RPS`.
    PeakRate { base_rps: f64, multiplier: f64 },
    /// A ramp or spike (`what`) that ends after the run does.
    EndsAfterRun { what: &'static str, ends_s: f64, run_s: f64 },
    /// A daily curve whose first peak comes after the run has ended.
    PeakAfterRun { peak_s: f64, run_s: f64 },
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ProfileError::Multiplier { field, value } => write!(
                f,
                "{field} must be between 0 and {MAX_MULTIPLIER} (1 keeps the base rate, \
                 2 doubles it, 0 stops the traffic), got {value}"
            ),
            ProfileError::Time { field, value } => write!(
                f,
                "{field} must be a time between 0 and {MAX_DURATION_S} s (30 days) into the \
                 run, got {value}"
            ),
            ProfileError::RampBackwards { start_s, end_s } => write!(
                f,
                "the ramp must not end before it starts: it starts at {start_s} s and ends \
                 at {end_s} s; swap start_s and end_s or move the end later"
            ),
            ProfileError::SpikeDuration(d) => write!(
                f,
                "the spike must last more than 0 s and at most {MAX_DURATION_S} s (30 days), \
                 got {d}"
            ),
            ProfileError::Period(p) => write!(
                f,
                "the length of the day (period_s) must be between {MIN_PERIOD_S} and \
                 {MAX_DURATION_S} s: 86400 is a real day, 120 squeezes a day into two \
                 minutes; got {p}"
            ),
            ProfileError::Trough(t) => write!(
                f,
                "the trough must be between 0 and 1: the quietest moment's rate as a share \
                 of the peak rate (0.2 is a fifth of it), got {t}"
            ),
            ProfileError::BaseRate(r) => {
                write!(f, "the base rate must be between 0 and {MAX_RPS} requests per second, got {r}")
            }
            ProfileError::PeakRate { base_rps, multiplier } => write!(
                f,
                "at its highest this profile asks for {} requests per second ({base_rps} × \
                 {multiplier}); at most {MAX_RPS} can be simulated: lower the rate or the \
                 multiplier",
                base_rps * multiplier
            ),
            ProfileError::EndsAfterRun { what, ends_s, run_s } => write!(
                f,
                "the {what} must end before the run does: it ends at {ends_s} s but the run \
                 lasts {run_s} s; start it earlier, shorten it or lengthen the run"
            ),
            ProfileError::PeakAfterRun { peak_s, run_s } => write!(
                f,
                "the run ends before the day's peak: the peak comes half a day in, at \
                 {peak_s} s, but the run lasts {run_s} s; set period_s to at most {} or \
                 lengthen the run",
                2.0 * run_s
            ),
        }
    }
}

impl std::error::Error for ProfileError {}

// Range checks written so that NaN fails them too.
fn check_multiplier(field: &'static str, value: f64) -> Result<(), ProfileError> {
    if (0.0..=MAX_MULTIPLIER).contains(&value) {
        Ok(())
    } else {
        Err(ProfileError::Multiplier { field, value })
    }
}

fn check_time(field: &'static str, value: f64) -> Result<(), ProfileError> {
    if (0.0..=MAX_DURATION_S).contains(&value) {
        Ok(())
    } else {
        Err(ProfileError::Time { field, value })
    }
}

impl Profile {
    /// The base rate all the time.
    pub fn steady() -> Profile {
        Profile::Steady
    }

    /// A linear ramp of the multiplier from `from` (until `start_s`) to `to`
    /// (from `end_s` on). Multipliers in `[0, MAX_MULTIPLIER]`, times in seconds
    /// in `[0, MAX_DURATION_S]`, `start_s <= end_s` (equal: a step).
    pub fn ramp(from: f64, to: f64, start_s: f64, end_s: f64) -> Result<Profile, ProfileError> {
        let p = Profile::Ramp { from, to, start_s, end_s };
        p.validate()?;
        Ok(p)
    }

    /// The base rate times `multiplier` during `[at_s, at_s + duration_s)`.
    /// `multiplier` in `[0, MAX_MULTIPLIER]`, `at_s` in `[0, MAX_DURATION_S]`,
    /// `duration_s` in `(0, MAX_DURATION_S]`.
    pub fn spike(at_s: f64, duration_s: f64, multiplier: f64) -> Result<Profile, ProfileError> {
        let p = Profile::Spike { at_s, duration_s, multiplier };
        p.validate()?;
        Ok(p)
    }

    /// A day of `period_s` seconds (`DEFAULT_PERIOD_S` for a real one, in
    /// `[MIN_PERIOD_S, MAX_DURATION_S]`) whose quietest moment runs at `trough`
    /// (in `[0, 1]`) times the peak rate.
    pub fn daily(period_s: f64, trough: f64) -> Result<Profile, ProfileError> {
        let p = Profile::Daily { period_s, trough };
        p.validate()?;
        Ok(p)
    }

    /// Checks every parameter's range (the constructors call this).
    pub fn validate(&self) -> Result<(), ProfileError> {
        match *self {
            Profile::Steady => Ok(()),
            Profile::Ramp { from, to, start_s, end_s } => {
                check_multiplier("the ramp's starting multiplier (from)", from)?;
                check_multiplier("the ramp's final multiplier (to)", to)?;
                check_time("the ramp's start (start_s)", start_s)?;
                check_time("the ramp's end (end_s)", end_s)?;
                if end_s < start_s {
                    return Err(ProfileError::RampBackwards { start_s, end_s });
                }
                Ok(())
            }
            Profile::Spike { at_s, duration_s, multiplier } => {
                check_multiplier("the spike's multiplier", multiplier)?;
                check_time("the spike's start (at_s)", at_s)?;
                if !(duration_s > 0.0 && duration_s <= MAX_DURATION_S) {
                    return Err(ProfileError::SpikeDuration(duration_s));
                }
                Ok(())
            }
            Profile::Daily { period_s, trough } => {
                if !(MIN_PERIOD_S..=MAX_DURATION_S).contains(&period_s) {
                    return Err(ProfileError::Period(period_s));
                }
                if !(0.0..=1.0).contains(&trough) {
                    return Err(ProfileError::Trough(trough));
                }
                Ok(())
            }
        }
    }

    /// Checks that what the profile is about happens inside a run of
    /// `duration_s` seconds: a ramp or spike must end by the end of the run, and
    /// a daily curve must reach its peak (half a period in). The parser may treat
    /// these as errors or as warnings; the simulation runs either way.
    pub fn fits_run(&self, duration_s: f64) -> Result<(), ProfileError> {
        let ends = |what, ends_s: f64| {
            // Written so that a NaN time is reported too.
            if ends_s <= duration_s {
                Ok(())
            } else {
                Err(ProfileError::EndsAfterRun { what, ends_s, run_s: duration_s })
            }
        };
        match *self {
            Profile::Steady => Ok(()),
            Profile::Ramp { end_s, .. } => ends("ramp", end_s),
            Profile::Spike { at_s, duration_s, .. } => ends("spike", at_s + duration_s),
            Profile::Daily { period_s, .. } => {
                let peak_s = period_s / 2.0;
                if peak_s <= duration_s {
                    Ok(())
                } else {
                    Err(ProfileError::PeakAfterRun { peak_s, run_s: duration_s })
                }
            }
        }
    }

    /// The multiplier of the base rate at time `t`.
    pub fn multiplier(&self, t: Nanos) -> f64 {
        Shape::of(self).multiplier(t)
    }

    /// An upper bound of [`Profile::multiplier`] over all time (the exact maximum
    /// for every shape).
    pub fn max_multiplier(&self) -> f64 {
        Shape::of(self).max_multiplier()
    }

    /// The expected number of requests in `[t0, t1)` at base rate `base_rps`:
    /// the integral of the rate, in closed form. Zero when `t1 <= t0`.
    pub fn expected_count(&self, base_rps: f64, t0: Nanos, t1: Nanos) -> f64 {
        base_rps * Shape::of(self).integral_s(t0, t1)
    }
}

/// Nanoseconds to seconds as f64 (exact below 2^53 ns, about 104 days).
fn secs(ns: Nanos) -> f64 {
    ns as f64 / 1e9
}

/// A gap in seconds to whole nanoseconds, exactly as the plain users node rounds
/// it (so that steady profiles reproduce its arrivals bit for bit). `as`
/// saturates: an enormous gap becomes `Nanos::MAX`.
#[inline]
fn gap_ns(gap_s: f64) -> Nanos {
    (gap_s * 1e9 + 0.5) as Nanos
}

/// A multiplier from a profile that may not have been validated: NaN and
/// negative values become 0, huge ones `MAX_MULTIPLIER`, so that nothing below
/// can misbehave. Valid values pass unchanged.
fn sane(m: f64) -> f64 {
    if m >= 0.0 {
        m.min(MAX_MULTIPLIER)
    } else {
        0.0
    }
}

/// A profile with its times in nanoseconds and its degenerate cases folded into
/// `Constant`, which is what the sampler and the closed forms work on.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    Constant(f64),
    /// `end > start`, `from != to`.
    Ramp {
        from: f64,
        to: f64,
        start: Nanos,
        end: Nanos,
    },
    /// `before` until `at`, `after` from `at` on (a ramp with `start == end`).
    Step {
        at: Nanos,
        before: f64,
        after: f64,
    },
    /// Multiplier `multiplier != 1` on `[start, end)`, `end > start`.
    Spike {
        start: Nanos,
        end: Nanos,
        multiplier: f64,
    },
    /// `period >= 1`, `trough` in `[0, 1)`.
    Daily {
        period: Nanos,
        trough: f64,
    },
}

/// A stretch of time, from where it was computed to `end`, with a constant bound
/// on the multiplier.
#[derive(Clone, Copy, Debug)]
struct Piece {
    /// Exclusive end; `Nanos::MAX` means for ever.
    end: Nanos,
    bound: f64,
    /// The multiplier equals `bound` all along the piece: no acceptance draw.
    exact: bool,
}

impl Shape {
    fn of(p: &Profile) -> Shape {
        match *p {
            Profile::Steady => Shape::Constant(1.0),
            Profile::Ramp { from, to, start_s, end_s } => {
                let (from, to) = (sane(from), sane(to));
                let start = secs_to_ns(start_s);
                let end = secs_to_ns(end_s);
                if from == to {
                    Shape::Constant(from)
                } else if end <= start {
                    // A step (or an invalid, backwards ramp: treated alike).
                    Shape::Step { at: start, before: from, after: to }
                } else {
                    Shape::Ramp { from, to, start, end }
                }
            }
            Profile::Spike { at_s, duration_s, multiplier } => {
                let multiplier = sane(multiplier);
                let start = secs_to_ns(at_s);
                let end = start.saturating_add(secs_to_ns(duration_s));
                if multiplier == 1.0 || end <= start {
                    Shape::Constant(1.0)
                } else {
                    Shape::Spike { start, end, multiplier }
                }
            }
            Profile::Daily { period_s, trough } => {
                let trough = sane(trough).min(1.0);
                if trough == 1.0 {
                    Shape::Constant(1.0)
                } else {
                    Shape::Daily { period: secs_to_ns(period_s).max(1), trough }
                }
            }
        }
    }

    fn multiplier(&self, t: Nanos) -> f64 {
        match *self {
            Shape::Constant(c) => c,
            Shape::Step { at, before, after } => {
                if t < at {
                    before
                } else {
                    after
                }
            }
            Shape::Ramp { from, to, start, end } => {
                if t <= start {
                    from
                } else if t >= end {
                    to
                } else {
                    // Monotone in t even in floating point (an integer ratio scaled
                    // by a constant), which the sampler's bounds rely on.
                    from + (to - from) * ((t - start) as f64 / (end - start) as f64)
                }
            }
            Shape::Spike { start, end, multiplier } => {
                if (start..end).contains(&t) {
                    multiplier
                } else {
                    1.0
                }
            }
            Shape::Daily { period, trough } => {
                let phase = (t % period) as f64 / period as f64;
                trough + (1.0 - trough) * 0.5 * (1.0 - libm::cos(2.0 * PI * phase))
            }
        }
    }

    fn max_multiplier(&self) -> f64 {
        match *self {
            Shape::Constant(c) => c,
            Shape::Step { before, after, .. } => before.max(after),
            Shape::Ramp { from, to, .. } => from.max(to),
            Shape::Spike { multiplier, .. } => multiplier.max(1.0),
            Shape::Daily { .. } => 1.0,
        }
    }

    /// The integral of the multiplier over `[t0, t1)`, in seconds.
    fn integral_s(&self, t0: Nanos, t1: Nanos) -> f64 {
        if t1 <= t0 {
            return 0.0;
        }
        let span = |a: Nanos, b: Nanos| if b > a { secs(b - a) } else { 0.0 };
        match *self {
            Shape::Constant(c) => c * span(t0, t1),
            Shape::Step { at, before, after } => before * span(t0, t1.min(at)) + after * span(t0.max(at), t1),
            Shape::Spike { start, end, multiplier } => {
                span(t0, t1) + (multiplier - 1.0) * span(t0.max(start), t1.min(end))
            }
            Shape::Ramp { from, to, start, end } => {
                let before = from * span(t0, t1.min(start));
                let after = to * span(t0.max(end), t1);
                let (a, b) = (t0.max(start), t1.min(end));
                // The trapezoid rule is exact for a straight line.
                let during = if b > a { 0.5 * (self.multiplier(a) + self.multiplier(b)) * secs(b - a) } else { 0.0 };
                before + during + after
            }
            Shape::Daily { period, trough } => {
                // m = trough + (1 - trough)(1 - cos 2πx/P)/2, whose integral is
                // trough Δ + (1 - trough)/2 (Δ - P/2π [sin 2πx/P]). The sine is
                // taken of the phase, so long runs lose no precision.
                let p = secs(period);
                let sin_at = |t: Nanos| libm::sin(2.0 * PI * ((t % period) as f64 / period as f64));
                let d = secs(t1 - t0);
                trough * d + (1.0 - trough) * 0.5 * (d - p / (2.0 * PI) * (sin_at(t1) - sin_at(t0)))
            }
        }
    }

    /// A piece of time starting at `t` and a bound of the multiplier over it,
    /// from `t` alone (never from the future, which keeps thinning exact). `base`
    /// (> 0) sizes the pieces: see [`Shape::monotone_piece`].
    fn piece(&self, t: Nanos, base: f64) -> Piece {
        let exact = |end, bound| Piece { end, bound, exact: true };
        match *self {
            Shape::Constant(c) => exact(Nanos::MAX, c),
            Shape::Step { at, before, after } => {
                if t < at {
                    exact(at, before)
                } else {
                    exact(Nanos::MAX, after)
                }
            }
            Shape::Spike { start, end, multiplier } => {
                if t < start {
                    exact(start, 1.0)
                } else if t < end {
                    exact(end, multiplier)
                } else {
                    exact(Nanos::MAX, 1.0)
                }
            }
            Shape::Ramp { from, to, start, end } => {
                if t < start {
                    exact(start, from)
                } else if t >= end {
                    exact(Nanos::MAX, to)
                } else {
                    self.monotone_piece(t, end, base, 0.0)
                }
            }
            Shape::Daily { period, trough: _ } => {
                if base * secs(period) < PIECES_PER_DAY as f64 {
                    // Less than one candidate per hour at the peak: hourly pieces
                    // would mostly be crossed empty (a call could cross millions of
                    // them), so bound by the peak for ever. At least half of the
                    // candidates are kept on average over a day.
                    return Piece { end: Nanos::MAX, bound: 1.0 + COS_SLACK, exact: false };
                }
                // The first nanosecond of the next hour of the day (rounded up, so
                // that it is always after `t`). The peak and the troughs fall on hour
                // boundaries, so the curve is monotone from `t` to there.
                let off = t % period;
                let (p, n) = (u128::from(period), u128::from(PIECES_PER_DAY));
                let hour = u128::from(off) * n / p;
                let next_off = ((hour + 1) * p).div_ceil(n) as Nanos;
                let hour_end = (t - off).saturating_add(next_off);
                self.monotone_piece(t, hour_end, base, COS_SLACK)
            }
        }
    }

    /// A piece `[t, e)` with `t < e <= limit`, on which the multiplier must be
    /// monotone, and its bound: the larger of the values at the two ends (raised
    /// by the relative `slack`). Starting from `limit`, the piece is halved until
    /// either the multiplier varies by at most a factor of two across it (so at
    /// least half of its candidates are kept) or it holds at most two candidates
    /// in expectation (so a zero of the rate, where no factor of two can hold,
    /// costs a couple of draws and not thousands). Halving takes at most 64 steps.
    fn monotone_piece(&self, t: Nanos, limit: Nanos, base: f64, slack: f64) -> Piece {
        let here = self.multiplier(t);
        let mut e = limit;
        loop {
            let there = self.multiplier(e);
            let (hi, lo) = if there > here { (there, here) } else { (here, there) };
            if hi <= 2.0 * lo || base * hi * secs(e - t) <= 2.0 || e - t <= 1 {
                return Piece { end: e, bound: hi * (1.0 + slack), exact: false };
            }
            e = t + (e - t) / 2;
        }
    }
}

/// The arrival process of one users node: Poisson with rate
/// `base_rps × profile.multiplier(t)`, drawn by piecewise thinning (see the
/// module documentation).
#[derive(Clone, Debug)]
pub struct ProfiledArrivals {
    base_rps: f64,
    profile: Profile,
    shape: Shape,
    /// Candidate points drawn so far (accepted or not): the work done.
    candidates: u64,
    /// Steps (candidates and piece boundaries) taken by the latest call.
    last_steps: u32,
    /// The latest piece, valid on `[piece_from, piece.end)`: its bound holds for
    /// any later start inside it, so it is reused until time leaves it (computing a
    /// piece costs a few multiplier evaluations).
    piece: Piece,
    piece_from: Nanos,
}

impl ProfiledArrivals {
    /// Arrivals at `base_rps` requests per second (in `[0, MAX_RPS]`; 0 sends
    /// nothing) shaped by `profile`, whose highest rate must not exceed `MAX_RPS`.
    pub fn new(base_rps: f64, profile: Profile) -> Result<ProfiledArrivals, ProfileError> {
        if !(0.0..=MAX_RPS).contains(&base_rps) {
            return Err(ProfileError::BaseRate(base_rps));
        }
        profile.validate()?;
        let multiplier = profile.max_multiplier();
        if base_rps * multiplier > MAX_RPS {
            return Err(ProfileError::PeakRate { base_rps, multiplier });
        }
        Ok(ProfiledArrivals::unchecked(base_rps, profile))
    }

    fn unchecked(base_rps: f64, profile: Profile) -> ProfiledArrivals {
        ProfiledArrivals {
            base_rps,
            profile,
            shape: Shape::of(&profile),
            candidates: 0,
            last_steps: 0,
            // Empty: valid for no time at all.
            piece: Piece { end: 0, bound: 0.0, exact: true },
            piece_from: 1,
        }
    }

    pub fn base_rps(&self) -> f64 {
        self.base_rps
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The request rate at time `t`, in requests per second.
    pub fn rate_at(&self, t: Nanos) -> f64 {
        self.base_rps * self.shape.multiplier(t)
    }

    /// The expected number of arrivals in `[t0, t1)`.
    pub fn expected_count(&self, t0: Nanos, t1: Nanos) -> f64 {
        self.base_rps * self.shape.integral_s(t0, t1)
    }

    /// Candidate points drawn so far, accepted or not. Divided by the number of
    /// arrivals it is the cost of thinning (1 for constant profiles).
    pub fn candidates(&self) -> u64 {
        self.candidates
    }

    /// The first arrival at or after `now` (equal to `now` only when the gap rounds
    /// to under half a nanosecond, as with the plain users node), or `None` when
    /// the rate is zero from `now` on for ever (or the next arrival would be past
    /// the end of representable time). The result depends only on `rng` and the
    /// calls made so far (the current piece is kept between calls), so a run is
    /// reproducible.
    pub fn next_arrival(&mut self, now: Nanos, rng: &mut Stream) -> Option<Nanos> {
        self.last_steps = 0;
        // `positive` is false for NaN as well.
        let positive = |x: f64| x > 0.0;
        if !positive(self.base_rps) {
            return None;
        }
        if let Shape::Constant(c) = self.shape {
            // The plain users node, draw for draw (see the module documentation).
            if !positive(c) {
                return None;
            }
            self.candidates += 1;
            self.last_steps = 1;
            let gap_s = rng.exponential(1.0 / (self.base_rps * c));
            return Some(now.saturating_add(gap_ns(gap_s)));
        }
        let mut t = now;
        while self.last_steps < MAX_STEPS_PER_ARRIVAL {
            self.last_steps += 1;
            if !(self.piece_from <= t && t < self.piece.end) {
                self.piece = self.shape.piece(t, self.base_rps);
                self.piece_from = t;
            }
            let piece = self.piece;
            if !positive(piece.bound) {
                // No traffic in this piece: skip it without drawing anything.
                if piece.end == Nanos::MAX {
                    return None;
                }
                t = piece.end;
                continue;
            }
            self.candidates += 1;
            let gap_s = rng.exponential(1.0 / (self.base_rps * piece.bound));
            let candidate = t.saturating_add(gap_ns(gap_s));
            if candidate >= piece.end {
                // Past the piece: start again at its end (gaps are memoryless).
                if piece.end == Nanos::MAX {
                    return None;
                }
                t = piece.end;
                continue;
            }
            if piece.exact || rng.uniform() * piece.bound < self.shape.multiplier(candidate) {
                return Some(candidate);
            }
            t = candidate;
        }
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::StreamPurpose;

    fn stream(seed: u64) -> Stream {
        Stream::new(seed, 0, StreamPurpose::Arrivals)
    }

    fn s(x: f64) -> Nanos {
        secs_to_ns(x)
    }

    /// All arrivals in `[0, end)`, plus the largest number of steps one call took.
    fn arrivals_until(a: &mut ProfiledArrivals, seed: u64, end: Nanos) -> (Vec<Nanos>, u32) {
        let mut rng = stream(seed);
        let (mut out, mut worst, mut now) = (Vec::new(), 0, 0);
        while let Some(t) = a.next_arrival(now, &mut rng) {
            worst = worst.max(a.last_steps);
            if t >= end {
                break;
            }
            out.push(t);
            now = t;
        }
        (out, worst)
    }

    /// Counts in consecutive windows of `width` over `[0, end)` against the
    /// integral of the rate. A Poisson count has variance equal to its mean, so
    /// each window must be within 5 standard errors (`5 sqrt(expected)`), and the
    /// sum of `(obs - exp)^2 / exp` over k windows, a chi-square with k degrees of
    /// freedom, must stay below `k + 6 sqrt(2k)` — which also catches counts that
    /// are too regular or too bursty to be Poisson. The seed is fixed, so these are
    /// fixed checks; a wrong rate shifts counts by far more.
    fn check_windows(name: &str, base: f64, profile: Profile, end_s: f64, width_s: f64) {
        let mut a = ProfiledArrivals::new(base, profile).unwrap();
        let (times, worst) = arrivals_until(&mut a, 17, s(end_s));
        let k = (end_s / width_s).round() as usize;
        let mut counts = vec![0u64; k];
        for &t in &times {
            counts[(t / s(width_s)) as usize] += 1;
        }
        let (mut chi2, mut worst_z) = (0.0, 0.0f64);
        for (i, &c) in counts.iter().enumerate() {
            let (t0, t1) = (s(i as f64 * width_s), s((i + 1) as f64 * width_s));
            let e = profile.expected_count(base, t0, t1);
            let z = (c as f64 - e) / e.sqrt();
            worst_z = worst_z.max(z.abs());
            chi2 += z * z;
            assert!(z.abs() < 5.0, "{name}: window {i}: {c} arrivals, expected {e:.1}");
        }
        let total_e = profile.expected_count(base, 0, s(end_s));
        let bound = k as f64 + 6.0 * (2.0 * k as f64).sqrt();
        eprintln!(
            "{name}: {} arrivals (expected {total_e:.0}), worst window {worst_z:.2} SE, \
             chi2 {chi2:.1} on {k} df (bound {bound:.1}), {:.3} candidates per arrival, \
             at most {worst} steps per call",
            times.len(),
            a.candidates() as f64 / times.len() as f64
        );
        assert!(chi2 < bound, "{name}: chi2 {chi2:.1} on {k} df");
        let z_total = (times.len() as f64 - total_e) / total_e.sqrt();
        assert!(z_total.abs() < 5.0, "{name}: total off by {z_total:.2} SE");
    }

    #[test]
    fn steady_reproduces_the_plain_users_node_bit_for_bit() {
        // The code of `Users::next_gap` and `schedule_next_arrival`, inlined.
        for &rps in &[0.37, 100.0, 12_345.6, 1e6] {
            let mut plain = stream(5);
            let mut profiled = stream(5);
            let mut a = ProfiledArrivals::new(rps, Profile::steady()).unwrap();
            let (mut now_plain, mut now_profiled): (Nanos, Nanos) = (0, 0);
            for _ in 0..50_000 {
                let gap_s = plain.exponential(1.0 / rps);
                now_plain = now_plain.saturating_add((gap_s * 1e9 + 0.5) as Nanos);
                now_profiled = a.next_arrival(now_profiled, &mut profiled).unwrap();
                assert_eq!(now_plain, now_profiled, "rps {rps}");
            }
        }
        // Shapes that are constant 1 take the same path: a spike of 1, a ramp from
        // 1 to 1, a day without a trough.
        for p in [
            Profile::spike(10.0, 5.0, 1.0).unwrap(),
            Profile::ramp(1.0, 1.0, 0.0, 60.0).unwrap(),
            Profile::daily(120.0, 1.0).unwrap(),
        ] {
            let mut a = ProfiledArrivals::new(100.0, p).unwrap();
            let mut b = ProfiledArrivals::new(100.0, Profile::Steady).unwrap();
            let (ta, _) = arrivals_until(&mut a, 3, s(100.0));
            let (tb, _) = arrivals_until(&mut b, 3, s(100.0));
            assert_eq!(ta, tb, "{p:?}");
        }
    }

    #[test]
    fn a_spike_changes_nothing_before_it() {
        let mut a = ProfiledArrivals::new(500.0, Profile::spike(30.0, 10.0, 4.0).unwrap()).unwrap();
        let mut b = ProfiledArrivals::new(500.0, Profile::Steady).unwrap();
        let (ta, _) = arrivals_until(&mut a, 9, s(60.0));
        let (tb, _) = arrivals_until(&mut b, 9, s(60.0));
        let before = tb.iter().take_while(|&&t| t < s(30.0)).count();
        assert!(before > 14_000, "{before}");
        assert_eq!(ta[..before], tb[..before]);
        assert_ne!(ta[before], tb[before]);
    }

    #[test]
    fn counts_match_the_integral_for_every_shape() {
        check_windows("steady", 2000.0, Profile::Steady, 50.0, 1.0);
        check_windows("ramp 0.2 -> 3", 2000.0, Profile::ramp(0.2, 3.0, 20.0, 80.0).unwrap(), 100.0, 2.0);
        check_windows("ramp 4 -> 0", 1000.0, Profile::ramp(4.0, 0.0, 10.0, 50.0).unwrap(), 50.0, 1.0);
        check_windows("ramp 0 -> 5", 1000.0, Profile::ramp(0.0, 5.0, 0.0, 40.0).unwrap(), 40.0, 1.0);
        check_windows("spike x5", 2000.0, Profile::spike(30.0, 10.0, 5.0).unwrap(), 60.0, 1.0);
        check_windows("daily trough 0.2", 2000.0, Profile::daily(120.0, 0.2).unwrap(), 240.0, 2.0);
        check_windows("daily trough 0", 2000.0, Profile::daily(60.0, 0.0).unwrap(), 120.0, 1.0);
    }

    /// Below one candidate per hour at the peak, the day is bounded by its peak
    /// for ever instead of hour by hour: that path is checked by folding many
    /// short days onto one, ten phase bins each expecting ~10,000 arrivals.
    #[test]
    fn a_sparse_daily_curve_has_the_right_shape() {
        let (base, period_s, days) = (2.0, 10.0, 10_000u64);
        let profile = Profile::daily(period_s, 0.0).unwrap();
        let mut a = ProfiledArrivals::new(base, profile).unwrap();
        let end = s(period_s) * days;
        let (times, worst) = arrivals_until(&mut a, 23, end);
        let bins = 10u64;
        let mut counts = vec![0u64; bins as usize];
        for &t in &times {
            counts[((t % s(period_s)) * bins / s(period_s)) as usize] += 1;
        }
        let mut chi2 = 0.0;
        for (i, &c) in counts.iter().enumerate() {
            let w = s(period_s) / bins;
            let e = days as f64 * profile.expected_count(base, i as u64 * w, (i as u64 + 1) * w);
            let z = (c as f64 - e) / e.sqrt();
            chi2 += z * z;
            assert!(z.abs() < 5.0, "bin {i}: {c} vs {e:.0}");
        }
        eprintln!(
            "sparse daily: {} arrivals, chi2 {chi2:.1} on 10 df, {:.3} candidates per \
             arrival (theory 2: the mean of the curve is 1/2), at most {worst} steps",
            times.len(),
            a.candidates() as f64 / times.len() as f64
        );
        assert!(chi2 < 10.0 + 6.0 * 20f64.sqrt());
    }

    #[test]
    fn spike_boundaries_are_exact_to_the_nanosecond() {
        let p = Profile::spike(30.0, 10.0, 5.0).unwrap();
        assert_eq!(p.multiplier(s(30.0) - 1), 1.0);
        assert_eq!(p.multiplier(s(30.0)), 5.0);
        assert_eq!(p.multiplier(s(40.0) - 1), 5.0);
        assert_eq!(p.multiplier(s(40.0)), 1.0);
        assert_eq!(p.max_multiplier(), 5.0);
        let e = p.expected_count(100.0, s(25.0), s(45.0));
        assert!((e - (100.0 * 10.0 + 500.0 * 10.0)).abs() < 1e-9, "{e}");

        // An outage of the traffic: not one arrival inside, traffic before and after.
        let outage = Profile::spike(30.0, 10.0, 0.0).unwrap();
        let mut a = ProfiledArrivals::new(10_000.0, outage).unwrap();
        let (times, worst) = arrivals_until(&mut a, 4, s(60.0));
        assert!(!times.iter().any(|&t| (s(30.0)..s(40.0)).contains(&t)));
        let last_before = *times.iter().rfind(|&&t| t < s(30.0)).unwrap();
        let first_after = *times.iter().find(|&&t| t >= s(40.0)).unwrap();
        // Gaps of mean 0.1 ms on each side of the hole.
        assert!(s(30.0) - last_before < s(0.002), "{last_before}");
        assert!(first_after - s(40.0) < s(0.002), "{first_after}");
        assert!(worst <= 3, "crossing the hole took {worst} steps");
    }

    #[test]
    fn ramp_is_linear_and_constant_outside() {
        let p = Profile::ramp(1.0, 3.0, 10.0, 30.0).unwrap();
        assert_eq!(p.multiplier(0), 1.0);
        assert_eq!(p.multiplier(s(10.0)), 1.0);
        assert_eq!(p.multiplier(s(15.0)), 1.5);
        assert_eq!(p.multiplier(s(20.0)), 2.0);
        assert_eq!(p.multiplier(s(25.0)), 2.5);
        assert_eq!(p.multiplier(s(30.0)), 3.0);
        assert_eq!(p.multiplier(s(1000.0)), 3.0);
        assert_eq!(p.max_multiplier(), 3.0);
        // 10 s at 1, a trapezoid of 20 s averaging 2, 10 s at 3.
        let e = p.expected_count(10.0, 0, s(40.0));
        assert!((e - 10.0 * (10.0 + 40.0 + 30.0)).abs() < 1e-9, "{e}");
        // A window inside the ramp: from 1.25 to 1.75 over 5 s.
        let e = p.expected_count(10.0, s(12.5), s(17.5));
        assert!((e - 10.0 * 1.5 * 5.0).abs() < 1e-9, "{e}");

        // A step (start == end) jumps at that instant.
        let step = Profile::ramp(1.0, 4.0, 20.0, 20.0).unwrap();
        assert_eq!(step.multiplier(s(20.0) - 1), 1.0);
        assert_eq!(step.multiplier(s(20.0)), 4.0);
        let e = step.expected_count(1.0, s(10.0), s(30.0));
        assert!((e - 50.0).abs() < 1e-6, "{e}");
    }

    #[test]
    fn daily_curve_has_its_trough_at_the_start_and_its_peak_half_a_day_in() {
        for &(period_s, trough) in &[(86_400.0, 0.25), (120.0, 0.0), (10.0, 0.9)] {
            let p = Profile::daily(period_s, trough).unwrap();
            let period = s(period_s);
            assert_eq!(p.multiplier(0), trough);
            assert!((p.multiplier(period / 2) - 1.0).abs() < 1e-12);
            assert_eq!(p.max_multiplier(), 1.0);
            let (mut lo, mut hi) = (f64::MAX, f64::MIN);
            for i in 0..=1000u64 {
                let t = period * i / 1000;
                let m = p.multiplier(t);
                lo = lo.min(m);
                hi = hi.max(m);
                // Periodic to the nanosecond, and symmetric about the peak.
                assert_eq!(m, p.multiplier(t + 3 * period));
                assert!((m - p.multiplier(period - t)).abs() < 1e-9);
            }
            assert!((lo - trough).abs() < 1e-12 && (hi - 1.0).abs() < 1e-12);
            // Quarter days sit half-way between trough and peak.
            assert!((p.multiplier(period / 4) - (1.0 + trough) / 2.0).abs() < 1e-9);
            // One whole day carries (1 + trough) / 2 of the peak rate on average.
            let e = p.expected_count(1.0, 5 * period, 6 * period);
            let theory = period_s * (1.0 + trough) / 2.0;
            assert!((e / theory - 1.0).abs() < 1e-12, "{e} vs {theory}");
        }
    }

    /// The closed forms against a midpoint sum of the multiplier on a fine grid.
    #[test]
    fn expected_counts_match_numerical_integration() {
        let cases = [
            (Profile::ramp(0.0, 7.0, 3.3, 17.9).unwrap(), 0.0, 25.0),
            (Profile::ramp(5.0, 0.5, 1.0, 9.0).unwrap(), 4.2, 13.7),
            (Profile::spike(2.5, 1.25, 9.0).unwrap(), 0.0, 6.0),
            (Profile::daily(37.0, 0.3).unwrap(), 11.1, 95.3),
            (Profile::daily(86_400.0, 0.1).unwrap(), 20_000.0, 70_000.0),
        ];
        for (p, a, b) in cases {
            let (t0, t1) = (s(a), s(b));
            // 240,000 steps put every jump of the spike on a grid line.
            let n = 240_000u64;
            let h = (t1 - t0) / n;
            let numeric: f64 = (0..n).map(|i| p.multiplier(t0 + i * h + h / 2)).sum::<f64>() * secs(h)
                + p.multiplier(t1 - 1) * secs(t1 - t0 - n * h);
            let exact = p.expected_count(1.0, t0, t1);
            eprintln!("{p:?}: closed form {exact:.6}, numeric {numeric:.6}");
            assert!((exact / numeric - 1.0).abs() < 1e-6, "{p:?}");
        }
        assert_eq!(Profile::Steady.expected_count(5.0, s(3.0), s(1.0)), 0.0);
    }

    #[test]
    fn zero_rates_end_the_stream_instead_of_looping() {
        let mut rng = stream(1);
        let mut zero_base = ProfiledArrivals::new(0.0, Profile::Steady).unwrap();
        assert_eq!(zero_base.next_arrival(0, &mut rng), None);
        let mut zero_ramp = ProfiledArrivals::new(100.0, Profile::ramp(0.0, 0.0, 0.0, 1.0).unwrap()).unwrap();
        assert_eq!(zero_ramp.next_arrival(0, &mut rng), None);

        // Traffic that fades out: arrivals until the end of the ramp, then none.
        let fading = Profile::ramp(2.0, 0.0, 5.0, 10.0).unwrap();
        let mut a = ProfiledArrivals::new(1000.0, fading).unwrap();
        let (times, worst) = arrivals_until(&mut a, 2, Nanos::MAX);
        assert!(times.iter().all(|&t| t < s(10.0)));
        assert!(*times.last().unwrap() > s(9.9));
        assert_eq!(a.next_arrival(s(10.0), &mut rng), None);
        assert!(worst < 100, "{worst} steps");

        // Traffic that starts late: the silent stretch is skipped in one step.
        let late = Profile::ramp(0.0, 1.0, 1000.0, 2000.0).unwrap();
        let mut a = ProfiledArrivals::new(1.0, late).unwrap();
        let first = a.next_arrival(0, &mut rng).unwrap();
        assert!(first > s(1000.0), "{first}");
        assert!(a.last_steps < 20, "{}", a.last_steps);

        // No further arrival can be represented after the end of time.
        let mut steady = ProfiledArrivals::new(1.0, Profile::ramp(0.0, 1e-9, 0.0, 1.0).unwrap()).unwrap();
        assert_eq!(steady.next_arrival(Nanos::MAX - 10, &mut rng), None);
    }

    /// Hostile but valid settings: each call still takes a few dozen steps at
    /// most, far below `MAX_STEPS_PER_ARRIVAL`.
    #[test]
    fn every_call_takes_few_steps() {
        let cases: [(f64, Profile, f64, f64); 6] = [
            // A month-long ramp from nothing to a thousandfold, near both ends.
            (1e4, Profile::ramp(0.0, 1000.0, 0.0, MAX_DURATION_S).unwrap(), 0.0, 100.0),
            (
                1e4,
                Profile::ramp(1000.0, 0.0, 0.0, MAX_DURATION_S).unwrap(),
                MAX_DURATION_S - 100.0,
                MAX_DURATION_S + 1.0,
            ),
            // A thousandfold spike of one second.
            (1e4, Profile::spike(1.0, 1.0, 1000.0).unwrap(), 0.0, 3.0),
            // A huge rate through a dead trough.
            (1e7, Profile::daily(MIN_PERIOD_S, 0.0).unwrap(), 0.0, 0.5),
            // A tiny rate over many short days.
            (1e-6, Profile::daily(MIN_PERIOD_S, 0.0).unwrap(), 0.0, 1e8),
            (1e-6, Profile::ramp(0.0, 1000.0, 0.0, MAX_DURATION_S).unwrap(), 0.0, MAX_DURATION_S * 2.0),
        ];
        for (base, p, from_s, to_s) in cases {
            let mut a = ProfiledArrivals::new(base, p).unwrap();
            let mut rng = stream(8);
            let (mut now, mut worst, mut n) = (s(from_s), 0, 0u64);
            while let Some(t) = a.next_arrival(now, &mut rng) {
                worst = worst.max(a.last_steps);
                if t >= s(to_s) || n == 200_000 {
                    break;
                }
                n += 1;
                now = t;
            }
            eprintln!("{base} rps, {p:?}: {n} arrivals, at most {worst} steps per call");
            assert!(worst <= 64, "{p:?}: {worst} steps");
        }
    }

    #[test]
    fn same_seed_same_arrivals() {
        let p = Profile::daily(60.0, 0.3).unwrap();
        let (x, _) = arrivals_until(&mut ProfiledArrivals::new(300.0, p).unwrap(), 77, s(120.0));
        let (y, _) = arrivals_until(&mut ProfiledArrivals::new(300.0, p).unwrap(), 77, s(120.0));
        let (z, _) = arrivals_until(&mut ProfiledArrivals::new(300.0, p).unwrap(), 78, s(120.0));
        assert_eq!(x, y);
        assert_ne!(x, z);
    }

    #[test]
    fn validation_names_the_problem_and_the_fix() {
        let msg = |r: Result<Profile, ProfileError>| r.unwrap_err().to_string();
        assert!(
            msg(Profile::ramp(-1.0, 2.0, 0.0, 10.0)).contains("starting multiplier (from) must be between 0 and 1000")
        );
        assert!(msg(Profile::ramp(1.0, f64::NAN, 0.0, 10.0)).contains("(to)"));
        assert!(msg(Profile::ramp(1.0, 2.0, -5.0, 10.0)).contains("the ramp's start (start_s) must be a time"));
        assert!(msg(Profile::ramp(1.0, 2.0, 0.0, 1e9)).contains("(end_s)"));
        assert_eq!(
            msg(Profile::ramp(1.0, 2.0, 60.0, 30.0)),
            "the ramp must not end before it starts: it starts at 60 s and ends at 30 s; \
             swap start_s and end_s or move the end later"
        );
        assert!(msg(Profile::spike(10.0, 5.0, 1e4)).contains("the spike's multiplier must be between 0 and 1000"));
        assert!(msg(Profile::spike(f64::INFINITY, 5.0, 2.0)).contains("at_s"));
        assert!(msg(Profile::spike(10.0, 0.0, 2.0)).contains("the spike must last more than 0 s"));
        assert!(msg(Profile::daily(5.0, 0.2)).contains("between 10 and 2592000 s: 86400 is a real day"));
        assert!(msg(Profile::daily(120.0, 1.5)).contains("the trough must be between 0 and 1"));
        assert!(msg(Profile::daily(120.0, f64::NAN)).contains("got NaN"));

        let err = ProfiledArrivals::new(-1.0, Profile::Steady).unwrap_err();
        assert!(err.to_string().contains("the base rate must be between 0 and 10000000"));
        let err = ProfiledArrivals::new(1e5, Profile::spike(1.0, 1.0, 200.0).unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "at its highest this profile asks for 20000000 requests per second (100000 × 200); \
             at most 10000000 can be simulated: lower the rate or the multiplier"
        );
        let raw = Profile::Daily { period_s: 0.0, trough: 0.5 };
        assert_eq!(ProfiledArrivals::new(1.0, raw).unwrap_err(), ProfileError::Period(0.0));

        let spike = Profile::spike(100.0, 30.0, 3.0).unwrap();
        assert_eq!(
            spike.fits_run(120.0).unwrap_err().to_string(),
            "the spike must end before the run does: it ends at 130 s but the run lasts 120 s; \
             start it earlier, shorten it or lengthen the run"
        );
        assert!(spike.fits_run(130.0).is_ok());
        assert!(Profile::ramp(1.0, 2.0, 0.0, 200.0)
            .unwrap()
            .fits_run(120.0)
            .unwrap_err()
            .to_string()
            .starts_with("the ramp must end before the run does"));
        let day = Profile::daily(DEFAULT_PERIOD_S, 0.2).unwrap();
        assert_eq!(
            day.fits_run(120.0).unwrap_err().to_string(),
            "the run ends before the day's peak: the peak comes half a day in, at 43200 s, \
             but the run lasts 120 s; set period_s to at most 240 or lengthen the run"
        );
        assert!(Profile::daily(240.0, 0.2).unwrap().fits_run(120.0).is_ok());
        assert!(Profile::Steady.fits_run(1.0).is_ok());
    }

    /// Profiles built by hand with nonsense values never panic; they are refused
    /// by `ProfiledArrivals::new` and `validate`.
    #[test]
    fn nonsense_never_panics() {
        let weird = [
            Profile::Daily { period_s: 0.0, trough: f64::NAN },
            Profile::Daily { period_s: f64::NAN, trough: -3.0 },
            Profile::Ramp { from: f64::NAN, to: f64::INFINITY, start_s: 9.0, end_s: 1.0 },
            Profile::Ramp { from: -1.0, to: 2.0, start_s: f64::NAN, end_s: f64::NAN },
            Profile::Spike { at_s: -1.0, duration_s: f64::INFINITY, multiplier: -2.0 },
            Profile::Spike { at_s: 1e300, duration_s: 1e300, multiplier: 1e300 },
        ];
        for p in weird {
            assert!(p.validate().is_err(), "{p:?}");
            assert!(ProfiledArrivals::new(1.0, p).is_err());
            for t in [0, 1, s(5.0), Nanos::MAX / 2, Nanos::MAX] {
                let m = p.multiplier(t);
                assert!((0.0..=MAX_MULTIPLIER).contains(&m), "{p:?} at {t}: {m}");
                let _ = p.expected_count(1.0, 0, t);
            }
            assert!(p.max_multiplier() >= 0.0);
        }
        // And the sampler copes with them if handed one regardless.
        for p in weird {
            let mut a = ProfiledArrivals::unchecked(10.0, p);
            let mut rng = stream(0);
            let mut now = 0;
            for _ in 0..100 {
                match a.next_arrival(now, &mut rng) {
                    Some(t) => now = t,
                    None => break,
                }
            }
        }
    }

    #[test]
    fn profiles_serialise_with_a_shape_tag() {
        let json = |p: Profile| serde_json::to_string(&p).unwrap();
        assert_eq!(json(Profile::steady()), r#"{"shape":"steady"}"#);
        assert_eq!(
            json(Profile::spike(30.0, 10.0, 5.0).unwrap()),
            r#"{"shape":"spike","at_s":30.0,"duration_s":10.0,"multiplier":5.0}"#
        );
        assert_eq!(
            json(Profile::ramp(1.0, 3.0, 0.0, 60.0).unwrap()),
            r#"{"shape":"ramp","from":1.0,"to":3.0,"start_s":0.0,"end_s":60.0}"#
        );
        assert_eq!(json(Profile::daily(120.0, 0.2).unwrap()), r#"{"shape":"daily","period_s":120.0,"trough":0.2}"#);
        assert_eq!(Profile::default(), Profile::Steady);
    }
}
