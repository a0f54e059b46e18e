//! DNS: the site's name, resolved to one of its entry points (plain,
//! weighted, or the nearest for GeoDNS), and kept by resolvers for its TTL.

use crate::model::fields::{Field, FieldKind};
use crate::model::kinds::{About, Bill, Figure, LinkRole, NodeKind, Settings, Spec};
use crate::model::parse::{join, Obj, Parser};
use crate::model::spof::Graph;
use serde::Serialize;
use serde_json::Value;

/// DNS between users and the site: clients resolve the site's name to one of
/// the entry points linked from here (a load balancer, web server or rate
/// limiter per data center) and their resolvers keep the answer for `ttl_s`. A resolution costs
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

pub const DNS_ROUTINGS: &[&str] = &["single", "weighted", "nearest"];

impl Spec for DnsSpec {
    const ABOUT: About = About {
        name: "dns",
        label: "DNS",
        title: "DNS",
        blurb: "Turns the site's name into an address; resolvers keep the answer for its TTL, even after a failure.",
        id_prefix: "dns",
        icon: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm6.9 6h-3a15 15 0 0 0-1.3-4A8 8 0 0 1 18.9 8zM12 4c.8 1.1 1.5 2.5 1.9 4h-3.8c.4-1.5 1.1-2.9 1.9-4zM4.3 14a8 8 0 0 1 0-4h3.4a16 16 0 0 0 0 4zm.8 2h3a15 15 0 0 0 1.3 4A8 8 0 0 1 5.1 16zm3-8h-3a8 8 0 0 1 4.3-4A15 15 0 0 0 8.1 8zM12 20c-.8-1.1-1.5-2.5-1.9-4h3.8c-.4 1.5-1.1 2.9-1.9 4zm2.3-6H9.7a14 14 0 0 1 0-4h4.6a14 14 0 0 1 0 4zm.3 5.6a15 15 0 0 0 1.3-3.6h3a8 8 0 0 1-4.3 3.6zM16.3 14a16 16 0 0 0 0-4h3.4a8 8 0 0 1 0 4z",
        station: false,
        can_be_single_point: false,
        column: 1,
        figure: Figure::Rate,
        placed: "{}",
        links: &[(NodeKind::LoadBalancer, LinkRole::Resolve), (NodeKind::WebServer, LinkRole::Resolve)],
        linked_from: &[],
        refuses: &[],
        only_from: Some("only users look up the site's name in DNS"),
        calls: "DNS points users at the site's entry points: load balancers, web servers or rate limiters",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        let ttl_s = p.number(obj, "ttl_s", Some(60.0), 0.0, crate::blocks::dns::MAX_TTL_S as f64);
        let resolve_ms = p.number(obj, "resolve_ms", Some(30.0), 0.0, crate::blocks::dns::MAX_RESOLVE_MS);
        let routing = p.choice(obj, "routing", Some("single"), DNS_ROUTINGS);
        let weights_path = join(&obj.path, "weights");
        let weights = match p.get(obj, "weights") {
            None | Some(Value::Null) => Some(Vec::new()),
            Some(Value::Array(items)) if items.len() <= crate::blocks::dns::MAX_TARGETS => {
                let mut out = Vec::new();
                let mut ok = true;
                for (i, w) in items.iter().enumerate() {
                    match w.as_f64() {
                        Some(x) if x.is_finite() && x >= 0.0 => out.push(x),
                        _ => {
                            p.issue(format!("{weights_path}[{i}]"), "must be a number of at least 0");
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            Some(_) => {
                p.issue(
                    &weights_path,
                    format!("must be a list of at most {} numbers", crate::blocks::dns::MAX_TARGETS),
                );
                None
            }
        };
        Some(DnsSpec {
            ttl_s: ttl_s?,
            resolve_ms: resolve_ms?,
            routing: match routing? {
                "weighted" => DnsRouting::Weighted,
                "nearest" => DnsRouting::Nearest,
                _ => DnsRouting::Single,
            },
            weights: weights?,
        })
    }

    fn skeleton() -> Self {
        DnsSpec { ttl_s: 0.0, resolve_ms: 0.0, routing: DnsRouting::Single, weights: Vec::new() }
    }
}

impl Settings for DnsSpec {
    /// A hosted zone and its queries: a few dollars; shown, not hidden.
    fn monthly_usd(&self, _: &Bill) -> f64 {
        crate::model::cost::DNS_MONTHLY_USD
    }

    /// Plain DNS names one entry; weighted and nearest stop naming a dead one.
    fn serves_as_entry(&self, graph: &Graph, node: usize, request: usize, up: &dyn Fn(usize) -> bool) -> bool {
        match self.routing {
            DnsRouting::Single => graph.out(node).first().is_some_and(|&e| graph.entry_serves(e, request, up)),
            DnsRouting::Weighted | DnsRouting::Nearest => {
                graph.out(node).iter().any(|&e| graph.entry_serves(e, request, up))
            }
        }
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        vec![DNS_FIELDS]
    }
}

const DNS_FIELDS: &[Field] = &[
    Field { pointer: "/routing", label: "Routing", unit: "", kind: FieldKind::Choice(DNS_ROUTINGS), help: "single: always the first entry; weighted: split among the entries that are up; nearest (GeoDNS): each region to its closest entry that is up" },
    Field { pointer: "/ttl_s", label: "TTL", unit: "s", kind: FieldKind::Number, help: "how long resolvers keep an answer (and keep using it after a failure)" },
    Field { pointer: "/resolve_ms", label: "Lookup time", unit: "ms", kind: FieldKind::Number, help: "what a lookup costs when the answer is not cached" },
];
