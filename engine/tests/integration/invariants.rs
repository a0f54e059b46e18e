//! Conservation, determinism, and stepping: properties over many random scenarios.

use proptest::prelude::*;
use scalelab_engine::{Cause, Scenario, Simulation};
use serde_json::{json, Value};

/// A random valid scenario: 1-3 web servers, behind a load balancer or not,
/// with or without a database, limits and timeouts that fire often.
fn arb_scenario() -> impl Strategy<Value = Value> {
    (
        any::<u64>(),
        1usize..=3,
        any::<bool>(),
        prop_oneof![Just("round_robin"), Just("least_connections"), Just("random"), Just("sticky")],
        any::<bool>(),
        50.0f64..3000.0,
        proptest::collection::vec((1u32..=4, 0usize..3, 0.2f64..6.0, proptest::option::of(0u32..6), proptest::option::of(1.0f64..40.0)), 4),
        (0.0f64..5.0, 0.0f64..2.0),
        (0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0),
        (3.0f64..12.0, 0.0f64..2.0),
    )
        .prop_map(|(seed, n_web, with_lb, alg, with_db, rps, stations, (lat_in, lat_db), (read, write, stat), (duration, warmup))| {
            let dists = ["exponential", "constant", "lognormal"];
            let station = |i: usize, kind: &str, id: String| {
                let (workers, d, mean, ql, to) = stations[i];
                let mut service = json!({"dist": dists[d], "mean_ms": mean});
                if d == 2 {
                    service["cv"] = json!(1.5);
                }
                json!({"id": id, "kind": kind, "workers": workers, "service": service, "queue_limit": ql, "timeout_ms": to})
            };
            let mut nodes = vec![json!({"id": "users", "kind": "users", "rps": rps,
                "mix": {"read": read + 0.01, "write": write, "static": stat, "job": 0.1}})];
            let mut links = vec![];
            if with_lb {
                nodes.push(json!({"id": "lb", "kind": "load_balancer", "algorithm": alg}));
                links.push(json!({"from": "users", "to": "lb", "latency_ms": lat_in}));
            }
            for w in 0..n_web {
                let id = format!("web{w}");
                nodes.push(station(w, "web_server", id.clone()));
                if with_lb {
                    links.push(json!({"from": "lb", "to": id, "latency_ms": 0.1}));
                } else if w == 0 {
                    links.push(json!({"from": "users", "to": id, "latency_ms": lat_in}));
                }
                if with_db {
                    links.push(json!({"from": id, "to": "db", "latency_ms": lat_db}));
                }
            }
            if with_db {
                nodes.push(station(3, "database", "db".into()));
            }
            json!({"version": 1, "seed": seed, "duration_s": duration, "warmup_s": warmup, "nodes": nodes, "links": links})
        })
}

fn simulate(doc: &Value) -> Simulation {
    let scenario = Scenario::from_json(&doc.to_string()).expect("generated scenarios are valid");
    Simulation::new(scenario)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every request born in the window ends in exactly one outcome or is still
    /// open, and the open count matches an independent scan of the arena.
    #[test]
    fn every_request_is_accounted_for(doc in arb_scenario()) {
        let mut sim = simulate(&doc);
        sim.run_to_end();
        let r = sim.report();
        let q = &r.requests;
        prop_assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight);
        prop_assert_eq!(q.in_flight, sim.count_open_window_requests());
        prop_assert_eq!(q.ok, r.latency_ms.count);
        // Whole-run totals add up too, with the live requests.
        let t = sim.totals();
        prop_assert!(t.generated >= t.ok + t.failed_total());
        prop_assert!(r.latency_ms.mean.is_finite() && r.latency_ms.p99.is_finite());
        for (_, node) in &r.nodes.0 {
            prop_assert!(node.summary.utilization >= 0.0 && node.summary.utilization <= 1.0 + 1e-9);
        }
    }

    /// Stepping in many small calls, with small event budgets, is the same run as
    /// one call to the end.
    #[test]
    fn chunked_stepping_equals_one_run(doc in arb_scenario(), chunk_ms in 1u64..700, budget in 1u64..5000) {
        let mut whole = simulate(&doc);
        whole.run_to_end();
        let mut chunked = simulate(&doc);
        let step = chunk_ms * 1_000_000;
        let mut target = 0;
        loop {
            let p = chunked.run_until(target, budget);
            if p.finished {
                break;
            }
            if p.reached {
                target += step;
            }
        }
        prop_assert_eq!(chunked.report().to_json_pretty(), whole.report().to_json_pretty());
    }
}

#[test]
fn random_scenarios_do_exercise_rejections_and_timeouts() {
    // The property tests above are only worth something if the failure paths run.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut rejected, mut timeouts, mut in_flight) = (0, 0, 0);
    for _ in 0..40 {
        let doc = arb_scenario().new_tree(&mut runner).unwrap().current();
        let mut sim = simulate(&doc);
        sim.run_to_end();
        let r = sim.report();
        rejected += r.requests.failed.get(Cause::Rejected);
        timeouts += r.requests.failed.get(Cause::Timeout);
        in_flight += r.requests.in_flight;
    }
    assert!(rejected > 100 && timeouts > 100 && in_flight > 0, "rejected {rejected}, timeouts {timeouts}, in flight {in_flight}");
}

#[test]
fn same_seed_same_bytes_other_seed_other_numbers() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/determinism-mixed.json")).unwrap();
    let run = |seed: u64| {
        let mut s = Scenario::from_json(&text).unwrap();
        s.seed = seed;
        let mut sim = Simulation::new(s);
        sim.run_to_end();
        sim.report().to_json_pretty()
    };
    let a = run(2024);
    assert_eq!(a, run(2024));
    assert_ne!(a, run(2025));
    // And the scenario round-trips through its own JSON form unchanged.
    let s = Scenario::from_json(&text).unwrap();
    assert_eq!(Scenario::from_json(&s.to_json_pretty()).unwrap(), s);
}

#[test]
fn animation_sampling_does_not_change_the_results() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/determinism-mixed.json")).unwrap();
    let run = |every: u32| {
        let mut sim = Simulation::new(Scenario::from_json(&text).unwrap());
        sim.set_sample_every(every);
        let mut hops = vec![];
        let mut seen = 0;
        while !sim.run_until(sim.now() + 50_000_000, u64::MAX).finished {
            sim.drain_hops(&mut hops);
            seen += hops.len();
        }
        (sim.report().to_json_pretty(), seen)
    };
    let (plain, none) = run(0);
    let (sampled, hops) = run(7);
    assert_eq!(none, 0);
    assert!(hops > 10_000, "{hops} hops");
    assert_eq!(plain, sampled);
}

#[test]
fn memory_stays_flat_over_a_long_run() {
    // An hour of simulated traffic at 2,000 requests/s: the arena's slots are
    // reused, so its high-water mark stays near the peak number in flight.
    let doc = json!({
        "version": 1, "seed": 5, "duration_s": 3600, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 2000},
            {"id": "app", "kind": "web_server", "workers": 4, "service": {"dist": "exponential", "mean_ms": 1.0}}
        ],
        "links": [{"from": "users", "to": "app", "latency_ms": 5}]
    });
    let mut sim = simulate(&doc);
    sim.run_until(60_000_000_000, u64::MAX);
    let after_a_minute = sim.arena_capacity();
    sim.run_to_end();
    assert!(sim.totals().generated > 7_000_000);
    assert!(sim.arena_capacity() <= after_a_minute * 2, "{} slots vs {after_a_minute}", sim.arena_capacity());
    assert!(sim.series().len() <= scalelab_engine::series::SERIES_CAPACITY);
}
