//! Goals: "serve 2,500 requests/s with p99 under 250 ms and errors under 1%,
//! and survive the loss of web-1". A lesson states its goal in numbers, and the
//! engine — never the page — decides whether the running design meets it.
//!
//! A goal has two parts:
//!
//! - **Checks**, measured over tumbling windows of [`WINDOW_S`] simulated
//!   seconds (after the warm-up). Each window either passes every check or
//!   not; the checks are met once consecutive passing windows cover `hold_s`
//!   seconds. One good second proves nothing, and a window long enough to hold
//!   a few hundred requests makes a p99 mean something.
//! - **Drills**: experiments the learner performs. "Fail web-1: errors back
//!   under 1% within 10 s" starts when web-1 is seen down, and passes when the
//!   error rate of every second stays under the bound for [`CONFIRM_S`]
//!   seconds, starting no later than `within_s` after the failure, with fewer
//!   lost writes (and lost sessions) than allowed. The target must stay down
//!   until the drill is decided; bringing it back early abandons the attempt
//!   (recovering the node would otherwise "fix" any design). An **outage**
//!   drill is the other way round, for a lesson whose point is to see a
//!   failure: "fail the server: every request fails; recover it: errors back
//!   under 1% within 10 s". Its target must stay down until the error rate
//!   over [`CONFIRM_S`] whole seconds, from the second after the one it failed
//!   in, has been measured inside the expected band (`while_down`); then it
//!   comes back, and the error rate must settle as a failure drill's does.
//!   "Alert X fires" passes when the alert rule fires.
//!
//! The goal is met, and stays met (`met_at_s`), once the checks have been met
//! and every drill has passed, in either order. Changing the design (not
//! moving boxes, not faults) starts the goal over: it is about the design that
//! is running. Checks that name a node that is not there fail with a message,
//! so deleting the cache cannot pass a hit-ratio check.
//!
//! The evaluator, [`GoalTracker`], is pure: the simulation hands it one
//! [`Second`] per simulated second, like the alert rules, and it keeps a few
//! counters per check plus one latency histogram.

use crate::base::histogram::Histogram;
use crate::model::kinds::NodeKind;
use serde::{Deserialize, Serialize};

/// Length of a measurement window, in simulated seconds.
pub const WINDOW_S: u32 = 10;
/// Seconds the error rate must stay under a drill's bound to count as recovered.
pub const CONFIRM_S: u32 = 5;
/// The most checks and drills one goal holds.
pub const MAX_CHECKS: usize = 20;
pub const MAX_DRILLS: usize = 10;
/// The longest hold and drill window, in seconds (one hour).
pub const MAX_HOLD_S: u32 = 3600;

/// A goal as written in a scenario (`"goal": {...}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Goal {
    /// Seconds the checks must hold together (rounded up to whole windows).
    pub hold_s: u32,
    pub checks: Vec<Check>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drills: Vec<Drill>,
}

/// One number to keep above or below a bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub metric: GoalMetric,
    /// The node the metric is read at (metrics of one node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// A node kind: the worst node of that kind counts (the busiest database,
    /// the coldest cache); for single points of failure, only that kind counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<NodeKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GoalMetric {
    /// The users' configured peak rate, requests/s (so lowering the traffic
    /// cannot pass a goal).
    TrafficRps,
    /// 99th percentile of response time over the window, ms.
    P99Ms,
    /// Failed over finished requests in the window.
    ErrorRate,
    /// Monthly cost of the design at the end of the window, dollars.
    CostUsdPerMonth,
    /// Nodes whose loss alone stops the service.
    SinglePointsOfFailure,
    /// Cache (or CDN) hits over lookups in the window.
    HitRatio,
    /// Busy fraction of a node's workers, mean over the window.
    Utilization,
    /// Jobs waiting in a message queue, the most at any second's end.
    Backlog,
    /// Age of the oldest waiting job at the end of the window, seconds.
    OldestJobS,
    /// Successes within the users' deadline over the requests they sent in
    /// the window: the share of the demand served in time.
    GoodputShare,
    /// Attempts the users sent (first tries and retries) per request they
    /// sent in the window: the load retries add.
    AttemptsPerRequest,
}

/// Metric names as written in scenario files.
pub const GOAL_METRICS: &[&str] = &[
    "traffic_rps",
    "p99_ms",
    "error_rate",
    "cost_usd_per_month",
    "single_points_of_failure",
    "hit_ratio",
    "utilization",
    "backlog",
    "oldest_job_s",
    "goodput_share",
    "attempts_per_request",
];

impl GoalMetric {
    pub fn from_name(name: &str) -> Option<GoalMetric> {
        use GoalMetric::*;
        Some(match name {
            "traffic_rps" => TrafficRps,
            "p99_ms" => P99Ms,
            "error_rate" => ErrorRate,
            "cost_usd_per_month" => CostUsdPerMonth,
            "single_points_of_failure" => SinglePointsOfFailure,
            "hit_ratio" => HitRatio,
            "utilization" => Utilization,
            "backlog" => Backlog,
            "oldest_job_s" => OldestJobS,
            "goodput_share" => GoodputShare,
            "attempts_per_request" => AttemptsPerRequest,
            _ => return None,
        })
    }

    /// Metrics read at a node need `node` or `kind`.
    pub fn per_node(self) -> bool {
        matches!(self, GoalMetric::HitRatio | GoalMetric::Utilization | GoalMetric::Backlog | GoalMetric::OldestJobS)
    }

    fn is_fraction(self) -> bool {
        matches!(
            self,
            GoalMetric::ErrorRate | GoalMetric::HitRatio | GoalMetric::Utilization | GoalMetric::GoodputShare
        )
    }
}

/// An experiment the learner performs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Drill {
    /// Fail a node or a whole data center and leave it down.
    Failure {
        /// Node or data-center id.
        fail: String,
        errors_below: f64,
        within_s: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lost_writes_below: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sessions_lost_below: Option<u64>,
    },
    /// Fail a node or a data center, see the failure in the error rate, then
    /// bring it back: the learner watches what a failure does rather than a
    /// design that hides it.
    Outage {
        /// Node or data-center id.
        fail: String,
        /// The error rate expected while it is down.
        while_down: ErrorBand,
        /// After it is back: errors under this bound...
        errors_below: f64,
        /// ...starting within this many seconds of the recovery.
        within_s: u32,
    },
    /// Slow a node down for a while (a latency spike), then see the design
    /// serve again: a design that stays overloaded after its trigger has
    /// gone (a retry storm, a metastable failure) does not pass.
    Slowdown {
        /// Node id.
        slow: String,
        /// The slowdown to apply, at least.
        factor: f64,
        /// For this many seconds, at least.
        for_s: u32,
        /// Once the node is back to speed: the goodput share of every second
        /// at least this...
        goodput_back_above: f64,
        /// ...starting within this many seconds.
        within_s: u32,
    },
    /// An alert rule must fire.
    Alert { alert: String },
}

/// An expected range of the error rate: at least `errors_above`, under
/// `errors_below` (at least one of them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBand {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors_above: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors_below: Option<f64>,
}

impl ErrorBand {
    pub fn contains(&self, rate: f64) -> bool {
        self.errors_above.is_none_or(|a| rate >= a) && self.errors_below.is_none_or(|b| rate < b)
    }

    /// "at least 99%", "under 25%", "at least 50% and under 95%".
    pub fn words(&self) -> String {
        let pct = |v: f64| format_value(GoalMetric::ErrorRate, v);
        match (self.errors_above, self.errors_below) {
            (Some(a), Some(b)) => format!("at least {} and under {}", pct(a), pct(b)),
            (Some(a), None) => format!("at least {}", pct(a)),
            (None, Some(b)) => format!("under {}", pct(b)),
            (None, None) => "anything".into(),
        }
    }
}

impl Check {
    /// The check in words: "p99 under 250 ms", "busiest database under 70% busy".
    pub fn label(&self) -> String {
        let (word, bound) = match (self.below, self.above) {
            (Some(b), _) => ("under", b),
            (None, Some(a)) => ("above", a),
            (None, None) => ("at", f64::NAN),
        };
        let at = |what: &str| match (&self.node, &self.kind) {
            (Some(n), _) => format!("{what} of {n}"),
            (None, Some(k)) => format!("{what} of the worst {}", kind_words(*k, false)),
            (None, None) => what.to_string(),
        };
        let b = format_value(self.metric, bound);
        match self.metric {
            GoalMetric::TrafficRps => match self.above {
                Some(a) => format!("traffic at least {}", format_value(self.metric, a)),
                None => format!("traffic {word} {b}"),
            },
            GoalMetric::P99Ms => format!("p99 {word} {b}"),
            GoalMetric::ErrorRate => format!("errors {word} {b}"),
            GoalMetric::CostUsdPerMonth => format!("cost {word} {b}"),
            GoalMetric::SinglePointsOfFailure => {
                let among = self.kind.map(|k| format!(" among {}", kind_words(k, true))).unwrap_or_default();
                match self.below {
                    Some(x) if x <= 1.0 => format!("no single point of failure{among}"),
                    _ => format!("single points of failure{among} {word} {}", bound),
                }
            }
            GoalMetric::HitRatio => format!("{} {word} {b}", at("hit ratio")),
            GoalMetric::Utilization => match (&self.node, &self.kind) {
                (None, Some(k)) => format!("busiest {} {word} {b} busy", kind_words(*k, false)),
                _ => format!("{} {word} {b}", at("utilization")),
            },
            GoalMetric::Backlog => format!("{} {word} {b}", at("backlog")),
            GoalMetric::OldestJobS => format!("{} {word} {b}", at("oldest job")),
            GoalMetric::GoodputShare => format!("goodput {word} {b} of requests"),
            GoalMetric::AttemptsPerRequest => format!("attempts per request {word} {b}"),
        }
    }

