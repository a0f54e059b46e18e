//! The engine against queueing theory. Each check runs independent seeded
//! replications and requires agreement within 4 standard errors (estimated from
//! the spread of the replications) and within a stated relative error.

use crate::support::*;
use serde_json::json;

fn exp_ms(mean: f64) -> serde_json::Value {
    json!({"dist": "exponential", "mean_ms": mean})
}

/// M/M/1: response time is exponential with rate mu - lambda, so its mean is
/// 1/(mu - lambda) and its p99 is ln(100)/(mu - lambda); utilisation is rho.
fn check_mm1(rho: f64, reps: u64, duration_s: f64, rel: f64) {
    let mu = 1000.0; // per second: mean service 1 ms
    let lambda = rho * mu;
    let (mut resp, mut util, mut p99, mut departures) = (vec![], vec![], vec![], 0u64);
    for seed in 0..reps {
        let r = run(&single_station(100 + seed, lambda, 1, exp_ms(1.0), None, duration_s));
        let app = &r.nodes.get("app").unwrap().summary;
        resp.push(app.mean_response_ms);
        util.push(app.utilization);
        p99.push(r.latency_ms.p99);
        departures += r.requests.ok;
    }
    assert!(departures >= 1_000_000, "only {departures} departures");
    let rate = mu - lambda; // per second
    assert_agrees(&format!("M/M/1 rho={rho} mean response (ms)"), &resp, 1e3 / rate, 4.0, rel);
    assert_agrees(&format!("M/M/1 rho={rho} utilisation"), &util, rho, 4.0, rel / 2.0);
    assert_agrees(&format!("M/M/1 rho={rho} p99 response (ms)"), &p99, 1e3 * (100f64).ln() / rate, 4.0, rel);
}

#[test]
fn mm1_at_utilisation_half() {
    // 4 x 1000 s at 500/s: 2 million departures; relaxation time is tiny here.
    check_mm1(0.5, 4, 1000.0, 0.02);
}

#[test]
fn mm1_at_utilisation_0_9() {
    // At rho = 0.9 the queue relaxes slowly (time scale 1/(mu (1 - sqrt(rho))^2),
    // about 0.4 s here), so successive waits are strongly correlated: 8 runs of
    // 1500 s (10.8 million departures) give a standard error near 1%.
    check_mm1(0.9, 8, 1500.0, 0.04);
}

#[test]
fn mmc_with_four_workers_at_0_8_matches_erlang_c() {
    let (c, mu, rho) = (4u32, 1000.0, 0.8);
    let lambda = rho * c as f64 * mu;
    let (mut wait, mut queue, mut util, mut n) = (vec![], vec![], vec![], 0u64);
    for seed in 0..4 {
        let r = run(&single_station(200 + seed, lambda, c, exp_ms(1.0), None, 500.0));
        let app = &r.nodes.get("app").unwrap().summary;
        wait.push(app.mean_wait_ms);
        queue.push(app.mean_queue_len);
        util.push(app.utilization);
        n += r.requests.ok;
    }
    assert!(n >= 1_000_000, "only {n} departures");
    let pw = erlang_c(c, lambda / mu);
    let wq_ms = 1e3 * pw / (c as f64 * mu - lambda);
    assert_agrees("M/M/4 mean wait (ms)", &wait, wq_ms, 4.0, 0.03);
    assert_agrees("M/M/4 mean queue length", &queue, lambda * wq_ms / 1e3, 4.0, 0.03);
    assert_agrees("M/M/4 utilisation", &util, rho, 4.0, 0.01);
}

/// Pollaczek–Khinchine: Wq = lambda E[S^2] / (2 (1 - rho)).
fn pk_wait_ms(lambda_per_ms: f64, mean_ms: f64, second_moment: f64) -> f64 {
    let rho = lambda_per_ms * mean_ms;
    lambda_per_ms * second_moment / (2.0 * (1.0 - rho))
}

