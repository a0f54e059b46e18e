//! The live run as the page steers it: commands out, readings and hops in.
//! The run itself is the engine's live session
//! (`scalelab_engine::live_session`), kept by the engine's worker on a thread
//! of its own ([`crate::run::worker`]): every call here that changes the run
//! is posted as the [`Job`] of the same name, and what the worker answers (a
//! [`LiveReading`] four times a second and after each command, the sampled
//! hops of the dots after each of its ticks) waits in an [`Inbox`] until the
//! page's next frame takes it.
//!
//! **Refusals at once.** A change the run would refuse is refused here,
//! before anything is sent, by the very check the run makes
//! (`scalelab_engine::sync_check` on the design last sent, `edited` for a
//! fault or a partition): both decide from the designs alone, so the editor
//! can still roll a refused change back at once.
//!
//! **The page sets the pace.** The run says its next reading, or its next
//! buffer of hops, only once the page has said it took the last
//! ([`Job::Took`], sent by [`LiveRun::tick`] when a frame finds something
//! new): a page slower than the worker (a phone, a throttled tab) then
//! reads what it can, the newest, and never a queue of messages it cannot
//! keep up with. A reading carries only the series' new seconds; the page
//! keeps the series.
//!
//! **One run at a time.** A restart (a loaded design, a reset) starts the run
//! at a new version of the design; what the worker says of the run before it
//! (readings and hops already on their way) is dropped by that version.
//!
//! **The dots' clock.** Hops come in buffers, each saying the simulated time
//! it was drained at, as the worker ticks (about every 16 ms, on its own
//! beat, later when the machine is busy). Drawn at those times the dots
//! would stall on a frame without a buffer and jump on one with two, and a
//! late buffer would empty the screen and then flood it. So the dots are
//! drawn [`PLAYOUT_DELAY_MS`] of wall time behind the run, as a video player
//! buffers: the clock runs at the run's speed each frame, drawn gently
//! towards that delay behind the newest buffer, never back, and never
//! further than [`AHEAD_MS`] past what the run has said. Paused, it stands
//! where the run stands.

use scalelab_engine::hops::{self, Drained};
use scalelab_engine::job::{Job, Reply};
use scalelab_engine::live_session::{LiveReading, Watch};
use scalelab_engine::series::SERIES_CAPACITY;
use scalelab_engine::time::Nanos;
use scalelab_engine::{edited, sync_check, Edit, EditError, Hop, Scenario, Share};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Wall milliseconds the dots are drawn behind the run, so the hops of a
/// worker's tick a few frames late still arrive before their time.
pub const PLAYOUT_DELAY_MS: f64 = 50.0;

/// Wall milliseconds the dots' clock may run on past the newest buffer of
/// hops (the worker far behind): then the dots wait for it.
pub const AHEAD_MS: f64 = 50.0;

/// Share of the distance to its target the dots' clock closes each frame.
const CLOCK_PULL: f64 = 0.1;

/// Log entries the page keeps (the newest); readings taken together keep no
/// more either.
pub const LOG_KEPT: usize = 100;

/// Hop buffers kept for the next frame: about half a second of the worker's
/// ticks. While no frame comes (a hidden tab) older ones are dropped, as
/// their dots would be long gone.
const HOP_BUFFERS_KEPT: usize = 32;

/// Messages for the user kept until the next frame.
const SAID_KEPT: usize = 8;

/// Where the live session runs: the engine's worker on the page, a session
/// on the same thread in native tests. Answers go to the [`Inbox`] the
/// engine was made with.
pub trait Engine {
    /// Gives the run a command.
    fn send(&mut self, job: &Job);
    /// Lets the run answer up to wall-clock time `now_ms` (a worker runs by
    /// itself and needs nothing).
    fn poll(&mut self, _now_ms: f64) {}
}

/// What the run said and the page has not taken yet, bounded however long
/// no frame comes to take it.
#[derive(Default)]
pub struct Inbox {
    /// The version the run was last started at: what is said of an earlier
    /// version than this is of a run that is gone.
    started: u64,
    /// The newest reading, carrying the log entries of those it replaced.
    reading: Option<LiveReading>,
    hops: VecDeque<(Drained, Vec<Hop>)>,
    /// Wall-clock time (ms) the last buffer of hops came in.
    hops_at_ms: f64,
    /// Words for the user the run said (a refusal the page did not foresee,
    /// the worker failing).
    said: Vec<String>,
    /// A reading, a buffer of hops came in (of any version) since the page
    /// last said it took what came.
    came: (bool, bool),
}

