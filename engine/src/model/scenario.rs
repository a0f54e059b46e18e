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

pub use crate::model::kind::NodeKind;
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

/// The kind of a node and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NodeSpec {
    Users(UsersSpec),
    LoadBalancer(LoadBalancerSpec),
    WebServer(WebServerSpec),
    Cache(CacheSpec),
    Database(DatabaseSpec),
    Queue(QueueSpec),
    Workers(WorkersSpec),
    ShardRouter(ShardRouterSpec),
    Nosql(NosqlSpec),
    Dns(DnsSpec),
    Cdn(CdnSpec),
}

impl NodeSpec {
    /// The node's kind: its name, words, wiring rules ([`NodeKind`]).
    pub fn kind(&self) -> NodeKind {
        match self {
            NodeSpec::Users(_) => NodeKind::Users,
            NodeSpec::LoadBalancer(_) => NodeKind::LoadBalancer,
            NodeSpec::WebServer(_) => NodeKind::WebServer,
            NodeSpec::Cache(_) => NodeKind::Cache,
            NodeSpec::Database(_) => NodeKind::Database,
            NodeSpec::Queue(_) => NodeKind::Queue,
            NodeSpec::Workers(_) => NodeKind::Workers,
            NodeSpec::ShardRouter(_) => NodeKind::ShardRouter,
            NodeSpec::Nosql(_) => NodeKind::Nosql,
            NodeSpec::Dns(_) => NodeKind::Dns,
            NodeSpec::Cdn(_) => NodeKind::Cdn,
        }
    }

    /// The workers, queue and service time of nodes that serve requests.
    pub fn station(&self) -> Option<&StationSpec> {
        match self {
            NodeSpec::WebServer(w) => Some(&w.station),
            NodeSpec::Cache(c) => Some(&c.station),
            NodeSpec::Database(d) => Some(&d.station),
            NodeSpec::Workers(w) => Some(&w.station),
            NodeSpec::Nosql(n) => Some(&n.station),
            NodeSpec::Users(_)
            | NodeSpec::LoadBalancer(_)
            | NodeSpec::Queue(_)
            | NodeSpec::ShardRouter(_)
            | NodeSpec::Dns(_)
            | NodeSpec::Cdn(_) => None,
        }
    }

    /// The autoscaling group settings of web servers and worker pools, as the
    /// engine's policy (utilisation for servers, backlog for workers).
    pub fn autoscale_policy(
        &self,
    ) -> Option<Result<crate::blocks::autoscale::AutoscalePolicy, crate::blocks::autoscale::AutoscaleError>> {
        use crate::blocks::autoscale::AutoscalePolicy;
        let (a, web) = match self {
            NodeSpec::WebServer(w) => (w.autoscale?, true),
            NodeSpec::Workers(w) => (w.autoscale?, false),
            NodeSpec::Users(_)
            | NodeSpec::LoadBalancer(_)
            | NodeSpec::Cache(_)
            | NodeSpec::Database(_)
            | NodeSpec::Queue(_)
            | NodeSpec::ShardRouter(_)
            | NodeSpec::Nosql(_)
            | NodeSpec::Dns(_)
            | NodeSpec::Cdn(_) => return None,
        };
        let policy = if web {
            AutoscalePolicy::utilization(a.min, a.max, a.target)
        } else {
            AutoscalePolicy::backlog(a.min, a.max, a.target)
        };
        Some(policy.and_then(|p| p.with_timing(a.boot_s, a.cooldown_s, AutoscalePolicy::DEFAULT_CHECK_INTERVAL_S)))
    }

    /// The station the simulation runs for this node: as written, except a
    /// NoSQL store, whose workers are per partition.
    pub fn station_runtime(&self) -> Option<StationSpec> {
        match self {
            NodeSpec::Nosql(n) => Some(StationSpec { workers: n.total_workers(), ..n.station.clone() }),
            other => other.station().cloned(),
        }
    }

