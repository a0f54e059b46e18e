//! Request traces and the latency breakdown: every traced request's network,
//! queueing and service parts add up to its latency, whatever happened to it
//! (timeouts, failures, DNS, CDN, caches, replicas, regions); the breakdown
//! shows the database queue setting the p99 where it does, and agrees with
//! queueing theory; tracing changes nothing in the run.

use scalelab_engine::trace::{Trace, TraceOutcome};
use scalelab_engine::{Cause, Edit, Fault, NodeKind, Scenario, Simulation};
use serde_json::{json, Value};
use std::path::PathBuf;

const S: u64 = 1_000_000_000;

fn sim(doc: &Value) -> Simulation {
    Simulation::new(Scenario::from_json(&doc.to_string()).unwrap())
}

fn lesson(stem: &str) -> Simulation {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons")).join(format!("{stem}.json"));
    Simulation::new(Scenario::from_json(&std::fs::read_to_string(path).unwrap()).unwrap())
}

/// Users -> web -> one database; `db_ms` exponential at the database. The
/// web server holds a worker while it waits for the database, so its
/// `web_workers` also bound how many requests the database can hold.
fn web_and_db(rps: f64, web_workers: u32, db_ms: f64, web_timeout_ms: Option<f64>) -> Value {
    json!({
        "version": 1, "seed": 11, "duration_s": 600, "warmup_s": 20,
        "nodes": [
            {"id": "users", "kind": "users", "rps": rps, "mix": {"read": 1.0}},
            {"id": "web", "kind": "web_server", "workers": web_workers, "service": {"dist": "exponential", "mean_ms": 5.0},
             "timeout_ms": web_timeout_ms},
            {"id": "db", "kind": "database", "workers": 1, "service": {"dist": "exponential", "mean_ms": db_ms}}
        ],
        "links": [{"from": "users", "to": "web", "latency_ms": 1.0}, {"from": "web", "to": "db", "latency_ms": 0.5}]
    })
}

fn own_sum(t: &Trace) -> f64 {
    t.hops.iter().map(|h| h.network_ms + h.queued_ms + h.service_ms + h.backoff_ms).sum()
}

/// Follows every request for `seconds`, and checks each ended trace; returns
/// the ended traces.
fn follow_all(s: &mut Simulation, seconds: u64) -> Vec<Trace> {
    s.set_sample_every(1);
    let mut hops = Vec::new();
    let mut ended = Vec::new();
    let mut numbers = std::collections::BTreeSet::new();
    for _ in 0..seconds * 10 {
        let to = s.now() + S / 10;
        s.run_until(to, u64::MAX);
        s.drain_hops(&mut hops);
        numbers.extend(hops.iter().map(|h| h.request));
        // Ended requests' traces are kept for the last 512: read them now.
        let done: Vec<u64> = numbers
            .iter()
            .copied()
            .filter(|&n| s.trace(n).is_some_and(|t| t.outcome != TraceOutcome::InFlight))
            .collect();
        for n in done {
            numbers.remove(&n);
            ended.push(s.trace(n).unwrap());
        }
    }
    for t in &ended {
        let sum = own_sum(t);
        assert!(
            (sum - t.latency_ms).abs() < 1e-6 * t.latency_ms.max(1.0),
            "parts {sum} ms, latency {} ms: {t:#?}",
            t.latency_ms
        );
        assert_eq!(t.hops[0].depth, 0);
        assert_eq!(t.hops[0].kind, NodeKind::Users);
        for h in &t.hops {
            assert!(h.network_ms >= 0.0 && h.queued_ms >= 0.0 && h.service_ms >= 0.0 && h.waiting_ms >= 0.0, "{t:#?}");
        }
        // The users waited for everything else.
        // (Or waited to retry: their backoff.)
        let users = &t.hops[0];
        assert!((users.waiting_ms + users.backoff_ms - t.latency_ms).abs() < 1e-6 * t.latency_ms.max(1.0), "{t:#?}");
    }
    ended
}

#[test]
fn every_traced_request_is_the_sum_of_its_parts_through_every_kind_of_node() {
    // DNS, balancer pair, replicas (5); cache (6); CDN (7); regions and data
    // centers (9); queue (10); shards and NoSQL (12).
    let mut kinds = std::collections::BTreeSet::new();
    for stem in
        ["05-database-replication", "06-cache", "07-cdn", "09-data-centers", "10-queue-and-workers", "12-sharding"]
    {
        let mut s = lesson(stem);
        s.run_until(5 * S, u64::MAX);
        let ended = follow_all(&mut s, 2);
        assert!(ended.len() > 100, "{stem}: {} traces", ended.len());
        kinds.extend(ended.iter().flat_map(|t| t.hops.iter().map(|h| h.kind)));
    }
    use NodeKind::*;
    for k in [Dns, LoadBalancer, WebServer, Database, Cache, Cdn, Queue, ShardRouter, Nosql] {
        assert!(kinds.contains(&k), "no trace went through a {}: {kinds:?}", k.name());
    }
}

