//! The live run as a session: the [`Simulation`] the page shows, kept between
//! messages and paced by a wall clock, so it can run in the engine's worker
//! while the page's thread only draws. The page sends what changes (the
//! design, a fault, play and pause, what is on screen) and hears a
//! [`LiveReading`] four times a second, and the sampled hops of its dots.
//!
//! The pacing is the page's frame loop's (`src/run/runner.rs`), moved: each
//! tick advances the run by the wall time since the last one times the
//! speed, at most [`MAX_GAP_MS`] of it, and a run that cannot keep up says
//! it is behind rather than replaying what it missed. The clock is passed
//! in, as for the comparison, so the tests drive it with one of their own.
//!
//! Every change of design carries the editor's version, and every reading
//! says which version it reflects, so the page never shows figures of a
//! design it no longer has.

use crate::analysis::compare_session::{clean_speed, Next, CAUGHT_UP_WAIT_MS, MAX_GAP_MS, PUBLISH_EVERY_MS};
use crate::analysis::theory::TheoryCheck;
use crate::base::time::Nanos;
use crate::kernel::edit::{Edit, EditError};
use crate::kernel::publish::Published;
use crate::kernel::sim::Simulation;
use crate::metrics::hops::{Hop, Share};
use crate::model::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// Events between two looks at the clock (a few tens of microseconds of work).
pub const SLICE_EVENTS: u64 = 2_000;
/// Simulated time one step adds while paused.
pub const STEP_NS: Nanos = 100_000_000;
/// Simulated seconds the theory check looks back over: long enough that a
/// queue near saturation does not make the simulated wait swing far from the
/// mean the formula gives (ten seconds of an M/M/1 at 80% often miss by 40%).
pub const THEORY_WINDOW_S: u32 = 30;

/// What the page has on screen, so the run computes only what is read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    /// "Where the time goes" is shown: trace requests for the breakdown.
    pub breakdown: bool,
    /// A request's trace is followed: include it in each reading.
    pub trace: bool,
    /// The node whose theory check the inspector shows.
    pub theory: Option<String>,
    /// The requests followed for the dots (none by default).
    pub sample: Share,
}

/// One reading of the live run, for the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveReading {
    /// The editor's version of the design this run reflects.
    pub version: u64,
    /// The last tick ran out of time before reaching where the clock said.
    pub behind: bool,
    pub published: Published,
    /// Theory beside the simulation for the node [`Watch::theory`] names
    /// (its id, and the check), when it has one.
    pub theory: Option<(String, TheoryCheck)>,
}

/// A [`LiveReading`] as a message carries it: a JSON value, read only by
/// [`RawReading::reading`]. A page that reads other replies (a report, a
/// comparison) then never compiles the reader of a live reading, the
/// largest of them. (A value, not raw text: the replies are an internally
/// tagged enum, which buffers what it reads.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawReading(serde_json::Value);

impl RawReading {
    pub fn of(reading: &LiveReading) -> RawReading {
        RawReading(serde_json::to_value(reading).expect("a reading always serialises"))
    }

    /// The reading, or why the value is not one (a worker of another version).
    pub fn reading(&self) -> Result<LiveReading, String> {
        LiveReading::deserialize(&self.0).map_err(|e| format!("the live run's reading could not be read ({e})"))
    }
}

/// The live run being paced.
pub struct LiveSession {
    sim: Simulation,
    version: u64,
    playing: bool,
    /// Simulated seconds per wall-clock second.
    speed: f64,
    /// The wall clock at the last tick (`None`: the next tick counts no time).
    last_ms: Option<f64>,
    behind: bool,
    since_publish_ms: f64,
    /// A reading is owed at the next tick.
    publish_now: bool,
    /// The next log entry the page has not had.
    log_from: u64,
    watch: Watch,
}