    pub fn station_mut(&mut self) -> Option<&mut StationSpec> {
        match self {
            NodeSpec::WebServer(w) => Some(&mut w.station),
            NodeSpec::Cache(c) => Some(&mut c.station),
            NodeSpec::Database(d) => Some(&mut d.station),
            NodeSpec::Workers(w) => Some(&mut w.station),
            NodeSpec::Nosql(n) => Some(&mut n.station),
            NodeSpec::Users(_)
            | NodeSpec::LoadBalancer(_)
            | NodeSpec::Queue(_)
            | NodeSpec::ShardRouter(_)
            | NodeSpec::Dns(_)
            | NodeSpec::Cdn(_) => None,
        }
    }
}

/// A traffic source: a population of users sending requests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UsersSpec {
    /// How much traffic: a request rate, or a number of daily users.
    #[serde(flatten)]
    pub rate: Rate,
    pub arrivals: Arrivals,
    pub mix: Mix,
    /// Distinct users the requests come from (sticky routing hashes the user).
    pub population: u64,
    /// Which data each request reads or writes (caches and replicas need it).
    pub keys: Keys,
    /// How the rate changes over time (a multiplier of the rate above).
    #[serde(skip_serializing_if = "is_steady")]
    pub profile: crate::blocks::profile::Profile,
    /// Where the users are; empty: nowhere in particular (no cross-region latency).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<RegionShare>,
    /// Share of requests from mobile apps (the rest from browsers): a mobile
    /// network adds `MOBILE_EXTRA_MS` each way on the first hop.
    pub mobile_share: f64,
    /// How long the users wait for an answer before they give up (cause
    /// `client_timeout`); `None`: they wait for ever. Absent from a document:
    /// [`DEFAULT_CLIENT_TIMEOUT_MS`]. Always written, `null` included, so a
    /// saved "never" stays never.
    pub client_timeout_ms: Option<f64>,
}

/// How long users wait by default before giving up on a request: about the
/// limit of a person's attention on a page that does not answer (they reload
/// or leave), and the read timeout many mobile HTTP clients ship with. It is
/// longer than every server timeout in the lessons (2 to 5 s), so a server's
/// own timeout answers first and the users' patience is the last resort.
pub const DEFAULT_CLIENT_TIMEOUT_MS: f64 = 10_000.0;

/// Extra one-way latency of a mobile network over a fixed line, in milliseconds.
pub const MOBILE_EXTRA_MS: f64 = 30.0;

fn is_steady(p: &crate::blocks::profile::Profile) -> bool {
    *p == crate::blocks::profile::Profile::Steady
}

/// The data keys requests touch: `count` keys whose popularity follows Zipf's
/// law with exponent `zipf` (0: all equally popular; about 1: typical web
/// content), plus a `celebrity_share` of all requests that go to one key.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Keys {
    pub count: u64,
    pub zipf: f64,
    pub celebrity_share: f64,
}

impl Keys {
    pub const DEFAULT: Keys = Keys { count: 100_000, zipf: 0.9, celebrity_share: 0.0 };
}

/// Seconds in a day.
const DAY_S: f64 = 86_400.0;

/// Traffic of a users node: either a request rate directly (`rps`), or daily
/// active users (`dau`) who each make `requests_per_user_per_day` requests, with
/// the busiest hour `peak_factor` times the day's average. The simulation runs
/// at the peak rate: that is what the architecture must survive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Rate {
    Rps { rps: f64 },
    Users { dau: f64, requests_per_user_per_day: f64, peak_factor: f64 },
}

impl Rate {
    /// Requests per day of one user when only `dau` is given: a user who opens
    /// the site a few times a day, each visit a burst of page and API requests.
    pub const DEFAULT_REQUESTS_PER_USER_PER_DAY: f64 = 432.0;
    /// The busiest hour carries twice the day's average traffic.
    pub const DEFAULT_PEAK_FACTOR: f64 = 2.0;

    /// Daily users with the default habits.
    pub fn users(dau: f64) -> Rate {
        Rate::Users {
            dau,
            requests_per_user_per_day: Self::DEFAULT_REQUESTS_PER_USER_PER_DAY,
            peak_factor: Self::DEFAULT_PEAK_FACTOR,
        }
    }

