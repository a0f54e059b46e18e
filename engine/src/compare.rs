//! A/B comparison: two designs under exactly the same traffic.
//!
//! Every random stream is seeded by the scenario's seed and the node's place
//! in the node list, so two designs see the same requests (the same arrival
//! times, kinds, data keys, regions) when they share the seed and their users
//! nodes are the same and sit at the same places. [`pair`] makes design B so:
//! A's seed, A's users (moved to A's places in the list), A's run length and
//! A's scheduled faults, where B has the node or data center they name. What
//! it had to change is said in `notes`.

use crate::scenario::{Node, NodeSpec};
use crate::Scenario;

/// Two designs ready to run side by side.
#[derive(Clone, Debug, PartialEq)]
pub struct Pairing {
    pub a: Scenario,
    pub b: Scenario,
    /// What was changed in B, in words.
    pub notes: Vec<String>,
}

/// Why two designs cannot be compared.
#[derive(Clone, Debug, PartialEq)]
pub enum CompareError {
    /// A has no users: there is no traffic to share.
    NoTraffic,
}

impl std::fmt::Display for CompareError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompareError::NoTraffic => f.write_str("design A has no users, so there is no traffic to compare under: add users to it"),
        }
    }
}

fn is_users(n: &Node) -> bool {
    matches!(n.spec, NodeSpec::Users(_))
}

pub fn pair(a: &Scenario, b: &Scenario) -> Result<Pairing, CompareError> {
    let users_a: Vec<(usize, &Node)> = a.nodes.iter().enumerate().filter(|(_, n)| is_users(n)).collect();
    if users_a.is_empty() {
        return Err(CompareError::NoTraffic);
    }
    let mut notes = Vec::new();
    let mut b2 = b.clone();
    if b2.seed != a.seed {
        notes.push(format!("seed set to A's ({})", a.seed));
        b2.seed = a.seed;
    }
    b2.duration_s = a.duration_s;
    b2.warmup_s = a.warmup_s;
    let users_b: Vec<Node> = b.nodes.iter().filter(|n| is_users(n)).cloned().collect();
    // B's users take A's traffic: matched by id, or one to one.
    let mut placed: Vec<Node> = Vec::new();
    for (_, ua) in &users_a {
        let matched = users_b.iter().find(|u| u.id == ua.id).or(if users_a.len() == 1 && users_b.len() == 1 { users_b.first() } else { None });
        match matched {
            Some(ub) => {
                let mut u = ub.clone();
                if u.spec != ua.spec {
                    notes.push(format!("{}: traffic set to A's", u.id));
                    u.spec = ua.spec.clone();
                }
                placed.push(u);
            }
            None => notes.push(format!("B has no users node like A's {}: its traffic is missing from B", ua.id)),
        }
    }
    for ub in &users_b {
        if !placed.iter().any(|p| p.id == ub.id) {
            notes.push(format!("B's {} have no counterpart in A and were left out", ub.id));
        }
    }
    // Rebuild B's node list: its users at A's places, the rest in B's order.
    let mut rest: Vec<Node> = b.nodes.iter().filter(|n| !is_users(n)).cloned().collect();
    rest.reverse();
    let mut nodes = Vec::with_capacity(b.nodes.len());
    let mut users = placed.clone().into_iter();
    let places: Vec<usize> = users_a.iter().map(|(i, _)| *i).collect();
    let total = rest.len() + placed.len();
    for i in 0..total {
        let next = if places.contains(&i) { users.next().or_else(|| rest.pop()) } else { rest.pop().or_else(|| users.next()) };
        if let Some(n) = next {
            nodes.push(n);
        }
    }
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    b2.links.retain(|l| ids.contains(&l.from) && ids.contains(&l.to));
    b2.nodes = nodes;
    // The same faults at the same times, where B has what they name.
    let mut faults = Vec::new();
    for f in &a.faults {
        let exists = |id: &str| b2.node_index(id).is_some() || b2.data_center(id).is_some();
        if exists(&f.node) && f.with.as_deref().is_none_or(exists) {
            faults.push(f.clone());
        } else {
            notes.push(format!("the fault on {} at {} s is left out: B has no {}", f.node, f.at_s, f.node));
        }
    }
    if b2.faults != faults {
        b2.faults = faults;
        if !a.faults.is_empty() {
            notes.push("B gets A's scheduled faults".to_string());
        }
    }
    Ok(Pairing { a: a.clone(), b: b2, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(json: &str) -> Scenario {
        Scenario::from_json(json).unwrap()
    }

    #[test]
    fn no_users_no_comparison() {
        let a = scenario(r#"{"version":1,"seed":1,"duration_s":10,"nodes":[{"id":"w","kind":"web_server"}],"links":[]}"#);
        assert_eq!(pair(&a, &a).unwrap_err(), CompareError::NoTraffic);
        assert!(CompareError::NoTraffic.to_string().contains("add users"));
    }
}