impl LiveSession {
    /// Starts running `scenario` (the editor's `version` of it), playing or
    /// not, at `speed`, with nothing but the figures watched; a reading is
    /// owed at once.
    pub fn new(scenario: Scenario, version: u64, playing: bool, speed: f64) -> LiveSession {
        let mut session = LiveSession {
            sim: Simulation::new(scenario),
            version,
            playing,
            speed: clean_speed(speed),
            last_ms: None,
            behind: false,
            since_publish_ms: 0.0,
            publish_now: true,
            log_from: 0,
            watch: Watch::default(),
        };
        session.watch(Watch::default());
        session
    }

    /// What the page said it has on screen.
    pub fn watching(&self) -> &Watch {
        &self.watch
    }

    /// Computes what `watch` says is on screen (and nothing more).
    pub fn watch(&mut self, watch: Watch) {
        self.sim.set_breakdown(watch.breakdown);
        self.sim.set_sample_share(watch.sample);
        // What is read changed: read it at once (the dots' share changes
        // nothing that is read).
        if (Watch { sample: watch.sample, ..self.watch.clone() }) != watch {
            self.publish_now = true;
        }
        self.watch = watch;
    }

    /// Brings the run to the editor's `version` of the design, or refuses
    /// (as [`crate::kernel::edit::sync_check`] says) and changes nothing.
    pub fn sync(&mut self, target: &Scenario, version: u64) -> Result<(), EditError> {
        self.sim.sync_to(target)?;
        self.version = version;
        self.publish_now = true;
        Ok(())
    }

    /// A fault or a partition, or its refusal (nothing changed).
    pub fn apply(&mut self, edit: Edit) -> Result<(), EditError> {
        self.sim.apply(edit)?;
        self.publish_now = true;
        Ok(())
    }

    /// Plays at `speed` from where the run stands (time paused is not made up).
    pub fn play(&mut self, speed: f64) {
        if !self.playing {
            self.last_ms = None;
        }
        self.playing = true;
        self.speed = clean_speed(speed);
        self.publish_now = true;
    }

    pub fn pause(&mut self) {
        self.playing = false;
        self.behind = false;
        self.publish_now = true;
    }

    /// Moves a paused run on by [`STEP_NS`] and reads it.
    pub fn step(&mut self) {
        let until = self.sim.now().saturating_add(STEP_NS);
        self.sim.run_until(until, u64::MAX);
        self.publish_now = true;
    }

    /// Follows the next request to start.
    pub fn trace_next(&mut self) {
        self.sim.trace_next();
        self.publish_now = true;
    }

    /// Follows request `number` (a clicked dot); false if the run no longer
    /// knows it.
    pub fn follow_trace(&mut self, number: u64) -> bool {
        let kept = self.sim.follow_trace(number);
        self.publish_now = true;
        kept
    }

    /// Moves the hops logged since the last call into `out`, and returns the
    /// simulated time now, which the dots are drawn at.
    pub fn drain_hops(&mut self, out: &mut Vec<Hop>) -> Nanos {
        self.sim.drain_hops(out);
        self.sim.now()
    }

    pub fn now(&self) -> Nanos {
        self.sim.now()
    }

    /// Requests generated so far: a share of the dots set now applies from
    /// this request number on.
    pub fn requests_generated(&self) -> u64 {
        self.sim.totals().generated
    }

