//! Injected errors and latency spikes: the share of requests an error fault
//! fails is the share asked for, the failures carry their own cause, and a
//! spike slows service for its duration and then ends by itself (unless a
//! later fault decided the node's speed).

use crate::support::*;
use scalelab_engine::{Cause, Edit, EditError, Fault, Health, Scenario, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

/// 1,000 requests/s into 64 workers of 1 ms: no queueing, so every request
/// that is not failed by the fault succeeds.
fn plain(seed: u64, faults: Value) -> Value {
    json!({
        "version": 2, "seed": seed, "duration_s": 65, "warmup_s": 5,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1000},
            {"id": "web", "kind": "web_server", "workers": 64, "service": {"dist": "exponential", "mean_ms": 1}, "queue_limit": null}
        ],
        "links": [{"from": "users", "to": "web", "latency_ms": 1}],
        "faults": faults
    })
}

/// Errors at a share p fail a share p of the requests, with cause `error`,
/// counted at the node; 20 runs of 60 s at 1,000 requests/s.
#[test]
fn injected_errors_fail_the_share_asked_for() {
    for (p, resolution) in [(0.1, 0.03), (0.5, 0.01)] {
        let shares = replicate(REPS, |seed| {
            let doc = plain(seed, json!([{"at_s": 0, "node": "web", "fault": "errors", "share": p}]));
            let mut sim = Simulation::new(scenario(&doc));
            sim.run_to_end();
            let r = sim.report();
            let q = &r.requests;
            let web = r.nodes.get("web").unwrap().summary;
            assert_eq!(q.failed.get(Cause::Error), q.failed.total(), "no other cause: {q:?}");
            // Counted where they happened: the node counts arrivals from the
            // warm-up on, the report requests born from then (a request born
            // just before arrives 1 ms later), so they differ by at most a few.
            assert!(web.errors.abs_diff(q.failed.get(Cause::Error)) <= 5, "{} at web, {q:?}", web.errors);
            q.failed.get(Cause::Error) as f64 / (q.ok + q.failed.total()) as f64
        });
        check(&format!("share failed with errors at p = {p}"), &shares, p, 0.0, resolution);
    }
}

/// Errors stop when the node recovers; the node's report leaves the key out
/// when there were none.
#[test]
fn recovery_ends_injected_errors() {
    let doc = plain(
        1,
        json!([{"at_s": 0, "node": "web", "fault": "errors", "share": 1}, {"at_s": 30, "node": "web", "fault": "recover"}]),
    );
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(29 * S, u64::MAX);
    assert_eq!(sim.report().requests.ok, 0, "every request failed while the share was 1");
    sim.run_until(31 * S, u64::MAX);
    let failed_by_31 = sim.totals().failed_total();
    sim.run_to_end();
    assert!(sim.totals().failed_total() - failed_by_31 == 0, "none after the recovery");
    let said: Vec<String> = sim.log().entries().map(|e| e.text.clone()).collect();
    assert!(said.iter().any(|t| t == "web: 100% of requests fail (injected errors)"), "{said:?}");
    assert!(said.iter().any(|t| t == "web: no more injected errors"), "{said:?}");
    let quiet = plain(1, json!([]));
    let mut sim = Simulation::new(scenario(&quiet));
    sim.run_to_end();
    assert!(!sim.report().to_json_pretty().contains("\"errors\""), "no errors key without errors");
}

