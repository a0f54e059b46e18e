//! The simulation: a discrete-event loop that moves every request through the
//! architecture, one event at a time, in simulated time.
//!
//! A request goes *down* its path (users, load balancer, web server, database),
//! pushing a frame at each node, and its response comes back *up* the same
//! frames. Wires with zero latency are crossed at once, without an event.
//!
//! Every request ends in exactly one outcome, recorded when its response (or its
//! failure) reaches the users, or when the users give up waiting for it (their
//! client timeout: the answer that comes later is dropped). A node that goes on
//! working after the caller gave up (a timeout) keeps the request's slot alive
//! as an extra "line" until the work ends; the slot is reused only when no line
//! is left.

use crate::base::histogram::Histogram;
use crate::base::time::{ms_to_ns, secs_to_ns, Nanos, NS_PER_S};
use crate::blocks::event::{Event, EventQueue};
use crate::blocks::request::{Arena, Cause, Frame, FrameState, Kind, EMPTY_FRAME, NO_SLOT, NO_TRACE};
use crate::components::net::Network;
use crate::components::station::{Deadline, Role, Station};
use crate::components::{Arrival, Links, Next, Reply, Visit, Work};
use crate::kernel::trace::{Mark, TraceBook, BREAKDOWN_EVERY};
use crate::metrics::hops::{Hop, HopLog};
use crate::metrics::series::{NodePoint, SecondPoint, Series};
use crate::metrics::stats::{NodeCounters, NodeStats, NodeSummary};
use crate::model::kinds::NodeKind;
use crate::model::scenario::{NodeSpec, Scenario};

/// Request `req` (its frame `f`) at `node`, as the node's component sees it.
macro_rules! visit {
    ($sim:expr, $node:expr, $req:expr, $f:expr) => {
        Visit {
            now: $sim.now,
            node: $node,
            id: $req,
            req: $sim.arena.get_mut($req),
            f: $f,
            net: &$sim.net,
            stats: &mut $sim.stats[$node],
        }
    };
}

/// A station's work on request `req` (its frame `f`) at `node`.
macro_rules! work {
    ($sim:expr, $node:expr, $req:expr, $f:expr) => {
        Work {
            now: $sim.now,
            node: $node,
            req: $sim.arena.get_mut($req),
            f: $f,
            components: &mut $sim.components,
            net: &$sim.net,
            stats: &mut $sim.stats,
            sessions: &mut $sim.sessions,
        }
    };
}

pub use crate::components::net::Health;
pub(crate) use crate::components::net::{NodeInfo, Wire};
pub(crate) use crate::components::Component;

/// Outcome counts of a set of requests.
///
/// `ok` are successes within the users' deadline (goodput); `late_ok` are
/// successes that reached users who had already given up (counted as
/// `client_timeout` in `failed`, so not an outcome of their own): work done
/// for nobody. `retries` are the attempts beyond each request's first, so a
/// request's attempts are `generated + retries`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outcomes {
    pub generated: u64,
    pub ok: u64,
    pub failed: [u64; Cause::COUNT],
    pub late_ok: u64,
    pub retries: u64,
}

impl Outcomes {
    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }

    /// Attempts sent: every request's first, and its retries.
    pub fn attempts(&self) -> u64 {
        self.generated + self.retries
    }

    /// Answers produced: on time, or too late for users who gave up.
    pub fn answered_ok(&self) -> u64 {
        self.ok + self.late_ok
    }

    /// Attempts per request (`None` without requests).
    pub fn attempts_per_request(&self) -> Option<f64> {
        (self.generated > 0).then(|| self.attempts() as f64 / self.generated as f64)
    }
}

/// What became of the attempts sent by callers with a call policy (users
/// with `retry`), for requests of one set (the whole run, or born in the
/// statistics window). An attempt ends once: answered (`ok`, or failed with
/// the answer's cause), or past its timeout (`timeout`). Requests of callers
/// without a policy are not counted here: each is its own single attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AttemptOutcomes {
    pub sent: u64,
    pub ok: u64,
    pub failed: [u64; Cause::COUNT],
}

impl AttemptOutcomes {
    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }

    /// Attempts sent that have not ended.
    pub fn open(&self) -> u64 {
        self.sent - self.ok - self.failed_total()
    }

    #[inline]
    fn ended(&mut self, failure: Option<Cause>) {
        match failure {
            None => self.ok += 1,
            Some(c) => self.failed[c as usize] += 1,
        }
    }
}

/// The sizes that grow with the traffic a run holds ([`Simulation::memory`]).
/// All are bounded by [`crate::base::limits::MAX_IN_FLIGHT`] (stations' queue and
/// deadline entries, and the users' give-up entries, belong to live requests)
/// except `queued_jobs`, bounded by the queues' capacities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryUse {
    /// Requests alive now.
    pub live_requests: usize,
    /// Request slots ever allocated: the arena's high-water mark.
    pub arena_slots: usize,
    /// Events scheduled now.
    pub pending_events: usize,
    /// Room in the event list: its high-water mark.
    pub event_capacity: usize,
    /// Waiting places and deadline entries at all stations.
    pub station_entries: usize,
    /// Requests the users are waiting for, in the order they give up on
    /// them (at most the live requests).
    pub give_up_entries: usize,
    /// Jobs waiting on message queues.
    pub queued_jobs: usize,
    /// Deadlines of attempts kept by callers with a timeout per attempt
    /// (at most about twice the live requests).
    pub attempt_entries: usize,
}

/// What a call to [`Simulation::run_until`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Events processed by this call.
    pub events: u64,
    /// The clock reached the requested time (false: the event budget ran out first).
    pub reached: bool,
    /// The clock reached the scenario's `duration_s`: nothing more will happen.
    pub finished: bool,
}

/// A running simulation of one scenario.
pub struct Simulation {
    pub(crate) scenario: Scenario,
    /// The faults the scenario scheduled when the run started, by the index
    /// their events carry. Live edits change the design's own list (removing
    /// a node drops its faults); what was scheduled stays as it was.
    script: Vec<crate::model::scenario::ScheduledFault>,
    pub(crate) now: Nanos,
    pub(crate) end: Nanos,
    pub(crate) warmup: Nanos,
    queue: EventQueue,
    pub(crate) arena: crate::blocks::request::Arena,
    /// The node slots, the wires between them and the database topology.
    pub(crate) net: Network,
    pub(crate) components: Vec<Component>,
    pub(crate) stats: Vec<NodeStats>,
    pub(crate) events: u64,
    /// Every request since the start.
    pub(crate) totals: Outcomes,
    /// Requests born in the statistics window (warm-up to end).
    pub(crate) window: Outcomes,
    /// Attempts of callers with a call policy, over the whole run and for
    /// requests born in the window.
    pub(crate) attempts_totals: AttemptOutcomes,
    pub(crate) attempts_window: AttemptOutcomes,
    /// The same for the calls of web servers with a call policy (`calls`):
    /// a request's calls are not its attempts, so they have books of their own.
    pub(crate) calls_totals: AttemptOutcomes,
    pub(crate) calls_window: AttemptOutcomes,
    /// End-to-end latency of successful requests: the second under way, the
    /// span since the last `take_snapshot`, and those born in the window.
    pub(crate) latencies: crate::kernel::latency::Latencies,
    /// The last second closed by `on_tick` (from `latencies`).
    second_latency: Histogram,
    second: Outcomes,
    pub(crate) at_warmup: Vec<NodeCounters>,
    pub(crate) at_tick: Vec<NodeCounters>,
    /// Per node, whether it rejected / timed out / failed requests in the last
    /// second (the log reports when such trouble starts, not every second).
    troubled: Vec<[bool; 3]>,
    pub(crate) log: crate::metrics::log::EventLog,
    pub(crate) series: Series,
    hops: HopLog,
    pub(crate) snap: crate::kernel::snapshot::SnapshotBase,
    /// Replicas promoted after their primary failed: (old primary, new primary).
    pub(crate) promotions: Vec<(u16, u16)>,
    /// Acknowledged writes that were lost because the primary failed before
    /// they reached the replica promoted in its place.
    pub(crate) lost_writes: u64,
    /// Alert rules, checked every simulated second.
    pub(crate) alerts: crate::blocks::alerts::Alerts,
    /// Names of the alert rules that fired in the second just ended.
    fired_now: Vec<String>,
    /// The scenario's goal, checked every simulated second.
    pub(crate) goal: Option<crate::model::goal::GoalTracker>,
    /// Batches of the headline numbers, for their confidence intervals.
    pub(crate) batches: crate::metrics::confidence::Batches,
    /// Which web server holds each user group's session.
    pub(crate) sessions: crate::components::web::SessionHomes,
    /// Whether any node is in a data center or any users have regions (else
    /// no wire pays a cross-region delay and the check is skipped).
    pub(crate) geography: bool,
    /// Pairs of data centers (ids, in order) whose network is cut.
    pub(crate) partitions: Vec<(String, String)>,
    /// Whether any users have mobile clients (else the first-hop check is skipped).
    pub(crate) any_mobile: bool,
    /// Errors injected at nodes, and latency spikes under way.
    pub(crate) injected: crate::kernel::injected::Injected,
    /// Data centers in an outage (a standby in one cannot take over).
    pub(crate) dcs_down: Vec<String>,
    /// Traces of the requests followed hop by hop.
    pub(crate) traces: TraceBook,
    /// Where the time of traced requests born in the window went.
    pub(crate) breakdown_window: crate::kernel::breakdown::BreakdownSums,
    /// The same over the current and the previous `RECENT_BREAKDOWN_S`.
    pub(crate) breakdown_recent: [crate::kernel::breakdown::BreakdownSums; 2],
    /// When the previous and the current half of `breakdown_recent` started
    /// (or tracing was turned on again, if later).
    pub(crate) breakdown_from: [Nanos; 2],
    /// Whether requests are traced for the breakdown (`set_breakdown`).
    pub(crate) breakdown_on: bool,
    /// Scratch space for reading a trace.
    reading: crate::kernel::trace::Reading,
    /// Requests overflowed (see `overflow`) since the last tick: logged once
    /// per episode.
    pub(crate) overflowing: bool,
    /// Pools whose freed connections are being handed to waiters, as
    /// (caller, wire): a connection freed while handing them out (an
    /// answer coming back at once) is queued here instead of nesting.
    pub(crate) pool_wakes: Vec<(u16, u16)>,
    pub(crate) waking: bool,
}

/// Simulated seconds in each half of the breakdown's sliding window.
pub const RECENT_BREAKDOWN_S: u64 = 30;

impl Simulation {
    /// Builds a simulation of a checked scenario (see [`Scenario::from_json`]).
    pub fn new(scenario: Scenario) -> Simulation {
        let index = |id: &str| scenario.node_index(id).expect("validated: links name existing nodes") as u16;
        let wires: Vec<Wire> = scenario
            .links
            .iter()
            .map(|l| Wire {
                from: index(&l.from),
                to: index(&l.to),
                latency: ms_to_ns(l.latency_ms),
                removed: false,
                sent: 0,
            })
            .collect();
        let outgoing = |node: usize| -> Vec<u16> {
            wires.iter().enumerate().filter(|(_, w)| w.from as usize == node).map(|(i, _)| i as u16).collect()
        };
        let seed = scenario.seed;
        let components: Vec<Component> = scenario
            .nodes
            .iter()
            .enumerate()
            .map(|(i, node)| Component::for_node(&node.spec, outgoing(i), seed, i))
            .collect();
        let n = components.len();
        let nodes = scenario
            .nodes
            .iter()
            .map(|node| NodeInfo { id: node.id.clone(), kind: node.spec.kind(), removed: false, health: Health::Up })
            .collect();
        let stations: Vec<bool> = components.iter().map(|c| matches!(c, Component::Station(_))).collect();
        let snap = crate::kernel::snapshot::SnapshotBase::new(&stations);
        let net = Network {
            nodes,
            wires,
            primary_of: vec![None; n],
            replicas_of: vec![Vec::new(); n],
            slot_region: vec![None; n],
        };
        let mut sim = Simulation {
            script: scenario.faults.clone(),
            net,
            now: 0,
            end: secs_to_ns(scenario.duration_s),
            warmup: secs_to_ns(scenario.warmup_s),
            scenario,
            queue: EventQueue::new(),
            arena: Arena::default(),
            components,
            stats: vec![NodeStats::default(); n],
            events: 0,
            totals: Outcomes::default(),
            window: Outcomes::default(),
            attempts_totals: AttemptOutcomes::default(),
            attempts_window: AttemptOutcomes::default(),
            calls_totals: AttemptOutcomes::default(),
            calls_window: AttemptOutcomes::default(),
            latencies: crate::kernel::latency::Latencies::new(),
            second_latency: Histogram::new(),
            second: Outcomes::default(),
            at_warmup: vec![NodeCounters::default(); n],
            at_tick: vec![NodeCounters::default(); n],
            troubled: vec![[false; 3]; n],
            log: crate::metrics::log::EventLog::default(),
            series: Series::default(),
            hops: HopLog::default(),
            snap,
            promotions: Vec::new(),
            lost_writes: 0,
            alerts: crate::blocks::alerts::Alerts::new(Vec::new()).expect("no rules is a valid set"),
            fired_now: Vec::new(),
            goal: None,
            batches: crate::metrics::confidence::Batches::new(0),
            sessions: Default::default(),
            geography: false,
            partitions: Vec::new(),
            any_mobile: false,
            injected: crate::kernel::injected::Injected::new(n),
            dcs_down: Vec::new(),
            traces: TraceBook::default(),
            pool_wakes: Vec::new(),
            waking: false,
            breakdown_window: Default::default(),
            breakdown_recent: Default::default(),
            breakdown_from: [0; 2],
            breakdown_on: true,
            reading: Default::default(),
            overflowing: false,
        };
        sim.alerts = Self::alert_rules(&sim.scenario);
        sim.goal = Self::goal_tracker(&sim.scenario);
        sim.batches = crate::metrics::confidence::Batches::new(sim.scenario.warmup_s.ceil() as u64);
        for (i, f) in sim.script.iter().enumerate() {
            sim.queue.schedule(secs_to_ns(f.at_s), Event::ScheduledFault { index: i as u32 });
        }
        sim.refresh_roles();
        for i in 0..n {
            sim.schedule_next_arrival(i as u16);
            sim.schedule_health_check(i);
            let spec = sim.scenario.nodes[i].spec.clone();
            sim.set_group(i, &spec);
            sim.note_available(i);
        }
        if sim.warmup > 0 {
            sim.queue.schedule(sim.warmup, Event::WarmupEnd);
        }
        sim.queue.schedule(NS_PER_S, Event::Tick);
        sim
    }

