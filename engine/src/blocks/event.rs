//! The future-event list: a priority queue ordered by time, then by the order in
//! which events were scheduled. The tie-breaker makes runs deterministic: two events
//! at the same nanosecond always run in the order they were created.

use crate::base::time::Nanos;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// What happens at an event. Indices refer to the simulation's node table and
/// request arena; a request index is always paired with the generation it had
/// when the event was scheduled where the request could be gone by then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The traffic source `node` emits its next request (ignored if the source's
    /// rate changed since: `epoch` no longer matches).
    Arrival { node: u16, epoch: u32 },
    /// Request `req` arrives at the node of its path frame `frame` after crossing
    /// a wire: going down (a request) or up (its response).
    Deliver { req: u32, frame: u8, up: bool },
    /// A worker at station `node` finishes serving request `req` (its frame `frame`).
    ServiceDone { node: u16, req: u32, frame: u8 },
    /// Station `node` checks for requests past their deadline.
    DeadlineSweep { node: u16 },
    /// Users `node` give up on the requests they have waited for too long.
    GiveUpSweep { node: u16 },
    /// Caller `node` ends the attempts that passed their timeout.
    AttemptSweep { node: u16 },
    /// Request `req` (while its generation is `generation`) is retried: its
    /// caller (at its frame `frame`: 0 for users) sends its next attempt.
    Retry { req: u32, generation: u32, frame: u8 },
    /// Load balancer `node` probes its servers (ignored if its health-check
    /// settings changed since: `epoch` no longer matches).
    HealthCheck { node: u16, epoch: u32 },
    /// The standby of balancer pair `node` takes over from the failed one.
    Takeover { node: u16 },
    /// The failover time of failed primary `node` has passed: promote a replica.
    Promote { node: u16 },
    /// The scenario's scheduled fault number `index` happens.
    ScheduledFault { index: u32 },
    /// Worker `worker` of pool `node` finishes its job (ignored if the pool has
    /// crashed since: `incarnation` no longer matches).
    JobDone { node: u16, worker: u32, incarnation: u16 },
    /// Autoscaling group `node` checks its load or has machines ready (ignored
    /// if its settings changed since: `epoch` no longer matches).
    Autoscale { node: u16, epoch: u32 },
    /// The latency spike at station `node` ends (ignored if a fault that sets
    /// its speed came since: `epoch` no longer matches).
    SpikeEnd { node: u16, epoch: u32 },
    /// A simulated second ends: the per-second series takes a point.
    Tick,
    /// The warm-up ends: statistics start from here.
    WarmupEnd,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Time in the high 64 bits, sequence number in the low 64: one comparison.
    key: u128,
    event: Event,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap is a max-heap and we want the earliest first.
        other.key.cmp(&self.key)
    }
}

/// A lane's first entry, in the small heap of lane heads.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    key: u128,
    lane: u32,
}
impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A first-in first-out run of events whose keys only grow.
#[derive(Debug)]
struct Lane {
    delay: Nanos,
    entries: VecDeque<Entry>,
}

/// Events the sorted list holds before the list switches to the heap for good.
const SMALL_MAX: usize = 16;
/// At most this many lanes; network hops with other delays use the heap.
const MAX_LANES: usize = 32;
/// Heap size from which hops go to lanes.
const LANES_FROM: usize = 64;

/// Deterministic future-event list.
///
/// Events come out strictly by (time, scheduling order). Most of them are
/// network hops (`Deliver`), and a wire's delay is a constant, so hops
/// scheduled with the same delay are due in the order they were scheduled:
/// they wait in a first-in first-out lane per delay, and only each lane's first
/// event takes part in a (small) heap of lane heads. Everything else (service
/// completions, timers) sits in a binary heap. Profiling the lesson-13
/// architecture showed the binary heap holding every hop under way (tens of
/// thousands of entries) and taking a third of all instructions; a radix heap
/// was tried and was slower (each event moved down its buckets as often as a
/// heap sifts it). Until the list first holds more than `SMALL_MAX` events it
/// is one sorted `Vec` instead (an M/M/1 model holds three): taking the
/// earliest out is then one `pop`, without the heap's unpredictable
/// comparisons (M/M/1 measured 5% faster).
#[derive(Debug, Default)]
pub struct EventQueue {
    /// While the list is small (`big` false), its events sorted by key, the
    /// earliest last: taking one out is a `Vec::pop`, filing one a short scan.
    small: Vec<Entry>,
    /// Whether the list outgrew `small` and uses the heap (and lanes) since.
    big: bool,
    heap: BinaryHeap<Entry>,
    lanes: Vec<Lane>,
    heads: BinaryHeap<Head>,
    /// Time of the last event taken out: a hop's delay is its time minus this.
    now: Nanos,
    len: usize,
    next_seq: u64,
}

impl EventQueue {
    pub fn new() -> EventQueue {
        EventQueue::default()
    }

