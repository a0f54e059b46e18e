//! A web server: a station running the application, which calls the cache,
//! data and queue tiers linked behind it, keeps sessions, and may be an
//! autoscaling group.

use crate::blocks::autoscale::{AutoscaleError, AutoscalePolicy};
use crate::blocks::pricing::InstanceKind;
use crate::model::cost::machine_usd;
use crate::model::fields::{contention_fields, Field, FieldKind, AUTOSCALE_FIELDS, STATION_FIELDS};
use crate::model::kinds::{About, Bill, Figure, LinkRole, NodeKind, NodeSpec, Settings, Spec};
use crate::model::parse::{Obj, Parser};
use crate::model::scenario::{AutoscaleSpec, CallPolicy, Node, Scenario, StationSpec};
use crate::model::spof::Graph;
use crate::model::validate::{replicas_only, Wiring};
use serde::Serialize;

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
    /// How the server calls its cache, data and queue tiers: a timeout per
    /// attempt and retries (see [`CallPolicy`]); `None`: each call is made
    /// once and waited for as long as it takes. Left out when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls: Option<CallPolicy>,
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

impl Spec for WebServerSpec {
    const ABOUT: About = About {
        name: "web_server",
        label: "web server",
        title: "Web server",
        blurb: "Runs the application: a pool of workers, each handling one request at a time. Holds at most 500 waiting requests and gives each 3 s, as real servers do, so overload shows as errors rather than endless waits.",
        id_prefix: "web",
        icon: "M4 4h16v6H4zm0 8h16v6H4zm3-6v2h2V6zm0 8v2h2v-2zm4-8v2h6V6zm0 8v2h6v-2z",
        station: true,
        can_be_single_point: true,
        column: 2,
        figure: Figure::Busy,
        placed: r#"{"size": "large", "queue_limit": 500, "timeout_ms": 3000}"#,
        links: &[(NodeKind::Cache, LinkRole::CacheAside), (NodeKind::Database, LinkRole::Query), (NodeKind::ShardRouter, LinkRole::Route), (NodeKind::Nosql, LinkRole::KeyValue), (NodeKind::Queue, LinkRole::Publish)],
        linked_from: &[],
        refuses: &[],
        only_from: None,
        calls: "a web server calls caches, databases and queues",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        let station = p.station(obj, Some(crate::blocks::pricing::InstanceKind::WebServer), 4, 10.0);
        let waiting = p.choice(obj, "waiting", Some("thread"), WAITINGS);
        let sessions = p.choice(obj, "sessions", Some("none"), SESSIONS);
        let autoscale = p.autoscale(obj, true);
        let calls = p.call_policy(obj, "calls");
        Some(WebServerSpec {
            station: station?,
            waiting: if waiting? == "async" { Waiting::Async } else { Waiting::Thread },
            sessions: match sessions? {
                "local" => Sessions::Local,
                "shared" => Sessions::Shared,
                _ => Sessions::None,
            },
            autoscale: autoscale?,
            calls: calls?,
        })
    }

    fn skeleton() -> Self {
        WebServerSpec {
            station: StationSpec::skeleton(),
            waiting: Waiting::Thread,
            sessions: Sessions::None,
            autoscale: None,
            calls: None,
        }
    }
}

impl Settings for WebServerSpec {
    fn monthly_usd(&self, bill: &Bill) -> f64 {
        bill.machines() * machine_usd(InstanceKind::WebServer, &self.station)
    }

    fn serves_as_entry(&self, graph: &Graph, node: usize, request: usize, up: &dyn Fn(usize) -> bool) -> bool {
        graph.web_serves(node, request, up)
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        let scaling: &[Field] = if self.autoscale.is_some() { AUTOSCALE_FIELDS } else { &[] };
        let mut groups =
            vec![WEB_SIZE_FIELDS, STATION_FIELDS, contention_fields(&self.station), WEB_FIELDS, AUTOSCALE_WEB, scaling];
        groups.extend(crate::model::fields::calls_fields(self.calls.as_ref()));
        groups
    }

