//! The diagram editor: the document (a scenario), the selection, undo/redo, and
//! the one way every change goes through ([`Editor::commit`]).
//!
//! The document is the source of truth for the diagram; the live run is
//! brought to each version of it ([`LiveRun::sync`], the engine's `sync_to`,
//! which applies the difference as live edits). Every change is checked by
//! the engine's rules before anything changes, so a refused change leaves
//! both the diagram and the run as they were.

pub mod diagram;
pub mod inspector;
pub mod node_actions;
pub mod palette;

use crate::run::live_run::LiveRun;
use leptos::prelude::*;
use scalelab_engine::scenario::{Link, Node, Scenario};
use scalelab_engine::{edited, Edit, EditError, NodeKind};
use serde_json::json;

/// Node box size and snapping grid, in diagram units.
pub const NODE_W: f64 = 150.0;
pub const NODE_H: f64 = 64.0;
pub const GRID: f64 = 20.0;
/// Undo steps kept.
const HISTORY: usize = 200;
/// What a read-only (embedded) playground says when a change is tried.
pub const READ_ONLY_MESSAGE: &str = "This embedded design is read-only: open it in Scale Lab to change it";

/// What is selected: nodes (by id) and at most one link.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    pub nodes: Vec<String>,
    pub link: Option<(String, String)>,
}

impl Selection {
    pub fn node(id: &str) -> Selection {
        Selection { nodes: vec![id.to_string()], link: None }
    }
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.link.is_none()
    }
}

/// A message for the user: refused edits, errors, confirmations.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// The editor's state. Copy: every field is a signal or a stored value, so it
/// can be handed to any component or closure.
#[derive(Clone, Copy)]
pub struct Editor {
    pub doc: RwSignal<Scenario>,
    pub selection: RwSignal<Selection>,
    pub notice: RwSignal<Option<Notice>>,
    /// Text for the screen-reader live region.
    pub announcement: RwSignal<String>,
    /// The node a keyboard or click-to-connect link starts from.
    pub connecting_from: RwSignal<Option<String>>,
    /// The live run of the design (the page steers it; it holds the simulation).
    pub run: StoredValue<LiveRun, LocalStorage>,
    undo: StoredValue<Vec<Scenario>>,
    redo: StoredValue<Vec<Scenario>>,
    pub can_undo: RwSignal<bool>,
    pub can_redo: RwSignal<bool>,
    clipboard: StoredValue<Option<Scenario>>,
    /// Bumped when the simulation is rebuilt (reset, new seed, loaded file).
    pub generation: RwSignal<u64>,
    /// Bumped each time a whole design is loaded (a file, a lesson, an earlier
    /// version, a link): the page frames the new design.
    pub loaded: RwSignal<u64>,
    /// An embedded design without `edit=1`: changes to the design are refused
    /// (with [`READ_ONLY_MESSAGE`]); running it, the traffic dial and faults still work.
    pub read_only: RwSignal<bool>,
}

impl Editor {
    pub fn new(mut scenario: Scenario) -> Editor {
        lay_out_missing(&mut scenario);
        let run = LiveRun::new(scenario.clone());
        Editor {
            doc: RwSignal::new(scenario),
            selection: RwSignal::new(Selection::default()),
            notice: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            connecting_from: RwSignal::new(None),
            run: StoredValue::new_local(run),
            undo: StoredValue::new(Vec::new()),
            redo: StoredValue::new(Vec::new()),
            can_undo: RwSignal::new(false),
            can_redo: RwSignal::new(false),
            clipboard: StoredValue::new(None),
            generation: RwSignal::new(0),
            loaded: RwSignal::new(0),
            read_only: RwSignal::new(false),
        }
    }

    /// Whether the design may be changed by the user; when it may not, says so
    /// (once per try) and returns false.
    pub fn may_change(&self) -> bool {
        if self.read_only.get_untracked() {
            self.refuse(READ_ONLY_MESSAGE);
            false
        } else {
            true
        }
    }

    pub fn say(&self, text: impl Into<String>) {
        let text = text.into();
        self.announcement.set(text.clone());
        self.notice.set(Some(Notice { text, error: false }));
    }

    pub fn refuse(&self, text: impl Into<String>) {
        let text = text.into();
        self.announcement.set(text.clone());
        self.notice.set(Some(Notice { text, error: true }));
    }

