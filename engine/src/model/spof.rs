//! Single points of failure: the nodes whose failure alone stops some of the
//! design's requests from being served, found on the graph (no simulation).
//!
//! A node is a single point of failure when the design serves every kind of
//! request its users send, and stops serving some kind, for some users, with
//! that one node down. What counts as redundancy follows the simulation:
//! another web server behind the same balancer, a balancer pair, a read
//! replica the web servers can also reach (reads go on, and it is promoted to
//! take the writes), a cache (reads fall back to the database). A shard is a
//! single point of failure for the users whose data it holds; workers are not
//! (the queue keeps the jobs until they are back).

use crate::model::scenario::{NodeSpec, Scenario, Sessions};
use std::collections::HashMap;

/// Ids of the single points of failure of `s`, in scenario order.
pub fn single_points_of_failure(s: &Scenario) -> Vec<String> {
    let graph = Graph::new(s);
    if !graph.serves(None) {
        // A design that fails already has no single point of failure to name:
        // fix it first (the warnings say how).
        return Vec::new();
    }
    s.nodes
        .iter()
        .enumerate()
        .filter(|(i, n)| {
            // Only machines of ours (see `About::can_be_single_point`): not
            // the users, a library in the application (a shard router), a
            // managed replicated service (DNS), or what requests do without
            // while it is down (a cache, workers).
            n.spec.kind().about().can_be_single_point && !graph.serves(Some(*i))
        })
        .map(|(_, n)| n.id.clone())
        .collect()
}

/// A design as a graph of who sends requests to whom.
pub struct Graph<'a> {
    s: &'a Scenario,
    out: Vec<Vec<usize>>,
    /// For each replica, its primary.
    primary_of: Vec<Option<usize>>,
}

