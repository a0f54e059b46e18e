//! Behaviour of the components of the journey, each asserted with numbers:
//! health checks, balancer pairs, caches (against Che's approximation),
//! stale reads, read replicas, and thread-per-request against async waiting.

use crate::support::{const_ms, exp_ms, scenario};
use scalelab_engine::keys::KeyPopularity;
use scalelab_engine::{Edit, Fault, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

fn fault(sim: &mut Simulation, id: &str, fault: Fault) {
    sim.apply(Edit::Fault { id: id.into(), fault }).unwrap_or_else(|e| panic!("{id}: {e}"));
}

/// Requests that reached node `id` between two snapshots.
fn arrivals_between(sim: &mut Simulation, id: &str, until: u64) -> u64 {
    sim.take_snapshot();
    sim.run_until(until, u64::MAX);
    let snap = sim.take_snapshot();
    snap.nodes.iter().find(|n| n.id == id).map_or(0, |n| n.summary.arrivals)
}

fn balanced(health_check: Value) -> Value {
    json!({
        "version": 1, "seed": 5, "duration_s": 60,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1000},
            {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin", "health_check": health_check},
            {"id": "web-1", "kind": "web_server", "workers": 8, "service": exp_ms(2.0)},
            {"id": "web-2", "kind": "web_server", "workers": 8, "service": exp_ms(2.0)}
        ],
        "links": [
            {"from": "users", "to": "lb"}, {"from": "lb", "to": "web-1"}, {"from": "lb", "to": "web-2"}
        ]
    })
}

#[test]
fn a_dead_server_gets_traffic_until_the_health_checks_notice_then_none() {
    // Probes every second; three failures in a row take a server out. It dies
    // at 10.3 s; the probes at 11, 12 and 13 s fail, so it is out at 13 s.
    let mut sim = Simulation::new(scenario(&balanced(json!({"interval_s": 1, "threshold": 3}))));
    sim.run_until(10 * S + 300_000_000, u64::MAX);
    fault(&mut sim, "web-2", Fault::Fail);
    let during = arrivals_between(&mut sim, "web-2", 13 * S - 1);
    // Round robin sends it every other request: 500/s for 2.7 s = 1350.
    let expected = 500.0 * 2.7;
    eprintln!("dead web-2 received {during} requests before detection (expected about {expected})");
    assert!((during as f64 - expected).abs() < 5.0 * expected.sqrt() + 2.0, "{during} vs {expected}");
    let after = arrivals_between(&mut sim, "web-2", 20 * S);
    assert_eq!(after, 0, "out of rotation: no requests after detection");
    let log: Vec<String> = sim.log().since(0).map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|t| t.contains("web-2 failed 3 health checks in a row")), "{log:?}");

    // Back at 20.3 s: three passed probes (21, 22, 23 s) bring it back into rotation.
    sim.run_until(20 * S + 300_000_000, u64::MAX);
    fault(&mut sim, "web-2", Fault::Recover);
    assert_eq!(arrivals_between(&mut sim, "web-2", 23 * S - 1), 0, "still out until the third passed probe");
    assert!(arrivals_between(&mut sim, "web-2", 25 * S) > 900, "back in rotation");

    // Without health checks the dead server keeps its share for ever.
    let mut blind = Simulation::new(scenario(&balanced(Value::Null)));
    blind.run_until(10 * S, u64::MAX);
    fault(&mut blind, "web-2", Fault::Fail);
    blind.run_until(11 * S, u64::MAX);
    let late = arrivals_between(&mut blind, "web-2", 30 * S);
    assert!((late as f64 - 500.0 * 19.0).abs() < 5.0 * (500.0f64 * 19.0).sqrt(), "{late}");
}

#[test]
fn a_balancer_pair_is_back_after_the_takeover_time() {
    let mut doc = balanced(Value::Null);
    doc["nodes"][1]["pair"] = json!(true);
    doc["nodes"][1]["failover_s"] = json!(2);
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(5 * S, u64::MAX);
    fault(&mut sim, "lb", Fault::Fail);
    sim.take_snapshot();
    sim.run_until(7 * S - 1, u64::MAX);
    let gap = sim.take_snapshot();
    assert!(gap.error_ratio > 0.99, "while the standby takes over, requests fail: {}", gap.error_ratio);
    sim.run_until(8 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(10 * S, u64::MAX);
    let after = sim.take_snapshot();
    assert_eq!(after.error_ratio, 0.0);
    assert_eq!(sim.health("lb"), Some(scalelab_engine::Health::Up));
}

/// Users reading `keys` (Zipf `s`) through one web server and a cache of
/// `capacity` items, with a fast database; links have no latency, so a miss
/// is refilled within a fraction of a millisecond.
fn cached(capacity: u64, keys: u64, s: f64, extra: Value) -> Value {
    let mut doc = json!({
        "version": 1, "seed": 11, "duration_s": 120, "warmup_s": 20,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 20000, "keys": {"count": keys, "zipf": s}},
            {"id": "web", "kind": "web_server", "workers": 64, "service": const_ms(0.05)},
            {"id": "cache", "kind": "cache", "workers": 64, "service": const_ms(0.01), "capacity": capacity, "ttl_s": null},
            {"id": "db", "kind": "database", "workers": 64, "service": const_ms(0.05)}
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "cache"}, {"from": "web", "to": "db"}]
    });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            doc["nodes"][2][k] = v;
        }
    }
    doc
}