    /// Makes `new` the document: the running simulation is brought to it, the
    /// previous version goes on the undo stack. Refused (with the engine's
    /// reason) if the engine will not run it, and in a read-only playground.
    pub fn commit(&self, new: Scenario, what: &str) -> Result<(), EditError> {
        if self.read_only.get_untracked() && self.doc.with_untracked(|d| *d != new) {
            return Err(EditError::NotApplicable(READ_ONLY_MESSAGE.into()));
        }
        self.commit_always(new, what)
    }

    /// [`Editor::commit`] without the read-only check: for the run's own
    /// settings (the traffic dial), which a read-only playground still offers.
    fn commit_always(&self, new: Scenario, what: &str) -> Result<(), EditError> {
        let old = self.doc.get_untracked();
        if old == new {
            return Ok(());
        }
        self.run.try_update_value(|r| r.sync(&new)).unwrap_or(Ok(()))?;
        self.undo.update_value(|u| {
            u.push(old);
            if u.len() > HISTORY {
                u.remove(0);
            }
        });
        self.redo.update_value(Vec::clear);
        self.doc.set(new);
        self.refresh_history_flags();
        if !what.is_empty() {
            self.say(what);
        }
        Ok(())
    }

    /// Applies one edit to the document (and the run), or shows why not.
    pub fn edit(&self, edit: Edit, what: &str) -> bool {
        match edited(&self.doc.get_untracked(), &edit).and_then(|new| self.commit(new, what)) {
            Ok(()) => true,
            Err(e) => {
                self.refuse(reason(&e));
                false
            }
        }
    }

    /// Changes the users' traffic (the dial), even in a read-only playground.
    pub fn edit_traffic(&self, edit: Edit, what: &str) -> bool {
        match edited(&self.doc.get_untracked(), &edit).and_then(|new| self.commit_always(new, what)) {
            Ok(()) => true,
            Err(e) => {
                self.refuse(reason(&e));
                false
            }
        }
    }

    pub fn undo(&self) {
        if self.may_change() {
            self.step_history(true);
        }
    }

    pub fn redo(&self) {
        if self.may_change() {
            self.step_history(false);
        }
    }

    fn step_history(&self, back: bool) {
        let (from, to) = if back { (self.undo, self.redo) } else { (self.redo, self.undo) };
        let Some(target) = from.try_update_value(Vec::pop).flatten() else {
            self.say(if back { "Nothing to undo" } else { "Nothing to redo" });
            return;
        };
        let current = self.doc.get_untracked();
        match self.run.try_update_value(|r| r.sync(&target)).unwrap_or(Ok(())) {
            Ok(()) => {
                to.update_value(|v| v.push(current));
                self.doc.set(target);
                self.prune_selection();
                self.say(if back { "Undone" } else { "Redone" });
            }
            Err(e) => {
                from.update_value(|v| v.push(target));
                self.refuse(reason(&e));
            }
        }
        self.refresh_history_flags();
    }

    fn refresh_history_flags(&self) {
        self.can_undo.set(self.undo.with_value(|u| !u.is_empty()));
        self.can_redo.set(self.redo.with_value(|r| !r.is_empty()));
    }

    /// Drops selected ids that no longer exist.
    pub fn prune_selection(&self) {
        let doc = self.doc.get_untracked();
        self.selection.update(|s| {
            s.nodes.retain(|id| doc.node_index(id).is_some());
            if let Some((f, t)) = &s.link {
                if !doc.links.iter().any(|l| &l.from == f && &l.to == t) {
                    s.link = None;
                }
            }
        });
    }

    /// Replaces the document and restarts the simulation from time 0 (a loaded
    /// file, a reset, a new seed). Undo history is kept: undoing brings the
    /// previous design back into the new run.
    pub fn load(&self, mut scenario: Scenario, what: &str) {
        lay_out_missing(&mut scenario);
        let old = self.doc.get_untracked();
        self.run.update_value(|r| r.restart(scenario.clone()));
        if old != scenario {
            self.undo.update_value(|u| u.push(old));
            self.redo.update_value(Vec::clear);
        }
        self.doc.set(scenario);
        self.selection.set(Selection::default());
        self.generation.update(|g| *g += 1);
        self.loaded.update(|g| *g += 1);
        self.refresh_history_flags();
        if !what.is_empty() {
            self.say(what);
        }
    }

    /// Restarts the run of the current design from time 0.
    pub fn reset(&self) {
        let doc = self.doc.get_untracked();
        self.run.update_value(|r| r.restart(doc));
        self.generation.update(|g| *g += 1);
        self.say("Simulation restarted from time 0");
    }

    // ---- editing operations ----

