//! Turns wall-clock time into simulated time for the live page.
//!
//! Each animation frame advances the simulation by the wall time since the last
//! frame times the speed, under a time budget so one frame never freezes the
//! page. When the budget runs out the simulation falls behind real time, and the
//! page says so instead of pretending.
//!
//! The budget is wall-clock time, not a number of events: designs differ tenfold
//! in the cost of an event, and a fixed count of 400,000 events made frames of
//! the lesson-13 design last 200 ms and more (measured by `cargo xtask bench`).
//! The engine runs in slices of [`SLICE_EVENTS`] and stops when the frame's
//! share of time is spent; stepping in slices gives exactly the same run.

use scalelab_engine::time::Nanos;
use scalelab_engine::Simulation;

/// Longest wall-clock gap a frame makes up for (a background tab comes back
/// without trying to replay minutes at once).
const MAX_FRAME_GAP_MS: f64 = 100.0;

/// Wall-clock milliseconds of engine work per frame at real time or slower:
/// about half of a 60 Hz frame, leaving the rest for drawing the dots, charts
/// and the page.
pub const ENGINE_MS_PER_FRAME: f64 = 8.0;

/// The same when fast-forwarding: there the point is to get far quickly, so
/// the engine takes most of the time and frames come at about 25 a second.
pub const ENGINE_MS_PER_FAST_FRAME: f64 = 30.0;

/// The engine's share of a frame at `speed` (simulated seconds per second).
pub fn engine_ms_per_frame(speed: f64) -> f64 {
    if speed > 1.0 {
        ENGINE_MS_PER_FAST_FRAME
    } else {
        ENGINE_MS_PER_FRAME
    }
}

/// Events between two looks at the clock (a few tens of microseconds of work).
pub const SLICE_EVENTS: u64 = 2_000;

pub struct Runner {
    pub sim: Simulation,
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
    /// Most events one frame may process, whatever the clock says.
    pub events_per_frame: u64,
    /// The last frame ran out of budget before reaching its target time.
    pub behind: bool,
}

impl Runner {
    pub fn new(sim: Simulation) -> Runner {
        Runner { sim, speed: 1.0, events_per_frame: 400_000, behind: false }
    }

    /// Advances by `wall_ms` of real time with no clock (every event allowed
    /// up to `events_per_frame`); returns the events processed.
    pub fn advance(&mut self, wall_ms: f64) -> u64 {
        self.advance_within(wall_ms, f64::INFINITY, || 0.0)
    }

    /// Advances by `wall_ms` of real time, stopping once `clock_ms()` (a
    /// millisecond clock, `performance.now()` in the page) has moved on by
    /// `budget_ms`; returns the events processed.
    pub fn advance_within(&mut self, wall_ms: f64, budget_ms: f64, mut clock_ms: impl FnMut() -> f64) -> u64 {
        let wall_ms = wall_ms.clamp(0.0, MAX_FRAME_GAP_MS);
        let step: Nanos = (wall_ms * 1e6 * self.speed) as Nanos;
        let target = self.sim.now().saturating_add(step);
        let started = clock_ms();
        let mut done = 0;
        loop {
            let slice = SLICE_EVENTS.min(self.events_per_frame - done);
            let progress = self.sim.run_until(target, slice);
            done += progress.events;
            if progress.reached {
                self.behind = false;
                return done;
            }
            if done >= self.events_per_frame || clock_ms() - started >= budget_ms {
                self.behind = true;
                return done;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scalelab_engine::Scenario;

    fn runner() -> Runner {
        Runner::new(Simulation::new(Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap()))
    }

    #[test]
    fn advances_by_wall_time_times_speed() {
        let mut r = runner();
        r.advance(16.0);
        assert_eq!(r.sim.now(), 16_000_000);
        r.speed = 10.0;
        r.advance(16.0);
        assert_eq!(r.sim.now(), 176_000_000);
        assert!(!r.behind);
    }

    #[test]
    fn a_long_pause_is_not_replayed_and_a_small_budget_falls_behind() {
        let mut r = runner();
        r.advance(60_000.0);
        assert_eq!(r.sim.now(), 100_000_000);
        r.events_per_frame = 10;
        r.advance(50.0);
        assert!(r.behind);
        assert!(r.sim.now() < 150_000_000);
    }

    #[test]
    fn the_time_budget_stops_a_frame_and_the_run_is_the_same_as_in_one_go() {
        // A fake clock that moves 1 ms per look: a 5 ms budget allows a few
        // slices, then the frame stops, behind.
        let mut r = runner();
        r.speed = 1_000.0;
        let mut t = 0.0;
        let events = r.advance_within(50.0, 5.0, || {
            t += 1.0;
            t
        });
        assert!(r.behind);
        assert!(events > 0 && events <= 6 * SLICE_EVENTS, "{events}");
        assert!(r.sim.now() < 50_000_000_000);
        // More budgeted frames: the run is the one made in a single call, up
        // to the same event (same clock, same report).
        let mut t = 0.0;
        for _ in 0..20 {
            r.advance_within(16.0, 5.0, || {
                t += 1.0;
                t
            });
        }
        let mut one = runner();
        one.sim.run_until(u64::MAX, r.sim.events());
        assert_eq!(one.sim.events(), r.sim.events());
        assert_eq!(one.sim.now(), r.sim.now());
        assert_eq!(one.sim.report().to_json_pretty(), r.sim.report().to_json_pretty());
    }

    #[test]
    fn fast_forward_gives_the_engine_more_of_each_frame() {
        assert_eq!(engine_ms_per_frame(1.0), ENGINE_MS_PER_FRAME);
        assert_eq!(engine_ms_per_frame(0.1), ENGINE_MS_PER_FRAME);
        assert!(engine_ms_per_frame(10.0) > 2.0 * ENGINE_MS_PER_FRAME);
        assert!(engine_ms_per_frame(100.0) < 1000.0 / 20.0, "still about 25 frames a second");
    }
}