    /// The request rate the simulation runs at (requests per second).
    pub fn rps(&self) -> f64 {
        match *self {
            Rate::Rps { rps } => rps,
            Rate::Users { dau, requests_per_user_per_day, peak_factor } => {
                dau * requests_per_user_per_day * peak_factor / DAY_S
            }
        }
    }
}

impl UsersSpec {
    pub fn rps(&self) -> f64 {
        self.rate.rps()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Independent arrivals: exponential gaps between requests.
    Poisson,
}

/// Shares of request kinds; they need not sum to 1 (they are normalised).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Mix {
    pub read: f64,
    pub write: f64,
    #[serde(rename = "static")]
    pub static_: f64,
    pub job: f64,
}

impl Mix {
    pub const ALL_READ: Mix = Mix { read: 1.0, write: 0.0, static_: 0.0, job: 0.0 };

    pub fn shares(&self) -> [f64; 4] {
        [self.read, self.write, self.static_, self.job]
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LoadBalancerSpec {
    pub algorithm: Algorithm,
    /// How the balancer notices dead servers; `None`: it never does, and keeps
    /// sending them their share of requests.
    pub health_check: Option<HealthCheck>,
    /// An active-passive pair: when the active balancer fails, the standby
    /// takes over after `failover_s`, so the balancer is no single point of failure.
    pub pair: bool,
    pub failover_s: f64,
}

/// The balancer probes every server each `interval_s`; `threshold` failed
/// probes in a row take a server out of rotation, and as many passed ones in a
/// row bring it back. A dead server therefore keeps receiving requests for up
/// to `interval_s * threshold` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct HealthCheck {
    pub interval_s: f64,
    pub threshold: u32,
}

impl HealthCheck {
    pub const DEFAULT: HealthCheck = HealthCheck { interval_s: 2.0, threshold: 3 };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    RoundRobin,
    LeastConnections,
    Random,
    /// The same user always goes to the same server (a hash of the user id).
    Sticky,
}

pub const ALGORITHMS: &[&str] = &["round_robin", "least_connections", "random", "sticky"];

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
}

/// A web server: a station whose reads and writes call the cache and database
/// tiers linked behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WebServerSpec {
    #[serde(flatten)]
    pub station: StationSpec,
    pub waiting: Waiting,
    pub sessions: Sessions,
    /// An autoscaling group of such servers (`station` is one machine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoscaleSpec>,
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

/// Where a web server keeps logged-in users' sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sessions {
    /// No sessions (an API without logins, or not modelled).
    None,
    /// In the server's own memory: a user must keep coming back to the same
    /// server (sticky balancing), and sessions die with the server.
    Local,
    /// In a shared store (a NoSQL store or a cache linked to the server): any
    /// server can take any user, at the price of one more call per request.
    Shared,
}

pub const SESSIONS: &[&str] = &["none", "local", "shared"];

/// What a web server's worker does while a downstream call is out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    /// Thread per request: the worker waits, held, until the answer comes
    /// (a slow database then runs the web tier out of workers).
    Thread,
    /// Asynchronous: the worker is freed while the call is out and the answer
    /// is handled without one.
    Async,
}

pub const WAITINGS: &[&str] = &["thread", "async"];

/// A read-through cache: web servers ask it first on a read; on a miss they
/// read the database and fill the cache with the answer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheSpec {
    #[serde(flatten)]
    pub station: StationSpec,
    /// Items the cache holds.
    pub capacity: u64,
    pub policy: crate::blocks::cache_store::Policy,
    /// Entries expire this long after they were filled; `None`: never.
    pub ttl_s: Option<f64>,
    /// A write removes the key from the cache. Without it, readers get the old
    /// value until it expires or is evicted (counted as stale reads).
    pub invalidate_on_write: bool,
}

pub const POLICIES: &[&str] = &["lru", "lfu", "fifo"];

