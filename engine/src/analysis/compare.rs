//! A/B comparison: two designs under exactly the same traffic.
//!
//! Every random stream is seeded by the scenario's seed and the node's place
//! in the node list, so two designs see the same requests (the same arrival
//! times, kinds, data keys, regions) when they share the seed and their users
//! nodes are the same and sit at the same places. [`pair`] makes design B so:
//! A's seed, A's users (moved to A's places in the list), A's run length and
//! A's scheduled faults, where B has the node or data center they name. What
//! it had to change is said in `notes`.
//!
//! [`Figures`] are one run's numbers for the comparison, and [`differences`]
//! the table of B against A with a verdict per row, judged by the engine's
//! 95% intervals where it has them.

use crate::blocks::request::Cause;
use crate::kernel::sim::Simulation;
use crate::metrics::confidence::{Headline, Interval, Proportion};
use crate::model::scenario::Scenario;
use crate::model::scenario::{Node, NodeSpec};
use serde::{Deserialize, Serialize};

/// Two designs ready to run side by side.
#[derive(Clone, Debug, PartialEq)]
pub struct Pairing {
    pub a: Scenario,
    pub b: Scenario,
    /// What was changed in B, in words.
    pub notes: Vec<String>,
}

/// Why two designs cannot be compared.
#[derive(Clone, Debug, PartialEq)]
pub enum CompareError {
    /// A has no users: there is no traffic to share.
    NoTraffic,
}

impl std::fmt::Display for CompareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompareError::NoTraffic => {
                f.write_str("design A has no users, so there is no traffic to compare under: add users to it")
            }
        }
    }
}

fn is_users(n: &Node) -> bool {
    matches!(n.spec, NodeSpec::Users(_))
}

pub fn pair(a: &Scenario, b: &Scenario) -> Result<Pairing, CompareError> {
    let users_a: Vec<(usize, &Node)> = a.nodes.iter().enumerate().filter(|(_, n)| is_users(n)).collect();
    if users_a.is_empty() {
        return Err(CompareError::NoTraffic);
    }
    let mut notes = Vec::new();
    let mut b2 = b.clone();
    if b2.seed != a.seed {
        notes.push(format!("seed set to A's ({})", a.seed));
        b2.seed = a.seed;
    }
    b2.duration_s = a.duration_s;
    b2.warmup_s = a.warmup_s;
    let users_b: Vec<Node> = b.nodes.iter().filter(|n| is_users(n)).cloned().collect();
    // B's users take A's traffic: matched by id, or one to one.
    let mut placed: Vec<Node> = Vec::new();
    for (_, ua) in &users_a {
        let matched = users_b.iter().find(|u| u.id == ua.id).or(if users_a.len() == 1 && users_b.len() == 1 {
            users_b.first()
        } else {
            None
        });
        match matched {
            Some(ub) => {
                let mut u = ub.clone();
                if u.spec != ua.spec {
                    notes.push(format!("{}: traffic set to A's", u.id));
                    u.spec = ua.spec.clone();
                }
                placed.push(u);
            }
            None => notes.push(format!("B has no users node like A's {}: its traffic is missing from B", ua.id)),
        }
    }
    for ub in &users_b {
        if !placed.iter().any(|p| p.id == ub.id) {
            notes.push(format!("B's {} have no counterpart in A and were left out", ub.id));
        }
    }
    // Rebuild B's node list: its users at A's places, the rest in B's order.
    let mut rest: Vec<Node> = b.nodes.iter().filter(|n| !is_users(n)).cloned().collect();
    rest.reverse();
    let mut nodes = Vec::with_capacity(b.nodes.len());
    let mut users = placed.clone().into_iter();
    let places: Vec<usize> = users_a.iter().map(|(i, _)| *i).collect();
    let total = rest.len() + placed.len();
    for i in 0..total {
        let next =
            if places.contains(&i) { users.next().or_else(|| rest.pop()) } else { rest.pop().or_else(|| users.next()) };
        if let Some(n) = next {
            nodes.push(n);
        }
    }
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    b2.links.retain(|l| ids.contains(&l.from) && ids.contains(&l.to));
    b2.nodes = nodes;
    // The same faults at the same times, where B has what they name.
    let mut faults = Vec::new();
    for f in &a.faults {
        let exists = |id: &str| b2.node_index(id).is_some() || b2.data_center(id).is_some();
        if exists(&f.node) && f.with.as_deref().is_none_or(exists) {
            faults.push(f.clone());
        } else {
            notes.push(format!("the fault on {} at {} s is left out: B has no {}", f.node, f.at_s, f.node));
        }
    }
    if b2.faults != faults {
        b2.faults = faults;
        if !a.faults.is_empty() {
            notes.push("B gets A's scheduled faults".to_string());
        }
    }
    Ok(Pairing { a: a.clone(), b: b2, notes })
}