    /// Processes events in time order until the clock reaches `until` (events at
    /// exactly `until` are left for the next call) or `max_events` were processed.
    /// Stepping in many small calls gives exactly the same run as one large call.
    pub fn run_until(&mut self, until: Nanos, max_events: u64) -> Progress {
        let limit = until.min(self.end);
        let mut done = 0;
        while done < max_events {
            let Some((t, event)) = self.queue.pop_before(limit) else {
                self.now = self.now.max(limit);
                return Progress { events: done, reached: true, finished: self.now >= self.end };
            };
            self.now = t;
            self.events += 1;
            done += 1;
            if let Some((req, frame)) = self.queue.next_request() {
                self.arena.prefetch(req, frame);
            }
            self.dispatch(event);
        }
        let reached = self.queue.peek_time().is_none_or(|t| t >= limit);
        if reached {
            self.now = self.now.max(limit);
        }
        Progress { events: done, reached, finished: reached && self.now >= self.end }
    }

    /// Runs to the scenario's `duration_s`.
    pub fn run_to_end(&mut self) {
        while !self.run_until(self.end, u64::MAX).finished {}
    }

    /// The current simulated time.
    pub fn now(&self) -> Nanos {
        self.now
    }

    /// When the run ends (`duration_s`).
    pub fn end(&self) -> Nanos {
        self.end
    }

    /// Events processed since the start.
    pub fn events(&self) -> u64 {
        self.events
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Outcomes of every request since the start (warm-up included).
    pub fn totals(&self) -> Outcomes {
        self.totals
    }

    /// Requests alive now (sent, not yet answered, or still being worked on).
    pub fn live_requests(&self) -> usize {
        self.arena.live()
    }

    /// Request slots ever allocated: the arena's memory high-water mark.
    pub fn arena_capacity(&self) -> usize {
        self.arena.capacity()
    }

    /// How much the run holds now and at most, in items: what a long run must
    /// keep flat (see [`MemoryUse`]).
    pub fn memory(&self) -> MemoryUse {
        let mut station_entries = 0;
        let mut queued_jobs = 0;
        let mut give_up_entries = 0;
        let mut attempt_entries = 0;
        for c in &self.components {
            match c {
                Component::Station(st) => {
                    station_entries += st.queue.len() + st.deadlines.len();
                    attempt_entries += c.caller().map_or(0, |c| c.deadlines.len() + c.pool_entries());
                }
                Component::Queue(q) => queued_jobs += q.backlog.len(),
                Component::Users(u) => {
                    give_up_entries += u.waiting.len();
                    attempt_entries += u.caller.as_ref().map_or(0, |c| c.deadlines.len());
                }
                _ => {}
            }
        }
        MemoryUse {
            live_requests: self.arena.live(),
            arena_slots: self.arena.capacity(),
            pending_events: self.queue.len(),
            event_capacity: self.queue.capacity(),
            station_entries,
            give_up_entries,
            queued_jobs,
            attempt_entries,
        }
    }

    /// Follow one request in `every` for the animation (0: none).
    pub fn set_sample_every(&mut self, every: u32) {
        self.hops.share = crate::metrics::hops::Share::one_in(every);
    }

    /// Follow about `share.taken` requests in every `share.every` for the
    /// animation, from the next request generated on (see
    /// [`Outcomes::generated`] for its number).
    pub fn set_sample_share(&mut self, share: crate::metrics::hops::Share) {
        self.hops.share = share;
    }

    /// Moves the hops logged since the last call into `out`.
    pub fn drain_hops(&mut self, out: &mut Vec<Hop>) {
        self.hops.drain_into(out);
    }

    /// The last seconds of the per-second series.
    pub fn series(&self) -> &Series {
        &self.series
    }

    /// The id of node slot `slot` (as used in [`Hop`]s), even if since removed.
    pub fn node_id(&self, slot: u16) -> &str {
        &self.net.nodes[slot as usize].id
    }

    /// How many node slots there are (removed nodes keep theirs).
    pub fn node_slot_count(&self) -> usize {
        self.net.nodes.len()
    }

    /// Every node slot, in slot order (the order of `SecondPoint::nodes`):
    /// id, kind, and whether it has been removed.
    pub fn node_slots(&self) -> Vec<(String, NodeKind, bool)> {
        self.net.nodes.iter().map(|n| (n.id.clone(), n.kind, n.removed)).collect()
    }

    /// Health of the node with this id (`None` if there is none).
    pub fn health(&self, id: &str) -> Option<Health> {
        self.slot_of(id).map(|i| self.net.nodes[i].health)
    }

    /// End-to-end latency of the window's successful requests (the report's
    /// `latency_ms` summarises it).
    pub fn latency_histogram(&self) -> std::borrow::Cow<'_, crate::base::histogram::Histogram> {
        self.latencies.window()
    }

    /// The event log: what happened, in words.
    pub fn log(&self) -> &crate::metrics::log::EventLog {
        &self.log
    }

    /// Summary of node `i` from the end of the warm-up to now.
    pub fn node_summary(&self, i: usize) -> NodeSummary {
        if self.now <= self.warmup {
            // The statistics window has not started: it is empty, not "since 0".
            return NodeSummary::from_counters(&NodeCounters::default(), 0, self.workers_of(i));
        }
        let reading = self.stats[i].read(self.now).since(&self.at_warmup[i]);
        NodeSummary::from_counters(&reading, self.now - self.warmup, self.workers_of(i))
    }

    pub(crate) fn workers_of(&self, i: usize) -> u32 {
        match &self.components[i] {
            Component::Station(st) => st.workers,
            _ => 0,
        }
    }

    /// Brings node `slot`'s count of available workers up to date, after a
    /// change of its size (an autoscaling group's machines finished booting
    /// or were let go, new settings) or of its health. Available are the
    /// workers of a node that is up (an autoscaling group's running
    /// machines; booting ones are not in `workers` yet), and never fewer than
    /// are busy: a group that shrank, or a server given fewer workers,
    /// finishes the work it holds. A node that is down or removed has none
    /// (a crash frees every worker). Utilisation divides by this.
    pub(crate) fn note_available(&mut self, slot: usize) {
        let Component::Station(st) = &self.components[slot] else { return };
        let up = if self.net.nodes[slot].serving() { st.workers } else { 0 };
        let available = u64::from(up.max(st.busy));
        let integral = &mut self.stats[slot].available;
        if integral.value() != available {
            integral.set(self.now, available);
        }
    }

    /// Busy workers and waiting requests at node `i` right now.
    pub fn node_load(&self, i: usize) -> (u32, u32, u32) {
        match &self.components[i] {
            Component::Station(st) => (st.busy, st.waiting, st.workers),
            Component::Queue(q) => (0, q.backlog.len().min(u32::MAX as usize) as u32, 0),
            _ => (0, 0, 0),
        }
    }

    /// A queue's oldest waiting job's age now (`None`: not a queue, or empty).
    pub fn oldest_job_age(&self, slot: usize) -> Option<Nanos> {
        match &self.components[slot] {
            Component::Queue(q) => q.oldest_age(self.now),
            _ => None,
        }
    }

    /// Changes the request rate of the users node `id` (an [`Edit::UpdateNode`]
    /// with only the rate changed). Poisson arrivals have no memory, so drawing
    /// the next arrival afresh at the new rate is exact.
    ///
    /// [`Edit::UpdateNode`]: crate::kernel::edit::Edit::UpdateNode
    pub fn set_rps(&mut self, id: &str, rps: f64) -> Result<(), crate::kernel::edit::EditError> {
        let i =
            self.scenario.node_index(id).ok_or_else(|| crate::kernel::edit::EditError::UnknownNode(id.to_string()))?;
        let mut node = self.scenario.nodes[i].clone();
        match &mut node.spec {
            NodeSpec::Users(u) => u.rate = crate::model::scenario::Rate::Rps { rps },
            _ => return Err(crate::kernel::edit::EditError::NotApplicable(format!("\"{id}\" is not a users node"))),
        }
        self.apply(crate::kernel::edit::Edit::UpdateNode { node })
    }

    // ---- the event loop ----

    fn dispatch(&mut self, event: Event) {
        match event {
            Event::Arrival { node, epoch } => self.on_arrival(node, epoch),
            Event::Deliver { req, frame, up: false } => self.arrive_down(req, frame),
            Event::Deliver { req, frame, up: true } => self.arrive_up(req, frame),
            Event::ServiceDone { node, req, frame } => self.on_service_done(node, req, frame),
            Event::DeadlineSweep { node } => self.on_deadline_sweep(node),
            Event::GiveUpSweep { node } => self.on_give_up_sweep(node as usize),
            Event::AttemptSweep { node } => self.on_attempt_sweep(node as usize),
            Event::Retry { req, generation, frame } => self.on_retry(req, generation, frame),
            Event::HealthCheck { node, epoch } => self.on_health_check(node, epoch),
            Event::Takeover { node } => self.on_takeover(node),
            Event::Promote { node } => self.on_promote(node),
            Event::SpikeEnd { node, epoch } => self.end_spike(node as usize, epoch),
            Event::ScheduledFault { index } => self.on_scheduled_fault(index as usize),
            Event::JobDone { node, worker, incarnation } => self.on_job_done(node, worker, incarnation),
            Event::Autoscale { node, epoch } => self.on_autoscale(node as usize, epoch),
            Event::Tick => self.on_tick(),
            Event::WarmupEnd => {
                for i in 0..self.stats.len() {
                    self.at_warmup[i] = self.stats[i].read(self.now);
                }
            }
        }
    }

    pub(crate) fn schedule_next_arrival(&mut self, node: u16) {
        if let Component::Users(u) = &mut self.components[node as usize] {
            if let Some(at) = u.next_arrival(self.now) {
                let epoch = u.epoch;
                self.queue.schedule(at, Event::Arrival { node, epoch });
            }
        }
    }

    fn on_arrival(&mut self, node: u16, epoch: u32) {
        let removed = self.net.nodes[node as usize].removed;
        let Component::Users(u) = &mut self.components[node as usize] else { return };
        if u.epoch != epoch || removed {
            return; // the rate changed since this arrival was drawn, or the users left
        }
        let (kind, user) = u.draw_request();
        let with_policy = u.caller.is_some();
        let region = u.draw_region();
        let mobile = u.draw_mobile();
        u.generated += 1;
        if let (None, Some(timeout)) = (u.sweep_at, u.client_timeout) {
            // The oldest request still waiting: the users give up on it first.
            let at = self.now + timeout.get();
            u.sweep_at = Some(at);
            self.queue.schedule(at, Event::GiveUpSweep { node });
        }
        let link = self.entry_link(node as usize, kind);
        self.schedule_next_arrival(node);

        let in_window = self.now >= self.warmup;
        if self.arena.live() >= crate::base::limits::MAX_IN_FLIGHT {
            self.overflow(node as usize, region, in_window, link, kind);
            return;
        }
        let number = self.totals.generated;
        let sampled = self.hops.share.follows(number);
        let req = self.arena.alloc(kind, user, self.now, in_window, sampled);
        // By a hash of the number, not the number itself: every eighth
        // request behind a round robin over two, four or eight servers
        // would always reach the same one, and the others never appear.
        let breakdown = self.breakdown_on && crate::metrics::hops::is_sampled(number, BREAKDOWN_EVERY);
        let asked = std::mem::take(&mut self.traces.want_next);
        let keep = sampled || asked;
        let trace = if breakdown || keep {
            if asked {
                self.traces.asked = Some(number);
            }
            let t = self.traces.start(number, kind, self.now, node, breakdown, keep);
            self.traces.get_mut(t).region = region;
            t
        } else {
            NO_TRACE
        };
        let r = self.arena.get_mut(req);
        r.frames[0] = Frame { node, link: u16::MAX, state: FrameState::Transit, arrived: self.now, ..EMPTY_FRAME };
        r.region = region;
        r.mobile = mobile;
        r.depth = 1;
        r.number = number;
        r.trace = trace;
        self.stats[node as usize].counters.arrivals += 1;
        self.totals.generated += 1;
        self.second.generated += 1;
        if in_window {
            self.window.generated += 1;
        }
        match link {
            Some(link) if with_policy => {
                self.arena.get_mut(req).attempt = 0;
                self.send_attempt(req, 0, link)
            }
            Some(link) => self.send_down(req, 0, link),
            None => {
                // Unconnected users: the request has nowhere to go.
                self.fail(req, node as usize, Cause::NoRoute);
                self.finish(req, node as usize);
            }
        }
    }

    /// The wire users `users` send a request of `kind` on: their CDN's for
    /// static files when it takes them, else their entry's (`None`: unlinked).
    #[inline]
    fn entry_link(&self, users: usize, kind: Kind) -> Option<u16> {
        let Component::Users(u) = &self.components[users] else { return None };
        if kind == Kind::Static {
            if let Some(cdn_link) = u.cdn_link {
                if crate::components::cdn::takes_static(&self.components, &self.net, cdn_link) {
                    return Some(cdn_link);
                }
            }
        }
        u.link
    }