    fn passes(&self, v: f64) -> bool {
        // "Under" is strict; "above" reads as "at least" (a traffic floor is met by the floor itself).
        self.below.is_none_or(|b| v < b) && self.above.is_none_or(|a| v >= a)
    }

    /// Of several nodes' values, the one that decides: the highest against an
    /// upper bound, the lowest against a lower one.
    fn worst(&self, a: f64, b: f64) -> f64 {
        if self.below.is_some() {
            a.max(b)
        } else {
            a.min(b)
        }
    }
}

impl Drill {
    /// The node or data center the drill fails.
    pub fn target(&self) -> Option<&str> {
        match self {
            Drill::Failure { fail, .. } | Drill::Outage { fail, .. } => Some(fail),
            Drill::Slowdown { slow, .. } => Some(slow),
            Drill::Alert { .. } => None,
        }
    }

    pub fn label(&self) -> String {
        match self {
            Drill::Failure { fail, errors_below, within_s, lost_writes_below, sessions_lost_below } => {
                let mut s = format!(
                    "Fail {fail}: errors back under {} within {within_s} s",
                    format_value(GoalMetric::ErrorRate, *errors_below)
                );
                if let Some(w) = lost_writes_below {
                    s += &format!(", fewer than {} writes lost", group(*w as f64));
                }
                if let Some(n) = sessions_lost_below {
                    if *n <= 1 {
                        s += ", no sessions lost";
                    } else {
                        s += &format!(", fewer than {} sessions lost", group(*n as f64));
                    }
                }
                s
            }
            Drill::Outage { fail, while_down, errors_below, within_s } => format!(
                "Fail {fail}: errors {} while it is down; recover it: errors back under {} within {within_s} s",
                while_down.words(),
                format_value(GoalMetric::ErrorRate, *errors_below)
            ),
            Drill::Slowdown { slow, factor, for_s, goodput_back_above, within_s } => format!(
                "Slow {slow} ×{} for {for_s} s: goodput back above {} within {within_s} s",
                trim_number(*factor),
                format_value(GoalMetric::GoodputShare, *goodput_back_above)
            ),
            Drill::Alert { alert } => format!("The alert \"{alert}\" fires"),
        }
    }
}

