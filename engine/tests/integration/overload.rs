//! The overload examples (`examples/NAME.json`): each shows one way a system
//! fails under load. Each test runs the example as shipped and asserts the
//! failure it shows, then the change its note suggests and asserts the cure,
//! on several seeds.

use crate::support::run_seed;
use scalelab_engine::series::Series;
use serde_json::{json, Value};
use std::path::PathBuf;

/// Example `name`'s document.
pub fn example_json(name: &str) -> Value {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples")).join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn node_mut<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    doc["nodes"].as_array_mut().unwrap().iter_mut().find(|n| n["id"] == id).unwrap_or_else(|| panic!("no node {id}"))
}

/// Failed over finished requests in the seconds ending in `(from_s, to_s]`.
fn error_share(series: &Series, from_s: u64, to_s: u64) -> f64 {
    let (mut ok, mut failed) = (0u64, 0u64);
    for p in series.iter().filter(|p| p.t_s > from_s && p.t_s <= to_s) {
        ok += p.ok;
        failed += p.failed.iter().sum::<u64>();
    }
    assert!(ok + failed > 10_000, "too few requests between {from_s} and {to_s} s");
    failed as f64 / (ok + failed) as f64
}

const SEEDS: [u64; 3] = [1, 2, 3];

/// Least connections without health checks sends most requests to the dead
/// server, which refuses them at once and so always has the fewest open:
/// more than half fail, where round robin loses the dead server's quarter.
/// Health checks take it out of rotation and meet the example's goal.
#[test]
fn sinkholing_least_connections_pours_traffic_into_the_dead_server() {
    let shipped = example_json("sinkholing");
    assert_eq!(shipped["faults"][0]["at_s"], 20, "web-2 dies at 20 s");
    for seed in SEEDS {
        let sim = run_seed(&shipped, seed);
        let sinkhole = error_share(sim.series(), 30, 120);
        assert!(sinkhole > 0.5, "seed {seed}: least connections lost {sinkhole:.3}");
        assert!(!sim.goal_status().unwrap().met(), "seed {seed}: the shipped example misses its goal");

        let mut rr = shipped.clone();
        node_mut(&mut rr, "lb")["algorithm"] = json!("round_robin");
        let quarter = error_share(run_seed(&rr, seed).series(), 30, 120);
        assert!((quarter - 0.25).abs() < 0.01, "seed {seed}: round robin lost {quarter:.4}, the dead server's quarter");

        let mut checked = shipped.clone();
        node_mut(&mut checked, "lb")["health_check"] = json!({"interval_s": 2, "threshold": 3});
        let sim = run_seed(&checked, seed);
        assert_eq!(error_share(sim.series(), 40, 120), 0.0, "seed {seed}: out of rotation, nothing fails");
        assert!(sim.goal_status().unwrap().met(), "seed {seed}: health checks meet the goal");
    }
}

/// Successes over requests sent, in the seconds ending in `(from_s, to_s]`.
fn goodput_share(series: &Series, from_s: u64, to_s: u64) -> f64 {
    let (mut ok, mut sent) = (0u64, 0u64);
    for p in series.iter().filter(|p| p.t_s > from_s && p.t_s <= to_s) {
        ok += p.ok;
        sent += p.generated;
    }
    assert!(sent > 10_000, "too few requests between {from_s} and {to_s} s");
    ok as f64 / sent as f64
}

/// Every web server of `doc` gets the call policy `calls`.
fn web_calls(doc: &Value, calls: Value) -> Value {
    let mut doc = doc.clone();
    for n in doc["nodes"].as_array_mut().unwrap().iter_mut().filter(|n| n["kind"] == "web_server") {
        n["calls"] = calls.clone();
    }
    doc
}

