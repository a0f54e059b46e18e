//! Connection pools on a web server's calls (`calls.pool`): a pool of c
//! connections in front of a database that never queues is an M/M/c queue
//! (Erlang C); a longest wait is never exceeded and its timeouts are
//! counted; crashes and edits with calls waiting lose no request.

use crate::support::*;
use scalelab_engine::scenario::{CallPolicy, NodeSpec, PoolSpec};
use scalelab_engine::theory::erlang_c;
use scalelab_engine::{Cause, Edit, Fault, Hop, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

/// `rps` reads/s → an async web server (constant 0.01 ms of service, 64
/// workers: no queue there) → a database of 256 workers with exponential
/// service of `db_ms` (no queue there either), over wires of no latency.
/// The web server's calls go through a pool of `size` connections: the
/// time a call holds one is the database's service time, so the pool is an
/// M/M/c queue with c = `size`.
fn pooled(seed: u64, rps: f64, size: u32, db_ms: f64, max_wait_ms: Option<f64>, duration_s: f64) -> Value {
    let mut pool = json!({"size": size});
    if let Some(ms) = max_wait_ms {
        pool["max_wait_ms"] = json!(ms);
    }
    json!({
        "version": 2, "seed": seed, "duration_s": duration_s, "warmup_s": 10,
        "nodes": [
            {"id": "users", "kind": "users", "rps": rps, "mix": {"read": 1.0}, "client_timeout_ms": null},
            {"id": "web", "kind": "web_server", "waiting": "async", "workers": 64, "service": const_ms(0.01),
             "calls": {"pool": pool}},
            {"id": "db", "kind": "database", "workers": 256, "service": exp_ms(db_ms)}
        ],
        "links": [{"from": "users", "to": "web", "latency_ms": 0}, {"from": "web", "to": "db", "latency_ms": 0}]
    })
}

/// Erlang C: with c = 4 connections held 10 ms each (μ = 100/s) and 320
/// calls/s (a = 3.2, ρ = 0.8), a call waits with probability C(4, 3.2) =
/// 0.5964 and waits 7.455 ms on average, C / (cμ − λ).
#[test]
fn a_pool_in_front_of_a_database_that_never_queues_is_an_m_m_c_queue() {
    let (c, lambda, s_ms) = (4u32, 320.0, 10.0);
    let mu = 1000.0 / s_ms;
    let a = lambda / mu;
    let p_wait = erlang_c(c, a);
    let wq_ms = p_wait / (c as f64 * mu - lambda) * 1000.0;
    let runs = replicate(2 * REPS, |seed| {
        let r = run(&pooled(seed + 1, lambda, c, s_ms, None, 1010.0));
        let web = &r.nodes.get("web").unwrap().summary;
        let db = &r.nodes.get("db").unwrap().summary;
        assert_eq!(db.mean_wait_ms, 0.0, "the database never queues");
        assert_eq!(r.requests.failed.total(), 0);
        (web.pool_wait_ms, web.pool_waits as f64 / web.pool_calls as f64)
    });
    let waits: Vec<f64> = runs.iter().map(|r| r.0).collect();
    let shares: Vec<f64> = runs.iter().map(|r| r.1).collect();
    // 40 runs of 1000 s (320,000 calls each): 5 SE measured 1.92% of the
    // mean wait and 0.44% of the share; the resolutions are 1.46 times that
    // (40 replications, see `check`), rounded up.
    check("pool: mean wait for a connection (ms), M/M/4 at ρ = 0.8", &waits, wq_ms, 0.0, 0.03);
    check("pool: share of calls that waited, C(4, 3.2)", &shares, p_wait, 0.0, 0.007);
}

/// Runs `doc` to its end keeping every hop (drained every 100 ms).
fn run_keeping_hops(doc: &Value) -> (Simulation, Vec<Hop>) {
    let mut sim = Simulation::new(scenario(doc));
    sim.set_sample_every(1);
    let (mut hops, mut chunk) = (Vec::new(), Vec::new());
    let mut t = 0;
    while !sim.run_until(t, u64::MAX).finished {
        sim.drain_hops(&mut chunk);
        hops.append(&mut chunk);
        let snap = sim.live_snapshot();
        let web = snap.nodes.iter().find(|n| n.id == "web").unwrap();
        let pool = web.pool.expect("a web server with a pool shows it");
        assert!(pool.in_use <= pool.size, "{pool:?}");
        t += S / 10;
    }
    sim.drain_hops(&mut chunk);
    hops.append(&mut chunk);
    (sim, hops)
}

/// Twice the calls two connections can carry: the line grows until calls
/// reach the longest wait, 20 ms. No call goes out after waiting longer,
/// and those that reached it fail with `timeout`, counted at the server.
#[test]
fn no_call_waits_longer_than_the_longest_wait_and_those_that_reach_it_are_counted() {
    for seed in 1..=3 {
        let mut doc = pooled(seed, 400.0, 2, 10.0, Some(20.0), 30.0);
        // (The report's window and the node's counters then cover the same calls.)
        doc["warmup_s"] = json!(0);
        let (sim, hops) = run_keeping_hops(&doc);
        // Each request's arrival at the web server, and its call's departure.
        let mut arrived = std::collections::HashMap::new();
        let mut longest: u64 = 0;
        let mut calls = 0;
        for h in &hops {
            match (h.response, h.from, h.to) {
                (false, 0, 1) => {
                    arrived.insert(h.request, h.end);
                }
                (false, 1, 2) => {
                    calls += 1;
                    // Less the web server's 0.01 ms of service.
                    longest = longest.max(h.start - arrived[&h.request] - 10_000);
                }
                _ => {}
            }
        }
        assert!(calls > 4000, "seed {seed}: {calls} calls");
        assert!(longest <= 20_000_000, "seed {seed}: a call went out after waiting {longest} ns");
        assert!(longest > 15_000_000, "seed {seed}: the line did reach the longest wait ({longest} ns)");
        let r = sim.report();
        let web = &r.nodes.get("web").unwrap().summary;
        assert!(web.pool_timeouts > 1000, "seed {seed}: {web:?}");
        // A pool timeout fails its request at once (wires of no latency).
        assert_eq!(r.requests.failed.get(Cause::Timeout), web.pool_timeouts, "seed {seed}");
        assert_eq!(r.requests.failed.total(), web.pool_timeouts, "seed {seed}: nothing else fails");
        let q = &r.requests;
        assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight);
        assert_eq!(q.in_flight, sim.count_open_window_requests());
        let calls = sim.call_outcomes();
        assert_eq!(calls.sent, calls.ok + calls.failed_total() + calls.open());
        assert_eq!(calls.open(), sim.count_open_calls());
    }
}

