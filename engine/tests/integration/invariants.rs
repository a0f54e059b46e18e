//! Conservation and stepping: properties over many random scenarios, plus the
//! long-run memory bound and the animation sampling.
//!
//! Every request born in the window ends in exactly one outcome or is still in
//! flight (`generated = ok + failed + in_flight`), and the in-flight count
//! agrees with an independent scan of the request arena. Stepping the engine
//! in arbitrary pieces is the same run as one call.

use proptest::prelude::*;
use scalelab_engine::{AttemptOutcomes, Cause, Report, Scenario, Share, Simulation};
use serde_json::{json, Value};

/// A random valid scenario: 1-3 web servers, behind a load balancer (any
/// algorithm) or not, with or without a database; 1-4 workers; any service
/// distribution; queue limits from 0 (no waiting at all) to 5 or none;
/// FIFO, LIFO, adaptive LIFO or FIFO shedding what waited too long or was
/// given up on; with or without contention (up to 50% slower per request
/// beyond a knee of 0-5, capped at 1-6x);
/// timeouts of 1-40 ms (comparable to the service times, so they fire
/// often) or none; link latencies; any mix of kinds; users who give up
/// after the default 10 s, never, or 5-100 ms (so they do); short runs.
///
/// One scenario in four has users without a call policy; the others have
/// one attempt each without a timeout, or 1 to 4 attempts with a timeout of
/// 2 to 92 ms (so attempts time out often), retried at once or after a
/// constant or exponential backoff with any jitter, with or without a
/// budget. Drawn from the seed's bits 50 to 61, as the limiter's settings
/// are.
///
/// Three scenarios in four have web servers with a call policy (`calls`)
/// drawn the same way from the seed's bits 0 to 12: one call each, or up
/// to 4 attempts timed out at 1 to 16 ms, at once or after a backoff, with
/// or without a budget.
///
/// One scenario in four has a rate limiter in front of the site (either
/// algorithm, global or per user, at 0.3 to 1.2 times the users' rate). Its
/// settings come from the high bits of the scenario's seed rather than from
/// draws of their own, so the other scenarios are drawn exactly as before
/// (a new draw would shift every case after the first).
fn arb_scenario() -> impl Strategy<Value = Value> {
    let station = (
        1u32..=4,
        0usize..3,
        0.2f64..6.0,
        0.2f64..3.0,
        proptest::option::of(0u32..6),
        proptest::option::of(1.0f64..40.0),
        0.0f64..2.0,
        // Queue discipline and shedding: none, LIFO, adaptive LIFO with a
        // maximum wait, FIFO dropping abandoned requests with one.
        (0u8..4, 0.5f64..30.0),
        // Contention: slope, knee, max_factor.
        proptest::option::of((0.0f64..0.5, 0u32..6, 1.0f64..6.0)),
    );
    (
        any::<u64>(),
        (1usize..=3, any::<bool>(), prop_oneof![Just("round_robin"), Just("least_connections"), Just("random"), Just("sticky"), Just("two_choices")]),
        (any::<bool>(), 50.0f64..3000.0, 1u64..200, (0u8..3, 5.0f64..100.0)),
        proptest::collection::vec(station, 4),
        (0.0f64..5.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..0.3),
        (3.0f64..12.0, 0.0f64..2.0),
        // A cache (and its size), async web servers, a read replica.
        (any::<bool>(), 1u64..500, any::<bool>(), any::<bool>(), any::<bool>(), proptest::option::of(1u64..50)),
    )
        .prop_map(|(seed, (n_web, with_lb, alg), (with_db, rps, population, (patience, give_up_ms)), stations, (lat_in, read, write, stat, job), (duration, warmup), (with_cache, capacity, asynchronous, with_replica, invalidate, queue))| {
            let dists = ["exponential", "constant", "lognormal"];
            let node = |i: usize, kind: &str, id: String| {
                let (workers, d, mean, cv, ql, to, _, (shed, max_wait), contention) = stations[i];
                let mut service = json!({"dist": dists[d], "mean_ms": mean});
                if d == 2 {
                    service["cv"] = json!(cv);
                }
                let mut n = json!({"id": id, "kind": kind, "workers": workers, "service": service, "queue_limit": ql, "timeout_ms": to});
                match shed {
                    1 => n["discipline"] = json!("lifo"),
                    2 => {
                        n["discipline"] = json!("adaptive_lifo");
                        n["lifo_above"] = json!(2);
                        n["max_wait_ms"] = json!(max_wait);
                    }
                    3 => {
                        n["drop_abandoned"] = json!(true);
                        n["max_wait_ms"] = json!(max_wait);
                    }
                    _ => {}
                }
                if let Some((slope, knee, max_factor)) = contention {
                    n["contention"] = json!({"slope": slope, "knee": knee, "max_factor": max_factor});
                }
                n
            };
            let mut users = json!({"id": "users", "kind": "users", "rps": rps, "population": population,
                "mix": {"read": read + 0.01, "write": write, "static": stat, "job": job}});
            match patience {
                0 => {} // the default
                1 => users["client_timeout_ms"] = Value::Null,
                _ => users["client_timeout_ms"] = json!(give_up_ms),
            }
            match seed >> 56 & 3 {
                0 => {}
                1 => users["retry"] = json!({}),
                _ => {
                    let mut retry = json!({"attempt_timeout_ms": 2 + 6 * (seed >> 58 & 15), "max_attempts": 1 + (seed >> 50 & 3)});
                    match seed >> 52 & 3 {
                        0 => {}
                        1 => retry["backoff"] = json!("constant"),
                        _ => {
                            retry["backoff"] = json!("exponential");
                            retry["backoff_ms"] = json!(1 + (seed >> 54 & 3));
                            retry["backoff_cap_ms"] = json!(10);
                            retry["jitter"] = json!(["none", "full", "equal", "full"][(seed >> 55 & 1) as usize * 2 + (seed >> 53 & 1) as usize]);
                        }
                    }
                    if seed >> 57 & 1 == 1 {
                        retry["budget"] = json!({"tokens": seed >> 50 & 15, "refill": 0.2});
                    }
                    if seed >> 58 & 3 == 3 {
                        retry["breaker"] = json!({"window_s": 1, "min_calls": 5, "threshold": 0.3,
                            "cooldown_s": 0.1, "trial_calls": 2});
                    }
                    users["retry"] = retry;
                }
            }
            let mut nodes = vec![users];
            let mut links = vec![];
            // The site's door: the users, or a rate limiter in front of it.
            let door = if seed >> 62 == 0 {
                let windows = [0.05, 0.2, 1.0];
                nodes.push(json!({"id": "limiter", "kind": "rate_limiter",
                    "algorithm": if seed >> 40 & 1 == 0 { "token_bucket" } else { "sliding_window" },
                    "per": if seed >> 41 & 1 == 0 { "global" } else { "user" },
                    "rate_rps": rps * (0.3 + 0.9 * (seed >> 32 & 0xff) as f64 / 255.0),
                    "burst": 1 + (seed >> 48 & 15), "window_s": windows[(seed >> 44 & 3) as usize % 3]}));
                links.push(json!({"from": "users", "to": "limiter", "latency_ms": lat_in}));
                "limiter"
            } else {
                "users"
            };
            if with_lb {
                nodes.push(json!({"id": "lb", "kind": "load_balancer", "algorithm": alg}));
                links.push(json!({"from": door, "to": "lb", "latency_ms": if door == "users" { lat_in } else { 0.1 }}));
            }
            for w in 0..n_web {
                let id = format!("web{w}");
                let mut web = node(w, "web_server", id.clone());
                web["waiting"] = json!(if asynchronous { "async" } else { "thread" });
                if let Some(calls) = calls_policy(seed) {
                    web["calls"] = calls;
                }
                nodes.push(web);
                if with_cache {
                    links.push(json!({"from": id, "to": "cache", "latency_ms": 0.1}));
                }
                if queue.is_some() {
                    links.push(json!({"from": id, "to": "queue", "latency_ms": 0.1}));
                }
                if with_db && with_replica {
                    links.push(json!({"from": id, "to": "replica", "latency_ms": stations[3].6}));
                }
                if with_lb {
                    links.push(json!({"from": "lb", "to": id, "latency_ms": stations[w].6}));
                } else if w == 0 {
                    links.push(json!({"from": door, "to": id, "latency_ms": if door == "users" { lat_in } else { 0.1 }}));
                }
                if with_db {
                    links.push(json!({"from": id, "to": "db", "latency_ms": stations[3].6}));
                }
            }
            if with_db {
                nodes.push(node(3, "database", "db".into()));
                if with_replica {
                    nodes.push(node(2, "database", "replica".into()));
                    links.push(json!({"from": "db", "to": "replica"}));
                }
            }
            if let Some(capacity) = queue {
                nodes.push(json!({"id": "queue", "kind": "queue", "capacity": capacity}));
                nodes.push(json!({"id": "pool", "kind": "workers", "workers": 2, "service": {"dist": "exponential", "mean_ms": 20}}));
                links.push(json!({"from": "queue", "to": "pool"}));
            }
            if with_cache {
                let mut cache = json!({"id": "cache", "kind": "cache", "capacity": capacity, "ttl_s": 0.5,
                    "invalidate_on_write": invalidate, "workers": 2, "service": {"dist": "exponential", "mean_ms": 0.3}});
                // Coalesced misses in half the designs; early refresh in
                // three in four, from gentle to eager.
                if seed >> 20 & 1 == 1 {
                    cache["coalesce"] = json!(true);
                }
                if let Some(beta) = [None, Some(0.5), Some(1.0), Some(20.0)][(seed >> 21 & 3) as usize] {
                    cache["early_refresh"] = json!(beta);
                }
                nodes.push(cache);
            }
            json!({"version": 1, "seed": seed, "duration_s": duration, "warmup_s": warmup, "nodes": nodes, "links": links})
        })
}

