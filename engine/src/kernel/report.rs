//! The JSON report of a run: the keys fixed by the design (`sim_time_s`, `events`,
//! `wall_ms`, `requests`, `latency_ms`, `nodes`) and a few more: goodput (the
//! successes users waited for) beside throughput (every success, late ones
//! included), and attempts per request.
//!
//! `requests` counts the requests *born* in the statistics window (warm-up to
//! end), so that `generated = ok + sum(failed) + in_flight` holds exactly:
//! `in_flight` are the window's requests still unanswered when the run stopped.
//! Node figures are time averages and counts over the same window.

use crate::base::time::{ns_to_secs, Nanos};
use crate::blocks::request::Cause;
use crate::kernel::sim::Simulation;
use crate::metrics::stats::NodeSummary;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub sim_time_s: f64,
    pub events: u64,
    /// Wall-clock time of the run; the engine has no clock (it runs in browsers
    /// too), so the caller fills this in. 0 when nobody measured.
    pub wall_ms: f64,
    pub seed: u64,
    pub warmup_s: f64,
    /// Length of the statistics window.
    pub window_s: f64,
    pub requests: RequestCounts,
    /// Successes within the users' deadline per second of the window.
    pub goodput_rps: f64,
    /// Successful answers per second of the window, on time or late: never
    /// below the goodput; far above it when the work is done for nobody.
    pub throughput_rps: f64,
    /// Attempts per request born in the window (1 without retries; `null`
    /// without requests): how much the retries multiply the load.
    pub attempts_per_request: Option<f64>,
    pub latency_ms: LatencySummary,
    /// Acknowledged writes lost because a primary failed before they reached
    /// the replica promoted in its place (whole run).
    pub lost_writes: u64,
    /// The design's monthly cost at the end of the run, in dollars.
    pub cost_per_month_usd: f64,
    pub nodes: NodeReports,
}

/// The window's requests. `ok` are successes within the users' deadline;
/// `late_ok` successes that came after the users gave up (counted in `failed`
/// as `client_timeout`); `attempts` every request's first attempt and its
/// `retries`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequestCounts {
    pub generated: u64,
    pub ok: u64,
    pub failed: FailedCounts,
    pub in_flight: u64,
    pub late_ok: u64,
    pub attempts: u64,
    pub retries: u64,
}

/// Failures by cause, every cause present (0 when none happened).
#[derive(Clone, Debug, PartialEq)]
pub struct FailedCounts(pub [u64; Cause::COUNT]);

impl FailedCounts {
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
    pub fn get(&self, cause: Cause) -> u64 {
        self.0[cause as usize]
    }
}

impl Serialize for FailedCounts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(Cause::COUNT))?;
        for cause in Cause::ALL {
            map.serialize_entry(cause.name(), &self.0[cause as usize])?;
        }
        map.end()
    }
}

/// End-to-end latency of successful requests, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl LatencySummary {
    pub fn of(h: &crate::base::histogram::Histogram) -> LatencySummary {
        let ms = |ns: f64| ns / 1e6;
        LatencySummary {
            count: h.count(),
            mean: ms(h.mean()),
            p50: ms(h.quantile(0.50)),
            p90: ms(h.quantile(0.90)),
            p95: ms(h.quantile(0.95)),
            p99: ms(h.quantile(0.99)),
            p999: ms(h.quantile(0.999)),
            max: ms(h.max() as f64),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeReport {
    pub kind: crate::model::kinds::NodeKind,
    #[serde(flatten)]
    pub summary: NodeSummary,
}

/// Node reports keyed by id, in scenario order (a JSON object keeps that order).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeReports(pub Vec<(String, NodeReport)>);

impl NodeReports {
    pub fn get(&self, id: &str) -> Option<&NodeReport> {
        self.0.iter().find(|(k, _)| k == id).map(|(_, v)| v)
    }
}

impl Serialize for NodeReports {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (id, node) in &self.0 {
            map.serialize_entry(id, node)?;
        }
        map.end()
    }
}

impl Report {
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }
}

impl Simulation {
    /// The report of the run so far (statistics from the warm-up to now).
    pub fn report(&self) -> Report {
        let now: Nanos = self.now;
        let window = now.saturating_sub(self.warmup);
        let nodes = self
            .net
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| !n.removed)
            .map(|(i, n)| (n.id.clone(), NodeReport { kind: n.kind, summary: self.node_summary(i) }))
            .collect();
        let w = self.window;
        let window_s = ns_to_secs(window);
        let per_s = |n: u64| if window_s > 0.0 { n as f64 / window_s } else { 0.0 };
        Report {
            sim_time_s: ns_to_secs(now),
            events: self.events,
            wall_ms: 0.0,
            seed: self.scenario.seed,
            warmup_s: ns_to_secs(self.warmup.min(now)),
            window_s,
            requests: RequestCounts {
                generated: w.generated,
                ok: w.ok,
                failed: FailedCounts(w.failed),
                in_flight: w.generated - w.ok - w.failed_total(),
                late_ok: w.late_ok,
                attempts: w.attempts(),
                retries: w.retries,
            },
            goodput_rps: per_s(w.ok),
            throughput_rps: per_s(w.answered_ok()),
            attempts_per_request: w.attempts_per_request(),
            latency_ms: LatencySummary::of(&self.latencies.window()),
            lost_writes: self.lost_writes,
            cost_per_month_usd: self.monthly_costs().iter().map(|(_, c)| c).sum(),
            nodes: NodeReports(nodes),
        }
    }
}
