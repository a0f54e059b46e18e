//! Utilisation is busy workers over *available* workers: machines that are
//! down or still booting do not count, an autoscaling group counts at its
//! size at each instant, and the figure never exceeds 100%.

use crate::support::{const_ms, exp_ms, replicate, scenario};
use scalelab_engine::{Edit, Fault, SecondPoint, Simulation};
use serde_json::json;

const S: u64 = 1_000_000_000;

fn slot(sim: &Simulation, id: &str) -> usize {
    sim.node_slots().iter().position(|(n, _, removed)| n == id && !removed).expect("node exists")
}

#[test]
fn an_autoscaled_worker_pool_is_busy_over_its_running_workers_at_each_instant() {
    // Jobs of 200 ms on machines of 4 workers (20 jobs/s each). 100 jobs/s,
    // tripled from 60 s to 180 s: the pool grows from 5 towards 15 machines
    // and shrinks again, and a pool scaled on its backlog lets machines go
    // while every worker is still busy (they finish their jobs first).
    let doc = json!({
        "version": 2, "seed": 21, "duration_s": 300, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 100, "mix": {"job": 1},
             "profile": {"shape": "spike", "at_s": 60, "duration_s": 120, "multiplier": 3}},
            {"id": "web", "kind": "web_server", "workers": 16, "service": const_ms(1.0)},
            {"id": "queue", "kind": "queue", "capacity": 1_000_000},
            {"id": "pool", "kind": "workers", "workers": 4, "service": const_ms(200.0),
             "autoscale": {"min": 2, "max": 20, "target": 20, "boot_s": 10, "cooldown_s": 30}}
        ],
        "links": [{"from": "users", "to": "web"}, {"from": "web", "to": "queue"}, {"from": "queue", "to": "pool"}]
    });
    let mut sim = Simulation::new(scenario(&doc));
    let pool = slot(&sim, "pool");
    // Sampled every 5 ms, independently of the engine's integrals: running
    // machines x 4 workers (never fewer than are busy), and busy workers.
    const STEP: u64 = 5_000_000;
    let (mut sampled_available, mut sampled_busy, mut samples) = (0.0, 0.0, 0u64);
    let (mut exact_available, mut exact_busy) = (0.0, 0.0);
    let mut over_workers_at_tick = 0;
    let mut max_utilization: f64 = 0.0;
    let mut sizes = Vec::new();
    let mut workers_at_tick = 0;
    let mut t = 0;
    while t < 300 * S {
        t += STEP;
        sim.run_until(t, u64::MAX);
        let (running, _booting) = sim.group_size(pool).expect("an autoscaling group");
        let (busy, _, workers) = sim.node_load(pool);
        assert_eq!(workers, running * 4);
        sampled_available += f64::from((running * 4).max(busy));
        sampled_busy += f64::from(busy);
        samples += 1;
        if t.is_multiple_of(S) {
            // The second's point comes at this instant, after this call.
            workers_at_tick = workers;
        }
        if t % S == STEP && t > S {
            let p: &SecondPoint = sim.series().latest().expect("a second has passed");
            assert_eq!(p.t_s, t / S);
            let n = p.nodes[pool];
            assert!(n.utilization <= 1.0, "{}: utilisation {}", p.t_s, n.utilization);
            assert!(n.available_workers > 0.0);
            assert!((n.utilization - n.busy_workers / n.available_workers).abs() < 1e-12, "{}: {n:?}", p.t_s);
            assert!(n.busy_workers <= n.available_workers + 1e-9);
            // What the page used to show: busy over the workers at the tick.
            if n.busy_workers > f64::from(workers_at_tick) + 1e-9 {
                over_workers_at_tick += 1;
            }
            max_utilization = max_utilization.max(n.utilization);
            exact_available += n.available_workers;
            exact_busy += n.busy_workers;
            sizes.push(running);
        }
    }
    let n = samples as f64 / 300.0; // samples per second
    let (sampled_available, sampled_busy) = (sampled_available / n, sampled_busy / n);
    eprintln!(
        "available worker-seconds: {exact_available:.1} exact, {sampled_available:.1} sampled; busy: {exact_busy:.1} exact, {sampled_busy:.1} sampled; \
         {over_workers_at_tick} seconds busier than the pool's size at their end; max utilisation {max_utilization:.4}; sizes {:?}..{:?}",
        sizes.iter().min(),
        sizes.iter().max()
    );
    // The pool did grow and shrink under load, and let machines go while
    // they were busy: the case that read over 100% before.
    let (small, big) = (*sizes.iter().min().unwrap(), *sizes.iter().max().unwrap());
    assert!(small <= 5 && big >= 12, "sizes {small}..{big}");
    assert!(sizes.windows(2).any(|w| w[1] < w[0]), "the pool shrank");
    assert!(over_workers_at_tick > 0, "some second had more busy workers than the shrunk pool");
    assert!(max_utilization > 0.95, "the pool was saturated at times: {max_utilization}");
    // The time-weighted size: the exact integral agrees with 60,000 samples
    // (sizes change a few times a minute, busy workers every few ms).
    assert!(
        (exact_available - sampled_available).abs() < 0.002 * exact_available,
        "{exact_available} vs {sampled_available}"
    );
    assert!((exact_busy - sampled_busy).abs() < 0.01 * exact_busy, "{exact_busy} vs {sampled_busy}");
}