    /// Runs for as long as `more()` allows towards where the clock says the
    /// run should be by `now_ms`. Returns the reading when one is due (four
    /// times a second while playing, at once after a command, and at the
    /// run's end), and when to tick next.
    pub fn tick(&mut self, now_ms: f64, more: &mut dyn FnMut() -> bool) -> (Option<LiveReading>, Next) {
        let elapsed = self.last_ms.map_or(0.0, |last| (now_ms - last).clamp(0.0, MAX_GAP_MS));
        self.last_ms = Some(now_ms);
        let finished = self.sim.now() >= self.sim.end();
        if self.playing && !finished {
            // As the page's frames did: from where the run stands, so time a
            // slow run could not keep up with is not owed later.
            let target = self.sim.now().saturating_add((elapsed * 1e6 * self.speed) as Nanos);
            self.behind = loop {
                let progress = self.sim.run_until(target, SLICE_EVENTS);
                if progress.reached {
                    break false;
                }
                if !more() {
                    break true;
                }
            };
        }
        self.since_publish_ms += elapsed;
        // The run's end is read as soon as it is reached.
        let ended_now = !finished && self.sim.now() >= self.sim.end();
        let due =
            self.publish_now || ended_now || (self.playing && !finished && self.since_publish_ms >= PUBLISH_EVERY_MS);
        let reading = due.then(|| {
            self.since_publish_ms = 0.0;
            self.publish_now = false;
            self.reading()
        });
        let next = if self.playing && self.sim.now() < self.sim.end() {
            if self.behind {
                Next::Now
            } else {
                Next::After(CAUGHT_UP_WAIT_MS)
            }
        } else {
            Next::Idle
        };
        (reading, next)
    }

