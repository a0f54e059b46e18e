//! The diagram editor: the document (a scenario), the selection, undo/redo, and
//! the one way every change goes through ([`Editor::commit`]).
//!
//! The document is the source of truth for the diagram; the running engine is
//! brought to it with `Simulation::sync_to`, which applies the difference as
//! live edits. Every edit is checked by the engine before anything changes, so
//! a refused change leaves both the diagram and the run as they were.

pub mod diagram;
pub mod inspector;
pub mod node_actions;
pub mod palette;

use crate::runner::Runner;
use leptos::prelude::*;
use scalelab_engine::scenario::{Link, Node, NodeSpec, Scenario};
use scalelab_engine::{edited, Edit, EditError, Simulation};
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
    pub runner: StoredValue<Runner, LocalStorage>,
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
        let runner = Runner::new(Simulation::new(scenario.clone()));
        Editor {
            doc: RwSignal::new(scenario),
            selection: RwSignal::new(Selection::default()),
            notice: RwSignal::new(None),
            announcement: RwSignal::new(String::new()),
            connecting_from: RwSignal::new(None),
            runner: StoredValue::new_local(runner),
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
        self.runner.try_update_value(|r| r.sim.sync_to(&new)).unwrap_or(Ok(()))?;
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
        match self.runner.try_update_value(|r| r.sim.sync_to(&target)).unwrap_or(Ok(())) {
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
        let speed = self.runner.with_value(|r| r.speed);
        let mut runner = Runner::new(Simulation::new(scenario.clone()));
        runner.speed = speed;
        self.runner.set_value(runner);
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
        let speed = self.runner.with_value(|r| r.speed);
        let mut runner = Runner::new(Simulation::new(doc));
        runner.speed = speed;
        self.runner.set_value(runner);
        self.generation.update(|g| *g += 1);
        self.say("Simulation restarted from time 0");
    }

    // ---- editing operations ----

    /// Adds a node of `kind` with its top-left corner near `(x, y)`.
    pub fn add_node(&self, kind: &str, x: f64, y: f64) -> Option<String> {
        if !self.may_change() {
            return None;
        }
        let doc = self.doc.get_untracked();
        let id = fresh_id(&doc, kind);
        let node = default_node(&id, kind, snap(x), snap(y))?;
        if self.edit(Edit::AddNode { node }, &format!("Added {} \"{id}\"", kind_label(kind))) {
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
        if let Err(why) = scalelab_engine::check_link(&doc.nodes[a].spec, &doc.nodes[b].spec) {
            self.refuse(format!("Cannot connect {from} to {to}: {why}"));
            return false;
        }
        let latency_ms = scalelab_engine::typical_latency_ms(&doc.nodes[a].spec, &doc.nodes[b].spec);
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
    pub fn move_nodes(&self, positions: &[(String, f64, f64)], what: &str) {
        if !self.may_change() {
            return;
        }
        let mut doc = self.doc.get_untracked();
        for (id, x, y) in positions {
            if let Some(i) = doc.node_index(id) {
                doc.nodes[i].x = Some(snap(*x));
                doc.nodes[i].y = Some(snap(*y));
            }
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

    /// Pastes the copied nodes (and the links among them) with fresh ids,
    /// offset so they do not sit on the originals; they become the selection.
    pub fn paste(&self) {
        if !self.may_change() {
            return;
        }
        let Some(clip) = self.clipboard.get_value() else {
            self.say("Nothing to paste: copy nodes first");
            return;
        };
        let mut doc = self.doc.get_untracked();
        let mut renamed = Vec::new();
        for node in &clip.nodes {
            let mut copy = node.clone();
            copy.id = fresh_id(&doc, node.spec.kind_name());
            copy.x = Some(node.x.unwrap_or(0.0) + 2.0 * GRID);
            copy.y = Some(node.y.unwrap_or(0.0) + 2.0 * GRID);
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
        EditError::Invalid(issues) => {
            issues.iter().map(|i| i.message.clone()).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

pub fn snap(v: f64) -> f64 {
    (v / GRID).round() * GRID
}

/// Short prefix for generated ids.
fn id_prefix(kind: &str) -> &'static str {
    match kind {
        "users" => "users",
        "load_balancer" => "lb",
        "web_server" => "web",
        "cache" => "cache",
        "database" => "db",
        "queue" => "queue",
        "workers" => "workers",
        "shard_router" => "shards",
        "nosql" => "nosql",
        "dns" => "dns",
        "cdn" => "cdn",
        _ => "node",
    }
}

/// `web-3`: the first free number for this kind.
pub fn fresh_id(doc: &Scenario, kind: &str) -> String {
    let prefix = id_prefix(kind);
    (1..).map(|n| format!("{prefix}-{n}")).find(|id| doc.node_index(id).is_none()).expect("some number is free")
}

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "users" => "users",
        "load_balancer" => "load balancer",
        "web_server" => "web server",
        "cache" => "cache",
        "database" => "database",
        "queue" => "message queue",
        "workers" => "workers",
        "shard_router" => "shard router",
        "nosql" => "NoSQL store",
        "dns" => "DNS",
        "cdn" => "CDN",
        _ => "node",
    }
}

/// Waiting requests a web server from the palette holds (its `queue_limit`).
pub const WEB_QUEUE_LIMIT: u32 = 500;
/// How long a web server from the palette gives a request (its `timeout_ms`).
pub const WEB_TIMEOUT_MS: f64 = 3_000.0;

/// A node of `kind` with the engine's defaults (it goes through the same
/// parser as a file, so the defaults live in one place).
pub fn default_node(id: &str, kind: &str, x: f64, y: f64) -> Option<Node> {
    let mut node = json!({"id": id, "kind": kind, "x": x, "y": y});
    match kind {
        "users" => node["dau"] = json!(10_000), // 100 requests/s at peak with the default habits
        // Machines start at a priced size (4 and 8 vCPU: the parser's default workers).
        // A web server's queue and timeout are bounded, as in the lessons and
        // in life: past its capacity it turns requests away and gives up on
        // slow ones, so overload shows as errors within seconds rather than
        // as an ever longer wait (a file may still ask for `null`: unbounded).
        "web_server" => {
            node["size"] = json!("large");
            node["queue_limit"] = json!(WEB_QUEUE_LIMIT);
            node["timeout_ms"] = json!(WEB_TIMEOUT_MS);
        }
        "database" => node["size"] = json!("xlarge"),
        "workers" => node["size"] = json!("large"),
        _ => {}
    }
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
        let col = match node.spec {
            NodeSpec::Users(_) => 0,
            NodeSpec::LoadBalancer(_) | NodeSpec::Dns(_) | NodeSpec::Cdn(_) => 1,
            NodeSpec::WebServer(_) => 2,
            NodeSpec::Cache(_) | NodeSpec::Queue(_) | NodeSpec::ShardRouter(_) => 3,
            NodeSpec::Database(_) | NodeSpec::Workers(_) | NodeSpec::Nosql(_) => 4,
        };
        node.x = Some(40.0 + col as f64 * 220.0);
        node.y = Some(40.0 + rows[col] as f64 * 100.0);
        rows[col] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_ids_and_defaults_come_from_the_engine() {
        let doc = Scenario::from_json(crate::builtin::STARTER_SCENARIO).unwrap();
        assert_eq!(fresh_id(&doc, "web_server"), "web-3");
        assert_eq!(fresh_id(&doc, "load_balancer"), "lb-1");
        let n = default_node("web-3", "web_server", 40.0, 60.0).unwrap();
        assert_eq!(n.spec.kind_name(), "web_server");
        assert_eq!((n.x, n.y), (Some(40.0), Some(60.0)));
        assert!(default_node("x", "teapot", 0.0, 0.0).is_none());
    }

    /// Users at `rps` straight into one web server, both as the palette
    /// makes them, for 30 simulated seconds.
    fn palette_design(rps: f64) -> scalelab_engine::Report {
        let mut users = default_node("users", "users", 0.0, 0.0).unwrap();
        if let NodeSpec::Users(u) = &mut users.spec {
            u.rate = scalelab_engine::scenario::Rate::Rps { rps };
        }
        let web = default_node("web-1", "web_server", 220.0, 0.0).unwrap();
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
            assert!((rejected / ended - expected).abs() < 0.02, "{rps}/s: rejected {:.3}, expected about {expected:.3}", rejected / ended);
            assert_eq!(q.failed.total(), q.failed.get(Cause::Rejected), "{rps}/s: only rejections: {q:?}");
            // A full queue of 500 drains in 1.25 s: that is the longest wait,
            // well inside the 3 s timeout and the users' 10 s.
            assert!(r.latency_ms.p99 < 1_500.0 && r.latency_ms.max < WEB_TIMEOUT_MS, "{rps}/s: {:?}", r.latency_ms);
            assert!(q.in_flight <= u64::from(WEB_QUEUE_LIMIT) + 4, "{rps}/s: {q:?}");
        }
    }

    #[test]
    fn the_palette_says_what_its_defaults_are() {
        let about = |kind: &str| super::palette::ENTRIES.iter().find(|e| e.0 == kind).unwrap().2;
        let web = about("web_server");
        assert!(web.contains(&format!("{WEB_QUEUE_LIMIT} waiting")) && web.contains(&format!("{} s", WEB_TIMEOUT_MS / 1000.0)), "{web}");
        let users = about("users");
        assert!(users.contains(&format!("after {} s", scalelab_engine::scenario::DEFAULT_CLIENT_TIMEOUT_MS / 1000.0)), "{users}");
        let NodeSpec::WebServer(w) = default_node("w", "web_server", 0.0, 0.0).unwrap().spec else { panic!() };
        assert_eq!((w.station.queue_limit, w.station.timeout_ms), (Some(WEB_QUEUE_LIMIT), Some(WEB_TIMEOUT_MS)));
    }

    #[test]
    fn layout_fills_only_missing_positions() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/engine/scenarios/design-example.json")).unwrap();
        let mut s = Scenario::from_json(&text).unwrap();
        s.nodes[0].x = Some(500.0);
        s.nodes[0].y = Some(500.0);
        lay_out_missing(&mut s);
        assert_eq!((s.nodes[0].x, s.nodes[0].y), (Some(500.0), Some(500.0)));
        assert_eq!((s.nodes[1].x, s.nodes[1].y), (Some(260.0), Some(40.0)));
        assert_eq!((s.nodes[2].x, s.nodes[2].y), (Some(480.0), Some(40.0)));
    }
}