/// Four web servers time their database calls out at 100 ms and retry
/// them at once, up to 4 attempts, against a database 75% busy with room
/// for 1000 waiting calls. A 10 s latency spike fills its queue; each call
/// then waits longer than 100 ms, so every attempt times out and is sent
/// again: four times the load, all of it for attempts nobody waits for.
/// The spike is long over, the load the users send is the same, and the
/// site stays down to the end of a 10-minute run (a metastable failure).
/// A retry budget, or a single attempt, takes the extra load away and the
/// database drains within seconds; exponential backoff with full jitter
/// only spreads the same four attempts over time, and stays down.
#[test]
fn retry_storm_stays_down_after_its_trigger_unless_the_retries_are_limited() {
    let mut shipped = example_json("retry-storm");
    assert_eq!(shipped["faults"][0]["at_s"], 60, "the database is 4 times slower from 60 s");
    assert_eq!(shipped["faults"][0]["duration_s"], 10);
    // Ten minutes: the last one is what the failure has become.
    shipped["duration_s"] = json!(600);
    let budget = web_calls(
        &shipped,
        json!({"attempt_timeout_ms": 100, "max_attempts": 4, "budget": {"tokens": 10, "refill": 0.1}}),
    );
    let single = web_calls(&shipped, json!({"attempt_timeout_ms": 100, "max_attempts": 1}));
    let backoff = web_calls(
        &shipped,
        json!({"attempt_timeout_ms": 100, "max_attempts": 4, "backoff": "exponential", "backoff_ms": 50,
               "backoff_cap_ms": 2000, "jitter": "full"}),
    );
    for seed in SEEDS {
        let sim = run_seed(&shipped, seed);
        let before = goodput_share(sim.series(), 10, 60);
        assert!(before > 0.99, "seed {seed}: healthy before the spike ({before:.4})");
        let last = goodput_share(sim.series(), 540, 600);
        assert!(last < 0.01, "seed {seed}: still down in the last minute ({last:.4})");
        assert!(!sim.goal_status().unwrap().met(), "seed {seed}: the shipped example misses its goal");
        let report = sim.report();
        let web = &report.nodes.get("web-1").unwrap().summary;
        assert!(web.call_timeouts > 0 && web.retries > web.arrivals, "seed {seed}: {web:?}");

        for (fix, doc) in [("a retry budget", &budget), ("one attempt", &single)] {
            let sim = run_seed(doc, seed);
            let last = goodput_share(sim.series(), 540, 600);
            assert!(last > 0.99, "seed {seed}: {fix} recovers ({last:.4})");
            let soon = goodput_share(sim.series(), 90, 120);
            assert!(soon > 0.99, "seed {seed}: within 20 s of the spike's end ({soon:.4})");
            assert!(soon > 0.99, "seed {seed}: {fix} recovers within 20 s of the spike's end ({soon:.4})");
            assert!(sim.goal_status().unwrap().met(), "seed {seed}: {fix} meets the goal");
        }
        let sim = run_seed(&backoff, seed);
        let last = goodput_share(sim.series(), 540, 600);
        assert!(last < 0.01, "seed {seed}: backoff alone stays down ({last:.4})");
    }
}

/// The retry storm with a circuit breaker on each web server's database
/// calls (the shipped 4 attempts, immediate): once half the calls fail,
/// the breakers open and refuse calls at once; the database drains its
/// queue meanwhile, the trials find it answering, and the breakers close
/// on a database that keeps up again. Goodput is back for good.
#[test]
fn retry_storm_recovers_with_a_circuit_breaker() {
    let mut shipped = example_json("retry-storm");
    shipped["duration_s"] = json!(600);
    let breaker = web_calls(
        &shipped,
        json!({"attempt_timeout_ms": 100, "max_attempts": 4,
               "breaker": {"window_s": 10, "min_calls": 20, "threshold": 0.5, "cooldown_s": 5, "trial_calls": 3}}),
    );
    for seed in SEEDS {
        let sim = run_seed(&breaker, seed);
        let before = goodput_share(sim.series(), 10, 60);
        assert!(before > 0.99, "seed {seed}: healthy before the spike ({before:.4})");
        let last = goodput_share(sim.series(), 540, 600);
        assert!(last > 0.9, "seed {seed}: a breaker recovers ({last:.4})");
        let soon = goodput_share(sim.series(), 90, 120);
        assert!(soon > 0.99, "seed {seed}: within 20 s of the spike's end ({soon:.4})");
        let report = sim.report();
        let opened = sim.log().entries().filter(|e| e.text.contains(": circuit opened (")).count();
        assert!(opened > 0, "seed {seed}: the breakers opened in the storm");
        let refused = report.requests.failed.get(scalelab_engine::Cause::CircuitOpen);
        assert!(refused > 0, "seed {seed}: {:?}", report.requests);
    }
}
