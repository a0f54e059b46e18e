//! Live readings for the browser: what happened since the previous reading.
//!
//! The dashboard asks a few times a second; each [`Simulation::take_snapshot`]
//! covers exactly the simulated time since the last one, so rates and percentiles
//! describe "now" rather than the whole run, and nothing is counted twice.

use crate::base::histogram::{Histogram, PENDING};
use crate::base::time::Nanos;
use crate::blocks::request::Cause;
use crate::kernel::sim::{Outcomes, Simulation};
use crate::metrics::stats::{NodeCounters, NodeSummary};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Readings kept between two snapshots.
#[derive(Debug)]
pub(crate) struct SnapshotBase {
    pub at: Nanos,
    pub totals: Outcomes,
    pub nodes: Vec<NodeCounters>,
    /// Latency of successful requests answered in the span the last
    /// `take_snapshot` closed (`Simulation::latencies` fills it).
    pub latency: Histogram,
    /// Requests sent down each wire, at the last snapshot.
    pub links: Vec<u64>,
    /// Time at each station of the requests that left it, buffered and
    /// added both to the span since the last snapshot and to the second
    /// under way in `recent` (allocated for stations only: 42 KB each).
    node_latency: Vec<Option<NodeLatency>>,
    /// Per user region (`Region::ALL` order), requests finished since the last
    /// snapshot; allocated when the first request with a region finishes.
    pub regions: Vec<RegionReading>,
    /// The last whole seconds, for the page's live figures. Its per-node
    /// histograms of the second under way are filled from `node_latency`, so
    /// a second is closed through [`SnapshotBase::close_second`].
    recent: crate::kernel::recent::Recent,
}

/// Requests of one user region finished since the last snapshot.
#[derive(Debug, Default)]
pub(crate) struct RegionReading {
    pub ok: u64,
    pub failed: u64,
    pub latency: Histogram,
}

/// One station's time per request: raw values, added to the span's histogram
/// and to the second's when the buffer is full or before either is read.
#[derive(Debug)]
struct NodeLatency {
    pending: Vec<Nanos>,
    span: Histogram,
}

impl NodeLatency {
    fn new() -> NodeLatency {
        NodeLatency { pending: Vec::with_capacity(PENDING), span: Histogram::new() }
    }
}

/// Adds node slot `i`'s buffered values to its span histogram and to the
/// second under way.
fn fold_node(node: &mut NodeLatency, recent: &mut crate::kernel::recent::Recent, i: usize) {
    match recent.current.node_latency.get_mut(i).and_then(Option::as_mut) {
        Some(second) => Histogram::record_all_twice(&node.pending, &mut node.span, second),
        None => node.span.record_all(&node.pending),
    }
    node.pending.clear();
}

impl SnapshotBase {
    /// Counts a finished request of a user in `region`.
    #[inline]
    pub fn record_region(&mut self, region: crate::blocks::geo::Region, latency: Option<Nanos>) {
        record_region(&mut self.regions, region, latency);
        self.recent.record_region(region, latency);
    }

    /// Time a request spent at station `node`, counted when it leaves.
    #[inline]
    pub fn record_node_latency(&mut self, node: usize, ns: Nanos) {
        if let Some(Some(n)) = self.node_latency.get_mut(node) {
            n.pending.push(ns);
            if n.pending.len() >= PENDING {
                fold_node(n, &mut self.recent, node);
            }
        }
    }

    /// Node slot `i`'s 99th percentile over the span since the last
    /// snapshot, in ms (`None` for non-stations and when nothing left it);
    /// starts the next span.
    fn close_node_span(&mut self, i: usize) -> Option<f64> {
        let n = self.node_latency.get_mut(i).and_then(Option::as_mut)?;
        fold_node(n, &mut self.recent, i);
        let q = (n.span.count() > 0).then(|| n.span.quantile(0.99) / 1e6);
        n.span.clear();
        q
    }

    /// A whole second ended at `mark.at`; `latency` is the second's latency
    /// of successful requests.
    pub fn close_second(&mut self, mark: crate::kernel::recent::Mark, latency: &Histogram) {
        for (i, n) in self.node_latency.iter_mut().enumerate() {
            if let Some(n) = n {
                fold_node(n, &mut self.recent, i);
            }
        }
        self.recent.close_second(mark, latency);
    }

