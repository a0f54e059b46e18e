//! A content delivery network: edges near the users answer static requests
//! from their own caches and fetch what they miss from the origin.

use crate::base::limits::*;
use crate::blocks::pricing;
use crate::model::fields::{Field, FieldKind};
use crate::model::kinds::{About, Bill, Figure, LinkRole, NodeKind, Settings, Spec};
use crate::model::parse::{Obj, Parser};
use crate::model::spof::Graph;
use serde::Serialize;

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

impl Spec for CdnSpec {
    const ABOUT: About = About {
        name: "cdn",
        label: "CDN",
        title: "CDN",
        blurb: "Edge servers near the users keep static files (images, scripts) so they need not come from the site.",
        id_prefix: "cdn",
        icon: "M12 3 3 8v8l9 5 9-5V8zm0 2.3 6.5 3.6L12 12.5 5.5 8.9zM5 10.6l6 3.3v5.4l-6-3.3zm8 8.7v-5.4l6-3.3v5.4z",
        station: false,
        can_be_single_point: true,
        column: 1,
        figure: Figure::Edge,
        placed: "{}",
        links: &[(NodeKind::LoadBalancer, LinkRole::Origin), (NodeKind::WebServer, LinkRole::Origin)],
        linked_from: &[],
        refuses: &[],
        only_from: Some("users fetch static files from a CDN; link the users to it"),
        calls: "a CDN fetches what it misses from the origin: a load balancer or web server",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        let capacity = p.integer(obj, "capacity", Some(100_000), 1, crate::blocks::cache_store::MAX_CAPACITY);
        let ttl_s = p.number(obj, "ttl_s", Some(3600.0), 0.001, MAX_DURATION_S);
        let fallback = p.boolean(obj, "fallback_to_origin", true);
        let object_kb = p.number(obj, "object_kb", Some(100.0), 0.001, 1e7);
        Some(CdnSpec { capacity: capacity?, ttl_s: ttl_s?, fallback_to_origin: fallback?, object_kb: object_kb? })
    }

    fn skeleton() -> Self {
        CdnSpec { capacity: 1, ttl_s: 1.0, fallback_to_origin: true, object_kb: 1.0 }
    }
}

impl Settings for CdnSpec {
    /// Billed by the data it serves: the static requests a second, every
    /// second of the month (the rate the design is built for); nothing
    /// without them.
    fn monthly_usd(&self, bill: &Bill) -> f64 {
        let Some(static_rps) = bill.static_rps else { return 0.0 };
        let gb = static_rps * pricing::SECONDS_PER_MONTH * self.object_kb / 1e6;
        pricing::cdn_monthly_usd(crate::blocks::geo::Region::UsEast, gb, static_rps * pricing::SECONDS_PER_MONTH / 1e6)
            .unwrap_or(0.0)
    }

    /// Not an entry: users send it only their static requests, which the
    /// single-point check follows itself.
    fn serves_as_entry(&self, _: &Graph, _: usize, _: usize, _: &dyn Fn(usize) -> bool) -> bool {
        false
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        vec![CDN_FIELDS]
    }
}

const CDN_FIELDS: &[Field] = &[
    Field {
        pointer: "/capacity",
        label: "Capacity",
        unit: "objects",
        kind: FieldKind::Number,
        help: "objects the edges keep",
    },
    Field {
        pointer: "/ttl_s",
        label: "Time to live",
        unit: "s",
        kind: FieldKind::Number,
        help: "an object is fetched again from the origin after this long",
    },
    Field {
        pointer: "/fallback_to_origin",
        label: "Fall back to origin",
        unit: "",
        kind: FieldKind::Toggle,
        help: "when the CDN is down, users fetch static files from the site itself",
    },
    Field {
        pointer: "/object_kb",
        label: "Object size",
        unit: "KB",
        kind: FieldKind::Number,
        help: "average size, for the bandwidth bill",
    },
];
