//! The scenario the first page runs: users behind a load balancer, two web
//! servers, one database. Kept as JSON so it goes through the same parser and
//! checks as any file a user loads. The web servers have the palette's queue
//! and timeout (500 requests, 3 s); the database's 1 s timeout is shorter, so
//! a slow database fails a request before its web server gives up on it.

pub const STARTER_SCENARIO: &str = r#"{
  "version": 2,
  "name": "Two web servers and a database",
  "seed": 7,
  "duration_s": 2592000,
  "warmup_s": 0,
  "nodes": [
    {"id": "users", "kind": "users", "rps": 300, "mix": {"read": 0.8, "write": 0.1, "static": 0.1}, "x": 0, "y": 100},
    {"id": "lb", "kind": "load_balancer", "algorithm": "least_connections", "x": 220, "y": 100},
    {"id": "web-1", "kind": "web_server", "size": "xlarge",
     "service": {"dist": "lognormal", "mean_ms": 6, "cv": 1.5}, "queue_limit": 500, "timeout_ms": 3000, "x": 440, "y": 40},
    {"id": "web-2", "kind": "web_server", "size": "xlarge",
     "service": {"dist": "lognormal", "mean_ms": 6, "cv": 1.5}, "queue_limit": 500, "timeout_ms": 3000, "x": 440, "y": 160},
    {"id": "db", "kind": "database", "size": "xlarge",
     "service": {"dist": "exponential", "mean_ms": 4}, "queue_limit": 500, "timeout_ms": 1000, "x": 660, "y": 100}
  ],
  "links": [
    {"from": "users", "to": "lb", "latency_ms": 20},
    {"from": "lb", "to": "web-1", "latency_ms": 0.2},
    {"from": "lb", "to": "web-2", "latency_ms": 0.2},
    {"from": "web-1", "to": "db", "latency_ms": 0.5},
    {"from": "web-2", "to": "db", "latency_ms": 0.5}
  ]
}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_scenario_is_valid_and_runs() {
        let s = scalelab_engine::Scenario::from_json(STARTER_SCENARIO).expect("valid");
        let mut sim = scalelab_engine::Simulation::new(s);
        sim.run_until(5_000_000_000, u64::MAX);
        let snap = sim.live_snapshot();
        assert!(snap.ok_rps > 200.0, "{snap:?}");
    }
}
