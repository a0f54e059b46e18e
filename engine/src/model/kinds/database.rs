//! A relational database: a station that stores the data; linked from
//! another database, that one's read replica.

use crate::base::limits::*;
use crate::blocks::pricing::InstanceKind;
use crate::model::cost::machine_usd;
use crate::model::fields::{contention_fields, Field, FieldKind, STATION_FIELDS};
use crate::model::kinds::{About, Bill, Figure, LinkRole, NodeKind, Settings, Spec};
use crate::model::parse::{Obj, Parser};
use crate::model::scenario::StationSpec;
use crate::model::spof::Graph;
use serde::Serialize;

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

impl Spec for DatabaseSpec {
    const ABOUT: About = About {
        name: "database",
        label: "database",
        title: "Database",
        blurb: "Stores the data. Link one database to another to make it a read replica.",
        id_prefix: "db",
        icon: "M12 3c4.4 0 8 1.3 8 3v12c0 1.7-3.6 3-8 3s-8-1.3-8-3V6c0-1.7 3.6-3 8-3zm0 2C8.1 5 6 6 6 6s2.1 1 6 1 6-1 6-1-2.1-1-6-1zM6 9v3c0 .3 2.1 1.5 6 1.5s6-1.2 6-1.5V9c-1.6.7-3.7 1-6 1S7.6 9.7 6 9zm0 6v3c0 .3 2.1 1.5 6 1.5s6-1.2 6-1.5v-3c-1.6.7-3.7 1-6 1s-4.4-.3-6-1z",
        station: true,
        can_be_single_point: true,
        column: 4,
        figure: Figure::Busy,
        placed: r#"{"size": "xlarge"}"#,
        links: &[(NodeKind::Database, LinkRole::Replicate)],
        linked_from: &[],
        refuses: &[],
        only_from: None,
        calls: "a database answers requests and does not call other nodes; its only link out is to a read replica (another database)",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        let station = p.station(obj, Some(crate::blocks::pricing::InstanceKind::Database), 8, 5.0);
        let replication_lag_ms = p.number(obj, "replication_lag_ms", Some(100.0), 0.0, MAX_LATENCY_MS);
        let failover_s = p.number(obj, "failover_s", Some(10.0), 0.0, MAX_FAILOVER_S);
        Some(DatabaseSpec { station: station?, replication_lag_ms: replication_lag_ms?, failover_s: failover_s? })
    }

    fn skeleton() -> Self {
        DatabaseSpec { station: StationSpec::skeleton(), replication_lag_ms: 0.0, failover_s: 0.0 }
    }
}

impl Settings for DatabaseSpec {
    fn monthly_usd(&self, _: &Bill) -> f64 {
        machine_usd(InstanceKind::Database, &self.station)
    }

    /// Not an entry: nothing sends users' requests to it.
    fn serves_as_entry(&self, _: &Graph, _: usize, _: usize, _: &dyn Fn(usize) -> bool) -> bool {
        false
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        vec![DATABASE_SIZE_FIELDS, STATION_FIELDS, contention_fields(&self.station), DATABASE_FIELDS]
    }

    fn station(&self) -> Option<&StationSpec> {
        Some(&self.station)
    }

    fn station_mut(&mut self) -> Option<&mut StationSpec> {
        Some(&mut self.station)
    }
}

const DATABASE_SIZE_FIELDS: &[Field] = &[Field {
    pointer: "/size",
    label: "Machine size",
    unit: "",
    kind: FieldKind::Size(crate::blocks::pricing::InstanceKind::Database),
    help: "vertical scaling: one worker per vCPU, up to a huge and very expensive top size",
}];
const DATABASE_FIELDS: &[Field] = &[
    Field {
        pointer: "/replication_lag_ms",
        label: "Replication lag",
        unit: "ms",
        kind: FieldKind::Number,
        help: "as a replica: how far behind the primary it runs",
    },
    Field {
        pointer: "/failover_s",
        label: "Failover time",
        unit: "s",
        kind: FieldKind::Number,
        help: "as a primary: how long until a replica takes over when it fails",
    },
];
