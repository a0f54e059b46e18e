//! Load-dependent service time (a station's `contention`): a node with `n`
//! requests at it serves each one in S0 · m(n), m(n) = min(max_factor,
//! 1 + slope · max(0, n − knee)), so its capacity at `n` is c / (S0 · m(n))
//! and it tips over where that falls below the arrival rate; the settings
//! are read, written and checked by field.

use crate::support::*;
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
}
