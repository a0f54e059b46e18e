//! The scenario: one JSON document that describes an architecture and its traffic.
//!
//! The same document is used by the browser, the CLI, share links and lessons.
//! Field names listed in the design (`version`, `seed`, `duration_s`, `warmup_s`,
//! `nodes`, `links`, `kind`, `rps`, `arrivals`, `mix`, `algorithm`, `workers`,
//! `service`, `dist`, `mean_ms`, `cv`, `queue_limit`, `timeout_ms`, `from`, `to`,
//! `latency_ms`) are fixed: documents written by teachers depend on them.
//!
//! Reading a document is [`Scenario::from_json`]; it reports every problem with the
//! path of its field. Writing one is `serde_json::to_string(&scenario)`.

use crate::blocks::autoscale::{AutoscaleError, AutoscalePolicy};
pub use crate::model::kinds::cache::*;
pub use crate::model::kinds::cdn::*;
pub use crate::model::kinds::database::*;
pub use crate::model::kinds::dns::*;
pub use crate::model::kinds::load_balancer::*;
pub use crate::model::kinds::nosql::*;
pub use crate::model::kinds::queue::*;
pub use crate::model::kinds::shard_router::*;
pub use crate::model::kinds::users::*;
pub use crate::model::kinds::web_server::*;
pub use crate::model::kinds::workers::*;
pub use crate::model::kinds::{NodeKind, NodeSpec};
use serde::Serialize;

/// The scenario format this build writes. It reads this one and every older
/// one (migrated by [`crate::model::migrate`]); version 2 renamed two alert metrics.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scenario {
    pub version: u32,
    /// Seed of every random stream in the run.
    pub seed: u64,
    /// Simulated seconds to run.
    pub duration_s: f64,
    /// Simulated seconds before statistics start (the system fills up first).
    pub warmup_s: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    /// Faults that happen by themselves at set times (a lesson's outage).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<ScheduledFault>,
    /// Alert rules watched every simulated second; `None`: the default rules
    /// (error rate above 1% for 10 s, p99 above one second for 10 s).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerts: Option<Vec<AlertSpec>>,
    /// Data centers, each in a region; nodes name theirs with `dc`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data_centers: Vec<DataCenter>,
    /// What the design must achieve (a lesson's goal), checked by the engine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<crate::model::goal::Goal>,
}

/// A data center: the nodes placed in it (`dc` on the node) share its region,
/// an outage takes them all down, and traffic between regions pays the
/// cross-region latency of `crate::blocks::geo`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataCenter {
    pub id: String,
    pub region: crate::blocks::geo::Region,
}

/// A share of a users node's requests coming from one region.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RegionShare {
    pub region: crate::blocks::geo::Region,
    pub share: f64,
}

/// A fault injected at `at_s` simulated seconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScheduledFault {
    pub at_s: f64,
    /// A node, or a data center (an outage; or one side of a partition).
    pub node: String,
    #[serde(flatten)]
    pub fault: crate::model::fault::Fault,
    /// For `partition` and `heal`: the other data center.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub with: Option<String>,
}

/// An alert rule as written in a scenario: `metric` (with `node` for the
/// per-node metrics), exactly one of `above` / `below`, and how many seconds in
/// a row the condition must hold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertSpec {
    pub name: String,
    pub metric: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    pub for_s: u32,
}

/// Metric names of alert rules; the last four need a `node`.
pub const ALERT_METRICS: &[&str] =
    &["error_rate", "p50_ms", "p95_ms", "p99_ms", "throughput_rps", "utilization", "backlog", "replication_lag_ms"];

