//! What the page shows beside the simulated numbers to say how far to trust
//! them: the confidence intervals of the headline numbers, and the theory the
//! inspector shows beside a node's measured numbers: the right
//! model with its assumptions where it applies (and close to what the
//! simulation measures), and a plain reason where it does not.

use scalelab_engine::theory::NodeTheory;
use scalelab_engine::{Edit, Fault, Scenario, Simulation};
use serde_json::{json, Value};

const S: u64 = 1_000_000_000;

fn sim(doc: Value) -> Simulation {
    Simulation::new(Scenario::from_json(&doc.to_string()).unwrap())
}

fn station(service: Value, rps: f64, workers: u32) -> Value {
    json!({
        "version": 1, "seed": 5, "duration_s": 400, "warmup_s": 20,
        "nodes": [
            {"id": "users", "kind": "users", "rps": rps},
            {"id": "server", "kind": "web_server", "workers": workers, "service": service}
        ],
        "links": [{"from": "users", "to": "server"}]
    })
}

#[test]
#[cfg_attr(debug_assertions, ignore = "runs 300 simulated seconds; run with --release")]
fn an_mmc_station_is_predicted_by_erlang_c_and_the_simulation_agrees() {
    // M/M/4 at 80%: 3200/s into 4 workers of 1 ms. 300 s hold about a
    // million arrivals; the mean wait's standard error is then about 1%, so
    // 5% is a safe bound.
    let mut s = sim(station(json!({"dist": "exponential", "mean_ms": 1.0}), 3200.0, 4));
    s.run_until(20 * S, u64::MAX);
    s.take_snapshot();
    s.run_until(320 * S, u64::MAX);
    let snap = s.take_snapshot();
    let server = snap.nodes.iter().find(|n| n.id == "server").unwrap();
    let rate = server.summary.arrivals as f64 / snap.span_s;
    let Some(NodeTheory::Applies { prediction: p, assumptions }) = s.theory("server", rate) else {
        panic!("{:?}", s.theory("server", rate))
    };
    eprintln!(
        "theory {:.4} ms wait, simulated {:.4} ms; utilisation {:.4} vs {:.4}",
        p.wait_ms, server.summary.mean_wait_ms, p.utilization, server.summary.utilization
    );
    assert_eq!((p.model.as_str(), p.exact, p.workers), ("M/M/4 (Erlang C)", true, 4));
    assert!(
        (p.wait_ms / server.summary.mean_wait_ms - 1.0).abs() < 0.05,
        "{} vs {}",
        p.wait_ms,
        server.summary.mean_wait_ms
    );
    assert!((p.utilization - server.summary.utilization).abs() < 0.01);
    assert_eq!(assumptions, vec!["arrivals are random and independent (Poisson)".to_string()]);
}

#[test]
fn a_lognormal_station_gets_the_approximation_said_so_and_a_slow_one_its_factor() {
    let mut s = sim(station(json!({"dist": "lognormal", "mean_ms": 2.0, "cv": 0.5}), 1000.0, 4));
    s.run_until(S, u64::MAX);
    let Some(NodeTheory::Applies { prediction: p, .. }) = s.theory("server", 1000.0) else { panic!() };
    assert!(!p.exact && p.model == "M/G/4 (Allen–Cunneen approximation)" && (p.utilization - 0.5).abs() < 1e-12);
    s.apply(Edit::Fault { id: "server".into(), fault: Fault::Slow { factor: 5.0 } }).unwrap();
    // Five times slower: 10 ms at 1000/s is 10 erlangs on 4 workers, overloaded.
    match s.theory("server", 1000.0) {
        Some(NodeTheory::Overloaded { utilization, assumptions }) => {
            assert!((utilization - 2.5).abs() < 1e-12);
            assert!(assumptions.iter().any(|a| a == "service slowed down 5x"), "{assumptions:?}");
        }
        other => panic!("{other:?}"),
    }
    s.apply(Edit::Fault { id: "server".into(), fault: Fault::Fail }).unwrap();
    let Some(NodeTheory::DoesNotApply { reasons }) = s.theory("server", 1000.0) else { panic!() };
    assert_eq!(reasons, vec!["it is down: nothing is served".to_string()]);
    assert!(s.theory("users", 1000.0).is_none(), "users have no workers");
}

