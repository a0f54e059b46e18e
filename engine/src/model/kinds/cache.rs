//! A read-through cache: web servers ask it before the data store and fill
//! it on a miss; priced by the memory its items need.

use crate::base::limits::*;
use crate::blocks::pricing;
use crate::model::cost::{CACHE_ITEM_BYTES, CACHE_MIN_GIB};
use crate::model::fields::{Field, FieldKind};
use crate::model::kinds::{About, Bill, Figure, Settings, Spec};
use crate::model::parse::{Obj, Parser};
use crate::model::scenario::StationSpec;
use crate::model::spof::Graph;
use serde::Serialize;

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
    /// Request coalescing at each web server: on a miss, one read of a key
    /// goes to the database while the server's later readers of that key
    /// wait for its answer. Left out of the document when off.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub coalesce: bool,
    /// Early refresh (probabilistic early expiration) with this β: a hit is
    /// taken as a miss with probability exp(−(expires − now)/(β·Δ)), Δ the
    /// time the cache's last fill took. 0: off (left out of the document).
    #[serde(skip_serializing_if = "is_off")]
    pub early_refresh: f64,
}

fn is_off(beta: &f64) -> bool {
    *beta == 0.0
}

pub const POLICIES: &[&str] = &["lru", "lfu", "fifo"];

impl Spec for CacheSpec {
    const ABOUT: About = About {
        name: "cache",
        label: "cache",
        title: "Cache",
        blurb: "Keeps popular data in memory: web servers ask it before the database and fill it on a miss.",
        id_prefix: "cache",
        icon: "M13 2 4 14h6l-1 8 9-12h-6z",
        station: true,
        can_be_single_point: false,
        column: 3,
        figure: Figure::Hits,
        placed: "{}",
        links: &[],
        linked_from: &[],
        refuses: &[],
        only_from: Some("only web servers use a cache; link the cache from a web server"),
        calls: "a cache answers from memory; on a miss the web server reads the database itself, so link the web server to the database",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        p.cache(obj)
    }

    fn skeleton() -> Self {
        CacheSpec {
            station: StationSpec::skeleton(),
            capacity: 1,
            policy: crate::blocks::cache_store::Policy::Lru,
            ttl_s: None,
            invalidate_on_write: true,
            coalesce: false,
            early_refresh: 0.0,
        }
    }
}

impl Settings for CacheSpec {
    fn monthly_usd(&self, _: &Bill) -> f64 {
        let gib = (self.capacity as f64 * CACHE_ITEM_BYTES / f64::from(1u32 << 30)).max(CACHE_MIN_GIB);
        pricing::cache_nodes_monthly_usd(1, gib).unwrap_or(0.0)
    }

    /// Not an entry: nothing sends users' requests to it.
    fn serves_as_entry(&self, _: &Graph, _: usize, _: usize, _: &dyn Fn(usize) -> bool) -> bool {
        false
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        vec![CACHE_FIELDS, CACHE_STATION_FIELDS]
    }

    fn station(&self) -> Option<&StationSpec> {
        Some(&self.station)
    }

    fn station_mut(&mut self) -> Option<&mut StationSpec> {
        Some(&mut self.station)
    }
}

impl Parser {
    fn cache(&mut self, obj: &mut Obj<'_>) -> Option<CacheSpec> {
        let station = self.station(obj, None, 16, 0.5);
        let capacity = self.integer(obj, "capacity", Some(10_000), 1, crate::blocks::cache_store::MAX_CAPACITY);
        let policy = self.choice(obj, "policy", Some("lru"), POLICIES);
        let ttl_s =
            self.positive_or_null(obj, "ttl_s", Some(300.0), MAX_DURATION_S, "seconds", "entries that never expire");
        let invalidate_on_write = self.boolean(obj, "invalidate_on_write", true);
        let coalesce = self.boolean(obj, "coalesce", false);
        let early_refresh = self.number(obj, "early_refresh", Some(0.0), 0.0, MAX_EARLY_REFRESH);
        Some(CacheSpec {
            station: station?,
            capacity: capacity?,
            policy: match policy? {
                "lfu" => crate::blocks::cache_store::Policy::Lfu,
                "fifo" => crate::blocks::cache_store::Policy::Fifo,
                _ => crate::blocks::cache_store::Policy::Lru,
            },
            ttl_s: ttl_s?,
            invalidate_on_write: invalidate_on_write?,
            coalesce: coalesce?,
            early_refresh: early_refresh?,
        })
    }
}

const CACHE_FIELDS: &[Field] = &[
    Field {
        pointer: "/capacity",
        label: "Capacity",
        unit: "items",
        kind: FieldKind::Number,
        help: "keys the cache holds",
    },
    Field {
        pointer: "/policy",
        label: "Eviction",
        unit: "",
        kind: FieldKind::Choice(POLICIES),
        help: "which key makes room when the cache is full",
    },
    Field {
        pointer: "/ttl_s",
        label: "Time to live",
        unit: "s",
        kind: FieldKind::Optional("never"),
        help: "entries expire this long after they were filled",
    },
    Field {
        pointer: "/invalidate_on_write",
        label: "Invalidate on write",
        unit: "",
        kind: FieldKind::Toggle,
        help: "a write removes the cached copy; otherwise readers may get old data",
    },
    Field {
        pointer: "/coalesce",
        label: "Coalesce misses",
        unit: "",
        kind: FieldKind::Toggle,
        help: "on a miss, each web server sends one read per key to the database; its other readers of that key wait for that answer instead of piling onto the database",
    },
    Field {
        pointer: "/early_refresh",
        label: "Early refresh (β)",
        unit: "",
        kind: FieldKind::Number,
        help: "a few readers refresh a key shortly before it expires, more often the closer the expiry, so a popular key never expires for everyone at once; 0 is off, 1 is usual, larger refreshes earlier",
    },
];
const CACHE_STATION_FIELDS: &[Field] = &[
    Field {
        pointer: "/workers",
        label: "Workers",
        unit: "",
        kind: FieldKind::Number,
        help: "lookups served at the same time",
    },
    Field {
        pointer: "/service/mean_ms",
        label: "Lookup time",
        unit: "ms",
        kind: FieldKind::Number,
        help: "one lookup on one worker",
    },
];
