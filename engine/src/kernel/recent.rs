//! The last few whole simulated seconds, kept for the page's live figures.
//!
//! Every figure the page shows for "now" (requests/s, p50, p99, error rate,
//! each node's and each wire's rate, the regions table, the embed message) is
//! computed over one window: the last [`LIVE_WINDOW_S`] whole simulated
//! seconds, fewer at the start of a run and none before the first second
//! ends. Readings over a fraction of a second swing wildly at low traffic (a
//! users node at 8 requests/s read 0 to 18.8/s over quarter seconds), and
//! places with different windows made one figure disagree with itself.
//!
//! Counters are cumulative, so a window is the difference between two
//! [`Mark`]s taken at whole seconds; distributions (latency) are not, so each
//! finished second's histograms are kept and merged when read.

use crate::base::histogram::Histogram;
use crate::base::time::Nanos;
use crate::blocks::geo::Region;
use crate::kernel::sim::Outcomes;
use crate::kernel::snapshot::RegionReading;
use crate::metrics::stats::NodeCounters;
use std::collections::VecDeque;

/// Whole simulated seconds the page's live figures cover.
pub const LIVE_WINDOW_S: usize = 5;

/// Cumulative readings at one whole second.
#[derive(Clone, Debug, Default)]
pub(crate) struct Mark {
    pub at: Nanos,
    pub totals: Outcomes,
    /// Per node slot (slots added later read as zero).
    pub nodes: Vec<NodeCounters>,
    /// Requests sent down each wire so far.
    pub links: Vec<u64>,
}

/// The distributions of one second.
#[derive(Debug)]
pub(crate) struct SecondDists {
    /// Latency of successful requests answered in the second.
    pub latency: Histogram,
    /// Per node slot (stations only): time at the node of the requests that
    /// left it in the second (filled by `SnapshotBase`'s buffers, complete
    /// once the second is closed).
    pub node_latency: Vec<Option<Histogram>>,
    /// Per user region (`Region::ALL` order; empty until a request with a
    /// region finishes).
    pub regions: Vec<RegionReading>,
}

impl SecondDists {
    fn like(node_latency: &[Option<Histogram>]) -> SecondDists {
        SecondDists {
            latency: Histogram::new(),
            node_latency: node_latency.iter().map(|h| h.as_ref().map(|_| Histogram::new())).collect(),
            regions: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.latency.clear();
        self.node_latency.iter_mut().flatten().for_each(Histogram::clear);
        self.regions.iter_mut().for_each(|r| {
            (r.ok, r.failed) = (0, 0);
            r.latency.clear();
        });
    }
}

#[derive(Debug)]
pub(crate) struct Recent {
    /// Marks at the last `LIVE_WINDOW_S + 1` whole seconds, oldest first (the
    /// first is the start of the run).
    marks: VecDeque<Mark>,
    /// The second being filled.
    pub current: SecondDists,
    /// The last `LIVE_WINDOW_S` finished seconds, oldest first.
    done: VecDeque<SecondDists>,
}

/// The window as read: its span, the counters' differences and the merged
/// distributions.
pub(crate) struct Window<'a> {
    pub first: &'a Mark,
    pub last: &'a Mark,
    pub seconds: &'a VecDeque<SecondDists>,
}

impl Recent {
    /// `stations[i]`: node slot `i` is a station (it gets a latency histogram).
    pub fn new(stations: &[bool]) -> Recent {
        let node_latency: Vec<Option<Histogram>> = stations.iter().map(|&s| s.then(Histogram::new)).collect();
        let mut marks = VecDeque::with_capacity(LIVE_WINDOW_S + 1);
        marks.push_back(Mark { nodes: vec![NodeCounters::default(); stations.len()], ..Mark::default() });
        Recent { current: SecondDists::like(&node_latency), marks, done: VecDeque::with_capacity(LIVE_WINDOW_S) }
    }

    /// A node slot was added while running.
    pub fn push_node(&mut self, station: bool) {
        self.current.node_latency.push(station.then(Histogram::new));
    }

    #[inline]
    pub fn record_region(&mut self, region: Region, latency: Option<Nanos>) {
        crate::kernel::snapshot::record_region(&mut self.current.regions, region, latency);
    }

    /// A whole second ended at `mark.at`; `latency` is the second's latency
    /// of successful requests (the simulation keeps it for the series).
    pub fn close_second(&mut self, mark: Mark, latency: &Histogram) {
        self.current.latency.clear();
        self.current.latency.merge(latency);
        // Recycle the oldest second's histograms for the next one.
        let mut next = if self.done.len() == LIVE_WINDOW_S {
            let mut old = self.done.pop_front().expect("full");
            old.clear();
            old
        } else {
            SecondDists::like(&self.current.node_latency)
        };
        next.node_latency.resize_with(self.current.node_latency.len(), || None);
        for (n, c) in next.node_latency.iter_mut().zip(&self.current.node_latency) {
            if n.is_none() && c.is_some() {
                *n = Some(Histogram::new());
            }
        }
        self.done.push_back(std::mem::replace(&mut self.current, next));
        if self.marks.len() == LIVE_WINDOW_S + 1 {
            self.marks.pop_front();
        }
        self.marks.push_back(mark);
    }

    /// The window, or `None` before the first whole second has ended.
    pub fn window(&self) -> Option<Window<'_>> {
        (self.marks.len() >= 2).then(|| Window {
            first: self.marks.front().expect("two marks"),
            last: self.marks.back().expect("two marks"),
            seconds: &self.done,
        })
    }
}

impl Window<'_> {
    pub fn span(&self) -> Nanos {
        self.last.at - self.first.at
    }

    /// Node slot `i`'s counters over the window.
    pub fn node(&self, i: usize) -> NodeCounters {
        let zero = NodeCounters::default();
        let last = self.last.nodes.get(i).unwrap_or(&zero);
        last.since(self.first.nodes.get(i).unwrap_or(&zero))
    }

    /// Requests sent down wire `w` in the window.
    pub fn link(&self, w: usize) -> u64 {
        let last = self.last.links.get(w).copied().unwrap_or(0);
        last - self.first.links.get(w).copied().unwrap_or(0)
    }

    /// Merges into `into` (cleared first) what `pick` takes from each second.
    pub fn merged(&self, into: &mut Histogram, pick: impl Fn(&SecondDists) -> Option<&Histogram>) {
        into.clear();
        for s in self.seconds {
            if let Some(h) = pick(s) {
                into.merge(h);
            }
        }
    }
}
