//! The rate limiter (`rate_limiter`): what it lets through against what the
//! algorithms promise, per user as well as for everyone, what a refused
//! request costs (the way there and back), and the books and the bytes.
//!
//! What passed is counted at the limiter itself: its arrivals minus its
//! refusals over the window, both in the limiter's own time. Requests still
//! on the wire to it when the run stops are in neither count, so the token
//! bucket's bound needs no slack for them. (Counted at the users instead, as
//! successes, the few let through in the last few milliseconds would still
//! be on their way back: see `what_passed_reaches_the_users`.)

use crate::support::*;
use scalelab_engine::trace::TraceOutcome;
use scalelab_engine::{Cause, Edit, Report, Scenario, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

/// Users (id, requests/s, population) into one rate limiter, then a web
/// server with room for everything it lets through.
fn design(seed: u64, duration_s: f64, users: &[(&str, f64, u64)], limiter: Value) -> Value {
    let mut nodes: Vec<Value> = users
        .iter()
        .map(|&(id, rps, population)| json!({"id": id, "kind": "users", "rps": rps, "population": population}))
        .collect();
    let mut links: Vec<Value> =
        users.iter().map(|&(id, ..)| json!({"from": id, "to": "limiter", "latency_ms": 1.0})).collect();
    let mut limiter = limiter;
    limiter["id"] = json!("limiter");
    limiter["kind"] = json!("rate_limiter");
    nodes.push(limiter);
    nodes.push(json!({"id": "web", "kind": "web_server", "workers": 64, "service": const_ms(1.0),
        "queue_limit": null, "timeout_ms": null}));
    links.push(json!({"from": "limiter", "to": "web", "latency_ms": 0.2}));
    json!({"version": 2, "seed": seed, "duration_s": duration_s, "warmup_s": 0, "nodes": nodes, "links": links})
}

fn bucket(rate: f64, burst: u64) -> Value {
    json!({"algorithm": "token_bucket", "rate_rps": rate, "burst": burst})
}

/// Requests the limiter let through over the window.
fn passed(r: &Report) -> u64 {
    let s = r.nodes.get("limiter").unwrap().summary;
    assert_eq!(s.failed_down, 0);
    s.arrivals - s.rate_limited
}

#[test]
fn a_token_bucket_lets_its_rate_through_and_at_most_its_burst_more() {
    // r = 100/s, b = 10, T = 200 s, arrivals at 2 and 4 times the rate. The
    // bucket starts full: it lets through its 10 tokens, plus r per second
    // it was not full, minus what is left at the end (0 to b). It is full
    // only until the first arrival (a few ms), so r·T − 1 < passed ≤ r·T + b.
    for rps in [200.0, 400.0] {
        for seed in 1..=3 {
            let r = run(&design(seed, 200.0, &[("users", rps, 10_000)], bucket(100.0, 10)));
            let n = passed(&r);
            eprintln!("token bucket 100/s, burst 10, {rps}/s offered, seed {seed}: {n} passed in 200 s (r·T = 20000)");
            assert!(n.abs_diff(20_000) <= 10, "{rps}/s, seed {seed}: {n}");
            let refused = r.nodes.get("limiter").unwrap().summary.rate_limited;
            assert!(refused as f64 > (rps - 100.0) * 200.0 * 0.95, "{refused} refused");
        }
    }
}

#[test]
fn under_its_rate_a_token_bucket_lets_everything_through() {
    // λ = 50/s into 100/s with a bucket of 10: a request is refused only
    // when 10 tokens' worth came in less than their refill time, which for
    // Poisson arrivals at half the rate happens about once in 10^5 (the
    // tail of an M/D/1 workload at ρ = 0.5 beyond 9 services). What passes
    // is then the arrivals: within 0.5% of λ. The 200 s runs of the other
    // checks would leave ±1% of Poisson noise per run; 20 runs of 4,000 s
    // (200,000 requests each) bring 5 standard errors to about 0.25%.
    let runs = replicate(REPS, |i| run(&design(100 + i, 4_000.0, &[("users", 50.0, 10_000)], bucket(100.0, 10))));
    let rates: Vec<f64> = runs.iter().map(|r| passed(r) as f64 / r.window_s).collect();
    check("token bucket 100/s: requests/s passed at 50/s offered", &rates, 50.0, 0.0, 0.005);
    let refused: u64 = runs.iter().map(|r| r.nodes.get("limiter").unwrap().summary.rate_limited).sum();
    let arrived: u64 = runs.iter().map(|r| r.nodes.get("limiter").unwrap().summary.arrivals).sum();
    eprintln!("token bucket 100/s at 50/s: {refused} refused of {arrived}");
    assert!((refused as f64) < 1e-4 * arrived as f64, "{refused} of {arrived} refused");
}

#[test]
fn a_sliding_window_lets_its_rate_through() {
    // 100/s over 1 s windows: min(λ, 100) within 2%. Under its rate the
    // window never fills (Poisson 50 reaching 100 in a window: about 1e-9),
    // so the only error is noise. Over it, each window passes up to the
    // limit, and one fewer when no request comes in the last hundredth of a
    // window (the weighted count reaches the limit a hair before the end):
    // a bias of at most one request a window, 1%, allowed as systematic.
    for (rps, systematic, duration) in [(50.0, 0.0, 400.0), (200.0, 0.01, 200.0), (400.0, 0.01, 200.0)] {
        let limiter = json!({"algorithm": "sliding_window", "rate_rps": 100, "window_s": 1});
        let rates = replicate(REPS, |i| {
            let r = run(&design(200 + i, duration, &[("users", rps, 10_000)], limiter.clone()));
            passed(&r) as f64 / r.window_s
        });
        check(&format!("sliding window 100/s at {rps}/s offered"), &rates, rps.min(100.0), systematic, 0.02);
    }
}

#[test]
fn per_user_each_user_gets_the_whole_rate() {
    // One limiter, 100/s per user (bucket 10), three users nodes: A is one
    // user at 300/s (held to 100), B one user at 30/s (under it), C ten users
    // sharing 500/s (50/s each: every one under it). A's and B's only user
    // both have id 0 (ids count from 0 in every users node): were the key
    // the user alone, they would share one limit and B would get a fraction.
    // Expected: A 100, B 30, C 500 a second, each within 1%: A's bucket
    // passes exactly 100/s ± 10 over the run; B and C lose about one request
    // in 10^5 (see above) and 10^-8, so theirs is Poisson noise: 40 runs of
    // 500 s bring B's 5 standard errors to about 0.5%.
    let runs = replicate(2 * REPS, |i| {
        let users = [("a", 300.0, 1), ("b", 30.0, 1), ("c", 500.0, 10)];
        let limiter = json!({"rate_rps": 100, "burst": 10, "per": "user"});
        let r = run(&design(300 + i, 500.0, &users, limiter));
        ["a", "b", "c"].map(|id| r.nodes.get(id).unwrap().summary.throughput_rps)
    });
    // A's bucket is nearly deterministic: its known bias, up to b / (r·T),
    // is the systematic term.
    let a_bias = 10.0 / (100.0 * 500.0);
    for (k, (id, expected, systematic)) in
        [("a", 100.0, a_bias), ("b", 30.0, 0.0), ("c", 500.0, 0.0)].into_iter().enumerate()
    {
        let rates: Vec<f64> = runs.iter().map(|r| r[k]).collect();
        check(&format!("per user: users {id} served per second"), &rates, expected, systematic, 0.01);
    }
}

#[test]
fn what_passed_reaches_the_users() {
    // Every request let through is answered (the server has room for all):
    // at the end, only those let through in the last few milliseconds (two
    // links of 1.2 ms and 1 ms of service) are still on their way back. The
    // bucket is nearly empty all along, so that is one or two requests.
    // And every refusal reaches its users as `rate_limited`, but those
    // still on the 1 ms wire back.
    let r = run(&design(9, 200.0, &[("users", 200.0, 10_000)], bucket(100.0, 10)));
    let (n, q) = (passed(&r), &r.requests);
    eprintln!("{n} passed, {} ok, {} in flight at the end", q.ok, q.in_flight);
    assert!(q.ok <= n && n - q.ok <= 3, "{n} passed, {} answered", q.ok);
    let refused = r.nodes.get("limiter").unwrap().summary.rate_limited;
    let told = q.failed.get(Cause::RateLimited);
    assert!(told <= refused && refused - told <= 3, "{refused} refused, {told} told");
    assert_eq!(q.failed.total(), told, "nothing else failed");
}

#[test]
fn a_refused_request_costs_only_the_way_to_the_limiter_and_back() {
    // Users 20 ms away from the limiter; the server 0.2 ms behind it, 1 ms
    // of service. A 429 takes 40 ms, an answer 41.4 ms; every traced part
    // adds up to the latency.
    let mut doc = design(5, 10.0, &[("users", 300.0, 10_000)], bucket(100.0, 10));
    doc["links"][0]["latency_ms"] = json!(20.0);
    let mut sim = Simulation::new(scenario(&doc));
    sim.set_sample_every(1);
    let (mut hops, mut open, mut ended) = (Vec::new(), std::collections::BTreeSet::new(), Vec::new());
    for step in 1..=300 {
        sim.run_until(step * S / 100, u64::MAX);
        sim.drain_hops(&mut hops);
        open.extend(hops.drain(..).map(|h| h.request));
        let done: Vec<u64> = open
            .iter()
            .copied()
            .filter(|&n| sim.trace(n).is_some_and(|t| t.outcome != TraceOutcome::InFlight))
            .collect();
        for n in done {
            open.remove(&n);
            ended.push(sim.trace(n).unwrap());
        }
    }
    let (mut refused, mut answered) = (0, 0);
    for t in &ended {
        let parts: f64 = t.hops.iter().map(|h| h.network_ms + h.queued_ms + h.service_ms).sum();
        assert!((parts - t.latency_ms).abs() < 1e-6, "{t:#?}");
        match &t.outcome {
            TraceOutcome::Failed { cause: Cause::RateLimited, at } => {
                assert_eq!(at, "limiter");
                assert!((t.latency_ms - 40.0).abs() < 1e-6, "a 429 took {} ms", t.latency_ms);
                assert_eq!(t.hops.len(), 2, "it went no further: {t:#?}");
                assert_eq!(t.hops[1].failed, Some(Cause::RateLimited));
                refused += 1;
            }
            TraceOutcome::Ok => {
                assert!((t.latency_ms - 41.4).abs() < 1e-6, "an answer took {} ms", t.latency_ms);
                answered += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    eprintln!("traced: {refused} refused in 40 ms, {answered} answered in 41.4 ms");
    assert!(refused > 300 && answered > 150, "{refused} refused, {answered} answered");
}

/// Users through DNS to a per-user limiter, a balancer and two servers that
/// queue (so requests are open at every moment), with a fault on the limiter.
fn busy() -> Value {
    json!({
        "version": 2, "seed": 21, "duration_s": 30, "warmup_s": 3,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 900, "population": 40, "client_timeout_ms": 300},
            {"id": "dns", "kind": "dns", "ttl_s": 5},
            {"id": "limiter", "kind": "rate_limiter", "algorithm": "sliding_window", "rate_rps": 20,
             "window_s": 0.5, "per": "user"},
            {"id": "lb", "kind": "load_balancer"},
            {"id": "web1", "kind": "web_server", "workers": 2, "service": exp_ms(4.0), "queue_limit": 20},
            {"id": "web2", "kind": "web_server", "workers": 2, "service": exp_ms(4.0), "queue_limit": 20}
        ],
        "links": [
            {"from": "users", "to": "dns", "latency_ms": 5}, {"from": "dns", "to": "limiter", "latency_ms": 1},
            {"from": "limiter", "to": "lb", "latency_ms": 0.2},
            {"from": "lb", "to": "web1", "latency_ms": 0.2}, {"from": "lb", "to": "web2", "latency_ms": 0.2}
        ],
        "faults": [{"at_s": 12, "node": "limiter", "fault": "fail"}, {"at_s": 14, "node": "limiter", "fault": "recover"}]
    })
}

#[test]
fn the_books_balance_and_the_run_is_the_same_every_time() {
    let doc = busy();
    let mut sim = Simulation::new(scenario(&doc));
    while !sim.run_until(sim.now() + S / 2, u64::MAX).finished {
        let q = sim.report().requests;
        assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight, "at {} ms", sim.now() / 1_000_000);
        assert_eq!(q.in_flight, sim.count_open_window_requests(), "at {} ms", sim.now() / 1_000_000);
    }
    let r = sim.report();
    let q = &r.requests;
    let limiter = r.nodes.get("limiter").unwrap().summary;
    eprintln!("busy design: {q:?}; limiter {limiter:?}");
    // 40 users at 22.5/s each against 20/s each; the limiter's fault fails
    // what reached it while it was down, and what it held.
    assert!(q.failed.get(Cause::RateLimited) > 1000, "{q:?}");
    assert!(q.failed.get(Cause::NodeDown) > 100, "{q:?}");
    assert!(limiter.rate_limited >= q.failed.get(Cause::RateLimited));
    // The same scenario, the same bytes; and in small uneven steps too.
    let again = run(&doc);
    assert_eq!(again.to_json_pretty(), r.to_json_pretty());
    let mut chunked = Simulation::new(scenario(&doc));
    let mut step = 1u64;
    while !chunked.run_until(chunked.now() + step, 1 + step % 977).finished {
        step = step * 7 % 50_000_000 + 1;
    }
    assert_eq!(chunked.report().to_json_pretty(), r.to_json_pretty());
}

#[test]
fn a_live_change_of_rate_applies_at_once() {
    // 1,000/s against a global bucket of 100/s; at 10 s the rate goes to
    // 250/s: the next 10 s pass 2,500 (within the bucket's 10: it keeps
    // its tokens across the change).
    let doc = design(3, 20.0, &[("users", 1000.0, 10_000)], bucket(100.0, 10));
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(10 * S, u64::MAX);
    let before = passed(&sim.report());
    let mut node = sim.scenario().nodes.iter().find(|n| n.id == "limiter").unwrap().clone();
    let scalelab_engine::scenario::NodeSpec::RateLimiter(spec) = &mut node.spec else { panic!("a limiter") };
    spec.rate_rps = 250.0;
    sim.apply(Edit::UpdateNode { node }).unwrap();
    sim.run_to_end();
    let after = passed(&sim.report()) - before;
    eprintln!("100/s then 250/s: {before} then {after}");
    assert!(before.abs_diff(1_000) <= 10 && after.abs_diff(2_500) <= 10, "{before}, {after}");
}

#[test]
fn the_settings_round_trip_and_take_their_defaults() {
    let doc = busy();
    let s = scenario(&doc);
    let text = s.to_json_pretty();
    assert_eq!(Scenario::from_json(&text).unwrap(), s, "{text}");
    let limiter = &serde_json::from_str::<Value>(&text).unwrap()["nodes"][2];
    assert_eq!(
        limiter,
        &json!({"id": "limiter", "kind": "rate_limiter", "algorithm": "sliding_window", "rate_rps": 20.0,
                "window_s": 0.5, "per": "user"})
    );
    // Absent: a token bucket of 100/s holding one second of it, for everyone.
    // The burst is left out of the document, so it follows the rate.
    let plain = scenario(&design(1, 10.0, &[("users", 10.0, 1)], json!({})));
    let text = plain.to_json_pretty();
    let limiter = &serde_json::from_str::<Value>(&text).unwrap()["nodes"][1];
    assert_eq!(
        limiter,
        &json!({"id": "limiter", "kind": "rate_limiter", "algorithm": "token_bucket", "rate_rps": 100.0,
                "window_s": 1.0, "per": "global"})
    );
    assert_eq!(Scenario::from_json(&text).unwrap(), plain);
    let burst_of = |s: &Scenario| {
        let scalelab_engine::scenario::NodeSpec::RateLimiter(spec) = &s.nodes[1].spec else { panic!("a limiter") };
        spec.burst()
    };
    assert_eq!(burst_of(&plain), 100);
    let odd = scenario(&design(1, 10.0, &[("users", 10.0, 1)], json!({"rate_rps": 2.5})));
    assert_eq!(burst_of(&odd), 3, "one second of 2.5/s, rounded up");
    let null = scenario(&design(1, 10.0, &[("users", 10.0, 1)], json!({"rate_rps": 40, "burst": null})));
    assert_eq!(burst_of(&null), 40, "null is the default too");
}

#[test]
fn bad_settings_and_wiring_are_named() {
    let issues = |limiter: Value, extra: Option<Value>| {
        let mut doc = design(1, 10.0, &[("users", 10.0, 1)], limiter);
        if let Some(link) = extra {
            if link["to"] == "web2" {
                doc["nodes"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"id": "web2", "kind": "web_server", "workers": 1, "service": const_ms(1.0)}));
            }
            doc["links"].as_array_mut().unwrap().push(link);
        }
        match Scenario::from_json(&doc.to_string()) {
            Ok(_) => Vec::new(),
            Err(e) => e.issues().iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        }
    };
    let cases = [
        (json!({"algorithm": "token-bucket"}), "nodes[1].algorithm", "did you mean \"token_bucket\""),
        (json!({"rate_rps": -1}), "nodes[1].rate_rps", "at least 0"),
        (json!({"rate_rps": 1e8}), "nodes[1].rate_rps", "at most"),
        (json!({"burst": 0}), "nodes[1].burst", "at least 1"),
        (json!({"burst": 2.5}), "nodes[1].burst", "whole number"),
        (json!({"window_s": 0}), "nodes[1].window_s", "at least 0.001"),
        (json!({"window_s": 7200}), "nodes[1].window_s", "at most 3600"),
        (json!({"per": "users"}), "nodes[1].per", "did you mean \"user\""),
        (json!({"rate_rp": 5}), "nodes[1].rate_rp", "did you mean \"rate_rps\""),
    ];
    for (limiter, path, words) in cases {
        let found = issues(limiter.clone(), None);
        assert!(found.iter().any(|i| i.contains(path) && i.contains(words)), "{limiter}: {found:?}");
    }
    let two = issues(json!({}), Some(json!({"from": "limiter", "to": "web2"})));
    assert!(two.iter().any(|i| i.contains("rate limiter \"limiter\" is linked to 2 nodes; link it to one")), "{two:?}");
    let backwards = issues(json!({}), Some(json!({"from": "web", "to": "limiter"})));
    assert!(
        backwards.iter().any(|i| i.contains("only users, or DNS on their behalf, send requests to a rate limiter")),
        "{backwards:?}"
    );
}

