//! Designs tried against failures and against each other: the resilience
//! report (every node and data center failed in turn) and A/B pairing (two
//! designs under the very same requests).

use scalelab_engine::resilience::{ResilienceOptions, ResilienceRun, TrialKind};
use scalelab_engine::{NodeKind, Scenario};
use serde_json::{json, Value};

fn design(replica: bool) -> Value {
    let mut nodes = vec![
        json!({"id": "users", "kind": "users", "rps": 400, "mix": {"read": 0.8, "write": 0.2}}),
        json!({"id": "lb", "kind": "load_balancer", "pair": true, "failover_s": 2}),
        json!({"id": "web-1", "kind": "web_server", "workers": 16, "service": {"dist": "exponential", "mean_ms": 5}}),
        json!({"id": "web-2", "kind": "web_server", "workers": 16, "service": {"dist": "exponential", "mean_ms": 5}}),
        json!({"id": "db", "kind": "database", "workers": 16, "failover_s": 5, "service": {"dist": "exponential", "mean_ms": 2}}),
    ];
    let mut links = vec![
        json!({"from": "users", "to": "lb"}),
        json!({"from": "lb", "to": "web-1"}),
        json!({"from": "lb", "to": "web-2"}),
        json!({"from": "web-1", "to": "db"}),
        json!({"from": "web-2", "to": "db"}),
    ];
    if replica {
        nodes.push(json!({"id": "replica", "kind": "database", "workers": 16, "replication_lag_ms": 50, "service": {"dist": "exponential", "mean_ms": 2}}));
        links.push(json!({"from": "db", "to": "replica"}));
        links.push(json!({"from": "web-1", "to": "replica"}));
        links.push(json!({"from": "web-2", "to": "replica"}));
    }
    json!({"version": 1, "seed": 3, "duration_s": 600, "warmup_s": 5, "nodes": nodes, "links": links})
}

fn report(doc: &Value) -> scalelab_engine::resilience::ResilienceReport {
    let scenario = Scenario::from_json(&doc.to_string()).unwrap();
    let mut run = ResilienceRun::new(&scenario, ResilienceOptions { warmup_s: 10, after_s: 30 });
    assert_eq!(run.total(), 5 + usize::from(doc["nodes"].as_array().unwrap().len() == 6));
    // In slices, the way the page runs it: progress only grows.
    let mut last = 0.0;
    let mut slices = 0;
    while !run.step(20_000) {
        let p = run.progress();
        assert!(p >= last && p <= 1.0, "{p} after {last}");
        last = p;
        slices += 1;
    }
    assert!(slices > 10, "the work was cut into slices: {slices}");
    assert_eq!((run.finished(), run.progress()), (run.total(), 1.0));
    run.report().unwrap()
}

#[test]
fn one_database_is_listed_first_as_a_single_point_of_failure_and_a_replica_with_failover_is_not() {
    let single = report(&design(false));
    assert_eq!(single.baseline.failed, None);
    assert_eq!(single.baseline.error_rate, 0.0);
    let first = &single.trials[0];
    assert_eq!(
        (first.failed.as_deref(), first.single_point_of_failure, first.kind),
        (Some("db"), true, TrialKind::Node(NodeKind::Database))
    );
    assert!(first.error_rate > 0.95 && first.recovered_after_s.is_none(), "{first:?}");
    // Losing one web server of two costs a few seconds of errors (health
    // checks), then nothing; the balancer pair takes over in 2 s.
    let web = single.trials.iter().find(|t| t.failed.as_deref() == Some("web-1")).unwrap();
    assert!(!web.single_point_of_failure && web.recovered_after_s.is_some_and(|s| s <= 10), "{web:?}");
    let lb = single.trials.iter().find(|t| t.failed.as_deref() == Some("lb")).unwrap();
    assert!(!lb.single_point_of_failure && lb.recovered_after_s.is_some_and(|s| s <= 5), "{lb:?}");

    let replicated = report(&design(true));
    assert!(replicated.trials.iter().all(|t| !t.single_point_of_failure), "{:?}", replicated.trials);
    let db = replicated.trials.iter().find(|t| t.failed.as_deref() == Some("db")).unwrap();
    eprintln!("primary failure with a replica: {db:?}");
    // Writes fail until the replica is promoted (5 s), then everything works.
    assert!(db.recovered_after_s.is_some_and(|s| (4..=8).contains(&s)), "{db:?}");
    assert!(db.error_rate < 0.2 && db.peak_error_rate > 0.1, "{db:?}");
    assert!(db.lost_writes > 0, "writes inside the replication lag are lost: {db:?}");
}