    /// A request born while `MAX_IN_FLIGHT` requests are alive ends at once
    /// with cause `overflow`: counted like any other outcome, but it takes no
    /// arena slot, so memory stays bounded however far the design is flooded.
    fn overflow(
        &mut self,
        users: usize,
        region: Option<crate::blocks::geo::Region>,
        in_window: bool,
        link: Option<u16>,
        kind: Kind,
    ) {
        let c = Cause::Overflow as usize;
        // It never leaves the users node, but it failed like any other: when
        // it is one of the followed requests, its failed answer is drawn on
        // its first wire (taking no simulated time), so failures show in
        // proportion even when the cap turns requests away.
        let number = self.totals.generated;
        if let Some(link) = link.filter(|_| self.hops.share.follows(number)) {
            let wire = self.net.wires[link as usize];
            self.log_hop(link, wire.to, wire.from, self.now, kind, true, true, number);
        }
        self.stats[users].counters.arrivals += 1;
        self.totals.generated += 1;
        self.totals.failed[c] += 1;
        self.second.generated += 1;
        self.second.failed[c] += 1;
        if in_window {
            self.window.generated += 1;
            self.window.failed[c] += 1;
        }
        if let Some(region) = region {
            self.snap.record_region(region, None);
        }
        if !self.overflowing {
            self.overflowing = true;
            let text = format!(
                "too many requests in flight: the simulation's cap of {} was reached; new requests fail (overflow) until some finish",
                crate::base::limits::MAX_IN_FLIGHT
            );
            self.log.push(self.now, None, crate::metrics::log::Severity::Warning, text);
        }
    }

    /// Sends request `req` from its frame `from` over wire `link` to the next node.
    fn send_down(&mut self, req: u32, from: u8, link: u16) {
        let to = self.net.wires[link as usize].to;
        self.send_down_to(req, from, link, 0, to);
    }

    /// Sends over wire `link` but to node `to`, leaving `delay` from now (a
    /// DNS lookup before the connection). `to` may differ from the wire's
    /// end: a shard router reaching the replica promoted in place of the
    /// primary it is wired to.
    fn send_down_to(&mut self, req: u32, from: u8, link: u16, delay: Nanos, to: u16) {
        self.net.wires[link as usize].sent += 1;
        let mut wire = self.net.wires[link as usize];
        wire.to = to;
        let geo = if self.geography { self.geo_delay(req, wire.from, wire.to) } else { 0 };
        let at = self.now + delay + wire.latency + geo + self.mobile_delay(req, wire.from);
        let f = from + 1;
        let r = self.arena.get_mut(req);
        debug_assert!((f as usize) < crate::blocks::request::MAX_DEPTH, "validation bounds path depth");
        r.frames[f as usize] = Frame { node: wire.to, link, state: FrameState::Transit, arrived: at, ..EMPTY_FRAME };
        r.depth = f + 1;
        if r.trace != NO_TRACE {
            let t = r.trace;
            self.traces.push(t, Mark::Down { depth: f, node: wire.to, start: self.now, end: at });
        }
        let r = self.arena.get(req);
        if r.sampled {
            // Failed, or given up by its user (the work below goes on, for nobody).
            let (kind, failed, number) = (r.kind, r.failure.is_some() || r.frames[0].abandoned, r.number);
            self.log_hop(link, wire.from, wire.to, at, kind, false, failed, number);
        }
        if at == self.now {
            self.arrive_down(req, f);
        } else {
            self.queue.schedule(at, Event::Deliver { req, frame: f, up: false });
        }
    }