    /// The finished seconds (their histograms are complete).
    pub fn recent(&self) -> &crate::kernel::recent::Recent {
        &self.recent
    }

    /// A node slot was added while running.
    pub fn push_node(&mut self, station: bool) {
        self.nodes.push(NodeCounters::default());
        self.node_latency.push(station.then(NodeLatency::new));
        self.recent.push_node(station);
    }
}

/// Counts a finished request of a user in `region` in `regions` (allocated on
/// the first such request).
#[inline]
pub(crate) fn record_region(
    regions: &mut Vec<RegionReading>,
    region: crate::blocks::geo::Region,
    latency: Option<Nanos>,
) {
    if regions.is_empty() {
        *regions = crate::blocks::geo::Region::ALL.iter().map(|_| RegionReading::default()).collect();
    }
    let r = &mut regions[region.index()];
    match latency {
        Some(ns) => {
            r.ok += 1;
            r.latency.record(ns);
        }
        None => r.failed += 1,
    }
}

impl SnapshotBase {
    /// `stations[i]`: node slot `i` is a station (its latency is kept).
    pub fn new(stations: &[bool]) -> SnapshotBase {
        let nodes = stations.len();
        SnapshotBase {
            recent: crate::kernel::recent::Recent::new(stations),
            at: 0,
            totals: Outcomes::default(),
            nodes: vec![NodeCounters::default(); nodes],
            latency: Histogram::new(),
            links: Vec::new(),
            node_latency: stations.iter().map(|&s| s.then(NodeLatency::new)).collect(),
            regions: Vec::new(),
        }
    }
}

/// The system since the previous snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Simulated time now, and the simulated seconds this snapshot covers.
    pub now_s: f64,
    pub span_s: f64,
    pub events: u64,
    /// Rates over the span, per simulated second.
    pub sent_rps: f64,
    /// Successes within the users' deadline: the goodput.
    pub ok_rps: f64,
    pub failed_rps: f64,
    /// Successful answers produced, on time or too late for users who had
    /// given up: the throughput, never below the goodput (`ok_rps`).
    pub throughput_rps: f64,
    /// Attempts sent per request sent (1 without retries; `None` when none
    /// was sent).
    pub attempts_per_request: Option<f64>,
    /// Failures by cause (a cause's name, as reports write it), most first.
    pub failed_by_cause: Vec<(Cow<'static, str>, u64)>,
    /// Failed share of the requests that ended in the span (0 when none ended).
    pub error_ratio: f64,
    /// Latency of successful requests answered in the span; `None` when there were none.
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_mean_ms: Option<f64>,
    /// Since the start of the run.
    pub totals: Outcomes,
    /// Requests alive now.
    pub live_requests: usize,
    /// The simulation's cap on requests alive ([`crate::base::limits::MAX_IN_FLIGHT`])
    /// is turning new requests away (cause `overflow`): since it was reached
    /// and until a simulated second passes without one. A safety net of the
    /// simulator, never part of a design, so the page says so.
    pub in_flight_cap_reached: bool,
    /// Acknowledged writes lost to primary failures since the start.
    pub lost_writes: u64,
    /// The whole design's monthly cost as it runs now, in dollars.
    pub cost_per_month_usd: f64,
    /// Names of the alert rules firing now.
    pub alerts_firing: Vec<String>,
    /// Users who lost their session (local sessions) since the start.
    pub sessions_lost: u64,
    pub nodes: Vec<NodeLive>,
    /// Request flow along each link of the diagram over the span.
    pub links: Vec<LinkLive>,
    /// Sequence number of the next log entry (entries before it are in the log).
    pub log_seq: u64,
    /// Per user region that finished requests since the last snapshot.
    pub regions: Vec<RegionLive>,
}

/// One user region since the previous snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegionLive {
    /// The region's name in scenario files (`"eu"`), and for people (`"Europe"`).
    pub region: Cow<'static, str>,
    pub label: Cow<'static, str>,
    pub ok_rps: f64,
    pub failed_rps: f64,
    pub error_ratio: f64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinkLive {
    pub from: String,
    pub to: String,
    /// Requests per second sent along the link.
    pub rps: f64,
    /// The caller's circuit breaker on this link, now (left out when the
    /// caller has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<BreakerView>,
}

