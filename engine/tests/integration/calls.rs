//! A web server's calls to its data tier under a call policy (`calls`):
//! retries amplify the load on the database by the geometric sum, a retry
//! goes where the call would go at its time (a live replica when the first
//! one crashed), the calls have books of their own (`sent = ok + failed +
//! open`, against a scan of the arena), in any stepping, through edits of
//! the policy and crashes; the server's retries do not number the users'
//! attempts in a trace.

use crate::support::*;
use scalelab_engine::scenario::{CallPolicy, NodeSpec};
use scalelab_engine::theory::retry_amplification;
use scalelab_engine::{Cause, Edit, Report, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

/// 1000 reads/s into an asynchronous web server that calls a database
/// which cannot queue (64 workers of 1 ms: under 2% busy) and fails a share
/// `p` of its arrivals at once (injected errors), each call independently.
fn flaky_db(seed: u64, p: f64, calls: Value, duration_s: f64) -> Value {
    json!({
        "version": 2, "seed": seed, "duration_s": duration_s, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1000, "mix": {"read": 1.0}},
            {"id": "app", "kind": "web_server", "waiting": "async", "workers": 64, "service": exp_ms(0.2),
             "calls": calls},
            {"id": "db", "kind": "database", "workers": 64, "service": exp_ms(1.0)}
        ],
        "links": [{"from": "users", "to": "app", "latency_ms": 1}, {"from": "app", "to": "db", "latency_ms": 1}],
        "faults": [{"at_s": 0, "node": "db", "fault": "errors", "share": p}]
    })
}

/// Both books, each against a scan of the arena: the requests, and the
/// web servers' calls.
fn check_books(sim: &Simulation) -> Report {
    let r = sim.report();
    let q = &r.requests;
    assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight, "{q:?}");
    assert_eq!(q.in_flight, sim.count_open_window_requests());
    let c = sim.call_outcomes();
    assert_eq!(c.sent, c.ok + c.failed_total() + c.open(), "{c:?}");
    assert_eq!(c.open(), sim.count_open_calls(), "{c:?}");
    let a = sim.attempt_outcomes();
    assert_eq!(a.open(), sim.count_open_attempts(), "{a:?}");
    r
}

#[test]
fn a_web_servers_retries_amplify_the_database_load_by_the_geometric_sum() {
    // Up to 4 attempts per call, at once: the database sees (1 − p⁴)/(1 − p)
    // calls per request, and a request succeeds with 1 − p⁴. 20 runs of
    // 40 s at 1000/s: 800,000 requests per p.
    for p in [0.3, 0.5] {
        let runs = replicate(REPS, |seed| {
            let mut sim = Simulation::new(scenario(&flaky_db(seed + 1, p, json!({"max_attempts": 4}), 40.0)));
            sim.run_to_end();
            let r = check_books(&sim);
            let q = &r.requests;
            assert_eq!(q.failed.total(), q.failed.get(Cause::Error), "{q:?}");
            assert_eq!(q.retries, 0, "the users send each request once");
            let c = sim.call_outcomes();
            let app = &r.nodes.get("app").unwrap().summary;
            // Each request's first call, and the retries (a request in flight
            // may not have called yet).
            let first = c.sent - app.retries;
            assert!(first <= q.generated && first >= q.generated - q.in_flight, "{c:?} {q:?} {app:?}");
            let ended = (q.ok + q.failed.total()) as f64;
            (c.sent as f64 / q.generated as f64, q.ok as f64 / ended)
        });
        let amplification: Vec<f64> = runs.iter().map(|r| r.0).collect();
        let success: Vec<f64> = runs.iter().map(|r| r.1).collect();
        check(
            &format!("calls per request, 4 attempts, p = {p}"),
            &amplification,
            retry_amplification(4, p),
            0.0,
            0.005,
        );
        check(&format!("success, 4 attempts, p = {p}"), &success, 1.0 - p.powi(4), 0.0, 0.005);
    }
}