impl AlertSpec {
    /// The engine's rule, or why not (the parser reports it at the rule's path).
    pub fn to_rule(&self) -> Result<crate::blocks::alerts::AlertRule, String> {
        use crate::blocks::alerts::{AlertRule, Metric, Op};
        let node = || self.node.clone().ok_or_else(|| format!("metric \"{}\" needs a \"node\"", self.metric));
        let metric = match self.metric.as_str() {
            "error_rate" => Metric::ErrorRate,
            "p50_ms" => Metric::P50Ms,
            "p95_ms" => Metric::P95Ms,
            "p99_ms" => Metric::P99Ms,
            "throughput_rps" => Metric::Throughput,
            "utilization" => Metric::NodeUtilization { node: node()? },
            "backlog" => Metric::NodeQueue { node: node()? },
            "replication_lag_ms" => Metric::ReplicationLagMs { node: node()? },
            other => return Err(format!("unknown metric \"{other}\"; expected one of: {}", ALERT_METRICS.join(", "))),
        };
        let (op, threshold) = match (self.above, self.below) {
            (Some(t), None) => (Op::Above, t),
            (None, Some(t)) => (Op::Below, t),
            _ => return Err("give exactly one of \"above\" and \"below\"".into()),
        };
        AlertRule::new(self.name.clone(), metric, op, threshold, self.for_s).map_err(|e| e.to_string())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    pub id: String,
    #[serde(flatten)]
    pub spec: NodeSpec,
    /// The data center the node is in (an id of `Scenario::data_centers`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dc: Option<String>,
    /// Position on the diagram (layout only; the engine ignores it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
}

/// A station: `workers` parallel workers in front of one FIFO queue.
/// Web servers and databases are both stations.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StationSpec {
    /// A machine size from the price list (`crate::blocks::pricing`): it sets the
    /// workers (one per vCPU) and the cost. `None`: `workers` is given
    /// directly and priced per vCPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    pub workers: u32,
    pub service: Service,
    /// Most requests that may wait (not counting those in service); `None`: unbounded.
    pub queue_limit: Option<u32>,
    /// A caller gives up this long after the request reached this node; `None`: never.
    pub timeout_ms: Option<f64>,
    /// Which waiting request a free worker takes (see [`Discipline`]).
    #[serde(skip_serializing_if = "Discipline::is_fifo")]
    pub discipline: Discipline,
    /// Adaptive LIFO only: the queue length from which the newest is taken first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifo_above: Option<u32>,
    /// Requests that waited longer than this are dropped from the queue
    /// (cause `shed`) instead of served late; `None`: they wait as long as it takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_wait_ms: Option<f64>,
    /// Requests whose caller has given up are dropped from the queue (cause
    /// `shed`) instead of served for nobody.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub drop_abandoned: bool,
    /// Service slows down as requests pile up at the node (see
    /// [`Contention`]); `None`: every request takes the same time however
    /// busy the node is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contention: Option<Contention>,
}

/// Load-dependent service time: a busy server is a slower server (garbage
/// collection with many requests in memory, threads waiting on the same
/// locks, caches evicting one another's data).
///
/// When a request starts service, `n` is the number of requests at the node
/// *counting that request*: the busy workers, itself included, plus the
/// requests still waiting (a waiting request whose caller timed out at this
/// node no longer counts; one whose users gave up still does, as the node is
/// not told). Its service time is multiplied by
///
/// m(n) = min(`max_factor`, 1 + `slope` · max(0, n − `knee`)),
///
/// fixed for that request when it starts, on top of a fault's slow-down, and
/// drawn with no extra random number. (Worker pools refuse it: each worker
/// holds one job and the rest wait in the queue.) An autoscaling group
/// counts per machine (n is its requests over its running machines) and a
/// NoSQL store per partition, so that `knee` is about one machine whatever
/// the size of the group.
///
/// With `c` workers of mean service `S0` and `λ` arrivals a second, the node
/// keeps up while c / (S0 · m(n)) ≥ λ: there is a tipping point
/// n* = knee + (c / (λ · S0) − 1) / slope beyond which it serves more slowly
/// than requests arrive, so the queue grows and makes it slower still.
///
/// A document may give the object in part: `slope` is then 0.01, `knee` the
/// node's `workers` (of one machine, of one partition), `max_factor` 5.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Contention {
    /// Extra service time per request beyond the knee, as a share of the
    /// normal time (0.01: each adds 1%).
    pub slope: f64,
    /// Requests at the node before it slows down.
    pub knee: u32,
    /// The most the service time is multiplied by (at least 1).
    pub max_factor: f64,
}