/// A spike of 4x for 10 s: the node is degraded by 4 and service takes 4x as
/// long, then both are back by themselves at its end.
#[test]
fn a_latency_spike_slows_service_for_its_duration_then_ends() {
    let doc = plain(3, json!([{"at_s": 20, "node": "web", "fault": "spike", "factor": 4, "duration_s": 10}]));
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(20 * S + 1, u64::MAX);
    assert_eq!(sim.health("web"), Some(Health::Degraded { factor: 4.0 }));
    sim.run_until(30 * S - 1, u64::MAX);
    assert_eq!(sim.health("web"), Some(Health::Degraded { factor: 4.0 }));
    sim.run_until(30 * S + 1, u64::MAX);
    assert_eq!(sim.health("web"), Some(Health::Up));
    sim.run_until(40 * S, u64::MAX);
    let web = sim.scenario().node_index("web").unwrap();
    let mean_at = |t: u64| {
        let p = sim.series().iter().find(|p| p.t_s == t).unwrap();
        p.nodes[web].busy_workers / p.nodes[web].throughput_rps * 1000.0
    };
    // Busy workers over throughput is the mean service time (Little).
    let (before, during, after) = (mean_at(15), mean_at(25), mean_at(35));
    assert!((before - 1.0).abs() < 0.15 && (after - 1.0).abs() < 0.15, "{before} ms, {after} ms");
    assert!((during - 4.0).abs() < 0.5, "{during} ms during the spike");
    let said: Vec<String> = sim.log().entries().map(|e| e.text.clone()).collect();
    assert!(said.iter().any(|t| t == "web: latency spike, service 4x slower for 10 s"), "{said:?}");
    assert!(said.iter().any(|t| t == "web: latency spike over"), "{said:?}");
}

/// A spike multiplies the speed the node had (slowed 2x, a 3x spike makes
/// it 6x, and it ends at 2x); a fault that sets the speed during a spike
/// (slow, fail, recover) cancels its end.
#[test]
fn a_spike_ends_at_the_speed_before_it_unless_a_later_fault_set_the_speed() {
    let mut sim = Simulation::new(scenario(&plain(4, json!([]))));
    let fault = |f: Fault| Edit::Fault { id: "web".into(), fault: f };
    sim.run_until(10 * S, u64::MAX);
    sim.apply(fault(Fault::Slow { factor: 2.0 })).unwrap();
    sim.apply(fault(Fault::Spike { factor: 3.0, duration_s: 5.0 })).unwrap();
    assert_eq!(sim.health("web"), Some(Health::Degraded { factor: 6.0 }));
    sim.run_until(16 * S, u64::MAX);
    assert_eq!(sim.health("web"), Some(Health::Degraded { factor: 2.0 }));

    sim.apply(fault(Fault::Spike { factor: 3.0, duration_s: 5.0 })).unwrap();
    sim.run_until(17 * S, u64::MAX);
    sim.apply(fault(Fault::Slow { factor: 8.0 })).unwrap();
    sim.run_until(25 * S, u64::MAX);
    assert_eq!(sim.health("web"), Some(Health::Degraded { factor: 8.0 }), "the later slow-down stays");

    sim.apply(fault(Fault::Spike { factor: 2.0, duration_s: 5.0 })).unwrap();
    sim.apply(fault(Fault::Recover)).unwrap();
    assert_eq!(sim.health("web"), Some(Health::Up));
    sim.run_until(35 * S, u64::MAX);
    assert_eq!(sim.health("web"), Some(Health::Up), "the spike's end did not bring a slow-down back");
}

/// Faults that do not apply are refused in words, and change nothing.
#[test]
fn errors_and_spikes_that_cannot_apply_are_refused_in_words() {
    let doc = json!({
        "version": 2, "seed": 1, "duration_s": 60,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 100},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "web", "kind": "web_server"}
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"}]
    });
    let mut sim = Simulation::new(scenario(&doc));
    let refused = |sim: &mut Simulation, id: &str, f: Fault| match sim.apply(Edit::Fault { id: id.into(), fault: f }) {
        Err(EditError::NotApplicable(why)) => why,
        other => panic!("{f:?} at {id}: {other:?}"),
    };
    assert_eq!(
        refused(&mut sim, "users", Fault::Errors { share: 0.5 }),
        "users cannot fail; change their traffic instead"
    );
    assert_eq!(
        refused(&mut sim, "lb", Fault::Spike { factor: 3.0, duration_s: 5.0 }),
        "a load balancer adds no processing time here, so its latency cannot spike; fail it instead"
    );
    assert!(refused(&mut sim, "web", Fault::Errors { share: 0.0 })
        .starts_with("the share of requests that fail must be more than 0"));
    assert!(refused(&mut sim, "web", Fault::Errors { share: 1.5 })
        .starts_with("the share of requests that fail must be more than 0"));
    assert!(refused(&mut sim, "web", Fault::Spike { factor: 1.0, duration_s: 5.0 })
        .starts_with("slow-down factor must be more than 1"));
    assert!(refused(&mut sim, "web", Fault::Spike { factor: 2.0, duration_s: 0.0 })
        .starts_with("a spike lasts more than 0 seconds"));
    // A balancer can answer with errors (a bad gateway).
    sim.apply(Edit::Fault { id: "lb".into(), fault: Fault::Errors { share: 0.2 } }).unwrap();
}