#[test]
fn a_retry_goes_to_a_live_replica_when_the_first_one_crashed() {
    // Reads spread over two replicas; replica-1 crashes at 5 s with calls
    // in its queue and in service. They fail with node_down, and each
    // retry picks its replica again: replica-2, which is up. Had the
    // retry taken the first attempt's wire, it would fail again.
    let doc = json!({
        "version": 2, "seed": 4, "duration_s": 10, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1000, "mix": {"read": 1.0}},
            {"id": "app", "kind": "web_server", "workers": 64, "service": exp_ms(0.2),
             "calls": {"max_attempts": 2}},
            {"id": "primary", "kind": "database", "workers": 16, "service": exp_ms(1.0)},
            {"id": "replica-1", "kind": "database", "workers": 2, "service": exp_ms(3.0)},
            {"id": "replica-2", "kind": "database", "workers": 16, "service": exp_ms(1.0)}
        ],
        "links": [
            {"from": "users", "to": "app", "latency_ms": 1},
            {"from": "app", "to": "primary", "latency_ms": 1}, {"from": "app", "to": "replica-1", "latency_ms": 1},
            {"from": "app", "to": "replica-2", "latency_ms": 1},
            {"from": "primary", "to": "replica-1"}, {"from": "primary", "to": "replica-2"}
        ],
        "faults": [{"at_s": 5, "node": "replica-1", "fault": "fail"}]
    });
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_to_end();
    let r = check_books(&sim);
    let c = sim.call_outcomes();
    let down = c.failed[Cause::NodeDown as usize];
    assert!(down > 0, "calls were under way at replica-1 when it crashed: {c:?}");
    assert_eq!(r.nodes.get("app").unwrap().summary.retries, down, "each was retried once");
    assert_eq!(r.requests.failed.total(), 0, "every retry found a live replica: {:?}", r.requests);
    // Without the policy those calls fail their requests.
    let mut plain = doc.clone();
    plain["nodes"][1].as_object_mut().unwrap().remove("calls");
    let p = run(&plain);
    assert_eq!(p.requests.failed.get(Cause::NodeDown), down, "{:?}", p.requests);
}

