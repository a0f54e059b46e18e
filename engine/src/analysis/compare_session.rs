//! The A/B comparison as a session: a [`PairRun`] kept between messages and
//! paced by a wall clock, so it can run in a worker of its own and send the
//! page a [`PairReading`] four times a second.
//!
//! The clock is passed in (`now_ms`, and a `more()` that says whether a tick
//! may go on), so the pacing is plain code that the tests drive with a clock
//! of their own: the worker only supplies `performance.now()` and schedules
//! the next tick when [`Next`] says.

use crate::analysis::pair_run::{PairReading, PairRun, CHUNK_EVENTS};
use crate::kernel::edit::Edit;
use crate::model::fault::Fault;
use crate::model::scenario::Scenario;

/// Longest wall-clock time one tick works, in milliseconds: a command (a
/// pause, a fault in both) waits at most this long to be heard.
pub const SLICE_MS: f64 = 10.0;
/// How often a playing comparison publishes its reading, in wall-clock ms.
pub const PUBLISH_EVERY_MS: f64 = 250.0;
/// Longest wall-clock gap a tick makes up for (a worker held up, or a page
/// hidden for a while, does not replay minutes at once).
pub const MAX_GAP_MS: f64 = 100.0;
/// Wall-clock ms to wait before the next tick once the runs have caught up
/// with the clock.
pub const CAUGHT_UP_WAIT_MS: f64 = 16.0;

/// When the session wants its next tick.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// At once: the runs are behind the clock (or a reading is owed).
    Now,
    /// After this many wall-clock milliseconds: caught up, playing.
    After(f64),
    /// Not until a command comes: paused or finished, and nothing owed.
    Idle,
}

/// A comparison being run.
pub struct CompareSession {
    run: PairRun,
    playing: bool,
    /// Simulated seconds per wall-clock second.
    speed: f64,
    /// The wall clock at the last tick (`None`: the next tick counts no time).
    last_ms: Option<f64>,
    since_publish_ms: f64,
    /// A reading is owed at the next moment both runs stand together.
    publish_now: bool,
}

impl CompareSession {
    /// Starts running two paired designs (as [`crate::analysis::compare::pair`]
    /// made them) at `speed`, publishing at once.
    pub fn new(a: Scenario, b: Scenario, speed: f64) -> CompareSession {
        CompareSession {
            run: PairRun::of(a, b),
            playing: true,
            speed: clean_speed(speed),
            last_ms: None,
            since_publish_ms: 0.0,
            publish_now: true,
        }
    }

    /// Plays at `speed` (from where it stands; time paused is not made up).
    pub fn play(&mut self, speed: f64) {
        if !self.playing {
            self.last_ms = None;
        }
        self.playing = !self.run.finished();
        self.speed = clean_speed(speed);
        self.publish_now = true;
    }

    /// Stops the clock; the reading at the moment both stand together follows.
    pub fn pause(&mut self) {
        self.playing = false;
        self.publish_now = true;
    }

