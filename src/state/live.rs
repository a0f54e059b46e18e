//! The live readings: what the page shows of the running simulation,
//! refreshed from the engine a few times a second by the shell's frame loop
//! and read by the panels.

use leptos::prelude::*;
use scalelab_engine::breaker::State as BreakerState;
use scalelab_engine::{LogEntry, NodeLive, Snapshot};
use std::collections::HashMap;

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
    /// Queueing theory beside the simulation for the node the inspector
    /// shows (its id, and the check), as the engine last read it.
    pub theory: RwSignal<Option<(String, scalelab_engine::theory::TheoryCheck)>>,
    /// The snapshot's figures of each node box and each wire, a signal apiece.
    pub parts: Parts,
}

/// What a node's box shows of the live run: the node's reading in the
/// snapshot and the seconds the snapshot covers (its rates divide by them).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeReading {
    pub node: NodeLive,
    pub span_s: f64,
}

/// What a wire shows of the live run: requests per second along it, and the
/// state of its caller's circuit breaker when it has one. Zero and none when
/// the snapshot does not have the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WireReading {
    pub rps: f64,
    pub breaker: Option<BreakerState>,
}

/// The snapshot cut into one signal per node and per wire, so that each box
/// and each wire of the diagram subscribes to its own figures and no signal
/// has more than a handful of subscribers. A publish sets only the signals
/// whose figures changed: with every box subscribed to the whole snapshot,
/// a publish re-ran about a thousand effects, each leaving a subscriber list
/// about a thousand long (O(n²) for a design of 300 nodes).
#[derive(Clone, Copy)]
pub struct Parts {
    inner: StoredValue<PartsInner>,
}

#[derive(Default)]
struct PartsInner {
    nodes: HashMap<String, Keyed<Option<NodeReading>>>,
    /// By caller, then callee.
    wires: HashMap<String, HashMap<String, Keyed<WireReading>>>,
    /// Counts the publishes, to find what the latest did not have.
    stamp: u64,
}

struct Keyed<T> {
    signal: ArcRwSignal<T>,
    /// The last publish that had it.
    seen: u64,
}

impl<T: Send + Sync + 'static> Keyed<T> {
    fn new(value: T) -> Keyed<T> {
        Keyed { signal: ArcRwSignal::new(value), seen: 0 }
    }
}

impl Default for Parts {
    fn default() -> Self {
        Parts::new()
    }
}

impl Parts {
    pub fn new() -> Parts {
        Parts { inner: StoredValue::new(PartsInner::default()) }
    }

    /// The signal of node `id`'s figures (made the first time it is asked
    /// for, with what `latest`, the snapshot published last, says of it).
    pub fn node(&self, id: &str, latest: Option<&Snapshot>) -> ArcRwSignal<Option<NodeReading>> {
        let made = || latest.and_then(|s| node_reading(s, id));
        self.inner
            .try_update_value(|p| p.nodes.entry(id.to_string()).or_insert_with(|| Keyed::new(made())).signal.clone())
            // Gone with the page: a signal nothing sets.
            .unwrap_or_else(|| ArcRwSignal::new(made()))
    }

    /// The signal of the wire `from` → `to`'s figures (made the first time
    /// it is asked for, from `latest` as [`Parts::node`]).
    pub fn wire(&self, from: &str, to: &str, latest: Option<&Snapshot>) -> ArcRwSignal<WireReading> {
        let made = || latest.map(|s| wire_reading(s, from, to)).unwrap_or_default();
        self.inner
            .try_update_value(|p| {
                p.wires
                    .entry(from.to_string())
                    .or_default()
                    .entry(to.to_string())
                    .or_insert_with(|| Keyed::new(made()))
                    .signal
                    .clone()
            })
            .unwrap_or_else(|| ArcRwSignal::new(made()))
    }