impl Contention {
    pub const DEFAULT_SLOPE: f64 = 0.01;
    pub const DEFAULT_MAX_FACTOR: f64 = 5.0;

    /// The service-time multiplier m(n) with `n` requests at the node (a
    /// fraction for a group: its requests per machine).
    #[inline]
    pub fn factor(&self, n: f64) -> f64 {
        let beyond = n - f64::from(self.knee);
        if beyond <= 0.0 {
            1.0
        } else {
            (1.0 + self.slope * beyond).min(self.max_factor)
        }
    }

    /// The same contention for `units` machines or partitions pooled in one
    /// station, by their total: 1 + slope · (n / units − knee) is
    /// 1 + (slope / units) · (n − units · knee).
    pub fn pooled(&self, units: u32) -> Contention {
        let units = units.max(1);
        Contention {
            slope: self.slope / f64::from(units),
            knee: self.knee.saturating_mul(units),
            max_factor: self.max_factor,
        }
    }

    /// Where a node with `workers` workers of mean `service_ms` falls
    /// behind `arrival_rps` requests a second: beyond
    /// n* = knee + (c / (λ · S0) − 1) / slope requests at the node.
    pub fn tipping_point(&self, workers: u32, service_ms: f64, arrival_rps: f64) -> Tipping {
        let headroom = f64::from(workers) / (arrival_rps * service_ms / 1e3);
        if headroom <= 1.0 {
            Tipping::Always
        } else if headroom >= self.max_factor || self.slope <= 0.0 {
            Tipping::Never
        } else {
            Tipping::Beyond(f64::from(self.knee) + (headroom - 1.0) / self.slope)
        }
    }
}

/// Where a node with contention falls behind its arrivals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tipping {
    /// Even at full speed it serves fewer than arrive: overloaded anyway.
    Always,
    /// Even at its slowest (`max_factor`) it keeps up.
    Never,
    /// Beyond this many requests at the node it serves fewer than arrive.
    Beyond(f64),
}

/// How a caller calls: how long it waits for each attempt and how many it
/// makes. Users carry one as `retry` (the client's policy); it is one struct
/// so that other callers (web servers calling their data tier) can share it.
///
/// Each attempt is sent as a request of its own below the caller; the
/// caller's request keeps the one outcome, decided after its last attempt.
/// An attempt that has no answer `attempt_timeout_ms` after it was sent ends
/// with cause `timeout` for the caller; the work below goes on (nobody below
/// is told), as with a station's `timeout_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CallPolicy {
    /// How long the caller waits for each attempt, from sending it to its
    /// answer (wires included); `None`: as long as it takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempt_timeout_ms: Option<f64>,
    /// Attempts per request, the first included (1: no retries). An attempt
    /// that failed with a cause worth retrying ([`Cause::retryable`]) is
    /// retried while attempts remain and the budget allows.
    ///
    /// [`Cause::retryable`]: crate::blocks::request::Cause::retryable
    pub max_attempts: u32,
    /// The wait before each retry (`none`: at once).
    #[serde(skip_serializing_if = "BackoffKind::is_none")]
    pub backoff: BackoffKind,
    /// The constant delay, or the exponential's first (`None` without a backoff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_ms: Option<f64>,
    /// The exponential backoff's longest delay (`None` for the others).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_cap_ms: Option<f64>,
    /// How the delay is spread (`none` without a backoff).
    #[serde(skip_serializing_if = "JitterKind::is_none")]
    pub jitter: JitterKind,
    /// A retry budget (`None`: retries are limited by `max_attempts` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<RetryBudget>,
    /// A circuit breaker on each wire the caller calls over (`None`: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker: Option<BreakerSpec>,
    /// A connection pool on each wire the caller calls over (`None`: every
    /// call goes out at once). Web servers only: users have no connections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolSpec>,
}

