//! The engine against queueing theory.
//!
//! Every check runs [`REPS`] = 20 (or 40, for the slowest-converging cases)
//! independent replications, seeds differing, and applies [`check`]: the
//! replication mean must be within 5 standard errors (estimated from the
//! replications, 19 or 39 degrees of freedom) plus any known measurement bias,
//! and that tolerance must itself be below a stated resolution. Each test says
//! in a comment how many samples it takes and what standard errors they give,
//! which is what its resolutions are derived from. Runs are long against the queue's relaxation time
//! 1 / (mu (1 - sqrt(rho))^2), and warm-ups are many relaxation times, so the
//! initial empty state biases nothing measurable.
//!
//! The simulated values, tolerances and errors are printed with --nocapture.

use crate::support::*;
use crate::theory::*;
use scalelab_engine::{Cause, Report};
use serde_json::json;

/// What one replication of a single-station run reports about the station.
#[derive(Clone, Copy, Debug)]
struct Obs {
    response: f64,
    wait: f64,
    queue_len: f64,
    in_node: f64,
    util: f64,
    arrivals: f64,
    rejected: f64,
    timeouts: f64,
    departures: f64,
    e2e_mean: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    p999: f64,
    e2e_max: f64,
}

/// Picks one figure out of an observation.
type Pick = fn(&Obs) -> f64;

fn observe(r: &Report) -> Obs {
    let s = &r.nodes.get("app").unwrap().summary;
    let l = &r.latency_ms;
    Obs {
        response: s.mean_response_ms,
        wait: s.mean_wait_ms,
        queue_len: s.mean_queue_len,
        in_node: s.mean_in_node,
        util: s.utilization,
        arrivals: s.arrivals as f64,
        rejected: s.rejected as f64,
        timeouts: s.timeouts as f64,
        departures: r.requests.ok as f64,
        e2e_mean: l.mean,
        p50: l.p50,
        p90: l.p90,
        p99: l.p99,
        p999: l.p999,
        e2e_max: l.max,
    }
}

fn station_reps(st: &Station, seed_base: u64, reps: usize) -> Vec<Obs> {
    replicate(reps, |i| observe(&run(&st.doc(seed_base + i))))
}

fn col(obs: &[Obs], f: impl Fn(&Obs) -> f64) -> Vec<f64> {
    obs.iter().map(f).collect()
}

fn total(obs: &[Obs], f: impl Fn(&Obs) -> f64) -> f64 {
    obs.iter().map(f).sum()
}

/// Resolutions (relative) of the M/M/1 checks; see [`check`].
struct Mm1Res {
    response: f64,
    wait: f64,
    in_node: f64,
    util: f64,
    quantiles: [f64; 4],
}