#[test]
fn the_calls_books_hold_in_any_stepping_through_timeouts_give_ups_crashes_and_edits() {
    // A database too slow for the writes alone, behind two web servers that time their calls out at
    // 15 ms and retry with a budget; users give up at 60 ms and also retry;
    // the database drops abandoned work; app-1 crashes and recovers.
    let doc = json!({
        "version": 2, "seed": 8, "duration_s": 20, "warmup_s": 2,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 900, "client_timeout_ms": 60, "mix": {"read": 0.5, "write": 0.5},
             "retry": {"attempt_timeout_ms": 40, "max_attempts": 2}},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "app-1", "kind": "web_server", "workers": 8, "service": exp_ms(1.0), "timeout_ms": 50,
             "calls": {"attempt_timeout_ms": 15, "max_attempts": 3, "backoff": "exponential", "backoff_ms": 2,
                       "backoff_cap_ms": 8, "jitter": "equal", "budget": {"tokens": 50, "refill": 0.5}}},
            {"id": "app-2", "kind": "web_server", "waiting": "async", "workers": 8, "service": exp_ms(1.0),
             "calls": {"attempt_timeout_ms": 15, "max_attempts": 4}},
            {"id": "cache", "kind": "cache", "workers": 8, "service": exp_ms(0.5)},
            {"id": "db", "kind": "database", "workers": 1, "service": exp_ms(2.5), "drop_abandoned": true}
        ],
        "links": [
            {"from": "users", "to": "lb", "latency_ms": 1},
            {"from": "lb", "to": "app-1", "latency_ms": 1}, {"from": "lb", "to": "app-2", "latency_ms": 1},
            {"from": "app-1", "to": "cache", "latency_ms": 1}, {"from": "app-2", "to": "cache", "latency_ms": 1},
            {"from": "app-1", "to": "db", "latency_ms": 1}, {"from": "app-2", "to": "db", "latency_ms": 1}
        ],
        "faults": [{"at_s": 6, "node": "app-1", "fault": "fail"}, {"at_s": 9, "node": "app-1", "fault": "recover"}]
    });
    let mut whole = Simulation::new(scenario(&doc));
    whole.run_to_end();
    let r = check_books(&whole);
    let c = whole.call_outcomes();
    eprintln!("{:?}\n{c:?}", r.requests);
    assert!(c.failed[Cause::Timeout as usize] > 1000, "{c:?}");
    for app in ["app-1", "app-2"] {
        let s = &r.nodes.get(app).unwrap().summary;
        assert!(s.call_timeouts > 0 && s.retries > 0, "{app}: {s:?}");
    }
    assert!(r.requests.failed.get(Cause::ClientTimeout) > 0 && r.requests.failed.get(Cause::NodeDown) > 0);
    let mut chunked = Simulation::new(scenario(&doc));
    let mut step = 3u64;
    while !chunked.run_until(chunked.now() + step, 1009).finished {
        step = (step * 5 + 11) % 30_000_000 + 1;
        if chunked.now() > 2 * S {
            check_books(&chunked);
        }
    }
    assert_eq!(chunked.report().to_json_pretty(), r.to_json_pretty());
    assert_eq!(chunked.call_outcomes(), whole.call_outcomes());

    // Edits of app-2's calls while running: more attempts and a shorter
    // timeout, none, a budget, one attempt without a timeout.
    let mut sim = Simulation::new(scenario(&doc));
    let with = |policy: Option<CallPolicy>, sim: &Simulation| {
        let mut node = sim.scenario().nodes[3].clone();
        let NodeSpec::WebServer(w) = &mut node.spec else { panic!() };
        w.calls = policy;
        Edit::UpdateNode { node }
    };
    let budgeted = CallPolicy {
        budget: Some(scalelab_engine::scenario::RetryBudget { tokens: 5, refill: 0.1 }),
        ..CallPolicy::attempts(3, Some(30.0))
    };
    for (i, policy) in [Some(CallPolicy::attempts(5, Some(5.0))), None, Some(budgeted), Some(CallPolicy::SINGLE)]
        .into_iter()
        .enumerate()
    {
        sim.run_until((3 + 4 * i as u64) * S, u64::MAX);
        let (sent, on) = (sim.call_outcomes().sent, policy.is_some());
        let edit = with(policy, &sim);
        sim.apply(edit).unwrap();
        check_books(&sim);
        sim.run_until(sim.now() + S, u64::MAX);
        check_books(&sim);
        if on {
            assert!(sim.call_outcomes().sent > sent, "app-2 calls under its new policy");
        }
    }
    sim.run_to_end();
    check_books(&sim);
}

#[test]
fn a_web_servers_retries_wait_in_its_visit_and_do_not_number_the_users_attempts() {
    // Half the database's answers are errors; the server retries once after
    // 20 ms. A traced request that was retried spent those 20 ms in the web
    // server's visit (backoff), its parts still add up, and every hop is
    // the users' first attempt.
    let doc = flaky_db(5, 0.5, json!({"max_attempts": 2, "backoff": "constant", "backoff_ms": 20}), 20.0);
    let mut sim = Simulation::new(scenario(&doc));
    let mut retried = 0;
    for t in traces_ended_after(&mut sim, 2) {
        let parts: f64 = t.hops.iter().map(|h| h.network_ms + h.queued_ms + h.service_ms + h.backoff_ms).sum();
        assert!((parts - t.latency_ms).abs() < 1e-6, "the parts add up: {t:#?}");
        assert!(t.hops.iter().all(|h| h.attempt <= 1), "no users' retry: {t:#?}");
        let web = t.hops.iter().find(|h| h.depth == 1).unwrap();
        let db_visits = t.hops.iter().filter(|h| h.depth == 2).count();
        if db_visits == 2 {
            retried += 1;
            assert!((web.backoff_ms - 20.0).abs() < 1e-9, "{t:#?}");
            let first = t.hops.iter().find(|h| h.depth == 2).unwrap();
            assert_eq!(first.failed, Some(Cause::Error), "{t:#?}");
        } else {
            assert_eq!(db_visits, 1, "{t:#?}");
            assert_eq!(web.backoff_ms, 0.0);
        }
    }
    assert!(retried > 100, "{retried} retried requests traced");
}

