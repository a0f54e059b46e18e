//! What a design costs per month, node by node, from the price list in
//! [`crate::blocks::pricing`]. Machines are priced by size (or, without a size, per
//! vCPU at the ladder's rate), caches by the memory their items need, load
//! balancers per balancer (two for a standby pair). Users cost nothing.
//!
//! The numbers are our round, list-price-like figures: good for comparing
//! designs with each other (one huge database against replicas and a cache),
//! not for a budget.

use crate::blocks::pricing::{self, InstanceKind};
use crate::model::kinds::Bill;
use crate::model::scenario::{NodeSpec, StationSpec};

/// Memory one cached item takes, with the cache's own overhead: 1 KiB.
pub const CACHE_ITEM_BYTES: f64 = 1024.0;
/// A hosted DNS zone with its queries.
pub const DNS_MONTHLY_USD: f64 = 5.0;
/// A managed queue's base charge (its per-request charge comes with traffic).
pub const QUEUE_BASE_MONTHLY_USD: f64 = 10.0;
/// A cache node is never billed below this much memory.
pub const CACHE_MIN_GIB: f64 = 1.0;

/// Monthly cost in dollars of one node running `instances` machines (an
/// autoscaling group's current size; 1 otherwise). A CDN is billed by the
/// data it serves: `static_rps` static requests a second, every second of the
/// month (the rate the design is built for).
pub fn node_monthly_usd_with_traffic(spec: &NodeSpec, instances: u32, static_rps: f64) -> f64 {
    spec.settings().monthly_usd(&Bill { instances, static_rps: Some(static_rps) })
}

/// Monthly cost in dollars of one node running `instances` machines (an
/// autoscaling group's current size; 1 otherwise), without what it is billed
/// for by traffic. Each kind prices itself (`Settings::monthly_usd` in its
/// file under `crate::model::kinds`).
pub fn node_monthly_usd(spec: &NodeSpec, instances: u32) -> f64 {
    spec.settings().monthly_usd(&Bill { instances, static_rps: None })
}

/// One machine: its size's price, or without a size the ladder's price per
/// vCPU (its smallest size's) times the workers (one per vCPU).
pub(crate) fn machine_usd(kind: InstanceKind, station: &StationSpec) -> f64 {
    if let Some(size) = station.size.as_deref().and_then(|name| pricing::instance_size(kind, name).ok()) {
        return size.monthly_usd;
    }
    let smallest = kind.smallest();
    smallest.monthly_usd / f64::from(smallest.vcpu) * f64::from(station.workers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::Scenario;

    fn spec(json: &str) -> NodeSpec {
        let doc = format!(r#"{{"version": 1, "nodes": [{json}], "links": []}}"#);
        Scenario::from_json(&doc).unwrap().nodes.remove(0).spec
    }

    #[test]
    fn machines_cost_their_size_and_sizes_set_workers() {
        let web = spec(r#"{"id": "w", "kind": "web_server", "size": "large"}"#);
        assert_eq!(web.station().unwrap().workers, 4);
        assert_eq!(node_monthly_usd(&web, 1), 140.0);
        assert_eq!(node_monthly_usd(&web, 3), 420.0, "three machines in a group");
        // Without a size: $35 per vCPU-month, one worker per vCPU.
        assert_eq!(node_monthly_usd(&spec(r#"{"id": "w", "kind": "web_server", "workers": 6}"#), 1), 210.0);
        let huge = spec(r#"{"id": "d", "kind": "database", "size": "huge"}"#);
        assert_eq!(huge.station().unwrap().workers, 448);
        assert_eq!(node_monthly_usd(&huge, 1), 160_000.0);
    }

    #[test]
    fn caches_balancers_and_users() {
        // 10 million items of 1 KiB: 9.5 GiB at $12.
        let cache = spec(r#"{"id": "c", "kind": "cache", "capacity": 10000000}"#);
        let gib = 1e7 * 1024.0 / f64::from(1u32 << 30);
        assert!((node_monthly_usd(&cache, 1) - 12.0 * gib).abs() < 1e-9);
        assert_eq!(
            node_monthly_usd(&spec(r#"{"id": "c", "kind": "cache", "capacity": 10}"#), 1),
            12.0,
            "billed at least 1 GiB"
        );
        assert_eq!(node_monthly_usd(&spec(r#"{"id": "b", "kind": "load_balancer"}"#), 1), 20.0);
        assert_eq!(node_monthly_usd(&spec(r#"{"id": "b", "kind": "load_balancer", "pair": true}"#), 1), 40.0);
        assert_eq!(node_monthly_usd(&spec(r#"{"id": "u", "kind": "users"}"#), 1), 0.0);
    }

    #[test]
    fn sizes_are_checked_against_their_ladder() {
        let bad = |json: &str| {
            let doc = format!(r#"{{"version": 1, "nodes": [{json}], "links": []}}"#);
            Scenario::from_json(&doc).unwrap_err().to_string()
        };
        assert!(bad(r#"{"id": "w", "kind": "web_server", "size": "huge"}"#).contains("nodes[0].size"));
        assert!(bad(r#"{"id": "w", "kind": "web_server", "size": "larg"}"#).contains("\"large\""));
        let both = bad(r#"{"id": "w", "kind": "web_server", "size": "large", "workers": 9}"#);
        assert!(both.contains("nodes[0].workers") && both.contains("4 workers"), "{both}");
        // The size's own worker count is accepted (a saved document repeats it).
        assert!(Scenario::from_json(r#"{"version": 1, "nodes": [{"id": "w", "kind": "web_server", "size": "large", "workers": 4}], "links": []}"#).is_ok());
    }
}
