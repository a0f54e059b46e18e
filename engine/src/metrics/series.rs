//! The per-second time series behind the dashboard's charts: one point per
//! simulated second, kept in a ring of fixed size so memory never grows.

use crate::blocks::request::Cause;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Seconds of history kept.
pub const SERIES_CAPACITY: usize = 600;

/// One simulated second, whole system.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SecondPoint {
    /// The second this point covers ends at `t_s` seconds of simulated time.
    pub t_s: u64,
    /// Requests the users sent during the second.
    pub generated: u64,
    /// Requests answered successfully during the second.
    pub ok: u64,
    /// Failures during the second, by cause (index = `Cause as usize`).
    pub failed: [u64; Cause::COUNT],
    /// Successes that reached users who had given up (see `Outcomes`).
    pub late_ok: u64,
    /// Attempts beyond each request's first, sent during the second.
    pub retries: u64,
    pub latency_mean_ms: f64,
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    pub latency_p99_ms: f64,
    /// Per node, in scenario order.
    pub nodes: Vec<NodePoint>,
}

/// One simulated second at one node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodePoint {
    pub throughput_rps: f64,
    /// `busy_workers / available_workers` (0 when none was available).
    pub utilization: f64,
    /// Busy workers, averaged over the second.
    pub busy_workers: f64,
    /// Available workers, averaged over the second: those of running
    /// machines that are up (see `NodeCounters::available_area`).
    pub available_workers: f64,
    pub mean_queue_len: f64,
    /// Waiting requests at the end of the second.
    pub queue_len: u64,
    /// Caches: hits over lookups in the second (`None` without lookups).
    pub hit_ratio: Option<f64>,
    /// Read replicas: how far behind the primary at the end of the second.
    pub replication_lag_ms: Option<f64>,
}

impl SecondPoint {
    /// Utilisation of the nodes at `slots` taken together, as of one
    /// machine room: their busy workers over their available workers in
    /// this second. A node that was down adds no available workers, so a
    /// tier with one server down reads its live servers' load; `None` when
    /// none of them had a worker available.
    pub fn utilization_of(&self, slots: &[usize]) -> Option<f64> {
        let (busy, available) = slots
            .iter()
            .filter_map(|&i| self.nodes.get(i))
            .fold((0.0, 0.0), |(b, a), n| (b + n.busy_workers, a + n.available_workers));
        (available > 0.0).then(|| (busy / available).min(1.0))
    }
}

/// A ring of the latest [`SERIES_CAPACITY`] seconds.
#[derive(Clone, Debug, Default)]
pub struct Series {
    points: VecDeque<SecondPoint>,
}

impl Series {
    pub fn push(&mut self, point: SecondPoint) {
        if self.points.len() == SERIES_CAPACITY {
            // Reuse the oldest point's node vector: no allocation in steady state.
            let mut old = self.points.pop_front().expect("ring is full");
            old.nodes.clear();
            old.nodes.extend_from_slice(&point.nodes);
            self.points.push_back(SecondPoint { nodes: old.nodes, ..point });
        } else {
            self.points.push_back(point);
        }
    }

    pub fn latest(&self) -> Option<&SecondPoint> {
        self.points.back()
    }

    pub fn iter(&self) -> impl Iterator<Item = &SecondPoint> {
        self.points.iter()
    }

    pub fn len(&self) -> usize {
        self.points.len()
    }

    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }
}
