//! A load balancer: spreads requests over its web servers by an algorithm,
//! probes them, and may be a pair with a standby.

use crate::base::limits::*;
use crate::blocks::pricing;
use crate::model::fields::{Field, FieldKind};
use crate::model::kinds::{About, Bill, Figure, LinkRole, NodeKind, Settings, Spec};
use crate::model::parse::{join, Obj, Parser};
use crate::model::scenario::{Node, Scenario};
use crate::model::spof::Graph;
use serde::Serialize;
use serde_json::Value;

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
    /// Two servers drawn at random, the one with fewer open connections
    /// ("the power of two choices"): nearly as even as least connections,
    /// without comparing every server, which is why large balancers use it.
    TwoChoices,
}

pub const ALGORITHMS: &[&str] = &["round_robin", "least_connections", "random", "sticky", "two_choices"];

impl Spec for LoadBalancerSpec {
    const ABOUT: About = About {
        name: "load_balancer",
        label: "load balancer",
        title: "Load balancer",
        blurb: "Spreads requests over several servers, so one can fail or be added without downtime.",
        id_prefix: "lb",
        icon: "M11 3h2v6h-2zM4 13h16v2h-2v3h-2v-3h-3v3h-2v-3H8v3H6v-3H4zM7 9h10l2 4H5z",
        station: false,
        can_be_single_point: true,
        column: 1,
        figure: Figure::Rate,
        placed: "{}",
        links: &[(NodeKind::WebServer, LinkRole::Balance)],
        linked_from: &[],
        refuses: &[(NodeKind::LoadBalancer, "a load balancer forwards to web servers, not to another load balancer")],
        only_from: None,
        calls: "a load balancer forwards only to web servers",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        p.balancer(obj)
    }

    fn skeleton() -> Self {
        LoadBalancerSpec { algorithm: Algorithm::RoundRobin, health_check: None, pair: false, failover_s: 0.0 }
    }
}

impl Settings for LoadBalancerSpec {
    /// One balancer, or two for a standby pair.
    fn monthly_usd(&self, _: &Bill) -> f64 {
        pricing::LOAD_BALANCER_MONTHLY_USD * if self.pair { 2.0 } else { 1.0 }
    }

    /// Up (or with its standby), and with a web server behind it that serves.
    fn serves_as_entry(&self, graph: &Graph, node: usize, request: usize, up: &dyn Fn(usize) -> bool) -> bool {
        (up(node) || self.pair) && graph.out(node).iter().any(|&w| graph.web_serves(w, request, up))
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        if self.health_check.is_some() {
            vec![BALANCER_FIELDS, HEALTH_FIELDS]
        } else {
            vec![BALANCER_FIELDS, &HEALTH_FIELDS[..1]]
        }
    }

    fn warning(&self, node: &Node, s: &Scenario) -> Option<String> {
        let linked = s.links.iter().any(|l| l.from == node.id);
        (!linked).then(|| {
            format!(
                "load balancer \"{}\" has no servers behind it, so its requests fail; link it to a web server",
                node.id
            )
        })
    }
}

impl Parser {
    fn balancer(&mut self, obj: &mut Obj<'_>) -> Option<LoadBalancerSpec> {
        let algorithm = self.choice(obj, "algorithm", Some("round_robin"), ALGORITHMS);
        let hc_path = join(&obj.path, "health_check");
        let health_check = match self.get(obj, "health_check") {
            None => Some(Some(HealthCheck::DEFAULT)),
            Some(Value::Null) => Some(None),
            Some(v) => {
                let mut hc = self.object(v, &hc_path)?;
                let interval_s = self.number(
                    &mut hc,
                    "interval_s",
                    Some(HealthCheck::DEFAULT.interval_s),
                    0.1,
                    MAX_CHECK_INTERVAL_S,
                );
                let threshold = self.integer(
                    &mut hc,
                    "threshold",
                    Some(HealthCheck::DEFAULT.threshold as u64),
                    1,
                    MAX_CHECK_THRESHOLD,
                );
                self.finish(hc);
                Some(Some(HealthCheck { interval_s: interval_s?, threshold: threshold? as u32 }))
            }
        };
        let pair = self.boolean(obj, "pair", false);
        let failover_s = self.number(obj, "failover_s", Some(2.0), 0.0, MAX_FAILOVER_S);
        Some(LoadBalancerSpec {
            algorithm: match algorithm? {
                "round_robin" => Algorithm::RoundRobin,
                "least_connections" => Algorithm::LeastConnections,
                "random" => Algorithm::Random,
                "two_choices" => Algorithm::TwoChoices,
                _ => Algorithm::Sticky,
            },
            health_check: health_check?,
            pair: pair?,
            failover_s: failover_s?,
        })
    }
}

const BALANCER_FIELDS: &[Field] = &[
    Field {
        pointer: "/algorithm",
        label: "Algorithm",
        unit: "",
        kind: FieldKind::Choice(ALGORITHMS),
        help: "how a server is picked for each request: in turn (round robin), the one with the fewest open connections (least connections), at random, the same one for each user (sticky), or the less busy of two drawn at random (two choices: almost as even as least connections, without comparing every server)",
    },
    Field {
        pointer: "/pair",
        label: "Standby pair",
        unit: "",
        kind: FieldKind::Toggle,
        help: "a second balancer takes over when this one fails",
    },
    Field {
        pointer: "/failover_s",
        label: "Takeover time",
        unit: "s",
        kind: FieldKind::Number,
        help: "how long the standby takes to step in",
    },
];
const HEALTH_FIELDS: &[Field] = &[
    Field {
        pointer: "/health_check",
        label: "Health checks",
        unit: "",
        kind: FieldKind::Enabled(r#"{"interval_s":2,"threshold":3}"#),
        help: "probe servers so dead ones are taken out of rotation",
    },
    Field {
        pointer: "/health_check/interval_s",
        label: "Probe every",
        unit: "s",
        kind: FieldKind::Number,
        help: "time between probes of each server",
    },
    Field {
        pointer: "/health_check/threshold",
        label: "Threshold",
        unit: "probes",
        kind: FieldKind::Number,
        help: "results in a row that change the balancer's mind",
    },
];
