//! Load-dependent service time (a station's `contention`): a node with `n`
//! requests at it serves each one in S0 · m(n), m(n) = min(max_factor,
//! 1 + slope · max(0, n − knee)), so its capacity at `n` is c / (S0 · m(n))
//! and it tips over where that falls below the arrival rate. The
//! tipping-point example is stuck after a five-second spike without a fix
//! and comes back with a queue limit under the tipping point or a maximum
//! wait; the settings are read, written and checked by field.

use crate::overload::example_json;
use crate::support::*;
use scalelab_engine::series::Series;
use scalelab_engine::Scenario;
use serde_json::{json, Value};

/// m(n) as the scenario states it.
fn m(n: f64, slope: f64, knee: f64, max_factor: f64) -> f64 {
    (1.0 + slope * (n - knee).max(0.0)).min(max_factor)
}

/// Capacity at a held number of requests: 8 workers of exponential 10 ms
/// service, contention slope 0.02 from 8 requests up to 4x, and far more
/// requests a second than it serves against a queue limit of `q`. The queue
/// is then full whenever a worker frees, so every request starts with
/// n = 8 + q − 1 at the node (the busy ones, itself included, and the q − 1
/// left waiting), all 8 workers are always busy, and the node completes
/// c / (S0 · m(n)) a second.
///
/// - q = 17 puts n at 24 (m = 1.32), where counting the starting request or
///   not differs by 1.5%. Systematic: n falls one short when no request
///   arrived between two departures, on average D / λ per start (D the
///   completion rate), which lowers m by slope · D / λ / m ≤ 0.05% at
///   20,000/s; 0.1% is allowed.
/// - q = 300 is past the cap (m = 4), where one request more or less
///   changes nothing, so 4,000/s is enough.
///
/// Runs are long enough for about 40,000 completions each: the tolerance
/// was 0.51-0.55% when written, hence a resolution of 1.2%.
#[test]
fn capacity_at_a_held_number_of_requests_is_c_over_s0_times_m_of_n() {
    let (c, s0, slope, knee, cap) = (8.0, 0.010, 0.02, 8.0, 4.0);
    for (q, rps, window_s) in [(17u32, 20_000.0, 70.0), (300, 4_000.0, 210.0)] {
        let n = c + f64::from(q) - 1.0;
        let theory = c / (s0 * m(n, slope, knee, cap));
        let xs = replicate(REPS, |seed| {
            let mut doc = Station::new(rps, 8, exp_ms(10.0), 5.0 + window_s).doc(seed);
            doc["warmup_s"] = json!(5);
            doc["nodes"][0]["client_timeout_ms"] = Value::Null;
            doc["nodes"][1]["queue_limit"] = json!(q);
            doc["nodes"][1]["contention"] = json!({"slope": slope, "knee": knee, "max_factor": cap});
            run(&doc).nodes.get("app").unwrap().summary.throughput_rps
        });
        check(&format!("completions/s held at n = {n}"), &xs, theory, 0.001, 0.012);
    }
}

fn node_mut<'a>(doc: &'a mut Value, id: &str) -> &'a mut Value {
    doc["nodes"].as_array_mut().unwrap().iter_mut().find(|n| n["id"] == id).unwrap()
}

/// Successes over requests sent in the seconds ending in `(from_s, to_s]`.
fn goodput_share(series: &Series, from_s: u64, to_s: u64) -> f64 {
    let (mut ok, mut sent) = (0u64, 0u64);
    for p in series.iter().filter(|p| p.t_s > from_s && p.t_s <= to_s) {
        ok += p.ok;
        sent += p.generated;
    }
    assert!(sent > 1_000, "too few requests between {from_s} and {to_s} s");
    ok as f64 / sent as f64
}

const SEEDS: [u64; 3] = [1, 2, 3];

