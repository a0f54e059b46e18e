//! Determinism: a scenario and a seed give the same bytes, every time, in any
//! thread; another seed gives another run; and changing one part of a
//! scenario does not reshuffle the random numbers of parts it does not touch.

use crate::support::*;
use scalelab_engine::{Scenario, Simulation};
use serde_json::json;

fn mixed() -> Scenario {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/determinism-mixed.json")).unwrap();
    Scenario::from_json(&text).unwrap()
}

fn report_json(s: Scenario) -> String {
    let mut sim = Simulation::new(s);
    sim.run_to_end();
    sim.report().to_json_pretty()
}

#[test]
fn same_seed_same_bytes_in_any_thread() {
    // determinism-mixed.json has every component, every distribution, and
    // both failure causes, so every random stream and code path is involved.
    let reference = report_json(mixed());
    let r: serde_json::Value = serde_json::from_str(&reference).unwrap();
    assert!(
        r["requests"]["failed"]["rejected"].as_u64().unwrap() > 0
            && r["requests"]["failed"]["timeout"].as_u64().unwrap() > 0
    );
    // Four runs at once on other threads: no hidden shared state.
    let again = replicate(4, |_| report_json(mixed()));
    for a in again {
        assert!(a == reference, "a rerun with the same seed gave different bytes");
    }
}

#[test]
fn another_seed_gives_another_run() {
    let a = report_json(mixed());
    let mut s = mixed();
    s.seed += 1;
    let b = report_json(s);
    assert_ne!(a, b);
    let (a, b): (serde_json::Value, serde_json::Value) =
        (serde_json::from_str(&a).unwrap(), serde_json::from_str(&b).unwrap());
    assert_ne!(a["requests"]["generated"], b["requests"]["generated"]);
    assert_ne!(a["latency_ms"]["mean"], b["latency_ms"]["mean"]);
}

#[test]
fn the_scenario_round_trips_through_its_json_and_runs_the_same() {
    let s = mixed();
    let again = Scenario::from_json(&s.to_json_pretty()).unwrap();
    assert_eq!(again, s);
    assert_eq!(report_json(again), report_json(s));
}

#[test]
fn changing_one_system_leaves_an_unconnected_one_bit_for_bit_the_same() {
    // Every node draws from its own streams (seed, node index, purpose). Two
    // systems that share nothing: changing the rate, service and limits of
    // the second must not change a single bit of the first one's figures.
    let doc = |rps2: f64, mean2: f64, limit2: Option<u32>| {
        json!({
            "version": 1, "seed": 99, "duration_s": 60, "warmup_s": 5,
            "nodes": [
                {"id": "u1", "kind": "users", "rps": 700, "mix": {"read": 0.5, "static": 0.5}},
                {"id": "lb1", "kind": "load_balancer", "algorithm": "random"},
                {"id": "a1", "kind": "web_server", "workers": 2, "service": {"dist": "lognormal", "mean_ms": 2, "cv": 1.2}},
                {"id": "b1", "kind": "web_server", "workers": 2, "service": {"dist": "exponential", "mean_ms": 2}},
                {"id": "d1", "kind": "database", "workers": 2, "service": {"dist": "exponential", "mean_ms": 1}, "timeout_ms": 5},
                {"id": "u2", "kind": "users", "rps": rps2},
                {"id": "a2", "kind": "web_server", "workers": 1, "service": {"dist": "exponential", "mean_ms": mean2}, "queue_limit": limit2}
            ],
            "links": [
                {"from": "u1", "to": "lb1", "latency_ms": 3},
                {"from": "lb1", "to": "a1"}, {"from": "lb1", "to": "b1"},
                {"from": "a1", "to": "d1", "latency_ms": 0.5}, {"from": "b1", "to": "d1", "latency_ms": 0.5},
                {"from": "u2", "to": "a2", "latency_ms": 1}
            ]
        })
    };
    let first = |r: &scalelab_engine::Report| {
        ["u1", "lb1", "a1", "b1", "d1"]
            .iter()
            .map(|id| serde_json::to_string(&r.nodes.get(id).unwrap().summary).unwrap())
            .collect::<Vec<_>>()
    };
    let base = run(&doc(300.0, 1.0, None));
    let changed = run(&doc(900.0, 1.05, Some(3)));
    assert_ne!(
        serde_json::to_string(&base.nodes.get("a2").unwrap().summary).unwrap(),
        serde_json::to_string(&changed.nodes.get("a2").unwrap().summary).unwrap()
    );
    assert_eq!(first(&base), first(&changed), "the untouched system's figures changed");
}