    /// Adds a node of `kind` with its top-left corner near `(x, y)`.
    pub fn add_node(&self, kind: NodeKind, x: f64, y: f64) -> Option<String> {
        if !self.may_change() {
            return None;
        }
        let doc = self.doc.get_untracked();
        let id = fresh_id(&doc, kind);
        // Dropped on (or partly over) another node: the nearest free spot instead.
        let (x, y) = free_spot(&doc, x, y);
        let node = default_node(&id, kind, x, y)?;
        if self.edit(Edit::AddNode { node }, &format!("Added {} \"{id}\"", kind.label())) {
            self.selection.set(Selection::node(&id));
            Some(id)
        } else {
            None
        }
    }

    /// Links `from` to `to` with a typical latency; refused with the reason when
    /// the connection makes no sense.
    pub fn connect(&self, from: &str, to: &str) -> bool {
        if !self.may_change() {
            return false;
        }
        let doc = self.doc.get_untracked();
        let (Some(a), Some(b)) = (doc.node_index(from), doc.node_index(to)) else { return false };
        let role = match scalelab_engine::check_link(&doc.nodes[a].spec, &doc.nodes[b].spec) {
            Ok(role) => role,
            Err(why) => {
                self.refuse(format!("Cannot connect {from} to {to}: {why}"));
                return false;
            }
        };
        let latency_ms = role.typical_latency_ms();
        let link = Link { from: from.into(), to: to.into(), latency_ms };
        let ok = self.edit(Edit::AddLink { link }, &format!("Connected {from} to {to}"));
        if ok {
            self.selection.set(Selection { nodes: vec![], link: Some((from.into(), to.into())) });
        } else if let Some(n) = self.notice.get_untracked() {
            self.refuse(format!("Cannot connect {from} to {to}: {}", n.text));
        }
        ok
    }

    /// Deletes the selected nodes (with their links) and the selected link, as
    /// one undo step.
    pub fn delete_selection(&self) {
        let sel = self.selection.get_untracked();
        if !self.may_change() {
            return;
        }
        if sel.is_empty() {
            self.say("Nothing selected to delete");
            return;
        }
        let mut doc = self.doc.get_untracked();
        if let Some((f, t)) = &sel.link {
            doc.links.retain(|l| !(&l.from == f && &l.to == t));
        }
        doc.nodes.retain(|n| !sel.nodes.contains(&n.id));
        doc.links.retain(|l| !sel.nodes.contains(&l.from) && !sel.nodes.contains(&l.to));
        let what = match (sel.nodes.len(), &sel.link) {
            (0, Some((f, t))) => format!("Deleted the link from {f} to {t}"),
            (1, _) => format!("Deleted {}", sel.nodes[0]),
            (n, _) => format!("Deleted {n} nodes"),
        };
        if let Err(e) = self.commit(doc, &what) {
            self.refuse(reason(&e));
        } else {
            self.selection.set(Selection::default());
        }
    }

    /// Moves nodes to new top-left positions (snapped), as one undo step.
    /// Moved onto other nodes, they land together at the nearest free spot
    /// (the diagram's drag, the arrow keys: every move comes here).
    pub fn move_nodes(&self, positions: &[(String, f64, f64)], what: &str) {
        if !self.may_change() {
            return;
        }
        let mut doc = self.doc.get_untracked();
        let targets: Vec<(usize, f64, f64)> =
            positions.iter().filter_map(|(id, x, y)| doc.node_index(id).map(|i| (i, snap(*x), snap(*y)))).collect();
        let moving: Vec<String> = targets.iter().map(|&(i, ..)| doc.nodes[i].id.clone()).collect();
        let boxes: Vec<(f64, f64)> = targets.iter().map(|&(_, x, y)| (x, y)).collect();
        // Where the first node is now: a move that does not fit goes on past
        // what is in the way, never back (an arrow key into a neighbour).
        let from = targets.first().map(|&(i, ..)| (doc.nodes[i].x.unwrap_or(0.0), doc.nodes[i].y.unwrap_or(0.0)));
        let (dx, dy) = free_offset(&doc, &boxes, &moving, from);
        for &(i, x, y) in &targets {
            doc.nodes[i].x = Some(x + dx);
            doc.nodes[i].y = Some(y + dy);
        }
        if let Err(e) = self.commit(doc, what) {
            self.refuse(reason(&e));
        }
    }