#[test]
fn a_web_server_that_waits_on_its_database_is_not_a_simple_queue_and_the_balancer_is_named() {
    let doc = json!({
        "version": 1, "seed": 5, "duration_s": 60,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 100},
            {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin"},
            {"id": "web-1", "kind": "web_server", "workers": 8, "queue_limit": 50, "timeout_ms": 2000},
            {"id": "web-2", "kind": "web_server", "workers": 8},
            {"id": "db", "kind": "database", "workers": 8}
        ],
        "links": [
            {"from": "users", "to": "lb"}, {"from": "lb", "to": "web-1"}, {"from": "lb", "to": "web-2"},
            {"from": "web-2", "to": "db"}
        ]
    });
    let s = sim(doc);
    let Some(NodeTheory::DoesNotApply { reasons }) = s.theory("web-2", 50.0) else { panic!() };
    assert!(reasons[0].contains("wait for the calls"), "{reasons:?}");
    let Some(NodeTheory::Applies { assumptions, .. }) = s.theory("web-1", 50.0) else { panic!() };
    let text = assumptions.join("; ");
    assert!(text.contains("lb deals requests out in turn"), "{text}");
    assert!(text.contains("here 50") && text.contains("after 2000 ms"), "{text}");
}

/// Contention makes service depend on the queue, which no formula here
/// allows: theory does not apply, and the reason says where the node tips
/// over at the rate asked about (n* = knee + (c / (lambda S0) - 1) / slope).
/// A NoSQL store's knee is per partition, and so is its tipping point.
#[test]
fn contention_is_a_reason_theory_does_not_apply_and_names_the_tipping_point() {
    let mut doc = station(json!({"dist": "exponential", "mean_ms": 10.0}), 600.0, 8);
    doc["nodes"][1]["contention"] = json!({"slope": 0.0025, "knee": 8, "max_factor": 4});
    let s = sim(doc.clone());
    let Some(NodeTheory::DoesNotApply { reasons }) = s.theory("server", 600.0) else { panic!() };
    assert_eq!(
        reasons,
        vec!["its service slows down as requests pile up (contention: 0.25% more per request beyond 8, up to 4x), \
             which the formulas leave out: at this rate it falls behind beyond about 141 requests at the node, \
             and then only gets slower"
            .to_string()]
    );
    // Even four times slower, 8 workers of 10 ms keep up with 150/s: no tipping point to name.
    let Some(NodeTheory::DoesNotApply { reasons }) = s.theory("server", 150.0) else { panic!() };
    assert!(reasons[0].ends_with("which the formulas leave out"), "{reasons:?}");
    // At 1000/s it needs 10 workers at full speed: no point to name, it is behind anyway.
    let Some(NodeTheory::DoesNotApply { reasons }) = s.theory("server", 1000.0) else { panic!() };
    assert!(reasons[0].ends_with("at this rate it cannot keep up even at full speed"), "{reasons:?}");
    // A web server waiting on its calls holds a worker longer than its own
    // service time: the point is not named, as it would be wrong.
    let mut calling = doc.clone();
    calling["nodes"].as_array_mut().unwrap().push(json!({"id": "db", "kind": "database", "workers": 8}));
    calling["links"].as_array_mut().unwrap().push(json!({"from": "server", "to": "db"}));
    let Some(NodeTheory::DoesNotApply { reasons }) = sim(calling).theory("server", 600.0) else { panic!() };
    let contention = reasons.iter().find(|r| r.contains("contention")).expect("contention named");
    assert!(contention.ends_with("which the formulas leave out"), "{reasons:?}");
    let nosql = json!({
        "version": 1, "seed": 5, "duration_s": 60,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 100},
            {"id": "web", "kind": "web_server", "workers": 8},
            {"id": "kv", "kind": "nosql", "partitions": 4, "workers": 2, "service": {"dist": "exponential", "mean_ms": 10.0},
             "contention": {"slope": 0.01, "knee": 2}}
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "kv"}]
    });
    // 8 workers of 10 ms at 400/s: headroom 2, so each partition tips at
    // 2 + 1 / 0.01 = 102 requests, the store at 408.
    let Some(NodeTheory::DoesNotApply { reasons }) = sim(nosql).theory("kv", 400.0) else { panic!() };
    assert!(
        reasons[0].contains("beyond 2 per partition, up to 5x") && reasons[0].contains("about 408 requests"),
        "{reasons:?}"
    );
}