impl Inbox {
    /// A reply from the run.
    pub fn reply(&mut self, reply: Reply) {
        match reply {
            Reply::Live { reading } => match reading.reading() {
                Ok(reading) if reading.version < self.started => self.came.0 = true,
                Ok(mut reading) => {
                    self.came.0 = true;
                    // Only the newest is shown, with what the older ones
                    // added (the run says one at a time, so this is rare).
                    if let Some(older) = self.reading.take() {
                        let mut log = older.published.log;
                        log.append(&mut reading.published.log);
                        log.drain(..log.len().saturating_sub(LOG_KEPT));
                        reading.published.log = log;
                        let mut series = older.published.series;
                        series.append(&mut reading.published.series);
                        series.drain(..series.len().saturating_sub(SERIES_CAPACITY));
                        reading.published.series = series;
                    }
                    self.reading = Some(reading);
                }
                Err(message) => self.say(message),
            },
            Reply::Refused { message } => self.say(message),
            Reply::Failed { message } => self.say(format!("The live run stopped: {message}")),
            _ => {}
        }
    }

    /// A buffer of hops ([`hops::pack`]) that came in at wall time `now_ms`.
    pub fn hops(&mut self, bytes: &[u8], now_ms: f64) {
        let mut hops = Vec::new();
        self.came.1 = true;
        match hops::unpack(bytes, &mut hops) {
            Some(drained) if drained.version < self.started => {}
            Some(drained) => {
                if self.hops.len() == HOP_BUFFERS_KEPT {
                    self.hops.pop_front();
                }
                self.hops.push_back((drained, hops));
                self.hops_at_ms = now_ms;
            }
            None => self.say(format!("the engine's worker sent {} bytes of dots the page cannot read", bytes.len())),
        }
    }

    fn say(&mut self, words: String) {
        if self.said.len() < SAID_KEPT {
            self.said.push(words);
        }
    }

    /// A run started at `version`: what is waiting is of the run before.
    fn restarted(&mut self, version: u64) {
        self.started = version;
        self.reading = None;
        self.hops.clear();
    }
}

/// The live run of the editor's design.
pub struct LiveRun {
    engine: Box<dyn Engine>,
    inbox: Rc<RefCell<Inbox>>,
    /// The design as last sent: a change is checked against it.
    sent: Scenario,
    /// The editor's version of the design the run has: bumped by every
    /// change it takes.
    version: u64,
    watch: Watch,
    playing: bool,
    speed: f64,
    /// Each node slot's id, as the last reading gave them.
    slots: Vec<String>,
    /// The last buffer of hops said: when it came, and its head.
    drained: Option<(f64, Drained)>,
    /// The time the dots were last drawn at, and the wall time of that
    /// frame (`None`: none drawn since a start or a pause).
    dots_at: Nanos,
    dots_frame_ms: Option<f64>,
}

impl LiveRun {
    /// Starts running `scenario`, playing, at 1×, on `engine`, whose answers
    /// go to `inbox`.
    /// Starts running `scenario`, playing, at 1×: in the engine's worker on
    /// the page, on this thread natively ([`crate::run::loopback`]).
    pub fn start(scenario: Scenario) -> LiveRun {
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        #[cfg(target_arch = "wasm32")]
        let engine = Box::new(crate::run::worker::WorkerEngine::new(inbox.clone()));
        #[cfg(not(target_arch = "wasm32"))]
        let engine = Box::new(crate::run::loopback::Loopback::new(inbox.clone()));
        LiveRun::new(scenario, engine, inbox)
    }

    pub fn new(scenario: Scenario, engine: Box<dyn Engine>, inbox: Rc<RefCell<Inbox>>) -> LiveRun {
        let mut run = LiveRun {
            engine,
            inbox,
            sent: scenario,
            version: 1,
            watch: Watch::default(),
            playing: true,
            speed: 1.0,
            slots: Vec::new(),
            drained: None,
            dots_at: 0,
            dots_frame_ms: None,
        };
        run.inbox.borrow_mut().restarted(1);
        run.engine.send(&Job::live(&run.sent, 1, true, 1.0));
        run
    }

