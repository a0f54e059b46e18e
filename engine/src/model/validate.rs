//! Checks that need the whole scenario: unique ids, links between existing nodes,
//! and links that make sense (users cannot call a database directly).

use crate::base::limits::MAX_ID_LEN;
use crate::model::error::Issue;
use crate::model::kinds::LinkRole;
use crate::model::scenario::{Node, NodeSpec, Scenario};
use std::collections::HashMap;

/// Whether node `from` may send requests to node `to`, and in what role
/// ([`NodeKind::link_to`](crate::model::kinds::NodeKind::link_to)). `Err` carries the
/// reason, worded for the user; the editor shows it too.
pub fn check_link(from: &NodeSpec, to: &NodeSpec) -> Result<LinkRole, &'static str> {
    from.kind().link_to(to.kind())
}

pub(crate) fn validate_graph(s: &Scenario, issues: &mut Vec<Issue>) {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, node) in s.nodes.iter().enumerate() {
        let path = format!("nodes[{i}].id");
        if node.id.is_empty() {
            issues.push(Issue { path, message: "must not be empty".into() });
        } else if node.id.chars().count() > MAX_ID_LEN {
            issues.push(Issue { path, message: format!("must be at most {MAX_ID_LEN} characters") });
        } else if !node.id.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.') {
            issues.push(Issue {
                path,
                message: format!("\"{}\" may use only letters, digits, '_', '-' and '.'", node.id),
            });
        } else if let Some(first) = index.insert(node.id.as_str(), i) {
            index.insert(node.id.as_str(), first);
            issues.push(Issue {
                path,
                message: format!("\"{}\" is already the id of nodes[{first}]; ids must be unique", node.id),
            });
        }
    }

    // For each database, the database it replicates (its primary).
    let mut primary_of: Vec<Option<usize>> = vec![None; s.nodes.len()];
    let mut seen: HashMap<(usize, usize), usize> = HashMap::new();
    for (i, link) in s.links.iter().enumerate() {
        let from = lookup(&index, &link.from, &format!("links[{i}].from"), issues);
        let to = lookup(&index, &link.to, &format!("links[{i}].to"), issues);
        let (Some(from), Some(to)) = (from, to) else { continue };
        if from == to {
            issues
                .push(Issue { path: format!("links[{i}]"), message: format!("\"{}\" is linked to itself", link.from) });
            continue;
        }
        let role = match check_link(&s.nodes[from].spec, &s.nodes[to].spec) {
            Ok(role) => role,
            Err(reason) => {
                issues.push(Issue { path: format!("links[{i}]"), message: reason.to_string() });
                continue;
            }
        };
        if let Some(first) = seen.insert((from, to), i) {
            issues.push(Issue {
                path: format!("links[{i}]"),
                message: format!("repeats links[{first}] (\"{}\" to \"{}\")", link.from, link.to),
            });
            continue;
        }
        if role == LinkRole::Replicate {
            if let Some(p) = primary_of[to] {
                issues.push(Issue {
                    path: format!("links[{i}]"),
                    message: format!(
                        "\"{}\" already replicates \"{}\"; a replica has one primary",
                        link.to, s.nodes[p].id
                    ),
                });
                continue;
            }
            primary_of[to] = Some(from);
        }
    }
    // Replication is one level deep: a replica's own replicas would need
    // chained lag, which the simulation does not model.
    for (r, p) in primary_of.iter().enumerate() {
        if let Some(p) = *p {
            if primary_of[p].is_some() {
                issues.push(Issue {
                    path: format!("nodes[{p}]"),
                    message: format!(
                        "\"{}\" is a replica and has its own replica \"{}\"; link every replica to the primary instead",
                        s.nodes[p].id, s.nodes[r].id
                    ),
                });
            }
        }
    }

    // Each kind's own rules about its links taken together.
    for (i, node) in s.nodes.iter().enumerate() {
        let wiring = Wiring { s, node, index: &index, primary_of: &primary_of };
        for message in node.spec.settings().wiring_problems(&wiring) {
            issues.push(Issue { path: format!("nodes[{i}]"), message });
        }
    }
}

/// A node in a design being checked, as its kind's wiring rules see it
/// ([`crate::model::kinds::Settings::wiring_problems`]).
pub struct Wiring<'a> {
    pub s: &'a Scenario,
    pub node: &'a Node,
    index: &'a HashMap<&'a str, usize>,
    /// For each database, the database it replicates (its primary).
    primary_of: &'a [Option<usize>],
}

impl Wiring<'_> {
    /// The nodes this one links to, in link order (links to ids that do not
    /// exist are reported on their own).
    pub fn targets(&self) -> Vec<usize> {
        self.s
            .links
            .iter()
            .filter(|l| l.from == self.node.id)
            .filter_map(|l| self.index.get(l.to.as_str()).copied())
            .collect()
    }

    /// The primary database `d` replicates, or `d` itself.
    pub fn primary_or_self(&self, d: usize) -> usize {
        self.primary_of[d].unwrap_or(d)
    }
}

/// Things that do not stop a scenario from running but make requests fail:
/// users linked to nothing, a load balancer with no servers behind it (their
/// requests fail with `no_route`). The editor shows these while a design is
/// being built; `scalelab validate` prints them.
pub fn warnings(s: &Scenario) -> Vec<Issue> {
    let mut out = Vec::new();
    for (i, node) in s.nodes.iter().enumerate() {
        if let Some(message) = node.spec.settings().warning(node, s) {
            out.push(Issue { path: format!("nodes[{i}]"), message });
        }
    }
    out
}

/// Whether `web` is linked to databases that are all replicas (of a primary
/// it is not linked to).
pub(crate) fn replicas_only(s: &Scenario, web: &str) -> bool {
    let is_replica = |id: &str| {
        s.links.iter().any(|l| {
            l.to == id && s.node_index(&l.from).is_some_and(|i| matches!(s.nodes[i].spec, NodeSpec::Database(_)))
        })
    };
    let dbs: Vec<&str> = s
        .links
        .iter()
        .filter(|l| l.from == web)
        .filter(|l| s.node_index(&l.to).is_some_and(|i| matches!(s.nodes[i].spec, NodeSpec::Database(_))))
        .map(|l| l.to.as_str())
        .collect();
    !dbs.is_empty() && dbs.iter().all(|d| is_replica(d))
}

fn lookup(index: &HashMap<&str, usize>, id: &str, path: &str, issues: &mut Vec<Issue>) -> Option<usize> {
    let found = index.get(id).copied();
    if found.is_none() {
        let mut ids: Vec<&str> = index.keys().copied().collect();
        crate::base::order::sort(&mut ids); // a stable suggestion whatever the hash order
        let message = match crate::base::suggest::suggest(id, &ids) {
            Some(s) => format!("no node has id \"{id}\"; did you mean \"{s}\"?"),
            None => format!("no node has id \"{id}\""),
        };
        issues.push(Issue { path: path.to_string(), message });
    }
    found
}