/// A circuit breaker on a link, as the diagram shows it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakerView {
    pub state: crate::blocks::breaker::State,
    /// The failed share of the calls in its window while closed; the one
    /// that opened it while open or half-open.
    pub failure_share: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeLive {
    pub id: String,
    pub kind: crate::model::kinds::NodeKind,
    pub health: crate::kernel::sim::Health,
    pub workers: u32,
    /// Now.
    pub busy: u32,
    pub waiting: u32,
    /// Over the span.
    pub summary: NodeSummary,
    /// 99th percentile of the time requests spent at the node over the span
    /// (stations only; `None` when nothing left the node).
    pub p99_ms: Option<f64>,
    /// Read replicas: how far behind their primary they are now.
    pub replication_lag_ms: Option<f64>,
    /// What the node costs per month as it runs now, in dollars.
    pub cost_per_month_usd: f64,
    /// Queues: how long the oldest waiting job has waited.
    pub oldest_job_age_ms: Option<f64>,
    /// Autoscaling groups: machines running and booting.
    pub group: Option<(u32, u32)>,
    /// The share of arriving requests failed by injected errors, while they
    /// are injected (left out otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injected_errors: Option<f64>,
    /// A web server with a connection pool, now (left out otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolLive>,
}

/// A caller's connection pools now, summed over the wires it calls over
/// (one pool per wire, made on its first call).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoolLive {
    /// Connections out with a call.
    pub in_use: u32,
    /// Connections in all: the pool's size times the wires with a pool
    /// (one wire's before the first call).
    pub size: u32,
    /// Calls waiting for a connection.
    pub waiting: u32,
}

/// What one reading covers, however it was measured: the counters'
/// differences and the distributions over its span.
struct Span<'a> {
    span: Nanos,
    totals: Outcomes,
    /// Per node slot.
    nodes: Vec<NodeCounters>,
    node_p99_ms: Vec<Option<f64>>,
    /// Per wire.
    links: Vec<u64>,
    latency: &'a Histogram,
    regions: Vec<RegionLive>,
}

impl Simulation {
    /// Readings since the previous call (or since the start), then starts a
    /// new span: for analysis over chosen stretches of a run (the resilience
    /// report, tests). The page shows [`Simulation::live_snapshot`] instead.
    pub fn take_snapshot(&mut self) -> Snapshot {
        self.latencies.close_span(&mut self.snap.latency);
        let now = self.now;
        let span = now - self.snap.at;
        let span_s = (span as f64 / 1e9).max(1e-9);
        let mut nodes = Vec::with_capacity(self.stats.len());
        let mut node_p99_ms = Vec::with_capacity(self.stats.len());
        for i in 0..self.stats.len() {
            let reading = self.stats[i].read(now);
            nodes.push(reading.since(&self.snap.nodes[i]));
            self.snap.nodes[i] = reading;
            node_p99_ms.push(self.snap.close_node_span(i));
        }
        self.snap.links.resize(self.net.wires.len(), 0);
        let mut links = Vec::with_capacity(self.net.wires.len());
        for (w, wire) in self.net.wires.iter().enumerate() {
            links.push(wire.sent - self.snap.links[w]);
            self.snap.links[w] = wire.sent;
        }
        let regions = self
            .snap
            .regions
            .iter_mut()
            .zip(crate::blocks::geo::Region::ALL)
            .filter(|(r, _)| r.ok + r.failed > 0)
            .map(|(r, region)| {
                let live = region_live(region, r.ok, r.failed, &r.latency, span_s);
                (r.ok, r.failed) = (0, 0);
                r.latency.clear();
                live
            })
            .collect();
        let totals = since(&self.totals, &self.snap.totals);
        let snapshot =
            self.reading(Span { span, totals, nodes, node_p99_ms, links, latency: &self.snap.latency, regions });
        self.snap.at = now;
        self.snap.totals = self.totals;
        snapshot
    }

