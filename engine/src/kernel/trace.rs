//! Request traces: the path of one request, hop by hop, and where its time went.
//!
//! A traced request keeps a list of marks, one each time it moves: onto a wire
//! (down, or back up with the response), into a queue, into and out of
//! service, failing, and reaching its users again. [`interpret`] turns the
//! marks into visits, one per node the request entered, each with its time on
//! the wires to and from it, queued, in service, and waiting for the nodes it
//! called. Every instant between the request's birth and its end is counted in
//! exactly one visit's network, queueing or service time, so those parts add
//! up to the request's latency; a visit's waiting time is the time its callees
//! held the request (their parts), shown beside but not added again.
//!
//! Only some requests are traced, and tracing changes nothing in the run: one
//! request in [`BREAKDOWN_EVERY`], chosen by a hash of its number (never a
//! random draw, and with no period a balancer's rotation could line up with) for
//! the latency breakdown, the requests the animation follows (so a clicked
//! particle has a trace), and the one asked for with
//! [`Simulation::trace_next`](crate::kernel::sim::Simulation::trace_next).

use crate::base::time::Nanos;
use crate::blocks::geo::Region;
use crate::blocks::request::{Cause, Kind};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One request in this many (by number) is traced for the latency breakdown.
/// Counted by callgrind, tracing one in four cost the M/M/1 benchmark 16%
/// more instructions; one in eight costs 10% (6% on the tiers benchmark) and
/// still gives hundreds of requests a minute at modest traffic.
pub const BREAKDOWN_EVERY: u32 = 8;
/// Finished traces of followed requests kept for lookups by number (a click
/// on a particle that has just arrived still finds its request).
pub const KEPT_TRACES: usize = 512;

/// A traced request's moves, in the order they happened.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Mark {
    /// On the wire towards `node`, which it enters as frame `depth`: leaves at
    /// `start` (a DNS lookup before the connection counts as network), arrives at `end`.
    Down {
        depth: u8,
        node: u16,
        start: Nanos,
        end: Nanos,
    },
    Queued {
        depth: u8,
        at: Nanos,
    },
    ServiceStart {
        depth: u8,
        at: Nanos,
    },
    ServiceEnd {
        depth: u8,
        at: Nanos,
    },
    /// The response leaves frame `depth` at `start` and reaches the frame above at `end`.
    Up {
        depth: u8,
        start: Nanos,
        end: Nanos,
    },
    Failed {
        node: u16,
        cause: Cause,
    },
    Finished {
        at: Nanos,
    },
    /// The users gave up waiting (cause `client_timeout`): the request ends
    /// here for them, wherever it is, whatever failed before.
    GaveUp {
        at: Nanos,
    },
    /// The caller's attempt passed its timeout (`CallPolicy::attempt_timeout_ms`):
    /// the caller stops waiting for it, wherever it is. The work below goes
    /// on for nobody, and its marks stop here.
    AttemptEnded {
        /// The caller's frame (0: the users; a web server's calls below).
        depth: u8,
        at: Nanos,
    },
    /// The caller's attempt failed and it retries: it waits from `start` to
    /// `end` (its backoff), then sends the next attempt.
    Backoff {
        /// The caller's frame (0: the users; a web server's calls below).
        depth: u8,
        start: Nanos,
        end: Nanos,
    },
    /// A web server's call waits for a connection of its pool from `start`
    /// until the next mark (it is sent, it waited too long, or its caller
    /// gave up on it).
    Pool {
        /// The caller's frame.
        depth: u8,
        start: Nanos,
    },
}

/// The marks of one traced request.
#[derive(Clone, Debug)]
pub(crate) struct TraceBuf {
    pub number: u64,
    pub kind: Kind,
    pub region: Option<Region>,
    pub born: Nanos,
    /// The users node it came from.
    pub source: u16,
    /// Counted in the latency breakdown when it succeeds.
    pub breakdown: bool,
    /// Kept after it ends, for lookups by number.
    pub keep: bool,
    pub marks: Vec<Mark>,
}

