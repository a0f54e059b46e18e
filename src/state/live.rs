//! The live readings: what the page shows of the running simulation,
//! refreshed from the engine a few times a second by the shell's frame loop
//! and read by the panels.

use leptos::prelude::*;
use scalelab_engine::{LogEntry, Snapshot};

/// Live state the page shows, refreshed from the engine a few times a second.
#[derive(Clone, Copy)]
pub struct Live {
    pub snapshot: RwSignal<Option<Snapshot>>,
    pub series: RwSignal<Vec<scalelab_engine::SecondPoint>>,
    pub log: RwSignal<Vec<LogEntry>>,
    pub behind: RwSignal<bool>,
    /// Id, kind and removed flag of each engine node slot (indexes `series` nodes).
    pub slots: RwSignal<Vec<(String, scalelab_engine::NodeKind, bool)>>,
    /// How the design stands against its goal (lessons), as the engine says.
    pub goal: RwSignal<Option<scalelab_engine::goal::GoalStatus>>,
    /// The headline numbers over the last batches, with 95% intervals.
    pub headline: RwSignal<scalelab_engine::confidence::Headline>,
    /// Where the time of recent requests went, by node and cause.
    pub breakdown: RwSignal<Option<scalelab_engine::breakdown::LatencyBreakdown>>,
}