    #[inline(always)]
    pub fn schedule(&mut self, at: Nanos, event: Event) {
        let key = (at as u128) << 64 | self.next_seq as u128;
        self.next_seq += 1;
        self.len += 1;
        if !self.big {
            if self.small.len() < SMALL_MAX {
                self.put_in_small(key, event);
                return;
            }
            self.leave_small();
        }
        // A small heap is cheaper than the lanes' bookkeeping (an M/M/1 model
        // holds three events), so lanes start only when the heap is large.
        if let Event::Deliver { req, frame, up } = event {
            if self.heap.len() >= LANES_FROM && self.put_in_lane(key, at, req, frame, up) {
                return;
            }
        }
        self.heap.push(Entry { key, event });
    }

    /// Files an event in the sorted `small` (which has room for it). Inlined
    /// into `schedule`, itself inlined, so the event goes from the registers
    /// it was made in straight into the list: passed to a function out of
    /// line, an `Event` (12 bytes) goes through memory, stored field by field
    /// and loaded back in wider words, a load the processor cannot forward
    /// from those stores (M/M/1 1.5% faster, lesson 13 1.6%).
    #[inline(always)]
    fn put_in_small(&mut self, key: u128, event: Event) {
        // The slots of later events, from the earliest: most new events come
        // after only a few of them.
        let n = self.small.len();
        self.small.push(Entry { key, event });
        let mut i = n;
        while i > 0 && self.small[i - 1].key < key {
            self.small[i] = self.small[i - 1];
            i -= 1;
        }
        if i != n {
            self.small[i] = Entry { key, event };
        }
    }

    /// Moves the sorted `small` into the heap for good: the list has held
    /// more than `SMALL_MAX` events.
    #[cold]
    #[inline(never)]
    fn leave_small(&mut self) {
        self.big = true;
        self.heap.extend(self.small.drain(..));
    }

    /// Files a hop in the lane of its delay; false when it must go to the heap.
    /// Kept out of line so that `schedule` stays small enough to inline; the
    /// hop comes as its fields, in registers, for the reason `put_in_small`
    /// gives.
    #[inline(never)]
    fn put_in_lane(&mut self, key: u128, at: Nanos, req: u32, frame: u8, up: bool) -> bool {
        let entry = Entry { key, event: Event::Deliver { req, frame, up } };
        let Some(delay) = at.checked_sub(self.now) else { return false };
        if let Some(i) = self.lanes.iter().position(|l| l.delay == delay) {
            let lane = &mut self.lanes[i];
            // Keys in a lane must grow; the clock can run ahead of the last
            // event taken out (a stepped run stops between events), which could
            // break that, so check rather than assume.
            if lane.entries.back().is_some_and(|last| last.key > entry.key) {
                return false;
            }
            if lane.entries.is_empty() {
                self.heads.push(Head { key: entry.key, lane: i as u32 });
            }
            lane.entries.push_back(entry);
            true
        } else if self.lanes.len() < MAX_LANES {
            self.heads.push(Head { key: entry.key, lane: self.lanes.len() as u32 });
            self.lanes.push(Lane { delay, entries: VecDeque::from([entry]) });
            true
        } else {
            false
        }
    }

