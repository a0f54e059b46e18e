//! Changing a running simulation: the closed set of edits the editor (and undo,
//! and lessons) can make, and faults injected by the user.
//!
//! Every edit is checked by applying it to a copy of the scenario and running the
//! same validation as a loaded file; only a valid result reaches the running
//! simulation. Requests already under way are never lost: a removed node fails
//! what it was holding with `node_down`, and requests already on a removed wire
//! finish crossing it.

use crate::base::limits::MAX_DURATION_S;
use crate::base::time::{ms_to_ns, secs_to_ns};
use crate::blocks::request::{Cause, FrameState};
use crate::components::station::{Deadline, Role, Station};
use crate::kernel::sim::{Component, Health, NodeInfo, Simulation, Wire};
use crate::metrics::log::Severity;
use crate::metrics::stats::{NodeCounters, NodeStats};
use crate::model::error::Issue;
pub use crate::model::fault::Fault;
use crate::model::kinds::NodeKind;
use crate::model::scenario::{Link, Node, NodeSpec, Scenario};
use serde::Serialize;
use std::fmt;

/// A change to the architecture while it runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "edit", rename_all = "snake_case")]
pub enum Edit {
    AddNode {
        node: Node,
    },
    /// Removes the node and every link to or from it.
    RemoveNode {
        id: String,
    },
    /// New parameters (and position) for an existing node of the same kind.
    UpdateNode {
        node: Node,
    },
    AddLink {
        link: Link,
    },
    RemoveLink {
        from: String,
        to: String,
    },
    /// New latency for an existing link.
    UpdateLink {
        link: Link,
    },
    Fault {
        id: String,
        fault: Fault,
    },
    /// Cuts (or heals) the network between data centers `a` and `b`.
    Partition {
        a: String,
        b: String,
        cut: bool,
    },
}