#[test]
fn it_costs_a_small_machine_and_can_be_the_single_point_of_failure() {
    let mut doc = design(1, 10.0, &[("users", 10.0, 1)], json!({}));
    doc["nodes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "web2", "kind": "web_server", "workers": 1, "service": const_ms(1.0)}));
    doc["nodes"].as_array_mut().unwrap().push(json!({"id": "lb", "kind": "load_balancer"}));
    doc["links"] = json!([
        {"from": "users", "to": "limiter"}, {"from": "limiter", "to": "lb"},
        {"from": "lb", "to": "web"}, {"from": "lb", "to": "web2"}
    ]);
    let s = scenario(&doc);
    assert_eq!(scalelab_engine::single_points_of_failure(&s), ["limiter", "lb"]);
    let sim = Simulation::new(s);
    let cost = sim.monthly_costs().into_iter().find(|(id, _)| id == "limiter").unwrap().1;
    assert_eq!(cost, 35.0);
    // Nothing behind it: a warning, not an error.
    let mut lonely = doc.clone();
    lonely["links"] = json!([{"from": "users", "to": "limiter"}]);
    let w = scalelab_engine::warnings(&scenario(&lonely));
    assert!(w.iter().any(|i| i.message.contains("rate limiter \"limiter\" has nothing behind it")), "{w:?}");
}

#[test]
fn reports_without_a_limiter_have_no_rate_limited_key() {
    let r = run(&design(1, 10.0, &[("users", 300.0, 10_000)], bucket(100.0, 10)));
    let json: Value = serde_json::from_str(&r.to_json_pretty()).unwrap();
    assert!(json["nodes"]["limiter"]["rate_limited"].as_u64().unwrap() > 1000);
    assert!(json["nodes"]["web"].get("rate_limited").is_none(), "a count of 0 is left out");
    assert!(json["nodes"]["users"].get("rate_limited").is_none());
}
