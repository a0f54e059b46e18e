//! Requests in flight and the arena that stores them.
//!
//! A request carries its path as a small stack of frames, one per node it has
//! entered: it goes down the stack as it is forwarded (users, load balancer, web
//! server, database) and back up as the response returns. The arena reuses the
//! slots of finished requests, so a run in steady state allocates nothing per
//! request however long it lasts.

use crate::base::time::Nanos;

/// Deepest path a request can take (users, balancer, server, database and room
/// for the tiers later issues add).
/// `Request::trace` of a request nobody traces.
pub const NO_TRACE: u32 = u32::MAX;

pub const MAX_DEPTH: usize = 8;

/// The kind of work a request asks for (the `mix` of a traffic source).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Kind {
    Read = 0,
    Write = 1,
    Static = 2,
    Job = 3,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Read, Kind::Write, Kind::Static, Kind::Job];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Write => "write",
            Kind::Static => "static",
            Kind::Job => "job",
        }
    }
}

/// Why a request failed. Every request ends either in success or in exactly one
/// of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Cause {
    /// A bounded queue was full when the request arrived.
    Rejected = 0,
    /// The caller stopped waiting: `timeout_ms` passed at some node.
    Timeout = 1,
    /// A node on the path was down (failed, or removed from the diagram).
    NodeDown = 2,
    /// There was nowhere to send the request: users or a load balancer with
    /// nothing linked behind them.
    NoRoute = 3,
    /// The network between two data centers was cut while the request had to
    /// cross it.
    Partition = 4,
    /// Too many requests were in flight: the simulation's cap
    /// ([`crate::base::limits::MAX_IN_FLIGHT`]) was reached when it was born, so it
    /// ended at once. A design far beyond its capacity with unbounded queues
    /// gets here instead of running out of memory.
    Overflow = 5,
    /// The users stopped waiting: no answer came within their
    /// `client_timeout_ms`. Whatever the system was still doing for the
    /// request goes on, wasted, and its late answer is dropped.
    ClientTimeout = 6,
    /// A rate limiter turned the request away: its caller sent more than the
    /// limit allows (an HTTP 429, answered at once).
    RateLimited = 7,
    /// A caller's circuit breaker was open: the call failed at once, without
    /// being sent.
    CircuitOpen = 8,
    /// A station dropped the request from its queue: it had waited longer
    /// than the station's limit, or its caller had already given up on it.
    Shed = 9,
    /// The node failed the request at once (errors injected as a fault).
    Error = 10,
}

impl Cause {
    /// Every cause, by its number: new causes are appended, so a cause's
    /// place in per-cause arrays never changes.
    pub const ALL: [Cause; 11] = [
        Cause::Rejected,
        Cause::Timeout,
        Cause::NodeDown,
        Cause::NoRoute,
        Cause::Partition,
        Cause::Overflow,
        Cause::ClientTimeout,
        Cause::RateLimited,
        Cause::CircuitOpen,
        Cause::Shed,
        Cause::Error,
    ];
    pub const COUNT: usize = Self::ALL.len();

    /// Whether a caller with a call policy retries an attempt that failed
    /// with this cause: the trouble may pass (a full queue, a timeout, a
    /// node down or cut off, a shed, an error, a 429). Not retried: no
    /// route (nothing to try), an open circuit (it fails fast on purpose),
    /// overflow (the simulator's cap) and the users' own giving up.
    pub fn retryable(self) -> bool {
        match self {
            Cause::Rejected
            | Cause::Timeout
            | Cause::NodeDown
            | Cause::Partition
            | Cause::Shed
            | Cause::Error
            | Cause::RateLimited => true,
            Cause::NoRoute | Cause::CircuitOpen | Cause::Overflow | Cause::ClientTimeout => false,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Cause::Rejected => "rejected",
            Cause::Timeout => "timeout",
            Cause::NodeDown => "node_down",
            Cause::NoRoute => "no_route",
            Cause::Partition => "partition",
            Cause::Overflow => "overflow",
            Cause::ClientTimeout => "client_timeout",
            Cause::RateLimited => "rate_limited",
            Cause::CircuitOpen => "circuit_open",
            Cause::Shed => "shed",
            Cause::Error => "error",
        }
    }
}

/// Where a request stands at one node of its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameState {
    /// On the wire towards this node, or passing through (load balancer, users).
    Transit,
    Queued,
    InService,
    /// Served here, now waiting for a downstream node while holding a worker.
    AwaitingDownstream,
    /// This node is finished with the request.
    Done,
    /// The base frame of an attempt (a clone of a request its caller sends
    /// with a call policy): the answer that reaches it ends the attempt, and
    /// the caller decides for the parent (`Simulation::attempt_ended`).
    Caller,
}