impl CallPolicy {
    /// One attempt, no timeout: the caller behaves as one without a policy.
    pub const SINGLE: CallPolicy = CallPolicy {
        attempt_timeout_ms: None,
        max_attempts: 1,
        backoff: BackoffKind::None,
        backoff_ms: None,
        backoff_cap_ms: None,
        jitter: JitterKind::None,
        budget: None,
        breaker: None,
        pool: None,
    };

    /// Up to `max_attempts`, at once, each waited for `attempt_timeout_ms`.
    pub fn attempts(max_attempts: u32, attempt_timeout_ms: Option<f64>) -> CallPolicy {
        CallPolicy { attempt_timeout_ms, max_attempts, ..CallPolicy::SINGLE }
    }
}

/// A connection pool: a call takes one of `size` connections to the wire
/// it goes over, or waits in line for one (first come, first served) for at
/// most `max_wait_ms` (`None`: as long as it takes); it gives the
/// connection back when its attempt ends for the caller (answered, or past
/// its timeout).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PoolSpec {
    pub size: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_wait_ms: Option<f64>,
}

impl PoolSpec {
    pub const DEFAULT: PoolSpec = PoolSpec { size: 10, max_wait_ms: None };
}

/// The wait before each retry: none, a constant `backoff_ms`, or
/// exponential (`backoff_ms` doubling with each retry, at most `backoff_cap_ms`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackoffKind {
    #[default]
    None,
    Constant,
    Exponential,
}

pub const BACKOFFS: &[&str] = &["none", "constant", "exponential"];

impl BackoffKind {
    fn is_none(&self) -> bool {
        *self == BackoffKind::None
    }

    /// The first delay when a document gives none.
    pub const DEFAULT_MS: f64 = 100.0;
    /// The exponential backoff's cap when a document gives none.
    pub const DEFAULT_CAP_MS: f64 = 10_000.0;
}

/// How a backoff delay d is spread: none, full (anywhere in [0, d)) or equal
/// (anywhere in [d/2, d)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JitterKind {
    #[default]
    None,
    Full,
    Equal,
}

pub const JITTERS: &[&str] = &["none", "full", "equal"];

impl JitterKind {
    fn is_none(&self) -> bool {
        *self == JitterKind::None
    }
}

/// A retry budget: a bucket of `tokens` retries, full at the start; each
/// retry spends one, each successful attempt puts back `refill` of one.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RetryBudget {
    pub tokens: u32,
    pub refill: f64,
}

impl RetryBudget {
    pub const DEFAULT: RetryBudget = RetryBudget { tokens: 10, refill: 0.1 };
}

/// A circuit breaker: closed, it counts the results of the last `window_s`
/// seconds and opens once at least `min_calls` came back and a share of at
/// least `threshold` failed; open, it refuses every call (cause
/// `circuit_open`) for `cooldown_s`; then half-open, it lets `trial_calls`
/// through: all succeed, it closes; one fails, it opens again.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BreakerSpec {
    pub window_s: u32,
    pub min_calls: u32,
    pub threshold: f64,
    pub cooldown_s: f64,
    pub trial_calls: u32,
}

impl BreakerSpec {
    pub const DEFAULT: BreakerSpec =
        BreakerSpec { window_s: 10, min_calls: 20, threshold: 0.5, cooldown_s: 5.0, trial_calls: 3 };

    /// In run-time units.
    pub fn settings(&self) -> crate::blocks::breaker::Settings {
        crate::blocks::breaker::Settings {
            window_s: self.window_s,
            min_calls: self.min_calls,
            threshold: self.threshold,
            cooldown: crate::base::time::secs_to_ns(self.cooldown_s),
            trial_calls: self.trial_calls,
        }
    }
}

/// The order a station takes waiting requests in. FIFO is fair but, behind
/// callers that time out, serves requests nobody waits for any more; LIFO
/// serves the newest, whose caller is most likely still there, at the cost of
/// a long tail for the unlucky old ones; adaptive LIFO is FIFO until the queue
/// is long.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Discipline {
    #[default]
    Fifo,
    Lifo,
    AdaptiveLifo,
}