    /// Runs `scenario` from time 0 (a loaded design, a reset), playing or
    /// paused and at the speed as before, watching what was watched.
    pub fn restart(&mut self, scenario: Scenario) {
        self.version += 1;
        self.inbox.borrow_mut().restarted(self.version);
        self.slots.clear();
        self.drained = None;
        self.dots_at = 0;
        self.dots_frame_ms = None;
        self.engine.send(&Job::live(&scenario, self.version, self.playing, self.speed));
        self.sent = scenario;
    }

    /// Brings the run to `target` as it goes on, or refuses (nothing sent)
    /// for the reason the run would give.
    pub fn sync(&mut self, target: &Scenario) -> Result<(), EditError> {
        sync_check(&self.sent, target)?;
        self.version += 1;
        self.engine.send(&Job::sync(target, self.version));
        self.sent = target.clone();
        Ok(())
    }

    /// Faults and partitions in the run, all or none: each is checked
    /// before any is sent.
    pub fn apply(&mut self, edits: Vec<Edit>) -> Result<(), EditError> {
        for edit in &edits {
            if !matches!(edit, Edit::Fault { .. } | Edit::Partition { .. }) {
                return Err(EditError::NotApplicable(format!(
                    "{edit:?} is a change of design: the editor gives it as a new version"
                )));
            }
            edited(&self.sent, edit)?;
        }
        for edit in edits {
            match edit {
                Edit::Fault { id, fault } => self.engine.send(&Job::Fault { id, fault }),
                Edit::Partition { a, b, cut } => self.engine.send(&Job::Partition { a, b, cut }),
                _ => unreachable!("only faults and partitions pass the check above"),
            }
        }
        Ok(())
    }

    /// Plays at `speed`, or pauses; told to the run only when it changes.
    pub fn set_playing(&mut self, playing: bool, speed: f64) {
        if (playing, speed) == (self.playing, self.speed) {
            return;
        }
        (self.playing, self.speed) = (playing, speed);
        self.engine.send(&if playing { Job::Play { speed } } else { Job::Pause });
    }

    /// Moves a paused run on by a tenth of a simulated second.
    pub fn step(&mut self) {
        self.engine.send(&Job::Step);
    }

    /// Changes what the page has on screen; told to the run only when it changes.
    pub fn watch(&mut self, change: impl FnOnce(&mut Watch)) {
        let mut watch = self.watch.clone();
        change(&mut watch);
        if watch != self.watch {
            self.watch = watch.clone();
            self.engine.send(&Job::Watch { watch });
        }
    }

    /// Follows the next request born.
    pub fn trace_next(&mut self) {
        self.engine.send(&Job::TraceNext);
    }

    /// Follows request `number` (a clicked dot).
    pub fn follow_trace(&mut self, number: u64) {
        self.engine.send(&Job::FollowTrace { number });
    }

    /// Takes what the run said since the last frame, at wall time `now_ms`:
    /// the newest reading (its log entries and series seconds are those
    /// since the last one taken). Tells the run what came in, so it may say
    /// more; the hops that came are taken by this frame's
    /// [`LiveRun::drain_hops`].
    pub fn tick(&mut self, now_ms: f64) -> Option<LiveReading> {
        self.engine.poll(now_ms);
        let came = std::mem::take(&mut self.inbox.borrow_mut().came);
        if came != (false, false) {
            self.engine.send(&Job::Took { reading: came.0, hops: came.1 });
        }
        let reading = self.inbox.borrow_mut().reading.take()?;
        self.slots = reading.published.node_slots.iter().map(|(id, ..)| id.clone()).collect();
        Some(reading)
    }

    /// What the run said that the user should read, once.
    pub fn take_said(&mut self) -> Vec<String> {
        std::mem::take(&mut self.inbox.borrow_mut().said)
    }

    /// Moves the hops that came in since the last call into `out`; returns
    /// the simulated time to draw the dots at (wall time `now_ms`) and the
    /// newest share the run says it follows, with the first request it
    /// applies to.
    pub fn drain_hops(&mut self, out: &mut Vec<Hop>, now_ms: f64) -> (Nanos, Option<(Share, u64)>) {
        out.clear();
        let mut inbox = self.inbox.borrow_mut();
        let came_at = inbox.hops_at_ms;
        for (drained, hops) in inbox.hops.drain(..) {
            out.extend_from_slice(&hops);
            self.drained = Some((came_at, drained));
        }
        drop(inbox);
        let Some((at_ms, drained)) = self.drained else { return (self.dots_at, None) };
        let followed = Some((drained.share, drained.share_from));
        if !self.playing {
            self.dots_at = self.dots_at.max(drained.now);
            self.dots_frame_ms = None;
            return (self.dots_at, followed);
        }
        let ns_per_ms = 1e6 * self.speed;
        // Where the clock should be: the delay behind the run, as the newest
        // buffer and the wall time since it say.
        let target = drained.now as f64 + (now_ms - at_ms - PLAYOUT_DELAY_MS) * ns_per_ms;
        let clock = match self.dots_frame_ms {
            Some(last_ms) => {
                let ran = self.dots_at as f64 + (now_ms - last_ms).max(0.0) * ns_per_ms;
                ran + (target - ran) * CLOCK_PULL
            }
            None => target,
        };
        let furthest = drained.now as f64 + AHEAD_MS * ns_per_ms;
        self.dots_at = self.dots_at.max(clock.clamp(0.0, furthest) as Nanos);
        self.dots_frame_ms = Some(now_ms);
        (self.dots_at, followed)
    }

