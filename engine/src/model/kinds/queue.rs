//! A durable message queue: web servers put jobs on it and answer at once;
//! the worker pools linked from it take them off.

use crate::base::limits::*;
use crate::model::fields::{Field, FieldKind};
use crate::model::kinds::{About, Bill, Figure, LinkRole, NodeKind, Settings, Spec};
use crate::model::parse::{Obj, Parser};
use crate::model::spof::Graph;
use serde::Serialize;

/// A durable message queue: web servers put jobs on it and answer the user at
/// once; worker pools linked from it take the jobs off, oldest first. A full
/// queue refuses new jobs (the user's request fails: rejected).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueSpec {
    /// Most messages it holds.
    pub capacity: u64,
}

impl Spec for QueueSpec {
    const ABOUT: About = About {
        name: "queue",
        label: "message queue",
        title: "Message queue",
        blurb: "Holds jobs so web servers can answer at once; workers take them off later.",
        id_prefix: "queue",
        icon: "M3 6h18v3H3zm0 5h18v3H3zm0 5h12v3H3z",
        station: false,
        can_be_single_point: true,
        column: 3,
        figure: Figure::Jobs,
        placed: "{}",
        links: &[(NodeKind::Workers, LinkRole::Consume)],
        linked_from: &[],
        refuses: &[],
        only_from: Some("jobs are put on a queue by web servers; link a web server to the queue"),
        calls: "a queue hands its jobs only to workers",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        let capacity = p.integer(obj, "capacity", Some(100_000), 1, MAX_QUEUE_CAPACITY);
        Some(QueueSpec { capacity: capacity? })
    }

    fn skeleton() -> Self {
        QueueSpec { capacity: 1 }
    }
}

impl Settings for QueueSpec {
    /// A managed queue is billed per request; a flat base keeps it visible.
    fn monthly_usd(&self, _: &Bill) -> f64 {
        crate::model::cost::QUEUE_BASE_MONTHLY_USD
    }

    /// Not an entry: nothing sends users' requests to it.
    fn serves_as_entry(&self, _: &Graph, _: usize, _: usize, _: &dyn Fn(usize) -> bool) -> bool {
        false
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        vec![QUEUE_FIELDS]
    }
}

const QUEUE_FIELDS: &[Field] = &[Field {
    pointer: "/capacity",
    label: "Capacity",
    unit: "jobs",
    kind: FieldKind::Number,
    help: "a full queue refuses new jobs",
}];