/// The traces in progress and the finished ones kept.
#[derive(Debug, Default)]
pub(crate) struct TraceBook {
    bufs: Vec<TraceBuf>,
    free: Vec<u32>,
    kept: VecDeque<TraceBuf>,
    /// Spare mark lists, from traces dropped from `kept`.
    spare: Vec<Vec<Mark>>,
    /// The next request born is to be traced and kept (`trace_next`).
    pub want_next: bool,
    /// The number of the request traced for the last `trace_next`.
    pub asked: Option<u64>,
    /// Its trace once it has ended (kept apart, so many followed requests
    /// ending after it cannot push it out).
    asked_ended: Option<TraceBuf>,
    /// In-progress trace of each followed request, by number (for lookups).
    live: std::collections::HashMap<u64, u32>,
}

impl TraceBook {
    /// Starts a trace; returns its index for `Request::trace`.
    pub fn start(&mut self, number: u64, kind: Kind, born: Nanos, source: u16, breakdown: bool, keep: bool) -> u32 {
        let i = match self.free.pop() {
            Some(i) => i,
            None => {
                let marks = self.spare.pop().unwrap_or_default();
                self.bufs.push(TraceBuf { number, kind, region: None, born, source, breakdown, keep, marks });
                (self.bufs.len() - 1) as u32
            }
        };
        let b = &mut self.bufs[i as usize];
        if b.marks.capacity() == 0 {
            if let Some(s) = self.spare.pop() {
                b.marks = s;
            }
        }
        b.marks.clear();
        (b.number, b.kind, b.region, b.born, b.source, b.breakdown, b.keep) =
            (number, kind, None, born, source, breakdown, keep);
        if keep {
            self.live.insert(number, i);
        }
        i
    }

    #[inline]
    pub fn push(&mut self, trace: u32, mark: Mark) {
        self.bufs[trace as usize].marks.push(mark);
    }

    pub fn get(&self, trace: u32) -> &TraceBuf {
        &self.bufs[trace as usize]
    }

    pub fn get_mut(&mut self, trace: u32) -> &mut TraceBuf {
        &mut self.bufs[trace as usize]
    }

    /// The request has ended: its slot is free again; a followed request's
    /// marks are kept (the oldest kept trace is dropped when there are too many).
    pub fn end(&mut self, trace: u32) {
        let buf = &mut self.bufs[trace as usize];
        if buf.keep {
            let number = buf.number;
            let kept = TraceBuf { marks: std::mem::take(&mut buf.marks), ..buf.clone() };
            self.live.remove(&number);
            if self.asked == Some(number) {
                self.asked_ended = Some(kept.clone());
            }
            if self.kept.len() == KEPT_TRACES {
                if let Some(old) = self.kept.pop_front() {
                    self.spare.push(old.marks);
                }
            }
            self.kept.push_back(kept);
        }
        self.free.push(trace);
    }

    /// Keeps request `number`'s trace as the asked one (see `Simulation::follow_trace`).
    pub fn follow(&mut self, number: u64) -> bool {
        if self.live.contains_key(&number) {
            self.asked = Some(number);
            self.asked_ended = None;
            return true;
        }
        match self.kept.iter().rev().find(|b| b.number == number) {
            Some(b) => {
                self.asked_ended = Some(b.clone());
                self.asked = Some(number);
                true
            }
            None => false,
        }
    }

    /// A followed request's trace, in progress or finished.
    pub fn find(&self, number: u64) -> Option<&TraceBuf> {
        if let Some(&i) = self.live.get(&number) {
            return Some(&self.bufs[i as usize]);
        }
        if let Some(b) = self.asked_ended.as_ref().filter(|b| b.number == number) {
            return Some(b);
        }
        self.kept.iter().rev().find(|b| b.number == number)
    }
}