    /// Time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        if !self.big {
            return self.small.last().map(|e| (e.key >> 64) as Nanos);
        }
        let key = match (self.heap.peek(), self.heads.peek()) {
            (Some(e), Some(h)) => e.key.min(h.key),
            (Some(e), None) => e.key,
            (None, Some(h)) => h.key,
            (None, None) => return None,
        };
        Some((key >> 64) as Nanos)
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, Event)> {
        // Keys are below u128::MAX: the sequence number never reaches u64::MAX.
        self.take_below(u128::MAX)
    }

    /// Takes out the earliest event if it is due before `limit`: `peek_time`
    /// and `pop` in one look at the list's front.
    #[inline]
    pub fn pop_before(&mut self, limit: Nanos) -> Option<(Nanos, Event)> {
        self.take_below((limit as u128) << 64)
    }

    #[inline(always)]
    fn take_below(&mut self, limit: u128) -> Option<(Nanos, Event)> {
        let entry = if !self.big {
            match self.small.last() {
                Some(e) if e.key < limit => self.small.pop().expect("a last entry"),
                _ => return None,
            }
        } else {
            let (from_lane, first) = match (self.heap.peek(), self.heads.peek()) {
                (Some(e), Some(h)) if h.key < e.key => (true, h.key),
                (None, Some(h)) => (true, h.key),
                (Some(e), _) => (false, e.key),
                (None, None) => return None,
            };
            if first >= limit {
                return None;
            }
            if from_lane {
                let mut head = self.heads.peek_mut().expect("a lane head");
                let lane = &mut self.lanes[head.lane as usize].entries;
                let entry = lane.pop_front().expect("a lane with a head has entries");
                match lane.front() {
                    // The lane's next event replaces its head (one sift down).
                    Some(next) => head.key = next.key,
                    None => {
                        std::collections::binary_heap::PeekMut::pop(head);
                    }
                }
                entry
            } else {
                self.heap.pop().expect("a first entry")
            }
        };
        self.len -= 1;
        let at = (entry.key >> 64) as Nanos;
        self.now = at;
        Some((at, entry.event))
    }

    /// The request (and its frame) the earliest event is about, when the
    /// list is large (a small list's requests are in the cache anyway): the
    /// event loop fetches its memory while it runs the current event.
    #[inline]
    pub fn next_request(&self) -> Option<(u32, u8)> {
        if !self.big {
            return None;
        }
        let entry = match (self.heap.peek(), self.heads.peek()) {
            (Some(e), Some(h)) if h.key < e.key => self.lanes[h.lane as usize].entries.front()?,
            (None, Some(h)) => self.lanes[h.lane as usize].entries.front()?,
            (Some(e), _) => e,
            (None, None) => return None,
        };
        match entry.event {
            Event::Deliver { req, frame, .. } | Event::ServiceDone { req, frame, .. } => Some((req, frame)),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Events the list has room for without growing: its memory high-water mark.
    pub fn capacity(&self) -> usize {
        self.small.capacity() + self.heap.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The event queue holds one `Event` per pending thing: a new variant
    /// that makes it larger should be a deliberate (benchmarked) change.
    #[test]
    fn events_keep_their_size() {
        let size = std::mem::size_of::<Event>();
        eprintln!("Event {size} bytes");
        assert_eq!(size, 12);
    }

    #[test]
    fn orders_by_time_then_by_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule(5, Event::Arrival { node: 1, epoch: 0 });
        q.schedule(3, Event::Tick);
        q.schedule(5, Event::Arrival { node: 2, epoch: 0 });
        q.schedule(5, Event::Arrival { node: 0, epoch: 0 });
        q.schedule(1, Event::WarmupEnd);
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(
            order,
            vec![
                (1, Event::WarmupEnd),
                (3, Event::Tick),
                (5, Event::Arrival { node: 1, epoch: 0 }),
                (5, Event::Arrival { node: 2, epoch: 0 }),
                (5, Event::Arrival { node: 0, epoch: 0 }),
            ]
        );
    }

    #[test]
    fn lanes_and_heap_together_keep_time_then_scheduling_order() {
        // Hops with a few fixed delays (lanes), with more distinct delays than
        // there are lanes (the heap), and other events at random times, pushed
        // and popped in random interleavings: the queue hands out exactly the
        // sorted order of a reference.
        random_interleavings(usize::MAX);
    }

    #[test]
    fn the_small_sorted_list_keeps_time_then_scheduling_order() {
        // At most SMALL_MAX events pending: the list never leaves `small`.
        random_interleavings(SMALL_MAX);
    }

    /// Pushes and pops at random, at most `max_pending` events pending,
    /// checking each pop against a sorted reference.
    fn random_interleavings(max_pending: usize) {
        let mut q = EventQueue::new();
        let mut reference = std::collections::BTreeMap::new();
        let mut seq = 0u32;
        let mut now: Nanos = 0;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300_000u32 {
            let r = next();
            if (r % 3 != 0 || reference.is_empty()) && reference.len() < max_pending {
                let (at, event) = if r % 2 == 0 {
                    // 40 distinct delays: more than MAX_LANES.
                    (now + 1_000 * (next() % 40), Event::Deliver { req: seq, frame: 0, up: false })
                } else {
                    (now + next() % 5_000_000, Event::ScheduledFault { index: seq })
                };
                q.schedule(at, event);
                reference.insert((at, seq), event);
                seq += 1;
            } else {
                let (&(at, s), &event) = reference.iter().next().unwrap();
                reference.remove(&(at, s));
                assert_eq!(q.peek_time(), Some(at), "round {round}");
                let about = match event {
                    Event::Deliver { req, frame, .. } if q.big => Some((req, frame)),
                    _ => None,
                };
                assert_eq!(q.next_request(), about, "round {round}");
                if round % 2 == 0 {
                    assert_eq!(q.pop(), Some((at, event)), "round {round}");
                } else {
                    assert_eq!(q.pop_before(at), None, "round {round}: nothing is due before {at}");
                    assert_eq!(q.pop_before(at + 1), Some((at, event)), "round {round}");
                }
                now = at;
            }
            assert_eq!(q.len(), reference.len());
        }
        assert_eq!(q.big, max_pending > SMALL_MAX, "the list switched to the heap only when it had to");
        while let Some((&(at, s), &event)) = reference.iter().next() {
            reference.remove(&(at, s));
            assert_eq!(q.pop(), Some((at, event)));
        }
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }
}
