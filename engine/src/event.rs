//! The future-event list: a priority queue ordered by time, then by the order in
//! which events were scheduled. The tie-breaker makes runs deterministic: two events
//! at the same nanosecond always run in the order they were created.

use crate::time::Nanos;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

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
    /// A simulated second ends: the per-second series takes a point.
    Tick,
    /// The warm-up ends: statistics start from here.
    WarmupEnd,
}

#[derive(Debug)]
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

/// Deterministic future-event list.
#[derive(Debug, Default)]
pub struct EventQueue {
    heap: BinaryHeap<Entry>,
    next_seq: u64,
}

impl EventQueue {
    pub fn new() -> EventQueue {
        EventQueue::default()
    }

    #[inline]
    pub fn schedule(&mut self, at: Nanos, event: Event) {
        let key = (at as u128) << 64 | self.next_seq as u128;
        self.next_seq += 1;
        self.heap.push(Entry { key, event });
    }

    /// Time of the earliest pending event.
    #[inline]
    pub fn peek_time(&self) -> Option<Nanos> {
        self.heap.peek().map(|e| (e.key >> 64) as Nanos)
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(Nanos, Event)> {
        self.heap.pop().map(|e| ((e.key >> 64) as Nanos, e.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Events the list has room for without growing: its memory high-water mark.
    pub fn capacity(&self) -> usize {
        self.heap.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