/// The web servers' call policy drawn from the seed's low bits (`None`:
/// none, in one scenario in four).
fn calls_policy(seed: u64) -> Option<Value> {
    match seed & 3 {
        0 => None,
        1 => Some(json!({})),
        _ => {
            let mut calls = json!({"attempt_timeout_ms": 1 + (seed >> 2 & 15), "max_attempts": 1 + (seed >> 6 & 3)});
            match seed >> 8 & 3 {
                0 => {}
                1 => calls["backoff"] = json!("constant"),
                _ => {
                    calls["backoff"] = json!("exponential");
                    calls["backoff_ms"] = json!(1 + (seed >> 10 & 1));
                    calls["backoff_cap_ms"] = json!(6);
                    calls["jitter"] = json!(["none", "full"][(seed >> 11 & 1) as usize]);
                }
            }
            if seed >> 12 & 1 == 1 {
                calls["budget"] = json!({"tokens": seed >> 2 & 7, "refill": 0.3});
            }
            if seed >> 13 & 1 == 1 {
                // A breaker quick to open and to try again, so short runs
                // see it refuse, go half-open and close.
                let threshold = [0.1, 0.5][(seed >> 18 & 1) as usize];
                calls["breaker"] = json!({"window_s": 1 + (seed >> 14 & 1), "min_calls": 1 + (seed >> 15 & 7),
                    "threshold": threshold, "cooldown_s": 0.05,
                    "trial_calls": 1 + (seed >> 19 & 3)});
            }
            Some(pooled(calls, seed))
        }
    }
    .map(|calls| if seed & 3 == 1 { pooled(calls, seed) } else { calls })
}