/// M/M/1 with mean service 1 ms (mu = 1000/s) at utilisation `rho`.
fn check_mm1(rho: f64, reps: usize, duration_s: f64, warmup_s: f64, res: Mm1Res) {
    let m = Mm1 { lambda: rho * 1000.0, mu: 1000.0 };
    let st = Station { warmup_s, ..Station::new(m.lambda, 1, exp_ms(1.0), duration_s) };
    assert!(warmup_s > 50.0 * m.relaxation_time(), "warm-up is not long against the relaxation time");
    let obs = station_reps(&st, (rho * 1000.0) as u64, reps);
    let departures = total(&obs, |o| o.departures);
    eprintln!("M/M/1 rho={rho}: {departures} departures in {reps} replications of {duration_s} s");
    assert!(departures >= 1e6);
    let ms = |s: f64| s * 1e3;
    let tag = |what: &str| format!("M/M/1 rho={rho} {what}");
    check(&tag("mean response (ms)"), &col(&obs, |o| o.response), ms(m.response_mean()), 0.0, res.response);
    // Zero link latency: end-to-end latency is the response time at the node.
    check(&tag("end-to-end mean (ms)"), &col(&obs, |o| o.e2e_mean), ms(m.response_mean()), 0.0, res.response);
    check(&tag("mean wait (ms)"), &col(&obs, |o| o.wait), ms(m.wait_mean()), 0.0, res.wait);
    check(&tag("mean queue length"), &col(&obs, |o| o.queue_len), m.queue_len_mean(), 0.0, res.wait);
    check(&tag("mean number in node"), &col(&obs, |o| o.in_node), m.in_system_mean(), 0.0, res.in_node);
    check(&tag("utilisation"), &col(&obs, |o| o.util), rho, 0.0, res.util);
    // The response is exponential with rate mu - lambda: check its quantiles
    // (the histogram adds at most 1/256 relative error).
    let quantiles: [(f64, Pick); 4] = [(0.5, |o| o.p50), (0.9, |o| o.p90), (0.99, |o| o.p99), (0.999, |o| o.p999)];
    for ((q, f), r) in quantiles.into_iter().zip(res.quantiles) {
        check(
            &tag(&format!("p{} response (ms)", q * 100.0)),
            &col(&obs, f),
            ms(m.response_quantile(q)),
            HISTOGRAM_REL,
            r,
        );
    }
    // The spread between replications must match the autocorrelation theory
    // predicts (Whitt's asymptotic variance of the time-average number in
    // system): a queue with the right mean but the wrong dynamics fails here.
    // SE_observed / SE_theory lies in [0.437, 1.667] for 19 degrees of freedom
    // and in [0.590, 1.460] for 39, each with probability 1 - 1e-4 (chi law).
    let window = duration_s - warmup_s;
    let se_theory = (m.in_system_asymptotic_variance() / window / reps as f64).sqrt();
    let (_, se) = mean_se(&col(&obs, |o| o.in_node));
    eprintln!("M/M/1 rho={rho}: SE of number in node {se:.5}, Whitt's asymptotic theory {se_theory:.5}");
    let band = if reps >= 40 { 0.590..=1.460 } else { 0.437..=1.667 };
    assert!(band.contains(&(se / se_theory)), "rho={rho}: SE {se} vs theory {se_theory}");
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn mm1_at_utilisation_0_5() {
    // 20 x 780 s windows at 500/s: 7.8 million departures. Relaxation time
    // 12 ms, warm-up 20 s. Whitt's variance 2 rho (1 + rho) / (mu (1 - rho)^4)
    // = 0.024/s gives SE(L) = 0.12% (measured: 0.12%), so 5 SE = 0.6%.
    // Measured SEs: response 0.11%, wait 0.20%, queue 0.21%, utilisation 0.05%,
    // p50/p90/p99/p99.9 0.11/0.13/0.27/0.65% (+0.39% histogram). Resolutions
    // per the rule in `check`:
    check_mm1(
        0.5,
        REPS,
        800.0,
        20.0,
        Mm1Res { response: 0.01, wait: 0.02, in_node: 0.0125, util: 0.005, quantiles: [0.015, 0.0175, 0.03, 0.06] },
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn mm1_at_utilisation_0_9() {
    // At rho = 0.9 the queue is strongly autocorrelated: relaxation time
    // 1/(mu (1 - sqrt 0.9)^2) = 0.38 s, and the asymptotic variance of L is
    // 2 rho (1 + rho) / (mu (1 - rho)^4) = 34 per second, ~10^4 times what
    // independent samples would give. 40 x 1450 s windows (52 million
    // departures; warm-up 50 s = 130 relaxation times) give SE(L) = 0.27%
    // (Whitt; 20 replications measured 0.38%, as predicted), so 5 SE = 1.35%.
    // Measured SEs (40 reps): response 0.27%, wait and queue 0.30%,
    // utilisation 0.017%, p50/p90/p99/p99.9 0.18/0.31/0.54/0.94% (+0.39%
    // histogram).
    check_mm1(
        0.9,
        40,
        1500.0,
        50.0,
        Mm1Res { response: 0.02, wait: 0.025, in_node: 0.02, util: 0.0025, quantiles: [0.02, 0.03, 0.045, 0.075] },
    );
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn mmc_four_workers_at_0_8_matches_erlang_c() {
    // M/M/4, mean service 1 ms, lambda = 3200/s: a = 3.2 erlangs, C(4, 3.2) = 0.596,
    // Wq = C / (c mu - lambda) = 0.746 ms. 20 x 280 s windows: 18 million
    // departures; relaxation time ~1/(c mu (1 - sqrt rho)^2) = 22 ms. Measured
    // SEs: wait and queue 0.32%, response 0.14%, L 0.15%, utilisation 0.03%,
    // p50/p90/p99 0.11/0.16/0.38% (+0.39% histogram). (A probe of 100
    // replications put the wait within 0.5 SE of theory.)
    let m = Mmc { c: 4, lambda: 3200.0, mu: 1000.0 };
    let st = Station { warmup_s: 20.0, ..Station::new(m.lambda, m.c, exp_ms(1.0), 300.0) };
    let obs = station_reps(&st, 400, REPS);
    let departures = total(&obs, |o| o.departures);
    eprintln!("M/M/4: {departures} departures; P(wait) = {:.4}", m.p_wait());
    assert!(departures >= 1e6);
    let ms = |s: f64| s * 1e3;
    check("M/M/4 mean wait (ms)", &col(&obs, |o| o.wait), ms(m.wait_mean()), 0.0, 0.03);
    check("M/M/4 mean queue length", &col(&obs, |o| o.queue_len), m.queue_len_mean(), 0.0, 0.03);
    check("M/M/4 mean response (ms)", &col(&obs, |o| o.response), ms(m.response_mean()), 0.0, 0.0125);
    check("M/M/4 mean number in node", &col(&obs, |o| o.in_node), m.in_system_mean(), 0.0, 0.015);
    check("M/M/4 utilisation", &col(&obs, |o| o.util), m.rho(), 0.0, 0.003);
    // P(wait) is not reported, but the response-time distribution depends on
    // it: T = S + W with W = 0 with probability 1 - C. Its median, for one,
    // moves by 4% for a 0.05 change in C. Check the quantiles against the
    // exact mixture distribution.
    let quantiles: [(f64, Pick, f64); 3] = [(0.5, |o| o.p50, 0.015), (0.9, |o| o.p90, 0.02), (0.99, |o| o.p99, 0.04)];
    for (q, f, res) in quantiles {
        check(
            &format!("M/M/4 p{} response (ms)", q * 100.0),
            &col(&obs, f),
            ms(m.response_quantile(q)),
            HISTOGRAM_REL,
            res,
        );
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn md1_mean_wait_matches_pollaczek_khinchine() {
    // Constant 1 ms service at 800/s: E[S^2] = 1 ms^2, Wq = 0.8 * 1 / (2 * 0.2) = 2 ms,
    // half the M/M/1 wait. 20 x 780 s: 12.5 million departures. Measured SEs:
    // wait 0.21%, response 0.14%, queue 0.23%, utilisation 0.03%.
    let st = Station { warmup_s: 20.0, ..Station::new(800.0, 1, const_ms(1.0), 800.0) };
    let obs = station_reps(&st, 500, REPS);
    let wq = pk_wait_mean(0.8, 1.0, second_moment(1.0, 0.0));
    check("M/D/1 mean wait (ms)", &col(&obs, |o| o.wait), wq, 0.0, 0.02);
    check("M/D/1 mean response (ms)", &col(&obs, |o| o.response), wq + 1.0, 0.0, 0.0125);
    check("M/D/1 mean queue length", &col(&obs, |o| o.queue_len), 0.8 * wq, 0.0, 0.02);
    check("M/D/1 utilisation", &col(&obs, |o| o.util), 0.8, 0.0, 0.003);
    // Every response is at least the service time, exactly.
    let p0 = obs.iter().map(|o| o.p50).fold(f64::MAX, f64::min);
    assert!(p0 >= 1.0, "median response {p0} below the constant service time");
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn mg1_lognormal_mean_wait_matches_pollaczek_khinchine() {
    // Lognormal, mean 1 ms, cv 2: E[S^2] = 1 + 2^2 = 5 ms^2. At 700/s,
    // Wq = 0.7 * 5 / (2 * 0.3) = 5.83 ms. The lognormal's heavy tail
    // (E[S^3] = 125 ms^3) makes the wait converge slowly: 40 x 980 s windows,
    // 27 million departures. Measured SEs (40 reps): wait 0.59%, response
    // 0.50%, utilisation 0.04%, mean service 0.04%.
    let st = Station { warmup_s: 20.0, ..Station::new(700.0, 1, lognormal_ms(1.0, 2.0), 1000.0) };
    let obs = station_reps(&st, 600, 40);
    let departures = total(&obs, |o| o.departures);
    assert!(departures >= 1e6);
    let wq = pk_wait_mean(0.7, 1.0, second_moment(1.0, 2.0));
    check("M/G/1 lognormal cv=2 mean wait (ms)", &col(&obs, |o| o.wait), wq, 0.0, 0.045);
    check("M/G/1 lognormal cv=2 mean response (ms)", &col(&obs, |o| o.response), wq + 1.0, 0.0, 0.04);
    check("M/G/1 lognormal cv=2 utilisation", &col(&obs, |o| o.util), 0.7, 0.0, 0.005);
    // Response minus wait is the mean service time actually drawn: 1 ms
    // (the lognormal parameters are right): SE 2 / sqrt(27 million) = 0.04%.
    let service: Vec<f64> = obs.iter().map(|o| o.response - o.wait).collect();
    check("M/G/1 lognormal cv=2 mean service (ms)", &service, 1.0, 0.0, 0.005);

    // A lighter lognormal (cv 0.5) at 800/s: E[S^2] = 1.25, Wq = 2.5 ms.
    // 20 x 380 s: 6 million departures, measured SE 0.39%.
    let st = Station { warmup_s: 20.0, ..Station::new(800.0, 1, lognormal_ms(1.0, 0.5), 400.0) };
    let obs = station_reps(&st, 700, REPS);
    let wq = pk_wait_mean(0.8, 1.0, second_moment(1.0, 0.5));
    check("M/G/1 lognormal cv=0.5 mean wait (ms)", &col(&obs, |o| o.wait), wq, 0.0, 0.035);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn mm1k_blocking_matches_the_finite_queue_formula() {
    // queue_limit counts waiting requests only, so the system holds
    // K = queue_limit + 1 requests (one in service). Blocking probability
    // P_K = (1 - rho) rho^K / (1 - rho^(K+1)) (PASTA: the share of arrivals
    // that find the system full). Each case: 20 x 190 s windows at rho * 1000/s,
    // 1.9 to 4.6 million arrivals. Measured SEs of blocking, L, utilisation:
    // rho 0.9: 0.22/0.10/0.05%; rho 1.2: 0.24/0.12/0.02%; K=1: 0.11% each.
    for &(rho, limit, res) in &[(0.9f64, 4u32, 0.02), (1.2, 9, 0.0225), (0.5, 0, 0.0125)] {
        let k = limit + 1;
        let mut st = Station::new(rho * 1000.0, 1, exp_ms(1.0), 200.0);
        st.queue_limit = Some(limit);
        st.warmup_s = 10.0;
        let obs = replicate(REPS, |i| {
            let r = run(&st.doc(800 + 10 * limit as u64 + i));
            // Zero link latency: node arrivals in the window are exactly the
            // requests born in it, so the two rejection counts agree exactly.
            assert_eq!(r.requests.failed.get(Cause::Rejected), r.nodes.get("app").unwrap().summary.rejected);
            observe(&r)
        });
        let p = mm1k_blocking(rho, k);
        let tag = format!("M/M/1/{k} rho={rho}");
        check(&format!("{tag} blocking"), &col(&obs, |o| o.rejected / o.arrivals), p, 0.0, res);
        check(&format!("{tag} mean number in node"), &col(&obs, |o| o.in_node), mm1k_in_system(rho, k), 0.0, res);
        // The server works only for admitted requests: utilisation rho (1 - P_K).
        check(&format!("{tag} utilisation"), &col(&obs, |o| o.util), rho * (1.0 - p), 0.0, res);
        // The waiting line never holds more than the limit.
        assert!(obs.iter().all(|o| o.queue_len <= limit as f64), "{tag}: mean queue above the limit");
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn erlang_loss_with_no_queue_is_insensitive_to_the_service_distribution() {
    // queue_limit 0 with 4 workers is the M/G/4/4 loss system: blocking is
    // Erlang B(4, a), whatever the service distribution (insensitivity).
    // a = 3.2: B = 0.2281. 20 x 95 s at 3200/s: 6 million arrivals per
    // distribution; measured blocking SEs 0.08-0.14%, utilisation 0.02-0.05%.
    let b = erlang_b(4, 3.2);
    for (name, service) in
        [("exponential", exp_ms(1.0)), ("constant", const_ms(1.0)), ("lognormal cv=2", lognormal_ms(1.0, 2.0))]
    {
        let mut st = Station::new(3200.0, 4, service, 100.0);
        st.queue_limit = Some(0);
        st.warmup_s = 5.0;
        let obs = station_reps(&st, 900, REPS);
        check(&format!("M/G/4/4 ({name}) blocking"), &col(&obs, |o| o.rejected / o.arrivals), b, 0.0, 0.0125);
        // Nobody ever waits.
        assert!(obs.iter().all(|o| o.wait == 0.0 && o.queue_len == 0.0), "{name}: something waited");
        check(&format!("M/G/4/4 ({name}) utilisation"), &col(&obs, |o| o.util), 0.8 * (1.0 - b), 0.0, 0.01);
    }
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn timeouts_fire_at_the_node_after_timeout_ms() {
    // 64 workers at 1 erlang: nobody waits (Erlang C(64, 1) = 3e-90), so the
    // time at the node is the service time S ~ Exp(1 ms). With timeout_ms = 2
    // the caller gives up on exactly the requests with S > 2 ms:
    // P = e^-2 = 0.1353. The 5 ms link each way is not part of the timeout.
    // The abandoned work goes on (the worker is not freed early), so
    // utilisation stays lambda E[S] / c = 1/64. 20 x 95 s at 1000/s:
    // 1.9 million requests. Measured SEs: timeout share 0.15%, utilisation
    // 0.08%, mean latency of successes 0.0035%.
    let mut st = Station::new(1000.0, 64, exp_ms(1.0), 100.0);
    st.timeout_ms = Some(2.0);
    st.link_ms = 5.0;
    st.warmup_s = 5.0;
    let obs = station_reps(&st, 1000, REPS);
    check(
        "timeouts: share timed out",
        &col(&obs, |o| o.timeouts / o.arrivals),
        exp_timeout_fraction(1.0, 2.0),
        0.0,
        0.015,
    );
    check("timeouts: utilisation (abandoned work continues)", &col(&obs, |o| o.util), 1.0 / 64.0, 0.0, 0.01);
    // Successful requests: 2 x 5 ms of links plus S given S <= 2 ms.
    check(
        "timeouts: mean latency of successes (ms)",
        &col(&obs, |o| o.e2e_mean),
        10.0 + exp_mean_below(1.0, 2.0),
        0.0,
        0.0005,
    );
    // And none of them took longer than the links plus the timeout.
    for o in &obs {
        assert!(o.e2e_max <= 12.0, "a success took {} ms, past the 2 ms timeout plus 10 ms of links", o.e2e_max);
    }
}

#[test]
fn users_give_up_after_their_client_timeout() {
    // The station of the test above without a timeout of its own: the users
    // give up instead, 12 ms after sending, which is 10 ms of links plus
    // 2 ms at the node. So again exactly the requests with S > 2 ms fail,
    // P = e^-2, now with cause client_timeout; the server is not told, so
    // its utilisation stays lambda E[S] / c = 1/64 and it answers every
    // request (the late answers are dropped at the users). Same samples as
    // above, and the same standard errors.
    let mut st = Station::new(1000.0, 64, exp_ms(1.0), 100.0);
    st.link_ms = 5.0;
    st.warmup_s = 5.0;
    let obs: Vec<(f64, f64, f64, f64)> = replicate(REPS, |i| {
        let mut doc = st.doc(1500 + i);
        doc["nodes"][0]["client_timeout_ms"] = json!(12.0);
        let r = run(&doc);
        let q = &r.requests;
        let gave_up = q.failed.get(Cause::ClientTimeout) as f64;
        assert_eq!(q.failed.total() as f64, gave_up, "no other cause");
        assert!(r.latency_ms.max <= 12.0, "a success took {} ms, past the users' 12 ms", r.latency_ms.max);
        let app = &r.nodes.get("app").unwrap().summary;
        (gave_up / (gave_up + q.ok as f64), app.utilization, app.throughput_rps / 1000.0, r.latency_ms.mean)
    });
    check(
        "client timeouts: share given up",
        &obs.iter().map(|o| o.0).collect::<Vec<_>>(),
        exp_timeout_fraction(1.0, 2.0),
        0.0,
        0.015,
    );
    check(
        "client timeouts: utilisation (the work goes on)",
        &obs.iter().map(|o| o.1).collect::<Vec<_>>(),
        1.0 / 64.0,
        0.0,
        0.01,
    );
    check(
        "client timeouts: the server answers every request",
        &obs.iter().map(|o| o.2).collect::<Vec<_>>(),
        1.0,
        0.0,
        0.01,
    );
    check(
        "client timeouts: mean latency of successes (ms)",
        &obs.iter().map(|o| o.3).collect::<Vec<_>>(),
        10.0 + exp_mean_below(1.0, 2.0),
        0.0,
        0.0005,
    );
}

fn two_servers(seed: u64, algorithm: &str, duration_s: f64) -> serde_json::Value {
    json!({
        "version": 1, "seed": seed, "duration_s": duration_s, "warmup_s": 20,
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

struct Pair {
    a: f64,
    b: f64,
    wait_a: f64,
    e2e: f64,
    p99: f64,
    share_a: f64,
}

fn pair_reps(algorithm: &str, seed_base: u64) -> Vec<Pair> {
    replicate(REPS, |i| {
        let r = run(&two_servers(seed_base + i, algorithm, 300.0));
        let (sa, sb) = (&r.nodes.get("a").unwrap().summary, &r.nodes.get("b").unwrap().summary);
        Pair {
            a: sa.mean_response_ms,
            b: sb.mean_response_ms,
            wait_a: sa.mean_wait_ms,
            e2e: r.latency_ms.mean,
            p99: r.latency_ms.p99,
            share_a: sa.arrivals as f64 / (sa.arrivals + sb.arrivals) as f64,
        }
    })
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn random_balancing_splits_poisson_traffic_into_two_mm1_queues() {
    // Random routing of a Poisson stream of 1200/s gives each server a Poisson
    // stream of 600/s (thinning): two M/M/1 queues at rho 0.6, mean response
    // 1 / (1000 - 600) = 2.5 ms at each and end to end. 20 x 280 s windows:
    // 6.7 million requests. Measured SEs: per server 0.18-0.22%, end to end
    // 0.17%, p99 0.43% (+0.39% histogram), share 0.035%.
    let m = Mm1 { lambda: 600.0, mu: 1000.0 };
    let reps = pair_reps("random", 1100);
    let w = m.response_mean() * 1e3;
    check("random LB: server a mean response (ms)", &reps.iter().map(|p| p.a).collect::<Vec<_>>(), w, 0.0, 0.02);
    check("random LB: server b mean response (ms)", &reps.iter().map(|p| p.b).collect::<Vec<_>>(), w, 0.0, 0.02);
    check("random LB: end-to-end mean (ms)", &reps.iter().map(|p| p.e2e).collect::<Vec<_>>(), w, 0.0, 0.015);
    check(
        "random LB: end-to-end p99 (ms)",
        &reps.iter().map(|p| p.p99).collect::<Vec<_>>(),
        m.response_quantile(0.99) * 1e3,
        HISTOGRAM_REL,
        0.045,
    );
    check("random LB: share to a", &reps.iter().map(|p| p.share_a).collect::<Vec<_>>(), 0.5, 0.0, 0.003);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn round_robin_gives_each_server_erlang_2_arrivals() {
    // Round robin sends every other arrival to each server: Erlang-2 gaps, an
    // E2/M/1 queue. sigma solves sigma = (1.2 / (1.2 + 1 - sigma))^2 (rates per
    // ms): sigma = 1.7 - sqrt(1.45) = 0.4958; mean response 1 / (1 - sigma)
    // = 1.983 ms, mean wait sigma / (1 - sigma) = 0.983 ms, against 2.5 and
    // 1.5 ms under random routing. Same run lengths as above. Measured SEs:
    // server response 0.20%, wait 0.36%, end to end 0.11%, p99 0.26%.
    let sigma = gi_m_1_sigma(1.0, erlang_gap_lst(2, 1.2));
    let rr = pair_reps("round_robin", 1200);
    check(
        "round robin: server a mean response (ms)",
        &rr.iter().map(|p| p.a).collect::<Vec<_>>(),
        1.0 / (1.0 - sigma),
        0.0,
        0.02,
    );
    check(
        "round robin: server a mean wait (ms)",
        &rr.iter().map(|p| p.wait_a).collect::<Vec<_>>(),
        sigma / (1.0 - sigma),
        0.0,
        0.0325,
    );
    check(
        "round robin: end-to-end mean (ms)",
        &rr.iter().map(|p| p.e2e).collect::<Vec<_>>(),
        1.0 / (1.0 - sigma),
        0.0,
        0.0125,
    );
    // GI/M/1 response times are exponential with rate mu (1 - sigma).
    let p99 = -(0.01f64).ln() / (1.0 - sigma);
    check("round robin: end-to-end p99 (ms)", &rr.iter().map(|p| p.p99).collect::<Vec<_>>(), p99, HISTOGRAM_REL, 0.03);
    assert!(rr.iter().all(|p| (p.share_a - 0.5).abs() < 1e-5), "round robin alternates exactly");

    // Least connections joins the shorter queue, which is optimal for
    // identical exponential servers (Winston 1977): better than round robin,
    // which is better than random. The gaps (about 2.5 / 1.98 / ~1.8 ms) are
    // hundreds of standard errors wide.
    let lc = pair_reps("least_connections", 1300);
    let mean = |v: &[Pair]| v.iter().map(|p| p.e2e).sum::<f64>() / v.len() as f64;
    let random = pair_reps("random", 1400);
    let (lc, rr, random) = (mean(&lc), mean(&rr), mean(&random));
    eprintln!("mean response: least connections {lc:.4} ms < round robin {rr:.4} ms < random {random:.4} ms");
    assert!(lc < 0.97 * rr && rr < 0.85 * random, "least connections {lc}, round robin {rr}, random {random}");
}

/// Users → a balancer picking by `algorithm` → `servers` single-worker
/// servers of exponential 1 ms service, each offered 900 requests/s
/// (utilisation 0.9); no health checks, no network time. Returns the mean
/// end-to-end latency (ms) over `seconds` after a 2 s warm-up: five
/// relaxation times of one server picked at random, 1 ms / (1 - sqrt 0.9)²
/// = 0.38 s (two choices relax faster).
fn supermarket(servers: usize, algorithm: &str, seed: u64, seconds: f64) -> f64 {
    let mut nodes = vec![
        json!({"id": "users", "kind": "users", "rps": 900.0 * servers as f64}),
        json!({"id": "lb", "kind": "load_balancer", "algorithm": algorithm, "health_check": null}),
    ];
    let mut links = vec![json!({"from": "users", "to": "lb"})];
    for i in 0..servers {
        let id = format!("s{i}");
        nodes.push(json!({"id": id, "kind": "web_server", "workers": 1, "service": exp_ms(1.0)}));
        links.push(json!({"from": "lb", "to": id}));
    }
    let doc =
        json!({"version": 1, "seed": seed, "duration_s": 2.0 + seconds, "warmup_s": 2, "nodes": nodes, "links": links});
    run(&doc).latency_ms.mean
}

#[test]
#[cfg_attr(debug_assertions, ignore = "statistical: hundreds of millions of events; run with --release")]
fn two_choices_approaches_the_supermarket_model_as_the_tier_grows() {
    // Poisson arrivals at 0.9 per server per ms, n servers of one worker and
    // exponential 1 ms service, each request to the shorter queue of two
    // different servers drawn at random. As n grows, the share of servers
    // holding at least i requests tends to 0.9^(2^i - 1) (the "supermarket
    // model" of Vvedenskaya, Dobrushin and Karpelevich, and Mitzenmacher),
    // so by Little's law the mean time in the system tends to
    // sum over i >= 1 of 0.9^(2^i - 2) = 2.614 ms, against 1 / (1 - 0.9) =
    // 10 ms when each request goes to one server at random.
    //
    // A finite tier is a little worse, by about 1/n of the limit: measured
    // when this test was written (20 x 2000/n s each), the excess was 5.0%,
    // 2.5%, 1.06%, 0.52%, 0.20% at n = 25, 50, 100, 200, 400, n times the
    // relative excess 1.25, 1.23, 1.06, 1.04, 0.80. So the check at n = 400
    // allows 1.5 / n for it, and the excess must shrink with n: at 400 under
    // a quarter of that at 50 (1/n gives an eighth). 1.8 million requests per
    // replication at either size; measured SEs 0.10% (n = 50) and 0.085% (400).
    let limit: f64 = (1..=12).map(|i| 0.9f64.powi((1 << i) - 2)).sum();
    assert!((limit - 2.61406).abs() < 1e-5, "{limit}");
    let at =
        |n: usize, seed_base: u64| replicate(REPS, |i| supermarket(n, "two_choices", seed_base + i, 2000.0 / n as f64));
    let (small, large) = (at(50, 2050), at(400, 2400));
    check("two choices, 400 servers: mean response (ms)", &large, limit, 1.5 / 400.0, 0.0125);
    let excess = |xs: &[f64]| mean_se(xs).0 / limit - 1.0;
    let (e50, e400) = (excess(&small), excess(&large));
    eprintln!("excess over the limit: {:.3}% with 50 servers, {:.3}% with 400", 100.0 * e50, 100.0 * e400);
    assert!(e50 > 5.0 * mean_se(&small).1 / limit, "50 servers wait measurably longer than the limit: {e50}");
    assert!(e400 < e50 / 4.0, "the excess shrinks with the tier: {e50} at 50, {e400} at 400");
}
