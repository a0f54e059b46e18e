//! Little's law at every station of a multi-tier system, and end-to-end
//! latency as the sum of its parts.
//!
//! These are identities, not statistical claims: L = lambda W holds exactly on
//! any sample path for the requests inside the window, so the only slack is
//! the requests that straddle the window's two edges. With N_start and N_end
//! requests at a node at the edges and a longest stay W_max, the time-average
//! and the departure-average differ by at most (N_start + N_end) W_max / T.

use crate::support::*;
use scalelab_engine::{Cause, Report, Simulation};
use serde_json::{json, Value};

fn tiers(seed: u64, web: Value, db: Value, rps: f64, mix: Value) -> Value {
    let mut w1 = web.clone();
    w1["id"] = json!("w1");
    let mut w2 = web;
    w2["id"] = json!("w2");
    json!({
        "version": 1, "seed": seed, "duration_s": 320, "warmup_s": 20,
        "nodes": [
            {"id": "users", "kind": "users", "rps": rps, "mix": mix},
            {"id": "lb", "kind": "load_balancer", "algorithm": "least_connections"},
            w1, w2, db
        ],
        "links": [
            {"from": "users", "to": "lb", "latency_ms": 10},
            {"from": "lb", "to": "w1", "latency_ms": 0.25},
            {"from": "lb", "to": "w2", "latency_ms": 0.25},
            {"from": "w1", "to": "db", "latency_ms": 0.5},
            {"from": "w2", "to": "db", "latency_ms": 0.5}
        ]
    })
}

fn run_checked(doc: &Value) -> Report {
    let mut sim = Simulation::new(scenario(doc));
    sim.run_to_end();
    let r = sim.report();
    let q = &r.requests;
    assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight);
    assert_eq!(q.in_flight, sim.count_open_window_requests());
    r
}

#[test]
fn littles_law_and_latency_composition_without_failures() {
    // users -> lb -> two web servers (8 workers, lognormal 2 ms, cv 1.5) ->
    // database (4 workers, exponential 1.5 ms), one-way links 10, 0.25 and
    // 0.5 ms. 70% reads (which hold the web worker through the database call),
    // 30% static (web only). No limits, so nothing fails and every departure
    // is a completion: throughput_rps is the departure rate.
    let doc = tiers(
        11,
        json!({"kind": "web_server", "workers": 8, "service": {"dist": "lognormal", "mean_ms": 2.0, "cv": 1.5}}),
        json!({"id": "db", "kind": "database", "workers": 4, "service": {"dist": "exponential", "mean_ms": 1.5}}),
        2000.0,
        json!({"read": 0.7, "static": 0.3}),
    );
    let r = run_checked(&doc);
    assert_eq!(r.requests.failed.total(), 0);
    let window_s = r.window_s;
    let node = |id: &str| r.nodes.get(id).unwrap().summary;

    // Little at every station. Edge slack: N is ~5 per node (never above a few
    // dozen) and W_max is tens of ms, over T = 300 s: (N_s + N_e) W_max / (L T)
    // < 50 x 0.1 s / (1 x 300 s) ~ 2e-3 at the very worst; typically 1e-5.
    for id in ["w1", "w2", "db"] {
        let s = node(id);
        let little = s.throughput_rps * s.mean_response_ms / 1e3;
        eprintln!("{id}: L = {:.5}, lambda W = {little:.5}, utilisation {:.3}", s.mean_in_node, s.utilization);
        assert!((s.mean_in_node - little).abs() <= 2e-3 * little, "{id}: L {} vs lambda W {little}", s.mean_in_node);
        assert!(s.utilization > 0.2, "{id} does real work");
        // Waiting plus being served: L = Lq + busy, and busy = utilisation x workers.
        let workers = if id == "db" { 4.0 } else { 8.0 };
        assert!((s.mean_in_node - s.mean_queue_len - s.utilization * workers).abs() < 1e-9);
    }

    // A web server's time is its wait, its own service, and for reads the
    // database call: 2 x 0.5 ms of link plus the database's response time.
    // Averaged over both servers (weights: departures), with f the read share:
    //   web_response = web_wait + mean(S_web) + f (1.0 + db_response).
    // mean(S_web) is the sample mean of ~600k lognormal draws (cv 1.5, mean
    // 2 ms): SE = 3 ms / sqrt(600k) = 0.004 ms, so 5 SE = 0.02 ms.
    let (a, b, db) = (node("w1"), node("w2"), node("db"));
    let weight = |x: f64, y: f64| (x * a.throughput_rps + y * b.throughput_rps) / (a.throughput_rps + b.throughput_rps);
    let web_response = weight(a.mean_response_ms, b.mean_response_ms);
    let web_wait = weight(a.mean_wait_ms, b.mean_wait_ms);
    let f = db.arrivals as f64 / (a.arrivals + b.arrivals) as f64;
    assert!((f - 0.7).abs() < 0.005, "read share {f}");
    let service = web_response - web_wait - f * (1.0 + db.mean_response_ms);
    eprintln!(
        "web: response {web_response:.4} ms = wait {web_wait:.4} + service {service:.4} + {f:.4} x (1.0 + db {:.4})",
        db.mean_response_ms
    );
    assert!((service - 2.0).abs() < 0.02, "implied web service time {service} ms, drawn with mean 2 ms");

    // End to end: the users->lb and lb->web links, each twice, plus the web
    // tier's time. Only the window edges differ (requests counted by birth at
    // the users vs by departure at the web): well under 1e-3.
    let expected = 2.0 * (10.0 + 0.25) + web_response;
    eprintln!("end to end: {:.5} ms, parts add to {expected:.5} ms", r.latency_ms.mean);
    assert!((r.latency_ms.mean - expected).abs() <= 1e-3 * expected, "end-to-end {} vs {expected}", r.latency_ms.mean);
    let lb = node("lb");
    assert!((lb.mean_response_ms - (2.0 * 0.25 + web_response)).abs() <= 1e-3 * lb.mean_response_ms);
    // The window saw the Poisson count it should: 2000/s x 300 s, SD 775.
    let n = r.requests.generated as f64;
    assert!((n - 2000.0 * window_s).abs() < 5.0 * (2000.0 * window_s).sqrt(), "{n} requests");
}