    pub fn copy(&self) {
        let sel = self.selection.get_untracked();
        if sel.nodes.is_empty() {
            self.say("Select nodes to copy");
            return;
        }
        let doc = self.doc.get_untracked();
        let nodes: Vec<Node> = doc.nodes.iter().filter(|n| sel.nodes.contains(&n.id)).cloned().collect();
        let links: Vec<Link> =
            doc.links.iter().filter(|l| sel.nodes.contains(&l.from) && sel.nodes.contains(&l.to)).cloned().collect();
        let n = nodes.len();
        self.clipboard.set_value(Some(Scenario { nodes, links, ..doc }));
        self.say(format!("Copied {n} node{}", if n == 1 { "" } else { "s" }));
    }

    /// Pastes the copied nodes (and the links among them) with fresh ids, as
    /// a group at the nearest free spot to the originals (next to them, never
    /// on top of them or of anything else); they become the selection.
    pub fn paste(&self) {
        if !self.may_change() {
            return;
        }
        let Some(clip) = self.clipboard.get_value() else {
            self.say("Nothing to paste: copy nodes first");
            return;
        };
        let mut doc = self.doc.get_untracked();
        let boxes: Vec<(f64, f64)> =
            clip.nodes.iter().map(|n| (snap(n.x.unwrap_or(0.0)), snap(n.y.unwrap_or(0.0)))).collect();
        let (dx, dy) = free_offset(&doc, &boxes, &[], None);
        let mut renamed = Vec::new();
        for (node, (x, y)) in clip.nodes.iter().zip(boxes) {
            let mut copy = node.clone();
            copy.id = fresh_id(&doc, node.spec.kind());
            copy.x = Some(x + dx);
            copy.y = Some(y + dy);
            renamed.push((node.id.clone(), copy.id.clone()));
            doc.nodes.push(copy);
        }
        let new_id = |old: &str| renamed.iter().find(|(o, _)| o == old).map(|(_, n)| n.clone());
        for link in &clip.links {
            if let (Some(from), Some(to)) = (new_id(&link.from), new_id(&link.to)) {
                doc.links.push(Link { from, to, latency_ms: link.latency_ms });
            }
        }
        let ids: Vec<String> = renamed.into_iter().map(|(_, n)| n).collect();
        match self.commit(doc, &format!("Pasted {}", ids.join(", "))) {
            Ok(()) => self.selection.set(Selection { nodes: ids, link: None }),
            Err(e) => self.refuse(reason(&e)),
        }
    }

    pub fn duplicate(&self) {
        if !self.may_change() {
            return;
        }
        self.copy();
        self.paste();
    }

    /// The node with this id in the document.
    pub fn node(&self, id: &str) -> Option<Node> {
        self.doc.with_untracked(|d| d.node_index(id).map(|i| d.nodes[i].clone()))
    }
}

/// The user-facing reason of a refused edit.
pub fn reason(e: &EditError) -> String {
    match e {
        EditError::Invalid(issues) => issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

pub fn snap(v: f64) -> f64 {
    (v / GRID).round() * GRID
}

/// The least room kept between two node boxes: half a grid step, so that
/// nodes snapped to neighbouring places (160 apart across, 80 down) still fit.
pub const GAP: f64 = GRID / 2.0;
/// How far (in grid steps, each way) a free spot is looked for before the
/// nodes are put to the right of everything instead.
const SEARCH_STEPS: i32 = 40;

/// Whether node boxes with top-left corners `a` and `b` overlap, or come
/// closer than [`GAP`]; touching or partly covering counts.
pub fn boxes_clash(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).abs() < NODE_W + GAP - 1e-9 && (a.1 - b.1).abs() < NODE_H + GAP - 1e-9
}

/// The grid offsets to try, nearest first (ties: below, then right, then
/// above, then left, so a copy lands under its original when there is room).
fn offsets_nearest_first() -> &'static [(i32, i32)] {
    static OFFSETS: std::sync::OnceLock<Vec<(i32, i32)>> = std::sync::OnceLock::new();
    OFFSETS.get_or_init(|| {
        let n = SEARCH_STEPS;
        let mut all: Vec<(i32, i32)> = (-n..=n).flat_map(|i| (-n..=n).map(move |j| (i, j))).collect();
        let key = |&(i, j): &(i32, i32)| (i * i + j * j, j < 0, i < 0, j.abs(), i.abs());
        scalelab_engine::order::sort_by(&mut all, |a, b| key(a).cmp(&key(b)));
        all
    })
}