/// The shipped example: 8 workers of 10 ms at 600/s (75% busy), contention
/// 0.25% per request beyond 8 up to 4x, so n* = 8 + (8 / 6 − 1) / 0.0025 ≈ 141.
/// Without the spike nothing tips it over in 10 minutes: every request is
/// answered and the queue stays far below n*.
#[test]
fn the_tipping_point_example_holds_for_ten_minutes_without_a_trigger() {
    let mut quiet = example_json("tipping-point");
    quiet["faults"] = json!([]);
    quiet["duration_s"] = json!(610);
    for seed in SEEDS {
        let sim = run_seed(&quiet, seed);
        let r = sim.report();
        let deepest = sim.series().iter().map(|p| p.nodes[1].queue_len).max().unwrap();
        eprintln!("seed {seed}: goodput {:.1}/s, deepest queue at a second's end {deepest}", r.goodput_rps);
        assert_eq!(r.requests.failed.total(), 0, "seed {seed}: nothing fails");
        assert!(r.goodput_rps > 0.98 * 600.0, "seed {seed}: {}", r.goodput_rps);
        assert!(deepest < 60, "seed {seed}: the queue reached {deepest}");
        assert!(sim.goal_status().unwrap().met(), "seed {seed}: untouched, it meets its goal");
    }
}

/// At 60 s a spike makes the server 3x slower for 5 s: the queue passes n*
/// and never comes back. For the two minutes after the spike the users get
/// under 20% of their answers (the server is at 4x, 200/s, and soon every
/// answer is later than their 10 s). A queue limit of 50 (n at most 58,
/// under n*) or a maximum wait of 100 ms (about 60 waiting) brings it back
/// within 30 s of the spike's end and meets the goal. A queue limit of 400
/// is above n*: the node stays full, serving c / (S0 · m(407)) ≈ 400/s,
/// two thirds of the load.
#[test]
fn the_tipping_point_example_stays_down_after_the_spike_unless_the_queue_is_bounded() {
    let shipped = example_json("tipping-point");
    assert_eq!(
        (shipped["faults"][0]["at_s"].as_u64(), shipped["faults"][0]["duration_s"].as_u64()),
        (Some(60), Some(5))
    );
    let end = 65;
    for seed in SEEDS {
        let sim = run_seed(&shipped, seed);
        let after = goodput_share(sim.series(), end, end + 120);
        let late = goodput_share(sim.series(), end + 20, end + 120);
        eprintln!(
            "seed {seed}, as shipped: goodput {:.1}% in the 2 min after the spike, {:.2}% from 20 s after",
            100.0 * after,
            100.0 * late
        );
        assert!(after < 0.2, "seed {seed}: {after}");
        assert!(late < 0.01, "seed {seed}: {late}");
        assert!(!sim.goal_status().unwrap().met(), "seed {seed}: the shipped design misses its goal");

        for (what, key, value) in
            [("queue limit 50", "queue_limit", json!(50)), ("max wait 100 ms", "max_wait_ms", json!(100))]
        {
            let mut fixed = shipped.clone();
            node_mut(&mut fixed, "api")[key] = value;
            let sim = run_seed(&fixed, seed);
            let end_s = sim.series().iter().last().unwrap().t_s;
            let worst = (end + 30..end_s)
                .step_by(5)
                .map(|t| goodput_share(sim.series(), t, t + 5))
                .fold(f64::INFINITY, f64::min);
            eprintln!("seed {seed}, {what}: the worst 5 s from 30 s after the spike got {:.1}%", 100.0 * worst);
            assert!(worst > 0.9, "{what}, seed {seed}: {worst}");
            assert!(sim.goal_status().unwrap().met(), "{what}, seed {seed}: meets the goal");
        }

        let mut high = shipped.clone();
        node_mut(&mut high, "api")["queue_limit"] = json!(400);
        let sim = run_seed(&high, seed);
        let stuck = goodput_share(sim.series(), end + 10, end + 120);
        let theory = 8.0 / (0.010 * m(8.0 + 400.0 - 1.0, 0.0025, 8.0, 4.0)) / 600.0;
        eprintln!(
            "seed {seed}, queue limit 400: {:.1}% (capacity at a full queue: {:.1}%)",
            100.0 * stuck,
            100.0 * theory
        );
        assert!((stuck - theory).abs() < 0.03, "seed {seed}: {stuck} vs {theory}");
        assert!(!sim.goal_status().unwrap().met(), "seed {seed}: a limit above the tipping point misses the goal");
    }
}

