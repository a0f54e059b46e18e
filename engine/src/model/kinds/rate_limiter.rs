//! A rate limiter: an API gateway in front of the site's entry that lets
//! requests through up to a rate and turns the rest away at once (an HTTP
//! 429, cause `rate_limited`), for everyone together or for each user.

use crate::base::limits::*;
use crate::blocks::pricing;
use crate::model::fields::{Field, FieldKind};
use crate::model::kinds::{About, Bill, Figure, LinkRole, NodeKind, Settings, Spec};
use crate::model::parse::{Obj, Parser};
use crate::model::scenario::{Node, Scenario};
use crate::model::spof::Graph;
use crate::model::validate::Wiring;
use serde::Serialize;

/// Between the users (or DNS) and one load balancer or web server: each
/// request is let through or refused at once, by `algorithm`
/// (`crate::blocks::limiter`): a token bucket refilled at `rate_rps` holding
/// at most `burst` requests, or a sliding window letting at most
/// `rate_rps · window_s` through in any `window_s`. `per`: one limit for all
/// the traffic, or one for each user (users of different users nodes are
/// different people). Rates count to the nearest thousandth of a request a
/// second.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RateLimiterSpec {
    pub algorithm: LimiterAlgorithm,
    pub rate_rps: f64,
    /// The token bucket's size: requests that may pass at once after a
    /// quiet spell. `None` (absent from a document, or null): one second of
    /// `rate_rps` (rounded up, at least 1), following the rate when it is
    /// changed; see [`RateLimiterSpec::burst`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst: Option<u64>,
    /// The sliding window's length.
    pub window_s: f64,
    pub per: LimitPer,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimiterAlgorithm {
    TokenBucket,
    SlidingWindow,
}

pub const LIMITER_ALGORITHMS: &[&str] = &["token_bucket", "sliding_window"];

/// Who shares a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitPer {
    /// One limit for all the requests.
    Global,
    /// One limit for each user.
    User,
}

pub const LIMIT_PER: &[&str] = &["global", "user"];

/// The rate a limiter starts with when a document does not say.
pub const DEFAULT_LIMIT_RPS: f64 = 100.0;

impl Spec for RateLimiterSpec {
    const ABOUT: About = About {
        name: "rate_limiter",
        label: "rate limiter",
        title: "Rate limiter",
        blurb: "An API gateway that lets requests through up to a set rate and turns the rest away at once (HTTP 429), so a flood never reaches the servers.",
        id_prefix: "limiter",
        icon: "M4.2 17.5A9 9 0 1 1 19.8 17.5l-1.7-1A7 7 0 1 0 5.9 16.5zM11 12l6-5-5 6zm-.5 1a1.5 1.5 0 1 0 3 0 1.5 1.5 0 1 0-3 0z",
        station: false,
        can_be_single_point: true,
        column: 1,
        figure: Figure::Rate,
        placed: "{}",
        links: &[(NodeKind::LoadBalancer, LinkRole::Guard), (NodeKind::WebServer, LinkRole::Guard)],
        linked_from: &[(NodeKind::Users, LinkRole::Entry), (NodeKind::Dns, LinkRole::Resolve)],
        refuses: &[(
            NodeKind::RateLimiter,
            "a rate limiter stands in front of a load balancer or web server, not another rate limiter",
        )],
        only_from: Some("only users, or DNS on their behalf, send requests to a rate limiter"),
        calls: "a rate limiter passes the requests it lets through to one load balancer or web server",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        let algorithm = p.choice(obj, "algorithm", Some("token_bucket"), LIMITER_ALGORITHMS);
        let rate_rps = p.number(obj, "rate_rps", Some(DEFAULT_LIMIT_RPS), 0.0, MAX_RPS);
        let burst = p.optional_integer(obj, "burst", 1, MAX_LIMITER_BURST);
        let window_s = p.number(obj, "window_s", Some(1.0), MIN_LIMITER_WINDOW_S, MAX_LIMITER_WINDOW_S as f64);
        let per = p.choice(obj, "per", Some("global"), LIMIT_PER);
        Some(RateLimiterSpec {
            algorithm: match algorithm? {
                "sliding_window" => LimiterAlgorithm::SlidingWindow,
                _ => LimiterAlgorithm::TokenBucket,
            },
            rate_rps: rate_rps?,
            burst: burst?,
            window_s: window_s?,
            per: if per? == "user" { LimitPer::User } else { LimitPer::Global },
        })
    }