/// Che's approximation of an LRU cache's hit ratio under independent requests:
/// the characteristic time T solves sum_i (1 - e^(-p_i T)) = C, and the hit
/// ratio is sum_i p_i (1 - e^(-p_i T)).
fn che_lru(pop: &KeyPopularity, capacity: u64) -> f64 {
    let p: Vec<f64> = (0..pop.keys()).map(|k| pop.probability(k)).collect();
    let occupied = |t: f64| p.iter().map(|pi| 1.0 - (-pi * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while occupied(hi) < capacity as f64 {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if occupied(mid) < capacity as f64 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    p.iter().map(|pi| pi * (1.0 - (-pi * lo).exp())).sum()
}

#[test]
fn an_lru_cache_hits_as_often_as_che_predicts() {
    let (keys, s) = (10_000u64, 0.8);
    let pop = KeyPopularity::new(keys, s, 0.0).unwrap();
    for capacity in [100u64, 1000] {
        let r = crate::support::run(&cached(capacity, keys, s, Value::Null));
        let c = r.nodes.get("cache").unwrap().summary.cache.expect("the cache was used");
        let theory = che_lru(&pop, capacity);
        let lookups = (c.hits + c.misses) as f64;
        eprintln!("LRU capacity {capacity}: hit ratio {:.4} over {lookups} lookups, Che {theory:.4}", c.hit_ratio);
        // Within 2% of Che (the approximation itself is accurate to about 1%
        // here; the sampling error of 2 million lookups is 0.03%).
        assert!((c.hit_ratio - theory).abs() <= 0.02 * theory, "{} vs {theory}", c.hit_ratio);
        // The database sees exactly the misses.
        let db = r.nodes.get("db").unwrap().summary.arrivals;
        assert!((db as i64 - c.misses as i64).abs() <= 64, "db {db} vs misses {}", c.misses);
    }
}

#[test]
fn writes_without_invalidation_cause_stale_reads_and_with_it_none() {
    let stale = |invalidate: bool| {
        let mut doc = cached(1000, 10_000, 0.8, json!({"invalidate_on_write": invalidate}));
        doc["nodes"][0]["mix"] = json!({"read": 0.9, "write": 0.1});
        let r = crate::support::run(&doc);
        let summary = r.nodes.get("cache").unwrap().summary;
        (summary.stale_reads, summary.cache.unwrap().hits)
    };
    let (with_stale, hits) = stale(false);
    let (without, _) = stale(true);
    eprintln!("stale reads: {with_stale} of {hits} hits without invalidation, {without} with it");
    assert!(with_stale as f64 > 0.05 * hits as f64, "{with_stale} of {hits}");
    assert_eq!(without, 0);
}

#[test]
fn a_failed_cache_sends_every_read_to_the_database_and_comes_back_cold() {
    let mut sim = Simulation::new(scenario(&cached(1000, 10_000, 0.8, Value::Null)));
    sim.run_until(30 * S, u64::MAX);
    let db_warm = arrivals_between(&mut sim, "db", 40 * S);
    fault(&mut sim, "cache", Fault::Fail);
    let db_down = arrivals_between(&mut sim, "db", 50 * S);
    let reads = arrivals_between(&mut sim, "web", 50 * S); // nothing: no time passed
    assert_eq!(reads, 0);
    eprintln!("database reads per 10 s: {db_warm} with a warm cache, {db_down} with it down");
    assert!((db_down as f64 - 200_000.0).abs() < 5.0 * 200_000f64.sqrt(), "all 20,000/s reach the database: {db_down}");
    // A warm cache of 1000 items hits 44% of reads (Che), so the database
    // saw 56% of them.
    assert!((db_warm as f64 / db_down as f64 - 0.56).abs() < 0.01, "{db_warm} / {db_down}");
    fault(&mut sim, "cache", Fault::Recover);
    // The first 10 ms after the restart (200 reads): the cache is cold.
    sim.take_snapshot();
    sim.run_until(50 * S + 10_000_000, u64::MAX);
    let cold = sim.take_snapshot();
    let hit = |snap: &scalelab_engine::Snapshot| {
        snap.nodes.iter().find(|n| n.id == "cache").and_then(|n| n.summary.cache).map_or(0.0, |c| c.hit_ratio)
    };
    sim.run_until(60 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(70 * S, u64::MAX);
    let warm = sim.take_snapshot();
    eprintln!("hit ratio just after the restart {:.3}, ten seconds later {:.3}", hit(&cold), hit(&warm));
    assert!(hit(&cold) < 0.5 * hit(&warm), "cold {} vs warm {}", hit(&cold), hit(&warm));

    // A flush empties it without downtime.
    fault(&mut sim, "cache", Fault::Flush);
    sim.take_snapshot();
    sim.run_until(70 * S + 10_000_000, u64::MAX);
    assert!(hit(&sim.take_snapshot()) < 0.5 * hit(&warm));
    assert!(Simulation::new(scenario(&balanced(Value::Null)))
        .apply(Edit::Fault { id: "web-1".into(), fault: Fault::Flush })
        .is_err());
}

#[test]
fn several_caches_split_the_keys_between_them() {
    let mut doc = cached(1000, 10_000, 0.8, Value::Null);
    doc["nodes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "cache-2", "kind": "cache", "capacity": 1000, "ttl_s": null}));
    doc["links"].as_array_mut().unwrap().push(json!({"from": "web", "to": "cache-2"}));
    let r = crate::support::run(&doc);
    let a = r.nodes.get("cache").unwrap().summary;
    let b = r.nodes.get("cache-2").unwrap().summary;
    let share = a.arrivals as f64 / (a.arrivals + b.arrivals) as f64;
    eprintln!(
        "two caches: {} and {} lookups, hit ratios {:.3} and {:.3}",
        a.arrivals,
        b.arrivals,
        a.cache.unwrap().hit_ratio,
        b.cache.unwrap().hit_ratio
    );
    // Hot keys land on one or the other, so the split is uneven but both work.
    assert!((0.15..0.85).contains(&share), "{share}");
    // Twice the memory: a better hit ratio than one cache of 1000 alone.
    let one = crate::support::run(&cached(1000, 10_000, 0.8, Value::Null));
    let single = one.nodes.get("cache").unwrap().summary.cache.unwrap().hit_ratio;
    let hits = (a.cache.unwrap().hits + b.cache.unwrap().hits) as f64;
    let both = hits / (a.arrivals + b.arrivals) as f64;
    assert!(both > single + 0.05, "two caches {both} vs one {single}");
}

fn replicated() -> Value {
    json!({
        "version": 1, "seed": 3, "duration_s": 40,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 2000, "mix": {"read": 0.8, "write": 0.2}},
            {"id": "web", "kind": "web_server", "workers": 64, "service": exp_ms(1.0)},
            {"id": "primary", "kind": "database", "workers": 16, "service": exp_ms(1.0)},
            {"id": "replica-1", "kind": "database", "workers": 16, "service": exp_ms(1.0)},
            {"id": "replica-2", "kind": "database", "workers": 16, "service": exp_ms(1.0)}
        ],
        "links": [
            {"from": "users", "to": "web"},
            {"from": "web", "to": "primary"}, {"from": "web", "to": "replica-1"}, {"from": "web", "to": "replica-2"},
            {"from": "primary", "to": "replica-1"}, {"from": "primary", "to": "replica-2"}
        ]
    })
}

#[test]
fn reads_go_to_the_replicas_and_writes_to_the_primary() {
    let mut sim = Simulation::new(scenario(&replicated()));
    sim.run_until(2 * S, u64::MAX);
    let count = |sim: &mut Simulation, until: u64| {
        sim.take_snapshot();
        sim.run_until(until, u64::MAX);
        let snap = sim.take_snapshot();
        let n = |id: &str| snap.nodes.iter().find(|n| n.id == id).unwrap().summary.arrivals as f64;
        (n("primary"), n("replica-1"), n("replica-2"))
    };
    let (p, r1, r2) = count(&mut sim, 12 * S);
    eprintln!("10 s: primary {p} (writes), replicas {r1} and {r2} (reads)");
    // 400 writes/s and 1600 reads/s, reads alternating between replicas.
    assert!((p - 4000.0).abs() < 5.0 * 4000f64.sqrt(), "{p}");
    assert!((r1 - 8000.0).abs() < 5.0 * 8000f64.sqrt() && (r1 - r2).abs() <= 1.0, "{r1} {r2}");

    fault(&mut sim, "replica-1", Fault::Fail);
    let (p, r1, r2) = count(&mut sim, 22 * S);
    assert_eq!(r1, 0.0);
    assert!((r2 - 16000.0).abs() < 5.0 * 16000f64.sqrt(), "the other replica takes every read: {r2}");
    assert!((p - 4000.0).abs() < 5.0 * 4000f64.sqrt());

    fault(&mut sim, "replica-2", Fault::Fail);
    let (p, _, _) = count(&mut sim, 32 * S);
    assert!((p - 20000.0).abs() < 5.0 * 20000f64.sqrt(), "with no replica the primary takes reads too: {p}");
    assert!(sim.take_snapshot().error_ratio < 1e-9);
}

/// A web tier of 4 workers in front of a database slowed to 50 ms: with a
/// thread per request each request holds a worker for 51 ms, so the tier can
/// serve 4 / 0.051 = 78 requests/s; with async waiting a worker is busy 1 ms.
fn slow_database(waiting: &str) -> Value {
    json!({
        "version": 1, "seed": 8, "duration_s": 30, "warmup_s": 5,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 200},
            {"id": "web", "kind": "web_server", "workers": 4, "service": const_ms(1.0), "queue_limit": 50, "waiting": waiting},
            {"id": "db", "kind": "database", "workers": 64, "service": const_ms(50.0)}
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "db"}]
    })
}

#[test]
fn a_slow_database_exhausts_a_thread_per_request_tier_but_not_an_async_one() {
    let thread = crate::support::run(&slow_database("thread"));
    let asynchronous = crate::support::run(&slow_database("async"));
    let errors = |r: &scalelab_engine::Report| r.requests.failed.total() as f64 / r.requests.generated as f64;
    let util = |r: &scalelab_engine::Report| r.nodes.get("web").unwrap().summary.utilization;
    eprintln!(
        "thread per request: {:.1}% errors, web utilisation {:.2}; async: {:.1}% errors, utilisation {:.2}",
        100.0 * errors(&thread),
        util(&thread),
        100.0 * errors(&asynchronous),
        util(&asynchronous)
    );
    // Thread: capacity 78/s of 200/s offered: about 61% rejected.
    assert!((errors(&thread) - (1.0 - 4.0 / 0.051 / 200.0)).abs() < 0.03, "{}", errors(&thread));
    assert!(util(&thread) > 0.99);
    assert_eq!(asynchronous.requests.failed.total(), 0);
    // Async: 200/s x 1 ms on 4 workers = 5% busy.
    assert!((util(&asynchronous) - 0.05).abs() < 0.005, "{}", util(&asynchronous));
    let p50 = asynchronous.latency_ms.p50;
    assert!((p50 - 51.0).abs() < 1.0, "an async request still takes the database's 50 ms: {p50}");
}