/// A relational database. Linked from another database, it is that one's read
/// replica: it applies the primary's writes `replication_lag_ms` late and
/// takes reads; the primary takes the writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatabaseSpec {
    #[serde(flatten)]
    pub station: StationSpec,
    /// As a replica: how far behind the primary it runs.
    pub replication_lag_ms: f64,
    /// As a primary with replicas: how long after it fails a replica is
    /// promoted to take the writes (detection plus promotion).
    pub failover_s: f64,
}

/// A content delivery network: an edge location in every region answers the
/// static requests of the users there from its own cache (objects with a TTL;
/// the request's key is the object); a miss is fetched from the origin (the
/// balancer or web server linked from here) and kept at that edge. Users reach
/// the edge of their own region, so no cross-region latency applies. Users linked to a CDN send it their static
/// requests. If it is down, they go to the origin when `fallback_to_origin`,
/// and fail otherwise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CdnSpec {
    /// Objects the edges keep.
    pub capacity: u64,
    pub ttl_s: f64,
    pub fallback_to_origin: bool,
    /// Average size of a static object, for the bandwidth bill.
    pub object_kb: f64,
}

/// DNS between users and the site: clients resolve the site's name to one of
/// the entry points linked from here (a load balancer or web server per data
/// center) and their resolvers keep the answer for `ttl_s`. A resolution costs
/// `resolve_ms` when it is not cached. `single`: always the first entry;
/// `weighted`: split by `weights` among the entries that are up; `nearest`
/// (GeoDNS): each user to the entry closest to their region that is up (by the
/// regions of the entries' data centers). When an entry
/// dies, clients with a cached answer keep going to it until it expires.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DnsSpec {
    pub ttl_s: f64,
    pub resolve_ms: f64,
    pub routing: DnsRouting,
    /// One per entry (link order); missing ones count 1.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub weights: Vec<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DnsRouting {
    Single,
    Weighted,
    /// GeoDNS: each client region to the nearest entry that is up.
    Nearest,
}

/// Splits the data over the databases linked to it (the shards, in link
/// order): each request goes to the shard of its key (the user whose data it
/// reads or writes). `modulo`: shard = key mod N, simple, but adding a shard
/// moves most keys; `consistent_hash`: a ring with `vnodes` points per shard,
/// so adding one moves only about 1/(N+1) of them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardRouterSpec {
    pub routing: ShardRouting,
    pub vnodes: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ShardRouting {
    Modulo,
    ConsistentHash,
}

pub const SHARD_ROUTINGS: &[&str] = &["modulo", "consistent_hash"];

/// A key-value (NoSQL) store: fast single-key reads and writes, spread over
/// `partitions` that each add `workers` (it scales out by adding partitions).
/// A web server uses it as its session store when its sessions are shared,
/// and as its data store when it has no relational database.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NosqlSpec {
    /// `workers` is per partition here.
    #[serde(flatten)]
    pub station: StationSpec,
    pub partitions: u32,
}

impl NosqlSpec {
    /// Workers across all partitions.
    pub fn total_workers(&self) -> u32 {
        self.station.workers.saturating_mul(self.partitions)
    }
}

/// A durable message queue: web servers put jobs on it and answer the user at
/// once; worker pools linked from it take the jobs off, oldest first. A full
/// queue refuses new jobs (the user's request fails: rejected).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueSpec {
    /// Most messages it holds.
    pub capacity: u64,
}

/// A pool of workers processing jobs from the queues linked to it, each
/// worker one job at a time (`service` is the processing time).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkersSpec {
    #[serde(flatten)]
    pub station: StationSpec,
    /// Grow the pool with the backlog (`target`: waiting jobs per machine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoscaleSpec>,
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

impl Scenario {
    /// Reads and checks a scenario document; see [`crate::model::parse`].
    pub fn from_json(text: &str) -> Result<Scenario, crate::model::error::ScenarioError> {
        crate::model::parse::parse_scenario(text)
    }

    /// The scenario as pretty JSON (the inverse of [`Scenario::from_json`]).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
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
