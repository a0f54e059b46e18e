//! A shard router: sends each key to one of the databases linked to it, by
//! modulo or a consistent-hash ring.

use crate::model::fields::{Field, FieldKind};
use crate::model::kinds::{About, Bill, Figure, LinkRole, NodeKind, Settings, Spec};
use crate::model::parse::{Obj, Parser};
use crate::model::spof::Graph;
use serde::Serialize;

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

impl Spec for ShardRouterSpec {
    const ABOUT: About = About {
        name: "shard_router",
        label: "shard router",
        title: "Shard router",
        blurb: "Splits the data over several databases by key (user id): each shard holds a part.",
        id_prefix: "shards",
        icon: "M3 11h6l4-6h8v2h-7l-4 6 4 6h7v2h-8l-4-6H3z",
        station: false,
        can_be_single_point: false,
        column: 3,
        figure: Figure::Rate,
        placed: "{}",
        links: &[(NodeKind::Database, LinkRole::Shard)],
        linked_from: &[],
        refuses: &[],
        only_from: Some("web servers send their reads and writes to a shard router"),
        calls: "a shard router sends each key to one of the databases (shards) linked to it",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        let routing = p.choice(obj, "routing", Some("modulo"), SHARD_ROUTINGS);
        let vnodes = p.integer(obj, "vnodes", Some(100), 1, u64::from(crate::blocks::sharding::MAX_VNODES_PER_SHARD));
        Some(ShardRouterSpec {
            routing: if routing? == "consistent_hash" { ShardRouting::ConsistentHash } else { ShardRouting::Modulo },
            vnodes: vnodes? as u32,
        })
    }

    fn skeleton() -> Self {
        ShardRouterSpec { routing: ShardRouting::Modulo, vnodes: 1 }
    }
}

impl Settings for ShardRouterSpec {
    /// Routing lives in the application's data-access layer: no machine.
    fn monthly_usd(&self, _: &Bill) -> f64 {
        0.0
    }

    /// Not an entry: nothing sends users' requests to it.
    fn serves_as_entry(&self, _: &Graph, _: usize, _: usize, _: &dyn Fn(usize) -> bool) -> bool {
        false
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        vec![SHARD_FIELDS]
    }
}

const SHARD_FIELDS: &[Field] = &[
    Field {
        pointer: "/routing",
        label: "Routing",
        unit: "",
        kind: FieldKind::Choice(SHARD_ROUTINGS),
        help: "how a key picks its shard",
    },
    Field {
        pointer: "/vnodes",
        label: "Virtual nodes",
        unit: "per shard",
        kind: FieldKind::Number,
        help: "consistent hashing: more points on the ring spread keys more evenly",
    },
];