/// A connection pool in half the policies (seed bit 22): 1 to 4
/// connections, so calls wait, with no longest wait or one of 2 or 10 ms.
fn pooled(mut calls: Value, seed: u64) -> Value {
    if seed >> 22 & 1 == 1 {
        let mut pool = json!({"size": 1 + (seed >> 23 & 3)});
        if let Some(ms) = [None, Some(2.0), Some(10.0), None][(seed >> 25 & 3) as usize] {
            pool["max_wait_ms"] = json!(ms);
        }
        calls["pool"] = pool;
    }
    calls
}

/// The books of the web servers' calls: each ends once, and those under
/// way are the attempts found in the arena.
fn check_calls(sim: &Simulation) -> Result<(), TestCaseError> {
    let c = sim.call_outcomes();
    prop_assert_eq!(c.sent, c.ok + c.failed_total() + c.open(), "{:?}", c);
    prop_assert_eq!(c.open(), sim.count_open_calls());
    Ok(())
}

fn simulate(doc: &Value) -> Simulation {
    let scenario = Scenario::from_json(&doc.to_string()).expect("generated scenarios are valid");
    Simulation::new(scenario)
}

/// The longest a successful request can take, if every web server it can
/// reach has a timeout: the caller gives up `timeout_ms` after the request
/// reached the web server, so a success is back within the links outside
/// that node (each crossed twice) plus the timeout.
fn success_latency_bound(doc: &Value) -> Option<f64> {
    let links = doc["links"].as_array().unwrap();
    let nodes = doc["nodes"].as_array().unwrap();
    let latency = |from: &str, to: &str| {
        links.iter().find(|l| l["from"] == from && l["to"] == to).map(|l| l["latency_ms"].as_f64().unwrap())
    };
    let mut bound: f64 = 0.0;
    // Through a rate limiter, if the users send to one.
    let (door, to_door) = match latency("users", "limiter") {
        Some(l) => ("limiter", l),
        None => ("users", 0.0),
    };
    for n in nodes.iter().filter(|n| n["kind"] == "web_server") {
        let id = n["id"].as_str().unwrap();
        let outside = to_door
            + match (latency(door, id), latency(door, "lb"), latency("lb", id)) {
                (Some(direct), _, _) => direct,
                (None, Some(a), Some(b)) => a + b,
                _ => continue, // not reachable
            };
        bound = bound.max(2.0 * outside + n["timeout_ms"].as_f64()?);
    }
    // Each attempt within that, and the waits between them.
    let retry = &nodes[0]["retry"];
    let attempts = retry["max_attempts"].as_f64().unwrap_or(1.0);
    let wait = match retry["backoff"].as_str() {
        Some("constant") => retry["backoff_ms"].as_f64().unwrap_or(100.0),
        Some("exponential") => retry["backoff_cap_ms"].as_f64().unwrap_or(10_000.0),
        _ => 0.0,
    };
    Some(attempts * bound + (attempts - 1.0) * wait)
}

