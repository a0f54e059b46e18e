//! Retries at the users (`retry.max_attempts` above 1): amplification and
//! success against the geometric sums of independent failures, the retry
//! budget's bound, backoff and jitter in the run, the causes not retried,
//! and both books (requests and attempts) with retries, in any stepping.

use crate::support::*;
use scalelab_engine::scenario::{CallPolicy, NodeSpec};
use scalelab_engine::theory::retry_amplification;
use scalelab_engine::{Cause, Edit, Report, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

/// 1000 requests/s into a web server that cannot queue (64 workers of
/// 1 ms: under 2% busy) failing a share `p` of its arrivals at once
/// (injected errors), each attempt independently; 1 ms away.
fn flaky(seed: u64, p: f64, retry: Value, duration_s: f64) -> Value {
    json!({
        "version": 2, "seed": seed, "duration_s": duration_s, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1000, "retry": retry},
            {"id": "app", "kind": "web_server", "workers": 64, "service": exp_ms(1.0)}
        ],
        "links": [{"from": "users", "to": "app", "latency_ms": 1}],
        "faults": [{"at_s": 0, "node": "app", "fault": "errors", "share": p}]
    })
}

/// Both books: requests and attempts, each against a scan of the arena;
/// and the attempts sent are the requests' first ones plus their retries
/// (when every request of the window was sent with the policy).
fn check_books(sim: &Simulation) -> Report {
    let r = check_both(sim);
    let (a, q) = (sim.attempt_outcomes(), &r.requests);
    assert_eq!(a.sent, q.attempts, "every request's first attempt and its retries: {a:?} {q:?}");
    r
}

fn check_both(sim: &Simulation) -> Report {
    let r = sim.report();
    let q = &r.requests;
    assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight, "{q:?}");
    assert_eq!(q.in_flight, sim.count_open_window_requests());
    let a = sim.attempt_outcomes();
    assert_eq!(a.sent, a.ok + a.failed_total() + a.open(), "{a:?}");
    assert_eq!(a.open(), sim.count_open_attempts(), "{a:?}");
    assert!(a.sent <= q.attempts, "{a:?} {q:?}");
    r
}

#[test]
fn retries_amplify_the_load_by_the_geometric_sum_and_succeed_as_often_as_theory_says() {
    // Up to 4 attempts, at once: attempts per request (1 − p⁴)/(1 − p),
    // success 1 − p⁴. 20 runs of 60 s at 1000/s: 1.2 million requests per p.
    for p in [0.3, 0.5] {
        let runs = replicate(REPS, |seed| {
            let mut sim = Simulation::new(scenario(&flaky(seed + 1, p, json!({"max_attempts": 4}), 60.0)));
            sim.run_to_end();
            let r = check_books(&sim);
            let q = &r.requests;
            // Only the injected errors fail, and only after the fourth try.
            assert_eq!(q.failed.total(), q.failed.get(Cause::Error), "{q:?}");
            let a = sim.attempt_outcomes();
            assert_eq!(a.failed_total(), a.failed[Cause::Error as usize]);
            assert_eq!(r.nodes.get("users").unwrap().summary.retries, q.retries);
            let ended = (q.ok + q.failed.total()) as f64;
            (r.attempts_per_request.unwrap(), q.ok as f64 / ended, q.generated)
        });
        let requests: u64 = runs.iter().map(|r| r.2).sum();
        eprintln!("p = {p}: {} runs, {requests} requests", runs.len());
        let amplification: Vec<f64> = runs.iter().map(|r| r.0).collect();
        let success: Vec<f64> = runs.iter().map(|r| r.1).collect();
        check(
            &format!("attempts per request, 4 attempts, p = {p}"),
            &amplification,
            retry_amplification(4, p),
            0.0,
            0.005,
        );
        check(&format!("success, 4 attempts, p = {p}"), &success, 1.0 - p.powi(4), 0.0, 0.005);
    }
}

#[test]
fn without_retries_a_request_succeeds_as_often_as_one_attempt() {
    // max_attempts 1 (r = 0): success 1 − p, one attempt each.
    let p = 0.3;
    let runs = replicate(REPS, |seed| {
        let mut sim = Simulation::new(scenario(&flaky(seed + 1, p, json!({"max_attempts": 1}), 60.0)));
        sim.run_to_end();
        let r = check_books(&sim);
        assert_eq!(r.attempts_per_request, Some(1.0));
        let q = &r.requests;
        q.ok as f64 / (q.ok + q.failed.total()) as f64
    });
    check("success, 1 attempt, p = 0.3", &runs, 1.0 - p, 0.0, 0.005);
}

