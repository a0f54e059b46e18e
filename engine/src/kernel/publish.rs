//! What the page shows of a live run, read at one instant. The page reads
//! it four times a second; once the live run moves into the engine's worker
//! (slice S6 of `docs/plans/performance.md`), this is the message the worker
//! posts, so the page's readings stay one struct, computed here.

use crate::kernel::breakdown::LatencyBreakdown;
use crate::kernel::sim::Simulation;
use crate::kernel::snapshot::Snapshot;
use crate::kernel::trace::Trace;
use crate::metrics::confidence::Headline;
use crate::metrics::log::LogEntry;
use crate::metrics::series::SecondPoint;
use crate::model::goal::GoalStatus;
use crate::model::kinds::NodeKind;
use serde::{Deserialize, Serialize};

/// One reading of a live run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub snapshot: Snapshot,
    /// The per-second series, oldest first.
    pub series: Vec<SecondPoint>,
    /// Log entries from the sequence number asked for on.
    pub log: Vec<LogEntry>,
    /// Each node slot's id, kind and whether it is a copy made by autoscaling.
    pub node_slots: Vec<(String, NodeKind, bool)>,
    pub goal: Option<GoalStatus>,
    pub headline: Headline,
    /// Where the time goes (`None`: nothing traced yet, or tracing is off).
    pub breakdown: Option<LatencyBreakdown>,
    /// The trace asked for (next request, or a clicked dot), when asked and known.
    pub trace: Option<Trace>,
}

impl Simulation {
    /// Everything the page shows now: log entries from sequence number
    /// `log_from` on, and the asked trace only if `with_trace` (it is built
    /// afresh each time, so it is left out while nobody follows one).
    pub fn publish(&self, log_from: u64, with_trace: bool) -> Published {
        Published {
            snapshot: self.live_snapshot(),
            series: self.series().iter().cloned().collect(),
            log: self.log().since(log_from).cloned().collect(),
            node_slots: self.node_slots(),
            goal: self.goal_status().cloned(),
            headline: self.headline(),
            breakdown: self.latency_breakdown(),
            trace: if with_trace { self.asked_trace() } else { None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::Scenario;

    #[test]
    fn a_reading_is_what_each_reader_gives_at_the_same_instant() {
        let text =
            std::fs::read_to_string(format!("{}/../lessons/05-database-replication.json", env!("CARGO_MANIFEST_DIR")))
                .unwrap();
        let mut sim = Simulation::new(Scenario::from_json(&text).unwrap());
        sim.trace_next();
        sim.run_until(30_000_000_000, u64::MAX);
        let p = sim.publish(3, true);
        assert_eq!(p.snapshot, sim.live_snapshot());
        assert_eq!(p.series, sim.series().iter().cloned().collect::<Vec<_>>());
        assert!(p.series.len() >= 29, "{} seconds", p.series.len());
        assert!(p.log.iter().all(|e| e.seq >= 3));
        assert_eq!(p.log.len(), sim.log().since(3).count());
        assert_eq!(p.node_slots, sim.node_slots());
        assert_eq!(p.headline, sim.headline());
        assert!(p.breakdown.is_some() && p.breakdown == sim.latency_breakdown());
        assert!(p.trace.is_some() && p.trace == sim.asked_trace(), "the next request was traced");
        assert_eq!(sim.publish(3, false).trace, None, "left out while nobody follows one");
        // Reading changes nothing: the run goes on as if it had not been read.
        let mut unread = Simulation::new(Scenario::from_json(&text).unwrap());
        unread.trace_next();
        unread.run_until(30_000_000_000, u64::MAX);
        sim.run_until(40_000_000_000, u64::MAX);
        unread.run_until(40_000_000_000, u64::MAX);
        assert_eq!(sim.publish(0, true), unread.publish(0, true));
    }

    /// The engine's worker posts readings as JSON text: what the page reads
    /// back must be the reading, to the last bit of every float.
    #[test]
    fn a_reading_survives_its_json_round_trip_exactly() {
        for lesson in [
            "05-database-replication",
            "09-data-centers",
            "10-queue-and-workers",
            "11-monitoring-and-automation",
            "13-millions-of-users",
            "15-retry-storms-and-metastable-failures",
        ] {
            let path = format!("{}/../lessons/{lesson}.json", env!("CARGO_MANIFEST_DIR"));
            let mut sim = Simulation::new(Scenario::from_json(&std::fs::read_to_string(path).unwrap()).unwrap());
            sim.trace_next();
            for until_s in [0, 1, 12] {
                sim.run_until(until_s * 1_000_000_000, u64::MAX);
                let p = sim.publish(0, true);
                let text = serde_json::to_string(&p).unwrap();
                let back: Published =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{lesson} at {until_s} s: {e}"));
                assert_eq!(back, p, "{lesson} at {until_s} s");
            }
        }
    }
}