/// Checks that hold for every report, at the end or in the middle of a run,
/// and for the attempts of the users' call policy (`attempts`, read at the
/// same moment).
fn check_report(r: &Report, doc: &Value, attempts: &AttemptOutcomes) -> Result<(), TestCaseError> {
    let q = &r.requests;
    prop_assert_eq!(q.generated, q.ok + q.failed.total() + q.in_flight);
    // Attempts: each ends once; with a policy every request (that found a
    // slot) sends one, without one none is counted apart from its request.
    let a = attempts;
    prop_assert_eq!(a.sent, a.ok + a.failed_total() + a.open());
    // Attempts are the requests' first ones and their retries.
    prop_assert_eq!(q.attempts, q.generated + q.retries);
    prop_assert_eq!(r.attempts_per_request, (q.generated > 0).then(|| q.attempts as f64 / q.generated as f64));
    let retry = &doc["nodes"][0]["retry"];
    if retry.is_object() {
        prop_assert!(a.sent <= q.attempts && a.sent + q.failed.get(Cause::Overflow) >= q.attempts, "{a:?} {q:?}");
        prop_assert!(a.ok <= q.ok + q.late_ok, "a success is on time or late: {a:?} {q:?}");
        let most = retry["max_attempts"].as_u64().unwrap_or(1);
        prop_assert!(q.retries <= (most - 1) * q.generated, "{q:?}");
    } else {
        prop_assert_eq!((a.sent, q.retries), (0, 0));
    }
    prop_assert_eq!(q.ok, r.latency_ms.count);
    // Goodput and throughput are the window's successes, on time and in all.
    let per_s = |n: u64| if r.window_s > 0.0 { n as f64 / r.window_s } else { 0.0 };
    prop_assert_eq!(r.goodput_rps, per_s(q.ok));
    prop_assert_eq!(r.throughput_rps, per_s(q.ok + q.late_ok));
    prop_assert!(r.throughput_rps >= r.goodput_rps);
    // A late success was given up on first: by its users, or by its caller
    // at its timeout per attempt.
    let attempts_timed_out = a.failed[Cause::Timeout as usize];
    prop_assert!(q.late_ok <= q.failed.get(Cause::ClientTimeout) + attempts_timed_out, "{:?} {:?}", q, a);
    let l = &r.latency_ms;
    prop_assert!(l.mean.is_finite() && l.max.is_finite());
    if l.count > 0 {
        prop_assert!(
            l.p50 <= l.p90 && l.p90 <= l.p95 && l.p95 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
            "{:?}",
            l
        );
        prop_assert!(l.mean <= l.max + 1e-9);
    }
    for (id, node) in &r.nodes.0 {
        let s = &node.summary;
        for x in [s.throughput_rps, s.utilization, s.mean_queue_len, s.mean_wait_ms, s.mean_response_ms, s.mean_in_node]
        {
            prop_assert!(x.is_finite() && x >= 0.0, "{id}: {s:?}");
        }
        prop_assert!(s.utilization <= 1.0 + 1e-9, "{id}: utilisation {}", s.utilization);
        // A rejection happens at the arrival, in the same window (timeouts may
        // belong to requests that arrived before the window opened).
        prop_assert!(s.rejected <= s.arrivals, "{id}: {s:?}");
        let spec = doc["nodes"].as_array().unwrap().iter().find(|n| n["id"] == id.as_str()).unwrap();
        if let Some(limit) = spec["queue_limit"].as_u64() {
            prop_assert!(
                s.mean_queue_len <= limit as f64 + 1e-9,
                "{id}: mean queue {} above limit {limit}",
                s.mean_queue_len
            );
            if limit == 0 {
                prop_assert!(
                    s.mean_wait_ms == 0.0 && s.mean_queue_len == 0.0,
                    "{id}: waited with queue_limit 0: {s:?}"
                );
            }
        }
        // A users node's timeouts are its users giving up (absent: the default applies).
        let never = if spec["kind"] == "users" {
            spec.get("client_timeout_ms") == Some(&Value::Null)
        } else {
            spec["timeout_ms"].is_null()
        };
        if never {
            prop_assert_eq!(s.timeouts, 0);
        }
        // (A message queue refuses by its `capacity` instead.)
        if spec["queue_limit"].is_null() && spec["kind"] != "queue" {
            prop_assert_eq!(s.rejected, 0);
        }
        // Pools: a call waits only after asking; only a longest wait times
        // one out.
        prop_assert!(s.pool_waits <= s.pool_calls, "{id}: {s:?}");
        let pool = &spec["calls"]["pool"];
        if !pool.is_object() {
            prop_assert_eq!((s.pool_calls, s.pool_waits, s.pool_timeouts), (0, 0, 0), "{}", id);
        } else if pool["max_wait_ms"].is_null() {
            prop_assert_eq!(s.pool_timeouts, 0, "{}", id);
        }
        // Only a rate limiter refuses for the rate, and only what reached it.
        if spec["kind"] == "rate_limiter" {
            prop_assert!(s.rate_limited <= s.arrivals, "{id}: {s:?}");
        } else {
            prop_assert_eq!(s.rate_limited, 0, "{}", id);
        }
    }
    Ok(())
}