/// Writes and reads on uniformly popular keys, a primary with one replica
/// 200 ms behind, and a five-second failover.
fn with_replica(seed: u64) -> Value {
    json!({
        "version": 1, "seed": seed, "duration_s": 30,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 2000, "mix": {"read": 0.5, "write": 0.5}, "keys": {"count": 1000, "zipf": 0}},
            {"id": "web", "kind": "web_server", "workers": 64, "service": const_ms(0.1)},
            {"id": "primary", "kind": "database", "workers": 64, "service": const_ms(0.1), "failover_s": 5},
            {"id": "replica", "kind": "database", "workers": 64, "service": const_ms(0.1), "replication_lag_ms": 200}
        ],
        "links": [
            {"from": "users", "to": "web"}, {"from": "web", "to": "primary"}, {"from": "web", "to": "replica"},
            {"from": "primary", "to": "replica"}
        ]
    })
}

#[test]
fn lost_writes_on_a_primary_failure_are_the_writes_inside_the_lag_window() {
    // 1000 writes/s acknowledged; the replica is 200 ms behind: about 200
    // writes exist only on the primary at any moment.
    // 40 replications: the count is Poisson (SE of the mean sqrt(200/40) = 2.2,
    // 5.6% at 5 SE; the resolution allows 1.46x that, see `support::check`).
    let lost: Vec<f64> = crate::support::replicate(40, |seed| {
        let mut sim = Simulation::new(scenario(&with_replica(seed)));
        sim.run_until(10 * S + 300_000_000, u64::MAX);
        fault(&mut sim, "primary", Fault::Fail);
        sim.run_until(16 * S, u64::MAX);
        sim.lost_writes() as f64
    });
    crate::support::check("lost writes at a primary failure (w*L = 200)", &lost, 200.0, 0.0, 0.085);
}

#[test]
fn a_replica_is_promoted_after_the_failover_time_and_reads_can_be_stale() {
    let mut sim = Simulation::new(scenario(&with_replica(1)));
    sim.run_until(2 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(10 * S, u64::MAX);
    let before = sim.take_snapshot();
    let replica = before.nodes.iter().find(|n| n.id == "replica").unwrap();
    // A key is written 1000/1000 = once a second (Poisson); a read finds its
    // latest write still on the way with probability 1 - e^(-1 x 0.2).
    let stale_share = replica.summary.stale_reads as f64 / replica.summary.arrivals as f64;
    let theory = 1.0 - (-0.2f64).exp();
    let se = (theory * (1.0 - theory) / replica.summary.arrivals as f64).sqrt();
    eprintln!("stale reads at the replica: {stale_share:.4} (theory {theory:.4}, SE {se:.4})");
    assert!((stale_share - theory).abs() < 5.0 * se, "{stale_share} vs {theory}");
    let lag = replica.replication_lag_ms.expect("a replica reports its lag");
    assert!(lag > 150.0 && lag <= 200.0, "the oldest unapplied write is nearly 200 ms old: {lag}");

    fault(&mut sim, "primary", Fault::Fail);
    sim.take_snapshot();
    sim.run_until(15 * S - 1, u64::MAX);
    let gap = sim.take_snapshot();
    let failed_writes = gap.failed_by_cause.iter().find(|(c, _)| *c == "node_down").unwrap().1 as f64;
    assert!((failed_writes - 5000.0).abs() < 5.0 * 5000f64.sqrt(), "writes fail until the promotion: {failed_writes}");
    sim.run_until(15 * S + 1_000_000, u64::MAX);
    let log: Vec<String> = sim.log().since(0).map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|t| t.starts_with("replica promoted to primary in place of primary;")), "{log:?}");
    sim.take_snapshot();
    sim.run_until(20 * S, u64::MAX);
    let after = sim.take_snapshot();
    assert_eq!(after.error_ratio, 0.0, "the promoted replica takes writes and reads");
    // The old primary comes back as a replica of the new one.
    fault(&mut sim, "primary", Fault::Recover);
    sim.take_snapshot();
    sim.run_until(25 * S, u64::MAX);
    let back = sim.take_snapshot();
    let old = back.nodes.iter().find(|n| n.id == "primary").unwrap();
    assert!(old.replication_lag_ms.is_some(), "the old primary now replicates");
    assert_eq!(back.error_ratio, 0.0);
}

#[test]
fn scheduled_faults_happen_on_time_and_alerts_fire_after_their_hold() {
    let mut doc = balanced(Value::Null);
    doc["faults"] =
        json!([{"at_s": 5, "node": "web-2", "fault": "fail"}, {"at_s": 30, "node": "web-2", "fault": "recover"}]);
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(5 * S - 1, u64::MAX);
    assert_eq!(sim.health("web-2"), Some(scalelab_engine::Health::Up));
    sim.run_until(5 * S + 1, u64::MAX);
    assert_eq!(sim.health("web-2"), Some(scalelab_engine::Health::Down));
    // Half the requests fail from 5 s (no health checks): the default rule
    // "error rate above 1% for 10 s" fires with the tick at 15 s, not before.
    sim.run_until(15 * S - 1, u64::MAX);
    assert!(sim.alerts_firing().is_empty(), "{:?}", sim.alerts_firing());
    sim.run_until(15 * S + 1, u64::MAX);
    assert_eq!(sim.alerts_firing(), vec!["high error rate".to_string()]);
    sim.run_until(32 * S, u64::MAX);
    assert!(sim.alerts_firing().is_empty(), "resolved after the recovery at 30 s");
    let log: Vec<String> = sim.log().since(0).map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|t| t.contains("alert \"high error rate\" fired")), "{log:?}");
    assert!(log.iter().any(|t| t.contains("alert \"high error rate\" resolved")), "{log:?}");

    // Rules of the scenario's own, and their mistakes named by path.
    let mut own = balanced(Value::Null);
    own["alerts"] =
        json!([{"name": "busy web-1", "metric": "utilization", "node": "web-1", "above": 0.05, "for_s": 3}]);
    let mut sim = Simulation::new(scenario(&own));
    sim.run_until(4 * S + 1, u64::MAX);
    assert_eq!(sim.alerts_firing(), vec!["busy web-1".to_string()]);
    let mut bad = balanced(Value::Null);
    bad["alerts"] = json!([{"name": "x", "metric": "utilization", "node": "web-9", "above": 0.5}]);
    bad["faults"] = json!([{"at_s": 1, "node": "web-1", "fault": "flush"}]);
    let err = scalelab_engine::Scenario::from_json(&bad.to_string()).unwrap_err().to_string();
    assert!(err.contains("alerts[0].node: no node has id \"web-9\"; did you mean \"web-1\"?"), "{err}");
    assert!(err.contains("faults[0].fault: only a cache can be flushed"), "{err}");
}

/// Users whose every request is a job: a web server puts it on a queue and
/// answers; a pool of `workers` processes jobs taking `mean_ms` on average.
fn jobs(rps: f64, workers: u32, service: Value, capacity: u64, seed: u64) -> Value {
    json!({
        "version": 1, "seed": seed, "duration_s": 4000, "warmup_s": 50,
        "nodes": [
            {"id": "users", "kind": "users", "rps": rps, "mix": {"job": 1}},
            {"id": "web", "kind": "web_server", "workers": 16, "service": const_ms(1.0)},
            {"id": "queue", "kind": "queue", "capacity": capacity},
            {"id": "pool", "kind": "workers", "workers": workers, "service": service}
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "queue", "latency_ms": 0.5}, {"from": "queue", "to": "pool"}]
    })
}

#[test]
fn a_worker_pool_behind_a_queue_is_an_m_m_c_queue_and_users_are_answered_at_once() {
    // 15 jobs/s on 4 workers of 200 ms: utilisation 0.75; the time a job waits
    // in the queue is Erlang C's.
    let (lambda, c, mean_s) = (15.0, 4u32, 0.2);
    // 40 runs of about 60,000 jobs: the SE of the mean wait is about 1%.
    let waits: Vec<f64> = crate::support::replicate(40, |seed| {
        let r = crate::support::run(&jobs(lambda, c, exp_ms(1000.0 * mean_s), 1_000_000, seed));
        r.nodes.get("pool").unwrap().summary.mean_wait_ms
    });
    let a = lambda * mean_s;
    let theory_ms = 1000.0 * crate::theory::erlang_c(c, a) * mean_s / (c as f64 - a);
    crate::support::check("job wait in the queue (M/M/4, rho 0.75)", &waits, theory_ms, 0.0, 0.08);

    let r = crate::support::run(&jobs(lambda, c, exp_ms(200.0), 1_000_000, 1));
    // The user hears back after the web server's 1 ms and the 0.5 ms hop each way.
    assert!((r.latency_ms.mean - 2.0).abs() < 0.05, "answered at once: {}", r.latency_ms.mean);
    assert_eq!(r.requests.failed.total(), 0);
}