#[test]
fn a_retry_budget_bounds_the_retries_by_its_tokens_and_the_successes() {
    // Half the attempts fail; without a budget 4 attempts make 1.875 per
    // request. A budget of 10 tokens refilled 0.1 per successful attempt
    // allows at most 10 + 0.1 x successes retries, whenever it is read.
    let budget = json!({"max_attempts": 4, "budget": {"tokens": 10, "refill": 0.1}});
    let mut sim = Simulation::new(scenario(&flaky(3, 0.5, budget, 60.0)));
    let mut seconds = 0;
    while !sim.run_until(sim.now() + S, u64::MAX).finished {
        seconds += 1;
        let r = check_books(&sim);
        let ok_attempts = sim.attempt_outcomes().ok;
        assert!(
            r.requests.retries as f64 <= 10.0 + 0.1 * ok_attempts as f64 + 1e-9,
            "at {seconds} s: {} retries, {ok_attempts} successful attempts",
            r.requests.retries
        );
    }
    let r = check_books(&sim);
    let a = sim.attempt_outcomes();
    let per_request = r.attempts_per_request.unwrap();
    eprintln!(
        "budget: {} retries for {} successful attempts, {per_request} attempts per request",
        r.requests.retries, a.ok
    );
    // It binds: about 0.1 x 0.5 more attempts per request, far from 1.875.
    assert!(per_request < 1.07, "{per_request}");
    assert!(r.requests.retries as f64 > 0.9 * 0.1 * a.ok as f64, "the budget is spent as it refills: {r:?}");
}

#[test]
fn backoff_and_jitter_delay_the_retries_and_the_trace_counts_the_wait() {
    // Half the attempts fail: a constant backoff of 20 ms shows in every
    // retried request's latency and in its trace, as the users' backoff.
    let doc = |retry: Value| flaky(5, 0.5, retry, 20.0);
    let mut sim = Simulation::new(scenario(&doc(json!({"max_attempts": 2, "backoff": "constant", "backoff_ms": 20}))));
    let mut retried = 0;
    for t in traces_ended_after(&mut sim, 2) {
        let parts: f64 = t.hops.iter().map(|h| h.network_ms + h.queued_ms + h.service_ms + h.backoff_ms).sum();
        assert!((parts - t.latency_ms).abs() < 1e-6, "the parts add up: {t:#?}");
        let users = &t.hops[0];
        if t.hops.iter().any(|h| h.attempt == 2) {
            retried += 1;
            assert!((users.backoff_ms - 20.0).abs() < 1e-9, "{t:#?}");
            assert!(t.latency_ms >= 20.0 + 4.0, "two round trips of 2 ms and the wait: {t:#?}");
            let first = t.hops.iter().find(|h| h.attempt == 1 && h.depth == 1).unwrap();
            assert_eq!(first.failed, Some(Cause::Error), "{t:#?}");
        } else {
            assert_eq!(users.backoff_ms, 0.0);
        }
    }
    assert!(retried > 100, "{retried} retried requests traced");
    // Exponential backoff with full jitter: retries wait less than the
    // delay, on average half of it; the run is still deterministic.
    let jittered =
        json!({"max_attempts": 3, "backoff": "exponential", "backoff_ms": 40, "backoff_cap_ms": 60, "jitter": "full"});
    let run = || {
        let mut s = Simulation::new(scenario(&doc(jittered.clone())));
        s.run_to_end();
        (check_books(&s).to_json_pretty(), s.report().latency_ms)
    };
    let (a, latency) = run();
    assert_eq!(a, run().0);
    // Latency of a success: 2 ms per attempt plus service, plus waits of
    // 0-40 ms before the second attempt and 0-60 before the third.
    assert!(latency.max < 6.0 + 100.0 + 50.0, "{latency:?}");
}