#[test]
fn a_tier_with_a_server_down_reads_the_load_of_the_server_that_is_up() {
    // Two servers of 8 workers x 1 ms (8,000 req/s each) share 10,000 req/s
    // at 62.5%. web-1 fails at 20.5 s; once the balancer has taken it out,
    // web-2 alone gets more than it can serve: 100% busy.
    let doc = json!({
        "version": 2, "seed": 22, "duration_s": 41, "warmup_s": 0,
        "nodes": [
            {"id": "users", "kind": "users", "rps": 10000},
            {"id": "lb", "kind": "load_balancer", "algorithm": "round_robin", "health_check": {"interval_s": 1, "threshold": 2}},
            {"id": "web-1", "kind": "web_server", "workers": 8, "service": const_ms(1.0), "queue_limit": 200, "timeout_ms": 1000},
            {"id": "web-2", "kind": "web_server", "workers": 8, "service": const_ms(1.0), "queue_limit": 200, "timeout_ms": 1000}
        ],
        "links": [{"from": "users", "to": "lb"}, {"from": "lb", "to": "web-1"}, {"from": "lb", "to": "web-2"}]
    });
    let mut sim = Simulation::new(scenario(&doc));
    let (w1, w2) = (slot(&sim, "web-1"), slot(&sim, "web-2"));
    sim.run_until(20 * S + S / 2, u64::MAX);
    sim.apply(Edit::Fault { id: "web-1".into(), fault: Fault::Fail }).unwrap();
    sim.run_until(41 * S, u64::MAX);
    let point = |t_s: u64| sim.series().iter().find(|p| p.t_s == t_s).expect("in the series").clone();

    // Before: both at about 62.5%, and the tier with them.
    let before = point(20);
    let tier = before.utilization_of(&[w1, w2]).unwrap();
    assert!((tier - 0.625).abs() < 0.03, "tier before the failure: {tier}");
    assert_eq!(before.nodes[w1].available_workers, 8.0);

    // The second in which web-1 failed: up for exactly half of it, so 4
    // worker-seconds were available, and its utilisation is its load while
    // up (about 62.5%), not halved by the time it was down.
    let half = point(21).nodes[w1];
    assert!((half.available_workers - 4.0).abs() < 1e-9, "{half:?}");
    assert!((half.utilization - 0.625).abs() < 0.05, "{half:?}");

    // Down: web-1 has no available workers and the tier reads web-2 alone.
    for t in 25..=40 {
        let p = point(t);
        let (down, up) = (p.nodes[w1], p.nodes[w2]);
        assert_eq!((down.available_workers, down.busy_workers, down.utilization), (0.0, 0.0, 0.0), "{t}");
        let tier = p.utilization_of(&[w1, w2]).unwrap();
        assert!((tier - up.utilization).abs() < 1e-12, "{t}: tier {tier}, web-2 {}", up.utilization);
        assert!(tier > 0.99 && tier <= 1.0, "{t}: the live server is saturated: {tier}");
        // The mean of the two nodes' figures would say half that.
        assert!(((down.utilization + up.utilization) / 2.0) < 0.51);
    }
    // With no node available at all, a tier has no utilisation.
    assert_eq!(point(30).utilization_of(&[w1]), None);
    assert_eq!(point(30).utilization_of(&[]), None);
    // The inspector's theory check over the last 30 s: web-1 was up for
    // 9.5 of them, at about 62.5%; the seconds it was down do not count.
    let check = sim.theory_check("web-1", 30).unwrap();
    assert!((check.simulated_utilization - 0.625).abs() < 0.05, "{check:?}");
}

#[test]
fn time_a_station_is_down_does_not_dilute_its_utilisation_m_m_2() {
    // M/M/2 at rho = 0.5 (1,000 req/s, 1 ms), down from 100 s to 200 s of
    // 300: requests sent meanwhile fail at once without a worker. Busy over
    // available is rho; busy over every worker of the window would be rho x 2/3.
    let doc = |seed: u64| {
        json!({
            "version": 2, "seed": seed, "duration_s": 300, "warmup_s": 0,
            "nodes": [
                {"id": "users", "kind": "users", "rps": 1000},
                {"id": "app", "kind": "web_server", "workers": 2, "service": exp_ms(1.0)}
            ],
            "links": [{"from": "users", "to": "app"}],
            "faults": [{"at_s": 100, "node": "app", "fault": "fail"}, {"at_s": 200, "node": "app", "fault": "recover"}]
        })
    };
    let utils = replicate(crate::support::REPS, |seed| {
        let r = crate::support::run(&doc(100 + seed));
        assert!(r.requests.failed.total() > 90_000, "requests failed while it was down");
        r.nodes.get("app").unwrap().summary.utilization
    });
    // Measured SE 0.036%; resolution 1.7 x 5 SE, rounded up.
    crate::support::check("utilisation of M/M/2 at rho 0.5, down a third of the time", &utils, 0.5, 0.0, 0.007);
}