proptest! {
    // Seeded, so that every run checks the same 128 scenarios (a failure is
    // reproducible by rerunning); change the seed to explore new ones.
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5ca1_e1ab),
        ..ProptestConfig::default()
    })]

    /// Every request is accounted for, once, and the report is sane.
    #[test]
    fn every_request_is_accounted_for(doc in arb_scenario()) {
        let mut sim = simulate(&doc);
        sim.run_to_end();
        let r = sim.report();
        check_report(&r, &doc, &sim.attempt_outcomes())?;
        prop_assert_eq!(r.requests.in_flight, sim.count_open_window_requests());
        prop_assert_eq!(sim.attempt_outcomes().open(), sim.count_open_attempts());
        check_calls(&sim)?;
        if calls_policy(doc["seed"].as_u64().unwrap()).is_none() {
            prop_assert_eq!(sim.call_outcomes().sent, 0);
        }
        if let Some(bound) = success_latency_bound(&doc) {
            prop_assert!(r.latency_ms.max <= bound + 1e-5, "a success took {} ms, bound {bound}", r.latency_ms.max);
        }
        // Users who give up hear no answer later than their timeout.
        let users = &doc["nodes"][0];
        let patience = match users.get("client_timeout_ms") {
            None => Some(scalelab_engine::scenario::DEFAULT_CLIENT_TIMEOUT_MS),
            Some(v) => v.as_f64(),
        };
        match patience {
            Some(ms) => prop_assert!(r.latency_ms.max <= ms + 1e-5, "a success took {} ms, users give up at {ms}", r.latency_ms.max),
            None => prop_assert_eq!(sim.totals().failed[Cause::ClientTimeout as usize], 0),
        }
        // Whole-run totals: nothing is finished twice.
        let t = sim.totals();
        prop_assert!(t.generated >= t.ok + t.failed_total());
    }

    /// Stepping in many small calls, with chunk sizes and event budgets that
    /// change from call to call, is the same run as one call to the end; and
    /// in between, the books balance.
    #[test]
    fn chunked_stepping_equals_one_run(
        doc in arb_scenario(),
        first in (50_000_000u64..500_000_000, 1u64..5000),
        more in proptest::collection::vec(
            (prop_oneof![1 => 1u64..1000, 1 => 1000u64..1_000_000, 2 => 1_000_000u64..500_000_000], 1u64..5000),
            0..24,
        ),
    ) {
        // Chunks of 1 ns to 0.5 s and budgets of 1 to 5000 events, used in
        // turn; one chunk of at least 50 ms per round keeps the call count
        // bounded (a 12 s run needs at most 240 rounds).
        let steps: Vec<(u64, u64)> = std::iter::once(first).chain(more).collect();
        let mut whole = simulate(&doc);
        whole.run_to_end();
        let mut chunked = simulate(&doc);
        let warmup_ns = (doc["warmup_s"].as_f64().unwrap() * 1e9) as u64;
        let mut target = 0u64;
        let mut calls = 0usize;
        loop {
            let (chunk, budget) = steps[calls % steps.len()];
            calls += 1;
            let p = chunked.run_until(target, budget);
            if p.finished {
                break;
            }
            if p.reached {
                target += chunk;
            }
            // Mid-run: conservation against the arena scan (many requests are
            // in flight here, unlike at the end). Checked once statistics
            // have started (see report_during_warm_up_is_sane for before).
            if chunked.now() > warmup_ns && calls.is_multiple_of(3) {
                let r = chunked.report();
                check_report(&r, &doc, &chunked.attempt_outcomes())?;
                prop_assert_eq!(r.requests.in_flight, chunked.count_open_window_requests());
                prop_assert_eq!(chunked.attempt_outcomes().open(), chunked.count_open_attempts());
                check_calls(&chunked)?;
            }
            prop_assert!(calls < 5_000_000, "stepping does not finish");
        }
        prop_assert_eq!(chunked.report().to_json_pretty(), whole.report().to_json_pretty());
        prop_assert_eq!(chunked.attempt_outcomes(), whole.attempt_outcomes());
        prop_assert_eq!(chunked.call_outcomes(), whole.call_outcomes());
    }
}

