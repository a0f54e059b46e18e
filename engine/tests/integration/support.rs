//! Helpers shared by the integration tests: building scenarios, running them,
//! replication statistics, and the queueing formulas the engine is checked against.

use scalelab_engine::{Report, Scenario, Simulation};
use serde_json::{json, Value};

pub fn run(doc: &Value) -> Report {
    let scenario = Scenario::from_json(&doc.to_string()).unwrap_or_else(|e| panic!("test scenario invalid: {e}"));
    let mut sim = Simulation::new(scenario);
    sim.run_to_end();
    sim.report()
}

/// Users straight into one station called "app" (latency 0): end-to-end latency
/// is then the response time at the station.
pub fn single_station(seed: u64, rps: f64, workers: u32, service: Value, queue_limit: Option<u32>, duration_s: f64) -> Value {
    json!({
        "version": 1, "seed": seed, "duration_s": duration_s, "warmup_s": 50,
        "nodes": [
            {"id": "users", "kind": "users", "rps": rps},
            {"id": "app", "kind": "web_server", "workers": workers, "service": service, "queue_limit": queue_limit}
        ],
        "links": [{"from": "users", "to": "app"}]
    })
}

/// Mean and standard error of independent replications.
pub fn mean_se(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// Asserts that replications agree with a theoretical value: within `k` standard
/// errors of the replication mean *and* within `rel` relative error. The first
/// guards against a wrong engine, the second against a test so noisy it proves
/// nothing.
pub fn assert_agrees(what: &str, xs: &[f64], theory: f64, k: f64, rel: f64) {
    let (mean, se) = mean_se(xs);
    let err = (mean - theory).abs();
    eprintln!("{what}: simulated {mean:.5} ± {se:.5} (se), theory {theory:.5}, error {:.2}%", 100.0 * err / theory);
    assert!(err <= k * se.max(theory * 1e-4), "{what}: {mean} is {:.1} standard errors from theory {theory}", err / se);
    assert!(err <= rel * theory, "{what}: {mean} is {:.2}% from theory {theory}", 100.0 * err / theory);
}

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered
/// load `a` = lambda / mu erlangs.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    // Erlang B by its stable recurrence, then C from B.
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / c as f64;
    b / (1.0 - rho + rho * b)
}

#[test]
fn erlang_c_matches_known_values() {
    // c = 1: P(wait) = rho.
    assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
    // c = 2, a = 1: C = 1/3 (closed form a^2 / (2 + a) ... for c=2: a^2/(a^2 + (2-a)(1+a)) ).
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
}