impl<'a> Graph<'a> {
    fn new(s: &'a Scenario) -> Graph<'a> {
        let index: HashMap<&str, usize> = s.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let mut out = vec![Vec::new(); s.nodes.len()];
        let mut primary_of = vec![None; s.nodes.len()];
        for l in &s.links {
            let (Some(&a), Some(&b)) = (index.get(l.from.as_str()), index.get(l.to.as_str())) else { continue };
            out[a].push(b);
            if matches!((&s.nodes[a].spec, &s.nodes[b].spec), (NodeSpec::Database(_), NodeSpec::Database(_))) {
                primary_of[b] = Some(a);
            }
        }
        Graph { s, out, primary_of }
    }

    fn spec(&self, i: usize) -> &NodeSpec {
        &self.s.nodes[i].spec
    }

    fn linked(&self, i: usize, pred: impl Fn(&NodeSpec) -> bool) -> Vec<usize> {
        self.out[i].iter().copied().filter(|&j| pred(self.spec(j))).collect()
    }

    /// Whether every kind of request every users node sends can be served with
    /// node `failed` down.
    fn serves(&self, failed: Option<usize>) -> bool {
        let up = |i: usize| Some(i) != failed;
        self.s.nodes.iter().enumerate().all(|(u, n)| {
            let NodeSpec::Users(users) = &n.spec else { return true };
            if users.rps() <= 0.0 {
                return true;
            }
            let is_cdn = |i: &usize| matches!(self.spec(*i), NodeSpec::Cdn(_));
            let Some(&entry) = self.out[u].iter().find(|i| !is_cdn(i)) else { return true };
            let cdn = self.out[u].iter().copied().find(is_cdn);
            let shares = users.mix.shares();
            (0..4).filter(|&k| shares[k] > 0.0).all(|k| match (k, cdn) {
                // Static files: through the CDN (which misses to the origin), or
                // straight to the site when it is down and falls back.
                (2, Some(c)) => {
                    let fallback = matches!(self.spec(c), NodeSpec::Cdn(spec) if spec.fallback_to_origin);
                    (up(c) || fallback) && self.entry_serves(entry, k, &up)
                }
                _ => self.entry_serves(entry, k, &up),
            })
        })
    }

    /// Whether requests of `kind` that reach `entry` (a node users or DNS
    /// send them to) are served: its kind says how
    /// ([`crate::model::kinds::Settings::serves_as_entry`]).
    pub(crate) fn entry_serves(&self, entry: usize, kind: usize, up: &dyn Fn(usize) -> bool) -> bool {
        self.spec(entry).settings().serves_as_entry(self, entry, kind, up)
    }

    /// The nodes `i` links to, in link order.
    pub(crate) fn out(&self, i: usize) -> &[usize] {
        &self.out[i]
    }

    /// Kinds: 0 read, 1 write, 2 static, 3 job (the order of `Mix::shares`).
    pub(crate) fn web_serves(&self, w: usize, kind: usize, up: &dyn Fn(usize) -> bool) -> bool {
        let NodeSpec::WebServer(web) = self.spec(w) else { return false };
        if !up(w) {
            return false;
        }
        if web.sessions == Sessions::Shared && kind != 2 {
            let stores = self.linked(w, |s| matches!(s, NodeSpec::Nosql(_)));
            let stores = if stores.is_empty() { self.linked(w, |s| matches!(s, NodeSpec::Cache(_))) } else { stores };
            if let Some(&store) = stores.first() {
                if !up(store) {
                    return false;
                }
            }
        }
        match kind {
            0 | 1 => self.data_serves(w, up),
            // Jobs go to the first queue that is up: a second queue is a spare.
            3 => {
                let queues = self.linked(w, |s| matches!(s, NodeSpec::Queue(_)));
                queues.is_empty() || queues.iter().any(|&q| up(q))
            }
            _ => true,
        }
    }

    /// Reads and writes alike: a failed primary with a reachable replica keeps
    /// reads going and is replaced for writes, so one rule covers both.
    fn data_serves(&self, w: usize, up: &dyn Fn(usize) -> bool) -> bool {
        if let Some(&router) = self.linked(w, |s| matches!(s, NodeSpec::ShardRouter(_))).first() {
            // Every shard holds some users' data; the router follows a
            // shard's promotion to its replica.
            return self.out[router].iter().all(|&shard| {
                let replicas: Vec<usize> =
                    self.out[shard].iter().copied().filter(|&r| self.primary_of[r] == Some(shard)).collect();
                self.db_serves(shard, &replicas, up)
            });
        }
        let dbs = self.linked(w, |s| matches!(s, NodeSpec::Database(_)));
        if dbs.is_empty() {
            // The NoSQL store holds the data, or the server keeps it itself.
            return self.linked(w, |s| matches!(s, NodeSpec::Nosql(_))).first().is_none_or(|&n| up(n));
        }
        let primary = dbs.iter().copied().find(|&d| self.primary_of[d].is_none());
        match primary {
            Some(p) => self.db_serves(p, &dbs, up),
            // Only replicas: writes fail already (the design is broken).
            None => dbs.iter().any(|&d| up(d)),
        }
    }

    /// A primary `p` (with the databases the caller can reach): up, or with a
    /// reachable replica that is up (reads go there, and it is promoted for writes).
    fn db_serves(&self, p: usize, reachable: &[usize], up: &dyn Fn(usize) -> bool) -> bool {
        up(p) || self.out[p].iter().any(|&r| self.primary_of[r] == Some(p) && up(r) && reachable.contains(&r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spofs(json: &str) -> Vec<String> {
        single_points_of_failure(&Scenario::from_json(json).unwrap())
    }

    const USERS: &str = r#"{"id": "u", "kind": "users", "rps": 10, "mix": {"read": 0.8, "write": 0.2}}"#;

    #[test]
    fn one_server_and_one_database_are_both_single_points_of_failure() {
        let s = format!(
            r#"{{"version": 1, "nodes": [{USERS}, {{"id": "web", "kind": "web_server"}}, {{"id": "db", "kind": "database"}}],
            "links": [{{"from": "u", "to": "web"}}, {{"from": "web", "to": "db"}}]}}"#
        );
        assert_eq!(spofs(&s), vec!["web", "db"]);
    }

    #[test]
    fn two_servers_a_pair_of_balancers_and_a_replica_remove_them() {
        let s = |pair: bool, replica: bool| {
            format!(
                r#"{{"version": 1, "nodes": [{USERS}, {{"id": "lb", "kind": "load_balancer", "pair": {pair}}},
                {{"id": "w1", "kind": "web_server"}}, {{"id": "w2", "kind": "web_server"}},
                {{"id": "db", "kind": "database"}}, {{"id": "r", "kind": "database"}}, {{"id": "c", "kind": "cache"}}],
                "links": [{{"from": "u", "to": "lb"}}, {{"from": "lb", "to": "w1"}}, {{"from": "lb", "to": "w2"}},
                {{"from": "w1", "to": "db"}}, {{"from": "w2", "to": "db"}}, {{"from": "w1", "to": "c"}}
                {}]}}"#,
                if replica {
                    r#", {"from": "db", "to": "r"}, {"from": "w1", "to": "r"}, {"from": "w2", "to": "r"}"#
                } else {
                    ""
                }
            )
        };
        assert_eq!(spofs(&s(false, false)), vec!["lb", "db"]);
        assert_eq!(spofs(&s(true, false)), vec!["db"]);
        assert_eq!(spofs(&s(true, true)), Vec::<String>::new());
    }

    #[test]
    fn shards_and_shared_session_stores_are_single_points_of_failure() {
        let s = format!(
            r#"{{"version": 1, "nodes": [{USERS}, {{"id": "lb", "kind": "load_balancer", "pair": true}},
            {{"id": "w1", "kind": "web_server", "sessions": "shared"}}, {{"id": "w2", "kind": "web_server", "sessions": "shared"}},
            {{"id": "kv", "kind": "nosql"}}, {{"id": "router", "kind": "shard_router"}},
            {{"id": "s0", "kind": "database"}}, {{"id": "s1", "kind": "database"}}],
            "links": [{{"from": "u", "to": "lb"}}, {{"from": "lb", "to": "w1"}}, {{"from": "lb", "to": "w2"}},
            {{"from": "w1", "to": "kv"}}, {{"from": "w2", "to": "kv"}}, {{"from": "w1", "to": "router"}}, {{"from": "w2", "to": "router"}},
            {{"from": "router", "to": "s0"}}, {{"from": "router", "to": "s1"}}]}}"#
        );
        assert_eq!(spofs(&s), vec!["kv", "s0", "s1"]);
    }

    #[test]
    fn a_design_that_does_not_work_yet_names_none() {
        let s = format!(
            r#"{{"version": 1, "nodes": [{USERS}, {{"id": "lb", "kind": "load_balancer"}}], "links": [{{"from": "u", "to": "lb"}}]}}"#
        );
        assert!(spofs(&s).is_empty());
    }
}