/// The offset (a whole number of grid steps) that moves the node boxes at
/// `boxes` (top-left corners) to the nearest place where none of them clashes
/// with a node of `doc` other than those in `moving`. Boxes keep their places
/// relative to one another. For a move, `from` is where the first box is now:
/// the place found is then further along the move than that (an arrow key
/// pressed into a neighbour hops past it rather than going back or sideways).
/// When nothing near is free, the offset puts them just right of every node,
/// which always is.
pub fn free_offset(doc: &Scenario, boxes: &[(f64, f64)], moving: &[String], from: Option<(f64, f64)>) -> (f64, f64) {
    let others: Vec<(f64, f64)> = doc
        .nodes
        .iter()
        .filter(|n| !moving.contains(&n.id))
        .map(|n| (n.x.unwrap_or(0.0), n.y.unwrap_or(0.0)))
        .collect();
    let asked = match (from, boxes.first()) {
        (Some(f), Some(b)) if (b.0, b.1) != f => Some((b.0 - f.0, b.1 - f.1)),
        _ => None,
    };
    let fits = |dx: f64, dy: f64| {
        let onwards = asked.is_none_or(|(ax, ay)| (ax + dx) * ax + (ay + dy) * ay > 0.0);
        onwards && boxes.iter().all(|&(x, y)| others.iter().all(|&o| !boxes_clash((x + dx, y + dy), o)))
    };
    for &(i, j) in offsets_nearest_first() {
        let (dx, dy) = (f64::from(i) * GRID, f64::from(j) * GRID);
        if fits(dx, dy) {
            return (dx, dy);
        }
    }
    // Right of everything: every box is further right than any other node's edge.
    let right = others.iter().map(|o| o.0 + NODE_W + GAP).fold(f64::NEG_INFINITY, f64::max);
    let left = boxes.iter().map(|b| b.0).fold(f64::INFINITY, f64::min);
    ((((right - left) / GRID).ceil() * GRID).max(GRID), 0.0)
}

/// The nearest spot to `(x, y)`, snapped to the grid, where a new node clashes
/// with none (palette drops and clicks, the keyboard's add-in-view).
pub fn free_spot(doc: &Scenario, x: f64, y: f64) -> (f64, f64) {
    let (x, y) = (snap(x), snap(y));
    let (dx, dy) = free_offset(doc, &[(x, y)], &[], None);
    (x + dx, y + dy)
}

/// `web-3`: the first free number for this kind.
pub fn fresh_id(doc: &Scenario, kind: NodeKind) -> String {
    let prefix = kind.id_prefix();
    (1..).map(|n| format!("{prefix}-{n}")).find(|id| doc.node_index(id).is_none()).expect("some number is free")
}

/// A node of `kind` with the engine's defaults and the settings the kind
/// places new nodes with (`About::placed`: machines at a priced size, a web
/// server's bounded queue and timeout). It goes through the same parser as a
/// file, so the defaults live in one place.
pub fn default_node(id: &str, kind: NodeKind, x: f64, y: f64) -> Option<Node> {
    let mut node = json!({"id": id, "kind": kind.name(), "x": x, "y": y});
    let placed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(kind.about().placed).ok()?;
    node.as_object_mut()?.extend(placed);
    let doc = json!({"version": scalelab_engine::scenario::FORMAT_VERSION, "nodes": [node], "links": []});
    Scenario::from_json(&doc.to_string()).ok().map(|mut s| s.nodes.remove(0))
}

