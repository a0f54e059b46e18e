//! Users who give up (issue 17): after `client_timeout_ms` without an answer
//! a request ends with cause `client_timeout`, once; the servers are not told,
//! so the work goes on, wasted, and its late answer (or a server's own
//! timeout, later) is dropped without a second outcome.

use crate::support::*;
use scalelab_engine::scenario::{NodeSpec, DEFAULT_CLIENT_TIMEOUT_MS};
use scalelab_engine::{Cause, Edit, Report, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

/// Users at 150 requests/s into one worker that serves 100/s, with an
/// unbounded queue: the wait grows by half a second every simulated second.
fn slow(client_timeout: Value, server_timeout: Value) -> Value {
    json!({
        "version": 2, "seed": 11, "duration_s": 60, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 150, "client_timeout_ms": client_timeout},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "web", "kind": "web_server", "workers": 1, "service": {"dist": "constant", "mean_ms": 10},
             "queue_limit": null, "timeout_ms": server_timeout}
        ],
        "links": [{"from": "users", "to": "lb", "latency_ms": 5}, {"from": "lb", "to": "web", "latency_ms": 1}]
    })
}

/// The books of a run, checked at every simulated second: each request born
/// is answered, failed once or still open, and the open ones are exactly the
/// unfinished requests in the arena.
fn run_checking_the_books(doc: &Value) -> (Simulation, Report) {
    let mut sim = Simulation::new(scenario(doc));
    while !sim.run_until(sim.now() + S, u64::MAX).finished {
        let q = sim.report().requests;
        assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight, "at {} s", sim.now() / S);
        assert_eq!(q.in_flight, sim.count_open_window_requests(), "at {} s", sim.now() / S);
    }
    let r = sim.report();
    assert_eq!(r.requests.generated, r.requests.ok + r.requests.failed.total() + r.requests.in_flight);
    assert_eq!(r.requests.in_flight, sim.count_open_window_requests());
    (sim, r)
}

#[test]
fn users_give_up_once_and_the_late_answers_are_dropped() {
    let (sim, r) = run_checking_the_books(&slow(json!(1000), Value::Null));
    let q = &r.requests;
    let gave_up = q.failed.get(Cause::ClientTimeout);
    let users = r.nodes.get("users").unwrap().summary;
    let web = r.nodes.get("web").unwrap().summary;
    // Answers over the 60 s window.
    let answered = |rps: f64| (rps * 60.0).round() as u64;
    eprintln!(
        "slow design: {} generated, {} ok, {gave_up} given up, {} open; web answered {}",
        q.generated,
        q.ok,
        q.in_flight,
        answered(web.throughput_rps)
    );
    // The wait passes a second after about 2 s: from then on nearly every
    // request is given up on (60 s at 150/s is about 9,000 requests).
    assert!(gave_up > 7_000 && q.ok < 1_500, "{q:?}");
    assert_eq!(q.failed.total(), gave_up, "no other cause: {q:?}");
    // The users' own count is the cause's count (the window is the whole run).
    assert_eq!(users.timeouts, gave_up);
    // Nobody waited past the client timeout for a success.
    assert!(r.latency_ms.max <= 1000.0, "{:?}", r.latency_ms);
    // The server never heard of it and went on serving at full speed, so
    // most of its answers came back after the users had left: dropped, not
    // counted as successes (the users count only the ones they got).
    assert!(web.utilization > 0.99, "{web:?}");
    assert!(
        answered(web.throughput_rps) > q.ok + 4_000,
        "web answered {} but only {} were waited for",
        answered(web.throughput_rps),
        q.ok
    );
    assert_eq!(answered(users.throughput_rps), q.ok);
    // The report says so in its own figures: the successes users waited for
    // are the goodput; the throughput adds the late ones, and matches what
    // the server answered (to within the requests still on the way back when
    // the run stopped: 6 ms of answers at 100/s).
    assert_eq!(r.goodput_rps, q.ok as f64 / 60.0);
    assert_eq!(r.throughput_rps, (q.ok + q.late_ok) as f64 / 60.0);
    assert!(q.late_ok > 4_000, "{q:?}");
    let served = answered(web.throughput_rps);
    assert!(served.abs_diff(q.ok + q.late_ok) <= 2, "web answered {served}, users got {} + {} late", q.ok, q.late_ok);
    // No retries here: one attempt per request.
    assert_eq!((q.attempts, q.retries, r.attempts_per_request), (q.generated, 0, Some(1.0)));
    // Whole run: no request has two outcomes.
    let t = sim.totals();
    assert_eq!(t.generated, t.ok + t.failed_total() + sim.count_open_window_requests());
    let log: Vec<String> = sim.log().entries().map(|e| e.text.clone()).collect();
    assert!(
        log.iter().any(|l| l.starts_with("users: giving up on requests: no answer within the client timeout")),
        "{log:?}"
    );
}

