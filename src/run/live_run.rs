//! The live run as the page steers it: commands in, readings out. The page
//! never holds the `Simulation`: it tells the engine's live session
//! (`scalelab_engine::live_session`) what changes (a design version, a fault,
//! play, pause, step, what is on screen) and reads what it answers
//! ([`LiveReading`]s) and the hops of its dots.
//!
//! The session is kept here on the page's thread and ticked by the frame
//! loop within a time budget, the step before it moves into the engine's
//! worker (slice S6 of `docs/plans/performance.md`), where each of these
//! calls becomes the `Job` of the same name (`scalelab_engine::job`).
//!
//! A refused change is refused by the session at once and changes nothing
//! (the engine's `sync_to` checks everything before it applies anything), so
//! the editor rolls it back as it did when it held the run itself.

use scalelab_engine::live_session::{LiveReading, LiveSession, Watch};
use scalelab_engine::time::Nanos;
use scalelab_engine::{Edit, EditError, Hop, Scenario, Share};

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

/// The live run of the editor's design.
pub struct LiveRun {
    session: LiveSession,
    /// The editor's version of the design the run has: bumped by every
    /// change it takes.
    version: u64,
    watch: Watch,
    playing: bool,
    speed: f64,
    /// Each node slot's id, as the last reading gave them.
    slots: Vec<String>,
}

impl LiveRun {
    /// Starts running `scenario`, playing, at 1×.
    pub fn new(scenario: Scenario) -> LiveRun {
        LiveRun {
            session: LiveSession::new(scenario, 1, true, 1.0),
            version: 1,
            watch: Watch::default(),
            playing: true,
            speed: 1.0,
            slots: Vec::new(),
        }
    }

    /// Runs `scenario` from time 0 (a loaded design, a reset), playing or
    /// paused and at the speed as before, watching what was watched.
    pub fn restart(&mut self, scenario: Scenario) {
        self.version += 1;
        self.slots.clear();
        self.session = LiveSession::new(scenario, self.version, self.playing, self.speed);
        self.session.watch(self.watch.clone());
    }

    /// Brings the run to `target` as it goes on, or refuses (nothing
    /// changed) for the reason the run gives.
    pub fn sync(&mut self, target: &Scenario) -> Result<(), EditError> {
        self.session.sync(target, self.version + 1)?;
        self.version += 1;
        Ok(())
    }

    /// A fault or a partition in the run, or its refusal (nothing changed).
    pub fn apply(&mut self, edit: Edit) -> Result<(), EditError> {
        if !matches!(edit, Edit::Fault { .. } | Edit::Partition { .. }) {
            return Err(EditError::NotApplicable(format!(
                "{edit:?} is a change of design: the editor gives it as a new version"
            )));
        }
        self.session.apply(edit)
    }

    /// Plays at `speed`, or pauses; told to the run only when it changes.
    pub fn set_playing(&mut self, playing: bool, speed: f64) {
        if (playing, speed) == (self.playing, self.speed) {
            return;
        }
        (self.playing, self.speed) = (playing, speed);
        if playing {
            self.session.play(speed);
        } else {
            self.session.pause();
        }
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Moves a paused run on by a tenth of a simulated second.
    pub fn step(&mut self) {
        self.session.step();
    }

    /// Changes what the page has on screen; told to the run only when it changes.
    pub fn watch(&mut self, change: impl FnOnce(&mut Watch)) {
        let mut watch = self.watch.clone();
        change(&mut watch);
        if watch != self.watch {
            self.watch = watch.clone();
            self.session.watch(watch);
        }
    }

    /// Follows the next request born.
    pub fn trace_next(&mut self) {
        self.session.trace_next();
    }

    /// Follows request `number` (a clicked dot).
    pub fn follow_trace(&mut self, number: u64) {
        self.session.follow_trace(number);
    }

    /// Runs the session for the frame: towards where the clock (`clock_ms`,
    /// `performance.now()` on the page) says it should be, stopping once
    /// `budget_ms` of it is spent. Returns the reading when one is due (when
    /// the session wants its next tick does not matter here: the next frame
    /// comes anyway).
    pub fn tick(&mut self, budget_ms: f64, clock_ms: impl Fn() -> f64) -> Option<LiveReading> {
        let started = clock_ms();
        let (reading, _) = self.session.tick(started, &mut || clock_ms() - started < budget_ms);
        let reading = reading?;
        self.slots = reading.published.node_slots.iter().map(|(id, ..)| id.clone()).collect();
        Some(reading)
    }

    /// Moves the hops logged since the last call into `out`; returns the
    /// simulated time now, which the dots are drawn at.
    pub fn drain_hops(&mut self, out: &mut Vec<Hop>) -> Nanos {
        self.session.drain_hops(out)
    }

    /// The requests followed for the dots.
    pub fn set_sample_share(&mut self, share: Share) {
        self.watch(|w| w.sample = share);
    }

    /// Requests generated so far: a share set now applies from this request
    /// number on.
    pub fn requests_generated(&self) -> u64 {
        self.session.requests_generated()
    }

    /// Node slots the run has (hops name slots).
    pub fn node_slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The id of node slot `slot` ("" until the first reading names it).
    pub fn node_id(&self, slot: u16) -> &str {
        self.slots.get(slot as usize).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scalelab_engine::{Fault, Simulation};

    fn starter() -> Scenario {
        Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap()
    }

    /// A clock that moves 1 ms per look.
    fn clock() -> impl Fn() -> f64 {
        let t = std::cell::Cell::new(0.0);
        move || {
            t.set(t.get() + 1.0);
            t.get()
        }
    }

    #[test]
    fn a_change_the_run_refuses_is_refused_at_once_and_changes_nothing() {
        let mut run = LiveRun::new(starter());
        let first = run.tick(8.0, clock()).expect("a reading at once");
        assert_eq!(first.version, 1);
        let mut target = starter();
        let web = target.nodes.iter().position(|n| n.id.starts_with("web")).unwrap();
        let other_kind =
            target.nodes.iter().find(|n| n.spec.kind() != target.nodes[web].spec.kind()).unwrap().spec.clone();
        target.nodes[web].spec = other_kind;
        let mut sim = Simulation::new(starter());
        assert_eq!(run.sync(&target), sim.sync_to(&target), "the same refusal as the run's");
        assert!(run.sync(&target).is_err());
        let users = Edit::Fault { id: "users".into(), fault: Fault::Fail };
        assert_eq!(run.apply(users.clone()), sim.apply(users));
        run.step();
        let after = run.tick(8.0, clock()).expect("a reading after a command");
        assert_eq!(after.version, 1, "still the first design");
    }

    #[test]
    fn the_run_plays_at_its_speed_and_a_change_is_read_as_the_new_version() {
        let mut run = LiveRun::new(starter());
        run.set_playing(true, 10.0);
        // Two frames: the first counts no time.
        run.tick(8.0, || 0.0);
        let mut changed = starter();
        changed.seed = changed.seed.wrapping_add(1);
        run.sync(&changed).unwrap();
        let reading = run.tick(8.0, || 0.0).expect("read after the change");
        assert_eq!(reading.version, 2);
        assert!(run.node_slot_count() > 0 && !run.node_id(0).is_empty());
        run.set_playing(false, 10.0);
        run.step();
        let stepped = run.tick(8.0, || 0.0).expect("read after a step");
        assert_eq!(stepped.published.snapshot.now_s, 0.1);
    }
}