#[test]
fn a_backlog_grows_when_jobs_outpace_the_workers_and_a_crashed_pool_loses_nothing() {
    // 100 jobs/s against 4 workers x 200 ms = 20 jobs/s: 80 more each second.
    let mut doc = jobs(100.0, 4, const_ms(200.0), 1_000_000, 2);
    doc["warmup_s"] = json!(0);
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(10 * S, u64::MAX);
    let snap = sim.take_snapshot();
    let q = snap.nodes.iter().find(|n| n.id == "queue").unwrap();
    eprintln!("after 10 s: backlog {}, oldest job {:?} ms", q.waiting, q.oldest_job_age_ms);
    assert!((q.waiting as f64 - 800.0).abs() < 5.0 * 1000f64.sqrt(), "{}", q.waiting);
    assert!(q.oldest_job_age_ms.unwrap() > 7_000.0, "{:?}", q.oldest_job_age_ms);

    // The pool crashes with 4 jobs in hand: they go back to the queue.
    fault(&mut sim, "pool", Fault::Fail);
    let backlog =
        |sim: &mut Simulation| sim.take_snapshot().nodes.iter().find(|n| n.id == "queue").unwrap().waiting as i64;
    let before = backlog(&mut sim);
    sim.run_until(12 * S, u64::MAX);
    let during = backlog(&mut sim);
    assert!((during - before - 200).abs() < 5 * 15, "nothing drains while the pool is down: {before} -> {during}");
    fault(&mut sim, "pool", Fault::Recover);
    sim.run_until(60 * S, u64::MAX);
    // Conservation of jobs: every job put on the queue was processed, is
    // still in the queue, or is in a worker's hands.
    let r = sim.report();
    let queue = r.nodes.get("queue").unwrap().summary;
    let pool = r.nodes.get("pool").unwrap().summary;
    let published = queue.arrivals - queue.rejected;
    let processed = (pool.throughput_rps * r.window_s).round() as u64;
    let snap = sim.take_snapshot();
    let waiting = snap.nodes.iter().find(|n| n.id == "queue").unwrap().waiting as u64;
    let busy = snap.nodes.iter().find(|n| n.id == "pool").unwrap().busy as u64;
    assert_eq!(
        published,
        processed + waiting + busy,
        "published {published}, processed {processed}, waiting {waiting}, busy {busy}"
    );
    let log: Vec<String> = sim.log().since(0).map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|t| t == "pool: 4 unfinished jobs go back to their queue"), "{log:?}");
}

#[test]
fn a_full_queue_refuses_jobs_and_the_user_request_fails() {
    let r = crate::support::run(&jobs(100.0, 1, const_ms(1000.0), 50, 3));
    let rejected = r.requests.failed.get(scalelab_engine::Cause::Rejected) as f64;
    // The pool takes 1 job/s; the queue stays full, so about 99 of 100 fail.
    let share = rejected / r.requests.generated as f64;
    assert!((share - 0.99).abs() < 0.01, "{share}");
    assert!(r.nodes.get("queue").unwrap().summary.rejected > 0);
}

/// Users reading and writing through a shard router to `shards` databases.
fn sharded(routing: &str, shards: usize, celebrity: f64) -> Value {
    let mut nodes = vec![
        json!({"id": "users", "kind": "users", "rps": 4000, "mix": {"read": 0.7, "write": 0.3},
               "keys": {"count": 1_000_000, "zipf": 0, "celebrity_share": celebrity}}),
        json!({"id": "web", "kind": "web_server", "workers": 256, "service": const_ms(0.1)}),
        json!({"id": "router", "kind": "shard_router", "routing": routing}),
    ];
    let mut links = vec![json!({"from": "users", "to": "web"}), json!({"from": "web", "to": "router"})];
    for i in 0..shards {
        nodes.push(json!({"id": format!("shard-{i}"), "kind": "database", "workers": 64, "service": const_ms(0.1)}));
        links.push(json!({"from": "router", "to": format!("shard-{i}")}));
    }
    json!({"version": 1, "seed": 4, "duration_s": 30, "nodes": nodes, "links": links})
}

#[test]
fn shards_split_the_keys_and_a_celebrity_makes_one_shard_hot() {
    let r = crate::support::run(&sharded("modulo", 4, 0.3));
    let arrivals: Vec<f64> =
        (0..4).map(|i| r.nodes.get(&format!("shard-{i}")).unwrap().summary.arrivals as f64).collect();
    let total: f64 = arrivals.iter().sum();
    let shares: Vec<f64> = arrivals.iter().map(|a| a / total).collect();
    eprintln!("shard shares with a 30% celebrity: {shares:.3?}");
    // Key 0 (the celebrity) lives on shard 0: 0.3 + 0.7 / 4 of all requests.
    let hot = 0.3 + 0.7 / 4.0;
    let se = (hot * (1.0 - hot) / total).sqrt();
    assert!((shares[0] - hot).abs() < 5.0 * se, "{} vs {hot}", shares[0]);
    for s in &shares[1..] {
        assert!((s - 0.7 / 4.0).abs() < 5.0 * se, "{s}");
    }
}

#[test]
fn adding_a_shard_moves_most_keys_with_modulo_and_few_with_consistent_hashing() {
    // Modulo exactly N/(N+1); consistent hashing about 1/(N+1), within 10%.
    for (routing, expected, tolerance) in [("modulo", 0.8, 0.005), ("consistent_hash", 0.2, 0.2 * 0.1)] {
        let mut sim = Simulation::new(scenario(&sharded(routing, 4, 0.0)));
        sim.run_until(S, u64::MAX);
        let add = |sim: &mut Simulation| {
            let shard = scenario(
                &json!({"version": 1, "nodes": [{"id": "shard-4", "kind": "database", "workers": 64}], "links": []}),
            )
            .nodes
            .remove(0);
            sim.apply(Edit::AddNode { node: shard }).unwrap();
            sim.apply(Edit::AddLink {
                link: scalelab_engine::scenario::Link { from: "router".into(), to: "shard-4".into(), latency_ms: 0.0 },
            })
            .unwrap();
        };
        add(&mut sim);
        let text = sim
            .log()
            .since(0)
            .map(|e| e.text.clone())
            .find(|t| t.contains("4 -> 5 shards"))
            .expect("resharding is logged");
        let pct: f64 = text.split(": ").nth(2).unwrap().split('%').next().unwrap().parse().unwrap();
        eprintln!("{routing}: {text}");
        // (The log rounds to whole percent.)
        assert!((pct / 100.0 - expected).abs() <= tolerance, "{routing}: {pct}% vs {expected}");
        // The new shard takes its share of requests at once.
        sim.take_snapshot();
        sim.run_until(3 * S, u64::MAX);
        let snap = sim.take_snapshot();
        let new = snap.nodes.iter().find(|n| n.id == "shard-4").unwrap().summary.arrivals as f64;
        let all: f64 =
            snap.nodes.iter().filter(|n| n.id.starts_with("shard-")).map(|n| n.summary.arrivals as f64).sum();
        assert!((new / all - 0.2).abs() < 0.03, "{routing}: the fifth shard takes {}", new / all);
    }
}

/// Two web servers behind a balancer with `algorithm`, keeping sessions `sessions`.
fn sessions(algorithm: &str, sessions: &str) -> Value {
    json!({
        "version": 1, "seed": 6, "duration_s": 30,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1000, "population": 10000},
            {"id": "lb", "kind": "load_balancer", "algorithm": algorithm, "health_check": {"interval_s": 1, "threshold": 1}},
            {"id": "web-1", "kind": "web_server", "workers": 16, "service": exp_ms(2.0), "sessions": sessions},
            {"id": "web-2", "kind": "web_server", "workers": 16, "service": exp_ms(2.0), "sessions": sessions},
            {"id": "store", "kind": "nosql", "partitions": 2, "service": const_ms(1.0)}
        ],
        "links": [
            {"from": "users", "to": "lb"}, {"from": "lb", "to": "web-1"}, {"from": "lb", "to": "web-2"},
            {"from": "web-1", "to": "store"}, {"from": "web-2", "to": "store"}
        ]
    })
}

fn lost_sessions(sim: &mut Simulation) -> u64 {
    sim.take_snapshot().sessions_lost
}