    /// Sets the signals of the nodes and wires whose figures in `snapshot`
    /// differ from the ones they hold (none and zero for those it does not
    /// have, or all of them when there is no snapshot). O(nodes + wires).
    /// Returns how many it set.
    pub fn publish(&self, snapshot: Option<&Snapshot>) -> usize {
        let mut nodes = Vec::new();
        let mut wires = Vec::new();
        self.inner.update_value(|p| {
            p.stamp += 1;
            let stamp = p.stamp;
            if let Some(s) = snapshot {
                for n in &s.nodes {
                    if !p.nodes.contains_key(n.id.as_str()) {
                        p.nodes.insert(n.id.clone(), Keyed::new(None));
                    }
                    let Some(k) = p.nodes.get_mut(n.id.as_str()) else { continue };
                    k.seen = stamp;
                    let same =
                        k.signal.with_untracked(|r| r.as_ref().is_some_and(|r| r.span_s == s.span_s && r.node == *n));
                    if !same {
                        nodes.push((k.signal.clone(), Some(NodeReading { node: n.clone(), span_s: s.span_s })));
                    }
                }
                for l in &s.links {
                    if !p.wires.contains_key(l.from.as_str()) {
                        p.wires.insert(l.from.clone(), HashMap::new());
                    }
                    let Some(callees) = p.wires.get_mut(l.from.as_str()) else { continue };
                    if !callees.contains_key(l.to.as_str()) {
                        callees.insert(l.to.clone(), Keyed::new(WireReading::default()));
                    }
                    let Some(k) = callees.get_mut(l.to.as_str()) else { continue };
                    k.seen = stamp;
                    let now = WireReading { rps: l.rps, breaker: l.breaker.map(|b| b.state) };
                    if k.signal.with_untracked(|r| *r != now) {
                        wires.push((k.signal.clone(), now));
                    }
                }
            }
            for k in p.nodes.values().filter(|k| k.seen != stamp) {
                if k.signal.with_untracked(Option::is_some) {
                    nodes.push((k.signal.clone(), None));
                }
            }
            for k in p.wires.values().flat_map(HashMap::values).filter(|k| k.seen != stamp) {
                if k.signal.with_untracked(|r| *r != WireReading::default()) {
                    wires.push((k.signal.clone(), WireReading::default()));
                }
            }
        });
        // Set outside the store: whatever a set runs may ask for a signal.
        let set = nodes.len() + wires.len();
        for (signal, value) in nodes {
            signal.set(value);
        }
        for (signal, value) in wires {
            signal.set(value);
        }
        set
    }

    /// Forgets the nodes and wires `design` does not have (a new design was
    /// loaded): the boxes of those it has keep their signals.
    pub fn keep_only(&self, design: &scalelab_engine::Scenario) {
        self.inner.update_value(|p| {
            let ids: std::collections::HashSet<&str> = design.nodes.iter().map(|n| n.id.as_str()).collect();
            p.nodes.retain(|id, _| ids.contains(id.as_str()));
            let links: std::collections::HashSet<(&str, &str)> =
                design.links.iter().map(|l| (l.from.as_str(), l.to.as_str())).collect();
            p.wires.retain(|from, callees| {
                callees.retain(|to, _| links.contains(&(from.as_str(), to.as_str())));
                !callees.is_empty()
            });
        });
    }
}

/// Node `id`'s figures in `s`, if it has them.
fn node_reading(s: &Snapshot, id: &str) -> Option<NodeReading> {
    s.nodes.iter().find(|n| n.id == id).map(|n| NodeReading { node: n.clone(), span_s: s.span_s })
}