#[test]
fn md1_mean_wait_matches_pollaczek_khinchine() {
    // Constant 1 ms service at 800/s: E[S^2] = 1, Wq = 0.8 / 0.4 = 2 ms.
    let mut wait = vec![];
    for seed in 0..4 {
        let r = run(&single_station(300 + seed, 800.0, 1, json!({"dist": "constant", "mean_ms": 1.0}), None, 400.0));
        wait.push(r.nodes.get("app").unwrap().summary.mean_wait_ms);
    }
    assert_agrees("M/D/1 mean wait (ms)", &wait, pk_wait_ms(0.8, 1.0, 1.0), 4.0, 0.02);
}

#[test]
fn mg1_lognormal_mean_wait_matches_pollaczek_khinchine() {
    // Lognormal, mean 1 ms, cv 2: E[S^2] = mean^2 (1 + cv^2) = 5 ms^2. At 700/s,
    // Wq = 0.7 * 5 / 0.6 = 5.83 ms. Heavy-ish tail: 8 runs of 800 s.
    let mut wait = vec![];
    let mut n = 0;
    for seed in 0..8 {
        let r = run(&single_station(
            400 + seed,
            700.0,
            1,
            json!({"dist": "lognormal", "mean_ms": 1.0, "cv": 2.0}),
            None,
            800.0,
        ));
        wait.push(r.nodes.get("app").unwrap().summary.mean_wait_ms);
        n += r.requests.ok;
    }
    assert!(n >= 1_000_000);
    assert_agrees("M/G/1 (lognormal cv 2) mean wait (ms)", &wait, pk_wait_ms(0.7, 1.0, 5.0), 4.0, 0.05);
}

#[test]
fn mm1k_blocking_probability() {
    // queue_limit counts waiting requests only, so the system holds K = limit + 1.
    // P(block) = (1 - rho) rho^K / (1 - rho^(K+1)).
    for &(rho, limit) in &[(0.9f64, 4u32), (1.2f64, 9u32)] {
        let k = (limit + 1) as i32;
        let theory = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
        let mut blocked = vec![];
        for seed in 0..4 {
            let r = run(&single_station(500 + seed, rho * 1000.0, 1, exp_ms(1.0), Some(limit), 400.0));
            let app = &r.nodes.get("app").unwrap().summary;
            blocked.push(app.rejected as f64 / app.arrivals as f64);
            // Every rejection is a failed request of cause "rejected".
            assert_eq!(r.requests.failed.get(scalelab_engine::Cause::Rejected), app.rejected);
        }
        assert_agrees(&format!("M/M/1/{k} blocking at rho={rho}"), &blocked, theory, 4.0, 0.02);
    }
}

fn two_servers(seed: u64, algorithm: &str) -> serde_json::Value {
    json!({
        "version": 1, "seed": seed, "duration_s": 600, "warmup_s": 50,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 1200},
            {"id": "lb", "kind": "load_balancer", "algorithm": algorithm},
            {"id": "a", "kind": "web_server", "workers": 1, "service": {"dist": "exponential", "mean_ms": 1.0}},
            {"id": "b", "kind": "web_server", "workers": 1, "service": {"dist": "exponential", "mean_ms": 1.0}}
        ],
        "links": [
            {"from": "users", "to": "lb"}, {"from": "lb", "to": "a"}, {"from": "lb", "to": "b"}
        ]
    })
}

#[test]
fn random_balancing_splits_poisson_traffic_into_two_mm1_queues() {
    // Random routing of a Poisson stream gives each server a Poisson stream at
    // lambda / 2 = 600/s: each is M/M/1 with rho 0.6, mean response 2.5 ms.
    let (mut a, mut b, mut e2e, mut share) = (vec![], vec![], vec![], vec![]);
    for seed in 0..4 {
        let r = run(&two_servers(600 + seed, "random"));
        let (sa, sb) = (&r.nodes.get("a").unwrap().summary, &r.nodes.get("b").unwrap().summary);
        a.push(sa.mean_response_ms);
        b.push(sb.mean_response_ms);
        e2e.push(r.latency_ms.mean);
        share.push(sa.arrivals as f64 / (sa.arrivals + sb.arrivals) as f64);
    }
    assert_agrees("random LB: server a mean response (ms)", &a, 2.5, 4.0, 0.02);
    assert_agrees("random LB: server b mean response (ms)", &b, 2.5, 4.0, 0.02);
    assert_agrees("random LB: end-to-end mean (ms)", &e2e, 2.5, 4.0, 0.02);
    assert_agrees("random LB: share to a", &share, 0.5, 4.0, 0.005);
}