#[test]
fn random_scenarios_do_exercise_rejections_and_timeouts() {
    // The properties above are only worth something if the failure paths run:
    // over 40 scenarios drawn the same way (seeded), both causes, and users
    // giving up, must occur often, and some runs must end with requests
    // still in flight.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut rejected, mut timeouts, mut in_flight, mut with_both, mut gave_up) = (0, 0, 0, 0, 0);
    let (mut rate_limited, mut attempts_timed_out, mut retries) = (0, 0, 0);
    let (mut calls_timed_out, mut call_retries) = (0, 0);
    for _ in 0..40 {
        let doc = arb_scenario().new_tree(&mut runner).unwrap().current();
        let mut sim = simulate(&doc);
        sim.run_to_end();
        let r = sim.report();
        let (rj, to) = (r.requests.failed.get(Cause::Rejected), r.requests.failed.get(Cause::Timeout));
        rejected += rj;
        timeouts += to;
        in_flight += r.requests.in_flight;
        with_both += usize::from(rj > 0 && to > 0);
        gave_up += r.requests.failed.get(Cause::ClientTimeout);
        rate_limited += r.requests.failed.get(Cause::RateLimited);
        attempts_timed_out += sim.attempt_outcomes().failed[Cause::Timeout as usize];
        retries += r.requests.retries;
        calls_timed_out += sim.call_outcomes().failed[Cause::Timeout as usize];
        call_retries +=
            r.nodes.0.iter().filter(|(id, _)| id.starts_with("web")).map(|(_, n)| n.summary.retries).sum::<u64>();
        assert_eq!(r.requests.in_flight, sim.count_open_window_requests());
    }
    eprintln!("40 random scenarios: {rejected} rejected, {timeouts} timeouts, {gave_up} given up by their users, {rate_limited} rate limited, {in_flight} in flight at the end, {with_both} with both causes");
    assert!(rejected > 1000 && timeouts > 1000 && gave_up > 1000 && in_flight > 0 && with_both >= 4);
    assert!(rate_limited > 1000, "the rate limiters' refusals");
    assert!(attempts_timed_out > 1000, "the users' attempts past their timeout: {attempts_timed_out}");
    assert!(retries > 1000, "the users' retries: {retries}");
    assert!(calls_timed_out > 1000, "the web servers' calls past their timeout: {calls_timed_out}");
    assert!(call_retries > 1000, "the web servers' retries: {call_retries}");
}

#[test]
fn report_during_warm_up_is_sane() {
    // Before the warm-up ends the statistics window is empty. A report taken
    // then (the browser asks for one at any moment) must still be a sane
    // report: zero-length window, no rates above what happened, utilisation
    // within [0, 1].
    let doc = json!({
        "version": 1, "seed": 3, "duration_s": 20, "warmup_s": 10,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 500},
            {"id": "app", "kind": "web_server", "workers": 2, "service": {"dist": "exponential", "mean_ms": 2}}
        ],
        "links": [{"from": "users", "to": "app"}]
    });
    let mut sim = simulate(&doc);
    sim.run_until(5_000_000_000, u64::MAX);
    let r = sim.report();
    assert_eq!(r.window_s, 0.0);
    assert_eq!(r.requests.generated, 0);
    let s = r.nodes.get("app").unwrap().summary;
    assert!(
        (0.0..=1.0).contains(&s.utilization) && s.throughput_rps <= 1000.0 && s.mean_in_node <= 100.0,
        "report at 5 s of a 10 s warm-up: {s:?}"
    );
}