    /// Fails or recovers `id` in both designs at one simulated time; refused
    /// in words (naming the design that refuses it) with nothing changed.
    pub fn in_both(&mut self, id: String, fault: Fault) -> Result<(), String> {
        self.run.in_both(Edit::Fault { id, fault })?;
        self.publish_now = true;
        Ok(())
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Runs for at most as long as `more()` allows, towards where the clock
    /// says the runs should be by `now_ms`. Returns the reading when one is
    /// due (four times a second while playing, at once after a command, and
    /// at the end) and both stand together, and when to tick next.
    pub fn tick(&mut self, now_ms: f64, more: &mut dyn FnMut() -> bool) -> (Option<PairReading>, Next) {
        let elapsed = self.last_ms.map_or(0.0, |last| (now_ms - last).clamp(0.0, MAX_GAP_MS));
        self.last_ms = Some(now_ms);
        if self.playing && !self.run.finished() {
            self.run.extend((elapsed * 1e6 * self.speed) as u64);
        }
        self.run.advance(CHUNK_EVENTS, &mut *more);
        if self.run.finished() && self.playing {
            self.playing = false;
            self.publish_now = true;
        }
        self.since_publish_ms += elapsed;
        let due = self.publish_now || (self.playing && self.since_publish_ms >= PUBLISH_EVERY_MS);
        let reading = if due { self.run.reading() } else { None };
        if reading.is_some() {
            self.since_publish_ms = 0.0;
            self.publish_now = false;
        }
        let next = if self.run.behind || self.publish_now {
            Next::Now
        } else if self.playing {
            Next::After(CAUGHT_UP_WAIT_MS)
        } else {
            Next::Idle
        };
        (reading, next)
    }
}

/// A speed the clock can use: positive and finite, else 1× (the live run's
/// too).
pub(crate) fn clean_speed(speed: f64) -> f64 {
    if speed.is_finite() && speed > 0.0 {
        speed
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::compare::pair;
    use crate::analysis::pair_run::tests::lesson;
    use crate::model::goal::at_this_traffic;

    /// A clock that moves `step_ms` per tick; each tick may run `calls` slices.
    fn drive(s: &mut CompareSession, clock: &mut f64, step_ms: f64, calls: u32) -> Vec<PairReading> {
        *clock += step_ms;
        let mut n = 0;
        let (reading, _) = s.tick(*clock, &mut || {
            n += 1;
            n <= calls
        });
        reading.into_iter().collect()
    }

    fn paired(before: u32, after: u32) -> (Scenario, Scenario) {
        let this = lesson(after);
        let p = pair(&at_this_traffic(&lesson(before), &this), &this).unwrap();
        (p.a, p.b)
    }

    #[test]
    fn a_session_reads_at_its_end_what_the_pair_run_reads_at_its_end() {
        let (mut a, mut b) = paired(2, 3);
        for s in [&mut a, &mut b] {
            s.duration_s = 30.0;
        }
        let mut session = CompareSession::new(a.clone(), b.clone(), 50.0);
        let (mut clock, mut readings) = (0.0, Vec::new());
        for _ in 0..100_000 {
            readings.extend(drive(&mut session, &mut clock, 16.0, 2));
            if readings.last().is_some_and(|r| r.finished) {
                break;
            }
        }
        let last = readings.last().expect("readings");
        assert!(last.finished && !session.playing(), "the run ends, and the clock stops");
        let mut direct = PairRun::of(a, b);
        while !direct.finished() {
            direct.extend(1_000_000_000);
            direct.advance(CHUNK_EVENTS, || true);
        }
        assert_eq!(Some(last), direct.reading().as_ref(), "paced or not, the same numbers");
        // Published as it went: at once, then about four times a second of
        // wall time (30 s at 50× is 600 ms of wall time: a few readings).
        assert!(readings.len() >= 3, "{} readings", readings.len());
        assert!(readings.windows(2).all(|w| w[1].a.now_s >= w[0].a.now_s));
        assert!(readings.iter().all(|r| r.a.now_s == r.b.now_s), "read only while both stand together");
    }

    #[test]
    fn the_clock_sets_the_pace_and_a_pause_stops_it() {
        let (a, b) = paired(3, 4);
        let mut session = CompareSession::new(a, b, 10.0);
        let mut clock = 0.0;
        // 125 ticks 16 ms apart: the first counts no time, so 1,984 ms of wall
        // time at 10×, 19.84 simulated seconds.
        for _ in 0..125 {
            drive(&mut session, &mut clock, 16.0, u32::MAX);
        }
        session.pause();
        let paused = drive(&mut session, &mut clock, 0.0, u32::MAX).pop().expect("a reading on pausing");
        assert_eq!(paused.a.now_s, 19.84, "the clock sets the pace");
        for _ in 0..50 {
            assert_eq!(drive(&mut session, &mut clock, 16.0, u32::MAX), vec![], "nothing new while paused");
        }
        let (_, next) = session.tick(clock, &mut || true);
        assert_eq!(next, Next::Idle);
        // Playing again does not make up the paused time.
        session.play(10.0);
        clock += 5_000.0;
        let resumed = drive(&mut session, &mut clock, 16.0, u32::MAX).pop().expect("a reading on playing");
        assert!(resumed.a.now_s - paused.a.now_s < 0.5, "{} → {}", paused.a.now_s, resumed.a.now_s);
    }

    #[test]
    fn a_fault_in_both_is_read_at_once_and_a_refused_one_changes_nothing() {
        let (a, b) = paired(4, 4);
        let mut session = CompareSession::new(a, b, 10.0);
        let mut clock = 0.0;
        for _ in 0..30 {
            drive(&mut session, &mut clock, 16.0, u32::MAX);
        }
        let err = session.in_both("users".into(), Fault::Fail).unwrap_err();
        assert!(err.contains("design A refuses it"), "{err}");
        session.in_both("db".into(), Fault::Fail).unwrap();
        let r = drive(&mut session, &mut clock, 1.0, u32::MAX).pop().expect("read at once");
        assert_eq!(r.applied.len(), 1);
        assert_eq!((r.applied[0].id.as_str(), r.applied[0].fault), ("db", Fault::Fail));
        assert!(r.applied[0].t_s <= r.a.now_s);
    }

    #[test]
    fn a_reading_survives_the_message_round_trip_exactly() {
        let (a, b) = paired(5, 6);
        let mut session = CompareSession::new(a, b, 100.0);
        let mut clock = 0.0;
        let mut last = None;
        for _ in 0..200 {
            if let Some(r) = drive(&mut session, &mut clock, 16.0, u32::MAX).pop() {
                last = Some(r);
            }
        }
        let r = last.unwrap();
        assert!(r.a.window_s > 0.0 && r.a.latency_p99_ms.is_some(), "past the warm-up");
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<PairReading>(&text).unwrap(), r);
    }

    #[test]
    fn odd_speeds_run_at_one_times() {
        for speed in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            assert_eq!(clean_speed(speed), 1.0);
        }
        assert_eq!(clean_speed(50.0), 50.0);
    }
}