/// One node a request entered, as [`interpret`] reads it from the marks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Visit {
    pub slot: u16,
    pub depth: u8,
    pub arrived: Nanos,
    /// When the request stopped being here for its caller: the response left,
    /// or the caller gave up. `None` while it is still here (in flight).
    pub until: Option<Nanos>,
    /// The response left this node (false: still here, or abandoned when a
    /// node above timed out).
    pub answered: bool,
    /// Time on the wires to this node and back from it.
    pub network: Nanos,
    pub queued: Nanos,
    pub service: Nanos,
    /// The caller's waits before its retries (the users' visit).
    pub backoff: Nanos,
    /// A web server's waits for a connection of its pool.
    pub pool: Nanos,
    /// Which attempt of the request entered this node (1: the first).
    pub attempt: u8,
    pub failed: Option<Cause>,
}

impl Visit {
    /// Time the request spent below this node, in the nodes it called (and on their wires).
    pub fn waiting(&self, now: Nanos) -> Nanos {
        let until = self.until.unwrap_or(now);
        until.saturating_sub(self.arrived).saturating_sub(self.queued + self.service + self.backoff + self.pool)
    }
}

/// What the marks say about a request.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Reading {
    pub visits: Vec<Visit>,
    pub finished: Option<Nanos>,
    /// Where and why it failed (the first failure).
    pub failure: Option<(u16, Cause)>,
    /// Scratch: the visit at each frame of the current path (kept to reuse its memory).
    open: Vec<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// On the wire into visit `v` (the active one), arriving at `arrive`.
    Entering {
        v: usize,
        arrive: Nanos,
    },
    /// The response of visit `v` on its wire to the active visit, arriving at `arrive`.
    Returning {
        v: usize,
        arrive: Nanos,
    },
    Queued,
    /// In service, or at the node between its own steps (which take no time).
    Working,
    /// The caller waits to retry.
    Backoff,
    /// The caller waits for a pooled connection.
    Pool,
}