/// One design's numbers in a comparison, all from the engine: totals and
/// latency over the statistics window (warm-up to now), and the headline
/// intervals over the last batches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Simulated seconds now, and of statistics window so far (0 in the warm-up).
    pub now_s: f64,
    pub window_s: f64,
    /// Requests the users sent in the window (the same in A and B when the
    /// traffic is identical and both are at the same time).
    pub generated: u64,
    pub ok: u64,
    pub failed: u64,
    /// Every cause, in `Cause::ALL` order.
    pub failed_by_cause: Vec<(String, u64)>,
    /// Successful requests per simulated second of the window, answered
    /// within the users' deadline: the goodput (the report's `goodput_rps`).
    pub goodput_rps: Option<f64>,
    /// Successful answers per simulated second of the window, late ones too
    /// (the report's `throughput_rps`): above the goodput when work is done
    /// for users who have given up.
    pub throughput_rps: Option<f64>,
    /// Attempts the users sent per request (the report's
    /// `attempts_per_request`; `None` without requests).
    pub attempts_per_request: Option<f64>,
    /// Failed share of the window's requests that have ended.
    pub error_rate: Option<f64>,
    pub latency_mean_ms: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub lost_writes: u64,
    pub cost_per_month_usd: f64,
    /// Mean and p99 latency and error rate with 95% intervals (batch means).
    pub headline: Headline,
}

impl Figures {
    pub fn of(sim: &Simulation) -> Figures {
        let r = sim.report();
        let q = &r.requests;
        let failed = q.failed.total();
        let ended = q.ok + failed;
        let window = r.window_s > 0.0;
        let latency = |v: f64| (r.latency_ms.count > 0).then_some(v);
        Figures {
            now_s: r.sim_time_s,
            window_s: r.window_s,
            generated: q.generated,
            ok: q.ok,
            failed,
            failed_by_cause: Cause::ALL.iter().map(|&c| (c.name().to_string(), q.failed.get(c))).collect(),
            goodput_rps: window.then(|| q.ok as f64 / r.window_s),
            throughput_rps: window.then_some(r.throughput_rps),
            attempts_per_request: r.attempts_per_request,
            error_rate: (ended > 0).then(|| failed as f64 / ended as f64),
            latency_mean_ms: latency(r.latency_ms.mean),
            latency_p50_ms: latency(r.latency_ms.p50),
            latency_p99_ms: latency(r.latency_ms.p99),
            lost_writes: r.lost_writes,
            cost_per_month_usd: r.cost_per_month_usd,
            headline: sim.headline(),
        }
    }
}

/// The rows of the table of differences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Metric {
    /// Requests sent in the window: equal when the traffic is identical.
    Requests,
    /// Successes answered in time per second: the goodput.
    Throughput,
    MeanLatency,
    P50Latency,
    P99Latency,
    ErrorRate,
    LostWrites,
    Cost,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::Requests,
        Metric::Throughput,
        Metric::MeanLatency,
        Metric::P50Latency,
        Metric::P99Latency,
        Metric::ErrorRate,
        Metric::LostWrites,
        Metric::Cost,
    ];

    /// A stable name (`"p99_latency"`).
    pub fn key(self) -> &'static str {
        match self {
            Metric::Requests => "requests",
            Metric::Throughput => "throughput",
            Metric::MeanLatency => "mean_latency",
            Metric::P50Latency => "p50_latency",
            Metric::P99Latency => "p99_latency",
            Metric::ErrorRate => "error_rate",
            Metric::LostWrites => "lost_writes",
            Metric::Cost => "cost",
        }
    }
}

/// How B compares with A on one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Exactly equal.
    Same,
    /// B is better: its interval lies wholly on the better side of A's (or,
    /// for an exact tally, its value is better).
    Better,
    Worse,
    /// The 95% intervals overlap: the run cannot tell the designs apart.
    NoClearDifference,
    /// Judged by intervals, but one side has none yet (too few batches).
    NotYet,
    /// Neither an interval nor an exact tally (p50, throughput): not judged.
    NotJudged,
}

/// A 95% range around a figure over the last batches: symmetric for the
/// latencies (batch means), a Wilson range for the error rate, which stays
/// within 0–100% where a symmetric one ran below zero.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Range {
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// Batches of 10 s it covers.
    pub batches: usize,
}

