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

use serde::Serialize;

/// The scenario format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

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
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    pub id: String,
    #[serde(flatten)]
    pub spec: NodeSpec,
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
    WebServer(StationSpec),
    Database(StationSpec),
}

impl NodeSpec {
    /// The `kind` name used in scenario files.
    pub fn kind_name(&self) -> &'static str {
        match self {
            NodeSpec::Users(_) => "users",
            NodeSpec::LoadBalancer(_) => "load_balancer",
            NodeSpec::WebServer(_) => "web_server",
            NodeSpec::Database(_) => "database",
        }
    }
}

/// Every `kind` this build knows, in palette order.
pub const NODE_KINDS: &[&str] = &["users", "load_balancer", "web_server", "database"];

/// A traffic source: a population of users sending requests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UsersSpec {
    /// Mean requests per second, all kinds together.
    pub rps: f64,
    pub arrivals: Arrivals,
    pub mix: Mix,
    /// Distinct users the requests come from (sticky routing hashes the user).
    pub population: u64,
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
    pub workers: u32,
    pub service: Service,
    /// Most requests that may wait (not counting those in service); `None`: unbounded.
    pub queue_limit: Option<u32>,
    /// A caller gives up this long after the request reached this node; `None`: never.
    pub timeout_ms: Option<f64>,
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
    /// Reads and checks a scenario document; see [`crate::parse`].
    pub fn from_json(text: &str) -> Result<Scenario, crate::ScenarioError> {
        crate::parse::parse_scenario(text)
    }

    /// The scenario as pretty JSON (the inverse of [`Scenario::from_json`]).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    pub fn node_index(&self, id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.id == id)
    }
}