#[test]
fn an_attempt_past_its_timeout_ends_the_trace_at_the_users_and_still_adds_up() {
    // The same overloaded database, the web server without a timeout; the
    // users' client gives each attempt 150 ms. A timed-out request ends at
    // the users 150 ms after it was sent, its visits below cut off there.
    let mut doc = web_and_db(150.0, 4, 10.0, None);
    doc["nodes"][0]["retry"] = json!({"attempt_timeout_ms": 150});
    // Followed from the start, while the database's queue is still short.
    let mut s = sim(&doc);
    let ended = follow_all(&mut s, 3);
    let timed_out: Vec<&Trace> = ended
        .iter()
        .filter(|t| matches!(&t.outcome, TraceOutcome::Failed { cause: Cause::Timeout, at } if at == "users"))
        .collect();
    assert!(timed_out.len() > 20, "{} timeouts of {}", timed_out.len(), ended.len());
    for t in timed_out {
        assert!((t.latency_ms - 150.0).abs() < 1e-6, "{t:#?}");
        for h in &t.hops[1..] {
            assert!(!h.answered, "cut off before any answer: {t:#?}");
            assert!(h.arrived_ms + h.queued_ms + h.service_ms + h.waiting_ms <= 150.0 + 1e-6, "{t:#?}");
        }
    }
    assert!(ended.iter().any(|t| t.outcome == TraceOutcome::Ok), "and some were answered in time");
}

#[test]
fn a_timed_out_request_counts_the_database_queue_until_the_server_gave_up() {
    // The database is overloaded (150/s into 10 ms): the web server gives up
    // after 200 ms while the request still queues at the database.
    let mut s = sim(&web_and_db(150.0, 4, 10.0, Some(200.0)));
    s.run_until(10 * S, u64::MAX);
    let ended = follow_all(&mut s, 3);
    let timed_out: Vec<&Trace> = ended
        .iter()
        .filter(|t| matches!(&t.outcome, TraceOutcome::Failed { cause: Cause::Timeout, at } if at == "web"))
        .collect();
    assert!(timed_out.len() > 20, "{} timeouts of {}", timed_out.len(), ended.len());
    for t in timed_out {
        let web = t.hops.iter().find(|h| h.node == "web").unwrap();
        assert_eq!(web.failed, Some(Cause::Timeout));
        assert!(
            (web.queued_ms + web.service_ms + web.waiting_ms - 200.0).abs() < 1e-6,
            "the server gave up at 200 ms: {t:#?}"
        );
        // What the database did counts only up to the moment the server gave up.
        if let Some(db) = t.hops.iter().find(|h| h.node == "db") {
            assert!(db.arrived_ms + db.queued_ms + db.service_ms <= 201.0 + 1e-6, "{t:#?}");
        }
    }
}

#[test]
fn trace_the_next_request_follows_one_request_to_its_end_and_says_where_it_failed() {
    let mut s = lesson("05-database-replication");
    s.run_until(5 * S, u64::MAX);
    assert!(s.asked_trace().is_none());
    s.trace_next();
    s.run_until(6 * S, u64::MAX);
    let t = s.asked_trace().expect("a request was born in that second");
    assert_ne!(t.outcome, TraceOutcome::InFlight, "{t:#?}");
    let path: Vec<NodeKind> = t.hops.iter().map(|h| h.kind).collect();
    assert_eq!(&path[..3], [NodeKind::Users, NodeKind::Dns, NodeKind::LoadBalancer], "{t:#?}");
    assert!((own_sum(&t) - t.latency_ms).abs() < 1e-6);

    // The animation may be following that very request: it is found all the same.
    s.set_sample_every(1);
    s.trace_next();
    s.run_until(7 * S, u64::MAX);
    let t = s.asked_trace().expect("asked while every request is drawn");
    assert!(t.born_s >= 6.0, "{t:#?}");

    // A request the animation drew can be followed the same way (a clicked dot).
    let mut hops = Vec::new();
    s.drain_hops(&mut hops);
    let drawn = hops.last().unwrap().request;
    assert!(s.follow_trace(drawn));
    s.run_until(9 * S, u64::MAX);
    let t = s.asked_trace().unwrap();
    assert_eq!(t.number, drawn);
    assert_ne!(t.outcome, TraceOutcome::InFlight);
    assert!(
        s.trace(drawn + 1).is_none(),
        "two seconds of requests later, its neighbour is gone; the followed one is kept"
    );
    assert!(!s.follow_trace(u64::MAX), "never born");

    // With the database down, a traced write fails there, and says so.
    let mut s = sim(&web_and_db(100.0, 4, 2.0, None));
    s.run_until(2 * S, u64::MAX);
    s.apply(Edit::Fault { id: "db".into(), fault: Fault::Fail }).unwrap();
    s.trace_next();
    s.run_until(3 * S, u64::MAX);
    let t = s.asked_trace().unwrap();
    assert_eq!(t.outcome, TraceOutcome::Failed { cause: Cause::NodeDown, at: "db".into() }, "{t:#?}");
    let db = t.hops.iter().find(|h| h.node == "db").unwrap();
    assert_eq!(db.failed, Some(Cause::NodeDown));
}