/// The settings are read with their defaults (a knee at the workers), left
/// out when absent, written back and read the same, and refused by field.
#[test]
fn contention_settings_are_read_written_and_checked_by_field() {
    let plain = Station::new(100.0, 6, exp_ms(1.0), 60.0).doc(1);
    assert!(!scenario(&plain).to_json_pretty().contains("contention"), "left out when absent");
    let mut doc = plain.clone();
    doc["nodes"][1]["contention"] = json!({});
    let s = scenario(&doc);
    let text = s.to_json_pretty();
    assert!(
        text.contains(
            "\"contention\": {\n        \"slope\": 0.01,\n        \"knee\": 6,\n        \"max_factor\": 5.0\n      }"
        ),
        "{text}"
    );
    assert_eq!(Scenario::from_json(&text).unwrap(), s, "written back, read again: the same");
    doc["nodes"][1]["contention"] = json!({"slope": 0.3, "knee": 0, "max_factor": 10});
    let s = scenario(&doc);
    assert_eq!(Scenario::from_json(&s.to_json_pretty()).unwrap(), s);
    doc["nodes"][1]["contention"] = Value::Null;
    assert_eq!(scenario(&doc), scenario(&plain), "null is none");
    for (value, path, words) in [
        (json!(2), "contention", "must be an object, not a number"),
        (json!({"slope": 2}), "contention.slope", "must be at most 1, not 2"),
        (json!({"slope": -0.1}), "contention.slope", "must be at least 0"),
        (json!({"knee": 1.5}), "contention.knee", "must be a whole number"),
        (json!({"knee": 20_000_000}), "contention.knee", "must be at most 10000000"),
        (json!({"max_factor": 0.5}), "contention.max_factor", "must be at least 1, not 0.5"),
        (json!({"max_factor": 11}), "contention.max_factor", "must be at most 10, not 11"),
        (json!({"slop": 0.1}), "contention.slop", "unknown field; did you mean \"slope\"?"),
    ] {
        let mut bad = plain.clone();
        bad["nodes"][1]["contention"] = value.clone();
        let e = Scenario::from_json(&bad.to_string()).unwrap_err();
        let issues = e.issues();
        let at = format!("nodes[1].{path}");
        let issue = issues.iter().find(|i| i.path == at).unwrap_or_else(|| panic!("{value}: {e}"));
        assert!(issue.message.contains(words), "{value}: {}", issue.message);
        assert_eq!(issues.len(), 1, "{value}: one problem, {e}");
    }
    // A knee is needed when the workers were refused: their own message says why.
    let mut bad = plain.clone();
    bad["nodes"][1]["workers"] = json!(0);
    bad["nodes"][1]["contention"] = json!({});
    let e = Scenario::from_json(&bad.to_string()).unwrap_err();
    assert_eq!(e.issues().iter().map(|i| i.path.as_str()).collect::<Vec<_>>(), ["nodes[1].workers"], "{e}");
    // A worker pool holds one job per worker: it never crowds, and says so.
    let pool = json!({
        "version": 2, "seed": 1, "duration_s": 10,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 10},
            {"id": "web", "kind": "web_server"},
            {"id": "jobs", "kind": "queue"},
            {"id": "pool", "kind": "workers", "contention": {}}
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "jobs"}, {"from": "jobs", "to": "pool"}]
    });
    let e = Scenario::from_json(&pool.to_string()).unwrap_err();
    let issue = e.issues().iter().find(|i| i.path == "nodes[3].contention").cloned().unwrap_or_else(|| panic!("{e}"));
    assert!(issue.message.contains("never get crowded"), "{}", issue.message);
}