    fn station(&self) -> Option<&StationSpec> {
        Some(&self.station)
    }

    fn station_mut(&mut self) -> Option<&mut StationSpec> {
        Some(&mut self.station)
    }

    /// A group of servers, grown and shrunk to keep their utilisation near the target.
    fn autoscale_policy(&self) -> Option<Result<AutoscalePolicy, AutoscaleError>> {
        Some(self.autoscale?.policy(AutoscalePolicy::utilization))
    }

    /// Its data tier is one shard router, or one primary and its replicas.
    fn wiring_problems(&self, wiring: &Wiring) -> Vec<String> {
        let mut problems = Vec::new();
        let (s, id) = (wiring.s, &wiring.node.id);
        let targets = wiring.targets();
        let dbs: Vec<usize> =
            targets.iter().copied().filter(|&d| matches!(s.nodes[d].spec, NodeSpec::Database(_))).collect();
        let routers = targets.iter().filter(|&&d| matches!(s.nodes[d].spec, NodeSpec::ShardRouter(_))).count();
        if routers > 0 && (routers > 1 || !dbs.is_empty()) {
            problems.push(format!(
                "web server \"{id}\" is linked to a shard router and to other data stores; with shards, link it to the one router only"
            ));
        }
        let root = |d: usize| wiring.primary_or_self(d);
        if let Some(&first) = dbs.first() {
            if let Some(&other) = dbs.iter().find(|&&d| root(d) != root(first)) {
                problems.push(format!(
                    "web server \"{id}\" is linked to databases \"{}\" and \"{}\", which do not replicate each other; \
                     link it to one primary and that primary's replicas",
                    s.nodes[root(first)].id,
                    s.nodes[root(other)].id
                ));
            }
        }
        problems
    }

    fn warning(&self, node: &Node, s: &Scenario) -> Option<String> {
        let linked_to_store = s.links.iter().any(|l| {
            l.from == node.id
                && s.node_index(&l.to)
                    .is_some_and(|i| matches!(s.nodes[i].spec, NodeSpec::Nosql(_) | NodeSpec::Cache(_)))
        });
        if self.sessions == Sessions::Shared && !linked_to_store {
            return Some(format!(
                "web server \"{}\" keeps sessions in a shared store but is linked to none; link it to a NoSQL store or a cache",
                node.id
            ));
        }
        replicas_only(s, &node.id).then(|| {
            format!(
                "web server \"{}\" is linked only to read replicas, so its writes fail; link it to their primary too",
                node.id
            )
        })
    }
}

const WEB_SIZE_FIELDS: &[Field] = &[Field {
    pointer: "/size",
    label: "Machine size",
    unit: "",
    kind: FieldKind::Size(crate::blocks::pricing::InstanceKind::WebServer),
    help: "vertical scaling: one worker per vCPU; bigger costs more, up to a top size",
}];
const WEB_FIELDS: &[Field] = &[
    Field {
        pointer: "/waiting",
        label: "While calling",
        unit: "",
        kind: FieldKind::Choice(WAITINGS),
        help: "thread: the worker waits for the database; async: it serves others meanwhile",
    },
    Field {
        pointer: "/sessions",
        label: "Sessions",
        unit: "",
        kind: FieldKind::Choice(SESSIONS),
        help: "local: in this server's memory (needs sticky balancing); shared: in a NoSQL store or cache",
    },
];
const AUTOSCALE_WEB: &[Field] = &[Field {
    pointer: "/autoscale",
    label: "Autoscaling",
    unit: "",
    kind: FieldKind::Enabled(r#"{"min":2,"max":10,"target":0.6,"boot_s":30,"cooldown_s":60}"#),
    help: "a group of such machines, grown and shrunk with the load",
}];