    fn skeleton() -> Self {
        RateLimiterSpec {
            algorithm: LimiterAlgorithm::TokenBucket,
            rate_rps: 0.0,
            burst: None,
            window_s: 1.0,
            per: LimitPer::Global,
        }
    }
}

impl RateLimiterSpec {
    /// The token bucket's size: as set, or one second of the rate.
    pub fn burst(&self) -> u64 {
        self.burst.unwrap_or_else(|| (self.rate_rps.ceil() as u64).clamp(1, MAX_LIMITER_BURST))
    }
}

impl Settings for RateLimiterSpec {
    /// A gateway on one small machine.
    fn monthly_usd(&self, _: &Bill) -> f64 {
        pricing::RATE_LIMITER_MONTHLY_USD
    }

    /// Up, and with the entry behind it serving. (Its limit refuses some
    /// requests on purpose; that is not a failure of the design.)
    fn serves_as_entry(&self, graph: &Graph, node: usize, request: usize, up: &dyn Fn(usize) -> bool) -> bool {
        up(node) && graph.out(node).iter().any(|&e| graph.entry_serves(e, request, up))
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        match self.algorithm {
            LimiterAlgorithm::TokenBucket => vec![LIMITER_FIELDS, BUCKET_FIELDS],
            LimiterAlgorithm::SlidingWindow => vec![LIMITER_FIELDS, WINDOW_FIELDS],
        }
    }

    /// One entry behind it: a limiter guards one door.
    fn wiring_problems(&self, wiring: &Wiring) -> Vec<String> {
        let targets = wiring.targets();
        if targets.len() > 1 {
            return vec![format!(
                "rate limiter \"{}\" is linked to {} nodes; link it to one load balancer or web server (a load balancer behind it spreads the traffic)",
                wiring.node.id,
                targets.len()
            )];
        }
        Vec::new()
    }

    fn warning(&self, node: &Node, s: &Scenario) -> Option<String> {
        let linked = s.links.iter().any(|l| l.from == node.id);
        (!linked).then(|| {
            format!(
                "rate limiter \"{}\" has nothing behind it, so the requests it lets through fail; link it to a load balancer or web server",
                node.id
            )
        })
    }
}

const LIMITER_FIELDS: &[Field] = &[
    Field {
        pointer: "/algorithm",
        label: "Algorithm",
        unit: "",
        kind: FieldKind::Choice(LIMITER_ALGORITHMS),
        help: "token bucket: short bursts up to the bucket, then the rate; sliding window: at most the rate over any window",
    },
    Field {
        pointer: "/rate_rps",
        label: "Rate",
        unit: "req/s",
        kind: FieldKind::Number,
        help: "requests let through a second; the rest are turned away at once (429)",
    },
    Field {
        pointer: "/per",
        label: "Limit per",
        unit: "",
        kind: FieldKind::Choice(LIMIT_PER),
        help: "global: one limit shared by all the traffic; user: every user gets the whole rate",
    },
];
const BUCKET_FIELDS: &[Field] = &[Field {
    pointer: "/burst",
    label: "Burst",
    unit: "req",
    kind: FieldKind::Optional("1 s of the rate"),
    help: "requests that may pass at once after a quiet spell (the bucket's size); left blank, one second of the rate",
}];
const WINDOW_FIELDS: &[Field] = &[Field {
    pointer: "/window_s",
    label: "Window",
    unit: "s",
    kind: FieldKind::Number,
    help: "the span the rate is counted over; the window before counts by how much of it still overlaps",
}];