#[test]
fn animation_sampling_does_not_change_the_results() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/determinism-mixed.json")).unwrap();
    let run = |share: Share| {
        let mut sim = Simulation::new(Scenario::from_json(&text).unwrap());
        sim.set_sample_share(share);
        let mut hops = vec![];
        let mut seen = 0;
        while !sim.run_until(sim.now() + 50_000_000, u64::MAX).finished {
            sim.drain_hops(&mut hops);
            seen += hops.len();
            hops.clear();
        }
        (sim.report().to_json_pretty(), seen)
    };
    let (plain, none) = run(Share::NONE);
    let (sampled, hops) = run(Share::one_in(7));
    assert_eq!(none, 0);
    assert!(hops > 10_000, "{hops} hops");
    assert_eq!(plain, sampled);
    // A share in hundredths (as the animation follows between one in 1 and
    // one in 10) follows more and changes nothing either.
    let (shared, more) = run(Share { taken: 55, every: 100 });
    assert!(more > 3 * hops, "{more} hops at 55 in 100, {hops} at one in 7");
    assert_eq!(plain, shared);
}

/// Down hops per wire (by the wire's ends) and per request kind on the
/// users' wires, logged with one request in `every` followed, over `seconds`
/// simulated seconds after `warm` seconds; and the requests each wire carried
/// over the same seconds, from the engine's own link counts.
fn followed_and_carried(mut sim: Simulation, every: u32, warm: u64, seconds: u64) -> Vec<(String, u64, u64)> {
    use std::collections::BTreeMap;
    const S: u64 = 1_000_000_000;
    sim.set_sample_every(every);
    sim.run_until(warm * S, u64::MAX);
    let mut hops = Vec::new();
    sim.drain_hops(&mut hops);
    sim.take_snapshot();
    let mut followed: BTreeMap<String, u64> = BTreeMap::new();
    // Drained every 10 ms, as the page does every frame: the log keeps at
    // most 16,384 hops, fewer than lesson 12 logs in a tenth of a second.
    for t in 1..=seconds * 100 {
        sim.run_until(warm * S + t * S / 100, u64::MAX);
        sim.drain_hops(&mut hops);
        for h in hops.iter().filter(|h| !h.response) {
            *followed.entry(format!("{}->{}", sim.node_id(h.from), sim.node_id(h.to))).or_default() += 1;
        }
    }
    let snap = sim.take_snapshot();
    snap.links
        .iter()
        .map(|l| {
            let wire = format!("{}->{}", l.from, l.to);
            let carried = (l.rps * snap.span_s).round() as u64;
            (wire.clone(), followed.get(&wire).copied().unwrap_or(0), carried)
        })
        .collect()
}

#[test]
fn followed_requests_cover_every_wire_in_proportion_to_its_traffic() {
    // Behind a round-robin balancer over two servers (lesson 4), every 2nd
    // request by number would be every request to one server and none to the
    // other; under modulo sharding over four shards (lesson 12), every 4th
    // would pick one shard. Followed by a hash of the number, each wire's dots
    // are a binomial sample of its requests: within 5 standard deviations.
    let lesson = |stem: &str| {
        let path = format!("{}/../lessons/{stem}.json", env!("CARGO_MANIFEST_DIR"));
        Simulation::new(Scenario::from_json(&std::fs::read_to_string(path).unwrap()).unwrap())
    };
    for (stem, every) in [("04-load-balancer", 2u32), ("12-sharding", 4)] {
        let rows = followed_and_carried(lesson(stem), every, 10, 10);
        assert!(rows.iter().filter(|r| r.2 > 0).count() >= 4, "{stem}: wires with traffic {rows:?}");
        let p = 1.0 / every as f64;
        for (wire, followed, carried) in rows {
            if carried == 0 {
                assert_eq!(followed, 0, "{stem}: {wire} carried nothing");
                continue;
            }
            let expected = carried as f64 * p;
            let sd = (carried as f64 * p * (1.0 - p)).sqrt();
            assert!(
                followed > 0 && (followed as f64 - expected).abs() <= 5.0 * sd + 1.0,
                "{stem}, one in {every}: {wire} carried {carried} requests and {followed} were followed, expected {expected:.0} ± {sd:.0}"
            );
        }
    }
}