pub const DISCIPLINES: &[&str] = &["fifo", "lifo", "adaptive_lifo"];

impl Discipline {
    fn is_fifo(&self) -> bool {
        *self == Discipline::Fifo
    }

    /// Adaptive LIFO's queue length from which it serves the newest first,
    /// when the scenario does not say.
    pub const DEFAULT_LIFO_ABOVE: u32 = 10;
}

impl StationSpec {
    /// One worker, 1 ms exponential service, no limits: valid station
    /// settings for a kind's [`skeleton`](crate::model::kinds::Spec::skeleton).
    pub(crate) fn skeleton() -> StationSpec {
        StationSpec {
            size: None,
            workers: 1,
            service: Service { dist: Dist::Exponential, mean_ms: 1.0, cv: None },
            queue_limit: None,
            timeout_ms: None,
            discipline: Discipline::Fifo,
            lifo_above: None,
            max_wait_ms: None,
            drop_abandoned: false,
            contention: None,
        }
    }
}

/// An autoscaling group: between `min` and `max` machines, grown or shrunk to
/// keep the load near `target` (utilisation 0..1 for web servers; waiting
/// jobs per machine for workers). New machines serve `boot_s` after they are
/// started; the group shrinks only after `cooldown_s` of lower load.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AutoscaleSpec {
    pub min: u32,
    pub max: u32,
    pub target: f64,
    pub boot_s: f64,
    pub cooldown_s: f64,
}

impl AutoscaleSpec {
    /// The engine's policy for this group: `steer` says what it steers by
    /// (`AutoscalePolicy::utilization` for servers, `backlog` for workers),
    /// with the group's boot time and cooldown.
    pub fn policy(
        &self,
        steer: fn(u32, u32, f64) -> Result<AutoscalePolicy, AutoscaleError>,
    ) -> Result<AutoscalePolicy, AutoscaleError> {
        steer(self.min, self.max, self.target)
            .and_then(|p| p.with_timing(self.boot_s, self.cooldown_s, AutoscalePolicy::DEFAULT_CHECK_INTERVAL_S))
    }
}

/// Service time of one request on one worker.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Service {
    pub dist: Dist,
    pub mean_ms: f64,
    /// Coefficient of variation (standard deviation / mean); lognormal only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cv: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dist {
    Exponential,
    Constant,
    Lognormal,
}

pub const DISTS: &[&str] = &["exponential", "constant", "lognormal"];

/// A wire: `from` sends requests to `to`, each way taking `latency_ms`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Link {
    pub from: String,
    pub to: String,
    /// One-way delay; a request and its response each pay it once.
    pub latency_ms: f64,
}

impl Node {
    /// The node as a JSON value, through the engine's one copy of the value
    /// writer (see [`Scenario::to_value`]).
    #[inline(never)]
    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

impl Scenario {
    /// Reads and checks a scenario document; see [`crate::model::parse`].
    pub fn from_json(text: &str) -> Result<Scenario, crate::model::error::ScenarioError> {
        crate::model::parse::parse_scenario(text)
    }

    /// The scenario as pretty JSON (the inverse of [`Scenario::from_json`]).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// The scenario as a JSON value (what [`crate::model::parse::parse_value`]
    /// reads). The page calls this rather than `serde_json::to_value`, so
    /// that the browser module holds one copy of the value writer for the
    /// scenario (the engine's, which `edited` uses), not one per crate.
    #[inline(never)]
    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }

    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }

    pub fn data_center(&self, id: &str) -> Option<&DataCenter> {
        self.data_centers.iter().find(|d| d.id == id)
    }

    /// The region of the node with this id, if it is in a data center.
    pub fn region_of(&self, id: &str) -> Option<crate::blocks::geo::Region> {
        let node = &self.nodes[self.node_index(id)?];
        Some(self.data_center(node.dc.as_deref()?)?.region)
    }
}