#[test]
fn round_robin_waits_less_than_random() {
    // Round robin gives each server every other arrival (Erlang-2 gaps, less
    // variable than Poisson), so queues are shorter: E2/M/1 at rho 0.6 has a
    // mean wait well below M/M/1's 1.5 ms.
    let wait = |alg: &str| {
        let r = run(&two_servers(700, alg));
        r.nodes.get("a").unwrap().summary.mean_wait_ms
    };
    let (rr, random) = (wait("round_robin"), wait("random"));
    eprintln!("mean wait at server a: round robin {rr:.3} ms, random {random:.3} ms");
    assert!(rr < 0.8 * random, "round robin {rr} vs random {random}");
}

#[test]
fn littles_law_holds_at_every_station_and_latency_adds_up() {
    // users -> lb -> two web servers -> database, with link delays. Reads only, no
    // limits, so nothing fails and every departure is a completion.
    let doc = json!({
        "version": 1, "seed": 11, "duration_s": 400, "warmup_s": 20,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 2000, "mix": {"read": 1.0}},
            {"id": "lb", "kind": "load_balancer", "algorithm": "least_connections"},
            {"id": "w1", "kind": "web_server", "workers": 8, "service": {"dist": "lognormal", "mean_ms": 2.0, "cv": 1.5}},
            {"id": "w2", "kind": "web_server", "workers": 8, "service": {"dist": "lognormal", "mean_ms": 2.0, "cv": 1.5}},
            {"id": "db", "kind": "database", "workers": 4, "service": {"dist": "exponential", "mean_ms": 1.5}}
        ],
        "links": [
            {"from": "users", "to": "lb", "latency_ms": 10},
            {"from": "lb", "to": "w1", "latency_ms": 0.25},
            {"from": "lb", "to": "w2", "latency_ms": 0.25},
            {"from": "w1", "to": "db", "latency_ms": 0.5},
            {"from": "w2", "to": "db", "latency_ms": 0.5}
        ]
    });
    let r = run(&doc);
    assert_eq!(r.requests.failed.total(), 0);
    for id in ["w1", "w2", "db"] {
        let s = &r.nodes.get(id).unwrap().summary;
        let little = s.throughput_rps * s.mean_response_ms / 1e3;
        eprintln!("{id}: L = {:.4}, lambda W = {little:.4}", s.mean_in_node);
        // Only requests straddling the window edges differ: well under 1%.
        assert!((s.mean_in_node - little).abs() / little < 0.01, "{id}: L {} vs lambda W {little}", s.mean_in_node);
        assert!(s.utilization > 0.2, "{id} does real work");
    }
    // A web server's time includes its database call and both link crossings.
    let (w1, db) = (&r.nodes.get("w1").unwrap().summary, &r.nodes.get("db").unwrap().summary);
    assert!(w1.mean_response_ms > db.mean_response_ms + 1.0 + 2.0 * 0.9);
    // End to end: users->lb and lb->web links twice each, plus the time at the web tier.
    let web_mean = {
        let (a, b) = (&r.nodes.get("w1").unwrap().summary, &r.nodes.get("w2").unwrap().summary);
        (a.mean_response_ms * a.throughput_rps + b.mean_response_ms * b.throughput_rps) / (a.throughput_rps + b.throughput_rps)
    };
    let expected = 2.0 * (10.0 + 0.25) + web_mean;
    assert!((r.latency_ms.mean - expected).abs() / expected < 0.002, "end-to-end {} vs {expected}", r.latency_ms.mean);
    let lb = &r.nodes.get("lb").unwrap().summary;
    assert!((lb.mean_response_ms - (2.0 * 0.25 + web_mean)).abs() < 0.01 * lb.mean_response_ms);
}