impl From<Interval> for Range {
    fn from(i: Interval) -> Range {
        Range { value: i.mean, low: i.mean - i.half_width, high: i.mean + i.half_width, batches: i.batches }
    }
}

impl From<Proportion> for Range {
    fn from(p: Proportion) -> Range {
        Range { value: p.estimate, low: p.low, high: p.high, batches: p.batches }
    }
}

impl Range {
    fn overlaps(&self, other: &Range) -> bool {
        self.low <= other.high && other.low <= self.high
    }
}

/// One row of the table of differences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub metric: Metric,
    /// The values compared: the interval means when the row is judged by
    /// intervals and both have one, else the window's figures.
    pub a: Option<f64>,
    pub b: Option<f64>,
    pub b_minus_a: Option<f64>,
    /// The ranges the verdict used (rows judged by intervals only).
    pub a_interval: Option<Range>,
    pub b_interval: Option<Range>,
    pub verdict: Verdict,
}

/// The table of differences between A's and B's figures. Mean and p99
/// latency and the error rate are judged by their 95% intervals (overlapping
/// intervals: no clear difference); lost writes and cost are exact tallies of
/// the same traffic and judged by value; requests sent, throughput and p50
/// have neither and are only shown. Lower is better except for throughput.
pub fn differences(a: &Figures, b: &Figures) -> Vec<Difference> {
    Metric::ALL.iter().map(|&m| difference(m, a, b)).collect()
}

fn difference(metric: Metric, a: &Figures, b: &Figures) -> Difference {
    let interval = |f: &Figures| -> Option<Range> {
        match metric {
            Metric::MeanLatency => f.headline.mean_latency_ms.map(Range::from),
            Metric::P99Latency => f.headline.p99_latency_ms.map(Range::from),
            Metric::ErrorRate => f.headline.error_proportion.map(Range::from),
            _ => None,
        }
    };
    let value = |f: &Figures| match metric {
        Metric::Requests => Some(f.generated as f64),
        Metric::Throughput => f.goodput_rps,
        Metric::MeanLatency => f.latency_mean_ms,
        Metric::P50Latency => f.latency_p50_ms,
        Metric::P99Latency => f.latency_p99_ms,
        Metric::ErrorRate => f.error_rate,
        Metric::LostWrites => Some(f.lost_writes as f64),
        Metric::Cost => Some(f.cost_per_month_usd),
    };
    let by_interval = matches!(metric, Metric::MeanLatency | Metric::P99Latency | Metric::ErrorRate);
    let (ia, ib) = (interval(a), interval(b));
    let (va, vb) = match (ia, ib) {
        (Some(x), Some(y)) => (Some(x.value), Some(y.value)),
        _ => (value(a), value(b)),
    };
    let b_minus_a = va.zip(vb).map(|(x, y)| y - x);
    // B's change in the direction of "better": lower is better but for throughput.
    let better = |x: f64, y: f64| if metric == Metric::Throughput { y > x } else { y < x };
    let verdict = match (va, vb) {
        (Some(x), Some(y)) if x == y && ia.map(|i| (i.low, i.high)) == ib.map(|i| (i.low, i.high)) => Verdict::Same,
        _ if by_interval => match (ia, ib) {
            (Some(x), Some(y)) if x.overlaps(&y) => Verdict::NoClearDifference,
            (Some(x), Some(y)) if better(x.value, y.value) => Verdict::Better,
            (Some(_), Some(_)) => Verdict::Worse,
            _ => Verdict::NotYet,
        },
        (Some(x), Some(y)) if matches!(metric, Metric::LostWrites | Metric::Cost) => {
            if better(x, y) {
                Verdict::Better
            } else {
                Verdict::Worse
            }
        }
        _ => Verdict::NotJudged,
    };
    let (a_interval, b_interval) = if by_interval { (ia, ib) } else { (None, None) };
    Difference { metric, a: va, b: vb, b_minus_a, a_interval, b_interval, verdict }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(json: &str) -> Scenario {
        Scenario::from_json(json).unwrap()
    }

    #[test]
    fn no_users_no_comparison() {
        let a =
            scenario(r#"{"version":1,"seed":1,"duration_s":10,"nodes":[{"id":"w","kind":"web_server"}],"links":[]}"#);
        assert_eq!(pair(&a, &a).unwrap_err(), CompareError::NoTraffic);
        assert!(CompareError::NoTraffic.to_string().contains("add users"));
    }
}