    /// The requests followed for the dots.
    pub fn set_sample_share(&mut self, share: Share) {
        self.watch(|w| w.sample = share);
    }

    pub fn speed(&self) -> f64 {
        self.speed
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

    #[test]
    fn a_change_the_run_refuses_is_refused_before_it_is_sent_and_changes_nothing() {
        let mut run = LiveRun::start(starter());
        let first = run.tick(0.0).expect("a reading at once");
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
        assert_eq!(run.apply(vec![users.clone()]), sim.apply(users.clone()));
        // All or none: a good fault before a refused one is not sent either.
        let db = Edit::Fault { id: "db".into(), fault: Fault::Fail };
        assert!(run.apply(vec![db, users]).is_err());
        run.step();
        let after = run.tick(16.0).expect("a reading after a command");
        assert_eq!(after.version, 1, "still the first design");
        assert!(after.published.log.iter().all(|e| !e.text.contains("fail")), "{:?}", after.published.log);
        assert_eq!(run.take_said(), Vec::<String>::new(), "the run refused nothing the page sent");
    }

    #[test]
    fn the_run_plays_at_its_speed_and_a_change_is_read_as_the_new_version() {
        let mut run = LiveRun::start(starter());
        run.set_playing(true, 10.0);
        run.tick(0.0);
        let mut changed = starter();
        changed.seed = changed.seed.wrapping_add(1);
        run.sync(&changed).unwrap();
        let reading = run.tick(16.0).expect("read after the change");
        assert_eq!(reading.version, 2);
        assert!(run.node_slot_count() > 0 && !run.node_id(0).is_empty());
        run.set_playing(false, 10.0);
        run.step();
        let stepped = run.tick(32.0).expect("read after a step");
        assert_eq!(stepped.published.snapshot.now_s, 0.26);
    }

    /// The run says one reading at a time: what happens before the page
    /// takes it comes with the next, every log entry once and in order, and
    /// every second of the series once.
    #[test]
    fn each_log_entry_and_each_second_comes_once_in_order() {
        let mut run = LiveRun::start(starter());
        run.set_playing(true, 10.0);
        run.tick(0.0);
        let db = || Edit::Fault { id: "db".into(), fault: Fault::Fail };
        let recover = Edit::Fault { id: "db".into(), fault: Fault::Recover };
        run.apply(vec![db()]).unwrap();
        run.engine.poll(16.0);
        run.apply(vec![recover]).unwrap();
        run.engine.poll(32.0);
        let (mut log, mut seconds, mut now_s) = (Vec::new(), Vec::new(), 0.0);
        for t in 3..200 {
            if let Some(reading) = run.tick(t as f64 * 16.0) {
                now_s = reading.published.snapshot.now_s;
                log.extend(reading.published.log.iter().map(|e| (e.seq, e.text.clone())));
                seconds.extend(reading.published.series.iter().map(|p| p.t_s));
            }
        }
        let said: Vec<&str> = log.iter().map(|(_, text)| text.as_str()).collect();
        let at = |text| said.iter().position(|s| *s == text).unwrap_or_else(|| panic!("{text}: {said:?}"));
        assert!(at("db failed") < at("db recovered"), "{said:?}");
        assert!(log.windows(2).all(|w| w[0].0 < w[1].0), "once each, in order: {log:?}");
        assert!(now_s >= 25.0, "{now_s} s");
        assert_eq!(seconds, (1..=now_s as u64).collect::<Vec<_>>(), "each second once");
    }

    /// After a restart, what the run before it still says is dropped: its
    /// readings and its hops; the dots' clock starts again.
    #[test]
    fn a_restart_drops_what_the_run_before_said() {
        let mut run = LiveRun::start(starter());
        run.set_sample_share(Share::ALL);
        let mut hops = Vec::new();
        run.tick(0.0);
        for t in 1..=30 {
            run.tick(t as f64 * 16.0);
        }
        let (clock, share) = run.drain_hops(&mut hops, 30.0 * 16.0);
        assert!(clock > 400_000_000 && !hops.is_empty(), "{clock}");
        assert_eq!(share, Some((Share::ALL, 0)));
        // Said by the old run after the restart was sent (as a worker may):
        // the inbox still holds the old run's answers.
        run.engine.poll(31.0 * 16.0);
        run.restart(starter());
        let reading = run.tick(32.0 * 16.0).expect("the new run's first reading");
        assert_eq!((reading.version, reading.published.snapshot.now_s), (2, 0.0));
        let (clock, _) = run.drain_hops(&mut hops, 32.0 * 16.0);
        assert!(clock < 40_000_000, "{clock}");
    }

    /// While no frame takes what the run says (a hidden tab, a page far
    /// slower than the worker), the run says no more: the inbox holds one
    /// reading and one buffer of hops however long the run goes on. The
    /// next frame takes them; the reading then owed has every log entry
    /// since, in order (at most the log entries the page keeps).
    #[test]
    fn nothing_piles_up_while_no_frame_comes() {
        let mut run = LiveRun::start(starter());
        run.set_sample_share(Share::ALL);
        let mut hops = Vec::new();
        run.tick(0.0);
        run.drain_hops(&mut hops, 0.0);
        for t in 1..=400 {
            if t % 40 == 0 {
                let db = if t % 80 == 0 { Fault::Recover } else { Fault::Fail };
                run.apply(vec![Edit::Fault { id: "db".into(), fault: db }]).unwrap();
            }
            run.engine.poll(t as f64 * 16.0);
        }
        assert_eq!(run.inbox.borrow().hops.len(), 1);
        let said = run.tick(401.0 * 16.0).expect("the reading said before");
        assert!(said.published.snapshot.now_s < 1.0, "{}", said.published.snapshot.now_s);
        run.drain_hops(&mut hops, 401.0 * 16.0);
        let reading = run.tick(402.0 * 16.0).expect("the reading owed");
        assert!(reading.published.snapshot.now_s > 6.0);
        run.drain_hops(&mut hops, 402.0 * 16.0);
        assert!(hops.len() > 1000, "the hops since the first buffer: {}", hops.len());
        let seqs: Vec<u64> = reading.published.log.iter().map(|e| e.seq).collect();
        assert!(seqs.len() >= 10 && seqs.len() <= LOG_KEPT, "{seqs:?}");
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    }

    /// The dots' clock runs the delay behind the run at the run's speed, on
    /// through frames without a buffer and through a late one, never back;
    /// paused, it stands where the run stands.
    #[test]
    fn the_dots_clock_plays_out_behind_the_run_and_never_back() {
        let mut run = LiveRun::start(starter());
        let mut hops = Vec::new();
        run.tick(0.0);
        run.tick(100.0);
        let (at, _) = run.drain_hops(&mut hops, 100.0);
        assert_eq!(at, 50_000_000, "the delay behind the run's 100 ms");
        // Frames without a buffer: on at the run's speed.
        assert_eq!(run.drain_hops(&mut hops, 116.0).0, 66_000_000);
        assert_eq!(run.drain_hops(&mut hops, 132.0).0, 82_000_000);
        // The worker late: past what it said, no further than AHEAD_MS.
        let mut last = 0;
        for t in (148..=400).step_by(16) {
            last = run.drain_hops(&mut hops, t as f64).0;
        }
        assert_eq!(last, 150_000_000);
        // Its next buffer (now 200 ms, after a wait of 300 ms) pulls the
        // clock a tenth of the way at each frame; it never goes back.
        run.tick(400.0);
        let (pulled, _) = run.drain_hops(&mut hops, 416.0);
        assert!(pulled >= last && pulled < 200_000_000, "{pulled}");
        // Paused: where the run stands, and still.
        run.set_playing(false, 1.0);
        run.tick(420.0);
        let (paused, _) = run.drain_hops(&mut hops, 500.0);
        assert_eq!(paused, 200_000_000);
        assert_eq!(run.drain_hops(&mut hops, 900.0).0, 200_000_000);
    }
}