#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub node: u16,
    /// The link the request took to get here (the response takes it back).
    pub link: u16,
    pub state: FrameState,
    /// The caller stopped waiting (a timeout; at the users' frame, the users
    /// gave up): any work still going on here is wasted.
    pub abandoned: bool,
    /// Which life of the station served it: a crash starts a new one, and work
    /// from an earlier life is discarded when it ends.
    pub incarnation: u16,
    /// When the request reached this node.
    pub arrived: Nanos,
    /// A web server's progress through its calls (see `components::web::step`).
    pub step: u8,
    /// The request holds one of this station's workers.
    pub holding: bool,
    /// Attempts sent so far for the call under way, by a web server with a
    /// call policy (0 otherwise).
    pub tries: u8,
    /// An attempt's base frame: the attempt holds one of its caller's
    /// pooled connections, given back when the attempt ends for the caller.
    pub pooled: bool,
}

pub(crate) const EMPTY_FRAME: Frame = Frame {
    node: 0,
    link: 0,
    state: FrameState::Done,
    abandoned: false,
    incarnation: 0,
    arrived: 0,
    step: 0,
    holding: false,
    tries: 0,
    pooled: false,
};

/// `Request::key` before a node has needed one.
pub const NO_KEY: u64 = u64::MAX;

/// `Request::parent` of a request that is not an attempt, and
/// `Request::child` of one with no attempt under way.
pub const NO_SLOT: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct Request {
    /// Bumped on every reuse of the slot, so stale references can be detected.
    pub generation: u32,
    pub kind: Kind,
    pub user: u32,
    pub born: Nanos,
    /// Counted in the statistics window (born between warm-up and the end).
    pub in_window: bool,
    /// Drawn for the animation: its hops are recorded.
    pub sampled: bool,
    /// Its number in the run (0 for the first request born).
    pub number: u64,
    /// Its trace in the simulation's trace book, or [`NO_TRACE`].
    pub trace: u32,
    /// The outcome is recorded: the source has heard back, or its users gave
    /// up waiting (then `frames[0].abandoned` is set too).
    pub finished: bool,
    /// Set once the request has failed; the response carries the failure up.
    pub failure: Option<Cause>,
    /// The data key it reads or writes, drawn from its source's key popularity
    /// the first time a node needs it ([`NO_KEY`] until then).
    pub key: u64,
    /// The last cache asked did not have the key.
    pub cache_miss: bool,
    /// The call under way is a session lookup, not a data read.
    pub session_call: bool,
    /// The region the request comes from (its users' region), if any.
    pub region: Option<crate::blocks::geo::Region>,
    /// It comes from a mobile app (a slower first hop).
    pub mobile: bool,
    /// Lines of activity still holding the slot: the request itself, plus work a
    /// node goes on doing after the caller gave up. The slot is freed at zero.
    pub lines: u8,
    /// Frames pushed so far. A response moving up does not pop them: work that
    /// goes on after a timeout still needs the frames below the point of failure.
    pub depth: u8,
    /// The caller's frame an attempt was sent from (attempts only).
    pub base: u8,
    /// Attempts sent so far (a parent), or which attempt this is, from 1 (an
    /// attempt). Only requests of callers with a call policy set it.
    pub attempt: u8,
    /// An attempt's parent: the request its caller holds, which keeps the
    /// one outcome ([`NO_SLOT`] for every other request), and the parent's
    /// generation.
    pub parent: u32,
    pub parent_gen: u32,
    /// A parent's attempt under way ([`NO_SLOT`]: none).
    pub child: u32,
    pub frames: [Frame; MAX_DEPTH],
}

impl Request {
    /// An attempt: a clone of its parent, sent by a caller with a call policy.
    #[inline]
    pub fn is_attempt(&self) -> bool {
        self.parent != NO_SLOT
    }
}

/// Slots for requests, reused after a request ends.
#[derive(Debug, Default)]
pub struct Arena {
    slots: Vec<Request>,
    free: Vec<u32>,
    live: usize,
}

impl Arena {
    /// A new request slot (reused when one is free).
    pub fn alloc(&mut self, kind: Kind, user: u32, born: Nanos, in_window: bool, sampled: bool) -> u32 {
        self.live += 1;
        let fresh = |generation| Request {
            generation,
            kind,
            user,
            born,
            in_window,
            sampled,
            number: 0,
            trace: NO_TRACE,
            finished: false,
            failure: None,
            key: NO_KEY,
            cache_miss: false,
            session_call: false,
            region: None,
            mobile: false,
            lines: 1,
            depth: 0,
            base: 0,
            attempt: 0,
            parent: NO_SLOT,
            parent_gen: 0,
            child: NO_SLOT,
            frames: [EMPTY_FRAME; MAX_DEPTH],
        };
        match self.free.pop() {
            Some(i) => {
                let slot = &mut self.slots[i as usize];
                let generation = slot.generation.wrapping_add(1);
                // Only the header needs resetting; frames above `depth` are never read.
                slot.generation = generation;
                slot.kind = kind;
                slot.user = user;
                slot.born = born;
                slot.in_window = in_window;
                slot.sampled = sampled;
                slot.trace = NO_TRACE;
                slot.finished = false;
                slot.failure = None;
                slot.key = NO_KEY;
                slot.cache_miss = false;
                slot.session_call = false;
                slot.region = None;
                slot.mobile = false;
                slot.lines = 1;
                slot.depth = 0;
                // `base`, `attempt` and `parent_gen` are set where they are read.
                slot.parent = NO_SLOT;
                slot.child = NO_SLOT;
                i
            }
            None => {
                self.slots.push(fresh(0));
                (self.slots.len() - 1) as u32
            }
        }
    }