/// Why an edit was refused; nothing was changed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EditError {
    /// No node has this id.
    UnknownNode(String),
    /// No link joins these nodes.
    UnknownLink { from: String, to: String },
    /// The edit would make the scenario invalid; every problem, with its field.
    Invalid(Vec<Issue>),
    /// The edit makes no sense for this node (for example, failing the users).
    NotApplicable(String),
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::UnknownNode(id) => write!(f, "there is no node \"{id}\""),
            EditError::UnknownLink { from, to } => write!(f, "there is no link from \"{from}\" to \"{to}\""),
            EditError::Invalid(issues) => {
                let text: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
                write!(f, "{}", text.join("; "))
            }
            EditError::NotApplicable(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for EditError {}

/// Applies `edit` to a copy of `scenario` and checks the result like a file.
pub fn edited(scenario: &Scenario, edit: &Edit) -> Result<Scenario, EditError> {
    let mut s = scenario.clone();
    match edit {
        Edit::AddNode { node } => s.nodes.push(node.clone()),
        Edit::RemoveNode { id } => {
            let i = s.node_index(id).ok_or_else(|| EditError::UnknownNode(id.clone()))?;
            s.nodes.remove(i);
            s.links.retain(|l| l.from != *id && l.to != *id);
            // Its scheduled faults go with it from the design (the run skips
            // them, saying so: see `Simulation::on_scheduled_fault`).
            s.faults.retain(|f| f.node != *id);
        }
        Edit::UpdateNode { node } => {
            let i = s.node_index(&node.id).ok_or_else(|| EditError::UnknownNode(node.id.clone()))?;
            if s.nodes[i].spec.kind() != node.spec.kind() {
                return Err(EditError::NotApplicable(format!(
                    "\"{}\" is a {}; a node cannot change kind (remove it and add a new one)",
                    node.id,
                    s.nodes[i].spec.kind().name()
                )));
            }
            s.nodes[i] = node.clone();
        }
        Edit::AddLink { link } => s.links.push(link.clone()),
        Edit::RemoveLink { from, to } | Edit::UpdateLink { link: Link { from, to, .. } } => {
            let i = s
                .links
                .iter()
                .position(|l| l.from == *from && l.to == *to)
                .ok_or_else(|| EditError::UnknownLink { from: from.clone(), to: to.clone() })?;
            match edit {
                Edit::UpdateLink { link } => s.links[i] = link.clone(),
                _ => {
                    s.links.remove(i);
                }
            }
        }
        Edit::Partition { a, b, .. } => {
            for id in [a, b] {
                if s.data_center(id).is_none() {
                    return Err(EditError::NotApplicable(format!("there is no data center \"{id}\"")));
                }
            }
            if a == b {
                return Err(EditError::NotApplicable(format!(
                    "a partition is between two different data centers, not \"{a}\" and itself"
                )));
            }
        }
        Edit::Fault { fault: Fault::Partition | Fault::Heal, .. } => {
            return Err(EditError::NotApplicable(
                "a partition names two data centers: use a partition, not a fault of one node".into(),
            ));
        }
        Edit::Fault { id, fault } if s.node_index(id).is_none() && s.data_center(id).is_some() => {
            // A whole data center: an outage, or its end.
            if !matches!(fault, Fault::Fail | Fault::Recover) {
                return Err(EditError::NotApplicable(format!(
                    "a data center can fail (an outage) or recover; slow down or flush its nodes one by one instead of \"{id}\""
                )));
            }
        }
        Edit::Fault { id, fault } => {
            let i = s.node_index(id).ok_or_else(|| EditError::UnknownNode(id.clone()))?;
            let kind = s.nodes[i].spec.kind();
            // The kind in words ("load balancer", "NoSQL store"), as the palette says it.
            let words = || kind.label();
            if kind == NodeKind::Users {
                return Err(EditError::NotApplicable("users cannot fail; change their traffic instead".into()));
            }
            match fault {
                Fault::Slow { .. } if !kind.is_station() => {
                    return Err(EditError::NotApplicable(format!(
                        "a {} adds no processing time here, so it cannot be slowed; fail it instead",
                        words()
                    )))
                }
                Fault::Flush if kind != NodeKind::Cache => {
                    return Err(EditError::NotApplicable(format!(
                        "only a cache can be flushed; \"{id}\" is a {}",
                        words()
                    )))
                }
                Fault::Spike { .. } if !kind.is_station() => {
                    return Err(EditError::NotApplicable(format!(
                        "a {} adds no processing time here, so its latency cannot spike; fail it instead",
                        words()
                    )))
                }
                Fault::Slow { factor } | Fault::Spike { factor, .. }
                    if !(factor.is_finite() && *factor > 1.0 && *factor <= 100.0) =>
                {
                    return Err(EditError::NotApplicable(format!(
                        "slow-down factor must be more than 1 and at most 100, not {factor}"
                    )))
                }
                Fault::Spike { duration_s, .. }
                    if !(duration_s.is_finite() && *duration_s > 0.0 && *duration_s <= MAX_DURATION_S) =>
                {
                    return Err(EditError::NotApplicable(format!(
                        "a spike lasts more than 0 seconds and at most {MAX_DURATION_S}, not {duration_s}"
                    )))
                }
                Fault::Errors { share } if !(share.is_finite() && *share > 0.0 && *share <= 1.0) => {
                    return Err(EditError::NotApplicable(format!(
                        "the share of requests that fail must be more than 0 and at most 1 (100%), not {share}"
                    )))
                }
                Fault::Fail
                | Fault::Recover
                | Fault::Slow { .. }
                | Fault::Spike { .. }
                | Fault::Errors { .. }
                | Fault::Flush
                | Fault::Partition
                | Fault::Heal => {}
            }
        }
    }
    if matches!(edit, Edit::Fault { .. } | Edit::Partition { .. }) {
        return Ok(s); // faults change the running system, not the document
    }
    let value = serde_json::to_value(&s).map_err(|e| EditError::NotApplicable(e.to_string()))?;
    crate::model::parse::parse_value(&value).map_err(|e| EditError::Invalid(e.issues()))
}

/// `edit` with its node or link as the checked document `checked` holds it,
/// so that what runs is what was checked and what the document says: a
/// number no file can hold (an infinite timeout, from the API) reads back as
/// the file would read it.
fn as_checked(edit: Edit, checked: &Scenario) -> Edit {
    let node = |id: &str| checked.node_index(id).map(|i| checked.nodes[i].clone());
    let link = |from: &str, to: &str| checked.links.iter().find(|l| l.from == from && l.to == to).cloned();
    match edit {
        Edit::AddNode { node: n } => Edit::AddNode { node: node(&n.id).unwrap_or(n) },
        Edit::UpdateNode { node: n } => Edit::UpdateNode { node: node(&n.id).unwrap_or(n) },
        Edit::AddLink { link: l } => Edit::AddLink { link: link(&l.from, &l.to).unwrap_or(l) },
        Edit::UpdateLink { link: l } => Edit::UpdateLink { link: link(&l.from, &l.to).unwrap_or(l) },
        other @ (Edit::RemoveNode { .. } | Edit::RemoveLink { .. } | Edit::Fault { .. } | Edit::Partition { .. }) => {
            other
        }
    }
}

/// The edits that turn scenario `old` into `new` (nodes matched by id, links by
/// their ends), in an order that is valid at every step: links go before the
/// nodes they touch, nodes come before the links that need them. Undo and redo
/// use this to bring a running simulation to any saved version of the diagram.
pub fn diff(old: &Scenario, new: &Scenario) -> Vec<Edit> {
    let mut edits = Vec::new();
    let same_ends = |a: &Link, b: &Link| a.from == b.from && a.to == b.to;
    let kind_of = |s: &Scenario, id: &str| s.node_index(id).map(|i| s.nodes[i].spec.kind());
    // A node whose kind changed is removed and added again.
    let replaced =
        |id: &str| kind_of(old, id).is_some() && kind_of(new, id).is_some() && kind_of(old, id) != kind_of(new, id);
    for l in &old.links {
        if !new.links.iter().any(|n| same_ends(l, n)) || replaced(&l.from) || replaced(&l.to) {
            edits.push(Edit::RemoveLink { from: l.from.clone(), to: l.to.clone() });
        }
    }
    for n in &old.nodes {
        if new.node_index(&n.id).is_none() || replaced(&n.id) {
            edits.push(Edit::RemoveNode { id: n.id.clone() });
        }
    }
    for n in &new.nodes {
        match old.node_index(&n.id) {
            Some(_) if replaced(&n.id) => edits.push(Edit::AddNode { node: n.clone() }),
            Some(i) if old.nodes[i] != *n => edits.push(Edit::UpdateNode { node: n.clone() }),
            Some(_) => {}
            None => edits.push(Edit::AddNode { node: n.clone() }),
        }
    }
    for l in &new.links {
        match old.links.iter().find(|o| same_ends(o, l)) {
            Some(_) if replaced(&l.from) || replaced(&l.to) => edits.push(Edit::AddLink { link: l.clone() }),
            Some(o) if o.latency_ms != l.latency_ms => edits.push(Edit::UpdateLink { link: l.clone() }),
            Some(_) => {}
            None => edits.push(Edit::AddLink { link: l.clone() }),
        }
    }
    edits
}

/// Whether a run of `from` can be brought to `target` ([`Simulation::sync_to`]),
/// and if not why: the destination read as a file, then every edit of
/// [`diff`] checked in turn on a copy. Only the design decides, never the
/// run's state, so a page can know the answer before the run (in a worker)
/// hears of the change.
pub fn sync_check(from: &Scenario, target: &Scenario) -> Result<(), EditError> {
    let value = serde_json::to_value(target).map_err(|e| EditError::NotApplicable(e.to_string()))?;
    crate::model::parse::parse_value(&value).map_err(|e| EditError::Invalid(e.issues()))?;
    let mut s = from.clone();
    for edit in diff(from, target) {
        s = edited(&s, &edit)?;
    }
    Ok(())
}

impl Simulation {
    /// Brings the running simulation to `target` (see [`diff`]), applying the
    /// edits one by one, or refuses (as [`sync_check`] says) and changes nothing.
    pub fn sync_to(&mut self, target: &Scenario) -> Result<(), EditError> {
        // Check everything first, so a refusal leaves the run untouched.
        sync_check(&self.scenario, target)?;
        let geography_changed = self.scenario.data_centers != target.data_centers
            || self.scenario.nodes.iter().any(|n| target.node_index(&n.id).is_some_and(|i| target.nodes[i].dc != n.dc));
        for edit in diff(&self.scenario, target) {
            self.apply(edit)?;
        }
        if self.scenario.alerts != target.alerts {
            // New rules start with no history.
            self.alerts = Self::alert_rules(target);
        }
        if self.scenario.goal != target.goal {
            self.goal = Self::goal_tracker(target);
        }
        // Order of nodes and links, name, seed, duration: the document's, not the run's.
        self.scenario = target.clone();
        if geography_changed {
            // Regions of nodes decide latencies and GeoDNS answers.
            self.refresh_roles();
        }
        Ok(())
    }

    /// Applies an edit to the running simulation, or refuses it and changes nothing.
    pub fn apply(&mut self, edit: Edit) -> Result<(), EditError> {
        let scenario = edited(&self.scenario, &edit)?;
        let edit = as_checked(edit, &scenario);
        // The goal is about the design that runs: a change to it (not a move
        // on the diagram, not a fault) starts the goal over.
        let redesign = match &edit {
            Edit::Fault { .. } | Edit::Partition { .. } => false,
            Edit::UpdateNode { node } => self.scenario.node_index(&node.id).is_none_or(|i| {
                let old = &self.scenario.nodes[i];
                old.spec != node.spec || old.dc != node.dc
            }),
            _ => true,
        };
        if redesign {
            let now_s = self.now.div_ceil(crate::base::time::NS_PER_S);
            if let Some(g) = self.goal.as_mut() {
                g.restart(now_s);
            }
            self.batches.restart(now_s);
        }
        match &edit {
            Edit::AddNode { node } => {
                self.add_slot(node);
                let id = node.id.clone();
                self.log.push(self.now, Some(&id), Severity::Info, format!("{id} added"));
            }
            Edit::RemoveNode { id } => {
                let slot = self.slot_of(id).expect("edited() checked the id");
                for w in 0..self.net.wires.len() {
                    let wire = self.net.wires[w];
                    if !wire.removed && (wire.from as usize == slot || wire.to as usize == slot) {
                        self.unlink(w);
                    }
                }
                self.crash(slot);
                self.net.nodes[slot].removed = true;
                // No errors drawn for it, no spike ending on it.
                self.injected.speed_set(slot);
                self.injected.clear(slot);
                self.log.push(self.now, Some(id), Severity::Info, format!("{id} removed"));
            }
            Edit::UpdateNode { node } => {
                let slot = self.slot_of(&node.id).expect("edited() checked the id");
                let old = self.scenario.node_index(&node.id).map(|i| &self.scenario.nodes[i].spec);
                // A move on the diagram changes only the layout: nothing to run.
                if old != Some(&node.spec) {
                    self.update_slot(slot, &node.spec);
                    self.log.push(self.now, Some(&node.id), Severity::Info, format!("{} settings changed", node.id));
                }
            }
            Edit::AddLink { link } => {
                let (from, to) = (self.slot_of(&link.from).unwrap(), self.slot_of(&link.to).unwrap());
                self.net.wires.push(Wire {
                    from: from as u16,
                    to: to as u16,
                    latency: ms_to_ns(link.latency_ms),
                    removed: false,
                    sent: 0,
                });
                self.link_up(self.net.wires.len() - 1);
            }
            Edit::RemoveLink { from, to } => {
                let w = self.wire_between(from, to).expect("edited() checked the link");
                self.unlink(w);
            }
            Edit::UpdateLink { link } => {
                let w = self.wire_between(&link.from, &link.to).expect("edited() checked the link");
                self.net.wires[w].latency = ms_to_ns(link.latency_ms);
            }
            Edit::Partition { a, b, cut } => {
                let pair = if a < b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
                let had = self.partitions.contains(&pair);
                if *cut && !had {
                    self.partitions.push(pair);
                    self.log.push(
                        self.now,
                        Some(a),
                        Severity::Error,
                        format!("network partition: {a} and {b} cannot reach each other"),
                    );
                } else if !*cut && had {
                    self.partitions.retain(|p| *p != pair);
                    self.log.push(self.now, Some(a), Severity::Info, format!("network between {a} and {b} healed"));
                }
            }
            Edit::Fault { id, fault } => match self.slot_of(id) {
                Some(slot) => self.inject(slot, *fault),
                None => {
                    // A data center: every node in it (users are never in one).
                    let members: Vec<usize> = self
                        .scenario
                        .nodes
                        .iter()
                        .filter(|n| n.dc.as_deref() == Some(id.as_str()) && !matches!(n.spec, NodeSpec::Users(_)))
                        .filter_map(|n| self.slot_of(&n.id))
                        .collect();
                    let (severity, what) = match fault {
                        Fault::Fail => (Severity::Error, "outage: everything in it is down"),
                        _ => (Severity::Info, "back up"),
                    };
                    self.log.push(self.now, Some(id), severity, format!("data center {id}: {what}"));
                    match fault {
                        Fault::Fail if !self.dcs_down.contains(id) => self.dcs_down.push(id.clone()),
                        Fault::Recover => self.dcs_down.retain(|d| d != id),
                        _ => {}
                    }
                    for slot in members {
                        self.inject(slot, *fault);
                    }
                }
            },
        }
        self.scenario = scenario;
        // Sizes and health may have changed (a fault, new workers, a node
        // added or removed): utilisation divides by what is available.
        for slot in 0..self.net.nodes.len() {
            self.note_available(slot);
        }
        Ok(())
    }

    /// The slot of the live (not removed) node with this id.
    pub(crate) fn slot_of(&self, id: &str) -> Option<usize> {
        self.net.nodes.iter().position(|n| !n.removed && n.id == id)
    }

    fn wire_between(&self, from: &str, to: &str) -> Option<usize> {
        let (f, t) = (self.slot_of(from)?, self.slot_of(to)?);
        self.net.wires.iter().position(|w| !w.removed && w.from as usize == f && w.to as usize == t)
    }

    fn add_slot(&mut self, node: &Node) {
        let slot = self.net.nodes.len();
        let component = Component::for_node(&node.spec, Vec::new(), self.scenario.seed, slot);
        self.net.nodes.push(NodeInfo {
            id: node.id.clone(),
            kind: node.spec.kind(),
            removed: false,
            health: Health::Up,
        });
        self.components.push(component);
        let mut stats = NodeStats::default();
        // Integrals start now, not at time 0.
        stats.busy.set(self.now, 0);
        stats.queued.set(self.now, 0);
        self.stats.push(stats);
        self.at_warmup.push(NodeCounters::default());
        self.at_tick.push(NodeCounters::default());
        self.push_trouble_slot();
        self.injected.push_node();
        self.snap.push_node(matches!(self.components[slot], Component::Station(_)));
        self.net.primary_of.push(None);
        self.net.replicas_of.push(Vec::new());
        if let NodeSpec::Users(u) = &node.spec {
            self.any_mobile |= u.mobile_share > 0.0;
            self.geography |= !u.regions.is_empty();
        }
        self.set_group(slot, &node.spec);
        self.schedule_next_arrival(slot as u16);
        self.schedule_health_check(slot);
    }

    fn update_slot(&mut self, slot: usize, spec: &NodeSpec) {
        if let NodeSpec::Users(spec) = spec {
            // (The flags only switch checks on; they never need to go off.)
            self.any_mobile |= spec.mobile_share > 0.0;
            self.geography |= !spec.regions.is_empty();
        }
        let orphans = self.pools_before_edit(slot, spec);
        let retuned = self.components[slot].retune(spec);
        self.pools_edited(slot, orphans);
        if retuned.rate {
            self.schedule_next_arrival(slot as u16);
        }
        if retuned.patience {
            self.reschedule_give_up(slot);
        }
        if retuned.caller {
            self.retime_attempts(slot);
        }
        if retuned.health_checks {
            self.schedule_health_check(slot);
        }
        if let Some((shards, moved)) = retuned.resharded {
            self.log_reshard(slot, shards, shards, moved);
        }
        if let Some(timeout_changed) = retuned.station {
            if timeout_changed {
                self.retime_deadlines(slot);
            }
            let grouped = matches!(&self.components[slot], Component::Station(st) if st.group.is_some());
            if grouped || spec.autoscale_policy().is_some() {
                self.set_group(slot, spec);
            }
            self.start_waiting(slot);
            // More workers in a pool take more jobs at once.
            self.feed_pools_of(slot);
        }
    }

    /// After a timeout change the new timeout applies to every request at the
    /// node: the deadline list is rebuilt from the requests there (found by a
    /// scan; timeout changes are rare), in arrival order, so it stays sorted.
    fn retime_deadlines(&mut self, slot: usize) {
        let Component::Station(st) = &mut self.components[slot] else { return };
        st.deadlines.clear();
        let (Some(timeout), life) = (st.timeout, st.incarnation) else { return };
        let mut entries: Vec<Deadline> = Vec::new();
        for req in self.arena.live_ids() {
            let r = self.arena.get(req);
            for f in 0..r.depth {
                let fr = &r.frames[f as usize];
                let here = fr.node as usize == slot && !fr.abandoned;
                let waiting = fr.state == FrameState::Queued;
                let working = matches!(fr.state, FrameState::InService | FrameState::AwaitingDownstream)
                    && fr.incarnation == life;
                if here && (waiting || working) {
                    entries.push(Deadline { at: fr.arrived + timeout, req, generation: r.generation, frame: f });
                }
            }
        }
        entries.sort_by_key(|d| (d.at, d.req));
        let first = entries.first().map(|d| d.at.max(self.now));
        let Component::Station(st) = &mut self.components[slot] else { return };
        st.deadlines.extend(entries);
        if let Some(at) = first {
            self.schedule_sweep(slot, at);
        }
    }

    /// Wires `w` into its source: each component takes its links anew (users
    /// send into it, a balancer gains a backend, a web server a cache or
    /// database, a primary a replica), and a queue newly linked to a pool
    /// starts handing it jobs.
    fn link_up(&mut self, w: usize) {
        let from = self.net.wires[w].from as usize;
        self.refresh_roles();
        self.feed_pools(from);
    }

    /// Unwires `w`: requests already on it finish their way.
    fn unlink(&mut self, w: usize) {
        self.net.wires[w].removed = true;
        self.refresh_roles();
    }

    fn inject(&mut self, slot: usize, fault: Fault) {
        let id = self.net.nodes[slot].id.clone();
        match fault {
            Fault::Fail => {
                self.injected.speed_set(slot);
                if self.net.nodes[slot].health != Health::Down {
                    self.crash(slot);
                    self.net.nodes[slot].health = Health::Down;
                    self.log.push(self.now, Some(&id), Severity::Error, format!("{id} failed"));
                    self.primary_failed(slot);
                    if let Component::Balancer(b) = &self.components[slot] {
                        if b.pair {
                            let at = self.now + b.failover;
                            self.queue_takeover(slot, at);
                        }
                    }
                }
            }
            Fault::Recover => {
                self.injected.speed_set(slot);
                if self.injected.error_share(slot).is_some() {
                    self.injected.clear(slot);
                    self.log.push(self.now, Some(&id), Severity::Info, format!("{id}: no more injected errors"));
                }
                if self.net.nodes[slot].health != Health::Up {
                    self.net.nodes[slot].health = Health::Up;
                    if let Component::Station(st) = &mut self.components[slot] {
                        st.slowdown = 1.0;
                    }
                    self.log.push(self.now, Some(&id), Severity::Info, format!("{id} recovered"));
                    // A queue or pool back up: jobs flow again.
                    self.feed_pools(slot);
                    self.feed_pools_of(slot);
                }
            }
            // Refused by `edited` (a partition is an `Edit::Partition`).
            Fault::Partition | Fault::Heal => {}
            Fault::Flush => {
                if let Component::Station(Station { role: Role::Cache(c), .. }) = &mut self.components[slot] {
                    c.flush();
                }
                self.log.push(self.now, Some(&id), Severity::Warning, format!("{id} flushed: it starts cold"));
            }
            Fault::Slow { factor } => {
                self.injected.speed_set(slot);
                self.set_slowdown(slot, factor);
                self.log.push(self.now, Some(&id), Severity::Warning, format!("{id} slowed down {factor}x"));
            }
            Fault::Spike { factor, duration_s } => {
                let Component::Station(st) = &self.components[slot] else { return };
                let (base, epoch) = self.injected.start_spike(slot, st.slowdown);
                self.set_slowdown(slot, base * factor);
                let end = self.now + secs_to_ns(duration_s);
                self.queue_spike_end(slot, end, epoch);
                self.log.push(
                    self.now,
                    Some(&id),
                    Severity::Warning,
                    format!("{id}: latency spike, service {factor}x slower for {duration_s} s"),
                );
            }
            Fault::Errors { share } => {
                self.injected.set_errors(slot, share, self.scenario.seed);
                // In percent to a tenth (0.4 is 40, not 40.00000000000001).
                let pct = (share * 1000.0).round() / 10.0;
                self.log.push(
                    self.now,
                    Some(&id),
                    Severity::Warning,
                    format!("{id}: {pct}% of requests fail (injected errors)"),
                );
            }
        }
    }

    /// Station `slot` serves `factor` times slower from now on (1: normal);
    /// a node that is down stays down.
    fn set_slowdown(&mut self, slot: usize, factor: f64) {
        if let Component::Station(st) = &mut self.components[slot] {
            st.slowdown = factor;
        }
        if self.net.nodes[slot].health != Health::Down {
            self.net.nodes[slot].health = if factor > 1.0 { Health::Degraded { factor } } else { Health::Up };
        }
    }

    /// The spike of `epoch` at `slot` is over: service goes back to the speed
    /// it had before, unless a fault came after the spike (it decides).
    pub(crate) fn end_spike(&mut self, slot: usize, epoch: u32) {
        let Some(before) = self.injected.end_spike(slot, epoch) else { return };
        self.set_slowdown(slot, before);
        let id = self.net.nodes[slot].id.clone();
        self.log.push(self.now, Some(&id), Severity::Info, format!("{id}: latency spike over"));
    }

    /// The node crashes: everything it holds fails with `node_down`. A station
    /// loses its queue and its workers' work; a balancer loses open connections
    /// (their answers fail when they come back through it).
    pub(crate) fn crash(&mut self, slot: usize) {
        // Calls waiting for a connection: taken out of line before the
        // restart empties the pools; failed below with the rest.
        let pool_waiters = self.pools_before_crash(slot);
        self.drop_sessions(slot);
        self.components[slot].forget();
        let Component::Station(st) = &mut self.components[slot] else { return };
        if let Role::Workers(p) = &mut st.role {
            // The queue is durable: unfinished jobs go back to its front.
            let jobs = p.drain();
            let n = jobs.len() as u64;
            for (published, queue) in jobs {
                if let Component::Queue(q) = &mut self.components[queue as usize] {
                    q.backlog.push_front(published);
                    q.redelivered += 1;
                    let backlog = q.backlog.len() as u64;
                    self.stats[queue as usize].queued.set(self.now, backlog);
                }
            }
            if n > 0 {
                let id = self.net.nodes[slot].id.clone();
                self.log.push(
                    self.now,
                    Some(&id),
                    Severity::Warning,
                    format!("{id}: {n} unfinished jobs go back to their queue"),
                );
            }
        }
        // Readers waiting for another's read of their key fail first.
        self.fail_parked(slot);
        let Component::Station(st) = &mut self.components[slot] else { return };
        let old_life = st.incarnation;
        st.incarnation = st.incarnation.wrapping_add(1);
        st.busy = 0;
        st.waiting = 0;
        st.dead = 0;
        st.deadlines.clear();
        let queued: Vec<(u32, u8)> = st.queue.drain(..).collect();
        self.stats[slot].busy.set(self.now, 0);
        self.stats[slot].queued.set(self.now, 0);
        for (req, f) in queued {
            if self.arena.get(req).frames[f as usize].abandoned {
                self.end_line(req);
                continue;
            }
            self.depart_failed(slot, req, f);
            self.fail(req, slot, Cause::NodeDown);
            self.send_up(req, f);
        }
        // Requests in service or waiting on the database: found by a scan of the
        // live requests (a crash is rare; the hot path keeps no per-worker list).
        for req in self.arena.live_ids() {
            let r = self.arena.get(req);
            let Some(f) = (0..r.depth).find(|&f| {
                let fr = &r.frames[f as usize];
                fr.node as usize == slot
                    && matches!(fr.state, FrameState::InService | FrameState::AwaitingDownstream)
                    && fr.incarnation == old_life
                    && !fr.abandoned
            }) else {
                continue;
            };
            // The work goes on as an orphan line (its pending event or the
            // database's answer) that ends quietly when it arrives.
            let r = self.arena.get_mut(req);
            r.frames[f as usize].abandoned = true;
            r.lines += 1;
            if r.child != crate::blocks::request::NO_SLOT {
                // A web server's call under way: its attempt learns of it.
                self.abandon_below(req, f as usize);
            }
            let r = self.arena.get(req);
            if r.frames[f as usize].holding {
                self.depart_failed(slot, req, f);
            } else {
                // An asynchronous server's request waiting on a call has
                // already left its worker (and been counted as departed).
                self.stats[slot].counters.failed_down += 1;
            }
            self.fail(req, slot, Cause::NodeDown);
            self.send_up(req, f);
        }
        // The waiters' places in line held their requests' (now orphan) lines.
        self.pools_crashed(slot, pool_waiters);
    }

    fn depart_failed(&mut self, slot: usize, req: u32, f: u8) {
        let arrived = self.arena.get(req).frames[f as usize].arrived;
        let c = &mut self.stats[slot].counters;
        c.failed_down += 1;
        c.depart(self.now - arrived);
    }
}