#[test]
#[cfg_attr(debug_assertions, ignore = "runs 580 simulated seconds; run with --release")]
fn the_database_queue_sets_the_p99_and_its_mean_wait_is_the_mm1_wait() {
    // The database is an M/M/1 at 80% (200/s into 4 ms): its mean wait is
    // rho / (mu - lambda) = 0.8 / (250 - 200) s = 16 ms. The web server's 64
    // workers (each held about 25 ms: 5 of its own, 20 at the database) are
    // 8% busy, too many to cap the database's queue in practice. Every
    // request visits each once.
    let mut s = sim(&web_and_db(200.0, 64, 4.0, None));
    s.run_to_end();
    let report = s.report();
    let b = s.latency_breakdown_window().unwrap();
    // One request in eight is traced: about 14,500 of them.
    assert!(b.requests > 13_000, "{}", b.requests);
    let own: f64 = b.mean.hops.iter().map(|h| h.own_ms()).sum();
    assert!((own - b.mean.latency_ms).abs() < 1e-6, "parts {own} vs mean {}", b.mean.latency_ms);
    // The traced quarter's mean latency is the mean of every request, within
    // 5 standard errors (the latency's sd is about 20 ms here; 14,500
    // samples with the autocorrelation of a queue at 80% give an error near 1%).
    let all = report.latency_ms.mean;
    assert!((b.mean.latency_ms / all - 1.0).abs() < 0.05, "traced {} all {all}", b.mean.latency_ms);
    let db = b.mean.hops.iter().find(|h| h.node == "db").unwrap();
    assert!((db.queueing_ms / 16.0 - 1.0).abs() < 0.1, "db queueing {} vs M/M/1 16 ms", db.queueing_ms);
    assert!((db.service_ms / 4.0 - 1.0).abs() < 0.05, "db service {}", db.service_ms);
    assert!((db.network_ms - 1.0).abs() < 1e-6, "two 0.5 ms wires: {}", db.network_ms);
    let web = b.mean.hops.iter().find(|h| h.node == "web").unwrap();
    assert!((web.waiting_ms - db.own_ms()).abs() < 1e-6, "the server waits exactly the database's time");
    // The tail is the database's queue.
    assert_eq!(b.tail.largest().map(|(n, p, _)| (n, p)), Some(("db", "queueing")), "{:#?}", b.tail);
    assert!(
        b.tail.latency_ms >= report.latency_ms.p99 * 0.8,
        "tail {} p99 {}",
        b.tail.latency_ms,
        report.latency_ms.p99
    );
    assert!(
        b.tail.requests * 100 >= b.requests / 2 && b.tail.requests * 100 <= b.requests * 3,
        "about 1%: {}",
        b.tail.requests
    );
}

#[test]
fn the_live_breakdown_covers_the_last_half_minute_to_minute() {
    let mut s = sim(&web_and_db(100.0, 4, 2.0, None));
    assert!(s.latency_breakdown().is_none());
    s.run_until(20 * S, u64::MAX);
    let early = s.latency_breakdown().unwrap();
    // 20 s at 100/s, one in eight traced.
    assert!((220..=280).contains(&early.requests), "{}", early.requests);
    s.run_until(100 * S, u64::MAX);
    let later = s.latency_breakdown().unwrap();
    // Between 30 and 60 s of requests: from 90 s and 60 s ago.
    assert!((350..=760).contains(&later.requests), "{}", later.requests);
}

#[test]
fn tracing_changes_nothing_in_the_run() {
    let run = |every: u32, ask: bool| {
        let mut s = lesson("06-cache");
        s.set_sample_every(every);
        let mut hops = Vec::new();
        for i in 0..40 {
            if ask && i % 3 == 0 {
                s.trace_next();
            }
            s.run_until((i + 1) * S, u64::MAX);
            s.drain_hops(&mut hops);
        }
        s.report().to_json_pretty()
    };
    let plain = run(0, false);
    assert_eq!(plain, run(1, true));
    assert_eq!(plain, run(5, false));
}

