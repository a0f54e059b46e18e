//! Faults beyond up and down: errors injected at a share of a node's requests,
//! and latency spikes that end by themselves.
//!
//! The node's health (up, down, slowed) lives in the network; what this adds
//! is kept per node slot here, so a run without these faults pays one bool
//! load per arrival (`any_errors`) and nothing else.

use crate::base::rng::{Stream, StreamPurpose};

#[derive(Clone, Default)]
struct Slot {
    /// The share of arriving requests that fail with cause `error`, and the
    /// stream that decides which (its own, so injecting errors at one node
    /// changes no other random number of the run).
    errors: Option<(f64, Stream)>,
    /// Bumped by every fault that sets the node's speed: a spike ends only if
    /// none came after it (the later fault decides the node's state).
    epoch: u32,
    /// While a spike lasts: the slow-down it multiplied, restored at its end.
    spike_before: Option<f64>,
}

/// Per node slot, in slot order.
#[derive(Clone, Default)]
pub(crate) struct Injected {
    slots: Vec<Slot>,
    /// Some node has errors injected: the only thing the hot path reads.
    pub any_errors: bool,
}

impl Injected {
    pub fn new(nodes: usize) -> Injected {
        Injected { slots: vec![Slot::default(); nodes], any_errors: false }
    }

    /// A node added while running.
    pub fn push_node(&mut self) {
        self.slots.push(Slot::default());
    }

    /// Whether the request arriving now at `slot` fails with an injected error.
    #[inline]
    pub fn hits(&mut self, slot: usize) -> bool {
        match &mut self.slots[slot].errors {
            Some((share, rng)) => rng.uniform() < *share,
            None => false,
        }
    }

    /// A fault that sets the node's speed or health outright (fail, recover,
    /// slow): a spike under way will not end by itself any more.
    pub fn speed_set(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        s.epoch = s.epoch.wrapping_add(1);
        s.spike_before = None;
    }

    /// From now on `share` of the requests reaching `slot` fail.
    pub fn set_errors(&mut self, slot: usize, share: f64, seed: u64) {
        let rng = match self.slots[slot].errors.take() {
            Some((_, rng)) => rng,
            None => Stream::new(seed, slot, StreamPurpose::Faults),
        };
        self.slots[slot].errors = Some((share, rng));
        self.any_errors = true;
    }

    /// The node recovered: no more errors, no spike to end.
    pub fn clear(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        s.errors = None;
        s.spike_before = None;
        self.any_errors = self.slots.iter().any(|s| s.errors.is_some());
    }

    /// The share of requests failing at `slot`, if errors are injected there.
    pub fn error_share(&self, slot: usize) -> Option<f64> {
        self.slots[slot].errors.as_ref().map(|(share, _)| *share)
    }

    /// A spike starts at `slot`, whose slow-down is `now`: returns the
    /// slow-down it multiplies (the one before any spike under way) and the
    /// epoch its end must match.
    pub fn start_spike(&mut self, slot: usize, now: f64) -> (f64, u32) {
        let s = &mut self.slots[slot];
        s.epoch = s.epoch.wrapping_add(1);
        let base = *s.spike_before.get_or_insert(now);
        (base, s.epoch)
    }

    /// The spike of `epoch` at `slot` ends: the slow-down to go back to, or
    /// `None` if another fault came after it.
    pub fn end_spike(&mut self, slot: usize, epoch: u32) -> Option<f64> {
        let s = &mut self.slots[slot];
        if s.epoch != epoch {
            return None;
        }
        s.spike_before.take()
    }
}