/// A thread-mode server calling a slow database through two connections,
/// with station and attempt timeouts: a crash with calls waiting (and a
/// restart, a resize, a removal of the pool) loses no request, and once the
/// users stop everything under way ends.
#[test]
fn crashes_and_edits_with_calls_waiting_lose_no_request() {
    for seed in 1..=5 {
        let doc = json!({
            "version": 2, "seed": seed, "duration_s": 3600, "warmup_s": 0,
            "nodes": [
                {"id": "users", "kind": "users", "rps": 600, "mix": {"read": 1.0}, "client_timeout_ms": 400},
                {"id": "web", "kind": "web_server", "waiting": "thread", "workers": 40, "service": exp_ms(1.0),
                 "timeout_ms": 150, "calls": {"pool": {"size": 2}, "attempt_timeout_ms": 60, "max_attempts": 2}},
                {"id": "db", "kind": "database", "workers": 64, "service": exp_ms(8.0)}
            ],
            "links": [{"from": "users", "to": "web", "latency_ms": 1}, {"from": "web", "to": "db", "latency_ms": 1}]
        });
        let mut sim = Simulation::new(scenario(&doc));
        let conserved = |sim: &Simulation, when: &str| {
            let q = sim.report().requests;
            assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight, "seed {seed}, {when}");
            assert_eq!(q.in_flight, sim.count_open_window_requests(), "seed {seed}, {when}");
            let c = sim.call_outcomes();
            assert_eq!(c.sent, c.ok + c.failed_total() + c.open(), "seed {seed}, {when}");
            assert_eq!(c.open(), sim.count_open_calls(), "seed {seed}, {when}");
        };
        let waiting = |sim: &Simulation| {
            let snap = sim.live_snapshot();
            snap.nodes.iter().find(|n| n.id == "web").unwrap().pool.unwrap().waiting
        };
        sim.run_until(5 * S, u64::MAX);
        assert!(waiting(&sim) > 0, "seed {seed}: calls wait for a connection before the crash");
        sim.apply(Edit::Fault { id: "web".into(), fault: Fault::Fail }).unwrap();
        assert_eq!(waiting(&sim), 0, "seed {seed}: the crash emptied the line");
        conserved(&sim, "just after the crash");
        sim.run_until(6 * S, u64::MAX);
        sim.apply(Edit::Fault { id: "web".into(), fault: Fault::Recover }).unwrap();
        sim.run_until(10 * S, u64::MAX);
        assert!(waiting(&sim) > 0, "seed {seed}: waiting again after the restart");
        conserved(&sim, "after the restart");
        // A bigger pool lets every waiter in at once.
        let edit_pool = |sim: &mut Simulation, pool: Option<PoolSpec>| {
            let mut n = sim.scenario().nodes.iter().find(|n| n.id == "web").cloned().unwrap();
            let NodeSpec::WebServer(w) = &mut n.spec else { unreachable!() };
            w.calls = Some(CallPolicy { pool, ..w.calls.unwrap() });
            sim.apply(Edit::UpdateNode { node: n }).unwrap();
        };
        edit_pool(&mut sim, Some(PoolSpec { size: 64, max_wait_ms: None }));
        assert_eq!(waiting(&sim), 0, "seed {seed}: a bigger pool lets the waiters in");
        sim.run_until(12 * S, u64::MAX);
        // A smaller one lets the calls in use drain; then it goes.
        edit_pool(&mut sim, Some(PoolSpec { size: 1, max_wait_ms: Some(5.0) }));
        sim.run_until(14 * S, u64::MAX);
        let pool = sim.live_snapshot().nodes.iter().find(|n| n.id == "web").unwrap().pool.unwrap();
        assert!(pool.in_use <= 1, "seed {seed}: {pool:?}");
        conserved(&sim, "with a pool of one");
        edit_pool(&mut sim, None);
        assert!(sim.live_snapshot().nodes.iter().find(|n| n.id == "web").unwrap().pool.is_none());
        conserved(&sim, "after the pool went");
        // The pool back, then a crash with calls waiting, then no users.
        edit_pool(&mut sim, Some(PoolSpec { size: 2, max_wait_ms: None }));
        sim.run_until(17 * S, u64::MAX);
        assert!(waiting(&sim) > 0, "seed {seed}");
        sim.apply(Edit::Fault { id: "web".into(), fault: Fault::Fail }).unwrap();
        sim.run_until(18 * S, u64::MAX);
        sim.apply(Edit::Fault { id: "web".into(), fault: Fault::Recover }).unwrap();
        sim.run_until(20 * S, u64::MAX);
        conserved(&sim, "after the second crash");
        sim.set_rps("users", 0.0).unwrap();
        sim.run_until(80 * S, u64::MAX);
        conserved(&sim, "at the end");
        assert_eq!(sim.live_requests(), 0, "seed {seed}: every line ended");
        let r = sim.report();
        let web = &r.nodes.get("web").unwrap().summary;
        assert!(web.pool_waits > 1000 && web.pool_timeouts > 0, "seed {seed}: {web:?}");
    }
}