/// Reads the marks of a request born at `born` at users node `source` into
/// visits, counting the time up to `now` for a request still in flight.
///
/// Marks of work that goes on after a caller gave up (deeper than the frame
/// the response is at) are skipped: the user no longer waits for them.
pub(crate) fn interpret(buf: &TraceBuf, now: Nanos, out: &mut Reading) {
    out.visits.clear();
    out.finished = None;
    out.failure = None;
    let root = Visit {
        slot: buf.source,
        depth: 0,
        arrived: buf.born,
        until: None,
        answered: false,
        network: 0,
        queued: 0,
        service: 0,
        backoff: 0,
        pool: 0,
        attempt: 1,
        failed: None,
    };
    out.visits.push(root);
    // open[d]: the visit at frame d on the request's current path.
    let mut open = std::mem::take(&mut out.open);
    open.clear();
    open.push(0);
    let mut phase = Phase::Working;
    let mut last = buf.born;
    // Every visit under way below `depth` ends at `at` (an attempt past its
    // timeout, users giving up), as below a timeout.
    let cut_below = |visits: &mut Vec<Visit>, open: &mut Vec<usize>, depth: usize, at: Nanos| {
        while open.len() > depth + 1 {
            let v = open.pop().expect("deeper than the root");
            let visit = &mut visits[v];
            visit.until = Some(at);
            visit.arrived = visit.arrived.min(at);
        }
    };
    let settle = |visits: &mut Vec<Visit>, open: &[usize], phase: &mut Phase, last: &mut Nanos, until: Nanos| {
        if until <= *last {
            return;
        }
        let active = *open.last().expect("the root visit stays open");
        match *phase {
            Phase::Entering { v, arrive } | Phase::Returning { v, arrive } => {
                let a = arrive.clamp(*last, until);
                visits[v].network += a - *last;
                visits[active].service += until - a;
                if until >= arrive {
                    *phase = Phase::Working;
                }
            }
            Phase::Queued => visits[active].queued += until - *last,
            Phase::Working => visits[active].service += until - *last,
            Phase::Backoff => visits[active].backoff += until - *last,
            Phase::Pool => visits[active].pool += until - *last,
        }
        *last = until;
    };
    let mut attempt = 1u8;
    for &mark in &buf.marks {
        let depth = open.len() - 1;
        match mark {
            Mark::Down { depth: d, node, start, end } => {
                if d as usize != depth + 1 {
                    continue; // work below a caller that gave up
                }
                settle(&mut out.visits, &open, &mut phase, &mut last, start);
                out.visits.push(Visit { slot: node, depth: d, arrived: end, attempt, ..root });
                open.push(out.visits.len() - 1);
                phase = Phase::Entering { v: out.visits.len() - 1, arrive: end };
            }
            Mark::Queued { depth: d, at } | Mark::ServiceStart { depth: d, at } | Mark::ServiceEnd { depth: d, at } => {
                if d as usize != depth {
                    continue;
                }
                settle(&mut out.visits, &open, &mut phase, &mut last, at);
                phase = if matches!(mark, Mark::Queued { .. }) { Phase::Queued } else { Phase::Working };
            }
            Mark::Up { depth: d, start, end } => {
                let d = d as usize;
                if d > depth || d == 0 {
                    continue;
                }
                settle(&mut out.visits, &open, &mut phase, &mut last, start);
                // Deeper visits were cut off: a node above gave up on them.
                while open.len() > d + 1 {
                    let v = open.pop().expect("deeper than d");
                    let visit = &mut out.visits[v];
                    visit.until = Some(start);
                    // Still on the wire when its caller gave up: it never got there.
                    visit.arrived = visit.arrived.min(start);
                }
                let v = open.pop().expect("the visit at d");
                out.visits[v].until = Some(start);
                out.visits[v].answered = true;
                phase = Phase::Returning { v, arrive: end };
            }
            Mark::Failed { node, cause } => {
                if out.failure.is_none() {
                    out.failure = Some((node, cause));
                    if let Some(&v) = open.iter().rev().find(|&&v| out.visits[v].slot == node) {
                        out.visits[v].failed = Some(cause);
                    }
                }
            }
            Mark::Finished { at } => {
                settle(&mut out.visits, &open, &mut phase, &mut last, at);
                out.visits[0].until = Some(at);
                out.visits[0].answered = true;
                out.finished = Some(at);
            }
            Mark::AttemptEnded { depth: d, at } => {
                if d as usize > depth {
                    continue; // below a caller that gave up already
                }
                settle(&mut out.visits, &open, &mut phase, &mut last, at);
                // The attempt's visits are cut off, as below a timeout; the
                // caller (users, or a web server) holds the request again.
                cut_below(&mut out.visits, &mut open, d as usize, at);
                phase = Phase::Working;
            }
            Mark::Backoff { depth: d, start, .. } => {
                if d as usize != depth {
                    continue;
                }
                settle(&mut out.visits, &open, &mut phase, &mut last, start);
                // The failed attempt is behind: the request's outcome is
                // decided by a later one (its failure stays on its visits).
                out.failure = None;
                // The users' attempts are numbered; a web server's retries
                // of its calls are not the request's attempts.
                if d == 0 {
                    attempt = attempt.saturating_add(1);
                }
                phase = Phase::Backoff;
            }
            Mark::Pool { depth: d, start } => {
                if d as usize != depth {
                    continue;
                }
                settle(&mut out.visits, &open, &mut phase, &mut last, start);
                phase = Phase::Pool;
            }
            Mark::GaveUp { at } => {
                settle(&mut out.visits, &open, &mut phase, &mut last, at);
                // Every visit under way is cut off, as below a timeout.
                cut_below(&mut out.visits, &mut open, 0, at);
                out.visits[0].until = Some(at);
                out.visits[0].failed = Some(Cause::ClientTimeout);
                out.failure = Some((buf.source, Cause::ClientTimeout));
                out.finished = Some(at);
            }
        }
    }
    if out.finished.is_none() {
        settle(&mut out.visits, &open, &mut phase, &mut last, now);
    }
    out.open = open;
}

/// Where a traced request stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TraceOutcome {
    InFlight,
    Ok,
    Failed {
        cause: Cause,
        /// The node where it failed.
        at: String,
    },
}