#[test]
fn local_sessions_need_sticky_balancing_and_die_with_their_server() {
    // Round robin: a returning user lands on the other server half the time,
    // and the session is not there. Of 20,000 requests from 10,000 users,
    // 10,000 (1 - e^-2) = 8,647 are first visits; half the rest lose theirs.
    let mut rr = Simulation::new(scenario(&sessions("round_robin", "local")));
    rr.run_until(20 * S, u64::MAX);
    let lost = lost_sessions(&mut rr) as f64;
    let expected = 0.5 * (20_000.0 - 10_000.0 * (1.0 - (-2.0f64).exp()));
    eprintln!(
        "round robin with local sessions: {lost} of 20,000 requests found no session (expected about {expected:.0})"
    );
    assert!((lost - expected).abs() < 0.05 * expected, "{lost}");

    // Sticky: users stay with their server; no session is lost until one dies.
    let mut sticky = Simulation::new(scenario(&sessions("sticky", "local")));
    sticky.run_until(10 * S, u64::MAX);
    assert_eq!(lost_sessions(&mut sticky), 0);
    fault(&mut sticky, "web-2", Fault::Fail);
    // Its users' sessions die with it: half of the 10,000 (1 - e^-1) = 6,321
    // users seen in the first 10 s.
    let at_crash = lost_sessions(&mut sticky) as f64;
    let expected = 0.5 * 10_000.0 * (1.0 - (-1.0f64).exp());
    eprintln!("sticky: {at_crash} sessions died with web-2 (expected about {expected:.0})");
    assert!((at_crash - expected).abs() < 5.0 * expected.sqrt(), "{at_crash}");
    sticky.run_until(20 * S, u64::MAX);
    assert!(sticky.take_snapshot().error_ratio < 0.01);
}

#[test]
fn shared_sessions_let_any_server_take_any_user_for_one_more_call() {
    let shared = crate::support::run(&sessions("round_robin", "shared"));
    let none = crate::support::run(&sessions("round_robin", "none"));
    let lost: u64 = shared.nodes.0.iter().map(|(_, n)| n.summary.sessions_lost).sum();
    assert_eq!(lost, 0);
    // Every request reads its session from the store, then its data (the
    // store is the only database here): 2000 calls/s.
    let store = shared.nodes.get("store").unwrap().summary.throughput_rps;
    assert!((store - 2000.0).abs() < 5.0 * (2000.0f64 / 30.0).sqrt(), "{store}");
    // The extra call costs about the store's 1 ms.
    let extra = shared.latency_ms.mean - none.latency_ms.mean;
    eprintln!("a shared session store adds {extra:.3} ms per request");
    assert!((extra - 1.0).abs() < 0.2, "{extra}");
}

#[test]
fn a_traffic_spike_multiplies_the_requests_for_its_duration_only() {
    let doc = json!({
        "version": 1, "seed": 9, "duration_s": 60,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 500, "profile": {"shape": "spike", "at_s": 20, "duration_s": 10, "multiplier": 4}},
            {"id": "web", "kind": "web_server", "workers": 64, "service": exp_ms(1.0)}
        ],
        "links": [{"from": "users", "to": "web"}]
    });
    let mut sim = Simulation::new(scenario(&doc));
    let mut count = |until: u64| arrivals_between(&mut sim, "web", until) as f64;
    let before = count(20 * S);
    let during = count(30 * S);
    let after = count(40 * S);
    eprintln!("arrivals per 10 s: {before} before, {during} during the x4 spike, {after} after");
    for (got, want) in [(before / 2.0, 5000.0), (during, 20000.0), (after, 5000.0)] {
        assert!((got - want).abs() < 5.0 * want.sqrt(), "{got} vs {want}");
    }
    // A steady profile written out gives the same run as none at all.
    let mut steady = doc.clone();
    steady["nodes"][0]["profile"] = json!({"shape": "steady"});
    let mut plain = doc.clone();
    plain["nodes"][0].as_object_mut().unwrap().remove("profile");
    assert_eq!(crate::support::run(&steady), crate::support::run(&plain));
}

#[test]
fn an_autoscaling_group_grows_after_the_boot_delay_and_shrinks_after_the_cooldown() {
    // Machines of 4 workers x 10 ms (400 req/s each), target 60%. 200 req/s
    // keep one machine at 50%. A x1.5 spike from 60 s to 180 s puts it at 75%:
    // ceil(0.75 / 0.6) = 2 machines are needed, and then run at 37.5%.
    let doc = json!({
        "version": 1, "seed": 12, "duration_s": 400,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 200,
             "profile": {"shape": "spike", "at_s": 60, "duration_s": 120, "multiplier": 1.5}},
            {"id": "lb", "kind": "load_balancer", "health_check": null},
            {"id": "web", "kind": "web_server", "workers": 4, "service": exp_ms(10.0),
             "autoscale": {"min": 1, "max": 8, "target": 0.6, "boot_s": 30, "cooldown_s": 60}}
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web"}]
    });
    let mut sim = Simulation::new(scenario(&doc));
    let size = |sim: &mut Simulation| sim.take_snapshot().nodes.iter().find(|n| n.id == "web").unwrap().group.unwrap();
    sim.run_until(59 * S, u64::MAX);
    assert_eq!(size(&mut sim), (1, 0), "200 req/s: one machine at 50%");
    // The first check after the spike starts a machine...
    sim.run_until(62 * S, u64::MAX);
    assert_eq!(size(&mut sim), (1, 1), "a second machine boots");
    let log: Vec<(u64, String)> = sim.log().since(0).map(|e| (e.t, e.text.clone())).collect();
    let (started, line) =
        log.iter().find(|(_, t)| t.starts_with("web: scaling out:")).cloned().expect("scale-out logged");
    assert!(line.contains("above target 60%"), "{line}");
    // ... which serves exactly 30 s later.
    sim.run_until(started + 30 * S - 1, u64::MAX);
    assert_eq!(size(&mut sim), (1, 1));
    sim.run_until(started + 30 * S + 1, u64::MAX);
    assert_eq!(size(&mut sim), (2, 0));
    // Two machines at 37.5% are on target: no flapping until the spike ends.
    sim.run_until(180 * S, u64::MAX);
    assert_eq!(size(&mut sim), (2, 0));
    // At 180 s the load falls (25% on two): they shrink only after the 60 s cooldown.
    sim.run_until(235 * S, u64::MAX);
    assert_eq!(size(&mut sim), (2, 0), "no scale-in before the cooldown");
    sim.run_until(250 * S, u64::MAX);
    assert_eq!(size(&mut sim), (1, 0), "back to one machine after the cooldown");
    let log: Vec<String> = sim.log().since(0).map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|t| t.starts_with("web: scaling in:")), "{log:?}");
    // Cost follows the machines: a balancer and one machine of 4 vCPU.
    let cost = sim.take_snapshot().cost_per_month_usd;
    assert!((cost - (20.0 + 4.0 * 35.0)).abs() < 1e-9, "{cost}");
}

#[test]
fn a_saturated_group_sizes_itself_from_the_offered_load() {
    // A x5 spike saturates the one machine; busy time would say only 100%,
    // but the 1000 req/s that arrive need 1000 x 10 ms / 4 = 2.5 machines' worth
    // of work: the first check starts ceil(2.5 / 0.6) - 1 = 4 machines at once.
    let doc = json!({
        "version": 1, "seed": 13, "duration_s": 100,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 200, "profile": {"shape": "spike", "at_s": 20, "duration_s": 60, "multiplier": 5}},
            {"id": "web", "kind": "web_server", "workers": 4, "service": exp_ms(10.0), "queue_limit": 500,
             "autoscale": {"min": 1, "max": 8, "target": 0.6, "boot_s": 10, "cooldown_s": 60}}
        ],
        "links": [{"from": "users", "to": "web"}]
    });
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(22 * S, u64::MAX);
    let group = sim.take_snapshot().nodes.iter().find(|n| n.id == "web").unwrap().group.unwrap();
    assert_eq!(group, (1, 4), "{group:?}");
}

/// Users behind DNS that splits them between two data centers' balancers.
fn two_data_centers(ttl_s: f64) -> Value {
    json!({
        "version": 1, "seed": 14, "duration_s": 60,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 2000, "population": 100000},
            {"id": "dns", "kind": "dns", "routing": "weighted", "weights": [1, 1], "ttl_s": ttl_s, "resolve_ms": 30},
            {"id": "lb-a", "kind": "load_balancer"}, {"id": "lb-b", "kind": "load_balancer"},
            {"id": "web-a", "kind": "web_server", "workers": 32, "service": exp_ms(2.0)},
            {"id": "web-b", "kind": "web_server", "workers": 32, "service": exp_ms(2.0)}
        ],
        "links": [
            {"from": "users", "to": "dns"}, {"from": "dns", "to": "lb-a"}, {"from": "dns", "to": "lb-b"},
            {"from": "lb-a", "to": "web-a"}, {"from": "lb-b", "to": "web-b"}
        ]
    })
}