#[test]
fn a_calls_policy_is_read_back_as_written_and_refused_by_field() {
    let doc = flaky_db(1, 0.1, json!({"attempt_timeout_ms": 100, "max_attempts": 4, "budget": {"tokens": 10}}), 1.0);
    let s = scenario(&doc);
    let NodeSpec::WebServer(w) = &s.nodes[1].spec else { panic!() };
    assert_eq!(w.calls.unwrap().max_attempts, 4);
    let back = serde_json::to_value(&s).unwrap();
    assert_eq!(back["nodes"][1]["calls"]["attempt_timeout_ms"], 100.0);
    assert!(back["nodes"][2].get("calls").is_none());
    for (calls, path, words) in [
        (json!({"max_attempts": 11}), "nodes[1].calls.max_attempts", "at most 10"),
        (json!({"max_attempts": 0}), "nodes[1].calls.max_attempts", "at least 1"),
        (json!({"attempt_timeout_ms": 0}), "nodes[1].calls.attempt_timeout_ms", "more than 0"),
        (json!({"jitter": "full"}), "nodes[1].calls.jitter", "applies only with"),
        (json!({"budget": {"tokens": 1001}}), "nodes[1].calls.budget.tokens", "at most 1000"),
        (json!({"budget": {"refill": 2}}), "nodes[1].calls.budget.refill", "at most 1"),
        (json!({"backoff": "linear"}), "nodes[1].calls.backoff", "\"exponential\""),
    ] {
        let doc = flaky_db(1, 0.1, calls.clone(), 1.0);
        let e = scalelab_engine::Scenario::from_json(&doc.to_string()).expect_err(&format!("{calls} is refused"));
        let issue = e.issues().into_iter().find(|i| i.path == path).unwrap_or_else(|| panic!("{path}: {e}"));
        assert!(issue.message.contains(words), "{path}: {}", issue.message);
    }
}

#[test]
fn a_retry_whose_database_link_was_removed_meets_what_a_first_call_would_and_is_not_counted() {
    // Every database call fails; the server retries once after 1 s. At
    // 1.5 s the database's link is removed, with about 1000 retries
    // waiting out their backoff. A first call now is answered by the
    // server itself (without a database it keeps its data), and so is
    // each of those retries: none is sent, none is counted, and none
    // fails with a misleading no_route.
    let doc = flaky_db(2, 1.0, json!({"max_attempts": 2, "backoff": "constant", "backoff_ms": 1000}), 3.0);
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(1500 * S / 1000, u64::MAX);
    let at_removal = (sim.call_outcomes().sent, sim.report().nodes.get("app").unwrap().summary.retries);
    assert!(at_removal.1 > 400, "retries sent before: {at_removal:?}");
    sim.apply(Edit::RemoveLink { from: "app".into(), to: "db".into() }).unwrap();
    sim.run_to_end();
    let r = check_books(&sim);
    let app = &r.nodes.get("app").unwrap().summary;
    assert_eq!((sim.call_outcomes().sent, app.retries), at_removal, "nothing sent after, nothing counted");
    assert_eq!(r.requests.failed.get(Cause::NoRoute), 0, "{:?}", r.requests);
    // Those waiting at the removal (sent in [0.5, 1.5) s) are answered.
    assert!(r.requests.ok > 1500, "{:?}", r.requests);
    assert_eq!(r.requests.failed.total(), r.requests.failed.get(Cause::Error), "{:?}", r.requests);
}