/// 4 → "4", 2.5 → "2.5".
fn trim_number(x: f64) -> String {
    if x == x.round() {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// "database" → "database" / "databases"; "web_server" → "web server(s)":
/// the kind's name as a goal in a file writes it, not its label.
fn kind_words(kind: NodeKind, plural: bool) -> String {
    let words = kind.name().replace('_', " ");
    if plural {
        format!("{words}s")
    } else {
        words
    }
}

/// A whole number with thousands separators.
fn group(x: f64) -> String {
    let n = x.round().abs() as u64;
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A value of `metric` for people: "250 ms", "1%", "0.25%", "$4,000/month".
pub fn format_value(metric: GoalMetric, v: f64) -> String {
    if !v.is_finite() {
        return "—".to_string();
    }
    if metric.is_fraction() {
        let pct = v * 100.0;
        return if pct == pct.round() {
            format!("{pct:.0}%")
        } else if pct >= 10.0 {
            format!("{pct:.1}%")
        } else {
            format!("{pct:.2}%")
        };
    }
    match metric {
        GoalMetric::P99Ms if v < 10.0 => format!("{v:.1} ms"),
        GoalMetric::P99Ms => format!("{} ms", group(v)),
        GoalMetric::CostUsdPerMonth => format!("${}/month", group(v)),
        GoalMetric::TrafficRps => format!("{} requests/s", group(v)),
        GoalMetric::Backlog => format!("{} jobs", group(v)),
        GoalMetric::OldestJobS => format!("{v:.1} s"),
        // "1.42", "1.5", "2".
        GoalMetric::AttemptsPerRequest => format!("{v:.2}").trim_end_matches('0').trim_end_matches('.').to_string(),
        _ => group(v),
    }
}

/// How a check stands, for the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckStatus {
    pub label: String,
    /// The value in the last whole window (`None`: no window yet, or nothing to measure).
    pub value: Option<f64>,
    /// The value in words ("182 ms"), or why there is none ("no node cache").
    pub value_text: String,
    /// Whether the last whole window passed this check.
    pub passing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillState {
    NotTried,
    Running,
    Passed,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrillStatus {
    pub label: String,
    pub state: DrillState,
    /// What happened, in words ("recovered after 6 s, 0 writes lost").
    pub detail: String,
}

/// The goal as it stands now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GoalStatus {
    pub checks: Vec<CheckStatus>,
    pub drills: Vec<DrillStatus>,
    /// Seconds the checks have held together so far (whole windows, at most `hold_s`).
    pub held_s: u32,
    pub hold_s: u32,
    /// Whether the checks have been met (they held `hold_s` at some point since the last design change).
    pub checks_met: bool,
    /// The simulated second at which the whole goal was met, once it is.
    pub met_at_s: Option<u64>,
}

impl GoalStatus {
    pub fn met(&self) -> bool {
        self.met_at_s.is_some()
    }
}

/// One node during one simulated second.
#[derive(Clone, Debug)]
pub struct NodeSecond {
    pub id: String,
    pub kind: NodeKind,
    pub down: bool,
    pub utilization: f64,
    /// Waiting at the end of the second.
    pub queue_len: u64,
    pub hits: u64,
    pub lookups: u64,
    /// Age of the oldest waiting job at the end of the second, seconds.
    pub oldest_job_s: Option<f64>,
    /// How many times slower it serves than normal at the end of the second
    /// (1: normal speed).
    pub slowdown: f64,
}

/// The simulation during one second: what the tracker needs to know.
pub struct Second<'a> {
    pub t_s: u64,
    /// Requests the users sent, and the retries beyond their first attempts.
    pub generated: u64,
    pub retries: u64,
    /// Successes within the users' deadline.
    pub ok: u64,
    pub failed: u64,
    /// Response times of the second's successful requests.
    pub latency: &'a Histogram,
    /// Current nodes (removed ones left out).
    pub nodes: &'a [NodeSecond],
    /// Data centers in an outage.
    pub dcs_down: &'a [String],
    /// Totals since the start.
    pub lost_writes: u64,
    pub sessions_lost: u64,
    /// Alert rules that fired in this second.
    pub fired: &'a [String],
    pub traffic_rps: f64,
}

/// Figures computed only at the end of a window (they cost more than a
/// second's worth of counting).
pub struct WindowEnd {
    pub cost_usd_per_month: f64,
    /// Ids and kinds of the single points of failure.
    pub single_points_of_failure: Vec<(String, NodeKind)>,
}

/// Per-check sums over the current window.
#[derive(Clone, Debug, Default)]
struct Acc {
    /// Per matching node id: (sum of utilization, max backlog, hits, lookups, last oldest job).
    nodes: Vec<(String, f64, u64, u64, u64, Option<f64>)>,
    seconds: u32,
}

#[derive(Clone, Debug)]
enum Attempt {
    Idle {
        detail: String,
    },
    Running {
        since_s: u64,
        lost0: u64,
        sessions0: u64,
        good_since: Option<u64>,
    },
    /// An outage drill's target is down (seen first at the end of second
    /// `since_s`): its errors are summed from second `since_s + 2` until `seen`.
    Down {
        since_s: u64,
        ok: u64,
        failed: u64,
        seconds: u32,
        seen: Option<f64>,
    },
    /// A slowdown drill's target is slowed enough, since second `since_s`,
    /// seen so at `seconds` second ends.
    Slowed {
        since_s: u64,
        seconds: u32,
    },
    /// A slowdown drill's target is back to speed since `since_s` after
    /// `slowed_s` seconds: the goodput must come back.
    Sped {
        since_s: u64,
        slowed_s: u32,
        good_since: Option<u64>,
    },
    /// Back up at `since_s` after its failure was seen (error rate `down_rate`).
    Back {
        since_s: u64,
        down_rate: f64,
        good_since: Option<u64>,
    },
    /// Decided. A failed drill can be tried again once its target has been
    /// seen up (`rearmed`) and fails again.
    Done {
        passed: bool,
        detail: String,
        rearmed: bool,
    },
}

/// Evaluates a [`Goal`] one simulated second at a time.
#[derive(Clone, Debug)]
pub struct GoalTracker {
    goal: Goal,
    /// Windows start at `start_s` (the warm-up's end) and every `WINDOW_S` after.
    start_s: u64,
    window_generated: u64,
    window_retries: u64,
    window_ok: u64,
    window_failed: u64,
    latency: Histogram,
    acc: Vec<Acc>,
    seconds_in_window: u32,
    held_windows: u32,
    checks_met: bool,
    drills: Vec<Attempt>,
    drill_passed: Vec<bool>,
    /// Lost writes and lost sessions at the end of the previous second.
    before: (u64, u64),
    status: GoalStatus,
}

impl GoalTracker {
    pub fn new(goal: Goal, warmup_s: u64) -> GoalTracker {
        let status = GoalStatus {
            checks: goal
                .checks
                .iter()
                .map(|c| CheckStatus {
                    label: c.label(), value: None, value_text: "measuring…".into(), passing: false
                })
                .collect(),
            drills: goal
                .drills
                .iter()
                .map(|d| DrillStatus { label: d.label(), state: DrillState::NotTried, detail: not_tried(d) })
                .collect(),
            held_s: 0,
            hold_s: goal.hold_s,
            checks_met: false,
            met_at_s: None,
        };
        GoalTracker {
            acc: vec![Acc::default(); goal.checks.len()],
            drills: goal.drills.iter().map(|d| Attempt::Idle { detail: not_tried(d) }).collect(),
            drill_passed: vec![false; goal.drills.len()],
            before: (0, 0),
            goal,
            start_s: warmup_s,
            window_generated: 0,
            window_retries: 0,
            window_ok: 0,
            window_failed: 0,
            latency: Histogram::new(),
            seconds_in_window: 0,
            held_windows: 0,
            checks_met: false,
            status,
        }
    }

    pub fn goal(&self) -> &Goal {
        &self.goal
    }

    pub fn status(&self) -> &GoalStatus {
        &self.status
    }

    /// The design changed at second `t_s`: everything starts over from the next window.
    pub fn restart(&mut self, t_s: u64) {
        let (warm, before) = (self.start_s, self.before);
        *self = GoalTracker::new(self.goal.clone(), t_s.max(warm));
        self.before = before;
    }

    /// Takes in the second that ended at `s.t_s`; `window_end` is asked for
    /// only when that second closes a window.
    pub fn second(&mut self, s: &Second<'_>, window_end: impl FnOnce() -> WindowEnd) {
        self.drills_second(s);
        if s.t_s <= self.start_s {
            return;
        }
        self.window_generated += s.generated;
        self.window_retries += s.retries;
        self.window_ok += s.ok;
        self.window_failed += s.failed;
        self.latency.merge(s.latency);
        for (c, acc) in self.goal.checks.iter().zip(self.acc.iter_mut()) {
            if !c.metric.per_node() {
                continue;
            }
            for n in s.nodes.iter().filter(|n| matches_node(c, n)) {
                let i = match acc.nodes.iter().position(|a| a.0 == n.id) {
                    Some(i) => i,
                    None => {
                        acc.nodes.push((n.id.clone(), 0.0, 0, 0, 0, None));
                        acc.nodes.len() - 1
                    }
                };
                let a = &mut acc.nodes[i];
                a.1 += n.utilization;
                a.2 = a.2.max(n.queue_len);
                a.3 += n.hits;
                a.4 += n.lookups;
                a.5 = n.oldest_job_s;
            }
            acc.seconds += 1;
        }
        self.seconds_in_window += 1;
        if self.seconds_in_window >= WINDOW_S {
            let end = window_end();
            self.close_window(s, &end);
        }
        self.status.checks_met = self.checks_met;
        if self.status.met_at_s.is_none() && self.checks_met && self.drill_passed.iter().all(|p| *p) {
            self.status.met_at_s = Some(s.t_s);
        }
    }

    fn close_window(&mut self, s: &Second<'_>, end: &WindowEnd) {
        let finished = self.window_ok + self.window_failed;
        let mut all = true;
        for (k, c) in self.goal.checks.iter().enumerate() {
            let (value, text): (Option<f64>, String) = match c.metric {
                GoalMetric::TrafficRps => (Some(s.traffic_rps), String::new()),
                GoalMetric::P99Ms => match self.latency.count() {
                    0 => (None, "no successful requests".into()),
                    _ => (Some(self.latency.quantile(0.99) / 1e6), String::new()),
                },
                GoalMetric::ErrorRate => match finished {
                    0 => (None, "no finished requests".into()),
                    _ => (Some(self.window_failed as f64 / finished as f64), String::new()),
                },
                // Answers are counted when they end and requests when they are
                // sent, so a window in which a backlog drains can answer more
                // than it sent: the share is capped at all of them.
                GoalMetric::GoodputShare => match self.window_generated {
                    0 => (None, "no requests sent".into()),
                    g => (Some((self.window_ok as f64 / g as f64).min(1.0)), String::new()),
                },
                GoalMetric::AttemptsPerRequest => match self.window_generated {
                    0 => (None, "no requests sent".into()),
                    g => (Some((g + self.window_retries) as f64 / g as f64), String::new()),
                },
                GoalMetric::CostUsdPerMonth => (Some(end.cost_usd_per_month), String::new()),
                GoalMetric::SinglePointsOfFailure => {
                    let ids: Vec<&str> = end
                        .single_points_of_failure
                        .iter()
                        .filter(|(_, kind)| c.kind.is_none_or(|k| k == *kind))
                        .map(|(id, _)| id.as_str())
                        .collect();
                    let text = if ids.is_empty() { "none".to_string() } else { ids.join(", ") };
                    (Some(ids.len() as f64), text)
                }
                GoalMetric::HitRatio | GoalMetric::Utilization | GoalMetric::Backlog | GoalMetric::OldestJobS => {
                    self.node_value(k, c)
                }
            };
            let passing = value.is_some_and(|v| c.passes(v));
            all &= passing;
            let value_text = match (value, text.is_empty()) {
                (Some(v), true) => format_value(c.metric, v),
                (_, false) => text,
                (None, true) => "—".into(),
            };
            self.status.checks[k] = CheckStatus { label: c.label(), value, value_text, passing };
        }
        self.held_windows = if all { self.held_windows + 1 } else { 0 };
        let needed = self.goal.hold_s.div_ceil(WINDOW_S).max(1);
        if self.held_windows >= needed {
            self.checks_met = true;
        }
        self.status.held_s = (self.held_windows * WINDOW_S).min(self.goal.hold_s.max(WINDOW_S));
        // The next window.
        self.window_generated = 0;
        self.window_retries = 0;
        self.window_ok = 0;
        self.window_failed = 0;
        self.latency.clear();
        self.seconds_in_window = 0;
        for a in &mut self.acc {
            *a = Acc::default();
        }
    }

    /// The worst matching node's value of a per-node metric, with its id.
    fn node_value(&self, k: usize, c: &Check) -> (Option<f64>, String) {
        let acc = &self.acc[k];
        if acc.nodes.is_empty() {
            let what = match (&c.node, &c.kind) {
                (Some(n), _) => format!("no node {n}"),
                (None, Some(kind)) => format!("no {}", kind_words(*kind, false)),
                _ => "no node".into(),
            };
            return (None, what);
        }
        let mut best: Option<(f64, &str)> = None;
        for (id, util, backlog, hits, lookups, oldest) in &acc.nodes {
            let v = match c.metric {
                GoalMetric::Utilization => Some(util / acc.seconds.max(1) as f64),
                GoalMetric::Backlog => Some(*backlog as f64),
                GoalMetric::HitRatio => (*lookups > 0).then(|| *hits as f64 / *lookups as f64),
                GoalMetric::OldestJobS => Some(oldest.unwrap_or(0.0)),
                _ => None,
            };
            let Some(v) = v else { continue };
            best = Some(match best {
                None => (v, id),
                Some((b, bid)) => {
                    let w = c.worst(b, v);
                    if w == b {
                        (b, bid)
                    } else {
                        (v, id)
                    }
                }
            });
        }
        match best {
            None => (None, "no lookups".into()),
            Some((v, id)) if c.node.is_none() && acc.nodes.len() > 1 => {
                (Some(v), format!("{} ({id})", format_value(c.metric, v)))
            }
            Some((v, _)) => (Some(v), String::new()),
        }
    }

    /// An outage drill's target is back (since `since_s`): the errors must
    /// settle under the bound for [`CONFIRM_S`] seconds, starting within `within_s`.
    fn outage_back(&self, k: usize, s: &Second<'_>, since_s: u64, down_rate: f64, good_since: Option<u64>) -> Attempt {
        let Drill::Outage { fail, errors_below, within_s, .. } = &self.goal.drills[k] else {
            unreachable!("only outage drills come back")
        };
        let finished = s.ok + s.failed;
        let rate = (finished > 0).then(|| s.failed as f64 / finished as f64);
        let good = rate.is_some_and(|r| r < *errors_below);
        let good_since = if good { Some(good_since.unwrap_or(s.t_s)) } else { None };
        let deadline = since_s + u64::from(*within_s);
        let down = format_value(GoalMetric::ErrorRate, down_rate);
        match good_since.filter(|g| s.t_s + 1 - g >= u64::from(CONFIRM_S)) {
            Some(g) if g <= deadline => Attempt::Done {
                passed: true,
                detail: format!(
                    "errors at {down} while {fail} was down; back under the bound {} s after it recovered",
                    g - since_s
                ),
                rearmed: false,
            },
            _ if s.t_s >= deadline && good_since.is_none() => Attempt::Done {
                passed: false,
                detail: format!(
                    "errors still {} {within_s} s after {fail} came back",
                    rate.map_or("unmeasurable (nothing finished)".to_string(), |r| format!(
                        "at {}",
                        format_value(GoalMetric::ErrorRate, r)
                    ))
                ),
                // Decided with the target up: the next failure is a new try.
                rearmed: true,
            },
            _ => Attempt::Back { since_s, down_rate, good_since },
        }
    }

    /// A slowdown drill's target is back to speed (since `since_s`, after
    /// `slowed_s` seconds slowed): the goodput share of every second must
    /// stay at or above the bound for [`CONFIRM_S`] seconds, starting within `within_s`.
    fn slow_back(&self, k: usize, s: &Second<'_>, since_s: u64, slowed_s: u32, good_since: Option<u64>) -> Attempt {
        let Drill::Slowdown { slow, goodput_back_above, within_s, .. } = &self.goal.drills[k] else {
            unreachable!("only slowdown drills speed up")
        };
        let share = (s.generated > 0).then(|| s.ok as f64 / s.generated as f64);
        let good = share.is_some_and(|g| g >= *goodput_back_above);
        let good_since = if good { Some(good_since.unwrap_or(s.t_s)) } else { None };
        let deadline = since_s + u64::from(*within_s);
        match good_since.filter(|g| s.t_s + 1 - g >= u64::from(CONFIRM_S)) {
            Some(g) if g <= deadline => Attempt::Done {
                passed: true,
                detail: format!("goodput back above the bound {} s after {slow} was back to speed", g - since_s),
                rearmed: false,
            },
            _ if s.t_s >= deadline && good_since.is_none() => Attempt::Done {
                passed: false,
                detail: format!(
                    "goodput still {} {within_s} s after {slow} was back to speed",
                    share.map_or("unmeasurable (no requests sent)".to_string(), |g| format!(
                        "at {}",
                        format_value(GoalMetric::GoodputShare, g)
                    ))
                ),
                // Decided with the target at speed: the next slowdown is a new try.
                rearmed: true,
            },
            _ => Attempt::Sped { since_s, slowed_s, good_since },
        }
    }

    fn drills_second(&mut self, s: &Second<'_>) {
        self.drills_step(s);
        self.before = (s.lost_writes, s.sessions_lost);
    }

    fn drills_step(&mut self, s: &Second<'_>) {
        let finished = s.ok + s.failed;
        for (k, d) in self.goal.drills.iter().enumerate() {
            let next = match (d, &self.drills[k]) {
                (Drill::Alert { alert }, Attempt::Idle { .. }) => s
                    .fired
                    .iter()
                    .any(|f| f == alert)
                    .then(|| Attempt::Done { passed: true, detail: format!("fired at {} s", s.t_s), rearmed: false }),
                (
                    Drill::Alert { .. },
                    Attempt::Done { .. }
                    | Attempt::Running { .. }
                    | Attempt::Down { .. }
                    | Attempt::Back { .. }
                    | Attempt::Slowed { .. }
                    | Attempt::Sped { .. },
                ) => None,
                (Drill::Slowdown { slow, factor, .. }, Attempt::Idle { .. } | Attempt::Done { passed: false, .. }) => {
                    node_of(slow, s)
                        .is_some_and(|n| !n.down && slowed_by(n, *factor))
                        .then_some(Attempt::Slowed { since_s: s.t_s, seconds: 1 })
                }
                (Drill::Slowdown { .. }, Attempt::Done { passed: true, .. }) => None,
                (Drill::Slowdown { slow, factor, for_s, .. }, Attempt::Slowed { since_s, seconds }) => {
                    Some(match node_of(slow, s) {
                        None => Attempt::Idle { detail: format!("no node {slow}") },
                        Some(n) if n.down => Attempt::Idle {
                            detail: format!("{slow} failed during the test: slow it down instead (a latency spike)"),
                        },
                        Some(n) if slowed_by(n, *factor) => Attempt::Slowed { since_s: *since_s, seconds: seconds + 1 },
                        // Slowed, but less than the drill asks: wait.
                        Some(n) if n.slowdown > 1.0 + 1e-9 => Attempt::Slowed { since_s: *since_s, seconds: *seconds },
                        // Back to speed; the seconds are counted at second ends, so one may be missed.
                        Some(_) if *seconds + 1 >= *for_s => self.slow_back(k, s, s.t_s, *seconds, None),
                        Some(_) => Attempt::Idle {
                            detail: format!(
                                "{slow} was back to speed after {seconds} s: slow it ×{} for {for_s} s",
                                trim_number(*factor)
                            ),
                        },
                    })
                }
                (Drill::Slowdown { slow, factor, .. }, Attempt::Sped { since_s, slowed_s, good_since }) => {
                    Some(match node_of(slow, s) {
                        None => Attempt::Idle { detail: format!("no node {slow}") },
                        Some(n) if n.down => Attempt::Idle {
                            detail: format!("{slow} failed during the test: slow it down instead (a latency spike)"),
                        },
                        // Slowed again before the goodput came back: a new try.
                        Some(n) if slowed_by(n, *factor) => Attempt::Slowed { since_s: s.t_s, seconds: 1 },
                        Some(_) => self.slow_back(k, s, *since_s, *slowed_s, *good_since),
                    })
                }
                (Drill::Slowdown { .. }, Attempt::Running { .. } | Attempt::Down { .. } | Attempt::Back { .. })
                | (Drill::Failure { .. } | Drill::Outage { .. }, Attempt::Slowed { .. } | Attempt::Sped { .. }) => {
                    unreachable!("each kind of drill has its own attempts")
                }
                (
                    Drill::Failure { fail, .. } | Drill::Outage { fail, .. },
                    Attempt::Done { passed: false, detail, rearmed: false },
                ) => {
                    (!is_down(fail, s)).then(|| Attempt::Done { passed: false, detail: detail.clone(), rearmed: true })
                }
                (
                    Drill::Outage { fail, .. },
                    Attempt::Idle { .. } | Attempt::Done { passed: false, rearmed: true, .. },
                ) => is_down(fail, s).then_some(Attempt::Down {
                    since_s: s.t_s,
                    ok: 0,
                    failed: 0,
                    seconds: 0,
                    seen: None,
                }),
                (Drill::Outage { .. }, Attempt::Done { passed: true, .. }) => None,
                (Drill::Outage { fail, while_down, .. }, Attempt::Down { since_s, ok, failed, seconds, seen }) => {
                    let (since_s, seen) = (*since_s, *seen);
                    if !is_down(fail, s) {
                        Some(match seen {
                            // Its second of coming back is the first of watching the errors settle.
                            Some(down_rate) => self.outage_back(k, s, s.t_s, down_rate, None),
                            None => Attempt::Idle {
                                detail: format!(
                                    "{fail} came back before its failure was measured: fail it, leave it down for {} s, then recover it",
                                    CONFIRM_S + 2
                                ),
                            },
                        })
                    } else if seen.is_some() || s.t_s <= since_s + 1 {
                        // The second it failed in is partly before the failure,
                        // and responses already on their way may still arrive
                        // in the next: the errors are measured from a second later.
                        None
                    } else {
                        let (ok, failed, seconds) = (ok + s.ok, failed + s.failed, seconds + 1);
                        let finished = ok + failed;
                        if seconds < CONFIRM_S || finished == 0 {
                            Some(Attempt::Down { since_s, ok, failed, seconds, seen: None })
                        } else {
                            let rate = failed as f64 / finished as f64;
                            if while_down.contains(rate) {
                                Some(Attempt::Down { since_s, ok, failed, seconds, seen: Some(rate) })
                            } else {
                                Some(Attempt::Done {
                                    passed: false,
                                    detail: format!(
                                        "errors at {} while {fail} was down, expected {}",
                                        format_value(GoalMetric::ErrorRate, rate),
                                        while_down.words()
                                    ),
                                    rearmed: false,
                                })
                            }
                        }
                    }
                }
                (Drill::Outage { fail, .. }, Attempt::Back { since_s, down_rate, good_since }) => {
                    Some(if is_down(fail, s) {
                        // Failed again before the errors settled: a new try.
                        Attempt::Down { since_s: s.t_s, ok: 0, failed: 0, seconds: 0, seen: None }
                    } else {
                        self.outage_back(k, s, *since_s, *down_rate, *good_since)
                    })
                }
                (Drill::Outage { .. }, Attempt::Running { .. })
                | (Drill::Failure { .. }, Attempt::Down { .. } | Attempt::Back { .. }) => {
                    unreachable!("each kind of drill has its own attempts")
                }
                (
                    Drill::Failure { fail, .. },
                    Attempt::Idle { .. } | Attempt::Done { passed: false, rearmed: true, .. },
                ) => {
                    // Losses counted from the end of the previous second: a
                    // crash counts what it destroys at the moment it happens.
                    is_down(fail, s).then_some(Attempt::Running {
                        since_s: s.t_s,
                        lost0: self.before.0.min(s.lost_writes),
                        sessions0: self.before.1.min(s.sessions_lost),
                        good_since: None,
                    })
                }
                (Drill::Failure { .. }, Attempt::Done { passed: true, .. }) => None,
                (
                    Drill::Failure { fail, errors_below, within_s, lost_writes_below, sessions_lost_below },
                    Attempt::Running { since_s, lost0, sessions0, good_since },
                ) => {
                    let (since_s, lost0, sessions0) = (*since_s, *lost0, *sessions0);
                    let good = finished > 0 && (s.failed as f64 / finished as f64) < *errors_below;
                    let good_since = if good { Some(good_since.unwrap_or(s.t_s)) } else { None };
                    let lost = s.lost_writes - lost0;
                    let sessions = s.sessions_lost - sessions0;
                    let deadline = since_s + u64::from(*within_s);
                    if !is_down(fail, s) {
                        Some(Attempt::Idle {
                            detail: format!(
                                "{fail} came back before the test was over: fail it and leave it down for {} s",
                                within_s + CONFIRM_S
                            ),
                        })
                    } else {
                        let recovered_at = good_since.filter(|g| s.t_s + 1 - g >= u64::from(CONFIRM_S));
                        let too_many_writes = lost_writes_below.is_some_and(|b| lost >= b);
                        let too_many_sessions = sessions_lost_below.is_some_and(|b| sessions >= b);
                        let losses = format!(
                            "{} writes lost{}",
                            group(lost as f64),
                            if sessions_lost_below.is_some() {
                                format!(", {} sessions lost", group(sessions as f64))
                            } else {
                                String::new()
                            }
                        );
                        match recovered_at {
                            _ if too_many_writes || too_many_sessions => Some(Attempt::Done {
                                passed: false,
                                detail: format!("too much lost: {losses}"),
                                rearmed: false,
                            }),
                            // The error rate settled in time: the good streak began by the deadline.
                            Some(g) if g <= deadline => Some(Attempt::Done {
                                passed: true,
                                detail: format!(
                                    "errors back under the bound after {} s; {losses}",
                                    g.saturating_sub(since_s)
                                ),
                                rearmed: false,
                            }),
                            // Past the deadline without a good streak under way: any streak would start too late.
                            _ if s.t_s >= deadline && good_since.is_none() => Some(Attempt::Done {
                                passed: false,
                                detail: format!(
                                    "errors still {} {within_s} s after {fail} failed; {losses}",
                                    if finished == 0 {
                                        "unmeasurable (nothing finished)".to_string()
                                    } else {
                                        format!(
                                            "at {}",
                                            format_value(GoalMetric::ErrorRate, s.failed as f64 / finished as f64)
                                        )
                                    }
                                ),
                                rearmed: false,
                            }),
                            _ => Some(Attempt::Running { since_s, lost0, sessions0, good_since }),
                        }
                    }
                }
            };
            if let Some(n) = next {
                self.drills[k] = n;
            }
            if let Attempt::Done { passed: true, .. } = self.drills[k] {
                self.drill_passed[k] = true;
            }
            self.status.drills[k] = match &self.drills[k] {
                Attempt::Idle { detail } => {
                    DrillStatus { label: d.label(), state: DrillState::NotTried, detail: detail.clone() }
                }
                Attempt::Running { since_s, .. } => DrillStatus {
                    label: d.label(),
                    state: DrillState::Running,
                    detail: format!("watching since {since_s} s"),
                },
                Attempt::Down { since_s, seen, .. } => {
                    let fail = d.target().unwrap_or_default();
                    let detail = match seen {
                        None => format!("{fail} down since {since_s} s: measuring its errors"),
                        Some(r) => format!(
                            "errors at {} while {fail} is down, as expected: now recover it",
                            format_value(GoalMetric::ErrorRate, *r)
                        ),
                    };
                    DrillStatus { label: d.label(), state: DrillState::Running, detail }
                }
                Attempt::Slowed { since_s, .. } => DrillStatus {
                    label: d.label(),
                    state: DrillState::Running,
                    detail: format!("{} slowed since {since_s} s", d.target().unwrap_or_default()),
                },
                Attempt::Sped { since_s, slowed_s, .. } => DrillStatus {
                    label: d.label(),
                    state: DrillState::Running,
                    detail: format!(
                        "{} back to speed at {since_s} s after {slowed_s} s slowed: watching the goodput",
                        d.target().unwrap_or_default()
                    ),
                },
                Attempt::Back { since_s, down_rate, .. } => DrillStatus {
                    label: d.label(),
                    state: DrillState::Running,
                    detail: format!(
                        "errors at {} while {} was down; back at {since_s} s, watching the errors settle",
                        format_value(GoalMetric::ErrorRate, *down_rate),
                        d.target().unwrap_or_default()
                    ),
                },
                Attempt::Done { passed, detail, .. } => DrillStatus {
                    label: d.label(),
                    state: if *passed { DrillState::Passed } else { DrillState::Failed },
                    detail: detail.clone(),
                },
            };
        }
    }
}

fn not_tried(d: &Drill) -> String {
    match d {
        Drill::Failure { fail, within_s, .. } => {
            format!("not tried yet: fail {fail} and leave it down for {} s", within_s + CONFIRM_S)
        }
        Drill::Outage { fail, .. } => {
            format!("not tried yet: fail {fail}, leave it down for {} s, then recover it", CONFIRM_S + 2)
        }
        Drill::Slowdown { slow, factor, for_s, .. } => {
            format!("not tried yet: give {slow} a latency spike of ×{} for {for_s} s", trim_number(*factor))
        }
        Drill::Alert { .. } => "has not fired yet".into(),
    }
}

fn node_of<'a>(id: &str, s: &'a Second<'_>) -> Option<&'a NodeSecond> {
    s.nodes.iter().find(|n| n.id == id)
}

/// Serving at least `factor` times slower than normal.
fn slowed_by(n: &NodeSecond, factor: f64) -> bool {
    n.slowdown >= factor * (1.0 - 1e-9)
}

fn matches_node(c: &Check, n: &NodeSecond) -> bool {
    match (&c.node, &c.kind) {
        (Some(id), _) => *id == n.id,
        (None, Some(kind)) => *kind == n.kind,
        (None, None) => false,
    }
}

fn is_down(target: &str, s: &Second<'_>) -> bool {
    s.dcs_down.iter().any(|d| d == target) || s.nodes.iter().any(|n| n.id == target && n.down)
}

/// The previous step's design carrying this step's traffic and goal: the
/// "before" of a before/after comparison. Users nodes are matched by id (or,
/// with one on each side, to each other); the rest of `previous` is kept. The
/// goal keeps its checks and leaves out its drills.
pub fn at_this_traffic(
    previous: &crate::model::scenario::Scenario,
    current: &crate::model::scenario::Scenario,
) -> crate::model::scenario::Scenario {
    use crate::model::scenario::NodeSpec;
    let mut out = previous.clone();
    let users_now: Vec<&crate::model::scenario::Node> =
        current.nodes.iter().filter(|n| matches!(n.spec, NodeSpec::Users(_))).collect();
    let before: Vec<usize> =
        out.nodes.iter().enumerate().filter(|(_, n)| matches!(n.spec, NodeSpec::Users(_))).map(|(i, _)| i).collect();
    for &i in &before {
        let id = out.nodes[i].id.clone();
        let source = users_now.iter().find(|u| u.id == id).or(if before.len() == 1 && users_now.len() == 1 {
            users_now.first()
        } else {
            None
        });
        if let Some(u) = source {
            out.nodes[i].spec = u.spec.clone();
        }
    }
    // The comparison is about the checks; the drills may name nodes the
    // previous design does not have.
    out.goal = current.goal.clone().map(|g| Goal { drills: Vec::new(), ..g });
    out.seed = current.seed;
    out.name = previous.name.as_ref().map(|n| format!("{n} (at the next step's traffic)"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(metric: GoalMetric, below: Option<f64>, above: Option<f64>) -> Check {
        Check { metric, node: None, kind: None, below, above }
    }

    fn hist(values_ms: &[f64]) -> Histogram {
        let mut h = Histogram::new();
        for v in values_ms {
            h.record((v * 1e6) as u64);
        }
        h
    }

    fn node(id: &str, kind: NodeKind, utilization: f64) -> NodeSecond {
        NodeSecond {
            id: id.into(),
            kind,
            down: false,
            utilization,
            queue_len: 0,
            hits: 0,
            lookups: 0,
            oldest_job_s: None,
            slowdown: 1.0,
        }
    }

    struct Feed {
        nodes: Vec<NodeSecond>,
        dcs_down: Vec<String>,
        lost: u64,
        sessions: u64,
        fired: Vec<String>,
        /// Requests sent in each second (`None`: as many as finished), and retries.
        sent: Option<u64>,
        retries: u64,
    }

    impl Feed {
        fn new() -> Feed {
            Feed {
                nodes: vec![node("web-1", NodeKind::WebServer, 0.0)],
                dcs_down: vec![],
                lost: 0,
                sessions: 0,
                fired: vec![],
                sent: None,
                retries: 0,
            }
        }
        fn second(&self, t: &mut GoalTracker, t_s: u64, ok: u64, failed: u64, lat: &Histogram) {
            let s = Second {
                t_s,
                generated: self.sent.unwrap_or(ok + failed),
                retries: self.retries,
                ok,
                failed,
                latency: lat,
                nodes: &self.nodes,
                dcs_down: &self.dcs_down,
                lost_writes: self.lost,
                sessions_lost: self.sessions,
                fired: &self.fired,
                traffic_rps: 100.0,
            };
            t.second(&s, || WindowEnd {
                cost_usd_per_month: 500.0,
                single_points_of_failure: vec![("db".into(), NodeKind::Database)],
            });
        }
    }

    fn steady_goal(hold_s: u32) -> Goal {
        Goal {
            hold_s,
            checks: vec![check(GoalMetric::P99Ms, Some(250.0), None), check(GoalMetric::ErrorRate, Some(0.01), None)],
            drills: vec![],
        }
    }

    #[test]
    fn checks_are_met_after_hold_s_of_passing_windows_and_not_before() {
        let mut t = GoalTracker::new(steady_goal(30), 10);
        let f = Feed::new();
        let good = hist(&[100.0; 100]);
        for s in 1..=39 {
            f.second(&mut t, s, 100, 0, &good);
        }
        // Warm-up to 10 s, then windows end at 20, 30: two of three.
        assert_eq!(t.status().held_s, 20);
        assert!(!t.status().checks_met && t.status().met_at_s.is_none());
        f.second(&mut t, 40, 100, 0, &good);
        assert!(t.status().checks_met);
        assert_eq!(t.status().met_at_s, Some(40));
        assert_eq!(t.status().checks[0].value_text, "100 ms");
        assert!(t.status().checks.iter().all(|c| c.passing));
    }

    #[test]
    fn one_bad_window_resets_the_hold_and_met_stays_met() {
        let mut t = GoalTracker::new(steady_goal(20), 0);
        let f = Feed::new();
        let (good, slow) = (hist(&[100.0; 100]), hist(&[400.0; 100]));
        for s in 1..=10 {
            f.second(&mut t, s, 100, 0, &good);
        }
        assert_eq!(t.status().held_s, 10);
        for s in 11..=20 {
            // 2% errors in one second of ten: 0.2% over the window, fine; but slow.
            f.second(&mut t, s, 100, if s == 15 { 2 } else { 0 }, &slow);
        }
        assert_eq!(t.status().held_s, 0);
        assert!(!t.status().checks[0].passing && t.status().checks[1].passing);
        assert_eq!(t.status().checks[0].value_text, "400 ms");
        for s in 21..=40 {
            f.second(&mut t, s, 100, 0, &good);
        }
        assert_eq!(t.status().met_at_s, Some(40));
        for s in 41..=60 {
            f.second(&mut t, s, 10, 90, &slow);
        }
        assert_eq!(t.status().met_at_s, Some(40), "met stays met");
        assert!(!t.status().checks[1].passing, "but the live marks say it is failing now");
        assert_eq!(t.status().checks[1].value_text, "90%");
    }

    #[test]
    fn the_window_p99_comes_from_all_its_requests_not_from_one_second() {
        // Nine seconds of 10 ms and one of 1,000 ms, 100 requests each: the
        // window's p99 is in the slow second's range only if > 1% are slow.
        let mut t = GoalTracker::new(
            Goal { hold_s: 10, checks: vec![check(GoalMetric::P99Ms, Some(250.0), None)], drills: vec![] },
            0,
        );
        let f = Feed::new();
        for s in 1..=10 {
            let h = if s == 3 { hist(&[1000.0; 100]) } else { hist(&[10.0; 100]) };
            f.second(&mut t, s, 100, 0, &h);
        }
        let p99 = t.status().checks[0].value.unwrap();
        assert!(p99 > 900.0, "10% of the window is slow, so p99 is slow: {p99}");
        let mut t = GoalTracker::new(
            Goal { hold_s: 10, checks: vec![check(GoalMetric::P99Ms, Some(250.0), None)], drills: vec![] },
            0,
        );
        for s in 1..=10 {
            let h = if s == 3 { hist(&[1000.0; 5]) } else { hist(&[10.0; 100]) };
            f.second(&mut t, s, 100, 0, &h);
        }
        let p99 = t.status().checks[0].value.unwrap();
        assert!(p99 < 11.0, "0.5% slow: p99 stays fast: {p99}");
    }

    #[test]
    fn per_node_checks_take_the_worst_node_of_a_kind_and_a_missing_node_fails() {
        let mut t = GoalTracker::new(
            Goal {
                hold_s: 10,
                checks: vec![
                    Check {
                        metric: GoalMetric::Utilization,
                        node: None,
                        kind: Some(NodeKind::Database),
                        below: Some(0.7),
                        above: None,
                    },
                    Check {
                        metric: GoalMetric::HitRatio,
                        node: Some("cache".into()),
                        kind: None,
                        below: None,
                        above: Some(0.6),
                    },
                    Check {
                        metric: GoalMetric::SinglePointsOfFailure,
                        node: None,
                        kind: Some(NodeKind::WebServer),
                        below: Some(1.0),
                        above: None,
                    },
                ],
                drills: vec![],
            },
            0,
        );
        let mut f = Feed::new();
        f.nodes = vec![node("shard-1", NodeKind::Database, 0.5), node("shard-2", NodeKind::Database, 0.8)];
        let h = hist(&[10.0; 10]);
        for s in 1..=10 {
            f.second(&mut t, s, 10, 0, &h);
        }
        let c = &t.status().checks;
        assert_eq!(c[0].label, "busiest database under 70% busy");
        assert!((c[0].value.unwrap() - 0.8).abs() < 1e-12 && !c[0].passing);
        assert_eq!(c[0].value_text, "80% (shard-2)");
        assert_eq!((c[1].value, c[1].value_text.as_str(), c[1].passing), (None, "no node cache", false));
        assert_eq!(c[2].label, "no single point of failure among web servers");
        assert!(c[2].passing, "db is a single point of failure but not a web server");
        assert_eq!(t.status().held_s, 0);
    }

    fn failure_drill() -> Goal {
        Goal {
            hold_s: 10,
            checks: vec![],
            drills: vec![Drill::Failure {
                fail: "web-1".into(),
                errors_below: 0.01,
                within_s: 10,
                lost_writes_below: Some(100),
                sessions_lost_below: None,
            }],
        }
    }

    #[test]
    fn a_failure_drill_passes_when_errors_settle_in_time_and_fails_when_they_do_not() {
        let h = hist(&[10.0; 100]);
        // Detected after 6 s: errors for 6 s, then none.
        let mut t = GoalTracker::new(failure_drill(), 0);
        let mut f = Feed::new();
        f.second(&mut t, 1, 100, 0, &h);
        assert_eq!(t.status().drills[0].state, DrillState::NotTried);
        f.nodes[0].down = true;
        for s in 2..=20 {
            f.second(&mut t, s, 100, if s < 8 { 50 } else { 0 }, &h);
        }
        let d = &t.status().drills[0];
        assert_eq!(d.state, DrillState::Passed, "{d:?}");
        assert!(d.detail.contains("after 6 s"), "{}", d.detail);
        assert_eq!(d.label, "Fail web-1: errors back under 1% within 10 s, fewer than 100 writes lost");
        assert!(t.status().met_at_s.is_some(), "no checks: the drill is the whole goal");

        // Without health checks: half the requests fail for as long as it is down.
        let mut t = GoalTracker::new(failure_drill(), 0);
        f.nodes[0].down = true;
        for s in 2..=12 {
            f.second(&mut t, s, 100, 50, &h);
            if s < 12 {
                assert_eq!(t.status().drills[0].state, DrillState::Running, "second {s}");
            }
        }
        assert_eq!(t.status().drills[0].state, DrillState::Failed);
        assert!(
            t.status().drills[0].detail.contains("errors still at 33.3% 10 s after web-1 failed"),
            "{}",
            t.status().drills[0].detail
        );
        // Still down, errors gone later (say, autoscaling caught up): still failed.
        for s in 13..=16 {
            f.second(&mut t, s, 100, 0, &h);
        }
        assert_eq!(
            t.status().drills[0].state,
            DrillState::Failed,
            "a failed attempt does not restart while its target stays down"
        );
        // A second attempt can pass.
        f.nodes[0].down = false;
        f.second(&mut t, 17, 100, 0, &h);
        f.nodes[0].down = true;
        for s in 18..=30 {
            f.second(&mut t, s, 100, 0, &h);
        }
        assert_eq!(t.status().drills[0].state, DrillState::Passed);
    }

    #[test]
    fn bringing_the_node_back_early_abandons_the_drill_and_lost_writes_fail_it() {
        let h = hist(&[10.0; 100]);
        let mut t = GoalTracker::new(failure_drill(), 0);
        let mut f = Feed::new();
        f.nodes[0].down = true;
        f.second(&mut t, 1, 100, 50, &h);
        f.nodes[0].down = false;
        f.second(&mut t, 2, 100, 0, &h);
        assert_eq!(t.status().drills[0].state, DrillState::NotTried);
        assert!(t.status().drills[0].detail.contains("came back before the test was over"));

        f.nodes[0].down = true;
        f.second(&mut t, 3, 100, 0, &h);
        f.lost = 150;
        f.second(&mut t, 4, 100, 0, &h);
        assert_eq!(t.status().drills[0].state, DrillState::Failed);
        assert!(t.status().drills[0].detail.contains("150 writes lost"));
    }

    #[test]
    fn a_data_center_outage_and_an_alert_are_drills_too() {
        let h = hist(&[10.0; 100]);
        let goal = Goal {
            hold_s: 10,
            checks: vec![],
            drills: vec![
                Drill::Failure {
                    fail: "east".into(),
                    errors_below: 0.01,
                    within_s: 60,
                    lost_writes_below: None,
                    sessions_lost_below: Some(1),
                },
                Drill::Alert { alert: "photo backlog".into() },
            ],
        };
        let mut t = GoalTracker::new(goal, 0);
        let mut f = Feed::new();
        f.sessions = 3;
        f.second(&mut t, 1, 100, 0, &h);
        // The outage drops one session the moment it happens.
        f.dcs_down = vec!["east".into()];
        f.sessions = 4;
        f.second(&mut t, 2, 100, 0, &h);
        assert_eq!(t.status().drills[0].state, DrillState::Running);
        f.fired = vec!["photo backlog".into()];
        f.second(&mut t, 3, 100, 0, &h);
        assert_eq!(t.status().drills[0].state, DrillState::Failed, "{:?}", t.status().drills[0]);
        assert_eq!(t.status().drills[1].state, DrillState::Passed);
        assert_eq!(t.status().drills[1].detail, "fired at 3 s");
        assert!(t.status().drills[0].detail.contains("1 sessions lost"), "{}", t.status().drills[0].detail);
        assert!(t.status().met_at_s.is_none());
    }

    fn outage_drill(above: Option<f64>, below: Option<f64>) -> Goal {
        Goal {
            hold_s: 10,
            checks: vec![],
            drills: vec![Drill::Outage {
                fail: "web-1".into(),
                while_down: ErrorBand { errors_above: above, errors_below: below },
                errors_below: 0.01,
                within_s: 10,
            }],
        }
    }

    #[test]
    fn an_outage_drill_passes_when_the_failure_is_seen_and_the_errors_settle_after_recovery() {
        let h = hist(&[10.0; 100]);
        let mut t = GoalTracker::new(outage_drill(Some(0.99), None), 0);
        assert_eq!(
            t.status().drills[0].label,
            "Fail web-1: errors at least 99% while it is down; recover it: errors back under 1% within 10 s"
        );
        assert_eq!(t.status().drills[0].detail, "not tried yet: fail web-1, leave it down for 7 s, then recover it");
        let mut f = Feed::new();
        f.second(&mut t, 1, 100, 0, &h);
        // Failed during second 2: that second is partly before the failure, and
        // the next may see responses that were on their way; neither is measured.
        f.nodes[0].down = true;
        f.second(&mut t, 2, 60, 40, &h);
        f.second(&mut t, 3, 1, 99, &h);
        for s in 4..=7 {
            f.second(&mut t, s, 0, 100, &h);
            assert_eq!(t.status().drills[0].state, DrillState::Running);
            assert!(t.status().drills[0].detail.contains("measuring"), "{}", t.status().drills[0].detail);
        }
        f.second(&mut t, 8, 0, 100, &h);
        assert_eq!(t.status().drills[0].detail, "errors at 100% while web-1 is down, as expected: now recover it");
        // Leaving it down longer changes nothing; the goal waits for the recovery.
        for s in 9..=30 {
            f.second(&mut t, s, 0, 100, &h);
        }
        assert_eq!(t.status().drills[0].state, DrillState::Running);
        assert!(t.status().met_at_s.is_none());
        // Back during second 31 (some errors in it), clean from 32 on: settled after 1 s.
        f.nodes[0].down = false;
        f.second(&mut t, 31, 50, 50, &h);
        for s in 32..=35 {
            f.second(&mut t, s, 100, 0, &h);
            assert_eq!(t.status().drills[0].state, DrillState::Running, "second {s}");
        }
        f.second(&mut t, 36, 100, 0, &h);
        let d = &t.status().drills[0];
        assert_eq!(
            (d.state, d.detail.as_str()),
            (DrillState::Passed, "errors at 100% while web-1 was down; back under the bound 1 s after it recovered")
        );
        assert_eq!(t.status().met_at_s, Some(36), "no checks: the drill is the whole goal");
    }

    #[test]
    fn an_outage_drill_wants_its_failure_measured_inside_the_band_and_the_errors_to_settle() {
        let h = hist(&[10.0; 100]);
        let mut f = Feed::new();
        // Back after 5 s: too soon to measure; nothing is decided.
        let mut t = GoalTracker::new(outage_drill(Some(0.5), Some(0.95)), 0);
        assert!(t.status().drills[0]
            .label
            .starts_with("Fail web-1: errors at least 50% and under 95% while it is down;"));
        f.nodes[0].down = true;
        for s in 1..=6 {
            f.second(&mut t, s, 15, 85, &h);
        }
        f.nodes[0].down = false;
        f.second(&mut t, 7, 100, 0, &h);
        let d = &t.status().drills[0];
        assert_eq!(d.state, DrillState::NotTried);
        assert!(d.detail.contains("came back before its failure was measured"), "{}", d.detail);
        // Every request failing is outside the band (the web server should still answer static files).
        f.nodes[0].down = true;
        for s in 8..=14 {
            f.second(&mut t, s, 0, 100, &h);
        }
        let d = &t.status().drills[0];
        assert_eq!(
            (d.state, d.detail.as_str()),
            (DrillState::Failed, "errors at 100% while web-1 was down, expected at least 50% and under 95%")
        );
        for s in 15..=17 {
            f.second(&mut t, s, 15, 85, &h);
        }
        assert_eq!(t.status().drills[0].state, DrillState::Failed, "no new try while it stays down");
        // Recovered, failed again: a new try, inside the band this time; the
        // errors never settle after the recovery, so it fails again, saying so.
        f.nodes[0].down = false;
        f.second(&mut t, 18, 100, 0, &h);
        f.nodes[0].down = true;
        for s in 19..=25 {
            f.second(&mut t, s, 15, 85, &h);
        }
        assert!(t.status().drills[0].detail.contains("as expected"), "{}", t.status().drills[0].detail);
        f.nodes[0].down = false;
        for s in 26..=36 {
            f.second(&mut t, s, 90, 10, &h);
        }
        let d = &t.status().drills[0];
        assert_eq!(
            (d.state, d.detail.as_str()),
            (DrillState::Failed, "errors still at 10% 10 s after web-1 came back")
        );
        // A third try passes.
        f.nodes[0].down = true;
        for s in 37..=43 {
            f.second(&mut t, s, 20, 80, &h);
        }
        f.nodes[0].down = false;
        for s in 44..=47 {
            f.second(&mut t, s, 100, 0, &h);
            assert_eq!(t.status().drills[0].state, DrillState::Running);
        }
        f.second(&mut t, 48, 100, 0, &h);
        assert_eq!(t.status().drills[0].state, DrillState::Passed, "{:?}", t.status().drills[0]);
    }

    #[test]
    fn goodput_share_and_attempts_per_request_are_counted_against_the_requests_sent() {
        let goal = Goal {
            hold_s: 10,
            checks: vec![
                check(GoalMetric::GoodputShare, None, Some(0.9)),
                check(GoalMetric::AttemptsPerRequest, Some(1.5), None),
            ],
            drills: vec![],
        };
        let h = hist(&[10.0; 100]);
        // 100 sent a second, 80 answered in time, 20 still out (not failed yet), 60 retries.
        let mut t = GoalTracker::new(goal.clone(), 0);
        let mut f = Feed::new();
        f.sent = Some(100);
        f.retries = 60;
        for s in 1..=10 {
            f.second(&mut t, s, 80, 0, &h);
        }
        let c = &t.status().checks;
        assert_eq!(c[0].label, "goodput above 90% of requests");
        assert_eq!(c[1].label, "attempts per request under 1.5");
        assert_eq!((c[0].value, c[0].value_text.as_str(), c[0].passing), (Some(0.8), "80%", false));
        assert_eq!((c[1].value, c[1].value_text.as_str(), c[1].passing), (Some(1.6), "1.6", false));
        // 95 of 100 in time, 20 retries: both pass.
        let mut t = GoalTracker::new(goal.clone(), 0);
        f.retries = 20;
        for s in 1..=10 {
            f.second(&mut t, s, 95, 5, &h);
        }
        assert!(t.status().met(), "{:?}", t.status());
        // Nothing sent: nothing to measure, and the check does not pass.
        let mut t = GoalTracker::new(goal, 0);
        f.sent = Some(0);
        for s in 1..=10 {
            f.second(&mut t, s, 0, 0, &h);
        }
        assert_eq!((t.status().checks[0].value, t.status().checks[0].value_text.as_str()), (None, "no requests sent"));
        assert!(!t.status().checks[1].passing);
    }

    fn slowdown_drill() -> Goal {
        Goal {
            hold_s: 10,
            checks: vec![],
            drills: vec![Drill::Slowdown {
                slow: "web-1".into(),
                factor: 4.0,
                for_s: 10,
                goodput_back_above: 0.9,
                within_s: 30,
            }],
        }
    }

    #[test]
    fn a_slowdown_drill_passes_when_the_goodput_comes_back_after_the_spike_and_fails_when_it_stays_down() {
        let h = hist(&[10.0; 100]);
        let mut t = GoalTracker::new(slowdown_drill(), 0);
        assert_eq!(t.status().drills[0].label, "Slow web-1 ×4 for 10 s: goodput back above 90% within 30 s");
        assert_eq!(t.status().drills[0].detail, "not tried yet: give web-1 a latency spike of ×4 for 10 s");
        let mut f = Feed::new();
        f.sent = Some(100);
        f.second(&mut t, 1, 100, 0, &h);
        // Slowed ×2 only: not the drill.
        f.nodes[0].slowdown = 2.0;
        f.second(&mut t, 2, 100, 0, &h);
        assert_eq!(t.status().drills[0].state, DrillState::NotTried);
        // Slowed ×4 for 10 s (seconds 3 to 12), goodput gone meanwhile.
        f.nodes[0].slowdown = 4.0;
        for s in 3..=12 {
            f.second(&mut t, s, 0, 100, &h);
            assert_eq!(t.status().drills[0].state, DrillState::Running, "second {s}");
        }
        f.nodes[0].slowdown = 1.0;
        // Back to speed at 13; the goodput comes back at 20 and holds.
        for s in 13..=19 {
            f.second(&mut t, s, 30, 70, &h);
            assert!(t.status().drills[0].detail.contains("watching the goodput"), "{:?}", t.status().drills[0]);
        }
        for s in 20..=23 {
            f.second(&mut t, s, 95, 5, &h);
            assert_eq!(t.status().drills[0].state, DrillState::Running, "second {s}");
        }
        f.second(&mut t, 24, 95, 5, &h);
        let d = &t.status().drills[0];
        assert_eq!(
            (d.state, d.detail.as_str()),
            (DrillState::Passed, "goodput back above the bound 7 s after web-1 was back to speed")
        );
        assert_eq!(t.status().met_at_s, Some(24), "no checks: the drill is the whole goal");

        // A design that stays collapsed after the trigger has gone fails, saying so; a later try can pass.
        let mut t = GoalTracker::new(slowdown_drill(), 0);
        f.nodes[0].slowdown = 4.0;
        for s in 1..=10 {
            f.second(&mut t, s, 0, 100, &h);
        }
        f.nodes[0].slowdown = 1.0;
        for s in 11..=41 {
            f.second(&mut t, s, 2, 98, &h);
        }
        let d = &t.status().drills[0];
        assert_eq!(
            (d.state, d.detail.as_str()),
            (DrillState::Failed, "goodput still at 2% 30 s after web-1 was back to speed")
        );
        f.nodes[0].slowdown = 4.0;
        for s in 42..=51 {
            f.second(&mut t, s, 0, 100, &h);
        }
        assert_eq!(t.status().drills[0].state, DrillState::Running, "a new try");
        f.nodes[0].slowdown = 1.0;
        for s in 52..=56 {
            f.second(&mut t, s, 100, 0, &h);
        }
        assert_eq!(t.status().drills[0].state, DrillState::Passed);
    }

    #[test]
    fn a_slowdown_too_short_or_a_failure_instead_is_not_the_drill() {
        let h = hist(&[10.0; 100]);
        let mut t = GoalTracker::new(slowdown_drill(), 0);
        let mut f = Feed::new();
        f.nodes[0].slowdown = 5.0;
        for s in 1..=3 {
            f.second(&mut t, s, 0, 100, &h);
        }
        f.nodes[0].slowdown = 1.0;
        f.second(&mut t, 4, 100, 0, &h);
        let d = &t.status().drills[0];
        assert_eq!(
            (d.state, d.detail.as_str()),
            (DrillState::NotTried, "web-1 was back to speed after 3 s: slow it ×4 for 10 s")
        );
        // Nine seconds seen slowed is ten seconds of a spike that began between two seconds' ends.
        f.nodes[0].slowdown = 4.0;
        for s in 5..=13 {
            f.second(&mut t, s, 0, 100, &h);
        }
        f.nodes[0].slowdown = 1.0;
        f.second(&mut t, 14, 100, 0, &h);
        assert!(t.status().drills[0].detail.contains("watching the goodput"), "{:?}", t.status().drills[0]);
        // Failing the node is another experiment.
        f.nodes[0].down = true;
        f.second(&mut t, 15, 0, 100, &h);
        let d = &t.status().drills[0];
        assert_eq!(
            (d.state, d.detail.as_str()),
            (DrillState::NotTried, "web-1 failed during the test: slow it down instead (a latency spike)")
        );
    }

    #[test]
    fn restart_forgets_everything() {
        let mut t = GoalTracker::new(steady_goal(10), 0);
        let f = Feed::new();
        let good = hist(&[100.0; 100]);
        for s in 1..=10 {
            f.second(&mut t, s, 100, 0, &good);
        }
        assert!(t.status().met());
        t.restart(10);
        assert!(!t.status().met() && t.status().held_s == 0);
        assert_eq!(t.status().checks[0].value_text, "measuring…");
        for s in 11..=20 {
            f.second(&mut t, s, 100, 0, &good);
        }
        assert_eq!(t.status().met_at_s, Some(20));
    }

    #[test]
    fn labels_and_values_read_well() {
        assert_eq!(check(GoalMetric::CostUsdPerMonth, Some(4000.0), None).label(), "cost under $4,000/month");
        assert_eq!(check(GoalMetric::ErrorRate, Some(0.001), None).label(), "errors under 0.10%");
        assert_eq!(check(GoalMetric::TrafficRps, None, Some(2500.0)).label(), "traffic at least 2,500 requests/s");
        assert_eq!(check(GoalMetric::SinglePointsOfFailure, Some(1.0), None).label(), "no single point of failure");
        let backlog = Check {
            metric: GoalMetric::Backlog,
            node: Some("queue".into()),
            kind: None,
            below: Some(1000.0),
            above: None,
        };
        assert_eq!(backlog.label(), "backlog of queue under 1,000 jobs");
        assert_eq!(format_value(GoalMetric::P99Ms, 3.25), "3.2 ms");
        assert_eq!(format_value(GoalMetric::HitRatio, 0.6123), "61.2%");
    }
}