#[test]
fn dns_failover_takes_the_ttl_clients_keep_hitting_a_dead_data_center_until_their_answer_expires() {
    let mut sim = Simulation::new(scenario(&two_data_centers(10.0)));
    sim.run_until(20 * S, u64::MAX);
    let split = arrivals_between(&mut sim, "lb-a", 30 * S) as f64;
    assert!((split - 10_000.0).abs() < 5.0 * 10_000f64.sqrt() + 300.0, "half of 20,000 to lb-a: {split}");
    fault(&mut sim, "lb-a", Fault::Fail);
    let during = arrivals_between(&mut sim, "lb-a", 40 * S - 1);
    let after = arrivals_between(&mut sim, "lb-a", 60 * S);
    eprintln!("requests to the dead lb-a: {during} within the 10 s TTL, {after} after it");
    assert!(during > 1_000, "cached answers keep sending clients to the dead center");
    assert_eq!(after, 0, "every answer has expired 10 s after the failure");

    // With a TTL of 0 every request asks again and none goes to the dead one.
    let mut fresh = Simulation::new(scenario(&two_data_centers(0.0)));
    fresh.run_until(20 * S, u64::MAX);
    fault(&mut fresh, "lb-a", Fault::Fail);
    // (Requests resolved in the last 30 ms before the failure are still on
    // their way to it.)
    fresh.run_until(20 * S + 50_000_000, u64::MAX);
    assert_eq!(arrivals_between(&mut fresh, "lb-a", 30 * S), 0);
    // A cached lookup is free; a lookup on a miss costs its 30 ms.
    let r = crate::support::run(&two_data_centers(0.0));
    let cached = crate::support::run(&two_data_centers(60.0));
    eprintln!(
        "mean latency: {:.2} ms resolving every time, {:.2} ms with a 60 s TTL",
        r.latency_ms.mean, cached.latency_ms.mean
    );
    assert!((r.latency_ms.mean - cached.latency_ms.mean) > 25.0);
}

/// Users whose static requests go to a CDN in front of one web server.
fn with_cdn(fallback: bool) -> Value {
    json!({
        "version": 1, "seed": 15, "duration_s": 60, "warmup_s": 10,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1000, "mix": {"read": 0.5, "static": 0.5}, "keys": {"count": 1000, "zipf": 1}},
            {"id": "cdn", "kind": "cdn", "capacity": 10000, "ttl_s": 600, "fallback_to_origin": fallback},
            {"id": "web", "kind": "web_server", "workers": 32, "service": exp_ms(2.0)}
        ],
        "links": [{"from": "users", "to": "web", "latency_ms": 40}, {"from": "users", "to": "cdn", "latency_ms": 10}, {"from": "cdn", "to": "web", "latency_ms": 30}]
    })
}

#[test]
fn a_cdn_serves_static_files_from_the_edge_and_falls_back_to_the_origin() {
    let r = crate::support::run(&with_cdn(true));
    let cdn = r.nodes.get("cdn").unwrap().summary;
    let web = r.nodes.get("web").unwrap().summary;
    let hit = cdn.cache.unwrap().hit_ratio;
    eprintln!(
        "CDN hit ratio {hit:.4}; the origin sees {} requests, {} of them reads",
        web.arrivals,
        r.requests.generated / 2
    );
    // 1000 objects, all fit and the TTL outlasts the run: the only misses are
    // the first request for each rare object after the warm-up (and requests
    // for it while the edge is still fetching it).
    assert!(hit > 0.98, "{hit}");
    // The origin sees the reads and almost no static requests.
    let misses = cdn.cache.unwrap().misses as f64;
    assert!((web.arrivals as f64 - 25_000.0 - misses).abs() < 5.0 * 25_000f64.sqrt(), "{}", web.arrivals);
    // A hit is two 10 ms hops (20 ms); a read two 40 ms hops and the server's
    // 2 ms: the mean of half and half is about 51 ms.
    assert!((r.latency_ms.mean - 51.0).abs() < 1.0 && r.latency_ms.p99 > 80.0, "{:?}", r.latency_ms);

    // The CDN fails: with fallback static files go to the origin; without, they fail.
    for (fallback, failing) in [(true, false), (false, true)] {
        let mut sim = Simulation::new(scenario(&with_cdn(fallback)));
        sim.run_until(10 * S, u64::MAX);
        fault(&mut sim, "cdn", Fault::Fail);
        sim.run_until(11 * S, u64::MAX);
        sim.take_snapshot();
        sim.run_until(20 * S, u64::MAX);
        let snap = sim.take_snapshot();
        eprintln!("CDN down, fallback {fallback}: error ratio {:.3}", snap.error_ratio);
        if failing {
            assert!((snap.error_ratio - 0.5).abs() < 0.03, "{}", snap.error_ratio);
        } else {
            assert_eq!(snap.error_ratio, 0.0);
        }
    }
    // Its bill follows the static traffic: 500 req/s of 100 KB for a month.
    let cost =
        Simulation::new(scenario(&with_cdn(true))).monthly_costs().into_iter().find(|(id, _)| id == "cdn").unwrap().1;
    let gb = 500.0 * 730.0 * 3600.0 * 100.0 / 1e6;
    assert!((cost - (gb * 0.085 + 500.0 * 730.0 * 3600.0 / 1e6)).abs() < 1.0, "{cost}");
}

/// Users in the US east and in Europe, GeoDNS, a data center in each region.
fn two_regions(routing: &str) -> Value {
    let dc =
        |id: &str, dc: &str| json!({"id": id, "kind": "web_server", "workers": 64, "service": const_ms(1.0), "dc": dc});
    json!({
        "version": 1, "seed": 16, "duration_s": 60,
        "data_centers": [{"id": "east", "region": "us-east"}, {"id": "europe", "region": "eu"}],
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1000, "population": 100000,
             "regions": [{"region": "us-east", "share": 0.5}, {"region": "eu", "share": 0.5}]},
            {"id": "dns", "kind": "dns", "routing": routing, "ttl_s": 5, "resolve_ms": 0},
            dc("web-east", "east"), dc("web-eu", "europe")
        ],
        "links": [
            {"from": "users", "to": "dns", "latency_ms": 10},
            {"from": "dns", "to": "web-east"}, {"from": "dns", "to": "web-eu"}
        ]
    })
}

#[test]
fn geodns_sends_each_region_to_its_own_data_center_and_an_outage_moves_them_across_the_ocean() {
    let rtt = scalelab_engine::geo::rtt_ms(scalelab_engine::geo::Region::UsEast, scalelab_engine::geo::Region::Europe);
    // Nearest: every user reaches the data center in their region: 2 x 10 ms + 1 ms.
    let near = crate::support::run(&two_regions("nearest"));
    assert!((near.latency_ms.mean - 21.0).abs() < 0.1, "{}", near.latency_ms.mean);
    let east = near.nodes.get("web-east").unwrap().summary.arrivals as f64;
    let eu = near.nodes.get("web-eu").unwrap().summary.arrivals as f64;
    assert!((east / (east + eu) - 0.5).abs() < 0.02, "{east} {eu}");
    // Single DNS sends everyone east: the Europeans pay the ocean both ways.
    let single = crate::support::run(&two_regions("single"));
    let expected = 21.0 + 0.5 * rtt;
    eprintln!(
        "mean latency: {:.2} ms nearest, {:.2} ms all to us-east (expected {expected:.2}; RTT {rtt} ms)",
        near.latency_ms.mean, single.latency_ms.mean
    );
    assert!((single.latency_ms.mean - expected).abs() < 1.0, "{}", single.latency_ms.mean);

    // The European data center goes down: after the 5 s TTL everyone is served in the east.
    let mut sim = Simulation::new(scenario(&two_regions("nearest")));
    sim.run_until(10 * S, u64::MAX);
    fault(&mut sim, "europe", Fault::Fail);
    assert_eq!(sim.health("web-eu"), Some(scalelab_engine::Health::Down));
    sim.run_until(16 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(26 * S, u64::MAX);
    let after = sim.take_snapshot();
    assert_eq!(after.error_ratio, 0.0);
    assert!((after.latency_mean_ms.unwrap() - expected).abs() < 1.5, "{:?}", after.latency_mean_ms);
    let log: Vec<String> = sim.log().since(0).map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|t| t == "data center europe: outage: everything in it is down"), "{log:?}");
    assert!(Simulation::new(scenario(&two_regions("nearest")))
        .apply(Edit::Fault { id: "europe".into(), fault: Fault::Flush })
        .is_err());
}

