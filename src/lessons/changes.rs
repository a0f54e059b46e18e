//! What changed from one lesson step to the next, in words, for the lesson
//! panel ("Added: load balancer lb, web server web-2"), naming kinds by the
//! engine's kind table.

use crate::base::format;
use scalelab_engine::scenario::{NodeSpec, Rate};
use scalelab_engine::{Edit, Scenario};

/// What changed from `prev` to `this`, in a few lines of words:
/// "Added: load balancer lb, web server web-2".
pub fn changes(prev: &Scenario, this: &Scenario) -> Vec<String> {
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    let (mut links_added, mut links_removed) = (0, 0);
    let label = |s: &Scenario, id: &str| {
        s.node_index(id).map(|i| format!("{} {id}", s.nodes[i].spec.kind().label())).unwrap_or_else(|| id.to_string())
    };
    for edit in scalelab_engine::diff(prev, this) {
        match edit {
            Edit::AddNode { node } => added.push(label(this, &node.id)),
            Edit::RemoveNode { id } => removed.push(label(prev, &id)),
            Edit::UpdateNode { node } => {
                if matches!(node.spec, NodeSpec::Users(_)) {
                    continue; // said below, as traffic
                }
                let Some(old) = prev.node_index(&node.id).map(|i| &prev.nodes[i]) else { continue };
                let fields = changed_fields(old, &node);
                if !fields.is_empty() {
                    changed.push(format!("{} ({})", label(this, &node.id), fields.join(", ")));
                }
            }
            Edit::AddLink { .. } => links_added += 1,
            Edit::RemoveLink { .. } => links_removed += 1,
            _ => {}
        }
    }
    let mut out = Vec::new();
    let traffic = |s: &Scenario| {
        s.nodes.iter().find_map(|n| match &n.spec {
            NodeSpec::Users(u) => Some(u.rate),
            _ => None,
        })
    };
    match (traffic(prev), traffic(this)) {
        (Some(a), Some(b)) if a != b => out.push(format!("Traffic: {} → {}", rate_words(a), rate_words(b))),
        _ => {}
    }
    if !added.is_empty() {
        out.push(format!("Added: {}", added.join(", ")));
    }
    if !removed.is_empty() {
        out.push(format!("Removed: {}", removed.join(", ")));
    }
    if !changed.is_empty() {
        out.push(format!("Changed: {}", changed.join("; ")));
    }
    let dcs: Vec<&str> = this
        .data_centers
        .iter()
        .filter(|d| !prev.data_centers.iter().any(|p| p.id == d.id))
        .map(|d| d.id.as_str())
        .collect();
    if !dcs.is_empty() {
        out.push(format!("New data centers: {}", dcs.join(", ")));
    }
    if prev.alerts != this.alerts {
        out.push("Alert rules changed".to_string());
    }
    if prev.faults != this.faults && !this.faults.is_empty() {
        out.push(format!("Scripted faults: {}", this.faults.len()));
    }
    match (links_added, links_removed) {
        (0, 0) => {}
        (a, 0) => out.push(format!("Links: {a} added")),
        (0, r) => out.push(format!("Links: {r} removed")),
        (a, r) => out.push(format!("Links: {a} added, {r} removed")),
    }
    out
}

fn rate_words(r: Rate) -> String {
    match r {
        Rate::Users { dau, .. } => format!("{} daily users", format::number(dau)),
        Rate::Rps { rps } => format!("{} requests/s", format::number(rps)),
    }
}

/// The settings of a node that differ (not its place on the diagram).
fn changed_fields(old: &scalelab_engine::scenario::Node, new: &scalelab_engine::scenario::Node) -> Vec<String> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) = (old.to_value(), new.to_value()) else {
        return Vec::new();
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).filter(|k| !matches!(k.as_str(), "x" | "y" | "id")).collect();
    scalelab_engine::order::sort(&mut keys);
    keys.dedup();
    let changed: Vec<&str> = keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).map(String::as_str).collect();
    changed
        .iter()
        // A new machine size brings its worker count along: say the size.
        .filter(|k| !(**k == "workers" && changed.contains(&"size")))
        .map(|k| match *k {
            "dc" => "data center".to_string(),
            "ttl_s" => "TTL".to_string(),
            other => other.replace('_', " "),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lessons::{scenario, COUNT};

    #[test]
    fn changes_are_said_in_words() {
        let three = scenario(3).unwrap();
        let four = scenario(4).unwrap();
        let lines = changes(three, four);
        let all = lines.join("\n");
        assert!(all.contains("Traffic: 100,000 daily users → 250,000 daily users"), "{all}");
        assert!(all.contains("Added: ") && all.contains("load balancer lb"), "{all}");
        assert!(all.contains("web server web-2"), "{all}");
        // Every lesson after the first says something changed.
        for n in 2..=COUNT as u32 {
            assert!(!changes(scenario(n - 1).unwrap(), scenario(n).unwrap()).is_empty(), "lesson {n}");
        }
        assert!(changes(four, four).is_empty());
    }
}