    /// What the page shows now; log entries it has not had yet.
    fn reading(&mut self) -> LiveReading {
        let published = self.sim.publish(self.log_from, self.watch.trace);
        if let Some(last) = published.log.last() {
            self.log_from = last.seq + 1;
        }
        let theory =
            self.watch.theory.as_ref().and_then(|id| Some((id.clone(), self.sim.theory_check(id, THEORY_WINDOW_S)?)));
        LiveReading { version: self.version, behind: self.behind, published, theory }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::pair_run::tests::lesson;
    use crate::model::fault::Fault;

    /// A clock that moves `step_ms` per tick; each tick may run `slices` slices.
    fn drive(s: &mut LiveSession, clock: &mut f64, step_ms: f64, slices: u32) -> Option<LiveReading> {
        *clock += step_ms;
        let mut n = 0;
        s.tick(*clock, &mut || {
            n += 1;
            n <= slices
        })
        .0
    }

    /// Lesson 5 with its second web server a size larger.
    fn edited_lesson(doc: &Scenario) -> Scenario {
        let mut value = serde_json::to_value(doc).unwrap();
        let i = doc.node_index("web-2").unwrap();
        value["nodes"][i]["size"] = serde_json::json!("8xlarge");
        value["nodes"][i].as_object_mut().unwrap().remove("workers");
        Scenario::from_json(&value.to_string()).unwrap()
    }

    #[test]
    fn a_paced_session_with_edits_is_the_run_made_directly_with_the_same_edits() {
        let doc = lesson(5);
        let target = edited_lesson(&doc);
        assert_ne!(doc, target);
        let mut session = LiveSession::new(doc.clone(), 1, true, 10.0);
        let mut clock = 0.0;
        // 101 ticks: the first counts no time, then 100 × 16 ms at 10×: 16 s.
        for _ in 0..101 {
            drive(&mut session, &mut clock, 16.0, u32::MAX);
        }
        assert_eq!(session.now(), 16_000_000_000);
        session.sync(&target, 2).unwrap();
        session.apply(Edit::Fault { id: "replica-1".into(), fault: Fault::Fail }).unwrap();
        for _ in 0..50 {
            drive(&mut session, &mut clock, 16.0, u32::MAX);
        }
        let paced = drive(&mut session, &mut clock, 0.0, u32::MAX).unwrap_or_else(|| {
            session.pause();
            drive(&mut session, &mut clock, 0.0, u32::MAX).expect("a reading on pausing")
        });
        assert_eq!(paced.version, 2, "the reading says which design it reflects");
        assert_eq!(paced.published.snapshot.now_s, 24.0);
        let mut direct = Simulation::new(doc);
        direct.set_breakdown(false);
        direct.run_until(16_000_000_000, u64::MAX);
        direct.sync_to(&target).unwrap();
        direct.apply(Edit::Fault { id: "replica-1".into(), fault: Fault::Fail }).unwrap();
        direct.run_until(24_000_000_000, u64::MAX);
        let expected = direct.publish(0, false);
        assert_eq!(paced.published.snapshot, expected.snapshot);
        assert_eq!(paced.published.series, expected.series);
        assert_eq!(paced.published.headline, expected.headline);
        assert_eq!(paced.published.goal, expected.goal);
    }

    #[test]
    fn the_clock_sets_the_pace_a_pause_holds_and_a_step_moves_a_tenth() {
        let mut session = LiveSession::new(lesson(3), 1, true, 2.0);
        let mut clock = 0.0;
        let first = drive(&mut session, &mut clock, 0.0, u32::MAX).expect("a reading at once");
        assert_eq!((first.version, first.published.snapshot.now_s), (1, 0.0));
        // 1,000 ms of wall time in ticks of 10 ms at 2×: 2 simulated seconds;
        // a reading about every 250 ms.
        let readings: Vec<_> = (0..100).filter_map(|_| drive(&mut session, &mut clock, 10.0, u32::MAX)).collect();
        assert_eq!(session.now(), 2_000_000_000);
        assert!((3..=5).contains(&readings.len()), "{} readings in a second", readings.len());
        // A gap longer than the longest made up counts as that much.
        drive(&mut session, &mut clock, 5_000.0, u32::MAX);
        assert_eq!(session.now(), 2_000_000_000 + (2.0 * MAX_GAP_MS * 1e6) as u64);
        let at = session.now();
        session.pause();
        assert!(drive(&mut session, &mut clock, 10.0, u32::MAX).is_some(), "read on pausing");
        for _ in 0..50 {
            assert_eq!(drive(&mut session, &mut clock, 10.0, u32::MAX), None);
        }
        assert_eq!(session.now(), at, "paused");
        session.step();
        let stepped = drive(&mut session, &mut clock, 10.0, u32::MAX).expect("read after a step");
        assert_eq!(session.now(), at + STEP_NS);
        assert_eq!(stepped.published.snapshot.now_s, (at + STEP_NS) as f64 / 1e9);
        // Playing again does not make up the time paused.
        session.play(2.0);
        drive(&mut session, &mut clock, 30_000.0, u32::MAX);
        assert_eq!(session.now(), at + STEP_NS, "the first tick after a pause counts no time");
        drive(&mut session, &mut clock, 16.0, u32::MAX);
        assert_eq!(session.now(), at + STEP_NS + 32_000_000);
    }

    #[test]
    fn the_end_of_the_run_is_read_as_soon_as_it_is_reached() {
        let mut doc = lesson(3);
        doc.duration_s = 2.0;
        let mut session = LiveSession::new(doc, 1, true, 1.0);
        let mut clock = 0.0;
        let mut last = drive(&mut session, &mut clock, 0.0, u32::MAX);
        // 2,100 ms of wall time in ticks of 30 ms: readings every 250 ms, the
        // last one at the end, and then none (nothing changes any more).
        let mut after_end = 0;
        for _ in 0..70 {
            if let Some(r) = drive(&mut session, &mut clock, 30.0, u32::MAX) {
                after_end += usize::from(last.as_ref().is_some_and(|l| l.published.snapshot.now_s == 2.0));
                last = Some(r);
            }
        }
        assert_eq!(last.expect("readings").published.snapshot.now_s, 2.0, "the end is read");
        assert_eq!(after_end, 0, "and nothing after it");
        assert_eq!(session.tick(clock + 30.0, &mut || true).1, Next::Idle);
    }

    #[test]
    fn a_run_that_cannot_keep_up_says_so_and_owes_nothing() {
        let mut session = LiveSession::new(lesson(3), 1, true, 100.0);
        let mut clock = 0.0;
        drive(&mut session, &mut clock, 0.0, u32::MAX);
        // One slice a tick (2,000 events), far less than 1.6 simulated seconds
        // of lesson 3 per 16 ms: behind, and the next tick is wanted at once.
        let mut readings = Vec::new();
        for _ in 0..20 {
            clock += 16.0;
            let mut n = 0;
            let (reading, next) = session.tick(clock, &mut || {
                n += 1;
                n <= 1
            });
            assert_eq!(next, Next::Now);
            readings.extend(reading);
        }
        let reading = readings.pop().expect("a reading after 250 ms of wall time");
        assert!(reading.behind, "the reading says the run is behind");
        let behind = session.now();
        assert!(behind < 20 * 1_600_000_000, "{behind}");
        // Given all the time it wants, it goes on from where it stands: the
        // time it could not keep up with is not owed.
        drive(&mut session, &mut clock, 16.0, u32::MAX);
        assert_eq!(session.now(), behind + 1_600_000_000);
        let (_, next) = session.tick(clock + 16.0, &mut || true);
        assert_eq!(next, Next::After(CAUGHT_UP_WAIT_MS), "caught up");
        session.pause();
        session.tick(clock + 32.0, &mut || true);
        assert_eq!(session.tick(clock + 48.0, &mut || true).1, Next::Idle, "paused, nothing owed");
    }

    #[test]
    fn a_refused_change_changes_nothing_and_what_is_watched_is_read() {
        let doc = lesson(5);
        let mut session = LiveSession::new(doc.clone(), 1, true, 10.0);
        let mut clock = 0.0;
        for _ in 0..40 {
            drive(&mut session, &mut clock, 16.0, u32::MAX);
        }
        // A node cannot change kind: the check says so, and so does the run.
        let mut target = doc.clone();
        let i = target.node_index("web-2").unwrap();
        let cache =
            lesson(6).nodes.into_iter().find(|n| n.spec.kind() == crate::model::kinds::NodeKind::Cache).unwrap();
        target.nodes[i].spec = cache.spec;
        let refusal = crate::kernel::edit::sync_check(&doc, &target).unwrap_err();
        assert_eq!(session.sync(&target, 2).unwrap_err(), refusal);
        let users_fail = session.apply(Edit::Fault { id: "users".into(), fault: Fault::Fail }).unwrap_err();
        assert!(users_fail.to_string().contains("users cannot fail"), "{users_fail}");
        let reading = drive(&mut session, &mut clock, 16.0, u32::MAX).unwrap_or_else(|| {
            session.pause();
            drive(&mut session, &mut clock, 0.0, u32::MAX).unwrap()
        });
        assert_eq!(reading.version, 1, "still the first design");
        assert_eq!(reading.published.trace, None);
        assert_eq!(reading.theory, None);
        assert_eq!(reading.published.breakdown, None, "not traced while not shown");
        // Watch the breakdown, a trace and a node's theory: each reading has them.
        session.watch(Watch { breakdown: true, trace: true, theory: Some("web-1".into()), sample: Share::ALL });
        session.trace_next();
        session.play(10.0);
        let mut last = None;
        for _ in 0..40 {
            last = drive(&mut session, &mut clock, 16.0, u32::MAX).or(last);
        }
        let watched = last.expect("readings while playing");
        assert!(watched.published.breakdown.is_some());
        assert!(watched.published.trace.is_some(), "the next request was followed");
        let (id, theory) = watched.theory.as_ref().expect("web-1 has workers");
        assert_eq!(id, "web-1");
        assert!(theory.window_s > 0 && theory.arrival_rps > 0.0, "{theory:?}");
        // Every request followed: the hops of the dots, at the time they were drained.
        let mut hops = Vec::new();
        let now = session.drain_hops(&mut hops);
        assert_eq!(now, session.now());
        assert!(!hops.is_empty() && hops.iter().all(|h| h.start <= h.end));
        // A reading survives its round trip as a message exactly.
        let back: LiveReading = serde_json::from_str(&serde_json::to_string(&watched).unwrap()).unwrap();
        assert_eq!(back, watched);
    }
}