/// One node on a traced request's path (times in milliseconds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceHop {
    pub node: String,
    pub kind: crate::model::kinds::NodeKind,
    /// 0 for the users, 1 for the first node they reach, and so on.
    pub depth: u8,
    /// Arrival here, from the request's birth.
    pub arrived_ms: f64,
    /// On the wires to this node and back.
    pub network_ms: f64,
    pub queued_ms: f64,
    pub service_ms: f64,
    /// Waiting for the nodes this one called.
    pub waiting_ms: f64,
    /// The response left (false: still here, or its caller gave up on it).
    pub answered: bool,
    /// The request failed here, and why.
    pub failed: Option<Cause>,
    /// Which attempt of the request this is (left out for the first).
    #[serde(default = "first", skip_serializing_if = "is_first")]
    pub attempt: u8,
    /// The waits before retries made from this hop (the users' before their
    /// attempts, a web server's before its calls'), left out when none.
    #[serde(default, skip_serializing_if = "is_zero_ms")]
    pub backoff_ms: f64,
    /// The time a web server's calls waited for a connection of its pool
    /// (part of the whole, like the backoff), left out when none.
    #[serde(default, skip_serializing_if = "is_zero_ms")]
    pub pool_ms: f64,
}

/// What a left-out `attempt` was.
fn first() -> u8 {
    1
}

fn is_first(n: &u8) -> bool {
    *n <= 1
}

fn is_zero_ms(x: &f64) -> bool {
    *x == 0.0
}

/// A request's path, hop by hop, and its outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    pub number: u64,
    pub kind: Kind,
    pub region: Option<Region>,
    pub born_s: f64,
    pub outcome: TraceOutcome,
    /// End to end, once it has ended; so far, while in flight.
    pub latency_ms: f64,
    pub hops: Vec<TraceHop>,
}

const MS: f64 = 1e6;

/// The public trace of `buf`, with node ids and kinds from `name(slot)`.
pub(crate) fn to_trace(
    buf: &TraceBuf,
    now: Nanos,
    name: impl Fn(u16) -> (String, crate::model::kinds::NodeKind),
) -> Trace {
    let mut r = Reading::default();
    interpret(buf, now, &mut r);
    let end = r.finished.unwrap_or(now);
    let outcome = match (r.finished, r.failure) {
        (None, _) => TraceOutcome::InFlight,
        (Some(_), None) => TraceOutcome::Ok,
        (Some(_), Some((node, cause))) => TraceOutcome::Failed { cause, at: name(node).0 },
    };
    let hops = r
        .visits
        .iter()
        .map(|v| {
            let (node, kind) = name(v.slot);
            TraceHop {
                node,
                kind,
                depth: v.depth,
                arrived_ms: (v.arrived.saturating_sub(buf.born)) as f64 / MS,
                network_ms: v.network as f64 / MS,
                queued_ms: v.queued as f64 / MS,
                service_ms: v.service as f64 / MS,
                waiting_ms: v.waiting(end) as f64 / MS,
                answered: v.answered,
                failed: v.failed,
                attempt: v.attempt,
                backoff_ms: v.backoff as f64 / MS,
                pool_ms: v.pool as f64 / MS,
            }
        })
        .collect();
    Trace {
        number: buf.number,
        kind: buf.kind,
        region: buf.region,
        born_s: buf.born as f64 / 1e9,
        outcome,
        latency_ms: end.saturating_sub(buf.born) as f64 / MS,
        hops,
    }
}

impl crate::kernel::sim::Simulation {
    /// Traces the next request born (whatever its number), so the page can
    /// show one request's path on demand; read it with [`asked_trace`](Self::asked_trace).
    pub fn trace_next(&mut self) {
        self.traces.want_next = true;
        self.traces.asked = None;
    }

    /// Follows request `number` (a clicked dot) the way [`trace_next`](Self::trace_next)
    /// follows the next one: its trace stays readable with
    /// [`asked_trace`](Self::asked_trace) however many requests end after it.
    /// False when that request was not traced or its trace is gone.
    pub fn follow_trace(&mut self, number: u64) -> bool {
        self.traces.want_next = false;
        self.traces.follow(number)
    }

    /// The request traced for the last [`trace_next`](Self::trace_next) (or
    /// followed with [`follow_trace`](Self::follow_trace)), in flight or ended
    /// (`None` until it is born).
    pub fn asked_trace(&self) -> Option<Trace> {
        self.trace(self.traces.asked?)
    }