#[test]
fn the_breakdown_sees_every_server_behind_a_round_robin() {
    // Round robin hands out requests in turn, in the order they are born: had
    // the breakdown traced every eighth request by number, all it traced would
    // reach web-1 behind two, four or eight servers. Each of four servers
    // takes a quarter, so each hop's service is a quarter of 2 ms per request
    // (about 2,900 traced: the share's standard error is under 2%).
    let web = |id: &str| json!({"id": id, "kind": "web_server", "workers": 4, "service": {"dist": "constant", "mean_ms": 2.0}});
    let mut s = sim(&json!({
        "version": 2, "seed": 3, "duration_s": 60, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 400, "mix": {"read": 1.0}},
            {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin"},
            web("web-1"), web("web-2"), web("web-3"), web("web-4")
        ],
        "links": [
            {"from": "users", "to": "lb"},
            {"from": "lb", "to": "web-1"}, {"from": "lb", "to": "web-2"},
            {"from": "lb", "to": "web-3"}, {"from": "lb", "to": "web-4"}
        ]
    }));
    s.run_to_end();
    let b = s.latency_breakdown_window().unwrap();
    assert!(b.requests > 2_500, "{}", b.requests);
    for id in ["web-1", "web-2", "web-3", "web-4"] {
        let hop = b.mean.hops.iter().find(|h| h.node == id).unwrap_or_else(|| panic!("{id} is missing: {:#?}", b.mean));
        assert!((hop.service_ms / 0.5 - 1.0).abs() < 0.1, "{id}: {} ms per request, not 0.5", hop.service_ms);
    }
}

/// Tracing for the breakdown is switched off and on while a run goes: every
/// other figure (the report, each second of the series, readings, the
/// headline, the dots' hops, an asked trace) is the same as with it on
/// throughout; only the breakdown itself differs.
#[test]
fn the_breakdown_switch_changes_nothing_but_the_breakdown() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/determinism-mixed.json")).unwrap();
    let scenario = scalelab_engine::Scenario::from_json(&text).unwrap();
    let (mut on, mut switched) = (Simulation::new(scenario.clone()), Simulation::new(scenario));
    assert!(on.breakdown_on());
    let end = on.end();
    let step = end / 40;
    let (mut hops_on, mut hops_switched) = (Vec::new(), Vec::new());
    let mut compared_breakdowns = 0;
    for sim in [&mut on, &mut switched] {
        sim.set_sample_every(7);
    }
    for i in 1..=40u64 {
        // Off for steps 5 to 14 and 25 to 34.
        switched.set_breakdown(!(5..15).contains(&i) && !(25..35).contains(&i));
        if i == 20 {
            on.trace_next();
            switched.trace_next();
        }
        for sim in [&mut on, &mut switched] {
            sim.run_until(i * step, u64::MAX);
        }
        on.drain_hops(&mut hops_on);
        switched.drain_hops(&mut hops_switched);
        assert_eq!(format!("{:?}", on.live_snapshot()), format!("{:?}", switched.live_snapshot()), "step {i}");
        assert_eq!(format!("{:?}", on.take_snapshot()), format!("{:?}", switched.take_snapshot()), "step {i}");
        assert_eq!(format!("{:?}", on.headline()), format!("{:?}", switched.headline()), "step {i}");
        assert_eq!(format!("{:?}", on.asked_trace()), format!("{:?}", switched.asked_trace()), "step {i}");
        assert_eq!(hops_on, hops_switched, "step {i}");
        if switched.breakdown_on() {
            assert!(on.latency_breakdown().is_some());
            if (16..25).contains(&i) || i >= 36 {
                // Back on for a while: its own requests only, over a shorter span.
                let (b_on, b_sw) = (on.latency_breakdown().unwrap(), switched.latency_breakdown().unwrap());
                assert!(b_sw.requests > 0 && b_sw.requests < b_on.requests, "step {i}: {b_sw:?}");
                assert!(b_sw.span_s < b_on.span_s, "step {i}");
                compared_breakdowns += 1;
            }
        } else {
            assert!(switched.latency_breakdown().is_none(), "step {i}");
        }
    }
    assert!(compared_breakdowns > 5);
    assert!(!hops_on.is_empty());
    assert_eq!(on.series().iter().collect::<Vec<_>>(), switched.series().iter().collect::<Vec<_>>());
    assert_eq!(on.report().to_json_pretty(), switched.report().to_json_pretty());
    assert!(on.latency_breakdown_window().unwrap().requests > switched.latency_breakdown_window().unwrap().requests);
}