/// The newest first and shedding leave a prediction of the mean wait: LIFO's
/// equals FIFO's (the queue's length does not depend on the order), and
/// what waited too long or was abandoned is a stated assumption, like a
/// queue limit.
#[test]
fn lifo_and_shedding_keep_the_mean_wait_prediction_with_their_assumptions() {
    let mut doc = station(json!({"dist": "exponential", "mean_ms": 1.0}), 800.0, 1);
    let fifo = sim(doc.clone()).theory("server", 800.0);
    doc["nodes"][1]["discipline"] = json!("lifo");
    doc["nodes"][1]["max_wait_ms"] = json!(50);
    doc["nodes"][1]["drop_abandoned"] = json!(true);
    let lifo = sim(doc).theory("server", 800.0);
    let (Some(NodeTheory::Applies { prediction: f, .. }), Some(NodeTheory::Applies { prediction: l, assumptions })) =
        (fifo, lifo)
    else {
        panic!()
    };
    assert_eq!(f, l, "the same mean wait");
    let text = assumptions.join("; ");
    assert!(text.contains("the mean wait is the same, but the slowest requests wait far longer"), "{text}");
    assert!(text.contains("waited over 50 ms are shed") && text.contains("caller gave up are dropped"), "{text}");
}

#[test]
#[cfg_attr(debug_assertions, ignore = "100 runs of 300 simulated seconds; run with --release")]
fn batch_means_intervals_cover_the_true_mm1_mean_and_p99_about_95_percent_of_the_time() {
    // M/M/1 at 80%: 800/s into one 1 ms worker. True mean response 5 ms, p99
    // ln(100) / 200 = 23.03 ms. The queue forgets in about 0.09 s, so 10 s
    // batches are close to independent. 100 seeded runs of 30 batches: the
    // number of intervals covering the truth is binomial(100, 0.95), whose
    // standard deviation is 2.2; 88 is three below the mean.
    let mean = 5.0;
    let p99 = 100f64.ln() / 200.0 * 1e3;
    let runs = crate::support::replicate(100, |seed| {
        let mut doc = station(json!({"dist": "exponential", "mean_ms": 1.0}), 800.0, 1);
        doc["seed"] = json!(seed + 1);
        doc["warmup_s"] = json!(5);
        let mut s = sim(doc);
        s.run_until(306 * S, u64::MAX);
        s.headline()
    });
    let covered = |f: &dyn Fn(&scalelab_engine::confidence::Headline) -> bool| runs.iter().filter(|h| f(h)).count();
    let mean_hits = covered(&|h| h.mean_latency_ms.unwrap().contains(mean));
    // The histogram reports a p99 within 0.4% of a recorded value: allow for it.
    let p99_hits = covered(&|h| {
        let iv = h.p99_latency_ms.unwrap();
        (iv.mean - p99).abs() <= iv.half_width + 0.004 * p99
    });
    let widths: Vec<f64> = runs.iter().map(|h| h.mean_latency_ms.unwrap().half_width / mean).collect();
    let typical = widths.iter().sum::<f64>() / widths.len() as f64;
    eprintln!(
        "95% intervals: mean covered {mean_hits}/100, p99 covered {p99_hits}/100; typical mean half-width {:.2}%",
        typical * 100.0
    );
    assert!((88..=100).contains(&mean_hits), "{mean_hits}");
    assert!((88..=100).contains(&p99_hits), "{p99_hits}");
    // Not absurdly wide either (about 3.7% measured).
    assert!(typical < 0.06, "intervals this long should be narrow: {typical}");
    assert!(runs.iter().all(|h| h.mean_latency_ms.unwrap().batches == 30));
}

#[test]
fn the_check_over_the_last_seconds_puts_theory_and_simulation_side_by_side() {
    let mut s = sim(station(json!({"dist": "exponential", "mean_ms": 1.0}), 3200.0, 4));
    assert!(s.theory_check("server", 10).is_none(), "no seconds yet");
    s.run_until(60 * S, u64::MAX);
    let c = s.theory_check("server", 30).unwrap();
    assert_eq!(c.window_s, 30);
    assert!((c.arrival_rps / 3200.0 - 1.0).abs() < 0.03, "{}", c.arrival_rps);
    let NodeTheory::Applies { prediction: p, .. } = &c.theory else { panic!("{c:?}") };
    assert!((c.simulated_utilization - p.utilization).abs() < 0.03, "{c:?}");
    // 30 s of M/M/4 at 80%: the simulated wait is within 15% of Erlang C.
    assert!((c.simulated_wait_ms.unwrap() / p.wait_ms - 1.0).abs() < 0.15, "{c:?}");
    assert!(s.theory_check("users", 30).is_none());
}
