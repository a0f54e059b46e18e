//! End-to-end latency of successful requests, as `finish` records it: one
//! append to a buffer of raw values per request, added to three histograms
//! when the buffer is full or before any of them is read (the second under
//! way, for the series, goal and live window; the span since the last
//! `take_snapshot`; the statistics window, for the report). Each histogram
//! holds exactly what recording into it directly would have put there, and is
//! only reachable through a method that adds the buffer first.

use crate::base::histogram::{Histogram, PENDING};
use crate::base::time::Nanos;
use std::borrow::Cow;

#[derive(Debug)]
pub(crate) struct Latencies {
    /// Every latency not yet added, and those of requests born in the window.
    pending: Vec<Nanos>,
    pending_window: Vec<Nanos>,
    second: Histogram,
    span: Histogram,
    window: Histogram,
}

impl Latencies {
    pub fn new() -> Latencies {
        Latencies {
            pending: Vec::with_capacity(PENDING),
            pending_window: Vec::with_capacity(PENDING),
            second: Histogram::new(),
            span: Histogram::new(),
            window: Histogram::new(),
        }
    }

    /// A successful request took `ns`; `in_window`: it was born in the statistics window.
    #[inline]
    pub fn record(&mut self, ns: Nanos, in_window: bool) {
        self.pending.push(ns);
        if in_window {
            self.pending_window.push(ns);
        }
        if self.pending.len() >= PENDING {
            self.fold();
        }
    }

    fn fold(&mut self) {
        Histogram::record_all_twice(&self.pending, &mut self.second, &mut self.span);
        self.window.record_all(&self.pending_window);
        self.pending.clear();
        self.pending_window.clear();
    }

    /// The second under way has ended: `into` gets its latencies (whatever
    /// it held is dropped) and the next second starts empty.
    pub fn close_second(&mut self, into: &mut Histogram) {
        self.fold();
        into.clear();
        std::mem::swap(&mut self.second, into);
    }

    /// The same for the span since the last `take_snapshot`.
    pub fn close_span(&mut self, into: &mut Histogram) {
        self.fold();
        into.clear();
        std::mem::swap(&mut self.span, into);
    }

    /// The statistics window's latencies, without changing anything.
    pub fn window(&self) -> Cow<'_, Histogram> {
        if self.pending_window.is_empty() {
            Cow::Borrowed(&self.window)
        } else {
            let mut h = self.window.clone();
            h.record_all(&self.pending_window);
            Cow::Owned(h)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::base::histogram::assert_same as same;

    #[test]
    fn the_three_histograms_hold_what_direct_recording_holds() {
        let mut l = Latencies::new();
        let (mut second, mut span, mut window) = (Histogram::new(), Histogram::new(), Histogram::new());
        let (mut closed_second, mut closed_span) = (Histogram::new(), Histogram::new());
        let mut x = 12345u64;
        for i in 0..10_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let ns = (x >> 20) % 80_000_000;
            let in_window = i > 1_000 && !x.is_multiple_of(3);
            l.record(ns, in_window);
            second.record(ns);
            span.record(ns);
            if in_window {
                window.record(ns);
            }
            // Reads at moments that are not multiples of the buffer.
            if i % 397 == 0 {
                same(&l.window(), &window);
            }
            if i % 1_000 == 999 {
                l.close_second(&mut closed_second);
                same(&closed_second, &second);
                second.clear();
            }
            if i % 2_503 == 2_502 {
                l.close_span(&mut closed_span);
                same(&closed_span, &span);
                span.clear();
            }
        }
        same(&l.window(), &window);
        l.close_second(&mut closed_second);
        same(&closed_second, &second);
        l.close_span(&mut closed_span);
        same(&closed_span, &span);
    }
}