    /// The trace of request `number`, if it was followed: the animation's
    /// requests (the number is on each [`Hop`](crate::metrics::hops::Hop)) and the one
    /// asked for. Ended ones are kept for the last [`KEPT_TRACES`].
    pub fn trace(&self, number: u64) -> Option<Trace> {
        let buf = self.traces.find(number)?;
        Some(to_trace(buf, self.now(), |slot| {
            (self.net.nodes[slot as usize].id.clone(), self.net.nodes[slot as usize].kind)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buf(marks: Vec<Mark>) -> TraceBuf {
        TraceBuf {
            number: 0,
            kind: Kind::Read,
            region: None,
            born: 100,
            source: 0,
            breakdown: true,
            keep: false,
            marks,
        }
    }

    fn total(r: &Reading) -> Nanos {
        r.visits.iter().map(|v| v.network + v.queued + v.service).sum()
    }

    #[test]
    fn a_call_through_a_server_to_a_database_splits_into_its_parts() {
        // users -> web (queued 5, served 10) -> db (served 20) -> back.
        let b = buf(vec![
            Mark::Down { depth: 1, node: 1, start: 100, end: 101 },
            Mark::Queued { depth: 1, at: 101 },
            Mark::ServiceStart { depth: 1, at: 106 },
            Mark::ServiceEnd { depth: 1, at: 116 },
            Mark::Down { depth: 2, node: 2, start: 116, end: 118 },
            Mark::ServiceStart { depth: 2, at: 118 },
            Mark::ServiceEnd { depth: 2, at: 138 },
            Mark::Up { depth: 2, start: 138, end: 140 },
            Mark::Up { depth: 1, start: 140, end: 141 },
            Mark::Finished { at: 141 },
        ]);
        let mut r = Reading::default();
        interpret(&b, 1000, &mut r);
        assert_eq!(r.finished, Some(141));
        let web = r.visits[1];
        let db = r.visits[2];
        assert_eq!((web.network, web.queued, web.service), (2, 5, 10));
        assert_eq!((db.network, db.queued, db.service), (4, 0, 20));
        assert_eq!(web.waiting(141), 24, "the database's 20 ms and its wires");
        assert_eq!(total(&r), 41);
        assert_eq!(r.visits[0].waiting(141), 41);
    }

    #[test]
    fn a_timeout_above_cuts_the_work_below_and_skips_what_it_does_later() {
        // The web server gives up at 150 while the database still queues it.
        let b = buf(vec![
            Mark::Down { depth: 1, node: 1, start: 100, end: 101 },
            Mark::ServiceStart { depth: 1, at: 101 },
            Mark::ServiceEnd { depth: 1, at: 111 },
            Mark::Down { depth: 2, node: 2, start: 111, end: 112 },
            Mark::Queued { depth: 2, at: 112 },
            Mark::Failed { node: 1, cause: Cause::Timeout },
            Mark::Up { depth: 1, start: 150, end: 151 },
            // The orphan goes on below: none of this counts.
            Mark::ServiceStart { depth: 2, at: 160 },
            Mark::ServiceEnd { depth: 2, at: 170 },
            Mark::Up { depth: 2, start: 170, end: 171 },
            Mark::Finished { at: 151 },
        ]);
        let mut r = Reading::default();
        interpret(&b, 1000, &mut r);
        let db = r.visits[2];
        assert_eq!((db.network, db.queued, db.service, db.until, db.answered), (1, 38, 0, Some(150), false));
        assert_eq!(r.failure, Some((1, Cause::Timeout)));
        assert_eq!(r.visits[1].failed, Some(Cause::Timeout));
        assert_eq!(total(&r), 51);
    }

    #[test]
    fn a_timeout_while_the_request_is_still_on_the_wire_counts_only_the_wire_so_far() {
        let b = buf(vec![
            Mark::Down { depth: 1, node: 1, start: 100, end: 100 },
            Mark::ServiceStart { depth: 1, at: 100 },
            Mark::ServiceEnd { depth: 1, at: 110 },
            Mark::Down { depth: 2, node: 2, start: 110, end: 200 },
            Mark::Up { depth: 1, start: 130, end: 131 },
            Mark::Finished { at: 131 },
        ]);
        let mut r = Reading::default();
        interpret(&b, 1000, &mut r);
        assert_eq!(r.visits[2].network, 20);
        assert_eq!(total(&r), 31);
    }

    #[test]
    fn users_giving_up_cut_every_visit_and_name_the_outcome() {
        // A server timed out at 150 and its failure is on the wire back when
        // the users give up at 151; the database still works below.
        let b = buf(vec![
            Mark::Down { depth: 1, node: 1, start: 100, end: 101 },
            Mark::ServiceStart { depth: 1, at: 101 },
            Mark::ServiceEnd { depth: 1, at: 111 },
            Mark::Down { depth: 2, node: 2, start: 111, end: 112 },
            Mark::Queued { depth: 2, at: 112 },
            Mark::Failed { node: 1, cause: Cause::Timeout },
            Mark::Up { depth: 1, start: 150, end: 160 },
            Mark::GaveUp { at: 155 },
        ]);
        let mut r = Reading::default();
        interpret(&b, 1000, &mut r);
        assert_eq!(r.finished, Some(155));
        assert_eq!(r.failure, Some((0, Cause::ClientTimeout)), "what the users saw");
        assert_eq!(r.visits[0].failed, Some(Cause::ClientTimeout));
        assert_eq!(r.visits[1].failed, Some(Cause::Timeout), "the server did time out");
        assert_eq!(r.visits[1].network, 1 + 5, "the wire down, and the answer's wire until the users left");
        assert_eq!(total(&r), 55);

        // Given up while queued two levels down: the visits under way end there.
        let b = buf(vec![
            Mark::Down { depth: 1, node: 1, start: 100, end: 101 },
            Mark::ServiceStart { depth: 1, at: 101 },
            Mark::ServiceEnd { depth: 1, at: 111 },
            Mark::Down { depth: 2, node: 2, start: 111, end: 112 },
            Mark::Queued { depth: 2, at: 112 },
            Mark::GaveUp { at: 200 },
        ]);
        interpret(&b, 1000, &mut r);
        let db = r.visits[2];
        assert_eq!((db.queued, db.until, db.answered), (88, Some(200), false));
        assert_eq!((r.visits[1].until, r.visits[1].answered), (Some(200), false));
        assert_eq!(total(&r), 100);
    }

    #[test]
    fn a_request_in_flight_is_counted_up_to_now() {
        let b = buf(vec![Mark::Down { depth: 1, node: 1, start: 100, end: 105 }, Mark::Queued { depth: 1, at: 105 }]);
        let mut r = Reading::default();
        interpret(&b, 125, &mut r);
        assert_eq!(r.finished, None);
        assert_eq!((r.visits[1].network, r.visits[1].queued, r.visits[1].until), (5, 20, None));
        assert_eq!(total(&r), 25);
    }

    #[test]
    fn the_book_reuses_slots_and_keeps_only_followed_requests() {
        let mut book = TraceBook::default();
        let a = book.start(7, Kind::Read, 0, 0, true, false);
        let b = book.start(8, Kind::Read, 0, 0, false, true);
        book.push(b, Mark::Finished { at: 5 });
        assert!(book.find(7).is_none(), "not followed");
        assert_eq!(book.find(8).unwrap().marks.len(), 1, "in flight");
        book.end(a);
        book.end(b);
        assert_eq!(book.find(8).unwrap().marks, vec![Mark::Finished { at: 5 }], "kept after its end");
        let c = book.start(9, Kind::Read, 0, 0, false, false);
        assert!(c == a || c == b, "a slot is reused");
        for n in 0..KEPT_TRACES as u64 + 1 {
            let t = book.start(100 + n, Kind::Read, 0, 0, false, true);
            book.end(t);
        }
        assert!(book.find(8).is_none(), "the oldest kept trace goes");
        assert!(book.find(100 + KEPT_TRACES as u64).is_some());
    }
}