#[test]
fn followed_requests_fail_in_proportion_overflow_included() {
    // Far past the in-flight cap, nearly every request fails with `overflow`
    // and never leaves the users node: its failed answer is still drawn on
    // the users' wire, so the dots are red in proportion.
    let doc = json!({
        "version": 2, "seed": 9, "duration_s": 60, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1_000_000},
            {"id": "app", "kind": "web_server", "workers": 1, "service": {"dist": "exponential", "mean_ms": 50.0}}
        ],
        "links": [{"from": "users", "to": "app", "latency_ms": 1}]
    });
    let mut sim = simulate(&doc);
    sim.set_sample_every(100);
    const S: u64 = 1_000_000_000;
    sim.run_until(2 * S, u64::MAX);
    let mut hops = Vec::new();
    sim.drain_hops(&mut hops);
    sim.take_snapshot();
    let (mut answers, mut failed) = (0u64, 0u64);
    for t in 1..=20 {
        sim.run_until(2 * S + t * S / 10, u64::MAX);
        sim.drain_hops(&mut hops);
        for h in hops.iter().filter(|h| h.response && sim.node_id(h.to) == "users") {
            answers += 1;
            failed += h.failed as u64;
        }
    }
    let snap = sim.take_snapshot();
    let share = snap.error_ratio;
    assert!(share > 0.99, "nearly all fail: {share}");
    let drawn = failed as f64 / answers as f64;
    assert!(
        answers > 1000 && (drawn - share).abs() < 0.01,
        "{failed} of {answers} answers drawn red, {share} of requests failed"
    );
}

#[test]
fn every_failure_is_drawn_once_on_the_users_wire_given_up_ones_included() {
    // 150 requests/s into a server that answers 100/s: queues grow, the
    // server turns some away (`rejected`), times some out, and the users give
    // up on others after 1 s (`client_timeout`) while the work goes on below.
    // Following every request, each failure is one red answer reaching the
    // users, whatever its cause, and a given-up request's late answer is not
    // drawn reaching users who have left.
    let doc = json!({
        "version": 2, "seed": 21, "duration_s": 60, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 150, "client_timeout_ms": 1000},
            {"id": "app", "kind": "web_server", "workers": 1, "service": {"dist": "exponential", "mean_ms": 10.0}, "queue_limit": 400, "timeout_ms": 1500}
        ],
        "links": [{"from": "users", "to": "app", "latency_ms": 1}]
    });
    let mut sim = simulate(&doc);
    sim.set_sample_every(1);
    const S: u64 = 1_000_000_000;
    let (mut answers, mut hops) = (Vec::new(), Vec::new());
    for t in 1..=300 {
        sim.run_until(t * S / 10, u64::MAX);
        sim.drain_hops(&mut hops);
        answers.extend(hops.drain(..).filter(|h| h.response && sim.node_id(h.to) == "users"));
    }
    // Answers are logged when they set off; count those that have arrived.
    let arrived = answers.iter().filter(|h| h.end < sim.now());
    let red = arrived.clone().filter(|h| h.failed).count() as u64;
    let ok = arrived.filter(|h| !h.failed).count() as u64;
    let totals = sim.totals();
    let gave_up = totals.failed[Cause::ClientTimeout as usize];
    assert!(gave_up > 100, "users gave up on {gave_up}");
    assert_eq!(red, totals.failed.iter().sum::<u64>(), "one red answer per failure: {totals:?}");
    // An answer already on the users' wire (1 ms) when they gave up was drawn
    // as it set off: the only blue dots reaching users for no success, and
    // they are rare (the give-up must fall within that millisecond).
    assert!(
        ok >= totals.ok && ok - totals.ok <= gave_up / 100,
        "{ok} blue answers against {} successes, {gave_up} given up",
        totals.ok
    );
}

#[test]
fn memory_stays_flat_over_a_long_run() {
    // An hour of simulated traffic at 2,000 requests/s: the arena's slots are
    // reused, so its high-water mark stays near the peak number in flight.
    let doc = json!({
        "version": 1, "seed": 5, "duration_s": 3600, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 2000},
            {"id": "app", "kind": "web_server", "workers": 4, "service": {"dist": "exponential", "mean_ms": 1.0}}
        ],
        "links": [{"from": "users", "to": "app", "latency_ms": 5}]
    });
    let mut sim = simulate(&doc);
    sim.run_until(60_000_000_000, u64::MAX);
    let after_a_minute = sim.arena_capacity();
    sim.run_to_end();
    assert!(sim.totals().generated > 7_000_000);
    assert!(sim.arena_capacity() <= after_a_minute * 2, "{} slots vs {after_a_minute}", sim.arena_capacity());
    assert!(sim.series().len() <= scalelab_engine::series::SERIES_CAPACITY);
}