/// Gives nodes without a position one: a column per tier, left to right.
pub fn lay_out_missing(s: &mut Scenario) {
    let mut rows = [0usize; 5];
    for node in &mut s.nodes {
        if node.x.is_some() && node.y.is_some() {
            continue;
        }
        let col = usize::from(node.spec.kind().about().column).min(rows.len() - 1);
        node.x = Some(40.0 + col as f64 * 220.0);
        node.y = Some(40.0 + rows[col] as f64 * 100.0);
        rows[col] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scalelab_engine::scenario::NodeSpec;

    #[test]
    fn fresh_ids_and_defaults_come_from_the_engine() {
        let doc = Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap();
        assert_eq!(fresh_id(&doc, NodeKind::WebServer), "web-3");
        assert_eq!(fresh_id(&doc, NodeKind::LoadBalancer), "lb-1");
        let n = default_node("web-3", NodeKind::WebServer, 40.0, 60.0).unwrap();
        assert_eq!(n.spec.kind(), NodeKind::WebServer);
        assert_eq!((n.x, n.y), (Some(40.0), Some(60.0)));
        // Every kind in the palette makes a node the engine takes, with an id of its own.
        for kind in NodeKind::ALL {
            let id = fresh_id(&doc, kind);
            assert!(id.starts_with(kind.id_prefix()) && doc.node_index(&id).is_none(), "{id}");
            assert_eq!(default_node(&id, kind, 0.0, 0.0).map(|n| n.spec.kind()), Some(kind));
        }
        assert!(default_node("not an id", NodeKind::Cache, 0.0, 0.0).is_none());
    }

    /// Users at `rps` straight into one web server, both as the palette
    /// makes them, for 30 simulated seconds.
    fn palette_design(rps: f64) -> scalelab_engine::Report {
        let mut users = default_node("users", NodeKind::Users, 0.0, 0.0).unwrap();
        if let NodeSpec::Users(u) = &mut users.spec {
            u.rate = scalelab_engine::scenario::Rate::Rps { rps };
        }
        let web = default_node("web-1", NodeKind::WebServer, 220.0, 0.0).unwrap();
        let mut doc = Scenario::from_json(r#"{"version": 2, "duration_s": 30, "nodes": [], "links": []}"#).unwrap();
        doc.nodes = vec![users, web];
        doc.links = vec![scalelab_engine::scenario::Link { from: "users".into(), to: "web-1".into(), latency_ms: 0.0 }];
        let doc = Scenario::from_json(&serde_json::to_string(&doc).unwrap()).unwrap();
        let mut sim = scalelab_engine::Simulation::new(doc);
        sim.run_to_end();
        assert!(!sim.take_snapshot().in_flight_cap_reached);
        sim.report()
    }

    #[test]
    fn an_overloaded_palette_web_server_turns_requests_away_instead_of_queueing_for_ever() {
        use scalelab_engine::Cause;
        // A "large" server: 4 workers at 10 ms, 400 requests/s. Before its
        // queue was bounded, 2,300 requests/s gave a p99 of tens of seconds
        // and no errors at all (36,000/s: the simulator's cap).
        for rps in [2_300.0, 36_000.0] {
            let r = palette_design(rps);
            let q = &r.requests;
            let ended = (q.ok + q.failed.total()) as f64;
            let rejected = q.failed.get(Cause::Rejected) as f64;
            eprintln!("{rps}/s: {q:?}, p99 {} ms", r.latency_ms.p99);
            // About 400 of every rps served: the rest turned away at once.
            let expected = 1.0 - 400.0 / rps;
            assert!(
                (rejected / ended - expected).abs() < 0.02,
                "{rps}/s: rejected {:.3}, expected about {expected:.3}",
                rejected / ended
            );
            assert_eq!(q.failed.total(), q.failed.get(Cause::Rejected), "{rps}/s: only rejections: {q:?}");
            // A full queue of 500 drains in 1.25 s: that is the longest wait,
            // well inside the 3 s timeout and the users' 10 s.
            let (queue_limit, timeout_ms) = palette_web_limits();
            assert!(r.latency_ms.p99 < 1_500.0 && r.latency_ms.max < timeout_ms, "{rps}/s: {:?}", r.latency_ms);
            assert!(q.in_flight <= u64::from(queue_limit) + 4, "{rps}/s: {q:?}");
        }
    }

    /// The queue limit and timeout of a web server from the palette.
    fn palette_web_limits() -> (u32, f64) {
        let NodeSpec::WebServer(w) = default_node("w", NodeKind::WebServer, 0.0, 0.0).unwrap().spec else { panic!() };
        (w.station.queue_limit.unwrap(), w.station.timeout_ms.unwrap())
    }

    #[test]
    fn the_palette_says_what_its_defaults_are() {
        let web = NodeKind::WebServer.blurb();
        let (queue_limit, timeout_ms) = palette_web_limits();
        assert_eq!((queue_limit, timeout_ms), (500, 3_000.0));
        assert!(
            web.contains(&format!("{queue_limit} waiting")) && web.contains(&format!("{} s", timeout_ms / 1000.0)),
            "{web}"
        );
        let users = NodeKind::Users.blurb();
        assert!(
            users.contains(&format!("after {} s", scalelab_engine::scenario::DEFAULT_CLIENT_TIMEOUT_MS / 1000.0)),
            "{users}"
        );
    }

    fn clashes(doc: &Scenario) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (k, a) in doc.nodes.iter().enumerate() {
            for b in &doc.nodes[k + 1..] {
                if boxes_clash((a.x.unwrap(), a.y.unwrap()), (b.x.unwrap(), b.y.unwrap())) {
                    out.push((a.id.clone(), b.id.clone()));
                }
            }
        }
        out
    }

    fn at(doc: &Scenario, id: &str) -> (f64, f64) {
        let n = &doc.nodes[doc.node_index(id).unwrap()];
        (n.x.unwrap(), n.y.unwrap())
    }

    #[test]
    fn boxes_clash_when_they_overlap_or_nearly_touch() {
        assert!(boxes_clash((0.0, 0.0), (0.0, 0.0)));
        assert!(boxes_clash((0.0, 0.0), (140.0, 60.0)), "a corner over a corner");
        assert!(boxes_clash((0.0, 0.0), (NODE_W, 0.0)), "edge to edge leaves no room");
        assert!(!boxes_clash((0.0, 0.0), (160.0, 0.0)), "the next place across on the grid");
        assert!(!boxes_clash((0.0, 0.0), (0.0, 80.0)), "the next place down on the grid");
        assert!(!boxes_clash((0.0, 0.0), (-160.0, -80.0)));
    }

    #[test]
    fn a_node_dropped_on_or_partly_over_another_lands_at_the_nearest_free_spot() {
        let doc = Scenario::from_json(crate::base::builtin::STARTER_SCENARIO).unwrap();
        let (bx, by) = at(&doc, "db");
        // Somewhere empty: just snapped.
        assert_eq!(free_spot(&doc, -1003.0, -1011.0), (-1000.0, -1020.0));
        for (dx, dy) in [(0.0, 0.0), (100.0, 30.0), (-120.0, -50.0), (70.0, -60.0), (7.0, 3.0), (149.0, 63.0)] {
            let (x, y) = free_spot(&doc, bx + dx, by + dy);
            assert_eq!((x, y), (snap(x), snap(y)), "on the grid");
            assert!(
                doc.nodes.iter().all(|n| !boxes_clash((x, y), (n.x.unwrap(), n.y.unwrap()))),
                "({dx}, {dy}) landed at ({x}, {y}) on a node"
            );
            // Nearest: no grid place closer to the snapped drop point is free.
            let (sx, sy) = (snap(bx + dx), snap(by + dy));
            let d2 = (x - sx).powi(2) + (y - sy).powi(2);
            for i in -20..=20 {
                for j in -20..=20 {
                    let (cx, cy) = (sx + f64::from(i) * GRID, sy + f64::from(j) * GRID);
                    if (cx - sx).powi(2) + (cy - sy).powi(2) < d2 - 1e-9 {
                        assert!(
                            doc.nodes.iter().any(|n| boxes_clash((cx, cy), (n.x.unwrap(), n.y.unwrap()))),
                            "({cx}, {cy}) was free and nearer than ({x}, {y})"
                        );
                    }
                }
            }
        }
        // Right on a node: the place straight below it, when that is free.
        let lone = Scenario::from_json(
            r#"{"version": 2, "nodes": [{"id": "a", "kind": "cache", "x": 100, "y": 100}], "links": []}"#,
        )
        .unwrap();
        assert_eq!(free_spot(&lone, 100.0, 100.0), (100.0, 180.0));
    }

    #[test]
    fn a_group_settles_together_and_a_move_does_not_settle_back_where_it_was() {
        let doc = Scenario::from_json(
            r#"{"version": 2, "nodes": [
                {"id": "a", "kind": "cache", "x": 0, "y": 0},
                {"id": "b", "kind": "cache", "x": 0, "y": 100},
                {"id": "c", "kind": "cache", "x": 400, "y": 0}], "links": []}"#,
        )
        .unwrap();
        let moving = vec!["a".to_string(), "b".to_string()];
        // a and b dragged 380 to the right, a onto c: both shift by one offset.
        let boxes = [(380.0, 0.0), (380.0, 100.0)];
        let (dx, dy) = free_offset(&doc, &boxes, &moving, Some((0.0, 0.0)));
        for b in boxes {
            assert!(!boxes_clash((b.0 + dx, b.1 + dy), (400.0, 0.0)), "offset ({dx}, {dy})");
        }
        // An arrow key pushing a into b right under it: without the rule it
        // would settle back where it came from; with it, it hops past b
        // (not sideways, as a free place beside its target is nearer).
        let stacked = Scenario::from_json(
            r#"{"version": 2, "nodes": [{"id": "a", "kind": "cache", "x": 0, "y": 0}, {"id": "b", "kind": "cache", "x": 0, "y": 80}], "links": []}"#,
        )
        .unwrap();
        let a = vec!["a".to_string()];
        assert_eq!(free_offset(&stacked, &[(0.0, 20.0)], &a, None), (0.0, -20.0));
        assert_eq!(free_offset(&stacked, &[(0.0, 20.0)], &a, Some((0.0, 0.0))), (0.0, 140.0));
        // Dragged a long way, partly onto c: it lands just under c, where it
        // was dropped, not back home.
        assert_eq!(free_offset(&doc, &[(380.0, 20.0)], &a, Some((0.0, 0.0))), (0.0, 60.0));
    }

    #[test]
    fn with_no_room_near_the_nodes_go_right_of_everything() {
        // A wall of nodes wider and taller than the search (40 grid steps each
        // way, and a box more): 14 across, 26 down around the drop point.
        let mut doc = Scenario::from_json(r#"{"version": 2, "nodes": [], "links": []}"#).unwrap();
        for i in 0..14 {
            for j in 0..26 {
                let id = format!("n{i}-{j}");
                doc.nodes.push(
                    default_node(&id, NodeKind::Cache, f64::from(i) * 160.0 - 1040.0, f64::from(j) * 80.0 - 1040.0)
                        .unwrap(),
                );
            }
        }
        let (x, y) = free_spot(&doc, 0.0, 0.0);
        assert!(doc.nodes.iter().all(|n| !boxes_clash((x, y), (n.x.unwrap(), n.y.unwrap()))), "({x}, {y})");
        assert_eq!(y, 0.0);
        assert!(x >= 13.0 * 160.0 - 1040.0 + NODE_W, "{x}");
    }

    #[test]
    fn dropping_duplicating_pasting_and_moving_never_leave_nodes_on_one_another() {
        let doc = crate::lessons::scenario(4).unwrap().clone();
        let editor = Editor::new(doc);
        let d = editor.doc.get_untracked();
        assert!(clashes(&d).is_empty(), "lesson 4 starts tidy: {:?}", clashes(&d));
        let (lx, ly) = at(&d, "lb");
        // A palette drop right on the balancer, and one partly over it.
        editor.add_node(NodeKind::Cache, lx, ly).unwrap();
        editor.add_node(NodeKind::Cache, lx + 90.0, ly + 25.0).unwrap();
        assert!(clashes(&editor.doc.get_untracked()).is_empty(), "{:?}", clashes(&editor.doc.get_untracked()));
        // Duplicated twice: next to the original, then next to the copy.
        let web = d.nodes.iter().find(|n| n.spec.kind() == NodeKind::WebServer).unwrap().id.clone();
        editor.selection.set(Selection::node(&web));
        editor.duplicate();
        let first = editor.selection.get_untracked().nodes[0].clone();
        editor.duplicate();
        let second = editor.selection.get_untracked().nodes[0].clone();
        let now = editor.doc.get_untracked();
        assert_eq!(now.nodes.len(), d.nodes.len() + 4);
        assert!(clashes(&now).is_empty(), "{:?}", clashes(&now));
        let dist = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        assert!(dist(at(&now, &first), at(&now, &web)) <= 4.0 * (NODE_W + GAP), "the copy is near its original");
        assert!(dist(at(&now, &second), at(&now, &first)) <= 4.0 * (NODE_W + GAP));
        // Pasted twice more, and every node dragged onto its neighbour.
        editor.copy();
        editor.paste();
        editor.paste();
        let ids: Vec<String> = editor.doc.get_untracked().nodes.iter().map(|n| n.id.clone()).collect();
        for (a, b) in ids.iter().zip(ids.iter().skip(1)) {
            let (x, y) = at(&editor.doc.get_untracked(), b);
            editor.move_nodes(&[(a.clone(), x + 30.0, y + 10.0)], "moved");
            let now = editor.doc.get_untracked();
            assert!(clashes(&now).is_empty(), "{a} onto {b}: {:?}", clashes(&now));
        }
    }

    #[test]
    fn layout_fills_only_missing_positions() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/engine/scenarios/design-example.json"))
                .unwrap();
        let mut s = Scenario::from_json(&text).unwrap();
        s.nodes[0].x = Some(500.0);
        s.nodes[0].y = Some(500.0);
        lay_out_missing(&mut s);
        assert_eq!((s.nodes[0].x, s.nodes[0].y), (Some(500.0), Some(500.0)));
        assert_eq!((s.nodes[1].x, s.nodes[1].y), (Some(260.0), Some(40.0)));
        assert_eq!((s.nodes[2].x, s.nodes[2].y), (Some(480.0), Some(40.0)));
    }
}