/// The wire `from` → `to`'s figures in `s` (zero and none if it lacks it).
fn wire_reading(s: &Snapshot, from: &str, to: &str) -> WireReading {
    s.links
        .iter()
        .find(|l| l.from == from && l.to == to)
        .map(|l| WireReading { rps: l.rps, breaker: l.breaker.map(|b| b.state) })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn starter_snapshot() -> (scalelab_engine::Scenario, Snapshot) {
        let s = scalelab_engine::Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap();
        let mut sim = scalelab_engine::Simulation::new(s.clone());
        sim.run_until(3_500_000_000, u64::MAX);
        (s, sim.live_snapshot())
    }

    /// Counts how often what reads `signal` runs again (a memo recomputes
    /// when read after its source was set).
    fn watch<T: Send + Sync + 'static>(signal: ArcRwSignal<T>) -> (ArcMemo<usize>, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let memo = ArcMemo::new(move |_| {
            signal.track();
            r.fetch_add(1, Ordering::Relaxed)
        });
        memo.get();
        (memo, runs)
    }

    #[test]
    fn a_publish_sets_only_the_signals_whose_figures_changed() {
        let (_, snap) = starter_snapshot();
        assert!(snap.nodes.len() >= 4 && snap.links.len() >= 3 && snap.span_s > 0.0);
        let parts = Parts::new();
        assert_eq!(parts.publish(Some(&snap)), snap.nodes.len() + snap.links.len(), "the first sets them all");
        let nodes: Vec<_> = snap.nodes.iter().map(|n| watch(parts.node(&n.id, None))).collect();
        let wires: Vec<_> = snap.links.iter().map(|l| watch(parts.wire(&l.from, &l.to, None))).collect();
        let runs = |w: &[(ArcMemo<usize>, Arc<AtomicUsize>)]| {
            w.iter()
                .map(|(memo, runs)| {
                    memo.get();
                    runs.load(Ordering::Relaxed)
                })
                .collect::<Vec<_>>()
        };
        assert!(runs(&nodes).iter().chain(&runs(&wires)).all(|&n| n == 1));

        // The same figures again: nothing is set, nothing runs.
        assert_eq!(parts.publish(Some(&snap)), 0);
        assert!(runs(&nodes).iter().chain(&runs(&wires)).all(|&n| n == 1));

        // One node's figure changes: its signal alone.
        let mut next = snap.clone();
        next.nodes[2].busy += 1;
        next.now_s += 0.25;
        assert_eq!(parts.publish(Some(&next)), 1);
        let mut want = vec![1; nodes.len()];
        want[2] = 2;
        assert_eq!(runs(&nodes), want);
        assert!(runs(&wires).iter().all(|&n| n == 1));
        let id = &next.nodes[2].id;
        assert_eq!(
            parts.node(id, None).get_untracked(),
            Some(NodeReading { node: next.nodes[2].clone(), span_s: next.span_s })
        );

        // One wire's flow: its signal alone.
        next.links[1].rps += 1.0;
        assert_eq!(parts.publish(Some(&next)), 1);
        assert_eq!(runs(&nodes), want);
        let mut want_wires = vec![1; wires.len()];
        want_wires[1] = 2;
        assert_eq!(runs(&wires), want_wires);
        assert_eq!(parts.wire(&next.links[1].from, &next.links[1].to, None).get_untracked().rps, next.links[1].rps);

        // Another window length changes every node's rates per second.
        next.span_s += 1.0;
        assert_eq!(parts.publish(Some(&next)), next.nodes.len());

        // A node the snapshot no longer has shows nothing; no snapshot, none.
        let gone = next.nodes.remove(0);
        let (cut, links): (Vec<_>, Vec<_>) = next.links.into_iter().partition(|l| l.from == gone.id || l.to == gone.id);
        next.links = links;
        let moving = |l: &&scalelab_engine::LinkLive| l.rps != 0.0 || l.breaker.is_some();
        assert!(!cut.is_empty());
        assert_eq!(parts.publish(Some(&next)), 1 + cut.iter().filter(moving).count());
        assert_eq!(parts.node(&gone.id, None).get_untracked(), None);
        assert_eq!(parts.publish(None), next.nodes.len() + next.links.iter().filter(moving).count());
        assert!(snap.nodes.iter().all(|n| parts.node(&n.id, None).get_untracked().is_none()));
        assert!(snap.links.iter().all(|l| parts.wire(&l.from, &l.to, None).get_untracked() == WireReading::default()));
    }

    #[test]
    fn a_signal_asked_for_late_starts_with_the_latest_figures() {
        let (_, snap) = starter_snapshot();
        let parts = Parts::new();
        let n = &snap.nodes[1];
        assert_eq!(
            parts.node(&n.id, Some(&snap)).get_untracked(),
            Some(NodeReading { node: n.clone(), span_s: snap.span_s })
        );
        let l = &snap.links[0];
        let w = parts.wire(&l.from, &l.to, Some(&snap)).get_untracked();
        assert_eq!(w, WireReading { rps: l.rps, breaker: l.breaker.map(|b| b.state) });
        assert!(w.rps > 0.0);
        // Asked for again: the same signal, whatever `latest` says now.
        assert_eq!(parts.node(&n.id, None).get_untracked(), Some(NodeReading { node: n.clone(), span_s: snap.span_s }));
        assert_eq!(parts.node("nobody", Some(&snap)).get_untracked(), None);
    }

    #[test]
    fn a_new_design_keeps_the_signals_of_the_nodes_and_wires_it_still_has() {
        let (mut design, snap) = starter_snapshot();
        let parts = Parts::new();
        parts.publish(Some(&snap));
        let kept = parts.node(&design.nodes[0].id, None);
        let gone_id = design.nodes.pop().unwrap().id;
        let gone = parts.node(&gone_id, None);
        assert!(gone.get_untracked().is_some());
        design.links.retain(|l| l.from != gone_id && l.to != gone_id);
        let kept_wire = (design.links[0].from.clone(), design.links[0].to.clone());
        let wire = parts.wire(&kept_wire.0, &kept_wire.1, None);
        parts.keep_only(&design);
        // Forgotten: asked for again, it is a new one.
        assert_eq!(parts.node(&gone_id, None).get_untracked(), None);
        assert!(gone.get_untracked().is_some());
        // Kept: the box's signal is the one the publisher sets.
        parts.publish(None);
        assert_eq!(kept.get_untracked(), None);
        assert_eq!(wire.get_untracked(), WireReading::default());
        parts.publish(Some(&snap));
        assert!(kept.get_untracked().is_some());
        assert!(wire.get_untracked().rps > 0.0);
    }
}