#[test]
fn a_replica_in_another_region_lags_by_the_distance_too() {
    let mut doc = with_replica(21);
    doc["data_centers"] = json!([{"id": "a", "region": "us-east"}, {"id": "b", "region": "eu"}]);
    doc["nodes"][2]["dc"] = json!("a");
    doc["nodes"][3]["dc"] = json!("b");
    doc["nodes"][1]["dc"] = json!("a");
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(10 * S, u64::MAX);
    let lag = sim.take_snapshot().nodes.iter().find(|n| n.id == "replica").unwrap().replication_lag_ms.unwrap();
    let distance =
        scalelab_engine::geo::one_way_ms(scalelab_engine::geo::Region::UsEast, scalelab_engine::geo::Region::Europe);
    eprintln!("cross-region replica lag {lag:.1} ms (200 + {distance})");
    assert!(lag > 200.0 && lag <= 200.0 + distance + 1e-6 && lag > 150.0 + distance, "{lag}");
}

#[test]
fn moving_a_node_to_another_data_center_while_running_changes_its_latency() {
    let mut sim = Simulation::new(scenario(&two_regions("single")));
    sim.run_until(5 * S, u64::MAX);
    let mut moved = sim.scenario().clone();
    // Both web servers in Europe now: the east's users cross the ocean.
    let i = moved.node_index("web-east").unwrap();
    moved.nodes[i].dc = Some("europe".into());
    sim.sync_to(&moved).unwrap();
    sim.run_until(6 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(16 * S, u64::MAX);
    let rtt = scalelab_engine::geo::rtt_ms(scalelab_engine::geo::Region::UsEast, scalelab_engine::geo::Region::Europe);
    let mean = sim.take_snapshot().latency_mean_ms.unwrap();
    assert!((mean - (21.0 + 0.5 * rtt)).abs() < 1.5, "{mean}");
}

#[test]
fn a_partition_between_data_centers_fails_the_requests_that_must_cross_it() {
    // Web servers in the east; the database in Europe.
    let mut doc = two_regions("single");
    doc["nodes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "db", "kind": "database", "workers": 64, "service": const_ms(1.0), "dc": "europe"}));
    doc["links"].as_array_mut().unwrap().push(json!({"from": "web-east", "to": "db"}));
    doc["faults"] = json!([
        {"at_s": 10, "node": "east", "fault": "partition", "with": "europe"},
        {"at_s": 20, "node": "east", "fault": "heal", "with": "europe"}
    ]);
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(10 * S - 1, u64::MAX);
    sim.take_snapshot();
    sim.run_until(10 * S + 200_000_000, u64::MAX);
    sim.take_snapshot();
    sim.run_until(19 * S, u64::MAX);
    let cut = sim.take_snapshot();
    let partition = cut.failed_by_cause.iter().find(|(c, _)| *c == "partition").unwrap().1;
    eprintln!("during the partition: error ratio {:.3}, {partition} failed crossing it", cut.error_ratio);
    // Every request is a read that needs the database across the ocean.
    assert!(cut.error_ratio > 0.99 && partition > 0, "{}", cut.error_ratio);
    sim.run_until(21 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(30 * S, u64::MAX);
    assert_eq!(sim.take_snapshot().error_ratio, 0.0, "healed");
    let bad = {
        let mut d = doc.clone();
        d["faults"] = json!([{"at_s": 1, "node": "east", "fault": "partition"}]);
        scalelab_engine::Scenario::from_json(&d.to_string()).unwrap_err().to_string()
    };
    assert!(bad.contains("faults[0].with: a partition needs \"with\""), "{bad}");
}

#[test]
fn mobile_clients_pay_a_slower_first_hop() {
    let mut doc = with_cdn(true);
    doc["nodes"][0]["mix"] = json!({"read": 1});
    let fixed = crate::support::run(&doc);
    doc["nodes"][0]["mobile_share"] = json!(0.5);
    let mixed = crate::support::run(&doc);
    let extra = mixed.latency_ms.mean - fixed.latency_ms.mean;
    eprintln!("half the users on mobile add {extra:.2} ms on average (expected 30)");
    // Half the requests pay 30 ms each way.
    assert!((extra - 30.0).abs() < 1.0, "{extra}");
}

#[test]
fn a_worker_pool_grows_with_its_backlog() {
    // 100 jobs/s of 200 ms: 20 workers' worth. One machine of 4 workers falls
    // behind; a target of 50 waiting jobs per machine grows the pool after
    // the boot delay, and the backlog drains.
    let mut doc = jobs(100.0, 4, const_ms(200.0), 1_000_000, 5);
    doc["warmup_s"] = json!(0);
    doc["nodes"][3]["autoscale"] = json!({"min": 1, "max": 10, "target": 50, "boot_s": 20, "cooldown_s": 60});
    let mut sim = Simulation::new(scenario(&doc));
    let state = |sim: &mut Simulation| {
        let snap = sim.take_snapshot();
        let pool = snap.nodes.iter().find(|n| n.id == "pool").unwrap().group.unwrap();
        let backlog = snap.nodes.iter().find(|n| n.id == "queue").unwrap().waiting;
        (pool, backlog)
    };
    sim.run_until(S + 1, u64::MAX);
    let ((running, booting), _) = state(&mut sim);
    assert_eq!(running, 1);
    assert!(booting >= 1, "the backlog of the first second starts machines");
    sim.run_until(60 * S, u64::MAX);
    let ((running, _), backlog) = state(&mut sim);
    eprintln!("worker pool at 60 s: {running} machines, backlog {backlog}");
    assert!(running >= 5, "five machines of 4 are needed: {running}");
    assert!(backlog < 100, "the grown pool has drained the backlog: {backlog}");
    // (Later, with the backlog gone, the group shrinks after its cooldown and
    // grows again when jobs pile up: scaling on backlog alone cycles, which the
    // lesson on queues shows.)
    let log: Vec<String> = sim.log().since(0).map(|e| e.text.clone()).collect();
    assert!(log.iter().any(|t| t.starts_with("pool: scaling out:") && t.contains("backlog")), "{log:?}");
}

#[test]
fn each_region_has_its_own_cdn_edge() {
    // The same 1000 objects requested from two regions: each edge fetches each
    // object once, so the origin sees about twice the misses of one region.
    let mut one = with_cdn(true);
    one["nodes"][0]["mix"] = json!({"static": 1});
    one["nodes"][0]["regions"] = json!([{"region": "us-east", "share": 1}]);
    let mut two = one.clone();
    two["nodes"][0]["regions"] = json!([{"region": "us-east", "share": 0.5}, {"region": "eu", "share": 0.5}]);
    let misses = |doc: &Value| {
        let mut d = doc.clone();
        d["warmup_s"] = json!(0);
        crate::support::run(&d).nodes.get("cdn").unwrap().summary.cache.unwrap().misses as f64
    };
    let (m1, m2) = (misses(&one), misses(&two));
    eprintln!("origin fetches: {m1} with users in one region, {m2} in two");
    assert!(m2 > 1.7 * m1 && m2 < 2.3 * m1, "{m1} {m2}");
}

#[test]
fn nosql_partitions_and_machine_sizes_add_capacity() {
    // A NoSQL store as the data tier: 4 partitions carry 4 times the workers
    // of one, so the same load keeps each 4 times less busy.
    let store = |partitions: u32| {
        let doc = json!({
            "version": 1, "seed": 17, "duration_s": 60, "warmup_s": 5,
            "nodes": [
                {"id": "users", "kind": "users", "rps": 2000, "mix": {"read": 0.5, "write": 0.5}},
                {"id": "web", "kind": "web_server", "workers": 128, "service": const_ms(0.1)},
                {"id": "kv", "kind": "nosql", "partitions": partitions, "workers": 8, "service": exp_ms(2.0)}
            ],
            "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "kv"}]
        });
        crate::support::run(&doc).nodes.get("kv").unwrap().summary.utilization
    };
    let (one, four) = (store(1), store(4));
    eprintln!("NoSQL utilisation: {one:.3} with 1 partition, {four:.3} with 4");
    // 2000/s x 2 ms = 4 busy workers: 0.5 of 8, 0.125 of 32.
    assert!((one - 0.5).abs() < 0.02 && (four - 0.125).abs() < 0.01, "{one} {four}");

    // Vertical scaling: a size up doubles the workers and halves the load.
    let sized = |size: &str| {
        let doc = json!({
            "version": 1, "seed": 18, "duration_s": 60, "warmup_s": 5,
            "nodes": [{"id": "users", "kind": "users", "rps": 300}, {"id": "web", "kind": "web_server", "size": size, "service": exp_ms(10.0)}],
            "links": [{"from": "users", "to": "web"}]
        });
        crate::support::run(&doc)
    };
    let (large, xlarge) = (sized("large"), sized("xlarge"));
    let util = |r: &scalelab_engine::Report| r.nodes.get("web").unwrap().summary.utilization;
    assert!(
        (util(&large) - 0.75).abs() < 0.03 && (util(&xlarge) - 0.375).abs() < 0.02,
        "{} {}",
        util(&large),
        util(&xlarge)
    );
    assert!(xlarge.latency_ms.p99 < large.latency_ms.p99, "more workers, shorter waits");
    assert_eq!((large.cost_per_month_usd, xlarge.cost_per_month_usd), (140.0, 280.0));
}

#[test]
fn a_sharded_tier_with_replicas_fails_over_and_is_no_single_point_of_failure() {
    // Two shards, each a primary with a replica the router can fail over to.
    let mut doc = sharded("modulo", 2, 0.0);
    for i in 0..2 {
        doc["nodes"].as_array_mut().unwrap().push(json!({"id": format!("replica-{i}"), "kind": "database", "workers": 64, "service": const_ms(0.1), "failover_s": 5}));
        doc["nodes"][3 + i]["failover_s"] = json!(5);
        doc["links"].as_array_mut().unwrap().push(json!({"from": format!("shard-{i}"), "to": format!("replica-{i}")}));
    }
    let s = scenario(&doc);
    assert!(
        scalelab_engine::single_points_of_failure(&s).iter().all(|id| !id.starts_with("shard")),
        "{:?}",
        scalelab_engine::single_points_of_failure(&s)
    );
    let mut sim = Simulation::new(s);
    sim.run_until(5 * S, u64::MAX);
    fault(&mut sim, "shard-0", Fault::Fail);
    sim.take_snapshot();
    sim.run_until(6 * S, u64::MAX);
    let gap = sim.take_snapshot();
    assert!((gap.error_ratio - 0.5).abs() < 0.05, "half the keys live on the failed shard: {}", gap.error_ratio);
    sim.run_until(11 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(15 * S, u64::MAX);
    assert_eq!(sim.take_snapshot().error_ratio, 0.0, "the router reaches the promoted replica");
    // Without replicas each shard is a single point of failure.
    let bare = scenario(&sharded("modulo", 2, 0.0));
    assert_eq!(scalelab_engine::single_points_of_failure(&bare), vec!["web", "shard-0", "shard-1"]);
}

#[test]
fn a_spare_queue_takes_the_jobs_and_a_standby_balancer_dies_with_its_data_center() {
    let mut doc = jobs(50.0, 4, const_ms(10.0), 1000, 7);
    doc["nodes"].as_array_mut().unwrap().push(json!({"id": "queue-2", "kind": "queue"}));
    doc["links"].as_array_mut().unwrap().push(json!({"from": "web", "to": "queue-2"}));
    doc["links"].as_array_mut().unwrap().push(json!({"from": "queue-2", "to": "pool"}));
    let s = scenario(&doc);
    assert!(!scalelab_engine::single_points_of_failure(&s).contains(&"queue".to_string()));
    let mut sim = Simulation::new(s);
    sim.run_until(5 * S, u64::MAX);
    fault(&mut sim, "queue", Fault::Fail);
    sim.take_snapshot();
    sim.run_until(10 * S, u64::MAX);
    assert_eq!(sim.take_snapshot().error_ratio, 0.0, "jobs go to the spare queue");

    // A balancer pair inside a data center that goes down stays down.
    let mut dc = balanced(Value::Null);
    dc["data_centers"] = json!([{"id": "east", "region": "us-east"}]);
    dc["nodes"][1]["pair"] = json!(true);
    for i in 1..4 {
        dc["nodes"][i]["dc"] = json!("east");
    }
    let mut sim = Simulation::new(scenario(&dc));
    sim.run_until(S, u64::MAX);
    fault(&mut sim, "east", Fault::Fail);
    sim.run_until(10 * S, u64::MAX);
    assert_eq!(sim.health("lb"), Some(scalelab_engine::Health::Down), "no standby takes over in a dead data center");
    fault(&mut sim, "east", Fault::Recover);
    assert_eq!(sim.health("lb"), Some(scalelab_engine::Health::Up));
}

#[test]
fn a_cdn_with_an_origin_in_each_data_center_fetches_from_the_nearest_that_is_up() {
    // Static files only, a cold CDN with a 1 s TTL so misses keep coming.
    let mut doc = two_regions("nearest");
    doc["nodes"][0]["mix"] = json!({"static": 1});
    doc["nodes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "cdn", "kind": "cdn", "capacity": 100, "ttl_s": 1, "fallback_to_origin": false}));
    let links = doc["links"].as_array_mut().unwrap();
    links.push(json!({"from": "users", "to": "cdn"}));
    links.push(json!({"from": "cdn", "to": "web-east"}));
    links.push(json!({"from": "cdn", "to": "web-eu"}));
    let mut sim = Simulation::new(scenario(&doc));
    sim.run_until(10 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(20 * S, u64::MAX);
    let before = sim.take_snapshot();
    let arrivals =
        |s: &scalelab_engine::Snapshot, id: &str| s.nodes.iter().find(|n| n.id == id).unwrap().summary.arrivals as f64;
    let (east, eu) = (arrivals(&before, "web-east"), arrivals(&before, "web-eu"));
    // Each region's edge fetches from its own data center.
    assert!(east > 100.0 && (east / (east + eu) - 0.5).abs() < 0.05, "{east} {eu}");
    // Europe goes dark: every miss goes east, and nothing fails.
    fault(&mut sim, "europe", Fault::Fail);
    sim.run_until(21 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(31 * S, u64::MAX);
    let after = sim.take_snapshot();
    assert_eq!(after.error_ratio, 0.0, "{:?}", after.failed_by_cause);
    assert!(arrivals(&after, "web-east") > 1.7 * east, "{} vs {east}", arrivals(&after, "web-east"));
}

#[test]
fn each_user_region_has_its_own_latency_and_errors() {
    // Everyone is sent to us-east: the Europeans pay the ocean both ways.
    let mut sim = Simulation::new(scenario(&two_regions("single")));
    sim.run_until(10 * S, u64::MAX);
    sim.take_snapshot();
    sim.run_until(20 * S, u64::MAX);
    let snap = sim.take_snapshot();
    let rtt = scalelab_engine::geo::rtt_ms(scalelab_engine::geo::Region::UsEast, scalelab_engine::geo::Region::Europe);
    let names: Vec<&str> = snap.regions.iter().map(|r| &*r.region).collect();
    assert_eq!(names, vec!["us-east", "eu"]);
    let (east, eu) = (&snap.regions[0], &snap.regions[1]);
    assert_eq!((&*east.label, &*eu.label), ("North America (east)", "Europe"));
    // Constant 1 ms service and 10 ms to DNS each way: 21 ms, plus the ocean.
    assert!((east.latency_p50_ms.unwrap() - 21.0).abs() < 0.2, "{east:?}");
    assert!((eu.latency_p50_ms.unwrap() - (21.0 + rtt)).abs() < 0.5, "{eu:?} rtt {rtt}");
    assert!((east.ok_rps + eu.ok_rps - snap.ok_rps).abs() < 1e-6 && east.error_ratio == 0.0);
    // Europe's data center is not in the picture; failing east fails everyone.
    fault(&mut sim, "web-east", Fault::Fail);
    sim.run_until(21 * S, u64::MAX);
    let snap = sim.take_snapshot();
    assert!(snap.regions.iter().all(|r| r.error_ratio > 0.9), "{:?}", snap.regions);
    // Users without regions report none.
    let mut plain = Simulation::new(scenario(&with_cdn(true)));
    plain.run_until(5 * S, u64::MAX);
    assert!(plain.take_snapshot().regions.is_empty());
}