    /// The page's live reading: rates, latencies and ratios over the last
    /// whole simulated seconds ([`crate::kernel::recent::LIVE_WINDOW_S`], fewer at the
    /// start; `span_s` says how many, 0 before the first second has ended),
    /// beside what is true now (health, busy workers, queues, cost, alerts).
    /// Reading it changes nothing, so every place that shows a figure shows
    /// the same value until the next second ends.
    pub fn live_snapshot(&self) -> Snapshot {
        let Some(w) = self.snap.recent().window() else {
            let zero = Histogram::new();
            let n = self.stats.len();
            return self.reading(Span {
                span: 0,
                totals: Outcomes::default(),
                nodes: vec![NodeCounters::default(); n],
                node_p99_ms: vec![None; n],
                links: vec![0; self.net.wires.len()],
                latency: &zero,
                regions: Vec::new(),
            });
        };
        let span = w.span();
        let span_s = span as f64 / 1e9;
        let mut scratch = Histogram::new();
        let n = self.stats.len();
        let node_p99_ms = (0..n)
            .map(|i| {
                w.merged(&mut scratch, |s| s.node_latency.get(i).and_then(Option::as_ref));
                (scratch.count() > 0).then(|| scratch.quantile(0.99) / 1e6)
            })
            .collect();
        let regions = crate::blocks::geo::Region::ALL
            .iter()
            .enumerate()
            .filter_map(|(k, &region)| {
                let (mut ok, mut failed) = (0, 0);
                scratch.clear();
                for s in w.seconds {
                    if let Some(r) = s.regions.get(k) {
                        (ok, failed) = (ok + r.ok, failed + r.failed);
                        scratch.merge(&r.latency);
                    }
                }
                (ok + failed > 0).then(|| region_live(region, ok, failed, &scratch, span_s))
            })
            .collect();
        let mut latency = Histogram::new();
        w.merged(&mut latency, |s| Some(&s.latency));
        self.reading(Span {
            span,
            totals: since(&w.last.totals, &w.first.totals),
            nodes: (0..n).map(|i| w.node(i)).collect(),
            node_p99_ms,
            links: (0..self.net.wires.len()).map(|l| w.link(l)).collect(),
            latency: &latency,
            regions,
        })
    }

