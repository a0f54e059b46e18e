//! Sampled request hops for the animation.
//!
//! One request in `sample_every` is followed, and each wire it crosses (down with
//! the request, up with the response) is logged as a hop. The browser drains the
//! log every frame and draws each hop as a particle moving along its wire at the
//! simulated times. Sampling is by request number, never by a random draw, so
//! turning the animation up or down cannot change the simulation's results.

use crate::request::Kind;
use crate::time::Nanos;
use serde::Serialize;
use std::collections::VecDeque;

/// Hops kept before the oldest are dropped (the browser normally drains far sooner).
pub const HOP_LOG_CAPACITY: usize = 16_384;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Index of the link crossed (scenario order).
    pub link: u16,
    pub from: u16,
    pub to: u16,
    /// When the request (or response) leaves `from` and reaches `to`.
    pub start: Nanos,
    pub end: Nanos,
    pub kind: Kind,
    /// A response heading back towards the users.
    pub response: bool,
    /// The request has failed (the response carries an error).
    pub failed: bool,
    /// The request's number: its trace is `Simulation::trace(request)`.
    pub request: u64,
}

#[derive(Debug, Default)]
pub struct HopLog {
    /// Follow one request in this many; 0 follows none.
    pub sample_every: u32,
    hops: VecDeque<Hop>,
    /// Hops lost because the log was full.
    pub dropped: u64,
}

impl HopLog {
    #[inline]
    pub fn push(&mut self, hop: Hop) {
        if self.hops.len() == HOP_LOG_CAPACITY {
            self.hops.pop_front();
            self.dropped += 1;
        }
        self.hops.push_back(hop);
    }

    /// Moves every logged hop into `out` (cleared first), oldest first.
    pub fn drain_into(&mut self, out: &mut Vec<Hop>) {
        out.clear();
        out.extend(self.hops.drain(..));
    }

    pub fn len(&self) -> usize {
        self.hops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hops.is_empty()
    }
}