#[test]
fn a_server_timeout_after_the_users_left_is_not_a_second_outcome() {
    // The server gives up after 1.5 s, the users after 1 s: every request the
    // server times out was already given up on by its users.
    let (sim, r) = run_checking_the_books(&slow(json!(1000), json!(1500)));
    let q = &r.requests;
    let web = r.nodes.get("web").unwrap().summary;
    eprintln!("server timeout behind the users': {q:?}, web timeouts {}", web.timeouts);
    assert!(web.timeouts > 1_000, "the server timed requests out: {web:?}");
    assert_eq!(q.failed.get(Cause::Timeout), 0, "but each had ended already, as client_timeout");
    // A request given up on comes back later either answered (in time for
    // the server's 1.5 s, too late for the users: a late success) or timed
    // out by the server, never both.
    assert!(q.late_ok > 0, "{q:?}");
    assert!(q.late_ok + web.timeouts <= q.failed.get(Cause::ClientTimeout), "{q:?}, web timeouts {}", web.timeouts);
    assert!(q.failed.get(Cause::ClientTimeout) > 1_000);
    let t = sim.totals();
    assert_eq!(t.generated, t.ok + t.failed_total() + sim.count_open_window_requests());

    // The other way round (server 0.5 s, users 1 s): the server's answer
    // comes first and the users never give up.
    let (_, r) = run_checking_the_books(&slow(json!(1000), json!(500)));
    assert!(r.requests.failed.get(Cause::Timeout) > 1_000);
    assert_eq!(r.requests.failed.get(Cause::ClientTimeout), 0);
}

#[test]
fn users_wait_ten_seconds_by_default_and_for_ever_when_told() {
    let mut absent = slow(Value::Null, Value::Null);
    absent["nodes"][0].as_object_mut().unwrap().remove("client_timeout_ms");
    let s = scenario(&absent);
    let NodeSpec::Users(u) = &s.nodes[0].spec else { panic!() };
    assert_eq!(u.client_timeout_ms, Some(DEFAULT_CLIENT_TIMEOUT_MS));
    // Saved with the value, and a saved "never" stays never.
    assert_eq!(serde_json::to_value(&s).unwrap()["nodes"][0]["client_timeout_ms"], json!(DEFAULT_CLIENT_TIMEOUT_MS));
    let never = scenario(&slow(Value::Null, Value::Null));
    assert_eq!(serde_json::to_value(&never).unwrap()["nodes"][0]["client_timeout_ms"], Value::Null);
    assert_eq!(scenario(&serde_json::to_value(&never).unwrap()), never);

    let (_, r) = run_checking_the_books(&absent);
    assert!(r.requests.failed.get(Cause::ClientTimeout) > 4_000, "{:?}", r.requests);
    assert!(r.latency_ms.max <= DEFAULT_CLIENT_TIMEOUT_MS);
    assert!(r.latency_ms.max > 9_000.0, "some waited nearly the full 10 s: {:?}", r.latency_ms);

    let (_, r) = run_checking_the_books(&slow(Value::Null, Value::Null));
    assert_eq!(r.requests.failed.total(), 0);
    assert!(r.latency_ms.max > 15_000.0, "longer than the default would allow: {:?}", r.latency_ms);
}

#[test]
fn a_new_client_timeout_applies_while_running() {
    let mut sim = Simulation::new(scenario(&slow(Value::Null, Value::Null)));
    sim.run_until(10 * S, u64::MAX);
    assert_eq!(sim.totals().failed[Cause::ClientTimeout as usize], 0, "never, so far");
    let with = |ms: Option<f64>, sim: &Simulation| {
        let mut node = sim.scenario().nodes[0].clone();
        let NodeSpec::Users(u) = &mut node.spec else { panic!() };
        u.client_timeout_ms = ms;
        Edit::UpdateNode { node }
    };
    // Requests already waiting 5 s give up as soon as the users wait only 2 s.
    let edit = with(Some(2000.0), &sim);
    sim.apply(edit).unwrap();
    sim.run_until(10 * S + 1, u64::MAX);
    assert!(sim.totals().failed[Cause::ClientTimeout as usize] > 100, "{:?}", sim.totals());
    sim.run_until(20 * S, u64::MAX);
    // And back to never: no one gives up any more.
    let edit = with(None, &sim);
    sim.apply(edit).unwrap();
    let before = sim.totals().failed[Cause::ClientTimeout as usize];
    sim.run_until(40 * S, u64::MAX);
    assert_eq!(sim.totals().failed[Cause::ClientTimeout as usize], before);
    assert_eq!(sim.memory().give_up_entries, 0);
    let q = sim.report().requests;
    assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight);
    assert_eq!(q.in_flight, sim.count_open_window_requests());
}

#[test]
fn a_traced_request_whose_users_gave_up_ends_there() {
    let doc = slow(json!(1000), Value::Null);
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(20 * S, u64::MAX);
    sim.trace_next();
    sim.run_until(25 * S, u64::MAX);
    let t = sim.asked_trace().expect("born");
    assert_eq!(
        t.outcome,
        scalelab_engine::trace::TraceOutcome::Failed { cause: Cause::ClientTimeout, at: "users".into() },
        "{t:#?}"
    );
    assert!((t.latency_ms - 1000.0).abs() < 1e-6, "{t:#?}");
    let parts: f64 = t.hops.iter().map(|h| h.network_ms + h.queued_ms + h.service_ms).sum();
    assert!((parts - t.latency_ms).abs() < 1e-6, "the parts add up: {parts} vs {t:#?}");
    let web = t.hops.iter().find(|h| h.node == "web").unwrap();
    assert!(web.queued_ms > 900.0 && !web.answered, "given up while it queued at the server: {t:#?}");
    // Later, the server does serve it; the trace stays as the users saw it.
    sim.run_until(60 * S, u64::MAX);
    assert_eq!(sim.asked_trace(), Some(t));
}