    /// A reading of `s` with what is true now. Rates are per simulated
    /// second of the span; a span of 0 gives rates of 0 and no latency.
    fn reading(&self, s: Span) -> Snapshot {
        let now = self.now;
        let per_s = |n: u64| if s.span == 0 { 0.0 } else { n as f64 / (s.span as f64 / 1e9) };
        let costs = self.node_costs();
        let mut nodes = Vec::with_capacity(self.stats.len());
        for (i, delta) in s.nodes.iter().enumerate() {
            if self.net.nodes[i].removed {
                continue;
            }
            let (busy, waiting, workers) = self.node_load(i);
            nodes.push(NodeLive {
                p99_ms: s.node_p99_ms[i],
                replication_lag_ms: self.replication_lag(i).map(|ns| ns as f64 / 1e6),
                cost_per_month_usd: costs.by_slot[i],
                oldest_job_age_ms: self.oldest_job_age(i).map(|ns| ns as f64 / 1e6),
                group: self.group_size(i),
                injected_errors: self.injected.error_share(i),
                pool: self.components[i].caller().and_then(|c| c.pool_view()).map(|(in_use, size, waiting)| PoolLive {
                    in_use,
                    size,
                    waiting,
                }),
                id: self.net.nodes[i].id.clone(),
                kind: self.net.nodes[i].kind,
                health: self.net.nodes[i].health,
                workers,
                busy,
                waiting,
                summary: NodeSummary::from_counters(delta, s.span, workers),
            });
        }
        let links = self
            .net
            .wires
            .iter()
            .zip(&s.links)
            .enumerate()
            .filter(|(_, (wire, _))| !wire.removed)
            .map(|(w, (wire, &sent))| LinkLive {
                from: self.net.nodes[wire.from as usize].id.clone(),
                to: self.net.nodes[wire.to as usize].id.clone(),
                rps: per_s(sent),
                breaker: self.breaker_view(wire.from as usize, w as u16),
            })
            .collect();
        let failed: Vec<(Cow<'static, str>, u64)> =
            Cause::ALL.iter().map(|&c| (Cow::Borrowed(c.name()), s.totals.failed[c as usize])).collect();
        let failed_n: u64 = failed.iter().map(|(_, n)| n).sum();
        let ok_n = s.totals.ok;
        let h = s.latency;
        let some = |v: f64| (h.count() > 0).then_some(v / 1e6);
        Snapshot {
            now_s: now as f64 / 1e9,
            span_s: s.span as f64 / 1e9,
            events: self.events,
            sent_rps: per_s(s.totals.generated),
            ok_rps: per_s(ok_n),
            failed_rps: per_s(failed_n),
            throughput_rps: per_s(s.totals.answered_ok()),
            attempts_per_request: s.totals.attempts_per_request(),
            failed_by_cause: failed,
            error_ratio: if ok_n + failed_n == 0 { 0.0 } else { failed_n as f64 / (ok_n + failed_n) as f64 },
            latency_p50_ms: some(h.quantile(0.5)),
            latency_p99_ms: some(h.quantile(0.99)),
            latency_mean_ms: some(h.mean()),
            totals: self.totals,
            live_requests: self.arena.live(),
            in_flight_cap_reached: self.overflowing,
            lost_writes: self.lost_writes,
            cost_per_month_usd: costs.by_node.iter().sum(),
            alerts_firing: self.alerts_firing(),
            sessions_lost: self.stats.iter().map(|s| s.counters.sessions_lost).sum(),
            nodes,
            links,
            log_seq: self.log.next_seq(),
            regions: s.regions,
        }
    }
}

fn since(now: &Outcomes, before: &Outcomes) -> Outcomes {
    let mut d = Outcomes {
        generated: now.generated - before.generated,
        ok: now.ok - before.ok,
        failed: now.failed,
        late_ok: now.late_ok - before.late_ok,
        retries: now.retries - before.retries,
    };
    for (f, b) in d.failed.iter_mut().zip(before.failed) {
        *f -= b;
    }
    d
}

fn region_live(region: crate::blocks::geo::Region, ok: u64, failed: u64, h: &Histogram, span_s: f64) -> RegionLive {
    let per_s = |n: u64| if span_s > 0.0 { n as f64 / span_s } else { 0.0 };
    RegionLive {
        region: Cow::Borrowed(region.name()),
        label: Cow::Borrowed(region.label()),
        ok_rps: per_s(ok),
        failed_rps: per_s(failed),
        error_ratio: failed as f64 / (ok + failed).max(1) as f64,
        latency_p50_ms: (h.count() > 0).then(|| h.quantile(0.5) / 1e6),
        latency_p99_ms: (h.count() > 0).then(|| h.quantile(0.99) / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::recent::{Mark, LIVE_WINDOW_S};

    use crate::base::histogram::assert_same as same;

    #[test]
    fn buffered_node_latency_gives_the_histograms_direct_recording_gives() {
        // Slot 0 a station, 1 not, 2 a station added later; random values,
        // spans and seconds closed at moments unrelated to the buffer's size.
        let mut base = SnapshotBase::new(&[true, false]);
        let mut span = [Histogram::new(), Histogram::new(), Histogram::new()];
        let mut second = [Histogram::new(), Histogram::new(), Histogram::new()];
        let mut seconds: Vec<[Histogram; 3]> = Vec::new();
        let mut x = 99u64;
        let mut closes = (0, 0);
        for i in 0..30_000u64 {
            if i == 5_000 {
                base.push_node(true);
            }
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let node = ((x >> 33) % if i < 5_000 { 2 } else { 3 }) as usize;
            let ns = (x >> 13) % if x.is_multiple_of(7) { 5_000_000_000 } else { 2_000_000 };
            base.record_node_latency(node, ns);
            if node != 1 {
                span[node].record(ns);
                second[node].record(ns);
            }
            if (x >> 7).is_multiple_of(311) {
                closes.0 += 1;
                for (n, h) in span.iter_mut().enumerate() {
                    let want = (h.count() > 0).then(|| h.quantile(0.99) / 1e6);
                    assert_eq!(base.close_node_span(n), want, "node {n} at value {i}");
                    h.clear();
                }
            }
            if (x >> 9).is_multiple_of(1_013) {
                closes.1 += 1;
                base.close_second(Mark { at: i, ..Mark::default() }, &Histogram::new());
                seconds.push(std::mem::take(&mut second));
                let w = base.recent().window().expect("a second has ended");
                let kept = &seconds[seconds.len().saturating_sub(LIVE_WINDOW_S)..];
                assert_eq!(w.seconds.len(), kept.len());
                for (s, want) in w.seconds.iter().zip(kept) {
                    for (n, direct) in want.iter().enumerate() {
                        match s.node_latency.get(n).and_then(Option::as_ref) {
                            Some(h) => same(h, direct),
                            None => assert!(n == 1 || direct.count() == 0, "node {n}"),
                        }
                    }
                }
            }
        }
        assert!(closes.0 > 50 && closes.1 > 10, "{closes:?}");
    }
}