#[test]
fn causes_not_worth_retrying_are_not_retried() {
    // Users linked to nothing: no route, whatever the policy.
    let doc = json!({
        "version": 2, "seed": 1, "duration_s": 5,
        "nodes": [{"id": "users", "kind": "users", "rps": 100, "retry": {"max_attempts": 5}}],
        "links": []
    });
    let r = run(&doc);
    assert_eq!(r.requests.failed.get(Cause::NoRoute), r.requests.generated);
    assert_eq!(r.requests.retries, 0);
    // Users who gave up: their attempts are not retried after they left.
    let slow = json!({
        "version": 2, "seed": 2, "duration_s": 20,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 150, "client_timeout_ms": 500,
             "retry": {"max_attempts": 3, "attempt_timeout_ms": 400}},
            {"id": "web", "kind": "web_server", "workers": 1, "service": const_ms(10.0)}
        ],
        "links": [{"from": "users", "to": "web", "latency_ms": 5}]
    });
    let mut sim = Simulation::new(scenario(&slow));
    while !sim.run_until(sim.now() + S / 2, u64::MAX).finished {
        check_books(&sim);
    }
    let r = check_books(&sim);
    let q = &r.requests;
    // Each request gets at most two attempts in before its users leave at
    // 500 ms (the second sent at 400 ms); none is sent after.
    assert!(q.failed.get(Cause::ClientTimeout) > 1000, "{q:?}");
    assert!(q.retries <= q.generated && q.retries > 1000, "{q:?}");
    assert!(sim.attempt_outcomes().sent <= 2 * q.generated);
}

#[test]
fn retries_with_timeouts_give_ups_and_edits_keep_both_books_in_any_stepping() {
    // 950/s into 1000/s behind a balancer: attempts time out at 15 ms and
    // are retried up to 3 times with equal jitter, a budget, users give up
    // at 40 ms; a station timeout and drops of abandoned work below.
    let doc = json!({
        "version": 2, "seed": 8, "duration_s": 20, "warmup_s": 2,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 950, "client_timeout_ms": 40,
             "retry": {"attempt_timeout_ms": 15, "max_attempts": 3, "backoff": "exponential", "backoff_ms": 2,
                       "backoff_cap_ms": 8, "jitter": "equal", "budget": {"tokens": 50, "refill": 0.5}}},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "app", "kind": "web_server", "workers": 1, "service": exp_ms(1.0), "timeout_ms": 40,
             "drop_abandoned": true},
        ],
        "links": [{"from": "users", "to": "lb", "latency_ms": 1}, {"from": "lb", "to": "app", "latency_ms": 1}]
    });
    let mut whole = Simulation::new(scenario(&doc));
    whole.run_to_end();
    let r = check_books(&whole);
    let q = &r.requests;
    eprintln!("{q:?}\n{:?}", whole.attempt_outcomes());
    assert!(q.retries > 1000 && q.failed.get(Cause::Timeout) > 0 && q.failed.get(Cause::ClientTimeout) > 0, "{q:?}");
    let mut chunked = Simulation::new(scenario(&doc));
    let mut step = 3u64;
    while !chunked.run_until(chunked.now() + step, 1009).finished {
        step = (step * 5 + 11) % 30_000_000 + 1;
        if chunked.now() > 2 * S {
            check_books(&chunked);
        }
    }
    assert_eq!(chunked.report().to_json_pretty(), r.to_json_pretty());
    assert_eq!(chunked.attempt_outcomes(), whole.attempt_outcomes());

    // Edits while running: more attempts, a new timeout, no policy, back.
    let mut sim = Simulation::new(scenario(&doc));
    let with = |policy: Option<CallPolicy>, sim: &Simulation| {
        let mut node = sim.scenario().nodes[0].clone();
        let NodeSpec::Users(u) = &mut node.spec else { panic!() };
        u.retry = policy;
        Edit::UpdateNode { node }
    };
    for (i, policy) in [
        Some(CallPolicy::attempts(5, Some(5.0))),
        None,
        Some(CallPolicy { budget: None, ..CallPolicy::attempts(2, Some(30.0)) }),
        Some(CallPolicy::SINGLE),
    ]
    .into_iter()
    .enumerate()
    {
        sim.run_until((3 + 4 * i as u64) * S, u64::MAX);
        let edit = with(policy, &sim);
        sim.apply(edit).unwrap();
        check_both(&sim);
    }
    sim.run_to_end();
    check_both(&sim);
}

#[test]
fn theory_says_retries_are_not_independent_arrivals() {
    use scalelab_engine::theory::NodeTheory;
    let assumptions = |retry: Value| {
        let sim = Simulation::new(scenario(&flaky(1, 0.5, retry, 10.0)));
        match sim.theory("app", 1000.0) {
            Some(NodeTheory::Applies { assumptions, .. }) => assumptions,
            other => panic!("{other:?}"),
        }
    };
    let said = |a: &[String]| a.iter().any(|s| s.contains("users retry failed attempts"));
    assert!(said(&assumptions(json!({"max_attempts": 3}))));
    assert!(!said(&assumptions(json!({"max_attempts": 1, "attempt_timeout_ms": 50}))), "one attempt: no retries");
}