/// The same run twice gives the same bytes, and stepping in chunks the
/// same run as one call.
#[test]
fn pooled_runs_are_deterministic() {
    let doc = pooled(9, 400.0, 2, 10.0, Some(20.0), 20.0);
    let one = run(&doc);
    let mut sim = Simulation::new(scenario(&doc));
    let mut t = 0;
    while !sim.run_until(t, 777).finished {
        t += 3_300_000;
    }
    assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&sim.report()).unwrap());
    assert!(one.nodes.get("web").unwrap().summary.pool_timeouts > 0);
}

/// A traced request that waited for a connection says so: its web
/// server's hop has the wait as `pool_ms`, and the parts still add up.
#[test]
fn a_trace_shows_the_wait_for_a_connection_and_still_adds_up() {
    let doc = pooled(4, 380.0, 4, 10.0, None, 30.0);
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(15 * S, u64::MAX);
    let traces = traces_ended_after(&mut sim, 15);
    let waited: Vec<_> = traces.iter().filter(|t| t.hops.iter().any(|h| h.pool_ms > 0.0)).collect();
    assert!(waited.len() > 10, "{} of {} traces waited", waited.len(), traces.len());
    for t in &waited {
        let parts: f64 =
            t.hops.iter().map(|h| h.network_ms + h.queued_ms + h.service_ms + h.backoff_ms + h.pool_ms).sum();
        assert!((parts - t.latency_ms).abs() < 1e-6, "{t:?}");
        let web = t.hops.iter().find(|h| h.node == "web").unwrap();
        assert!(web.pool_ms > 0.0 && web.waiting_ms >= 0.0, "{web:?}");
    }
    let b = sim.latency_breakdown().unwrap();
    let web = b.mean.hops.iter().find(|h| h.node == "web").unwrap();
    assert!(web.pool_ms > 0.0, "{web:?}");
    let own: f64 = b.mean.hops.iter().map(|h| h.own_ms()).sum();
    assert!((own - b.mean.latency_ms).abs() < 1e-6 * b.mean.latency_ms.max(1.0), "{own} vs {}", b.mean.latency_ms);
}

/// Users have no pool: the parser says so by the field.
#[test]
fn users_refuse_a_pool() {
    let doc =
        json!({"version": 2, "nodes": [{"id": "u", "kind": "users", "retry": {"pool": {"size": 3}}}], "links": []});
    let e = scalelab_engine::Scenario::from_json(&doc.to_string()).unwrap_err().to_string();
    assert!(e.contains("nodes[0].retry.pool") || e.contains("retry/pool") || e.contains("retry.pool"), "{e}");
    assert!(e.contains("no connection pool"), "{e}");
    for (pool, words) in [
        (json!({"size": 0}), "size"),
        (json!({"size": 10, "max_wait_ms": -1}), "max_wait_ms"),
        (json!({"sise": 10}), "size"),
    ] {
        let doc =
            json!({"version": 2, "nodes": [{"id": "w", "kind": "web_server", "calls": {"pool": pool}}], "links": []});
        let e = scalelab_engine::Scenario::from_json(&doc.to_string()).unwrap_err().to_string();
        assert!(e.contains(words), "{pool}: {e}");
    }
}
