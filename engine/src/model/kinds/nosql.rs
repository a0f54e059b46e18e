//! A key-value (NoSQL) store: partitions of workers, fast single-key reads
//! and writes; a home for shared sessions.

use crate::blocks::pricing;
use crate::model::fields::{Field, FieldKind};
use crate::model::kinds::{About, Bill, Figure, Settings, Spec};
use crate::model::parse::{Obj, Parser};
use crate::model::scenario::StationSpec;
use crate::model::spof::Graph;
use serde::Serialize;

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

impl Spec for NosqlSpec {
    const ABOUT: About = About {
        name: "nosql",
        label: "NoSQL store",
        title: "NoSQL store",
        blurb: "A key-value store with partitions: fast single-key reads and writes; a home for sessions.",
        id_prefix: "nosql",
        icon: "M4 4h7v7H4zm9 0h7v7h-7zM4 13h7v7H4zm9 0h7v7h-7z",
        station: true,
        can_be_single_point: true,
        column: 4,
        figure: Figure::Busy,
        placed: "{}",
        links: &[],
        linked_from: &[],
        refuses: &[],
        only_from: Some("only web servers read and write a NoSQL store"),
        calls: "a NoSQL store answers requests and calls nothing",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        let station = p.station(obj, None, 8, 1.0);
        let partitions = p.integer(obj, "partitions", Some(4), 1, 1024);
        Some(NosqlSpec { station: station?, partitions: partitions? as u32 })
    }

    fn skeleton() -> Self {
        NosqlSpec { station: StationSpec::skeleton(), partitions: 1 }
    }
}

impl Settings for NosqlSpec {
    fn monthly_usd(&self, _: &Bill) -> f64 {
        pricing::nosql_partitions_monthly_usd(self.partitions)
    }

    /// Not an entry: nothing sends users' requests to it.
    fn serves_as_entry(&self, _: &Graph, _: usize, _: usize, _: &dyn Fn(usize) -> bool) -> bool {
        false
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        vec![NOSQL_FIELDS]
    }

    fn station(&self) -> Option<&StationSpec> {
        Some(&self.station)
    }

    fn station_mut(&mut self) -> Option<&mut StationSpec> {
        Some(&mut self.station)
    }

    /// Its `workers` are per partition, and so is its contention's knee.
    fn station_runtime(&self) -> Option<StationSpec> {
        Some(StationSpec {
            workers: self.total_workers(),
            contention: self.station.contention.map(|c| c.pooled(self.partitions)),
            ..self.station.clone()
        })
    }
}

const NOSQL_FIELDS: &[Field] = &[
    Field {
        pointer: "/partitions",
        label: "Partitions",
        unit: "",
        kind: FieldKind::Number,
        help: "scale out: each partition adds its workers",
    },
    Field {
        pointer: "/workers",
        label: "Workers",
        unit: "per partition",
        kind: FieldKind::Number,
        help: "requests one partition serves at once",
    },
    Field {
        pointer: "/service/mean_ms",
        label: "Mean service",
        unit: "ms",
        kind: FieldKind::Number,
        help: "one read or write",
    },
];