#[test]
fn a_data_center_outage_is_a_trial_too() {
    let mut doc = design(true);
    doc["data_centers"] = json!([{"id": "east", "region": "us-east"}]);
    for n in doc["nodes"].as_array_mut().unwrap().iter_mut().skip(1) {
        n["dc"] = json!("east");
    }
    let scenario = Scenario::from_json(&doc.to_string()).unwrap();
    let mut run = ResilienceRun::new(&scenario, ResilienceOptions { warmup_s: 5, after_s: 10 });
    while !run.step(u64::MAX) {}
    let r = run.report().unwrap();
    let dc = r.trials.iter().find(|t| t.kind == TrialKind::DataCenter).unwrap();
    assert_eq!(dc.failed.as_deref(), Some("east"));
    assert!(dc.error_rate > 0.99, "{dc:?}");
}

/// A lesson's scenario (the lessons are the natural designs to compare).
fn lesson(n: u32) -> Scenario {
    Scenario::from_json(&crate::lesson_goals::lesson_json(n).to_string()).unwrap()
}

#[test]
fn two_designs_compared_see_the_very_same_requests() {
    use scalelab_engine::compare::pair;
    let a = lesson(4);
    // B: lesson 3's single server, with its users moved to the end of the
    // list and another seed; pairing puts both right.
    let mut b = lesson(3);
    b.seed = 999;
    let users = b.nodes.remove(0);
    b.nodes.push(users);
    let p = pair(&a, &b).unwrap();
    assert!(p.notes.iter().any(|n| n.contains("seed set to A's")), "{:?}", p.notes);
    assert!(p.notes.iter().any(|n| n.contains("users: traffic set to A's")), "{:?}", p.notes);
    let (mut sa, mut sb) =
        (scalelab_engine::Simulation::new(p.a.clone()), scalelab_engine::Simulation::new(p.b.clone()));
    sa.run_until(20 * 1_000_000_000, u64::MAX);
    sb.run_until(20 * 1_000_000_000, u64::MAX);
    let per_second = |s: &scalelab_engine::Simulation| s.series().iter().map(|p| p.generated).collect::<Vec<u64>>();
    assert_eq!(per_second(&sa), per_second(&sb), "the same arrivals, second by second");
    assert_eq!(sa.totals().generated, sb.totals().generated);
    // ...and different outcomes: one server cannot carry lesson 4's traffic.
    assert!(
        sb.totals().failed_total() > 100 * sa.totals().failed_total().max(1),
        "{:?} vs {:?}",
        sb.totals(),
        sa.totals()
    );

    // The same faults at the same times, where B has what they name: lesson
    // 11 with a bad deployment of its workers scheduled (a slowdown at 90 s,
    // the rollback at 600 s); lesson 10 has the workers, lesson 4 does not.
    let mut doc = crate::lesson_goals::lesson_json(11);
    doc["faults"] = serde_json::json!([
        {"at_s": 90, "node": "photo-workers", "fault": "slow", "factor": 5},
        {"at_s": 600, "node": "photo-workers", "fault": "recover"}
    ]);
    let with_faults = Scenario::from_json(&doc.to_string()).unwrap();
    let (has_workers, lacks_workers) = (lesson(10), lesson(4));
    assert_eq!(with_faults.faults.len(), 2);
    let p = pair(&with_faults, &has_workers).unwrap();
    assert_eq!(p.b.faults, with_faults.faults);
    let p = pair(&with_faults, &lacks_workers).unwrap();
    assert!(p.b.faults.is_empty());
    assert!(p.notes.iter().any(|n| n.contains("the fault on photo-workers at 90 s is left out")), "{:?}", p.notes);
}