#[test]
fn end_to_end_mean_is_links_plus_web_response_when_every_request_is_a_read() {
    // The simplest composition the design states: all reads, so
    // end-to-end = 2 x (users->lb + lb->web) + web response, and the web
    // response includes the database call.
    let doc = tiers(
        12,
        json!({"kind": "web_server", "workers": 4, "service": {"dist": "exponential", "mean_ms": 1.0}}),
        json!({"id": "db", "kind": "database", "workers": 2, "service": {"dist": "constant", "mean_ms": 0.8}}),
        1500.0,
        json!({"read": 1.0}),
    );
    let r = run_checked(&doc);
    let node = |id: &str| r.nodes.get(id).unwrap().summary;
    let (a, b, db) = (node("w1"), node("w2"), node("db"));
    // Every read calls the database (up to the few that cross the window's
    // edges between their web arrival and their database arrival).
    assert!((db.arrivals as i64 - (a.arrivals + b.arrivals) as i64).abs() < 100, "every read calls the database");
    let web = (a.mean_response_ms * a.throughput_rps + b.mean_response_ms * b.throughput_rps)
        / (a.throughput_rps + b.throughput_rps);
    assert!(web > 1.0 + 1.0 + 0.8, "the web response ({web}) includes the database call and its links");
    let expected = 2.0 * (10.0 + 0.25) + web;
    assert!((r.latency_ms.mean - expected).abs() <= 1e-3 * expected, "end-to-end {} vs {expected}", r.latency_ms.mean);
    // Constant database service: nobody leaves the database in less than 0.8 ms,
    // so every latency is above 2 x 10.25 + 2 x 0.5 (database links) + 0.8 ms,
    // and the database's time is its wait plus exactly 0.8 ms.
    assert!(r.latency_ms.p50 > 2.0 * 10.25 + 1.0 + 0.8);
    assert!((db.mean_response_ms - db.mean_wait_ms - 0.8).abs() < 1e-4, "{db:?}");
}

#[test]
fn littles_law_holds_with_rejections_and_timeouts() {
    // The same tiers pushed into failure: bounded queues and timeouts at both
    // tiers. Requests that time out while waiting leave the node at that
    // moment; those timed out in service keep their worker until the work
    // ends. Either way the node's time-average population must equal the
    // departure rate times the mean stay, where the departures are the
    // admitted requests: arrivals - rejected (up to the few inside the node
    // at the window's edges: < 100 of ~500k).
    let doc = tiers(
        13,
        json!({"kind": "web_server", "workers": 4, "service": {"dist": "exponential", "mean_ms": 2.0},
               "queue_limit": 6, "timeout_ms": 12}),
        json!({"id": "db", "kind": "database", "workers": 2, "service": {"dist": "lognormal", "mean_ms": 1.2, "cv": 1.5},
               "queue_limit": 3, "timeout_ms": 4}),
        3300.0,
        json!({"read": 0.6, "write": 0.1, "static": 0.3}),
    );
    let r = run_checked(&doc);
    let q = &r.requests;
    eprintln!(
        "failures: {} rejected, {} timed out of {} (ok {})",
        q.failed.get(Cause::Rejected),
        q.failed.get(Cause::Timeout),
        q.generated,
        q.ok
    );
    for id in ["w1", "w2", "db"] {
        let s = r.nodes.get(id).unwrap().summary;
        assert!(
            s.rejected > 1000 && s.timeouts > 1000,
            "{id}: the failure paths must run ({} rejected, {} timeouts)",
            s.rejected,
            s.timeouts
        );
        let departures_rps = (s.arrivals - s.rejected) as f64 / r.window_s;
        let little = departures_rps * s.mean_response_ms / 1e3;
        eprintln!(
            "{id}: L = {:.5}, lambda W = {little:.5} (rejected {}, timeouts {})",
            s.mean_in_node, s.rejected, s.timeouts
        );
        assert!((s.mean_in_node - little).abs() <= 2e-3 * little, "{id}: L {} vs lambda W {little}", s.mean_in_node);
        // The waiting line is bounded: its time average cannot exceed the limit.
        let limit = if id == "db" { 3.0 } else { 6.0 };
        assert!(s.mean_queue_len <= limit, "{id}: mean queue {} above its limit {limit}", s.mean_queue_len);
    }
    // Successful requests never outlast the web timeout plus the links outside it.
    assert!(r.latency_ms.max <= 2.0 * (10.0 + 0.25) + 12.0, "a success took {} ms", r.latency_ms.max);
}