/// In files: each setting belongs to its fault, and is checked.
#[test]
fn scheduled_errors_and_spikes_are_read_and_checked_by_field() {
    let base = plain(1, json!([]));
    let with = |faults: Value| {
        let mut doc = base.clone();
        doc["faults"] = faults;
        Scenario::from_json(&doc.to_string())
    };
    let ok = with(json!([{"at_s": 1, "node": "web", "fault": "errors", "share": 0.25}, {"at_s": 2, "node": "web", "fault": "spike", "factor": 3, "duration_s": 4}])).unwrap();
    assert_eq!(ok.faults[0].fault, Fault::Errors { share: 0.25 });
    assert_eq!(ok.faults[1].fault, Fault::Spike { factor: 3.0, duration_s: 4.0 });
    // Written back, read again: the same.
    assert_eq!(Scenario::from_json(&ok.to_json_pretty()).unwrap(), ok);
    for (fault, path, words) in [
        (json!({"fault": "errors", "share": 0}), "faults[0].share", "must be more than 0"),
        (json!({"fault": "errors", "factor": 2}), "faults[0].factor", "applies only to \"slow\" and \"spike\""),
        (json!({"fault": "slow", "factor": 2, "share": 0.5}), "faults[0].share", "applies only to \"errors\""),
        (
            json!({"fault": "spike", "factor": 2, "duration_s": 0}),
            "faults[0].duration_s",
            "must be more than 0 seconds",
        ),
        (json!({"fault": "slow", "factor": 2, "duration_s": 3}), "faults[0].duration_s", "applies only to \"spike\""),
    ] {
        let mut f = fault.clone();
        f["at_s"] = json!(1);
        f["node"] = json!("web");
        let e = with(json!([f])).unwrap_err();
        let issues = e.issues();
        let issue = issues.iter().find(|i| i.path == path).unwrap_or_else(|| panic!("{fault}: {e}"));
        assert!(issue.message.contains(words), "{fault}: {}", issue.message);
    }
}

/// A node removed while a spike or injected errors are on it takes them
/// along: the spike's end says nothing of a node that is gone.
#[test]
fn a_removed_node_keeps_no_injected_fault() {
    let mut sim = Simulation::new(scenario(&plain(2, json!([]))));
    sim.run_until(10 * S, u64::MAX);
    let fault = |f: Fault| Edit::Fault { id: "web".into(), fault: f };
    sim.apply(fault(Fault::Spike { factor: 3.0, duration_s: 5.0 })).unwrap();
    sim.apply(fault(Fault::Errors { share: 0.5 })).unwrap();
    sim.run_until(11 * S, u64::MAX);
    sim.apply(Edit::RemoveNode { id: "web".into() }).unwrap();
    sim.run_until(20 * S, u64::MAX);
    let said: Vec<String> = sim.log().entries().map(|e| e.text.clone()).collect();
    assert!(!said.iter().any(|t| t == "web: latency spike over"), "{said:?}");
    let t = sim.totals();
    assert_eq!(t.generated, t.ok + t.failed_total() + sim.count_open_window_requests());
}