    /// Sends the response of `req` from its frame `from` back to the frame above.
    pub(crate) fn send_up(&mut self, req: u32, from: u8) {
        let link = self.arena.get(req).frames[from as usize].link;
        let wire = self.net.wires[link as usize];
        let geo = if self.geography { self.geo_delay(req, wire.from, wire.to) } else { 0 };
        let at = self.now + wire.latency + geo + self.mobile_delay(req, wire.from);
        let r = self.arena.get_mut(req);
        r.frames[from as usize].state = FrameState::Done;
        if r.trace != NO_TRACE {
            let t = r.trace;
            self.traces.push(t, Mark::Up { depth: from, start: self.now, end: at });
        }
        let r = self.arena.get(req);
        // A user who gave up has closed the connection: the late answer is not
        // drawn reaching them (their failure was, when they gave up).
        if r.sampled && !(from == 1 && r.frames[0].abandoned) {
            // Failed, or given up by its user (the work below goes on, for nobody).
            let (kind, failed, number) = (r.kind, r.failure.is_some() || r.frames[0].abandoned, r.number);
            self.log_hop(link, wire.to, wire.from, at, kind, true, failed, number);
        }
        if at == self.now {
            self.arrive_up(req, from - 1);
        } else {
            self.queue.schedule(at, Event::Deliver { req, frame: from - 1, up: true });
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn log_hop(
        &mut self,
        link: u16,
        from: u16,
        to: u16,
        end: Nanos,
        kind: Kind,
        response: bool,
        failed: bool,
        request: u64,
    ) {
        self.hops.push(Hop { link, from, to, start: self.now, end, kind, response, failed, request });
    }

    /// Whether a partition separates the data centers of slots `a` and `b`.
    fn cut_off(&self, a: usize, b: usize) -> bool {
        let dc = |slot: usize| {
            self.scenario.node_index(&self.net.nodes[slot].id).and_then(|i| self.scenario.nodes[i].dc.as_deref())
        };
        match (dc(a), dc(b)) {
            (Some(x), Some(y)) if x != y => {
                self.partitions.iter().any(|(p, q)| (p == x && q == y) || (p == y && q == x))
            }
            _ => false,
        }
    }

    /// A request reaches the node of its frame `f`, on its way down.
    fn arrive_down(&mut self, req: u32, f: u8) {
        let node = self.arena.get(req).frames[f as usize].node as usize;
        if !self.partitions.is_empty() && f > 0 {
            let from = self.arena.get(req).frames[f as usize - 1].node as usize;
            if self.cut_off(from, node) {
                // It never got there: the caller learns of it as a failure.
                self.fail(req, node, Cause::Partition);
                self.send_up(req, f);
                return;
            }
        }
        self.stats[node].counters.arrivals += 1;
        if !self.net.nodes[node].serving() {
            self.stats[node].counters.failed_down += 1;
            self.fail(req, node, Cause::NodeDown);
            self.send_up(req, f);
            return;
        }
        if self.injected.any_errors && self.injected.hits(node) {
            self.stats[node].counters.errors += 1;
            self.fail(req, node, Cause::Error);
            self.send_up(req, f);
            return;
        }
        let mut v = visit!(self, node, req, f);
        match Component::arrive(&mut self.components, &mut v) {
            Arrival::Forward { link, to, delay } => self.send_down_to(req, f, link, delay, to),
            Arrival::Answer => self.send_up(req, f),
            Arrival::Fail(cause) => {
                self.fail(req, node, cause);
                self.send_up(req, f);
            }
            Arrival::Serve => {
                self.admit_deadline(node, req, f);
                self.start_service(node, req, f);
            }
            Arrival::Wait => {
                let r = self.arena.get(req);
                if r.trace != NO_TRACE {
                    self.traces.push(r.trace, Mark::Queued { depth: f, at: self.now });
                }
                self.admit_deadline(node, req, f);
            }
            Arrival::Publish => {
                self.feed_pools(node);
                self.send_up(req, f);
            }
        }
    }

    /// Hands jobs from queue `queue` to its worker pools while they have
    /// free workers, and schedules the end of each.
    pub(crate) fn feed_pools(&mut self, queue: usize) {
        let events = &mut self.queue;
        let now = self.now;
        crate::components::queue::feed_pools(&mut self.components, &self.net, &mut self.stats, queue, now, |h| {
            let done = Event::JobDone { node: h.pool, worker: h.worker, incarnation: h.incarnation };
            events.schedule(now + h.duration, done);
        });
    }

    /// A worker of pool `node` finished its job (unless the pool crashed
    /// since: then the job was given back to its queue already).
    fn on_job_done(&mut self, node: u16, worker: u32, incarnation: u16) {
        let pool = node as usize;
        let done = crate::components::queue::job_done(
            &mut self.components,
            &mut self.stats,
            pool,
            worker,
            incarnation,
            self.now,
        );
        let Some((latency, shrunk)) = done else { return };
        if shrunk {
            self.note_available(pool);
        }
        self.snap.record_node_latency(pool, latency);
        self.feed_pools_of(pool);
    }

    /// Lets pool `pool` take more jobs from each of its queues.
    pub(crate) fn feed_pools_of(&mut self, pool: usize) {
        let queues = crate::components::queue::queues_of(&self.components, pool).to_vec();
        for q in queues {
            self.feed_pools(q as usize);
        }
    }

    /// Registers an admitted request for its station's timeout, if it has one.
    fn admit_deadline(&mut self, node: usize, req: u32, f: u8) {
        let Component::Station(st) = &mut self.components[node] else { return };
        let Some(timeout) = st.timeout else { return };
        let at = self.now + timeout;
        let generation = self.arena.get(req).generation;
        st.deadlines.push_back(Deadline { at, req, generation, frame: f });
        // Entries of requests that already left wait behind the oldest one
        // still here (a long timeout and one slow request): drop them once
        // they outnumber the live requests, so the list is bounded by the
        // requests in flight, not by the rate times the timeout.
        if st.deadlines.len() > 2 * self.arena.live().max(1024) {
            let arena = &self.arena;
            st.deadlines.retain(|d| {
                let r = arena.get(d.req);
                let fr = &r.frames[d.frame as usize];
                r.generation == d.generation
                    && !fr.abandoned
                    && fr.state != FrameState::Done
                    && fr.node as usize == node
            });
        }
        if st.sweep_at.is_none() {
            self.schedule_sweep(node, at);
        }
    }

    /// Makes sure station `node` sweeps its deadlines at `at` (or earlier).
    pub(crate) fn schedule_sweep(&mut self, node: usize, at: Nanos) {
        let Component::Station(st) = &mut self.components[node] else { return };
        if st.sweep_at.is_none_or(|due| at < due) {
            st.sweep_at = Some(at);
            self.queue.schedule(at, Event::DeadlineSweep { node: node as u16 });
        }
    }

    fn start_service(&mut self, node: usize, req: u32, f: u8) {
        let Component::Station(st) = &mut self.components[node] else { unreachable!() };
        st.busy += 1;
        let busy = st.busy as u64;
        let factor = st.service_factor();
        let duration = st.service.sample(&mut st.rng, factor);
        let incarnation = st.incarnation;
        let stats = &mut self.stats[node];
        stats.busy.set(self.now, busy);
        let r = self.arena.get_mut(req);
        if r.trace != NO_TRACE {
            self.traces.push(r.trace, Mark::ServiceStart { depth: f, at: self.now });
        }
        let frame = &mut r.frames[f as usize];
        frame.state = FrameState::InService;
        frame.incarnation = incarnation;
        frame.holding = true;
        stats.counters.started += 1;
        stats.counters.wait_sum += (self.now - frame.arrived) as u128;
        self.queue.schedule(self.now + duration, Event::ServiceDone { node: node as u16, req, frame: f });
    }

    fn on_service_done(&mut self, node: u16, req: u32, f: u8) {
        let node = node as usize;
        let r = self.arena.get(req);
        if r.trace != NO_TRACE {
            self.traces.push(r.trace, Mark::ServiceEnd { depth: f, at: self.now });
        }
        let (abandoned, incarnation) = (r.frames[f as usize].abandoned, r.frames[f as usize].incarnation);
        let Component::Station(st) = &self.components[node] else { unreachable!() };
        if incarnation != st.incarnation {
            // The server crashed while serving this: its worker is already gone.
            self.end_line(req);
        } else if abandoned {
            // The caller gave up while we worked: the work is wasted, the worker freed.
            self.release_worker(node, req, f);
            self.end_line(req);
        } else {
            let next = crate::components::station::served(&mut work!(self, node, req, f));
            self.carry_out(node, req, f, next);
        }
    }

    /// Station `node` is done with `req` (its frame `f`): the worker it still
    /// holds is freed, and the response goes back up.
    pub(crate) fn answer(&mut self, node: usize, req: u32, f: u8) {
        if self.arena.get(req).frames[f as usize].holding {
            self.release_worker(node, req, f);
        }
        if self.arena.get(req).failure.is_none() {
            self.stats[node].counters.completed += 1;
        }
        self.send_up(req, f);
    }

    /// Carries out station `node`'s next move for `req` (its frame `f`).
    #[inline(always)]
    pub(crate) fn carry_out(&mut self, node: usize, req: u32, f: u8, next: Next) {
        match next {
            Next::Call { link, step, free_worker } => {
                let frame = &mut self.arena.get_mut(req).frames[f as usize];
                frame.step = step;
                frame.state = FrameState::AwaitingDownstream;
                if frame.holding && free_worker {
                    self.release_worker(node, req, f);
                    // `release_worker` may have started another request; this frame's
                    // state is still "awaiting" (it holds no worker now).
                }
                self.send_down(req, f, link);
            }
            Next::Attempt { link, step, free_worker } => self.call_with_policy(node, req, f, link, step, free_worker),
            Next::Coalesce { free_worker } => self.coalesce(node, req, f, free_worker),
            Next::Answer => self.answer(node, req, f),
            Next::Fail(cause) => {
                self.fail(req, node, cause);
                self.answer(node, req, f);
            }
        }
    }

    /// Web server `node` calls over `link` for `req` (its frame `f`) under
    /// its call policy: as a plain call, but the call goes out as an attempt
    /// (a clone of `req`) that the policy times out and retries.
    #[cold]
    fn call_with_policy(&mut self, node: usize, req: u32, f: u8, link: u16, step: u8, free_worker: bool) {
        let frame = &mut self.arena.get_mut(req).frames[f as usize];
        frame.step = step;
        frame.state = FrameState::AwaitingDownstream;
        frame.tries = 0;
        if frame.holding && free_worker {
            self.release_worker(node, req, f);
        }
        self.send_attempt(req, f, link);
    }

    /// A web server with local sessions crashed: every session it held is
    /// lost (counted now, once per user group).
    pub(crate) fn drop_sessions(&mut self, node: usize) {
        self.stats[node].counters.sessions_lost += self.sessions.drop_node(node);
    }

    /// Recomputes who calls whom from the live wires: each web server's cache
    /// and database links, and which databases replicate which. Called after
    /// every change of wiring (rare), so the hot path only reads the result.
    pub(crate) fn refresh_roles(&mut self) {
        let n = self.components.len();
        self.net.slot_region =
            (0..n)
                .map(|slot| {
                    if self.net.nodes[slot].removed {
                        None
                    } else {
                        self.scenario.region_of(&self.net.nodes[slot].id)
                    }
                })
                .collect();
        self.geography = self.net.slot_region.iter().any(Option::is_some)
            || self.scenario.nodes.iter().any(|n| matches!(&n.spec, NodeSpec::Users(u) if !u.regions.is_empty()));
        self.any_mobile =
            self.scenario.nodes.iter().any(|n| matches!(&n.spec, NodeSpec::Users(u) if u.mobile_share > 0.0));
        self.net.primary_of = vec![None; n];
        let mut links: Vec<Links> = (0..n).map(|_| Links::default()).collect();
        let mut resharded: Vec<(usize, usize, usize, f64)> = Vec::new();
        for (w, wire) in self.net.wires.iter().enumerate() {
            if wire.removed || self.net.nodes[wire.from as usize].removed || self.net.nodes[wire.to as usize].removed {
                continue;
            }
            let (from, to) = (wire.from as usize, wire.to as usize);
            // Every wire was checked when it was made: its ends may link.
            let Ok(role) = self.net.nodes[from].kind.link_to(self.net.nodes[to].kind) else { continue };
            crate::components::sort_wire(&mut links, &mut self.net.primary_of, role, w, from, to);
        }
        // Promotions made while running override the wiring: the promoted
        // replica is the primary, the rest (and the old primary) replicate it.
        for &(old, new) in &self.promotions {
            let (old, new) = (old as usize, new as usize);
            if self.net.primary_of[new] != Some(old as u16) {
                continue; // rewired since
            }
            for p in self.net.primary_of.iter_mut() {
                if *p == Some(old as u16) {
                    *p = Some(new as u16);
                }
            }
            self.net.primary_of[new] = None;
            self.net.primary_of[old] = Some(new as u16);
        }
        self.net.replicas_of = vec![Vec::new(); n];
        for (r, p) in self.net.primary_of.iter().enumerate() {
            if let Some(p) = p {
                self.net.replicas_of[*p as usize].push(r as u16);
            }
        }
        for (slot, component) in self.components.iter_mut().enumerate() {
            if let Some((before, after, moved)) = component.rewire(std::mem::take(&mut links[slot]), &self.net) {
                resharded.push((slot, before, after, moved));
            }
        }
        for (slot, before, after, moved) in resharded {
            self.log_reshard(slot, before, after, moved);
        }
    }

    /// A primary with replicas has failed: each replica notes the writes it
    /// never received, and a promotion is due after the failover time.
    pub(crate) fn primary_failed(&mut self, node: usize) {
        if self.net.primary_of[node].is_some() || self.net.replicas_of[node].is_empty() {
            return;
        }
        let now = self.now;
        let failover =
            crate::components::database::primary_failed(&mut self.components, node, &self.net.replicas_of[node], now);
        self.queue.schedule(now + failover, Event::Promote { node: node as u16 });
    }

    /// The failover time has passed: if the primary is still down, its first
    /// replica that is up becomes the primary. Writes it had not received are lost.
    fn on_promote(&mut self, node: u16) {
        let p = node as usize;
        if self.net.nodes[p].removed || self.net.nodes[p].health != Health::Down || self.net.primary_of[p].is_some() {
            return; // back already, or no longer a primary
        }
        let id = self.net.nodes[p].id.clone();
        let Some(r) = self.net.replicas_of[p].iter().copied().find(|&r| self.net.nodes[r as usize].serving()) else {
            self.log.push(
                self.now,
                Some(&id),
                crate::metrics::log::Severity::Error,
                format!("{id}: no replica is up to promote; writes keep failing"),
            );
            return;
        };
        let lost = crate::components::database::missed_at_failure(&self.components, r as usize);
        self.lost_writes += lost;
        self.promotions.push((node, r));
        self.refresh_roles();
        let rid = self.net.nodes[r as usize].id.clone();
        self.log.push(
            self.now,
            Some(&rid),
            crate::metrics::log::Severity::Warning,
            format!("{rid} promoted to primary in place of {id}; {lost} acknowledged writes that had not reached it are lost"),
        );
    }

    /// Machines node `slot` pays for now: an autoscaling group's running and
    /// booting machines; else 1.
    pub fn instances(&self, slot: usize) -> u32 {
        match &self.components[slot] {
            Component::Station(Station { group: Some(g), .. }) => g.scaler.running() + g.scaler.booting(),
            _ => 1,
        }
    }

    /// An autoscaling group's running and booting machines (`None`: no group).
    pub fn group_size(&self, slot: usize) -> Option<(u32, u32)> {
        match &self.components[slot] {
            Component::Station(Station { group: Some(g), .. }) => Some((g.scaler.running(), g.scaler.booting())),
            _ => None,
        }
    }

    /// Makes station `slot` an autoscaling group per `spec` (or a single
    /// machine without one). A group keeps its machines when its settings
    /// change; a new group starts at its minimum.
    pub(crate) fn set_group(&mut self, slot: usize, spec: &NodeSpec) {
        let now = self.now;
        let Component::Station(st) = &mut self.components[slot] else { return };
        let per_instance = spec.station_runtime().map_or(st.workers, |s| s.workers);
        match spec.autoscale_policy() {
            Some(Ok(policy)) => {
                let epoch = st.group.as_ref().map_or(0, |g| g.epoch.wrapping_add(1));
                let scaler = match st.group.take() {
                    Some(mut g) => {
                        let _ = g.scaler.set_policy(policy, now);
                        g.scaler
                    }
                    None => match crate::blocks::autoscale::Autoscaler::new(policy, now) {
                        Ok(s) => s,
                        Err(_) => return,
                    },
                };
                st.workers = scaler.running().saturating_mul(per_instance);
                let next = scaler.next_event_time();
                let busy_area = self.stats[slot].busy.area_at(now);
                let arrivals = self.stats[slot].counters.arrivals;
                st.group = Some(Box::new(crate::components::station::Group {
                    scaler,
                    per_instance,
                    last_busy_area: busy_area,
                    last_arrivals: arrivals,
                    last_check: now,
                    epoch,
                }));
                self.queue.schedule(next.max(now), Event::Autoscale { node: slot as u16, epoch });
            }
            _ => {
                if st.group.take().is_some() {
                    st.workers = per_instance;
                }
            }
        }
    }

    /// An autoscaling group's callback: machines that finished booting start
    /// serving; at a check, the group is resized to track its target.
    fn on_autoscale(&mut self, slot: usize, epoch: u32) {
        let now = self.now;
        if self.net.nodes[slot].removed {
            return;
        }
        let load = self.group_load(slot);
        let Component::Station(st) = &mut self.components[slot] else { return };
        let Some(g) = st.group.as_mut() else { return };
        if g.epoch != epoch {
            return;
        }
        let mut lines = Vec::new();
        let before = g.scaler.running();
        let ready = g.scaler.poll_ready(now);
        // The load was measured on the machines running until now; spread
        // over the ones that just became ready, it is that much lower.
        let load =
            if ready > 0 && before > 0 { load * f64::from(before) / f64::from(g.scaler.running()) } else { load };
        if ready > 0 {
            st.workers = st.workers.saturating_add(ready.saturating_mul(g.per_instance));
            lines.push(format!(
                "{ready} machine{} ready: {} running",
                if ready == 1 { "" } else { "s" },
                g.scaler.running()
            ));
        }
        if now >= g.scaler.next_check() {
            let action = g.scaler.evaluate(now, load);
            if let crate::blocks::autoscale::ScaleAction::In { count, .. } = action {
                st.workers = st.workers.saturating_sub(count.saturating_mul(g.per_instance));
            }
            if action.is_change() {
                lines.push(action.to_string());
            }
            g.last_busy_area = self.stats[slot].busy.area_at(now);
            g.last_arrivals = self.stats[slot].counters.arrivals;
            g.last_check = now;
        }
        let next = g.scaler.next_event_time().max(now + 1);
        self.queue.schedule(next, Event::Autoscale { node: slot as u16, epoch });
        self.note_available(slot);
        let id = self.net.nodes[slot].id.clone();
        for line in lines {
            self.log.push(now, Some(&id), crate::metrics::log::Severity::Info, format!("{id}: {line}"));
        }
        if ready > 0 {
            self.start_waiting(slot);
            self.feed_pools_of(slot);
        }
    }

    /// What a group tracks: utilisation since its last check (web servers),
    /// or waiting jobs per running machine (worker pools).
    fn group_load(&self, slot: usize) -> f64 {
        let Component::Station(st) = &self.components[slot] else { return 0.0 };
        let Some(g) = &st.group else { return 0.0 };
        match g.scaler.policy().metric {
            crate::blocks::autoscale::Metric::Utilization => {
                // Busy time says 100% once the servers are saturated, however
                // far behind they are; the work that arrived (requests x mean
                // service time) tells how many machines the load needs, as
                // request-count target tracking does. The larger of the two.
                let dt = self.now.saturating_sub(g.last_check);
                if dt == 0 || st.workers == 0 {
                    return 0.0;
                }
                let capacity = dt as f64 * f64::from(st.workers);
                let busy = self.stats[slot].busy.area_at(self.now).saturating_sub(g.last_busy_area) as f64 / capacity;
                let arrived = self.stats[slot].counters.arrivals.saturating_sub(g.last_arrivals) as f64;
                let offered = arrived * st.service.mean_ns() * st.slowdown / capacity;
                busy.min(1.0).max(offered)
            }
            crate::blocks::autoscale::Metric::Backlog => {
                let Role::Workers(p) = &st.role else { return 0.0 };
                let backlog: usize = p
                    .queues
                    .iter()
                    .map(|&q| match &self.components[q as usize] {
                        Component::Queue(q) => q.backlog.len(),
                        _ => 0,
                    })
                    .sum();
                backlog as f64 / f64::from(g.scaler.running().max(1))
            }
        }
    }

    /// Monthly cost of each node of the design as it runs now, in dollars
    /// (see [`crate::model::cost`]), in scenario order.
    pub fn monthly_costs(&self) -> Vec<(String, f64)> {
        let costs = self.node_costs();
        self.scenario.nodes.iter().map(|n| n.id.clone()).zip(costs.by_node).collect()
    }

    /// [`Simulation::monthly_costs`] without the ids, and the same figures by
    /// node slot, in one pass over the nodes and one over the links (the
    /// snapshot asks four times a second; a search per node made a design of
    /// 300 nodes cost 300² comparisons).
    pub(crate) fn node_costs(&self) -> NodeCosts {
        use std::collections::HashMap;
        let nodes = &self.scenario.nodes;
        // What `Scenario::node_index` and `slot_of` answer: the first such
        // node, the first such slot still in the design.
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
        for (i, n) in nodes.iter().enumerate() {
            index.entry(n.id.as_str()).or_insert(i);
        }
        let mut slots: HashMap<&str, usize> = HashMap::with_capacity(self.net.nodes.len());
        for (slot, n) in self.net.nodes.iter().enumerate() {
            if !n.removed {
                slots.entry(n.id.as_str()).or_insert(slot);
            }
        }
        // A CDN's bill follows the static traffic of the users linked to it:
        // each link's share, kept in link order so that the sums are the same.
        let mut static_in: HashMap<&str, Vec<f64>> = HashMap::new();
        for l in &self.scenario.links {
            let Some(&u) = index.get(l.from.as_str()) else { continue };
            if let NodeSpec::Users(users) = &nodes[u].spec {
                let shares = users.mix.shares();
                let rps = users.rps() * shares[2] / shares.iter().sum::<f64>().max(f64::MIN_POSITIVE);
                static_in.entry(l.to.as_str()).or_default().push(rps);
            }
        }
        let by_node: Vec<f64> = nodes
            .iter()
            .map(|n| {
                let instances = slots.get(n.id.as_str()).map_or(1, |&slot| self.instances(slot));
                let static_rps: f64 = static_in.get(n.id.as_str()).map_or(&[][..], Vec::as_slice).iter().sum();
                crate::model::cost::node_monthly_usd_with_traffic(&n.spec, instances, static_rps)
            })
            .collect();
        let by_slot = self.net.nodes.iter().map(|n| index.get(n.id.as_str()).map_or(0.0, |&i| by_node[i])).collect();
        NodeCosts { by_node, by_slot }
    }

    /// The scenario's alert rules (the defaults when it has none). The parser
    /// has checked them; a rule it would refuse is left out rather than panic.
    pub(crate) fn alert_rules(scenario: &Scenario) -> crate::blocks::alerts::Alerts {
        let rules: Vec<crate::blocks::alerts::AlertRule> = match &scenario.alerts {
            None => crate::blocks::alerts::default_rules(),
            Some(specs) => specs.iter().filter_map(|a| a.to_rule().ok()).collect(),
        };
        crate::blocks::alerts::Alerts::new(rules)
            .or_else(|_| crate::blocks::alerts::Alerts::new(Vec::new()))
            .expect("no rules is a valid set")
    }

    /// Evaluates the alert rules on the second that just ended (the newest
    /// series point) and logs what fired or resolved.
    fn check_alerts(&mut self) {
        use crate::blocks::alerts::{ChangeKind, Metric};
        let Some(p) = self.series.latest() else { return };
        let finished = p.ok + p.failed.iter().sum::<u64>();
        let slot = |id: &str| self.net.nodes.iter().position(|n| !n.removed && n.id == id);
        let value_of = |m: &Metric| -> Option<f64> {
            match m {
                Metric::ErrorRate => (finished > 0).then(|| p.failed.iter().sum::<u64>() as f64 / finished as f64),
                Metric::P50Ms => (p.ok > 0).then_some(p.latency_p50_ms),
                Metric::P95Ms => (p.ok > 0).then_some(p.latency_p95_ms),
                Metric::P99Ms => (p.ok > 0).then_some(p.latency_p99_ms),
                // Every success, late ones too: what the report calls
                // throughput_rps (goodput is `ok` alone).
                Metric::Throughput => Some((p.ok + p.late_ok) as f64),
                Metric::NodeUtilization { node } => Some(p.nodes.get(slot(node)?)?.utilization),
                Metric::NodeQueue { node } => Some(p.nodes.get(slot(node)?)?.queue_len as f64),
                Metric::QueueBacklog { node } => Some(p.nodes.get(slot(node)?)?.queue_len as f64),
                Metric::ReplicationLagMs { node } => p.nodes.get(slot(node)?)?.replication_lag_ms,
            }
        };
        let t_s = p.t_s;
        let changes = self.alerts.evaluate(t_s, &value_of);
        self.fired_now.clear();
        for c in changes {
            if c.kind == ChangeKind::Fired {
                self.fired_now.push(c.rule.clone());
            }
            let severity = match c.kind {
                ChangeKind::Fired => crate::metrics::log::Severity::Error,
                ChangeKind::Resolved => crate::metrics::log::Severity::Info,
            };
            self.log.push(self.now, None, severity, c.to_string());
        }
    }

    pub(crate) fn goal_tracker(scenario: &Scenario) -> Option<crate::model::goal::GoalTracker> {
        let g = scenario.goal.clone()?;
        Some(crate::model::goal::GoalTracker::new(g, scenario.warmup_s.ceil() as u64))
    }

    /// Hands the second that just ended to the goal (if the scenario has one).
    fn track_goal(&mut self, nodes: &[crate::model::goal::NodeSecond]) {
        let Some(mut tracker) = self.goal.take() else { return };
        let traffic_rps: f64 = self
            .scenario
            .nodes
            .iter()
            .filter_map(|n| match &n.spec {
                crate::model::scenario::NodeSpec::Users(u) => Some(u.rps()),
                _ => None,
            })
            .sum();
        let second = crate::model::goal::Second {
            t_s: self.now / NS_PER_S,
            generated: self.second.generated,
            retries: self.second.retries,
            ok: self.second.ok,
            failed: self.second.failed_total(),
            latency: &self.second_latency,
            nodes,
            dcs_down: &self.dcs_down,
            lost_writes: self.lost_writes,
            sessions_lost: self.stats.iter().map(|s| s.counters.sessions_lost).sum(),
            fired: &self.fired_now,
            traffic_rps,
        };
        tracker.second(&second, || crate::model::goal::WindowEnd {
            cost_usd_per_month: self.monthly_costs().iter().map(|(_, c)| c).sum(),
            single_points_of_failure: crate::model::spof::single_points_of_failure(&self.scenario)
                .into_iter()
                .filter_map(|id| {
                    let kind = self.scenario.nodes[self.scenario.node_index(&id)?].spec.kind();
                    Some((id, kind))
                })
                .collect(),
        });
        self.goal = Some(tracker);
    }

    /// Mean and p99 latency and the error rate with 95% confidence intervals
    /// (batch means over the last batches since the warm-up or the last design change).
    pub fn headline(&self) -> crate::metrics::confidence::Headline {
        self.batches.headline()
    }

    /// How the scenario's goal stands (`None`: the scenario has no goal).
    pub fn goal_status(&self) -> Option<&crate::model::goal::GoalStatus> {
        self.goal.as_ref().map(|g| g.status())
    }

    /// Names of the alert rules firing now.
    pub fn alerts_firing(&self) -> Vec<String> {
        self.alerts.firing().map(str::to_string).collect()
    }

    /// A fault the scenario scheduled. If the node has gone (removed while
    /// running), the log says so instead.
    fn on_scheduled_fault(&mut self, index: usize) {
        let Some(f) = self.script.get(index).cloned() else { return };
        let edit = match (f.fault, &f.with) {
            (crate::model::fault::Fault::Partition | crate::model::fault::Fault::Heal, Some(with)) => {
                crate::kernel::edit::Edit::Partition {
                    a: f.node.clone(),
                    b: with.clone(),
                    cut: f.fault == crate::model::fault::Fault::Partition,
                }
            }
            _ => crate::kernel::edit::Edit::Fault { id: f.node.clone(), fault: f.fault },
        };
        if let Err(e) = self.apply(edit) {
            self.log.push(
                self.now,
                Some(&f.node),
                crate::metrics::log::Severity::Warning,
                format!("scheduled fault skipped: {e}"),
            );
        }
    }

    /// Acknowledged writes lost to primary failures so far.
    pub fn lost_writes(&self) -> u64 {
        self.lost_writes
    }

    /// How far replica `slot` is behind its primary now (the age of the oldest
    /// write it has not applied); `None` for anything but a replica.
    pub fn replication_lag(&self, slot: usize) -> Option<Nanos> {
        self.net.primary_of.get(slot)?.as_ref()?;
        crate::components::database::lag(&self.components, slot, self.now)
    }

    /// The cross-region part of crossing the wire `from` -> `to` (each way):
    /// between data centers in different regions, their one-way latency; from
    /// the users' side (users, DNS, CDN edges: no data center) into a data
    /// center, the latency from the request's region to the center's.
    fn geo_delay(&self, req: u32, from: u16, to: u16) -> Nanos {
        let (a, b) = (self.net.slot_region[from as usize], self.net.slot_region[to as usize]);
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (None, Some(b)) => match self.arena.get(req).region {
                Some(client) => (client, b),
                None => return 0,
            },
            _ => return 0,
        };
        if a == b {
            return 0; // the link's own latency covers a region
        }
        ms_to_ns(crate::blocks::geo::one_way_ms(a, b))
    }

    /// A mobile request's first hop (out of the users node, and back) is slower.
    #[inline]
    fn mobile_delay(&self, req: u32, from: u16) -> Nanos {
        if self.any_mobile
            && self.arena.get(req).mobile
            && matches!(self.components[from as usize], Component::Users(_))
        {
            ms_to_ns(crate::model::scenario::MOBILE_EXTRA_MS)
        } else {
            0
        }
    }

    /// Logs a change in the number of shards and the data it moves.
    pub(crate) fn log_reshard(&mut self, slot: usize, before: usize, after: usize, moved: f64) {
        let id = self.net.nodes[slot].id.clone();
        let how = match &self.components[slot] {
            Component::ShardRouter(r) if r.routing == crate::model::scenario::ShardRouting::ConsistentHash => {
                "consistent hashing"
            }
            _ => "modulo",
        };
        self.log.push(
            self.now,
            Some(&id),
            crate::metrics::log::Severity::Warning,
            format!(
                "{id}: {before} -> {after} shards with {how}: {:.0}% of the keys move to another shard",
                moved * 100.0
            ),
        );
    }

    /// Starts balancer `node`'s round of health-check probes, if it has them.
    pub(crate) fn schedule_health_check(&mut self, node: usize) {
        if let Component::Balancer(b) = &self.components[node] {
            if let Some(hc) = b.health_check {
                let at = self.now + crate::base::time::secs_to_ns(hc.interval_s).max(1);
                self.queue.schedule(at, Event::HealthCheck { node: node as u16, epoch: b.check_epoch });
            }
        }
    }

    /// The balancer probes each server: a server that is down fails the probe.
    /// `threshold` results in a row against what it believes change its mind.
    fn on_health_check(&mut self, node: u16, epoch: u32) {
        let slot = node as usize;
        if self.net.nodes[slot].removed {
            return;
        }
        let Component::Balancer(b) = &self.components[slot] else { return };
        let Some(hc) = b.health_check else { return };
        if b.check_epoch != epoch {
            return; // the settings changed; a newer round is running
        }
        // A balancer that is itself down probes nothing until it is back.
        let probing = self.net.nodes[slot].serving();
        let Component::Balancer(b) = &mut self.components[slot] else { return };
        let changes = if probing { b.probe(&self.net, hc.threshold) } else { Vec::new() };
        let id = self.net.nodes[slot].id.clone();
        for (link, up) in changes {
            let server = self.net.nodes[self.net.wires[link as usize].to as usize].id.clone();
            let (severity, text) = if up {
                (
                    crate::metrics::log::Severity::Info,
                    format!("{id}: {server} passed {} health checks; back in rotation", hc.threshold),
                )
            } else {
                (
                    crate::metrics::log::Severity::Warning,
                    format!("{id}: {server} failed {} health checks in a row; taken out of rotation", hc.threshold),
                )
            };
            self.log.push(self.now, Some(&id), severity, text);
        }
        let at = self.now + crate::base::time::secs_to_ns(hc.interval_s).max(1);
        self.queue.schedule(at, Event::HealthCheck { node, epoch });
    }

    pub(crate) fn queue_takeover(&mut self, node: usize, at: Nanos) {
        self.queue.schedule(at, Event::Takeover { node: node as u16 });
    }

    /// The latency spike of `epoch` at `node` ends at `at`.
    pub(crate) fn queue_spike_end(&mut self, node: usize, at: Nanos, epoch: u32) {
        self.queue.schedule(at, Event::SpikeEnd { node: node as u16, epoch });
    }

    /// The standby of a failed balancer pair has taken over.
    fn on_takeover(&mut self, node: u16) {
        let slot = node as usize;
        if self.net.nodes[slot].removed || self.net.nodes[slot].health != Health::Down {
            return;
        }
        let id = self.net.nodes[slot].id.clone();
        let dc = self.scenario.node_index(&id).and_then(|i| self.scenario.nodes[i].dc.clone());
        if dc.is_some_and(|dc| self.dcs_down.contains(&dc)) {
            // The standby is in the same dead data center.
            return;
        }
        self.net.nodes[slot].health = Health::Up;
        let id = self.net.nodes[slot].id.clone();
        self.log.push(self.now, Some(&id), crate::metrics::log::Severity::Info, format!("{id}: the standby took over"));
    }

    /// The worker holding `req` (frame `f`) at station `node` is free again: record
    /// the departure and start the oldest live waiting request, if any.
    pub(crate) fn release_worker(&mut self, node: usize, req: u32, f: u8) {
        let frame = &mut self.arena.get_mut(req).frames[f as usize];
        frame.holding = false;
        let arrived = frame.arrived;
        let stats = &mut self.stats[node];
        stats.counters.depart(self.now - arrived);
        self.snap.record_node_latency(node, self.now - arrived);
        let Component::Station(st) = &mut self.components[node] else { unreachable!() };
        st.busy -= 1;
        let busy = st.busy as u64;
        stats.busy.set(self.now, busy);
        if st.busy >= st.workers {
            // More were busy than the node has (it shrank): one fewer available.
            self.note_available(node);
        }
        let Component::Station(st) = &mut self.components[node] else { unreachable!() };
        // Drop finished requests from the front of the deadline list now, so the
        // next sweep is scheduled for a request that can still time out.
        while let Some(d) = st.deadlines.front() {
            let r = self.arena.get(d.req);
            let gone = r.generation != d.generation || r.frames[d.frame as usize].state == FrameState::Done;
            if !gone {
                break;
            }
            st.deadlines.pop_front();
        }
        self.start_waiting(node);
    }

    /// Starts waiting requests while station `node` has free workers (after a
    /// worker frees up, or when workers are added).
    pub(crate) fn start_waiting(&mut self, node: usize) {
        loop {
            let Component::Station(st) = &mut self.components[node] else { unreachable!() };
            if !st.has_free_worker() {
                break;
            }
            let popped = if st.plain { st.queue.pop_front() } else { self.pop_shedding(node) };
            let Some((next, nf)) = popped else { break };
            let Component::Station(st) = &mut self.components[node] else { unreachable!() };
            if self.arena.get(next).frames[nf as usize].abandoned {
                // Its caller gave up while it waited; its queue place is now gone.
                st.dead = st.dead.saturating_sub(1);
                self.end_line(next);
                continue;
            }
            st.waiting -= 1;
            let waiting = st.waiting as u64;
            self.stats[node].queued.set(self.now, waiting);
            self.start_service(node, next, nf);
        }
    }

    /// The next request for a free worker of a station that is not plain
    /// FIFO: first what waited longer than `max_wait` is shed from the front
    /// (entries are in arrival order), then the newest or the oldest is taken
    /// by the discipline, and shed instead if `drop_abandoned` and a caller
    /// above has given up. Entries whose own caller timed out here are left
    /// to `start_waiting`, as on the plain path. Marked cold because the
    /// plain FIFO path, which is most stations, never calls it; for a
    /// station that sheds it is the path taken every time.
    #[cold]
    fn pop_shedding(&mut self, node: usize) -> Option<(u32, u8)> {
        self.sweep_dead(node);
        loop {
            // What waited too long, oldest first; dead entries on the way are
            // freed (they would stop the scan).
            loop {
                let Component::Station(st) = &mut self.components[node] else { unreachable!() };
                let (Some(max), Some(&(slot, f))) = (st.max_wait, st.queue.front()) else { break };
                let frame = &self.arena.get(slot).frames[f as usize];
                if frame.abandoned {
                    st.queue.pop_front();
                    st.dead = st.dead.saturating_sub(1);
                    self.end_line(slot);
                } else if self.now - frame.arrived > max {
                    st.queue.pop_front();
                    self.shed(node, slot, f);
                } else {
                    break;
                }
            }
            let Component::Station(st) = &mut self.components[node] else { unreachable!() };
            let entry = if st.takes_newest() { st.queue.pop_back() } else { st.queue.pop_front() };
            let (slot, f) = entry?;
            let r = self.arena.get(slot);
            let caller_gone = st.drop_abandoned
                && !r.frames[f as usize].abandoned
                && r.frames[..f as usize].iter().any(|fr| fr.abandoned);
            if !caller_gone {
                return Some((slot, f));
            }
            self.shed(node, slot, f);
        }
    }

    /// Request `req`, waiting at `node` (its frame `f`), is dropped from the
    /// queue: it fails with cause `shed`, and the answer goes up as any
    /// failure does (callers holding a worker for it need an answer; one that
    /// reaches a caller who gave up ends there quietly).
    fn shed(&mut self, node: usize, req: u32, f: u8) {
        let Component::Station(st) = &mut self.components[node] else { unreachable!() };
        st.waiting -= 1;
        let waiting = st.waiting as u64;
        let arrived = self.arena.get(req).frames[f as usize].arrived;
        let c = &mut self.stats[node].counters;
        c.shed += 1;
        c.depart(self.now - arrived);
        self.stats[node].queued.set(self.now, waiting);
        self.fail(req, node, Cause::Shed);
        self.send_up(req, f);
    }

    /// LIFO leaves the entries of requests that timed out here at the front
    /// of the queue, where it may not look for a long time; each holds its
    /// request's slot. When they outnumber the live entries (plus a margin),
    /// one pass takes them all out: each entry is removed once, so the cost
    /// per request stays constant.
    fn sweep_dead(&mut self, node: usize) {
        let Component::Station(st) = &mut self.components[node] else { unreachable!() };
        if st.dead <= st.waiting + 64 {
            return;
        }
        let arena = &self.arena;
        let mut gone = Vec::with_capacity(st.dead as usize);
        st.queue.retain(|&(slot, f)| {
            let dead = arena.get(slot).frames[f as usize].abandoned;
            if dead {
                gone.push(slot);
            }
            !dead
        });
        st.dead = 0;
        for slot in gone {
            self.end_line(slot);
        }
    }

    /// The response of `req` reaches the node of its frame `f`, on its way up.
    fn arrive_up(&mut self, req: u32, f: u8) {
        let r = self.arena.get(req);
        if r.frames[f as usize].state == FrameState::Caller {
            // An attempt is back at its caller, which decides for its parent.
            return self.attempt_ended(req);
        }
        let below = r.frames[f as usize + 1].link;
        let node = r.frames[f as usize].node as usize;
        let mut v = visit!(self, node, req, f);
        match Component::answered(&mut self.components, &mut v, below) {
            Reply::Pass => self.send_up(req, f),
            Reply::Fail(cause) => {
                self.fail(req, node, cause);
                self.send_up(req, f);
            }
            Reply::Finish => self.finish(req, node),
            Reply::Drop => {
                self.late_answer(req);
                self.end_line(req);
            }
            Reply::Resume => self.resume(node, req, f),
        }
    }

    /// A station's call for `req` (its frame `f`) has come back.
    pub(crate) fn resume(&mut self, node: usize, req: u32, f: u8) {
        if self.arena.get(req).frames[f as usize].step == crate::components::web::LEADING {
            self.wake_parked(node, req, f);
        }
        let r = self.arena.get(req);
        let (frame, ok) = (r.frames[f as usize], r.failure.is_none());
        let Component::Station(st) = &self.components[node] else { return };
        if frame.incarnation != st.incarnation {
            // The server crashed while waiting: its worker is gone, and
            // the request already failed upwards.
            self.end_line(req);
        } else if frame.abandoned {
            if frame.holding {
                self.release_worker(node, req, f);
            }
            self.end_line(req);
        } else if ok {
            let next = crate::components::web::step(&mut work!(self, node, req, f));
            self.carry_out(node, req, f, next);
        } else {
            self.answer(node, req, f);
        }
    }

    /// The response of `req` reached its users: record the one outcome.
    fn finish(&mut self, req: u32, users: usize) {
        let r = self.arena.get_mut(req);
        r.finished = true;
        let latency = self.now - r.born;
        let in_window = r.in_window;
        if let Some(region) = r.region {
            self.snap.record_region(region, r.failure.is_none().then_some(latency));
        }
        let r = self.arena.get_mut(req);
        if r.trace != NO_TRACE {
            let (t, ok) = (std::mem::replace(&mut r.trace, NO_TRACE), r.failure.is_none());
            self.end_trace(t, ok, latency, in_window);
        }
        let r = self.arena.get(req);
        match r.failure {
            None => {
                self.totals.ok += 1;
                self.second.ok += 1;
                self.latencies.record(latency, in_window);
                self.stats[users].counters.completed += 1;
                if in_window {
                    self.window.ok += 1;
                }
            }
            Some(cause) => {
                let c = cause as usize;
                self.totals.failed[c] += 1;
                self.second.failed[c] += 1;
                if in_window {
                    self.window.failed[c] += 1;
                }
            }
        }
        self.end_line(req);
    }

    /// The traced request of trace `t` reached its users: a successful one
    /// traced for the breakdown adds its parts there.
    fn end_trace(&mut self, t: u32, ok: bool, latency: Nanos, in_window: bool) {
        self.traces.push(t, Mark::Finished { at: self.now });
        let buf = self.traces.get(t);
        if ok && buf.breakdown {
            crate::kernel::trace::interpret(buf, self.now, &mut self.reading);
            let visits = &self.reading.visits;
            if in_window {
                self.breakdown_window.add(latency, visits, self.now);
            }
            self.breakdown_recent[1].add(latency, visits, self.now);
        }
        self.traces.end(t);
    }

    /// Makes sure users `users` look for requests to give up on at `at` (or earlier).
    fn schedule_give_up(&mut self, users: usize, at: Nanos) {
        let Component::Users(u) = &mut self.components[users] else { return };
        if u.sweep_at.is_none_or(|due| at < due) {
            u.sweep_at = Some(at);
            self.queue.schedule(at, Event::GiveUpSweep { node: users as u16 });
        }
    }

    /// The users' client timeout changed: look again now, so that it applies
    /// to the requests already waiting too.
    pub(crate) fn reschedule_give_up(&mut self, users: usize) {
        self.schedule_give_up(users, self.now);
    }

    /// Users `users` give up on every request they have waited for longer
    /// than their client timeout, oldest first, and look again when the
    /// oldest one left is due.
    ///
    /// Nothing is kept per request as it is born or answered (the hot path
    /// pays nothing): when the list of waiting requests runs out, the arena
    /// is scanned for the users' open requests, in birth order. Each scan
    /// finds only requests born since the one before, and the oldest of them
    /// is due a full timeout after its birth, so scans come at most about
    /// twice per timeout; answered entries are skipped when reached.
    fn on_give_up_sweep(&mut self, users: usize) {
        {
            let Component::Users(u) = &mut self.components[users] else { return };
            if u.sweep_at != Some(self.now) {
                return; // superseded by an earlier sweep
            }
            u.sweep_at = None;
        }
        let mut scanned = false;
        loop {
            let Component::Users(u) = &mut self.components[users] else { return };
            let Some(timeout) = u.client_timeout else {
                u.waiting.clear(); // they wait for ever now
                return;
            };
            let Some(&(req, generation)) = u.waiting.front() else {
                if scanned {
                    return; // nobody waits: the next request born schedules a look
                }
                scanned = true;
                u.waiting.extend(self.arena.open_from(users as u16));
                continue;
            };
            let r = self.arena.get(req);
            if r.generation != generation || r.finished {
                u.waiting.pop_front(); // answered, or failed, meanwhile
                continue;
            }
            let at = r.born + timeout.get();
            if at > self.now {
                self.schedule_give_up(users, at);
                return;
            }
            u.waiting.pop_front();
            self.give_up(req, users);
        }
    }

    /// The users stop waiting for `req`: its outcome is `client_timeout`,
    /// recorded now. Like a station's timeout, nothing below learns of it:
    /// the request goes on where it is (a queue place, a busy worker, a
    /// call), wasted, and its answer ends quietly when it reaches the users.
    fn give_up(&mut self, req: u32, users: usize) {
        let r = self.arena.get_mut(req);
        r.finished = true;
        r.frames[0].abandoned = true;
        let (in_window, region, child) = (r.in_window, r.region, r.child);
        self.abandon_below(req, 0);
        let r = self.arena.get(req);
        // The users' wire: the request's own, or its attempt's under way.
        let below = if r.depth > 1 {
            Some(r.frames[1].link)
        } else if child != NO_SLOT {
            Some(self.arena.get(child).frames[1].link)
        } else {
            // Waiting to retry: drawn on the wire the retry would take.
            let kind = r.kind;
            self.entry_link(users, kind)
        };
        let r = self.arena.get(req);
        if let (true, Some(link)) = (r.sampled, below) {
            // Drawn like any failure: a red answer on the users' wire, now.
            let (kind, number) = (r.kind, r.number);
            let wire = self.net.wires[link as usize];
            self.log_hop(link, wire.to, wire.from, self.now, kind, true, true, number);
        }
        let r = self.arena.get_mut(req);
        if r.trace != NO_TRACE {
            let t = std::mem::replace(&mut r.trace, NO_TRACE);
            self.traces.push(t, Mark::GaveUp { at: self.now });
            self.traces.end(t);
        }
        if let Some(region) = region {
            self.snap.record_region(region, None);
        }
        self.stats[users].counters.timeouts += 1;
        let c = Cause::ClientTimeout as usize;
        self.totals.failed[c] += 1;
        self.second.failed[c] += 1;
        if in_window {
            self.window.failed[c] += 1;
        }
    }

    /// Sends an attempt of `parent` (held at its frame `f` by a caller with a
    /// call policy) over wire `link`: a clone of the parent down to frame
    /// `f`, whose frame `f` waits for the answer as the caller (the parent
    /// stays where it is and keeps the one outcome). The attempt shares the
    /// parent's number, key and trace, so it is drawn and traced as the
    /// parent would be. With a timeout per attempt its deadline is noted.
    ///
    /// Order of the checks: the simulator's cap first (as for any request
    /// born), then the breaker (a call it refuses fails at once and needs
    /// no connection: waiting in line for one only to be refused would make
    /// failing fast slow), then the pool (a call with no free connection
    /// waits in line, its parent still awaiting its call; see
    /// `kernel/pool.rs`).
    #[cold]
    pub(crate) fn send_attempt(&mut self, parent: u32, f: u8, link: u16) {
        let fi = f as usize;
        let p = self.arena.get_mut(parent);
        let caller = p.frames[fi].node as usize;
        let in_window = p.in_window;
        if self.arena.live() >= crate::base::limits::MAX_IN_FLIGHT {
            self.count_sent(f, in_window);
            // No slot for the attempt: it fails at once, as a request born
            // beyond the cap does. (Before the breaker is asked: a trial it
            // let through must be sent, or half-open would wait for its
            // answer for ever.)
            self.attempt_counted(f, in_window, Some(Cause::Overflow));
            self.fail(parent, caller, Cause::Overflow);
            self.decided(parent, caller, f);
            return;
        }
        if self.components[caller].caller().is_some_and(|c| c.policy.breaker.is_some()) {
            let Some(cl) = self.components[caller].caller_mut() else { unreachable!() };
            let (allowed, transition) = cl.allow(link, self.now);
            if let Some(t) = transition {
                self.log_breaker(caller, link, t);
            }
            if !allowed {
                // The wire's breaker is open: the attempt fails at once,
                // nothing is sent, and it is not retried (failing fast is
                // the point).
                self.count_sent(f, in_window);
                self.attempt_counted(f, in_window, Some(Cause::CircuitOpen));
                self.stats[caller].counters.circuit_open += 1;
                self.fail(parent, caller, Cause::CircuitOpen);
                self.decided(parent, caller, f);
                return;
            }
        }
        let mut pooled = false;
        if fi > 0 && self.components[caller].caller().is_some_and(|c| c.pooled()) {
            if !self.take_connection(caller, parent, f, link) {
                return; // it waits in line for a connection
            }
            pooled = true;
        }
        self.launch_attempt(parent, f, link, pooled);
    }

    /// Counts an attempt (frame 0) or a web server's call as sent.
    pub(crate) fn count_sent(&mut self, f: u8, in_window: bool) {
        let books = if f == 0 { &mut self.attempts_totals } else { &mut self.calls_totals };
        books.sent += 1;
        if in_window {
            let books = if f == 0 { &mut self.attempts_window } else { &mut self.calls_window };
            books.sent += 1;
        }
    }

    /// Sends the attempt `send_attempt` let through (holding one of its
    /// caller's pooled connections when `pooled`).
    pub(crate) fn launch_attempt(&mut self, parent: u32, f: u8, link: u16, pooled: bool) {
        let fi = f as usize;
        let p = self.arena.get(parent);
        let (caller, in_window) = (p.frames[fi].node as usize, p.in_window);
        self.count_sent(f, in_window);
        let retrying = self.components[caller].caller().is_some_and(|c| c.policy.max_attempts > 1);
        if retrying {
            // Every attempt reads or writes the same data: the key is drawn
            // once, for the parent.
            crate::components::key_of(&mut self.components, self.arena.get_mut(parent));
        }
        let p = self.arena.get_mut(parent);
        // Users number their requests' attempts; a web server counts the
        // attempts of its call under way in its frame.
        let attempt = if fi == 0 {
            p.attempt = p.attempt.saturating_add(1);
            p.attempt
        } else {
            let fr = &mut p.frames[fi];
            fr.tries = fr.tries.saturating_add(1);
            fr.tries
        };
        let (kind, user, born, sampled, number) = (p.kind, p.user, p.born, p.sampled, p.number);
        let (trace, key, region, mobile, generation) = (p.trace, p.key, p.region, p.mobile, p.generation);
        let session_call = p.session_call;
        let frames = p.frames;
        let clone = self.arena.alloc(kind, user, born, in_window, sampled);
        let c = self.arena.get_mut(clone);
        c.number = number;
        c.trace = trace;
        c.key = key;
        c.region = region;
        c.mobile = mobile;
        c.session_call = session_call;
        c.frames[..=fi].copy_from_slice(&frames[..=fi]);
        c.frames[fi].state = FrameState::Caller;
        c.frames[fi].arrived = self.now;
        c.frames[fi].abandoned = false;
        c.frames[fi].pooled = pooled;
        c.depth = f + 1;
        c.base = f;
        c.attempt = attempt;
        c.parent = parent;
        c.parent_gen = generation;
        let c_generation = c.generation;
        self.arena.get_mut(parent).child = clone;
        {
            if let Some(cl) = self.components[caller].caller_mut() {
                if let Some(timeout) = cl.timeout {
                    let at = self.now + timeout;
                    let d = crate::components::caller::AttemptDeadline { at, slot: clone, generation: c_generation };
                    cl.deadlines.push_back(d);
                    // Entries of attempts answered long before their
                    // deadline pile up behind the oldest open one: dropped
                    // once they outnumber the live requests, as a
                    // station's deadlines are.
                    if cl.deadlines.len() > 2 * self.arena.live().max(1024) {
                        let arena = &self.arena;
                        cl.deadlines.retain(|d| {
                            let r = arena.get(d.slot);
                            r.generation == d.generation && !r.finished && r.is_attempt()
                        });
                    }
                    if cl.sweep_at.is_none() {
                        cl.sweep_at = Some(at);
                        self.queue.schedule(at, Event::AttemptSweep { node: caller as u16 });
                    }
                }
            }
        }
        self.send_down(clone, f, link);
    }

    /// The circuit breaker node `from` keeps on its wire `wire`, now
    /// (`None`: the node has no breaker in its call policy).
    pub(crate) fn breaker_view(&self, from: usize, wire: u16) -> Option<crate::kernel::snapshot::BreakerView> {
        let (state, failure_share) = self.components[from].caller()?.breaker_view(wire, self.now)?;
        Some(crate::kernel::snapshot::BreakerView { state, failure_share })
    }

    /// Caller `caller`'s breaker on wire `link` changed state: a line in
    /// the event log ("web-1 → db: circuit opened (…)").
    #[cold]
    pub(crate) fn log_breaker(&mut self, caller: usize, link: u16, t: crate::blocks::breaker::Transition) {
        use crate::blocks::breaker::Transition;
        use crate::metrics::log::Severity;
        let to = self.net.wires[link as usize].to as usize;
        let id = &self.net.nodes[caller].id;
        let text = format!("{id} → {}: {}", self.net.nodes[to].id, t.words());
        let severity = match t {
            Transition::Opened { .. } | Transition::Reopened => Severity::Warning,
            Transition::HalfOpened { .. } | Transition::Closed { .. } => Severity::Info,
        };
        self.log.push(self.now, Some(id), severity, text);
    }

    /// Counts the end of an attempt sent from frame `base` (its answer's
    /// cause, or `None`: a success): the users' attempts (frame 0) in their
    /// books, a web server's calls in theirs.
    pub(crate) fn attempt_counted(&mut self, base: u8, in_window: bool, failure: Option<Cause>) {
        let (totals, window) = if base == 0 {
            (&mut self.attempts_totals, &mut self.attempts_window)
        } else {
            (&mut self.calls_totals, &mut self.calls_window)
        };
        totals.ended(failure);
        if in_window {
            window.ended(failure);
        }
    }

    /// The outcome of `parent`'s attempts is decided (its `failure` says
    /// which): users record it, a web server (its frame `f`) goes on as
    /// when a plain call comes back.
    pub(crate) fn decided(&mut self, parent: u32, caller: usize, f: u8) {
        if f == 0 {
            self.finish(parent, caller);
        } else {
            self.resume(caller, parent, f);
        }
    }

    /// Whether web server `node` no longer holds `req` at its frame `f`: a
    /// timeout there gave up on it, or the server crashed since (`resume`
    /// then ends its line).
    pub(crate) fn call_parent_gone(&self, node: usize, req: u32, f: u8) -> bool {
        let frame = &self.arena.get(req).frames[f as usize];
        frame.abandoned
            || !matches!(&self.components[node], Component::Station(st) if st.incarnation == frame.incarnation)
    }

    /// Request `slot` no longer waits at its frame `f` (its users gave up,
    /// its attempt timed out, a timeout or a crash at a web server): its
    /// attempts under way, and theirs, learn it (their copy of frame `f` is
    /// abandoned, which a station dropping abandoned work sees) and stop
    /// marking the trace, which may end now.
    pub(crate) fn abandon_below(&mut self, slot: u32, f: usize) {
        let mut c = self.arena.get(slot).child;
        while c != NO_SLOT {
            let r = self.arena.get_mut(c);
            r.frames[f].abandoned = true;
            r.trace = NO_TRACE;
            c = r.child;
        }
    }

    /// A success nobody waited for any more: an answer to users who gave
    /// up, or to an attempt past its timeout (throughput, not goodput).
    fn count_late_ok(&mut self, in_window: bool) {
        self.totals.late_ok += 1;
        self.second.late_ok += 1;
        if in_window {
            self.window.late_ok += 1;
        }
    }

    /// The answer to attempt `clone` reached its caller. A late answer (the
    /// attempt timed out) just ends the attempt's line. Otherwise the
    /// attempt ends now, and its answer decides for the parent: the
    /// parent's users hear it, unless they gave up meanwhile.
    ///
    /// Exactly one pending thing owns an open parent's line: its attempt
    /// under way. Whichever ends the attempt first (this answer, its
    /// timeout) continues the parent or ends its line, so the parent's
    /// outcome is decided once.
    #[cold]
    fn attempt_ended(&mut self, clone: u32) {
        let c = self.arena.get_mut(clone);
        let (ok, in_window, base) = (c.failure.is_none(), c.in_window, c.base);
        if c.finished {
            if ok && base == 0 {
                self.count_late_ok(in_window);
            }
            self.end_line(clone);
            return;
        }
        c.finished = true;
        // Work still going on below (an orphan line) must not mark the
        // parent's trace any more.
        c.trace = NO_TRACE;
        let (parent, failure, key, cache_miss) = (c.parent, c.failure, c.key, c.cache_miss);
        let (sent_at, wire) = (c.frames[base as usize].arrived, c.frames[base as usize + 1].link);
        if c.frames[base as usize].pooled {
            // The answer is back: its connection is free for the next call.
            c.frames[base as usize].pooled = false;
            let caller = c.frames[base as usize].node as usize;
            self.connection_back(caller, wire);
        }
        self.attempt_counted(base, in_window, failure);
        let p = self.arena.get_mut(parent);
        debug_assert!(p.child == clone, "the parent's line is held by its attempt");
        p.child = NO_SLOT;
        let caller = p.frames[base as usize].node as usize;
        // A call the server itself gave up on (a timeout there, shed below as
        // abandoned) or made before it restarted tells its breaker nothing
        // about the callee.
        let own_doing = base > 0 && self.call_parent_gone(caller, parent, base);
        if let Some(cl) = self.components[caller].caller_mut() {
            if ok {
                cl.succeeded();
            }
            if own_doing {
                cl.withdraw(wire, sent_at);
            } else if let Some(t) = cl.record(wire, self.now, sent_at, failure) {
                self.log_breaker(caller, wire, t);
            }
        }
        let p = self.arena.get_mut(parent);
        if base > 0 {
            // A web server's call: its answer goes on as a plain call's would.
            p.key = key;
            p.cache_miss = cache_miss;
            match failure {
                Some(cause) => self.retry_or_fail(parent, caller, base, cause),
                None => self.resume(caller, parent, base),
            }
        } else if p.finished {
            // Its users gave up while the attempt was under way.
            if ok {
                self.count_late_ok(in_window);
            }
            self.end_line(parent);
        } else {
            p.key = key;
            p.cache_miss = cache_miss;
            match failure {
                Some(cause) => self.retry_or_fail(parent, caller, 0, cause),
                None => self.finish(parent, caller),
            }
        }
        self.end_line(clone);
    }

    /// The attempt of `parent` failed with `cause`, its users still waiting:
    /// the caller retries it after its backoff (the retry's timer now owns
    /// the parent's line), or the parent fails with that cause.
    /// For a web server's call (frame `f` > 0), the same, unless the server
    /// no longer holds the request: then its line ends (`resume`).
    fn retry_or_fail(&mut self, parent: u32, caller: usize, f: u8, cause: Cause) {
        if f > 0 && self.call_parent_gone(caller, parent, f) {
            self.resume(caller, parent, f);
            return;
        }
        let p = self.arena.get(parent);
        let sent = u32::from(if f == 0 { p.attempt } else { p.frames[f as usize].tries });
        let delay = self.components[caller].caller_mut().and_then(|cl| cl.retry_after(cause, sent));
        let Some(delay) = delay else {
            self.fail(parent, caller, cause);
            self.decided(parent, caller, f);
            return;
        };
        let p = self.arena.get(parent);
        let (generation, trace) = (p.generation, p.trace);
        let at = self.now + delay;
        if trace != NO_TRACE {
            self.traces.push(trace, Mark::Backoff { depth: f, start: self.now, end: at });
        }
        self.queue.schedule(at, Event::Retry { req: parent, generation, frame: f });
    }

    /// The backoff of request `req` is over: its caller sends the next
    /// attempt, unless its users gave up meanwhile (then its line ends).
    /// A web server's retry (frame `f` > 0) goes where the call would go
    /// now: the target is chosen again (a replica that went down meanwhile
    /// is passed over, as for a first call).
    fn on_retry(&mut self, req: u32, generation: u32, f: u8) {
        let p = self.arena.get(req);
        debug_assert!(p.generation == generation, "the retry's timer holds the request's line");
        if p.generation != generation {
            return;
        }
        if f > 0 {
            let node = p.frames[f as usize].node as usize;
            return self.retry_call(node, req, f);
        }
        let (users, kind, in_window) = (p.frames[0].node as usize, p.kind, p.in_window);
        if p.finished {
            self.end_line(req);
            return;
        }
        match self.entry_link(users, kind) {
            Some(link) => {
                // Counted only when it goes out (as a retry refused by an
                // open breaker does: the caller made it).
                self.totals.retries += 1;
                self.second.retries += 1;
                if in_window {
                    self.window.retries += 1;
                }
                self.stats[users].counters.retries += 1;
                self.send_attempt(req, 0, link)
            }
            None => {
                // Unlinked since: the retry has nowhere to go.
                self.fail(req, users, Cause::NoRoute);
                self.finish(req, users);
            }
        }
    }

    /// The backoff of web server `node`'s call for `req` (its frame `f`) is
    /// over: the call is sent again where it would go now, unless the server
    /// no longer holds the request (its line then ends).
    fn retry_call(&mut self, node: usize, req: u32, f: u8) {
        if self.call_parent_gone(node, req, f) {
            self.resume(node, req, f);
            return;
        }
        self.call_again(node, req, f, true);
    }

    /// Web server `node` sends its call for `req` (its frame `f`) where a
    /// first call would go now: a retry (`retry`, counted when it goes
    /// out), or a call that waited for a connection of a wire removed
    /// meanwhile.
    pub(crate) fn call_again(&mut self, node: usize, req: u32, f: u8, retry: bool) {
        match crate::components::web::retry_target(&mut work!(self, node, req, f)) {
            Next::Attempt { link, step, .. } | Next::Call { link, step, .. } => {
                // A retry counts only when it goes out, not when its target
                // answers or fails it without a call.
                if retry {
                    self.stats[node].counters.retries += 1;
                }
                self.arena.get_mut(req).frames[f as usize].step = step;
                self.send_attempt(req, f, link);
            }
            Next::Fail(cause) => {
                self.fail(req, node, cause);
                self.wake_if_leading(node, req, f);
                self.answer(node, req, f);
            }
            // (A retry's target is never a coalesced read.)
            Next::Answer | Next::Coalesce { .. } => {
                self.wake_if_leading(node, req, f);
                self.answer(node, req, f);
            }
        }
    }

    /// A coalescing server's read of a key that ends without its call
    /// coming back (its retry found no database to ask): the readers
    /// waiting on it are woken as `resume` wakes them, or none would be.
    fn wake_if_leading(&mut self, node: usize, req: u32, f: u8) {
        if self.arena.get(req).frames[f as usize].step == crate::components::web::LEADING {
            self.wake_parked(node, req, f);
        }
    }

    /// Makes sure caller `node` sweeps its attempts' deadlines at `at` (or earlier).
    pub(crate) fn schedule_attempt_sweep(&mut self, node: usize, at: Nanos) {
        let Some(cl) = self.components[node].caller_mut() else { return };
        if cl.sweep_at.is_none_or(|due| at < due) {
            cl.sweep_at = Some(at);
            self.queue.schedule(at, Event::AttemptSweep { node: node as u16 });
        }
    }

    /// Caller `node` ends every attempt past its deadline, oldest first, and
    /// looks again when the oldest one left is due.
    fn on_attempt_sweep(&mut self, node: usize) {
        {
            let Some(cl) = self.components[node].caller_mut() else { return };
            if cl.sweep_at != Some(self.now) {
                return; // superseded by an earlier sweep
            }
            cl.sweep_at = None;
        }
        loop {
            let Some(cl) = self.components[node].caller_mut() else { return };
            let Some(&d) = cl.deadlines.front() else { break };
            if d.at > self.now {
                break;
            }
            cl.deadlines.pop_front();
            let r = self.arena.get(d.slot);
            if r.generation != d.generation || r.finished || !r.is_attempt() {
                continue; // answered meanwhile
            }
            self.attempt_timed_out(d.slot);
        }
        // Calls that waited their longest for a connection (a pool's
        // `max_wait_ms`), then the next look: whichever falls due first.
        self.expire_waiters(node);
        let Some(cl) = self.components[node].caller() else { return };
        let next = [cl.deadlines.front().map(|d| d.at), cl.next_expiry()].into_iter().flatten().min();
        if let Some(at) = next {
            self.schedule_attempt_sweep(node, at);
        }
    }

    /// Attempt `clone` got no answer within its caller's timeout: it ends
    /// with cause `timeout`, and the caller decides for its parent. The
    /// work below goes on (nobody below is told); its late answer ends the
    /// attempt's line when it comes back.
    fn attempt_timed_out(&mut self, clone: u32) {
        let c = self.arena.get_mut(clone);
        c.finished = true;
        let base = c.base as usize;
        c.frames[base].abandoned = true;
        let trace = std::mem::replace(&mut c.trace, NO_TRACE);
        let (parent, in_window, sampled, kind, number) = (c.parent, c.in_window, c.sampled, c.kind, c.number);
        let (caller, link) = (c.frames[base].node as usize, c.frames[base + 1].link);
        if c.frames[base].pooled {
            // The caller gives up on the call: it closes the connection,
            // whose late answer it could not tell from the next call's,
            // and the pool opens a fresh one for the next in line.
            c.frames[base].pooled = false;
            self.connection_back(caller, link);
        }
        // A users' attempt may be waiting on a web server's call in turn.
        self.abandon_below(clone, base);
        if trace != NO_TRACE {
            self.traces.push(trace, Mark::AttemptEnded { depth: base as u8, at: self.now });
        }
        let sent_at = self.arena.get(clone).frames[base].arrived;
        self.attempt_counted(base as u8, in_window, Some(Cause::Timeout));
        self.stats[caller].counters.call_timeouts += 1;
        // As for an answer (`attempt_ended`): a call the server had given up
        // on, or made before it restarted, tells its breaker nothing.
        let own_doing = base > 0 && self.call_parent_gone(caller, parent, base as u8);
        if let Some(cl) = self.components[caller].caller_mut() {
            if own_doing {
                cl.withdraw(link, sent_at);
            } else if let Some(t) = cl.record(link, self.now, sent_at, Some(Cause::Timeout)) {
                self.log_breaker(caller, link, t);
            }
        }
        let p = self.arena.get_mut(parent);
        debug_assert!(p.child == clone, "the parent's line is held by its attempt");
        p.child = NO_SLOT;
        if base > 0 && self.call_parent_gone(caller, parent, base as u8) {
            // The web server no longer holds the request: its line ends.
            self.resume(caller, parent, base as u8);
            return;
        }
        let p = self.arena.get_mut(parent);
        if base == 0 && p.finished {
            // Its users had given up already (and their failure was drawn).
            self.end_line(parent);
            return;
        }
        if sampled {
            // Drawn like any failure: a red answer on the caller's wire, now.
            let wire = self.net.wires[link as usize];
            self.log_hop(link, wire.to, wire.from, self.now, kind, true, true, number);
        }
        self.retry_or_fail(parent, caller, base as u8, Cause::Timeout);
    }

    /// A caller's timeout per attempt changed (or its policy came or went):
    /// its deadline list is rebuilt from its attempts under way (found by a
    /// scan; edits are rare), each due its new timeout after it was sent.
    pub(crate) fn retime_attempts(&mut self, node: usize) {
        let Some(cl) = self.components[node].caller_mut() else { return };
        cl.deadlines.clear();
        let Some(timeout) = cl.timeout else { return };
        let mut entries: Vec<crate::components::caller::AttemptDeadline> = Vec::new();
        for slot in self.arena.live_ids() {
            let r = self.arena.get(slot);
            let base = &r.frames[r.base as usize];
            if r.is_attempt() && !r.finished && base.node as usize == node && base.state == FrameState::Caller {
                entries.push(crate::components::caller::AttemptDeadline {
                    at: base.arrived + timeout,
                    slot,
                    generation: r.generation,
                });
            }
        }
        entries.sort_by_key(|d| (d.at, d.slot));
        let first = entries.first().map(|d| d.at.max(self.now));
        let Some(cl) = self.components[node].caller_mut() else { return };
        cl.deadlines.extend(entries);
        if let Some(at) = first {
            self.schedule_attempt_sweep(node, at);
        }
    }

    /// The answer to `req` reached users who had given up on it: a success is
    /// counted as late (throughput that was nobody's goodput).
    fn late_answer(&mut self, req: u32) {
        let r = self.arena.get(req);
        if r.failure.is_none() {
            let in_window = r.in_window;
            self.count_late_ok(in_window);
        }
    }

    /// Request `req` fails at node `node` (only its first failure counts).
    pub(crate) fn fail(&mut self, req: u32, node: usize, cause: Cause) {
        let r = self.arena.get_mut(req);
        if r.failure.is_none() {
            r.failure = Some(cause);
            let trace = r.trace;
            if trace != NO_TRACE {
                self.traces.push(trace, Mark::Failed { node: node as u16, cause });
            }
        }
    }

    /// One line of activity on `req` has ended; free the slot when none is left.
    pub(crate) fn end_line(&mut self, req: u32) {
        let r = self.arena.get_mut(req);
        r.lines -= 1;
        if r.lines == 0 {
            self.arena.free(req);
        }
    }

    fn on_deadline_sweep(&mut self, node: u16) {
        let n = node as usize;
        {
            let Component::Station(st) = &mut self.components[n] else { unreachable!() };
            if st.sweep_at != Some(self.now) {
                return; // superseded by an earlier sweep
            }
            st.sweep_at = None;
        }
        loop {
            let Component::Station(st) = &mut self.components[n] else { unreachable!() };
            let Some(&d) = st.deadlines.front() else { return };
            if d.at > self.now {
                self.schedule_sweep(n, d.at);
                return;
            }
            st.deadlines.pop_front();
            let r = self.arena.get_mut(d.req);
            if r.generation != d.generation {
                continue;
            }
            let frame = &mut r.frames[d.frame as usize];
            if frame.abandoned || frame.state == FrameState::Done || frame.node != node {
                continue;
            }
            // The caller gives up. Whatever this node was doing goes on as an
            // orphan line (a queue place, a busy worker) until it ends by itself.
            frame.abandoned = true;
            let (state, arrived) = (frame.state, frame.arrived);
            r.lines += 1;
            if r.child != NO_SLOT {
                // A web server's call under way: its attempt learns of it.
                self.abandon_below(d.req, d.frame as usize);
            }
            let Component::Station(st) = &mut self.components[n] else { unreachable!() };
            let c = &mut self.stats[n].counters;
            c.timeouts += 1;
            if state == FrameState::Queued {
                // It leaves the queue now (its entry is skipped when reached).
                c.depart(self.now - arrived);
                st.waiting -= 1;
                st.dead += 1;
                let waiting = st.waiting as u64;
                self.stats[n].queued.set(self.now, waiting);
            }
            self.fail(d.req, n, Cause::Timeout);
            self.send_up(d.req, d.frame);
        }
    }

    fn on_tick(&mut self) {
        self.latencies.close_second(&mut self.second_latency);
        let mut nodes = Vec::with_capacity(self.stats.len());
        let mut goal_nodes = Vec::new();
        for i in 0..self.stats.len() {
            let reading = self.stats[i].read(self.now);
            let delta = reading.since(&self.at_tick[i]);
            let s = NodeSummary::from_counters(&delta, NS_PER_S, self.workers_of(i));
            let queue_len = self.node_load(i).1 as u64;
            if self.goal.is_some() && !self.net.nodes[i].removed {
                goal_nodes.push(crate::model::goal::NodeSecond {
                    id: self.net.nodes[i].id.clone(),
                    kind: self.net.nodes[i].kind,
                    down: self.net.nodes[i].health == Health::Down,
                    utilization: s.utilization,
                    queue_len,
                    hits: delta.hits,
                    lookups: delta.hits + delta.misses,
                    oldest_job_s: self.oldest_job_age(i).map(|ns| ns as f64 / 1e9),
                    slowdown: match self.net.nodes[i].health {
                        Health::Degraded { factor } => factor,
                        _ => 1.0,
                    },
                });
            }
            nodes.push(NodePoint {
                throughput_rps: s.throughput_rps,
                utilization: s.utilization,
                busy_workers: delta.busy_area as f64 / NS_PER_S as f64,
                available_workers: delta.available_area as f64 / NS_PER_S as f64,
                mean_queue_len: s.mean_queue_len,
                queue_len,
                hit_ratio: s.cache.map(|c| c.hit_ratio),
                replication_lag_ms: self.replication_lag(i).map(|ns| ns as f64 / 1e6),
            });
            self.at_tick[i] = reading;
            self.log_trouble(i, [delta.rejected, delta.timeouts, delta.failed_down]);
        }
        let h = &self.second_latency;
        self.series.push(SecondPoint {
            t_s: self.now / NS_PER_S,
            generated: self.second.generated,
            ok: self.second.ok,
            failed: self.second.failed,
            late_ok: self.second.late_ok,
            retries: self.second.retries,
            latency_mean_ms: h.mean() / 1e6,
            latency_p50_ms: h.quantile(0.50) / 1e6,
            latency_p95_ms: h.quantile(0.95) / 1e6,
            latency_p99_ms: h.quantile(0.99) / 1e6,
            nodes,
        });
        if self.overflowing && self.second.failed[Cause::Overflow as usize] == 0 {
            self.overflowing = false;
            self.log.push(
                self.now,
                None,
                crate::metrics::log::Severity::Info,
                "requests in flight back under the cap".to_string(),
            );
        }
        let mark = crate::kernel::recent::Mark {
            at: self.now,
            totals: self.totals,
            nodes: self.at_tick.clone(),
            links: self.net.wires.iter().map(|w| w.sent).collect(),
        };
        self.snap.close_second(mark, &self.second_latency);
        self.check_alerts();
        self.track_goal(&goal_nodes);
        self.batches.second(self.now / NS_PER_S, self.second.ok, self.second.failed_total(), &self.second_latency);
        self.second = Outcomes::default();
        if (self.now / NS_PER_S).is_multiple_of(RECENT_BREAKDOWN_S) {
            self.breakdown_recent.swap(0, 1);
            self.breakdown_recent[1].clear();
            self.breakdown_from = [self.breakdown_from[1], self.now];
        }
        self.queue.schedule(self.now + NS_PER_S, Event::Tick);
    }

    pub(crate) fn push_trouble_slot(&mut self) {
        self.troubled.push([false; 3]);
    }

    /// Logs when a node starts (or stops) turning requests away, once per episode
    /// rather than every second.
    fn log_trouble(&mut self, i: usize, counts: [u64; 3]) {
        use crate::metrics::log::Severity;
        const WHAT: [&str; 3] =
            ["rejecting requests: queue full", "requests timing out", "failing requests: node is down"];
        // A users node's timeouts are its users giving up.
        const GIVING_UP: &str = "giving up on requests: no answer within the client timeout";
        for k in 0..3 {
            let now_troubled = counts[k] > 0;
            if now_troubled != self.troubled[i][k] && !self.net.nodes[i].removed {
                let id = self.net.nodes[i].id.clone();
                let what = if k == 1 && self.net.nodes[i].kind == NodeKind::Users { GIVING_UP } else { WHAT[k] };
                let (severity, text) = if now_troubled {
                    (Severity::Warning, format!("{id}: {what} ({} in the last second)", counts[k]))
                } else {
                    (Severity::Info, format!("{id}: no longer {}", what.split(':').next().unwrap_or(what)))
                };
                self.log.push(self.now, Some(&id), severity, text);
            }
            self.troubled[i][k] = now_troubled;
        }
    }

    /// Requests of the statistics window still open, counted by scanning the
    /// arena: an independent check of `generated = ok + failed + in_flight`.
    pub fn count_open_window_requests(&self) -> u64 {
        self.arena.count_open_in_window()
    }

    /// What became of the attempts of callers with a call policy, for the
    /// requests born in the statistics window (see [`AttemptOutcomes`]).
    pub fn attempt_outcomes(&self) -> AttemptOutcomes {
        self.attempts_window
    }

    /// What became of the calls of web servers with a call policy, for the
    /// requests born in the statistics window (see [`AttemptOutcomes`]).
    pub fn call_outcomes(&self) -> AttemptOutcomes {
        self.calls_window
    }

    /// The window's calls under way (attempts of web servers), counted by
    /// scanning the arena: the check of `sent = ok + failed + open` for them.
    pub fn count_open_calls(&self) -> u64 {
        self.arena.count_open_calls_in_window()
    }

    /// The window's attempts under way, counted by scanning the arena: an
    /// independent check of `sent = ok + failed + open` for attempts.
    pub fn count_open_attempts(&self) -> u64 {
        self.arena.count_open_attempts_in_window()
    }
}

/// Monthly costs in dollars, as [`Simulation::node_costs`] works them out.
pub(crate) struct NodeCosts {
    /// Per node of the scenario, in its order.
    pub by_node: Vec<f64>,
    /// Per node slot: the cost of the scenario's node of that id (0 when it
    /// has none).
    pub by_slot: Vec<f64>,
}
