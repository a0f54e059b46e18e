//! A pool of workers processing jobs from the queues linked to it; may be an
//! autoscaling group that grows with the backlog.

use crate::blocks::autoscale::{AutoscaleError, AutoscalePolicy};
use crate::blocks::pricing::InstanceKind;
use crate::model::cost::machine_usd;
use crate::model::fields::{Field, FieldKind, AUTOSCALE_FIELDS};
use crate::model::kinds::{About, Bill, Figure, Settings, Spec};
use crate::model::parse::{join, Obj, Parser};
use crate::model::scenario::{AutoscaleSpec, StationSpec};
use crate::model::spof::Graph;
use serde::Serialize;

/// A pool of workers processing jobs from the queues linked to it, each
/// worker one job at a time (`service` is the processing time).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WorkersSpec {
    #[serde(flatten)]
    pub station: StationSpec,
    /// Grow the pool with the backlog (`target`: waiting jobs per machine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<AutoscaleSpec>,
}

impl Spec for WorkersSpec {
    const ABOUT: About = About {
        name: "workers",
        label: "workers",
        title: "Workers",
        blurb: "A pool that processes jobs from a queue, one job per worker at a time.",
        id_prefix: "workers",
        icon: "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm9 3h-2.1a7 7 0 0 0-1-2.4l1.5-1.5-1.5-1.5-1.5 1.5A7 7 0 0 0 13 6.1V4h-2v2.1a7 7 0 0 0-2.4 1L7.1 5.6 5.6 7.1l1.5 1.5A7 7 0 0 0 6.1 11H4v2h2.1a7 7 0 0 0 1 2.4l-1.5 1.5 1.5 1.5 1.5-1.5a7 7 0 0 0 2.4 1V20h2v-2.1a7 7 0 0 0 2.4-1l1.5 1.5 1.5-1.5-1.5-1.5a7 7 0 0 0 1-2.4H21z",
        station: true,
        can_be_single_point: false,
        column: 4,
        figure: Figure::Busy,
        placed: r#"{"size": "large"}"#,
        links: &[],
        linked_from: &[],
        refuses: &[],
        only_from: Some("workers take their jobs from a queue; link a queue to the workers"),
        calls: "workers process jobs from their queue and call nothing here",
    };

    fn parse(p: &mut Parser, obj: &mut Obj<'_>) -> Option<Self> {
        // Jobs come off the queue in order: a pool has no queue of its own
        // to order or shed from.
        let queueing = ["discipline", "lifo_above", "max_wait_ms", "drop_abandoned"];
        let given: Vec<&str> = queueing.into_iter().filter(|k| obj.map.contains_key(*k)).collect();
        for key in &given {
            p.issue(
                join(&obj.path, key),
                "workers take their jobs from a queue, oldest first; queue order and shedding are settings of the stations that receive requests",
            );
        }
        // Nor does it crowd: a worker holds one job at a time and the rest
        // wait in the queue, so a contention knee would count only jobs in hand.
        let crowded = obj.map.contains_key("contention");
        if crowded {
            p.issue(
                join(&obj.path, "contention"),
                "workers hold one job each and leave the rest in their queue, so they never get crowded; contention is a setting of the stations that receive requests",
            );
        }
        let station = p.station(obj, Some(crate::blocks::pricing::InstanceKind::Worker), 4, 200.0);
        if !given.is_empty() || crowded {
            return None;
        }
        let autoscale = p.autoscale(obj, false);
        Some(WorkersSpec { station: station?, autoscale: autoscale? })
    }

    fn skeleton() -> Self {
        WorkersSpec { station: StationSpec::skeleton(), autoscale: None }
    }
}

impl Settings for WorkersSpec {
    fn monthly_usd(&self, bill: &Bill) -> f64 {
        bill.machines() * machine_usd(InstanceKind::Worker, &self.station)
    }

    /// Not an entry: nothing sends users' requests to it.
    fn serves_as_entry(&self, _: &Graph, _: usize, _: usize, _: &dyn Fn(usize) -> bool) -> bool {
        false
    }

    fn fields(&self) -> Vec<&'static [Field]> {
        let scaling: &[Field] = if self.autoscale.is_some() { AUTOSCALE_FIELDS } else { &[] };
        vec![WORKERS_SIZE_FIELDS, WORKERS_FIELDS, AUTOSCALE_WORKERS, scaling]
    }

    fn station(&self) -> Option<&StationSpec> {
        Some(&self.station)
    }

    fn station_mut(&mut self) -> Option<&mut StationSpec> {
        Some(&mut self.station)
    }

    /// A pool grown and shrunk to keep the waiting jobs per machine near the target.
    fn autoscale_policy(&self) -> Option<Result<AutoscalePolicy, AutoscaleError>> {
        Some(self.autoscale?.policy(AutoscalePolicy::backlog))
    }
}

const WORKERS_SIZE_FIELDS: &[Field] = &[Field {
    pointer: "/size",
    label: "Machine size",
    unit: "",
    kind: FieldKind::Size(crate::blocks::pricing::InstanceKind::Worker),
    help: "one worker per vCPU",
}];
const WORKERS_FIELDS: &[Field] = &[
    Field {
        pointer: "/workers",
        label: "Workers",
        unit: "",
        kind: FieldKind::Number,
        help: "jobs processed at the same time",
    },
    Field {
        pointer: "/service/dist",
        label: "Job time",
        unit: "",
        kind: FieldKind::Choice(crate::model::scenario::DISTS),
        help: "how processing times vary",
    },
    Field {
        pointer: "/service/mean_ms",
        label: "Mean job time",
        unit: "ms",
        kind: FieldKind::Number,
        help: "one job on one worker",
    },
];
const AUTOSCALE_WORKERS: &[Field] = &[Field {
    pointer: "/autoscale",
    label: "Autoscaling",
    unit: "",
    kind: FieldKind::Enabled(r#"{"min":1,"max":10,"target":100,"boot_s":30,"cooldown_s":60}"#),
    help: "grow the pool with the backlog",
}];