    pub fn free(&mut self, id: u32) {
        debug_assert!(self.slots[id as usize].lines == 0);
        self.live -= 1;
        self.free.push(id);
    }

    #[inline]
    pub fn get(&self, id: u32) -> &Request {
        &self.slots[id as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, id: u32) -> &mut Request {
        &mut self.slots[id as usize]
    }

    /// Asks the processor to bring the slot of `id` (its header and frame
    /// `frame`) into the cache, ahead of the event that will read them: a
    /// hint only, which changes no result. A large design's slots do not
    /// all fit in the cache, and each event would otherwise wait for its
    /// request's memory.
    #[inline(always)]
    pub fn prefetch(&self, id: u32, frame: u8) {
        if let Some(slot) = self.slots.get(id as usize) {
            // The fields other than the frames lie at both ends of the slot
            // (the compiler's layout); the frame the event is about, between.
            crate::base::prefetch::prefetch(slot);
            crate::base::prefetch::prefetch(&slot.generation);
            crate::base::prefetch::prefetch(&slot.mobile);
            crate::base::prefetch::prefetch(&slot.frames[(frame as usize).min(MAX_DEPTH - 1)]);
        }
    }

    /// Requests currently alive.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Slots ever created (live plus free): the arena's memory high-water mark.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Live requests (slot, request) — for the rare events that must find every
    /// request at a node, such as a crash.
    pub fn live_ids(&self) -> Vec<u32> {
        let free: std::collections::HashSet<u32> = self.free.iter().copied().collect();
        (0..self.slots.len() as u32).filter(|i| !free.contains(i)).collect()
    }

    /// Open requests (no outcome yet) from users node `users`, oldest first,
    /// as (slot, generation); their attempts are not requests of their own.
    /// A slot is live while a line holds it.
    pub fn open_from(&self, users: u16) -> Vec<(u32, u32)> {
        let mut open: Vec<(Nanos, u64, u32, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, r)| r.lines > 0 && !r.finished && r.depth > 0 && r.frames[0].node == users && !r.is_attempt())
            .map(|(i, r)| (r.born, r.number, i as u32, r.generation))
            .collect();
        crate::base::order::sort(&mut open);
        open.into_iter().map(|(_, _, slot, generation)| (slot, generation)).collect()
    }

    /// Live requests that count in the statistics window and have not yet reached
    /// an outcome (their source has not heard back). Counted by scanning, as an
    /// independent check on the running counters. Attempts are not requests.
    pub fn count_open_in_window(&self) -> u64 {
        let free: std::collections::HashSet<u32> = self.free.iter().copied().collect();
        (0..self.slots.len() as u32)
            .filter(|i| !free.contains(i))
            .map(|i| &self.slots[i as usize])
            .filter(|r| r.in_window && !r.finished && !r.is_attempt())
            .count() as u64
    }

    /// Calls of web servers with a call policy (attempts sent from a frame
    /// below the users'), for requests born in the statistics window, that
    /// have not ended yet.
    pub fn count_open_calls_in_window(&self) -> u64 {
        let free: std::collections::HashSet<u32> = self.free.iter().copied().collect();
        (0..self.slots.len() as u32)
            .filter(|i| !free.contains(i))
            .map(|i| &self.slots[i as usize])
            .filter(|r| r.in_window && !r.finished && r.is_attempt() && r.base > 0)
            .count() as u64
    }

    /// Attempts of users' requests born in the statistics window that have
    /// not ended yet (no answer, no timeout), counted by scanning: the check
    /// of `sent = ok + failed + open` for attempts.
    pub fn count_open_attempts_in_window(&self) -> u64 {
        let free: std::collections::HashSet<u32> = self.free.iter().copied().collect();
        (0..self.slots.len() as u32)
            .filter(|i| !free.contains(i))
            .map(|i| &self.slots[i as usize])
            .filter(|r| r.in_window && !r.finished && r.is_attempt() && r.base == 0)
            .count() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes the hot path is tuned for: every request slot is one
    /// `Request`, and every hop copies a `Frame`. A change that grows either
    /// should be deliberate (and benchmarked), so it has to change this test.
    #[test]
    fn requests_and_frames_keep_their_size() {
        let (request, frame) = (std::mem::size_of::<Request>(), std::mem::size_of::<Frame>());
        eprintln!("Request {request} bytes, Frame {frame} bytes");
        assert_eq!((request, frame), (256, 24), "on a 64-bit machine");
    }

    /// Per-cause arrays (totals, the live window, each second of the series)
    /// are indexed by the cause's number, so `ALL` lists them in that order
    /// and names are unique.
    #[test]
    fn every_cause_is_listed_at_its_number_with_its_own_name() {
        for (i, c) in Cause::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{c:?}");
            assert_eq!(serde_json::to_value(c).unwrap(), c.name(), "the report and the serialised cause agree");
        }
        let names: std::collections::HashSet<&str> = Cause::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(names.len(), Cause::COUNT);
    }
}
